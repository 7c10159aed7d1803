/* lib/spam/meta.c - meta expressions: a recursive-descent parser
 * (depth-limited) that emits a postfix program; see meta.h. */
#include "meta.h"

#include <ctype.h>
#include <stdint.h>
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
	/* Short-circuit: "A && B" is A, OP_JZ, B, OP_BOOL; "A || B" is A,
	 * OP_JNZ, B, OP_BOOL. OP_JZ (OP_JNZ) with a false (true) top
	 * leaves 0 (1) there and jumps to var, past the OP_BOOL; else it
	 * pops A and B decides. A meta like __FORM_FRAUD (a guard && a
	 * sum of 150 rules) then reads its guard alone on most mail. */
	OP_JZ,
	OP_JNZ,
	OP_BOOL,
	OP_STORE, /* batches only: values[arg] = top != 0, empty the stack */
};

/* One instruction: OP_NUM's arg indexes num[], OP_VAR's the values,
 * a jump's is the instruction it lands on, OP_STORE's the value set. */
struct meta_ins {
	uint32_t op;
	uint32_t arg;
};

struct sp_meta {
	struct meta_ins *v;
	size_t n, cap;
	double *num;
	size_t nnum, capnum;
	long *deps;
	size_t ndeps;
	size_t stack; /* deepest stack the program needs */
};

/* A batch is one program of metas, each ending in OP_STORE. */
struct sp_meta_batch {
	struct sp_meta m;
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
meta_grow(void **v, size_t *cap, size_t want, size_t size)
{
	size_t nc = *cap ? *cap : 16;
	void *nv;

	if (want <= *cap)
		return 0;
	while (nc < want)
		nc *= 2;
	if ((nv = reallocarray(*v, nc, size)) == NULL)
		return -1;
	*v = nv;
	*cap = nc;
	return 0;
}

static int
meta_emit(struct meta_p *p, enum meta_op op, double num, long var)
{
	struct sp_meta *m = p->m;

	if (m->n >= META_MAX_INS || var < 0 || var > (long)INT32_MAX) {
		p->st = SP_META_ELIMIT;
		return -1;
	}
	if (meta_grow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v)) < 0 ||
	    (op == OP_NUM && meta_grow((void **)&m->num, &m->capnum,
				       m->nnum + 1, sizeof(*m->num)) < 0)) {
		p->st = SP_META_ENOMEM;
		return -1;
	}
	if (op == OP_NUM) {
		m->num[m->nnum] = num;
		var = (long)m->nnum++;
	}
	m->v[m->n].op = op;
	m->v[m->n].arg = (uint32_t)var;
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

/* The right operand of && or || (operand() parses it), between the
 * conditional jump and the OP_BOOL the jump lands past. */
static int
meta_logic(struct meta_p *p, enum meta_op jump, int (*operand)(struct meta_p *))
{
	size_t j = p->m->n;

	if (meta_emit(p, jump, 0, 0) < 0 || operand(p) < 0 ||
	    meta_emit(p, OP_BOOL, 0, 0) < 0)
		return -1;
	p->m->v[j].arg = (uint32_t)p->m->n;
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
		if (meta_logic(p, OP_JZ, meta_cmp) < 0)
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
		if (meta_logic(p, OP_JNZ, meta_and) < 0)
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
		} else if (m->v[i].op != OP_NOT && m->v[i].op != OP_NEG &&
			   m->v[i].op != OP_BOOL)
			d--; /* a jump not taken pops; taken, it keeps the
				depth the OP_BOOL leaves */
	}
	if (nv > 0 && (m->deps = calloc(nv, sizeof(long))) == NULL)
		return -1;
	for (i = 0; i < m->n; i++)
		if (m->v[i].op == OP_VAR)
			m->deps[m->ndeps++] = (long)m->v[i].arg;
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

/* A binary operator applied to a and b (b the top of the stack). */
static double
meta_arith(uint32_t op, double a, double b)
{
	switch (op) {
	case OP_ADD:
		return a + b;
	case OP_SUB:
		return a - b;
	case OP_MUL:
		return a * b;
	case OP_DIV:
		return b == 0 ? 0 : a / b;
	case OP_LT:
		return a < b;
	case OP_LE:
		return a <= b;
	case OP_GT:
		return a > b;
	case OP_GE:
		return a >= b;
	case OP_EQ:
		return a == b;
	case OP_NE:
		return a != b;
	default:
		return a;
	}
}

