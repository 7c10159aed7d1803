/* lib/spam/ev_mime.c - MIMEEval's and BodyEval's functions that read
 * the MIME structure and the body (SpamAssassin 4.0 Plugin/MIMEEval.pm,
 * BodyEval.pm): part counts by type and transfer encoding, attachments,
 * the share of upper case, the body's length. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>
#include <iconv.h>
#include <stdlib.h>

#include "base64.h"
#include "ev_int.h"
#include "msgview.h"

/* The most bytes of a header value whose encoded words are decoded. */
#define EV_WORDS_MAX 2048

/* A blank of a header field: Perl's \s, and a line end only where a
 * blank follows (a fold; any other line end ends the field). */
static int
ev_field_blank(const char *h)
{
	return *h == ' ' || *h == '\t' || *h == '\r' || *h == '\f' ||
	       *h == '\v' || (*h == '\n' && (h[1] == ' ' || h[1] == '\t'));
}

/* The last field `name` of a part's header block (one field a line,
 * folds kept: SpamAssassin's scalar header() and raw_header() give the
 * last): its value after the colon and, unless lead, the blanks that
 * follow (Message.pm splits a part's fields on /:\s* /, the message's on
 * /:/), up to the end of the field; *n its length. NULL when absent. */
static const char *
ev_part_field(const struct sp_part *p, const char *name, int lead, size_t *n)
{
	const char *h = p->headers, *v = NULL, *e;
	size_t nl = strlen(name);

	while (h != NULL && *h) {
		if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
			for (v = h + nl + 1; !lead && ev_field_blank(v); v++)
				;
			for (e = v; *e && (*e != '\n' || ev_field_blank(e));
			     e++)
				;
			*n = (size_t)(e - v);
		}
		h = strchr(h, '\n');
		h = h ? h + 1 : NULL;
	}
	return v;
}

/* Node.pm's _decode_header leaves these fields' encoded words alone
 * (SpamAssassin bugs 6945, 7249). */
static int
ev_no_decode(const char *name)
{
	static const char *const names[] = {
	    "Received",	  "Message-ID",	 "Resent-Message-ID",
	    "Date",	  "Resent-Date", "MIME-Version",
	    "References", "In-Reply-To", NULL};
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(name, names[i]) == 0)
			return 1;
	return strncasecmp(name, "List-", 5) == 0;
}

/* An encoded word "=?cs?e?text?=" at p: its charset (lowercased, any
 * RFC 2231 "*lang" cut) into cs, its encoding and text; its length, or
 * 0 when p holds none. */
static size_t
ev_word(const char *p, char *cs, size_t cslen, char *enc, const char **text,
	size_t *tlen)
{
	size_t n = 2, k;

	if (p[0] != '=' || p[1] != '?')
		return 0;
	for (k = 0; isalnum((unsigned char)p[n]) || p[n] == '*' ||
		    p[n] == '_' || p[n] == '-';
	     n++)
		if (k + 1 < cslen)
			cs[k++] = (char)tolower((unsigned char)p[n]);
	cs[k] = '\0';
	if (n == 2 || p[n] != '?' || strchr("bBqQ", p[n + 1]) == NULL ||
	    p[n + 1] == '\0' || p[n + 2] != '?')
		return 0;
	*enc = (char)toupper((unsigned char)p[n + 1]);
	*text = p + n + 3;
	*tlen = strcspn(*text, "?");
	if ((*text)[*tlen] != '?' || (*text)[*tlen + 1] != '=')
		return 0;
	cs[strcspn(cs, "*")] = '\0';
	return (size_t)(*text + *tlen + 2 - p);
}

/* Util.pm's base64_decode (lib/base64's B64_LENIENT: other bytes
 * skipped, '=' inside read as data) or qp_decode with "_" as a space,
 * appended to out[*o..lim), cut at lim. t is a word of ev_decode_words'
 * src: n < EV_WORDS_MAX. */
