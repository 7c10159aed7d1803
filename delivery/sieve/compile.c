/* delivery/sieve/compile.c - from the generic syntax tree to the checked,
 * typed commands that exec.c runs: command, test and tag names, argument
 * counts and types, "require" before use, if/elsif/else chains, literal
 * redirect addresses. Errors name what is wrong and where. Pure. */
#include "sieve_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

enum {
	EXT_FILEINTO = 0x01,
	EXT_ENVELOPE = 0x02,
	EXT_SUBADDRESS = 0x04,
	EXT_COPY = 0x08,
	EXT_MAILBOX = 0x10,
	EXT_IMAP4FLAGS = 0x20,
	EXT_VACATION = 0x40,
	EXT_NONE = 0x80, /* known, needs nothing (comparator-*) */
};

static const struct {
	const char *name;
	unsigned bit;
} cx_exts[] = {
    {"fileinto", EXT_FILEINTO},
    {"envelope", EXT_ENVELOPE},
    {"subaddress", EXT_SUBADDRESS},
    {"copy", EXT_COPY},
    {"mailbox", EXT_MAILBOX},
    {"imap4flags", EXT_IMAP4FLAGS},
    {"vacation", EXT_VACATION},
    {"comparator-i;octet", EXT_NONE},
    {"comparator-i;ascii-casemap", EXT_NONE},
};

struct cx {
	struct sv_arena *a; /* the script's */
	struct sieve_error *err;
	unsigned ext;
	int past_require; /* a command other than require was seen */
};

static enum sieve_status cx_test(struct cx *cx, const struct sv_node *n,
				 struct sv_test **out);
static enum sieve_status cx_commands(struct cx *cx, const struct sv_node *n,
				     int top, struct sv_cmd **out);

static enum sieve_status
cx_nomem(struct cx *cx, const struct sv_node *n)
{
	return sv_err(cx->err, SIEVE_ENOMEM, n->line, n->col, "out of memory");
}

static enum sieve_status
cx_need(struct cx *cx, unsigned line, unsigned col, unsigned bit,
	const char *ext, const char *what)
{
	if (cx->ext & bit)
		return SIEVE_OK;
	return sv_err(cx->err, SIEVE_EUNSUPPORTED, line, col,
		      "%s needs require \"%s\"", what, ext);
}

static enum sieve_status
cx_unknown_tag(struct cx *cx, const struct sv_node *n, const struct sv_arg *g)
{
	if (g->kind != SV_ARG_TAG)
		return sv_err(cx->err, SIEVE_ESYNTAX, g->line, g->col,
			      "too many arguments for '%.40s'", n->name);
	return sv_err(cx->err, SIEVE_ESYNTAX, g->line, g->col,
		      "unknown tag ':%.40s' for '%.40s'", g->tag, n->name);
}

/* Copies a string list into the script's arena. */
static enum sieve_status
cx_strlist(struct cx *cx, const struct sv_node *n, const struct sv_arg *g,
	   struct sv_strlist *out)
{
	const char **v;
	size_t i;

	if ((v = sv_alloc(cx->a, (g->nstrs + 1) * sizeof(*v))) == NULL)
		return cx_nomem(cx, n);
	for (i = 0; i < g->nstrs; i++)
		if ((v[i] = sv_strndup(cx->a, g->strs[i],
				       strlen(g->strs[i]))) == NULL)
			return cx_nomem(cx, n);
	out->v = v;
	out->n = g->nstrs;
	return SIEVE_OK;
}

/* The value after a tag: *gp is the tag, it moves to the value. */
static enum sieve_status
cx_tag_value(struct cx *cx, const struct sv_node *n, const struct sv_arg **gp,
	     enum sv_arg_kind kind, int single)
{
	const struct sv_arg *t = *gp, *v = t->next;

	if (v == NULL || v->kind != kind || (single && v->nstrs != 1))
		return sv_err(cx->err, SIEVE_ESYNTAX, t->line, t->col,
			      ":%.40s of '%.40s' needs a %s after it", t->tag,
			      n->name,
			      kind == SV_ARG_NUM ? "number"
			      : single		 ? "string"
						 : "string list");
	*gp = v;
	return SIEVE_OK;
}

