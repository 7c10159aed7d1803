/* milters/spam/bayesglue.c - the engine's view of bayes.h: a mutex-guarded
 * stack of idle read-only handles (SQLite WAL: readers never wait for a
 * training run, and each bayes_score() reads one snapshot). */
#include "bayesglue.h"

#include <sys/stat.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bayes.h"

#define POOL_MAX 32 /* idle handles kept; more threads open and close */

struct sp_bayes_pool {
	pthread_mutex_t mu;
	char *path;
	dev_t dev;   /* the file the idle handles were opened on */
	ino_t ino;
	unsigned gen; /* bumped when that file is replaced */
	struct bayes *idle[POOL_MAX];
	unsigned idle_gen[POOL_MAX];
	size_t nidle;
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
	*out = p;
	return 0;
}

/* Called with the lock held. */
static void
pool_drop_idle(struct sp_bayes_pool *p)
{
	while (p->nidle > 0)
		bayes_close(&p->idle[--p->nidle]);
}

void
sp_bayes_pool_free(struct sp_bayes_pool **pp)
{
	struct sp_bayes_pool *p = *pp;

	if (p == NULL)
		return;
	pool_drop_idle(p);
	pthread_mutex_destroy(&p->mu);
	free(p->path);
	free(p);
	*pp = NULL;
}

/* An idle handle on the current file, or NULL (open a new one). *gen is
 * the generation the caller's handle belongs to. -1: no file. */
static int
pool_take(struct sp_bayes_pool *p, struct bayes **b, unsigned *gen)
{
	struct stat sb;

	*b = NULL;
	if (stat(p->path, &sb) < 0)
		return -1;
	pthread_mutex_lock(&p->mu);
	if (sb.st_dev != p->dev || sb.st_ino != p->ino) {
		pool_drop_idle(p);
		p->dev = sb.st_dev;
		p->ino = sb.st_ino;
		p->gen++;
	}
	*gen = p->gen;
	while (p->nidle > 0 && *b == NULL) {
		p->nidle--;
		if (p->idle_gen[p->nidle] == p->gen)
			*b = p->idle[p->nidle];
		else
			bayes_close(&p->idle[p->nidle]);
	}
	pthread_mutex_unlock(&p->mu);
	return 0;
}

static void
pool_give(struct sp_bayes_pool *p, struct bayes *b, unsigned gen)
{
	pthread_mutex_lock(&p->mu);
	if (gen == p->gen && p->nidle < POOL_MAX) {
		p->idle_gen[p->nidle] = gen;
		p->idle[p->nidle++] = b;
		b = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	bayes_close(&b);
}

double
sp_bayes_prob(struct sp_bayes_pool *p, const struct sp_view *v)
{
	struct bayes_tokens t = {NULL, 0};
	struct bayes *b;
	unsigned gen;
	char err[256];
	double r = -1;

	if (p == NULL || pool_take(p, &b, &gen) < 0)
		return -1;
	if (b == NULL && bayes_open(p->path, 0, &b, err, sizeof(err)) < 0)
		return -1;
	if (bayes_tokenize(v, &t) == 0)
		r = bayes_score(b, &t);
	bayes_tokens_clear(&t);
	pool_give(p, b, gen);
	return r;
}
