/* lib/spam/match_hdr_test.c - header rules and exists: through the
 * per-message name hashes (match_hdr.c): the fields a name takes whatever
 * their case, pseudo headers, ALL, :addr and :raw, the text of two groups
 * of the same header (rules of two directories) built once and seen by
 * both, and an absent header's verdicts ("" and [if-unset:]) as a run of
 * the pattern gives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "match_int.h"
#include "msgview.h"
#include "rules.h"

/* Two directories: a group each per header text. */
static const char rules_a[] =
    "header A_SUBJ Subject =~ /free/i\nscore A_SUBJ 1\n"
    "header A_ALL ALL =~ /^x-mailer: junk$/im\nscore A_ALL 1\n"
    "header A_RAW ALL:raw =~ /=\\?utf-8\\?/i\nscore A_RAW 1\n"
    "header A_FROM From:addr =~ /^bob\\@spam\\.example$/\n"
    "score A_FROM 1\n"
    "header A_RELAY X-Spam-Relays-External =~ /ip=10\\./\n"
    "score A_RELAY 1\n"
    "header A_UNSET X-Absent =~ /^none$/ [if-unset: none]\n"
    "score A_UNSET 1\n"
    "header A_EMPTY X-Absent =~ /^$/\nscore A_EMPTY 1\n"
    "header A_NOT X-Absent !~ /x/\nscore A_NOT 1\n"
    "header A_HAS exists:x-MAILER\nscore A_HAS 1\n"
    "header A_PSEUDO exists:X-Spam-Relays-External\nscore A_PSEUDO 1\n"
    "header A_TOCC ToCc =~ /carol/\nscore A_TOCC 1\n";
static const char rules_b[] =
    "header B_SUBJ subject =~ /money/\nscore B_SUBJ 1\n"
    "header B_ALL ALL =~ /^SUBJECT: /m\nscore B_ALL 1\n"
    "header B_RAW ALL:raw =~ /^From: /m\nscore B_RAW 1\n"
    "header B_FROM From:addr =~ /spam/\nscore B_FROM 1\n"
    "header B_UNSET X-Absent =~ /^x$/ [if-unset: y]\nscore B_UNSET 1\n"
    "header B_NONE exists:X-Nowhere\nscore B_NONE 1\n";

static const struct {
	const char *msg;
	const char *want; /* the rules hit, in rule order */
} cases[] = {
    {"From: Bob <bob@spam.example>\nTo: carol@example.org\n"
     "SUBJECT: Free money\nx-mailer: junk\n\nbody\n",
     "A_SUBJ A_ALL A_FROM A_RELAY A_UNSET A_EMPTY A_NOT A_HAS A_PSEUDO "
     "A_TOCC B_SUBJ B_ALL B_RAW B_FROM"},
    {"from: alice@example.org\nCc: Carol <carol@example.org>\n"
     "Subject: =?utf-8?q?caf=C3=A9?=\n\nbody\n",
     "A_RAW A_RELAY A_UNSET A_EMPTY A_NOT A_PSEUDO A_TOCC"},
    {"From: x@example.org\nX-Absent: x\nsubject: hello\n\nbody\n",
     "A_PSEUDO B_RAW B_UNSET"},
};

static void
load(struct sp_ruleset *rs)
{
	struct sp_rules_error re;

	sp_rules_init(rs);
	memset(&re, 0, sizeof(re));
	if (sp_rules_parse(rs, "a/a.cf", rules_a, strlen(rules_a), NULL, &re) <
		0 ||
	    sp_rules_parse(rs, "b/b.cf", rules_b, strlen(rules_b), NULL, &re) <
		0 ||
	    sp_rules_finish(rs, &re) < 0)
		fail_msg("rules: got error '%s', want none", re.msg);
}

/* One pseudo header, as the engine adds them. */
static void
add_pseudo(struct sp_view *v, const char *name, const char *value)
{
	v->pseudo = calloc(1, sizeof(*v->pseudo));
	assert_non_null(v->pseudo);
	v->pseudo->name = strdup(name);
	v->pseudo->raw = strdup(value);
	v->pseudo->decoded = strdup(value);
	assert_true(v->pseudo->name && v->pseudo->raw && v->pseudo->decoded);
	v->npseudo = 1;
}

