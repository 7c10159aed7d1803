/* lib/addr.c - RFC 5321 / RFC 5322 address parsing; see addr.h.
 *
 * One mailbox scanner (addr_scan) serves the three entry points: it parses
 * "local@domain" starting at an offset and reports where it stopped, and
 * each caller decides which byte may follow (end of input, '>', ',', ';').
 * Every loop advances by at least one byte, so all work is linear in len.
 *
 * SECURITY: the input is hostile (SMTP commands, message headers). Nothing
 * here allocates except addr_canon, which goes through struct buf. */
#include "addr.h"

#include <string.h>
#include <strings.h>

#include "addr_norm.h"
#include "buf.h"

#define ADDR_LABEL_MAX 63
#define ADDR_COMMENT_DEPTH 32
#define ADDR_CANON_LOCAL_MAX 512

/* Scanner flags. */
enum {
	SCAN_CFWS = 0x1, /* RFC 5322: comments and folding white space allowed
			    around '@' */
};

static size_t
lim_local(const struct addr_limits *lim)
{
	return lim && lim->max_local ? lim->max_local : 64;
}

static size_t
lim_domain(const struct addr_limits *lim)
{
	return lim && lim->max_domain ? lim->max_domain : 255;
}

static size_t
lim_total(const struct addr_limits *lim)
{
	return lim && lim->max_total ? lim->max_total : 254;
}

static int
lim_utf8(const struct addr_limits *lim)
{
	return lim && lim->allow_utf8;
}

const char *
addr_strerror(enum addr_status st)
{
	switch (st) {
	case ADDR_OK:
		return "ok";
	case ADDR_EEMPTY:
		return "empty address";
	case ADDR_ESYNTAX:
		return "syntax error";
	case ADDR_ENOAT:
		return "missing '@'";
	case ADDR_ELOCAL:
		return "bad local part";
	case ADDR_EDOMAIN:
		return "bad domain";
	case ADDR_ELIMIT:
		return "address too long";
	}
	return "unknown address error";
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 5322 atext. */
static int
is_atext(unsigned char c)
{
	return is_alpha(c) || is_digit(c) ||
	       (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Length of the well-formed UTF-8 sequence (RFC 3629) at p[0..n) whose
 * first byte is >= 0x80, or 0: no overlongs, surrogates or > U+10FFFF. */
size_t
addr_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t need, k;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0)
		need = 1;
	else if (c < 0xf0)
		need = 2;
	else
		need = 3;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < need + 1)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (k = 2; k <= need; k++)
		if (p[k] < 0x80 || p[k] > 0xbf)
			return 0;
	return need + 1;
}

/* Skips CFWS from i; nested comments up to ADDR_COMMENT_DEPTH. Returns the
 * new offset, or len + 1 with *err_off set on an unterminated or too deep
 * comment. */
static size_t
skip_cfws(const unsigned char *p, size_t len, size_t i, size_t *err_off)
{
	size_t depth, open;

	for (;;) {
		while (i < len && is_wsp(p[i]))
			i++;
		if (i >= len || p[i] != '(')
			return i;
		open = i;
		depth = 0;
		do {
			if (p[i] == '\\' && i + 1 < len)
				i++;
			else if (p[i] == '(') {
				if (++depth > ADDR_COMMENT_DEPTH) {
					*err_off = i;
					return len + 1;
				}
			} else if (p[i] == ')')
				depth--;
			i++;
		} while (depth > 0 && i < len);
		if (depth > 0) {
			*err_off = open;
			return len + 1;
		}
	}
}

/* IPv4 dotted quad at p[i..end): four Snum of 1..3 digits, each <= 255.
 * Returns 0 or -1 with *err_off. */
static int
scan_ipv4(const unsigned char *p, size_t i, size_t end, size_t *err_off)
{
	unsigned v;
	size_t n, part;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= end || p[i] != '.')
				goto bad;
			i++;
		}
		for (v = 0, n = 0; i < end && is_digit(p[i]) && n < 3; n++, i++)
			v = v * 10 + (unsigned)(p[i] - '0');
		if (n == 0 || v > 255 || (i < end && is_digit(p[i])))
			goto bad;
	}
	if (i == end)
		return 0;
