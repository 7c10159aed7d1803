/* lib/milter/pool.c - allocation pool freed in one go; see pool.h.
 * Each allocation is its own malloc() chained on a list: simple, and ASan
 * still sees every overflow. */
#include "pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct mlt_pool_chunk {
	struct mlt_pool_chunk *next;
	max_align_t data[];
};

void *
mlt_pool_alloc(struct mlt_pool *p, size_t n)
{
	size_t max = p->max ? p->max : MLT_POOL_DEFAULT_MAX;
	struct mlt_pool_chunk *c;

	if (n > max || p->used > max - n)
		return NULL;
	if ((c = calloc(1, sizeof(*c) + (n ? n : 1))) == NULL)
		return NULL;
	c->next = p->head;
	p->head = c;
	p->used += n;
	return c->data;
}

char *
mlt_pool_strndup(struct mlt_pool *p, const char *s, size_t n)
{
	char *d;

	if (n == SIZE_MAX || (d = mlt_pool_alloc(p, n + 1)) == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
mlt_pool_strdup(struct mlt_pool *p, const char *s)
{
	return mlt_pool_strndup(p, s, strlen(s));
}

void
mlt_pool_free(struct mlt_pool *p)
{
	struct mlt_pool_chunk *c, *next;

	for (c = p->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	p->head = NULL;
	p->used = 0;
}
