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
 * Threads: one per connection, at most MLT_NATIVE_MAX_CONNS at once
 * (then the listener waits): filters block in DNS and SQLite, as under
 * libmilter, so an event loop would stall every connection behind one
 * lookup. A connection's state is touched by its thread only. The
 * listener joins each thread once it has ended, so its slot counts until
 * the thread's exit destructors (OpenSSL's, ldns') have run, and
 * mlt_native_serve() does not return while one still runs.
 *
 * Hostile input: a length over MLT_PROTO_MAX_PACKET, a payload that does
 * not decode or an unknown command closes the connection with one log
 * line; so does no data for `timeout` (SO_RCVTIMEO / SO_SNDTIMEO, no
 * extra syscall per read). SIGTERM, SIGINT and SIGHUP stop accepting,
 * close idle connections, let those inside a message finish it (for at
 * most the timeout, 30 s at most), join their threads, then return (a
 * thread still busy 1 s after that is left running, with a warning). */
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
 * of the chain may refuse: what the engine asks for when offered. Pure. */
uint32_t mlt_native_nr_flags(const struct mlt_chain *ch);

/* Creates the socket for spec (daemon.h syntax) and binds it, without
 * listening yet: the caller gives a unix socket its mode and owner first,
 * so nobody connects to it before. A unix socket path must not exist (the
 * caller clears a stale one) and takes the caller's umask. 0 and *fd, or
 * -1 with err. */
__attribute__((warn_unused_result)) int
mlt_native_bind(const char *spec, int *fd, char *err, size_t errlen);

/* listen() on a socket from mlt_native_bind. 0, or -1 with err. */
__attribute__((warn_unused_result)) int
mlt_native_listen(int fd, char *err, size_t errlen);

/* Serves one connected socket until the MTA quits, an error or a stop;
 * closes fd. timeout_ms: 0 = none. The chain's seam must be
 * &mlt_seam_native. For the server and for tests (over a socketpair). */
void mlt_native_conn(const struct mlt_chain *ch, int fd, long long timeout_ms);

/* Accepts on lfd and serves every connection in its own thread until a
 * SIGTERM/SIGINT/SIGHUP; then drains (see above), closes lfd and returns
 * 0 with *left the connection threads still running after the drain (0
 * but for a filter stuck past the grace period: the caller must then
 * keep the filters' state), or -1 with err when it could not start.
 * Blocks those signals in the calling thread (the connection threads
 * inherit the mask). */
__attribute__((warn_unused_result)) int
mlt_native_serve(const struct mlt_chain *ch, int lfd, long long timeout_ms,
    size_t *left, char *err, size_t errlen);

#endif