static void
hits(const struct sp_ruleset *rs, const double *values, char *out, size_t cap)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < rs->n; i++)
		if (values[i] != 0 && o < cap)
			o += (size_t)snprintf(out + o, cap - o, "%s%s",
					      o ? " " : "", rs->v[i].name);
}

static void
header_rules_and_exists_take_the_fields_their_names_say(void **state)
{
	struct sp_ruleset rs;
	struct sp_matcher *m = NULL;
	struct sp_limits lim;
	char err[256], got[512];
	double *values;
	size_t i;

	(void)state;
	load(&rs);
	if (sp_match_build(&rs, &m, err, sizeof(err)) < 0)
		fail_msg("build: got error '%s', want none", err);
	values = calloc(rs.n + 1, sizeof(*values));
	assert_non_null(values);
	memset(&lim, 0, sizeof(lim));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sp_view v;

		assert_int_equal(sp_view_parse(cases[i].msg,
					       strlen(cases[i].msg), &lim, &v,
					       err, sizeof(err)),
				 0);
		add_pseudo(&v, "X-Spam-Relays-External",
			   i == 2 ? "[ ip=192.0.2.1 ]" : "[ ip=10.1.2.3 ]");
		memset(values, 0, (rs.n + 1) * sizeof(*values));
		if (sp_match_run(m, &rs, &v, NULL, values, err, sizeof(err)) <
		    0)
			fail_msg("run: got error '%s', want none", err);
		hits(&rs, values, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("message %zu: got '%s', want '%s'", i, got,
				 cases[i].want);
		sp_view_clear(&v);
	}
	free(values);
	sp_match_free(&m);
	sp_rules_free(&rs);
}

/* The groups of one text (a's and b's Subject, ALL, ALL:raw, From:addr
 * and X-Absent) are scanned one after the other, the later ones on the
 * text the first built; every group is scanned once. */
static void
groups_of_one_header_text_are_scanned_together(void **state)
{
	struct sp_ruleset rs;
	struct sp_matcher *m = NULL;
	char err[256];
	size_t i, same = 0, *seen;

	(void)state;
	load(&rs);
	if (sp_match_build(&rs, &m, err, sizeof(err)) < 0)
		fail_msg("build: got error '%s', want none", err);
	seen = calloc(m->ng, sizeof(*seen));
	assert_non_null(seen);
	for (i = 0; i < m->ng; i++) {
		const struct mgroup *g = &m->g[m->order[i]];

		seen[m->order[i]]++;
		if (!m->same_prev[i])
			continue;
		same++;
		if (!match_hdr_same(&m->g[m->order[i - 1]], g))
			fail_msg("group %zu (%s) follows %s as the same text",
				 m->order[i], g->hdr,
				 m->g[m->order[i - 1]].hdr);
	}
	for (i = 0; i < m->ng; i++)
		if (seen[i] != 1)
			fail_msg("group %zu: scanned %zu times, want 1", i,
				 seen[i]);
	if (same != 5)
		fail_msg("got %zu groups on the text before theirs, want 5",
			 same);
	free(seen);
	sp_match_free(&m);
	sp_rules_free(&rs);
}

static void
names_strcasecmp_finds_equal_hash_equal(void **state)
{
	static const char *const pairs[][2] = {
	    {"Subject", "SUBJECT"},
	    {"x-mailer", "X-Mailer"},
	    {"", ""},
	    {"Message-ID", "message-id"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (match_hdr_hash(pairs[i][0]) != match_hdr_hash(pairs[i][1]))
			fail_msg("'%s' and '%s': got different hashes, want "
				 "equal",
				 pairs[i][0], pairs[i][1]);
	assert_int_not_equal(match_hdr_hash("To"), match_hdr_hash("Cc"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		header_rules_and_exists_take_the_fields_their_names_say),
	    cmocka_unit_test(groups_of_one_header_text_are_scanned_together),
	    cmocka_unit_test(names_strcasecmp_finds_equal_hash_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
