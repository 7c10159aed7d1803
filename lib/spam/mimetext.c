/* lib/spam/mimetext.c - header block, HTML to text and URI finding;
 * see mimetext.h. Pure. HTML is handled as a byte stream, not a tree: a
 * spam filter needs the words a reader would see and the links, and a
 * tolerant scanner cannot be pushed into deep recursion by hostile
 * nesting. */
#include "mimetext.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

int
mt_headers(const char *raw, size_t len, size_t max_fields, mt_header_fn fn,
	   void *ctx, size_t *body_off)
{
	size_t i = 0, nfields = 0;

	if (max_fields == 0)
		max_fields = 1000;
	while (i < len) {
		size_t start = i, colon = 0, end;
		int has_colon = 0;

		if (raw[i] == '\n' ||
		    (raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n')) {
			*body_off = i + (raw[i] == '\r' ? 2 : 1);
			return 0;
		}
		/* One field: its first line and the continuation lines. */
		for (end = i; end < len; end++) {
			if (!has_colon && raw[end] == ':') {
				has_colon = 1;
				colon = end;
			}
			if (raw[end] == '\n' &&
			    (end + 1 >= len ||
			     (raw[end + 1] != ' ' && raw[end + 1] != '\t')))
				break;
		}
		i = end < len ? end + 1 : len;
		if (!has_colon || colon == start)
			continue;
		if (nfields++ >= max_fields)
			continue;
		{
			size_t nlen = colon, vs = colon + 1, ve = end;

			while (nlen > start &&
			       (raw[nlen - 1] == ' ' || raw[nlen - 1] == '\t'))
				nlen--;
			while (vs < ve && (raw[vs] == ' ' || raw[vs] == '\t'))
				vs++;
			if (fn(ctx, raw + start, nlen - start, raw + vs,
			       ve - vs) < 0)
				return -1;
		}
	}
	*body_off = len;
	return 0;
}

int
mt_unfold(const char *v, size_t n, struct buf *out)
{
	size_t i, run;

	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	/* runs between line ends, not a buf_addc per byte */
	for (i = 0; i < n; i += run) {
		if (v[i] == '\r' || v[i] == '\n') {
			run = v[i] == '\r' && i + 1 < n && v[i + 1] == '\n' ? 2
									    : 1;
			/* a line end not followed by a blank ends a field:
			 * kept, so a block stays one field per line */
			if (i + run < n && v[i + run] != ' ' &&
			    v[i + run] != '\t' && buf_addc(out, '\n') < 0)
				return -1;
			continue;
		}
		for (run = 1;
		     i + run < n && v[i + run] != '\r' && v[i + run] != '\n';
		     run++)
			;
		if (buf_add(out, v + i, run) < 0)
			return -1;
	}
	if (out->data == NULL && buf_add(out, "", 0) < 0)
		return -1;
	return 0;
}

int
mt_lf_lines(const char *v, size_t n, struct buf *out)
{
	size_t i, run;

	for (i = 0; i < n; i += run) {
		for (run = 0;
		     i + run < n && !(v[i + run] == '\r' && i + run + 1 < n &&
				      v[i + run + 1] == '\n');
		     run++)
			;
		if (buf_add(out, v + i, run) < 0)
			return -1;
		if (i + run < n)
			run++; /* the CR of a CRLF */
	}
	if (out->data == NULL && buf_add(out, "", 0) < 0)
		return -1;
	return 0;
}

/* ---- HTML ---- */

struct mt_entity {
	const char *name;
	unsigned cp;
};

static const struct mt_entity mt_entities[] = {
    {"amp", '&'},      {"lt", '<'},	   {"gt", '>'},	      {"quot", '"'},
    {"apos", '\''},    {"nbsp", ' '},	   {"copy", 0xa9},    {"reg", 0xae},
    {"euro", 0x20ac},  {"eacute", 0xe9},   {"egrave", 0xe8},  {"agrave", 0xe0},
    {"ccedil", 0xe7},  {"ecirc", 0xea},	   {"ocirc", 0xf4},   {"uuml", 0xfc},
    {"ouml", 0xf6},    {"auml", 0xe4},	   {"szlig", 0xdf},   {"pound", 0xa3},
    {"trade", 0x2122}, {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013},
    {"laquo", 0xab},   {"raquo", 0xbb},	   {"rsquo", 0x2019}, {"lsquo", 0x2018},
    {"ldquo", 0x201c}, {"rdquo", 0x201d},  {"zwnj", 0x200c},  {"zwj", 0x200d},
    {"shy", 0xad},
};

static int
mt_put_utf8(struct buf *out, unsigned cp)
{
	char s[4];
	size_t n;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		s[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		s[0] = (char)(0xc0 | cp >> 6);
		s[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | cp >> 12);
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		s[0] = (char)(0xf0 | cp >> 18);
		s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_add(out, s, n);
}

/* Decodes the reference at p[0..n) (p[0] == '&'). Returns the bytes used
 * (0: not a reference) and the code point in *cp. */
static size_t
mt_entity(const char *p, size_t n, unsigned *cp)
{
	size_t i, j, k;
	unsigned v = 0;

	if (n < 3)
		return 0;
	if (p[1] == '#') {
		int hex = n > 2 && (p[2] == 'x' || p[2] == 'X');

		for (i = hex ? 3 : 2; i < n && i < 12; i++) {
			int c = (unsigned char)p[i];

			if (hex && isxdigit(c))
				v = v * 16 +
				    (unsigned)(isdigit(c)
						   ? c - '0'
						   : tolower(c) - 'a' + 10);
			else if (!hex && isdigit(c))
				v = v * 10 + (unsigned)(c - '0');
			else
				break;
			if (v > 0x10ffff)
				v = 0x110000;
		}
		if (i == (hex ? 3u : 2u))
			return 0;
		*cp = v;
		return i < n && p[i] == ';' ? i + 1 : i;
	}
	for (j = 1; j < n && j < 10 && isalnum((unsigned char)p[j]); j++)
		;
	for (k = 0; k < sizeof(mt_entities) / sizeof(mt_entities[0]); k++)
		if (strlen(mt_entities[k].name) == j - 1 &&
		    strncmp(mt_entities[k].name, p + 1, j - 1) == 0) {
			*cp = mt_entities[k].cp;
			return j < n && p[j] == ';' ? j + 1 : j;
		}
	return 0;
}

/* Appends p[0..n) decoding character references. */
static int
mt_add_decoded(struct buf *out, const char *p, size_t n)
{
	size_t i = 0, used;
	unsigned cp;

	while (i < n) {
		if (p[i] == '&' && (used = mt_entity(p + i, n - i, &cp)) > 0) {
			if (mt_put_utf8(out, cp) < 0)
				return -1;
			i += used;
			continue;
		}
		if (buf_addc(out, p[i]) < 0)
			return -1;
		i++;
	}
	return 0;
}

static int
mt_tag_is(const char *name, size_t n, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == n && strncasecmp(list[i], name, n) == 0)
			return 1;
	return 0;
}

static const char *const mt_block_tags[] = {
    "br", "p",	   "div", "tr", "li",	      "h1", "h2",    "h3", "h4", "h5",
    "h6", "table", "ul",  "ol", "blockquote", "hr", "title", "td", "th", NULL,
};

/* Reports the URL attributes of one tag t[0..n) (between < and >). */
static int
mt_tag_uris(const char *t, size_t n, mt_uri_fn fn, void *ctx)
{
	static const char *const attrs[] = {"href", "src", "action",
					    "background", NULL};
	size_t i = 0;

	while (i < n && !isspace((unsigned char)t[i]))
		i++;
	while (i < n) {
		size_t an, as, vs, ve;

		while (i < n && (isspace((unsigned char)t[i]) || t[i] == '/'))
			i++;
		as = i;
		while (i < n && t[i] != '=' && !isspace((unsigned char)t[i]))
			i++;
		an = i - as;
		while (i < n && isspace((unsigned char)t[i]))
			i++;
		if (i >= n || t[i] != '=') {
			if (an == 0)
				i++;
			continue;
		}
		i++;
		while (i < n && isspace((unsigned char)t[i]))
			i++;
		if (i < n && (t[i] == '"' || t[i] == '\'')) {
			char q = t[i++];

			vs = i;
			while (i < n && t[i] != q)
				i++;
			ve = i;
			if (i < n)
				i++;
		} else {
			vs = i;
			while (i < n && !isspace((unsigned char)t[i]))
				i++;
			ve = i;
		}
		if (fn != NULL && ve > vs && mt_tag_is(t + as, an, attrs) &&
		    fn(ctx, t + vs, ve - vs) < 0)
			return -1;
	}
	return 0;
}

/* Offset past the end of a <script> or <style> element body, from p[i]. */
static size_t
mt_skip_raw(const char *p, size_t n, size_t i, const char *tag)
{
	size_t tl = strlen(tag);

	for (; i + 2 + tl <= n; i++)
		if (p[i] == '<' && p[i + 1] == '/' &&
		    strncasecmp(p + i + 2, tag, tl) == 0)
			return i;
	return n;
}

int
mt_html_text(const char *p, size_t n, struct buf *out, mt_uri_fn uri_fn,
	     void *ctx)
{
	size_t i = 0, text = 0;

	while (i < n) {
		size_t s, e, nl;
		const char *name;

		if (p[i] != '<') {
			i++;
			continue;
		}
		if (mt_add_decoded(out, p + text, i - text) < 0)
			return -1;
		if (i + 3 < n && strncmp(p + i, "<!--", 4) == 0) {
			const char *end =
			    memmem(p + i + 4, n - i - 4, "-->", 3);

			i = end ? (size_t)(end - p) + 3 : n;
			text = i;
			continue;
		}
		s = i + 1;
		e = s;
		while (e < n && p[e] != '>')
			e++;
		name = p + s + (s < n && p[s] == '/');
		for (nl = 0;
		     name + nl < p + e && isalnum((unsigned char)name[nl]);
		     nl++)
			;
		if (mt_tag_uris(p + s, e - s, uri_fn, ctx) < 0)
			return -1;
		if (mt_tag_is(name, nl, mt_block_tags)) {
			if (buf_addc(out, '\n') < 0)
				return -1;
		} else if (nl > 0 && buf_addc(out, ' ') < 0)
			return -1;
		i = e < n ? e + 1 : n;
		if (name == p + s && nl == 6 &&
		    strncasecmp(name, "script", 6) == 0)
			i = mt_skip_raw(p, n, i, "script");
		else if (name == p + s && nl == 5 &&
			 strncasecmp(name, "style", 5) == 0)
			i = mt_skip_raw(p, n, i, "style");
		text = i;
	}
	if (mt_add_decoded(out, p + text, n - text) < 0)
		return -1;
	if (out->data == NULL && buf_add(out, "", 0) < 0)
		return -1;
	return 0;
}

/* ---- URIs ---- */

static int
mt_uri_char(int c)
{
	return c > 0x20 && c != 0x7f && c != '<' && c != '>' && c != '"' &&
	       c != '\'' && c != '`' && c != '{' && c != '}' && c != '|' &&
	       c != '\\' && c != '^';
}

static const char *const mt_schemes[] = {"http://", "https://", "ftp://",
					 "www.",    "mailto:",	NULL};

/* The bytes mt_text_uris() stops at: an address's '@' and the first
 * letter of a scheme above, either case. */
static const unsigned char mt_uri_start[256] = {
    ['@'] = 1, ['h'] = 1, ['H'] = 1, ['w'] = 1, ['W'] = 1,
    ['f'] = 1, ['F'] = 1, ['m'] = 1, ['M'] = 1,
};

/* A byte of a bare mail address: what SpamAssassin's _tbirdurire does
 * not take as a delimiter of one (ASCII only, as Thunderbird). */
static int
mt_mail_char(int c)
{
	return c > 0x20 && c < 0x7f && strchr("<>\"`}]{[|,('@", c) == NULL;
}

/* A bare address around p[at] == '@', not before p[from]: as
 * SpamAssassin's text URI list has it, "mailto:local@host" (a leading
 * "e-mail:" or "skype:" dropped), when host has a dot and ends in an
 * alphabetic label. Returns the end of what was read (at + 1 if
 * nothing), or (size_t)-1 on ENOMEM. */
static size_t
mt_bare_mail(const char *p, size_t n, size_t from, size_t at, mt_uri_fn fn,
	     void *ctx)
{
	static const char *const pre[] = {"skype", "e-mail", "email", "mail",
					  NULL};
	char u[512];
	size_t ls = at, e = at + 1, he, dot = 0, k, pl = 0;

	while (ls > from && at - ls < 251 &&
	       mt_mail_char((unsigned char)p[ls - 1]))
		ls--;
	while (e < n && e - at < 251 && mt_mail_char((unsigned char)p[e]))
		e++;
	while (e > at + 1 && strchr("-~!#^&*)_+=:;'?,.", p[e - 1]) != NULL)
		e--;
	for (he = at + 1; he < e && p[he] != '?' && p[he] != '&'; he++)
		if (p[he] == '.')
			dot = he;
	if (ls == at || dot == 0 || he - dot < 3)
		return at + 1;
	for (k = dot + 1; k < he; k++)
		if (!isalpha((unsigned char)p[k]))
			return at + 1;
	for (k = 0; pre[k] != NULL; k++) {
		pl = strlen(pre[k]);
		if (at - ls > pl && strncasecmp(p + ls, pre[k], pl) == 0 &&
		    p[ls + pl] == ':')
			break;
	}
	if (pre[k] != NULL)
		ls += pl;
	while (ls < at && p[ls] == ':')
		ls++;
	if (ls == at)
		return e;
	memcpy(u, "mailto:", 7);
	memcpy(u + 7, p + ls, e - ls);
	return fn(ctx, u, 7 + e - ls) < 0 ? (size_t)-1 : e;
}

int
mt_text_uris(const char *p, size_t n, mt_uri_fn fn, void *ctx)
{
	size_t i = 0, k, last = 0;

	while (i < n) {
		int c;
		size_t e;

		/* most bytes can start neither a scheme nor an address */
		while (i < n && !mt_uri_start[(unsigned char)p[i]])
			i++;
		if (i == n)
			break;
		c = (unsigned char)p[i];
		if (c == '@') {
			if ((e = mt_bare_mail(p, n, last, i, fn, ctx)) ==
			    (size_t)-1)
				return -1;
			i = last = e;
			continue;
		}
		if (i > 0 &&
		    (isalnum((unsigned char)p[i - 1]) || p[i - 1] == '.' ||
		     p[i - 1] == '/' || p[i - 1] == '@')) {
			i++;
			continue;
		}
		for (k = 0; mt_schemes[k] != NULL; k++) {
			size_t sl = strlen(mt_schemes[k]);

			if (n - i > sl &&
			    strncasecmp(p + i, mt_schemes[k], sl) == 0 &&
			    mt_uri_char((unsigned char)p[i + sl]))
				break;
		}
		if (mt_schemes[k] == NULL) {
			i++;
			continue;
		}
		for (e = i; e < n && mt_uri_char((unsigned char)p[e]); e++)
			;
		if (fn(ctx, p + i, e - i) < 0)
			return -1;
		i = last = e;
	}
	return 0;
}

static int
mt_add_lower(struct buf *b, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (buf_addc(b, (char)tolower((unsigned char)p[i])) < 0)
			return -1;
	return 0;
}

int
mt_uri_normalise(const char *u, size_t n, struct buf *out, struct buf *host)
{
	size_t i, hs, he, sl;
	const char *colon;

	while (n > 0 &&
	       (isspace((unsigned char)*u) || *u == '"' || *u == '\'')) {
		u++;
		n--;
	}
	while (n > 0 && (isspace((unsigned char)u[n - 1]) ||
			 strchr(".,;:!?)]'\"", u[n - 1]) != NULL))
		n--;
	if (n == 0 || n > 4096)
		return 1;
	if (n >= 6 && strncasecmp(u, "mailto:", 7 <= n ? 7 : n) == 0) {
		const char *at = memchr(u, '@', n);

		if (at == NULL)
			return 1;
		if (buf_adds(out, "mailto:") < 0 ||
		    buf_add(out, u + 7, n - 7) < 0)
			return -1;
		he = (size_t)(at - u) + 1;
		for (hs = he; hs < n && u[hs] != '?' && u[hs] != '>'; hs++)
			;
		return mt_add_lower(host, u + he, hs - he) < 0 ? -1 : 0;
	}
	colon = memchr(u, ':', n);
	if (n > 4 && strncasecmp(u, "www.", 4) == 0) {
		if (buf_adds(out, "http://") < 0)
			return -1;
		sl = 0;
	} else if (colon != NULL && colon + 2 < u + n && colon[1] == '/' &&
		   colon[2] == '/') {
		sl = (size_t)(colon - u) + 3;
		for (i = 0; i + 3 < sl; i++)
			if (!isalpha((unsigned char)u[i]))
				return 1;
		if (sl == 3 || mt_add_lower(out, u, sl) < 0)
			return sl == 3 ? 1 : -1;
	} else
		return 1;
	hs = sl;
	for (he = hs; he < n && u[he] != '/' && u[he] != '?' && u[he] != '#';
	     he++)
		;
	/* userinfo@ is a classic way to hide the real host */
	for (i = he; i > hs; i--)
		if (u[i - 1] == '@') {
			hs = i;
			break;
		}
	if (buf_add(out, u + sl, n - sl) < 0)
		return -1;
	for (i = hs; i < he && u[i] != ':'; i++)
		;
	if (i == hs)
		return 1;
	if (u[hs] == '[') /* IPv6 literal: keep up to ']' */
		for (i = hs; i < he && u[i] != ']'; i++)
			;
	return mt_add_lower(host, u + hs, i - hs) < 0 ? -1 : 0;
}

static int
mt_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

int
mt_paragraphs(const char *t, size_t n, struct buf *out)
{
	size_t i, j, nl = 0;
	int space = 0, any = 0;

	for (i = 0; i < n; i = j) {
		unsigned char c = (unsigned char)t[i];

		j = i + 1;
		if (c == '\r')
			continue;
		if (c == '\n') {
			nl++;
			continue;
		}
		if (mt_blank(c)) {
			space = 1;
			continue;
		}
		if (any && nl >= 2) {
			if (buf_addc(out, '\n') < 0)
				return -1;
		} else if (any && (nl == 1 || space)) {
			if (buf_addc(out, ' ') < 0)
				return -1;
		}
		nl = 0;
		space = 0;
		any = 1;
		/* the run of bytes up to the next blank or line end, at once */
		while (j < n && t[j] != '\r' && t[j] != '\n' &&
		       !mt_blank((unsigned char)t[j]))
			j++;
		if (buf_add(out, t + i, j - i) < 0)
			return -1;
	}
	if (any && buf_addc(out, '\n') < 0)
		return -1;
	return 0;
}
