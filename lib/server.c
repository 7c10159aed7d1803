/* lib/server.c - the server skeleton: listeners, slots, the worker pool,
 * deadlines and signals; see server.h for the contract.
 *
 * Threads: one accept thread (the caller of srv_run) and up to max_conns
 * workers, started on demand and kept. Everything shared is under srv->mu:
 * the slots' states, the work queue, the counts. A slot's fd is closed by
 * its worker under the lock, so the accept thread's shutdown() (eviction,
 * deadline backstop, stop) never reaches a reused fd number.
 *
 * Slot states: FREE -> QUEUED (accepted, waiting for a worker) -> IDLE
 * (no byte of a request read) <-> BUSY (inside a request, deadline set)
 * -> CLOSING (evicted or shut by the server) -> FREE.
 *
 * SECURITY: binding runs as root; srv_run refuses root unless the program
 * asked for it. Nothing a client sends reaches this file except as a byte
 * count: the protocol is the program's serve(). */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "server_int.h"

#define SRV_BACKSTOP_MS 1000 /* past a deadline, the accept thread cuts */
#define SRV_FRESH_MS 1000    /* a new connection's grace before eviction */

static atomic_int srv_sig_fd = -1; /* lock-free: safe in a handler */

long long
srv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
srv_on_signal(int sig)
{
	int saved = errno, fd = atomic_load(&srv_sig_fd);
	char c = (char)sig;

	if (fd >= 0 && write(fd, &c, 1) < 0) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = saved;
}

static void
srv_poke(struct server *srv)
{
	char c = 0;

	if (write(srv->wake[1], &c, 1) < 0) {
		/* full: the accept thread wakes anyway */
	}
}

int
srv_new(const struct srv_limits *lim, const struct srv_ops *ops, void *ctx,
	struct server **out, char *err, size_t errlen)
{
	struct server *srv;
	size_t i;

	*out = NULL;
	if (ops == NULL || ops->serve == NULL) {
		snprintf(err, errlen, "server: no serve callback");
		return -1;
	}
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		goto oom;
	srv->lim = *lim;
	if (srv->lim.max_conns == 0)
		srv->lim.max_conns = 64;
	if (srv->lim.request_ms <= 0)
		srv->lim.request_ms = 10000;
	if (srv->lim.idle_ms <= 0)
		srv->lim.idle_ms = 300000;
	if (srv->lim.drain_ms <= 0)
		srv->lim.drain_ms = 5000;
	if (srv->lim.backlog <= 0)
		srv->lim.backlog = 128;
	srv->ops = *ops;
	srv->ctx = ctx;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->work, NULL);
	pthread_cond_init(&srv->gone, NULL);
	srv->wake[0] = srv->wake[1] = srv->sig[0] = srv->sig[1] = -1;
	srv->slots = calloc(srv->lim.max_conns, sizeof(*srv->slots));
	srv->tids = calloc(srv->lim.max_conns, sizeof(*srv->tids));
	if (srv->slots == NULL || srv->tids == NULL) {
		free(srv->slots);
		free(srv->tids);
		goto oom;
	}
	for (i = 0; i < srv->lim.max_conns; i++) {
		srv->slots[i].srv = srv;
		srv->slots[i].fd = -1;
	}
	if (pipe2(srv->wake, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    pipe2(srv->sig, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "server: pipe: %s", strerror(errno));
		srv_free(&srv);
		return -1;
	}
	*out = srv;
	return 0;
oom:
	if (srv)
		free(srv);
	snprintf(err, errlen, "server: out of memory");
	return -1;
}

/* A clean stop removes the unix socket if it is still the one bound (not
 * a newer instance's), so a stopped server is a missing file, not
 * "connection refused". After the privilege drop the directory may not
 * let the user remove it: it then stays (facteur doctor: "not running"). */
static void
srv_unlink_ours(const struct srv_listener *l)
{
	struct stat st;

	if (l->path == NULL || lstat(l->path, &st) != 0 ||
	    st.st_ino != l->ino || st.st_dev != l->dev)
		return;
	if (unlink(l->path) != 0)
		log_info("socket %s left (%s)", l->path, strerror(errno));
}

