/* lib/dkim/dk_canon.h - RFC 6376 §3.4 canonicalization and header
 * selection. Pure: no I/O, no logging, no statics; thread-safe.
 *
 * A header field is given whole, as it appears in the message: the name,
 * the ':', the value with its folding CRLFs, and no final CRLF. */
#ifndef FACTEUR_DKIM_DK_CANON_H
#define FACTEUR_DKIM_DK_CANON_H

#include <stddef.h>

#include "dk_sig.h"

struct buf;

/* Appends the canonical form of field[0..len) to out, then CRLF when crlf
 * is set (every signed field but the DKIM-Signature itself). 0, or -1 when
 * out is full. */
__attribute__((warn_unused_result)) int
dk_canon_header(enum dk_canon c, const unsigned char *field, size_t len,
		int crlf, struct buf *out);

/* Receives canonical body bytes. */
typedef void (*dk_body_sink)(void *ctx, const unsigned char *p, size_t n);

/* Incremental body canonicalizer: any cut of the body into update() calls
 * gives the same bytes. limit >= 0 stops the output after limit bytes (the
 * l= tag); total counts every canonical byte (for l= when signing). */
struct dk_body {
	enum dk_canon c;
	long long limit;
	unsigned long long total;
	unsigned long long blank; /* empty lines not yet known to be inner */
	int cr;			  /* a CR waits for its LF */
	int wsp;		  /* relaxed: a WSP run waits */
	int any;		  /* some non-empty line was seen */
	dk_body_sink sink;
	void *ctx;
};

void dk_body_init(struct dk_body *b, enum dk_canon c, long long limit,
		  dk_body_sink sink, void *ctx);
void dk_body_update(struct dk_body *b, const unsigned char *p, size_t n);
/* Ends the body (trailing empty lines dropped, the final CRLF). */
void dk_body_final(struct dk_body *b);

/* A header of the message for selection: field as above. */
struct dk_field {
	const unsigned char *p;
	size_t len;
	size_t name_len; /* bytes before ':' (trailing WSP excluded) */
};

/* Fills sel[0..nh) with, for each name of h= in order, the index of the
 * field it signs (bottom-up among same-named fields, §5.4.2), or -1 when
 * no unused field of that name is left (over-signing). Needs nfields
 * bytes of scratch in used. Pure. */
void dk_select(const struct dk_field *f, size_t nfields,
	       const struct dk_sig *sig, long *sel, unsigned char *used);

/* Length of the field name (bytes before ':', trailing WSP dropped); 0
 * when there is no ':' or the name is empty. */
size_t dk_field_name_len(const unsigned char *p, size_t len);

#endif