/* Exactly want positional string arguments from g on (no tags left). */
static enum sieve_status
cx_positional(struct cx *cx, const struct sv_node *n, const struct sv_arg *g,
	      const struct sv_arg **pos, size_t want, const char *what)
{
	size_t got = 0;

	for (; g != NULL; g = g->next) {
		if (g->kind == SV_ARG_TAG)
			return sv_err(
			    cx->err, SIEVE_ESYNTAX, g->line, g->col,
			    "tag ':%.40s' of '%.40s' must come before the "
			    "other arguments",
			    g->tag, n->name);
		if (got == want)
			return cx_unknown_tag(cx, n, g);
		if (g->kind != SV_ARG_STRS)
			return sv_err(cx->err, SIEVE_ESYNTAX, g->line, g->col,
				      "'%.40s' expects %s, got a number",
				      n->name, what);
		pos[got++] = g;
	}
	if (got != want)
		return sv_err(cx->err, SIEVE_ESYNTAX, n->line, n->col,
			      "'%.40s' expects %s", n->name, what);
	return SIEVE_OK;
}

static enum sieve_status
cx_single(struct cx *cx, const struct sv_node *n, const struct sv_arg *g,
	  const char *what, const char **out)
{
	if (g->nstrs != 1)
		return sv_err(cx->err, SIEVE_ESYNTAX, g->line, g->col,
			      "'%.40s' expects a single string for %s", n->name,
			      what);
	if ((*out = sv_strndup(cx->a, g->strs[0], strlen(g->strs[0]))) == NULL)
		return cx_nomem(cx, n);
	return SIEVE_OK;
}

/* :comparator, :is/:contains/:matches (and the unsupported relational
 * ones), and with parts the address parts. *handled 0 if not one. */
static enum sieve_status
cx_match_tag(struct cx *cx, const struct sv_node *n, const struct sv_arg **gp,
	     struct sv_test *t, int parts, unsigned *seen, int *handled)
{
	static const char *const mt[] = {"is", "contains", "matches"};
	static const char *const ap[] = {"all", "localpart", "domain", "user",
					 "detail"};
	const struct sv_arg *g = *gp;
	enum sieve_status st;
	const char *c, *dup;
	size_t i;

	*handled = 1;
	dup = "match type";
	for (i = 0; i < 3; i++)
		if (strcasecmp(g->tag, mt[i]) == 0) {
			if (*seen & 1)
				goto twice;
			*seen |= 1;
			t->match = (enum sv_match)i;
			return SIEVE_OK;
		}
	if (strcasecmp(g->tag, "count") == 0 ||
	    strcasecmp(g->tag, "value") == 0 ||
	    strcasecmp(g->tag, "regex") == 0)
		return sv_err(
		    cx->err, SIEVE_EUNSUPPORTED, g->line, g->col,
		    "match type :%.40s is not supported (no %s extension)",
		    g->tag,
		    g->tag[0] == 'r' || g->tag[0] == 'R' ? "regex"
							 : "relational");
	if (strcasecmp(g->tag, "comparator") == 0) {
		dup = "comparator";
		if (*seen & 2)
			goto twice;
		*seen |= 2;
		if ((st = cx_tag_value(cx, n, gp, SV_ARG_STRS, 1)) != SIEVE_OK)
			return st;
		c = (*gp)->strs[0];
		if (strcmp(c, "i;ascii-casemap") == 0)
			t->cmp = SV_CMP_CASEMAP;
		else if (strcmp(c, "i;octet") == 0)
			t->cmp = SV_CMP_OCTET;
		else
			return sv_err(
			    cx->err, SIEVE_EUNSUPPORTED, (*gp)->line,
			    (*gp)->col,
			    "unknown comparator "
			    "\"%.40s\" (have i;ascii-casemap, i;octet)",
			    c);
		return SIEVE_OK;
	}
	for (i = 0; parts && i < 5; i++)
		if (strcasecmp(g->tag, ap[i]) == 0) {
			dup = "address part";
			if (*seen & 4)
				goto twice;
			*seen |= 4;
			t->part = (enum sv_part)i;
			return i < 3 ? SIEVE_OK
				     : cx_need(cx, g->line, g->col,
					       EXT_SUBADDRESS, "subaddress",
					       "address part");
		}
	*handled = 0;
	return SIEVE_OK;
twice:
	return sv_err(cx->err, SIEVE_ESYNTAX, g->line, g->col,
		      "'%.40s' has more than one %s", n->name, dup);
}

