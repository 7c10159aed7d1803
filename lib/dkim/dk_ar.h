/* lib/dkim/dk_ar.h - the Authentication-Results header (RFC 8601):
 * building ours, and recognizing forged ones carrying our authserv-id.
 * Pure: no I/O, no logging, no statics. */
#ifndef FACTEUR_DKIM_DK_AR_H
#define FACTEUR_DKIM_DK_AR_H

#include <stddef.h>

#include "dk_verify.h"

struct buf;

/* What goes after the dkim results; a NULL result string leaves the
 * method out (not evaluated). */
struct dk_ar_extra {
	const char *spf;	  /* "pass", ... or NULL */
	const char *spf_mailfrom; /* smtp.mailfrom value */
	const char *spf_helo;	  /* smtp.helo, when mailfrom is <> */
	const char *dmarc;	  /* or NULL */
	const char *dmarc_reason; /* reason="..." after dmarc=, or NULL */
	const char *dmarc_from;	  /* header.from */
};

/* Appends the A-R value: "authserv-id; dkim=... header.d=... header.s=...
 * header.b=...; spf=...; dmarc=..." ("dkim=none" without signatures).
 * Folded with LF+TAB between results (milter style). 0, or -1 full. */
__attribute__((warn_unused_result)) int
dk_ar_build(const char *authserv_id, const struct dk_sigresult *r, size_t n,
	    const struct dk_ar_extra *x, struct buf *out);

/* 1 if the A-R value's authserv-id names us: after CFWS (comments and
 * folding), as a token or a quoted-string, before ';', a comment or a
 * version; compared case-insensitively with surrounding whitespace and
 * trailing dots dropped ("MX.Test.", "\"mx.test\"" and "(x) mx.test"
 * all name mx.test). Erring towards "ours" is safe: the caller deletes
 * the field, and only a forger writes our id. Pure. */
int dk_ar_is_ours(const char *value, const char *authserv_id);

#endif
