/* admin/check.c - input checks for the admin CLI. Pure: no I/O. Every
 * message names the field and the 1-based position of the bad character,
 * so the admin can fix the exact spot. Positions count characters (UTF-8
 * code points), not bytes. */
#include "admin.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "cidr.h"

#define CHK_REPLY_MAX 400 /* an SMTP reply line is 512 with code and CRLF */

/* Decodes one UTF-8 sequence at p (at most n bytes). Returns its length
 * and the code point in *cp, or 0 for an invalid sequence. */
static size_t
chk_utf8(const unsigned char *p, size_t n, unsigned long *cp)
{
	size_t len, i;
	unsigned long c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* 1-based character position of byte offset off in s. */
static size_t
chk_charpos(const char *s, size_t off)
{
	size_t i, pos = 1;

	for (i = 0; i < off && s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			pos++;
	return pos;
}

static int
chk_text(const char *what, const char *s, int ascii_only, char *err,
	 size_t errlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, l;
	unsigned long cp;

	while (i < n) {
		if ((l = chk_utf8(p + i, n - i, &cp)) == 0) {
			snprintf(err, errlen,
				 "%s: invalid UTF-8 byte 0x%02X "
				 "at position %zu",
				 what, p[i], chk_charpos(s, i));
			return -1;
		}
		if (cp == '\r' || cp == '\n') {
			snprintf(err, errlen,
				 "%s: line break (%s) at "
				 "position %zu; the text must be one line",
				 what, cp == '\r' ? "CR" : "LF",
				 chk_charpos(s, i));
			return -1;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			snprintf(err, errlen,
				 "%s: control character U+%04lX "
				 "at position %zu",
				 what, cp, chk_charpos(s, i));
			return -1;
		}
		if (ascii_only && cp >= 0x80) {
			snprintf(err, errlen,
				 "%s: non-ASCII character U+%04lX "
				 "'%.*s' at position %zu; use plain ASCII",
				 what, cp, (int)l, s + i, chk_charpos(s, i));
			return -1;
		}
		i += l;
	}
	return 0;
}

int
chk_reply_text(const char *what, const char *s, char *err, size_t errlen)
{
	if (chk_text(what, s, 1, err, errlen) < 0)
		return -1;
	if (strlen(s) > CHK_REPLY_MAX) {
		snprintf(err, errlen, "%s: %zu characters, at most %d", what,
			 strlen(s), CHK_REPLY_MAX);
		return -1;
	}
	return 0;
}

int
chk_utf8_text(const char *what, const char *s, char *err, size_t errlen)
{
	return chk_text(what, s, 0, err, errlen);
}

static const struct addr_limits chk_limits; /* all defaults, ASCII only */

int
chk_address(const char *what, const char *s, struct buf *canon, char *err,
	    size_t errlen)
{
	struct addr_parts parts;
	enum addr_status st;
	size_t off = 0;

	st = addr_parse((const unsigned char *)s, strlen(s), &chk_limits,
			&parts, &off);
	if (st != ADDR_OK) {
		snprintf(err, errlen,
			 "%s: invalid address '%s': %s at "
			 "position %zu",
			 what, s, addr_strerror(st), chk_charpos(s, off));
		return -1;
	}
	if (parts.literal) {
		snprintf(err, errlen,
			 "%s: '%s': an address literal can not "
			 "be used here; use a domain name",
			 what, s);
		return -1;
	}
	buf_reset(canon);
	if (addr_canon((const unsigned char *)s, &parts, canon) < 0) {
		snprintf(err, errlen, "%s: address too long", what);
		return -1;
	}
	return 0;
}

int
chk_domain(const char *what, const char *s, struct buf *canon, char *err,
	   size_t errlen)
{
	enum addr_status st;
	size_t off = 0, i;

	st = addr_parse_domain((const unsigned char *)s, strlen(s), &chk_limits,
			       &off);
	if (st != ADDR_OK) {
		snprintf(err, errlen,
			 "%s: invalid domain '%s': %s at "
			 "position %zu",
			 what, s, addr_strerror(st), chk_charpos(s, off));
		return -1;
	}
	buf_reset(canon);
	if (buf_adds(canon, s) < 0) {
		snprintf(err, errlen, "%s: domain too long", what);
		return -1;
	}
	for (i = 0; i < canon->len; i++)
		if (canon->data[i] >= 'A' && canon->data[i] <= 'Z')
			canon->data[i] = (char)(canon->data[i] + 'a' - 'A');
	return 0;
}

int
chk_local(const char *what, const char *s, char *err, size_t errlen)
{
	struct addr_parts parts;
	struct buf b;
	enum addr_status st;
	size_t off = 0;
	int rc = 0;

	/* Parse it as a mailbox on a fixed domain: one grammar to trust. */
	buf_init(&b, 1024);
	if (buf_printf(&b, "%s@example.invalid", s) < 0) {
		snprintf(err, errlen, "%s: local part too long", what);
		return -1;
	}
	st = addr_parse((const unsigned char *)b.data, b.len, &chk_limits,
			&parts, &off);
	if (st != ADDR_OK || strchr(s, '@') != NULL) {
		if (off > strlen(s))
			off = strlen(s);
		if (st == ADDR_OK)
			off = (size_t)(strchr(s, '@') - s);
		snprintf(err, errlen,
			 "%s: invalid local part '%s': %s at "
			 "position %zu",
			 what, s,
			 st == ADDR_OK ? "unexpected '@'" : addr_strerror(st),
			 chk_charpos(s, off));
		rc = -1;
	}
	buf_free(&b);
	return rc;
}

int
chk_smtp_code(const char *s, int *code, char *err, size_t errlen)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || end - s != 3 || v < 400 ||
	    v > 599) {
		snprintf(err, errlen,
			 "code: '%s' is not an SMTP error code; "
			 "use 400..599 (e.g. 554)",
			 s);
		return -1;
	}
	*code = (int)v;
	return 0;
}