/* header / address / envelope / hasflag: tags, then names and keys. */
static enum sieve_status
cx_match_test(struct cx *cx, const struct sv_node *n, struct sv_test *t,
	      int parts, size_t npos)
{
	const struct sv_arg *g, *pos[2];
	enum sieve_status st;
	unsigned seen = 0;
	int handled;

	for (g = n->args; g != NULL && g->kind == SV_ARG_TAG; g = g->next) {
		if ((st = cx_match_tag(cx, n, &g, t, parts, &seen, &handled)) !=
		    SIEVE_OK)
			return st;
		if (!handled)
			return cx_unknown_tag(cx, n, g);
	}
	if ((st = cx_positional(cx, n, g, pos, npos,
				npos == 2 ? "a name list and a key list"
					  : "a key list")) != SIEVE_OK)
		return st;
	if (npos == 2 &&
	    (st = cx_strlist(cx, n, pos[0], &t->names)) != SIEVE_OK)
		return st;
	return cx_strlist(cx, n, pos[npos - 1], &t->keys);
}

static enum sieve_status
cx_envelope(struct cx *cx, const struct sv_node *n, struct sv_test *t)
{
	enum sieve_status st;
	size_t i;

	if ((st = cx_need(cx, n->line, n->col, EXT_ENVELOPE, "envelope",
			  "test 'envelope'")) != SIEVE_OK ||
	    (st = cx_match_test(cx, n, t, 1, 2)) != SIEVE_OK)
		return st;
	for (i = 0; i < t->names.n; i++)
		if (strcasecmp(t->names.v[i], "from") != 0 &&
		    strcasecmp(t->names.v[i], "to") != 0)
			return sv_err(
			    cx->err, SIEVE_EUNSUPPORTED, n->line, n->col,
			    "envelope part \"%.40s\" is not supported "
			    "(have \"from\", \"to\")",
			    t->names.v[i]);
	return SIEVE_OK;
}

static enum sieve_status
cx_size(struct cx *cx, const struct sv_node *n, struct sv_test *t)
{
	const struct sv_arg *g = n->args;
	int seen = 0;

	for (; g != NULL && g->kind == SV_ARG_TAG; g = g->next) {
		if (strcasecmp(g->tag, "over") != 0 &&
		    strcasecmp(g->tag, "under") != 0)
			return cx_unknown_tag(cx, n, g);
		if (seen++)
			return sv_err(cx->err, SIEVE_ESYNTAX, g->line, g->col,
				      "'size' takes one of :over or :under");
		t->over = strcasecmp(g->tag, "over") == 0;
	}
	if (!seen || g == NULL || g->kind != SV_ARG_NUM || g->next != NULL)
		return sv_err(cx->err, SIEVE_ESYNTAX, n->line, n->col,
			      "'size' expects :over or :under and a number");
	t->size = g->num;
	return SIEVE_OK;
}

/* not / allof / anyof */
static enum sieve_status
cx_logic(struct cx *cx, const struct sv_node *n, struct sv_test *t)
{
	const struct sv_node *k;
	enum sieve_status st;
	size_t i = 0;

	if (t->kind == SV_TEST_NOT ? n->ntests != 1 || n->test_list
				   : !n->test_list)
		return sv_err(cx->err, SIEVE_ESYNTAX, n->line, n->col,
			      "'%.40s' expects %s", n->name,
			      t->kind == SV_TEST_NOT ? "one test"
						     : "a test list ( ... )");
	if ((t->kids = sv_alloc(cx->a, n->ntests * sizeof(*t->kids))) == NULL)
		return cx_nomem(cx, n);
	for (k = n->tests; k != NULL; k = k->next)
		if ((st = cx_test(cx, k, &t->kids[i++])) != SIEVE_OK)
			return st;
	t->nkids = n->ntests;
	return SIEVE_OK;
}

static const struct {
	const char *name;
	enum sv_test_kind kind;
} cx_tests[] = {
    {"true", SV_TEST_TRUE},	  {"false", SV_TEST_FALSE},
    {"not", SV_TEST_NOT},	  {"allof", SV_TEST_ALLOF},
    {"anyof", SV_TEST_ANYOF},	  {"header", SV_TEST_HEADER},
    {"address", SV_TEST_ADDRESS}, {"envelope", SV_TEST_ENVELOPE},
    {"exists", SV_TEST_EXISTS},	  {"size", SV_TEST_SIZE},
    {"hasflag", SV_TEST_HASFLAG},
};