static void
ev_word_decode(char enc, const char *t, size_t n, char *out, size_t *o,
	       size_t lim)
{
	unsigned char b[EV_WORDS_MAX / 4 * 3 + 3];
	size_t i, m, off;

	if (enc == 'B') {
		if (n >= EV_WORDS_MAX ||
		    b64_decode((const unsigned char *)t, n, B64_LENIENT, b,
			       sizeof(b), &m, &off) != B64_OK)
			return;
		m = m < lim - *o ? m : lim - *o;
		memcpy(out + *o, b, m);
		*o += m;
		return;
	}
	for (i = 0; i < n && *o < lim; i++) {
		if (t[i] == '=' && i + 2 < n &&
		    isxdigit((unsigned char)t[i + 1]) &&
		    isxdigit((unsigned char)t[i + 2])) {
			char hx[3] = {t[i + 1], t[i + 2], '\0'};

			out[(*o)++] = (char)strtol(hx, NULL, 16);
			i += 2;
		} else
			out[(*o)++] = t[i] == '_' ? ' ' : t[i];
	}
}

/* The bytes in[0..n) of charset cs as UTF-8 appended to out[*o..lim)
 * (as they are when GMime knows no such charset). */
static void
ev_to_utf8(const char *cs, const char *in, size_t n, char *out, size_t *o,
	   size_t lim)
{
	iconv_t cd = (iconv_t)-1;
	char *u = NULL;
	size_t k;

	if (*cs != '\0' && strcmp(cs, "utf-8") != 0 &&
	    (cd = g_mime_iconv_open("UTF-8", cs)) != (iconv_t)-1) {
		u = g_mime_iconv_strndup(cd, in, n);
		g_mime_iconv_close(cd);
	}
	if (u != NULL) {
		in = u;
		n = strlen(u);
	}
	k = n < lim - *o ? n : lim - *o;
	memcpy(out + *o, in, k);
	*o += k;
	g_free(u);
}

/* Node.pm's _decode_header over out[0..*o), in place (at most outlen - 2
 * bytes, room for a "\n" and the NUL): blanks between two encoded
 * words dropped, each word base64- or QP-decoded, runs of words of one
 * charset joined before they are converted to UTF-8 (bug 7307: a
 * character split over two words), the text between kept. */
static void
ev_decode_words(char *out, size_t *o, size_t outlen)
{
	char src[EV_WORDS_MAX], run[2048], cs[64], rcs[64] = "", enc;
	const char *p, *t;
	size_t w, tl, rn = 0, lim = outlen - 2, n = 0, sn;

	out[*o] = '\0';
	if (strstr(out, "=?") == NULL || *o >= sizeof(src))
		return;
	memcpy(src, out, *o + 1);
	sn = *o;
	for (p = src; p < src + sn;) {
		if ((w = ev_word(p, cs, sizeof(cs), &enc, &t, &tl)) > 0) {
			const char *q = p + w;

			if (rn > 0 && strcmp(cs, rcs) != 0) {
				ev_to_utf8(rcs, run, rn, out, &n, lim);
				rn = 0;
			}
			snprintf(rcs, sizeof(rcs), "%s", cs);
			ev_word_decode(enc, t, tl, run, &rn, sizeof(run));
			/* blanks up to another encoded word are dropped */
			while (isspace((unsigned char)*q))
				q++;
			p = q > p + w && ev_word(q, cs, sizeof(cs), &enc, &t,
						 &tl) > 0
				? q
				: p + w;
			continue;
		}
		if (rn > 0) {
			ev_to_utf8(rcs, run, rn, out, &n, lim);
			rn = 0;
		}
		if (n < lim)
			out[n++] = *p;
		p++;
	}
	if (rn > 0)
		ev_to_utf8(rcs, run, rn, out, &n, lim);
	out[n] = '\0';
	*o = n;
}

/* A part header's value into out as SpamAssassin's Node.pm gives it:
 * raw_header (raw: as received, folds kept, with its "\n") or
 * header() (each fold one space, blanks at either end trimmed, RFC 2047
 * encoded words decoded as _decode_header does; with get_header's "\n"
 * when nl). 1 when the part has the header, 0 (out "") when not. */
static int
ev_part_value(const struct sp_part *p, const char *name, int raw, int nl,
	      char *out, size_t outlen)
{
	size_t n, i, o = 0;
	/* the top part (a single-part message) is the message: its raw
	 * value keeps the blanks after the colon */
	const char *v = ev_part_field(p, name, raw && p->depth == 0, &n);

	out[0] = '\0';
	if (v == NULL || outlen < 2)
		return v != NULL;
	for (i = 0; i < n && o < outlen - 2; i++) {
		if (!raw && v[i] == '\n') {
			while (i + 1 < n &&
			       (v[i + 1] == ' ' || v[i + 1] == '\t'))
				i++;
			out[o++] = ' ';
		} else
			out[o++] = v[i];
	}
	while (!raw && o > 0 && isspace((unsigned char)out[o - 1]))
		o--;
	if (!raw && !ev_no_decode(name))
		ev_decode_words(out, &o, outlen);
	if (raw || nl)
		out[o++] = '\n';
	out[o] = '\0';
	return 1;
}

