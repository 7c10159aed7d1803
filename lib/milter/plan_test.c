/* lib/milter/plan_test.c - the edit plan: order, validation, apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "plan.h"
#include "testseam.h"

static void
expect_ops(const struct rec *r, const char *const *want, size_t n)
{
	size_t i;

	if (r->n != n)
		fail_msg("got %zu edits, want %zu", r->n, n);
	for (i = 0; i < n; i++)
		if (strcmp(r->ops[i], want[i]) != 0)
			fail_msg("edit %zu: got \"%s\", want \"%s\"", i,
				 r->ops[i], want[i]);
}

static void
deletions_apply_from_last_index_down(void **state)
{
	struct mlt_plan p = {0};
	struct rec r = {0};
	const char *what = NULL;
	/* queued forward, as a naive filter would (CVE-2022-48521) */
	const char *want[] = {
	    "del Authentication-Results[3]",
	    "del Authentication-Results[2]",
	    "del Authentication-Results[1]",
	};

	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_DELETE,
				      "Authentication-Results", 1, NULL),
			 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_DELETE,
				      "authentication-results", 2, NULL),
			 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_DELETE,
				      "Authentication-Results", 3, NULL),
			 0);
	assert_int_equal(mlt_plan_apply(&p, &rec_seam, &r, &what), 0);
	/* names are as queued; compare case-insensitively on the middle one */
	if (strcasecmp(r.ops[1], want[1]) == 0)
		snprintf(r.ops[1], sizeof(r.ops[1]), "%s", want[1]);
	expect_ops(&r, want, 3);
	mlt_plan_free(&p);
}

static void
quarantine_travels_in_the_plan_after_header_changes(void **state)
{
	struct mlt_plan p = {0};
	struct rec r = {0};
	const char *what = NULL;
	const char *want[] = {
	    "del X-Old[1]",
	    "quarantine recipient_blacklist hold.example",
	    "add X-New: v",
	};

	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_QUARANTINE, "quarantine", 0,
				      "recipient_blacklist hold.example"),
			 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_DELETE, "X-Old", 1, NULL),
			 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_ADD, "X-New", 0, "v"), 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_QUARANTINE, "quarantine", 0,
				      "bad\r\nreason"),
			 -1);
	assert_int_equal(mlt_plan_apply(&p, &rec_seam, &r, &what), 0);
	expect_ops(&r, want, 3);
	mlt_plan_free(&p);
}

static void
leadspc_gives_added_values_their_leading_space(void **state)
{
	struct mlt_plan p = {0};
	struct rec r = {0};
	const char *what = NULL;
	const char *want[] = {
	    "chg X-Chg[1]:  new",
	    "del X-Old[1]",
	    "add X-Add:  a",
	    "ins 0 X-Ins:  i",
	};

	p.leadspc = 1;
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_ADD, "X-Add", 0, "a"), 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_INSERT, "X-Ins", 0, "i"), 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_CHANGE, "X-Chg", 1, "new"),
			 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_DELETE, "X-Old", 1, NULL),
			 0);
	assert_int_equal(mlt_plan_apply(&p, &rec_seam, &r, &what), 0);
	expect_ops(&r, want, 4);
	mlt_plan_free(&p);
}

static void
changes_before_inserts_and_adds_in_queue_order(void **state)
{
	struct mlt_plan p = {0};
	struct rec r = {0};
	const char *what = NULL;
	const char *want[] = {
	    "del Received[2]",
	    "chg Subject[1]: [SPAM] hi",
	    "del X-Mailer[1]",
	    "add X-Spam-Flag: YES",
	    "ins 0 Authentication-Results: mx; spf=pass",
	    "add X-Spam-Score: 9.1",
	};

	assert_int_equal(
	    mlt_plan_add(&p, MLT_EDIT_ADD, "X-Spam-Flag", 0, "YES"), 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_DELETE, "X-Mailer", 1, NULL),
			 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_INSERT,
				      "Authentication-Results", 0,
				      "mx; spf=pass"),
			 0);
	assert_int_equal(
	    mlt_plan_add(&p, MLT_EDIT_CHANGE, "Subject", 1, "[SPAM] hi"), 0);
	assert_int_equal(
	    mlt_plan_add(&p, MLT_EDIT_ADD, "X-Spam-Score", 0, "9.1"), 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_DELETE, "Received", 2, NULL),
			 0);
	assert_int_equal(mlt_plan_apply(&p, &rec_seam, &r, &what), 0);
	expect_ops(&r, want, 6);
	mlt_plan_free(&p);
}

static void
bad_names_values_and_indices_are_refused(void **state)
{
	static const struct {
		enum mlt_edit_kind k;
		const char *name;
		int index;
		const char *value;
	} bad[] = {
	    {MLT_EDIT_ADD, "", 0, "v"},
	    {MLT_EDIT_ADD, "Bad Name", 0, "v"},
	    {MLT_EDIT_ADD, "Bad:Name", 0, "v"},
	    {MLT_EDIT_ADD, "X", 0, "a\r\nb"},
	    {MLT_EDIT_ADD, "X", 0, "a\nb"},
	    {MLT_EDIT_ADD, "X", 0, NULL},
	    {MLT_EDIT_CHANGE, "X", 0, "v"},
	    {MLT_EDIT_DELETE, "X", 0, NULL},
	    {MLT_EDIT_DELETE, "X", 1, "v"},
	    {MLT_EDIT_INSERT, "X", -1, "v"},
	};
	struct mlt_plan p = {0};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mlt_plan_add(&p, bad[i].k, bad[i].name, bad[i].index,
				 bad[i].value) != -1)
			fail_msg("case %zu (%s): got accepted, want -1", i,
				 bad[i].name);
	assert_int_equal(p.n, 0);
	/* folding is fine */
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_ADD, "X", 0, "a\n\tb"), 0);
	mlt_plan_free(&p);
}

static void
plan_stops_at_its_maximum(void **state)
{
	struct mlt_plan p = {0};
	int i;

	p.max = 3;
	for (i = 0; i < 3; i++)
		assert_int_equal(mlt_plan_add(&p, MLT_EDIT_ADD, "X", 0, "v"),
				 0);
	if (mlt_plan_add(&p, MLT_EDIT_ADD, "X", 0, "v") != -1)
		fail_msg("got a 4th edit accepted, want -1 at max 3");
	mlt_plan_free(&p);
}

static void
apply_reports_the_failing_edit(void **state)
{
	struct mlt_plan p = {0};
	struct rec r = {0};
	const char *what = NULL;

	r.fail_at = 2;
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_ADD, "A", 0, "1"), 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_ADD, "B", 0, "2"), 0);
	assert_int_equal(mlt_plan_add(&p, MLT_EDIT_ADD, "C", 0, "3"), 0);
	assert_int_equal(mlt_plan_apply(&p, &rec_seam, &r, &what), -1);
	assert_string_equal(what, "B");
	assert_int_equal(r.n, 2);
	mlt_plan_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(deletions_apply_from_last_index_down),
	    cmocka_unit_test(changes_before_inserts_and_adds_in_queue_order),
	    cmocka_unit_test(leadspc_gives_added_values_their_leading_space),
	    cmocka_unit_test(
		quarantine_travels_in_the_plan_after_header_changes),
	    cmocka_unit_test(bad_names_values_and_indices_are_refused),
	    cmocka_unit_test(plan_stops_at_its_maximum),
	    cmocka_unit_test(apply_reports_the_failing_edit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
