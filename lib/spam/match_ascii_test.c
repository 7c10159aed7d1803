/* lib/spam/match_ascii_test.c - match_ascii(), a pattern's form for the
 * texts of a byte set, and match_form(), a text's: on a plain text (no
 * byte >= 0x80) or a Latin one (UTF-8 of U+0080-U+00FF, U+2000-U+2FFF,
 * U+F000-U+FFFF), neither with "&#", the form matches exactly where the
 * pattern does, by PCRE2 and by hyperscan (property tests over random
 * texts), and what a form leaves out or refuses, case by case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match_int.h"

static char out[8192];

static int
ascii(const char *re)
{
	return match_ascii(re, MATCH_FORM_PLAIN, out, sizeof(out));
}

static int
latin(const char *re)
{
	return match_ascii(re, MATCH_FORM_LATIN, out, sizeof(out));
}

static int
match_plain(const char *t, size_t n)
{
	return match_form(t, n) == MATCH_FORM_PLAIN;
}

static void
texts_are_plain_latin_or_other_and_never_with_numeric_entities(void **state)
{
	(void)state;
	assert_int_equal(match_form("caf\xc3\xa9\xc2\xa0\xe2\x80\x99", 8),
			 MATCH_FORM_LATIN);
	assert_int_equal(match_form("\xef\xbb\xbfok", 5), MATCH_FORM_LATIN);
	assert_int_equal(match_form("\xc3\xa9&#1;", 6), -1);
	assert_int_equal(match_form("\xd0\x9c", 2), -1);
	assert_int_equal(match_form("a\xe1\xb8\xbe", 4), -1);
	assert_int_equal(match_form("\xc3\xa9\xf0\x9d\x90\x8c", 6), -1);
	assert_int_equal(match_plain("", 0), 1);
	assert_int_equal(match_plain("a & b #1 &amp;", 14), 1);
	assert_int_equal(match_plain("x&#105;y", 8), 0);
	assert_int_equal(match_plain("caf\xc3\xa9", 5), 0);
	assert_int_equal(match_plain("\x80", 1), 0);
	assert_int_equal(match_plain("ab&", 3), 1);
	/* the length counts, not a NUL */
	assert_int_equal(match_plain("ab&#", 3), 1);
	assert_int_equal(match_plain("ab\0\xff", 4), 0);
}

static void
alternatives_that_need_a_high_byte_or_an_entity_are_left_out(void **state)
{
	(void)state;
	assert_int_equal(ascii("(?:[mM\\xcc]|rn|[\\xc9][\\xb1]|&#109;)x"), 1);
	assert_string_equal(out, "(?:[mM]|rn)x");
	/* a high byte anywhere required in the branch, a nested dead group */
	assert_int_equal(ascii("(?:a\\xe1b|[\\xe1](?:[\\xb8][\\xbe]|[\\xb9]"
			       "[\\x80-\\x83])|c)"),
			 1);
	assert_string_equal(out, "(?:c)");
	/* a high range alone goes, a mixed one stays */
	assert_int_equal(ascii("[a\\x80-\\xffb][\\x7f-\\x80]"), 1);
	assert_string_equal(out, "[ab][\\x7f-\\x80]");
	/* top level, capturing groups, required '&' '#' with a quantifier */
	assert_int_equal(ascii("foo|&#+1|(b\\xc3)"), 1);
	assert_string_equal(out, "foo");
}

static void
latin_form_keeps_latin_lead_bytes_and_continuations(void **state)
{
	(void)state;
	assert_int_equal(
	    latin("(?:[mM\\xcc\\xa9]|rn|[\\xc3][\\xad]|[\\xd0][\\x9c]|"
		  "[\\xe1](?:[\\xb8][\\xbe])|&#109;)x[\\x80-\\xc3]"),
	    1);
	assert_string_equal(out, "(?:[mM\\xa9]|rn|[\\xc3][\\xad])x"
				 "[\\x80-\\xc3]");
	assert_int_equal(latin("[\\xc4-\\xc9\\xf0]a|b"), 1);
	assert_string_equal(out, "b");
	assert_int_equal(latin("cheap \\xe2\\x80\\x99s"), 0);
}