/* One to three digits at *p, advancing it. */
static int
chk_digits(const char **p)
{
	size_t n = 0;

	while ((*p)[n] >= '0' && (*p)[n] <= '9')
		n++;
	*p += n;
	return n >= 1 && n <= 3;
}

int
chk_enhanced(const char *s, int code, char *err, size_t errlen)
{
	const char *p = s + 1;

	if ((s[0] != '4' && s[0] != '5') || *p++ != '.' || !chk_digits(&p) ||
	    *p++ != '.' || !chk_digits(&p) || *p != '\0') {
		snprintf(
		    err, errlen,
		    "enhanced: '%s' is not an enhanced "
		    "status code (RFC 3463): use CLASS.SUBJECT.DETAIL with "
		    "class 4 or 5, e.g. 5.7.1",
		    s);
		return -1;
	}
	if (s[0] - '0' != code / 100) {
		snprintf(err, errlen,
			 "enhanced: class %c.x.x does not match "
			 "code %d; use %d.x.x with %dxx",
			 s[0], code, code / 100, code / 100);
		return -1;
	}
	return 0;
}

int
chk_looks_ip(const char *s)
{
	size_t i;

	if (strchr(s, ':') != NULL || strchr(s, '/') != NULL)
		return 1;
	for (i = 0; s[i]; i++)
		if ((s[i] < '0' || s[i] > '9') && s[i] != '.')
			return 0;
	return i > 0;
}

/* Accepts exactly what lib/cidr (the blacklist and facteur-lookup)
 * accepts: a row stored here is a row they use, never one they skip.
 * The stored form keeps the address as given (host bits too, so "del"
 * finds rows stored before); an IPv4-mapped IPv6 one is its IPv4 form. */
