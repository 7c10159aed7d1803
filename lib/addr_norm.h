/* lib/addr_norm.h - an envelope address the way Postfix resolves it.
 * Pure: no I/O, no logging, no statics; thread-safe.
 *
 * Postfix hands a milter the client's MAIL FROM / RCPT TO text unchanged,
 * and a policy server its own internal (unquoted) form with the trailing
 * dot and the case still in; but it decides, logs, queues and looks up
 * access tables on the resolved address. facteur decides on that address
 * too, computed here once, before any lookup:
 *
 *   - the angle brackets and an obsolete source route ("@a,@b:") go;
 *   - the local part is unquoted ("spammer" is spammer, "a\"b" is a"b)
 *     and quoted again only when it is not a dot-string, as Postfix's
 *     quote_822_local() does: "a b", "x@y", "spammer." stay quoted, and
 *     8-bit (SMTPUTF8) text is left as it is;
 *   - one trailing dot of the domain goes ("bad.example." is
 *     bad.example; Postfix refuses two);
 *   - the domain's case is folded (ASCII, and the Latin, Greek and
 *     Cyrillic capitals of UTF-8 labels); the local part keeps its case,
 *     as in Postfix's queue and logs (lookups compare it without case);
 *   - a domainless address (RCPT TO:<postmaster>) gets "@origin" when an
 *     origin is given (Postfix appends $myorigin); else it stays a bare
 *     local part and addr_norm.has_domain is 0.
 *
 * The result is a fixed point: normalising it again gives it back.
 * docs/addresses.md has the table of forms and what Postfix and facteur
 * resolve them to. */
#ifndef FACTEUR_LIB_ADDR_NORM_H
#define FACTEUR_LIB_ADDR_NORM_H

#include <stddef.h>

#include "addr.h"

struct buf;

struct addr_norm {
	int is_null;	  /* "<>" (or nothing): out got nothing */
	int has_domain;	  /* 0: bare local part, no origin given */
	int domainless;	  /* the input had no domain (origin or not) */
	int routed;	  /* a source route was dropped */
	size_t local_len; /* the (quoted if needed) local part's length at
			     the start of what was appended */
};

/* The envelope argument as the client sent it, in p[0..len): "<a@b>",
 * "a@b", "<@route:a@b>", "<\"a\"@b.>", "<>", "<postmaster>". The local
 * part may be any sequence of atoms, dots and quoted strings (Postfix
 * takes "a..b" and "abc." too, and so do some mobile carriers); UTF-8
 * when lim->allow_utf8. Comments, spaces outside quotes, a second '@' and
 * anything else Postfix would have to guess at are refused. Appends the
 * normalised address to out (origin: see above; NULL or "" = none).
 * ADDR_OK with *n filled, or an error with *err_off in p; out is left as
 * it was on error. */
__attribute__((warn_unused_result)) enum addr_status
addr_norm_path(const unsigned char *p, size_t len,
	       const struct addr_limits *lim, const char *origin,
	       struct buf *out, struct addr_norm *n, size_t *err_off);

/* The same for Postfix's internal form, as a policy server gets it in
 * sender= and recipient=: the local part unquoted (anything up to the
 * last '@', no control bytes), the domain as the client wrote it; ""
 * is the null sender. */
__attribute__((warn_unused_result)) enum addr_status
addr_norm_internal(const unsigned char *p, size_t len,
		   const struct addr_limits *lim, const char *origin,
		   struct buf *out, struct addr_norm *n, size_t *err_off);

/* Appends the unquoted local part l[0..len), quoted if it is not a
 * dot-string (quote_822_local). 0 or -1 if out is full. */
__attribute__((warn_unused_result)) int
addr_norm_quote_local(const unsigned char *l, size_t len, struct buf *out);

/* Appends the domain d[0..len) with its case folded (an address
 * literal's hex digits too). 0 or -1 if out is full. */
__attribute__((warn_unused_result)) int
addr_norm_domain(const unsigned char *d, size_t len, struct buf *out);

#endif