int
srv_free(struct server **srvp)
{
	struct server *srv = *srvp;
	size_t i;
	int busy, fd;

	if (srv == NULL)
		return 0;
	*srvp = NULL;
	pthread_mutex_lock(&srv->mu);
	busy = srv->nthreads > 0;
	pthread_mutex_unlock(&srv->mu);
	if (busy) /* a worker may still touch srv: leave it to exit */
		return 1;
	for (i = 0; i < srv->nls; i++) {
		if (srv->ls[i].fd >= 0)
			close(srv->ls[i].fd);
		srv_unlink_ours(&srv->ls[i]);
		free(srv->ls[i].path);
	}
	fd = srv->sig[1];
	(void)atomic_compare_exchange_strong(&srv_sig_fd, &fd, -1);
	for (i = 0; i < 2; i++) {
		if (srv->wake[i] >= 0)
			close(srv->wake[i]);
		if (srv->sig[i] >= 0)
			close(srv->sig[i]);
	}
	pthread_cond_destroy(&srv->gone);
	pthread_cond_destroy(&srv->work);
	pthread_mutex_destroy(&srv->mu);
	free(srv->slots);
	free(srv->tids);
	free(srv);
	return 0;
}

/* ---- the connection, for serve() ---- */

int
srv_conn_fd(const struct srv_conn *c)
{
	return c->fd;
}

int
srv_conn_tag(const struct srv_conn *c)
{
	return c->l->tag;
}

const char *
srv_conn_name(const struct srv_conn *c)
{
	return c->name;
}

/* The end of the current wait, or -1 if the connection must end now
 * (evicted, cut, or idle while stopping). The worker owns its slot's
 * times; the accept thread only moves IDLE to CLOSING (a compare and
 * swap, which the worker's IDLE to BUSY races fairly) and sets cut. */
static long long
srv_conn_end(const struct srv_conn *c)
{
	const struct server *srv = c->srv;
	int st = atomic_load(&c->state);

	if (st == SRV_CLOSING || atomic_load(&c->cut) ||
	    (atomic_load(&srv->stopping) && st == SRV_IDLE))
		return -1;
	if (st == SRV_IDLE)
		return atomic_load(&c->since_ms) + srv->lim.idle_ms;
	return atomic_load(&c->deadline_ms);
}

/* A request starts: its deadline first, then the state, so the accept
 * thread never sees BUSY with the last request's deadline. 0, or -1 if
 * the accept thread closed the connection first. */
static int
srv_conn_busy(struct srv_conn *c, int from)
{
	long long now = srv_now_ms();

	atomic_store(&c->deadline_ms, now + c->srv->lim.request_ms);
	atomic_store(&c->since_ms, now);
	return atomic_compare_exchange_strong(&c->state, &from, SRV_BUSY) ? 0
									  : -1;
}

static int
srv_conn_expired(struct srv_conn *c, int idle, int writing)
{
	if (idle)
		log_debug("%s: idle for %lld ms: closed", c->name,
			  c->srv->lim.idle_ms);
	else
		log_warn("%s: %s after %lld ms (its deadline): closed", c->name,
			 writing ? "answer not written"
				 : "request not complete",
			 srv_now_ms() - atomic_load(&c->since_ms));
	return SRV_IO_DEADLINE;
}

/* Waits for ev on c's fd until the current deadline (or fixed_end if
 * > 0); 1 ready, or an enum srv_io. *idle: the wait was an idle one. */
static int
srv_conn_wait(struct srv_conn *c, short ev, long long fixed_end, int *idle)
{
	struct pollfd pfd = {c->fd, ev, 0};
	long long end, now;
	int rc;

	for (;;) {
		end = srv_conn_end(c);
		*idle = atomic_load(&c->state) == SRV_IDLE && fixed_end <= 0;
		if (end < 0)
			return SRV_IO_ERROR;
		if (fixed_end > 0)
			end = fixed_end;
		if ((now = srv_now_ms()) >= end)
			return srv_conn_expired(c, *idle,
						fixed_end > 0 || ev == POLLOUT);
		rc = poll(&pfd, 1,
			  end - now > INT_MAX ? INT_MAX : (int)(end - now));
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return SRV_IO_ERROR;
	}
}