int
chk_ip(const char *what, const char *s, struct buf *canon, char *err,
       size_t errlen)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	char text[INET6_ADDRSTRLEN];
	enum cidr_status st;
	struct cidr_ip ip;
	struct cidr c;

	if ((st = cidr_parse(s, strlen(s), &c)) != CIDR_OK ||
	    cidr_ip_parse(s, alen, &ip) != 0) {
		snprintf(err, errlen, "%s: '%s' %s", what, s,
			 cidr_strerror(st != CIDR_OK ? st : CIDR_EADDR));
		return -1;
	}
	if (inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.b, text, sizeof(text)) ==
	    NULL) {
		snprintf(err, errlen, "%s: '%s': cannot format", what, s);
		return -1;
	}
	buf_reset(canon);
	if ((slash == NULL ? buf_adds(canon, text)
			   : buf_printf(canon, "%s/%u", text, c.prefix)) < 0) {
		snprintf(err, errlen, "%s: out of memory", what);
		return -1;
	}
	return 0;
}

int
chk_size(const char *what, const char *s, long long *bytes, char *err,
	 size_t errlen)
{
	unsigned long long v, mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		goto bad;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		break;
	case 't':
	case 'T':
		mul = 1ULL << 40;
		break;
	default:
		goto bad;
	}
	if (*end != '\0' && end[1] != '\0' &&
	    !((end[1] == 'B' || end[1] == 'b') && end[2] == '\0'))
		goto bad;
	if (v > (unsigned long long)(1LL << 60) / mul) {
		snprintf(err, errlen, "%s: '%s' is too large", what, s);
		return -1;
	}
	*bytes = (long long)(v * mul);
	return 0;
bad:
	snprintf(err, errlen,
		 "%s: '%s' is not a size; use a number with an "
		 "optional K, M, G or T suffix (0 = unlimited)",
		 what, s);
	return -1;
}

int
chk_pattern(const char *what, const char *s, int allow_ip, struct buf *canon,
	    const char **kind, char *err, size_t errlen)
{
	const char *at = strchr(s, '@');
	size_t l = strlen(s);

	if (l == 0) {
		snprintf(err, errlen, "%s: empty pattern", what);
		return -1;
	}
	if (at == NULL && chk_looks_ip(s)) {
		if (!allow_ip) {
			snprintf(err, errlen,
				 "%s: '%s': IP patterns are for "
				 "senders only",
				 what, s);
			return -1;
		}
		*kind = "ip";
		return chk_ip(what, s, canon, err, errlen);
	}
	if (at == NULL) {
		/* "domain": the domain and its subdomains (access(5)). */
		*kind = "domain";
		return chk_domain(what, s, canon, err, errlen);
	}
	if (at == s) {
		/* "@domain": that domain exactly. */
		*kind = "domain";
		return chk_alias(what, s, 1, 0, canon, err, errlen);
	}
	*kind = "address";
	if (at[1] == '\0') {
		/* "user@": any domain. */
		char local[256];

		if (l - 1 >= sizeof(local)) {
			snprintf(err, errlen, "%s: local part too long", what);
			return -1;
		}
		memcpy(local, s, l - 1);
		local[l - 1] = '\0';
		if (chk_local(what, local, err, errlen) < 0)
			return -1;
		buf_reset(canon);
		return buf_adds(canon, s) < 0 ? -1 : 0;
	}
	return chk_address(what, s, canon, err, errlen);
}

/* What --transliterate knows: French (and a few neighbours') letters and
 * typography. A fixed table, not iconv's //TRANSLIT, whose output depends
 * on the locale. Sorted by code point. */
