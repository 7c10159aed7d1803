/* lib/spam/bayesglue.c - the engine's view of bayes.h: a mutex-guarded
 * stack of idle read-only handles (SQLite WAL: readers never wait for a
 * training run, and each bayes_score() reads one snapshot), and one
 * read-write handle for auto-learn, taken with a deadline so a message
 * never waits long behind another thread's or a trainer's write. */
#include "bayesglue.h"

#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "bayes.h"
#include "bayes_snap.h"
#include "msgview.h"
#include "store.h"

#define POOL_MAX 32 /* idle handles kept; more threads open and close */
/* A stale copy of the tokens is read again at most this often; in
 * between, messages are scored through SQL (auto-learn changes the file
 * often, and reading it all costs as much as scoring a few dozen). */
#define SNAP_RELOAD_S 2
#define SNAP_RETRY_S 300 /* after a copy could not be read (too large) */
/* A copy that took T of CPU to read is read again after 50 T at the
 * earliest (2% of a core), when other writers keep the file changing:
 * 15 ms for 50,000 tokens leaves SNAP_RELOAD_S, 1 M tokens take longer */
#define SNAP_COST_X 50

struct sp_bayes_pool {
	pthread_mutex_t mu;
	char *path;
	dev_t dev; /* the file the idle handles were opened on */
	ino_t ino;
	unsigned gen; /* bumped when that file is replaced */
	struct bayes *idle[POOL_MAX];
	size_t nidle;
	struct bayes_snap *snap; /* the newest copy of the tokens, or NULL */
	time_t snap_tried;     /* CLOCK_MONOTONIC s of the last load granted */
	pthread_mutex_t rw_mu; /* guards the four below */
	struct bayes *rw;      /* auto-learn's handle, or NULL */
	dev_t rw_dev;
	ino_t rw_ino;
};

struct sp_bayes_sample {
	struct bayes_tokens tok;
	unsigned char digest[32];
	int has_digest; /* 0: sp_bayes_sample_tokens(), never learned */
};

int
sp_bayes_pool_new(const char *path, struct sp_bayes_pool **out)
{
	struct sp_bayes_pool *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	if ((p->path = strdup(path)) == NULL ||
	    pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p->path);
		free(p);
		return -1;
	}
	if (pthread_mutex_init(&p->rw_mu, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p->path);
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* Called with the lock held. */
static void
pool_drop_idle(struct sp_bayes_pool *p)
{
	while (p->nidle > 0)
		bayes_close(&p->idle[--p->nidle]);
	bayes_snap_unref(&p->snap);
	p->snap_tried = 0;
}

void
sp_bayes_pool_free(struct sp_bayes_pool **pp)
{
	struct sp_bayes_pool *p = *pp;

	if (p == NULL)
		return;
	pool_drop_idle(p);
	bayes_close(&p->rw);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->rw_mu);
	free(p->path);
	free(p);
	*pp = NULL;
}

static time_t
pool_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Lock held: a reference to the pool's copy of the tokens (or NULL), and
 * whether this caller may read a new one (one caller per SNAP_RELOAD_S
 * while the copy is missing or stale). */
static void
pool_take_snap(struct sp_bayes_pool *p, struct bayes_snap **snap, int *load)
{
	time_t now = pool_now();

	if ((*snap = p->snap) != NULL)
		bayes_snap_ref(*snap);
	*load = p->snap_tried == 0 || now - p->snap_tried >= SNAP_RELOAD_S;
	if (*load)
		p->snap_tried = now;
}

/* An idle handle on the current file, or NULL (open a new one). *gen is
 * the generation the caller's handle belongs to. -1: no file. With snap
 * not NULL, pool_take_snap() too. */
static int
pool_take(struct sp_bayes_pool *p, struct bayes **b, unsigned *gen,
	  struct bayes_snap **snap, int *load)
{
	struct stat sb;

