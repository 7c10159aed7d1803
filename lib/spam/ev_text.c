/* lib/spam/ev_text.c - BodyEval's and MIMEEval's tests over the body
 * text (SpamAssassin 4.0.1 Plugin/BodyEval.pm, MIMEEval.pm, HeaderEval.pm):
 * tvd_vertical_words (the share of spaces on the body's lines),
 * multipart_alternative_difference (HTML words the text part lacks),
 * check_blank_line_ratio, check_stock_info, and the "faraway charset"
 * tests, which are false under ok_locales all (SpamAssassin's default;
 * facteur reads no ok_locales line). Pure over the view. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ev_int.h"
#include "msgview.h"
#include "re_limits.h"

/* BodyEval's tvd_vertical_words, step by step. Its text is
 * Message.pm's rendered body text array: the Subject line (as it is),
 * then the body, where each run of Perl's \s inside a line is one space
 * (`s/\s+/ /gs` over text decoded to characters by normalize_charset,
 * so Unicode white space such as U+3000 counts), every line cut into
 * pieces of at most MAX_BODY_LINE_LENGTH by
 * split_into_array_of_short_lines. For each piece of more than 5 bytes,
 * int(100 * spaces / other bytes), or 100 when spaces outnumber them;
 * the value is the largest, -1 when no piece is long enough. */
#define EVT_MAXLINE 2048 /* Constants.pm's MAX_BODY_LINE_LENGTH */

/* Perl's \s at p (UTF-8): the length of the white space character
 * there, or 0. Beyond ASCII: U+0085, U+00A0, U+1680, U+2000-U+200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000. */
static size_t
evt_space(const unsigned char *p, size_t n)
{
	if (*p == ' ' || *p == '\t' || *p == '\v' || *p == '\f' || *p == '\r')
		return 1;
	if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (n < 3 || p[2] < 0x80 || p[2] > 0xbf)
		return 0;
	if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) ||
	    (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||
	    (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80))
		return 3;
	if (p[0] == 0xe2 && p[1] == 0x80 &&
	    (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
		return 3;
	return 0;
}

/* A line's bytes as SpamAssassin has them: runs of white space one
 * space when collapse is set, the final "\n" kept. */
struct evt_rd {
	const unsigned char *p, *end;
	int collapse, nl;
};

static void
evt_rd_init(struct evt_rd *r, const char *p, size_t n, int collapse)
{
	r->p = (const unsigned char *)p;
	r->nl = n > 0 && p[n - 1] == '\n';
	r->end = r->p + n - (size_t)r->nl;
	r->collapse = collapse;
}

static int
evt_rd_next(struct evt_rd *r)
{
	size_t k;

	if (r->p >= r->end) {
		if (!r->nl)
			return -1;
		r->nl = 0;
		return '\n';
	}
	if (!r->collapse || (k = evt_space(r->p, (size_t)(r->end - r->p))) == 0)
		return *r->p++;
	do
		r->p += k;
	while (r->p < r->end &&
	       (k = evt_space(r->p, (size_t)(r->end - r->p))) > 0);
	return ' ';
}

/* One piece of l bytes, sp of them spaces: its share into *best. */
static void
evt_vshare(size_t l, size_t sp, long *best)
{
	size_t non = l - sp;
	long pct;

	if (l <= 5)
		return;
	pct = sp > non || non == 0 ? 100 : (long)(100 * sp / non);
	if (pct > *best)
		*best = pct;
}

static void
evt_vpiece(const unsigned char *w, size_t l, long *best)
{
	size_t i, sp = 0;

	for (i = 0; i < l; i++)
		sp += w[i] == ' ';
	evt_vshare(l, sp, best);
}

/* A line no collapse changes (ASCII, no blank but single spaces; any
 * line when collapse is off): 1 and its spaces in *sp, else 0. */
static int
evt_plain(const char *p, size_t n, int collapse, size_t *sp)
{
	size_t i;

	*sp = 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (collapse &&
		    (c >= 0x80 || c == '\t' || c == '\v' || c == '\f' ||
		     c == '\r' || (c == ' ' && i > 0 && p[i - 1] == ' ')))
			return 0;
		*sp += c == ' ';
	}
	return 1;
}

/* One line, cut as split_into_array_of_short_lines cuts it: while more
 * than EVT_MAXLINE bytes are left, a piece up to the last space at or
 * before offset EVT_MAXLINE (it included), else EVT_MAXLINE bytes. */