static const struct {
	unsigned long cp;
	const char *ascii;
} chk_translit[] = {
    {0x00a0, " "},  {0x00ab, "\""},  {0x00b0, "o"},  {0x00bb, "\""},
    {0x00c0, "A"},  {0x00c1, "A"},   {0x00c2, "A"},  {0x00c3, "A"},
    {0x00c4, "A"},  {0x00c5, "A"},   {0x00c6, "AE"}, {0x00c7, "C"},
    {0x00c8, "E"},  {0x00c9, "E"},   {0x00ca, "E"},  {0x00cb, "E"},
    {0x00cc, "I"},  {0x00cd, "I"},   {0x00ce, "I"},  {0x00cf, "I"},
    {0x00d1, "N"},  {0x00d2, "O"},   {0x00d3, "O"},  {0x00d4, "O"},
    {0x00d5, "O"},  {0x00d6, "O"},   {0x00d8, "O"},  {0x00d9, "U"},
    {0x00da, "U"},  {0x00db, "U"},   {0x00dc, "U"},  {0x00dd, "Y"},
    {0x00df, "ss"}, {0x00e0, "a"},   {0x00e1, "a"},  {0x00e2, "a"},
    {0x00e3, "a"},  {0x00e4, "a"},   {0x00e5, "a"},  {0x00e6, "ae"},
    {0x00e7, "c"},  {0x00e8, "e"},   {0x00e9, "e"},  {0x00ea, "e"},
    {0x00eb, "e"},  {0x00ec, "i"},   {0x00ed, "i"},  {0x00ee, "i"},
    {0x00ef, "i"},  {0x00f1, "n"},   {0x00f2, "o"},  {0x00f3, "o"},
    {0x00f4, "o"},  {0x00f5, "o"},   {0x00f6, "o"},  {0x00f8, "o"},
    {0x00f9, "u"},  {0x00fa, "u"},   {0x00fb, "u"},  {0x00fc, "u"},
    {0x00fd, "y"},  {0x00ff, "y"},   {0x0152, "OE"}, {0x0153, "oe"},
    {0x0178, "Y"},  {0x2013, "-"},   {0x2014, "-"},  {0x2018, "'"},
    {0x2019, "'"},  {0x201c, "\""},  {0x201d, "\""}, {0x2026, "..."},
    {0x202f, " "},  {0x20ac, "EUR"},
};

static const char *
chk_translit_find(unsigned long cp)
{
	size_t lo = 0, hi = sizeof(chk_translit) / sizeof(chk_translit[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (chk_translit[mid].cp == cp)
			return chk_translit[mid].ascii;
		if (chk_translit[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
chk_transliterate(const char *s, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, l;
	unsigned long cp;
	const char *rep;
	int count = 0;

	buf_reset(out);
	if (buf_adds(out, "") < 0)
		return -1;
	while (i < n) {
		if ((l = chk_utf8(p + i, n - i, &cp)) == 0)
			l = 1; /* kept as is; chk_reply_text names it */
		else if (cp >= 0x80 && (rep = chk_translit_find(cp)) != NULL) {
			if (buf_adds(out, rep) < 0)
				return -1;
			count++;
			i += l;
			continue;
		}
		if (buf_add(out, p + i, l) < 0)
			return -1;
		i += l;
	}
	return count;
}

int
chk_alias(const char *what, const char *s, int allow_at_domain, int allow_local,
	  struct buf *canon, char *err, size_t errlen)
{
	struct buf d;
	int rc;

	if (allow_at_domain && s[0] == '@') {
		buf_init(&d, 1024);
		rc = chk_domain(what, s + 1, &d, err, errlen);
		buf_reset(canon);
		if (rc == 0 && buf_printf(canon, "@%s", d.data) < 0) {
			snprintf(err, errlen, "%s: too long", what);
			rc = -1;
		}
		buf_free(&d);
		return rc;
	}
	if (allow_local && strchr(s, '@') == NULL) {
		buf_reset(canon);
		if (chk_local(what, s, err, errlen) < 0)
			return -1;
		if (buf_adds(canon, s) < 0) {
			snprintf(err, errlen, "%s: too long", what);
			return -1;
		}
		return 0;
	}
	return chk_address(what, s, canon, err, errlen);
}