static void
what_could_still_match_a_plain_text_stays(void **state)
{
	(void)state;
	assert_int_equal(ascii("cheap\\s+pills"), 0);
	assert_string_equal(out, "cheap\\s+pills");
	/* optional high items, '&' or '#' optional or apart, \W, negated */
	assert_int_equal(ascii("a[\\xc3]?b\\xe1*&#?c&x#[^\\xcc]\\W"), 0);
	/* a dead optional group or negative lookaround: as it was */
	assert_int_equal(ascii("(?:\\xe9|[\\xc3]a)?b(?!\\xe9)c"), 0);
	/* the class keeps its meaning once members go: no negation, no
	 * new range, no early end */
	assert_int_equal(ascii("[\\xcc^a][\\xcc-][a\\xcc-\\xcd-z][]\\xcc]"), 1);
	assert_string_equal(out, "[\\^a][\\-][a\\-z][\\]]");
	/* lookarounds: pruned inside; a positive one that cannot match kills
	 * its branch */
	assert_int_equal(ascii("(?!mi[\\xf3]n)(?i:m)|(?=\\xe9)z|y"), 1);
	assert_string_equal(out, "(?!mi[\\xf3]n)(?i:m)|y");
	assert_int_equal(ascii("(?<name>a|\\xe9)(?P<n2>b)\\w{2,}(?i)c{,3}"), 1);
	assert_string_equal(out, "(?<name>a)(?P<n2>b)\\w{2,}(?i)c{,3}");
}

static void
what_it_cannot_parse_is_refused(void **state)
{
	static const char *const refused[] = {
	    "\\Qa\\E", "(?x) a # b", "(*UTF)a", "(?(1)a|b)", "(a)\\1", "\\p{L}",
	    "\\x{e9}", "(?|a|b)",    "(?#c)a",	"a(?R)",     "\\k<n>", "\\101",
	    "\\xe9",   "[\\xe9]",    "a)",	"(a",	     "[a",     "\\cA",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (ascii(refused[i]) != -1)
			fail_msg("accepted: %s -> %s", refused[i], out);
	}
	/* does not fit */
	assert_int_equal(match_ascii("[a\\xcc-]", MATCH_FORM_PLAIN, out, 5),
			 -1);
	assert_int_equal(match_ascii("[a\\xcc-]", MATCH_FORM_PLAIN, out, 6), 1);
}

/* ---- property: same matches on plain texts ---- */

/* SpamAssassin 4's replace_tag M and I (25_replace.cf), as 72_active.cf's
 * rules use them, and cases for each rule of the transformation. */
#define TAG_M                                                                  \
	"(?:[mM\\xcc]|rn|[\\xc9][\\xb1]|[\\xce][\\x9c]|[\\xcf][\\xba\\xbb]|"   \
	"[\\xd0][\\x9c\\xbc]|[\\xe1](?:[\\xb8][\\xbe\\xbf]|[\\xb9][\\x80-"     \
	"\\x83])|[\\xf0][\\x9d](?:[\\x90][\\x8c\\xa6]|[\\x9e][\\x9b]))"
#define TAG_I                                                                  \
	"(?:[iIl|!1y?\\xcc\\xcd\\xce\\xcf\\xec\\xed\\xee\\xef\\xe9\\xba\\xc0"  \
	"\\xc9\\xda\\xdf\\xfa]|[\\xc3][\\x8c\\x8d\\x8e\\x8f\\xac\\xad\\xae"    \
	"\\xaf]|&#(?:1(?:03[01]|11[01]|216|231)|2(?:0[4-7]|16));|[\\xe1](?:"   \
	"[\\xb8][\\xac-\\xaf]|[\\xbb][\\x88-\\x8b]))"

