/* lib/spam/match.c - the pattern pass; see match.h.
 *
 * Each rule's pattern is compiled by PCRE2 first: PCRE2 is the reference,
 * and a pattern it refuses is skipped whatever hyperscan thinks. Then
 * match_build.c sorts the patterns into groups, one or more per scanned
 * text, and each group's into exact hyperscan, prefilter hyperscan
 * (+PCRE2 confirmation) and PCRE2 only; a pattern hyperscan finds too
 * large is prefiltered relaxed (match_relax). */
#include "match_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msgview.h"
#include "re_limits.h"
#include "rules_int.h"

static int
match_is_pattern(const struct sp_rule *r)
{
	return r->skip == NULL && r->re != NULL && !r->exists &&
	       (r->type == SP_R_HEADER || r->type == SP_R_BODY ||
		r->type == SP_R_RAWBODY || r->type == SP_R_URI ||
		r->type == SP_R_FULL);
}

/* Compiles with PCRE2 (JIT when possible); a refused pattern skips the
 * rule. 1 compiled, 0 skipped, -1 ENOMEM. */
static int
match_pcre(struct sp_matcher *m, struct sp_ruleset *rs, size_t i)
{
	struct sp_rule *r = &rs->v[i];
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	int ec;

	m->re[i] = pcre2_compile((PCRE2_SPTR)r->re, PCRE2_ZERO_TERMINATED,
				 match_pcre_flags(r), &ec, &off, NULL);
	if (m->re[i] != NULL)
		return 1;
	pcre2_get_error_message(ec, msg, sizeof(msg));
	r->skip = "bad regex";
	m->st.bad_regex++;
	return rules_skip(rs, r->name, r->file, r->line,
			  "bad regex at "
			  "offset %zu: %s",
			  (size_t)off, (char *)msg) < 0
		   ? -1
		   : 0;
}

/* Counts what the groups hold and allocates the scratch they need: the
 * same whether they were compiled or loaded. */
static int
match_finish(struct sp_matcher *m)
{
	const struct mgroup *g;
	size_t i, k;
	int f;

	for (i = 0; i < m->ng; i++) {
		g = &m->g[i];
		for (k = 0; k < g->nhs; k++)
			g->hs_confirm[k] ? m->st.hs_prefilter++
					 : m->st.hs_exact++;
		m->st.pcre_only += g->npc;
		for (k = 0; g->fpc != NULL && k < MATCH_FORMS * g->npc; k++)
			m->st.form_prefilters += g->fpc[k];
		if (g->db == NULL)
			continue;
		m->st.databases++;
		if (hs_alloc_scratch(g->db, &m->pool->proto) != HS_SUCCESS)
			return -1;
		for (f = 0; f < MATCH_FORMS; f++) {
			if (g->fdb[f] == NULL)
				continue;
			m->st.form_databases++;
			if (hs_alloc_scratch(g->fdb[f], &m->pool->proto) !=
			    HS_SUCCESS)
				return -1;
		}
	}
	return 0;
}

/* m->vflag: what a scan needs of each rule to set its value, in one
 * byte, so that it reads no struct sp_rule per rule and message. */
static int
match_vflags(struct sp_matcher *m, const struct sp_ruleset *rs)
{
	size_t i;

	if ((m->vflag = calloc(rs->n ? rs->n : 1, 1)) == NULL)
		return -1;
	for (i = 0; i < rs->n; i++) {
		const struct sp_rule *r = &rs->v[i];
		int neg = r->type == SP_R_HEADER && r->negate;

		if (neg)
			m->vflag[i] |= MATCH_VF_NEGATE;
		else if (r->tflags & SP_TF_MULTIPLE)
			m->vflag[i] |= MATCH_VF_COUNT;
	}
	return 0;
}