bad:
	*err_off = i < end ? i : end;
	return -1;
}

/* RFC 5321 IPv6-addr at p[i..end): eight 16-bit units, or at most six
 * around one "::"; an embedded IPv4 address counts as two units. */
static int
scan_ipv6(const unsigned char *p, size_t i, size_t end, size_t *err_off)
{
	size_t units = 0, n, j;
	int comp = 0;

	if (end - i >= 2 && p[i] == ':' && p[i + 1] == ':') {
		comp = 1;
		i += 2;
	} else if (i < end && p[i] == ':')
		goto bad;
	while (i < end) {
		for (n = 0, j = i; j < end && is_hex(p[j]) && n < 5; j++, n++)
			;
		if (j < end && p[j] == '.' && n <= 3) {
			/* IPv4 tail: the rest must be a dotted quad. */
			if (scan_ipv4(p, i, end, err_off) != 0)
				return -1;
			units += 2;
			i = end;
			break;
		}
		if (n == 0 || n > 4) {
			i = n == 0 ? j : i + 4;
			goto bad;
		}
		units++;
		i = j;
		if (i == end)
			break;
		if (p[i] != ':')
			goto bad;
		i++;
		if (i < end && p[i] == ':') {
			if (comp)
				goto bad;
			comp = 1;
			i++;
		} else if (i == end)
			goto bad;
	}
	if ((comp && units <= 6) || (!comp && units == 8))
		return 0;
bad:
	*err_off = i < end ? i : end;
	return -1;
}

/* Address literal "[...]" at p[i]; *stop is after ']'. */
static enum addr_status
scan_literal(const unsigned char *p, size_t len, size_t i, size_t *stop,
	     size_t *err_off)
{
	size_t end;
	int r;

	for (end = i + 1; end < len && p[end] != ']'; end++)
		if (p[end] == '[' || p[end] == '\\' || p[end] <= ' ' ||
		    p[end] >= 0x7f) {
			*err_off = end;
			return ADDR_EDOMAIN;
		}
	if (end >= len) {
		*err_off = len;
		return ADDR_EDOMAIN;
	}
	i++;
	if (end - i >= 5 && strncasecmp((const char *)p + i, "IPv6:", 5) == 0)
		r = scan_ipv6(p, i + 5, end, err_off);
	else
		r = scan_ipv4(p, i, end, err_off);
	if (r != 0)
		return ADDR_EDOMAIN;
	*stop = end + 1;
	return ADDR_OK;
}

/* One LDH label (or UTF-8 label) at p[i]; returns its end. */
static size_t
scan_label(const unsigned char *p, size_t len, size_t i, int utf8, size_t *bad)
{
	size_t n;

	*bad = (size_t)-1;
	while (i < len) {
		if (is_alpha(p[i]) || is_digit(p[i]) || p[i] == '-')
			i++;
		else if (p[i] >= 0x80 && utf8) {
			if ((n = addr_utf8_seq(p + i, len - i)) == 0) {
				*bad = i;
				return i;
			}
			i += n;
		} else
			break;
	}
	return i;
}

/* Hostname at p[i]: labels separated by single dots, no trailing dot.
 * Stops at the first byte that cannot continue it (*stop). */
static enum addr_status
scan_domain(const unsigned char *p, size_t len, size_t i,
	    const struct addr_limits *lim, size_t *stop, size_t *err_off)
{
	size_t start = i, ls, bad;

	for (;;) {
		ls = i;
		i = scan_label(p, len, i, lim_utf8(lim), &bad);
		if (bad != (size_t)-1) {
			*err_off = bad;
			return ADDR_EDOMAIN;
		}
		if (i == ls) {
			/* Empty domain, leading, double or trailing dot. */
			*err_off = ls == start || (ls < len && p[ls] == '.')
				       ? ls
				       : ls - 1;
			return ADDR_EDOMAIN;
		}
		if (p[ls] == '-' || p[i - 1] == '-') {
			*err_off = p[ls] == '-' ? ls : i - 1;
			return ADDR_EDOMAIN;
		}
		if (i - ls > ADDR_LABEL_MAX) {
			*err_off = ls + ADDR_LABEL_MAX;
			return ADDR_EDOMAIN;
		}
		if (i - start > lim_domain(lim)) {
			*err_off = start + lim_domain(lim);
			return ADDR_ELIMIT;
		}
		if (i >= len || p[i] != '.')
			break;
		i++;
	}
	*stop = i;
	return ADDR_OK;
}

