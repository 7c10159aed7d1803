/* lib/server_test.c - the server skeleton with a line protocol: each
 * "...\n" request is answered "ok\n". A server runs in a thread on unix
 * sockets in a temporary directory; the test is its client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

struct fx {
	char dir[64], a[96], b[96];
	struct server *srv;
	pthread_t t;
	int rc;
	atomic_int reloads; /* written by the server thread */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The test protocol: a line in, "ok\n" out; idle when nothing is left.
 * A line starting with 'L' has a deadline of its own, 1500 ms (as LMTP's
 * DATA body). At the stop, an idle connection is told "bye\n". */
static void
line_serve(struct srv_conn *c, void *ctx)
{
	char buf[256];
	size_t len = 0, i;
	ssize_t n;
	int own = 0;

	(void)ctx;
	for (;;) {
		char *nl = memchr(buf, '\n', len);

		if (nl == NULL) {
			if (len == sizeof(buf))
				return;
			if ((n = srv_conn_read(c, buf + len,
					       sizeof(buf) - len)) <= 0) {
				if (srv_conn_stopping(c))
					(void)!srv_conn_write(c, "bye\n", 4);
				return;
			}
			len += (size_t)n;
			if (buf[0] == 'L' && !own) {
				srv_conn_deadline(c, 1500);
				own = 1;
			}
			continue;
		}
		own = 0;
		i = (size_t)(nl - buf) + 1;
		if (srv_conn_write(c, "ok\n", 3) < 0)
			return;
		memmove(buf, buf + i, len - i);
		len -= i;
		if (len == 0)
			srv_conn_idle(c);
		else
			srv_conn_next(c);
	}
}

static void
count_reload(void *ctx)
{
	((struct fx *)ctx)->reloads++;
}

static void *
run_thread(void *p)
{
	struct fx *f = p;
	char err[256];

	f->rc = srv_run(f->srv, err, sizeof(err));
	return NULL;
}

/* Starts a server on two unix sockets (f->a, f->b). */
static void
fx_start(struct fx *f, size_t max, long long req_ms, long long idle_ms)
{
	struct srv_limits lim = {max, req_ms, idle_ms, 500, 0};
	struct srv_ops ops = {line_serve, count_reload, 0, 1};
	char err[256] = "";

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "srvtest-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(f->a, sizeof(f->a), "%s/a.sock", f->dir);
	snprintf(f->b, sizeof(f->b), "%s/b.sock", f->dir);
	if (srv_new(&lim, &ops, f, &f->srv, err, sizeof(err)) != 0 ||
	    srv_listen_unix(f->srv, f->a, 0600, (uid_t)-1, (gid_t)-1, 1, err,
			    sizeof(err)) != 0 ||
	    srv_listen_unix(f->srv, f->b, 0600, (uid_t)-1, (gid_t)-1, 2, err,
			    sizeof(err)) != 0)
		fail_msg("server setup: got \"%s\", want success", err);
	if (pthread_create(&f->t, NULL, run_thread, f) != 0)
		fail_msg("pthread_create failed");
}

static void
fx_stop(struct fx *f)
{
	kill(getpid(), SIGTERM);
	pthread_join(f->t, NULL);
	if (f->rc != 0)
		fail_msg("srv_run: got %d, want 0", f->rc);
	if (srv_free(&f->srv) != 0)
		fail_msg("srv_free: got workers still busy, want none");
	rmdir(f->dir);
}

static int
dial(const char *path)
{
	struct sockaddr_un sun;
	int fd, i;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (i = 0; i < 100; i++) { /* the server thread may not listen yet */
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		close(fd);
		usleep(10000);
	}
	fail_msg("connect %s: %s", path, strerror(errno));
	return -1;
}

/* What fd gets within ms: "ok\n" -> 1, EOF or reset -> 0, nothing -> -1. */
static int
answer(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	char buf[8];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	return n == 3 && memcmp(buf, "ok\n", 3) == 0 ? 1 : 0;
}

