/* lib/milter/runner_test.c - the runner over two filters, through the glue
 * with a recording seam: verdict combining, replies, on_error, body limit,
 * one edit plan applied at eom. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>
#include <libmilter/mfapi.h>

#include "glue.h"
#include "testseam.h"

/* A scripted filter: returns at[phase] and counts its calls. */
struct tf {
	enum mlt_verdict at[MLT_PH_EOM + 1];
	const char *reply[3]; /* code, xcode, text for its terminal verdict */
	const char *del;      /* at eom: delete this header, indices 1 and 2 */
	const char *add;      /* at eom: add this header ("Name: value") */
	int calls[MLT_PH_EOM + 1];
	int aborts, closes;
};

static enum mlt_verdict
tf_do(struct mlt_ctx *c, enum mlt_phase ph)
{
	struct tf *t = c->cfg;

	t->calls[ph]++;
	if (t->reply[0] && t->at[ph] != MLT_CONTINUE)
		assert_int_equal(
		    mlt_reply(c, t->reply[0], t->reply[1], t->reply[2]), 0);
	if (ph == MLT_PH_EOM && t->del) {
		assert_int_equal(mlt_delete_header(c, t->del, 1), 0);
		assert_int_equal(mlt_delete_header(c, t->del, 2), 0);
	}
	if (ph == MLT_PH_EOM && t->add)
		assert_int_equal(mlt_add_header(c, t->add, "yes"), 0);
	if (t->at[ph] == MLT_ERROR)
		return mlt_fail(c, "scripted failure");
	return t->at[ph];
}

static enum mlt_verdict
tf_connect(struct mlt_ctx *c)
{
	return tf_do(c, MLT_PH_CONNECT);
}
static enum mlt_verdict
tf_envfrom(struct mlt_ctx *c, const char *s)
{
	return tf_do(c, MLT_PH_ENVFROM);
}
static enum mlt_verdict
tf_envrcpt(struct mlt_ctx *c, const char *s)
{
	return tf_do(c, MLT_PH_ENVRCPT);
}
static enum mlt_verdict
tf_header(struct mlt_ctx *c, const struct mlt_header *h)
{
	return tf_do(c, MLT_PH_HEADER);
}
static enum mlt_verdict
tf_body(struct mlt_ctx *c, const unsigned char *p, size_t n)
{
	return tf_do(c, MLT_PH_BODY);
}
static enum mlt_verdict
tf_eom(struct mlt_ctx *c)
{
	return tf_do(c, MLT_PH_EOM);
}
static void
tf_abort(struct mlt_ctx *c)
{
	((struct tf *)c->cfg)->aborts++;
}
static void
tf_close(struct mlt_ctx *c)
{
	((struct tf *)c->cfg)->closes++;
}

static const struct mlt_filter tf_filter = {
    .name = "scripted",
    .connect = tf_connect,
    .envfrom = tf_envfrom,
    .envrcpt = tf_envrcpt,
    .header = tf_header,
    .body = tf_body,
    .eom = tf_eom,
    .abort = tf_abort,
    .close = tf_close,
};
static const struct mlt_filter tf_body_filter = {
    .name = "bodyscan",
    .wants_body = 1,
    .envfrom = tf_envfrom,
    .body = tf_body,
    .eom = tf_eom,
    .abort = tf_abort,
    .close = tf_close,
};

struct fixture {
	struct tf a, b;
	struct mlt_chain_entry e[2];
	struct mlt_chain ch;
	struct rec rec;
};

static void
fx_init(struct fixture *f, const struct mlt_filter *fa,
	const struct mlt_filter *fb)
{
	static const char *const macros[] = {"i", "4AbCdE", NULL};

	memset(f, 0, sizeof(*f));
	f->e[0] = (struct mlt_chain_entry){fa, &f->a, MLT_ON_ERROR_TEMPFAIL};
	f->e[1] = (struct mlt_chain_entry){fb, &f->b, MLT_ON_ERROR_TEMPFAIL};
	f->ch.v = f->e;
	f->ch.n = 2;
	f->ch.seam = &rec_seam;
	f->rec.macros = macros;
}

static const char *smfis_name[] = {"continue", "reject", "discard", "accept",
				   "tempfail"};

