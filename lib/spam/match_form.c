/* lib/spam/match_form.c - the compile side of match_ascii.c's forms: which
 * rules are look-alikes (grouped apart by match.c), each form's database
 * of a look-alike group, and each look-alike rule's PCRE2 code per form
 * (to confirm and to run PCRE2-only rules in a text of that form). */
#include "match_int.h"
#include "re_tok.h"

#include <stdlib.h>
#include <string.h>

/* 1 if r's pattern has a smaller form for plain texts (match_ascii): a
 * look-alike rule, grouped apart so that only its group is compiled again
 * in each form. -1 ENOMEM. */
int
match_lookalike(const struct sp_rule *r)
{
	size_t cap = 2 * strlen(r->re) + 2;
	char *buf;
	int rc;

	if (r->type == SP_R_HEADER || (r->re_flags & SP_RE_X))
		return 0; /* /x: spaces and '#' are not what match_ascii reads
			   */
	if ((buf = malloc(cap)) == NULL)
		return -1;
	rc = match_ascii(r->re, MATCH_FORM_PLAIN, buf, cap) == 1;
	free(buf);
	return rc;
}

/* The pattern arrays of a form's compile: db's nhs patterns (some in
 * the form), then n - nhs of the PCRE2-only rules (xj: which) in the form
 * as prefilters, ids nhs + j. */
struct fcomp {
	const char **px;
	unsigned *fl, *ids;
	char **buf;
	size_t *xj;
	size_t n;
};

/* re without its '$' anchors, for a prefilter (hyperscan refuses a '$'
 * before the pattern's end: T_FUZZY_OPTOUT's "(?:$|\W)"). An assertion
 * left out matches more, so the pattern matches wherever re does, unless
 * it stood in a negative lookaround: then -1, as when out is too small.
 * 1 some removed, 0 none. */
static int
form_unanchor(const char *re, char *out, size_t outlen)
{
	struct rt_tok t;
	size_t n = strlen(re), o = 0, depth = 0, neg = 0, cut = 0;

	for (rt_next(re, n, 0, &t); t.kind != RT_END;
	     rt_next(re, n, t.at + t.len, &t)) {
		if (t.kind == RT_OPEN) {
			depth++;
			if (neg == 0 &&
			    (t.group == RG_NLA || t.group == RG_NLB))
				neg = depth;
		} else if (t.kind == RT_CLOSE && depth > 0) {
			if (neg == depth)
				neg = 0;
			depth--;
		} else if (t.kind == RT_ANCHOR && t.ch == '$') {
			if (neg != 0)
				return -1;
			cut++;
			continue;
		}
		if (t.len >= outlen - o)
			return -1;
		memcpy(out + o, re + t.at, t.len);
		o += t.len;
	}
	out[o] = '\0';
	return cut > 0;
}

/* Whether hyperscan takes p with flags f. */
static int
form_takes(const char *p, unsigned f)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *ce = NULL;

	if (hs_expression_info(p, f, &info, &ce) != HS_SUCCESS) {
		hs_free_compile_error(ce);
		return 0;
	}
	free(info);
	return 1;
}

/* Rule r's pattern in the form, as a prefilter hyperscan takes (its '$'
 * left out if need be), into buf (cap bytes, a second half as scratch).
 * 1, or 0 none. */
static int
form_prefilter(const struct sp_rule *r, int form, char *buf, size_t cap)
{
	unsigned f = match_hs_flags(r) | HS_FLAG_PREFILTER;
	size_t half = cap / 2;

	if (match_ascii(r->re, form, buf + half, cap - half) != 1)
		return 0;
	if (form_takes(buf + half, f)) {
		memmove(buf, buf + half, strlen(buf + half) + 1);
		return 1;
	}
	return form_unanchor(buf + half, buf, half) == 1 && form_takes(buf, f);
}

/* Appends each PCRE2-only rule of g that hyperscan takes in the form as a
 * prefilter (match_int.h's fpc): __YOUR_PASSWORD's look-alike classes
 * defeat hyperscan, its plain form does not, and most messages then skip
 * its PCRE2 run. 0, or -1 ENOMEM. */
static int
form_extras(const struct sp_ruleset *rs, const struct mgroup *g, int form,
	    struct fcomp *c)
{
	size_t j;

	for (j = 0; j < g->npc; j++) {
		const struct sp_rule *r = &rs->v[g->pc_rule[j]];
		size_t cap = 2 * (2 * strlen(r->re) + 2), k = c->n;

		if ((c->buf[k] = malloc(cap)) == NULL)
			return -1;
		if (!form_prefilter(r, form, c->buf[k], cap)) {
			free(c->buf[k]);
			c->buf[k] = NULL;
			continue;
		}
		c->px[k] = c->buf[k];
		c->fl[k] = match_hs_flags(r) | HS_FLAG_PREFILTER;
		c->ids[k] = (unsigned)(g->nhs + j);
		c->xj[k - g->nhs] = j;
		c->n++;
	}
	return 0;
}

