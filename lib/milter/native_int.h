/* lib/milter/native_int.h - a native connection's state, shared by
 * native.c (the protocol) and native_serve.c (threads, drain). Internal
 * to lib/milter. */
#ifndef FACTEUR_LIB_MILTER_NATIVE_INT_H
#define FACTEUR_LIB_MILTER_NATIVE_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "runner.h"

#define NC_NSLOTS 7
#define NC_MAX_MACROS 64

struct nc_macros {
	struct buf b;                    /* a copy of the name/value bytes */
	const char *v[NC_MAX_MACROS * 2]; /* into b */
	size_t n;                        /* strings in v: 0 = none */
};

struct nconn {
	const struct mlt_chain *ch;
	int fd;
	struct buf in;          /* read buffer: in.data[off..in.len) unread */
	size_t off;
	struct buf out;         /* answers not yet written */
	struct buf reply;       /* "code xcode text" from setreply, or "" */
	struct buf pending;     /* the packet answering a decided phase */
	uint32_t actions;       /* negotiated SMFIF_* */
	uint32_t proto;         /* negotiated SMFIP_* */
	int leadspc;
	int negotiated;
	int skip_msg;           /* decided inside the message: skip to its end */
	int conn_refused;       /* decided at connect/helo: for good */
	void *priv;             /* the glue's struct mlt_conn */
	struct nc_macros mac[NC_NSLOTS];
	atomic_int in_msg;      /* between MAIL and eom/abort (for drain) */
};

/* Initialises c for fd; frees with nc_free(). */
void nc_init(struct nconn *c, const struct mlt_chain *ch, int fd);
void nc_free(struct nconn *c);
/* Runs the connection until it ends; returns with fd still open. *stop
 * is polled after each message: when set, the connection closes between
 * messages. */
void nc_run(struct nconn *c, long long timeout_ms, const atomic_int *stop);

#endif