static void
expect_smfis(int got, int want, const char *where)
{
	if (got != want)
		fail_msg("%s: got %s, want %s", where,
			 got >= 0 && got <= 4 ? smfis_name[got] : "?",
			 smfis_name[want]);
}

/* Runs connect..eom; returns the first non-continue answer (or eom's). */
static int
fx_message(struct fixture *f, const char *body, int *phase)
{
	char from[] = "<alice@example.org>", r1[] = "<bob@example.net>";
	char *fv[] = {from, NULL}, *rv[] = {r1, NULL};
	int r;

	*phase = MLT_PH_CONNECT;
	if ((r = mlt_glue_connect(&f->ch, &f->rec, "client.example", NULL)))
		return r;
	*phase = MLT_PH_ENVFROM;
	if ((r = mlt_glue_envfrom(&f->ch, &f->rec, fv)))
		return r;
	*phase = MLT_PH_ENVRCPT;
	if ((r = mlt_glue_envrcpt(&f->ch, &f->rec, rv)))
		return r;
	*phase = MLT_PH_HEADER;
	if ((r = mlt_glue_header(&f->ch, &f->rec, "Subject", "hi")))
		return r;
	*phase = MLT_PH_EOH;
	if ((r = mlt_glue_eoh(&f->ch, &f->rec)))
		return r;
	*phase = MLT_PH_BODY;
	if ((r = mlt_glue_body(&f->ch, &f->rec, (const unsigned char *)body,
			       strlen(body))))
		return r;
	*phase = MLT_PH_EOM;
	return mlt_glue_eom(&f->ch, &f->rec);
}

static void
fx_close(struct fixture *f)
{
	assert_int_equal(mlt_glue_close(&f->ch, &f->rec), SMFIS_CONTINUE);
	assert_null(f->rec.priv);
	assert_int_equal(f->a.closes, 1);
	assert_int_equal(f->b.closes, 1);
}

static void
reject_from_second_filter_is_the_answer_with_its_reply(void **state)
{
	struct fixture f;
	int ph, r;

	fx_init(&f, &tf_filter, &tf_filter);
	f.b.at[MLT_PH_ENVFROM] = MLT_REJECT;
	f.b.reply[0] = "550";
	f.b.reply[1] = "5.7.1";
	f.b.reply[2] = "Go away, 100% sure";
	r = fx_message(&f, "body", &ph);
	expect_smfis(r, SMFIS_REJECT, "envfrom");
	assert_int_equal(ph, MLT_PH_ENVFROM);
	assert_int_equal(f.rec.n, 1);
	assert_string_equal(f.rec.ops[0],
			    "reply 550 5.7.1 Go away, 100%% sure");
	/* the rejected message is over: both filters saw its end */
	assert_int_equal(f.a.aborts, 1);
	assert_int_equal(f.b.aborts, 1);
	fx_close(&f);
}

static void
first_terminal_verdict_stops_later_filters(void **state)
{
	struct fixture f;
	int ph, r;

	fx_init(&f, &tf_filter, &tf_filter);
	f.a.at[MLT_PH_HEADER] = MLT_TEMPFAIL;
	f.b.at[MLT_PH_HEADER] = MLT_REJECT;
	r = fx_message(&f, "body", &ph);
	expect_smfis(r, SMFIS_TEMPFAIL, "header");
	if (f.b.calls[MLT_PH_HEADER] != 0)
		fail_msg("got %d header calls to filter 2, want 0",
			 f.b.calls[MLT_PH_HEADER]);
	/* no reply set: the MTA's default text */
	assert_int_equal(f.rec.n, 0);
	fx_close(&f);
}

static void
accept_retires_one_filter_and_the_other_still_decides(void **state)
{
	struct fixture f;
	int ph, r;

	fx_init(&f, &tf_filter, &tf_filter);
	f.a.at[MLT_PH_ENVFROM] = MLT_ACCEPT;
	f.b.add = "X-B";
	r = fx_message(&f, "body", &ph);
	expect_smfis(r, SMFIS_CONTINUE, "eom");
	if (f.a.calls[MLT_PH_EOM] != 0 || f.a.calls[MLT_PH_ENVRCPT] != 0)
		fail_msg("got calls to the retired filter, want none");
	assert_int_equal(f.b.calls[MLT_PH_EOM], 1);
	assert_int_equal(f.rec.n, 1);
	assert_string_equal(f.rec.ops[0], "add X-B: yes");
	assert_int_equal(f.a.aborts, 1); /* retired early: told at the end */
	assert_int_equal(f.b.aborts, 0); /* saw eom */
	fx_close(&f);
}

