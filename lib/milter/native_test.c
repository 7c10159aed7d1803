/* lib/milter/native_test.c - the native engine over a socketpair, the test
 * being the MTA: what it negotiates, that a pipelined message gets one
 * answer at end of message, that a decision at a no-reply phase waits
 * for the next answer, that a refusal where the MTA waits is immediate,
 * macros, and that hostile lengths close the connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "native.h"
#include "proto.h"

/* A filter: rejects MAIL from "bad", errs on header "Boom", adds a
 * header at eom naming the queue id; declares no reply for header. */
struct nt {
	int eoms, headers;
};

static enum mlt_verdict
nt_envfrom(struct mlt_ctx *c, const char *from)
{
	if (strcmp(from, "bad") == 0) {
		if (mlt_reply(c, "550", "5.7.1", "no") != 0)
			return MLT_ERROR;
		return MLT_REJECT;
	}
	return MLT_CONTINUE;
}

static enum mlt_verdict
nt_header(struct mlt_ctx *c, const struct mlt_header *h)
{
	((struct nt *)c->cfg)->headers++;
	return strcmp(h->name, "Boom") == 0 ? mlt_fail(c, "boom")
					    : MLT_CONTINUE;
}

static enum mlt_verdict
nt_eom(struct mlt_ctx *c)
{
	const char *q = c->msg->macros.queue_id;

	((struct nt *)c->cfg)->eoms++;
	return mlt_add_header(c, "X-Q", q ? q : "none") == 0 ? MLT_CONTINUE
							     : MLT_ERROR;
}

static const struct mlt_filter nt_filter = {
    .name = "nt",
    .envfrom = nt_envfrom,
    .header = nt_header,
    .eom = nt_eom,
    .no_reply = MLT_NR_HEADER,
};

struct fixture {
	struct nt st;
	struct mlt_chain_entry e;
	struct mlt_chain ch;
	int mta, fd;
	pthread_t t;
	struct buf w;
};

