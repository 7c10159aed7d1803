/* lib/spam/rules.c - the rule-file parser; see rules.h.
 *
 * One line at a time, as SpamAssassin's Conf.pm reads them: an unescaped
 * '#' starts a comment ("\#" is a literal '#'), the first word is the
 * directive. ifplugin/if/else/endif keep a stack of conditions; a line in
 * a false branch is skipped but a rule it would define is remembered as
 * skipped, so that a meta over it is skipped too instead of firing on a
 * silent 0. */
#include "rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "ev.h"
#include "meta.h"
#include "net.h"
#include "rules_int.h"

void
sp_rules_init(struct sp_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

static size_t
rules_hash(const char *s, size_t n)
{
	size_t h = 1469598103934665603ULL, i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

long
sp_rules_find(const struct sp_ruleset *rs, const char *name, size_t n)
{
	size_t h, i;

	if (rs->hcap == 0)
		return -1;
	for (h = rules_hash(name, n) & (rs->hcap - 1);;
	     h = (h + 1) & (rs->hcap - 1)) {
		if ((i = rs->hash[h]) == 0)
			return -1;
		if (strlen(rs->v[i - 1].name) == n &&
		    memcmp(rs->v[i - 1].name, name, n) == 0)
			return (long)(i - 1);
	}
}

static int
rules_rehash(struct sp_ruleset *rs)
{
	size_t nc = rs->hcap ? rs->hcap * 2 : 1024, i, h;
	size_t *nh = calloc(nc, sizeof(size_t));

	if (nh == NULL)
		return -1;
	for (i = 0; i < rs->n; i++) {
		h = rules_hash(rs->v[i].name, strlen(rs->v[i].name)) & (nc - 1);
		while (nh[h] != 0)
			h = (h + 1) & (nc - 1);
		nh[h] = i + 1;
	}
	free(rs->hash);
	rs->hash = nh;
	rs->hcap = nc;
	return 0;
}

/* The entry of a name, created (type NONE) if new; -1 on ENOMEM/limit. */
static long
rules_get(struct rp *p, const char *name)
{
	struct sp_ruleset *rs = p->rs;
	struct sp_rule *r;
	long idx = sp_rules_find(rs, name, strlen(name));

	if (idx >= 0)
		return idx;
	if (rs->n >= p->max_rules)
		return -1;
	if ((rs->n + 1) * 2 > rs->hcap && rules_rehash(rs) < 0)
		return -1;
	if (rs->n == rs->cap) {
		size_t nc = rs->cap ? rs->cap * 2 : 256;
		struct sp_rule *nv = reallocarray(rs->v, nc, sizeof(*nv));

		if (nv == NULL)
			return -1;
		rs->v = nv;
		rs->cap = nc;
	}
	r = &rs->v[rs->n];
	memset(r, 0, sizeof(*r));
	if ((r->name = strdup(name)) == NULL)
		return -1;
	r->file = p->file;
	r->line = p->line;
	rs->n++;
	{
		size_t h = rules_hash(name, strlen(name)) & (rs->hcap - 1);

		while (rs->hash[h] != 0)
			h = (h + 1) & (rs->hcap - 1);
		rs->hash[h] = rs->n;
	}
	return (long)(rs->n - 1);
}

int
rules_skip(struct sp_ruleset *rs, const char *what, const char *file, int line,
	   const char *fmt, ...)
{
	struct sp_skip *s;
	char reason[512];
	va_list ap;

	if (rs->nskipped == rs->skipcap) {
		size_t nc = rs->skipcap ? rs->skipcap * 2 : 64;
		struct sp_skip *nv = reallocarray(rs->skipped, nc, sizeof(*nv));

		if (nv == NULL)
			return -1;
		rs->skipped = nv;
		rs->skipcap = nc;
	}
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	s = &rs->skipped[rs->nskipped];
	s->what = strdup(what);
	s->reason = strdup(reason);
	s->file = file;
	s->line = line;
	if (s->what == NULL || s->reason == NULL) {
		free(s->what);
		free(s->reason);
		return -1;
	}
	rs->nskipped++;
	return 0;
}

/* A malformed line: counted, kept, first one reported in err. */
int
rp_error(struct rp *p, const char *what, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->rs->nerrors++;
	if (p->err->line == 0) {
		snprintf(p->err->file, sizeof(p->err->file), "%s", p->file);
		p->err->line = p->line;
		snprintf(p->err->msg, sizeof(p->err->msg), "%s", msg);
	}
	return rules_skip(p->rs, what, p->file, p->line, "error: %s", msg);
}

int
rp_fail(struct rp *p, const char *msg)
{
	snprintf(p->err->file, sizeof(p->err->file), "%s", p->file);
	p->err->line = p->line;
	snprintf(p->err->msg, sizeof(p->err->msg), "%s", msg);
	return -1;
}

int
rp_active(const struct rp *p)
{
	int i;

	for (i = 0; i < p->ncond; i++)
		if (!p->cond[i])
			return 0;
	return 1;
}

/* Why the innermost false level is false (the rule's skip reason). */
const char *
rp_false_why(const struct rp *p)
{
	int i;

	for (i = p->ncond - 1; i >= 0; i--)
		if (!p->cond[i])
			return p->why[i] ? p->why[i] : "inside a false if";
	return "inside a false if";
}

int
rules_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* Splits off the next blank-separated word of *s (in place). */
char *
rp_word(char **s)
{
	char *w = *s, *e;

	while (isspace((unsigned char)*w))
		w++;
	if (*w == '\0') {
		*s = w;
		return NULL;
	}
	for (e = w; *e && !isspace((unsigned char)*e); e++)
		;
	if (*e)
		*e++ = '\0';
	while (isspace((unsigned char)*e))
		e++;
	*s = e;
	return w;
}

int
rp_strset(char **dst, const char *src)
{
	char *d = NULL;

	if (src != NULL && (d = strdup(src)) == NULL)
		return -1;
	free(*dst);
	*dst = d;
	return 0;
}

static void
rule_reset(struct sp_rule *r)
{
	free(r->re);
	free(r->hdr);
	free(r->if_unset);
	free(r->meta);
	sp_meta_free(&r->prog);
	sp_net_rule_free(&r->net);
	sp_ev_free(&r->ev);
	r->re = r->hdr = r->if_unset = r->meta = NULL;
	r->negate = r->exists = 0;
	r->hmod = SP_H_VALUE;
	r->re_flags = 0;
	r->replaced = 0;
	r->zero = 0;
	r->skip = NULL;
}

/* Defines (or skips, in a false branch) rule `name` of type t. Returns
 * the entry, NULL when the caller must not fill it, or sets *oom. */
struct sp_rule *
rp_define(struct rp *p, const char *name, enum sp_rtype t, int *oom)
{
	struct sp_rule *r;
	long idx;

	*oom = 0;
	if ((idx = rules_get(p, name)) < 0) {
		*oom = 1;
		return NULL;
	}
	r = &p->rs->v[idx];
	if (!rp_active(p)) {
		/* remember it as skipped unless a live definition exists */
		if (r->type == SP_R_NONE && r->skip == NULL)
			r->skip = rp_false_why(p);
		return NULL;
	}
	rule_reset(r);
	r->type = t;
	r->file = p->file;
	r->line = p->line;
	return r;
}

/* Parses "/re/flags", "m{re}flags", "m!re!flags" at *s; the pattern goes
 * to *re (owned), *s moves past the flags. 0 or -1 (syntax, *why). */
int
rules_regex(char **s, char **re, unsigned *flags, const char **why)
{
	char *p = *s, open, close, *start;
	int level = 0;

	if (*p == 'm' && p[1] != '\0' && !isalnum((unsigned char)p[1]) &&
	    !isspace((unsigned char)p[1]))
		p++;
	else if (*p != '/') {
		*why = "a pattern must be /.../ or m{...}";
		return -1;
	}
	open = *p;
	close = open == '{'   ? '}'
		: open == '(' ? ')'
		: open == '[' ? ']'
		: open == '<' ? '>'
			      : open;
	start = ++p;
	for (; *p; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (open != close && *p == open)
			level++;
		else if (*p == close && level-- == 0)
			break;
	}
	if (*p != close) {
		*why = "unterminated pattern";
		return -1;
	}
	if ((*re = strndup(start, (size_t)(p - start))) == NULL) {
		*why = "out of memory";
		return -1;
	}
	*flags = 0;
	for (p++; isalpha((unsigned char)*p); p++) {
		switch (*p) {
		case 'i':
			*flags |= SP_RE_I;
			break;
		case 'm':
			*flags |= SP_RE_M;
			break;
		case 's':
			*flags |= SP_RE_S;
			break;
		case 'x':
			*flags |= SP_RE_X;
			break;
		case 'g':
		case 'o':
			break;
		default:
			free(*re);
			*re = NULL;
			*why = "unknown pattern flag";
			return -1;
		}
	}
	*s = p;
	return 0;
}

static long
rules_resolve(void *ctx, const char *name, size_t n)
{
	return sp_rules_find(ctx, name, n);
}

/* Skips metas over skipped rules until nothing changes. */
static int
rules_propagate(struct sp_ruleset *rs)
{
	size_t i, k, pass;
	int changed = 1;

	for (pass = 0; changed && pass <= rs->n; pass++) {
		changed = 0;
		for (i = 0; i < rs->n; i++) {
			struct sp_rule *r = &rs->v[i];
			const long *deps;
			size_t nd;

			if (r->type != SP_R_META || r->skip != NULL ||
			    r->prog == NULL)
				continue;
			nd = sp_meta_deps(r->prog, &deps);
			for (k = 0; k < nd; k++)
				if (rs->v[deps[k]].skip != NULL &&
				    !rs->v[deps[k]].zero)
					break;
			if (k == nd)
				continue;
			r->skip = "depends on a skipped rule";
			if (rules_skip(rs, r->name, r->file, r->line,
				       "depends on %s (%s)",
				       rs->v[deps[k]].name,
				       rs->v[deps[k]].skip) < 0)
				return -1;
			changed = 1;
		}
	}
	return 0;
}

/* Whether a rule's own hit can reach a result: engine_score lists a hit
 * whose score is not 0 in the message's score set, never a "__" rule's,
 * and auto-learn reads the same scores; a Bayes rule also decides
 * whether the probability is computed at all. */
static int
rules_scored(const struct sp_rule *r)
{
	int set;

	if (r->type == SP_R_BAYES)
		return 1;
	if (strncmp(r->name, "__", 2) == 0)
		return 0;
	for (set = 0; set < 4; set++)
		if (sp_rule_score(r, set) != 0)
			return 1;
	return 0;
}

/* Skips what no result can read, as SpamAssassin disables a test scored
 * 0: a rule scored 0 in every set that no scored meta reads, directly or
 * through other metas. Such a rule's hit changes no score, hit list,
 * report or auto-learn decision, and it costs a scan per message. It
 * stays "zero" (read as 0), though no meta that runs reads it.
 * 0, -1 ENOMEM. */
static int
rules_prune(struct sp_ruleset *rs)
{
	unsigned char *live = calloc(rs->n + 1, 1);
	size_t *todo = calloc(rs->n + 1, sizeof(*todo));
	size_t top = 0, i, k;

	if (live == NULL || todo == NULL) {
		free(live);
		free(todo);
		return -1;
	}
	for (i = 0; i < rs->n; i++)
		if (rs->v[i].skip == NULL && rules_scored(&rs->v[i])) {
			live[i] = 1;
			todo[top++] = i;
		}
	while (top > 0) {
		const struct sp_rule *r = &rs->v[todo[--top]];
		const long *deps;
		size_t nd;

		if (r->type != SP_R_META || r->prog == NULL)
			continue;
		nd = sp_meta_deps(r->prog, &deps);
		for (k = 0; k < nd; k++)
			if (!live[deps[k]]) {
				live[deps[k]] = 1;
				todo[top++] = (size_t)deps[k];
			}
	}
	for (i = 0; i < rs->n; i++)
		if (!live[i] && rs->v[i].skip == NULL) {
			rs->v[i].skip = "scored 0 in every set, and no scored "
					"meta reads it";
			rs->v[i].zero = 1;
		}
	free(live);
	free(todo);
	return 0;
}

int
sp_rules_finish(struct sp_ruleset *rs, struct sp_rules_error *err)
{
	enum sp_meta_status st;
	size_t i, off;

	if (sp_rules_replace_tags(rs) < 0 ||
	    (rs->conf != NULL && sp_evconf_finish(rs->conf) < 0))
		goto oom;
	for (i = 0; i < rs->n; i++) {
		struct sp_rule *r = &rs->v[i];

		if (r->urirhs != NULL && r->skip == NULL &&
		    (r->type == SP_R_NONE ||
		     (r->type == SP_R_NET && r->net->kind == SP_NET_URIBL))) {
			/* urirhssub gives check_uridnsbl('NAME') its zone */
			sp_net_rule_free(&r->net);
			r->net = r->urirhs;
			r->urirhs = NULL;
			r->type = SP_R_NET;
		}
		if (r->type == SP_R_NONE && r->skip == NULL)
			r->skip = "scored or described but never defined";
		/* Check.pm: an eval with tflags net runs only in the score
		 * sets with network tests, tflags learn only with Bayes */
		if (r->skip == NULL && r->type == SP_R_EVAL &&
		    (((r->tflags & SP_TF_NET) && !rs->network) ||
		     ((r->tflags & SP_TF_LEARN) && !rs->have_bayes))) {
			r->skip = "eval with tflags net/learn: its score set "
				  "is off";
			r->zero = 1;
		}
		if (r->skip == NULL && r->type == SP_R_BAYES &&
		    !rs->have_bayes) {
			r->skip = "Bayes off (no bayes_path)";
			r->zero = 1;
		}
		if (r->type != SP_R_META || r->skip != NULL)
			continue;
		st =
		    sp_meta_compile(r->meta, rules_resolve, rs, &r->prog, &off);
		if (st == SP_META_ENOMEM)
			goto oom;
		if (st == SP_META_OK)
			continue;
		r->skip = st == SP_META_EUNKNOWN ? "depends on an undefined "
						   "rule"
						 : "malformed";
		if (st != SP_META_EUNKNOWN)
			rs->nerrors++;
		if (rules_skip(rs, r->name, r->file, r->line,
			       "meta: %s at "
			       "'%.40s'",
			       sp_meta_strerror(st), r->meta + off) < 0)
			goto oom;
	}
	if (rules_propagate(rs) < 0 || rules_prune(rs) < 0)
		goto oom;
	return 0;
oom:
	snprintf(err->msg, sizeof(err->msg), "out of memory");
	return -1;
}

double
sp_rule_score(const struct sp_rule *r, int set)
{
	if (set < 0 || set > 3)
		set = 0;
	if (r->nscores > 0)
		return r->score[set];
	if (strncmp(r->name, "__", 2) == 0)
		return 0;
	/* SpamAssassin's defaults: 1, 0.01 for T_ rules, negated for
	 * tflags nice */
	if (strncmp(r->name, "T_", 2) == 0)
		return r->tflags & SP_TF_NICE ? -0.01 : 0.01;
	return r->tflags & SP_TF_NICE ? -1.0 : 1.0;
}

const char *
sp_rtype_name(enum sp_rtype t)
{
	static const char *const names[] = {"none", "header", "body", "rawbody",
					    "uri",  "full",   "meta", "bayes",
					    "net",  "eval"};

	return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

void
sp_rules_free(struct sp_ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		struct sp_rule *r = &rs->v[i];

		free(r->name);
		free(r->re);
		free(r->hdr);
		free(r->if_unset);
		free(r->meta);
		free(r->describe);
		sp_meta_free(&r->prog);
		sp_net_rule_free(&r->net);
		sp_net_rule_free(&r->urirhs);
		sp_ev_free(&r->ev);
	}
	if (rs->conf != NULL) {
		sp_evconf_free(rs->conf);
		free(rs->conf);
	}
	for (i = 0; i < rs->nskipped; i++) {
		free(rs->skipped[i].what);
		free(rs->skipped[i].reason);
	}
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->v);
	free(rs->hash);
	free(rs->skipped);
	free(rs->files);
	memset(rs, 0, sizeof(*rs));
}
