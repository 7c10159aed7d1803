/* lib/spam/re_tok_test.c - the pattern lexer (re_tok.c): every token
 * kind with its fields, the escapes, classes and their members, the
 * bounds (counts that overflow, truncated escapes and quantifiers, deep
 * nesting, long classes, no read past n), and that its consumers
 * (match_relax, match_reverse, match_ascii) still refuse what they
 * refused before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match_int.h"
#include "match_relax.h"
#include "re_tok.h"

/* The token at s[i]. */
static struct rt_tok
tok(const char *s, size_t i)
{
	struct rt_tok t;

	rt_next(s, strlen(s), i, &t);
	return t;
}

static struct rt_tok
mem(const char *s, size_t i)
{
	struct rt_tok t;

	rt_member(s, strlen(s), i, &t);
	return t;
}

/* The kinds of every token of s, one letter each. */
static void
kinds_are(const char *s, const char *want)
{
	static const char letter[] = "$lqaeCocAQPB";
	char got[256];
	struct rt_tok t;
	size_t i = 0, k = 0;

	do {
		rt_next(s, strlen(s), i, &t);
		got[k++] = letter[t.kind];
		i += t.len;
	} while (t.kind != RT_END && k + 1 < sizeof(got));
	got[k] = '\0';
	if (strcmp(got, want) != 0)
		fail_msg("kinds of %s: got %s, want %s", s, got, want);
}

static void
every_token_kind_is_told_apart(void **state)
{
	(void)state;
	/* l lit, q any, a anchor, e esc, C class, o open, c close, A alt,
	 * Q quant, $ end */
	kinds_are("^a.b$", "alqla$");
	kinds_are("(?:x|\\d)*[ab]{2}", "olAecQCQ$");
	kinds_are("a{x}{,2}", "llllllll$");
	kinds_are("", "$");
	assert_int_equal(tok("a", 1).kind, RT_END);
	assert_int_equal(tok("a", 1).len, 0);
	assert_int_equal(tok("é", 0).value, 0xc3);
	assert_int_equal(tok("^", 0).value, '^');
	assert_int_equal(tok(".", 0).value, '.');
	assert_int_equal(tok("|", 0).kind, RT_ALT);
	assert_int_equal(tok(")", 0).kind, RT_CLOSE);
}

static void
quantifiers_read_their_counts_and_mode(void **state)
{
	struct rt_tok t;

	(void)state;
	t = tok("*", 0);
	assert_true(t.min == 0 && t.max == RT_INF && t.len == 1);
	t = tok("+?", 0);
	assert_true(t.min == 1 && t.max == RT_INF && t.len == 2);
	assert_int_equal(t.mode, RQ_LAZY);
	assert_int_equal(t.base, 1);
	t = tok("?+", 0);
	assert_true(t.min == 0 && t.max == 1 && t.mode == RQ_POSSESSIVE);
	t = tok("{3}", 0);
	assert_true(t.min == 3 && t.max == 3 && t.len == 3 && t.base == 3);
	t = tok("{0,}x", 0);
	assert_true(t.min == 0 && t.max == RT_INF && t.len == 4);
	t = tok("{2,17}?", 0);
	assert_true(t.min == 2 && t.max == 17 && t.len == 7 && t.base == 6);
	assert_int_equal(t.mode, RQ_LAZY);
	/* not quantifiers: a literal '{' */
	assert_int_equal(tok("{,3}", 0).kind, RT_LIT);
	assert_int_equal(tok("{", 0).kind, RT_LIT);
	assert_int_equal(tok("{1", 0).kind, RT_LIT);
	assert_int_equal(tok("{1,2", 0).kind, RT_LIT);
	assert_int_equal(tok("{1,a}", 0).kind, RT_LIT);
	assert_int_equal(tok("{1", 0).len, 1);
	/* counts too large are read as RT_MAX_COUNT, not wrapped */
	t = tok("{99999999999999999999999,184467440737095516160}", 0);
	assert_int_equal(t.len, 47);
	assert_true(t.kind == RT_QUANT && t.min == RT_MAX_COUNT &&
		    t.max == RT_MAX_COUNT);
	t = tok("{000000000000000000000}", 0);
	assert_true(t.kind == RT_QUANT && t.min == 0);
}