static int
ask(int fd, int ms)
{
	if (send(fd, "q\n", 2, MSG_NOSIGNAL) != 2)
		return 0;
	return answer(fd, ms);
}

/* Issue 10 finding 6 in the skeleton: both slots busy, one client waits
 * on each listener, one slot frees. Both are served (the old lookup
 * server wrote past its slot array here), with the other slot still
 * busy. */
static void
clients_queued_on_two_listeners_are_served(void **state)
{
	struct fx f;
	int h1, h2, qa, qb;

	fx_start(&f, 2, 2000, 5000);
	h1 = dial(f.a);
	h2 = dial(f.a);
	(void)!write(h1, "par", 3); /* inside a request: busy */
	(void)!write(h2, "par", 3);
	usleep(100000);
	qa = dial(f.a);
	qb = dial(f.b);
	(void)!write(qa, "q\n", 2);
	(void)!write(qb, "q\n", 2);
	if (answer(qa, 200) != -1 || answer(qb, 1) != -1)
		fail_msg("queued clients: got an answer, want them waiting");
	close(h1); /* the freed slot serves one; once answered, it is idle
		    * and makes room for the other */
	if (answer(qa, 1000) != 1 || answer(qb, 1000) != 1)
		fail_msg("one slot freed: got a queued client unanswered");
	close(h2);
	close(qa);
	close(qb);
	fx_stop(&f);
}

/* A request trickled a byte every 100 ms is cut at request_ms = 400
 * after its first byte, although idle_ms (1 s) is never reached. */
static void
request_deadline_counts_from_the_first_byte(void **state)
{
	struct fx f;
	long long t0, took = -1;
	int fd, i;

	fx_start(&f, 2, 400, 1000);
	fd = dial(f.a);
	t0 = now_ms();
	for (i = 0; i < 30; i++) {
		if (send(fd, "x", 1, MSG_NOSIGNAL) != 1 ||
		    answer(fd, 100) == 0) {
			took = now_ms() - t0;
			break;
		}
	}
	close(fd);
	if (took < 300 || took > 900)
		fail_msg("trickled request closed after %lld ms, want ~400",
			 took);
	fx_stop(&f);
}

/* A request the protocol gave a deadline of its own (1500 ms) is not cut
 * at request_ms (400 ms): LMTP's DATA body is not a command. */
static void
protocol_deadline_outlives_request_ms(void **state)
{
	struct fx f;
	int fd, i;

	fx_start(&f, 2, 400, 5000);
	fd = dial(f.a);
	for (i = 0; i < 10; i++) { /* 1 s, one byte each 100 ms */
		if (send(fd, i ? "x" : "L", 1, MSG_NOSIGNAL) != 1 ||
		    answer(fd, 100) == 0)
			fail_msg("own deadline: cut after %d ms, want served",
				 i * 100);
	}
	if (ask(fd, 1000) != 1)
		fail_msg("own deadline: got no answer, want ok");
	close(fd);
	fx_stop(&f);
}

/* At the stop an idle connection's write side stays open for a goodbye
 * (LMTP's 421 4.3.2), and the server still stops at once. */
static void
idle_connection_can_say_goodbye_at_stop(void **state)
{
	struct fx f;
	long long t0;
	char buf[8] = "";
	int fd;

	fx_start(&f, 2, 2000, 60000);
	fd = dial(f.a);
	if (ask(fd, 1000) != 1)
		fail_msg("before the stop: got no answer");
	t0 = now_ms();
	fx_stop(&f);
	if (now_ms() - t0 > 1000)
		fail_msg("stop took %lld ms with an idle client, want < 1 s",
			 now_ms() - t0);
	if (recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT) != 4 ||
	    strcmp(buf, "bye\n") != 0)
		fail_msg("idle client at the stop: got \"%s\", want \"bye\"",
			 buf);
	close(fd);
}

/* Full, with idle connections: a newcomer gets the slot of the one idle
 * longest, at once; the other keeps its connection. */
