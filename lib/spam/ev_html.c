/* lib/spam/ev_html.c - HTMLEval's functions (SpamAssassin 4.0
 * Plugin/HTMLEval.pm over HTML.pm's counters), one set of counters per
 * text/html part as SpamAssassin keeps them (html_all): tags and known
 * elements, the open/close balance of each tag, visible text length,
 * image area, and the text of title, comments and anchors. A small tag
 * scanner, bounded by the part; no statics. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <stdio.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "ev_anchor.h"
#include "ev_htmlstyle.h"
#include "ev_int.h"
#include "msgview.h"
#include "re_limits.h"

#define EVH_MAX_TAGS 256 /* distinct tag names counted per part */

struct evh_tag {
	char name[16];
	long inside; /* balance, never below 0 (closed_extra counts) */
};

struct evh_part {
	struct evh_tag tags[EVH_MAX_TAGS];
	size_t ntags;
	struct evh_tag *script, *style, *title_tag, *a; /* in tags, or NULL */
	struct ev_html *x;				/* the message's */
	long ntag, nelem, seen, seen_elem, closed_extra;
	long max_size; /* largest font size set (HTML.pm: from 3) */
	int font_face_bad, low_contrast, invalid_color;
	int embeds, form_mailto, iframe_src;
	/* HTML.pm's obfuscation count: a text chunk that starts with a
	 * word character right after one that ended with one (a word cut
	 * by a tag); last_end: -1 no text yet, 0 blank or punctuation, 1
	 * a word character; in_text: the chunk goes on (no tag since) */
	long obfuscation;
	int last_end, in_text;
	struct eva_state an; /* anchors: targets and texts */
	struct evs_stack st;
	double length, non_space, image_area;
	struct buf title, comment, anchor; /* strings joined by '\n' */
};

struct ev_html {
	struct evh_part *p;
	size_t n;
	/* evh_font's pattern, compiled on the message's first font face */
	pcre2_code *face_re;
	pcre2_match_data *face_md;
	int face_tried;
};

/* HTML.pm's known elements, sorted for bsearch (strcmp order). */
static const char *const evh_elements[] = {
    "a",       "abbr",	"acronym",  "address",	"applet",   "area",
    "b",       "base",	"basefont", "bdo",	"big",	    "blockquote",
    "body",    "br",	"button",   "caption",	"center",   "cite",
    "code",    "col",	"colgroup", "dd",	"del",	    "dfn",
    "dir",     "div",	"dl",	    "dt",	"em",	    "fieldset",
    "font",    "form",	"frame",    "frameset", "h1",	    "h2",
    "h3",      "h4",	"h5",	    "h6",	"head",	    "hr",
    "html",    "i",	"iframe",   "img",	"input",    "ins",
    "isindex", "kbd",	"label",    "legend",	"li",	    "link",
    "map",     "menu",	"meta",	    "nobr",	"noframes", "noscript",
    "object",  "ol",	"optgroup", "option",	"p",	    "param",
    "pre",     "q",	"s",	    "samp",	"script",   "select",
    "small",   "span",	"strike",   "strong",	"style",    "sub",
    "sup",     "table", "tbody",    "td",	"textarea", "tfoot",
    "th",      "thead", "title",    "tr",	"tt",	    "u",
    "ul",      "var",	"x-sigsep", "x-tab"};

/* name is the literal lit: the first byte before the call, as most
 * tags are none of the few each test asks about. */
static int
evh_is(const char *name, const char *lit)
{
	return name[0] == lit[0] && strcmp(name, lit) == 0;
}

static int
evh_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* name in the sorted list v[0..n). */
static int
evh_in(const char *name, const char *const *v, size_t n)
{
	return bsearch(&name, v, n, sizeof(*v), evh_strcmp) != NULL;
}

static int
evh_is_element(const char *t)
{
	return evh_in(t, evh_elements,
		      sizeof(evh_elements) / sizeof(evh_elements[0]));
}

static struct evh_tag *
evh_find(struct evh_part *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->ntags; i++)
		if (h->tags[i].name[0] == name[0] &&
		    strcmp(h->tags[i].name, name) == 0)
			return &h->tags[i];
	return NULL;
}

/* The tags the text's handling asks about, kept at hand once seen. */
static void
evh_known(struct evh_part *h, struct evh_tag *t)
{
	if (strcmp(t->name, "script") == 0)
		h->script = t;
	else if (strcmp(t->name, "style") == 0)
		h->style = t;
	else if (strcmp(t->name, "title") == 0)
		h->title_tag = t;
	else if (strcmp(t->name, "a") == 0)
		h->a = t;
}