static void
escapes_have_their_pcre_length_and_value(void **state)
{
	struct rt_tok t;

	(void)state;
	t = tok("\\x41z", 0);
	assert_true(t.kind == RT_ESC && t.len == 4 && t.value == 0x41 &&
		    t.ch == 'x');
	t = tok("\\x4z", 0);
	assert_true(t.len == 3 && t.value == -1);
	t = tok("\\xz", 0);
	assert_true(t.len == 2 && t.value == -1);
	assert_int_equal(tok("\\x{41}b", 0).len, 6);
	assert_int_equal(tok("\\x{41", 0).len, 5); /* to the end */
	assert_int_equal(tok("\\p{Lu}x", 0).len, 6);
	assert_int_equal(tok("\\pLx", 0).len, 3);
	assert_int_equal(tok("\\p(x", 0).len, 2); /* no property */
	assert_int_equal(tok("\\P", 0).len, 2);
	assert_int_equal(tok("\\Qa(b\\Ec", 0).len, 7);
	assert_int_equal(tok("\\Qa(b", 0).len, 5); /* to the end */
	assert_int_equal(tok("\\cAb", 0).len, 3);
	assert_int_equal(tok("\\c", 0).len, 2);
	assert_int_equal(tok("\\0123", 0).len, 4);
	assert_int_equal(tok("\\08", 0).len, 2);
	assert_int_equal(tok("\\k{n}", 0).len, 5);
	t = tok("\\.", 0);
	assert_true(t.len == 2 && t.value == '.' && t.ch == '.');
	t = tok("\\w", 0);
	assert_true(t.len == 2 && t.value == -1 && t.ch == 'w');
	/* truncated: the backslash alone */
	t = tok("a\\", 1);
	assert_true(t.kind == RT_ESC && t.len == 1 && t.ch == 0);
}

static void
classes_end_at_their_bracket_and_list_members(void **state)
{
	const char *s = "[^]a-c\\]\\x41[:alpha:]]x";
	struct rt_tok t = tok(s, 0), m;
	size_t i, k = 0;
	static const enum rt_kind want[] = {RT_LIT, RT_LIT, RT_LIT,  RT_LIT,
					    RT_ESC, RT_ESC, RT_POSIX};

	(void)state;
	assert_true(t.kind == RT_CLASS && t.neg && t.closed);
	assert_int_equal(t.len, strlen(s) - 1);
	for (i = rt_class_first(&t); i < t.at + t.len - 1; i += m.len) {
		m = mem(s, i);
		assert_true(k < sizeof(want) / sizeof(want[0]));
		assert_int_equal(m.kind, want[k++]);
	}
	assert_int_equal(k, sizeof(want) / sizeof(want[0]));
	assert_int_equal(mem(s, 2).value, ']');
	assert_int_equal(mem(s, 8).value, 0x41);
	/* unterminated: to the end, not closed */
	t = tok("[ab\\]", 0);
	assert_true(t.kind == RT_CLASS && !t.closed && t.len == 5);
	t = tok("[]", 0);
	assert_true(!t.closed && t.len == 2);
	/* "[:" with no ":]": a member of its own, told as bad */
	m = mem("[[:x]", 1);
	assert_true(m.kind == RT_BAD && m.len == 1);
	assert_int_equal(tok("[[:x]", 0).len, 5);
	/* a POSIX name ends at the first ":]", and only if no ']' or "[:"
	 * comes before it (as PCRE2 reads it): else "[:" is bad, and the
	 * class ends where PCRE2 ends it */
	assert_int_equal(mem("[[:a\\]b:]c]", 1).kind, RT_POSIX);
	assert_int_equal(mem("[[:a\\]b:]c]", 1).len, 8);
	m = mem("[[:a]b:]c]", 1);
	assert_true(m.kind == RT_BAD && m.len == 1);
	t = tok("[[:a]b:]c]", 0);
	assert_true(t.bad && t.closed && t.len == 5);
	assert_int_equal(mem("[[:a[:b:]", 1).kind, RT_BAD);
	/* with no ":]" at all, every reader took '[' and ':' */
	m = mem("[[:a]b", 1);
	assert_true(m.kind == RT_BAD && m.len == 1 && !m.bad);
	assert_false(tok("[[:a]b", 0).bad);
	assert_false(tok("[[:a:]]", 0).bad);
	assert_int_equal(tok("[(|)]*", 0).len, 5);
}

