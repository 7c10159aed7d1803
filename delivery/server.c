/* delivery/server.c - facteur-lmtp's listeners and accept loop: one
 * thread per connection, at most max_clients at once (Postfix keeps a
 * few LMTP connections and reuses them).
 *
 * SECURITY: the unix socket is created as root in Postfix's private/
 * directory with socket_mode and socket_group, before privileges are
 * dropped (main.c); the TCP listener only ever binds a loopback address
 * (lmtp_conf.c). */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

struct lmtp_conn_arg {
	struct lmtp_server *srv;
	int fd;
};

static int lmtp_wake_fd = -1;

static void
lmtp_on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (lmtp_wake_fd >= 0 && write(lmtp_wake_fd, &c, 1) < 0) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = saved;
}

static int
lmtp_listen_unix(struct lmtp_server *srv, char *err, size_t errlen)
{
	const struct lmtp_settings *cfg = srv->cfg;
	struct sockaddr_un sun;
	struct group *gr;
	struct stat sb;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(cfg->socket) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", cfg->socket);
		return -1;
	}
	memcpy(sun.sun_path, cfg->socket, strlen(cfg->socket) + 1);
	if (lstat(cfg->socket, &sb) == 0) { /* replace a stale socket only */
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket",
			    cfg->socket);
			return -1;
		}
		(void)unlink(cfg->socket);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(cfg->socket, cfg->mode) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "%s: %s", cfg->socket, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (*cfg->socket_group) {
		if ((gr = getgrnam(cfg->socket_group)) == NULL ||
		    chown(cfg->socket, (uid_t)-1, gr->gr_gid) < 0) {
			snprintf(err, errlen, "%s: group %s: %s", cfg->socket,
			    cfg->socket_group, gr ? strerror(errno) :
			    "no such group");
			close(fd);
			return -1;
		}
	}
	srv->unix_path = strdup(cfg->socket);
	srv->lfd[srv->nlfd++] = fd;
	return 0;
}

static int
lmtp_listen_tcp(struct lmtp_server *srv, char *err, size_t errlen)
{
	const struct lmtp_settings *cfg = srv->cfg;
	int fd, on = 1;

	fd = socket(cfg->tcp_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) < 0 || bind(fd, (const struct sockaddr *)&cfg->tcp_addr,
	    cfg->tcp_len) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "%s: %s", cfg->tcp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	srv->lfd[srv->nlfd++] = fd;
	return 0;
}

