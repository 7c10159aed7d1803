/* lib/spam/match_relax_test.c - match_relax(): what it writes, that the
 * relaxed pattern matches wherever the rule's own does (checked with
 * PCRE2 on random texts), and that SpamAssassin's __FILL_THIS_FORM_*
 * rules, which hyperscan refuses as too large, now run in hyperscan as a
 * prefilter with the verdicts PCRE2 gives alone (shown on a smaller rule
 * hyperscan refuses the same way). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "match.h"
#include "match_int.h"
#include "match_relax.h"
#include "msgview.h"
#include "rules.h"

static void
relax_is(const char *re, const char *want)
{
	char out[256];

	assert_int_equal(match_relax(re, out, sizeof(out)), 0);
	if (strcmp(out, want) != 0)
		fail_msg("relax(%s): got %s, want %s", re, out, want);
}

static void
bounded_repeats_become_unbounded(void **state)
{
	(void)state;
	relax_is("a{0,3}b{1,80}c{2,5}d{3}e{0,}", "a*b+c+d+e*");
	relax_is("(?:x|y){1,3}?z{2,}", "(?:x|y)+?z+");
	relax_is("no quantifier here", "no quantifier here");
}

static void
escapes_classes_and_literal_braces_are_kept(void **state)
{
	(void)state;
	relax_is("\\x{41}{2,4}", "\\x{41}+");
	relax_is("\\p{L}{1,3}\\Q{1,2}\\E", "\\p{L}+\\Q{1,2}\\E");
	relax_is("[{1,2}]{1,2}", "[{1,2}]+");
	relax_is("[]{1}]x{,3}", "[]{1}]x{,3}");
	relax_is("[[:alpha:]{]{0,9}", "[[:alpha:]{]*");
	relax_is("{1,2}(?:{3}|{4})", "{1,2}(?:{3}|{4})");
	relax_is("\\{2,3}\\cQ{1,2}", "\\{2,3}\\cQ+");
}

static void
possessive_atomic_and_negative_lookarounds_keep_the_superset(void **state)
{
	(void)state;
	relax_is("a{1,3}+a*+b?+c++", "a+a*b?c+");
	relax_is("a+?b??c{2}?", "a+?b??c+?");
	relax_is("(?>x{2})y", "(?:x+)y");
	relax_is("(?<n>x{2})\\k<n>", "(?<n>x+)\\k<n>");
	relax_is("x(?!a{2}(?>b))y{2}", "x(?!a{2}(?>b))y+");
	relax_is("(?<!b{2})c{2}(?<=d{2})", "(?<!b{2})c+(?<=d{2})");
}

static void
a_pattern_that_does_not_fit_is_an_error(void **state)
{
	char out[6];

	(void)state;
	assert_int_equal(match_relax("abcdef", out, sizeof(out)), -1);
	assert_int_equal(match_relax("abcde", out, sizeof(out)), 0);
	memset(out, 'x', sizeof(out));
	assert_int_equal(match_relax("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(match_relax("", out, 0), -1);
	assert_int_equal(match_relax("a{2}bc{2}", out, sizeof(out)), 0);
	assert_string_equal(out, "a+bc+");
	{
		char deep[200], big[200];

		memset(deep, '(', 70);
		memset(deep + 70, ')', 70);
		deep[140] = '\0';
		assert_int_equal(match_relax(deep, big, sizeof(big)), -1);
		assert_int_equal(
		    match_relax("a{2}(*COMMIT)b", big, sizeof(big)), -1);
		assert_int_equal(
		    match_relax("(?(?!x{2})a|b)", big, sizeof(big)), -1);
	}
}

static int
pcre_hits(const char *re, const char *text)
{
	pcre2_code *c;
	pcre2_match_data *md;
	PCRE2_SIZE off;
	int ec, rc;

	c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
			  PCRE2_CASELESS | PCRE2_MULTILINE, &ec, &off, NULL);
	if (c == NULL)
		fail_msg("pcre2 refuses %s", re);
	md = pcre2_match_data_create(1, NULL);
	assert_non_null(md);
	rc = pcre2_match(c, (PCRE2_SPTR)text, strlen(text), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(c);
	return rc >= 0;
}

/* A random text of up to 9 tokens the property tests' patterns are
 * made of, cut to fit textlen (rand(): the caller seeds it). */
