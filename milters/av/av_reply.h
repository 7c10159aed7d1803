/* milters/av/av_reply.h - clamd's protocol, the pure half: what its
 * replies say and how an INSTREAM chunk is framed. No I/O, no logging,
 * no statics; thread-safe.
 *
 * clamd answers a z-command (zINSTREAM, zPING, zVERSION) with one reply
 * ended by a NUL byte. The bytes come from a peer we trust to scan but
 * not to be well-formed (a wrong socket, a proxy, a future clamd): every
 * parser here is bounded by struct av_reply_limits and refuses what it
 * does not know rather than guessing "clean". */
#ifndef FACTEUR_MILTERS_AV_REPLY_H
#define FACTEUR_MILTERS_AV_REPLY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A signature name as clamd prints it ("Win.Test.EICAR_HDB-1"). */
#define AV_NAME_MAX 128
/* clamd's own error text, sanitised, for the log. */
#define AV_TEXT_MAX 200
/* "1.4.6/27112" */
#define AV_VERSION_MAX 64

struct av_reply_limits {
	size_t max_reply; /* bytes before the NUL; 0 = 1024 */
};

enum av_rstatus {
	AVR_OK,	     /* parsed; *used is the reply's length with its NUL */
	AVR_ETRUNC,  /* no NUL yet: read more */
	AVR_ESYNTAX, /* not a reply we know; *err_off is the bad byte */
	AVR_ELIMIT,  /* no NUL within max_reply bytes */
};

enum av_answer {
	AV_CLEAN,  /* "stream: OK" */
	AV_FOUND,  /* "stream: NAME FOUND": name holds NAME */
	AV_TOOBIG, /* "INSTREAM size limit exceeded. ERROR": not scanned */
	AV_FAILED, /* "... ERROR": clamd could not scan; text says why */
};

struct av_reply {
	enum av_answer result;
	char name[AV_NAME_MAX + 1]; /* AV_FOUND: the signature, else "" */
	char text[AV_TEXT_MAX + 1]; /* AV_FAILED: clamd's words, printable */
};

/* Parses the answer to zINSTREAM in p[0..len) (what was read so far).
 * AVR_OK fills *out and sets *used; a signature name holds only
 * [A-Za-z0-9._:/+()@#!=~-], 1..AV_NAME_MAX bytes, else AVR_ESYNTAX. */
__attribute__((warn_unused_result)) enum av_rstatus
av_reply_parse(const unsigned char *p, size_t len,
	       const struct av_reply_limits *lim, struct av_reply *out,
	       size_t *used, size_t *err_off);

struct av_version {
	char version[AV_VERSION_MAX + 1]; /* "1.4.6" or "1.4.6/27112" */
	long dbver;			  /* 27112, or 0 if not given */
	time_t dbtime;			  /* the daily database's date (UTC
					     as clamd prints it), or 0 */
};

/* Parses the answer to zVERSION: "ClamAV 1.4.6/27112/Mon Dec  7 08:00:00
 * 2026" (a private database gives only "ClamAV 1.4.6"). */
__attribute__((warn_unused_result)) enum av_rstatus
av_version_parse(const unsigned char *p, size_t len,
		 const struct av_reply_limits *lim, struct av_version *out,
		 size_t *used, size_t *err_off);

/* Parses the answer to zPING: AVR_OK only for "PONG". */
__attribute__((warn_unused_result)) enum av_rstatus
av_pong_parse(const unsigned char *p, size_t len,
	      const struct av_reply_limits *lim, size_t *used, size_t *err_off);

/* An asctime()-style date, "Mon Dec  7 08:00:00 2026", read as UTC.
 * 0, or -1 if it is not one. */
__attribute__((warn_unused_result)) int av_date_parse(const char *p, size_t len,
						      time_t *out);

/* The 4-byte network-order length that starts an INSTREAM chunk (0 ends
 * the stream). */
static inline void
av_chunk_header(uint32_t n, unsigned char out[4])
{
	out[0] = (unsigned char)(n >> 24);
	out[1] = (unsigned char)(n >> 16);
	out[2] = (unsigned char)(n >> 8);
	out[3] = (unsigned char)n;
}

/* Name of a status, for errors and tests. */
const char *av_rstatus_name(enum av_rstatus s);

#endif
