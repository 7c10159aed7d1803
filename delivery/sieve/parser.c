/* delivery/sieve/parser.c - the generic Sieve grammar (RFC 5228 section
 * 8.2) into a syntax tree of commands, arguments, tests and blocks. What
 * the names mean is checked afterwards by compile.c. Nesting of blocks and
 * tests is bounded by max_depth and string lists by max_strings. Pure. */
#include "sieve_int.h"

#include <string.h>

struct ps {
	struct sv_lexer lx;
	struct sv_token tok;
	struct sv_arena *a;
	size_t max_depth, max_strings;
	struct sieve_error *err;
};

static enum sieve_status ps_arguments(struct ps *ps, struct sv_node *n,
				      size_t depth);
static enum sieve_status ps_commands(struct ps *ps, size_t depth,
				     const struct sv_token *open,
				     struct sv_node **out);

static enum sieve_status
ps_next(struct ps *ps)
{
	return sv_lex_next(&ps->lx, &ps->tok, ps->err);
}

static enum sieve_status
ps_nomem(struct ps *ps)
{
	return sv_err(ps->err, SIEVE_ENOMEM, ps->tok.line, ps->tok.col,
		      "out of memory");
}

static enum sieve_status
ps_unexpected(struct ps *ps, const char *want)
{
	if (ps->tok.kind == SV_T_IDENT || ps->tok.kind == SV_T_TAG)
		return sv_err(ps->err, SIEVE_ESYNTAX, ps->tok.line, ps->tok.col,
			      "expected %s, got %s%s '%.40s'", want,
			      sv_tok_name(ps->tok.kind),
			      ps->tok.kind == SV_T_TAG ? " :" : "", ps->tok.s);
	return sv_err(ps->err, SIEVE_ESYNTAX, ps->tok.line, ps->tok.col,
		      "expected %s, got %s", want, sv_tok_name(ps->tok.kind));
}

static enum sieve_status
ps_depth(struct ps *ps, size_t depth)
{
	if (depth > ps->max_depth)
		return sv_err(ps->err, SIEVE_ELIMIT, ps->tok.line, ps->tok.col,
			      "nesting deeper than %zu", ps->max_depth);
	return SIEVE_OK;
}

/* A string or a bracketed string list; ps->tok is its first token. */
static enum sieve_status
ps_strlist(struct ps *ps, struct sv_arg *arg)
{
	enum sieve_status st;
	size_t cap = 0;
	char **v;

	if (ps->tok.kind == SV_T_STR) {
		if ((arg->strs = sv_alloc(ps->a, sizeof(char *))) == NULL)
			return ps_nomem(ps);
		arg->strs[0] = (char *)ps->tok.s;
		arg->nstrs = 1;
		return ps_next(ps);
	}
	arg->is_list = 1;
	if ((st = ps_next(ps)) != SIEVE_OK)
		return st;
	for (;;) {
		if (ps->tok.kind != SV_T_STR)
			return ps_unexpected(ps, "a string in the list");
		if (arg->nstrs >= ps->max_strings)
			return sv_err(
			    ps->err, SIEVE_ELIMIT, ps->tok.line, ps->tok.col,
			    "string list longer than %zu", ps->max_strings);
		if (arg->nstrs == cap) {
			cap = cap ? cap * 2 : 4;
			if ((v = sv_alloc(ps->a, cap * sizeof(*v))) == NULL)
				return ps_nomem(ps);
			if (arg->nstrs > 0)
				memcpy(v, arg->strs, arg->nstrs * sizeof(*v));
			arg->strs = v;
		}
		arg->strs[arg->nstrs++] = (char *)ps->tok.s;
		if ((st = ps_next(ps)) != SIEVE_OK)
			return st;
		if (ps->tok.kind == SV_T_RBRACKET)
			return ps_next(ps);
		if (ps->tok.kind != SV_T_COMMA)
			return ps_unexpected(ps, "',' or ']'");
		if ((st = ps_next(ps)) != SIEVE_OK)
			return st;
	}
}

/* test = identifier arguments */
static enum sieve_status
ps_test(struct ps *ps, size_t depth, struct sv_node **out)
{
	enum sieve_status st;
	struct sv_node *n;

	if ((st = ps_depth(ps, depth)) != SIEVE_OK)
		return st;
	if (ps->tok.kind != SV_T_IDENT)
		return ps_unexpected(ps, "a test");
	if ((n = sv_alloc(ps->a, sizeof(*n))) == NULL)
		return ps_nomem(ps);
	n->name = ps->tok.s;
	n->line = ps->tok.line;
	n->col = ps->tok.col;
	*out = n;
	if ((st = ps_next(ps)) != SIEVE_OK)
		return st;
	return ps_arguments(ps, n, depth);
}