ssize_t
srv_conn_read(struct srv_conn *c, void *buf, size_t len)
{
	ssize_t n;
	int rc, idle;

	for (;;) {
		if (srv_conn_end(c) < 0)
			return SRV_IO_ERROR;
		idle = atomic_load(&c->state) == SRV_IDLE;
		if (!idle) { /* inside a request: read, then wait */
			n = read(c->fd, buf, len);
			if (n > 0)
				return n;
			if (n == 0)
				return SRV_IO_EOF;
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				return SRV_IO_ERROR;
		}
		if ((rc = srv_conn_wait(c, POLLIN, 0, &idle)) < 0)
			return rc;
		/* An idle connection reads nothing until it is BUSY: one the
		 * accept thread evicted (only IDLE ones are) has not read a
		 * byte of the request its client sent, and the client's
		 * retry loses nothing. */
		if (idle && srv_conn_busy(c, SRV_IDLE) < 0)
			return SRV_IO_ERROR;
	}
}

int
srv_conn_write(struct srv_conn *c, const void *p, size_t len)
{
	long long end = 0;
	size_t off = 0;
	ssize_t n;
	int rc, idle;

	if (atomic_load(&c->state) != SRV_BUSY)
		end = srv_now_ms() + c->srv->lim.request_ms;
	while (off < len) {
		n = send(c->fd, (const char *)p + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			return SRV_IO_ERROR;
		if ((rc = srv_conn_wait(c, POLLOUT, end, &idle)) < 0)
			return rc;
	}
	return 0;
}

void
srv_conn_idle(struct srv_conn *c)
{
	int busy = SRV_BUSY;

	if (atomic_load(&c->state) != SRV_BUSY)
		return;
	atomic_store(&c->since_ms, srv_now_ms());
	if (!atomic_compare_exchange_strong(&c->state, &busy, SRV_IDLE))
		return;
	atomic_store(&c->served, 1);
	if (atomic_load(&c->srv->want_wake))
		srv_poke(c->srv);
}

void
srv_conn_next(struct srv_conn *c)
{
	if (atomic_load(&c->state) == SRV_BUSY) {
		atomic_store(&c->served, 1);
		(void)srv_conn_busy(c, SRV_BUSY);
	} else
		(void)srv_conn_busy(c, SRV_IDLE);
}

void
srv_conn_deadline(struct srv_conn *c, long long ms)
{
	if (atomic_load(&c->state) == SRV_BUSY)
		atomic_store(&c->deadline_ms, srv_now_ms() + ms);
}

int
srv_conn_stopping(const struct srv_conn *c)
{
	return atomic_load(&c->srv->stopping);
}

/* ---- workers ---- */

static void
srv_worker_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Ends c's connection: its fd closes under the lock, the slot frees. */
static void
srv_conn_release(struct server *srv, struct srv_conn *c)
{
	pthread_mutex_lock(&srv->mu);
	close(c->fd);
	c->fd = -1;
	c->state = SRV_FREE;
	c->cut = 0;
	srv->nused--;
	srv_poke(srv);
	pthread_mutex_unlock(&srv->mu);
}

static void *
srv_worker(void *arg)
{
	struct server *srv = arg;
	struct srv_conn *c;

	srv_worker_block_signals();
	pthread_mutex_lock(&srv->mu);
	for (;;) {
		while (srv->qhead == NULL && !srv->stopping)
			pthread_cond_wait(&srv->work, &srv->mu);
		if ((c = srv->qhead) == NULL)
			break; /* stopping, nothing left to serve */
		if ((srv->qhead = c->next) == NULL)
			srv->qtail = NULL;
		c->next = NULL;
		if (c->state == SRV_QUEUED) {
			c->since_ms = srv_now_ms();
			c->state = SRV_IDLE;
			if (srv->want_wake)
				srv_poke(srv);
		}
		pthread_mutex_unlock(&srv->mu);
		srv->ops.serve(c, srv->ctx);
		srv_conn_release(srv, c);
		pthread_mutex_lock(&srv->mu);
	}
	srv->nthreads--;
	pthread_cond_broadcast(&srv->gone);
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

/* Under the lock: a free slot, taken (QUEUED), or NULL. The only way a
 * connection gets a slot: there is no count to trust besides the slots. */
static struct srv_conn *
srv_slot_take(struct server *srv)
{
	size_t i;

	if (srv->nused >= srv->lim.max_conns)
		return NULL;
	for (i = 0; i < srv->lim.max_conns; i++)
		if (srv->slots[i].state == SRV_FREE) {
			srv->slots[i].state = SRV_QUEUED;
			srv->nused++;
			return &srv->slots[i];
		}
	return NULL; /* nused lied: not reached */
}

/* Under the lock: a worker for c. Workers are never fewer than the used
 * slots, so a queued connection always has a worker free or about to be.
 * Workers are kept until the stop, and joinable: srv_stop joins them, so
 * their thread-exit destructors (OpenSSL's, ldns' per-thread state) have
 * run before srv_run returns and the process may exit. At most max_conns
 * are ever started. 0, or -1 (no thread could be started: the caller
 * closes c). */
static int
srv_dispatch(struct server *srv, struct srv_conn *c)
{
	int rc = 0;

	if (srv->nthreads < srv->nused && srv->ntids < srv->lim.max_conns) {
		rc = pthread_create(&srv->tids[srv->ntids], NULL, srv_worker,
				    srv);
		if (rc == 0) {
			srv->nthreads++;
			srv->ntids++;
		} else {
			log_err("cannot start a worker thread: %s",
				strerror(rc));
			return -1;
		}
	}
	if (srv->qtail)
		srv->qtail->next = c;
	else
		srv->qhead = c;
	srv->qtail = c;
	pthread_cond_signal(&srv->work);
	return 0;
}

static void
srv_accept(struct server *srv, const struct srv_listener *l)
{
	struct srv_conn *c;
	int fd, one = 1, e;

	pthread_mutex_lock(&srv->mu);
	c = srv_slot_take(srv);
	pthread_mutex_unlock(&srv->mu);
	if (c == NULL)
		return;
	fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	e = errno;
	pthread_mutex_lock(&srv->mu);
	if (fd >= 0) {
		c->fd = fd;
		c->l = l;
		c->cut = 0;
		c->served = 0;
		snprintf(c->name, sizeof(c->name), "slot %zu on %s",
			 (size_t)(c - srv->slots), l->name);
		if (srv_dispatch(srv, c) == 0) {
			pthread_mutex_unlock(&srv->mu);
			if (l->tcp)
				(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
						 &one, sizeof(one));
			return;
		}
		close(fd);
		c->fd = -1;
	}
	c->state = SRV_FREE;
	srv->nused--;
	pthread_mutex_unlock(&srv->mu);
	if (fd < 0 && e != EAGAIN && e != EWOULDBLOCK && e != EINTR &&
	    e != ECONNABORTED) {
		log_warn("accept on %s: %s", l->name, strerror(e));
		if (e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS)
			poll(NULL, 0, 100); /* no busy loop out of fds */
	}
}

/* Under the lock: whether c may be evicted now, else (*at) when. A new
 * connection gets SRV_FRESH_MS for its first request: a client retrying
 * on a new connection is never closed before it could ask. */
static int
srv_evictable(const struct srv_conn *c, long long now, long long *at)
{
	*at = -1;
	if (c->state != SRV_IDLE)
		return 0;
	if (c->served || now - c->since_ms >= SRV_FRESH_MS)
		return 1;
	*at = c->since_ms + SRV_FRESH_MS;
	return 0;
}

static long long
srv_sooner(long long a, long long b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

/* An idle connection whose next request has arrived (its worker has not
 * read it yet) is about to be busy, not idle: never the one evicted. */
static int
srv_has_input(const struct srv_conn *c)
{
	struct pollfd pfd = {c->fd, POLLIN, 0};

	return poll(&pfd, 1, 0) != 0;
}

/* Under the lock: closes the connection idle longest (with no request
 * waiting on it) to make room for a waiting client. 1 if one was, 0 if
 * none is idle. */
static int
srv_evict(struct server *srv)
{
	struct srv_conn *old = NULL;
	long long now = srv_now_ms(), at;
	int idle = SRV_IDLE;
	size_t i;

	for (i = 0; i < srv->lim.max_conns; i++) {
		struct srv_conn *c = &srv->slots[i];

		if (srv_evictable(c, now, &at) && !srv_has_input(c) &&
		    (old == NULL || c->since_ms < old->since_ms))
			old = c;
	}
	if (old == NULL ||
	    !atomic_compare_exchange_strong(
		&old->state, &idle, SRV_CLOSING)) { /* its worker is about to
						       read: look again soon */
		srv->evict_retry_ms = now + 10;
		return 0;
	}
	(void)shutdown(old->fd, SHUT_RDWR);
	log_info("all %zu slots busy and a client waits: closed %s, "
		 "idle longest (%lld ms)",
		 srv->lim.max_conns, old->name, srv_now_ms() - old->since_ms);
	return 1;
}

/* Under the lock, once per accept-loop turn: shuts down requests past
 * their deadline (the backstop), and says whether a waiting client can
 * get a slot now (*take) or by an eviction (*evict). Returns the poll
 * timeout in ms (-1: none). */
static int
srv_scan(struct server *srv, int *take, int *evict)
{
	long long now = srv_now_ms(), next = -1, at;
	size_t i, idle = 0, closing = 0;

	for (i = 0; i < srv->lim.max_conns; i++) {
		struct srv_conn *c = &srv->slots[i];

		if (srv_evictable(c, now, &at))
			idle++;
		next = srv_sooner(next, at);
		if (c->state == SRV_CLOSING)
			closing++;
		if (c->state != SRV_BUSY || c->cut)
			continue;
		at = c->deadline_ms + SRV_BACKSTOP_MS;
		if (at <= now) {
			c->cut = 1;
			(void)shutdown(c->fd, SHUT_RDWR);
			log_warn("%s: request past its deadline: shut down",
				 c->name);
		} else
			next = srv_sooner(next, at);
	}
	*take = srv->nused < srv->lim.max_conns;
	*evict =
	    !*take && closing == 0 && idle > 0 && now >= srv->evict_retry_ms;
	if (!*take && closing == 0 && idle > 0 && !*evict)
		next = srv_sooner(next, srv->evict_retry_ms);
	srv->want_wake = !*take && !*evict;
	if (next < 0)
		return -1;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

/* ---- the accept thread ---- */

/* Reads the signals that arrived; 1 if one asks to stop. */
static int
srv_signals(struct server *srv)
{
	char b[16];
	ssize_t n, i;
	int stop = 0;

	while ((n = read(srv->sig[0], b, sizeof(b))) > 0)
		for (i = 0; i < n; i++) {
			if (b[i] != SIGHUP || srv->ops.hup_stops)
				stop = 1;
			else if (srv->ops.reload != NULL) {
				log_info("SIGHUP: reloading");
				srv->ops.reload(srv->ctx);
			} else
				log_info("SIGHUP: nothing to reload");
		}
	return stop;
}

static void
srv_signals_install(struct server *srv)
{
	struct sigaction sa;

	srv_sig_fd = srv->sig[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = srv_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* One turn: poll the signals, the workers' wake-ups and, when a client
 * could get a slot, the listeners; accept or evict. 1 to stop, -1 on a
 * poll error. */
static int
srv_turn(struct server *srv)
{
	struct pollfd pfd[SRV_MAX_LISTENERS + 2];
	char junk[64];
	size_t i, k, n = 2;
	int take, evict, timeout, done = 0;

	pthread_mutex_lock(&srv->mu);
	timeout = srv_scan(srv, &take, &evict);
	pthread_mutex_unlock(&srv->mu);
	pfd[0] = (struct pollfd){srv->sig[0], POLLIN, 0};
	pfd[1] = (struct pollfd){srv->wake[0], POLLIN, 0};
	if (take || evict)
		for (i = 0; i < srv->nls; i++)
			pfd[n++] = (struct pollfd){srv->ls[i].fd, POLLIN, 0};
	if (poll(pfd, (nfds_t)n, timeout) < 0)
		return errno == EINTR ? 0 : -1;
	if (pfd[0].revents && srv_signals(srv))
		return 1;
	if (pfd[1].revents)
		while (read(srv->wake[0], junk, sizeof(junk)) > 0)
			;
	/* Listeners take turns at going first: one busy listener cannot
	 * keep the other's clients waiting. */
	for (k = 0; n > 2 && k < srv->nls; k++) {
		i = (srv->rr + k) % srv->nls;
		if (!(pfd[i + 2].revents & POLLIN))
			continue;
		if (take) {
			srv_accept(srv, &srv->ls[i]);
			continue;
		}
		if (evict && !done) {
			pthread_mutex_lock(&srv->mu);
			done = srv_evict(srv);
			pthread_mutex_unlock(&srv->mu);
		}
	}
	srv->rr++;
	return 0;
}

/* Closes the listeners, ends idle connections now and busy ones after
 * drain_ms, and waits (bounded) for the workers to leave. */
static void
srv_stop(struct server *srv)
{
	long long end = srv_now_ms() + srv->lim.drain_ms;
	struct timespec ts;
	size_t i, left;
	int forced = 0;

	for (i = 0; i < srv->nls; i++) {
		close(srv->ls[i].fd);
		srv->ls[i].fd = -1;
	}
	pthread_mutex_lock(&srv->mu);
	srv->stopping = 1;
	pthread_cond_broadcast(&srv->work);
	while (srv->nthreads > 0) {
		for (i = 0; i < srv->lim.max_conns; i++) {
			struct srv_conn *c = &srv->slots[i];

			int idle = SRV_IDLE;

			/* An idle one may still write its goodbye (see
			 * srv_conn_stopping); a busy one past the drain
			 * is cut both ways. */
			if (atomic_compare_exchange_strong(&c->state, &idle,
							   SRV_CLOSING)) {
				c->cut = 1;
				(void)shutdown(c->fd, SHUT_RD);
			} else if (forced && c->state == SRV_BUSY && !c->cut) {
				c->cut = 1;
				(void)shutdown(c->fd, SHUT_RDWR);
			}
		}
		if (srv_now_ms() >= end + (forced ? 1000 : 0)) {
			if (forced)
				break;
			forced = 1;
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		(void)pthread_cond_timedwait(&srv->gone, &srv->mu, &ts);
	}
	if (srv->nused > 0)
		log_warn("stopping with %zu connection(s) still busy",
			 srv->nused);
	left = srv->nthreads;
	pthread_mutex_unlock(&srv->mu);
	/* every worker has left its loop: wait for its exit destructors;
	 * with one still busy none is joined (the process exits with it) */
	for (i = 0; left == 0 && i < srv->ntids; i++)
		(void)pthread_join(srv->tids[i], NULL);
	if (left == 0)
		srv->ntids = 0;
}

int
srv_run(struct server *srv, char *err, size_t errlen)
{
	int rc;

	if (srv->nls == 0) {
		snprintf(err, errlen, "nothing to listen on");
		return -1;
	}
	if (geteuid() == 0 && !srv->ops.allow_root) {
		snprintf(err, errlen, "refusing to serve as root: set a user");
		return -1;
	}
	srv_signals_install(srv);
	log_info("ready: %zu listener(s), up to %zu connections, "
		 "request_timeout %lld ms, idle_timeout %lld ms",
		 srv->nls, srv->lim.max_conns, srv->lim.request_ms,
		 srv->lim.idle_ms);
	while ((rc = srv_turn(srv)) == 0)
		;
	if (rc < 0)
		log_err("poll: %s", strerror(errno));
	log_info("stopping");
	srv_stop(srv);
	return 0;
}