	*b = NULL;
	/* a PostgreSQL database is never replaced under its name */
	if (store_is_url(p->path))
		memset(&sb, 0, sizeof(sb));
	else if (stat(p->path, &sb) < 0)
		return -1;
	pthread_mutex_lock(&p->mu);
	if (sb.st_dev != p->dev || sb.st_ino != p->ino) {
		pool_drop_idle(p);
		p->dev = sb.st_dev;
		p->ino = sb.st_ino;
		p->gen++;
	}
	*gen = p->gen;
	/* idle handles are all on the current file: a new one empties the
	 * stack above, and pool_give() keeps only current ones */
	if (p->nidle > 0)
		*b = p->idle[--p->nidle];
	if (snap != NULL)
		pool_take_snap(p, snap, load);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* CPU seconds this thread has used. */
static double
pool_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Gives b back, and snap (the caller's reference, may be NULL): a copy
 * newer than the pool's replaces it. load: bayes_score_snap()'s; cpu:
 * the CPU seconds of a load. */
static void
pool_give(struct sp_bayes_pool *p, struct bayes *b, unsigned gen,
	  struct bayes_snap *snap, int load, double cpu)
{
	struct bayes_snap *old = NULL;
	time_t wait;

	pthread_mutex_lock(&p->mu);
	if (load < 0 && gen == p->gen)
		p->snap_tried = pool_now() + SNAP_RETRY_S - SNAP_RELOAD_S;
	wait = (time_t)(cpu * SNAP_COST_X);
	if (load > 0 && gen == p->gen && wait > SNAP_RELOAD_S)
		p->snap_tried = pool_now() + wait - SNAP_RELOAD_S;
	if (gen == p->gen && p->nidle < POOL_MAX) {
		p->idle[p->nidle++] = b;
		b = NULL;
	}
	/* totals.gen only grows on one file; another file empties p->snap */
	if (gen == p->gen && snap != NULL && snap != p->snap &&
	    (p->snap == NULL ||
	     bayes_snap_gen(snap) > bayes_snap_gen(p->snap))) {
		old = p->snap;
		p->snap = snap;
		snap = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	bayes_snap_unref(&old);
	bayes_snap_unref(&snap);
	bayes_close(&b);
}

double
sp_bayes_prob(struct sp_bayes_pool *p, const struct sp_bayes_sample *s)
{
	struct bayes *b;
	struct bayes_snap *snap = NULL;
	unsigned gen;
	char err[256];
	double r, cpu = 0;
	int load = 0;

	if (p == NULL || s == NULL || pool_take(p, &b, &gen, &snap, &load) < 0)
		return -1;
	if (b == NULL && bayes_open(p->path, 0, &b, err, sizeof(err)) < 0) {
		bayes_snap_unref(&snap);
		return -1;
	}
	if (load)
		cpu = pool_cpu();
	r = bayes_score_snap(b, &s->tok, &snap, &load);
	if (load > 0)
		cpu = pool_cpu() - cpu;
	pool_give(p, b, gen, snap, load, cpu);
	return r;
}

static int
sample_new(const struct sp_view *v, int digest, struct sp_bayes_sample **out)
{
	struct sp_bayes_sample *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	if (bayes_tokenize(v, &s->tok) < 0 ||
	    (digest && sp_bayes_digest(v, s->digest) < 0)) {
		sp_bayes_sample_free(&s);
		return -1;
	}
	s->has_digest = digest;
	*out = s;
	return 0;
}

int
sp_bayes_sample_new(const struct sp_view *v, struct sp_bayes_sample **out)
{
	return sample_new(v, 1, out);
}

int
sp_bayes_sample_tokens(const struct sp_view *v, struct sp_bayes_sample **out)
{
	return sample_new(v, 0, out);
}

void
sp_bayes_sample_free(struct sp_bayes_sample **sp)
{
	if (*sp == NULL)
		return;
	bayes_tokens_clear(&(*sp)->tok);
	free(*sp);
	*sp = NULL;
}

/* A header value with blank runs (folds included) as one space, trimmed. */
static int
digest_header(EVP_MD_CTX *md, const struct sp_view *v, const char *name)
{
	const struct sp_header *h = sp_view_header(v, name);
	const char *p = h != NULL && h->raw != NULL ? h->raw : "";
	int blank = 0, any = 0;

	if (EVP_DigestUpdate(md, name, strlen(name)) != 1)
		return -1;
	for (; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			blank = any;
			continue;
		}
		if ((blank && EVP_DigestUpdate(md, " ", 1) != 1) ||
		    EVP_DigestUpdate(md, p, 1) != 1)
			return -1;
		blank = 0;
		any = 1;
	}
	return EVP_DigestUpdate(md, "\n", 1) == 1 ? 0 : -1;
}

/* The raw body without CRs, cut at SP_DIGEST_BODY, trailing blanks off. */
static int
digest_body(EVP_MD_CTX *md, const struct sp_view *v)
{
	const char *p = v->raw != NULL && v->body_off <= v->raw_len
			    ? v->raw + v->body_off
			    : "";
	size_t n = v->raw != NULL && v->body_off <= v->raw_len
		       ? v->raw_len - v->body_off
		       : 0,
	       i, kept = 0, end = 0;
	char *c;
	int rc;

	if ((c = malloc(SP_DIGEST_BODY + 1)) == NULL)
		return -1;
	for (i = 0; i < n && kept < SP_DIGEST_BODY; i++)
		if (p[i] != '\r')
			c[kept++] = p[i];
	for (i = 0; i < kept; i++)
		if (c[i] != ' ' && c[i] != '\t' && c[i] != '\n')
			end = i + 1;
	rc = EVP_DigestUpdate(md, c, end) == 1 ? 0 : -1;
	free(c);
	return rc;
}

int
sp_bayes_digest(const struct sp_view *v, unsigned char out[32])
{
	static const char tag[] = "facteur-bayes-digest-1\n";
	EVP_MD_CTX *md;
	int rc = -1;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, tag, sizeof(tag) - 1) == 1 &&
	    digest_header(md, v, "Message-ID") == 0 &&
	    digest_header(md, v, "Date") == 0 &&
	    EVP_DigestUpdate(md, "\n", 1) == 1 && digest_body(md, v) == 0 &&
	    EVP_DigestFinal_ex(md, out, NULL) == 1)
		rc = 0;
	EVP_MD_CTX_free(md);
	return rc;
}

