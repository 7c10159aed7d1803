/* lib/spam/match_build.c - the groups of a matcher: the live pattern
 * rules sorted into groups (match_partition), each group loaded from the
 * cache directory when its file is there (match_cache.c), the others
 * compiled on a few threads and saved; see match.h
 * (sp_match_build_cached) and match_int.h.
 *
 * A group depends on its own patterns only (match_cache_key), never on
 * rule indices, so a rule added to a rule set changes the key of the
 * group it lands in, and no other. Rules of different directories go to
 * different groups: SpamAssassin's groups are then the same with or
 * without rules/ or a site's rules (a build of either loads the other's
 * files), and a site's rule added compiles a small group of the site's,
 * not SpamAssassin's largest (a look-alike body group takes half a
 * minute). That costs a scan a few more databases (one per text those
 * directories have rules for: 21 with rules/, most of them headers).
 *
 * Each group is compiled on its own (hyperscan's compiler is thread-safe
 * for separate calls); what a compile gives does not depend on the
 * thread that ran it, so the files are the same whatever the count. One
 * build at a time compiles into a directory: the first takes
 * DIR/hg.lock, another waits for it, then loads what it wrote. */
#include "match_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MATCH_MAX_THREADS 8

int
match_push(size_t **v, size_t *n, size_t x)
{
	size_t *nv = reallocarray(*v, *n + 1, sizeof(size_t));

	if (nv == NULL)
		return -1;
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

/* ---- partition ---- */

/* The length of the directory part of a rule's file name. */
static size_t
match_dirlen(const char *file)
{
	const char *slash = strrchr(file, '/');

	return slash != NULL ? (size_t)(slash - file) : 0;
}

/* The open group rule r goes to (same text and directory, not full), or
 * a new one. */
static struct mgroup *
match_group(struct sp_matcher *m, const struct sp_rule *r, size_t ri, int la)
{
	const char *file = r->file != NULL ? r->file : "";
	size_t dl = match_dirlen(file), i;
	struct mgroup *g;

	for (i = 0; i < m->ng; i++) {
		g = &m->g[i];
		if (g->type != r->type || g->lookalike != la ||
		    g->nrules >= (la ? MATCH_CHUNK_LOOKALIKE : MATCH_CHUNK) ||
		    g->olen != dl || strncmp(g->origin, file, dl) != 0)
			continue;
		if (r->type != SP_R_HEADER ||
		    (g->hmod == r->hmod && strcasecmp(g->hdr, r->hdr) == 0))
			return g;
	}
	g = reallocarray(m->g, m->ng + 1, sizeof(*g));
	if (g == NULL)
		return NULL;
	m->g = g;
	g = &m->g[m->ng++];
	memset(g, 0, sizeof(*g));
	g->type = r->type;
	g->hdr = r->hdr;
	g->hmod = r->hmod;
	g->first = ri;
	g->origin = file;
	g->olen = dl;
	g->lookalike = (unsigned char)la;
	return g;
}

/* Every live pattern rule into its group, in rule order. */
static int
match_partition(struct sp_matcher *m, const struct sp_ruleset *rs)
{
	struct mgroup *g;
	size_t i;
	int la;

	for (i = 0; i < rs->n && i < m->nre; i++) {
		if (m->re[i] == NULL)
			continue;
		if ((la = match_lookalike(&rs->v[i])) < 0 ||
		    (g = match_group(m, &rs->v[i], i, la)) == NULL ||
		    match_push(&g->rules, &g->nrules, i) < 0)
			return -1;
	}
	return 0;
}

/* ---- compile ---- */

/* Sorts rule i of g: exact, prefilter or PCRE2 only. */
static int
match_classify(struct mgroup *g, const struct sp_rule *r, size_t i)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *ce = NULL;
	unsigned f = match_hs_flags(r);
	unsigned char confirm = 0;
	unsigned char *nc;

	if (r->re_flags & SP_RE_X)
		goto pcre;
	if (hs_expression_info(r->re, f, &info, &ce) != HS_SUCCESS) {
		hs_free_compile_error(ce);
		ce = NULL;
		/* Prefilter databases are costly to compile: only for
		 * patterns PCRE2 would run slowly on every message. */
		if (strlen(r->re) < 40 ||
		    hs_expression_info(r->re, f | HS_FLAG_PREFILTER, &info,
				       &ce) != HS_SUCCESS) {
			hs_free_compile_error(ce);
			goto pcre;
		}
		confirm = 1;
	}
	free(info);
	if ((nc = realloc(g->hs_confirm, g->nhs + 1)) == NULL)
		return -1;
	g->hs_confirm = nc;
	nc[g->nhs] = confirm;
	return match_push(&g->hs_rule, &g->nhs, i);
pcre:
	return match_push(&g->pc_rule, &g->npc, i);
}

