/* lib/spam/engine.c - loading a rule set from files and scoring a
 * message; see engine.h.
 *
 * Load order: a few built-in rules (GTUBE, the BAYES_* bands with
 * SpamAssassin's scores) first, then each rules_path entry (a file, or a
 * directory's *.cf in name order, as spamd reads /usr/share/spamassassin),
 * so that any file can redefine or rescore a built-in.
 *
 * The BAYES_* bands score as SpamAssassin 4's 50_scores.cf (score sets 2
 * and 3), which rescores them when it is on rules_path (the default): no
 * band flags a message alone. Stronger bands were fitted to one corpus
 * and flagged legitimate mail Bayes had not seen (issue 11). */
#include "engine.h"
#include "ev.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/stat.h>

#include "bayesglue.h"
#include "buf.h"
#include "match.h"
#include "meta.h"
#include "net.h"
#include "received.h"

#ifndef SP_RULES_DIR
#define SP_RULES_DIR "/usr/local/share/facteur/rules"
#endif

#define ENGINE_MAX_FILE ((size_t)16 << 20)
#define ENGINE_MAX_INCLUDE 8

/* GTUBE and the Bayes bands, with SpamAssassin 4's band scores (its
 * 50_scores.cf, score sets 2 and 3) for a rules_path without it. */
static const char engine_builtin[] =
    "body GTUBE /XJS\\*C4JDBQADN1\\.NSBN3\\*2IDNEN\\*GTUBE-STANDARD-ANTI-"
    "UBE-TEST-EMAIL\\*C\\.34X/\n"
    "describe GTUBE Generic Test for Unsolicited Bulk Email\n"
    "score GTUBE 1000\n"
    "ifplugin Mail::SpamAssassin::Plugin::Bayes\n"
    "body BAYES_00 eval:check_bayes('0.00', '0.01')\n"
    "body BAYES_05 eval:check_bayes('0.01', '0.05')\n"
    "body BAYES_20 eval:check_bayes('0.05', '0.20')\n"
    "body BAYES_40 eval:check_bayes('0.20', '0.40')\n"
    "body BAYES_50 eval:check_bayes('0.40', '0.60')\n"
    "body BAYES_60 eval:check_bayes('0.60', '0.80')\n"
    "body BAYES_80 eval:check_bayes('0.80', '0.95')\n"
    "body BAYES_95 eval:check_bayes('0.95', '0.99')\n"
    "body BAYES_99 eval:check_bayes('0.99', '1.00')\n"
    "body BAYES_999 eval:check_bayes('0.999', '1.00')\n"
    "endif\n"
    "describe BAYES_00 Bayes spam probability is 0 to 1%\n"
    "describe BAYES_05 Bayes spam probability is 1 to 5%\n"
    "describe BAYES_20 Bayes spam probability is 5 to 20%\n"
    "describe BAYES_40 Bayes spam probability is 20 to 40%\n"
    "describe BAYES_50 Bayes spam probability is 40 to 60%\n"
    "describe BAYES_60 Bayes spam probability is 60 to 80%\n"
    "describe BAYES_80 Bayes spam probability is 80 to 95%\n"
    "describe BAYES_95 Bayes spam probability is 95 to 99%\n"
    "describe BAYES_99 Bayes spam probability is 99 to 100%\n"
    "describe BAYES_999 Bayes spam probability is 99.9 to 100%\n"
    "tflags BAYES_00 nice learn\n"
    "tflags BAYES_05 nice learn\n"
    "score BAYES_00 0 0 -1.5 -1.9\n"
    "score BAYES_05 0 0 -0.3 -0.5\n"
    "score BAYES_20 0 0 -0.001 -0.001\n"
    "score BAYES_40 0 0 -0.001 -0.001\n"
    "score BAYES_50 0 0 2.0 0.8\n"
    "score BAYES_60 0 0 2.5 1.5\n"
    "score BAYES_80 0 0 2.7 2.0\n"
    "score BAYES_95 0 0 3.2 3.0\n"
    "score BAYES_99 0 0 3.8 3.5\n"
    "score BAYES_999 0 0 0.2 0.2\n";

