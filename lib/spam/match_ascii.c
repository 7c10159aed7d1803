/* lib/spam/match_ascii.c - a pattern's forms for texts of a known byte
 * set (match_int.h): "plain" texts (no byte >= 0x80) and "Latin" ones
 * (UTF-8 of U+0080-U+00FF, U+2000-U+2FFF, U+F000-U+FFFF), neither with
 * "&#". SpamAssassin's look-alike rules (25_replace.cf: FUZZY_*,
 * __YOUR_PASSWORD...) spell every letter as an alternation of UTF-8
 * sequences, high bytes and "&#NNN;" entities; hyperscan runs each of them
 * as a large automaton over every byte of the body. In a text of a form
 * most of those alternatives cannot match, so they are left out, and the
 * automaton shrinks to what the form's letters need.
 *
 * By construction, not by guess: an alternative is left out only if one
 * of its items must match (no ?, *, {0,...} after it) and cannot match a
 * text of the form: a class or escape of bytes the form's texts never
 * have, a literal '&' followed by a literal '#' (both required), or a
 * group none of whose alternatives can. A class loses the members the
 * form's texts never have (it keeps at least one). Anything this parser
 * does not fully know (\Q, (?x), conditionals, verbs, recursion, \p,
 * \k...) makes it refuse: the pattern is then used as it is. Its tokens
 * and class members are re_tok.c's. Pure. */
#include "match_int.h"
#include "re_tok.h"

#include <ctype.h>
#include <string.h>

struct ma {
	const unsigned char *absent; /* [256]: 1 if the form's texts never
					have that byte */
	const char *p;
	size_t i, n;
	char *o;
	size_t on, ocap;
	int depth;
};

enum { MA_REFUSE = -1, MA_NONE = 0, MA_SOME = 1 };

/* The kind of the token at m->i. */
static enum rt_kind
ma_at(const struct ma *m)
{
	struct rt_tok t;

	rt_next(m->p, m->n, m->i, &t);
	return t.kind;
}

static int
ma_put(struct ma *m, const char *s, size_t len)
{
	if (m->on + len >= m->ocap)
		return -1;
	memcpy(m->o + m->on, s, len);
	m->on += len;
	return 0;
}

/* Whether the escape t is one this parser knows: \xHH (two hex digits)
 * and the escapes of one punctuation or letter (\w \d \s \b \n \t \]
 * \- ...); \x{..}, \xH, \p, \Q, \E, \c, \o, \N, \g, \k, octal and
 * back-reference digits, a byte that is not printable after the
 * backslash, and one at the end are not. */
static int
ma_esc_ok(const struct rt_tok *t)
{
	if (t->ch == 'x')
		return t->value >= 0;
	return t->ch != 0 && isprint(t->ch) &&
	       strchr("pPQEcoNgk0123456789", t->ch) == NULL;
}

/* One class member or escape at i: its length (0: refused), *v the byte
 * it stands for when it is one byte (else -1). */
static size_t
ma_member(const struct ma *m, size_t i, int *v)
{
	struct rt_tok t;

	*v = -1;
	if (i >= m->n)
		return 0;
	rt_member(m->p, m->n, i, &t);
	if (t.kind == RT_BAD || (t.kind == RT_ESC && !ma_esc_ok(&t)))
		return 0;
	if (t.kind != RT_POSIX)
		*v = t.value;
	return t.len;
}

/* 1 if no byte of lo..hi can be in the form's texts. */
static int
ma_absent(const struct ma *m, int lo, int hi)
{
	int c;

	if (lo < 0 || hi < lo || hi > 255)
		return 0;
	for (c = lo; c <= hi; c++)
		if (!m->absent[c])
			return 0;
	return 1;
}

/* A member at i and the range it may open: the whole length (0 refused);
 * *high = 1 if no byte it stands for can be in the form's texts. */
static size_t
ma_range(const struct ma *m, size_t i, int *high)
{
	size_t len, len2 = 0;
	int lo, hi;

	if ((len = ma_member(m, i, &lo)) == 0)
		return 0;
	hi = lo;
	if (i + len + 1 < m->n && m->p[i + len] == '-' &&
	    m->p[i + len + 1] != ']') {
		if ((len2 = ma_member(m, i + len + 1, &hi)) == 0)
			return 0;
		len2++;
	}
	*high = ma_absent(m, lo, hi);
	return len + len2;
}