/* Runs m over in[] on the stack s (m->stack deep); OP_STORE writes to
 * out[]. Returns the top of the stack at the end, or 0. */
static double
meta_run(const struct sp_meta *m, const double *in, double *out, double *s)
{
	size_t i, sp = 0;

	for (i = 0; i < m->n; i++) {
		const struct meta_ins *ins = &m->v[i];
		double b;

		switch (ins->op) {
		case OP_NUM:
			s[sp++] = m->num[ins->arg];
			continue;
		case OP_VAR:
			s[sp++] = in[ins->arg];
			continue;
		case OP_NOT:
			s[sp - 1] = s[sp - 1] == 0;
			continue;
		case OP_NEG:
			s[sp - 1] = -s[sp - 1];
			continue;
		case OP_BOOL:
			s[sp - 1] = s[sp - 1] != 0;
			continue;
		case OP_JZ:
		case OP_JNZ:
			if ((s[sp - 1] != 0) == (ins->op == OP_JNZ)) {
				s[sp - 1] = ins->op == OP_JNZ;
				i = (size_t)ins->arg - 1;
			} else
				sp--;
			continue;
		case OP_STORE:
			out[ins->arg] = sp > 0 && s[sp - 1] != 0;
			sp = 0;
			continue;
		default:
			break;
		}
		b = s[--sp];
		s[sp - 1] = meta_arith(ins->op, s[sp - 1], b);
	}
	return sp > 0 ? s[sp - 1] : 0;
}

double
sp_meta_eval(const struct sp_meta *m, const double *values)
{
	double st[64], *heap = NULL, r;

	if (m->stack > 64 && (heap = calloc(m->stack, sizeof(double))) == NULL)
		return 0;
	r = meta_run(m, values, NULL, heap ? heap : st);
	free(heap);
	return r;
}

int
sp_meta_batch_add(struct sp_meta_batch **bp, const struct sp_meta *m, long dst)
{
	struct sp_meta *b;
	size_t i, base;

	if (*bp == NULL && (*bp = calloc(1, sizeof(**bp))) == NULL)
		return -1;
	b = &(*bp)->m;
	base = b->n;
	if (dst < 0 || dst > (long)INT32_MAX ||
	    base + m->n + 1 > (size_t)INT32_MAX ||
	    meta_grow((void **)&b->v, &b->cap, base + m->n + 1, sizeof(*b->v)) <
		0 ||
	    meta_grow((void **)&b->num, &b->capnum, b->nnum + m->nnum + 1,
		      sizeof(*b->num)) < 0)
		return -1;
	for (i = 0; i < m->n; i++) {
		struct meta_ins ins = m->v[i];

		if (ins.op == OP_NUM)
			ins.arg += (uint32_t)b->nnum;
		else if (ins.op == OP_JZ || ins.op == OP_JNZ)
			ins.arg += (uint32_t)base;
		b->v[b->n++] = ins;
	}
	if (m->nnum > 0)
		memcpy(b->num + b->nnum, m->num, m->nnum * sizeof(*m->num));
	b->nnum += m->nnum;
	b->v[b->n].op = OP_STORE;
	b->v[b->n++].arg = (uint32_t)dst;
	if (m->stack > b->stack)
		b->stack = m->stack;
	return 0;
}

void
sp_meta_batch_run(const struct sp_meta_batch *bt, double *values)
{
	double st[64], *heap = NULL;
	size_t i;

	if (bt == NULL)
		return;
	if (bt->m.stack > 64 &&
	    (heap = calloc(bt->m.stack, sizeof(double))) == NULL) {
		/* as sp_meta_eval: no stack, every meta false */
		for (i = 0; i < bt->m.n; i++)
			if (bt->m.v[i].op == OP_STORE)
				values[bt->m.v[i].arg] = 0;
		return;
	}
	(void)meta_run(&bt->m, values, values, heap ? heap : st);
	free(heap);
}

void
sp_meta_batch_free(struct sp_meta_batch **bp)
{
	if (*bp == NULL)
		return;
	free((*bp)->m.v);
	free((*bp)->m.num);
	free(*bp);
	*bp = NULL;
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
	free(m->num);
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