static void
evt_vline(const char *p, size_t n, int collapse, long *best)
{
	unsigned char w[EVT_MAXLINE + 1];
	struct evt_rd r;
	size_t total = 0, fill = 0, cut;
	int c;

	/* most lines are one piece that no collapse changes */
	if (n <= EVT_MAXLINE && evt_plain(p, n, collapse, &cut)) {
		evt_vshare(n, cut, best);
		return;
	}
	evt_rd_init(&r, p, n, collapse);
	while (evt_rd_next(&r) >= 0)
		total++;
	evt_rd_init(&r, p, n, collapse);
	for (;;) {
		while (fill < sizeof(w) && (c = evt_rd_next(&r)) >= 0)
			w[fill++] = (unsigned char)c;
		if (total <= EVT_MAXLINE)
			break;
		for (cut = EVT_MAXLINE + 1; cut > 0 && w[cut - 1] != ' '; cut--)
			;
		cut = cut > 0 ? cut : EVT_MAXLINE;
		evt_vpiece(w, cut, best);
		memmove(w, w + cut, fill - cut);
		fill -= cut;
		total -= cut;
	}
	evt_vpiece(w, fill, best);
}

static long
evt_vertical(const struct sp_evctx *c)
{
	const struct sp_view *v = c->v;
	const char *p = v->body_text, *end = p + v->body_text_len;
	/* the view's body text starts with the first Subject's line */
	int subject = ev_header(c, "Subject", 0, 0) != NULL;
	long best = -1;

	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl + 1 - p) : (size_t)(end - p);

		evt_vline(p, l, !subject, &best);
		subject = 0;
		p += l;
	}
	return best;
}

static int
ev_vertical_words(struct sp_evctx *c, const struct sp_evcall *a)
{
	double lo = sp_ev_num(a, 0, 0), hi = sp_ev_num(a, 1, 0);
	long v = evt_vertical(c);

	if (hi >= 100)
		hi = 101;
	return (double)v >= lo && (double)v < hi;
}

/* The decoded text of each text part (HTML as HTML): lines and blank
 * lines, as BodyEval's check_blank_line_ratio counts them. */
static void
evt_blank_lines(const struct sp_view *v, size_t *lines, size_t *blank)
{
	size_t i;

	*lines = *blank = 0;
	for (i = 0; i < v->nparts; i++) {
		const struct sp_part *pt = &v->parts[i];
		const char *p = pt->html ? pt->html : pt->text, *end;

		if (p == NULL || strcmp(pt->content_type, "text/calendar") == 0)
			continue;
		end = p + (pt->html ? pt->html_len : pt->text_len);
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *e = nl ? nl + 1 : end, *q;
			int any = 0;

			for (q = p; q < e && !any; q++)
				any = !isspace((unsigned char)*q);
			(*lines)++;
			*blank += !any;
			p = e;
		}
	}
}

static int
ev_blank_line_ratio(struct sp_evctx *c, const struct sp_evcall *a)
{
	double lo = sp_ev_num(a, 0, 0), hi = sp_ev_num(a, 1, 0);
	double minl = sp_ev_num(a, 2, 1), r;
	size_t lines, blank;

	if (minl < 1)
		minl = 1;
	evt_blank_lines(c->v, &lines, &blank);
	r = (double)lines < minl ? -1 : 100.0 * (double)blank / (double)lines;
	return (lo == 0 && r <= hi) || (r > lo && r <= hi);
}

/* check_stock_info's key words, over the letters of a "Key: value"
 * line's key (the Perl's alternation: only the first is anchored). */
#define EVT_STOCK_RE                                                           \
	"(^trad(?:e|ing)date|company(?:name)?|"                                \
	"s\\w?(?:t\\w?o\\w?c\\w?k|y\\w?m(?:\\w?b\\w?o\\w?l)?)|"                \
	"t(?:arget|icker)|(?:opening|current)p(?:rice)?|"                      \
	"p(?:rojected|osition)|expectations|weeks?high|marketperformance|"     \
	"(?:year|week|month|day|price)(?:target|estimates?)|sector|"           \
	"r(?:ecommendation|ating))$"

#define EVT_STOCK_MAX 16

/* One "  Key text : value" line at p (its end at e): the key's letters,
 * lowercased, into out; 0 when the line is not one. */
static int
evt_stock_key(const char *p, const char *e, const char *end, char *out,
	      size_t outlen)
{
	const char *k, *colon;
	size_t n = 0, i;

	while (p < e && isspace((unsigned char)*p))
		p++;
	if (p >= e || *p == ':')
		return 0;
	k = p;
	colon = memchr(k, ':', (size_t)(e - k));
	/* [^:\s][^:\n]{2,29}\s*: -- the key runs to the colon, less
	 * blanks the \s* may take */
	if (colon == NULL || colon - k < 3)
		return 0;
	for (i = (size_t)(colon - k); i > 0 && isspace((unsigned char)k[i - 1]);
	     i--)
		;
	if (i > 30 || i < 1 || (size_t)(colon - k) < 3)
		return 0;
	for (p = colon + 1; p < end && isspace((unsigned char)*p); p++)
		;
	if (p >= end)
		return 0;
	for (; k < colon && n + 1 < outlen; k++)
		if (isalpha((unsigned char)*k) && !((unsigned char)*k & 0x80))
			out[n++] = (char)tolower((unsigned char)*k);
	out[n] = '\0';
	return 1;
}