/* HTML.pm's html_tag(): counts, and the balance of the tag. */
static void
evh_tag(struct evh_part *h, const char *name, int num)
{
	struct evh_tag *t = evh_find(h, name);

	if (evh_is_element(name)) {
		h->nelem++;
		if (t == NULL)
			h->seen_elem++;
	}
	h->ntag++;
	if (t == NULL) {
		h->seen++;
		if (h->ntags >= EVH_MAX_TAGS)
			return;
		t = &h->tags[h->ntags++];
		memset(t, 0, sizeof(*t));
		memcpy(t->name, name, strlen(name) + 1);
		evh_known(h, t);
	}
	t->inside += num;
	if (t->inside < 0) {
		t->inside = 0;
		h->closed_extra++;
	}
}

/* Appends to a capped text buffer: past its cap the text is dropped
 * (the match then sees what fit). */
static void
evh_keep(struct buf *b, const char *s, size_t n)
{
	if (buf_add(b, s, n) < 0)
		return;
}

static long
evh_inside(const struct evh_tag *t)
{
	return t ? t->inside : 0;
}

/* The value of attribute `at` of tag text s[0..n) into out (quotes
 * removed); 1 if the tag has it, else 0. */
static int
evh_attr(const char *s, size_t n, const char *at, char *out, size_t outlen)
{
	size_t al = strlen(at), i = 1, k;

	while (i < n && !isspace((unsigned char)s[i]) && s[i] != '>')
		i++;
	while (i < n && s[i] != '>') {
		size_t ns, nl;
		char q = 0;

		while (i < n && (isspace((unsigned char)s[i]) || s[i] == '/'))
			i++;
		for (ns = i; i < n && !isspace((unsigned char)s[i]) &&
			     s[i] != '=' && s[i] != '>';
		     i++)
			;
		nl = i - ns;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		k = 0;
		if (i < n && s[i] == '=') {
			i++;
			while (i < n && isspace((unsigned char)s[i]))
				i++;
			if (i < n && (s[i] == '"' || s[i] == '\''))
				q = s[i++];
			for (; i < n && (q ? s[i] != q
					   : (!isspace((unsigned char)s[i]) &&
					      s[i] != '>'));
			     i++)
				if (k + 1 < outlen && nl == al)
					out[k++] = s[i];
			if (q && i < n)
				i++;
		}
		if (nl == al && nl > 0 && strncasecmp(s + ns, at, al) == 0) {
			out[k] = '\0';
			return 1;
		}
		if (nl == 0 && i < n && s[i] != '>')
			i++;
	}
	return 0;
}

/* HTMLEval's per-tag tests: font face and size. */
static void
evh_font(struct evh_part *h, const char *s, size_t n)
{
	char v[512];
	long sz;

	if (evh_attr(s, n, "face", v, sizeof(v))) {
		struct ev_html *x = h->x;

		if (!x->face_tried) {
			PCRE2_SIZE off;
			int en;

			x->face_tried = 1;
			x->face_re = pcre2_compile(
			    (PCRE2_SPTR) "^\\s*[\"'.]?[a-z ][a-z -]*[a-z]"
					 "\\d?[\"']?(?:,\\s*[\"']?[a-z][a-z "
					 "-]*[a-z]\\d?[\"']?)*;?$",
			    PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &en, &off,
			    NULL);
			x->face_md = x->face_re != NULL
					 ? pcre2_match_data_create_from_pattern(
					       x->face_re, NULL)
					 : NULL;
		}
		if (x->face_md != NULL &&
		    pcre2_match(x->face_re, (PCRE2_SPTR)v, strlen(v), 0, 0,
				x->face_md, sp_re_limits()) < 0)
			h->font_face_bad = 1;
	}
	if (evh_attr(s, n, "size", v, sizeof(v))) {
		const char *p = v;

		while (isspace((unsigned char)*p))
			p++;
		if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]))
			sz = 3 + strtol(p, NULL, 10);
		else if (isdigit((unsigned char)*p))
			sz = strtol(p, NULL, 10);
		else
			return;
		if (sz > h->max_size)
			h->max_size = sz;
	}
}

