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
#include "match_relax.h"

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

/* ---- match_reverse(): the pattern of the text read backwards ---- */

/* The reversal's state: the input, where the scan is, the output. */
struct rev {
	const char *re;
	size_t i;
	char *out;
	size_t o, cap;
	int depth;
};

static int rev_alt(struct rev *r);

static int
rev_put(struct rev *r, const char *s, size_t n)
{
	if (n >= r->cap - r->o)
		return -1;
	memcpy(r->out + r->o, s, n);
	r->o += n;
	r->out[r->o] = '\0';
	return 0;
}

static void
rev_bytes(char *s, size_t n)
{
	size_t a, b;
	char c;

	for (a = 0, b = n; a + 1 < b; a++, b--) {
		c = s[a];
		s[a] = s[b - 1];
		s[b - 1] = c;
	}
}

/* The length of a quantifier at p ("*", "+", "?", {m}, {m,}, {m,n}; a
 * lazy '?' or possessive '+' after it included), 0 if none. *keep: how
 * much of it to copy (the modifier dropped: the set of texts is the
 * same for a lazy one, wider for a possessive one made greedy). */
static size_t
rev_quant(const char *p, size_t *keep)
{
	unsigned long min;
	size_t n = 0;

	if (*p == '*' || *p == '+' || *p == '?')
		n = 1;
	else if (*p == '{')
		n = relax_quant(p, &min);
	*keep = n;
	if (n > 0 && (p[n] == '?' || p[n] == '+'))
		n++;
	return n;
}

/* The group opener at re[i] (its length n): what to write for it, NULL
 * to drop the group (a lookaround: an assertion, whose absence only
 * widens), or "" to refuse (anything that reads state the reversed scan
 * has not: backreferences, recursion, inline flags, conditionals...). */
static const char *
rev_opener(const char *p, size_t n)
{
	size_t k;

	if (n == 1 || strncmp(p, "(?:", 3) == 0 || strncmp(p, "(?>", 3) == 0)
		return "(?:";
	if (strncmp(p, "(?=", 3) == 0 || strncmp(p, "(?!", 3) == 0 ||
	    strncmp(p, "(?<=", 4) == 0 || strncmp(p, "(?<!", 4) == 0)
		return NULL;
	if ((p[2] == '<' || (p[2] == 'P' && p[3] == '<')) && p[n - 1] == '>')
		return "(?:"; /* a named group */
	for (k = 2; k + 1 < n && strchr("ims-", p[k]) != NULL; k++)
		;
	if (k + 1 == n && p[k] == ':' && k > 2)
		return "scoped"; /* (?i:...): copied as it is */
	return "";
}

/* Skips the group whose opener ends at r->i, to its ')'. */
static int
rev_skip(struct rev *r)
{
	int depth = 1;
	const char *p = r->re;

	while (p[r->i] != '\0') {
		if (p[r->i] == '\\')
			r->i += relax_escape(p + r->i);
		else if (p[r->i] == '[')
			r->i += relax_class(p + r->i);
		else if (p[r->i] == '(')
			depth++, r->i++;
		else if (p[r->i++] == ')' && --depth == 0)
			return 0;
	}
	return -1;
}

/* The escape at p: 1 copied, 0 dropped (an assertion: \b, \A, \z...),
 * -1 refused (backreferences, \K, \R, \X, \Q, and a stray \E, which
 * PCRE2 ignores: in a\E? the '?' is a's, not an assertion's). */
static int
rev_escape(const char *p)
{
	if (p[1] == '\0' || strchr("123456789gkKRXQE", p[1]) != NULL)
		return -1;
	return strchr("bBAzZG", p[1]) != NULL ? 0 : 1;
}

/* The escape's length as one atom: relax_escape()'s, with the digits
 * of \xhh, \0oo and the letter of \pL, which it leaves to follow. */