/* A part header's value ("content-disposition"), lowercased, into out. */
static void
ev_part_header(const struct sp_part *p, const char *name, char *out,
	       size_t outlen)
{
	(void)ev_part_value(p, name, 0, 0, out, outlen);
	for (; *out != '\0'; out++)
		*out = (char)tolower((unsigned char)*out);
}

static int
ev_ascii_charset(const char *cs)
{
	static const char *const names[] = {
	    "us-ascii",		"ansi_x3.4-1968", "iso-ir-6",  "ansi_x3.4-1986",
	    "iso_646.irv:1991", "ascii",	  "iso646-us", "us",
	    "ibm367",		"cp367",	  "csascii",   NULL};
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
		if (p->charset != NULL && strncmp(p->charset, "iso-", 4) == 0 &&
		    strchr(p->charset + 4, '-') != NULL &&
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
	if (strcmp(t, "mime_qp_long_line") == 0)
		return ev_rawmime_qp_long_line(c);
	/* false under ok_locales all, SpamAssassin's default (facteur
	 * reads no ok_locales) */
	if (strcmp(t, "mime_faraway_charset") == 0)
		return 0;
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

		if (p->in_alternative &&
		    strncmp(p->content_type, "text/", 5) != 0 &&
		    strcmp(p->content_type, "application/rtf") != 0)
			return 1;
	}
	return 0;
}

/* MIMEEval's check_for_uppercase's counts over the body lines: the
 * length of the lines with a word break inside, its upper case letters
 * and its lower case letters and digits. */
static void
ev_upper_count(const char *p, size_t *len_, size_t *upper_, size_t *lower_)
{
	const char *e;
	size_t len = 0, lower = 0, upper = 0, i;

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
			if ((ch >= 'a' && ch <= 'z') ||
			    (ch >= '0' && ch <= '9'))
				lower++;
			else if (ch >= 'A' && ch <= 'Z')
				upper++;
		}
	}
	*len_ = len;
	*upper_ = upper;
	*lower_ = lower;
}

/* check_for_uppercase(lo, hi): SpamAssassin's rules ask for three
 * ranges, so the counts are kept for the message. */
