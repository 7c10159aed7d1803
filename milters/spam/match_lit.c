/* milters/spam/match_lit.c - a literal prefilter for the patterns
 * hyperscan refuses (issue 11 speed): the set of literals one of which
 * every match of the pattern must contain, read from the pattern's
 * syntax. A body holding none of them cannot match, so PCRE2 runs only on
 * bodies where hyperscan finds one (match.c, confirmation 2).
 *
 * Correctness first: each step may only lose literals, never invent one.
 * A sequence keeps its best mandatory item (a run of plain characters or
 * a group repeated at least once); an alternation is the union of its
 * branches, and a branch with nothing provable makes it nothing provable.
 * Anything not understood (\p, \Q, inline options, callouts, ...) gives
 * up on the whole pattern. The literals are matched caselessly, a
 * superset of either case mode (PCRE2 without UTF folds ASCII only, as
 * hyperscan does). Pure: no I/O, no statics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

#define LIT_MAX 32   /* literals per set: more is "nothing provable" */
#define LIT_LEN 32   /* a literal is cut to its first LIT_LEN bytes */
#define LIT_DEPTH 24 /* group nesting we follow */
#define LIT_MIN 3    /* a shorter literal filters nothing */

struct lset {
	int top; /* nothing provable */
	size_t n;
	size_t len[LIT_MAX];
	unsigned char lit[LIT_MAX][LIT_LEN];
};

struct lp {
	const char *p;
	int bad;
	int depth;
};

static size_t
lset_min(const struct lset *s)
{
	size_t i, m = LIT_LEN + 1;

	for (i = 0; i < s->n; i++)
		if (s->len[i] < m)
			m = s->len[i];
	return m;
}

/* Keeps in best the better of best and s: every literal longer, then
 * fewer literals. */
static void
lset_consider(struct lset *best, const struct lset *s)
{
	size_t bm, sm;

	if (s->top || s->n == 0)
		return;
	if (!best->top) {
		bm = lset_min(best);
		sm = lset_min(s);
		if (sm < bm || (sm == bm && s->n >= best->n))
			return;
	}
	*best = *s;
}

struct run {
	unsigned char b[LIT_LEN];
	size_t n;
};

static void
run_flush(struct run *r, struct lset *best, struct lset *tmp)
{
	if (r->n == 0)
		return;
	tmp->top = 0;
	tmp->n = 1;
	tmp->len[0] = r->n;
	memcpy(tmp->lit[0], r->b, r->n);
	lset_consider(best, tmp);
	r->n = 0;
}

static void
run_add(struct run *r, unsigned char c)
{
	if (r->n < LIT_LEN) /* a prefix is still contained */
		r->b[r->n++] = c;
}

static int
lit_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The least count of the quantifier at p->p (1 when none, *had 0);
 * consumes it. */
static unsigned long
lit_quant(struct lp *p, int *had)
{
	unsigned long min = 1;
	const char *q = p->p;
	char *e;

	*had = 1;
	if (*q == '?' || *q == '*')
		min = 0, q++;
	else if (*q == '+')
		q++;
	else if (*q == '{') {
		min = strtoul(q + 1, &e, 10);
		if (e == q + 1) {
			p->bad = 1; /* a literal '{': not followed */
			return 0;
		}
		if (*e == ',')
			for (e++; *e >= '0' && *e <= '9'; e++)
				;
		if (*e != '}') {
			p->bad = 1;
			return 0;
		}
		q = e + 1;
	} else {
		*had = 0;
		return 1;
	}
	if (*q == '?' || *q == '+') /* lazy, possessive */
		q++;
	p->p = q;
	return min;
}

/* Skips a class [...] (p->p after '['). */
static void
lit_class(struct lp *p)
{
	const char *q = p->p;

	if (*q == '^')
		q++;
	if (*q == ']')
		q++;
	for (;;) {
		if (*q == '\0' || (q[0] == '\\' && q[1] == 'Q')) {
			p->bad = 1;
			return;
		}
		if (*q == '\\') {
			q += q[1] ? 2 : 1;
			continue;
		}
		if (q[0] == '[' && q[1] == ':') {
			const char *e = strstr(q + 2, ":]");

			q = e ? e + 2 : q + 1;
			continue;
		}
		if (*q++ == ']')
			break;
	}
	p->p = q;
}

enum atom { A_LIT, A_ANY, A_ZERO };

/* An escape (p->p after '\\'): a literal byte in *c, a non-literal
 * atom, or a zero-width assertion. */
