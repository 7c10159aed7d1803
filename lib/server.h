/* lib/server.h - the one server skeleton under every facteur daemon, in the
 * spirit of Postfix's single_server: bind the listeners, drop privileges,
 * then accept connections into a bounded set of slots, each served by a
 * pooled worker thread that calls the program's serve(conn, ctx).
 *
 * The order of a daemon's main():
 *   srv_new()  srv_listen_unix() / srv_listen_inet() ...  (as root)
 *   srv_drop_privileges()                                  (lib/privdrop)
 *   open the database, keys ...                            (as the user)
 *   srv_run()  (until SIGTERM / SIGINT)   srv_free()
 *
 * One slot accounting for every listener: a connection holds one of
 * lim.max_conns slots from accept() to close(); a listener is polled only
 * while a slot can be had, and a slot is taken under the lock or the
 * accept does not happen. There is no second count to get wrong.
 *
 * One deadline policy, kept by srv_conn_read() / srv_conn_write():
 *   - a request has lim.request_ms from its first byte to the end of its
 *     answer, however the bytes trickle in (no per-byte timer to restart);
 *   - between requests a connection may stay idle lim.idle_ms;
 *   - when every slot is taken and a client waits, the connection idle
 *     longest is closed to make room (a client between requests loses
 *     nothing: Postfix's clients reconnect and retry); if no connection
 *     is idle the newcomer waits in the listen queue, at most until the
 *     oldest request reaches its deadline.
 * A request whose deadline passed is also shut down by the accept thread
 * (a backstop for a serve() stuck outside srv_conn_read/write).
 *
 * What a "request" is belongs to the protocol, told through
 * srv_conn_idle() / srv_conn_next(): a socketmap netstring or a policy
 * attribute list (facteur-lookup); for the daemons that move here later,
 * one LMTP command and its reply (DATA's body and each recipient's
 * delivery get bounds of their own through srv_conn_deadline()), one milter
 * message from MAIL to end-of-message (idle between messages, when
 * Postfix keeps the connection for the next one). A session protocol
 * that greets first (LMTP 220) writes before its first request: the
 * write is bounded by request_ms from then.
 *
 * Signals: SIGTERM and SIGINT stop (listeners closed, idle connections
 * closed at once, busy ones get lim.drain_ms, then shut down); SIGHUP
 * calls ops.reload, or stops when ops.hup_stops, or is logged and
 * ignored. SIGPIPE is ignored. One struct server per process.
 *
 * SECURITY: srv_listen_* run as root (the socket directories are
 * root- or postfix-owned); srv_drop_privileges() must come before
 * srv_run(), which refuses to serve as root unless allow_root. */
#ifndef FACTEUR_LIB_SERVER_H
#define FACTEUR_LIB_SERVER_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct server;
struct srv_conn;

struct srv_limits {
	size_t max_conns;     /* slots, 0 = 64 */
	long long request_ms; /* first byte to answer, 0 = 10 s */
	long long idle_ms;    /* between requests, 0 = 300 s */
	long long drain_ms;   /* at stop, for busy requests, 0 = 5 s */
	int backlog;	      /* listen(2), 0 = 128 */
};

struct srv_ops {
	/* Serves one connection until it returns; the skeleton then closes
	 * the fd. Runs in a worker thread: ctx is shared by all of them. */
	void (*serve)(struct srv_conn *c, void *ctx);
	/* SIGHUP, in the accept thread; NULL: see hup_stops. */
	void (*reload)(void *ctx);
	int hup_stops;	/* with reload NULL: SIGHUP stops like SIGTERM */
	int allow_root; /* srv_run() may serve as uid 0 (tests, "user =") */
};

/* A server with no listener yet. 0, or -1 with err. The limits are
 * copied. */
__attribute__((warn_unused_result)) int srv_new(const struct srv_limits *lim,
						const struct srv_ops *ops,
						void *ctx, struct server **out,
						char *err, size_t errlen);

/* Frees srv (listeners closed, unix sockets unlinked when the file is
 * still the one bound, not a newer instance's); *srvp = NULL.
 * Returns 0, or 1 if workers were still busy after srv_run() gave up on
 * them: srv is then left to exit(3), and so must be what serve() uses. */
int srv_free(struct server **srvp);

