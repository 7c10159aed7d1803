/* lib/milter/native_serve_test.c - the native engine on lib/server
 * (native_serve.c over server.c), over a real unix socket, as the milter
 * daemons run it: connections one after another are each served, a stop
 * does not return before every worker thread has finished its exit
 * destructors, an idle connection ends at once at the stop while a
 * message under way is finished, and an MTA silent inside a message is
 * cut at its deadline.
 * OpenSSL and ldns free per-thread state in thread-exit destructors; a
 * server that counted a thread as gone when its function returned let the
 * process exit (LeakSanitizer and atexit running) while that state was
 * still being freed: a leak report now and then at shutdown. The filter's
 * close here leaves a thread-specific value whose destructor takes
 * 300 ms, so that race is always lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <errno.h>
#include <stdlib.h>

#include "native.h"
#include "proto.h"
#include "server.h"

static pthread_key_t ns_key;
static atomic_int ns_closes;	 /* filter close callbacks run */
static atomic_int ns_threads;	 /* worker threads that got a value */
static atomic_int ns_destructed; /* thread-exit destructors finished */
static atomic_int ns_eoms;	 /* messages that reached the filter */
static atomic_int ns_qids;	 /* of those, with a queue id macro */
static atomic_int ns_joined;	 /* closes told threads_joined */

static void
ns_destructor(void *v)
{
	struct timespec ts = {0, 300 * 1000 * 1000};

	(void)v;
	nanosleep(&ts, NULL); /* OpenSSL's thread cleanup, only slower */
	atomic_fetch_add(&ns_destructed, 1);
}

static void
ns_close(struct mlt_ctx *c)
{
	/* any non-NULL value: its destructor runs at thread exit (no cmocka
	 * assert here: this is the connection's thread). Workers are
	 * pooled: one thread may serve several connections. */
	if (pthread_getspecific(ns_key) == NULL &&
	    pthread_setspecific(ns_key, &ns_key) == 0)
		atomic_fetch_add(&ns_threads, 1);
	if (c->conn->threads_joined)
		atomic_fetch_add(&ns_joined, 1);
	atomic_fetch_add(&ns_closes, 1);
}

static enum mlt_verdict
ns_eom(struct mlt_ctx *c)
{
	atomic_fetch_add(&ns_eoms, 1);
	if (c->msg->macros.queue_id != NULL)
		atomic_fetch_add(&ns_qids, 1);
	return MLT_CONTINUE;
}

static const struct mlt_filter ns_filter = {
    .name = "ns",
    .eom = ns_eom,
    .close = ns_close,
};

struct fixture {
	struct mlt_chain_entry e;
	struct mlt_chain ch;
	struct mlt_native_ctx nx;
	struct server *srv;
	struct sockaddr_un sun;
	char dir[64];
	pthread_t t;
	int rc;
	char err[256];
};

static void *
ns_run(void *arg)
{
	struct fixture *f = arg;

	f->rc = srv_run(f->srv, f->err, sizeof(f->err));
	return NULL;
}

/* A server on a unix socket in a temporary directory, serving the native
 * engine, as mlt_main's native path sets it up (timeout_ms: the milter's
 * timeout, which is also the idle bound and the drain). */
static void
fx_start(struct fixture *f, long long timeout_ms)
{
	struct srv_limits lim = {8, timeout_ms, timeout_ms, timeout_ms, 0};
	struct srv_ops ops = {mlt_native_serve, NULL, 1, 1};

	memset(f, 0, sizeof(*f));
	atomic_store(&ns_closes, 0);
	atomic_store(&ns_threads, 0);
	atomic_store(&ns_destructed, 0);
	atomic_store(&ns_eoms, 0);
	atomic_store(&ns_qids, 0);
	atomic_store(&ns_joined, 0);
	f->e =
	    (struct mlt_chain_entry){&ns_filter, NULL, MLT_ON_ERROR_TEMPFAIL};
	f->ch.v = &f->e;
	f->ch.n = 1;
	f->ch.seam = &mlt_seam_native;
	f->nx = (struct mlt_native_ctx){&f->ch, timeout_ms};
	snprintf(f->dir, sizeof(f->dir), "nstest-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	f->sun.sun_family = AF_UNIX;
	snprintf(f->sun.sun_path, sizeof(f->sun.sun_path), "%s/m.sock", f->dir);
	if (srv_new(&lim, &ops, &f->nx, &f->srv, f->err, sizeof(f->err)) != 0 ||
	    srv_listen_unix(f->srv, f->sun.sun_path, 0600, (uid_t)-1, (gid_t)-1,
			    0, f->err, sizeof(f->err)) != 0)
		fail_msg("server setup: got \"%s\", want success", f->err);
	assert_int_equal(pthread_create(&f->t, NULL, ns_run, f), 0);
}

static int
fx_dial(struct fixture *f)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(
	    connect(fd, (struct sockaddr *)&f->sun, sizeof(f->sun)), 0);
	return fd;
}

