/* tests/fuzz/fuzz_pcre2.h - PCRE2 as the spam pattern targets
 * (fuzz_match_ascii.c, fuzz_match_relax.c) run it: a pattern compiled as
 * body rules are (caseless, multiline, bytes), matched under small match
 * and depth limits so a hostile pattern costs little. A limit hit is no
 * answer: the caller checks nothing then. Include after <pcre2.h> (with
 * PCRE2_CODE_UNIT_WIDTH 8). */
#ifndef FACTEUR_TESTS_FUZZ_PCRE2_H
#define FACTEUR_TESTS_FUZZ_PCRE2_H

#include <stddef.h>

/* re compiled as body rules are, or NULL (PCRE2 refuses it). Owned:
 * pcre2_code_free(). */
static inline pcre2_code *
fz_re_comp(const char *re)
{
	PCRE2_SIZE off;
	int ec;

	return pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
			     PCRE2_CASELESS | PCRE2_MULTILINE, &ec, &off, NULL);
}

/* A match context with the small limits (match 20000, depth 200). Owned:
 * pcre2_match_context_free(). Traps when out of memory. */
static inline pcre2_match_context *
fz_re_limits(void)
{
	pcre2_match_context *mc = pcre2_match_context_create(NULL);

	if (mc == NULL)
		__builtin_trap();
	pcre2_set_match_limit(mc, 20000);
	pcre2_set_depth_limit(mc, 200);
	return mc;
}

/* c in text[0..n): 1 match, 0 none, -1 no answer (a limit). */
static inline int
fz_re_hits(const pcre2_code *c, const char *text, size_t n,
	   pcre2_match_context *mc)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int rc;

	if (md == NULL)
		__builtin_trap();
	rc = pcre2_match(c, (PCRE2_SPTR)text, n, 0, 0, md, mc);
	pcre2_match_data_free(md);
	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

#endif