/* Binds a unix socket at path: a stale socket (no one answers) is
 * replaced, a live one or any other file is an error. mode is applied,
 * and the owner when uid/gid are not (uid_t)-1 / (gid_t)-1. tag is what
 * srv_conn_tag() returns for its connections. 0, or -1 with err. */
__attribute__((warn_unused_result)) int
srv_listen_unix(struct server *srv, const char *path, unsigned mode, uid_t uid,
		gid_t gid, int tag, char *err, size_t errlen);

/* The stale-socket rule of srv_listen_unix, for a program whose protocol
 * library binds its own socket (libmilter): nothing at path, or a socket
 * no one answers on (removed), is 0; a live socket or another file is -1
 * with err. */
__attribute__((warn_unused_result)) int
srv_unix_clear_stale(const char *path, char *err, size_t errlen);

/* Binds a TCP listener (SO_REUSEADDR; TCP_NODELAY on its connections).
 * name is for logs ("127.0.0.1:10044"). 0, or -1 with err. */
__attribute__((warn_unused_result)) int
srv_listen_inet(struct server *srv, const struct sockaddr *sa, socklen_t len,
		const char *name, int tag, char *err, size_t errlen);

/* priv_drop(user, group) (lib/privdrop.h: names or numeric ids). An empty
 * user keeps the current one. 0, or -1 with err. */
__attribute__((warn_unused_result)) int
srv_drop_privileges(struct server *srv, const char *user, const char *group,
		    char *err, size_t errlen);

/* Accepts and serves until SIGTERM / SIGINT (or SIGHUP with hup_stops).
 * Returns once every worker thread has ended and been joined (its
 * thread-exit destructors done), or after the drain with a worker still
 * busy (srv_free then says so). 0, or -1 with err (no listener, root
 * without allow_root, poll). */
__attribute__((warn_unused_result)) int srv_run(struct server *srv, char *err,
						size_t errlen);

/* ---- for serve(): the connection ---- */

/* The connection's fd (non-blocking; use srv_conn_read/write). */
int srv_conn_fd(const struct srv_conn *c);
/* The tag of the listener it came from. */
int srv_conn_tag(const struct srv_conn *c);
/* "slot N on LISTENER", for log lines; borrowed until serve returns. */
const char *srv_conn_name(const struct srv_conn *c);

enum srv_io {
	SRV_IO_EOF = 0,	      /* the peer closed */
	SRV_IO_DEADLINE = -1, /* request or idle deadline passed (logged) */
	SRV_IO_ERROR = -2,    /* I/O error, evicted while idle, server stops */
};

/* Reads up to len bytes (> 0). While the connection is idle (before the
 * first byte of a request) it waits up to idle_ms, and its first byte
 * starts the request's deadline; inside a request it waits until that
 * deadline. Returns the count read, or an enum srv_io. */
__attribute__((warn_unused_result)) ssize_t
srv_conn_read(struct srv_conn *c, void *buf, size_t len);

/* Writes all of p[0..len) before the request's deadline (or request_ms
 * from now when idle). 0, or an enum srv_io (< 0). */
__attribute__((warn_unused_result)) int
srv_conn_write(struct srv_conn *c, const void *p, size_t len);

/* The request is answered: the connection is idle again (its idle time
 * starts now and it may be evicted). Call it only when no byte of the
 * next request has been read yet; with bytes already buffered, call
 * srv_conn_next() instead. */
void srv_conn_idle(struct srv_conn *c);

/* The request is answered and the next one's bytes are already read:
 * its deadline starts now. */
void srv_conn_next(struct srv_conn *c);

/* Inside a request: its deadline becomes ms from now, longer or shorter
 * than request_ms, for a part of the protocol with a bound of its own
 * (LMTP's DATA: the message body, then each recipient's delivery). The
 * next request gets request_ms again. Ignored while idle. */
void srv_conn_deadline(struct srv_conn *c, long long ms);

/* 1 once the server is stopping (SIGTERM): a session protocol may say
 * goodbye (LMTP's 421) when srv_conn_read() then fails. At the stop an
 * idle connection's read side is shut down, not its write side, so that
 * goodbye can still be written (bounded by request_ms). */
int srv_conn_stopping(const struct srv_conn *c);

#endif