int
lmtp_server_listen(struct lmtp_server *srv, const struct lmtp_settings *cfg,
    char *err, size_t errlen)
{
	memset(srv, 0, sizeof(*srv));
	srv->cfg = cfg;
	srv->rootfd = -1;
	srv->wake[0] = srv->wake[1] = -1;
	srv->stop[0] = srv->stop[1] = -1;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cv, NULL);
	if (*cfg->hostname)
		snprintf(srv->host, sizeof(srv->host), "%s", cfg->hostname);
	else if (gethostname(srv->host, sizeof(srv->host) - 1) < 0)
		snprintf(srv->host, sizeof(srv->host), "localhost");
	if (pipe2(srv->wake, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pipe2(srv->stop, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    (srv->sieve = lmtp_sieve_cache_new()) == NULL) {
		snprintf(err, errlen, "pipe or memory: %s", strerror(errno));
		return -1;
	}
	if (*cfg->socket && lmtp_listen_unix(srv, err, errlen) < 0)
		return -1;
	if (*cfg->tcp && lmtp_listen_tcp(srv, err, errlen) < 0)
		return -1;
	return 0;
}

int
lmtp_server_open(struct lmtp_server *srv, const char *db_path,
    long long busy_ms, char *err, size_t errlen)
{
	struct store_errbuf e = {""};
	struct store *st = NULL;

	srv->db_path = db_path;
	srv->busy_ms = busy_ms;
	srv->rootfd = open(srv->cfg->mail_root, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	if (srv->rootfd < 0) {
		snprintf(err, errlen, "mail_root %s: %s", srv->cfg->mail_root,
		    strerror(errno));
		return -1;
	}
	/* Fail early on a database we can not read; later failures are
	 * per-recipient 451s. */
	if (store_open(db_path, STORE_RO, busy_ms, &st, &e) < 0) {
		snprintf(err, errlen, "%s: %s", db_path, e.msg);
		return -1;
	}
	store_free(&st);
	return 0;
}

static void *
lmtp_conn_main(void *p)
{
	struct lmtp_conn_arg *a = p;
	struct lmtp_server *srv = a->srv;

	lmtp_session_run(srv, a->fd);
	free(a);
	pthread_mutex_lock(&srv->mu);
	srv->nconn--;
	pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

static void
lmtp_accept(struct lmtp_server *srv, int lfd)
{
	struct lmtp_conn_arg *a;
	pthread_attr_t at;
	pthread_t th;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	pthread_mutex_lock(&srv->mu);
	if (srv->nconn >= srv->cfg->max_clients) {
		pthread_mutex_unlock(&srv->mu);
		(void)send(fd, "421 4.3.2 Too many connections\r\n", 32,
		    MSG_NOSIGNAL);
		close(fd);
		log_warn("max_clients (%lld) reached: connection refused",
		    srv->cfg->max_clients);
		return;
	}
	srv->nconn++;
	pthread_mutex_unlock(&srv->mu);
	if ((a = malloc(sizeof(*a))) == NULL)
		goto fail;
	a->srv = srv;
	a->fd = fd;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, lmtp_conn_main, a) != 0) {
		pthread_attr_destroy(&at);
		free(a);
		goto fail;
	}
	pthread_attr_destroy(&at);
	return;
fail:
	close(fd);
	pthread_mutex_lock(&srv->mu);
	srv->nconn--;
	pthread_mutex_unlock(&srv->mu);
}

int
lmtp_server_run(struct lmtp_server *srv)
{
	struct pollfd pfd[LMTP_MAX_LISTENERS + 1];
	struct sigaction sa;
	struct timespec until;
	size_t i;
	char c;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lmtp_on_signal;
	lmtp_wake_fd = srv->wake[1];
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("ready: %s%s%s, mail_root %s", srv->unix_path ?
	    srv->unix_path : "", srv->unix_path && *srv->cfg->tcp ? " and " :
	    "", srv->cfg->tcp, srv->cfg->mail_root);
	for (;;) {
		for (i = 0; i < srv->nlfd; i++)
			pfd[i] = (struct pollfd){srv->lfd[i], POLLIN, 0};
		pfd[i] = (struct pollfd){srv->wake[0], POLLIN, 0};
		if (poll(pfd, srv->nlfd + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return -1;
		}
		if (pfd[srv->nlfd].revents & POLLIN) {
			while (read(srv->wake[0], &c, 1) > 0)
				;
			break;
		}
		for (i = 0; i < srv->nlfd; i++)
			if (pfd[i].revents & POLLIN)
				lmtp_accept(srv, srv->lfd[i]);
	}
	log_info("stopping: waiting for %d connection(s)", srv->nconn);
	/* Sessions waiting for a command (or in DATA: nothing is written
	 * yet) end now with a 421; deliveries in progress finish. */
	if (write(srv->stop[1], "x", 1) < 0)
		log_warn("stop pipe: %s", strerror(errno));
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&srv->mu);
	while (srv->nconn > 0)
		if (pthread_cond_timedwait(&srv->cv, &srv->mu, &until) != 0)
			break;
	pthread_mutex_unlock(&srv->mu);
	return 0;
}

void
lmtp_server_free(struct lmtp_server *srv)
{
	size_t i;

	for (i = 0; i < srv->nlfd; i++)
		close(srv->lfd[i]);
	if (srv->unix_path) {
		(void)unlink(srv->unix_path);
		free(srv->unix_path);
	}
	if (srv->rootfd >= 0)
		close(srv->rootfd);
	for (i = 0; i < 2; i++) {
		if (srv->wake[i] >= 0)
			close(srv->wake[i]);
		if (srv->stop[i] >= 0)
			close(srv->stop[i]);
	}
	if (srv->nconn == 0)
		lmtp_sieve_cache_free(&srv->sieve);
}
