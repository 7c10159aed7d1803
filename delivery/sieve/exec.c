/* delivery/sieve/exec.c - runs compiled scripts over one message and
 * builds the result: the action list with duplicates merged, implicit
 * keep, the imap4flags internal variable, max_actions / max_redirects.
 * On any error the result is reset to a single KEEP: a script can never
 * lose a message. Pure: the caller performs the actions. */
#include "sieve_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"

struct ex {
	const struct sieve_msg *msg;
	struct sieve_result *res;
	struct sv_arena *a; /* the result's */
	size_t cap, max_actions, max_redirects, nredirects;
	unsigned flags; /* imap4flags internal variable */
	int discarded, vacation;
	unsigned line; /* of the command being run */
	enum sieve_status st;
	struct sieve_error *err;
	struct buf tmp;
};

struct sv_priv {
	struct sv_arena arena;
};

static int
ex_fail(struct ex *ex, enum sieve_status st, const char *what)
{
	ex->st = sv_err(ex->err, st, ex->line, 0, "%s", what);
	return -1;
}

static char *
ex_dup(struct ex *ex, const char *s)
{
	return s == NULL ? NULL : sv_strndup(ex->a, s, strlen(s));
}

/* Appends a zeroed action; -1 (error set) past max_actions or ENOMEM. */
static struct sieve_action *
ex_new(struct ex *ex, enum sieve_action_type type, int limited)
{
	struct sieve_result *r = ex->res;
	struct sieve_action *v;

	if (limited && r->nactions >= ex->max_actions) {
		ex_fail(ex, SIEVE_ELIMIT, "too many actions");
		return NULL;
	}
	if (r->nactions == ex->cap) {
		v = realloc(r->actions, 2 * ex->cap * sizeof(*v));
		if (v == NULL) {
			ex_fail(ex, SIEVE_ENOMEM, "out of memory");
			return NULL;
		}
		r->actions = v;
		ex->cap *= 2;
	}
	v = &r->actions[r->nactions++];
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->line = ex->line;
	return v;
}

static struct sieve_action *
ex_find(struct ex *ex, enum sieve_action_type type, const char *mailbox,
	const char *address)
{
	struct sieve_action *v;
	size_t i;

	for (i = 0; i < ex->res->nactions; i++) {
		v = &ex->res->actions[i];
		if (v->type != type)
			continue;
		if (type == SIEVE_ACT_FILEINTO &&
		    strcmp(v->mailbox, mailbox) != 0)
			continue;
		if (type == SIEVE_ACT_REDIRECT &&
		    strcasecmp(v->address, address) != 0)
			continue;
		return v;
	}
	return NULL;
}

/* keep / fileinto: one per mailbox, flags and :create merged. */
static int
ex_store(struct ex *ex, const char *mailbox, unsigned flags, int create,
	 int limited)
{
	enum sieve_action_type t =
	    mailbox ? SIEVE_ACT_FILEINTO : SIEVE_ACT_KEEP;
	struct sieve_action *v;

	if ((v = ex_find(ex, t, mailbox, NULL)) == NULL) {
		if ((v = ex_new(ex, t, limited)) == NULL)
			return -1;
		if (mailbox && (v->mailbox = ex_dup(ex, mailbox)) == NULL)
			return ex_fail(ex, SIEVE_ENOMEM, "out of memory");
	}
	v->flags |= flags;
	v->create |= create;
	return 0;
}

static int
ex_redirect(struct ex *ex, const struct sv_cmd *c)
{
	struct sieve_action *v;

	if (ex_find(ex, SIEVE_ACT_REDIRECT, NULL, c->arg) != NULL)
		return 0;
	if (ex->nredirects >= ex->max_redirects)
		return ex_fail(ex, SIEVE_ELIMIT, "too many redirects");
	if ((v = ex_new(ex, SIEVE_ACT_REDIRECT, 1)) == NULL)
		return -1;
	ex->nredirects++;
	if ((v->address = ex_dup(ex, c->arg)) == NULL)
		return ex_fail(ex, SIEVE_ENOMEM, "out of memory");
	return 0;
}

static int
ex_vacation(struct ex *ex, const struct sv_cmd *c)
{
	struct sieve_action *v;
	const char **addrs;
	size_t i;

	if (ex->vacation++)
		return ex_fail(ex, SIEVE_ERUNTIME,
			       "more than one vacation "
			       "action");
	if ((v = ex_new(ex, SIEVE_ACT_VACATION, 1)) == NULL)
		return -1;
	v->days = c->days;
	v->mime = c->mime;
	addrs = sv_alloc(ex->a, (c->addresses.n + 1) * sizeof(*addrs));
	if (addrs == NULL || (v->reason = ex_dup(ex, c->arg)) == NULL ||
	    (c->subject && (v->subject = ex_dup(ex, c->subject)) == NULL) ||
	    (c->from && (v->from = ex_dup(ex, c->from)) == NULL) ||
	    (c->handle && (v->handle = ex_dup(ex, c->handle)) == NULL))
		return ex_fail(ex, SIEVE_ENOMEM, "out of memory");
	for (i = 0; i < c->addresses.n; i++)
		if ((addrs[i] = ex_dup(ex, c->addresses.v[i])) == NULL)
			return ex_fail(ex, SIEVE_ENOMEM, "out of memory");
	v->addresses = addrs;
	return 0;
}

