/* lib/store_pool.c - idle read-only stores kept for reuse (store_pool.h).
 * A mutex guards the stack; opening happens outside it. */
#include "store_pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct store_pool {
	pthread_mutex_t mu;
	char *path;
	long long busy_ms;
	struct store **idle;
	size_t nidle, max_idle;
};

int
store_pool_new(const char *path, long long busy_ms, size_t max_idle,
	       struct store_pool **out)
{
	struct store_pool *p;

	*out = NULL;
	if (max_idle == 0)
		max_idle = 16;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->busy_ms = busy_ms;
	p->max_idle = max_idle;
	if ((p->path = strdup(path)) == NULL ||
	    (p->idle = calloc(max_idle, sizeof(*p->idle))) == NULL ||
	    pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p->idle);
		free(p->path);
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void
store_pool_free(struct store_pool **pp)
{
	struct store_pool *p = *pp;

	if (p == NULL)
		return;
	while (p->nidle > 0)
		store_free(&p->idle[--p->nidle]);
	pthread_mutex_destroy(&p->mu);
	free(p->idle);
	free(p->path);
	free(p);
	*pp = NULL;
}

struct store *
store_pool_get(struct store_pool *p, struct store_errbuf *err)
{
	struct store *s = NULL;

	pthread_mutex_lock(&p->mu);
	if (p->nidle > 0) {
		s = p->idle[--p->nidle];
		p->idle[p->nidle] = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	if (s == NULL && store_open(p->path, STORE_RO, p->busy_ms, &s, err) < 0)
		return NULL;
	return s;
}

void
store_pool_put(struct store_pool *p, struct store **sp)
{
	struct store *s = *sp;

	*sp = NULL;
	if (s == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	if (p->nidle < p->max_idle) {
		p->idle[p->nidle++] = s;
		s = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	store_free(&s);
}
