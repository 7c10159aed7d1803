/* lib/milter/pool.c - allocation pool freed in one go; see pool.h.
 * Allocations are carved from blocks of MLT_POOL_BLOCK bytes chained on a
 * list; one larger than a quarter block gets a chunk of its own. One
 * calloc() per allocation cost 5% of facteur-milter's CPU (20-odd header
 * fields and macros per message, each two strings). Under AddressSanitizer
 * every allocation is still its own calloc(), so ASan sees each overflow. */
#include "pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* pool_test.c includes this file with MLT_POOL_ONE_BY_ONE 0, so the
 * blocks are tested in the sanitizer build too. */
#ifndef MLT_POOL_ONE_BY_ONE
#if defined(__SANITIZE_ADDRESS__)
#define MLT_POOL_ONE_BY_ONE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MLT_POOL_ONE_BY_ONE 1
#endif
#endif
#endif
#ifndef MLT_POOL_ONE_BY_ONE
#define MLT_POOL_ONE_BY_ONE 0
#endif

#define MLT_POOL_BLOCK ((size_t)4096)
#define MLT_POOL_ALIGN (_Alignof(max_align_t))

struct mlt_pool_chunk {
	struct mlt_pool_chunk *next;
	size_t cap, off; /* bytes of data, bytes carved */
	max_align_t data[];
};

static struct mlt_pool_chunk *
pool_chunk(size_t cap)
{
	struct mlt_pool_chunk *c;

	if ((c = calloc(1, sizeof(*c) + cap)) == NULL)
		return NULL;
	c->cap = cap;
	return c;
}

void *
mlt_pool_alloc(struct mlt_pool *p, size_t n)
{
	size_t max = p->max ? p->max : MLT_POOL_DEFAULT_MAX;
	size_t want =
	    ((n ? n : 1) + MLT_POOL_ALIGN - 1) & ~(MLT_POOL_ALIGN - 1);
	struct mlt_pool_chunk *c = p->head;
	void *r;

	if (n > max || p->used > max - n)
		return NULL;
	if (c == NULL || MLT_POOL_ONE_BY_ONE || c->cap - c->off < want) {
		if (MLT_POOL_ONE_BY_ONE || want > MLT_POOL_BLOCK / 4) {
			/* its own chunk, behind the block being carved */
			if ((c = pool_chunk(want)) == NULL)
				return NULL;
			c->off = want;
			if (p->head != NULL && !MLT_POOL_ONE_BY_ONE) {
				c->next = p->head->next;
				p->head->next = c;
			} else {
				c->next = p->head;
				p->head = c;
			}
			p->used += n;
			return c->data;
		}
		if ((c = pool_chunk(MLT_POOL_BLOCK)) == NULL)
			return NULL;
		c->next = p->head;
		p->head = c;
	}
	r = (char *)c->data + c->off;
	c->off += want;
	p->used += n;
	return r;
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
