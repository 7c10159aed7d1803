/* lib/spam/match_relax.c - a wider pattern for hyperscan to prefilter
 * with, when it refuses a rule's own as too large; see match_int.h.
 *
 * SpamAssassin's __FILL_THIS_FORM_* body rules nest bounded repeats of
 * long alternations ({1,3} of {1,80}...), which hyperscan unrolls until
 * "Pattern is too large", and its own HS_FLAG_PREFILTER approximation of
 * them matches every message. Left to PCRE2 they cost 0.3 ms a message,
 * most of the PCRE2 time. Bounded repeats made unbounded keep the
 * pattern's shape and compile small; three of the four are then hit by
 * 1 to 19% of corpus messages (the fourth by all). Keeping the lower
 * bounds ({m,}) was more selective but took hyperscan 20 s more to compile
 * SpamAssassin's rules, and two of the four were still too large. */
#include "match_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Length of the escape at p (p[0] == '\\'): \x{..}, \o{..}, \p{..},
 * \P{..}, \g{..}, \k{..}, \N{..} with their braces, \cX, \Q...\E, else
 * the backslash and one byte. */
static size_t
relax_escape(const char *p)
{
	const char *e;

	if (p[1] == '\0')
		return 1;
	if (p[1] == 'Q') {
		e = strstr(p + 2, "\\E");
		return e != NULL ? (size_t)(e - p) + 2 : strlen(p);
	}
	if (p[1] == 'c')
		return p[2] != '\0' ? 3 : 2;
	if (strchr("xopPgkN", p[1]) != NULL && p[2] == '{') {
		e = strchr(p + 3, '}');
		return e != NULL ? (size_t)(e - p) + 1 : strlen(p);
	}
	return 2;
}

/* Length of the character class at p (p[0] == '['), its ']' included:
 * a leading '^' and ']' are literal, [:name:] and escapes are skipped. */
static size_t
relax_class(const char *p)
{
	size_t i = 1;

	if (p[i] == '^')
		i++;
	if (p[i] == ']')
		i++;
	while (p[i] != '\0' && p[i] != ']') {
		if (p[i] == '\\')
			i += relax_escape(p + i);
		else if (p[i] == '[' && p[i + 1] == ':' &&
			 strstr(p + i + 2, ":]") != NULL)
			i = (size_t)(strstr(p + i + 2, ":]") - p) + 2;
		else
			i++;
	}
	return p[i] == ']' ? i + 1 : i;
}

/* Length of the group opener at p (p[0] == '('): "(", or "(?:", "(?=",
 * "(?<name>", "(?i)"... whole, so that a '{' after it is seen to follow
 * no atom. */
static size_t
relax_open(const char *p)
{
	size_t i = 2;

	if (p[1] != '?')
		return 1;
	while (p[i] != '\0' && strchr(":=!>)", p[i]) == NULL)
		i++;
	return p[i] != '\0' ? i + 1 : i;
}

/* A {m}, {m,} or {m,n} quantifier at p: its length, *min set; else 0. */
static size_t
relax_quant(const char *p, unsigned long *min)
{
	size_t i = 1;

	if (!isdigit((unsigned char)p[i]))
		return 0;
	*min = 0;
	while (isdigit((unsigned char)p[i])) {
		if (*min < 100000)
			*min = *min * 10 + (unsigned long)(p[i] - '0');
		i++;
	}
	if (p[i] == ',')
		while (isdigit((unsigned char)p[++i]))
			;
	return p[i] == '}' ? i + 1 : 0;
}

/* The scan's state: groups open (a stack of whether each is, or lies
 * in, a negative lookaround or a lookbehind, whose content is copied as it
 * is: relaxing a negative one would make the pattern narrower, and PCRE2
 * wants a lookbehind of bounded length), and whether the last token was a
 * quantifier (a '+' after it makes it possessive). */
#define RELAX_DEPTH 64

struct relax {
	unsigned char neg[RELAX_DEPTH];
	size_t depth;
	int lastq;
	char prev;
};

/* Copies the token at `at` (length n) to out, relaxed unless inside a
 * negative lookaround: a possessive '+' is dropped, "(?>" becomes "(?:".
 * snprintf's answer, or -1 when groups nest too deep. */
static int
relax_token(struct relax *st, const char *at, size_t n, char *out, size_t left)
{
	int neg = st->depth > 0 && st->neg[st->depth - 1];
	int quant = (*at == '*' || *at == '+' || *at == '?') && n == 1 &&
		    st->prev != '(' && st->prev != '|';

	if (*at == '(') {
		if (st->depth == RELAX_DEPTH)
			return -1;
		st->neg[st->depth++] =
		    (unsigned char)(neg || strncmp(at, "(?!", 3) == 0 ||
				    strncmp(at, "(?<=", 4) == 0 ||
				    strncmp(at, "(?<!", 4) == 0);
		if (!neg && strncmp(at, "(?>", 3) == 0) {
			st->lastq = 0;
			return snprintf(out, left, "(?:");
		}
	} else if (*at == ')' && st->depth > 0) {
		st->depth--;
	}
	if (quant && st->lastq && *at == '+' && !neg) {
		st->lastq = 0;
		return 0; /* possessive: greedy matches wherever it does */
	}
	st->lastq = quant && !(st->lastq && *at == '?');
	return snprintf(out, left, "%.*s", (int)n, at);
}

int
match_relax(const char *re, char *out, size_t outlen)
{
	struct relax st;
	size_t i = 0, o = 0, n;
	unsigned long min;
	int w;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	memset(&st, 0, sizeof(st));
	st.prev = '(';
	while (re[i] != '\0') {
		const char *at = re + i;
		int neg = st.depth > 0 && st.neg[st.depth - 1];
		size_t q = 0;

		if (*at == '(' &&
		    (at[1] == '*' || (at[1] == '?' && at[2] == '(')))
			return -1; /* verbs, conditionals: not relaxed */
		if (*at == '{' && st.prev != '(' && st.prev != '|')
			q = relax_quant(at, &min);
		if (q > 0) {
			n = q;
			w = neg ? snprintf(out + o, outlen - o, "%.*s", (int)n,
					   at)
				: snprintf(out + o, outlen - o, "%s",
					   min == 0 ? "*" : "+");
			st.lastq = 1;
		} else {
			n = *at == '\\'	 ? relax_escape(at)
			    : *at == '[' ? relax_class(at)
			    : *at == '(' ? relax_open(at)
					 : 1;
			w = relax_token(&st, at, n, out + o, outlen - o);
		}
		if (w < 0 || (size_t)w >= outlen - o)
			return -1;
		o += (size_t)w;
		i += n;
		st.prev = *at == '(' ? '(' : re[i - 1];
	}
	return 0;
}
