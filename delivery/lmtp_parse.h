/* delivery/lmtp_parse.h - LMTP (RFC 2033) / SMTP (RFC 5321) command lines.
 *
 * Pure: no I/O, no logging, no statics; thread-safe. The caller splits the
 * stream into lines and hands one line at a time, without its CRLF (or
 * bare LF). Offsets in the result point into that line. */
#ifndef FACTEUR_DELIVERY_LMTP_PARSE_H
#define FACTEUR_DELIVERY_LMTP_PARSE_H

#include <stddef.h>

#include "addr.h"

struct lmtp_limits {
	size_t max_line;	     /* bytes without CRLF; 0 = 2048 */
	unsigned long long max_size; /* SIZE= above this: ETOOBIG; 0 = none */
};

enum lmtp_cmd {
	LMTP_CMD_NONE,
	LMTP_CMD_LHLO,
	LMTP_CMD_HELO, /* HELO / EHLO: not LMTP (RFC 2033 4.1), told so */
	LMTP_CMD_MAIL,
	LMTP_CMD_RCPT,
	LMTP_CMD_DATA,
	LMTP_CMD_BDAT,
	LMTP_CMD_RSET,
	LMTP_CMD_NOOP,
	LMTP_CMD_QUIT,
	LMTP_CMD_VRFY,
};

enum lmtp_status {
	LMTP_OK,
	LMTP_EUNKNOWN, /* unknown verb: 500 5.5.1 */
	LMTP_ELONG,    /* line longer than max_line: 500 5.5.2 */
	LMTP_ESYNTAX,  /* bad arguments: 501 5.5.4 */
	LMTP_EADDR,    /* bad address in the path: 501 5.1.3 (RCPT) / 5.1.7 */
	LMTP_EPARAM,   /* unknown or bad ESMTP parameter: 555 5.5.4 */
	LMTP_ETOOBIG,  /* SIZE= over max_size: 552 5.3.4 */
	LMTP_ENUL,     /* NUL or other control byte in the line: 500 5.5.2 */
};

enum lmtp_body { LMTP_BODY_NONE, LMTP_BODY_7BIT, LMTP_BODY_8BITMIME };

struct lmtp_cmdline {
	enum lmtp_cmd cmd;
	/* LHLO domain, VRFY argument: offset/length in the line (0 if none) */
	size_t arg_off, arg_len;
	/* MAIL / RCPT path: parts are offsets into the line */
	struct addr_parts path;
	int null_path;		 /* "<>" */
	unsigned long long size; /* MAIL SIZE=, BDAT chunk size */
	int has_size;
	enum lmtp_body body; /* MAIL BODY= */
	int smtputf8;	     /* MAIL SMTPUTF8 */
	int last;	     /* BDAT ... LAST */
};

/* Parses one command line p[0..len). On error *err_off is the offset of
 * the offending byte (len for "missing"); out->cmd is still set when the
 * verb was recognised, so the caller can answer in context. */
__attribute__((warn_unused_result)) enum lmtp_status
lmtp_parse_line(const unsigned char *p, size_t len,
		const struct lmtp_limits *lim, struct lmtp_cmdline *out,
		size_t *err_off);

/* The DATA phase as a byte stream (RFC 5321 4.5.2): removes one leading
 * '.' of each line, ends at "." alone on a line, turns CRLF into LF (the
 * Maildir form; a bare LF is accepted as a line end, a bare CR is kept).
 * Long lines and oversized messages are noted, not fatal: the stream must
 * still be read to its end before the replies. Start with the struct
 * zeroed and at_bol = 1. */
struct lmtp_data {
	int state;	 /* private */
	int at_bol;	 /* private: 1 before the first byte */
	size_t line_len; /* private */
	size_t max_line; /* message lines longer than this: too_long */
	size_t max_size; /* output bytes above this: too_big */
	size_t spilled;	 /* output bytes the caller took out of out
			    (lmtp_spool.c): they count for max_size */
	int too_long;
	int too_big;
	int done; /* the final "." line was seen */
};

struct buf;

/* Consumes p[0..len) (or up to the end of data) and appends the message
 * bytes to out; returns how many input bytes were consumed (== len
 * unless the end of data was reached). Never fails: when out can not
 * grow, too_big is set and bytes are dropped. */
size_t lmtp_data_feed(struct lmtp_data *d, const unsigned char *p, size_t len,
		      struct buf *out);

/* Short English text for a status ("unknown command"...). Static string. */
const char *lmtp_strerror(enum lmtp_status st);

#endif
