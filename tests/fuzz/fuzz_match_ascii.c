/* tests/fuzz/fuzz_match_ascii.c - lib/spam/match_ascii.c (a look-alike
 * rule's pattern for the texts of one form: plain ASCII or Latin UTF-8,
 * without "&#") on arbitrary bytes: the first byte picks the form (its
 * low bit), the rest up to the first newline is a pattern, what follows
 * a text. Checks: match_ascii() answers -1, 0 or 1 within the 2 *
 * strlen + 2 bytes its contract promises, writes a pattern PCRE2 takes
 * whenever it takes the original, and when match_form() puts the text in
 * that form, PCRE2 finds the form's pattern in it exactly when it finds
 * the original (caseless, multiline, bytes: as body rules run): the
 * property the form databases of match.c rest on. PCRE2 runs with small
 * match and depth limits; a limit hit is no answer and checks nothing. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/spam/match_ascii.c"
#include "../../lib/spam/re_tok.c"
#include "fuzz_pcre2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* re and its form agree on text (the text is of the form). */
static void
fa_same(const char *re, const char *fre, const char *text, size_t n)
{
	pcre2_code *c = fz_re_comp(re), *f;
	pcre2_match_context *mc;
	int a, b;

	if (c == NULL)
		return;
	if ((f = fz_re_comp(fre)) == NULL)
		__builtin_trap(); /* PCRE2 takes re but not its form */
	mc = fz_re_limits();
	a = fz_re_hits(c, text, n, mc);
	b = fz_re_hits(f, text, n, mc);
	if (a >= 0 && b >= 0 && a != b)
		__builtin_trap(); /* the form finds what re does not, or less */
	pcre2_match_context_free(mc);
	pcre2_code_free(c);
	pcre2_code_free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl;
	size_t plen, tlen, cap;
	char *re, *out, *text;
	int form, rc, tf;

	if (size < 1)
		return 0;
	form = data[0] & 1 ? MATCH_FORM_LATIN : MATCH_FORM_PLAIN;
	data++, size--;
	nl = memchr(data, '\n', size);
	plen = nl != NULL ? (size_t)(nl - data) : size;
	if (plen > 4096 || memchr(data, '\0', plen) != NULL)
		return 0;
	tlen = nl != NULL ? size - plen - 1 : 0;
	cap = 2 * plen + 2;
	re = malloc(plen + 1);
	out = malloc(cap);
	text = malloc(tlen + 1);
	if (re == NULL || out == NULL || text == NULL)
		__builtin_trap();
	memcpy(re, data, plen);
	re[plen] = '\0';
	if (tlen > 0)
		memcpy(text, nl + 1, tlen);
	rc = match_ascii(re, form, out, cap);
	if (rc < -1 || rc > 1 || (rc >= 0 && strlen(out) >= cap))
		__builtin_trap();
	if (rc == 0 && strcmp(out, re) != 0)
		__builtin_trap(); /* 0 means written and the same */
	tf = match_form(text, tlen);
	if (rc >= 0 && tf >= 0 && tf <= form)
		fa_same(re, out, text, tlen);
	free(re);
	free(out);
	free(text);
	return 0;
}