struct sp_engine {
	struct sp_ruleset rs;
	struct sp_matcher *m;
	size_t *metas; /* meta rules in evaluation order */
	size_t nmetas;
	struct sp_meta_batch *meta_batch; /* their programs, in that order */
	size_t *evals; /* live eval rules, ascending: sp_ev_run reads these
			  instead of the 2,800 rule structs */
	size_t nevals;
	size_t *bayes; /* BAYES_* rules */
	size_t nbayes;
	struct sp_bayes_pool *bayes_pool; /* NULL: Bayes off */
	struct sp_net *net;		  /* NULL: network tests off */
	int auto_learn;
	struct sp_al_thresholds al_thr;
	double required;
	struct sp_limits lim;
	size_t nfiles;
};

struct engine_load {
	struct sp_engine *e;
	char dir[4096]; /* directory of the file being parsed */
};

static int engine_file(struct engine_load *l, const char *path, int depth,
		       struct sp_rules_error *err);

static int
engine_read(const char *path, struct buf *b, struct sp_rules_error *err)
{
	char chunk[16384];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path,
			 strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n) < 0) {
			fclose(f);
			snprintf(err->msg, sizeof(err->msg),
				 "%s: larger than "
				 "%zu bytes",
				 path, ENGINE_MAX_FILE);
			return -1;
		}
	if (ferror(f)) {
		fclose(f);
		snprintf(err->msg, sizeof(err->msg), "%s: read error", path);
		return -1;
	}
	fclose(f);
	return 0;
}

static int
engine_include(void *ctx, struct sp_ruleset *rs, const char *path, int depth,
	       struct sp_rules_error *err)
{
	struct engine_load *l = ctx;
	char full[8200];
	int n;

	if (depth > ENGINE_MAX_INCLUDE) {
		snprintf(err->msg, sizeof(err->msg),
			 "include nested deeper "
			 "than %d",
			 ENGINE_MAX_INCLUDE);
		return -1;
	}
	if (path[0] == '/')
		n = snprintf(full, sizeof(full), "%s", path);
	else
		n = snprintf(full, sizeof(full), "%s/%s", l->dir, path);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		snprintf(err->msg, sizeof(err->msg), "include path too long");
		return -1;
	}
	return engine_file(l, full, depth, err);
}

static int
engine_file(struct engine_load *l, const char *path, int depth,
	    struct sp_rules_error *err)
{
	struct sp_rules_opts o = {engine_include, l, depth, 0, 0};
	char saved[sizeof(l->dir)], tmp[4096];
	struct buf b;
	int rc;

	buf_init(&b, ENGINE_MAX_FILE);
	if (engine_read(path, &b, err) < 0) {
		buf_free(&b);
		return -1;
	}
	memcpy(saved, l->dir, sizeof(saved));
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(l->dir, sizeof(l->dir), "%s", dirname(tmp));
	rc = sp_rules_parse(&l->e->rs, path, buf_str(&b), b.len, &o, err);
	memcpy(l->dir, saved, sizeof(saved));
	buf_free(&b);
	l->e->nfiles++;
	return rc;
}

static int
engine_cf(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 3 && d->d_name[0] != '.' &&
	       strcmp(d->d_name + n - 3, ".cf") == 0;
}