static int
ev_stock_info(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct sp_part *pt = NULL;
	char seen[EVT_STOCK_MAX][32], key[64];
	pcre2_match_data *md;
	const char *p, *end;
	size_t i, nseen = 0;
	double min = sp_ev_num(a, 0, 0);

	if (min == 0)
		return 1;
	for (i = 0; i < c->v->nparts && pt == NULL; i++)
		if (strcmp(c->v->parts[i].content_type, "text/plain") == 0)
			pt = &c->v->parts[i];
	if (pt == NULL || pt->text == NULL || a->re == NULL ||
	    (md = pcre2_match_data_create_from_pattern(a->re, NULL)) == NULL)
		return 0;
	end = pt->text + pt->text_len;
	for (p = pt->text; p < end && nseen < EVT_STOCK_MAX;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl + 1 : end;

		if (evt_stock_key(p, nl ? nl : end, end, key, sizeof(key)) &&
		    pcre2_match(a->re, (PCRE2_SPTR)key, strlen(key), 0, 0, md,
				sp_re_limits()) >= 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			size_t ml = ov[3] - ov[2], k;

			if (ml >= sizeof(seen[0]))
				ml = sizeof(seen[0]) - 1;
			for (k = 0; k < nseen; k++)
				if (strlen(seen[k]) == ml &&
				    memcmp(seen[k], key + ov[2], ml) == 0)
					break;
			if (k == nseen) {
				memcpy(seen[nseen], key + ov[2], ml);
				seen[nseen++][ml] = '\0';
			}
		}
		p = e;
	}
	pcre2_match_data_free(md);
	return (double)nseen >= min;
}

/* ---- multipart_alternative_difference ---- */

#define EVT_MAXTOK 8192 /* distinct tokens kept per side */

struct evt_tok {
	const char *s;
	size_t n;
	long count;
};

/* Open addressing, at most half full. */
struct evt_set {
	struct evt_tok *v;
	size_t n, cap, slots;
};

static size_t
evt_hash(const char *s, size_t n)
{
	size_t h = 5381, i;

	for (i = 0; i < n; i++)
		h = h * 33 + (unsigned char)s[i];
	return h;
}

static struct evt_tok *
evt_find(struct evt_set *t, const char *s, size_t n, int add)
{
	size_t i;

	if (t->slots == 0)
		return NULL;
	for (i = evt_hash(s, n) % t->slots; t->v[i].s != NULL;
	     i = (i + 1) % t->slots)
		if (t->v[i].n == n && memcmp(t->v[i].s, s, n) == 0)
			return &t->v[i];
	if (!add || t->n >= t->cap)
		return NULL;
	t->v[i].s = s;
	t->v[i].n = n;
	t->n++;
	return &t->v[i];
}

/* Room for up to `want` distinct tokens (capped). 0 or -1. */
static int
evt_set_init(struct evt_set *t, size_t want)
{
	t->n = 0;
	t->cap = want < EVT_MAXTOK ? want : EVT_MAXTOK;
	t->slots = t->cap * 2 + 1;
	return (t->v = calloc(t->slots, sizeof(*t->v))) == NULL ? -1 : 0;
}

/* The blank-separated tokens of s[0..n) that have a word character
 * (split(/\s+/) then grep(/\w/)), counted into t (NULL: only counted,
 * the return value). */
static size_t
evt_tokens(struct evt_set *t, const char *s, size_t n)
{
	size_t i = 0, b, c = 0;

	while (i < n) {
		int w = 0;
		struct evt_tok *k;

		while (i < n && isspace((unsigned char)s[i]))
			i++;
		for (b = i; i < n && !isspace((unsigned char)s[i]); i++)
			w |= isalnum((unsigned char)s[i]) || s[i] == '_';
		c += w;
		if (w && t != NULL &&
		    (k = evt_find(t, s + b, i - b, 1)) != NULL)
			k->count++;
	}
	return c;
}

/* Exchange's meeting requests (multipart/alternative of text/html and
 * text/calendar only) are left alone. */
static int
evt_meeting(const struct sp_evctx *c)
{
	const char *ct = ev_header(c, "Content-Type", 0, 0);

	while (ct != NULL && isspace((unsigned char)*ct))
		ct++;
	return ct != NULL &&
	       strncasecmp(ct, "multipart/alternative", 21) == 0 &&
	       c->v->nparts == 2 &&
	       strcmp(c->v->parts[0].content_type, "text/html") == 0 &&
	       strcmp(c->v->parts[1].content_type, "text/calendar") == 0;
}

