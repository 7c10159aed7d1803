/* lib/milter/proto.h - the milter protocol (version 6) on the wire, as
 * pure functions over byte buffers: split a stream into packets, decode a
 * command's payload, append replies to a struct buf.
 *
 * A packet is a 4-byte big-endian length (of what follows), one command
 * byte and length-1 bytes of data. Strings in a payload are NUL-terminated.
 * No I/O, no logging, no statics: thread-safe. Decoded pointers point into
 * the packet's data and are borrowed as long as those bytes are. */
#ifndef FACTEUR_LIB_MILTER_PROTO_H
#define FACTEUR_LIB_MILTER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Commands (MTA -> milter). */
enum {
	MLT_C_ABORT = 'A',
	MLT_C_BODY = 'B',
	MLT_C_CONNECT = 'C',
	MLT_C_MACRO = 'D',
	MLT_C_BODYEOB = 'E',
	MLT_C_HELO = 'H',
	MLT_C_QUIT_NC = 'K',
	MLT_C_HEADER = 'L',
	MLT_C_MAIL = 'M',
	MLT_C_EOH = 'N',
	MLT_C_OPTNEG = 'O',
	MLT_C_QUIT = 'Q',
	MLT_C_RCPT = 'R',
	MLT_C_DATA = 'T',
	MLT_C_UNKNOWN = 'U',
};

/* Replies (milter -> MTA). */
enum {
	MLT_R_ADDRCPT = '+',
	MLT_R_DELRCPT = '-',
	MLT_R_ACCEPT = 'a',
	MLT_R_REPLBODY = 'b',
	MLT_R_CONTINUE = 'c',
	MLT_R_DISCARD = 'd',
	MLT_R_CHGFROM = 'e',
	MLT_R_ADDHEADER = 'h',
	MLT_R_INSHEADER = 'i',
	MLT_R_CHGHEADER = 'm',
	MLT_R_PROGRESS = 'p',
	MLT_R_QUARANTINE = 'q',
	MLT_R_REJECT = 'r',
	MLT_R_SKIP = 's',
	MLT_R_TEMPFAIL = 't',
	MLT_R_REPLYCODE = 'y',
	MLT_R_OPTNEG = 'O',
};

/* OPTNEG action flags (SMFIF_*) and protocol flags (SMFIP_*). */
enum {
	MLT_F_ADDHDRS = 0x01,
	MLT_F_CHGBODY = 0x02,
	MLT_F_ADDRCPT = 0x04,
	MLT_F_DELRCPT = 0x08,
	MLT_F_CHGHDRS = 0x10,
	MLT_F_QUARANTINE = 0x20,
};
enum {
	MLT_P_NOCONNECT = 0x1,
	MLT_P_NOHELO = 0x2,
	MLT_P_NOMAIL = 0x4,
	MLT_P_NORCPT = 0x8,
	MLT_P_NOBODY = 0x10,
	MLT_P_NOHDRS = 0x20,
	MLT_P_NOEOH = 0x40,
	MLT_P_NR_HDR = 0x80,
	MLT_P_NOUNKNOWN = 0x100,
	MLT_P_NODATA = 0x200,
	MLT_P_SKIP = 0x400,
	MLT_P_RCPT_REJ = 0x800,
	MLT_P_NR_CONN = 0x1000,
	MLT_P_NR_HELO = 0x2000,
	MLT_P_NR_MAIL = 0x4000,
	MLT_P_NR_RCPT = 0x8000,
	MLT_P_NR_DATA = 0x10000,
	MLT_P_NR_UNKN = 0x20000,
	MLT_P_NR_EOH = 0x40000,
	MLT_P_NR_BODY = 0x80000,
	MLT_P_HDR_LEADSPC = 0x100000,
};

#define MLT_PROTO_VERSION 6
/* Postfix sends body chunks of at most 64 KiB and header fields of at
 * most header_size_limit (100 KiB); a megabyte on top is plenty. */
#define MLT_PROTO_MAX_PACKET ((size_t)(1 << 20) + 65536)

