/* milters/spam/ev_text.c - BodyEval's and MIMEEval's tests over the body
 * text (SpamAssassin 4.0.1 Plugin/BodyEval.pm, MIMEEval.pm, HeaderEval.pm):
 * tvd_vertical_words (the share of spaces on the body's lines),
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

/* The largest share of spaces (percent of the other characters) over the
 * body's lines of more than 5 characters; -1 when none. */
static long
evt_vertical(const struct sp_view *v)
{
	const char *p = v->body_text, *end = p + v->body_text_len;
	long best = -1;

	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl + 1 - p) : (size_t)(end - p), i;
		size_t sp = 0, non;
		long pct;

		for (i = 0; i < l; i++)
			sp += p[i] == ' ';
		non = l - sp;
		p += l;
		if (l <= 5)
			continue;
		pct = sp > non || non == 0 ? 100 : (long)(100 * sp / non);
		if (pct > best)
			best = pct;
	}
	return best;
}

static int
ev_vertical_words(struct sp_evctx *c, const struct sp_evcall *a)
{
	double lo = sp_ev_num(a, 0, 0), hi = sp_ev_num(a, 1, 0);
	long v = evt_vertical(c->v);

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
	r = (double)lines < minl ? -1 : 100.0 * (double)blank /
	    (double)lines;
	return (lo == 0 && r <= hi) || (r > lo && r <= hi);
}

/* check_stock_info's key words, over the letters of a "Key: value"
 * line's key (the Perl's alternation: only the first is anchored). */
#define EVT_STOCK_RE "(^trad(?:e|ing)date|company(?:name)?|" \
	"s\\w?(?:t\\w?o\\w?c\\w?k|y\\w?m(?:\\w?b\\w?o\\w?l)?)|" \
	"t(?:arget|icker)|(?:opening|current)p(?:rice)?|" \
	"p(?:rojected|osition)|expectations|weeks?high|marketperformance|" \
	"(?:year|week|month|day|price)(?:target|estimates?)|sector|" \
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
	for (i = (size_t)(colon - k); i > 0 && isspace((unsigned char)k[i -
	    1]); i--)
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
		    NULL) >= 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			size_t ml = ov[3] - ov[2], k;

			if (ml >= sizeof(seen[0]))
				ml = sizeof(seen[0]) - 1;
			for (k = 0; k < nseen; k++)
				if (strlen(seen[k]) == ml && memcmp(seen[k],
				    key + ov[2], ml) == 0)
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
	{"check_blank_line_ratio", ev_blank_line_ratio, 2, 3},
	{"check_stock_info", ev_stock_info, 1, 1, NULL, 0, EVT_STOCK_RE},
	{"check_for_faraway_charset", ev_faraway, 0, 0},
	{"check_for_faraway_charset_in_headers", ev_faraway, 0, 0},
	{"html_charset_faraway", ev_faraway, 0, 0},
	{NULL, NULL, 0, 0},
};