/* The members of a class from p[i] to its ']', copied without those
 * the form lacks unless neg; *any: one was kept, *gone: one was left
 * out. With esc, every ':', '.' or '=' that begins a member is escaped:
 * once members are gone, the rest could meet as a POSIX "[:name:]" the
 * rule did not have ("[:\xd8x:\x9c]" is not "[:x:]"). The index of
 * the ']' (or n), or 0 refused. */
static size_t
ma_members(struct ma *m, size_t i, int neg, int esc, int *any, int *gone)
{
	size_t first = i, len;
	int h;

	*any = *gone = 0;
	for (; i < m->n && (m->p[i] != ']' || i == first); i += len) {
		if ((len = ma_range(m, i, &h)) == 0)
			return 0;
		if (h && !neg) {
			*gone = 1;
			continue;
		}
		/* a '-', '^' or ']' alone escaped: no new range, no
		 * negation, no early end once members are gone */
		if (((len == 1 && strchr("-^]", m->p[i]) != NULL) ||
		     (esc && strchr(":.=", m->p[i]) != NULL)) &&
		    ma_put(m, "\\", 1) < 0)
			return 0;
		if (ma_put(m, m->p + i, len) < 0)
			return 0;
		*any = 1;
	}
	return i;
}

/* A class at m->i ('['): copied without the members the form lacks (a negated
 * one as it is); *high = 1 if it has no other member. */
static int
ma_class(struct ma *m, int *high)
{
	size_t i = m->i + 1, start = m->on, open, end;
	int neg = i < m->n && m->p[i] == '^', any, gone;

	i += (size_t)neg;
	*high = 0;
	if (ma_put(m, m->p + m->i, i - m->i) < 0)
		return -1;
	open = m->on;
	end = ma_members(m, i, neg, 0, &any, &gone);
	if (end != 0 && gone) { /* again, with ':', '.', '=' escaped */
		m->on = open;
		end = ma_members(m, i, neg, 1, &any, &gone);
	}
	if (end == 0 || end >= m->n)
		return -1;
	i = end;
	*high = !neg && !any;
	if (*high) { /* as it was: the caller drops the branch */
		m->on = start;
		if (ma_put(m, m->p + m->i, i - m->i) < 0)
			return -1;
	}
	if (ma_put(m, "]", 1) < 0)
		return -1;
	m->i = i + 1;
	return 0;
}

/* The quantifier at m->i: its length (with a lazy or possessive mark);
 * *opt = 1 if it allows zero, or if a '{' is not one (then it is a
 * literal, and the item before is not counted as required). */
static size_t
ma_quant(const struct ma *m, int *opt)
{
	struct rt_tok t;

	rt_next(m->p, m->n, m->i, &t);
	*opt = t.kind == RT_LIT && t.ch == '{';
	if (t.kind != RT_QUANT)
		return 0;
	*opt = t.min == 0;
	return t.len;
}

static int ma_alts(struct ma *m);

/* The opening of a group at m->i ('('), copied; *neg for a negative
 * lookaround, *flags for an option setting "(?i)" (no content). Verbs,
 * conditionals, (?x), (?|, (?#, (?R), (?P=name)... are refused. */
static int
ma_open(struct ma *m, int *neg, int *flags)
{
	struct rt_tok t;

	rt_next(m->p, m->n, m->i, &t);
	if (t.group == RG_VERB || t.group == RG_COND || t.group == RG_OTHER)
		return -1;
	*neg = t.group == RG_NLA || t.group == RG_NLB;
	*flags = t.group == RG_FLAGS;
	if (ma_put(m, m->p + m->i, t.len) < 0)
		return -1;
	m->i += t.len;
	return 0;
}

/* Writes the original text from p[i] to the current position in place
 * of what was written from output offset o: always right, only not
 * smaller. */
static int
ma_verbatim(struct ma *m, size_t i, size_t o)
{
	m->on = o;
	return ma_put(m, m->p + i, m->i - i);
}

/* A group at m->i: *none = 1 if it cannot match a text of the form. */
static int
ma_group(struct ma *m, int *none)
{
	size_t i0 = m->i, o0 = m->on;
	int neg, flags, r;

	*none = 0;
	if (ma_open(m, &neg, &flags) < 0)
		return -1;
	if (flags)
		return 0;
	if (++m->depth > 64 || (r = ma_alts(m)) < 0)
		return -1;
	m->depth--;
	if (ma_at(m) != RT_CLOSE || ma_put(m, ")", 1) < 0)
		return -1;
	m->i++;
	if (r == MA_NONE && neg) /* always true: kept as it was */
		return ma_verbatim(m, i0, o0);
	*none = r == MA_NONE;
	return 0;
}