static void
group_openers_have_their_kind(void **state)
{
	static const struct {
		const char *s;
		enum rt_group g;
		size_t len;
	} c[] = {
	    {"(a", RG_CAP, 1},		{"(?:a", RG_NONCAP, 3},
	    {"(?>a", RG_ATOMIC, 3},	{"(?=a", RG_LA, 3},
	    {"(?!a", RG_NLA, 3},	{"(?<=a", RG_LB, 4},
	    {"(?<!a", RG_NLB, 4},	{"(?<n_1>a", RG_NAMED, 7},
	    {"(?P<n>a", RG_NAMED, 6},	{"(?i-s:a", RG_SCOPED, 6},
	    {"(?i)a", RG_FLAGS, 4},	{"(?)a", RG_FLAGS, 3},
	    {"(*FAIL)", RG_VERB, 1},	{"(?(1)a|b)", RG_COND, 5},
	    {"(?#c)a", RG_OTHER, 5},	{"(?|a|b)", RG_OTHER, 7},
	    {"(?R)", RG_OTHER, 4},	{"(?P=n)", RG_OTHER, 4},
	    {"(?<a b>c)", RG_OTHER, 7}, {"(?x:a)", RG_OTHER, 4},
	    {"(?", RG_OTHER, 2},	{"(?abc", RG_OTHER, 5},
	};
	struct rt_tok t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		t = tok(c[i].s, 0);
		if (t.kind != RT_OPEN || t.group != c[i].g || t.len != c[i].len)
			fail_msg("%s: got kind %d group %d len %zu, want "
				 "group %d len %zu",
				 c[i].s, t.kind, t.group, t.len, c[i].g,
				 c[i].len);
	}
}

/* Lexes s (tokens, and members of every class) from a buffer of exactly
 * its length: ASan stops a read past n. */
static void
lex_all_within(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);
	struct rt_tok t, m;
	size_t i = 0, j, count = 0;

	assert_non_null(p);
	memcpy(p, s, n);
	for (rt_next(p, n, 0, &t); t.kind != RT_END; rt_next(p, n, i, &t)) {
		assert_true(t.len > 0 && t.at == i && i + t.len <= n);
		for (j = t.kind == RT_CLASS ? rt_class_first(&t) : n;
		     j < t.at + t.len; j += m.len) {
			rt_member(p, n, j, &m);
			assert_true(m.len > 0 && j + m.len <= n);
		}
		i += t.len;
		count++;
	}
	assert_int_equal(i, n);
	free(p);
}

static void
nothing_is_read_past_the_end(void **state)
{
	static const char *const cut[] = {
	    "\\",    "\\x",   "\\x4",  "\\x{",	 "\\Q", "\\Qab\\", "\\c",
	    "\\p",   "\\p{L", "\\0",   "\\01",	 "[",	"[^",	   "[]",
	    "[a\\",  "[[:",   "[[:a:", "[[:a:]", "(",	"(?",	   "(?<",
	    "(?P<n", "(?i",   "{",     "{1",	 "{1,", "{1,2",	   "a*",
	    "a+?",   "a{1}+", "(?<=",  "(?(",	 "(*",	"\\k{",	   "[\\x{4"};
	char big[5001];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++)
		lex_all_within(cut[i], strlen(cut[i]));
	/* deep nesting: the lexer keeps no stack */
	memset(big, '(', sizeof(big) - 1);
	lex_all_within(big, sizeof(big) - 1);
	/* a long class is one token */
	big[0] = '[';
	for (i = 1; i + 2 < sizeof(big); i++)
		big[i] = "a-z\\d"[i % 5];
	big[sizeof(big) - 3] = 'x'; /* not a backslash before the ']' */
	big[sizeof(big) - 2] = ']';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(tok(big, 0).len, strlen(big));
	assert_true(tok(big, 0).closed);
	lex_all_within(big, strlen(big));
}

/* ---- the consumers refuse what they refused before ---- */

static void
nesting_deeper_than_64_is_refused_by_every_consumer(void **state)
{
	char re[200], out[420];
	size_t d;

	(void)state;
	for (d = 64; d <= 65; d++) {
		memset(re, '(', d);
		re[d] = 'a';
		memset(re + d + 1, ')', d);
		re[2 * d + 1] = '\0';
		assert_int_equal(match_relax(re, out, sizeof(out)),
				 d > 64 ? -1 : 0);
		assert_int_equal(match_reverse(re, out, sizeof(out)),
				 d > 64 ? -1 : 0);
		assert_int_equal(
		    match_ascii(re, MATCH_FORM_PLAIN, out, sizeof(out)),
		    d > 64 ? -1 : 0);
	}
}