/* Drops extra pattern k (refused) from c. */
static void
form_drop(struct fcomp *c, size_t nhs, size_t k)
{
	size_t tail = c->n - k - 1;

	memmove(&c->px[k], &c->px[k + 1], tail * sizeof(*c->px));
	memmove(&c->fl[k], &c->fl[k + 1], tail * sizeof(*c->fl));
	memmove(&c->ids[k], &c->ids[k + 1], tail * sizeof(*c->ids));
	memmove(&c->xj[k - nhs], &c->xj[k - nhs + 1], tail * sizeof(*c->xj));
	c->n--;
}

/* g->fpc's bits of form from the extras compiled. 0, -1 ENOMEM. */
static int
form_mark(struct mgroup *g, int form, const struct fcomp *c)
{
	size_t k;

	if (c->n == g->nhs)
		return 0;
	if (g->fpc == NULL && (g->fpc = calloc(MATCH_FORMS, g->npc)) == NULL)
		return -1;
	for (k = g->nhs; k < c->n; k++)
		g->fpc[(size_t)form * g->npc + c->xj[k - g->nhs]] = 1;
	return 0;
}

/* One bounded series of compiles of c: a refused pattern of db's is put
 * back as it was, a refused extra dropped; a compile refused as a whole
 * is tried again without the extras (the form's database as it was
 * before them). */
static void
form_compile(struct mgroup *g, int form, const char **ex, struct fcomp *c,
	     size_t changed)
{
	hs_compile_error_t *ce = NULL;
	size_t k, tries;

	for (tries = 0; changed + (c->n - g->nhs) > 0 && tries < 64; tries++) {
		if (hs_compile_multi(c->px, c->fl, c->ids, (unsigned)c->n,
				     HS_MODE_BLOCK, NULL, &g->fdb[form],
				     &ce) == HS_SUCCESS)
			return;
		g->fdb[form] = NULL;
		k = ce->expression >= 0 ? (size_t)ce->expression : c->n;
		hs_free_compile_error(ce);
		if (k >= c->n && c->n > g->nhs) {
			c->n = g->nhs; /* not one pattern's fault: as before
					  the extras */
			continue;
		}
		if (k >= c->n || (k < g->nhs && c->px[k] == ex[k]))
			return;
		if (k >= g->nhs)
			form_drop(c, g->nhs, k);
		else {
			c->px[k] = ex[k];
			changed--;
		}
	}
}

/* The group's database for the texts of a form (match_ascii): the
 * patterns of db (ex, fl, ids as its compile left them) in that form, the
 * others as they are, then the PCRE2-only rules' forms as prefilters
 * (form_extras). None changed or added, or a compile that still fails:
 * no fdb[form], db serves those texts. Only ENOMEM fails. */
int
match_compile_form(const struct sp_ruleset *rs, struct mgroup *g, int form,
		   const char **ex, const unsigned *fl, const unsigned *ids)
{
	struct fcomp c;
	size_t k, changed = 0, max = g->nhs + g->npc;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.px = calloc(max, sizeof(*c.px));
	c.fl = calloc(max, sizeof(*c.fl));
	c.ids = calloc(max, sizeof(*c.ids));
	c.buf = calloc(max, sizeof(*c.buf));
	c.xj = calloc(g->npc ? g->npc : 1, sizeof(*c.xj));
	if (c.px == NULL || c.fl == NULL || c.ids == NULL || c.buf == NULL ||
	    c.xj == NULL)
		goto out;
	for (k = 0; k < g->nhs; k++) {
		size_t cap = 2 * strlen(ex[k]) + 2;

		c.px[k] = ex[k];
		c.fl[k] = fl[k];
		c.ids[k] = ids[k];
		if ((c.buf[k] = malloc(cap)) == NULL)
			goto out;
		if (match_ascii(ex[k], form, c.buf[k], cap) == 1) {
			c.px[k] = c.buf[k];
			changed++;
		}
	}
	c.n = g->nhs;
	if (form_extras(rs, g, form, &c) < 0)
		goto out;
	form_compile(g, form, ex, &c, changed);
	rc = g->fdb[form] != NULL ? form_mark(g, form, &c) : 0;
out:
	for (k = 0; c.buf != NULL && k < max; k++)
		free(c.buf[k]);
	free(c.buf);
	free(c.px);
	free(c.fl);
	free(c.ids);
	free(c.xj);
	return rc;
}

int
match_pcre_forms(struct sp_matcher *m, const struct sp_rule *r, size_t i)
{
	size_t cap = 2 * strlen(r->re) + 2;
	PCRE2_SIZE off;
	char *buf;
	int f, ec;

	for (f = 0; f < MATCH_FORMS; f++)
		if (m->fre[f] == NULL &&
		    (m->fre[f] = calloc(m->nre ? m->nre : 1,
					sizeof(pcre2_code *))) == NULL)
			return -1;
	if ((buf = malloc(cap)) == NULL)
		return -1;
	for (f = 0; f < MATCH_FORMS; f++) {
		if (match_ascii(r->re, f, buf, cap) != 1)
			continue;
		m->fre[f][i] =
		    pcre2_compile((PCRE2_SPTR)buf, PCRE2_ZERO_TERMINATED,
				  match_pcre_flags(r), &ec, &off, NULL);
		if (m->fre[f][i] != NULL)
			(void)pcre2_jit_compile(m->fre[f][i],
						PCRE2_JIT_COMPLETE);
	}
	free(buf);
	return 0;
}
