/* lib/store_pool.h - a stack of idle read-only stores on one database,
 * shared by a daemon's threads. A milter gets one milter connection per
 * SMTP session, and opening a store (plus what hangs off it: prepared
 * statements, lib/access.c's parsed IP/CIDR rows) costs more than the
 * checks it then runs; a store given back is reused by the next session.
 * A reused store sees every change: its reads are transactions, and the
 * caches over it reload on PRAGMA data_version (access.h). */
#ifndef FACTEUR_LIB_STORE_POOL_H
#define FACTEUR_LIB_STORE_POOL_H

#include <stddef.h>

#include "store.h"

struct store_pool;

/* A pool of STORE_RO stores on path (nothing is opened yet), keeping at
 * most max_idle idle ones (0 = 16). 0, or -1 (ENOMEM). */
__attribute__((warn_unused_result)) int store_pool_new(const char *path,
						       long long busy_ms,
						       size_t max_idle,
						       struct store_pool **out);
/* Closes the idle stores; the ones still out must have been put back or
 * freed by their holders. */
void store_pool_free(struct store_pool **p);
/* An idle store, or a newly opened one; NULL with err. Thread-safe. */
struct store *store_pool_get(struct store_pool *p, struct store_errbuf *err);
/* Gives *s back (or frees it when the pool is full); *s becomes NULL.
 * Thread-safe. */
void store_pool_put(struct store_pool *p, struct store **s);

#endif
