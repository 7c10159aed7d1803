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
 * SpamAssassin's rules, and two of the four were still too large.
 *
 * Both halves read the pattern as re_tok.c's tokens, as match_ascii.c
 * does. */
#include "match_int.h"
#include "match_relax.h"
#include "re_tok.h"

#include <stdlib.h>
#include <string.h>

/* The scan's state: groups open (a stack of whether each is, or lies
 * in, a negative lookaround or a lookbehind, whose content is copied as it
 * is: relaxing a negative one would make the pattern narrower, and PCRE2
 * wants a lookbehind of bounded length), whether the last piece was a
 * quantifier (a '+' after it makes it possessive), and the last byte read
 * ('(' after an opener): a quantifier after '(' or '|' is copied as it
 * is, not read as one. */
#define RELAX_DEPTH 64

struct relax {
	unsigned char neg[RELAX_DEPTH];
	size_t depth;
	int lastq;
	char prev;
	char *out;
	size_t o, cap;
};

static int
relax_put(struct relax *st, const char *s, size_t n)
{
	if (n >= st->cap - st->o)
		return -1;
	memcpy(st->out + st->o, s, n);
	st->o += n;
	st->out[st->o] = '\0';
	return 0;
}

/* One piece of a quantifier token, p[0 .. n): its base ({m,n} or one of
 * '*', '+', '?') or its mode mark, read as a quantifier after an atom:
 * {m,n} becomes '*' (m = 0) or '+', a possessive '+' is dropped (greedy
 * matches wherever it does). min: {m,n}'s m. */
static int
relax_piece(struct relax *st, const char *p, size_t n, unsigned long min)
{
	int neg = st->depth > 0 && st->neg[st->depth - 1];
	int quant = st->prev != '(' && st->prev != '|';
	int was = st->lastq;

	st->prev = p[n - 1];
	if (!quant || neg || n == 1) {
		st->lastq = quant && !(was && *p == '?');
		if (quant && n == 1 && was && *p == '+' && !neg) {
			st->lastq = 0;
			return 0;
		}
		if (quant && n > 1)
			st->lastq = 1;
		return relax_put(st, p, n);
	}
	st->lastq = 1;
	return relax_put(st, min == 0 ? "*" : "+", 1);
}

/* A group opener: pushed (with whether its content is copied as it is);
 * "(?>" becomes "(?:". -1 nested too deep. */
static int
relax_open(struct relax *st, const char *at, const struct rt_tok *t)
{
	int neg = st->depth > 0 && st->neg[st->depth - 1];

	if (st->depth == RELAX_DEPTH)
		return -1;
	st->neg[st->depth++] =
	    (unsigned char)(neg || t->group == RG_NLA || t->group == RG_LB ||
			    t->group == RG_NLB);
	st->prev = '(';
	st->lastq = 0;
	if (!neg && t->group == RG_ATOMIC)
		return relax_put(st, "(?:", 3);
	return relax_put(st, at, t->len);
}

int
match_relax(const char *re, char *out, size_t outlen)
{
	struct relax st;
	struct rt_tok t;
	size_t n = strlen(re);
	int rc = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	memset(&st, 0, sizeof(st));
	st.prev = '(';
	st.out = out;
	st.cap = outlen;
	for (rt_next(re, n, 0, &t); rc == 0 && t.kind != RT_END;
	     rt_next(re, n, t.at + t.len, &t)) {
		const char *at = re + t.at;

		if ((t.kind == RT_OPEN &&
		     (t.group == RG_VERB || t.group == RG_COND)) ||
		    (t.kind == RT_CLASS && t.bad))
			return -1; /* verbs, conditionals: not relaxed */
		if (t.kind == RT_OPEN) {
			rc = relax_open(&st, at, &t);
			continue;
		}
		if (t.kind == RT_QUANT) {
			rc = relax_piece(&st, at, t.base, t.min);
			if (rc == 0 && t.len > t.base)
				rc = relax_piece(&st, at + t.base, 1, 0);
			continue;
		}
		if (t.kind == RT_CLOSE && st.depth > 0)
			st.depth--;
		st.lastq = 0;
		st.prev = at[t.len - 1];
		rc = relax_put(&st, at, t.len);
	}
	return rc;
}

/* ---- match_reverse(): the pattern of the text read backwards ---- */

/* The reversal's state: the input, where the scan is, the output. */
struct rev {
	const char *re;
	size_t i, n;
	char *out;
	size_t o, cap;
	int depth;
};

static int rev_alt(struct rev *r);

/* The kind of the token at r->i. */
static enum rt_kind
rev_at(const struct rev *r)
{
	struct rt_tok t;

	rt_next(r->re, r->n, r->i, &t);
	return t.kind;
}

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

/* The quantifier token at r->i, if there is one: consumed, and its base
 * (without the mode mark: the set of texts is the same for a lazy one,
 * wider for a possessive one made greedy) written when put. 1 there was
 * one, 0 none, -1 out of room. */
static int
rev_quant(struct rev *r, int put)
{
	struct rt_tok t;

	rt_next(r->re, r->n, r->i, &t);
	if (t.kind != RT_QUANT)
		return 0;
	if (put && rev_put(r, r->re + t.at, t.base) < 0)
		return -1;
	r->i += t.len;
	return 1;
}

