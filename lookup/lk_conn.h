/* lookup/lk_conn.h - one facteur-lookup connection: the socketmap loop
 * and the policy delegation loop (lk_conn.c), over lib/server's
 * srv_conn_read/write, with the service context every connection shares.
 * The lower half of the service: lk_server.c (listeners, the store pool,
 * serve()) calls these and fills struct lk_service; nothing here knows
 * lk_server. */
#ifndef FACTEUR_LOOKUP_LK_CONN_H
#define FACTEUR_LOOKUP_LK_CONN_H

#include "lk_conf.h"
#include "lk_maps.h"

struct srv_conn;
struct store_pool;

struct lk_service {
	const struct lk_settings *cfg; /* borrowed */
	struct lk_query_cfg qc;	       /* strings borrowed from cfg */
	struct store_pool *pool;       /* owned */
};

/* One connection, until EOF, a deadline or an error; the caller (the
 * skeleton) closes it. svc is read only. */
void lk_conn_socketmap(struct lk_service *svc, struct srv_conn *c);
void lk_conn_policy(struct lk_service *svc, struct srv_conn *c);

#endif