static void
both_filters_accepting_accepts_the_message(void **state)
{
	struct fixture f;
	int ph, r;

	fx_init(&f, &tf_filter, &tf_filter);
	f.a.at[MLT_PH_ENVFROM] = MLT_ACCEPT;
	f.b.at[MLT_PH_ENVFROM] = MLT_ACCEPT;
	r = fx_message(&f, "body", &ph);
	expect_smfis(r, SMFIS_ACCEPT, "envfrom");
	assert_int_equal(ph, MLT_PH_ENVFROM);
	fx_close(&f);
}

static void
error_with_on_error_tempfail_answers_451(void **state)
{
	struct fixture f;
	int ph, r;

	fx_init(&f, &tf_filter, &tf_filter);
	f.b.at[MLT_PH_EOM] = MLT_ERROR;
	f.a.add = "X-A";
	r = fx_message(&f, "body", &ph);
	expect_smfis(r, SMFIS_TEMPFAIL, "eom");
	/* no half-edited message: the planned header is not applied */
	assert_int_equal(f.rec.n, 1);
	assert_string_equal(
	    f.rec.ops[0],
	    "reply 451 4.3.0 Temporary local error, try again later");
	fx_close(&f);
}

static void
error_with_on_error_accept_skips_only_that_filter(void **state)
{
	struct fixture f;
	int ph, r;

	fx_init(&f, &tf_filter, &tf_filter);
	f.e[0].on_error = MLT_ON_ERROR_ACCEPT;
	f.a.at[MLT_PH_ENVRCPT] = MLT_ERROR;
	f.b.add = "X-B";
	r = fx_message(&f, "body", &ph);
	expect_smfis(r, SMFIS_CONTINUE, "eom");
	assert_int_equal(f.a.calls[MLT_PH_EOM], 0);
	assert_int_equal(f.rec.n, 1);
	assert_string_equal(f.rec.ops[0], "add X-B: yes");
	fx_close(&f);
}

static void
body_over_limit_tempfails(void **state)
{
	struct fixture f;
	int ph, r;

	fx_init(&f, &tf_filter, &tf_body_filter);
	f.ch.lim.max_body = 8;
	r = fx_message(&f, "0123456789abcdef", &ph);
	expect_smfis(r, SMFIS_TEMPFAIL, "body");
	assert_int_equal(ph, MLT_PH_BODY);
	assert_int_equal(f.b.calls[MLT_PH_BODY], 0);
	assert_int_equal(f.rec.n, 1);
	assert_string_equal(
	    f.rec.ops[0],
	    "reply 451 4.3.0 Temporary local error, try again later");
	fx_close(&f);
}

static void
body_within_limit_is_kept_for_the_filter(void **state)
{
	struct fixture f;
	struct mlt_conn *c;
	int ph, r;

	fx_init(&f, &tf_filter, &tf_body_filter);
	f.ch.lim.max_body = 16;
	f.b.at[MLT_PH_BODY] = MLT_CONTINUE;
	r = fx_message(&f, "0123456789abcdef", &ph);
	expect_smfis(r, SMFIS_CONTINUE, "eom");
	c = f.rec.priv;
	assert_null(c->msg); /* freed at eom */
	assert_int_equal(f.b.calls[MLT_PH_BODY], 1);
	fx_close(&f);
}

static void
edits_of_two_filters_apply_once_deletions_last_index_first(void **state)
{
	struct fixture f;
	int ph, r;

	fx_init(&f, &tf_filter, &tf_filter);
	f.a.del = "Authentication-Results";
	f.a.add = "X-A";
	f.b.add = "X-B";
	r = fx_message(&f, "body", &ph);
	expect_smfis(r, SMFIS_CONTINUE, "eom");
	assert_int_equal(f.rec.n, 4);
	assert_string_equal(f.rec.ops[0], "del Authentication-Results[2]");
	assert_string_equal(f.rec.ops[1], "del Authentication-Results[1]");
	assert_string_equal(f.rec.ops[2], "add X-A: yes");
	assert_string_equal(f.rec.ops[3], "add X-B: yes");
	fx_close(&f);
}

