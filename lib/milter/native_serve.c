/* lib/milter/native_serve.c - the native engine on lib/server: the
 * serve() the milter daemons hand the server skeleton; see native.h. The
 * protocol is native.c; binding, the worker pool, deadlines and signals
 * are lib/server's. This file only joins the two (one way: native.c
 * knows nothing of it).
 * SECURITY: runs in a worker thread after the privilege drop. */
#include "native.h"

#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "native_int.h"
#include "server.h"

/* Each worker thread keeps one connection state between connections
 * (nc_recycle): its malloc (~7 KiB, and malloc_consolidate with it) and
 * its buffers' were ~0.6% of facteur-milter's CPU through Postfix, which
 * opens a connection per SMTP session. Freed when the worker ends (the
 * server joins its workers at the stop). */
static pthread_key_t ns_key;
static pthread_once_t ns_once = PTHREAD_ONCE_INIT;
static int ns_key_ok;

static void
ns_drop(void *p)
{
	nc_free(p);
	free(p);
}

static void
ns_key_make(void)
{
	ns_key_ok = pthread_key_create(&ns_key, ns_drop) == 0;
}

void
mlt_native_serve(struct srv_conn *sc, void *ctx)
{
	const struct mlt_native_ctx *nx = ctx;
	struct nconn *c;

	(void)pthread_once(&ns_once, ns_key_make);
	if (ns_key_ok && (c = pthread_getspecific(ns_key)) != NULL)
		nc_reinit(c, nx->ch, -1, sc, nx->timeout_ms);
	else if ((c = malloc(sizeof(*c))) != NULL)
		nc_init(c, nx->ch, -1, sc, nx->timeout_ms);
	else {
		log_err("%s: out of memory", srv_conn_name(sc));
		return;
	}
	nc_run(c);
	if (ns_key_ok && (pthread_getspecific(ns_key) == c ||
			  pthread_setspecific(ns_key, c) == 0)) {
		nc_recycle(c);
		return;
	}
	nc_free(c);
	free(c);
}