static size_t
rev_esclen(const char *p)
{
	size_t n = relax_escape(p), k = 0;

	if (n != 2)
		return n;
	if (p[1] == 'x')
		while (k < 2 && isxdigit((unsigned char)p[2 + k]))
			k++;
	else if (p[1] == '0')
		while (k < 2 && p[2 + k] >= '0' && p[2 + k] <= '7')
			k++;
	else if ((p[1] == 'p' || p[1] == 'P') && p[2] != '\0')
		k = 1;
	return n + k;
}

/* One item (an atom and its quantifier) at r->i, written reversed;
 * nothing for an assertion. 0, or -1 refused or out of room. */
static int
rev_item(struct rev *r)
{
	const char *p = r->re + r->i, *op = "";
	size_t n = 1, keep;
	int put = 1;

	if (*p == '(') {
		if (p[1] == '*' || (p[1] == '?' && p[2] == '('))
			return -1;
		n = relax_open(p);
		if ((op = rev_opener(p, n)) != NULL && *op == '\0')
			return -1;
		r->i += n;
		if (op == NULL) { /* a lookaround: dropped */
			if (rev_skip(r) < 0)
				return -1;
			r->i += rev_quant(r->re + r->i, &keep);
			return 0;
		}
		if (++r->depth > RELAX_DEPTH ||
		    rev_put(r, strcmp(op, "scoped") == 0 ? p : op,
			    strcmp(op, "scoped") == 0 ? n : strlen(op)) < 0 ||
		    rev_alt(r) < 0 || r->re[r->i] != ')' || rev_put(r, ")", 1))
			return -1;
		r->depth--;
		r->i++;
	} else {
		if (*p == '[')
			n = relax_class(p);
		else if (*p == '\\')
			n = rev_esclen(p);
		if (*p == '[' && p[n - 1] != ']')
			return -1;
		put = *p == '\\' ? rev_escape(p) : *p != '^' && *p != '$';
		if (put < 0)
			return -1;
		if (put && (*p == '{' || *p == '}') && rev_put(r, "\\", 1) < 0)
			return -1; /* "}2{a" must not turn into a{2} */
		if (put && rev_put(r, p, n) < 0)
			return -1;
		r->i += n;
	}
	n = rev_quant(r->re + r->i, &keep);
	if (put && rev_put(r, r->re + r->i, keep) < 0)
		return -1;
	r->i += n;
	/* a quantifier of a quantifier (or a '{' that now follows one):
	 * not worth the thought */
	return n > 0 && rev_quant(r->re + r->i, &keep) > 0 ? -1 : 0;
}

/* One alternative: its items, written in order, then put in reverse
 * order in place (the bytes of the whole reversed, then of each item
 * back). */
static int
rev_seq(struct rev *r)
{
	size_t *len = NULL, nlen = 0, start = r->o, at, k, o0;
	int rc = 0;

	while (rc == 0 && r->re[r->i] != '\0' && r->re[r->i] != '|' &&
	       r->re[r->i] != ')') {
		size_t *nl;

		o0 = r->o;
		if ((rc = rev_item(r)) < 0 || r->o == o0)
			continue;
		if ((nl = realloc(len, (nlen + 1) * sizeof(*len))) == NULL) {
			rc = -1;
			break;
		}
		len = nl;
		len[nlen++] = r->o - o0;
	}
	if (rc == 0) {
		rev_bytes(r->out + start, r->o - start);
		for (at = start, k = nlen; k > 0; at += len[--k])
			rev_bytes(r->out + at, len[k - 1]);
	}
	free(len);
	return rc;
}

static int
rev_alt(struct rev *r)
{
	for (;;) {
		if (rev_seq(r) < 0)
			return -1;
		if (r->re[r->i] != '|')
			return 0;
		if (rev_put(r, "|", 1) < 0)
			return -1;
		r->i++;
	}
}

int
match_reverse(const char *re, char *out, size_t outlen)
{
	struct rev r;

	if (outlen == 0)
		return -1;
	memset(&r, 0, sizeof(r));
	r.re = re;
	r.out = out;
	r.cap = outlen;
	out[0] = '\0';
	if (rev_alt(&r) < 0 || re[r.i] != '\0')
		return -1;
	return 0;
}