static int
ev_uppercase(struct sp_evctx *c, const struct sp_evcall *a)
{
	size_t len, upper, lower;
	double pct;

	if (!c->upper_done) {
		ev_upper_count(c->v->body_text, &c->upper_len, &c->upper_n,
			       &c->lower_n);
		c->upper_done = 1;
	}
	len = c->upper_len;
	upper = c->upper_n;
	lower = c->lower_n;
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

/* text/plain, ASCII or no charset, not base64/QP: the part's bytes as
 * received (= decoded). */
static int
ev_plain_7bit(const struct sp_part *p, int need_ascii)
{
	const char *cte = p->cte ? p->cte : "";

	return strcmp(p->content_type, "text/plain") == 0 && p->text != NULL &&
	       (!need_ascii || p->charset == NULL ||
		strcmp(p->charset, "us-ascii") == 0) &&
	       (cte[0] == '\0' || strcmp(cte, "7bit") == 0 ||
		strcmp(cte, "8bit") == 0);
}

/* MIMEEval's check_for_ascii_text_illegal. */
static int
ev_ascii_illegal(struct sp_evctx *c, const struct sp_evcall *a)
{
	size_t i, k;

	(void)a;
	for (i = 0; i < c->v->nparts; i++) {
		const struct sp_part *p = &c->v->parts[i];

		if (!ev_plain_7bit(p, 1))
			continue;
		for (k = 0; k < p->text_len; k++) {
			unsigned char ch = (unsigned char)p->text[k];

			if (ch == 0 || ch == '\r' || ch >= 0x80)
				return 1;
		}
	}
	return 0;
}

/* MIMEEval's check_abundant_unicode_ratio: "&#xHHHH;" escapes per byte
 * of 7bit/8bit text/plain. */
static int
ev_unicode_ratio(struct sp_evctx *c, const struct sp_evcall *a)
{
	size_t i, k, normal = 0, uni = 0;

	for (i = 0; i < c->v->nparts; i++) {
		const struct sp_part *p = &c->v->parts[i];

		if (!ev_plain_7bit(p, 0))
			continue;
		for (k = 0; k < p->text_len; k++) {
			const char *t = p->text + k;

			if (k + 8 <= p->text_len && t[0] == '&' &&
			    t[1] == '#' && t[2] == 'x' &&
			    strspn(t + 3, "0123456789ABCDEF") >= 4 &&
			    t[7] == ';') {
				uni++;
				k += 7;
				continue;
			}
			normal++;
		}
	}
	return normal > 0 &&
	       (double)uni / (double)normal >= sp_ev_num(a, 0, 1e9);
}

/* The message's own header value raw (unfolded) as header() gives it:
 * trimmed, its encoded words decoded by _decode_header (not GMime's
 * decoder, which the view's decoded values come from), with
 * get_header's "\n"; into out. */
static const char *
ev_top_value(const char *raw, const char *name, char *out, size_t outlen)
{
	size_t n;

	while (isspace((unsigned char)*raw))
		raw++;
	n = strlen(raw);
	while (n > 0 && isspace((unsigned char)raw[n - 1]))
		n--;
	if (n > outlen - 2)
		n = outlen - 2;
	memcpy(out, raw, n);
	out[n] = '\0';
	if (!ev_no_decode(name))
		ev_decode_words(out, &n, outlen);
	out[n++] = '\n';
	out[n] = '\0';
	return out;
}

/* MIMEHeader's eval_hook_called: the header of each MIME part (the
 * message's own first, then each leaf part; facteur's view has no
 * multipart containers) against the rule's regex; !~ hits when no part
 * matches. argv: header (":raw" allowed), "1" if negated, if-unset. */
static int
ev_mimeheader(struct sp_evctx *c, const struct sp_evcall *a)
{
	char name[128], val[2048];
	size_t i, nl = strcspn(a->argv[0], ":");
	int neg = a->argv[1][0] == '1';
	/* "Header:raw": what a copy cut at 127 bytes would hold */
	int raw = a->argv[0][nl] == ':' && nl < sizeof(name) - 1;

	if (nl > sizeof(name) - 1)
		nl = sizeof(name) - 1;
	memcpy(name, a->argv[0], nl);
	name[nl] = '\0';
	for (i = 0; i <= c->v->nparts; i++) {
		const char *v;

		if (i == 0) {
			/* the scalar get_header: the last */
			v = ev_header_last(c, name, 1);
			if (v == NULL)
				continue; /* the top is a leaf too when single
					   */
			if (!raw)
				v = ev_top_value(v, name, val, sizeof(val));
		} else {
			/* get_header gives undef (if-unset) for a header
			 * the part lacks, raw_header "" */
			v = ev_part_value(&c->v->parts[i - 1], name, raw, 1,
					  val, sizeof(val)) ||
				    raw
				? val
				: a->argv[2];
		}
		if (ev_re_match(c, a, v, strlen(v)))
			return !neg;
	}
	return neg;
}

static const char *const ev_mime_tests[] = {"mime_base64_count",
					    "mime_qp_count",
					    "mime_attachment",
					    "mime_base64_encoded_text",
					    "mime_bad_iso_charset",
					    "mimepart_limit_exceeded",
					    "mime_qp_long_line",
					    "mime_faraway_charset",
					    NULL};

const struct sp_evdef ev_mime_defs[] = {
    {"check_for_mime", ev_for_mime, 1, 1, ev_mime_tests},
    {"check_for_mime_html", ev_mime_html, 0, 0},
    {"check_for_mime_html_only", ev_mime_html_only, 0, 0},
    {"check_ma_non_text", ev_ma_non_text, 0, 0},
    {"check_for_uppercase", ev_uppercase, 2, 2},
    {"check_for_ascii_text_illegal", ev_ascii_illegal, 0, 0},
    {"check_abundant_unicode_ratio", ev_unicode_ratio, 1, 1},
    {NULL, NULL, 0, 0},
};

const struct sp_evdef ev_mimeheader_def = {
    "mimeheader", ev_mimeheader, 3, 3, NULL, 0};

const struct sp_evdef ev_body_defs[] = {
    {"check_body_length", ev_body_length, 1, 1},
    {"check_body_8bits", ev_body_8bits, 0, 0},
    {NULL, NULL, 0, 0},
};
