/* lib/spam/netrun.c - the lookups of one message; see net.h.
 *
 * One job per message holds its tasks (an A query, the SPF check, the
 * DKIM verification), each with its own copies of what it needs. A pool
 * of SP_NET_MAX_THREADS workers, started at the first message that has a
 * lookup to run, serves every message: a job puts up to that many tokens
 * in the pool's bounded queue, and each worker that takes one runs the
 * job's tasks in turn. The scoring thread waits on a condition variable
 * until every task is done or the budget is spent, then reads what is
 * done and walks away. A worker still inside a lookup holds a reference
 * to the job (freed by the last one) and the engine counts its token in
 * `inflight`, so sp_net_free() waits for it before it stops and joins the
 * workers: each lookup is bounded by lib/dns's per-query timeout.
 *
 * Why a pool: creating the threads for each message cost about 14% of
 * facteur-spam's CPU, even when lib/dns's cache answered every lookup.
 * Why threads and not one query after another: thirty URIBL names at a
 * silent server would each take the timeout; started together they take
 * it once. Unanswered means not listed, as TEMPFAIL does. SPF and DKIM
 * verdicts an earlier filter gave (env->given: facteur-milter's chain) are
 * tasks done from the start: nothing is looked up twice. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "dk_dns.h"
#include "dk_verify.h"
#include "dmarc.h"
#include "dns.h"
#include "dnsbl.h"
#include "engine.h"
#include "msgview.h"
#include "rules.h"
#include "spf.h"

#define NR_MAX_ANS 8
/* job tokens waiting for a worker: 32 messages' worth */
#define NR_QUEUE_MAX (SP_NET_MAX_THREADS * 32)

struct nr_job;

struct sp_net {
	struct dns_resolver *dns;
	struct spf *spf;
	struct dmarc_psl *psl; /* NULL: last two labels */
	long long timeout_ms;
	size_t *rules; /* SP_R_NET rules of the rule set */
	size_t nrules;
	char (*rbl)[256]; /* distinct DNSBL zones */
	size_t nrbl;
	char (*uribl)[256]; /* distinct URIBL zones */
	size_t nuribl;
	int want_spf, want_dkim;
	pthread_mutex_t mu;
	pthread_cond_t cv;   /* inflight went to 0 */
	pthread_cond_t work; /* a token was queued, or stop */
	size_t inflight;     /* tokens queued or being run */
	size_t handed;	     /* tasks left to the workers, ever */
	pthread_t workers[SP_NET_MAX_THREADS];
	size_t nworkers;
	int stop;
	struct nr_job *q[NR_QUEUE_MAX]; /* ring of job tokens */
	size_t qhead, qlen;
};

enum nr_kind { NR_A, NR_SPF, NR_DKIM };

struct nr_task {
	enum nr_kind kind;
	size_t zone; /* index in rbl or uribl */
	int uri;     /* 1: a URIBL query */
	char qname[520];
	int done;
	char ans[NR_MAX_ANS][16]; /* listed answers (lib/dnsbl's class) */
	size_t nans;
	enum spf_result spf;
	int dkim_signed, dkim_valid, dkim_author;
};

struct nr_job {
	struct sp_net *net;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs, abandoned;
	size_t next, ndone, ntasks;
	struct nr_task t[SP_NET_MAX_TASKS];
	char ip[64], helo[256], envfrom[512], from_domain[256];
	char *raw; /* for DKIM: a copy of the message */
	size_t rawlen;
};

static void
nr_job_unref(struct nr_job *j)
{
	int last;

	pthread_mutex_lock(&j->mu);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j->raw);
	free(j);
}