/* The HTML tokens of one multipart/alternative (g) its text parts lack,
 * in percent; *nhtml, *ntext: the distinct tokens of each side. -1 when
 * it has no HTML words (or ENOMEM). */
static double
evt_madiff_group(const struct sp_view *v, int g, size_t *nhtml, size_t *ntext)
{
	struct evt_set h, t;
	size_t i, k, left = 0, nh = 0, nt = 0;
	int img = 0;
	double d = -1;

	for (i = 0; i < v->nparts; i++) {
		const struct sp_part *p = &v->parts[i];

		if (p->alt_group != g || p->text == NULL ||
		    strncmp(p->content_type, "text", 4) != 0)
			continue;
		*(p->is_html ? &nh : &nt) +=
		    evt_tokens(NULL, p->text, p->text_len);
	}
	if (evt_set_init(&h, nh + 1) < 0)
		return -1;
	if (evt_set_init(&t, nt + 1) < 0) {
		free(h.v);
		return -1;
	}
	for (i = 0; i < v->nparts; i++) {
		const struct sp_part *p = &v->parts[i];

		if (p->alt_group != g || p->text == NULL ||
		    strncmp(p->content_type, "text", 4) != 0)
			continue;
		(void)evt_tokens(p->is_html ? &h : &t, p->text, p->text_len);
		img |= p->is_html && p->html != NULL &&
		       memmem(p->html, p->html_len, "<img", 4) != NULL;
	}
	if (h.n == 0 && img) /* the Perl's "\n" mark */
		(void)evt_find(&h, "\n", 1, 1);
	if (h.n > 0) {
		*nhtml = h.n;
		*ntext = t.n;
		for (k = 0; k < h.slots; k++) {
			struct evt_tok *x = &h.v[k], *y;

			if (x->s == NULL)
				continue;
			y = evt_find(&t, x->s, x->n, 0);
			left += y == NULL || x->count - y->count >= 1;
		}
		d = 100.0 * (double)left / (double)h.n;
	}
	free(h.v);
	free(t.v);
	return d;
}

/* BodyEval's _multipart_alternative_difference: the largest share (%)
 * over the message's multipart/alternatives, and the last one's token
 * counts; computed once per message. */
static void
evt_madiff(struct sp_evctx *c)
{
	int g, maxg = 0;
	size_t i;
	double d;

	if (c->madiff_done)
		return;
	c->madiff_done = 1;
	c->madiff = 0;
	c->madiff_html = c->madiff_text = 0;
	for (i = 0; i < c->v->nparts; i++)
		if (c->v->parts[i].alt_group > maxg)
			maxg = c->v->parts[i].alt_group;
	if (maxg == 0 || evt_meeting(c))
		return;
	for (g = 1; g <= maxg; g++)
		if ((d = evt_madiff_group(c->v, g, &c->madiff_html,
					  &c->madiff_text)) > c->madiff)
			c->madiff = d;
}

static int
ev_madiff(struct sp_evctx *c, const struct sp_evcall *a)
{
	double lo = sp_ev_num(a, 0, 0);

	evt_madiff(c);
	return (lo == 0 || c->madiff > lo) &&
	       (strcmp(a->argv[1], "undef") == 0 ||
		c->madiff <= sp_ev_num(a, 1, 0));
}

static int
ev_madiff_count(struct sp_evctx *c, const struct sp_evcall *a)
{
	evt_madiff(c);
	if ((double)c->madiff_html <= sp_ev_num(a, 1, 0) || c->madiff_html == 0)
		return 0;
	return (double)c->madiff_text / (double)c->madiff_html >
	       sp_ev_num(a, 0, 0);
}

/* ok_locales all: no charset is far away. */
static int
ev_faraway(struct sp_evctx *c, const struct sp_evcall *a)
{
	(void)c;
	(void)a;
	return 0;
}

const struct sp_evdef ev_text_defs[] = {
    {"tvd_vertical_words", ev_vertical_words, 2, 2},
    {"multipart_alternative_difference", ev_madiff, 2, 2},
    {"multipart_alternative_difference_count", ev_madiff_count, 2, 2},
    {"check_blank_line_ratio", ev_blank_line_ratio, 2, 3},
    {"check_stock_info", ev_stock_info, 1, 1, NULL, 0, EVT_STOCK_RE},
    {"check_for_faraway_charset", ev_faraway, 0, 0},
    {"check_for_faraway_charset_in_headers", ev_faraway, 0, 0},
    {"html_charset_faraway", ev_faraway, 0, 0},
    {NULL, NULL, 0, 0},
};