/* A start tag's effect on the text style: HTML.pm's ok_attributes. */
static void
evh_style(struct evh_part *h, const char *name, const char *s, size_t n)
{
	static const char *const css_tags[] = {"a",	"div", "p",  "span",
					       "table", "td",  "th", "tr"};
	char color[128], size[32], css[512];
	int is_font = evh_is(name, "font") || evh_is(name, "basefont");
	int has_color = 0, has_size = 0, has_css = 0;

	if (is_font) {
		has_color = evh_attr(s, n, "color", color, sizeof(color));
		has_size = evh_attr(s, n, "size", size, sizeof(size));
	} else if (evh_is(name, "body"))
		has_color = evh_attr(s, n, "text", color, sizeof(color));
	if (evh_in(name, css_tags, sizeof(css_tags) / sizeof(css_tags[0])))
		has_css = evh_attr(s, n, "style", css, sizeof(css));
	evs_open(&h->st, name, has_color ? color : NULL, has_size ? size : NULL,
		 has_css ? css : NULL);
}

/* HTML.pm's html_tests and html_uri, the parts HTMLEval reads: embeds,
 * a form posting to mailto:, an iframe with a source. */
static void
evh_flags(struct evh_part *h, const char *name, const char *s, size_t n)
{
	char v[512];

	if (evh_is(name, "object") || evh_is(name, "embed"))
		h->embeds = 1;
	else if (evh_is(name, "form") &&
		 evh_attr(s, n, "action", v, sizeof(v)) &&
		 strcasestr(v, "mailto:") != NULL)
		h->form_mailto = 1;
	else if (evh_is(name, "iframe") &&
		 evh_attr(s, n, "src", v, sizeof(v)) &&
		 v[strspn(v, " \t\r\n")] != '\0')
		h->iframe_src = 1;
}

/* The numeric value of attribute `at` in tag text s[0..n), or -1. */
static double
evh_attr_num(const char *s, size_t n, const char *at)
{
	size_t al = strlen(at), i;

	for (i = 0; i + al + 1 < n; i++)
		if ((s[i] | 0x20) == (at[0] | 0x20) &&
		    strncasecmp(s + i, at, al) == 0 &&
		    !isalnum((unsigned char)s[i - (i > 0)]) &&
		    s[i + al] == '=') {
			const char *v = s + i + al + 1;

			while (*v == '"' || *v == '\'')
				v++;
			return isdigit((unsigned char)*v) ? atof(v) : -1;
		}
	return -1;
}

/* Not blank and not ASCII punctuation: HTML.pm's
 * [^\s\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]. */
static int
evh_wordch(unsigned char ch)
{
	if (ch >= 0x80)
		return 1;
	return !isspace(ch) && !(ch >= 0x21 && ch <= 0x2f) &&
	       !(ch >= 0x3a && ch <= 0x40) && !(ch >= 0x5b && ch <= 0x60) &&
	       !(ch >= 0x7b && ch <= 0x7e);
}

/* A text chunk for the obfuscation count. */
static void
evh_obfus(struct evh_part *h, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (!h->in_text && h->last_end == 1 && evh_wordch((unsigned char)s[0]))
		h->obfuscation++;
	h->last_end = evh_wordch((unsigned char)s[n - 1]);
	h->in_text = 1;
}

/* The elements HTML.pm's html_whitespace() writes a blank for. */
static int
evh_blank_tag(const char *t)
{
	static const char *const tags[] = {
	    "blockquote", "br",	 "dd", "div", "dt",    "embed", "h1",	   "h2",
	    "h3",	  "h4",	 "h5", "h6",  "hr",    "li",	"listing", "p",
	    "plaintext",  "pre", "td", "th",  "title", "xmp"};

	return evh_in(t, tags, sizeof(tags) / sizeof(tags[0]));
}

static void
evh_text(struct evh_part *h, const char *s, size_t n)
{
	size_t i;
	int ws = 0;

	if (evh_inside(h->script) > 0 || evh_inside(h->style) > 0)
		return;
	evh_obfus(h, s, n);
	eva_text(&h->an, s, n);
	for (i = 0; i < n && isspace((unsigned char)s[i]); i++)
		;
	if (i < n)
		(void)evs_invisible(&h->st, &h->low_contrast,
				    &h->invalid_color);
	for (i = 0; i < n; i++) {
		if (!isspace((unsigned char)s[i]))
			h->non_space++;
		if (isspace((unsigned char)s[i])) {
			if (ws)
				continue;
			ws = 1;
		} else
			ws = 0;
		h->length++;
	}
	if (evh_inside(h->title_tag) > 0)
		evh_keep(&h->title, s, n);
	if (evh_inside(h->a) > 0)
		evh_keep(&h->anchor, s, n);
}