static void *
nt_serve(void *arg)
{
	struct fixture *f = arg;

	mlt_native_conn(&f->ch, f->fd, 5000);
	return NULL;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_non_null(f);
	f->e =
	    (struct mlt_chain_entry){&nt_filter, &f->st, MLT_ON_ERROR_TEMPFAIL};
	f->ch.v = &f->e;
	f->ch.n = 1;
	f->ch.seam = &mlt_seam_native;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	f->mta = sv[0];
	f->fd = sv[1];
	buf_init(&f->w, 0);
	assert_int_equal(pthread_create(&f->t, NULL, nt_serve, f), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	close(f->mta);
	pthread_join(f->t, NULL);
	buf_free(&f->w);
	free(f);
	return 0;
}

/* Queues one packet; nt_send() writes everything queued in one write. */
static void
nt_put(struct fixture *f, char cmd, const void *d, size_t n)
{
	assert_int_equal(mlt_proto_put(&f->w, (unsigned char)cmd, d, n), 0);
}

static void
nt_send(struct fixture *f)
{
	assert_int_equal(write(f->mta, f->w.data, f->w.len), (ssize_t)f->w.len);
	buf_reset(&f->w);
}

/* Reads one answer packet into cmd/data; 0, or -1 on EOF or 2 s. */
static int
nt_read(struct fixture *f, char *cmd, char *data, size_t cap, size_t *len)
{
	unsigned char h[5];
	struct pollfd p = {f->mta, POLLIN, 0};
	size_t got = 0, n;
	ssize_t r;

	while (got < 5) {
		if (poll(&p, 1, 2000) != 1 ||
		    (r = read(f->mta, h + got, 5 - got)) <= 0)
			return -1;
		got += (size_t)r;
	}
	n = ((size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 |
	     h[3]) -
	    1;
	assert_true(n < cap);
	for (got = 0; got < n; got += (size_t)r)
		if (poll(&p, 1, 2000) != 1 ||
		    (r = read(f->mta, data + got, n - got)) <= 0)
			return -1;
	*cmd = (char)h[4];
	*len = n;
	data[n] = '\0';
	return 0;
}

/* Nothing to read for 200 ms. */
static int
nt_quiet(struct fixture *f)
{
	struct pollfd p = {f->mta, POLLIN, 0};

	return poll(&p, 1, 200) == 0;
}

static uint32_t
nt_negotiate(struct fixture *f, uint32_t offer)
{
	unsigned char o[12] = {0, 0, 0, 6, 0, 0, 1, 0xff};
	char cmd, d[64];
	size_t n;

	o[8] = (unsigned char)(offer >> 24);
	o[9] = (unsigned char)(offer >> 16);
	o[10] = (unsigned char)(offer >> 8);
	o[11] = (unsigned char)offer;
	nt_put(f, 'O', o, 12);
	nt_send(f);
	assert_int_equal(nt_read(f, &cmd, d, sizeof(d), &n), 0);
	assert_int_equal(cmd, 'O');
	assert_int_equal(n, 12);
	return (uint32_t)(unsigned char)d[8] << 24 |
	       (uint32_t)(unsigned char)d[9] << 16 |
	       (uint32_t)(unsigned char)d[10] << 8 | (unsigned char)d[11];
}

static void
nt_connect_mail(struct fixture *f, const char *from, size_t flen)
{
	static const char conn[] = "h\0"
				   "4\0\x19"
				   "192.0.2.1";

	nt_put(f, 'D', "Cj\0mx.test", 11);
	nt_put(f, 'C', conn, sizeof(conn));
	nt_put(f, 'H', "helo.test", 10);
	nt_put(f, 'D', "Mi\0QID42", 9);
	nt_put(f, 'M', from, flen);
}

static void
test_negotiates_no_reply_where_no_filter_refuses(void **state)
{
	struct fixture *f = *state;
	uint32_t p = nt_negotiate(f, 0x1fffff);

	if (!(p & MLT_P_NR_CONN) || !(p & MLT_P_NR_HELO) ||
	    !(p & MLT_P_NR_HDR) || !(p & MLT_P_NR_BODY) ||
	    !(p & MLT_P_NR_EOH) || !(p & MLT_P_NR_RCPT))
		fail_msg("got protocol 0x%x, want the NR flags of every "
			 "phase but MAIL",
			 p);
	if (p & MLT_P_NR_MAIL)
		fail_msg("got NR_MAIL in 0x%x, want a reply at MAIL (the "
			 "filter may reject there)",
			 p);
	assert_true(p & MLT_P_HDR_LEADSPC);
	/* only what the MTA offers */
	assert_int_equal(p & ~(uint32_t)0x1fffff, 0);
}

static void
test_asks_nothing_the_mta_does_not_offer(void **state)
{
	struct fixture *f = *state;
	char cmd, d[64];
	size_t n;

	assert_int_equal(nt_negotiate(f, MLT_P_NR_HDR), MLT_P_NR_HDR);
	/* a second OPTNEG is a protocol error: the connection closes */
	nt_put(f, 'O', "\0\0\0\6\0\0\0\0\0\0\0\0", 12);
	nt_send(f);
	assert_int_equal(nt_read(f, &cmd, d, sizeof(d), &n), -1);
}

static void
test_pipelined_message_gets_one_answer_at_eom(void **state)
{
	struct fixture *f = *state;
	char cmd, d[256];
	size_t n;

	(void)nt_negotiate(f, 0x1fffff);
	nt_connect_mail(f, "<a@x>", 6);
	nt_send(f);
	assert_int_equal(nt_read(f, &cmd, d, sizeof(d), &n), 0);
	assert_int_equal(cmd, 'c'); /* MAIL waits for its answer */
	nt_put(f, 'R', "<b@y>", 6);
	nt_put(f, 'L', "Subject\0 hi", 12);
	nt_put(f, 'N', NULL, 0);
	nt_put(f, 'B', "body\r\n", 6);
	nt_put(f, 'E', NULL, 0);
	nt_send(f);
	assert_int_equal(nt_read(f, &cmd, d, sizeof(d), &n), 0);
	if (cmd != 'h' || strcmp(d, "X-Q") != 0 || strcmp(d + 4, " QID42") != 0)
		fail_msg("got %c %s:%s, want h X-Q: QID42 first", cmd, d,
			 d + 4);
	assert_int_equal(nt_read(f, &cmd, d, sizeof(d), &n), 0);
	assert_int_equal(cmd, 'c');
	assert_true(nt_quiet(f)); /* nothing for RCPT, header, EOH, body */
	assert_int_equal(f->st.eoms, 1);
}

static void
test_error_at_no_reply_phase_is_answered_at_eom(void **state)
{
	struct fixture *f = *state;
	char cmd, d[256];
	size_t n;

	(void)nt_negotiate(f, 0x1fffff);
	nt_connect_mail(f, "<a@x>", 6);
	nt_send(f);
	assert_int_equal(nt_read(f, &cmd, d, sizeof(d), &n), 0);
	nt_put(f, 'L', "Boom\0x", 7);
	nt_put(f, 'L', "Subject\0 later", 15);
	nt_put(f, 'N', NULL, 0);
	nt_send(f);
	assert_true(nt_quiet(f));
	nt_put(f, 'E', NULL, 0);
	nt_send(f);
	assert_int_equal(nt_read(f, &cmd, d, sizeof(d), &n), 0);
	if (cmd != 'y' || strncmp(d, "451 4.3.0 ", 10) != 0)
		fail_msg("got %c %s, want y 451 4.3.0 ...", cmd, d);
	assert_int_equal(f->st.headers, 1); /* skipped after the error */
	assert_int_equal(f->st.eoms, 0);
}

static void
test_reject_at_mail_is_immediate_with_its_reply(void **state)
{
	struct fixture *f = *state;
	char cmd, d[256];
	size_t n;

	(void)nt_negotiate(f, 0x1fffff);
	nt_connect_mail(f, "bad", 4);
	nt_send(f);
	assert_int_equal(nt_read(f, &cmd, d, sizeof(d), &n), 0);
	if (cmd != 'y' || strcmp(d, "550 5.7.1 no") != 0)
		fail_msg("got %c %s, want y 550 5.7.1 no", cmd, d);
	/* the next message on the connection is judged afresh */
	nt_put(f, 'A', NULL, 0);
	nt_put(f, 'M', "<ok@x>", 7);
	nt_send(f);
	assert_int_equal(nt_read(f, &cmd, d, sizeof(d), &n), 0);
	assert_int_equal(cmd, 'c');
}

static void
test_hostile_lengths_close_the_connection(void **state)
{
	struct fixture *f = *state;
	static const unsigned char big[] = {0x7f, 0xff, 0xff, 0xf0, 'B'};
	char cmd, d[64];
	size_t n;

	(void)nt_negotiate(f, 0x1fffff);
	assert_int_equal(write(f->mta, big, 5), 5);
	assert_int_equal(nt_read(f, &cmd, d, sizeof(d), &n), -1);
}

static void
test_commands_before_optneg_close_the_connection(void **state)
{
	struct fixture *f = *state;
	char cmd, d[64];
	size_t n;

	nt_put(f, 'M', "<a@x>", 6);
	nt_send(f);
	assert_int_equal(nt_read(f, &cmd, d, sizeof(d), &n), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_negotiates_no_reply_where_no_filter_refuses, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_asks_nothing_the_mta_does_not_offer, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_pipelined_message_gets_one_answer_at_eom, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_error_at_no_reply_phase_is_answered_at_eom, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_reject_at_mail_is_immediate_with_its_reply, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_hostile_lengths_close_the_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_commands_before_optneg_close_the_connection, setup,
		teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
