/* lib/milter/native_int.h - a native connection's state, shared by
 * native.c (the protocol) and native_serve.c (threads, drain). Internal
 * to lib/milter. */
#ifndef FACTEUR_LIB_MILTER_NATIVE_INT_H
#define FACTEUR_LIB_MILTER_NATIVE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "runner.h"

struct srv_conn;

#define NC_NSLOTS 7
#define NC_MAX_MACROS 64
#define NC_NBUFS (4 + NC_NSLOTS)
#define NC_KEEP_MAX ((size_t)64 << 10)

struct nc_macros {
	struct buf b;			  /* a copy of the name/value bytes */
	const char *v[NC_MAX_MACROS * 2]; /* into b */
	size_t n;			  /* strings in v: 0 = none */
};

struct nconn {
	const struct mlt_chain *ch;
	int fd;
	struct srv_conn *sc;  /* lib/server's slot, or NULL: plain fd */
	long long timeout_ms; /* MTA silence inside a message; 0 none */
	struct buf in;	      /* read buffer: in.data[off..in.len) unread */
	size_t off;
	struct buf out;	    /* answers not yet written */
	struct buf reply;   /* "code xcode text" from setreply, or "" */
	struct buf pending; /* the packet answering a decided phase */
	uint32_t actions;   /* negotiated SMFIF_* */
	uint32_t proto;	    /* negotiated SMFIP_* */
	int leadspc;
	int negotiated;
	int skip_msg;	  /* decided inside the message: skip to its end */
	int conn_refused; /* decided at connect/helo: for good */
	void *priv;	  /* the glue's struct mlt_conn */
	struct nc_macros mac[NC_NSLOTS];
	int in_msg; /* between MAIL and eom/abort: busy, for the
		       server (idle between messages) */
};

/* Initialises c for fd, or for lib/server's sc when not NULL (its fd);
 * frees with nc_free(). timeout_ms: see native.h. */
void nc_init(struct nconn *c, const struct mlt_chain *ch, int fd,
	     struct srv_conn *sc, long long timeout_ms);
void nc_free(struct nconn *c);
/* Ends c's connection as nc_free does but keeps its buffers (those not
 * grown past NC_KEEP_MAX, emptied) for nc_reinit: a worker thread reuses
 * one state instead of allocating ~7 KiB and its buffers per connection. */
void nc_recycle(struct nconn *c);
/* nc_init for a c that nc_recycle ended: its buffers are kept. */
void nc_reinit(struct nconn *c, const struct mlt_chain *ch, int fd,
	       struct srv_conn *sc, long long timeout_ms);
/* Runs the connection until it ends; returns with fd still open. On a
 * server slot it tells the server where messages begin and end
 * (srv_conn_idle between them), and ends between messages once the
 * server stops. */
void nc_run(struct nconn *c);

#endif
