/* tests/dns/dnsquery.c - lib/dns from the shell, for black-box tests.
 *
 *   dnsquery SERVER TIMEOUT_MS THREADS ROUNDS TYPE NAME...
 *
 * Every thread looks up every NAME, ROUNDS times, through one shared
 * resolver (so the pool and the cache are exercised concurrently). Then
 * prints, for each NAME, one line "NAME<TAB>STATUS<TAB>TTL<TAB>RR|RR..."
 * (TXT rrs as their byte length "len=N" when longer than 80 bytes), and a
 * last line "stats queries=Q hits=H misses=M timeouts=T". Exit 2 on a
 * usage error, 1 if threads disagreed on an answer. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"

struct job {
	struct dns_resolver *dns;
	enum dns_type type;
	char **names;
	int nnames, rounds;
	enum dns_status *first; /* per name, from round one */
	int disagree;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct dns_answer ans;
	int r, i;

	for (r = 0; r < j->rounds; r++)
		for (i = 0; i < j->nnames; i++) {
			(void)dns_query(j->dns, j->names[i], j->type, &ans);
			if (ans.status != j->first[i])
				j->disagree = 1;
			dns_answer_clear(&ans);
		}
	return NULL;
}

static enum dns_type
parse_type(const char *s)
{
	static const struct {
		const char *n;
		enum dns_type t;
	} types[] = {{"A", DNS_T_A},
		     {"AAAA", DNS_T_AAAA},
		     {"TXT", DNS_T_TXT},
		     {"MX", DNS_T_MX},
		     {"PTR", DNS_T_PTR}};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].n) == 0)
			return types[i].t;
	return (enum dns_type)0;
}

static void
print_answer(const char *name, const struct dns_answer *a)
{
	size_t i;

	printf("%s\t%s\t%u\t", name, dns_strstatus(a->status), a->ttl);
	for (i = 0; i < a->nrrs; i++) {
		if (a->lens[i] > 80)
			printf("%slen=%zu", i ? "|" : "", a->lens[i]);
		else
			printf("%s%s", i ? "|" : "", a->rrs[i]);
	}
	printf("\n");
}

int
main(int argc, char **argv)
{
	struct dns_config cfg = {0};
	struct dns_answer ans;
	struct dns_stats st;
	struct job *jobs;
	pthread_t *tids;
	int nthreads, i, bad = 0;
	char err[200];

	if (argc < 7 || parse_type(argv[5]) == 0 ||
	    (nthreads = atoi(argv[3])) < 1 || nthreads > 64) {
		fprintf(stderr, "usage: dnsquery SERVER TIMEOUT_MS THREADS "
				"ROUNDS TYPE NAME...\n");
		return 2;
	}
	cfg.server = argv[1];
	cfg.timeout_ms = atoll(argv[2]);
	jobs = calloc((size_t)nthreads, sizeof(*jobs));
	tids = calloc((size_t)nthreads, sizeof(*tids));
	if (jobs == NULL || tids == NULL ||
	    dns_resolver_new(&cfg, &jobs[0].dns, err, sizeof(err)) != 0) {
		fprintf(stderr, "dnsquery: %s\n", err);
		return 2;
	}
	jobs[0].type = parse_type(argv[5]);
	jobs[0].names = argv + 6;
	jobs[0].nnames = argc - 6;
	jobs[0].rounds = atoi(argv[4]);
	jobs[0].first = calloc((size_t)jobs[0].nnames, sizeof(*jobs[0].first));
	if (jobs[0].first == NULL)
		return 2;
	for (i = 0; i < jobs[0].nnames; i++) {
		(void)dns_query(jobs[0].dns, argv[6 + i], jobs[0].type, &ans);
		jobs[0].first[i] = ans.status;
		print_answer(argv[6 + i], &ans);
		dns_answer_clear(&ans);
	}
	for (i = 0; i < nthreads; i++) {
		jobs[i] = jobs[0];
		if (pthread_create(&tids[i], NULL, worker, &jobs[i]) != 0)
			return 2;
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(tids[i], NULL);
		bad |= jobs[i].disagree;
	}
	dns_stats(jobs[0].dns, &st);
	printf("stats queries=%llu hits=%llu misses=%llu timeouts=%llu\n",
	       st.queries, st.hits, st.misses, st.timeouts);
	dns_resolver_free(&jobs[0].dns);
	free(jobs[0].first);
	free(jobs);
	free(tids);
	return bad;
}
