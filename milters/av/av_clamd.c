/* milters/av/av_clamd.c - clamd's socket: connect, zINSTREAM chunks,
 * one-shot commands; see av_clamd.h. Sockets are non-blocking and every
 * wait goes through poll() with the caller's timeout, so a clamd that
 * stops reading (or never answers) costs at most that long, never a
 * stuck milter thread. Writes use MSG_NOSIGNAL: a clamd that hangs up
 * is an error return, not a SIGPIPE. */
#include "av_clamd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define AV_REPLY_CAP 1025

static int
av_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

int
av_addr_parse(const char *spec, struct av_addr *a, char *err, size_t errlen)
{
	const char *colon, *h = spec;
	size_t hl;
	long port;
	char *end;

	memset(a, 0, sizeof(*a));
	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "clamd_socket is empty");
		return -1;
	}
	if (spec[0] == '/') {
		if (strlen(spec) >= sizeof(a->path)) {
			snprintf(err, errlen, "clamd_socket: path too long");
			return -1;
		}
		a->is_unix = 1;
		memcpy(a->path, spec, strlen(spec) + 1);
		return 0;
	}
	if ((colon = strrchr(spec, ':')) == NULL) {
		snprintf(err, errlen,
			 "clamd_socket: \"%.100s\" is neither an "
			 "absolute path nor HOST:PORT",
			 spec);
		return -1;
	}
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']')
		h++, hl -= 2;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (hl == 0 || hl >= sizeof(a->host) || colon[1] == '\0' ||
	    *end != '\0' || errno || port < 1 || port > 65535) {
		snprintf(err, errlen, "clamd_socket: bad HOST:PORT \"%.100s\"",
			 spec);
		return -1;
	}
	memcpy(a->host, h, hl);
	a->host[hl] = '\0';
	snprintf(a->port, sizeof(a->port), "%ld", port);
	if (!av_loopback(a->host)) {
		snprintf(err, errlen,
			 "clamd_socket: %s is not on loopback "
			 "(clamd's TCP port has no authentication)",
			 a->host);
		return -1;
	}
	return 0;
}

