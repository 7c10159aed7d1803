/* milters/spam/ev_mime.c - MIMEEval's and BodyEval's functions that read
 * the MIME structure and the body (SpamAssassin 4.0 Plugin/MIMEEval.pm,
 * BodyEval.pm): part counts by type and transfer encoding, attachments,
 * the share of upper case, the body's length. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ev_int.h"
#include "msgview.h"

/* A part header's value ("content-disposition"), lowercased, into out. */
static void
ev_part_header(const struct sp_part *p, const char *name, char *out,
    size_t outlen)
{
	const char *h = p->headers, *e;
	size_t nl = strlen(name), n;

	out[0] = '\0';
	while (h != NULL && *h) {
		if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
			h += nl + 1;
			while (*h == ' ' || *h == '\t')
				h++;
			e = strchr(h, '\n');
			n = e ? (size_t)(e - h) : strlen(h);
			if (n >= outlen)
				n = outlen - 1;
			for (size_t i = 0; i < n; i++)
				out[i] = (char)tolower((unsigned char)h[i]);
			out[n] = '\0';
			return;
		}
		h = strchr(h, '\n');
		h = h ? h + 1 : NULL;
	}
}

static int
ev_ascii_charset(const char *cs)
{
	static const char *const names[] = {"us-ascii", "ansi_x3.4-1968",
	    "iso-ir-6", "ansi_x3.4-1986", "iso_646.irv:1991", "ascii",
	    "iso646-us", "us", "ibm367", "cp367", "csascii", NULL};
	size_t i;

	if (cs == NULL || *cs == '\0')
		return 1;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(cs, names[i]) == 0)
			return 1;
	return 0;
}

static int
ev_for_mime(struct sp_evctx *c, const struct sp_evcall *a)
{
	const char *t = a->argv[0];
	size_t i, b64 = 0, qp = 0, att = 0;
	int b64text = 0, badiso = 0;

	for (i = 0; i < c->v->nparts; i++) {
		const struct sp_part *p = &c->v->parts[i];
		const char *cte = p->cte ? p->cte : "";
		char cd[256];

		ev_part_header(p, "Content-Disposition", cd, sizeof(cd));
		if (strstr(cte, "base64") != NULL)
			b64++;
		else if (strstr(cte, "quoted-printable") != NULL)
			qp++;
		if (strstr(cd, "attachment") != NULL)
			att++;
		if (strncmp(p->content_type, "text", 4) == 0 &&
		    strstr(cte, "base64") != NULL &&
		    ev_ascii_charset(p->charset) &&
		    strncmp(cd, "attachment", 10) != 0 &&
		    strncmp(cd, "inline", 6) != 0)
			b64text = 1;
		if (p->charset != NULL && strncmp(p->charset, "iso-", 4) ==
		    0 && strchr(p->charset + 4, '-') != NULL &&
		    strncmp(p->charset, "iso-8859-", 9) != 0 &&
		    strncmp(p->charset, "iso-2022-jp", 11) != 0 &&
		    strncmp(p->charset, "iso-2022-kr", 11) != 0)
			badiso = 1;
	}
	if (strcmp(t, "mime_base64_count") == 0)
		return b64 > 0;
	if (strcmp(t, "mime_qp_count") == 0)
		return qp > 0;
	if (strcmp(t, "mime_attachment") == 0)
		return att > 0;
	if (strcmp(t, "mime_base64_encoded_text") == 0)
		return b64text;
	if (strcmp(t, "mime_bad_iso_charset") == 0)
		return badiso;
	if (strcmp(t, "mimepart_limit_exceeded") == 0)
		return c->v->truncated && c->v->nparts >= 100;
	return 0;
}

static int
ev_top_html(const struct sp_evctx *c)
{
	const char *ct = ev_header(c, "Content-Type", 0, 0);

	while (ct != NULL && isspace((unsigned char)*ct))
		ct++;
	return ct != NULL && strncasecmp(ct, "text/html", 9) == 0;
}