static const char *const props[] = {
    "(?:[eE\\xc9]|[\\xc3][\\xa9\\x89]|[\\xc4][\\x92]|[\\xe2][\\x82]"
    "[\\xac])+(?:[\\xc2][\\xa0]|\\s|[\\xef][\\xbf][\\xbd]|x)",
    "(?!mil)" TAG_M "{1,2}\\W{0,2}" TAG_I "{1,2}\\W{0,2}l",
    "(?:^|\\s)" TAG_I TAG_M "(?:$|\\W)",
    "(?:a|&#1;|[b\\xcc]|&#?c)+x",
    "[\\xcc^a-c]+[-\\xcc]",
    "(?:[\\xe9]|a)(?=[b\\xc3])|(?<=\\xe9)c|&",
    "(?:&|#|\\xe9)+;",
};

/* Texts of the form over the bytes these patterns care about. */
static void
rand_text(char *t, size_t *n, uint32_t *seed, int form)
{
	static const char plain[] = "mMrnilI|!1y?&#;0123abcxeE- \n";
	static const char latin[] = "mMrnilI|!1y?&#;0123abcxeE- \n"
				    "\xc2\xc3\xe2\xef\x80\x82\x89\x8c\x92"
				    "\xa0\xa9\xac\xad\xbd\xbf";
	const char *alpha = form == MATCH_FORM_PLAIN ? plain : latin;
	size_t i, len, na = strlen(alpha);

	*seed = *seed * 1103515245u + 12345u;
	len = (*seed >> 16) % 14;
	for (i = 0; i < len; i++) {
		*seed = *seed * 1103515245u + 12345u;
		t[i] = alpha[(*seed >> 16) % na];
	}
	*n = len;
	if (match_form(t, len) < 0 || match_form(t, len) > form) /* "&#" */
		rand_text(t, n, seed, form);
}

static pcre2_code *
pcre(const char *re)
{
	PCRE2_SIZE off;
	int ec;
	pcre2_code *c =
	    pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
			  PCRE2_CASELESS | PCRE2_MULTILINE, &ec, &off, NULL);

	if (c == NULL)
		fail_msg("PCRE2 refused %s at %zu", re, (size_t)off);
	return c;
}

static int
pmatch(pcre2_code *c, pcre2_match_data *md, const char *t, size_t n)
{
	return pcre2_match(c, (PCRE2_SPTR)t, n, 0, 0, md, NULL) >= 0;
}

static int
on_hs(unsigned id, unsigned long long from, unsigned long long to,
      unsigned flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	*(int *)ctx = 1;
	return 1;
}

/* The plain form under hyperscan, prefiltered as match.c would if it
 * must; NULL if hyperscan takes neither. *pre: prefiltered. */
static hs_database_t *
hsdb(const char *re, int *pre)
{
	hs_database_t *db = NULL;
	hs_compile_error_t *ce = NULL;
	unsigned f = HS_FLAG_CASELESS | HS_FLAG_MULTILINE |
		     HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;

	*pre = 0;
	if (hs_compile(re, f, HS_MODE_BLOCK, NULL, &db, &ce) == HS_SUCCESS)
		return db;
	hs_free_compile_error(ce);
	*pre = 1;
	if (hs_compile(re, f | HS_FLAG_PREFILTER, HS_MODE_BLOCK, NULL, &db,
		       &ce) == HS_SUCCESS)
		return db;
	hs_free_compile_error(ce);
	return NULL;
}

/* For every pattern: 20,000 random texts of the form, where PCRE2 must
 * find the pattern and its form alike, and hyperscan the form where PCRE2
 * does (at least: a prefilter may say more). */