static enum sieve_status
cx_test(struct cx *cx, const struct sv_node *n, struct sv_test **out)
{
	const struct sv_arg *pos[1];
	enum sieve_status st;
	struct sv_test *t;
	size_t i;

	for (i = 0; i < sizeof(cx_tests) / sizeof(cx_tests[0]); i++)
		if (strcasecmp(n->name, cx_tests[i].name) == 0)
			break;
	if (i == sizeof(cx_tests) / sizeof(cx_tests[0]))
		return sv_err(cx->err, SIEVE_ESYNTAX, n->line, n->col,
			      "unknown test '%.40s'", n->name);
	if ((t = sv_alloc(cx->a, sizeof(*t))) == NULL)
		return cx_nomem(cx, n);
	*out = t;
	t->kind = cx_tests[i].kind;
	if (n->ntests > 0 && t->kind != SV_TEST_NOT &&
	    t->kind != SV_TEST_ALLOF && t->kind != SV_TEST_ANYOF)
		return sv_err(cx->err, SIEVE_ESYNTAX, n->tests->line,
			      n->tests->col, "test '%.40s' takes no test",
			      n->name);
	switch (t->kind) {
	case SV_TEST_TRUE:
	case SV_TEST_FALSE:
		return n->args ? cx_unknown_tag(cx, n, n->args) : SIEVE_OK;
	case SV_TEST_NOT:
	case SV_TEST_ALLOF:
	case SV_TEST_ANYOF:
		if (n->args)
			return cx_unknown_tag(cx, n, n->args);
		return cx_logic(cx, n, t);
	case SV_TEST_HEADER:
		return cx_match_test(cx, n, t, 0, 2);
	case SV_TEST_ADDRESS:
		return cx_match_test(cx, n, t, 1, 2);
	case SV_TEST_ENVELOPE:
		return cx_envelope(cx, n, t);
	case SV_TEST_EXISTS:
		if ((st = cx_positional(cx, n, n->args, pos, 1,
					"a header name list")) != SIEVE_OK)
			return st;
		return cx_strlist(cx, n, pos[0], &t->names);
	case SV_TEST_SIZE:
		return cx_size(cx, n, t);
	case SV_TEST_HASFLAG:
		if ((st = cx_need(cx, n->line, n->col, EXT_IMAP4FLAGS,
				  "imap4flags", "test 'hasflag'")) != SIEVE_OK)
			return st;
		return cx_match_test(cx, n, t, 0, 1);
	}
	return SIEVE_OK;
}

/* ---- commands ---- */

static enum sieve_status
cx_require(struct cx *cx, const struct sv_node *n, int top)
{
	const struct sv_arg *pos[1];
	enum sieve_status st;
	size_t i, j, nx = sizeof(cx_exts) / sizeof(cx_exts[0]);

	if (!top || cx->past_require)
		return sv_err(cx->err, SIEVE_ESYNTAX, n->line, n->col,
			      "'require' must come before any other command");
	if ((st = cx_positional(cx, n, n->args, pos, 1,
				"a list of extension names")) != SIEVE_OK)
		return st;
	for (i = 0; i < pos[0]->nstrs; i++) {
		for (j = 0; j < nx; j++)
			if (strcmp(pos[0]->strs[i], cx_exts[j].name) == 0)
				break;
		if (j == nx)
			return sv_err(cx->err, SIEVE_EUNSUPPORTED, pos[0]->line,
				      pos[0]->col,
				      "extension \"%.60s\" "
				      "is not supported",
				      pos[0]->strs[i]);
		cx->ext |= cx_exts[j].bit;
	}
	return SIEVE_OK;
}

static unsigned
cx_flag_bits(const struct sv_arg *g)
{
	unsigned f = 0;
	size_t i;

	for (i = 0; i < g->nstrs; i++)
		f |= sv_flags_parse(g->strs[i]);
	return f;
}

/* :copy, :create, :flags, as allowed by mask (bits EXT_*). */
static enum sieve_status
cx_action_tag(struct cx *cx, const struct sv_node *n, const struct sv_arg **gp,
	      struct sv_cmd *c, unsigned mask)
{
	const struct sv_arg *g = *gp;
	enum sieve_status st;

