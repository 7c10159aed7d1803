/* lib/spam/autolearn_test.c - the auto-learn decision (autolearn.c)
 * over hand-built hits, and "autolearn=" in X-Spam-Status (report.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "autolearn.h"
#include "buf.h"
#include "engine.h"

#define H(t, f, s)                                                             \
	{                                                                      \
		t, f, s, s, 0, 0                                               \
	}
#define NHITS 6

struct al_case {
	const char *name;
	struct sp_al_hit hits[NHITS];
	size_t n;
	int is_spam;
	int want; /* 1 spam, 0 ham, -1 none */
};

static const struct sp_al_thresholds al_sa = {12.0, 0.1};

static const struct al_case al_cases[] = {
    {"header 7 + body 7 is spam",
     {H(SP_R_HEADER, 0, 7), H(SP_R_BODY, 0, 7)},
     2,
     1,
     1},
    {"14 points all from headers is not learned",
     {H(SP_R_HEADER, 0, 7), H(SP_R_HEADER, 0, 7)},
     2,
     1,
     -1},
    {"14 points with 2.9 body points is not learned",
     {H(SP_R_HEADER, 0, 11.1), H(SP_R_URI, 0, 2.9)},
     2,
     1,
     -1},
    {"rawbody and uri count as body",
     {H(SP_R_HEADER, 0, 9), H(SP_R_RAWBODY, 0, 1.5), H(SP_R_URI, 0, 1.5)},
     3,
     1,
     1},
    {"11.9 points is between the thresholds",
     {H(SP_R_HEADER, 0, 5.9), H(SP_R_BODY, 0, 6)},
     2,
     1,
     -1},
    {"BAYES_99 does not count toward spam",
     {H(SP_R_HEADER, 0, 4), H(SP_R_BODY, 0, 4),
      H(SP_R_BAYES, SP_TF_LEARN, 5.5)},
     3,
     1,
     -1},
    {"a learn rule does not count toward spam",
     {H(SP_R_HEADER, 0, 6), H(SP_R_BODY, 0, 3), H(SP_R_BODY, SP_TF_LEARN, 5)},
     3,
     1,
     -1},
    {"a noautolearn rule does not count toward spam",
     {H(SP_R_HEADER, 0, 6), H(SP_R_BODY, 0, 3),
      H(SP_R_BODY, SP_TF_NOAUTOLEARN, 5)},
     3,
     1,
     -1},
    {"spam when Bayes says ham (BAYES_00 -2.5) is not learned",
     {H(SP_R_HEADER, 0, 7), H(SP_R_BODY, 0, 7),
      H(SP_R_BAYES, SP_TF_LEARN | SP_TF_NICE, -2.5)},
     3,
     1,
     -1},
    {"spam points but not spam (required above) is not learned",
     {H(SP_R_HEADER, 0, 7), H(SP_R_BODY, 0, 7)},
     2,
     0,
     -1},
    {"no rules at all is ham", {{0}}, 0, 0, 0},
    {"a negative rule is ham", {H(SP_R_HEADER, 0, -1)}, 1, 0, 0},
    {"0.1 points is not ham", {H(SP_R_BODY, 0, 0.1)}, 1, 0, -1},
    {"BAYES_00 does not make ham of 0.5 points",
     {H(SP_R_BODY, 0, 0.5), H(SP_R_BAYES, SP_TF_LEARN, -2.5)},
     2,
     0,
     -1},
    {"ham when Bayes says spam (BAYES_99) is not learned",
     {H(SP_R_BAYES, SP_TF_LEARN, 5.5)},
     1,
     0,
     -1},
    {"ham that scored as spam is not learned", {{0}}, 0, 1, -1},
    {"a meta of one header and one body rule splits its points",
     {H(SP_R_HEADER, 0, 4), H(SP_R_BODY, 0, 2), {SP_R_META, 0, 6, 6, 1, 1}},
     3,
     1,
     1},
    {"a meta of header rules gives header points only",
     {H(SP_R_HEADER, 0, 4), H(SP_R_BODY, 0, 2), {SP_R_META, 0, 6, 6, 2, 0}},
     3,
     1,
     -1},
    {"a full rule counts toward the score only",
     {H(SP_R_HEADER, 0, 3), H(SP_R_BODY, 0, 3), H(SP_R_FULL, 0, 6)},
     3,
     1,
     1},
};