static void
nr_a(struct sp_net *n, struct nr_task *t)
{
	struct dnsbl_zone z;
	struct dns_answer a;
	size_t i;

	memset(&z, 0, sizeof(z));
	memset(&a, 0, sizeof(a));
	if (dns_query(n->dns, t->qname, DNS_T_A, &a) == DNS_OK)
		for (i = 0; i < a.nrrs && t->nans < NR_MAX_ANS; i++)
			if (dnsbl_classify(&z, a.rrs[i]) == DNSBL_LISTED)
				snprintf(t->ans[t->nans++], sizeof(t->ans[0]),
					 "%s", a.rrs[i]);
	dns_answer_clear(&a);
}

/* Calls dk_verify_header for each field of raw (LF or CRLF lines, fed as
 * CRLF), then the body with bare LFs made CRLF. 0 or -1. */
static int
nr_dkim_feed(struct dk_verify *v, const char *p, size_t n)
{
	struct buf f;
	size_t i = 0, start;
	int rc = 0;

	buf_init(&f, 0);
	while (i < n && rc == 0) {
		if (p[i] == '\n' ||
		    (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
			break; /* the blank line */
		buf_reset(&f);
		for (start = i; i < n; i++) {
			if (p[i] == '\r')
				continue;
			if (p[i] != '\n') {
				rc |= buf_addc(&f, p[i]);
				continue;
			}
			if (i + 1 < n &&
			    (p[i + 1] == ' ' || p[i + 1] == '\t')) {
				rc |= buf_add(&f, "\r\n", 2);
				continue;
			}
			i++;
			break;
		}
		if (rc == 0 && f.len > 0)
			rc = dk_verify_header(v, (const unsigned char *)f.data,
					      f.len);
		(void)start;
	}
	if (rc == 0)
		rc = dk_verify_eoh(v);
	i += i < n && p[i] == '\r' ? 2 : 1;
	buf_free(&f);
	for (start = i; rc == 0 && i < n; i++) {
		if (p[i] != '\n' || (i > 0 && p[i - 1] == '\r'))
			continue;
		dk_verify_body(v, (const unsigned char *)p + start, i - start);
		dk_verify_body(v, (const unsigned char *)"\r\n", 2);
		start = i + 1;
	}
	if (rc == 0 && start < n)
		dk_verify_body(v, (const unsigned char *)p + start, n - start);
	return rc;
}

static void
nr_dkim(struct nr_job *j, struct nr_task *t)
{
	const struct dk_sigresult *r;
	struct dk_verify *v = NULL;
	size_t n, k;

	if (dk_verify_new(NULL, dk_dns_fetch, j->net->dns,
			  (long long)time(NULL), &v) < 0)
		return;
	if (nr_dkim_feed(v, j->raw, j->rawlen) == 0 && dk_verify_eom(v) == 0) {
		n = dk_verify_results(v, &r);
		t->dkim_signed = n > 0;
		for (k = 0; k < n; k++) {
			if (r[k].result != DK_R_PASS)
				continue;
			t->dkim_valid = 1;
			if (strcasecmp(r[k].d, j->from_domain) == 0)
				t->dkim_author = 1;
		}
	}
	dk_verify_free(&v);
}

/* Runs the tasks of j one after another until none is left or the
 * scoring thread walked away, then drops this token's reference. */
static void
nr_run(struct nr_job *j)
{
	struct sp_net *n = j->net;
	struct nr_task t;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&j->mu);
		if (j->abandoned || j->next >= j->ntasks) {
			pthread_mutex_unlock(&j->mu);
			break;
		}
		i = j->next++;
		t = j->t[i];
		pthread_mutex_unlock(&j->mu);
		if (t.done)
			continue; /* given: nothing to look up */
		if (t.kind == NR_A)
			nr_a(n, &t);
		else if (t.kind == NR_SPF) {
			struct spf_outcome o;

			t.spf =
			    spf_check(n->spf, j->ip, j->helo, j->envfrom, &o);
		} else
			nr_dkim(j, &t);
		pthread_mutex_lock(&j->mu);
		t.done = 1;
		j->t[i] = t;
		j->ndone++;
		pthread_cond_signal(&j->cv);
		pthread_mutex_unlock(&j->mu);
	}
	nr_job_unref(j);
}

