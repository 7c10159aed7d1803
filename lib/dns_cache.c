/* lib/dns_cache.c - the TTL cache behind dns_query().
 *
 * Chained hash buckets for lookup plus one doubly linked list in use
 * order: a hit moves the entry to the front, a full cache drops the
 * back. Expired entries are dropped when met (a hit that finds one) or
 * when they reach the back; nothing sweeps, so the cost stays O(1) per
 * call. Keys are normalised by the caller (lowercase, no trailing dot).
 *
 * SECURITY: holds copies of DNS answers (untrusted bytes, already parsed
 * and bounded by lib/dns.c); the entry count is capped so a flood of
 * distinct names cannot grow memory without bound. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_cache.h"

struct dns_centry {
	struct dns_centry *hnext;	/* bucket chain */
	struct dns_centry *prev, *next; /* use order; head = newest */
	char *name;
	enum dns_type type;
	uint64_t hash;
	long long expires; /* ms on the cache clock */
	struct dns_answer ans;
};

struct dns_cache {
	pthread_mutex_t lock;
	struct dns_centry **buckets;
	size_t nbuckets; /* a power of two */
	struct dns_centry *head, *tail;
	size_t n, max;
	long long (*now)(void *);
	void *now_arg;
};

static long long
cache_monotonic_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a over the name, then the type. */
static uint64_t
cache_hash(const char *name, enum dns_type type)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	h ^= (uint64_t)type;
	h *= 1099511628211ULL;
	return h;
}

int
dns_cache_new(size_t max, long long (*now)(void *), void *now_arg,
	      struct dns_cache **out)
{
	struct dns_cache *c;
	size_t nb = 16;

	*out = NULL;
	if (max == 0)
		max = 10000;
	if (max > (size_t)1 << 24)
		max = (size_t)1 << 24;
	while (nb < max)
		nb <<= 1;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -1;
	c->buckets = calloc(nb, sizeof(*c->buckets));
	if (c->buckets == NULL || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->buckets);
		free(c);
		return -1;
	}
	c->nbuckets = nb;
	c->max = max;
	c->now = now != NULL ? now : cache_monotonic_ms;
	c->now_arg = now_arg;
	*out = c;
	return 0;
}

static void
entry_free(struct dns_centry *e)
{
	dns_answer_clear(&e->ans);
	free(e->name);
	free(e);
}

/* Unlinks e from its bucket and the use list; caller frees. */
static void
cache_unlink(struct dns_cache *c, struct dns_centry *e)
{
	struct dns_centry **pp;

	pp = &c->buckets[e->hash & (c->nbuckets - 1)];
	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	c->n--;
}

static void
cache_push_front(struct dns_cache *c, struct dns_centry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

/* Moves e to the front of the use list (most recently used). */
static void
cache_touch(struct dns_cache *c, struct dns_centry *e)
{
	if (c->head == e)
		return;
	e->prev->next = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	cache_push_front(c, e);
}

void
dns_cache_free(struct dns_cache **cp)
{
	struct dns_cache *c = *cp;
	struct dns_centry *e, *next;

	if (c == NULL)
		return;
	for (e = c->head; e != NULL; e = next) {
		next = e->next;
		entry_free(e);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->buckets);
	free(c);
	*cp = NULL;
}

static struct dns_centry *
cache_find(struct dns_cache *c, const char *name, enum dns_type type,
	   uint64_t h)
{
	struct dns_centry *e;

	for (e = c->buckets[h & (c->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && e->type == type &&
		    strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/* Deep copy of an answer; dst is overwritten. 0 or -1 (dst cleared). */
static int
answer_copy(struct dns_answer *dst, const struct dns_answer *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->status = src->status;
	dst->ttl = src->ttl;
	memcpy(dst->error, src->error, sizeof(dst->error));
	if (src->nrrs == 0)
		return 0;
	dst->rrs = calloc(src->nrrs, sizeof(*dst->rrs));
	dst->lens = calloc(src->nrrs, sizeof(*dst->lens));
	if (dst->rrs == NULL || dst->lens == NULL)
		goto fail;
	for (i = 0; i < src->nrrs; i++) {
		dst->rrs[i] = malloc(src->lens[i] + 1);
		if (dst->rrs[i] == NULL)
			goto fail;
		dst->nrrs = i + 1;
		memcpy(dst->rrs[i], src->rrs[i], src->lens[i] + 1);
		dst->lens[i] = src->lens[i];
	}
	return 0;
fail:
	dns_answer_clear(dst);
	return -1;
}

int
dns_cache_get(struct dns_cache *c, const char *name, enum dns_type type,
	      struct dns_answer *out)
{
	struct dns_centry *e;
	uint64_t h = cache_hash(name, type);
	long long now;
	int hit = 0;

	pthread_mutex_lock(&c->lock);
	now = c->now(c->now_arg);
	e = cache_find(c, name, type, h);
	if (e != NULL && e->expires <= now) {
		cache_unlink(c, e);
		entry_free(e);
		e = NULL;
	}
	if (e != NULL && answer_copy(out, &e->ans) == 0) {
		out->ttl = (unsigned)((e->expires - now + 999) / 1000);
		cache_touch(c, e);
		hit = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

int
dns_cache_put(struct dns_cache *c, const char *name, enum dns_type type,
	      const struct dns_answer *ans, unsigned ttl)
{
	struct dns_centry *e, *old;
	uint64_t h = cache_hash(name, type);

	if (ttl == 0)
		return 0;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -1;
	e->name = strdup(name);
	if (e->name == NULL || answer_copy(&e->ans, ans) != 0) {
		free(e->name);
		free(e);
		return -1;
	}
	e->type = type;
	e->hash = h;
	pthread_mutex_lock(&c->lock);
	e->expires = c->now(c->now_arg) + (long long)ttl * 1000;
	old = cache_find(c, name, type, h);
	if (old != NULL) {
		cache_unlink(c, old);
		entry_free(old);
	}
	while (c->n >= c->max && c->tail != NULL) {
		old = c->tail;
		cache_unlink(c, old);
		entry_free(old);
	}
	e->hnext = c->buckets[h & (c->nbuckets - 1)];
	c->buckets[h & (c->nbuckets - 1)] = e;
	cache_push_front(c, e);
	c->n++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

size_t
dns_cache_count(struct dns_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->n;
	pthread_mutex_unlock(&c->lock);
	return n;
}
