/* lib/access.h - the sender/recipient access decision, shared by
 * facteur-lookup (socketmap, policy server), facteur-blacklist (milter)
 * and `facteur blacklist test`, so all three answer alike.
 *
 * Pieces (moved here from lookup/):
 *   - the access(5) search order (access_walk): Postfix sends a socketmap
 *     only the full key, and a milter gets only the envelope, so we walk
 *     the keys smtpd would try against a hash table ourselves. For
 *     "user+ext@sub.example.org" (recipient_delimiter "+"):
 *       user+ext@sub.example.org, user@sub.example.org, @sub.example.org,
 *       sub.example.org, example.org, org, user+ext@, user@
 *     "@domain" matches every sender of exactly that domain; a bare
 *     "domain" also matches its subdomains (Postfix's default
 *     parent_domain_matches_subdomains). A domain-only key walks the
 *     domain and its parents; an IPv4 address walks "1.2.3.4", "1.2.3",
 *     "1.2", "1" (check_client_access); the null sender key is alone.
 *   - the IP/CIDR rows, parsed and matched by lib/cidr (IPv4-mapped IPv6
 *     addresses, ::ffff:192.0.2.1, are the IPv4 address).
 *   - the access(5) result text of a row (access_reply) and its SMTP
 *     parts (access_reply_code).
 *   - the store lookups (access_find) and the decisions built on them
 *     (access_check_sender, access_check_rcpt).
 *
 * Everything but access_find / access_check_* is pure: no I/O, no
 * logging, no statics; thread-safe. The store functions are as
 * thread-safe as the struct store (one per thread). */
#ifndef FACTEUR_LIB_ACCESS_H
#define FACTEUR_LIB_ACCESS_H

#include <stddef.h>

#include "buf.h"
#include "cidr.h"
#include "store.h"

/* ---- the access(5) key walk ---- */

#define ACCESS_WALK_MAX 64

struct access_walk {
	size_t off[ACCESS_WALK_MAX]; /* each key is a NUL-terminated string */
	size_t n;		     /* at keys->data + off[i] */
};

/* Appends the keys for key[0..len) to keys (reset first) in search order.
 * delims: recipient_delimiter characters (NULL or "" = none); null_key:
 * smtpd_null_access_lookup_key ("<>"). Returns 0, or -1 if keys is full
 * or the key has more than ACCESS_WALK_MAX search keys. */
__attribute__((warn_unused_result)) int
access_walk(const char *key, size_t len, const char *delims,
	    const char *null_key, struct buf *keys, struct access_walk *w);

static inline const char *
access_walk_key(const struct buf *keys, const struct access_walk *w, size_t i)
{
	return keys->data + w->off[i];
}

/* Where key[0..len) = local@domain with an extension, the length of
 * "user" (local part before the first delimiter, which may not be its
 * first byte) and 1; else 0. at is the offset of the last '@'. */
int access_split_ext(const char *key, size_t at, const char *delims,
		     size_t *user_len);

/* ---- replies ---- */

/* Appends s[0..n) with control bytes (and DEL) replaced by spaces. 0 or
 * -1 if out is full. */
__attribute__((warn_unused_result)) int
access_add_clean(struct buf *out, const char *s, size_t n);

/* The SMTP code and enhanced code of a REJECT row: code 0 or outside
 * 400..599 becomes 554; a missing or malformed enhanced code, or one of
 * another class than code, becomes 4.7.1 / 5.7.1. xcode gets "C.S.D". */
void access_reply_code(int code, const char *enhanced, int *code_out,
		       char xcode[16]);

/* The access(5) result of a row, the text Postfix acts on:
 *   REJECT  -> "CODE ENHANCED TEXT" ("554 5.7.1 Access denied"), codes as
 *              access_reply_code(); an empty message is "Access denied"
 *   OK      -> "OK"
 *   DISCARD -> "DISCARD TEXT", HOLD -> "HOLD TEXT" (TEXT may be empty)
 * Control bytes in the stored message become spaces, so a row can never
 * inject a line into a protocol. Returns -1 if out is full or for an
 * action that is none of these (case-insensitive). */
__attribute__((warn_unused_result)) int
access_reply(const char *action, int code, const char *enhanced,
	     const char *message, struct buf *out);

/* ---- lookups and decisions (I/O: the store) ---- */

struct access_cfg {
	const char *delims;   /* recipient_delimiter; borrowed; NULL = none */
	const char *null_key; /* smtpd_null_access_lookup_key ("<>") */
};

/* The first row along key's search order (recipient_: which table); for
 * a sender key that is an address, then the longest matching IP/CIDR
 * row. STORE_FOUND with *a filled (caller clears with
 * store_access_clear), STORE_NOTFOUND, or STORE_EDB / STORE_EINVAL (key
 * with too many search keys) with err. */
int access_find(struct store *st, const struct access_cfg *qc, int recipient_,
		const char *key, struct store_access *a,
		struct store_errbuf *err);

enum access_action {
	ACCESS_NONE,  /* no row: go on with the other checks */
	ACCESS_ALLOW, /* an OK row: skip every other check */
	ACCESS_REJECT,
	ACCESS_DISCARD,
	ACCESS_HOLD,
};

/* A decision and the row behind it. Owned: access_decision_clear(). */
struct access_decision {
	enum access_action action;
	const char *what;	 /* static: "sender", "client", "recipient" */
	struct store_access row; /* the matched row, when action != NONE */
	int code;		 /* REJECT: as access_reply_code() */
	char xcode[16];
};

void access_decision_clear(struct access_decision *d);

/* MAIL FROM: sender (without <>; "" is the null sender) in
 * sender_blacklist; if no row, client_ip (may be NULL) against the
 * address and CIDR rows. A sender row decides alone: an OK (allow) row
 * skips the client check. 0 with *d filled, or -1 (database error, err).
 * An unknown action in a row is an error too (never a silent pass). */
__attribute__((warn_unused_result)) int
access_check_sender(struct store *st, const struct access_cfg *qc,
		    const char *sender, const char *client_ip,
		    struct access_decision *d, struct store_errbuf *err);

/* RCPT TO: rcpt in recipient_blacklist (REJECT, DISCARD, HOLD, OK). */
__attribute__((warn_unused_result)) int
access_check_rcpt(struct store *st, const struct access_cfg *qc,
		  const char *rcpt, struct access_decision *d,
		  struct store_errbuf *err);

/* "REJECT", "ALLOW"... for logs. Static. */
const char *access_action_name(enum access_action a);

#endif