static void *
nr_worker(void *arg)
{
	struct sp_net *n = arg;
	struct nr_job *j;

	for (;;) {
		pthread_mutex_lock(&n->mu);
		while (n->qlen == 0 && !n->stop)
			pthread_cond_wait(&n->work, &n->mu);
		if (n->qlen == 0) {
			pthread_mutex_unlock(&n->mu);
			break;
		}
		j = n->q[n->qhead];
		n->qhead = (n->qhead + 1) % NR_QUEUE_MAX;
		n->qlen--;
		pthread_mutex_unlock(&n->mu);
		nr_run(j);
		pthread_mutex_lock(&n->mu);
		if (--n->inflight == 0)
			pthread_cond_broadcast(&n->cv);
		pthread_mutex_unlock(&n->mu);
	}
	/* OpenSSL keeps per-thread state (ldns draws query ids from its
	 * RAND, DKIM verifies with it): free it now, before sp_net_free()
	 * joins us, not in a thread-exit handler that may run after the
	 * process exited (LeakSanitizer reported it, now and then) */
	OPENSSL_thread_stop();
	return NULL;
}

static struct nr_task *
nr_add(struct nr_job *j, enum nr_kind k)
{
	struct nr_task *t;

	if (j->ntasks >= SP_NET_MAX_TASKS)
		return NULL;
	t = &j->t[j->ntasks++];
	memset(t, 0, sizeof(*t));
	t->kind = k;
	return t;
}

/* A task whose answer an earlier filter gave (env->given): done now. */
static void
nr_given(struct nr_job *j, struct nr_task *t)
{
	t->done = 1;
	j->ndone++;
}

/* SPF and DKIM: from env->given when it has them, else tasks to run.
 * 0 or -1 ENOMEM. */
static int
nr_plan_auth(struct sp_net *n, struct nr_job *j, const struct sp_view *v,
	     const struct sp_net_env *env)
{
	const struct sp_given *g = env->given;
	const struct sp_header *h;
	struct nr_task *t;

	if (n->want_spf && g != NULL && g->spf_set) {
		if ((t = nr_add(j, NR_SPF)) != NULL) {
			t->spf = (enum spf_result)g->spf;
			nr_given(j, t);
		}
	} else if (env->client_ip && env->envfrom && n->want_spf)
		(void)nr_add(j, NR_SPF);
	if (!n->want_dkim || sp_view_header(v, "DKIM-Signature") == NULL)
		return 0;
	if ((h = sp_view_header(v, "From")) != NULL)
		(void)dk_from_domain((const unsigned char *)h->raw,
				     strlen(h->raw), j->from_domain,
				     sizeof(j->from_domain));
	if (g != NULL && g->dkim_set) {
		if ((t = nr_add(j, NR_DKIM)) != NULL) {
			t->dkim_signed = g->dkim_signed;
			t->dkim_valid = g->dkim_valid;
			t->dkim_author =
			    g->dkim_valid && g->dkim_domain &&
			    strcasecmp(g->dkim_domain, j->from_domain) == 0;
			nr_given(j, t);
		}
		return 0;
	}
	if ((j->raw = malloc(v->raw_len + 1)) == NULL)
		return -1;
	memcpy(j->raw, v->raw, v->raw_len);
	j->rawlen = v->raw_len;
	(void)nr_add(j, NR_DKIM);
	return 0;
}

static void
nr_copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

