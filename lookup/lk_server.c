/* lookup/lk_server.c - listeners, accept loop, connection threads and the
 * store pool of facteur-lookup; see lk_server.h.
 *
 * One thread per connection, capped at max_clients: Postfix keeps a
 * socketmap or policy connection open and reuses it, so connections are
 * few and long-lived. Each thread borrows a struct store from the pool
 * (a store is not thread-safe; a pooled one is used by one thread at a
 * time and keeps its prepared statements across connections). */
#include "lk_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"

struct lk_pool_item {
	struct store *st;
	struct lk_pool_item *next;
};

struct lk_conn_arg {
	struct lk_server *srv;
	int fd;
	int policy;
	int slot;
};

static int lk_wake_fd = -1;

static void
lk_on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (lk_wake_fd >= 0 && write(lk_wake_fd, &c, 1) < 0) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = saved;
}

static int
lk_listen_unix(const char *path, unsigned mode, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat sb;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* Replace a stale socket, never anything else. */
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket",
				 path);
			return -1;
		}
		if (unlink(path) < 0) {
			snprintf(err, errlen, "%s: unlink: %s", path,
				 strerror(errno));
			return -1;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, mode) < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
lk_listen_tcp(const char *spec, char *err, size_t errlen)
{
	struct lk_tcp_addr a;
	int fd, one = 1;

	if (lk_tcp_parse(spec, &a, err, errlen) < 0)
		return -1;
	fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a.ss, a.len) < 0 ||
	    listen(fd, 128) < 0) {
		snprintf(err, errlen, "%s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
lk_add_listener(struct lk_server *srv, const char *spec, int tcp, int policy,
		char *err, size_t errlen)
{
	struct lk_listener *l;
	int fd;

	if (*spec == '\0')
		return 0;
	fd = tcp ? lk_listen_tcp(spec, err, errlen)
		 : lk_listen_unix(spec, srv->cfg->mode, err, errlen);
	if (fd < 0)
		return -1;
	l = &srv->ls[srv->nls++];
	l->fd = fd;
	l->policy = policy;
	l->unix_path = tcp ? NULL : strdup(spec);
	return 0;
}

int
lk_server_listen(struct lk_server *srv, const struct lk_settings *cfg,
		 char *err, size_t errlen)
{
	long long i;

	memset(srv, 0, sizeof(*srv));
	srv->cfg = cfg;
	srv->wake[0] = srv->wake[1] = -1;
	srv->qc.delims = cfg->recipient_delimiter;
	srv->qc.null_key = cfg->null_access_lookup_key;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cv, NULL);
	srv->conn_fds = calloc((size_t)cfg->max_clients, sizeof(int));
	if (srv->conn_fds == NULL || pipe2(srv->wake, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, errlen, "out of memory or pipe: %s",
			 strerror(errno));
		return -1;
	}
	for (i = 0; i < cfg->max_clients; i++)
		srv->conn_fds[i] = -1;
	if (lk_add_listener(srv, cfg->socket, 0, 0, err, errlen) < 0 ||
	    lk_add_listener(srv, cfg->tcp, 1, 0, err, errlen) < 0 ||
	    lk_add_listener(srv, cfg->policy_socket, 0, 1, err, errlen) < 0 ||
	    lk_add_listener(srv, cfg->policy_tcp, 1, 1, err, errlen) < 0)
		return -1;
	return 0;
}

static struct store *
lk_store_open(struct lk_server *srv, char *err, size_t errlen)
{
	struct store_errbuf e;
	struct store *st = NULL;

	e.msg[0] = '\0';
	if (store_open(srv->db_path, STORE_RO, srv->busy_ms, &st, &e) < 0) {
		snprintf(err, errlen, "%s: %s", srv->db_path, e.msg);
		return NULL;
	}
	return st;
}

int
lk_server_open_db(struct lk_server *srv, const char *db_path, long long busy_ms,
		  char *err, size_t errlen)
{
	struct store *st;

	srv->db_path = db_path;
	srv->busy_ms = busy_ms;
	if ((st = lk_store_open(srv, err, errlen)) == NULL)
		return -1;
	lk_pool_put(srv, st, 0);
	return 0;
}

struct store *
lk_pool_get(struct lk_server *srv)
{
	struct lk_pool_item *it;
	struct store *st;
	char err[400];

	pthread_mutex_lock(&srv->mu);
	it = srv->idle;
	if (it)
		srv->idle = it->next;
	pthread_mutex_unlock(&srv->mu);
	if (it) {
		st = it->st;
		free(it);
		return st;
	}
	if ((st = lk_store_open(srv, err, sizeof(err))) == NULL)
		log_err("database: %s", err);
	return st;
}

void
lk_pool_put(struct lk_server *srv, struct store *st, int bad)
{
	struct lk_pool_item *it;

	if (st == NULL)
		return;
	if (bad || (it = malloc(sizeof(*it))) == NULL) {
		store_free(&st);
		return;
	}
	it->st = st;
	pthread_mutex_lock(&srv->mu);
	it->next = srv->idle;
	srv->idle = it;
	pthread_mutex_unlock(&srv->mu);
}

static void *
lk_conn_main(void *p)
{
	struct lk_conn_arg *a = p;
	struct lk_server *srv = a->srv;

	if (a->policy)
		lk_conn_policy(srv, a->fd);
	else
		lk_conn_socketmap(srv, a->fd);
	pthread_mutex_lock(&srv->mu);
	srv->conn_fds[a->slot] = -1;
	close(a->fd);
	srv->nconn--;
	pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	free(a);
	return NULL;
}

/* Starts a thread for fd; the caller holds a free slot (nconn < max). */
static void
lk_spawn(struct lk_server *srv, int fd, int policy)
{
	struct lk_conn_arg *a;
	pthread_attr_t attr;
	pthread_t t;
	int slot, rc;

	pthread_mutex_lock(&srv->mu);
	for (slot = 0; srv->conn_fds[slot] != -1; slot++)
		;
	srv->conn_fds[slot] = fd;
	srv->nconn++;
	pthread_mutex_unlock(&srv->mu);
	if ((a = malloc(sizeof(*a))) == NULL) {
		rc = ENOMEM;
		goto fail;
	}
	a->srv = srv;
	a->fd = fd;
	a->policy = policy;
	a->slot = slot;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, lk_conn_main, a);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		return;
	free(a);
fail:
	log_err("cannot start a connection thread: %s", strerror(rc));
	pthread_mutex_lock(&srv->mu);
	srv->conn_fds[slot] = -1;
	srv->nconn--;
	pthread_mutex_unlock(&srv->mu);
	close(fd);
}

