/* tests/dns/spfcheck.c - runs lib/spf once, for the black-box tests.
 *
 *   spfcheck SERVER TIMEOUT_MS IP HELO MAILFROM
 *
 * SERVER is lib/dns syntax ("127.0.0.1@5353"); MAILFROM "" is the null
 * sender; MAILFROM "-" checks the HELO identity alone (spf_check_helo).
 * Prints "RESULT<TAB>DOMAIN<TAB>EXPLANATION<TAB>DETAIL" and exits 0, or
 * exits 2 on a usage or setup error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "spf.h"

int
main(int argc, char **argv)
{
	struct dns_config cfg = {0};
	struct dns_resolver *dns;
	struct spf *spf;
	struct spf_outcome out;
	enum spf_result r;
	char err[200];

	if (argc != 6) {
		fprintf(stderr, "usage: spfcheck SERVER TIMEOUT_MS IP HELO "
				"MAILFROM\n");
		return 2;
	}
	cfg.server = argv[1];
	cfg.timeout_ms = atoll(argv[2]);
	if (dns_resolver_new(&cfg, &dns, err, sizeof(err)) != 0 ||
	    spf_new(dns, "mx.test.example", &spf, err, sizeof(err)) != 0) {
		fprintf(stderr, "spfcheck: %s\n", err);
		return 2;
	}
	if (strcmp(argv[5], "-") == 0)
		r = spf_check_helo(spf, argv[3], argv[4], &out);
	else
		r = spf_check(spf, argv[3], argv[4], argv[5], &out);
	if (r != out.result) {
		fprintf(stderr, "spfcheck: returned %s, outcome says %s\n",
			spf_result_str(r), spf_result_str(out.result));
		return 2;
	}
	printf("%s\t%s\t%s\t%s\n", spf_result_str(r), out.domain,
	       out.explanation, out.detail);
	spf_free(&spf);
	dns_resolver_free(&dns);
	return 0;
}