/* PCRE2 for every pattern rule, and the header exists: list. */
static int
match_prepare(struct sp_matcher *m, struct sp_ruleset *rs)
{
	size_t i;
	int rc;

	for (i = 0; i < rs->n; i++) {
		struct sp_rule *r = &rs->v[i];

		if (r->skip == NULL && r->type == SP_R_HEADER && r->exists) {
			if (match_push(&m->exists, &m->nexists, i) < 0)
				return -1;
			continue;
		}
		if (!match_is_pattern(r))
			continue;
		if ((rc = match_pcre(m, rs, i)) < 0)
			return -1;
		if (rc == 1)
			(void)pcre2_jit_compile(m->re[i], PCRE2_JIT_COMPLETE);
		if (rc == 1 && (rc = match_lookalike(r)) != 0 &&
		    (rc < 0 || match_pcre_forms(m, r, i) < 0))
			return -1;
	}
	return 0;
}

int
sp_match_build_threads(struct sp_ruleset *rs, const char *cache_dir,
		       unsigned threads, struct sp_matcher **out, char *err,
		       size_t errlen)
{
	struct sp_matcher *m;
	int lock = -1;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->pool = calloc(1, sizeof(*m->pool))) == NULL ||
	    (m->re = calloc(rs->n ? rs->n : 1, sizeof(*m->re))) == NULL ||
	    (m->mctx = pcre2_match_context_create(NULL)) == NULL)
		goto oom;
	pthread_mutex_init(&m->pool->mu, NULL);
	m->nre = rs->n;
	/* Perl's regex engine has no limit; a hostile body must not make a
	 * backtracking pattern run for minutes (re_limits.h's limits). */
	pcre2_set_match_limit(m->mctx, SP_RE_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, SP_RE_DEPTH_LIMIT);
	if (match_prepare(m, rs) < 0 ||
	    match_build_groups(m, rs, cache_dir, threads, &lock) < 0 ||
	    match_finish(m) < 0 || match_hdr_plan(m, rs) < 0 ||
	    match_vflags(m, rs) < 0)
		goto oom;
	/* under the cache's lock when groups were compiled: so are the
	 * reversed patterns (match_rev.c) that go with them */
	m->rev = match_rev_build(m, rs, cache_dir, &m->pool->proto);
	match_cache_unlock(lock);
	*out = m;
	return 0;
oom:
	match_cache_unlock(lock);
	snprintf(err, errlen,
		 "cannot build the pattern matcher: out of "
		 "memory");
	sp_match_free(&m);
	return -1;
}

int
sp_match_build_cached(struct sp_ruleset *rs, const char *cache_dir,
		      struct sp_matcher **out, char *err, size_t errlen)
{
	return sp_match_build_threads(rs, cache_dir, 0, out, err, errlen);
}

int
sp_match_build(struct sp_ruleset *rs, struct sp_matcher **out, char *err,
	       size_t errlen)
{
	return sp_match_build_cached(rs, NULL, out, err, errlen);
}

/* ---- scanning ---- */

struct scan {
	const struct sp_matcher *m;
	const struct sp_ruleset *rs;
	pcre2_match_data *md;
	hs_scratch_t *scratch;
	unsigned char *hit; /* per hyperscan id of the current group */
	size_t hitcap;
	double *values;
	char *abuf; /* scan_aligned()'s copy, 64-byte aligned */
	size_t acap;
	const char *acopy; /* where in abuf the copy starts */
	int akey;	   /* 1 + the group type whose text abuf holds
			      (body, rawbody, full, uri: one text each per
			      scan); 0: none or a header's, never reused */
	int fkey, form;	   /* match_form() of the text of that key */
	int cform;	   /* the form of the text scan_group() is on, or -1 */
	struct match_hdrs hdrs;
	int hpresent; /* whether the last header text built is present */
};

static int
scan_onmatch(unsigned id, unsigned long long from, unsigned long long to,
	     unsigned flags, void *ctx)
{
	struct scan *s = ctx;

	s->hit[id] = 1;
	return 0;
}

/* By the rule's code for the form of the group's text when it has one
 * (same matches, match_form.c), else its own. */
