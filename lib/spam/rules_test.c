/* lib/spam/rules_test.c - the rule parser (line numbers in errors,
 * skips), meta expressions, matching through the engine and the
 * SpamAssassin header format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "engine.h"
#include "meta.h"
#include "rules.h"

static void
parse(struct sp_ruleset *rs, const char *text, struct sp_rules_error *err)
{
	memset(err, 0, sizeof(*err));
	sp_rules_init(rs);
	assert_int_equal(
	    sp_rules_parse(rs, "t.cf", text, strlen(text), NULL, err), 0);
	assert_int_equal(sp_rules_finish(rs, err), 0);
}

static void
malformed_line_is_reported_with_its_line_number(void **state)
{
	struct sp_ruleset rs;
	struct sp_rules_error err;

	parse(&rs, "# comment\nbody OK /fine/\n\nheader BAD Subject =~ /x\n",
	      &err);
	if (err.line != 4)
		fail_msg("got line %d, want 4 (%s)", err.line, err.msg);
	assert_string_equal(err.file, "t.cf");
	assert_non_null(strstr(err.msg, "unterminated"));
	assert_int_equal(rs.nerrors, 1);
	sp_rules_free(&rs);
}

static void
eval_and_false_ifplugin_are_skipped_not_fatal(void **state)
{
	struct sp_ruleset rs;
	struct sp_rules_error err;
	long i;

	parse(&rs,
	      "header E eval:check_foo()\n"
	      "ifplugin Mail::SpamAssassin::Plugin::Nope\nbody P /p/\nendif\n"
	      "if (version >= 3.004000)\nbody V /v/\nendif\n"
	      "meta M E && V\nfoo_directive 1\n",
	      &err);
	assert_int_equal(err.line, 0);
	assert_int_equal(rs.nevals, 1);
	assert_int_equal(rs.nunknown, 1);
	i = sp_rules_find(&rs, "P", 1);
	assert_true(i >= 0 && rs.v[i].skip != NULL);
	i = sp_rules_find(&rs, "V", 1);
	assert_true(i >= 0 && rs.v[i].skip == NULL);
	i = sp_rules_find(&rs, "M", 1);
	if (i < 0 || rs.v[i].skip == NULL)
		fail_msg("got meta M live, want skipped (depends on eval)");
	sp_rules_free(&rs);
}

static void
scores_pick_the_set_and_defaults(void **state)
{
	struct sp_ruleset rs;
	struct sp_rules_error err;
	long i;

	parse(&rs,
	      "score A 1 2 3 4\nbody A /a/\nbody B /b/\nbody __C /c/\n"
	      "body T_D /d/\n",
	      &err);
	i = sp_rules_find(&rs, "A", 1);
	assert_true(sp_rule_score(&rs.v[i], 2) == 3.0);
	assert_true(sp_rule_score(&rs.v[sp_rules_find(&rs, "B", 1)], 0) == 1.0);
	assert_true(sp_rule_score(&rs.v[sp_rules_find(&rs, "__C", 3)], 0) ==
		    0.0);
	assert_true(sp_rule_score(&rs.v[sp_rules_find(&rs, "T_D", 3)], 0) ==
		    0.01);
	sp_rules_free(&rs);
}

static int
skipped(const struct sp_ruleset *rs, const char *name)
{
	long i = sp_rules_find(rs, name, strlen(name));

	if (i < 0)
		fail_msg("no rule %s", name);
	return rs->v[i].skip != NULL;
}

/* SpamAssassin disables a test scored 0; facteur skips it too unless a
 * scored meta reads it, directly or through unscored metas. */