static int
engine_path(struct engine_load *l, const char *path, struct sp_rules_error *err)
{
	struct dirent **ents;
	struct stat st;
	char full[8200];
	int i, n, rc = 0;

	if (stat(path, &st) < 0) {
		snprintf(err->msg, sizeof(err->msg), "rules_path %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return engine_file(l, path, 0, err);
	if ((n = scandir(path, &ents, engine_cf, alphasort)) < 0) {
		snprintf(err->msg, sizeof(err->msg), "rules_path %s: %s", path,
			 strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(full, sizeof(full), "%s/%s", path, ents[i]->d_name);
		if (rc == 0)
			rc = engine_file(l, full, 0, err);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* Metas in dependency order (depth-first); a meta in a loop is skipped. */
static int
engine_order(struct sp_engine *e)
{
	struct sp_ruleset *rs = &e->rs;
	unsigned char *state;
	size_t *stack, i;

	if ((state = calloc(rs->n + 1, 1)) == NULL ||
	    (stack = calloc(rs->n + 1, sizeof(size_t))) == NULL ||
	    (e->metas = calloc(rs->n + 1, sizeof(size_t))) == NULL) {
		free(state);
		return -1;
	}
	for (i = 0; i < rs->n; i++) {
		size_t sp = 0;

		if (rs->v[i].type != SP_R_META || rs->v[i].skip || state[i])
			continue;
		stack[sp++] = i;
		state[i] = 1;
		while (sp > 0) {
			size_t top = stack[sp - 1], k, nd;
			const long *deps;
			int pushed = 0;

			nd = sp_meta_deps(rs->v[top].prog, &deps);
			for (k = 0; k < nd && !pushed; k++) {
				size_t d = (size_t)deps[k];

				if (rs->v[d].type != SP_R_META ||
				    rs->v[d].skip != NULL || state[d] == 2)
					continue;
				if (state[d] == 1) { /* a loop */
					rs->v[top].skip = "meta loop";
					continue;
				}
				state[d] = 1;
				stack[sp++] = d;
				pushed = 1;
			}
			if (pushed)
				continue;
			state[top] = 2;
			if (rs->v[top].skip == NULL)
				e->metas[e->nmetas++] = top;
			sp--;
		}
	}
	free(state);
	free(stack);
	for (i = 0; i < e->nmetas; i++)
		if (sp_meta_batch_add(&e->meta_batch, rs->v[e->metas[i]].prog,
				      (long)e->metas[i]) < 0)
			return -1;
	if ((e->evals = calloc(rs->n + 1, sizeof(size_t))) == NULL)
		return -1;
	for (i = 0; i < rs->n; i++)
		if (rs->v[i].type == SP_R_EVAL && rs->v[i].skip == NULL &&
		    rs->v[i].ev != NULL)
			e->evals[e->nevals++] = i;
	return 0;
}

static int
engine_build(struct sp_engine *e, const struct sp_engine_opts *o,
	     struct sp_rules_error *err)
{
	struct engine_load l;
	char *paths, *save = NULL, *p;
	const char *rp =
	    o->rules_path && *o->rules_path ? o->rules_path : SP_RULES_DIR;
	size_t i;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	l.e = e;
	snprintf(l.dir, sizeof(l.dir), ".");
	e->rs.have_bayes = o->bayes_path != NULL && *o->bayes_path != '\0';
	e->rs.network = o->network;
	if (sp_rules_parse(&e->rs, "(built-in)", engine_builtin,
			   sizeof(engine_builtin) - 1, NULL, err) < 0)
		return -1;
	if ((paths = strdup(rp)) == NULL)
		return -1;
	for (p = strtok_r(paths, ":", &save); p && rc == 0;
	     p = strtok_r(NULL, ":", &save))
		rc = engine_path(&l, p, err);
	free(paths);
	if (rc < 0 || sp_rules_finish(&e->rs, err) < 0 || engine_order(e) < 0)
		return -1;
	for (i = 0; i < e->rs.n; i++)
		if (e->rs.v[i].type == SP_R_BAYES && e->rs.v[i].skip == NULL) {
			size_t *nb = reallocarray(e->bayes, e->nbayes + 1,
						  sizeof(size_t));

			if (nb == NULL)
				return -1;
			e->bayes = nb;
			e->bayes[e->nbayes++] = i;
		}
	return 0;
}

static int
engine_net(struct sp_engine *e, const struct sp_engine_opts *o, char *err,
	   size_t errlen)
{
	struct sp_net_opts no;

	memset(&no, 0, sizeof(no));
	no.server = o->dns_server;
	no.timeout_ms = o->dns_timeout_ms;
	no.hostname = o->hostname;
	return sp_net_new(&no, &e->rs, &e->net, err, errlen);
}

int
sp_engine_new(const struct sp_engine_opts *o, struct sp_engine **out, char *err,
	      size_t errlen)
{
	struct sp_rules_error re;
	struct sp_engine *e;

	*out = NULL;
	memset(&re, 0, sizeof(re));
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sp_rules_init(&e->rs);
	e->required = o->required_score;
	e->lim = o->lim;
	e->auto_learn = o->auto_learn;
	e->al_thr = o->al_thresholds;
	if (o->bayes_path != NULL && *o->bayes_path != '\0' &&
	    sp_bayes_pool_new(o->bayes_path, &e->bayes_pool) < 0) {
		snprintf(err, errlen, "out of memory");
		sp_engine_free(&e);
		return -1;
	}
	if (engine_build(e, o, &re) < 0) {
		if (re.line > 0 && re.file[0] != '\0')
			snprintf(err, errlen, "%s:%d: %s", re.file, re.line,
				 re.msg);
		else
			snprintf(err, errlen, "%s",
				 re.msg[0] ? re.msg : "out of memory");
		sp_engine_free(&e);
		return -1;
	}
	if (o->network && engine_net(e, o, err, errlen) < 0) {
		sp_engine_free(&e);
		return -1;
	}
	if (sp_match_build_cached(&e->rs, o->cache_dir, &e->m, err, errlen) <
	    0) {
		sp_engine_free(&e);
		return -1;
	}
	*out = e;
	return 0;
}

void
sp_engine_free(struct sp_engine **ep)
{
	struct sp_engine *e = *ep;

	if (e == NULL)
		return;
	sp_net_free(&e->net);
	sp_match_free(&e->m);
	sp_rules_free(&e->rs);
	free(e->metas);
	free(e->evals);
	sp_meta_batch_free(&e->meta_batch);
	free(e->bayes);
	sp_bayes_pool_free(&e->bayes_pool);
	free(e);
	*ep = NULL;
}

const struct sp_ruleset *
sp_engine_rules(const struct sp_engine *e)
{
	return &e->rs;
}

int
sp_engine_have_bayes(void)
{
	return 1;
}

void
sp_engine_match_stats(const struct sp_engine *e, struct sp_match_stats *st)
{
	sp_match_stats(e->m, st);
}

void
sp_engine_stats(const struct sp_engine *e, struct sp_load_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	st->files = e->nfiles;
	for (i = 0; i < e->rs.n; i++) {
		const struct sp_rule *r = &e->rs.v[i];

		if (r->skip != NULL) {
			st->skipped++;
			continue;
		}
		st->loaded[r->type]++;
		st->live++;
	}
}

static int
engine_hit_cmp(const void *a, const void *b)
{
	const struct sp_rule *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Bayes bands, metas, then the sum. */
static int
engine_score(const struct sp_engine *e, double *values, struct sp_result *res)
{
	const struct sp_ruleset *rs = &e->rs;
	size_t i;

	for (i = 0; i < e->nbayes && res->bayes >= 0; i++) {
		const struct sp_rule *r = &rs->v[e->bayes[i]];

		values[e->bayes[i]] =
		    res->bayes >= r->bayes_lo &&
		    (res->bayes < r->bayes_hi || r->bayes_hi >= 1.0);
	}
	sp_meta_batch_run(e->meta_batch, values);
	if ((res->hits = calloc(rs->n + 1, sizeof(*res->hits))) == NULL)
		return -1;
	for (i = 0; i < rs->n; i++) {
		const struct sp_rule *r = &rs->v[i];
		double s;

		if (values[i] == 0 || r->skip != NULL ||
		    strncmp(r->name, "__", 2) == 0)
			continue;
		if ((s = sp_rule_score(r, res->score_set)) == 0)
			continue;
		res->score += s;
		res->hits[res->nhits++] = r;
	}
	qsort(res->hits, res->nhits, sizeof(*res->hits), engine_hit_cmp);
	res->is_spam = res->score >= res->required;
	return 0;
}

/* A rule's type as auto-learn counts it: SpamAssassin's DNSBL, SPF and
 * DKIM evals are header tests, its URI blocklists body tests. */
static enum sp_rtype
engine_al_type(const struct sp_rule *r)
{
	if (r->type != SP_R_NET || r->net == NULL)
		return r->type;
	return r->net->kind == SP_NET_URIBL ? SP_R_URI : SP_R_HEADER;
}

/* Meta: how many of the rules it reads are header / body rules. */
static void
engine_meta_deps(const struct sp_ruleset *rs, const struct sp_rule *r,
		 struct sp_al_hit *h)
{
	const long *deps;
	size_t k, nd = sp_meta_deps(r->prog, &deps);

	for (k = 0; k < nd; k++) {
		enum sp_rtype t = engine_al_type(&rs->v[deps[k]]);

		if (t == SP_R_HEADER)
			h->head_deps++;
		else if (t == SP_R_BODY || t == SP_R_RAWBODY || t == SP_R_URI)
			h->body_deps++;
	}
}

/* The auto-learn decision over the rules that fired, scored in the set
 * without Bayes (a rule may score 0 with Bayes and not be in hits). */
static int
engine_autolearn_decide(const struct sp_engine *e, const double *values,
			struct sp_result *res)
{
	const struct sp_ruleset *rs = &e->rs;
	struct sp_al_hit *h;
	size_t i, n = 0;

	if ((h = calloc(rs->n + 1, sizeof(*h))) == NULL)
		return -1;
	for (i = 0; i < rs->n; i++) {
		const struct sp_rule *r = &rs->v[i];

		if (values[i] == 0 || r->skip != NULL ||
		    strncmp(r->name, "__", 2) == 0)
			continue;
		h[n].type = engine_al_type(r);
		h[n].tflags = r->tflags;
		h[n].score = sp_rule_score(r, res->score_set & ~2);
		h[n].learn_score = sp_rule_score(r, res->score_set);
		if (r->type == SP_R_META && r->prog != NULL)
			engine_meta_deps(rs, r, &h[n]);
		n++;
	}
	sp_al_points(h, n, &res->al_points);
	res->al_want = sp_al_decide(&res->al_points, res->is_spam, &e->al_thr);
	free(h);
	return 0;
}

void
sp_engine_autolearn(const struct sp_engine *e, struct sp_result *r, int busy_ms,
		    char *err, size_t errlen)
{
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (r->al_want < 0 || r->al_sample == NULL || r->autolearn != SP_AL_NO)
		return;
	rc = sp_bayes_learn(e->bayes_pool, r->al_sample, r->al_want, busy_ms,
			    err, errlen);
	if (rc > 0)
		r->autolearn = r->al_want ? SP_AL_SPAM : SP_AL_HAM;
	else if (rc < 0)
		r->autolearn = SP_AL_FAILED;
}

int
sp_engine_check(const struct sp_engine *e, const char *raw, size_t len,
		const char *envfrom, struct sp_result *res, char *err,
		size_t errlen)
{
	struct sp_envelope env = {NULL, NULL, envfrom};

	return sp_engine_check_env(e, raw, len, &env, res, err, errlen);
}

/* Runs the network tests into values; no client address in env: the
 * first Received header naming a public one. */
static int
engine_net_check(const struct sp_engine *e, const struct sp_view *v,
		 const struct sp_envelope *env, double *values)
{
	struct sp_net_env ne = {env->client_ip, env->helo, env->envfrom,
				env->given};
	char ip[64];
	size_t i;

	for (i = 0; ne.client_ip == NULL && i < v->nheaders; i++)
		if (strcasecmp(v->headers[i].name, "Received") == 0 &&
		    sp_net_received_ip(v->headers[i].raw, ip, sizeof(ip)) == 0)
			ne.client_ip = ip;
	return sp_net_check(e->net, &e->rs, v, &ne, values);
}

/* SpamAssassin's X-Spam-Relays-{Trusted,Untrusted,Internal,External}
 * metadata headers from the Received chain, for the header rules. */
static int
engine_pseudo(struct sp_evctx *c, struct sp_view *v)
{
	/* and PerMsgStatus's ALL-TRUSTED... (the header fields of each
	 * part of the chain: __DOS_RELAYED_EXT reads ALL-EXTERNAL) */
	static const char *const names[] = {"X-Spam-Relays-Trusted",
					    "X-Spam-Relays-Untrusted",
					    "X-Spam-Relays-Internal",
					    "X-Spam-Relays-External",
					    "ALL-TRUSTED",
					    "ALL-UNTRUSTED",
					    "ALL-INTERNAL",
					    "ALL-EXTERNAL"};
	const struct sp_relays *r = sp_ev_relays(c);
	int k;

	if ((v->pseudo = calloc(8, sizeof(*v->pseudo))) == NULL)
		return -1;
	for (k = 0; k < 8; k++) {
		struct sp_header *h = &v->pseudo[v->npseudo];
		struct buf b;

		buf_init(&b, (size_t)1 << 20);
		if ((k < 4 ? sp_relays_string(r, k, &b)
			   : sp_relays_all_text(v, r, k - 4, &b)) < 0 ||
		    buf_add(&b, "", 0) < 0 ||
		    (h->raw = buf_steal(&b)) == NULL ||
		    (h->decoded = strdup(h->raw)) == NULL ||
		    (h->name = strdup(names[k])) == NULL) {
			buf_free(&b);
			free(h->raw);
			free(h->decoded);
			return -1;
		}
		v->npseudo++;
	}
	return 0;
}

int
sp_engine_check_env(const struct sp_engine *e, const char *raw, size_t len,
		    const struct sp_envelope *env, struct sp_result *res,
		    char *err, size_t errlen)
{
	const char *envfrom = env->envfrom;
	struct sp_evctx ec;
	struct sp_view v;
	double *values;
	char perr[128];
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&ec, 0, sizeof(ec));
	res->required = e->required;
	res->bayes = -1;
	res->al_want = -1;
	res->autolearn = e->auto_learn && e->bayes_pool == NULL
			     ? SP_AL_UNAVAILABLE
			     : SP_AL_NO;
	if (sp_view_parse(raw, len, &e->lim, &v, perr, sizeof(perr)) < 0 &&
	    v.body_text == NULL) {
		snprintf(err, errlen, "MIME: %s", perr);
		sp_view_clear(&v);
		return -1;
	}
	res->truncated = v.truncated;
	if ((values = calloc(e->rs.n + 1, sizeof(double))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ec.v = &v;
	ec.rs = &e->rs;
	ec.evals = e->evals;
	ec.nevals = e->nevals;
	ec.envfrom = envfrom;
	ec.now = time(NULL);
	if (engine_pseudo(&ec, &v) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (sp_match_run(e->m, &e->rs, &v, sp_ev_envfrom(&ec), values, err,
			 errlen) < 0)
		goto out;
	if (e->net != NULL && engine_net_check(e, &v, env, values) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (sp_ev_run(&ec, values) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* tokens and digest once, for the probability and for learning;
	 * the digest only when auto-learn may use it */
	if (e->bayes_pool != NULL &&
	    (e->auto_learn || (e->rs.have_bayes && e->nbayes > 0)) &&
	    (e->auto_learn ? sp_bayes_sample_new(&v, &res->al_sample)
			   : sp_bayes_sample_tokens(&v, &res->al_sample)) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (e->rs.have_bayes && e->nbayes > 0)
		res->bayes = sp_bayes_prob(e->bayes_pool, res->al_sample);
	/* SpamAssassin's score sets: +1 with network tests, +2 with Bayes */
	res->score_set = (res->bayes >= 0 ? 2 : 0) + (e->net != NULL ? 1 : 0);
	if (engine_score(e, values, res) < 0 ||
	    (e->auto_learn && res->al_sample != NULL &&
	     engine_autolearn_decide(e, values, res) < 0)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (res->al_want < 0)
		sp_bayes_sample_free(&res->al_sample);
	rc = 0;
out:
	free(values);
	sp_ev_ctx_clear(&ec);
	sp_view_clear(&v);
	if (rc < 0)
		sp_result_clear(res);
	return rc;
}

void
sp_result_clear(struct sp_result *r)
{
	free(r->hits);
	r->hits = NULL;
	r->nhits = 0;
	sp_bayes_sample_free(&r->al_sample);
}