static void
random_text(char *text, size_t textlen)
{
	static const char *const tok[] = {
	    "abbc", "abbbc", "x", "y",	"your ", "the ", "name", "phone",
	    ":",    ".",     "a", "bb", "c",	 "\n",	 " ",	 "aa"};
	size_t k, n;

	text[0] = '\0';
	for (k = (size_t)rand() % 10; k > 0; k--) {
		const char *t =
		    tok[(size_t)rand() % (sizeof(tok) / sizeof(tok[0]))];

		n = strlen(text);
		if (n + strlen(t) < textlen)
			memcpy(text + n, t, strlen(t) + 1);
	}
}

/* The property the prefilter rests on: wherever the rule matches, its
 * relaxed pattern does. */
static void
the_relaxed_pattern_matches_wherever_the_rule_does(void **state)
{
	static const char *const res[] = {
	    "(?:ab{2,3}c){2}",
	    "^x{1,2}y{0,1}$",
	    "(?:(?:your|the)\\s{1,2}(?:name|phone){1,2}[:.]{1,3}){2,3}",
	    "\\b(?:a|b{2}){3}\\b",
	    "[ab]{2,4}?c{3}",
	    "a{1,3}+a",
	    "x(?!a{2})",
	    "(?>a{1,2})a",
	    "(?<!b{2})c{2}",
	};
	char text[64], rx[256];
	size_t i, hits = 0;

	(void)state;
	srand(11);
	for (i = 0; i < 20000; i++) {
		const char *re = res[i % (sizeof(res) / sizeof(res[0]))];

		random_text(text, sizeof(text));
		if (!pcre_hits(re, text))
			continue;
		hits++;
		assert_int_equal(match_relax(re, rx, sizeof(rx)), 0);
		if (!pcre_hits(rx, text))
			fail_msg("%s hits \"%s\", relaxed %s does not", re,
				 text, rx);
	}
	if (hits <= 200) /* the texts did reach the patterns */
		fail_msg("only %zu hits", hits);
}

static void
reverse_is(const char *re, const char *want)
{
	char out[256];

	if (match_reverse(re, out, sizeof(out)) != 0)
		fail_msg("reverse(%s) refused", re);
	if (strcmp(out, want) != 0)
		fail_msg("reverse(%s): got %s, want %s", re, out, want);
}

static void
reversed_patterns_read_backwards_without_assertions(void **state)
{
	(void)state;
	reverse_is("abc", "cba");
	reverse_is("(?:ab|cd)e+f{2,3}?", "f{2,3}e+(?:ba|dc)");
	reverse_is("(x(?:yz)*)|w", "(?:(?:zy)*x)|w");
	reverse_is("^a\\b\\Bb$\\z(?=q)+c(?<!r)", "cba");
	reverse_is("[a-c]\\d{2}\\x41\\x{42}\\012\\pL\\cQ.",
		   ".\\cQ\\pL\\012\\x{42}\\x41\\d{2}[a-c]");
	reverse_is("}1{a", "a\\{1\\}"); /* not a{1} */
	reverse_is("(?i:ab)c(?<n>de)", "(?:ed)c(?i:ba)");
	reverse_is("a++(?>bc)", "(?:cb)a+");
	reverse_is("", "");
}

static void
reversal_refuses_what_it_cannot_reverse(void **state)
{
	static const char *const no[] = {
	    "(a)\\1",	"(?<n>a)\\k<n>", "(?i)ab",   "a\\Kb",  "\\Qab\\E",
	    "(*FAIL)a", "(?(1)a|b)",	 "(?R)",     "a\\Rb",  "a{2}{3}",
	    "ab)",	"(ab",		 "(?x:a b)", "(?P=n)", "a\\E?"};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (match_reverse(no[i], out, sizeof(out)) != -1)
			fail_msg("reverse(%s) gave %s", no[i], out);
	assert_int_equal(match_reverse("abcdef", out, 6), -1);
	assert_int_equal(match_reverse("abcde", out, 6), 0);
}

