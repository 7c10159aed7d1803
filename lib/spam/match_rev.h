/* lib/spam/match_rev.h - PCRE2 confirmation of a prefiltered rule at
 * the offsets where it can start only (match_rev.c). Internal. */
#ifndef FACTEUR_SPAM_MATCH_REV_H
#define FACTEUR_SPAM_MATCH_REV_H

#include "match_int.h"

struct match_rev;

/* For each confirmed hyperscan pattern of m's groups of at least 512
 * bytes, relaxed (hyperscan refused it whole), that PCRE2 would try at
 * every offset (no first byte, not ^, not anchored) and that
 * match_reverse() and hyperscan take reversed: that database (from
 * cache_dir/rv-HEX.db, else compiled and saved there; cache_dir may be NULL)
 * and an anchored PCRE2 code; *proto grows to scan them. NULL: none, or out of
 * memory (rules are then confirmed as before). */
struct match_rev *match_rev_build(const struct sp_matcher *m,
				  const struct sp_ruleset *rs,
				  const char *cache_dir, hs_scratch_t **proto);

/* Whether rule matches t: PCRE2 anchored at each offset where hyperscan
 * finds the reversed pattern ending in the reversed text, the same
 * verdict as an unanchored pcre2_match() over t. The attempts share one
 * search's match limit (200,000, split evenly). -1: rule has no reversed
 * database, the offsets could not be had (too many, out of memory) or an
 * attempt hit its limit: run pcre2_match() instead. scratch must fit
 * (match_rev_build grew it) and not be in use. */
int match_rev_confirm(const struct match_rev *rv, size_t rule, const char *t,
		      size_t n, hs_scratch_t *scratch, pcre2_match_data *md,
		      pcre2_match_context *mctx);

void match_rev_free(struct match_rev **rv);

#endif
