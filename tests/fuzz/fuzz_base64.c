/* tests/fuzz/fuzz_base64.c - lib/base64 on arbitrary bytes, under each
 * flag set (DKIM's B64_FWS, RFC 2047's B64_NOPAD, both, none). Checks:
 * out sized by b64_decoded_max never runs short; an error points inside
 * the input (or at its end) and returns no bytes; each flag only widens
 * what is taken, never changes the bytes (plain OK => FWS, NOPAD and both
 * OK with the same bytes); one byte less room is B64_ESPACE; the bytes
 * encoded come back decoded (strictly), and what a strict decode took is
 * the encoder's text but for the spare bits of its last symbol. Then
 * SpamAssassin's B64_LENIENT: it takes every input, into no more than
 * 3 bytes for 4 input bytes; where any strict flag set takes the input
 * it gives the same bytes; one byte less room is B64_ESPACE. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"

static const unsigned fz_flags[] = {0, B64_FWS, B64_NOPAD, B64_FWS | B64_NOPAD};

static void
fz_round_trip(const unsigned char *bin, size_t n, const uint8_t *data,
	      size_t size)
{
	unsigned char *back;
	struct buf b;
	size_t m, off, j;

	buf_init(&b, 0);
	if (b64_encode(bin, n, &b) < 0 || b.len != 4 * ((n + 2) / 3))
		__builtin_trap();
	if ((back = malloc(n + 1)) == NULL)
		__builtin_trap();
	if (b64_decode((const unsigned char *)buf_str(&b), b.len, 0, back,
		       n + 1, &m, &off) != B64_OK ||
	    m != n || (n > 0 && memcmp(back, bin, n) != 0))
		__builtin_trap();
	/* A strict decode took exactly the encoder's text, up to the spare
	 * bits of the last data symbol. */
	j = size;
	while (j > 0 && data[j - 1] == '=')
		j--;
	if (b.len != size || (j > 0 && memcmp(b.data, data, j - 1) != 0) ||
	    memcmp(b.data + j, data + j, size - j) != 0)
		__builtin_trap();
	free(back);
	buf_free(&b);
}

/* B64_LENIENT on data against the strict results st/n/out (flags
 * fz_flags). */
static void
fz_lenient(const uint8_t *data, size_t size, const enum b64_status *st,
	   const size_t *n, unsigned char *const *out, size_t cap)
{
	unsigned char *l = malloc(cap);
	size_t ln, off, k;

	if (l == NULL)
		__builtin_trap();
	if (b64_decode(data, size, B64_LENIENT, l, cap, &ln, &off) != B64_OK ||
	    ln > size / 4 * 3 + (size % 4) * 3 / 4)
		__builtin_trap(); /* refused, or more than 6 bits a byte */
	for (k = 0; k < 4; k++)
		if (st[k] == B64_OK &&
		    (ln != n[k] || (ln > 0 && memcmp(l, out[k], ln) != 0)))
			__builtin_trap(); /* valid base64 read otherwise */
	if (ln > 0 && b64_decode(data, size, B64_LENIENT, l, ln - 1, &k,
				 &off) != B64_ESPACE)
		__builtin_trap();
	free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = b64_decoded_max(size), n[4], off, k;
	unsigned char *out[4];
	enum b64_status st[4];

	for (k = 0; k < 4; k++) {
		if ((out[k] = malloc(cap)) == NULL)
			__builtin_trap();
		st[k] = b64_decode(data, size, fz_flags[k], out[k], cap, &n[k],
				   &off);
		if (st[k] == B64_ESPACE)
			__builtin_trap();
		if (st[k] != B64_OK && (n[k] != 0 || off > size))
			__builtin_trap();
		if (st[k] == B64_OK && n[k] > cap)
			__builtin_trap();
	}
	fz_lenient(data, size, st, n, out, cap);
	for (k = 1; k < 4; k++)
		if (st[0] == B64_OK && (st[k] != B64_OK || n[k] != n[0] ||
					memcmp(out[k], out[0], n[0]) != 0))
			__builtin_trap();
	if (st[1] == B64_OK && (st[3] != B64_OK || n[3] != n[1] ||
				memcmp(out[3], out[1], n[1]) != 0))
		__builtin_trap();
	if (st[3] == B64_OK && n[3] > 0 &&
	    b64_decode(data, size, fz_flags[3], out[3], n[3] - 1, &n[2],
		       &off) != B64_ESPACE)
		__builtin_trap();
	if (st[0] == B64_OK)
		fz_round_trip(out[0], n[0], data, size);
	for (k = 0; k < 4; k++)
		free(out[k]);
	return 0;
}
