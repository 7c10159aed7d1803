/* milters/av/av_clamd.h - talking to clamd: its address, zINSTREAM in
 * chunks, and the one-shot commands zPING and zVERSION. Every step is
 * bounded in time (poll with the caller's timeout) and every reply in
 * size (av_reply.h parses it). Errors come back as -1 with a static-or-
 * formatted reason in the caller's buffer; nothing is logged here.
 * Thread-safety: a struct av_stream belongs to one thread. */
#ifndef FACTEUR_MILTERS_AV_CLAMD_H
#define FACTEUR_MILTERS_AV_CLAMD_H

#include <stddef.h>

#include "av_reply.h"

/* The largest INSTREAM chunk we send (clamd takes any size up to its
 * StreamMaxLength; smaller chunks keep our own buffers small). */
#define AV_CHUNK_MAX ((size_t)64 * 1024)

struct av_addr {
	int is_unix;
	char path[108]; /* unix socket path */
	char host[64];	/* loopback host: "127.0.0.1", "::1", "localhost" */
	char port[8];
};

/* Parses clamd_socket: an absolute unix socket path, or HOST:PORT /
 * [::1]:PORT where HOST is on loopback (clamd's TCP port has no
 * authentication: a remote one is refused). 0, or -1 with err. Pure. */
__attribute__((warn_unused_result)) int
av_addr_parse(const char *spec, struct av_addr *a, char *err, size_t errlen);

struct av_stream {
	int fd;			 /* -1 when closed */
	int timeout_ms;		 /* each connect, write and the reply */
	int peer_closed;	 /* clamd hung up mid-stream: read its reason */
	unsigned long long sent; /* payload bytes streamed */
	char err[200];		 /* why the last call failed */
};

/* Connects and sends zINSTREAM. 0, or -1 with s->err (s closed). */
__attribute__((warn_unused_result)) int
av_stream_open(struct av_stream *s, const struct av_addr *a, int timeout_ms);

/* Streams p[0..len) as chunks of at most AV_CHUNK_MAX. 0, or -1 with
 * s->err (timeout, clamd gone). If clamd closed the connection (it does
 * past its StreamMaxLength), the write "succeeds" and av_stream_end
 * reads what clamd said. */
__attribute__((warn_unused_result)) int
av_stream_write(struct av_stream *s, const void *p, size_t len);

/* Ends the stream and reads clamd's verdict into *r; closes s. 0, or -1
 * with s->err (no answer in time, a reply we do not know). */
__attribute__((warn_unused_result)) int av_stream_end(struct av_stream *s,
						      struct av_reply *r);

/* Closes s without a verdict (abort). Idempotent. */
void av_stream_close(struct av_stream *s);

/* Sends "zCMD\0" (cmd "PING", "VERSION") and reads one reply into
 * out[0..cap) up to and including its NUL; *n its length. 0, or -1 with
 * err. */
__attribute__((warn_unused_result)) int
av_command(const struct av_addr *a, int timeout_ms, const char *cmd,
	   unsigned char *out, size_t cap, size_t *n, char *err, size_t errlen);

/* zPING then zVERSION: 0 with *v filled, or -1 with err. */
__attribute__((warn_unused_result)) int
av_clamd_version(const struct av_addr *a, int timeout_ms, struct av_version *v,
		 char *err, size_t errlen);

#endif
