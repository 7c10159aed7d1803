/* lib/milter/pool.h - a per-message / per-connection allocation pool.
 *
 * Every allocation is freed at once by mlt_pool_free(): the message pool at
 * eom/abort, the connection pool at close. The pool has a byte ceiling so a
 * hostile peer cannot grow it without bound. Not thread-safe per pool. */
#ifndef FACTEUR_LIB_MILTER_POOL_H
#define FACTEUR_LIB_MILTER_POOL_H

#include <stddef.h>

struct mlt_pool_chunk;

struct mlt_pool {
	struct mlt_pool_chunk *head; /* owned */
	size_t used;		     /* bytes handed out */
	size_t max;		     /* 0 = MLT_POOL_DEFAULT_MAX */
};

#define MLT_POOL_DEFAULT_MAX ((size_t)16 << 20)

static inline void
mlt_pool_init(struct mlt_pool *p, size_t max)
{
	p->head = NULL;
	p->used = 0;
	p->max = max;
}

/* Zeroed memory from the pool, or NULL on ENOMEM or past max. */
__attribute__((warn_unused_result)) void *mlt_pool_alloc(struct mlt_pool *p,
							 size_t n);
/* Copies s[0..n) and NUL-terminates; NULL on failure. */
__attribute__((warn_unused_result)) char *
mlt_pool_strndup(struct mlt_pool *p, const char *s, size_t n);
__attribute__((warn_unused_result)) char *mlt_pool_strdup(struct mlt_pool *p,
							  const char *s);
/* Frees everything; the pool can be used again. */
void mlt_pool_free(struct mlt_pool *p);

#endif
