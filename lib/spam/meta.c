/* lib/spam/meta.c - meta expressions: a recursive-descent parser
 * (depth-limited) that emits a postfix program; see meta.h. */
#include "meta.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum meta_op {
	OP_NUM,
	OP_VAR,
	OP_NOT,
	OP_NEG,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_EQ,
	OP_NE,
	OP_AND,
	OP_OR,
};

struct meta_ins {
	enum meta_op op;
	double num;
	long var;
};

struct sp_meta {
	struct meta_ins *v;
	size_t n, cap;
	long *deps;
	size_t ndeps;
	size_t stack; /* deepest stack the program needs */
};

#define META_MAX_INS 4096
#define META_MAX_DEPTH 64

struct meta_p {
	const char *s;
	size_t i;
	size_t depth;
	struct sp_meta *m;
	sp_meta_resolve_fn resolve;
	void *ctx;
	enum sp_meta_status st;
};

static void
meta_ws(struct meta_p *p)
{
	while (isspace((unsigned char)p->s[p->i]))
		p->i++;
}

static int
meta_emit(struct meta_p *p, enum meta_op op, double num, long var)
{
	struct sp_meta *m = p->m;

	if (m->n >= META_MAX_INS) {
		p->st = SP_META_ELIMIT;
		return -1;
	}
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 16;
		struct meta_ins *nv = reallocarray(m->v, nc, sizeof(*nv));

		if (nv == NULL) {
			p->st = SP_META_ENOMEM;
			return -1;
		}
		m->v = nv;
		m->cap = nc;
	}
	m->v[m->n].op = op;
	m->v[m->n].num = num;
	m->v[m->n].var = var;
	m->n++;
	return 0;
}

static int meta_or(struct meta_p *p);

static int
meta_fail(struct meta_p *p, enum sp_meta_status st)
{
	p->st = st;
	return -1;
}

static int
meta_primary(struct meta_p *p)
{
	const char *s = p->s;
	size_t start;

	meta_ws(p);
	if (s[p->i] == '(') {
		if (++p->depth > META_MAX_DEPTH)
			return meta_fail(p, SP_META_ELIMIT);
		p->i++;
		if (meta_or(p) < 0)
			return -1;
		meta_ws(p);
		if (s[p->i] != ')')
			return meta_fail(p, SP_META_ESYNTAX);
		p->i++;
		p->depth--;
		return 0;
	}
	start = p->i;
	if (isdigit((unsigned char)s[p->i]) ||
	    (s[p->i] == '.' && isdigit((unsigned char)s[p->i + 1]))) {
		char *end;
		double d = strtod(s + p->i, &end);

		p->i = (size_t)(end - s);
		return meta_emit(p, OP_NUM, d, 0);
	}
	if (isalpha((unsigned char)s[p->i]) || s[p->i] == '_') {
		long idx;

		while (isalnum((unsigned char)s[p->i]) || s[p->i] == '_')
			p->i++;
		idx = p->resolve(p->ctx, s + start, p->i - start);
		if (idx < 0) {
			p->i = start;
			return meta_fail(p, SP_META_EUNKNOWN);
		}
		return meta_emit(p, OP_VAR, 0, idx);
	}
	return meta_fail(p, SP_META_ESYNTAX);
}

static int
meta_unary(struct meta_p *p)
{
	meta_ws(p);
	if (p->s[p->i] == '!' && p->s[p->i + 1] != '=') {
		p->i++;
		if (++p->depth > META_MAX_DEPTH)
			return meta_fail(p, SP_META_ELIMIT);
		if (meta_unary(p) < 0)
			return -1;
		p->depth--;
		return meta_emit(p, OP_NOT, 0, 0);
	}
	if (p->s[p->i] == '-') {
		p->i++;
		if (++p->depth > META_MAX_DEPTH)
			return meta_fail(p, SP_META_ELIMIT);
		if (meta_unary(p) < 0)
			return -1;
		p->depth--;
		return meta_emit(p, OP_NEG, 0, 0);
	}
	return meta_primary(p);
}

static int
meta_mul(struct meta_p *p)
{
	if (meta_unary(p) < 0)
		return -1;
	for (;;) {
		char c;

		meta_ws(p);
		c = p->s[p->i];
		if (c != '*' && c != '/')
			return 0;
		p->i++;
		if (meta_unary(p) < 0 ||
		    meta_emit(p, c == '*' ? OP_MUL : OP_DIV, 0, 0) < 0)
			return -1;
	}
}

static int
meta_add(struct meta_p *p)
{
	if (meta_mul(p) < 0)
		return -1;
	for (;;) {
		char c;

		meta_ws(p);
		c = p->s[p->i];
		if (c != '+' && c != '-')
			return 0;
		p->i++;
		if (meta_mul(p) < 0 ||
		    meta_emit(p, c == '+' ? OP_ADD : OP_SUB, 0, 0) < 0)
			return -1;
	}
}

static int
meta_cmp(struct meta_p *p)
{
	static const struct {
		const char *s;
		enum meta_op op;
	} ops[] = {{"<=", OP_LE}, {">=", OP_GE}, {"==", OP_EQ},
		   {"!=", OP_NE}, {"<", OP_LT},	 {">", OP_GT}};
	size_t k;

	if (meta_add(p) < 0)
		return -1;
	meta_ws(p);
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		size_t l = strlen(ops[k].s);

		if (strncmp(p->s + p->i, ops[k].s, l) != 0)
			continue;
		p->i += l;
		if (meta_add(p) < 0)
			return -1;
		return meta_emit(p, ops[k].op, 0, 0);
	}
	return 0;
}