static void
rules_no_result_reads_are_skipped(void **state)
{
	static const char text[] =
	    "body ZERO /z/\nscore ZERO 0\n"
	    "body ZERO_SET2 /z/\nscore ZERO_SET2 0 0 1 0\n"
	    "body __SUB /s/\n"
	    "body __DEEP /d/\nmeta __MID __DEEP\n"
	    "meta SCORED __SUB && __MID && ZERO_READ\n"
	    "body ZERO_READ /r/\nscore ZERO_READ 0\n"
	    "body __ALONE /a/\nmeta __ALONE_META __ALONE\n"
	    "meta DEAD_META __ALONE_META\nscore DEAD_META 0\n"
	    "body __SCORED_SUB /x/\nscore __SCORED_SUB 3\n"
	    "body T_TEST /t/\nbody PLAIN /p/\n"
	    "header E eval:check_for_missing_to_header()\nscore E 0\n"
	    "body BAYES_00 eval:check_bayes('0.00', '0.01')\n"
	    "score BAYES_00 0\n";
	struct sp_ruleset rs;
	struct sp_rules_error err;

	memset(&err, 0, sizeof(err));
	sp_rules_init(&rs);
	rs.have_bayes = 1;
	assert_int_equal(
	    sp_rules_parse(&rs, "t.cf", text, strlen(text), NULL, &err), 0);
	assert_int_equal(sp_rules_finish(&rs, &err), 0);
	assert_int_equal(err.line, 0);
	assert_true(skipped(&rs, "ZERO"));
	assert_false(skipped(&rs, "ZERO_SET2"));
	assert_false(skipped(&rs, "SCORED"));
	assert_false(skipped(&rs, "__SUB"));
	assert_false(skipped(&rs, "__MID"));
	assert_false(skipped(&rs, "__DEEP"));
	assert_false(skipped(&rs, "ZERO_READ"));
	assert_true(skipped(&rs, "__ALONE"));
	assert_true(skipped(&rs, "__ALONE_META"));
	assert_true(skipped(&rs, "DEAD_META"));
	/* engine_score never lists a "__" rule, whatever its score */
	assert_true(skipped(&rs, "__SCORED_SUB"));
	assert_false(skipped(&rs, "T_TEST"));
	assert_false(skipped(&rs, "PLAIN"));
	assert_true(skipped(&rs, "E"));
	/* its rules decide whether the probability is computed */
	assert_false(skipped(&rs, "BAYES_00"));
	sp_rules_free(&rs);
}

static long
names(void *ctx, const char *n, size_t len)
{
	return len == 1 && n[0] >= 'A' && n[0] <= 'D' ? n[0] - 'A' : -1;
}

static void
meta_expressions_follow_perl_precedence(void **state)
{
	static const struct {
		const char *e;
		double want;
	} cases[] = {
	    {"A && B", 0},
	    {"A || B", 1},
	    {"!B && A", 1},
	    {"A + C + D >= 2", 1},
	    {"(A || B) && !(C && D)", 0},
	    {"A * 3 - 1 > 1", 1},
	    {"C / B", 0},
	    {"D / 2", 0.5},
	};
	const double v[] = {1, 0, 1, 1};
	struct sp_meta *m;
	size_t i, off;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    sp_meta_compile(cases[i].e, names, NULL, &m, &off),
		    SP_META_OK);
		if (sp_meta_eval(m, v) != cases[i].want)
			fail_msg("%s: got %g, want %g", cases[i].e,
				 sp_meta_eval(m, v), cases[i].want);
		sp_meta_free(&m);
	}
	assert_int_equal(sp_meta_compile("A &&", names, NULL, &m, &off),
			 SP_META_ESYNTAX);
	assert_int_equal(sp_meta_compile("A && Z", names, NULL, &m, &off),
			 SP_META_EUNKNOWN);
	assert_int_equal(off, 5);
}

static const char rules_cf[] =
    "header SUBJ_X Subject =~ /money/i\n"
    "header FROM_ADDR From:addr =~ /^bob\\@example\\.org$/\n"
    "header NO_XY X-Y !~ /./ [if-unset: ]\n"
    "header HAS_DATE exists:Date\n"
    "body   BODY_HTML /visible words/\n"
    "body   NOT_SCRIPT /evil script/\n"
    "uri    URI_IP /^http:\\/\\/\\d+\\.\\d+\\.\\d+\\.\\d+\\//\n"
    "rawbody RAW_TAG /<b>visible/\n"
    "meta   BOTH SUBJ_X && URI_IP\n"
    "score  SUBJ_X 2.5\nscore BOTH 0.5\n";

static const char msg[] =
    "From: Bob <bob@example.org>\r\nSubject: =?utf-8?q?More_MONEY?=\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    "<html><script>evil script</script><b>visible</b> words\r\n"
    "<a href=3D\"http://192.0.2.1/x\">here</a></html>\r\n";