/* Whether c may end a mailbox when '@' is missing: that is ENOAT rather
 * than a bad byte in the local part. */
static int
ends_mailbox(unsigned char c)
{
	return c == '>' || c == ',' || c == ';';
}

/* Local part at p[i]: Dot-string or Quoted-string. */
static enum addr_status
scan_local(const unsigned char *p, size_t len, size_t i,
	   const struct addr_limits *lim, struct addr_parts *out,
	   size_t *err_off)
{
	size_t start = i, n;
	int utf8 = lim_utf8(lim);

	out->local_off = i;
	out->quoted = i < len && p[i] == '"';
	if (out->quoted) {
		for (i++; i < len && p[i] != '"'; i++) {
			if (p[i] == '\\' && i + 1 < len && p[i + 1] >= ' ' &&
			    p[i + 1] <= '~')
				i++;
			else if (p[i] >= 0x80 && utf8 &&
				 (n = addr_utf8_seq(p + i, len - i)) != 0)
				i += n - 1;
			else if (p[i] < ' ' || p[i] > '~' || p[i] == '\\') {
				*err_off = i;
				return ADDR_ELOCAL;
			}
		}
		if (i >= len) {
			*err_off = len;
			return ADDR_ELOCAL;
		}
		i++;
	} else {
		for (;;) {
			size_t as = i;

			while (i < len) {
				if (is_atext(p[i]))
					i++;
				else if (p[i] >= 0x80 && utf8 &&
					 (n = addr_utf8_seq(p + i, len - i)) !=
					     0)
					i += n;
				else
					break;
			}
			if (i == as) {
				/* Empty atom: leading, double or trailing
				 * dot, or nothing at all. */
				*err_off = i > start && p[i - 1] == '.' &&
						   (i >= len || p[i] == '@' ||
						    ends_mailbox(p[i]))
					       ? i - 1
					       : i;
				return ADDR_ELOCAL;
			}
			if (i >= len || p[i] != '.')
				break;
			i++;
		}
	}
	out->local_len = i - start;
	if (out->local_len > lim_local(lim)) {
		*err_off = start + lim_local(lim);
		return ADDR_ELIMIT;
	}
	return ADDR_OK;
}

/* "local@domain" at p[i]; *stop is the first byte after it. */
static enum addr_status
addr_scan(const unsigned char *p, size_t len, size_t i,
	  const struct addr_limits *lim, int flags, struct addr_parts *out,
	  size_t *stop, size_t *err_off)
{
	struct addr_parts pa;
	enum addr_status st;
	size_t j;

	memset(&pa, 0, sizeof(pa));
	if ((st = scan_local(p, len, i, lim, &pa, err_off)) != ADDR_OK)
		return st;
	j = pa.local_off + pa.local_len;
	if (flags & SCAN_CFWS) {
		if ((j = skip_cfws(p, len, j, err_off)) > len)
			return ADDR_ESYNTAX;
	}
	if (j >= len || p[j] != '@') {
		*err_off = j;
		return j >= len || ends_mailbox(p[j]) ? ADDR_ENOAT
						      : ADDR_ELOCAL;
	}
	j++;
	if (flags & SCAN_CFWS) {
		if ((j = skip_cfws(p, len, j, err_off)) > len)
			return ADDR_ESYNTAX;
	}
	pa.domain_off = j;
	pa.literal = j < len && p[j] == '[';
	if (pa.literal)
		st = scan_literal(p, len, j, stop, err_off);
	else
		st = scan_domain(p, len, j, lim, stop, err_off);
	if (st != ADDR_OK)
		return st;
	pa.domain_len = *stop - j;
	if (pa.domain_len > lim_domain(lim)) {
		*err_off = j + lim_domain(lim);
		return ADDR_ELIMIT;
	}
	if (pa.local_len + 1 + pa.domain_len > lim_total(lim)) {
		*err_off = pa.local_off + lim_total(lim);
		return ADDR_ELIMIT;
	}
	*out = pa;
	return ADDR_OK;
}

