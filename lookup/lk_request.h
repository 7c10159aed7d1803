/* lookup/lk_request.h - the two request formats facteur-lookup reads.
 *
 * socketmap_table(5): one netstring per request whose payload is
 * "NAME KEY" (NAME is our map, KEY what Postfix looks up).
 * SMTPD_POLICY_README: "name=value\n" lines ended by an empty line.
 *
 * Pure: no I/O, no logging, no statics; thread-safe. Results are offsets
 * into the caller's buffer. */
#ifndef FACTEUR_LOOKUP_LK_REQUEST_H
#define FACTEUR_LOOKUP_LK_REQUEST_H

#include <stddef.h>

enum lk_map {
	LK_MAP_UNKNOWN = -1,
	LK_MAP_DOMAINS,
	LK_MAP_MAILBOXES,
	LK_MAP_ALIASES,
	LK_MAP_VALIASES,
	LK_MAP_SENDER_ACCESS,
	LK_MAP_RECIPIENT_ACCESS,
};

/* "domains", "mailboxes", ... or NULL for LK_MAP_UNKNOWN. Static. */
const char *lk_map_name(enum lk_map m);
/* The map called name[0..len), or LK_MAP_UNKNOWN. Exact, case-sensitive
 * (Postfix passes the name from main.cf as written). */
enum lk_map lk_map_find(const char *name, size_t len);

struct lk_limits {
	size_t max_key; /* 0 = 1024 */
};

enum lk_req_status {
	LK_REQ_OK,
	LK_REQ_EEMPTY, /* "NAME " with an empty key: not an error for Postfix */
	LK_REQ_ESYNTAX, /* no space after the map name */
	LK_REQ_EMAP,	/* unknown map */
	LK_REQ_EKEYLEN, /* key longer than lim->max_key */
	LK_REQ_EKEY,	/* NUL or control byte in the key, at *err_off */
};

struct lk_request {
	enum lk_map map;
	size_t key_off, key_len;
};

/* Splits the netstring payload p[0..len) into map and key. */
__attribute__((warn_unused_result)) enum lk_req_status
lk_request_parse(const unsigned char *p, size_t len,
		 const struct lk_limits *lim, struct lk_request *r,
		 size_t *err_off);

const char *lk_req_strerror(enum lk_req_status st);

/* Reads only the length prefix "NNN:" of a netstring, to skip an
 * oversized one and stay in sync. Returns 1 with *declared and *hdr_len
 * (bytes up to and including ':'), 0 if more bytes are needed, -1 if the
 * prefix is not digits then ':' (or longer than 9 digits). */
__attribute__((warn_unused_result)) int lk_ns_peek_len(const unsigned char *p,
						       size_t len,
						       size_t *declared,
						       size_t *hdr_len);

/* ---- policy delegation ---- */

struct lk_span {
	size_t off, len;
	int set;
};

enum lk_attr {
	LK_ATTR_REQUEST,
	LK_ATTR_PROTOCOL_STATE,
	LK_ATTR_SENDER,
	LK_ATTR_RECIPIENT,
	LK_ATTR_CLIENT_ADDRESS,
	LK_ATTR_CLIENT_NAME,
	LK_ATTR_HELO_NAME,
	LK_ATTR_QUEUE_ID,
	LK_ATTR_COUNT,
};

struct lk_policy_limits {
	size_t max_request; /* 0 = 65536 bytes */
	size_t max_attrs;   /* 0 = 256 lines */
};

/* The attributes we use; others are skipped. The last of a repeated one
 * wins. Values are p[off .. off + len). */
struct lk_policy_req {
	struct lk_span attr[LK_ATTR_COUNT];
	size_t nattrs;
};

enum lk_pol_status {
	LK_POL_OK,
	LK_POL_INCOMPLETE, /* no empty line yet: read more */
	LK_POL_ESYNTAX,	   /* line without '=' or with an empty name */
	LK_POL_ELIMIT,	   /* request longer than max_request or too many */
	LK_POL_ENUL,	   /* a NUL byte in a line, at *err_off: the request
			      is framed (*consumed set), its answer refuses */
};

/* Parses one request at the start of p[0..len); on LK_POL_OK it ends at
 * p + *consumed (after the empty line). "\r\n" is accepted for "\n".
 * A NUL byte anywhere in a line makes the whole request LK_POL_ENUL once
 * its empty line is seen (*err_off = the first NUL, *consumed as for OK):
 * Postfix never sends one, and a C string would stop at it. */
__attribute__((warn_unused_result)) enum lk_pol_status
lk_policy_parse(const unsigned char *p, size_t len,
		const struct lk_policy_limits *lim, struct lk_policy_req *r,
		size_t *consumed, size_t *err_off);

const char *lk_pol_strerror(enum lk_pol_status st);

#endif