static void
fx_send(int fd, unsigned char cmd, const void *p, size_t len)
{
	struct buf w;

	buf_init(&w, 0);
	assert_int_equal(mlt_proto_put(&w, cmd, p, len), 0);
	assert_int_equal(write(fd, w.data, w.len), (ssize_t)w.len);
	buf_free(&w);
}

/* The next packet's command within ms; -1 at EOF or a reset, -2 for
 * nothing in time. */
static int
fx_reply(int fd, int ms)
{
	unsigned char h[5], skip[256];
	struct pollfd p = {fd, POLLIN, 0};
	size_t got = 0, len;
	ssize_t r;

	while (got < sizeof(h)) {
		if (poll(&p, 1, ms) != 1)
			return -2;
		if ((r = read(fd, h + got, sizeof(h) - got)) <= 0)
			return -1;
		got += (size_t)r;
	}
	len = ((size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 |
	       h[3]) -
	      1;
	while (len > 0 &&
	       (r = read(fd, skip, len < sizeof(skip) ? len : sizeof(skip))) >
		   0)
		len -= (size_t)r;
	return h[4];
}

/* OPTNEG with no SMFIP_NR_* offered: every phase is answered. */
static void
fx_optneg(int fd)
{
	unsigned char o[12] = {0, 0, 0, 6, 0, 0, 0, 0x3f, 0, 0, 0, 0};

	fx_send(fd, MLT_C_OPTNEG, o, sizeof(o));
	assert_int_equal(fx_reply(fd, 2000), MLT_C_OPTNEG);
}

/* OPTNEG, CONNECT (an unknown family) and MAIL: inside a message. */
static void
fx_mail(int fd)
{
	static const char conn[] = "mx.example\0U", from[] = "<a@example.org>";

	fx_optneg(fd);
	fx_send(fd, MLT_C_CONNECT, conn, sizeof(conn));
	assert_int_equal(fx_reply(fd, 2000), MLT_R_CONTINUE);
	fx_send(fd, MLT_C_MAIL, from, sizeof(from));
	assert_int_equal(fx_reply(fd, 2000), MLT_R_CONTINUE);
}

/* One MTA connection: OPTNEG, its answer, then the MTA leaves. */
static void
fx_session(struct fixture *f)
{
	int fd = fx_dial(f);

	fx_optneg(fd);
	close(fd);
}

/* Waits up to 2 s for n close callbacks. */
static void
fx_wait_closes(int n)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	int i;

	for (i = 0; i < 200 && atomic_load(&ns_closes) < n; i++)
		nanosleep(&ts, NULL);
	if (atomic_load(&ns_closes) < n)
		fail_msg("got %d connection closes, want %d",
			 atomic_load(&ns_closes), n);
}

static long long
fx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
fx_stop(struct fixture *f)
{
	char path[sizeof(f->sun.sun_path)];

	assert_int_equal(kill(getpid(), SIGTERM), 0);
	assert_int_equal(pthread_join(f->t, NULL), 0);
	if (f->rc != 0)
		fail_msg("srv_run: got -1 (%s), want 0", f->err);
	if (srv_free(&f->srv) != 0)
		fail_msg("srv_free: got workers still busy, want none");
	memcpy(path, f->sun.sun_path, sizeof(path));
	if (unlink(path) == 0)
		fail_msg("the socket was left after a clean stop");
	rmdir(f->dir);
}

static void
stop_waits_for_the_worker_threads_exit_destructors(void **state)
{
	struct fixture f;

	fx_start(&f, 5000);
	fx_session(&f);
	fx_wait_closes(1);
	/* the worker keeps its value until it exits, at the stop: then it
	 * spends 300 ms in its destructor */
	fx_stop(&f);
	if (atomic_load(&ns_destructed) != atomic_load(&ns_threads))
		fail_msg(
		    "srv_run returned with %d of %d thread exit "
		    "destructors done: the process could exit while a worker "
		    "still frees its state",
		    atomic_load(&ns_destructed), atomic_load(&ns_threads));
}