/* Pattern k of g was refused: the next compile tries its relaxed form
 * (match_relax()) in its place, confirmed by PCRE2. 1 relaxed, 0 not (it
 * was already: the relaxed form was refused too), -1 ENOMEM. */
static int
match_relax_one(const struct sp_ruleset *rs, struct mgroup *g, size_t k,
		char **rx)
{
	const char *re = rs->v[g->hs_rule[k]].re;
	size_t cap = strlen(re) + 1;

	if (rx[k] != NULL)
		return 0;
	if ((rx[k] = malloc(cap)) == NULL)
		return -1;
	if (match_relax(re, rx[k], cap) < 0) { /* verbs, conditionals... */
		free(rx[k]);
		rx[k] = NULL;
		return 0;
	}
	g->hs_confirm[k] = 1;
	return 1;
}

/* Removes pattern k from g's hyperscan list (it runs in PCRE2 alone). */
static int
match_drop_one(struct mgroup *g, size_t k, char **rx)
{
	size_t tail = g->nhs - k - 1;

	if (match_push(&g->pc_rule, &g->npc, g->hs_rule[k]) < 0)
		return -1;
	free(rx[k]);
	memmove(&g->hs_rule[k], &g->hs_rule[k + 1], tail * sizeof(size_t));
	memmove(&g->hs_confirm[k], &g->hs_confirm[k + 1], tail);
	memmove(&rx[k], &rx[k + 1], tail * sizeof(char *));
	rx[--g->nhs] = NULL;
	return 0;
}

/* One hs_compile_multi() of g's patterns (rx[k] in place of a refused
 * one). *ok = 1 and g->db built, or *ok = 0 and the index of the refused
 * pattern returned (g->nhs: not one pattern's fault). */
static size_t
match_compile_try(const struct sp_ruleset *rs, struct mgroup *g,
		  char *const *rx, const char **ex, unsigned *fl, unsigned *ids,
		  int *ok)
{
	hs_compile_error_t *ce = NULL;
	size_t k;

	for (k = 0; k < g->nhs; k++) {
		const struct sp_rule *r = &rs->v[g->hs_rule[k]];

		ex[k] = rx[k] != NULL ? rx[k] : r->re;
		fl[k] =
		    match_hs_flags(r) |
		    (g->hs_confirm[k] && rx[k] == NULL ? HS_FLAG_PREFILTER : 0);
		ids[k] = (unsigned)k;
	}
	*ok = hs_compile_multi(ex, fl, ids, (unsigned)g->nhs, HS_MODE_BLOCK,
			       NULL, &g->db, &ce) == HS_SUCCESS;
	if (*ok)
		return 0;
	k = ce->expression >= 0 ? (size_t)ce->expression : g->nhs;
	hs_free_compile_error(ce);
	g->db = NULL;
	return k;
}

/* Builds the group's database. A pattern the full compile refuses is
 * tried relaxed (match_relax_one), else moves to PCRE2 only, and the
 * compile is retried (bounded). */
