/* tests/dns/spfcheck.c - runs lib/spf once, for the black-box tests.
 *
 *   spfcheck SERVER TIMEOUT_MS IP HELO MAILFROM [THREADS]
 *
 * With THREADS, the same check also runs 10 times in each of THREADS
 * threads over the one struct spf (its libspf2 server pool); exit 1 if
 * any differs from the first result.
 * SERVER is lib/dns syntax ("127.0.0.1@5353"); MAILFROM "" is the null
 * sender; MAILFROM "-" checks the HELO identity alone (spf_check_helo).
 * Prints "RESULT<TAB>DOMAIN<TAB>EXPLANATION<TAB>DETAIL" and exits 0, or
 * exits 2 on a usage or setup error. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "spf.h"

struct job {
	struct spf *spf;
	char **argv;
	enum spf_result want;
	int bad;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct spf_outcome out;
	int i;

	for (i = 0; i < 10; i++)
		if (spf_check(j->spf, j->argv[3], j->argv[4], j->argv[5],
			      &out) != j->want)
			j->bad = 1;
	return NULL;
}

static int
run_threads(struct spf *spf, char **argv, enum spf_result want, int n)
{
	struct job jobs[32];
	pthread_t tids[32];
	int i, bad = 0;

	if (n < 1 || n > 32)
		return 1;
	for (i = 0; i < n; i++) {
		jobs[i] = (struct job){spf, argv, want, 0};
		if (pthread_create(&tids[i], NULL, worker, &jobs[i]) != 0)
			return 1;
	}
	for (i = 0; i < n; i++) {
		pthread_join(tids[i], NULL);
		bad |= jobs[i].bad;
	}
	return bad;
}

int
main(int argc, char **argv)
{
	struct dns_config cfg = {0};
	struct dns_resolver *dns;
	struct spf *spf;
	struct spf_outcome out;
	enum spf_result r;
	char err[200];

	int rc = 0;

	if (argc != 6 && argc != 7) {
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
	if (argc == 7 && strcmp(argv[5], "-") != 0)
		rc = run_threads(spf, argv, r, atoi(argv[6]));
	spf_free(&spf);
	dns_resolver_free(&dns);
	return rc;
}