enum addr_status
addr_parse(const unsigned char *p, size_t len, const struct addr_limits *lim,
	   struct addr_parts *out, size_t *err_off)
{
	enum addr_status st;
	size_t stop;

	*err_off = 0;
	if (len == 0)
		return ADDR_EEMPTY;
	if (memchr(p, '@', len) == NULL) {
		*err_off = len;
		return ADDR_ENOAT;
	}
	if ((st = addr_scan(p, len, 0, lim, 0, out, &stop, err_off)) != ADDR_OK)
		return st;
	if (stop != len) {
		*err_off = stop;
		return ADDR_EDOMAIN;
	}
	return ADDR_OK;
}

enum addr_status
addr_parse_domain(const unsigned char *p, size_t len,
		  const struct addr_limits *lim, size_t *err_off)
{
	enum addr_status st;
	size_t stop;

	*err_off = 0;
	if (len == 0)
		return ADDR_EEMPTY;
	if ((st = scan_domain(p, len, 0, lim, &stop, err_off)) != ADDR_OK)
		return st;
	if (stop != len) {
		*err_off = stop;
		return ADDR_EDOMAIN;
	}
	return ADDR_OK;
}

/* Obsolete source route "@a,@b:" at p[i] (i at the first '@'). */
static enum addr_status
skip_route(const unsigned char *p, size_t len, size_t i,
	   const struct addr_limits *lim, int flags, size_t *stop,
	   size_t *err_off)
{
	enum addr_status st;

	for (;;) {
		if (i >= len || p[i] != '@') {
			*err_off = i;
			return ADDR_ESYNTAX;
		}
		i++;
		if ((st = scan_domain(p, len, i, lim, &i, err_off)) != ADDR_OK)
			return st;
		if ((flags & SCAN_CFWS) &&
		    (i = skip_cfws(p, len, i, err_off)) > len)
			return ADDR_ESYNTAX;
		if (i < len && p[i] == ':') {
			*stop = i + 1;
			return ADDR_OK;
		}
		if (i >= len || p[i] != ',') {
			*err_off = i;
			return ADDR_ESYNTAX;
		}
		i++;
		if ((flags & SCAN_CFWS) &&
		    (i = skip_cfws(p, len, i, err_off)) > len)
			return ADDR_ESYNTAX;
	}
}

enum addr_status
addr_parse_path(const unsigned char *p, size_t len,
		const struct addr_limits *lim, int lenient,
		struct addr_parts *out, int *is_null, size_t *end,
		size_t *err_off)
{
	enum addr_status st;
	size_t i = 0, stop;

	*err_off = 0;
	*is_null = 0;
	if (lenient)
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
	if (i >= len) {
		*err_off = i;
		return ADDR_EEMPTY;
	}
	if (p[i] != '<') {
		if (!lenient) {
			*err_off = i;
			return ADDR_ESYNTAX;
		}
		st = addr_scan(p, len, i, lim, 0, out, &stop, err_off);
		if (st != ADDR_OK)
			return st;
		if (stop < len && p[stop] != ' ') {
			*err_off = stop;
			return ADDR_EDOMAIN;
		}
		*end = stop;
		return ADDR_OK;
	}
	i++;
	if (i < len && p[i] == '>') {
		*is_null = 1;
		*end = i + 1;
		return ADDR_OK;
	}
	if (i < len && p[i] == '@' &&
	    (st = skip_route(p, len, i, lim, 0, &i, err_off)) != ADDR_OK)
		return st;
	if (i >= len) {
		*err_off = i;
		return ADDR_ESYNTAX;
	}
	if ((st = addr_scan(p, len, i, lim, 0, out, &stop, err_off)) != ADDR_OK)
		return st;
	if (stop >= len || p[stop] != '>') {
		*err_off = stop;
		return stop >= len ? ADDR_ESYNTAX : ADDR_EDOMAIN;
	}
	*end = stop + 1;
	return ADDR_OK;
}