/* One item (group, class, escape or byte) at m->i: *none = 1 if it
 * cannot match a text of the form, *lit the byte it stands for or -1. */
static int
ma_item(struct ma *m, int *none, int *lit)
{
	size_t len;

	*none = 0;
	*lit = -1;
	if (ma_at(m) == RT_OPEN)
		return ma_group(m, none);
	if (ma_at(m) == RT_CLASS)
		return ma_class(m, none);
	if ((len = ma_member(m, m->i, lit)) == 0 ||
	    ma_put(m, m->p + m->i, len) < 0)
		return -1;
	if (len == 2 && isalpha((unsigned char)m->p[m->i + 1]))
		*lit = -1;
	*none = ma_absent(m, *lit, *lit);
	m->i += len;
	return 0;
}

/* One alternative, up to '|', ')' or the end: MA_NONE if a required
 * item cannot match a text of the form (or it requires "&#"). */
static int
ma_alt(struct ma *m)
{
	int possible = 1, amp = 0, none, lit, opt;
	size_t len, i0, o0;

	while (ma_at(m) != RT_END && ma_at(m) != RT_ALT &&
	       ma_at(m) != RT_CLOSE) {
		i0 = m->i;
		o0 = m->on;
		if (ma_item(m, &none, &lit) < 0)
			return -1;
		len = ma_quant(m, &opt);
		if (ma_put(m, m->p + m->i, len) < 0)
			return -1;
		m->i += len;
		/* an optional item that cannot match: as it was (a dead
		 * group's pruned copy would match the empty string) */
		if (none && opt && ma_verbatim(m, i0, o0) < 0)
			return -1;
		if (!opt && (none || (amp && lit == '#')))
			possible = 0;
		amp = !opt && lit == '&';
	}
	return possible ? MA_SOME : MA_NONE;
}

/* Alternatives up to ')' or the end; those that cannot match are left
 * out. MA_NONE if none can. */
static int
ma_alts(struct ma *m)
{
	size_t mark;
	int any = 0, r;

	for (;;) {
		mark = m->on;
		if (any && ma_put(m, "|", 1) < 0)
			return -1;
		if ((r = ma_alt(m)) < 0)
			return -1;
		if (r == MA_NONE)
			m->on = mark;
		else
			any = 1;
		if (ma_at(m) != RT_ALT)
			return any ? MA_SOME : MA_NONE;
		m->i++;
	}
}

/* The bytes >= 0x80 each form's texts may have: none; or those of
 * UTF-8's U+0080-U+00FF (no-break space, (c), Latin-1 letters), U+2000-
 * U+2FFF (quotes, dashes, bullets, the euro) and U+F000-U+FFFF (the BOM,
 * the replacement character): lead bytes 0xc2, 0xc3, 0xe2, 0xef and
 * continuation bytes. Neither has "&#". */
static int
form_has(int form, int c)
{
	if (c < 0x80)
		return 1;
	return form == MATCH_FORM_LATIN &&
	       (c < 0xc0 || c == 0xc2 || c == 0xc3 || c == 0xe2 || c == 0xef);
}

int
match_ascii(const char *re, int form, char *out, size_t outlen)
{
	unsigned char absent[256];
	struct ma m;
	int c;

	for (c = 0; c < 256; c++)
		absent[c] = !form_has(form, c);
	memset(&m, 0, sizeof(m));
	m.absent = absent;
	m.p = re;
	m.n = strlen(re);
	m.o = out;
	m.ocap = outlen;
	if (ma_alts(&m) != MA_SOME || ma_at(&m) != RT_END)
		return -1;
	out[m.on] = '\0';
	return strcmp(out, re) != 0;
}

/* the high bit of each byte of a 64-bit word */
static const uint64_t form_high8 = UINT64_C(0x8080808080808080);

int
match_form(const char *t, size_t n)
{
	const unsigned char *u = (const unsigned char *)t;
	const char *amp;
	int form = MATCH_FORM_PLAIN;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t w;

		/* eight ASCII bytes at a time: most texts are all ASCII */
		while (n - i >= 8 &&
		       (memcpy(&w, u + i, 8), w & form_high8) == 0)
			i += 8;
		if (i == n)
			break;
		if (u[i] >= 0x80 && !form_has(form, u[i]) &&
		    !form_has(form = MATCH_FORM_LATIN, u[i]))
			return -1;
	}
	for (amp = memchr(t, '&', n); amp != NULL && amp + 1 < t + n;
	     amp = memchr(amp + 1, '&', (size_t)(t + n - amp - 1)))
		if (amp[1] == '#')
			return -1;
	return form;
}