static int
ex_test(struct ex *ex, const struct sv_test *t)
{
	enum sieve_status st = SIEVE_OK;
	int r;

	if ((r = sv_eval(t, ex->msg, ex->flags, &ex->tmp, &st)) < 0)
		return ex_fail(
		    ex, st,
		    st == SIEVE_ENOMEM
			? "out of memory"
			: "a test took too many steps (:matches pattern too "
			  "complex for this message)");
	return r;
}

static int ex_block(struct ex *ex, const struct sv_cmd *c, int *keep);

/* 0 go on, 1 stop, -1 error. *keep is the implicit keep. */
static int
ex_cmd(struct ex *ex, const struct sv_cmd *c, int *keep)
{
	const struct sv_cmd *b;
	int r;

	ex->line = c->line;
	switch (c->kind) {
	case SV_CMD_IF:
		for (b = c; b != NULL; b = b->orelse) {
			r = b->test ? ex_test(ex, b->test) : 1;
			if (r != 0)
				return r < 0 ? -1 : ex_block(ex, b->body, keep);
		}
		return 0;
	case SV_CMD_STOP:
		return 1;
	case SV_CMD_KEEP:
		*keep = 0;
		return ex_store(ex, NULL, c->has_flags ? c->flags : ex->flags,
				0, 1);
	case SV_CMD_DISCARD:
		*keep = 0;
		ex->discarded = 1;
		return 0;
	case SV_CMD_FILEINTO:
		if (!c->copy)
			*keep = 0;
		return ex_store(ex, c->arg, c->has_flags ? c->flags : ex->flags,
				c->create, 1);
	case SV_CMD_REDIRECT:
		if (!c->copy)
			*keep = 0;
		return ex_redirect(ex, c);
	case SV_CMD_SETFLAG:
		ex->flags = c->flags;
		return 0;
	case SV_CMD_ADDFLAG:
		ex->flags |= c->flags;
		return 0;
	case SV_CMD_REMOVEFLAG:
		ex->flags &= ~c->flags;
		return 0;
	case SV_CMD_VACATION:
		return ex_vacation(ex, c);
	}
	return 0;
}

static int
ex_block(struct ex *ex, const struct sv_cmd *c, int *keep)
{
	int r;

	for (; c != NULL; c = c->next)
		if ((r = ex_cmd(ex, c, keep)) != 0)
			return r;
	return 0;
}

/* Implicit keep and discard, once every script ran. */
static int
ex_finish(struct ex *ex, int keep)
{
	size_t i;

	ex->res->implicit_keep = keep;
	if (keep)
		return ex_store(ex, NULL, ex->flags, 0, 0);
	for (i = 0; i < ex->res->nactions; i++)
		if (ex->res->actions[i].type != SIEVE_ACT_VACATION)
			return 0;
	if (ex->discarded && ex_new(ex, SIEVE_ACT_DISCARD, 0) == NULL)
		return -1;
	return 0;
}

/* The one action left after an error: a plain KEEP. The array always has
 * room for it (allocated before anything ran). */
static void
ex_fallback(struct sieve_result *r)
{
	r->nactions = 1;
	memset(&r->actions[0], 0, sizeof(r->actions[0]));
	r->actions[0].type = SIEVE_ACT_KEEP;
	r->implicit_keep = 1;
}

enum sieve_status
sieve_execute(const struct sieve_script *const *scripts, size_t n,
	      const struct sieve_msg *msg, const struct sieve_limits *lim,
	      struct sieve_result *out, struct sieve_error *err)
{
	struct sv_priv *priv;
	struct ex ex;
	int keep = 1, r = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->implicit_keep = 1;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	memset(&ex, 0, sizeof(ex));
	ex.cap = 8;
	if ((priv = calloc(1, sizeof(*priv))) == NULL ||
	    (out->actions = calloc(ex.cap, sizeof(*out->actions))) == NULL) {
		free(priv);
		return sv_err(err, SIEVE_ENOMEM, 0, 0, "out of memory");
	}
	sv_arena_init(&priv->arena);
	out->priv = priv;
	ex.msg = msg;
	ex.res = out;
	ex.a = &priv->arena;
	ex.err = err;
	ex.max_actions = lim && lim->max_actions ? lim->max_actions : 32;
	ex.max_redirects = lim && lim->max_redirects ? lim->max_redirects : 4;
	buf_init(&ex.tmp, 0);
	for (i = 0; i < n && r >= 0; i++) {
		ex.flags = 0; /* each script has its own internal variable */
		if (scripts[i] != NULL)
			r = ex_block(&ex, scripts[i]->first, &keep);
	}
	if (r >= 0)
		r = ex_finish(&ex, keep);
	buf_free(&ex.tmp);
	if (r < 0) {
		ex_fallback(out);
		return ex.st;
	}
	return SIEVE_OK;
}

void
sieve_result_free(struct sieve_result *r)
{
	struct sv_priv *priv;

	if (r == NULL)
		return;
	if ((priv = r->priv) != NULL) {
		sv_arena_free(&priv->arena);
		free(priv);
	}
	free(r->actions);
	memset(r, 0, sizeof(*r));
}