static enum atom
lit_escape(struct lp *p, unsigned char *c)
{
	static const char from[] = "aefnrt", to[] = "\a\033\f\n\r\t";
	char e = *p->p;
	const char *k;
	int h;

	if (e == '\0' || strchr("pPQEcogkuUlLN", e) != NULL) {
		p->bad = 1; /* \N{...} and the rest: not followed */
		return A_ANY;
	}
	p->p++;
	if (strchr("bBAzZGK", e) != NULL)
		return A_ZERO;
	if (strchr("dDsSwWhHvVRXC", e) != NULL)
		return A_ANY;
	if (e >= '0' && e <= '9') { /* back-reference or octal */
		while (*p->p >= '0' && *p->p <= '9')
			p->p++;
		return A_ANY;
	}
	if (e == 'x') {
		if (*p->p == '{') {
			const char *r = strchr(p->p, '}');

			p->p = r ? r + 1 : p->p + strlen(p->p);
			return A_ANY;
		}
		*c = 0;
		for (h = 0; h < 2 && lit_hex(*p->p) >= 0; h++)
			*c = (unsigned char)(*c * 16 + lit_hex(*p->p++));
		return A_LIT;
	}
	if ((k = strchr(from, e)) != NULL)
		*c = (unsigned char)to[k - from];
	else if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z'))
		p->bad = 1;
	else
		*c = (unsigned char)e;
	return A_LIT;
}

static void lit_alt(struct lp *p, struct lset *out);

/* A group (p->p after '('): its set in g; *look when it is a lookaround,
 * which consumes nothing and so proves nothing here. */
static void
lit_group(struct lp *p, struct lset *g, int *look)
{
	const char *q = p->p;

	*look = 0;
	if (q[0] == '*') {
		p->bad = 1;
		return;
	}
	if (q[0] == '?') {
		if (q[1] == ':' || q[1] == '>' || q[1] == '|')
			q += 2;
		else if (q[1] == '=' || q[1] == '!')
			q += 2, *look = 1;
		else if (q[1] == '<' && (q[2] == '=' || q[2] == '!'))
			q += 3, *look = 1;
		else {
			p->bad = 1; /* options, names, comments, ... */
			return;
		}
	}
	if (++p->depth > LIT_DEPTH) {
		p->bad = 1;
		return;
	}
	p->p = q;
	lit_alt(p, g);
	p->depth--;
	if (*p->p != ')')
		p->bad = 1;
	else
		p->p++;
}

struct seq {
	struct lset best, tmp, g;
	struct run run;
};

/* One item of a sequence, with its quantifier. */
static void
lit_item(struct lp *p, struct seq *s)
{
	char c0 = *p->p++;
	unsigned char c = (unsigned char)c0;
	enum atom a = A_LIT;
	unsigned long min;
	int look, had;

	if (c0 == '(') {
		lit_group(p, &s->g, &look);
		min = p->bad ? 0 : lit_quant(p, &had);
		run_flush(&s->run, &s->best, &s->tmp);
		if (!look && min >= 1)
			lset_consider(&s->best, &s->g);
		return;
	}
	if (c0 == '[')
		lit_class(p), a = A_ANY;
	else if (c0 == '.')
		a = A_ANY;
	else if (c0 == '^' || c0 == '$')
		a = A_ZERO;
	else if (c0 == '\\')
		a = lit_escape(p, &c);
	else if (c0 == '{' || c0 == '}' || c0 == '*' || c0 == '+' || c0 == '?')
		p->bad = 1;
	if (p->bad)
		return;
	min = lit_quant(p, &had);
	if (a != A_LIT || min == 0) {
		run_flush(&s->run, &s->best, &s->tmp);
		return;
	}
	run_add(&s->run, c);
	if (!had)
		return;
	/* x+, x{n,m}: x follows what precedes, x precedes what follows */
	run_flush(&s->run, &s->best, &s->tmp);
	run_add(&s->run, c);
}

static void
lit_seq(struct lp *p, struct lset *out)
{
	struct seq *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		p->bad = 1;
		return;
	}
	s->best.top = 1;
	while (!p->bad && *p->p != '\0' && *p->p != '|' && *p->p != ')')
		lit_item(p, s);
	run_flush(&s->run, &s->best, &s->tmp);
	*out = s->best;
	free(s);
}

static void
lit_alt(struct lp *p, struct lset *out)
{
	struct lset *b = malloc(sizeof(*b));
	size_t i;

	if (b == NULL) {
		p->bad = 1;
		return;
	}
	lit_seq(p, out);
	while (!p->bad && *p->p == '|') {
		p->p++;
		lit_seq(p, b);
		if (p->bad || out->top || b->top || out->n + b->n > LIT_MAX) {
			out->top = 1;
			continue; /* still parse to the group's end */
		}
		for (i = 0; i < b->n; i++) {
			out->len[out->n] = b->len[i];
			memcpy(out->lit[out->n++], b->lit[i], b->len[i]);
		}
	}
	free(b);
}

char *
match_literals(const char *re)
{
	struct lp p = {re, 0, 0};
	struct lset *s = malloc(sizeof(*s));
	char *out = NULL, *o;
	size_t i, k;

	if (s == NULL)
		return NULL;
	lit_alt(&p, s);
	if (p.bad || *p.p != '\0' || s->top || s->n == 0 ||
	    lset_min(s) < LIT_MIN ||
	    (out = malloc(4 + s->n * (LIT_LEN * 4 + 1))) == NULL) {
		free(s);
		return NULL;
	}
	o = out;
	*o++ = '(', *o++ = '?', *o++ = ':';
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			*o++ = '|';
		for (k = 0; k < s->len[i]; k++)
			o += snprintf(o, 5, "\\x%02x", s->lit[i][k]);
	}
	*o++ = ')';
	*o = '\0';
	free(s);
	return out;
}
