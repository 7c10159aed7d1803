/* lib/milter/reply.h - validating and escaping SMTP replies for
 * smfi_setreply(). Pure: no I/O, no statics. */
#ifndef FACTEUR_LIB_MILTER_REPLY_H
#define FACTEUR_LIB_MILTER_REPLY_H

#include <stddef.h>

struct buf;

/* Longest text we pass on (libmilter caps the whole reply near 980). */
#define MLT_REPLY_TEXT_MAX 511

/* code: three digits, first 4 or 5. xcode: NULL/"" or "C.S.D" with C the
 * same class as code, S and D 1-3 digits. text: 1..MLT_REPLY_TEXT_MAX
 * printable ASCII bytes (space allowed, no CR/LF/control). Returns NULL if
 * valid, else a static reason. */
const char *mlt_reply_check(const char *code, const char *xcode,
			    const char *text);

/* Appends text to out with every '%' doubled: libmilter hands the text to a
 * printf-like formatter. 0, or -1 if out is full. */
__attribute__((warn_unused_result)) int mlt_reply_escape(const char *text,
							 struct buf *out);

#endif