static size_t
evh_markup(struct evh_part *h, const char *p, const char *end)
{
	const char *q = p + 1, *e;
	char name[16];
	size_t nl = 0;
	int close = 0;

	if (q < end && *q == '!') {
		const char *ce =
		    q + 1 < end && q[1] == '-' && q + 2 < end && q[2] == '-'
			? memmem(q, (size_t)(end - q), "-->", 3)
			: memchr(q, '>', (size_t)(end - q));

		e = ce ? ce + (ce[0] == '-' ? 3 : 1) : end;
		h->in_text = 0;
		evh_keep(&h->comment, p, (size_t)(e - p));
		evh_keep(&h->comment, "\n", 1);
		return (size_t)(e - p);
	}
	if (q < end && *q == '/') {
		close = 1;
		q++;
	}
	if (q >= end || !isalpha((unsigned char)*q)) {
		evh_text(h, p, 1);
		return 1;
	}
	while (
	    q + nl < end &&
	    (isalnum((unsigned char)q[nl]) || q[nl] == '-' || q[nl] == ':') &&
	    nl < sizeof(name) - 1) {
		name[nl] = (char)tolower((unsigned char)q[nl]);
		nl++;
	}
	name[nl] = '\0';
	e = memchr(q, '>', (size_t)(end - q));
	e = e ? e + 1 : end;
	evh_tag(h, name, close ? -1 : 1);
	h->in_text = 0;
	if (evh_blank_tag(name))
		h->last_end = 0;
	if (!close)
		evh_flags(h, name, p, (size_t)(e - p));
	if (!close && evh_is(name, "font"))
		evh_font(h, p, (size_t)(e - p));
	if (close)
		evs_close(&h->st, name);
	else
		evh_style(h, name, p, (size_t)(e - p));
	if (!close && evh_is(name, "img")) {
		double w = evh_attr_num(p, (size_t)(e - p), "width");
		double hh = evh_attr_num(p, (size_t)(e - p), "height");

		if (w > 0 && hh > 0)
			h->image_area += w * hh;
		if (evh_inside(h->a) > 0)
			evh_keep(&h->anchor, "<img>", 5);
	}
	if (!close && (evh_is(name, "script") || evh_is(name, "style"))) {
		/* raw text up to the end tag */
		const char *t = e;

		while (t < end &&
		       !(t[0] == '<' && t + 1 < end && t[1] == '/' &&
			 strncasecmp(t + 2, name, strlen(name)) == 0))
			t++;
		return (size_t)(t - p);
	}
	if (close && evh_is(name, "a")) {
		evh_keep(&h->anchor, "\n", 1);
		eva_close(&h->an);
	} else if (evh_is(name, "a")) {
		char href[1024];

		eva_open(&h->an, evh_attr(p, (size_t)(e - p), "href", href,
					  sizeof(href))
				     ? href
				     : NULL);
	}
	return (size_t)(e - p);
}

static void
evh_scan(struct evh_part *h, const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));

		if (lt == NULL) {
			evh_text(h, p, (size_t)(end - p));
			break;
		}
		if (lt > p)
			evh_text(h, p, (size_t)(lt - p));
		p = lt + evh_markup(h, lt, end);
	}
}

const struct ev_html *
ev_html_get(struct sp_evctx *c)
{
	struct ev_html *x;
	size_t i, k, n = 0;

	if (c->html_done)
		return c->html;
	c->html_done = 1;
	for (i = 0; i < c->v->nparts; i++)
		n += c->v->parts[i].html != NULL;
	if (n == 0 || (x = calloc(1, sizeof(*x))) == NULL ||
	    (x->p = calloc(n, sizeof(*x->p))) == NULL) {
		if (n > 0)
			free(x);
		return NULL;
	}
	for (i = 0; i < c->v->nparts; i++) {
		const struct sp_part *p = &c->v->parts[i];
		struct evh_part *h;

		if (p->html == NULL)
			continue;
		h = &x->p[x->n++];
		h->x = x;
		h->max_size = 3;
		h->last_end = -1;
		eva_init(&h->an);
		evs_init(&h->st);
		buf_init(&h->title, 65536);
		buf_init(&h->comment, 65536);
		buf_init(&h->anchor, 65536);
		evh_scan(h, p->html, p->html_len);
		eva_close(&h->an);
		/* HTML.pm's length is the HTML's own; Node.pm's
		 * non_space_len counts the characters of the rendered
		 * text that are not blanks */
		h->length = (double)p->html_len;
		h->non_space = 0;
		for (k = 0; p->text != NULL && k < p->text_len; k++) {
			unsigned char ch = (unsigned char)p->text[k];

			h->non_space += (ch & 0xc0) != 0x80 && ch != ' ' &&
					ch != '\t' && ch != '\n' &&
					ch != '\r' && ch != 0x0b;
		}
	}
	c->html = x;
	return x;
}