/* The tasks of a message. 0 or -1 ENOMEM. */
static int
nr_plan(struct sp_net *n, struct nr_job *j, const struct sp_view *v,
	const struct sp_net_env *env)
{
	char(*doms)[256] = NULL;
	struct nr_task *t;
	struct sp_net_env e = *env;
	unsigned char bin[16];
	size_t i, k, nd = 0;

	/* "local" or garbage from the MTA: no DNSBL, no SPF */
	if (e.client_ip != NULL && inet_pton(AF_INET, e.client_ip, bin) != 1 &&
	    inet_pton(AF_INET6, e.client_ip, bin) != 1)
		e.client_ip = NULL;
	env = &e;
	for (i = 0; env->client_ip && i < n->nrbl; i++)
		if ((t = nr_add(j, NR_A)) != NULL &&
		    (t->zone = i,
		     dns_reverse_name(env->client_ip, n->rbl[i], t->qname,
				      sizeof(t->qname)) < 0))
			j->ntasks--;
	if (nr_plan_auth(n, j, v, env) < 0)
		return -1;
	if (n->nuribl > 0 && v->nuris > 0) {
		if ((doms = calloc(SP_NET_MAX_DOMAINS, sizeof(*doms))) == NULL)
			return -1;
		nd = sp_net_uri_domains(n->psl, v->uri_domains, v->nuris,
					SP_NET_MAX_DOMAINS, doms);
	}
	for (i = 0; i < n->nuribl; i++)
		for (k = 0; k < nd; k++) {
			if ((t = nr_add(j, NR_A)) == NULL)
				break;
			t->zone = i;
			t->uri = 1;
			snprintf(t->qname, sizeof(t->qname), "%s.%s", doms[k],
				 n->uribl[i]);
		}
	free(doms);
	nr_copy(j->ip, sizeof(j->ip), env->client_ip);
	nr_copy(j->helo, sizeof(j->helo), env->helo);
	nr_copy(j->envfrom, sizeof(j->envfrom), env->envfrom);
	return 0;
}

/* Starts the workers, once: under n->mu. Fewer if pthread_create fails;
 * none means no lookups (each message then scores without them). */
static void
nr_pool_start(struct sp_net *n)
{
	while (n->nworkers < SP_NET_MAX_THREADS && !n->stop &&
	       pthread_create(&n->workers[n->nworkers], NULL, nr_worker, n) ==
		   0)
		n->nworkers++;
}

/* Queues up to SP_NET_MAX_THREADS tokens of j (one per task to run), as
 * many as the queue holds; each holds a reference to j. */
static void
nr_start(struct sp_net *n, struct nr_job *j)
{
	size_t w, todo = j->ntasks - j->ndone,
		  nw = todo < SP_NET_MAX_THREADS ? todo : SP_NET_MAX_THREADS;

	if (nw == 0)
		return;
	pthread_mutex_lock(&j->mu);
	j->refs += (int)nw; /* before a worker can see the job */
	pthread_mutex_unlock(&j->mu);
	pthread_mutex_lock(&n->mu);
	n->handed += todo;
	if (n->nworkers == 0)
		nr_pool_start(n);
	for (w = 0; w < nw && n->nworkers > 0 && n->qlen < NR_QUEUE_MAX; w++)
		n->q[(n->qhead + n->qlen++) % NR_QUEUE_MAX] = j;
	n->inflight += w;
	if (w > 0)
		pthread_cond_broadcast(&n->work);
	pthread_mutex_unlock(&n->mu);
	for (; w < nw; w++)
		nr_job_unref(j); /* never the last: the caller holds one */
}

/* 1 if rule r hits given the done tasks of j. */
static int
nr_hit(const struct sp_net *n, const struct nr_job *j,
       const struct sp_net_rule *r)
{
	size_t i, k;

	for (i = 0; i < j->ntasks; i++) {
		const struct nr_task *t = &j->t[i];

		if (!t->done)
			continue;
		switch (r->kind) {
		case SP_NET_RBL:
		case SP_NET_RBL_SUB:
		case SP_NET_URIBL:
			if (t->kind != NR_A ||
			    t->uri != (r->kind == SP_NET_URIBL) ||
			    strcmp(r->zone, t->uri ? n->uribl[t->zone]
						   : n->rbl[t->zone]) != 0)
				break;
			for (k = 0; k < t->nans; k++)
				if (sp_net_sub_match(r, t->ans[k]))
					return 1;
			break;
		case SP_NET_SPF:
			if (t->kind == NR_SPF && (int)t->spf == r->arg)
				return 1;
			break;
		case SP_NET_DKIM:
			if (t->kind == NR_DKIM &&
			    (r->arg == SP_DKIM_SIGNED  ? t->dkim_signed
			     : r->arg == SP_DKIM_VALID ? t->dkim_valid
						       : t->dkim_author))
				return 1;
			break;
		}
	}
	return 0;
}