/* Waits for a free slot; returns 1 if a signal asked us to stop. */
static int
lk_wait_slot(struct lk_server *srv)
{
	struct pollfd pw = {srv->wake[0], POLLIN, 0};
	struct timespec ts;

	pthread_mutex_lock(&srv->mu);
	while (srv->nconn >= srv->cfg->max_clients) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&srv->cv, &srv->mu, &ts);
		if (poll(&pw, 1, 0) > 0) {
			pthread_mutex_unlock(&srv->mu);
			return 1;
		}
	}
	pthread_mutex_unlock(&srv->mu);
	return 0;
}

static void
lk_accept_one(struct lk_server *srv, const struct lk_listener *l)
{
	struct timeval tv;
	int fd;

	fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept: %s", strerror(errno));
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
		    errno == ENOBUFS)
			poll(NULL, 0, 100); /* no busy loop while out of fds */
		return;
	}
	/* Bounds a write to a client that stopped reading. */
	tv.tv_sec = srv->cfg->idle_timeout / 1000;
	tv.tv_usec = (srv->cfg->idle_timeout % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		log_warn("setsockopt SO_SNDTIMEO: %s", strerror(errno));
	lk_spawn(srv, fd, l->policy);
}

static void
lk_drain(struct lk_server *srv)
{
	struct timespec ts;
	long long i;
	int n;

	pthread_mutex_lock(&srv->mu);
	for (i = 0; i < srv->cfg->max_clients; i++)
		if (srv->conn_fds[i] >= 0)
			shutdown(srv->conn_fds[i], SHUT_RDWR);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	while (srv->nconn > 0 &&
	       pthread_cond_timedwait(&srv->cv, &srv->mu, &ts) == 0)
		;
	n = srv->nconn;
	pthread_mutex_unlock(&srv->mu);
	if (n > 0)
		log_warn("%d connections still open at exit", n);
}

int
lk_server_run(struct lk_server *srv)
{
	struct pollfd pfd[LK_MAX_LISTENERS + 1];
	struct sigaction sa;
	size_t i;

	lk_wake_fd = srv->wake[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lk_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	log_info("ready: %zu listener(s), up to %lld clients", srv->nls,
		 srv->cfg->max_clients);
	for (;;) {
		if (lk_wait_slot(srv))
			break;
		pfd[0].fd = srv->wake[0];
		pfd[0].events = POLLIN;
		for (i = 0; i < srv->nls; i++) {
			pfd[i + 1].fd = srv->ls[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		if (poll(pfd, srv->nls + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		for (i = 0; i < srv->nls; i++)
			if (pfd[i + 1].revents & POLLIN)
				lk_accept_one(srv, &srv->ls[i]);
	}
	log_info("stopping");
	lk_drain(srv);
	return 0;
}

void
lk_server_free(struct lk_server *srv)
{
	struct lk_pool_item *it;
	size_t i;
	int busy;

	pthread_mutex_lock(&srv->mu);
	busy = srv->nconn > 0;
	pthread_mutex_unlock(&srv->mu);
	if (busy) /* threads still use srv: leave it to exit(3) */
		return;
	for (i = 0; i < srv->nls; i++) {
		close(srv->ls[i].fd);
		if (srv->ls[i].unix_path)
			(void)!unlink(srv->ls[i].unix_path);
		free(srv->ls[i].unix_path);
	}
	srv->nls = 0;
	while ((it = srv->idle) != NULL) {
		srv->idle = it->next;
		store_free(&it->st);
		free(it);
	}
	lk_wake_fd = -1;
	for (i = 0; i < 2; i++)
		if (srv->wake[i] >= 0)
			close(srv->wake[i]);
	free(srv->conn_fds);
	srv->conn_fds = NULL;
}
