/* lib/spam/ev_rawmime.c - the raw MIME structure as SpamAssassin
 * 4.0.1's Message.pm parses it (its line-by-line header and multipart
 * parser, not GMime's), for the evals that read what that parser notices:
 * check_msg_parse_flags (missing header/body separators, truncated
 * headers, parts without headers, an epilogue after the last boundary),
 * check_for_mime('mime_qp_long_line'), check_base64_length and
 * check_mime_multipart_ratio.
 *
 * Pure over the raw message: no allocation beyond the result, recursion
 * bounded by EVR_MAXDEPTH, every line bounded by the message. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ev_int.h"
#include "msgview.h"

#define EVR_MAXDEPTH 20
#define EVR_MAXPARTS 1000

struct ev_rawmime {
	int missing_hb_sep, truncated_header, missing_mime_headers;
	int missing_mime_hb_sep, epilogue, qp_long_line;
	size_t b64_len;		     /* longest raw line of a base64 leaf */
	int alternative;	     /* a multipart/alternative was seen */
	long text_bytes, html_bytes; /* last text/plain, text/html leaf */
	int have_text, have_html;
	size_t nparts;
};

/* The length of the line at s, its "\n" included. */ static size_t
evr_linelen(const char *s, const char *end)
{
	const char *nl = memchr(s, '\n', (size_t)(end - s));

	return nl ? (size_t)(nl + 1 - s) : (size_t)(end - s);
}