static void
rejected_recipient_is_dropped_and_the_message_goes_on(void **state)
{
	struct fixture f;
	char from[] = "<a@x>", r1[] = "<bad@x>", r2[] = "<good@x>";
	char *fv[] = {from, NULL}, *v1[] = {r1, NULL}, *v2[] = {r2, NULL};
	struct mlt_conn *c;

	fx_init(&f, &tf_filter, &tf_filter);
	expect_smfis(mlt_glue_connect(&f.ch, &f.rec, "h", NULL), SMFIS_CONTINUE,
		     "connect");
	expect_smfis(mlt_glue_envfrom(&f.ch, &f.rec, fv), SMFIS_CONTINUE,
		     "envfrom");
	f.b.at[MLT_PH_ENVRCPT] = MLT_REJECT;
	expect_smfis(mlt_glue_envrcpt(&f.ch, &f.rec, v1), SMFIS_REJECT,
		     "rcpt 1");
	f.b.at[MLT_PH_ENVRCPT] = MLT_CONTINUE;
	expect_smfis(mlt_glue_envrcpt(&f.ch, &f.rec, v2), SMFIS_CONTINUE,
		     "rcpt 2");
	c = f.rec.priv;
	assert_non_null(c->msg);
	if (c->msg->nrcpts != 1)
		fail_msg("got %zu recipients, want 1", c->msg->nrcpts);
	assert_string_equal(c->msg->rcpts[0], "good@x");
	assert_string_equal(c->msg->mail_from, "a@x");
	assert_string_equal(c->msg->macros.queue_id, "4AbCdE");
	fx_close(&f);
}

static void
reply_of_the_wrong_class_is_not_sent(void **state)
{
	struct fixture f;
	int ph, r;

	fx_init(&f, &tf_filter, &tf_filter);
	f.a.at[MLT_PH_ENVFROM] = MLT_REJECT;
	f.a.reply[0] = "451";
	f.a.reply[1] = "4.7.1";
	f.a.reply[2] = "a 4xx text on a reject";
	r = fx_message(&f, "body", &ph);
	expect_smfis(r, SMFIS_REJECT, "envfrom");
	assert_int_equal(f.rec.n, 0);
	fx_close(&f);
}

static void
headers_get_their_per_name_index(void **state)
{
	struct fixture f;
	char from[] = "<a@x>";
	char *fv[] = {from, NULL};
	static const char *names[] = {"Received", "Subject", "received",
				      "RECEIVED", "Subject"};
	static const int want[] = {1, 1, 2, 3, 2};
	struct mlt_conn *c;
	size_t i;

	fx_init(&f, &tf_filter, &tf_filter);
	assert_int_equal(mlt_glue_connect(&f.ch, &f.rec, "h", NULL), 0);
	assert_int_equal(mlt_glue_envfrom(&f.ch, &f.rec, fv), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(mlt_glue_header(&f.ch, &f.rec, names[i], "v"),
				 0);
	c = f.rec.priv;
	for (i = 0; i < 5; i++)
		if (c->msg->headers[i].index != want[i])
			fail_msg("%s (#%zu): got index %d, want %d", names[i],
				 i, c->msg->headers[i].index, want[i]);
	fx_close(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		reject_from_second_filter_is_the_answer_with_its_reply),
	    cmocka_unit_test(first_terminal_verdict_stops_later_filters),
	    cmocka_unit_test(
		accept_retires_one_filter_and_the_other_still_decides),
	    cmocka_unit_test(both_filters_accepting_accepts_the_message),
	    cmocka_unit_test(error_with_on_error_tempfail_answers_451),
	    cmocka_unit_test(error_with_on_error_accept_skips_only_that_filter),
	    cmocka_unit_test(body_over_limit_tempfails),
	    cmocka_unit_test(body_within_limit_is_kept_for_the_filter),
	    cmocka_unit_test(
		edits_of_two_filters_apply_once_deletions_last_index_first),
	    cmocka_unit_test(
		rejected_recipient_is_dropped_and_the_message_goes_on),
	    cmocka_unit_test(reply_of_the_wrong_class_is_not_sent),
	    cmocka_unit_test(headers_get_their_per_name_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
