/* lookup/lk_server.c - facteur-lookup's listeners, shared context and
 * serve() callback on lib/server; see lk_server.h.
 *
 * Postfix keeps a socketmap or policy connection open and reuses it, so a
 * connection is served by one worker until it ends, with one store from
 * the pool (lk_conn.c): at most max_clients stores are open. Giving it
 * back after each request (no handle held by idle connections) took two
 * more pool locks per query and measured no better in bench/lookup.sh. */
#include "lk_server.h"

#include <stdio.h>
#include <string.h>

#include "server.h"
#include "store_pool.h"

static int
lk_listen_tcp(struct server *srv, const char *spec, int tag, char *err,
	      size_t errlen)
{
	struct lk_tcp_addr a;

	if (lk_tcp_parse(spec, &a, err, errlen) < 0)
		return -1;
	return srv_listen_inet(srv, (const struct sockaddr *)&a.ss, a.len, spec,
			       tag, err, errlen);
}

int
lk_service_listen(struct server *srv, const struct lk_settings *cfg, char *err,
		  size_t errlen)
{
	if (*cfg->socket &&
	    srv_listen_unix(srv, cfg->socket, cfg->mode, (uid_t)-1, (gid_t)-1,
			    LK_PROTO_SOCKETMAP, err, errlen) < 0)
		return -1;
	if (*cfg->tcp &&
	    lk_listen_tcp(srv, cfg->tcp, LK_PROTO_SOCKETMAP, err, errlen) < 0)
		return -1;
	if (*cfg->policy_socket &&
	    srv_listen_unix(srv, cfg->policy_socket, cfg->mode, (uid_t)-1,
			    (gid_t)-1, LK_PROTO_POLICY, err, errlen) < 0)
		return -1;
	if (*cfg->policy_tcp && lk_listen_tcp(srv, cfg->policy_tcp,
					      LK_PROTO_POLICY, err, errlen) < 0)
		return -1;
	return 0;
}

int
lk_service_open(struct lk_service *svc, const struct lk_settings *cfg,
		const char *db_path, long long busy_ms, char *err,
		size_t errlen)
{
	struct store_errbuf e;
	struct store *st;

	memset(svc, 0, sizeof(*svc));
	svc->cfg = cfg;
	svc->qc.delims = cfg->recipient_delimiter;
	svc->qc.null_key = cfg->null_access_lookup_key;
	if (store_pool_new(db_path, busy_ms, (size_t)cfg->max_clients,
			   &svc->pool) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e.msg[0] = '\0';
	if ((st = store_pool_get(svc->pool, &e)) == NULL) {
		snprintf(err, errlen, "%s: %s", db_path, e.msg);
		return -1;
	}
	store_pool_put(svc->pool, &st);
	return 0;
}

void
lk_service_close(struct lk_service *svc)
{
	store_pool_free(&svc->pool);
}

void
lk_service_serve(struct srv_conn *c, void *ctx)
{
	struct lk_service *svc = ctx;

	if (srv_conn_tag(c) == LK_PROTO_POLICY)
		lk_conn_policy(svc, c);
	else
		lk_conn_socketmap(svc, c);
}