static int
match_compile_db(const struct sp_ruleset *rs, struct mgroup *g)
{
	const char **ex = NULL;
	unsigned *fl = NULL, *ids = NULL;
	char **rx = NULL;
	size_t k, tries, n0 = g->nhs;
	int rc = -1, ok = 0, r;

	if (g->nhs == 0)
		return 0;
	ex = calloc(g->nhs, sizeof(*ex));
	fl = calloc(g->nhs, sizeof(*fl));
	ids = calloc(g->nhs, sizeof(*ids));
	rx = calloc(g->nhs, sizeof(*rx));
	if (ex == NULL || fl == NULL || ids == NULL || rx == NULL)
		goto out;
	for (tries = 0; tries < 64 && g->nhs > 0; tries++) {
		k = match_compile_try(rs, g, rx, ex, fl, ids, &ok);
		if (ok || k >= g->nhs)
			break;
		if ((r = match_relax_one(rs, g, k, rx)) < 0 ||
		    (r == 0 && match_drop_one(g, k, rx) < 0))
			goto out;
	}
	if (!ok) { /* give up on hyperscan for this group */
		for (k = 0; k < g->nhs; k++)
			if (match_push(&g->pc_rule, &g->npc, g->hs_rule[k]) < 0)
				goto out;
		g->nhs = 0;
	} else if (g->lookalike && (match_compile_form(rs, g, MATCH_FORM_PLAIN,
						       ex, fl, ids) < 0 ||
				    match_compile_form(rs, g, MATCH_FORM_LATIN,
						       ex, fl, ids) < 0))
		goto out;
	rc = 0;
out:
	for (k = 0; rx != NULL && k < n0; k++) /* dropped ones are NULL */
		free(rx[k]);
	free(ex);
	free(fl);
	free(ids);
	free(rx);
	return rc;
}

/* Classifies and compiles one group. 0, or -1 ENOMEM. */
static int
match_compile_group(const struct sp_ruleset *rs, struct mgroup *g)
{
	size_t k;

	for (k = 0; k < g->nrules; k++)
		if (match_classify(g, &rs->v[g->rules[k]], g->rules[k]) < 0)
			return -1;
	return match_compile_db(rs, g);
}

/* ---- the pool ---- */

struct pool {
	const struct sp_ruleset *rs;
	struct mgroup *g;
	const size_t *todo; /* indices into g, the costliest first */
	size_t ntodo, next;
	const char *dir; /* the cache, or NULL */
	size_t saved;
	char why[256]; /* the first save's failure */
	int failed;
	pthread_mutex_t mu;
};

/* Saves group g as soon as it is compiled: a build cut short (killed,
 * a test's timeout) keeps what it did. */
static void
pool_save(struct pool *p, const struct mgroup *g)
{
	char why[sizeof(p->why)];
	int rc;

	if (p->dir == NULL || !g->keyed)
		return;
	rc = match_cache_save(g, p->dir, why, sizeof(why));
	pthread_mutex_lock(&p->mu);
	if (rc == 0)
		p->saved++;
	else if (p->why[0] == '\0')
		snprintf(p->why, sizeof(p->why), "%s", why);
	pthread_mutex_unlock(&p->mu);
}

static void *
pool_work(void *arg)
{
	struct pool *p = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		if (p->failed || p->next >= p->ntodo) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		i = p->todo[p->next++];
		pthread_mutex_unlock(&p->mu);
		if (match_compile_group(p->rs, &p->g[i]) < 0) {
			pthread_mutex_lock(&p->mu);
			p->failed = 1;
			pthread_mutex_unlock(&p->mu);
		} else
			pool_save(p, &p->g[i]);
	}
}

static unsigned
pool_threads(unsigned want, size_t jobs)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (want == 0)
		want = cpus > 0 ? (unsigned)cpus : 1;
	if (want > MATCH_MAX_THREADS)
		want = MATCH_MAX_THREADS;
	if (want > jobs)
		want = (unsigned)jobs;
	return want > 0 ? want : 1;
}

/* Whether group x should start before y: look-alike groups take the
 * longest (their forms too), then the largest; started first, they do
 * not end the run alone. */
