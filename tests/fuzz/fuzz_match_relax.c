/* tests/fuzz/fuzz_match_relax.c - lib/spam/match_relax.c (the relaxed
 * pattern hyperscan prefilters a too-large rule with) on arbitrary
 * bytes: the first line is a pattern, the rest a text. Checks: the
 * result fits in strlen(pattern) + 1 bytes (the engine's allocation),
 * one byte less is refused rather than overrun, and wherever PCRE2 finds
 * the pattern in the text (caseless, multiline, as body rules run), it
 * finds the relaxed pattern too: the property the prefilter rests on.
 * Then match_reverse() of the relaxed pattern (match_rev.c's reversed
 * databases): wherever PCRE2 finds the pattern starting at s (anchored,
 * the first 64 offsets), the reversed pattern matches the text read
 * backwards ending at n - s; and it fits in twice the pattern's length.
 * PCRE2 runs with small match and depth limits; a limit hit is no answer
 * and checks nothing. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/spam/match_relax.c"
#include "../../lib/spam/re_tok.c"
#include "../../lib/spam/match_relax.h"
#include "fuzz_pcre2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 match, 0 none, -1 no answer (compile error, limit). */
static int
fz_hits(const char *re, const char *text, size_t n, pcre2_match_context *mc)
{
	pcre2_code *c = fz_re_comp(re);
	int rc;

	if (c == NULL)
		return -1;
	rc = fz_re_hits(c, text, n, mc);
	pcre2_code_free(c);
	return rc;
}

/* Every start of re in text (the first 64 offsets) ends a match of rv,
 * the reversed relaxed pattern, in the text reversed. */
static void
fz_reverse(const char *re, const char *rv, const char *text, size_t n,
	   pcre2_match_context *mc)
{
	pcre2_code *c = fz_re_comp(re), *r = fz_re_comp(rv);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	char *back = malloc(n + 1);
	size_t s, k;
	int a, b;

	if (md == NULL || back == NULL)
		__builtin_trap();
	for (k = 0; k < n; k++)
		back[k] = text[n - 1 - k];
	for (s = 0; c != NULL && s <= n && s < 64; s++) {
		a = pcre2_match(c, (PCRE2_SPTR)text, n, s, PCRE2_ANCHORED, md,
				mc);
		if (a < 0)
			continue;
		if (r == NULL)
			__builtin_trap(); /* PCRE2 takes re but not rv */
		b = pcre2_match(r, (PCRE2_SPTR)back, n - s, 0,
				PCRE2_ENDANCHORED, md, mc);
		if (b == PCRE2_ERROR_NOMATCH)
			__builtin_trap(); /* a start the reversal misses */
	}
	free(back);
	pcre2_match_data_free(md);
	pcre2_code_free(c);
	pcre2_code_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl != NULL ? (size_t)(nl - data) : size;
	char *re, *rx, *text;
	pcre2_match_context *mc;
	int rc;

	if (plen > 4096 || memchr(data, '\0', plen) != NULL)
		return 0;
	re = malloc(plen + 1);
	rx = malloc(plen + 1);
	text = malloc(size - plen + 1);
	mc = fz_re_limits();
	if (re == NULL || rx == NULL || text == NULL)
		__builtin_trap();
	memcpy(re, data, plen);
	re[plen] = '\0';
	memcpy(text, data + plen, size - plen);
	rc = match_relax(re, rx, plen + 1);
	if (rc == 0 && plen > 0 && strlen(rx) == plen &&
	    match_relax(re, rx, plen) != -1)
		__builtin_trap(); /* one byte short must be refused */
	if (rc == 0 && match_relax(re, rx, plen + 1) == 0 &&
	    fz_hits(re, text, size - plen, mc) == 1 &&
	    fz_hits(rx, text, size - plen, mc) == 0)
		__builtin_trap(); /* the relaxed pattern must be wider */
	if (rc == 0) {
		char *rv = malloc(2 * plen + 1);

		if (rv == NULL)
			__builtin_trap();
		if (match_reverse(rx, rv, 2 * plen + 1) == 0)
			fz_reverse(re, rv, text, size - plen, mc);
		free(rv);
	}
	pcre2_match_context_free(mc);
	free(re);
	free(rx);
	free(text);
	return 0;
}
