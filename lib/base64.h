/* lib/base64.h - RFC 4648 base64 (the standard alphabet, '=' padding):
 * one decoder for every reader of base64 (DKIM's b=, bh= and p= tags,
 * RFC 2047 "B" encoded-words, SpamAssassin's lenient reading of them)
 * and one encoder. Pure: no I/O, no logging, no statics; thread-safe. */
#ifndef FACTEUR_LIB_BASE64_H
#define FACTEUR_LIB_BASE64_H

#include <stddef.h>

struct buf;

enum b64_flags {
	/* Skip SP, HTAB, CR and LF anywhere (RFC 6376 §3.2: the base64 of
	 * b=, bh= and p= may be folded). Without it they are bad bytes. */
	B64_FWS = 1 << 0,
	/* Take a last quantum without its '=' padding ("QUI" is "AB"),
	 * as mail clients write RFC 2047 words; bits short of a byte are
	 * dropped. Without it the symbols (padding included, FWS not) must
	 * come in fours. */
	B64_NOPAD = 1 << 1,
	/* SpamAssassin's Util::base64_decode (Mail::SpamAssassin 4.0), for
	 * the spam engine's RFC 2047 words (lib/spam/ev_mime.c): nothing is
	 * refused. Perl's \s bytes are skipped; what follows the last symbol
	 * of the alphabet ('=' padding, anything) is dropped; symbols need
	 * not come in fours (bits short of a byte are dropped). A '=' before
	 * the last symbol is data: 'A' (0) when, blanks aside, the text is
	 * only the alphabet and '=' in a multiple of four (Util.pm hands it
	 * to MIME::Base64 then), else '/' (63: Util.pm's tr to uuencode
	 * gives '=' the last character of its shorter list), and any other
	 * byte is skipped. Implies B64_FWS and B64_NOPAD; only B64_ESPACE
	 * can fail. On valid base64 it reads what the strict decode does. */
	B64_LENIENT = 1 << 2,
};

enum b64_status {
	B64_OK,
	B64_EBYTE,  /* not in the alphabet, or data after '=' */
	B64_EPAD,   /* more than two '=', or a length not a multiple of 4 */
	B64_ESPACE, /* out too small */
};

/* The most bytes len symbols decode to: the size out needs. */
static inline size_t
b64_decoded_max(size_t len)
{
	return len / 4 * 3 + 3;
}

/* Decodes p[0..len) into out[0..*outlen) (outcap bytes), per flags (an
 * enum b64_flags mask). On error *outlen is 0 and *err_off the offset
 * of the bad byte (len when the length or the padding is wrong at the
 * end). Trailing bits of the last symbol are not checked (RFC 4648 §3.5
 * allows a decoder to ignore them, and DKIM verifiers do). */
__attribute__((warn_unused_result)) enum b64_status
b64_decode(const unsigned char *p, size_t len, unsigned flags,
	   unsigned char *out, size_t outcap, size_t *outlen, size_t *err_off);

/* Appends the padded base64 of p[0..n) to out (kept NUL-terminated), no
 * line breaks. 0, or -1 past out's max or on ENOMEM (out unchanged). */
__attribute__((warn_unused_result)) int b64_encode(const unsigned char *p,
						   size_t n, struct buf *out);

const char *b64_strerror(enum b64_status st);

#endif