/* --- RFC 5322 address-list ------------------------------------------- */

struct hdr_state {
	const unsigned char *p;
	size_t len;
	const struct addr_limits *lim;
	addr_each_fn fn;
	void *ctx;
	size_t *err_off;
	int in_group;
	int stopped; /* fn asked to stop */
	int seen;    /* an address or a group was found */
};

/* Skips one phrase word at i (atom, quoted-string, or an obs-phrase '.');
 * display names may carry raw UTF-8 (RFC 6532) whatever allow_utf8 says,
 * since they are never returned. Returns the new offset, i if no word. */
static size_t
skip_word(const unsigned char *p, size_t len, size_t i, size_t *err_off)
{
	size_t start = i;

	if (i < len && p[i] == '"') {
		for (i++; i < len && p[i] != '"'; i++)
			if (p[i] == '\\' && i + 1 < len)
				i++;
		if (i >= len) {
			*err_off = start;
			return len + 1;
		}
		return i + 1;
	}
	while (i < len && (is_atext(p[i]) || p[i] == '.' || p[i] >= 0x80))
		i++;
	return i;
}

/* Scans the phrase at i up to the first byte that decides what this
 * address is ('<', ':', '@', ',', ';' or the end). *nwords counts words.
 * Returns that byte's offset, or len + 1 on error. */
static size_t
scan_phrase(const struct hdr_state *h, size_t i, size_t *nwords)
{
	size_t j;

	*nwords = 0;
	for (;;) {
		if ((i = skip_cfws(h->p, h->len, i, h->err_off)) > h->len)
			return i;
		if (i >= h->len || strchr("<:@,;", h->p[i]) != NULL)
			return i;
		j = skip_word(h->p, h->len, i, h->err_off);
		if (j > h->len)
			return j;
		if (j == i) {
			*h->err_off = i;
			return h->len + 1;
		}
		(*nwords)++;
		i = j;
	}
}

static enum addr_status
hdr_emit(struct hdr_state *h, const struct addr_parts *pa)
{
	if (h->fn != NULL && h->fn(h->ctx, h->p, pa) != 0)
		h->stopped = 1;
	return ADDR_OK;
}

/* angle-addr after '<' at i: optional obs-route, addr-spec, '>'. */
static enum addr_status
hdr_angle(struct hdr_state *h, size_t i, size_t *next)
{
	struct addr_parts pa;
	enum addr_status st;
	size_t stop;

	if ((i = skip_cfws(h->p, h->len, i, h->err_off)) > h->len)
		return ADDR_ESYNTAX;
	if (i < h->len && h->p[i] == '>') {
		/* "<>" in a header: nothing to report (Postfix accepts). */
		*next = i + 1;
		return ADDR_OK;
	}
	if (i < h->len && h->p[i] == '@') {
		st = skip_route(h->p, h->len, i, h->lim, SCAN_CFWS, &i,
				h->err_off);
		if (st != ADDR_OK)
			return st;
		if ((i = skip_cfws(h->p, h->len, i, h->err_off)) > h->len)
			return ADDR_ESYNTAX;
	}
	st = addr_scan(h->p, h->len, i, h->lim, SCAN_CFWS, &pa, &stop,
		       h->err_off);
	if (st != ADDR_OK)
		return st;
	if ((stop = skip_cfws(h->p, h->len, stop, h->err_off)) > h->len)
		return ADDR_ESYNTAX;
	if (stop >= h->len || h->p[stop] != '>') {
		*h->err_off = stop;
		return ADDR_ESYNTAX;
	}
	*next = stop + 1;
	return hdr_emit(h, &pa);
}

/* One address (or empty list element, or group start/end) at i. *next is
 * where the separator (',' / ';' / end) is expected. */