static void
connections_one_after_another_are_each_served(void **state)
{
	struct fixture f;
	int i;

	fx_start(&f, 5000);
	for (i = 1; i <= 5; i++) {
		fx_session(&f);
		fx_wait_closes(i);
	}
	fx_stop(&f);
	assert_int_equal(atomic_load(&ns_destructed), atomic_load(&ns_threads));
	/* filters are told their thread is joined at the stop (facteur-dkim
	 * then keeps OpenSSL's per-thread state between connections) */
	assert_int_equal(atomic_load(&ns_joined), 5);
}

/* A worker keeps its connection state for its next connection
 * (nc_recycle, nc_reinit): nothing of the last one shows. The first
 * leaves inside a message whose MAIL carried a queue id; the second's
 * message has none, and is answered as any first one. */
static void
a_workers_next_connection_starts_clean(void **state)
{
	static const char conn[] = "mx.example\0U", from[] = "<a@example.org>";
	struct fixture f;
	int fd;

	fx_start(&f, 5000);
	fd = fx_dial(&f);
	fx_optneg(fd);
	fx_send(fd, MLT_C_CONNECT, conn, sizeof(conn));
	assert_int_equal(fx_reply(fd, 2000), MLT_R_CONTINUE);
	fx_send(fd, MLT_C_MACRO, "Mi\0Q1", 6);
	fx_send(fd, MLT_C_MAIL, from, sizeof(from));
	assert_int_equal(fx_reply(fd, 2000), MLT_R_CONTINUE);
	close(fd);
	fx_wait_closes(1);
	fd = fx_dial(&f);
	fx_mail(fd);
	fx_send(fd, MLT_C_BODYEOB, NULL, 0);
	assert_int_equal(fx_reply(fd, 2000), MLT_R_CONTINUE);
	close(fd);
	fx_wait_closes(2);
	if (atomic_load(&ns_eoms) != 1 || atomic_load(&ns_qids) != 0)
		fail_msg("got %d end(s) of message, %d with a queue id; want "
			 "1 without: the last connection's macro showed",
			 atomic_load(&ns_eoms), atomic_load(&ns_qids));
	fx_stop(&f);
}

/* At a stop a connection between messages is closed at once, and one
 * inside a message may finish it (end of message answered) within the
 * drain; the server then stops. */
static void
stop_closes_idle_connections_and_finishes_a_message(void **state)
{
	struct fixture f;
	long long t0;
	int idle, busy;

	fx_start(&f, 3000);
	idle = fx_dial(&f);
	fx_optneg(idle);
	busy = fx_dial(&f);
	fx_mail(busy);
	t0 = fx_now_ms();
	assert_int_equal(kill(getpid(), SIGTERM), 0);
	if (fx_reply(idle, 1000) != -1)
		fail_msg("idle connection at the stop: not closed within 1 s");
	fx_send(busy, MLT_C_BODYEOB, NULL, 0);
	if (fx_reply(busy, 2000) != MLT_R_CONTINUE)
		fail_msg("message under way at the stop: got no answer to "
			 "its end, want CONTINUE");
	assert_int_equal(atomic_load(&ns_eoms), 1);
	close(busy);
	close(idle);
	assert_int_equal(pthread_join(f.t, NULL), 0);
	if (fx_now_ms() - t0 > 2500)
		fail_msg("stop took %lld ms, want < 2.5 s", fx_now_ms() - t0);
	assert_int_equal(srv_free(&f.srv), 0);
	rmdir(f.dir);
}

/* An MTA silent inside a message for longer than the timeout loses the
 * connection (its worker is free again); between messages it may stay
 * idle as long. */
static void
mta_silent_inside_a_message_is_cut_at_the_timeout(void **state)
{
	struct fixture f;
	long long t0;
	int fd, r;

	fx_start(&f, 400);
	fd = fx_dial(&f);
	fx_mail(fd);
	t0 = fx_now_ms();
	r = fx_reply(fd, 3000);
	if (r != -1)
		fail_msg("silent MTA inside a message: got %d, want the "
			 "connection closed",
			 r);
	if (fx_now_ms() - t0 < 300 || fx_now_ms() - t0 > 2000)
		fail_msg("closed after %lld ms, want about 400",
			 fx_now_ms() - t0);
	close(fd);
	fx_stop(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		stop_waits_for_the_worker_threads_exit_destructors),
	    cmocka_unit_test(connections_one_after_another_are_each_served),
	    cmocka_unit_test(a_workers_next_connection_starts_clean),
	    cmocka_unit_test(
		stop_closes_idle_connections_and_finishes_a_message),
	    cmocka_unit_test(mta_silent_inside_a_message_is_cut_at_the_timeout),
	};
	if (pthread_key_create(&ns_key, ns_destructor) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
