/* lib/addr_norm.c - envelope addresses as Postfix resolves them; see
 * addr_norm.h.
 *
 * What Postfix does, and where (Postfix 3.7, the Debian 12 one this was
 * checked against through a real smtpd; tests/envelope drives it):
 *   - smtpd's extract_addr() drops the brackets and truncates a route
 *     ("@...:"), then tok822 parses the rest and tok822_internalize()
 *     unquotes it: that is what a policy server gets;
 *   - trivial-rewrite drops the trailing dot and appends @$myorigin to a
 *     domainless address; quote_822_local() quotes what is not a
 *     dot-string when the address is written out (queue file, logs,
 *     socketmap keys);
 *   - access tables are looked up with the whole key case-folded.
 * Each step is done here on bounded input with no allocation but out.
 *
 * SECURITY: the input is the SMTP client's text. A form we cannot read
 * the way Postfix does is an error, never passed on as it is: the caller
 * refuses the address instead of letting it past a blacklist. */
#include "addr_norm.h"

#include <string.h>

#include "buf.h"

static int
norm_utf8(const struct addr_limits *lim)
{
	return lim && lim->allow_utf8;
}

static size_t
norm_max_local(const struct addr_limits *lim)
{
	return lim && lim->max_local ? lim->max_local : 64;
}

static size_t
norm_max_total(const struct addr_limits *lim)
{
	return lim && lim->max_total ? lim->max_total : 254;
}

static int
norm_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* quote_822_local's is_822_dot_string, 8-bit clean (SMTPUTF8): atoms of
 * atext or 8-bit bytes separated by single dots. */