/* What to write for the opener t: the opener of a plain group, t's own
 * bytes for a scoped (?i:...), NULL to drop the group (a lookaround: an
 * assertion, whose absence only widens), or "" to refuse (anything that
 * reads state the reversed scan has not: backreferences, recursion,
 * inline flags, conditionals, verbs...). */
static const char *
rev_opener(const struct rt_tok *t)
{
	switch (t->group) {
	case RG_CAP:
	case RG_NONCAP:
	case RG_ATOMIC:
	case RG_NAMED:
		return "(?:";
	case RG_LA:
	case RG_NLA:
	case RG_LB:
	case RG_NLB:
		return NULL;
	case RG_SCOPED:
		return "scoped";
	default:
		return "";
	}
}

/* Skips the group whose opener ends at r->i, to its ')': an opener
 * counts as its '(' alone, what follows it is read again (a "(?(1)" or
 * "(?i)" has parentheses of its own). */
static int
rev_skip(struct rev *r)
{
	struct rt_tok t;
	int depth = 1;

	for (rt_next(r->re, r->n, r->i, &t); t.kind != RT_END;
	     rt_next(r->re, r->n, r->i, &t)) {
		r->i += t.kind == RT_OPEN ? 1 : t.len;
		if (t.kind == RT_CLASS && t.bad)
			return -1;
		if (t.kind == RT_OPEN)
			depth++;
		else if (t.kind == RT_CLOSE && --depth == 0)
			return 0;
	}
	return -1;
}

/* The escape t: 1 copied, 0 dropped (an assertion: \b, \A, \z...), -1
 * refused (backreferences, \K, \R, \X, \Q, a stray \E, which PCRE2
 * ignores: in a\E? the '?' is a's, not an assertion's; and a \p or \P
 * with no property after it). */
static int
rev_escape(const struct rt_tok *t)
{
	if (t->ch == 0 || strchr("123456789gkKRXQE", t->ch) != NULL ||
	    ((t->ch == 'p' || t->ch == 'P') && t->len == 2))
		return -1;
	return strchr("bBAzZG", t->ch) != NULL ? 0 : 1;
}

/* A group at r->i (its opener t), written reversed; a lookaround is
 * skipped with its quantifier. */
static int
rev_group(struct rev *r, const struct rt_tok *t)
{
	const char *p = r->re + t->at, *op = rev_opener(t);

	if (t->group == RG_VERB || t->group == RG_COND ||
	    (op != NULL && *op == '\0'))
		return -1;
	r->i += t->len;
	if (op == NULL) /* a lookaround: dropped */
		return rev_skip(r) < 0 || rev_quant(r, 0) < 0 ? -1 : 0;
	if (++r->depth > RELAX_DEPTH ||
	    rev_put(r, strcmp(op, "scoped") == 0 ? p : op,
		    strcmp(op, "scoped") == 0 ? t->len : strlen(op)) < 0 ||
	    rev_alt(r) < 0 || rev_at(r) != RT_CLOSE || rev_put(r, ")", 1))
		return -1;
	r->depth--;
	r->i++;
	return 1;
}

/* One item (an atom and its quantifier) at r->i, written reversed;
 * nothing for an assertion. 0, or -1 refused or out of room. */
static int
rev_item(struct rev *r)
{
	struct rt_tok t;
	int put, q;

	rt_next(r->re, r->n, r->i, &t);
	if (t.kind == RT_OPEN) {
		if ((put = rev_group(r, &t)) <= 0)
			return put;
	} else {
		if (t.kind == RT_QUANT) /* nothing to repeat: a byte */
			t.len = 1;
		if (t.kind == RT_CLASS && (!t.closed || t.bad))
			return -1;
		put = t.kind == RT_ESC	    ? rev_escape(&t)
		      : t.kind == RT_ANCHOR ? 0
					    : 1;
		if (put < 0)
			return -1;
		if (put && (r->re[t.at] == '{' || r->re[t.at] == '}') &&
		    rev_put(r, "\\", 1) < 0)
			return -1; /* "}2{a" must not turn into a{2} */
		if (put && rev_put(r, r->re + t.at, t.len) < 0)
			return -1;
		r->i += t.len;
	}
	if ((q = rev_quant(r, put)) < 0)
		return -1;
	/* a quantifier of a quantifier (or a '{' that now follows one):
	 * not worth the thought */
	rt_next(r->re, r->n, r->i, &t);
	return q > 0 && t.kind == RT_QUANT ? -1 : 0;
}

/* One alternative: its items, written in order, then put in reverse
 * order in place (the bytes of the whole reversed, then of each item
 * back). */
static int
rev_seq(struct rev *r)
{
	size_t *len = NULL, nlen = 0, start = r->o, at, k, o0;
	int rc = 0;

	while (rc == 0 && rev_at(r) != RT_END && rev_at(r) != RT_ALT &&
	       rev_at(r) != RT_CLOSE) {
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
		if (rev_at(r) != RT_ALT)
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
	r.n = strlen(re);
	r.out = out;
	r.cap = outlen;
	out[0] = '\0';
	if (rev_alt(&r) < 0 || r.i != r.n)
		return -1;
	return 0;
}