static const char *
al_want_name(int w)
{
	return w == 1 ? "spam" : w == 0 ? "ham" : "none";
}

static void
decision_follows_spamassassin(void **state)
{
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(al_cases) / sizeof(al_cases[0]); i++) {
		const struct al_case *c = &al_cases[i];
		struct sp_al_points p;
		int got;

		sp_al_points(c->hits, c->n, &p);
		got = sp_al_decide(&p, c->is_spam, &al_sa);
		if (got != c->want) {
			print_error("%s: got %s, want %s (points %.3f head "
				    "%.3f body %.3f learned %.3f)\n",
				    c->name, al_want_name(got),
				    al_want_name(c->want), p.points, p.head,
				    p.body, p.learned);
			bad++;
		}
	}
	if (bad)
		fail_msg("%d of %zu cases wrong", bad,
			 sizeof(al_cases) / sizeof(al_cases[0]));
}

static void
points_split_head_body_and_learned(void **state)
{
	const struct sp_al_hit h[] = {
	    H(SP_R_HEADER, 0, 2.5),
	    H(SP_R_BODY, 0, 1.25),
	    {SP_R_META, 0, 3, 3, 1, 2},
	    H(SP_R_BAYES, SP_TF_LEARN, 3.5),
	    H(SP_R_URI, SP_TF_NOAUTOLEARN, 9),
	};
	struct sp_al_points p;

	(void)state;
	sp_al_points(h, sizeof(h) / sizeof(h[0]), &p);
	if (p.points != 6.75 || p.head != 3.5 || p.body != 3.25 ||
	    p.learned != 3.5)
		fail_msg("got points %g head %g body %g learned %g, want "
			 "6.75 3.5 3.25 3.5",
			 p.points, p.head, p.body, p.learned);
}

static void
thresholds_come_from_the_config(void **state)
{
	const struct sp_al_hit h[] = {H(SP_R_HEADER, 0, 4), H(SP_R_BODY, 0, 4)};
	const struct sp_al_thresholds low = {8.0, -5.0};
	struct sp_al_points p;
	int got;

	(void)state;
	sp_al_points(h, 2, &p);
	if ((got = sp_al_decide(&p, 1, &low)) != 1)
		fail_msg("8 points at threshold_spam 8: got %s, want spam",
			 al_want_name(got));
	if ((got = sp_al_decide(&p, 1, &al_sa)) != -1)
		fail_msg("8 points at threshold_spam 12: got %s, want none",
			 al_want_name(got));
}

struct st_case {
	enum sp_autolearn al;
	const char *want;
};

static void
status_carries_autolearn(void **state)
{
	static const struct st_case c[] = {
	    {SP_AL_SPAM, "Yes, score=14.0 required=5.0 tests=A,B "
			 "autolearn=spam"},
	    {SP_AL_HAM, "Yes, score=14.0 required=5.0 tests=A,B "
			"autolearn=ham"},
	    {SP_AL_NO, "Yes, score=14.0 required=5.0 tests=A,B "
		       "autolearn=no"},
	    {SP_AL_UNAVAILABLE, "Yes, score=14.0 required=5.0 tests=A,B "
				"autolearn=unavailable"},
	    {SP_AL_FAILED, "Yes, score=14.0 required=5.0 tests=A,B "
			   "autolearn=failed"},
	};
	struct sp_rule rules[2];
	const struct sp_rule *hits[2] = {&rules[0], &rules[1]};
	struct sp_result r;
	struct buf b;
	size_t i;

	(void)state;
	memset(rules, 0, sizeof(rules));
	rules[0].name = (char *)"A";
	rules[1].name = (char *)"B";
	memset(&r, 0, sizeof(r));
	r.hits = hits;
	r.nhits = 2;
	r.score = 14;
	r.required = 5;
	r.is_spam = 1;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char got[160];

		r.autolearn = c[i].al;
		buf_init(&b, 0);
		assert_int_equal(sp_fmt_status(&r, &b), 0);
		snprintf(got, sizeof(got), "%s", buf_str(&b));
		buf_free(&b);
		if (strcmp(got, c[i].want) != 0)
			fail_msg("got \"%s\", want \"%s\"", got, c[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(decision_follows_spamassassin),
	    cmocka_unit_test(points_split_head_body_and_learned),
	    cmocka_unit_test(thresholds_come_from_the_config),
	    cmocka_unit_test(status_carries_autolearn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
