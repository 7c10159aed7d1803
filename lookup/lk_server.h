/* lookup/lk_server.h - the facteur-lookup daemon: listeners, one thread
 * per connection up to max_clients, a pool of read-only stores.
 *
 * SECURITY: the listeners are bound as root (the Postfix private/
 * directory is root/postfix-owned), then privileges are dropped before
 * the database is opened and before any byte from a client is read. */
#ifndef FACTEUR_LOOKUP_LK_SERVER_H
#define FACTEUR_LOOKUP_LK_SERVER_H

#include <pthread.h>

#include "lk_conf.h"
#include "lk_maps.h"

struct store;

#define LK_MAX_LISTENERS 4

struct lk_listener {
	int fd;
	int policy;	 /* 0 socketmap, 1 policy delegation */
	char *unix_path; /* owned; unlinked at exit when possible */
};

struct lk_pool_item;

struct lk_server {
	const struct lk_settings *cfg; /* borrowed */
	const char *db_path;	       /* borrowed */
	long long busy_ms;
	struct lk_query_cfg qc;
	struct lk_listener ls[LK_MAX_LISTENERS];
	size_t nls;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int nconn;
	int *conn_fds; /* max_clients slots, -1 = free */
	struct lk_pool_item *idle;
	int wake[2]; /* self-pipe written by the signal handler */
};

/* Creates every configured listener (unix sockets with cfg->mode, stale
 * sockets replaced). 0, or -1 with err. */
__attribute__((warn_unused_result)) int
lk_server_listen(struct lk_server *srv, const struct lk_settings *cfg,
		 char *err, size_t errlen);

/* Opens one store to check the database is usable, keeps it pooled. */
__attribute__((warn_unused_result)) int
lk_server_open_db(struct lk_server *srv, const char *db_path, long long busy_ms,
		  char *err, size_t errlen);

/* Serves until SIGTERM / SIGINT, then closes every connection (bounded
 * wait) and frees everything. Returns 0 or -1. */
int lk_server_run(struct lk_server *srv);

void lk_server_free(struct lk_server *srv);

/* ---- used by the connection threads (lk_conn.c) ---- */

/* A pooled store, or a new one; NULL on failure (logged). */
struct store *lk_pool_get(struct lk_server *srv);
/* Returns st to the pool (bad: free it instead, e.g. after a DB error). */
void lk_pool_put(struct lk_server *srv, struct store *st, int bad);

void lk_conn_socketmap(struct lk_server *srv, int fd);
void lk_conn_policy(struct lk_server *srv, int fd);

#endif