static void
ev_count_text(const struct sp_evctx *c, size_t *html, size_t *text)
{
	size_t i;

	*html = *text = 0;
	for (i = 0; i < c->v->nparts; i++) {
		if (strcmp(c->v->parts[i].content_type, "text/html") == 0)
			(*html)++;
		else if (strncmp(c->v->parts[i].content_type, "text", 4) == 0)
			(*text)++;
	}
}

static int
ev_mime_html(struct sp_evctx *c, const struct sp_evcall *a)
{
	size_t h, t;

	(void)a;
	if (ev_top_html(c))
		return 1;
	ev_count_text(c, &h, &t);
	return h > 0;
}

static int
ev_mime_html_only(struct sp_evctx *c, const struct sp_evcall *a)
{
	size_t h, t;

	(void)a;
	if (ev_top_html(c))
		return 1;
	ev_count_text(c, &h, &t);
	return h > 0 && t == 0;
}

static int
ev_ma_non_text(struct sp_evctx *c, const struct sp_evcall *a)
{
	size_t i;

	(void)a;
	for (i = 0; i < c->v->nparts; i++) {
		const struct sp_part *p = &c->v->parts[i];

		if (p->in_alternative && strncmp(p->content_type, "text/",
		    5) != 0 && strcmp(p->content_type, "application/rtf") !=
		    0)
			return 1;
	}
	return 0;
}

/* MIMEEval's check_for_uppercase over the body lines. */
static int
ev_uppercase(struct sp_evctx *c, const struct sp_evcall *a)
{
	const char *p = c->v->body_text, *e;
	size_t len = 0, lower = 0, upper = 0, i;
	double pct;

	for (; p != NULL && *p; p = *e ? e + 1 : e) {
		int mid = 0;

		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		for (i = 1; p + i + 1 < e && !mid; i++)
			mid = isspace((unsigned char)p[i]) &&
			    !isspace((unsigned char)p[i - 1]);
		if (!mid)
			continue;
		for (i = 0; p + i < e; i++) {
			unsigned char ch = (unsigned char)p[i];

			len++;
			if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
				lower++;
			else if (ch >= 'A' && ch <= 'Z')
				upper++;
		}
	}
	if (len < 200 || upper + lower == 0)
		return 0;
	pct = (double)upper / (double)(upper + lower) * 100.0;
	return pct > sp_ev_num(a, 0, 0) && pct <= sp_ev_num(a, 1, 100);
}

static int
ev_body_length(struct sp_evctx *c, const struct sp_evcall *a)
{
	return (double)(c->v->raw_len - c->v->body_off) <= sp_ev_num(a, 0, 0);
}

/* BodyEval returns 0 when ok_locales is "all", SpamAssassin's default
 * (facteur reads no ok_locales). */
static int
ev_body_8bits(struct sp_evctx *c, const struct sp_evcall *a)
{
	(void)c;
	(void)a;
	return 0;
}

static const char *const ev_mime_tests[] = {"mime_base64_count",
    "mime_qp_count", "mime_attachment", "mime_base64_encoded_text",
    "mime_bad_iso_charset", "mimepart_limit_exceeded", NULL};

const struct sp_evdef ev_mime_defs[] = {
	{"check_for_mime", ev_for_mime, 1, 1, ev_mime_tests},
	{"check_for_mime_html", ev_mime_html, 0, 0},
	{"check_for_mime_html_only", ev_mime_html_only, 0, 0},
	{"check_ma_non_text", ev_ma_non_text, 0, 0},
	{"check_for_uppercase", ev_uppercase, 2, 2},
	{NULL, NULL, 0, 0},
};

const struct sp_evdef ev_body_defs[] = {
	{"check_body_length", ev_body_length, 1, 1},
	{"check_body_8bits", ev_body_8bits, 0, 0},
	{NULL, NULL, 0, 0},
};
