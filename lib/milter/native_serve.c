/* lib/milter/native_serve.c - the native engine's listener: the socket,
 * one thread per connection (capped), signals and the drain; see
 * native.h. The protocol itself is native.c.
 * A connection's slot is free only once its thread is joined: the thread
 * exit runs destructors (OpenSSL's and ldns' per-thread state) after the
 * thread function returns, and the process must not exit, nor take a new
 * connection in that slot, before they are done.
 * SECURITY: binds as root before the privilege drop (daemon.c); serves
 * after it. */
#include "native.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "native_int.h"

/* A connection thread's slot: FREE, RUN (conn is its state, for the
 * drain) or DONE (returned, not joined yet). */
enum ns_state { NS_FREE, NS_RUN, NS_DONE };

struct ns_slot {
	enum ns_state state;
	pthread_t t;
	struct nconn *conn;
};

/* The connection threads, for the cap and the drain. */
struct ns_server {
	const struct mlt_chain *ch;
	long long timeout_ms;
	pthread_mutex_t mu;
	struct ns_slot slot[MLT_NATIVE_MAX_CONNS];
	size_t nlive; /* slots not FREE: threads not joined */
	atomic_int stop;
	int wake[2]; /* a thread that ends writes a byte */
};

struct ns_job {
	struct ns_server *srv;
	struct nconn c;
	size_t slot;
};

static int
ns_bind_unix(const char *path, int *fd, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1); /* length checked */
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, errlen, "cannot bind %s: %s", path,
		    strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	*fd = s;
	return 0;
}