static int
pool_before(const struct mgroup *g, size_t x, size_t y)
{
	if (g[x].lookalike != g[y].lookalike)
		return g[x].lookalike;
	if (g[x].nrules != g[y].nrules)
		return g[x].nrules > g[y].nrules;
	return x < y;
}

/* Insertion sort: a few hundred groups at most. */
static void
pool_sort(const struct mgroup *g, size_t *todo, size_t n)
{
	size_t i, j, v;

	for (i = 1; i < n; i++) {
		v = todo[i];
		for (j = i; j > 0 && pool_before(g, v, todo[j - 1]); j--)
			todo[j] = todo[j - 1];
		todo[j] = v;
	}
}

/* Compiles the groups in todo (reordered) on up to `threads` threads,
 * this one included, and saves each in dir (NULL: no cache); m->st says
 * what was saved. 0, or -1 ENOMEM. */
static int
pool_run(struct sp_matcher *m, const struct sp_ruleset *rs, const char *dir,
	 size_t *todo, size_t ntodo, unsigned threads)
{
	struct pool p;
	pthread_t tid[MATCH_MAX_THREADS];
	unsigned n = pool_threads(threads, ntodo), started = 0, k;

	pool_sort(m->g, todo, ntodo);
	memset(&p, 0, sizeof(p));
	p.rs = rs;
	p.g = m->g;
	p.todo = todo;
	p.ntodo = ntodo;
	p.dir = dir;
	pthread_mutex_init(&p.mu, NULL);
	while (started + 1 < n &&
	       pthread_create(&tid[started], NULL, pool_work, &p) == 0)
		started++;
	(void)pool_work(&p);
	for (k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
	pthread_mutex_destroy(&p.mu);
	m->st.cache_written = p.saved > 0;
	snprintf(m->st.cache_error, sizeof(m->st.cache_error), "%s", p.why);
	if (p.saved > 0)
		match_cache_prune(dir);
	return p.failed ? -1 : 0;
}

/* ---- the whole ---- */

/* Loads each keyed group not loaded yet; *missing counts the others. */
static int
build_load(struct sp_matcher *m, const struct sp_ruleset *rs, const char *dir,
	   size_t *missing)
{
	size_t i;
	int rc;

	*missing = 0;
	for (i = 0; i < m->ng; i++) {
		struct mgroup *g = &m->g[i];

		if (g->loaded)
			continue;
		if (g->keyed && (rc = match_cache_load(g, rs, dir)) != 0) {
			if (rc < 0)
				return -1;
			g->loaded = 1;
			m->st.groups_loaded++;
			continue;
		}
		(*missing)++;
	}
	return 0;
}

int
match_build_groups(struct sp_matcher *m, const struct sp_ruleset *rs,
		   const char *dir, unsigned threads, int *lock)
{
	unsigned char base[MATCH_KEY_LEN];
	size_t i, n = 0, miss = 0, *todo = NULL;
	int cached;

	*lock = -1;
	if (match_partition(m, rs) < 0)
		return -1;
	cached = dir != NULL && *dir != '\0' && match_cache_base(base) == 0;
	for (i = 0; cached && i < m->ng; i++)
		m->g[i].keyed = match_cache_key(base, rs, &m->g[i]) == 0;
	if (build_load(m, rs, dir, &miss) < 0)
		return -1;
	/* another build may be compiling them: wait for it, then load
	 * what it wrote */
	if (cached && miss > 0 && (*lock = match_cache_lock(dir)) >= 0 &&
	    build_load(m, rs, dir, &miss) < 0)
		return -1;
	if (miss > 0 && (todo = calloc(miss, sizeof(*todo))) == NULL)
		return -1;
	for (i = 0; i < m->ng && n < miss; i++)
		if (!m->g[i].loaded)
			todo[n++] = i;
	if (n > 0 &&
	    pool_run(m, rs, cached ? dir : NULL, todo, n, threads) < 0) {
		free(todo);
		return -1;
	}
	m->st.groups = m->ng;
	m->st.groups_compiled = n;
	m->st.from_cache = cached && n == 0 && m->ng > 0;
	free(todo);
	return 0;
}