static int
scan_pcre(struct scan *s, size_t rule, const char *t, size_t n)
{
	const pcre2_code *re = s->m->re[rule];
	int f, rc;

	for (f = s->cform; f >= 0 && f < MATCH_FORMS; f++)
		if (s->m->fre[f] != NULL && s->m->fre[f][rule] != NULL) {
			re = s->m->fre[f][rule];
			break;
		}
	rc = pcre2_match(re, (PCRE2_SPTR)t, n, 0, 0, s->md, s->m->mctx);
	return rc >= 0;
}

/* A prefilter hit confirmed: at the offsets where the rule can start
 * when match_rev.c knows them, else by a whole pcre2_match(). */
static int
scan_confirm(struct scan *s, size_t rule, const char *t, size_t n)
{
	int rc = match_rev_confirm(s->m->rev, rule, t, n, s->scratch, s->md,
				   s->m->mctx);

	return rc >= 0 ? rc : scan_pcre(s, rule, t, n);
}

/* tflags multiple: how many times the rule matches t (at most its
 * maxhits, else 1000), as SpamAssassin counts it for metas. */
static double
scan_count(struct scan *s, size_t rule, const char *t, size_t n)
{
	const struct sp_rule *r = &s->rs->v[rule];
	size_t max = r->maxhits ? r->maxhits : 1000, c = 0, off = 0;

	while (c < max && off <= n) {
		PCRE2_SIZE *ov;

		if (pcre2_match(s->m->re[rule], (PCRE2_SPTR)t, n, off, 0, s->md,
				s->m->mctx) < 0)
			break;
		c++;
		ov = pcre2_get_ovector_pointer(s->md);
		off = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
	}
	return c > 0 ? (double)c : 1.0;
}

static void
scan_set_text(struct scan *s, size_t rule, int matched, const char *t, size_t n)
{
	unsigned char f = s->m->vflag[rule];

	if (matched && (f & MATCH_VF_COUNT) && t != NULL) {
		s->values[rule] = scan_count(s, rule, t, n);
		return;
	}
	s->values[rule] = (f & MATCH_VF_NEGATE) ? !matched : matched != 0;
}

static void
scan_set(struct scan *s, size_t rule, int matched)
{
	scan_set_text(s, rule, matched, NULL, 0);
}

/* Vectorscan 5.4.9's AVX-512 code (Debian 12's libvectorscan5, run on
 * CPUs that have AVX-512) can miss a match in the last bytes of a buffer
 * whose end is not on a 64-byte boundary: its nvermicelli tail scan
 * checks the wrong end of the last vector (VectorCamp/vectorscan#378,
 * fixed after that release). Here FCT_HASHBUSTER, on a spam whose random
 * line ends its body, was hit or missed with the heap's layout. The text
 * hyperscan scans is therefore a copy that ends on a 64-byte boundary; its
 * length, and so every anchor, is unchanged. A message's body, raw body,
 * whole text and URI list are copied once for all their groups; header
 * targets, built in one reused buffer, every time. NULL: out of memory. */
static const char *
scan_aligned(struct scan *s, const struct mgroup *g, const char *t, size_t n)
{
	int key = g->type == SP_R_HEADER ? 0 : (int)g->type + 1;
	size_t pad = (64 - n % 64) % 64, need;

	if (key != 0 && key == s->akey)
		return s->acopy; /* the same text, already copied */
	s->akey = 0;
	need = (pad + n + 63) / 64 * 64;
	if (need > s->acap) {
		free(s->abuf);
		s->acap = 0;
		if ((s->abuf = aligned_alloc(64, need)) == NULL)
			return NULL;
		s->acap = need;
	}
	memcpy(s->abuf + pad, t, n);
	s->acopy = s->abuf + pad;
	s->akey = key;
	return s->acopy;
}

/* The form of the group's text (match_form, once per text), -1 for a
 * header's and where no form serves: a group of no look-alike rules has
 * no form's database, and its rules no form's PCRE2 code (match_form.c
 * gives them to look-alike rules only, and those are grouped apart). */
static int
scan_form(struct scan *s, const struct mgroup *g, const char *t, size_t n)
{
	int key = (int)g->type + 1;

	if (g->type == SP_R_HEADER || !g->lookalike)
		return -1;
	if (s->fkey != key) {
		s->form = match_form(t, n);
		s->fkey = key;
	}
	return s->form;
}