/* test-list = "(" test *("," test) ")" ; ps->tok is the '('. */
static enum sieve_status
ps_testlist(struct ps *ps, struct sv_node *n, size_t depth)
{
	struct sv_node **tail = &n->tests;
	enum sieve_status st;

	n->test_list = 1;
	if ((st = ps_next(ps)) != SIEVE_OK)
		return st;
	for (;;) {
		if ((st = ps_test(ps, depth, tail)) != SIEVE_OK)
			return st;
		tail = &(*tail)->next;
		n->ntests++;
		if (ps->tok.kind == SV_T_RPAREN)
			return ps_next(ps);
		if (ps->tok.kind != SV_T_COMMA)
			return ps_unexpected(ps, "',' or ')'");
		if ((st = ps_next(ps)) != SIEVE_OK)
			return st;
	}
}

/* arguments = *argument [ test / test-list ] */
static enum sieve_status
ps_arguments(struct ps *ps, struct sv_node *n, size_t depth)
{
	struct sv_arg **tail = &n->args, *arg;
	enum sieve_status st;

	for (;;) {
		enum sv_tok k = ps->tok.kind;

		if (k != SV_T_STR && k != SV_T_LBRACKET && k != SV_T_NUM &&
		    k != SV_T_TAG)
			break;
		if ((arg = sv_alloc(ps->a, sizeof(*arg))) == NULL)
			return ps_nomem(ps);
		arg->line = ps->tok.line;
		arg->col = ps->tok.col;
		*tail = arg;
		tail = &arg->next;
		if (k == SV_T_NUM || k == SV_T_TAG) {
			arg->kind = k == SV_T_NUM ? SV_ARG_NUM : SV_ARG_TAG;
			arg->num = ps->tok.num;
			arg->tag = ps->tok.s;
			st = ps_next(ps);
		} else {
			arg->kind = SV_ARG_STRS;
			st = ps_strlist(ps, arg);
		}
		if (st != SIEVE_OK)
			return st;
	}
	if (ps->tok.kind == SV_T_IDENT) {
		n->ntests = 1;
		return ps_test(ps, depth + 1, &n->tests);
	}
	if (ps->tok.kind == SV_T_LPAREN)
		return ps_testlist(ps, n, depth + 1);
	return SIEVE_OK;
}

/* command = identifier arguments (";" / block) */
static enum sieve_status
ps_command(struct ps *ps, size_t depth, struct sv_node **out)
{
	struct sv_token open;
	enum sieve_status st;
	struct sv_node *n;

	if ((n = sv_alloc(ps->a, sizeof(*n))) == NULL)
		return ps_nomem(ps);
	n->name = ps->tok.s;
	n->line = ps->tok.line;
	n->col = ps->tok.col;
	*out = n;
	if ((st = ps_next(ps)) != SIEVE_OK ||
	    (st = ps_arguments(ps, n, depth)) != SIEVE_OK)
		return st;
	if (ps->tok.kind == SV_T_SEMI)
		return ps_next(ps);
	if (ps->tok.kind != SV_T_LBRACE) {
		if (ps->tok.kind == SV_T_EOF || ps->tok.kind == SV_T_RBRACE)
			return sv_err(
			    ps->err, SIEVE_ESYNTAX, ps->tok.line, ps->tok.col,
			    "missing ';' after command '%.40s'", n->name);
		return ps_unexpected(ps, "';' or '{'");
	}
	open = ps->tok;
	if ((st = ps_depth(ps, depth + 1)) != SIEVE_OK ||
	    (st = ps_next(ps)) != SIEVE_OK)
		return st;
	n->has_block = 1;
	if ((st = ps_commands(ps, depth + 1, &open, &n->block)) != SIEVE_OK)
		return st;
	return ps_next(ps); /* the '}' */
}

/* commands up to EOF (open NULL) or the '}' closing open. */
static enum sieve_status
ps_commands(struct ps *ps, size_t depth, const struct sv_token *open,
	    struct sv_node **out)
{
	struct sv_node **tail = out;
	enum sieve_status st;

	for (;;) {
		if (ps->tok.kind == SV_T_EOF && open != NULL)
			return sv_err(ps->err, SIEVE_ESYNTAX, open->line,
				      open->col, "'{' is never closed");
		if (ps->tok.kind == SV_T_EOF)
			return SIEVE_OK;
		if (ps->tok.kind == SV_T_RBRACE && open != NULL)
			return SIEVE_OK;
		if (ps->tok.kind != SV_T_IDENT)
			return ps_unexpected(ps, "a command");
		if ((st = ps_command(ps, depth, tail)) != SIEVE_OK)
			return st;
		tail = &(*tail)->next;
	}
}

enum sieve_status
sv_parse(const unsigned char *p, size_t len, const struct sieve_limits *lim,
	 struct sv_arena *a, struct sv_node **out, struct sieve_error *err)
{
	struct ps ps;
	enum sieve_status st;

	memset(&ps, 0, sizeof(ps));
	sv_lex_init(&ps.lx, p, len, a);
	ps.a = a;
	ps.err = err;
	ps.max_depth = lim && lim->max_depth ? lim->max_depth : 32;
	ps.max_strings = lim && lim->max_strings ? lim->max_strings : 1024;
	*out = NULL;
	if ((st = ps_next(&ps)) != SIEVE_OK)
		return st;
	return ps_commands(&ps, 0, NULL, out);
}
