/* tests/fuzz/fuzz_match_relax.c - lib/spam/match_relax.c (the relaxed
 * pattern hyperscan prefilters a too-large rule with) on arbitrary
 * bytes: the first line is a pattern, the rest a text. Checks: the
 * result fits in strlen(pattern) + 1 bytes (the engine's allocation),
 * one byte less is refused rather than overrun, and wherever PCRE2 finds
 * the pattern in the text (caseless, multiline, as body rules run), it
 * finds the relaxed pattern too: the property the prefilter rests on.
 * PCRE2 runs with small match and depth limits; a limit hit is no answer
 * and checks nothing. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/spam/match_relax.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 match, 0 none, -1 no answer (compile error, limit). */
static int
fz_hits(const char *re, const char *text, size_t n, pcre2_match_context *mc)
{
	pcre2_code *c;
	pcre2_match_data *md;
	PCRE2_SIZE off;
	int ec, rc;

	c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
			  PCRE2_CASELESS | PCRE2_MULTILINE, &ec, &off, NULL);
	if (c == NULL)
		return -1;
	if ((md = pcre2_match_data_create(1, NULL)) == NULL)
		__builtin_trap();
	rc = pcre2_match(c, (PCRE2_SPTR)text, n, 0, 0, md, mc);
	pcre2_match_data_free(md);
	pcre2_code_free(c);
	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
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
	mc = pcre2_match_context_create(NULL);
	if (re == NULL || rx == NULL || text == NULL || mc == NULL)
		__builtin_trap();
	memcpy(re, data, plen);
	re[plen] = '\0';
	memcpy(text, data + plen, size - plen);
	pcre2_set_match_limit(mc, 20000);
	pcre2_set_depth_limit(mc, 200);
	rc = match_relax(re, rx, plen + 1);
	if (rc == 0 && plen > 0 && strlen(rx) == plen &&
	    match_relax(re, rx, plen) != -1)
		__builtin_trap(); /* one byte short must be refused */
	if (rc == 0 && match_relax(re, rx, plen + 1) == 0 &&
	    fz_hits(re, text, size - plen, mc) == 1 &&
	    fz_hits(rx, text, size - plen, mc) == 0)
		__builtin_trap(); /* the relaxed pattern must be wider */
	pcre2_match_context_free(mc);
	free(re);
	free(rx);
	free(text);
	return 0;
}