static void
consumers_refuse_what_they_refused_before(void **state)
{
	/* match_relax: verbs and conditionals */
	static const char *const relax_no[] = {"(*COMMIT)a", "a(?(1)b|c)",
					       "(?(?=x)a|b)"};
	/* match_reverse: what reads state a backward scan has not, and a
	 * class that does not end */
	static const char *const rev_no[] = {
	    "(a)\\2",  "\\g{1}", "\\k<n>", "a\\Kb",   "\\R",	 "\\X",
	    "\\Qa\\E", "a\\E",	 "(?i)a",  "(*FAIL)", "(?(1)a)", "(?R)",
	    "(?#c)a",  "a**",	 "a{2}+?", "[ab",     "\\"};
	/* and what it took before the lexer, which PCRE2 refuses too: a
	 * class whose last member is "\]", a \p with no property */
	static const char *const rev_now_no[] = {"[\\]", "[[:a:]", "\\p(a)",
						 "\\Pa\\p"};
	/* match_ascii: what it does not parse exactly */
	static const char *const ascii_no[] = {
	    "\\Qa\\E",	 "\\x{41}", "\\x4",    "\\xe9", "\\pL",
	    "\\cA",	 "\\o{1}",  "\\N",     "\\g1",	"\\k<n>",
	    "\\012",	 "\\1",	    "a\\",     "[[:x]", "[a",
	    "(?x)a",	 "(?#c)a",  "(*UTF)a", "(?|a)", "(?(1)a)",
	    "(?<a-b>x)", "(?P>n)",  "a)",      "(a",	"\\\x01"};
	/* and by all three, a "[:" that the scanners before the lexer read
	 * up to a ":]" past the class's end, where PCRE2 reads a '[' and a
	 * ':' (the fuzz-replay-match_ascii seed posix-past-class) */
	static const char *const now_no[] = {"[[:a]b:]", "x[[:]{2}:]",
					     "(?=[[:a]):])y"};
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(relax_no) / sizeof(relax_no[0]); i++)
		if (match_relax(relax_no[i], out, sizeof(out)) != -1)
			fail_msg("relax(%s) gave %s", relax_no[i], out);
	for (i = 0; i < sizeof(rev_no) / sizeof(rev_no[0]); i++)
		if (match_reverse(rev_no[i], out, sizeof(out)) != -1)
			fail_msg("reverse(%s) gave %s", rev_no[i], out);
	for (i = 0; i < sizeof(now_no) / sizeof(now_no[0]); i++)
		if (match_relax(now_no[i], out, sizeof(out)) != -1 ||
		    match_reverse(now_no[i], out, sizeof(out)) != -1 ||
		    match_ascii(now_no[i], MATCH_FORM_PLAIN, out,
				sizeof(out)) != -1)
			fail_msg("%s was taken", now_no[i]);
	for (i = 0; i < sizeof(rev_now_no) / sizeof(rev_now_no[0]); i++)
		if (match_reverse(rev_now_no[i], out, sizeof(out)) != -1)
			fail_msg("reverse(%s) gave %s", rev_now_no[i], out);
	for (i = 0; i < sizeof(ascii_no) / sizeof(ascii_no[0]); i++)
		if (match_ascii(ascii_no[i], MATCH_FORM_PLAIN, out,
				sizeof(out)) != -1)
			fail_msg("ascii(%s) gave %s", ascii_no[i], out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_token_kind_is_told_apart),
	    cmocka_unit_test(quantifiers_read_their_counts_and_mode),
	    cmocka_unit_test(escapes_have_their_pcre_length_and_value),
	    cmocka_unit_test(classes_end_at_their_bracket_and_list_members),
	    cmocka_unit_test(group_openers_have_their_kind),
	    cmocka_unit_test(nothing_is_read_past_the_end),
	    cmocka_unit_test(
		nesting_deeper_than_64_is_refused_by_every_consumer),
	    cmocka_unit_test(consumers_refuse_what_they_refused_before),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
