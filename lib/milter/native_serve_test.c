/* lib/milter/native_serve_test.c - the native listener (native_serve.c)
 * over a real unix socket: connections one after another are each served,
 * and a stop does not return before every connection thread has finished
 * its exit destructors. OpenSSL and ldns free per-thread state in such
 * destructors; a listener that counted a thread as gone when its function
 * returned let the process exit (LeakSanitizer and atexit running) while
 * that state was still being freed: a leak report now and then at
 * shutdown. The filter's close here leaves a thread-specific value whose
 * destructor takes 300 ms, so that race is always lost. */
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

#include "native.h"
#include "proto.h"

static pthread_key_t ns_key;
static atomic_int ns_closes;     /* filter close callbacks run */
static atomic_int ns_destructed; /* thread-exit destructors finished */

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
	(void)c;
	/* any non-NULL value: its destructor runs at thread exit (no cmocka
	 * assert here: this is the connection's thread) */
	if (pthread_setspecific(ns_key, &ns_key) == 0)
		atomic_fetch_add(&ns_closes, 1);
}

static const struct mlt_filter ns_filter = {
    .name = "ns",
    .close = ns_close,
};

struct fixture {
	struct mlt_chain_entry e;
	struct mlt_chain ch;
	struct sockaddr_un sun;
	socklen_t sunlen;
	pthread_t t;
	int lfd, rc;
	size_t left;
	char err[256];
};

static void *
ns_serve(void *arg)
{
	struct fixture *f = arg;

	f->rc = mlt_native_serve(&f->ch, f->lfd, 5000, &f->left, f->err,
	    sizeof(f->err));
	return NULL;
}

/* A listener on an abstract unix socket, served by mlt_native_serve() in
 * its own thread (which blocks SIGTERM there and reads it by signalfd). */
static void
fx_start(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	atomic_store(&ns_closes, 0);
	atomic_store(&ns_destructed, 0);
	f->e = (struct mlt_chain_entry){&ns_filter, NULL,
	    MLT_ON_ERROR_TEMPFAIL};
	f->ch.v = &f->e;
	f->ch.n = 1;
	f->ch.seam = &mlt_seam_native;
	f->sun.sun_family = AF_UNIX;
	/* abstract: sun_path[0] = 0, then a name no other test uses */
	snprintf(f->sun.sun_path + 1, sizeof(f->sun.sun_path) - 1,
	    "facteur-native-serve-test-%ld", (long)getpid());
	f->sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(f->sun.sun_path + 1));
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&f->sun, f->sunlen),
	    0);
	assert_int_equal(mlt_native_listen(f->lfd, f->err, sizeof(f->err)),
	    0);
	assert_int_equal(pthread_create(&f->t, NULL, ns_serve, f), 0);
}

/* One MTA connection: OPTNEG, its answer, then the MTA leaves. */
static void
fx_session(struct fixture *f)
{
	unsigned char o[12] = {0, 0, 0, 6, 0, 0, 0, 0x3f, 0, 0, 0, 0};
	unsigned char h[5];
	struct pollfd p;
	struct buf w;
	size_t got = 0;
	ssize_t r;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&f->sun, f->sunlen),
	    0);
	buf_init(&w, 0);
	assert_int_equal(mlt_proto_put(&w, MLT_C_OPTNEG, o, sizeof(o)), 0);
	assert_int_equal(write(fd, w.data, w.len), (ssize_t)w.len);
	buf_free(&w);
	p = (struct pollfd){fd, POLLIN, 0};
	while (got < sizeof(h)) {
		r = poll(&p, 1, 2000) == 1 ? read(fd, h + got, sizeof(h) - got)
					   : -1;
		if (r <= 0)
			fail_msg("no OPTNEG answer within 2 s");
		got += (size_t)r;
	}
	assert_int_equal(h[4], MLT_C_OPTNEG);
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

static void
fx_stop(struct fixture *f)
{
	assert_int_equal(pthread_kill(f->t, SIGTERM), 0);
	assert_int_equal(pthread_join(f->t, NULL), 0);
	if (f->rc != 0)
		fail_msg("mlt_native_serve: got -1 (%s), want 0", f->err);
	if (f->left != 0)
		fail_msg("got %zu connection threads left, want 0", f->left);
}

static void
stop_waits_for_the_connection_threads_exit_destructors(void **state)
{
	struct fixture f;

	fx_start(&f);
	fx_session(&f);
	fx_wait_closes(1);
	/* the thread is now in (or about to enter) its 300 ms destructor */
	fx_stop(&f);
	if (atomic_load(&ns_destructed) != 1)
		fail_msg("serve returned with %d of 1 thread exit destructors "
		    "done: the process could exit while a connection "
		    "thread still frees its state",
		    atomic_load(&ns_destructed));
}

static void
connections_one_after_another_are_each_served(void **state)
{
	struct fixture f;
	int i;

	fx_start(&f);
	for (i = 1; i <= 5; i++) {
		fx_session(&f);
		fx_wait_closes(i);
	}
	fx_stop(&f);
	assert_int_equal(atomic_load(&ns_destructed), 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		stop_waits_for_the_connection_threads_exit_destructors),
	    cmocka_unit_test(connections_one_after_another_are_each_served),
	};
	sigset_t set;

	if (pthread_key_create(&ns_key, ns_destructor) != 0)
		return 1;
	/* a SIGTERM aimed at the serving thread must not end the process
	 * when it lands before that thread blocked it */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