static void
idle_longest_is_evicted_for_a_newcomer(void **state)
{
	struct fx f;
	int a, b, c;

	fx_start(&f, 2, 2000, 60000);
	a = dial(f.a);
	if (ask(a, 1000) != 1)
		fail_msg("first client: got no answer");
	usleep(50000);
	b = dial(f.b);
	if (ask(b, 1000) != 1)
		fail_msg("second client: got no answer");
	usleep(50000);
	c = dial(f.a);
	if (ask(c, 1000) != 1)
		fail_msg("newcomer while full: got no answer within 1 s");
	if (answer(a, 1000) != 0)
		fail_msg(
		    "the connection idle longest: got it open, want closed");
	if (ask(b, 1000) != 1)
		fail_msg("the other idle connection: got closed, want served");
	close(a);
	close(b);
	close(c);
	fx_stop(&f);
}

static void
sighup_calls_reload_and_keeps_serving(void **state)
{
	struct fx f;
	int fd;

	fx_start(&f, 2, 2000, 5000);
	fd = dial(f.a);
	if (ask(fd, 1000) != 1) /* srv_run is running: its handlers are in */
		fail_msg("before SIGHUP: got no answer");
	kill(getpid(), SIGHUP);
	usleep(100000);
	if (ask(fd, 1000) != 1)
		fail_msg("after SIGHUP: got no answer, want served");
	close(fd);
	if (atomic_load(&f.reloads) != 1)
		fail_msg("reloads: got %d, want 1", atomic_load(&f.reloads));
	fx_stop(&f);
}

/* A stale socket file is replaced; a live one and a regular file are
 * refused, and the regular file is left alone. */
static void
listen_replaces_only_a_stale_socket(void **state)
{
	struct srv_ops ops = {line_serve, NULL, 0, 1};
	struct srv_limits lim = {0};
	struct server *s1 = NULL, *s2 = NULL;
	struct sockaddr_un sun;
	char dir[] = "srvtest-XXXXXX", path[96], file[96], err[256] = "";
	struct stat st;
	int fd;

	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp failed");
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		fail_msg("bind: %s", strerror(errno));
	close(fd); /* a stale socket file stays */
	if (srv_new(&lim, &ops, NULL, &s1, err, sizeof(err)) != 0 ||
	    srv_new(&lim, &ops, NULL, &s2, err, sizeof(err)) != 0)
		fail_msg("srv_new: %s", err);
	if (srv_listen_unix(s1, path, 0640, (uid_t)-1, (gid_t)-1, 0, err,
			    sizeof(err)) != 0)
		fail_msg("stale socket: got \"%s\", want it replaced", err);
	if (stat(path, &st) != 0 || (st.st_mode & 0777) != 0640)
		fail_msg("socket mode: got %o, want 640", st.st_mode & 0777);
	if (srv_listen_unix(s2, path, 0640, (uid_t)-1, (gid_t)-1, 0, err,
			    sizeof(err)) != -1 ||
	    strstr(err, "in use") == NULL)
		fail_msg("live socket: got \"%s\", want \"in use\"", err);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	close(fd);
	if (srv_listen_unix(s2, file, 0640, (uid_t)-1, (gid_t)-1, 0, err,
			    sizeof(err)) != -1 ||
	    stat(file, &st) != 0 || !S_ISREG(st.st_mode))
		fail_msg("regular file: got it replaced or accepted (%s)", err);
	srv_free(&s1);
	srv_free(&s2);
	unlink(file);
	if (stat(path, &st) == 0)
		fail_msg("srv_free: got the socket left, want it unlinked");
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(clients_queued_on_two_listeners_are_served),
	    cmocka_unit_test(request_deadline_counts_from_the_first_byte),
	    cmocka_unit_test(protocol_deadline_outlives_request_ms),
	    cmocka_unit_test(idle_connection_can_say_goodbye_at_stop),
	    cmocka_unit_test(idle_longest_is_evicted_for_a_newcomer),
	    cmocka_unit_test(sighup_calls_reload_and_keeps_serving),
	    cmocka_unit_test(listen_replaces_only_a_stale_socket),
	};

	log_open("server_test", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