static int
norm_dot_string(const unsigned char *l, size_t len)
{
	size_t i;

	if (len == 0 || l[0] == '.' || l[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (l[i] == '.') {
			if (l[i + 1] == '.')
				return 0;
		} else if (l[i] < 0x80 && !norm_atext(l[i]))
			return 0;
	}
	return 1;
}

int
addr_norm_quote_local(const unsigned char *l, size_t len, struct buf *out)
{
	size_t i, mark = out->len;

	if (norm_dot_string(l, len))
		return buf_add(out, l, len);
	if (buf_addc(out, '"') < 0)
		return -1;
	for (i = 0; i < len; i++)
		if (((l[i] == '"' || l[i] == '\\') &&
		     buf_addc(out, '\\') < 0) ||
		    buf_addc(out, (char)l[i]) < 0)
			goto full;
	if (buf_addc(out, '"') == 0)
		return 0;
full:
	out->len = mark;
	out->data[mark] = '\0';
	return -1;
}

/* Simple lower case of the two-byte code point u, or u: Latin-1 and
 * Latin Extended-A, Greek and Cyrillic capitals. Every result is a
 * two-byte code point that maps to itself. */
static unsigned
norm_lower2(unsigned u)
{
	if ((u >= 0xc0 && u <= 0xde && u != 0xd7) ||
	    (u >= 0x391 && u <= 0x3ab && u != 0x3a2) ||
	    (u >= 0x410 && u <= 0x42f))
		return u + 0x20;
	if (u >= 0x400 && u <= 0x40f)
		return u + 0x50;
	if (u == 0x178)
		return 0xff;
	if (u == 0x386)
		return 0x3ac;
	if (u >= 0x388 && u <= 0x38a)
		return u + 0x25;
	if (u == 0x38c)
		return 0x3cc;
	if (u == 0x38e || u == 0x38f)
		return u + 0x3f;
	if ((u >= 0x100 && u <= 0x12f) || (u >= 0x132 && u <= 0x137) ||
	    (u >= 0x14a && u <= 0x177))
		return u | 1;
	if (((u >= 0x139 && u <= 0x148) || (u >= 0x179 && u <= 0x17e)) &&
	    (u & 1))
		return u + 1;
	return u;
}

int
addr_norm_domain(const unsigned char *d, size_t len, struct buf *out)
{
	size_t i, mark = out->len;
	unsigned u;

	if (buf_reserve(out, len) < 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = d[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		else if (c >= 0xc2 && c <= 0xdf && i + 1 < len &&
			 (d[i + 1] & 0xc0) == 0x80) {
			/* Same length in and out: the room is reserved. */
			u = norm_lower2(((unsigned)(c & 0x1f) << 6) |
					(d[i + 1] & 0x3f));
			if (buf_addc(out, (char)(0xc0 | (u >> 6))) < 0 ||
			    buf_addc(out, (char)(0x80 | (u & 0x3f))) < 0)
				goto full;
			i++;
			continue;
		}
		if (buf_addc(out, (char)c) < 0)
			goto full;
	}
	return 0;
full:
	out->len = mark;
	if (out->data)
		out->data[mark] = '\0';
	return -1;
}

/* d[0..len) is a domain Postfix takes: a hostname with at most one
 * trailing dot (*dlen without it), or an address literal. */
static enum addr_status
norm_check_domain(const unsigned char *d, size_t len,
		  const struct addr_limits *lim, size_t *dlen, size_t *bad)
{
	unsigned char tmp[2 + 256];
	struct addr_parts pa;
	enum addr_status st;

	*bad = 0;
	if (len == 0)
		return ADDR_EDOMAIN;
	if (d[0] == '[') {
		/* One grammar to trust: addr_parse's, on "x@" + literal. */
		if (len > sizeof(tmp) - 2)
			return ADDR_ELIMIT;
		tmp[0] = 'x';
		tmp[1] = '@';
		memcpy(tmp + 2, d, len);
		st = addr_parse(tmp, len + 2, lim, &pa, bad);
		*bad = *bad >= 2 ? *bad - 2 : 0;
		*dlen = len;
		return st == ADDR_OK ? ADDR_OK : ADDR_EDOMAIN;
	}
	*dlen = len > 1 && d[len - 1] == '.' ? len - 1 : len;
	return addr_parse_domain(d, *dlen, lim, bad);
}

/* Appends "local@domain" (or the bare local part, or local@origin) and
 * fills n. local is unquoted already. */
static enum addr_status
norm_emit(const unsigned char *local, size_t llen, const unsigned char *d,
	  size_t dlen, const struct addr_limits *lim, const char *origin,
	  struct buf *out, struct addr_norm *n)
{
	size_t mark = out->len;

	if (llen > norm_max_local(lim))
		return ADDR_ELIMIT;
	n->domainless = d == NULL;
	if (d == NULL && origin != NULL && *origin != '\0') {
		d = (const unsigned char *)origin;
		dlen = strlen(origin);
		if (dlen > 1 && d[dlen - 1] == '.')
			dlen--;
	}
	if (addr_norm_quote_local(local, llen, out) < 0)
		return ADDR_ELIMIT;
	n->local_len = out->len - mark;
	n->has_domain = d != NULL;
	if (d != NULL &&
	    (buf_addc(out, '@') < 0 || addr_norm_domain(d, dlen, out) < 0))
		goto full;
	if (out->len - mark <= norm_max_total(lim))
		return ADDR_OK;
full:
	out->len = mark;
	if (out->data)
		out->data[mark] = '\0';
	return ADDR_ELIMIT;
}

/* Offset of the last '@' outside quotes in p[i..len), or len. */
static size_t
norm_last_at(const unsigned char *p, size_t len, size_t i)
{
	size_t at = len;
	int quoted = 0;

	for (; i < len; i++) {
		if (quoted && p[i] == '\\' && i + 1 < len)
			i++;
		else if (p[i] == '"')
			quoted = !quoted;
		else if (p[i] == '@' && !quoted)
			at = i;
	}
	return at;
}

/* The raw local part p[*i..stop), unquoted into loc[0..*llen). stop is
 * the last unquoted '@' (Postfix reads <a@b@c> as "a@b"@c) or the end. */
static enum addr_status
norm_scan_local(const unsigned char *p, size_t stop, size_t *i,
		const struct addr_limits *lim, unsigned char *loc, size_t cap,
		size_t *llen, size_t *err_off)
{
	size_t j = *i, k = 0, q = 0, seq;
	int quoted = 0;

	while (j < stop) {
		unsigned char c = p[j];

		seq = 1;
		if (c == '"') {
			quoted = !quoted;
			if (quoted)
				q = j;
			j++;
			continue;
		}
		if (quoted && c == '\\' && j + 1 < stop && p[j + 1] >= ' ' &&
		    p[j + 1] <= '~')
			c = p[++j];
		else if (c >= 0x80) {
			if (!norm_utf8(lim) ||
			    (seq = addr_utf8_seq(p + j, stop - j)) == 0)
				goto bad;
		} else if (quoted ? (c < ' ' || c > '~' || c == '\\')
				  : (!norm_atext(c) && c != '.' && c != '@'))
			goto bad;
		if (k + seq > cap) {
			*err_off = j;
			return ADDR_ELIMIT;
		}
		memcpy(loc + k, p + j, seq);
		if (seq == 1)
			loc[k] = c;
		k += seq;
		j += seq;
	}
	if (quoted) {
		*err_off = q;
		return ADDR_ELOCAL;
	}
	if (j == *i) {
		*err_off = j;
		return ADDR_ELOCAL;
	}
	*llen = k;
	*i = j;
	return ADDR_OK;
bad:
	*err_off = j;
	return ADDR_ELOCAL;
}

enum addr_status
addr_norm_path(const unsigned char *p, size_t len,
	       const struct addr_limits *lim, const char *origin,
	       struct buf *out, struct addr_norm *n, size_t *err_off)
{
	unsigned char loc[512];
	size_t i = 0, end = len, llen, dlen, bad;
	const unsigned char *colon;
	enum addr_status st;

	memset(n, 0, sizeof(*n));
	*err_off = 0;
	while (i < end && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t'))
		end--;
	if (end - i >= 2 && p[i] == '<' && p[end - 1] == '>') {
		i++;
		end--;
	}
	if (i == end) {
		n->is_null = 1;
		return ADDR_OK;
	}
	if (p[i] == '@') {
		/* Postfix truncates at the first ':' (extract_addr). */
		colon = memchr(p + i, ':', end - i);
		if (colon == NULL) {
			*err_off = i;
			return ADDR_ELOCAL;
		}
		i = (size_t)(colon - p) + 1;
		n->routed = 1;
	}
	st = norm_scan_local(p, norm_last_at(p, end, i), &i, lim, loc,
			     sizeof(loc), &llen, err_off);
	if (st != ADDR_OK)
		return st;
	if (i == end)
		return norm_emit(loc, llen, NULL, 0, lim, origin, out, n);
	i++; /* '@' */
	st = norm_check_domain(p + i, end - i, lim, &dlen, &bad);
	if (st != ADDR_OK) {
		*err_off = i + bad;
		return st;
	}
	st = norm_emit(loc, llen, p + i, dlen, lim, origin, out, n);
	if (st != ADDR_OK)
		*err_off = i;
	return st;
}

enum addr_status
addr_norm_internal(const unsigned char *p, size_t len,
		   const struct addr_limits *lim, const char *origin,
		   struct buf *out, struct addr_norm *n, size_t *err_off)
{
	const unsigned char *at = NULL;
	size_t i, seq, llen, dlen, bad;
	enum addr_status st;

	memset(n, 0, sizeof(*n));
	*err_off = 0;
	if (len == 0) {
		n->is_null = 1;
		return ADDR_OK;
	}
	for (i = len; i > 0; i--)
		if (p[i - 1] == '@') {
			at = p + i - 1;
			break;
		}
	llen = at ? (size_t)(at - p) : len;
	for (i = 0; i < llen; i += seq) {
		seq = 1;
		if (p[i] < ' ' || p[i] == 0x7f ||
		    (p[i] >= 0x80 &&
		     (!norm_utf8(lim) ||
		      (seq = addr_utf8_seq(p + i, llen - i)) == 0))) {
			*err_off = i;
			return ADDR_ELOCAL;
		}
	}
	/* An empty local part is ""@domain; alone it is nothing. */
	if (llen == 0 && at == NULL)
		return ADDR_ELOCAL;
	if (at == NULL)
		return norm_emit(p, llen, NULL, 0, lim, origin, out, n);
	st = norm_check_domain(at + 1, len - llen - 1, lim, &dlen, &bad);
	if (st != ADDR_OK) {
		*err_off = llen + 1 + bad;
		return st;
	}
	st = norm_emit(p, llen, at + 1, dlen, lim, origin, out, n);
	if (st != ADDR_OK)
		*err_off = 0;
	return st;
}