void
ev_html_free(struct ev_html **hp)
{
	struct ev_html *h = *hp;
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++) {
		buf_free(&h->p[i].title);
		buf_free(&h->p[i].comment);
		buf_free(&h->p[i].anchor);
	}
	pcre2_match_data_free(h->face_md);
	pcre2_code_free(h->face_re);
	free(h->p);
	free(h);
	*hp = NULL;
}

/* "< 384", "!= 0", ">= 2" applied to v. */
static int
evh_expr(double v, const char *e)
{
	char op[3] = "";
	size_t n = 0;
	double k;

	while (isspace((unsigned char)*e))
		e++;
	while (n < 2 && strchr("<>=!", *e) != NULL)
		op[n++] = *e++;
	op[n] = '\0';
	k = atof(e);
	if (strcmp(op, "<") == 0)
		return v < k;
	if (strcmp(op, "<=") == 0)
		return v <= k;
	if (strcmp(op, ">") == 0)
		return v > k;
	if (strcmp(op, ">=") == 0)
		return v >= k;
	if (strcmp(op, "==") == 0)
		return v == k;
	if (strcmp(op, "!=") == 0)
		return v != k;
	return 0;
}

/* A named result of one part; 0 if it has none. */
static int
evh_value(const struct evh_part *h, const char *t, double *v)
{
	if (strcmp(t, "length") == 0)
		*v = h->length;
	else if (strcmp(t, "closed_extra_ratio") == 0 && h->ntag > 0)
		*v = (double)h->closed_extra / (double)h->ntag;
	else if (strcmp(t, "bad_tag_ratio") == 0 && h->ntag > 0)
		*v = (double)(h->ntag - h->nelem) / (double)h->ntag;
	else if (strcmp(t, "non_element_ratio") == 0 && h->seen > 0)
		*v = (double)(h->seen - h->seen_elem) / (double)h->seen;
	else if (strcmp(t, "image_area") == 0)
		*v = h->image_area;
	else if (strcmp(t, "max_size") == 0)
		*v = (double)h->max_size;
	else if (strcmp(t, "obfuscation_ratio") == 0 && h->ntag > 0 &&
		 h->obfuscation > 0)
		*v = (double)h->obfuscation / (double)h->ntag;
	else
		return 0;
	return 1;
}

static int
ev_html_range(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	double lo = sp_ev_num(a, 1, 0), hi = sp_ev_num(a, 2, 1e308), v;
	size_t i;

	for (i = 0; x != NULL && i < x->n; i++)
		if (evh_value(&x->p[i], a->argv[0], &v) && v > lo && v <= hi)
			return 1;
	return 0;
}

static int
ev_html_eval(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	double v;
	size_t i;

	for (i = 0; x != NULL && i < x->n; i++)
		if (evh_value(&x->p[i], a->argv[0], &v) &&
		    evh_expr(v, a->argv[1]))
			return 1;
	return 0;
}

static int
ev_html_test(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	size_t i;

	if (x == NULL)
		return 0;
	if (strcmp(a->argv[0], "html") == 0)
		return x->n > 0;
	for (i = 0; i < x->n; i++) {
		const struct evh_part *h = &x->p[i];
		const char *t = a->argv[0];

		if (strcmp(t, "font_face_bad") == 0	   ? h->font_face_bad
		    : strcmp(t, "font_low_contrast") == 0  ? h->low_contrast
		    : strcmp(t, "embeds") == 0		   ? h->embeds
		    : strcmp(t, "form_action_mailto") == 0 ? h->form_mailto
							   : h->invalid_color)
			return 1;
	}
	return 0;
}

static int
ev_iframe_src(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	size_t i;

	(void)a;
	for (i = 0; x != NULL && i < x->n; i++)
		if (x->p[i].iframe_src)
			return 1;
	return 0;
}

static int
ev_https_ip_mismatch(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	size_t i;

	(void)a;
	for (i = 0; x != NULL && i < x->n; i++)
		if (x->p[i].an.ip_mismatch)
			return 1;
	return 0;
}