static enum addr_status
hdr_address(struct hdr_state *h, size_t i, size_t *next)
{
	struct addr_parts pa;
	enum addr_status st;
	size_t d, nwords;

	if ((i = skip_cfws(h->p, h->len, i, h->err_off)) > h->len)
		return ADDR_ESYNTAX;
	if ((d = scan_phrase(h, i, &nwords)) > h->len)
		return ADDR_ESYNTAX;
	if (d < h->len && h->p[d] == '<') {
		h->seen = 1;
		return hdr_angle(h, d + 1, next);
	}
	if (d < h->len && h->p[d] == ':') {
		if (h->in_group || nwords == 0) {
			*h->err_off = d;
			return ADDR_ESYNTAX;
		}
		h->in_group = 1;
		h->seen = 1;
		*next = d + 1; /* the group list follows: no separator */
		return ADDR_OK;
	}
	if (d < h->len && h->p[d] == '@') {
		h->seen = 1;
		st = addr_scan(h->p, h->len, i, h->lim, SCAN_CFWS, &pa, next,
			       h->err_off);
		if (st != ADDR_OK)
			return st;
		return hdr_emit(h, &pa);
	}
	if (nwords > 0) {
		/* A bare word: no '@'. */
		*h->err_off = d;
		return ADDR_ENOAT;
	}
	*next = d; /* empty element (obs-addr-list) */
	return ADDR_OK;
}

enum addr_status
addr_parse_header(const unsigned char *p, size_t len,
		  const struct addr_limits *lim, addr_each_fn fn, void *ctx,
		  size_t *err_off)
{
	struct hdr_state h = {p, len, lim, fn, ctx, err_off, 0, 0, 0};
	enum addr_status st;
	size_t i = 0, next;
	int group_start;

	*err_off = 0;
	while (i < len && !h.stopped) {
		group_start = !h.in_group;
		if ((st = hdr_address(&h, i, &next)) != ADDR_OK)
			return st;
		if (group_start && h.in_group) {
			i = next; /* right after "name:" */
			continue;
		}
		if ((i = skip_cfws(p, len, next, err_off)) > len)
			return ADDR_ESYNTAX;
		if (i < len && p[i] == ';' && h.in_group) {
			h.in_group = 0;
			if ((i = skip_cfws(p, len, i + 1, err_off)) > len)
				return ADDR_ESYNTAX;
		}
		if (i >= len)
			break;
		if (p[i] != ',') {
			*err_off = i;
			return ADDR_ESYNTAX;
		}
		i++;
	}
	if (h.stopped)
		return ADDR_OK;
	if (h.in_group) {
		*err_off = len;
		return ADDR_ESYNTAX;
	}
	if (!h.seen) {
		*err_off = len;
		return ADDR_EEMPTY;
	}
	return ADDR_OK;
}

void
addr_split_ext(const unsigned char *local, size_t len, const char *delims,
	       size_t *user_len, int *has_ext, size_t *ext_off, size_t *ext_len)
{
	size_t i;

	*user_len = len;
	*has_ext = 0;
	*ext_off = len;
	*ext_len = 0;
	if (delims == NULL || *delims == '\0' || len == 0 ||
	    (local[0] != '\0' && strchr(delims, local[0]) != NULL))
		return;
	for (i = 1; i < len; i++) {
		if (local[i] != '\0' && strchr(delims, local[i]) != NULL) {
			*user_len = i;
			*has_ext = 1;
			*ext_off = i + 1;
			*ext_len = len - i - 1;
			return;
		}
	}
}

int
addr_canon(const unsigned char *p, const struct addr_parts *parts,
	   struct buf *out)
{
	const unsigned char *l = p + parts->local_off;
	unsigned char loc[ADDR_CANON_LOCAL_MAX];
	size_t i, n = 0, mark = out->len;

	if (!parts->quoted) {
		if (parts->local_len > sizeof(loc))
			return -1;
		memcpy(loc, l, parts->local_len);
		n = parts->local_len;
	} else {
		/* Unquote: the scanner left only well-formed pairs. */
		for (i = 1; i + 1 < parts->local_len; i++) {
			if (l[i] == '\\' && i + 2 < parts->local_len)
				i++;
			if (n == sizeof(loc))
				return -1;
			loc[n++] = l[i];
		}
	}
	if (addr_norm_quote_local(loc, n, out) < 0)
		return -1;
	if (buf_addc(out, '@') < 0 ||
	    addr_norm_domain(p + parts->domain_off, parts->domain_len, out) <
		0) {
		out->len = mark;
		out->data[mark] = '\0';
		return -1;
	}
	return 0;
}
