/* lookup/lk_server.h - facteur-lookup's service on the server skeleton
 * (lib/server.h): its listeners, its shared context (settings, query
 * configuration, the pool of read-only stores) and its serve() callback,
 * which hands each connection to the socketmap or the policy loop
 * (lk_conn.c). Slots, deadlines, eviction, signals and the privilege drop
 * are lib/server's: see facteur-lookup(8) "LIMITS".
 *
 * Dependencies run one way: main.c -> lk_server.c -> lk_conn.c; lk_conn.c
 * (lk_conn.h: struct lk_service and the two loops) knows nothing of this
 * file.
 *
 * SECURITY: lk_service_listen() runs as root (Postfix's private/ is
 * root/postfix-owned); the database is opened after the privilege drop. */
#ifndef FACTEUR_LOOKUP_LK_SERVER_H
#define FACTEUR_LOOKUP_LK_SERVER_H

#include <stddef.h>

#include "lk_conf.h"
#include "lk_conn.h"

struct server;
struct srv_conn;

/* Listener tags. */
enum lk_proto { LK_PROTO_SOCKETMAP, LK_PROTO_POLICY };

/* Binds every configured listener of cfg on srv (unix sockets get
 * cfg->mode; a stale socket is replaced, a live one is an error). 0, or
 * -1 with err. */
__attribute__((warn_unused_result)) int
lk_service_listen(struct server *srv, const struct lk_settings *cfg, char *err,
		  size_t errlen);

/* Fills svc and opens one store to check the database is usable (it is
 * pooled). 0, or -1 with err. */
__attribute__((warn_unused_result)) int
lk_service_open(struct lk_service *svc, const struct lk_settings *cfg,
		const char *db_path, long long busy_ms, char *err,
		size_t errlen);

void lk_service_close(struct lk_service *svc);

/* The srv_ops.serve callback; ctx is a struct lk_service. */
void lk_service_serve(struct srv_conn *c, void *ctx);

#endif
