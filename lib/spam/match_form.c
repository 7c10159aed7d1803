/* lib/spam/match_form.c - the compile side of match_ascii.c's forms: which
 * rules are look-alikes (grouped apart by match.c), each form's database
 * of a look-alike group, and each look-alike rule's PCRE2 code per form
 * (to confirm and to run PCRE2-only rules in a text of that form). */
#include "match_int.h"

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

/* The group's database for the texts of a form (match_ascii): the
 * patterns of db (ex, fl, ids as its compile left them) in that form, the
 * others as they are. One hyperscan refuses is put back as it was
 * (bounded); none changed, or a compile that still fails: no fdb[form],
 * db serves those texts. Only ENOMEM fails. */
int
match_compile_form(struct mgroup *g, int form, const char **ex,
		   const unsigned *fl, const unsigned *ids)
{
	hs_compile_error_t *ce = NULL;
	const char **px = calloc(g->nhs, sizeof(*px));
	char **buf = calloc(g->nhs, sizeof(*buf));
	size_t k, changed = 0, tries;
	int rc = -1;

	if (px == NULL || buf == NULL)
		goto out;
	for (k = 0; k < g->nhs; k++) {
		size_t cap = 2 * strlen(ex[k]) + 2;

		px[k] = ex[k];
		if ((buf[k] = malloc(cap)) == NULL)
			goto out;
		if (match_ascii(ex[k], form, buf[k], cap) == 1) {
			px[k] = buf[k];
			changed++;
		}
	}
	for (tries = 0; changed > 0 && tries < 64; tries++) {
		if (hs_compile_multi(px, fl, ids, (unsigned)g->nhs,
				     HS_MODE_BLOCK, NULL, &g->fdb[form],
				     &ce) == HS_SUCCESS)
			break;
		g->fdb[form] = NULL;
		k = ce->expression >= 0 ? (size_t)ce->expression : g->nhs;
		hs_free_compile_error(ce);
		if (k >= g->nhs || px[k] == ex[k])
			break;
		px[k] = ex[k];
		changed--;
	}
	rc = 0;
out:
	for (k = 0; buf != NULL && k < g->nhs; k++)
		free(buf[k]);
	free(buf);
	free(px);
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
