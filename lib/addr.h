/* lib/addr.h - RFC 5321 / RFC 5322 address parsing. Pure: no I/O, no
 * logging, no statics; thread-safe. Results are offsets into the input.
 *
 * Accepted mailbox (addr_parse): Local-part "@" Domain, where Local-part is
 * a Dot-string (atext and single dots, not leading/trailing) or a
 * Quoted-string, and Domain is an LDH hostname (labels 1..63 octets of
 * letters, digits, hyphens, not starting/ending with '-'; at least one label;
 * a trailing dot is refused) or an address literal "[1.2.3.4]" /
 * "[IPv6:...]". UTF-8 (RFC 6531) is accepted in local parts and domain
 * labels when lim->allow_utf8 is set. */
#ifndef FACTEUR_LIB_ADDR_H
#define FACTEUR_LIB_ADDR_H

#include <stddef.h>

struct buf;

struct addr_limits {
	size_t max_local;  /* 0 = 64 */
	size_t max_domain; /* 0 = 255 */
	size_t max_total;  /* 0 = 254 */
	int allow_utf8;	   /* SMTPUTF8 */
};

enum addr_status {
	ADDR_OK,
	ADDR_EEMPTY,  /* nothing to parse */
	ADDR_ESYNTAX, /* bad byte at *err_off */
	ADDR_ENOAT,   /* no '@' */
	ADDR_ELOCAL,  /* bad local part */
	ADDR_EDOMAIN, /* bad domain */
	ADDR_ELIMIT,  /* too long */
};

struct addr_parts {
	size_t local_off, local_len;   /* quotes included if quoted */
	size_t domain_off, domain_len; /* brackets included if a literal */
	int quoted;		       /* local part is a Quoted-string */
	int literal;		       /* domain is an address literal */
};

/* Human-readable status ("bad domain"...). Static string. */
const char *addr_strerror(enum addr_status st);

/* A whole mailbox "local@domain" in p[0..len). */
__attribute__((warn_unused_result)) enum addr_status
addr_parse(const unsigned char *p, size_t len, const struct addr_limits *lim,
	   struct addr_parts *out, size_t *err_off);

/* A domain alone (LDH hostname, no literal). */
__attribute__((warn_unused_result)) enum addr_status
addr_parse_domain(const unsigned char *p, size_t len,
		  const struct addr_limits *lim, size_t *err_off);

/* RFC 5321 MAIL FROM / RCPT TO path: "<>" (null: *is_null = 1, parts
 * untouched), "<local@domain>", with an optional obsolete source route
 * "<@a,@b:local@domain>" that is skipped. Stops after '>' and reports the
 * offset of the byte after it in *end (ESMTP parameters follow). A missing
 * '<' is accepted (Postfix-style leniency) when lenient is set. */
__attribute__((warn_unused_result)) enum addr_status
addr_parse_path(const unsigned char *p, size_t len,
		const struct addr_limits *lim, int lenient,
		struct addr_parts *out, int *is_null, size_t *end,
		size_t *err_off);

/* RFC 5322 header value (From:, To:, Sender:...): an address-list with
 * display names, comments, angle addresses and groups. Calls fn for each
 * mailbox found, in order; fn returns nonzero to stop. Returns ADDR_OK or
 * the first error (with *err_off). */
typedef int (*addr_each_fn)(void *ctx, const unsigned char *p,
			    const struct addr_parts *parts);
__attribute__((warn_unused_result)) enum addr_status
addr_parse_header(const unsigned char *p, size_t len,
		  const struct addr_limits *lim, addr_each_fn fn, void *ctx,
		  size_t *err_off);

/* Splits a local part at the first of the delimiter characters (Postfix
 * recipient_delimiter, e.g. "+" or "+-"): *user_len is the user part's
 * length, *ext_off and *ext_len the extension after the delimiter (ext_len 0
 * and *has_ext 0 if none). A local part that starts with a delimiter has no
 * extension (Postfix does the same). delims NULL or "" = no split. */
void addr_split_ext(const unsigned char *local, size_t len, const char *delims,
		    size_t *user_len, int *has_ext, size_t *ext_off,
		    size_t *ext_len);

/* Appends the canonical form "local@domain" to out: the local part
 * unquoted, and quoted again only if it is not a dot-string ("spammer"
 * is spammer, "a b" stays quoted), the domain case-folded: the form
 * Postfix logs and looks up (addr_norm.h). -1 if out is full or the
 * unquoted local part is over 512 bytes; out is then left as it was. */
__attribute__((warn_unused_result)) int
addr_canon(const unsigned char *p, const struct addr_parts *parts,
	   struct buf *out);

/* Length of the well-formed UTF-8 sequence (RFC 3629) at p[0..n) whose
 * first byte is >= 0x80, or 0: no overlongs, surrogates or > U+10FFFF. */
size_t addr_utf8_seq(const unsigned char *p, size_t n);

#endif