static void
form_matches_exactly_where_the_pattern_does(int form, uint32_t seed)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	hs_scratch_t *sc = NULL;
	char t[32];
	size_t i, j, n, hits;

	for (i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		pcre2_code *a, *b;
		hs_database_t *db;
		int pre, r;

		assert_true(match_ascii(props[i], form, out, sizeof(out)) >= 0);
		a = pcre(props[i]);
		b = pcre(out);
		db = hsdb(out, &pre);
		assert_non_null(db);
		assert_int_equal(hs_alloc_scratch(db, &sc), HS_SUCCESS);
		for (j = hits = 0; j < 20000; j++) {
			int m, h = 0;

			rand_text(t, &n, &seed, form);
			m = pmatch(a, md, t, n);
			hits += (size_t)m;
			if (pmatch(b, md, t, n) != m)
				fail_msg("%s vs %s on '%.*s'", props[i], out,
					 (int)n, t);
			r = hs_scan(db, n ? t : "", (unsigned)n, 0, sc, on_hs,
				    &h);
			assert_true(r == HS_SUCCESS || r == HS_SCAN_TERMINATED);
			if (pre ? (m && !h) : (m != h))
				fail_msg("hyperscan %s on '%.*s': %d, PCRE2 %d",
					 out, (int)n, t, h, m);
		}
		/* the property would be empty on texts that never match */
		if (hits < 20)
			fail_msg("%s: %zu hits of 20000", props[i], hits);
		pcre2_code_free(a);
		pcre2_code_free(b);
		hs_free_database(db);
	}
	hs_free_scratch(sc);
	pcre2_match_data_free(md);
}

static void
plain_form_matches_plain_texts_exactly_where_the_pattern_does(void **state)
{
	(void)state;
	form_matches_exactly_where_the_pattern_does(MATCH_FORM_PLAIN, 11);
}

static void
latin_form_matches_latin_texts_exactly_where_the_pattern_does(void **state)
{
	(void)state;
	form_matches_exactly_where_the_pattern_does(MATCH_FORM_LATIN, 7);
}

/* The form byte by byte, as match_form() read it before it skipped
 * ASCII eight bytes at a time. */
static int
form_ref(const unsigned char *u, size_t n)
{
	int form = MATCH_FORM_PLAIN;
	size_t i;

	for (i = 0; i < n; i++) {
		if (u[i] < 0x80)
			continue;
		if (u[i] == 0xc2 || u[i] == 0xc3 || u[i] == 0xe2 ||
		    u[i] == 0xef || u[i] < 0xc0)
			form = MATCH_FORM_LATIN;
		else
			return -1;
	}
	for (i = 0; i + 1 < n; i++)
		if (u[i] == '&' && u[i + 1] == '#')
			return -1;
	return form;
}

/* A byte of each kind (Latin lead, continuation, other, "&#") at every
 * offset of texts of every length up to 40: the word-at-a-time skip
 * neither steps over nor reads past it. */
static void
form_sees_every_byte_of_every_length(void **state)
{
	static const unsigned char odd[] = {0xc3, 0xa9, 0xf0, 0xe2, '&'};
	unsigned char t[48];
	size_t n, at, k;
	int got, want;

	(void)state;
	for (n = 0; n <= 40; n++)
		for (at = 0; at <= n; at++)
			for (k = 0; k < sizeof(odd); k++) {
				memset(t, 'a', sizeof(t));
				if (at < n)
					t[at] = odd[k];
				if (odd[k] == '&' && at + 1 < n)
					t[at + 1] = '#';
				got = match_form((const char *)t, n);
				want = form_ref(t, n);
				if (got != want)
					fail_msg("length %zu, byte %#x at %zu: "
						 "got form %d, want %d",
						 n, odd[k], at, got, want);
			}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		texts_are_plain_latin_or_other_and_never_with_numeric_entities),
	    cmocka_unit_test(
		alternatives_that_need_a_high_byte_or_an_entity_are_left_out),
	    cmocka_unit_test(
		latin_form_keeps_latin_lead_bytes_and_continuations),
	    cmocka_unit_test(what_could_still_match_a_plain_text_stays),
	    cmocka_unit_test(what_it_cannot_parse_is_refused),
	    cmocka_unit_test(
		plain_form_matches_plain_texts_exactly_where_the_pattern_does),
	    cmocka_unit_test(
		latin_form_matches_latin_texts_exactly_where_the_pattern_does),
	    cmocka_unit_test(form_sees_every_byte_of_every_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