static long long
av_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits for ev on fd until deadline: 0, or -1 with errno (ETIMEDOUT). */
static int
av_wait(int fd, short ev, long long deadline)
{
	struct pollfd pfd = {fd, ev, 0};
	long long left;
	int r;

	for (;;) {
		left = deadline - av_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int
av_dial_one(int family, const struct sockaddr *sa, socklen_t salen,
	    long long deadline)
{
	socklen_t el = sizeof(int);
	int fd, e = 0;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, sa, salen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EAGAIN)
		goto fail;
	if (av_wait(fd, POLLOUT, deadline) != 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
		errno = e ? e : errno;
		goto fail;
	}
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* A connected non-blocking socket, or -1 with err. */
static int
av_dial(const struct av_addr *a, long long deadline, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_un sun;
	int fd = -1, gai;

	if (a->is_unix) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, a->path, strlen(a->path) + 1);
		fd = av_dial_one(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun),
				 deadline);
		if (fd < 0)
			snprintf(err, errlen, "clamd %s: %s", a->path,
				 strerror(errno));
		return fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((gai = getaddrinfo(a->host, a->port, &hints, &res)) != 0) {
		snprintf(err, errlen, "clamd %s:%s: %s", a->host, a->port,
			 gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = av_dial_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen,
				 deadline);
	if (fd < 0)
		snprintf(err, errlen, "clamd %s:%s: %s", a->host, a->port,
			 strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* Writes all of p, or -1 with errno (EPIPE/ECONNRESET: peer gone). */
static int
av_send_all(int fd, const void *p, size_t len, long long deadline)
{
	const unsigned char *q = p;
	ssize_t w;

	while (len > 0) {
		w = send(fd, q, len, MSG_NOSIGNAL);
		if (w > 0) {
			q += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (av_wait(fd, POLLOUT, deadline) != 0)
			return -1;
	}
	return 0;
}

/* Reads until a NUL (or EOF, or cap bytes): *n bytes in out. 0 or -1. */
static int
av_recv_reply(int fd, unsigned char *out, size_t cap, size_t *n,
	      long long deadline)
{
	ssize_t r;

	*n = 0;
	while (*n < cap) {
		if (*n > 0 && memchr(out, '\0', *n) != NULL)
			return 0;
		r = recv(fd, out + *n, cap - *n, 0);
		if (r > 0) {
			*n += (size_t)r;
			continue;
		}
		if (r == 0)
			return 0; /* EOF: the parser says if it is whole */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (av_wait(fd, POLLIN, deadline) != 0)
			return -1;
	}
	return 0;
}

int
av_stream_open(struct av_stream *s, const struct av_addr *a, int timeout_ms)
{
	static const char cmd[] = "zINSTREAM";

	s->timeout_ms = timeout_ms;
	s->peer_closed = 0;
	s->sent = 0;
	s->err[0] = '\0';
	s->fd = av_dial(a, av_now_ms() + timeout_ms, s->err, sizeof(s->err));
	if (s->fd < 0)
		return -1;
	if (av_send_all(s->fd, cmd, sizeof(cmd), av_now_ms() + timeout_ms) !=
	    0) {
		snprintf(s->err, sizeof(s->err), "clamd: sending zINSTREAM: %s",
			 strerror(errno));
		av_stream_close(s);
		return -1;
	}
	return 0;
}

int
av_stream_write(struct av_stream *s, const void *p, size_t len)
{
	const unsigned char *q = p;
	unsigned char hdr[4];
	size_t k;

	if (s->fd < 0) {
		snprintf(s->err, sizeof(s->err), "clamd: stream not open");
		return -1;
	}
	while (len > 0 && !s->peer_closed) {
		k = len < AV_CHUNK_MAX ? len : AV_CHUNK_MAX;
		av_chunk_header((uint32_t)k, hdr);
		if (av_send_all(s->fd, hdr, 4, av_now_ms() + s->timeout_ms) ||
		    av_send_all(s->fd, q, k, av_now_ms() + s->timeout_ms)) {
			if (errno == EPIPE || errno == ECONNRESET) {
				s->peer_closed = 1;
				return 0;
			}
			snprintf(s->err, sizeof(s->err), "clamd: streaming: %s",
				 strerror(errno));
			av_stream_close(s);
			return -1;
		}
		s->sent += k;
		q += k;
		len -= k;
	}
	return 0;
}

int
av_stream_end(struct av_stream *s, struct av_reply *r)
{
	static const unsigned char zero[4] = {0, 0, 0, 0};
	unsigned char buf[AV_REPLY_CAP];
	size_t n, used, off;
	enum av_rstatus st;

	if (s->fd < 0) {
		snprintf(s->err, sizeof(s->err), "clamd: stream not open");
		return -1;
	}
	if (!s->peer_closed &&
	    av_send_all(s->fd, zero, 4, av_now_ms() + s->timeout_ms) != 0 &&
	    errno != EPIPE && errno != ECONNRESET) {
		snprintf(s->err, sizeof(s->err), "clamd: ending the stream: %s",
			 strerror(errno));
		av_stream_close(s);
		return -1;
	}
	if (av_recv_reply(s->fd, buf, sizeof(buf), &n,
			  av_now_ms() + s->timeout_ms) != 0) {
		snprintf(s->err, sizeof(s->err), "clamd: no verdict: %s",
			 errno == ETIMEDOUT ? "timed out" : strerror(errno));
		av_stream_close(s);
		return -1;
	}
	av_stream_close(s);
	st = av_reply_parse(buf, n, NULL, r, &used, &off);
	if (st != AVR_OK) {
		snprintf(s->err, sizeof(s->err), "clamd: %s%s at byte %zu",
			 n == 0 ? "closed without a verdict: " : "",
			 av_rstatus_name(st), off);
		return -1;
	}
	return 0;
}

void
av_stream_close(struct av_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int
av_command(const struct av_addr *a, int timeout_ms, const char *cmd,
	   unsigned char *out, size_t cap, size_t *n, char *err, size_t errlen)
{
	long long deadline = av_now_ms() + timeout_ms;
	char line[32];
	int fd, len, rc;

	len = snprintf(line, sizeof(line), "z%s", cmd);
	if (len < 0 || (size_t)len >= sizeof(line) || cap == 0) {
		snprintf(err, errlen, "clamd: bad command");
		return -1;
	}
	if ((fd = av_dial(a, deadline, err, errlen)) < 0)
		return -1;
	rc = av_send_all(fd, line, (size_t)len + 1, deadline);
	if (rc == 0)
		rc = av_recv_reply(fd, out, cap, n, deadline);
	if (rc != 0)
		snprintf(err, errlen, "clamd: z%s: %s", cmd,
			 errno == ETIMEDOUT ? "timed out" : strerror(errno));
	close(fd);
	return rc;
}

int
av_clamd_version(const struct av_addr *a, int timeout_ms, struct av_version *v,
		 char *err, size_t errlen)
{
	unsigned char buf[AV_REPLY_CAP];
	size_t n, used, off;
	enum av_rstatus st;

	if (av_command(a, timeout_ms, "PING", buf, sizeof(buf), &n, err,
		       errlen) != 0)
		return -1;
	if ((st = av_pong_parse(buf, n, NULL, &used, &off)) != AVR_OK) {
		snprintf(err, errlen, "clamd: zPING: %s", av_rstatus_name(st));
		return -1;
	}
	if (av_command(a, timeout_ms, "VERSION", buf, sizeof(buf), &n, err,
		       errlen) != 0)
		return -1;
	if ((st = av_version_parse(buf, n, NULL, v, &used, &off)) != AVR_OK) {
		snprintf(err, errlen, "clamd: zVERSION: %s at byte %zu",
			 av_rstatus_name(st), off);
		return -1;
	}
	return 0;
}