/* The A and SPF tasks of j the DNS cache answers whole, run here in the
 * scoring thread before any worker sees j: a message whose lookups are
 * all cached (most, on a busy MX) is not handed to the pool at all. The
 * hand-over, the workers' wake-ups and the wait for them were 8% of
 * facteur-milter's CPU with every answer cached. A task that missed the
 * cache is left to a worker, which asks again over the network. */
static void
nr_inline(struct sp_net *n, struct nr_job *j)
{
	struct spf_outcome o;
	struct nr_task *t;
	size_t i;

	for (i = 0; i < j->ntasks; i++) {
		t = &j->t[i];
		if (t->done || t->kind == NR_DKIM)
			continue;
		dns_cache_only(1);
		if (t->kind == NR_A)
			nr_a(n, t);
		else
			t->spf =
			    spf_check(n->spf, j->ip, j->helo, j->envfrom, &o);
		if (!dns_cache_missed()) {
			t->done = 1;
			j->ndone++;
		} else
			t->nans = 0;
	}
	dns_cache_only(0);
}

int
sp_net_check(struct sp_net *n, const struct sp_ruleset *rs,
	     const struct sp_view *v, const struct sp_net_env *env,
	     double *values)
{
	struct timespec end;
	struct nr_job *j;
	pthread_condattr_t ca;
	size_t i;

	if (n->nrules == 0)
		return 0;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->net = n;
	j->refs = 1;
	pthread_mutex_init(&j->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (nr_plan(n, j, v, env) < 0) {
		nr_job_unref(j);
		return -1;
	}
	nr_inline(n, j);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += n->timeout_ms / 1000;
	end.tv_nsec += (n->timeout_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	nr_start(n, j);
	pthread_mutex_lock(&j->mu);
	while (j->ndone < j->ntasks && j->refs > 1)
		if (pthread_cond_timedwait(&j->cv, &j->mu, &end) == ETIMEDOUT)
			break;
	j->abandoned = 1;
	for (i = 0; i < n->nrules; i++)
		if (nr_hit(n, j, rs->v[n->rules[i]].net))
			values[n->rules[i]] = 1;
	pthread_mutex_unlock(&j->mu);
	nr_job_unref(j);
	return 0;
}

/* The index of zone z in (*v)[0..*n), added if new. -1 ENOMEM. */
static long
nr_zone(char (**v)[256], size_t *n, const char *z)
{
	char(*nv)[256];
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], z) == 0)
			return (long)i;
	if ((nv = reallocarray(*v, *n + 1, sizeof(*nv))) == NULL)
		return -1;
	*v = nv;
	snprintf(nv[*n], sizeof(nv[0]), "%s", z);
	return (long)(*n)++;
}

/* check_rbl_sub takes the zone of its set's check_rbl. */
static const char *
nr_set_zone(const struct sp_ruleset *rs, const char *set)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		const struct sp_rule *r = &rs->v[i];

		/* a skipped (malformed) network eval has no lookup */
		if (r->type == SP_R_NET && r->skip == NULL && r->net != NULL &&
		    r->net->kind == SP_NET_RBL && strcmp(r->net->set, set) == 0)
			return r->net->zone;
	}
	return NULL;
}