static void
engine_matches_headers_body_uri_and_meta(void **state)
{
	static const char *const want[] = {"BODY_HTML", "BOTH",	   "FROM_ADDR",
					   "NO_XY",	"RAW_TAG", "SUBJ_X",
					   "URI_IP"};
	struct sp_engine_opts o;
	struct sp_engine *e;
	struct sp_result r;
	char path[] = "/tmp/spam_rules_testXXXXXX", err[256];
	FILE *f;
	size_t i;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(rules_cf, f);
	fclose(f);
	memset(&o, 0, sizeof(o));
	o.rules_path = path;
	o.required_score = 5.0;
	if (sp_engine_new(&o, &e, err, sizeof(err)) < 0)
		fail_msg("engine: %s", err);
	unlink(path);
	assert_int_equal(sp_engine_check(e, msg, sizeof(msg) - 1, NULL, &r, err,
					 sizeof(err)),
			 0);
	for (i = 0; i < r.nhits && i < 7; i++)
		if (strcmp(r.hits[i]->name, want[i]) != 0)
			fail_msg("hit %zu: got %s, want %s", i, r.hits[i]->name,
				 want[i]);
	if (r.nhits != 7)
		fail_msg("got %zu hits, want 7", r.nhits);
	if (r.score < 7.99 || r.score > 8.01)
		fail_msg("got score %g, want 8", r.score);
	assert_int_equal(r.is_spam, 1);
	sp_result_clear(&r);
	sp_engine_free(&e);
}

static void
status_header_is_in_spamassassin_format_and_folded(void **state)
{
	struct sp_rule rules[8];
	const struct sp_rule *hits[8];
	static const char *const n[] = {"BAYES_99",
					"HTML_MESSAGE",
					"MIME_HTML_ONLY",
					"RCVD_IN_XBL",
					"SUBJ_ALL_CAPS",
					"URIBL_BLACK",
					"FORGED_OUTLOOK_HTML",
					"DATE_IN_FUTURE_03_06"};
	struct sp_result r;
	struct buf b;
	size_t i;

	memset(&r, 0, sizeof(r));
	memset(rules, 0, sizeof(rules));
	for (i = 0; i < 8; i++) {
		rules[i].name = (char *)n[i];
		hits[i] = &rules[i];
	}
	r.hits = hits;
	r.nhits = 2;
	r.score = 7.25;
	r.required = 5;
	r.is_spam = 1;
	buf_init(&b, 0);
	assert_int_equal(sp_fmt_status(&r, &b), 0);
	/* 15 + 68 columns: SpamAssassin folds before autolearn */
	assert_string_equal(buf_str(&b),
			    "Yes, score=7.2 required=5.0 "
			    "tests=BAYES_99,HTML_MESSAGE\n\tautolearn=no");
	buf_reset(&b);
	r.nhits = 8;
	assert_int_equal(sp_fmt_status(&r, &b), 0);
	{
		/* every line fits in 79 columns (the first after the name),
		 * breaks follow a comma or blank, unfolding gives it back */
		const char *p = buf_str(&b), *nl;
		size_t col = 15;
		struct buf u;

		buf_init(&u, 0);
		while ((nl = strchr(p, '\n')) != NULL) {
			if (col + (size_t)(nl - p) > 79)
				fail_msg(
				    "got a line of %zu columns, want <= 79",
				    col + (size_t)(nl - p));
			assert_true(nl[-1] == ',' || nl[1] == '\t');
			assert_int_equal(buf_add(&u, p, (size_t)(nl - p)), 0);
			if (nl[-1] != ',')
				assert_int_equal(buf_addc(&u, ' '), 0);
			p = nl + 2;
			col = 8;
		}
		assert_int_equal(buf_adds(&u, p), 0);
		assert_string_equal(
		    buf_str(&u),
		    "Yes, score=7.2 required=5.0 "
		    "tests=BAYES_99,HTML_MESSAGE,MIME_HTML_ONLY,RCVD_IN_XBL,"
		    "SUBJ_ALL_CAPS,URIBL_BLACK,FORGED_OUTLOOK_HTML,"
		    "DATE_IN_FUTURE_03_06 autolearn=no");
		buf_free(&u);
	}
	buf_reset(&b);
	r.score = 0;
	r.nhits = 0;
	r.is_spam = 0;
	assert_int_equal(sp_fmt_status(&r, &b), 0);
	assert_string_equal(buf_str(&b), "No, score=0.0 required=5.0 "
					 "tests=none autolearn=no");
	buf_reset(&b);
	r.score = 3.9;
	assert_int_equal(sp_fmt_level(&r, &b), 0);
	assert_string_equal(buf_str(&b), "***");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(malformed_line_is_reported_with_its_line_number),
	    cmocka_unit_test(eval_and_false_ifplugin_are_skipped_not_fatal),
	    cmocka_unit_test(scores_pick_the_set_and_defaults),
	    cmocka_unit_test(rules_no_result_reads_are_skipped),
	    cmocka_unit_test(meta_expressions_follow_perl_precedence),
	    cmocka_unit_test(engine_matches_headers_body_uri_and_meta),
	    cmocka_unit_test(
		status_header_is_in_spamassassin_format_and_folded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