	if ((mask & EXT_COPY) && strcasecmp(g->tag, "copy") == 0) {
		c->copy = 1;
		return cx_need(cx, g->line, g->col, EXT_COPY, "copy",
			       "tag :copy");
	}
	if ((mask & EXT_MAILBOX) && strcasecmp(g->tag, "create") == 0) {
		c->create = 1;
		return cx_need(cx, g->line, g->col, EXT_MAILBOX, "mailbox",
			       "tag :create");
	}
	if ((mask & EXT_IMAP4FLAGS) && strcasecmp(g->tag, "flags") == 0) {
		if ((st = cx_need(cx, g->line, g->col, EXT_IMAP4FLAGS,
				  "imap4flags", "tag :flags")) != SIEVE_OK ||
		    (st = cx_tag_value(cx, n, gp, SV_ARG_STRS, 0)) != SIEVE_OK)
			return st;
		c->has_flags = 1;
		c->flags = cx_flag_bits(*gp);
		return SIEVE_OK;
	}
	return cx_unknown_tag(cx, n, g);
}

/* keep, fileinto, redirect, discard, stop and the flag commands. */
static enum sieve_status
cx_action(struct cx *cx, const struct sv_node *n, struct sv_cmd *c,
	  unsigned tags, size_t npos, const char *what)
{
	const struct sv_arg *g, *pos[1];
	enum sieve_status st;

	for (g = n->args; g != NULL && g->kind == SV_ARG_TAG; g = g->next)
		if ((st = cx_action_tag(cx, n, &g, c, tags)) != SIEVE_OK)
			return st;
	if ((st = cx_positional(cx, n, g, pos, npos, what)) != SIEVE_OK)
		return st;
	if (npos == 0)
		return SIEVE_OK;
	if (c->kind == SV_CMD_SETFLAG || c->kind == SV_CMD_ADDFLAG ||
	    c->kind == SV_CMD_REMOVEFLAG) {
		c->flags = cx_flag_bits(pos[0]);
		return SIEVE_OK;
	}
	if ((st = cx_single(cx, n, pos[0], what, &c->arg)) != SIEVE_OK)
		return st;
	if (c->arg[0] == '\0')
		return sv_err(cx->err, SIEVE_ESYNTAX, pos[0]->line, pos[0]->col,
			      "'%.40s' needs a non-empty %s", n->name, what);
	return SIEVE_OK;
}

static enum sieve_status
cx_redirect_addr(struct cx *cx, const struct sv_node *n, struct sv_cmd *c)
{
	struct addr_limits al = {0, 0, 0, 1};
	struct addr_parts parts;
	enum addr_status as;
	size_t off;

	as = addr_parse((const unsigned char *)c->arg, strlen(c->arg), &al,
			&parts, &off);
	if (as == ADDR_OK)
		return SIEVE_OK;
	return sv_err(cx->err, SIEVE_ESYNTAX, n->line, n->col,
		      "redirect to an invalid address \"%.60s\": %s", c->arg,
		      addr_strerror(as));
}

static enum sieve_status
cx_vacation_tag(struct cx *cx, const struct sv_node *n,
		const struct sv_arg **gp, struct sv_cmd *c)
{
	static const char *const strtags[] = {"subject", "from", "handle"};
	const char **dst[] = {&c->subject, &c->from, &c->handle};
	const struct sv_arg *g = *gp;
	enum sieve_status st;
	size_t i;

	if (strcasecmp(g->tag, "mime") == 0) {
		c->mime = 1;
		return SIEVE_OK;
	}
	if (strcasecmp(g->tag, "days") == 0) {
		if ((st = cx_tag_value(cx, n, gp, SV_ARG_NUM, 0)) != SIEVE_OK)
			return st;
		/* RFC 5230 section 4.1: at least 1; we cap at 30. */
		c->days = (*gp)->num < 1    ? 1
			  : (*gp)->num > 30 ? 30
					    : (long)(*gp)->num;
		return SIEVE_OK;
	}
	if (strcasecmp(g->tag, "addresses") == 0) {
		if ((st = cx_tag_value(cx, n, gp, SV_ARG_STRS, 0)) != SIEVE_OK)
			return st;
		return cx_strlist(cx, n, *gp, &c->addresses);
	}
	for (i = 0; i < 3; i++)
		if (strcasecmp(g->tag, strtags[i]) == 0) {
			if ((st = cx_tag_value(cx, n, gp, SV_ARG_STRS, 1)) !=
			    SIEVE_OK)
				return st;
			return cx_single(cx, n, *gp, strtags[i], dst[i]);
		}
	return cx_unknown_tag(cx, n, g);
}