/* The form whose database serves text t: the group's for t's form or a
 * wider form's, else -1 (db). */
static int
scan_dbform(const struct mgroup *g, int form)
{
	int f;

	for (f = form; f >= 0 && f < MATCH_FORMS; f++)
		if (g->fdb[f] != NULL)
			return f;
	return -1;
}

/* PCRE2-only rule j of g on t: not run when the form's database holds
 * its prefilter (match_form.c) and that was not hit. */
static void
scan_pcre_only(struct scan *s, const struct mgroup *g, int dbf, size_t j,
	       const char *t, size_t n)
{
	size_t i = g->pc_rule[j];

	if (dbf >= 0 && g->fpc != NULL && g->fpc[(size_t)dbf * g->npc + j] &&
	    !s->hit[g->nhs + j])
		scan_set_text(s, i, 0, t, n);
	else
		scan_set_text(s, i, scan_pcre(s, i, t, n), t, n);
}

static int
scan_group(struct scan *s, const struct mgroup *g, const char *t, size_t n)
{
	const char *at;
	size_t k, nid = g->nhs + g->npc;
	int dbf = -1;

	s->cform = scan_form(s, g, t, n);
	if (g->db != NULL) {
		if (nid > s->hitcap) {
			unsigned char *nh = realloc(s->hit, nid);

			if (nh == NULL)
				return -1;
			s->hit = nh;
			s->hitcap = nid;
		}
		memset(s->hit, 0, nid);
		dbf = scan_dbform(g, s->cform);
		if ((at = n ? scan_aligned(s, g, t, n) : "") == NULL ||
		    hs_scan(dbf >= 0 ? g->fdb[dbf] : g->db, at, (unsigned)n, 0,
			    s->scratch, scan_onmatch, s) != HS_SUCCESS) {
			s->cform = -1;
			return -1;
		}
		for (k = 0; k < g->nhs; k++)
			scan_set_text(
			    s, g->hs_rule[k],
			    s->hit[k] && (!g->hs_confirm[k] ||
					  scan_confirm(s, g->hs_rule[k], t, n)),
			    t, n);
	}
	for (k = 0; k < g->npc; k++)
		scan_pcre_only(s, g, dbf, k, t, n);
	s->cform = -1; /* scan_headers' if-unset texts have none */
	return 0;
}

/* A header group: on the text built for the group before it when it is
 * the same (m->same_prev), else built here; an absent header's verdicts
 * are m->absent's. */
static int
scan_headers(struct scan *s, const struct mgroup *g, int same, struct buf *b)
{
	size_t k, i;

	if (!same) {
		buf_reset(b);
		if ((s->hpresent = match_hdr_text(&s->hdrs, g, b)) < 0)
			return -1;
	}
	if (s->hpresent)
		return scan_group(s, g, buf_str(b), b->len);
	for (k = 0; k < g->nhs + g->npc; k++) {
		i = k < g->nhs ? g->hs_rule[k] : g->pc_rule[k - g->nhs];
		scan_set(s, i, s->m->absent[i]);
	}
	return 0;
}

static hs_scratch_t *
pool_get(struct scratch_pool *p)
{
	hs_scratch_t *s = NULL;

	pthread_mutex_lock(&p->mu);
	if (p->nfree > 0)
		s = p->free[--p->nfree];
	else if (p->proto != NULL &&
		 hs_clone_scratch(p->proto, &s) != HS_SUCCESS)
		s = NULL;
	pthread_mutex_unlock(&p->mu);
	return s;
}

static void
pool_put(struct scratch_pool *p, hs_scratch_t *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	if (p->nfree == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 8;
		hs_scratch_t **nv = reallocarray(p->free, nc, sizeof(*nv));

		if (nv == NULL) {
			pthread_mutex_unlock(&p->mu);
			hs_free_scratch(s);
			return;
		}
		p->free = nv;
		p->cap = nc;
	}
	p->free[p->nfree++] = s;
	pthread_mutex_unlock(&p->mu);
}

