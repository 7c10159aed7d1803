/* lib/milter/native_serve.c - the native engine on lib/server: the
 * serve() the milter daemons hand the server skeleton; see native.h. The
 * protocol is native.c; binding, the worker pool, deadlines and signals
 * are lib/server's. This file only joins the two (one way: native.c
 * knows nothing of it).
 * SECURITY: runs in a worker thread after the privilege drop. */
#include "native.h"

#include <stdlib.h>

#include "log.h"
#include "native_int.h"
#include "server.h"

void
mlt_native_serve(struct srv_conn *sc, void *ctx)
{
	const struct mlt_native_ctx *nx = ctx;
	struct nconn *c;

	if ((c = malloc(sizeof(*c))) == NULL) {
		log_err("%s: out of memory", srv_conn_name(sc));
		return;
	}
	nc_init(c, nx->ch, -1, sc, nx->timeout_ms);
	nc_run(c);
	nc_free(c);
	free(c);
}