static int
meta_and(struct meta_p *p)
{
	if (meta_cmp(p) < 0)
		return -1;
	for (;;) {
		meta_ws(p);
		if (strncmp(p->s + p->i, "&&", 2) != 0)
			return 0;
		p->i += 2;
		if (meta_cmp(p) < 0 || meta_emit(p, OP_AND, 0, 0) < 0)
			return -1;
	}
}

static int
meta_or(struct meta_p *p)
{
	if (meta_and(p) < 0)
		return -1;
	for (;;) {
		meta_ws(p);
		if (strncmp(p->s + p->i, "||", 2) != 0)
			return 0;
		p->i += 2;
		if (meta_and(p) < 0 || meta_emit(p, OP_OR, 0, 0) < 0)
			return -1;
	}
}

/* Stack depth and the list of variables. */
static int
meta_finish(struct sp_meta *m)
{
	size_t i, d = 0, nv = 0;

	for (i = 0; i < m->n; i++) {
		if (m->v[i].op == OP_NUM || m->v[i].op == OP_VAR) {
			if (++d > m->stack)
				m->stack = d;
			nv += m->v[i].op == OP_VAR;
		} else if (m->v[i].op != OP_NOT && m->v[i].op != OP_NEG)
			d--;
	}
	if (nv > 0 && (m->deps = calloc(nv, sizeof(long))) == NULL)
		return -1;
	for (i = 0; i < m->n; i++)
		if (m->v[i].op == OP_VAR)
			m->deps[m->ndeps++] = m->v[i].var;
	return 0;
}

enum sp_meta_status
sp_meta_compile(const char *expr, sp_meta_resolve_fn resolve, void *ctx,
		struct sp_meta **out, size_t *err_off)
{
	struct meta_p p;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.s = expr;
	p.resolve = resolve;
	p.ctx = ctx;
	if ((p.m = calloc(1, sizeof(*p.m))) == NULL)
		return SP_META_ENOMEM;
	if (meta_or(&p) == 0) {
		meta_ws(&p);
		if (expr[p.i] != '\0')
			p.st = SP_META_ESYNTAX;
	}
	if (p.st == SP_META_OK && meta_finish(p.m) < 0)
		p.st = SP_META_ENOMEM;
	if (p.st != SP_META_OK) {
		*err_off = p.i;
		sp_meta_free(&p.m);
		return p.st;
	}
	*out = p.m;
	return SP_META_OK;
}

double
sp_meta_eval(const struct sp_meta *m, const double *values)
{
	double st[META_MAX_INS > 0 ? 64 : 1], *s = st, *heap = NULL, a, b;
	size_t i, sp = 0;

	if (m->stack > 64) {
		if ((heap = calloc(m->stack, sizeof(double))) == NULL)
			return 0;
		s = heap;
	}
	for (i = 0; i < m->n; i++) {
		const struct meta_ins *in = &m->v[i];

		switch (in->op) {
		case OP_NUM:
			s[sp++] = in->num;
			continue;
		case OP_VAR:
			s[sp++] = values[in->var];
			continue;
		case OP_NOT:
			s[sp - 1] = s[sp - 1] == 0;
			continue;
		case OP_NEG:
			s[sp - 1] = -s[sp - 1];
			continue;
		default:
			break;
		}
		b = s[--sp];
		a = s[sp - 1];
		switch (in->op) {
		case OP_ADD:
			a = a + b;
			break;
		case OP_SUB:
			a = a - b;
			break;
		case OP_MUL:
			a = a * b;
			break;
		case OP_DIV:
			a = b == 0 ? 0 : a / b;
			break;
		case OP_LT:
			a = a < b;
			break;
		case OP_LE:
			a = a <= b;
			break;
		case OP_GT:
			a = a > b;
			break;
		case OP_GE:
			a = a >= b;
			break;
		case OP_EQ:
			a = a == b;
			break;
		case OP_NE:
			a = a != b;
			break;
		case OP_AND:
			a = a != 0 && b != 0;
			break;
		case OP_OR:
			a = a != 0 || b != 0;
			break;
		default:
			break;
		}
		s[sp - 1] = a;
	}
	a = sp > 0 ? s[sp - 1] : 0;
	free(heap);
	return a;
}

size_t
sp_meta_deps(const struct sp_meta *m, const long **idx)
{
	*idx = m->deps;
	return m->ndeps;
}

void
sp_meta_free(struct sp_meta **mp)
{
	struct sp_meta *m = *mp;

	if (m == NULL)
		return;
	free(m->v);
	free(m->deps);
	free(m);
	*mp = NULL;
}

const char *
sp_meta_strerror(enum sp_meta_status st)
{
	switch (st) {
	case SP_META_OK:
		return "ok";
	case SP_META_ESYNTAX:
		return "syntax error";
	case SP_META_EUNKNOWN:
		return "unknown rule name";
	case SP_META_ELIMIT:
		return "expression too long or too deep";
	case SP_META_ENOMEM:
		return "out of memory";
	}
	return "?";
}