static pcre2_code *
pcre_comp(const char *re)
{
	pcre2_code *c;
	PCRE2_SIZE off;
	int ec;

	c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
			  PCRE2_CASELESS | PCRE2_MULTILINE, &ec, &off, NULL);
	if (c == NULL)
		fail_msg("pcre2 refuses %s", re);
	return c;
}

/* 1 if c matches text[0..n) from start (options: anchored there, or
 * ending at n). */
static int
pcre_at(const pcre2_code *c, pcre2_match_data *md, const char *text, size_t n,
	size_t start, uint32_t opts)
{
	return pcre2_match(c, (PCRE2_SPTR)text, n, start, opts, md, NULL) >= 0;
}

/* The property match_rev.c rests on: wherever the rule can match from
 * offset s, its relaxed pattern reversed matches the reversed text
 * ending at n - s. */
static void
every_start_of_a_match_ends_a_reversed_match(void **state)
{
	static const char *const res[] = {
	    "(?:ab{2,3}c){2}",
	    "^x{1,2}y{0,1}$",
	    "(?:(?:your|the)\\s{1,2}(?:name|phone){1,2}[:.]{1,3}){2,3}",
	    "\\b(?:a|b{2}){3}\\b",
	    "[ab]{2,4}?c{3}",
	    "a{1,3}+a",
	    "x(?!a{2})a",
	    "(?>a{1,2})a",
	    "(?<!b{2})c{2}(?=x|$)",
	    "(?<=y)(?:\\x61|\\0121){1,2}+",
	};
	char text[64], back[64], rx[256], rv[512];
	size_t i, k, n, s, starts = 0;
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	pcre2_code *cre, *crv;

	(void)state;
	assert_non_null(md);
	srand(12);
	for (i = 0; i < 20000; i++) {
		const char *re = res[i % (sizeof(res) / sizeof(res[0]))];

		random_text(text, sizeof(text));
		n = strlen(text);
		for (k = 0; k < n; k++)
			back[k] = text[n - 1 - k];
		assert_int_equal(match_relax(re, rx, sizeof(rx)), 0);
		assert_int_equal(match_reverse(rx, rv, sizeof(rv)), 0);
		cre = pcre_comp(re);
		crv = pcre_comp(rv);
		for (s = 0; s <= n; s++) {
			if (!pcre_at(cre, md, text, n, s, PCRE2_ANCHORED))
				continue;
			starts++;
			if (!pcre_at(crv, md, back, n - s, 0,
				     PCRE2_ENDANCHORED))
				fail_msg("%s matches \"%s\" from %zu, reversed "
					 "%s does not end there",
					 re, text, s, rv);
		}
		pcre2_code_free(cre);
		pcre2_code_free(crv);
	}
	pcre2_match_data_free(md);
	if (starts <= 500)
		fail_msg("only %zu starts", starts);
}

/* Hyperscan refuses BIG as "Pattern is too large", and fast (it takes
 * 25 s over each of SpamAssassin's __FILL_THIS_FORM_* rules). */
static const char big_rules[] = "body BIG /(?:[a-z]{1,300}\\d{1,300}){30}/\n"
				"body SMALL /\\d{2}x{1,3}/\n";

static const char *const big_msgs[] = {
    ("Subject: a\n\n"
     "a1b2c3d4e5f6g7h8i9j0a1b2c3d4e5f6g7h8i9j0a1b2c3d4e5f6g7h8i9j0a1b2c3"
     "d4e5f6g7h8i9j0\n"),
    ("Subject: b\n\na1 b2 c3 d4 e5 f6 g7 h8 i9 j0 a1 b2 c3 d4 e5 f6 g7 h8 "
     "i9 j0 a1 b2 c3 d4 e5 f6 g7 h8 i9 j0 a1 b2 c3 d4 e5 f6 g7 h8 i9 j0\n"),
    "Subject: c\n\nab12xx\n",
};