int
mlt_native_listen(int fd, char *err, size_t errlen)
{
	if (listen(fd, SOMAXCONN) != 0) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
mlt_native_bind(const char *spec, int *fd, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	enum mlt_sock_kind k;
	const char *path, *at, *p;
	char port[8], host[256];
	int s = -1, one = 1, e;

	if (mlt_socket_parse(spec, &k, &path) != 0) {
		snprintf(err, errlen, "bad socket %s", spec);
		return -1;
	}
	if (k == MLT_SOCK_UNIX)
		return ns_bind_unix(path, fd, err, errlen);
	p = strchr(spec, ':') + 1;
	at = strchr(p, '@'); /* checked by mlt_socket_parse: 1-5 digits */
	snprintf(port, sizeof(port), "%.*s", (int)(at - p), p);
	snprintf(host, sizeof(host), "%s", at + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = k == MLT_SOCK_INET6 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", spec, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (s < 0)
			continue;
		(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(s, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(s);
		s = -1;
	}
	e = errno;
	freeaddrinfo(res);
	if (s < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", spec,
		    strerror(e));
		return -1;
	}
	*fd = s;
	return 0;
}

static void *
ns_thread(void *arg)
{
	struct ns_job *j = arg;
	struct ns_server *srv = j->srv;
	char b = 0;

	nc_run(&j->c, srv->timeout_ms, &srv->stop);
	nc_free(&j->c);
	pthread_mutex_lock(&srv->mu);
	srv->slot[j->slot].state = NS_DONE; /* ns_reap() joins it */
	srv->slot[j->slot].conn = NULL;
	close(j->c.fd); /* under the lock: the drain shuts live fds down */
	if (write(srv->wake[1], &b, 1) < 0) {
		/* the pipe is full: the listener wakes anyway */
	}
	pthread_mutex_unlock(&srv->mu);
	free(j);
	return NULL; /* the thread's destructors run after this */
}

/* Joins the threads that have returned and frees their slots. Only the
 * listener calls it. Returns the threads not joined. */
static size_t
ns_reap(struct ns_server *srv)
{
	size_t i, n;

	pthread_mutex_lock(&srv->mu);
	for (i = 0; i < MLT_NATIVE_MAX_CONNS; i++) {
		if (srv->slot[i].state != NS_DONE)
			continue;
		/* DONE threads take the lock no more: joining under it is
		 * safe, and waits only for their exit destructors */
		(void)pthread_join(srv->slot[i].t, NULL);
		srv->slot[i].state = NS_FREE;
		srv->nlive--;
	}
	n = srv->nlive;
	pthread_mutex_unlock(&srv->mu);
	return n;
}

static void
ns_spawn(struct ns_server *srv, int fd)
{
	struct ns_job *j;
	size_t i;
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((j = malloc(sizeof(*j))) == NULL) {
		log_err("accept: out of memory");
		close(fd);
		return;
	}
	j->srv = srv;
	nc_init(&j->c, srv->ch, fd);
	pthread_mutex_lock(&srv->mu);
	for (i = 0; srv->slot[i].state != NS_FREE; i++)
		; /* nlive < MAX: a free slot exists */
	j->slot = i;
	srv->slot[i].state = NS_RUN;
	srv->slot[i].conn = &j->c;
	srv->nlive++;
	/* under the lock, so the thread cannot mark it DONE before t is set */
	if (pthread_create(&srv->slot[i].t, NULL, ns_thread, j) != 0) {
		log_err("accept: cannot start a thread");
		srv->slot[i].state = NS_FREE;
		srv->slot[i].conn = NULL;
		srv->nlive--;
		pthread_mutex_unlock(&srv->mu);
		nc_free(&j->c);
		close(fd);
		free(j);
		return;
	}
	pthread_mutex_unlock(&srv->mu);
}

/* Closes the connections waiting for their next message (all of them
 * when force); a thread inside a message ends it first. Joins those that
 * ended; returns how many are not joined. */
static size_t
ns_shut(struct ns_server *srv, int force)
{
	size_t i;

	pthread_mutex_lock(&srv->mu);
	for (i = 0; i < MLT_NATIVE_MAX_CONNS; i++)
		if (srv->slot[i].state == NS_RUN &&
		    (force || !atomic_load(&srv->slot[i].conn->in_msg)))
			(void)shutdown(srv->slot[i].conn->fd, SHUT_RDWR);
	pthread_mutex_unlock(&srv->mu);
	return ns_reap(srv);
}

static void
ns_drain(struct ns_server *srv)
{
	long long left = srv->timeout_ms < 30000 ? srv->timeout_ms : 30000;
	struct timespec ts = {0, 50 * 1000 * 1000};
	size_t n;
	int grace = 20; /* 1 s for threads to leave after the force */

	atomic_store(&srv->stop, 1);
	while ((n = ns_shut(srv, left <= 0)) > 0) {
		if (left <= 0 && grace-- <= 0) {
			log_warn("stopping with %zu connection(s) still busy",
			    n);
			return;
		}
		nanosleep(&ts, NULL);
		left -= 50;
	}
}

static int
ns_setup(struct ns_server *srv, int *sfd, char *err, size_t errlen)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (*sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -1;
	}
	if (pipe2(srv->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(*sfd);
		return -1;
	}
	return 0;
}

static void
ns_loop(struct ns_server *srv, int lfd, int sfd)
{
	struct pollfd pf[3];
	char junk[64];
	int fd, nfd;

	for (;;) {
		pf[0] = (struct pollfd){sfd, POLLIN, 0};
		pf[1] = (struct pollfd){srv->wake[0], POLLIN, 0};
		pf[2] = (struct pollfd){lfd, POLLIN, 0};
		pthread_mutex_lock(&srv->mu);
		nfd = srv->nlive < MLT_NATIVE_MAX_CONNS ? 3 : 2;
		pthread_mutex_unlock(&srv->mu);
		if (poll(pf, (nfds_t)nfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return;
		}
		if (pf[0].revents)
			return; /* a stop signal: read it no further */
		if (pf[1].revents) {
			while (read(srv->wake[0], junk, sizeof(junk)) > 0)
				;
			(void)ns_reap(srv);
		}
		if (nfd < 3 || !(pf[2].revents & POLLIN))
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			ns_spawn(srv, fd);
		else if (errno == EMFILE || errno == ENFILE) {
			log_warn("accept: %s", strerror(errno));
			nanosleep(&(struct timespec){0, 100000000}, NULL);
		}
	}
}

int
mlt_native_serve(const struct mlt_chain *ch, int lfd, long long timeout_ms,
    size_t *left, char *err, size_t errlen)
{
	struct ns_server *srv;
	size_t n;
	int sfd;

	*left = 0;
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	srv->ch = ch;
	srv->timeout_ms = timeout_ms;
	pthread_mutex_init(&srv->mu, NULL);
	atomic_init(&srv->stop, 0);
	if (ns_setup(srv, &sfd, err, errlen) != 0) {
		free(srv);
		return -1;
	}
	ns_loop(srv, lfd, sfd);
	close(lfd);
	ns_drain(srv);
	close(sfd);
	if ((*left = n = ns_reap(srv)) == 0) {
		close(srv->wake[0]);
		close(srv->wake[1]);
		pthread_mutex_destroy(&srv->mu);
		free(srv);
	}
	/* else srv stays: a thread still busy after the grace period may
	 * touch it until the process exits */
	return 0;
}