/* /^[\041-\071\073-\176]+[ \t]*:/ (ws: the WSP before ':' allowed) */
static int
evr_is_field(const char *s, size_t n, int ws)
{
	size_t i = 0;

	while (i < n && s[i] >= 041 && s[i] <= 0176 && s[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (ws && i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i < n && s[i] == ':';
}

/* A blank line: "\n" or "\r\n" (/^\r?$/). */
static int
evr_blank(const char *s, size_t n)
{
	return n == 0 || (n == 1 && s[0] == '\n') ||
	       (n == 2 && s[0] == '\r' && s[1] == '\n') ||
	       (n == 1 && s[0] == '\r');
}

struct evr_hdrs {
	char ct[512], cte[64], cd[128];
};

/* Keeps the fields the parser needs from one "Name: value" field. */
static void
evr_field(struct evr_hdrs *h, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n), *v;
	size_t kl, vl, i;
	char *dst;
	size_t cap;

	if (colon == NULL)
		return;
	kl = (size_t)(colon - s);
	while (kl > 0 && (s[kl - 1] == ' ' || s[kl - 1] == '\t'))
		kl--;
	if (kl == 12 && strncasecmp(s, "Content-Type", 12) == 0) {
		dst = h->ct;
		cap = sizeof(h->ct);
	} else if (kl == 25 &&
		   strncasecmp(s, "Content-Transfer-Encoding", 25) == 0) {
		dst = h->cte;
		cap = sizeof(h->cte);
	} else if (kl == 19 && strncasecmp(s, "Content-Disposition", 19) == 0) {
		dst = h->cd;
		cap = sizeof(h->cd);
	} else
		return;
	if (dst[0] != '\0') /* the first field counts */
		return;
	for (v = colon + 1; v < s + n && isspace((unsigned char)*v); v++)
		;
	vl = (size_t)(s + n - v);
	while (vl > 0 && isspace((unsigned char)v[vl - 1]))
		vl--;
	if (vl >= cap)
		vl = cap - 1;
	for (i = 0; i < vl; i++)
		dst[i] =
		    v[i] == '\n' || v[i] == '\r' || v[i] == '\t' ? ' ' : v[i];
	dst[vl] = '\0';
}

/* parse_content_type: the lowercased type ("text/plain" when missing)
 * and the boundary parameter. */
static void
evr_ctype(const char *ct, char *type, size_t tlen, char *bnd, size_t blen)
{
	const char *p = ct, *b;
	size_t n = 0;

	bnd[0] = '\0';
	if (*ct == '\0')
		p = "text/plain";
	while (isspace((unsigned char)*p))
		p++;
	while (p[n] && p[n] != ';' && !isspace((unsigned char)p[n]) &&
	       n + 1 < tlen) {
		type[n] = (char)tolower((unsigned char)p[n]);
		n++;
	}
	type[n] = '\0';
	for (b = ct; (b = strcasestr(b, "boundary")) != NULL; b += 8) {
		const char *q = b + 8;

		if (b > ct && (isalnum((unsigned char)b[-1]) || b[-1] == '_'))
			continue;
		while (isspace((unsigned char)*q))
			q++;
		if (*q != '=')
			continue;
		for (q++; isspace((unsigned char)*q); q++)
			;
		n = 0;
		if (*q == '"')
			for (q++; q[n] && q[n] != '"'; n++)
				;
		else
			while (q[n] && q[n] != ';' && q[n] != '"' &&
			       !isspace((unsigned char)q[n]))
				n++;
		if (n > 0 && n < blen) {
			memcpy(bnd, q, n);
			bnd[n] = '\0';
		}
		return;
	}
}

/* /^--\Qb\E(--)?\s*$/: 1 a boundary, 2 the closing one, 0 none. */
static int
evr_boundary(const char *s, size_t n, const char *b)
{
	size_t bl = strlen(b), i;
	int close = 0;

	if (n < bl + 2 || s[0] != '-' || s[1] != '-' ||
	    memcmp(s + 2, b, bl) != 0)
		return 0;
	i = bl + 2;
	if (i + 2 <= n && s[i] == '-' && s[i + 1] == '-') {
		close = 1;
		i += 2;
	}
	for (; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1 + close;
}

static void evr_body(struct ev_rawmime *m, const struct evr_hdrs *h,
		     const char *s, const char *end, int depth, int top);

/* A leaf's raw lines [s, end): MIMEEval's _check_attachments and
 * _check_base64_length. */
static void
evr_leaf(struct ev_rawmime *m, const char *type, const struct evr_hdrs *h,
	 const char *s, const char *end)
{
	int qp = strcasecmp(h->cte, "quoted-printable") == 0;
	int b64 = strcasecmp(h->cte, "base64") == 0 &&
		  strcmp(type, "application/ics") != 0;
	int att = strcasestr(h->cd, "attachment") != NULL;
	int txt = strcmp(type, "text/plain") == 0,
	    html = strcmp(type, "text/html") == 0;
	long bytes = 0;

	while (s < end) {
		size_t n = evr_linelen(s, end);

		if (qp && n > 79 && strncmp(s, "SPAM: ", 6) != 0)
			m->qp_long_line = 1;
		if (b64 && n > m->b64_len)
			m->b64_len = n;
		if (m->alternative && !att && (txt || html))
			bytes += (long)n;
		s += n;
	}
	if (att)
		return;
	if (txt) {
		m->text_bytes = bytes;
		m->have_text = 1;
	} else if (html) {
		m->html_bytes = bytes;
		m->have_html = 1;
	}
}

/* The body [s, end) has two lines or more and its first has a
 * non-space and does not start with "--" and the boundary (Message.pm's
 * $#message > 0 && $message[0] =~ /\S/ && $message[0] !~ /^--\Qb\E/). */
static int
evr_text_first(const char *s, const char *end, const char *b)
{
	size_t n = s < end ? evr_linelen(s, end) : 0, i, bl = strlen(b);

	if (n == 0 || s + n >= end)
		return 0;
	if (n >= bl + 2 && s[0] == '-' && s[1] == '-' &&
	    memcmp(s + 2, b, bl) == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 1;
	return 0;
}

/* Message.pm's _parse_multipart over the body [s, end). */
static void
evr_multipart(struct ev_rawmime *m, const char *bnd, const char *s,
	      const char *end, int depth, int top)
{
	const char *p = s, *part = NULL, *pend, *hs = NULL;
	struct evr_hdrs h;
	int in_body = 0, nested = 0;
	size_t n;

	for (; p < end; p += n) {
		n = evr_linelen(p, end);
		if (evr_boundary(p, n, bnd) == 1) {
			const char *q = p + n;

			if (q < end &&
			    !evr_is_field(q, evr_linelen(q, end), 0) && top)
				m->missing_mime_headers = 1;
			p = q;
			break;
		}
	}
	if (p >= end) /* no opening boundary: the whole body is one part */
		p = s;
	memset(&h, 0, sizeof(h));
	part = NULL;
	/* bug 6845: Message.pm puts a blank line above the main multipart
	 * body when that has two lines or more and its first shows
	 * something other than the boundary, so the part has no headers */
	if (top && depth == 0 && p == s && evr_text_first(s, end, bnd))
		in_body = 1;
	for (; p < end; p += n) {
		int b;

		n = evr_linelen(p, end);
		b = evr_boundary(p, n, bnd);
		if (b && nested) {
			nested = b == 2 ? 0 : nested;
			b = 0;
		}
		if (p + n >= end || b) {
			char type[128], cb[256];

			pend = b ? p : p + n;
			if (part == NULL)
				part = pend;
			/* the newline before a boundary belongs to it
			 * (Perl's chomp: "\n" only) */
			if (b && pend > part && pend[-1] == '\n')
				pend--;
			evr_ctype(h.ct, type, sizeof(type), cb, sizeof(cb));
			if (++m->nparts < EVR_MAXPARTS)
				evr_body(m, &h, part, pend, depth + 1, top);
			if (b == 2) {
				for (p += n; p < end; p++)
					if (!isspace((unsigned char)*p) &&
					    *p != '.') {
						if (top)
							m->epilogue = 1;
						break;
					}
				return;
			}
			if (b && p + n < end &&
			    !evr_is_field(p + n, evr_linelen(p + n, end), 0) &&
			    top)
				m->missing_mime_headers = 1;
			memset(&h, 0, sizeof(h));
			in_body = 0;
			part = hs = NULL;
			continue;
		}
		if (!in_body) {
			if (evr_is_field(p, n, 1)) {
				if (hs != NULL)
					evr_field(&h, hs, (size_t)(p - hs));
				hs = p;
				continue;
			}
			if ((*p == ' ' || *p == '\t') && hs != NULL)
				continue;
			if (hs != NULL) {
				char type[128], cb[256];

				evr_field(&h, hs, (size_t)(p - hs));
				evr_ctype(h.ct, type, sizeof(type), cb,
					  sizeof(cb));
				if (cb[0] && strcmp(cb, bnd) == 0)
					nested = 1;
			}
			in_body = 1;
			if (evr_blank(p, n)) {
				part = p + n;
				continue;
			}
			if (top)
				m->missing_mime_hb_sep = 1;
		}
		if (part == NULL)
			part = p;
	}
}

/* A part's body [s, end) with its headers h. */
static void
evr_body(struct ev_rawmime *m, const struct evr_hdrs *h, const char *s,
	 const char *end, int depth, int top)
{
	char type[128], bnd[256];

	evr_ctype(h->ct, type, sizeof(type), bnd, sizeof(bnd));
	if (strcmp(type, "multipart/alternative") == 0)
		m->alternative = 1;
	if (strncmp(type, "multipart/", 10) == 0 && bnd[0] != '\0' &&
	    depth < EVR_MAXDEPTH) {
		evr_multipart(m, bnd, s, end, depth, top);
		return;
	}
	if ((strcmp(type, "message/rfc822") == 0 ||
	     strcmp(type, "message/global") == 0) &&
	    depth < EVR_MAXDEPTH &&
	    (h->cte[0] == '\0' || strcasecmp(h->cte, "7bit") == 0 ||
	     strcasecmp(h->cte, "8bit") == 0)) {
		/* a message of its own: its parse flags are its own */
		struct evr_hdrs sub;
		const char *p = s;
		const char *hs = NULL;
		size_t n;

		memset(&sub, 0, sizeof(sub));
		for (; p < end; p += n) {
			n = evr_linelen(p, end);
			if (evr_blank(p, n)) {
				p += n;
				break;
			}
			if (*p == ' ' || *p == '\t')
				continue;
			if (hs != NULL)
				evr_field(&sub, hs, (size_t)(p - hs));
			hs = p;
		}
		if (hs != NULL && hs < p)
			evr_field(&sub, hs, (size_t)(p - hs));
		evr_body(m, &sub, p, end, depth + 1, 0);
		return;
	}
	evr_leaf(m, type, h, s, end);
}

/* The end of one top-level field that starts at hs and ends before p:
 * HEAD_LONG's limits (SpamAssassin's MAX_HEADER_KEY_LENGTH 256 and
 * MAX_HEADER_VALUE_LENGTH 8192, measured after CRLF -> LF), and the
 * fields the parser keeps. */
static void
evr_top_field(struct ev_rawmime *m, struct evr_hdrs *h, const char *hs,
	      const char *p, int crlf)
{
	const char *colon = memchr(hs, ':', (size_t)(p - hs)), *q;
	size_t kl, vl;

	if (colon == NULL)
		return;
	kl = (size_t)(colon - hs);
	while (kl > 0 && (hs[kl - 1] == ' ' || hs[kl - 1] == '\t'))
		kl--;
	vl = (size_t)(p - colon - 1);
	for (q = colon + 1; crlf && q + 1 < p; q++)
		vl -= q[0] == '\r' && q[1] == '\n';
	if (kl > 256 || vl > 8192)
		m->truncated_header = 1;
	evr_field(h, hs, (size_t)(p - hs));
}

/* Message.pm's header loop over the top of the message; returns where
 * the body starts. */
static const char *
evr_top(struct ev_rawmime *m, struct evr_hdrs *h, const char *s,
	const char *end, int crlf)
{
	const char *p = s, *hs = NULL;
	size_t n;
	int errs = 0, eof;

	for (;;) {
		eof = p >= end;
		n = eof ? 0 : evr_linelen(p, end);
		if (!eof && (*p == ' ' || *p == '\t')) {
			p += n;
			continue;
		}
		if (hs != NULL)
			evr_top_field(m, h, hs, p, crlf);
		hs = NULL;
		if (eof) {
			m->missing_hb_sep = 1;
			return end;
		}
		if (crlf ? n == 2 && p[0] == '\r' && p[1] == '\n'
			 : n == 1 && p[0] == '\n')
			return p + n;
		if ((n >= 2 && p[0] == '-' && p[1] == '-') ||
		    (!evr_is_field(p, n, 1) && ++errs > 3)) {
			m->missing_hb_sep = 1;
			return p;
		}
		hs = p;
		p += n;
	}
}

static struct ev_rawmime *
evr_parse(const char *raw, size_t len)
{
	struct ev_rawmime *m = calloc(1, sizeof(*m));
	const char *s = raw, *end = raw + len, *body;
	struct evr_hdrs h;
	size_t n;
	int crlf;

	if (m == NULL)
		return NULL;
	memset(&h, 0, sizeof(h));
	if (len >= 5 && strncmp(s, "From ", 5) == 0)
		s += evr_linelen(s, end);
	n = s < end ? evr_linelen(s, end) : 0;
	/* Message.pm: CRLF when the first or the last line has one */
	crlf = (n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n') ||
	       (end - s >= 2 && end[-1] == '\n' && end[-2] == '\r');
	body = evr_top(m, &h, s, end, crlf);
	evr_body(m, &h, body, end, 0, 1);
	return m;
}

static const struct ev_rawmime *
evr_get(struct sp_evctx *c)
{
	if (!c->rawmime_done) {
		c->rawmime_done = 1;
		c->rawmime = evr_parse(c->v->raw, c->v->raw_len);
	}
	return c->rawmime;
}

void
ev_rawmime_free(struct ev_rawmime **m)
{
	free(*m);
	*m = NULL;
}

static int
ev_parse_flags(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_rawmime *m = evr_get(c);
	const char *t = a->argv[a->argc - 1];

	if (m == NULL)
		return 0;
	if (strcmp(t, "missing_head_body_separator") == 0)
		return m->missing_hb_sep;
	if (strcmp(t, "missing_mime_head_body_separator") == 0)
		return m->missing_mime_hb_sep;
	if (strcmp(t, "truncated_header") == 0)
		return m->truncated_header;
	if (strcmp(t, "missing_mime_headers") == 0)
		return m->missing_mime_headers;
	if (strcmp(t, "mime_epilogue_exists") == 0)
		return m->epilogue;
	return 0;
}

int
ev_rawmime_qp_long_line(struct sp_evctx *c)
{
	const struct ev_rawmime *m = evr_get(c);

	return m != NULL && m->qp_long_line;
}

static int
ev_base64_length(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_rawmime *m = evr_get(c);
	double lo = sp_ev_num(a, 0, 0);

	if (m == NULL)
		return 0;
	if (a->argc > 1 && (double)m->b64_len > sp_ev_num(a, 1, 1e308))
		return 0;
	return (double)m->b64_len >= lo;
}

static int
ev_multipart_ratio(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_rawmime *m = evr_get(c);
	double r;

	if (m == NULL || !m->alternative || !m->have_text || !m->have_html ||
	    m->html_bytes <= 0)
		return 0;
	r = (double)m->text_bytes / (double)m->html_bytes;
	return r >= sp_ev_num(a, 0, 0) && r < sp_ev_num(a, 1, 0);
}

const struct sp_evdef ev_rawmime_defs[] = {
    {"check_msg_parse_flags", ev_parse_flags, 1, 2},
    {"check_base64_length", ev_base64_length, 1, 2},
    {"check_mime_multipart_ratio", ev_multipart_ratio, 2, 2},
    {NULL, NULL, 0, 0},
};