static int
ev_https_http_mismatch(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	double lo = sp_ev_num(a, 0, 1), hi = sp_ev_num(a, 1, 1e308);
	size_t i;

	if (lo == 0)
		lo = 1;
	for (i = 0; x != NULL && i < x->n; i++) {
		const struct eva_state *s = &x->p[i].an;

		if (s->http_mismatch && (double)s->anchors >= lo &&
		    (double)s->anchors < hi)
			return 1;
	}
	return 0;
}

/* The title's length over the Subject's (with its newline, as the
 * Perl's get('Subject') returns it). */
static int
ev_title_subject(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	char *subj = ev_header_all(c, "Subject", 0);
	double ratio = sp_ev_num(a, 0, 0), sl;
	size_t i;
	int hit = 0;

	if (subj == NULL)
		return 0;
	sl = (double)strlen(subj);
	free(subj);
	for (i = 0; x != NULL && i < x->n && !hit; i++)
		if (x->p[i].title.len > 0 &&
		    (double)x->p[i].title.len / sl > ratio)
			hit = 1;
	return hit;
}

static int
ev_tag_exists(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	size_t i;

	for (i = 0; x != NULL && i < x->n; i++)
		if (evh_find(&x->p[i], a->argv[0]) != NULL)
			return 1;
	return 0;
}

static int
ev_tag_balance(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	size_t i;

	for (i = 0; x != NULL && i < x->n; i++) {
		struct evh_tag *t = evh_find(&x->p[i], a->argv[0]);

		if (t != NULL && evh_expr((double)t->inside, a->argv[1]))
			return 1;
	}
	return 0;
}

static int
ev_image_only(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	double lo = sp_ev_num(a, 0, 0), hi = sp_ev_num(a, 1, 0);
	size_t i;

	for (i = 0; x != NULL && i < x->n; i++)
		if (evh_find(&x->p[i], "img") != NULL && x->p[i].length > lo &&
		    x->p[i].length <= hi)
			return 1;
	return 0;
}

static int
ev_image_ratio(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	double lo = sp_ev_num(a, 0, 0), hi = sp_ev_num(a, 1, 0), r;
	size_t i;

	for (i = 0; x != NULL && i < x->n; i++) {
		if (x->p[i].image_area <= 0)
			continue;
		r = x->p[i].non_space / x->p[i].image_area;
		if (r > lo && r <= hi)
			return 1;
	}
	return 0;
}

static int
ev_text_match(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct ev_html *x = ev_html_get(c);
	size_t i;

	for (i = 0; x != NULL && i < x->n; i++) {
		const struct buf *b =
		    strcmp(a->argv[0], "title") == 0	 ? &x->p[i].title
		    : strcmp(a->argv[0], "comment") == 0 ? &x->p[i].comment
							 : &x->p[i].anchor;

		if (b->len > 0 && ev_re_match(c, a, buf_str(b), b->len))
			return 1;
	}
	return 0;
}

static const char *const evh_values[] = {"length",
					 "closed_extra_ratio",
					 "bad_tag_ratio",
					 "non_element_ratio",
					 "image_area",
					 "max_size",
					 "obfuscation_ratio",
					 NULL};
static const char *const evh_tests[] = {"html",
					"font_face_bad",
					"font_low_contrast",
					"font_invalid_color",
					"embeds",
					"form_action_mailto",
					NULL};
static const char *const evh_texts[] = {"title", "comment", "anchor", NULL};

const struct sp_evdef ev_html_defs[] = {
    {"html_range", ev_html_range, 2, 3, evh_values},
    {"html_eval", ev_html_eval, 2, 2, evh_values},
    {"html_test", ev_html_test, 1, 1, evh_tests},
    {"html_tag_exists", ev_tag_exists, 1, 1},
    {"html_tag_balance", ev_tag_balance, 2, 2},
    {"html_image_only", ev_image_only, 2, 2},
    {"html_image_ratio", ev_image_ratio, 2, 2},
    {"html_text_match", ev_text_match, 2, 2, evh_texts, 2},
    {"check_iframe_src", ev_iframe_src, 0, 0},
    {"check_https_ip_mismatch", ev_https_ip_mismatch, 0, 0},
    {"check_https_http_mismatch", ev_https_http_mismatch, 0, 2},
    {"html_title_subject_ratio", ev_title_subject, 1, 1},
    {NULL, NULL, 0, 0},
};