static int
nr_collect(struct sp_net *n, struct sp_ruleset *rs, char *err, size_t errlen)
{
	size_t i;
	long z;

	if ((n->rules = calloc(rs->n + 1, sizeof(size_t))) == NULL)
		return -1;
	for (i = 0; i < rs->n; i++) {
		struct sp_rule *r = &rs->v[i];
		struct sp_net_rule *nr = r->net;
		const char *zone;

		if (r->type != SP_R_NET || r->skip != NULL || nr == NULL)
			continue;
		if (nr->kind == SP_NET_RBL_SUB) {
			if ((zone = nr_set_zone(rs, nr->set)) == NULL) {
				r->skip = "check_rbl_sub of a set without "
					  "check_rbl";
				continue;
			}
			snprintf(nr->zone, sizeof(nr->zone), "%s", zone);
		}
		if (nr->kind == SP_NET_URIBL && nr->zone[0] == '\0') {
			r->skip = "check_uridnsbl without urirhssub";
			continue;
		}
		if (sp_net_sub_compile(nr, err, errlen) < 0) {
			r->skip = "malformed subtest";
			continue;
		}
		z = 0;
		if (nr->kind == SP_NET_RBL || nr->kind == SP_NET_RBL_SUB)
			z = nr_zone(&n->rbl, &n->nrbl, nr->zone);
		else if (nr->kind == SP_NET_URIBL)
			z = nr_zone(&n->uribl, &n->nuribl, nr->zone);
		if (z < 0)
			return -1;
		n->want_spf |= nr->kind == SP_NET_SPF;
		n->want_dkim |= nr->kind == SP_NET_DKIM;
		n->rules[n->nrules++] = i;
	}
	err[0] = '\0';
	return 0;
}

int
sp_net_new(const struct sp_net_opts *o, struct sp_ruleset *rs,
	   struct sp_net **out, char *err, size_t errlen)
{
	struct dns_config dc;
	struct sp_net *n;
	char host[256], perr[160];

	*out = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	pthread_cond_init(&n->work, NULL);
	n->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 2000;
	memset(&dc, 0, sizeof(dc));
	dc.server = o->server && *o->server ? o->server : NULL;
	dc.timeout_ms = n->timeout_ms;
	if (o->hostname && *o->hostname)
		snprintf(host, sizeof(host), "%s", o->hostname);
	else if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (dns_resolver_new(&dc, &n->dns, err, errlen) < 0 ||
	    spf_new(n->dns, host, &n->spf, err, errlen) < 0) {
		sp_net_free(&n);
		return -1;
	}
	/* Without a PSL, the last two labels are the domain. */
	if (dmarc_psl_load(o->psl_path, &n->psl, perr, sizeof(perr)) < 0)
		n->psl = NULL;
	if (nr_collect(n, rs, err, errlen) < 0) {
		snprintf(err, errlen, "out of memory");
		sp_net_free(&n);
		return -1;
	}
	*out = n;
	return 0;
}

void
sp_net_free(struct sp_net **np)
{
	struct sp_net *n = *np;
	size_t i;

	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	while (n->inflight > 0)
		pthread_cond_wait(&n->cv, &n->mu);
	n->stop = 1;
	pthread_cond_broadcast(&n->work);
	pthread_mutex_unlock(&n->mu);
	for (i = 0; i < n->nworkers; i++)
		pthread_join(n->workers[i], NULL);
	spf_free(&n->spf);
	dns_resolver_free(&n->dns);
	dmarc_psl_free(&n->psl);
	free(n->rules);
	free(n->rbl);
	free(n->uribl);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	pthread_cond_destroy(&n->work);
	free(n);
	*np = NULL;
}

size_t
sp_net_handed(struct sp_net *n)
{
	size_t h;

	pthread_mutex_lock(&n->mu);
	h = n->handed;
	pthread_mutex_unlock(&n->mu);
	return h;
}

size_t
sp_net_workers(struct sp_net *n)
{
	size_t w;

	pthread_mutex_lock(&n->mu);
	w = n->nworkers;
	pthread_mutex_unlock(&n->mu);
	return w;
}