static void
a_too_large_rule_runs_relaxed_in_hyperscan_with_pcre2s_verdicts(void **state)
{
	struct sp_ruleset rs;
	struct sp_rules_error rerr;
	struct sp_rules_opts o;
	struct sp_matcher *m = NULL;
	struct sp_match_stats st;
	struct sp_limits lim;
	char err[256];
	size_t i, k, hits = 0;

	(void)state;
	sp_rules_init(&rs);
	memset(&o, 0, sizeof(o));
	memset(&lim, 0, sizeof(lim));
	assert_int_equal(sp_rules_parse(&rs, "big.cf", big_rules,
					strlen(big_rules), &o, &rerr),
			 0);
	assert_int_equal(sp_rules_finish(&rs, &rerr), 0);
	assert_int_equal(sp_match_build(&rs, &m, err, sizeof(err)), 0);
	sp_match_stats(m, &st);
	assert_int_equal(st.pcre_only, 0);
	assert_int_equal(st.hs_prefilter, 1);
	assert_int_equal(st.hs_exact, 1);
	for (i = 0; i < sizeof(big_msgs) / sizeof(big_msgs[0]); i++) {
		struct sp_view v;
		double *val = calloc(rs.n, sizeof(double));

		assert_non_null(val);
		memset(&v, 0, sizeof(v));
		assert_int_equal(sp_view_parse(big_msgs[i], strlen(big_msgs[i]),
					       &lim, &v, err, sizeof(err)),
				 0);
		assert_int_equal(
		    sp_match_run(m, &rs, &v, NULL, val, err, sizeof(err)), 0);
		for (k = 0; k < rs.n; k++) {
			int want = pcre_hits(rs.v[k].re, v.body_text);

			if ((val[k] != 0) != want)
				fail_msg("message %zu, %s: got %g, PCRE2 %d", i,
					 rs.v[k].name, val[k], want);
			hits += want;
		}
		sp_view_clear(&v);
		free(val);
	}
	assert_int_equal(hits, 2); /* BIG in the first, SMALL in the last */
	sp_match_free(&m);
	sp_rules_free(&rs);
}

/* The verdicts of m over big_msgs are PCRE2's alone; how many hit. */
static size_t
verdicts_are_pcre2s(const struct sp_matcher *m, const struct sp_ruleset *rs)
{
	struct sp_limits lim;
	char err[256];
	size_t i, k, hits = 0;

	memset(&lim, 0, sizeof(lim));
	for (i = 0; i < sizeof(big_msgs) / sizeof(big_msgs[0]); i++) {
		struct sp_view v;
		double *val = calloc(rs->n, sizeof(double));

		assert_non_null(val);
		memset(&v, 0, sizeof(v));
		assert_int_equal(sp_view_parse(big_msgs[i], strlen(big_msgs[i]),
					       &lim, &v, err, sizeof(err)),
				 0);
		assert_int_equal(
		    sp_match_run(m, rs, &v, NULL, val, err, sizeof(err)), 0);
		for (k = 0; k < rs->n; k++) {
			int want = pcre_hits(rs->v[k].re, v.body_text);

			if ((val[k] != 0) != want)
				fail_msg("message %zu, %s: got %g, PCRE2 %d", i,
					 rs->v[k].name, val[k], want);
			hits += want;
		}
		sp_view_clear(&v);
		free(val);
	}
	return hits;
}

/* The number of rv-*.db files in dir. */
static size_t
rev_files(const char *dir)
{
	char cmd[512], line[64];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls %s | grep -c '^rv-'", dir);
	assert_non_null(p = popen(cmd, "r"));
	if (fgets(line, sizeof(line), p) != NULL)
		n = (size_t)strtoul(line, NULL, 10);
	pclose(p);
	return n;
}

/* A relaxed rule of 512 bytes or more gets a reversed database
 * (match_rev.c): PCRE2 confirms it only where it can start, with the
 * verdicts of the whole search, compiled or from the cache directory,
 * which other rule sets may share: their files stay, but one no build
 * has used for 30 days is removed. */
