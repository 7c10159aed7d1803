/* lib/base64.c - RFC 4648 base64; see base64.h. */
#include "base64.h"

#include <stdint.h>

#include "buf.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
b64_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum b64_status
b64_fail(enum b64_status st, size_t off, size_t *outlen, size_t *err_off)
{
	*outlen = 0;
	*err_off = off;
	return st;
}

/* The decoder's output side: 6 bits in, a byte out every 8. */
struct b64_out {
	unsigned char *out;
	size_t cap, n, bits;
	unsigned long acc;
};

/* Adds symbol value v; -1 when a byte is due and out is full. */
static int
b64_put(struct b64_out *d, int v)
{
	d->acc = (d->acc << 6) | (unsigned long)v;
	d->bits += 6;
	if (d->bits >= 8) {
		d->bits -= 8;
		if (d->n == d->cap)
			return -1;
		d->out[d->n++] = (unsigned char)(d->acc >> d->bits);
		d->acc &= (1UL << d->bits) - 1;
	}
	return 0;
}

/* Perl's \s, which Util.pm's base64_decode removes first. */
static int
b64_perl_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/* 1 if, blanks aside, p[0..len) is only the alphabet and '=' in a
 * multiple of four: Util.pm's MIME::Base64 branch, where a '=' inside
 * reads as 'A'. */
static int
b64_sa_plain(const unsigned char *p, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (b64_perl_space(p[i]))
			continue;
		if (p[i] != '=' && b64_val(p[i]) < 0)
			return 0;
		n++;
	}
	return n >= 2 && n % 4 == 0;
}

/* B64_LENIENT: SpamAssassin's reading (base64.h). */
static enum b64_status
b64_decode_lenient(const unsigned char *p, size_t len, unsigned char *out,
		   size_t outcap, size_t *outlen, size_t *err_off)
{
	struct b64_out d = {out, outcap, 0, 0, 0};
	int eq = b64_sa_plain(p, len) ? 0 : 63, v;
	size_t i, end = len;

	while (end > 0 && b64_val(p[end - 1]) < 0)
		end--; /* padding and anything else after the last symbol */
	for (i = 0; i < end; i++) {
		if ((v = p[i] == '=' ? eq : b64_val(p[i])) < 0)
			continue;
		if (b64_put(&d, v) < 0)
			return b64_fail(B64_ESPACE, i, outlen, err_off);
	}
	*outlen = d.n;
	return B64_OK;
}

enum b64_status
b64_decode(const unsigned char *p, size_t len, unsigned flags,
	   unsigned char *out, size_t outcap, size_t *outlen, size_t *err_off)
{
	struct b64_out d = {out, outcap, 0, 0, 0};
	size_t i, pad = 0, sym = 0;
	int v;

	*outlen = 0;
	*err_off = 0;
	if (flags & B64_LENIENT)
		return b64_decode_lenient(p, len, out, outcap, outlen, err_off);
	for (i = 0; i < len; i++) {
		if ((flags & B64_FWS) && b64_fws(p[i]))
			continue;
		if (p[i] == '=') {
			if (++pad > 2)
				return b64_fail(B64_EPAD, i, outlen, err_off);
			sym++;
			continue;
		}
		if (pad > 0 || (v = b64_val(p[i])) < 0)
			return b64_fail(B64_EBYTE, i, outlen, err_off);
		sym++;
		if (b64_put(&d, v) < 0)
			return b64_fail(B64_ESPACE, i, outlen, err_off);
	}
	if (!(flags & B64_NOPAD) && sym % 4 != 0)
		return b64_fail(B64_EPAD, len, outlen, err_off);
	*outlen = d.n;
	return B64_OK;
}

int
b64_encode(const unsigned char *p, size_t n, struct buf *out)
{
	size_t i, need;
	uint32_t q;
	char *d;

	if (n > (SIZE_MAX - 3) / 4 * 3 - 3)
		return -1;
	need = 4 * ((n + 2) / 3);
	if (buf_reserve(out, need) < 0)
		return -1;
	d = out->data + out->len;
	for (i = 0; i + 2 < n; i += 3) {
		q = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*d++ = b64_alphabet[q >> 18];
		*d++ = b64_alphabet[(q >> 12) & 63];
		*d++ = b64_alphabet[(q >> 6) & 63];
		*d++ = b64_alphabet[q & 63];
	}
	if (i < n) {
		q = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			q |= (uint32_t)p[i + 1] << 8;
		*d++ = b64_alphabet[q >> 18];
		*d++ = b64_alphabet[(q >> 12) & 63];
		*d++ = i + 1 < n ? b64_alphabet[(q >> 6) & 63] : '=';
		*d++ = '=';
	}
	out->len += need;
	out->data[out->len] = '\0';
	return 0;
}

const char *
b64_strerror(enum b64_status st)
{
	switch (st) {
	case B64_OK:
		return "ok";
	case B64_EBYTE:
		return "not base64";
	case B64_EPAD:
		return "bad base64 padding or length";
	case B64_ESPACE:
		return "base64 data too long";
	}
	return "?";
}
