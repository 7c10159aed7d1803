/* tests/dns/dmarccheck.c - runs dmarc_evaluate once, for black-box tests.
 *
 *   dmarccheck SERVER TIMEOUT_MS ROLL FROM SPFDOMAIN [DKIMDOMAIN...]
 *
 * SERVER is lib/dns syntax; ROLL is the pct= roll to use (0..99, or -1
 * for the random default); SPFDOMAIN "-" means SPF did not pass.
 * Prints "RESULT<TAB>POLICY<TAB>SAMPLED_OUT<TAB>POLICY_DOMAIN<TAB>DETAIL"
 * and exits 0, or 2 on a usage or setup error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"
#include "dns.h"

static unsigned
fixed_roll(void *arg)
{
	return *(unsigned *)arg;
}

static const char *
policy_str(enum dmarc_policy p)
{
	static const char *names[] = {"none", "quarantine", "reject", "unset"};

	return (unsigned)p < 4 ? names[p] : "?";
}

int
main(int argc, char **argv)
{
	struct dns_config cfg = {0};
	struct dns_resolver *dns;
	struct dmarc_psl *psl;
	struct dmarc_input in = {0};
	struct dmarc_outcome out;
	enum dmarc_result r;
	unsigned roll;
	char err[200];

	if (argc < 6) {
		fprintf(stderr, "usage: dmarccheck SERVER TIMEOUT_MS ROLL FROM "
				"SPFDOMAIN [DKIMDOMAIN...]\n");
		return 2;
	}
	cfg.server = argv[1];
	cfg.timeout_ms = atoll(argv[2]);
	if (atoi(argv[3]) >= 0) {
		roll = (unsigned)atoi(argv[3]);
		dmarc_set_pct_roll(fixed_roll, &roll);
	}
	if (dns_resolver_new(&cfg, &dns, err, sizeof(err)) != 0 ||
	    dmarc_psl_load(NULL, &psl, err, sizeof(err)) != 0) {
		fprintf(stderr, "dmarccheck: %s\n", err);
		return 2;
	}
	in.from_domain = argv[4];
	in.spf_domain = strcmp(argv[5], "-") == 0 ? NULL : argv[5];
	in.dkim_domains = (const char *const *)argv + 6;
	in.ndkim = (size_t)(argc - 6);
	r = dmarc_evaluate(dns, psl, &in, &out);
	if (r != out.result) {
		fprintf(stderr, "dmarccheck: returned %d, outcome says %d\n",
			(int)r, (int)out.result);
		return 2;
	}
	printf("%s\t%s\t%d\t%s\t%s\n", dmarc_result_str(r),
	       policy_str(out.policy), out.sampled_out, out.policy_domain,
	       out.detail);
	dmarc_psl_free(&psl);
	dns_resolver_free(&dns);
	return 0;
}
