/* delivery/sieve/rfc2047.c - decodes RFC 2047 encoded-words in a header
 * value for the "header" test: =?charset?B|Q?text?= with charset UTF-8,
 * US-ASCII or ISO-8859-1 (an RFC 2231 "*lang" suffix is ignored) becomes
 * UTF-8; linear white space between two encoded-words is dropped (RFC 2047
 * section 6.2). A word in another charset, or one that does not decode, is
 * left exactly as it was: the test then sees the raw text. Pure. */
#include "sieve_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "buf.h"

enum cs { CS_UTF8, CS_LATIN1 };

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One decoded octet, converted from the charset. */
static int
put(struct buf *out, unsigned char c, enum cs cs)
{
	if (cs == CS_LATIN1 && c >= 0x80) {
		if (buf_addc(out, (char)(0xc0 | (c >> 6))) < 0)
			return -1;
		c = (unsigned char)(0x80 | (c & 0x3f));
	}
	return buf_addc(out, (char)c);
}

/* 1 decoded, 0 bad text, -1 out full. */
static int
dec_q(const char *t, size_t n, enum cs cs, struct buf *out)
{
	size_t i;
	int h, l;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == '_') {
			c = ' ';
		} else if (c == '=') {
			if (i + 2 >= n)
				return 0;
			if ((h = hexval(t[i + 1])) < 0 ||
			    (l = hexval(t[i + 2])) < 0)
				return 0;
			c = (unsigned char)(h << 4 | l);
			i += 2;
		}
		if (put(out, c, cs) < 0)
			return -1;
	}
	return 1;
}

/* The "B" encoding: lib/base64, padding optional (clients omit it). */
static int
dec_b(const char *t, size_t n, enum cs cs, struct buf *out)
{
	unsigned char *bin;
	size_t i, len, off, cap = b64_decoded_max(n);
	int rc = 1;

	if ((bin = malloc(cap)) == NULL)
		return -1;
	if (b64_decode((const unsigned char *)t, n, B64_NOPAD, bin, cap, &len,
		       &off) != B64_OK)
		rc = 0;
	for (i = 0; rc == 1 && i < len; i++)
		if (put(out, bin[i], cs) < 0)
			rc = -1;
	free(bin);
	return rc;
}

/* An encoded-word at p[0..len): 1 and *wlen when decoded into out, 0 when
 * it is not one we decode (out unchanged), -1 when out is full. */
static int
word(const char *p, size_t len, size_t *wlen, struct buf *out)
{
	const char *cs_s, *enc, *text, *end, *star;
	size_t cs_n, keep = out->len;
	enum cs cs;
	int r;

	if (len < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	cs_s = p + 2;
	if ((enc = memchr(cs_s, '?', len - 2)) == NULL || enc + 3 > p + len ||
	    enc[2] != '?')
		return 0;
	cs_n = (size_t)(enc - cs_s);
	if ((star = memchr(cs_s, '*', cs_n)) != NULL)
		cs_n = (size_t)(star - cs_s);
	text = enc + 3;
	for (end = text; end + 1 < p + len; end++)
		if (end[0] == '?' || end[0] == ' ' || end[0] == '\t')
			break;
	if (end + 1 >= p + len || end[0] != '?' || end[1] != '=')
		return 0;
	if ((cs_n == 5 && strncasecmp(cs_s, "UTF-8", 5) == 0) ||
	    (cs_n == 8 && strncasecmp(cs_s, "US-ASCII", 8) == 0))
		cs = CS_UTF8;
	else if (cs_n == 10 && strncasecmp(cs_s, "ISO-8859-1", 10) == 0)
		cs = CS_LATIN1;
	else
		return 0;
	if (enc[1] == 'B' || enc[1] == 'b')
		r = dec_b(text, (size_t)(end - text), cs, out);
	else if (enc[1] == 'Q' || enc[1] == 'q')
		r = dec_q(text, (size_t)(end - text), cs, out);
	else
		r = 0;
	if (r <= 0) {
		out->len = keep;
		if (out->data != NULL)
			out->data[keep] = '\0';
		return r;
	}
	*wlen = (size_t)(end + 2 - p);
	return 1;
}

int
sv_rfc2047_decode(const char *p, size_t len, struct buf *out)
{
	size_t i = 0, j, wlen;
	int prev = 0, r;

	if (buf_reserve(out, len) < 0)
		return -1;
	while (i < len) {
		j = i;
		if (prev)
			while (j < len && (p[j] == ' ' || p[j] == '\t' ||
					   p[j] == '\r' || p[j] == '\n'))
				j++;
		if ((r = word(p + j, len - j, &wlen, out)) < 0)
			return -1;
		if (r == 1) {
			i = j + wlen;
			prev = 1;
			continue;
		}
		if (j == i)
			j = i + 1;
		if (buf_add(out, p + i, j - i) < 0)
			return -1;
		i = j;
		prev = 0;
	}
	return 0;
}