static enum sieve_status
cx_vacation(struct cx *cx, const struct sv_node *n, struct sv_cmd *c)
{
	const struct sv_arg *g, *pos[1];
	enum sieve_status st;

	c->days = 7;
	for (g = n->args; g != NULL && g->kind == SV_ARG_TAG; g = g->next)
		if ((st = cx_vacation_tag(cx, n, &g, c)) != SIEVE_OK)
			return st;
	if ((st = cx_positional(cx, n, g, pos, 1, "a reason string")) !=
	    SIEVE_OK)
		return st;
	return cx_single(cx, n, pos[0], "the reason", &c->arg);
}

static const struct {
	const char *name;
	enum sv_cmd_kind kind;
	unsigned ext; /* needed extension, 0 = core */
	const char *ext_name;
} cx_cmds[] = {
    {"if", SV_CMD_IF, 0, NULL},
    {"elsif", SV_CMD_IF, 0, NULL},
    {"else", SV_CMD_IF, 0, NULL},
    {"stop", SV_CMD_STOP, 0, NULL},
    {"keep", SV_CMD_KEEP, 0, NULL},
    {"discard", SV_CMD_DISCARD, 0, NULL},
    {"redirect", SV_CMD_REDIRECT, 0, NULL},
    {"fileinto", SV_CMD_FILEINTO, EXT_FILEINTO, "fileinto"},
    {"setflag", SV_CMD_SETFLAG, EXT_IMAP4FLAGS, "imap4flags"},
    {"addflag", SV_CMD_ADDFLAG, EXT_IMAP4FLAGS, "imap4flags"},
    {"removeflag", SV_CMD_REMOVEFLAG, EXT_IMAP4FLAGS, "imap4flags"},
    {"vacation", SV_CMD_VACATION, EXT_VACATION, "vacation"},
};

static enum sieve_status
cx_cmd_body(struct cx *cx, const struct sv_node *n, struct sv_cmd *c)
{
	const int is_else = strcasecmp(n->name, "else") == 0;
	enum sieve_status st;

	switch (c->kind) {
	case SV_CMD_IF:
		if (n->args != NULL)
			return cx_unknown_tag(cx, n, n->args);
		if (is_else ? n->ntests != 0 : n->ntests != 1 || n->test_list)
			return sv_err(cx->err, SIEVE_ESYNTAX, n->line, n->col,
				      "'%.40s' %s", n->name,
				      is_else ? "takes no test"
					      : "expects one test");
		if (!n->has_block)
			return sv_err(cx->err, SIEVE_ESYNTAX, n->line, n->col,
				      "'%.40s' needs a block { ... }", n->name);
		if (!is_else &&
		    (st = cx_test(cx, n->tests, &c->test)) != SIEVE_OK)
			return st;
		return cx_commands(cx, n->block, 0, &c->body);
	case SV_CMD_STOP:
	case SV_CMD_DISCARD:
		return cx_action(cx, n, c, 0, 0, "no argument");
	case SV_CMD_KEEP:
		return cx_action(cx, n, c, EXT_IMAP4FLAGS, 0, "no argument");
	case SV_CMD_FILEINTO:
		return cx_action(cx, n, c,
				 EXT_COPY | EXT_MAILBOX | EXT_IMAP4FLAGS, 1,
				 "a mailbox name");
	case SV_CMD_REDIRECT:
		if ((st = cx_action(cx, n, c, EXT_COPY, 1, "an address")) !=
		    SIEVE_OK)
			return st;
		return cx_redirect_addr(cx, n, c);
	case SV_CMD_SETFLAG:
	case SV_CMD_ADDFLAG:
	case SV_CMD_REMOVEFLAG:
		return cx_action(cx, n, c, 0, 1, "a list of flags");
	case SV_CMD_VACATION:
		return cx_vacation(cx, n, c);
	}
	return SIEVE_OK;
}