static void
a_long_relaxed_rule_is_confirmed_where_it_can_start(void **state)
{
	struct sp_ruleset rs;
	struct sp_rules_error rerr;
	struct sp_rules_opts o;
	struct sp_matcher *m = NULL;
	char rules[2048], dir[] = "/tmp/relax-test-XXXXXX", cmd[320], err[256];
	size_t n, i, pass;

	(void)state;
	assert_non_null(mkdtemp(dir));
	n = (size_t)snprintf(rules, sizeof(rules), "body BIG2 /(?:");
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(rules + n, sizeof(rules) - n, "%szq%zu",
				      i ? "|" : "", i);
	snprintf(rules + n, sizeof(rules) - n,
		 ")?(?:[a-z]{1,300}\\d{1,300}){30}/\n");
	for (pass = 0; pass < 2; pass++) { /* compiled, then cached */
		sp_rules_init(&rs);
		memset(&o, 0, sizeof(o));
		assert_int_equal(sp_rules_parse(&rs, "big.cf", rules,
						strlen(rules), &o, &rerr),
				 0);
		assert_int_equal(sp_rules_finish(&rs, &rerr), 0);
		if (pass == 1) { /* reversed databases of other rules: one
				    in use, one unused for 31 days */
			snprintf(cmd, sizeof(cmd),
				 "touch %s/rv-%064d.db && touch -d '31 days "
				 "ago' %s/rv-%064d.db",
				 dir, 0, dir, 1);
			assert_int_equal(system(cmd), 0);
			assert_int_equal(rev_files(dir), 3);
		}
		assert_int_equal(
		    sp_match_build_cached(&rs, dir, &m, err, sizeof(err)), 0);
		assert_non_null(m->rev);
		assert_int_equal(verdicts_are_pcre2s(m, &rs), 1);
		assert_int_equal(rev_files(dir), pass == 0 ? 1 : 2);
		sp_match_free(&m);
		sp_rules_free(&rs);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The same rule anchored at line starts gets none: PCRE2 tries it at
 * line starts only, faster than the reversed scan would find them. */
static void
a_relaxed_rule_pcre2_starts_well_keeps_the_whole_search(void **state)
{
	struct sp_ruleset rs;
	struct sp_rules_error rerr;
	struct sp_rules_opts o;
	struct sp_matcher *m = NULL;
	char rules[2048], err[256];
	size_t n, i;

	(void)state;
	n = (size_t)snprintf(rules, sizeof(rules), "body BIG3 /^(?:");
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(rules + n, sizeof(rules) - n, "%szq%zu",
				      i ? "|" : "", i);
	snprintf(rules + n, sizeof(rules) - n,
		 ")?(?:[a-z]{1,300}\\d{1,300}){30}/\n");
	sp_rules_init(&rs);
	memset(&o, 0, sizeof(o));
	assert_int_equal(
	    sp_rules_parse(&rs, "big.cf", rules, strlen(rules), &o, &rerr), 0);
	assert_int_equal(sp_rules_finish(&rs, &rerr), 0);
	assert_int_equal(sp_match_build(&rs, &m, err, sizeof(err)), 0);
	assert_null(m->rev);
	assert_int_equal(verdicts_are_pcre2s(m, &rs), 1);
	sp_match_free(&m);
	sp_rules_free(&rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bounded_repeats_become_unbounded),
	    cmocka_unit_test(escapes_classes_and_literal_braces_are_kept),
	    cmocka_unit_test(
		possessive_atomic_and_negative_lookarounds_keep_the_superset),
	    cmocka_unit_test(a_pattern_that_does_not_fit_is_an_error),
	    cmocka_unit_test(
		the_relaxed_pattern_matches_wherever_the_rule_does),
	    cmocka_unit_test(
		a_too_large_rule_runs_relaxed_in_hyperscan_with_pcre2s_verdicts),
	    cmocka_unit_test(
		reversed_patterns_read_backwards_without_assertions),
	    cmocka_unit_test(reversal_refuses_what_it_cannot_reverse),
	    cmocka_unit_test(every_start_of_a_match_ends_a_reversed_match),
	    cmocka_unit_test(
		a_long_relaxed_rule_is_confirmed_where_it_can_start),
	    cmocka_unit_test(
		a_relaxed_rule_pcre2_starts_well_keeps_the_whole_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