struct mlt_proto_limits {
	size_t max_packet; /* length field maximum; 0 = MLT_PROTO_MAX_PACKET */
};

enum mlt_proto_status {
	MLT_PROTO_OK,
	MLT_PROTO_MORE,	  /* incomplete: read more bytes */
	MLT_PROTO_ELIMIT, /* length over max_packet */
	MLT_PROTO_ESYNTAX /* length 0, or a payload that does not decode */
};

struct mlt_packet {
	unsigned char cmd;
	const unsigned char *data; /* into the input */
	size_t len;		   /* bytes of data (length field - 1) */
};

/* Splits the first packet off p[0..len). OK: *pk is set and *used is the
 * bytes it takes (5 + pk->len). MORE: *used is the total the packet needs
 * when its header is complete (so the caller can grow its buffer), else 5.
 * ELIMIT/ESYNTAX: the stream cannot go on. */
__attribute__((warn_unused_result)) enum mlt_proto_status
mlt_proto_next(const unsigned char *p, size_t len,
	       const struct mlt_proto_limits *lim, struct mlt_packet *pk,
	       size_t *used);

/* Splits data[0..len) into NUL-terminated strings: v[0..*n). The data
 * must end with a NUL (len 0 gives *n = 0). More than maxv strings is
 * ESYNTAX. The strings alias the data. */
__attribute__((warn_unused_result)) enum mlt_proto_status
mlt_proto_strings(const unsigned char *data, size_t len, const char **v,
		  size_t maxv, size_t *n);

struct mlt_proto_optneg {
	uint32_t version, actions, protocol;
};

/* OPTNEG: three 32-bit words (more bytes are ignored, as libmilter does). */
__attribute__((warn_unused_result)) enum mlt_proto_status
mlt_proto_optneg(const struct mlt_packet *pk, struct mlt_proto_optneg *o);

struct mlt_proto_connect {
	const char *host; /* client host name ("[1.2.3.4]" if none) */
	char family;	  /* '4', '6', 'L' (unix), 'U' (unknown) */
	uint16_t port;	  /* 0 for 'U' */
	const char *addr; /* address text, or "" for 'U' */
};

/* CONNECT: host NUL family [port(2) addr NUL]. */
__attribute__((warn_unused_result)) enum mlt_proto_status
mlt_proto_connect(const struct mlt_packet *pk, struct mlt_proto_connect *c);

/* MACRO: the command byte the macros are for, then name NUL value NUL
 * pairs; *pairs is where the first name starts, *plen its length (a
 * string list for mlt_proto_strings with an even count). */
__attribute__((warn_unused_result)) enum mlt_proto_status
mlt_proto_macro(const struct mlt_packet *pk, unsigned char *for_cmd,
		const unsigned char **pairs, size_t *plen);

/* HEADER: name NUL value NUL. */
__attribute__((warn_unused_result)) enum mlt_proto_status
mlt_proto_header(const struct mlt_packet *pk, const char **name,
		 const char **value);

/* Appends one packet: cmd and data[0..len) (data may be NULL if len 0).
 * 0, or -1 when out grows past its max (out is then as it was). */
__attribute__((warn_unused_result)) int
mlt_proto_put(struct buf *out, unsigned char cmd, const void *data, size_t len);

/* Appends cmd with an optional 32-bit index (index < 0: none) and the
 * strings s1, s2 (s2 may be NULL), each NUL-terminated: ADDHEADER (no
 * index), INSHEADER and CHGHEADER (index), QUARANTINE and REPLYCODE (one
 * string). 0 or -1 like mlt_proto_put. */
__attribute__((warn_unused_result)) int
mlt_proto_put_strs(struct buf *out, unsigned char cmd, long index,
		   const char *s1, const char *s2);

/* Appends an OPTNEG reply. 0 or -1. */
__attribute__((warn_unused_result)) int
mlt_proto_put_optneg(struct buf *out, const struct mlt_proto_optneg *o);

#endif