/* The read-write handle on the current file, opened (and the file
 * created) when missing or when the file was replaced. Lock held. */
static int
pool_rw(struct sp_bayes_pool *p, int busy_ms, char *err, size_t errlen)
{
	struct stat sb;

	if (store_is_url(p->path)) {
		if (p->rw == NULL && bayes_open_busy(p->path, 1, busy_ms,
						     &p->rw, err, errlen) < 0)
			return -1;
		return 0;
	}
	if (p->rw != NULL && (stat(p->path, &sb) < 0 ||
			      sb.st_dev != p->rw_dev || sb.st_ino != p->rw_ino))
		bayes_close(&p->rw);
	if (p->rw != NULL)
		return 0;
	if (bayes_open_busy(p->path, 1, busy_ms, &p->rw, err, errlen) < 0)
		return -1;
	if (stat(p->path, &sb) < 0) {
		snprintf(err, errlen, "%s: %s", p->path, strerror(errno));
		bayes_close(&p->rw);
		return -1;
	}
	p->rw_dev = sb.st_dev;
	p->rw_ino = sb.st_ino;
	return 0;
}

/* rw_mu held, after the pool's read-write handle learned s at the file
 * generation g: when the pool's copy of the tokens is of g and of the
 * same file, a copy with the message added replaces it (a copy of a
 * 50,000-token table and a few hundred counts, where reading the file
 * again after each auto-learn cost a hundred times more). */
static void
pool_learned(struct sp_bayes_pool *p, const struct sp_bayes_sample *s,
	     int is_spam, long long g)
{
	struct bayes_snap *cur = NULL, *ns = NULL, *old = NULL;
	unsigned gen;

	pthread_mutex_lock(&p->mu);
	if (p->snap != NULL && bayes_snap_gen(p->snap) == g &&
	    p->dev == p->rw_dev && p->ino == p->rw_ino) {
		cur = p->snap;
		bayes_snap_ref(cur);
	}
	gen = p->gen;
	pthread_mutex_unlock(&p->mu);
	if (cur == NULL ||
	    bayes_snap_learned(cur, s->tok.h, s->tok.n, is_spam, &ns) < 0) {
		bayes_snap_unref(&cur);
		return;
	}
	pthread_mutex_lock(&p->mu);
	if (gen == p->gen && p->snap == cur) {
		old = p->snap;
		p->snap = ns;
		ns = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	bayes_snap_unref(&old);
	bayes_snap_unref(&cur);
	bayes_snap_unref(&ns);
}

/* rw_mu held. */
static int
pool_learn(struct sp_bayes_pool *p, const struct sp_bayes_sample *s,
	   int is_spam, int busy_ms, char *err, size_t errlen)
{
	long long g;
	int r;

	bayes_set_busy_timeout(p->rw, busy_ms);
	r = bayes_learn_new_gen(p->rw, &s->tok, s->digest, is_spam, &g, err,
				errlen);
	if (r == 1 && g >= 0)
		pool_learned(p, s, is_spam, g);
	return r;
}

int
sp_bayes_learn(struct sp_bayes_pool *p, const struct sp_bayes_sample *s,
	       int is_spam, int busy_ms, char *err, size_t errlen)
{
	struct timespec dl;
	int r;

	if (p == NULL || s == NULL) {
		snprintf(err, errlen, "bayes: off");
		return -1;
	}
	if (!s->has_digest) {
		snprintf(err, errlen, "bayes: a sample without its digest");
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += busy_ms / 1000;
	dl.tv_nsec += (long)(busy_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	if ((r = pthread_mutex_timedlock(&p->rw_mu, &dl)) != 0) {
		snprintf(err, errlen, "bayes: %s",
			 r == ETIMEDOUT ? "busy "
					  "(another message is being learned)"
					: strerror(r));
		return -1;
	}
	r = pool_rw(p, busy_ms, err, errlen);
	if (r == 0)
		r = pool_learn(p, s, is_spam, busy_ms, err, errlen);
	pthread_mutex_unlock(&p->rw_mu);
	return r;
}