static enum sieve_status
cx_command(struct cx *cx, const struct sv_node *n, struct sv_cmd **out)
{
	enum sieve_status st;
	struct sv_cmd *c;
	size_t i;

	for (i = 0; i < sizeof(cx_cmds) / sizeof(cx_cmds[0]); i++)
		if (strcasecmp(n->name, cx_cmds[i].name) == 0)
			break;
	if (i == sizeof(cx_cmds) / sizeof(cx_cmds[0]))
		return sv_err(cx->err, SIEVE_ESYNTAX, n->line, n->col,
			      "unknown command '%.40s'", n->name);
	if (cx_cmds[i].ext != 0 &&
	    (st = cx_need(cx, n->line, n->col, cx_cmds[i].ext,
			  cx_cmds[i].ext_name, "command")) != SIEVE_OK)
		return sv_err(cx->err, st, n->line, n->col,
			      "command '%.40s' "
			      "needs require \"%s\"",
			      n->name, cx_cmds[i].ext_name);
	if ((c = sv_alloc(cx->a, sizeof(*c))) == NULL)
		return cx_nomem(cx, n);
	c->kind = cx_cmds[i].kind;
	c->line = n->line;
	*out = c;
	if (c->kind != SV_CMD_IF && n->ntests > 0)
		return sv_err(cx->err, SIEVE_ESYNTAX, n->tests->line,
			      n->tests->col, "command '%.40s' takes no test",
			      n->name);
	if (c->kind != SV_CMD_IF && n->has_block)
		return sv_err(cx->err, SIEVE_ESYNTAX, n->line, n->col,
			      "command '%.40s' takes no block (missing ';'?)",
			      n->name);
	return cx_cmd_body(cx, n, c);
}

static enum sieve_status
cx_commands(struct cx *cx, const struct sv_node *n, int top,
	    struct sv_cmd **out)
{
	struct sv_cmd **tail = out, *c = NULL, *chain = NULL;
	enum sieve_status st;
	int alt;

	for (; n != NULL; n = n->next) {
		if (strcasecmp(n->name, "require") == 0) {
			if ((st = cx_require(cx, n, top)) != SIEVE_OK)
				return st;
			continue;
		}
		cx->past_require = 1;
		alt = strcasecmp(n->name, "elsif") == 0 ||
		      strcasecmp(n->name, "else") == 0;
		if (alt && chain == NULL)
			return sv_err(cx->err, SIEVE_ESYNTAX, n->line, n->col,
				      "'%.40s' without a preceding 'if'",
				      n->name);
		if ((st = cx_command(cx, n, &c)) != SIEVE_OK)
			return st;
		if (alt) {
			chain->orelse = c;
		} else {
			*tail = c;
			tail = &c->next;
		}
		chain = c->kind == SV_CMD_IF && c->test != NULL ? c : NULL;
	}
	return SIEVE_OK;
}

enum sieve_status
sieve_compile(const unsigned char *p, size_t len,
	      const struct sieve_limits *lim, struct sieve_script **out,
	      struct sieve_error *err)
{
	size_t max = lim && lim->max_script ? lim->max_script : (size_t)1 << 20;
	struct sieve_script *s;
	struct sv_arena pa;
	struct sv_node *tree;
	enum sieve_status st;
	struct cx cx;

	*out = NULL;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (len > max)
		return sv_err(err, SIEVE_ELIMIT, 0, 0,
			      "script of %zu bytes is larger than %zu", len,
			      max);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return sv_err(err, SIEVE_ENOMEM, 0, 0, "out of memory");
	sv_arena_init(&s->arena);
	sv_arena_init(&pa);
	memset(&cx, 0, sizeof(cx));
	cx.a = &s->arena;
	cx.err = err;
	st = sv_parse(p, len, lim, &pa, &tree, err);
	if (st == SIEVE_OK)
		st = cx_commands(&cx, tree, 1, &s->first);
	sv_arena_free(&pa);
	if (st != SIEVE_OK) {
		sieve_free(&s);
		return st;
	}
	*out = s;
	return SIEVE_OK;
}

void
sieve_free(struct sieve_script **s)
{
	if (s == NULL || *s == NULL)
		return;
	sv_arena_free(&(*s)->arena);
	free(*s);
	*s = NULL;
}
