/* admin/selftest.h - the client connections of 'facteur selftest'
 * (selftest_net.c): SMTP and IMAP over TCP, with STARTTLS. Private to
 * admin/selftest*.c. Not thread-safe. */
#ifndef FACTEUR_ADMIN_SELFTEST_H
#define FACTEUR_ADMIN_SELFTEST_H

#include <stdarg.h>
#include <stddef.h>

#include "buf.h"

struct ssl_st;
struct ssl_ctx_st;

struct st_conn {
	int fd;
	struct ssl_st *ssl; /* after st_starttls */
	struct ssl_ctx_st *ctx;
	struct buf in; /* read, not yet consumed */
};

/* Connects to HOST:PORT ("[::1]:587"), reads and writes time out after
 * timeout_s. 0, or -1 with err. */
int st_open(struct st_conn *c, const char *hostport, int timeout_s, char *err,
	    size_t errlen);
void st_close(struct st_conn *c);
/* TLS on the open connection, certificate not verified (loopback). */
int st_starttls(struct st_conn *c, char *err, size_t errlen);
int st_send(struct st_conn *c, const char *p, size_t n);
int st_sendf(struct st_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reads one SMTP reply; its lines joined by " | " into text. Returns
 * the code, or -1 (closed, timeout). */
int st_smtp_reply(struct st_conn *c, char *text, size_t len);
/* Reads IMAP lines up to the one tagged tag (kept last in out). 0 when
 * it is OK, -1 otherwise. */
int st_imap(struct st_conn *c, const char *tag, struct buf *out);

#endif
