/* lib/spam/re_tok.c - the lexer of re_tok.h: PCRE-syntax tokens for
 * match_relax.c and match_ascii.c. Pure: every read is bounded by n. */
#include "re_tok.h"

#include <ctype.h>
#include <string.h>

/* 1 if c is one of set's bytes (never for NUL). */
static int
rt_in(int c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* The index of the first s[0] s[1] at or after p[i], or n. */
static size_t
rt_find2(const char *p, size_t n, size_t i, char a, char b)
{
	for (; i + 1 < n; i++)
		if (p[i] == a && p[i + 1] == b)
			return i;
	return n;
}

static int
rt_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The escape at p[i] (p[i] == '\\'): \Q...\E (or to the end), \cX,
 * \x{..} \o{..} \p{..} \P{..} \g{..} \k{..} \N{..} with their braces (or
 * to the end), \xH and \xHH, \0, \0o and \0oo, \pL and \PL (a letter
 * after them, else only the two bytes), else the backslash and one byte
 * (only the backslash at the end). */
static void
rt_escape(const char *p, size_t n, size_t i, struct rt_tok *t)
{
	size_t k = 0, e;
	int c = i + 1 < n ? (unsigned char)p[i + 1] : 0;

	t->kind = RT_ESC;
	t->ch = c;
	t->value = -1;
	t->len = i + 1 < n ? 2 : 1;
	if (t->len == 1)
		return;
	if (c == 'Q') {
		e = rt_find2(p, n, i + 2, '\\', 'E');
		t->len = e < n ? e - i + 2 : n - i;
	} else if (c == 'c') {
		t->len = i + 2 < n ? 3 : 2;
	} else if (rt_in(c, "xopPgkN") && i + 2 < n && p[i + 2] == '{') {
		for (e = i + 3; e < n && p[e] != '}'; e++)
			;
		t->len = e < n ? e - i + 1 : n - i;
	} else if (c == 'x') {
		while (k < 2 && i + 2 + k < n &&
		       rt_hex((unsigned char)p[i + 2 + k]) >= 0)
			k++;
		t->len += k;
		if (k == 2)
			t->value = rt_hex((unsigned char)p[i + 2]) * 16 +
				   rt_hex((unsigned char)p[i + 3]);
	} else if (c == '0') {
		while (k < 2 && i + 2 + k < n && p[i + 2 + k] >= '0' &&
		       p[i + 2 + k] <= '7')
			k++;
		t->len += k;
	} else if ((c == 'p' || c == 'P') && i + 2 < n &&
		   isalpha((unsigned char)p[i + 2])) {
		t->len = 3;
	} else if (ispunct(c)) {
		t->value = c;
	}
}

/* Where the ":]" of a POSIX name whose "[:" ends at p[j] is, as PCRE2
 * reads it (check_posix_syntax): the first ":]" before any ']' or "[:"
 * (an escaped ']' or '\\' skipped); n if there is none, and "[:" is then
 * a '[' and a ':'. */
static size_t
rt_posix_end(const char *p, size_t n, size_t j)
{
	for (; j + 1 < n; j++) {
		if (p[j] == '\\' && (p[j + 1] == ']' || p[j + 1] == '\\'))
			j++;
		else if ((p[j] == '[' && p[j + 1] == ':') || p[j] == ']')
			return n;
		else if (p[j] == ':' && p[j + 1] == ']')
			return j;
	}
	return n;
}

/* Clears t for a token at i; 1 (t is RT_END) when i is past the end. */
static int
rt_start(size_t n, size_t i, struct rt_tok *t)
{
	memset(t, 0, sizeof(*t));
	t->at = i;
	t->value = -1;
	if (i >= n) {
		t->kind = RT_END;
		return 1;
	}
	return 0;
}

void
rt_member(const char *p, size_t n, size_t i, struct rt_tok *t)
{
	size_t e;

	if (rt_start(n, i, t))
		return;
	if (p[i] == '[' && i + 1 < n && p[i + 1] == ':') {
		e = rt_posix_end(p, n, i + 2);
		t->kind = e < n ? RT_POSIX : RT_BAD;
		t->len = e < n ? e + 2 - i : 1;
		t->bad = e == n && rt_find2(p, n, i + 2, ':', ']') < n;
		return;
	}
	if (p[i] == '\\') {
		rt_escape(p, n, i, t);
		return;
	}
	t->kind = RT_LIT;
	t->len = 1;
	t->ch = t->value = (unsigned char)p[i];
}

size_t
rt_class_first(const struct rt_tok *t)
{
	return t->at + 1 + (t->neg ? 1 : 0);
}

/* The class at p[i] ('['): a leading '^' negates, a ']' first is a
 * member; it ends at the next ']' between members, or at n. */
static void
rt_class(const char *p, size_t n, size_t i, struct rt_tok *t)
{
	struct rt_tok m;
	size_t j, first;

	t->kind = RT_CLASS;
	t->neg = i + 1 < n && p[i + 1] == '^';
	first = j = rt_class_first(t);
	while (j < n && (p[j] != ']' || j == first)) {
		rt_member(p, n, j, &m);
		t->bad |= m.kind == RT_BAD && m.bad;
		j += m.len;
	}
	t->closed = j < n;
	t->len = (j < n ? j + 1 : n) - i;
}

/* Decimal digits at p[*j], their value (RT_MAX_COUNT if it is larger):
 * how many there were. */
static size_t
rt_count(const char *p, size_t n, size_t *j, unsigned long *v)
{
	size_t d = 0;

	*v = 0;
	for (; *j < n && isdigit((unsigned char)p[*j]); (*j)++, d++)
		*v = *v > (RT_MAX_COUNT - 9) / 10
			 ? RT_MAX_COUNT
			 : *v * 10 + (unsigned long)(p[*j] - '0');
	return d;
}

/* A quantifier at p[i] and its mode mark: 1, or 0 if a '{' is not one
 * ({m}, {m,}, {m,n} only: "{,n}" and "{x" are literal). */
static int
rt_quant(const char *p, size_t n, size_t i, struct rt_tok *t)
{
	size_t j = i + 1;

	t->kind = RT_QUANT;
	t->min = p[i] == '+' ? 1 : 0;
	t->max = p[i] == '?' ? 1 : RT_INF;
	if (p[i] == '{') {
		if (rt_count(p, n, &j, &t->min) == 0)
			return 0;
		t->max = t->min;
		if (j < n && p[j] == ',' &&
		    (j++, rt_count(p, n, &j, &t->max) == 0))
			t->max = RT_INF;
		if (j >= n || p[j] != '}')
			return 0;
		j++;
	}
	t->base = j - i;
	t->mode = j < n && p[j] == '?'	 ? RQ_LAZY
		  : j < n && p[j] == '+' ? RQ_POSSESSIVE
					 : RQ_GREEDY;
	t->len = t->base + (t->mode != RQ_GREEDY);
	return 1;
}

/* 1 if p[a..b) is made of set's bytes only. */
static int
rt_all(const char *p, size_t a, size_t b, const char *set)
{
	for (; a < b; a++)
		if (!rt_in((unsigned char)p[a], set))
			return 0;
	return 1;
}

#define RT_NAME                                                                \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

/* The kind of the opener p[i .. i + len), "(?" and more. */
static enum rt_group
rt_group(const char *p, size_t n, size_t i, size_t len)
{
	const char *o = p + i;
	char last = o[len - 1];
	size_t nm = len > 3 && o[2] == 'P' ? 4 : 3;

	if (len == 3 && last == ':')
		return RG_NONCAP;
	if (len == 3 && rt_in(last, ">=!"))
		return last == '>' ? RG_ATOMIC : last == '=' ? RG_LA : RG_NLA;
	if (len == 4 && o[2] == '<' && rt_in(last, "=!"))
		return last == '=' ? RG_LB : RG_NLB;
	if (i + 2 < n && o[2] == '(')
		return RG_COND;
	if (len > nm && o[nm - 1] == '<' && last == '>' &&
	    rt_all(p, i + nm, i + len - 1, RT_NAME))
		return RG_NAMED;
	if (len > 3 && last == ':' && rt_all(p, i + 2, i + len - 1, "ims-"))
		return RG_SCOPED;
	if (last == ')' && rt_all(p, i + 2, i + len - 1, "ims-"))
		return RG_FLAGS;
	return RG_OTHER;
}

/* The opener at p[i] ('('). */
static void
rt_open(const char *p, size_t n, size_t i, struct rt_tok *t)
{
	size_t j = i + 2;

	t->kind = RT_OPEN;
	if (i + 1 >= n || p[i + 1] != '?') {
		t->len = 1;
		t->group = i + 1 < n && p[i + 1] == '*' ? RG_VERB : RG_CAP;
		return;
	}
	while (j < n && !rt_in((unsigned char)p[j], ":=!>)"))
		j++;
	t->len = (j < n ? j + 1 : n) - i;
	t->group = rt_group(p, n, i, t->len);
}

void
rt_next(const char *p, size_t n, size_t i, struct rt_tok *t)
{
	int c;

	if (rt_start(n, i, t))
		return;
	c = (unsigned char)p[i];
	t->len = 1;
	if (c == '\\')
		rt_escape(p, n, i, t);
	else if (c == '[')
		rt_class(p, n, i, t);
	else if (c == '(')
		rt_open(p, n, i, t);
	else if (c == ')' || c == '|')
		t->kind = c == ')' ? RT_CLOSE : RT_ALT;
	else if ((c == '*' || c == '+' || c == '?' || c == '{') &&
		 rt_quant(p, n, i, t))
		return;
	else {
		t->kind = c == '.'		 ? RT_ANY
			  : c == '^' || c == '$' ? RT_ANCHOR
						 : RT_LIT;
		t->ch = t->value = c;
		t->min = t->max = 0;
		t->len = 1;
	}
}