static int
scan_run(struct scan *s, const struct sp_view *v)
{
	const struct sp_matcher *m = s->m;
	struct buf uris, hb;
	size_t i, k;
	int rc = -1;

	buf_init(&uris, 0);
	buf_init(&hb, 0);
	for (i = 0; i < v->nuris; i++)
		if ((i > 0 && buf_addc(&uris, '\n') < 0) ||
		    buf_adds(&uris, v->uris[i]) < 0)
			goto out;
	for (i = 0; i < m->ng; i++) {
		const struct mgroup *g = &m->g[m->order[i]];
		int r = 0;

		switch (g->type) {
		case SP_R_BODY:
			r = scan_group(s, g, v->body_text, v->body_text_len);
			break;
		case SP_R_RAWBODY:
			r = scan_group(s, g, v->rawbody_text,
				       v->rawbody_text_len);
			break;
		case SP_R_FULL:
			r = scan_group(s, g, v->raw, v->raw_len);
			break;
		case SP_R_URI:
			r = scan_group(s, g, buf_str(&uris), uris.len);
			break;
		case SP_R_HEADER:
			r = scan_headers(s, g, m->same_prev[i], &hb);
			break;
		default:
			break;
		}
		if (r < 0)
			goto out;
	}
	for (k = 0; k < m->nexists; k++)
		s->values[m->exists[k]] = match_hdr_exists(
		    &s->hdrs, s->rs->v[m->exists[k]].hdr, m->exists_hash[k]);
	rc = 0;
out:
	buf_free(&uris);
	buf_free(&hb);
	return rc;
}

int
sp_match_run(const struct sp_matcher *m, const struct sp_ruleset *rs,
	     const struct sp_view *v, const char *envfrom, double *values,
	     char *err, size_t errlen)
{
	struct scan s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.m = m;
	s.rs = rs;
	s.values = values;
	s.cform = -1;
	if ((s.md = pcre2_match_data_create(1, NULL)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (match_hdrs_init(&s.hdrs, v, envfrom) < 0) {
		pcre2_match_data_free(s.md);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s.scratch = pool_get(m->pool);
	if (m->pool->proto != NULL && s.scratch == NULL) {
		pcre2_match_data_free(s.md);
		match_hdrs_free(&s.hdrs);
		snprintf(err, errlen, "cannot allocate hyperscan scratch");
		return -1;
	}
	rc = scan_run(&s, v);
	if (rc < 0)
		snprintf(err, errlen, "pattern scan failed");
	pool_put(m->pool, s.scratch);
	match_hdrs_free(&s.hdrs);
	pcre2_match_data_free(s.md);
	free(s.hit);
	free(s.abuf);
	return rc;
}

void
sp_match_stats(const struct sp_matcher *m, struct sp_match_stats *st)
{
	*st = m->st;
}

void
sp_match_free(struct sp_matcher **mp)
{
	struct sp_matcher *m = *mp;
	size_t i;
	int f;

	if (m == NULL)
		return;
	match_groups_free(m);
	match_rev_free(&m->rev);
	for (i = 0; m->re != NULL && i < m->nre; i++)
		pcre2_code_free(m->re[i]);
	for (f = 0; f < MATCH_FORMS; f++) {
		for (i = 0; m->fre[f] != NULL && i < m->nre; i++)
			pcre2_code_free(m->fre[f][i]);
		free(m->fre[f]);
	}
	if (m->pool != NULL) {
		for (i = 0; i < m->pool->nfree; i++)
			hs_free_scratch(m->pool->free[i]);
		hs_free_scratch(m->pool->proto);
		free(m->pool->free);
		pthread_mutex_destroy(&m->pool->mu);
		free(m->pool);
	}
	pcre2_match_context_free(m->mctx);
	free(m->re);
	free(m->exists);
	free(m->exists_hash);
	free(m->order);
	free(m->same_prev);
	free(m->absent);
	free(m->vflag);
	free(m);
	*mp = NULL;
}
