/* lib/milter/native.h - facteur's own milter protocol engine: the server
 * side of milter protocol 6 without libmilter, over the same glue
 * (glue.h), runner and filters.
 *
 * Why: libmilter reads each packet with poll+read+read and writes each
 * reply on its own, and it cannot tell the MTA that a phase needs no
 * answer. Here a connection reads whatever the socket holds into one
 * buffer and decodes every complete packet in it (lib/milter/proto.h),
 * asks the MTA not to wait for replies (SMFIP_NR_*) at every phase no
 * filter of the chain can refuse at (struct mlt_filter.no_reply, or a
 * NULL callback), and writes all of a message's edits and its final
 * answer with one write.
 *
 * A phase without a reply still runs the filters: an ACCEPT, REJECT,
 * TEMPFAIL or DISCARD decided there (an internal error with on_error =
 * tempfail, a limit) is kept and answered at the next phase the MTA waits
 * for, end of message at the latest; the events in between are not given
 * to the filters. At connect/helo such a refusal holds for the rest of
 * the connection.
 *
 * Threads and deadlines are lib/server's (server.h): the daemon
 * (daemon.c) binds through it and gives mlt_native_serve() as serve();
 * a connection holds one of MLT_NATIVE_MAX_CONNS slots and is served by
 * a pooled worker thread (filters block in DNS and SQLite, as under
 * libmilter, so an event loop would stall every connection behind one
 * lookup). A connection's state is touched by its worker only.
 * Between messages a connection is idle for the server: at most
 * `timeout` (idle_ms), evicted first when every slot is taken, closed at
 * once at a stop. From a message's first packet to its end the MTA may
 * be silent `timeout` per packet (the deadline moves with each read, as
 * libmilter's timeout does: Postfix bounds its own SMTP client), and the
 * answer is written within `timeout` of the last packet. At a stop a
 * message under way may finish within the drain (the timeout, 30 s at
 * most); the server joins every worker (thread-exit destructors done:
 * OpenSSL's, ldns') before mlt_main frees the filters.
 *
 * Hostile input: a length over MLT_PROTO_MAX_PACKET, a payload that does
 * not decode or an unknown command closes the connection with one log
 * line. */
#ifndef FACTEUR_LIB_MILTER_NATIVE_H
#define FACTEUR_LIB_MILTER_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#include "runner.h"
#include "seam.h"

#define MLT_NATIVE_MAX_CONNS 1024

/* The seam over a native connection (handle: its state). */
extern const struct mlt_seam mlt_seam_native;

/* SMFIP_NR_* bits (proto.h MLT_P_NR_*) for the phases at which no filter
 * of the chain may refuse: what the engine asks for when offered. EOH
 * waits all the same when no filter reads the body or end of message (an
 * ACCEPT there then spares the MTA the body). Pure. */
uint32_t mlt_native_nr_flags(const struct mlt_chain *ch);

/* Serves one connected blocking socket until the MTA quits or an error
 * (SO_RCVTIMEO / SO_SNDTIMEO = timeout_ms, 0 = none); closes fd. The
 * chain's seam must be &mlt_seam_native. For tests, over a socketpair. */
void mlt_native_conn(const struct mlt_chain *ch, int fd, long long timeout_ms);

struct srv_conn;

/* What mlt_native_serve() is given as the server's ctx. */
struct mlt_native_ctx {
	const struct mlt_chain *ch; /* seam &mlt_seam_native */
	long long timeout_ms;	    /* see above; 0 = none */
};

/* lib/server's serve(): one MTA connection on a server slot, until the
 * MTA quits, an error, a deadline or the stop. ctx: struct
 * mlt_native_ctx. The server closes the fd. */
void mlt_native_serve(struct srv_conn *sc, void *ctx);

#endif
