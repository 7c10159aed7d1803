/* admin/doctor_net.c - the I/O under facteur doctor's live checks
 * (doctor_live.c, doctor_dovecot.c, selftest.c): running a command with
 * its output captured and a deadline, connecting to a unix or TCP
 * endpoint with timeouts, telling a stopped daemon's stale socket from
 * other connection errors, and reading an answer up to a bound.
 *
 * SECURITY: runs only the commands it is given (postconf, doveconf,
 * doveadm: read-only), without a shell, stdin from /dev/null. Answers
 * are untrusted: kept bounded, printed through doc_clean. */
#include "admin.h"
#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

/* ---- running a command ---- */

static long
doc_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int
doc_wait(pid_t pid, int killed, struct buf *out)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (killed || !WIFEXITED(status)) {
		buf_reset(out);
		if (buf_adds(out, killed ? "timed out" : "killed by a signal") <
		    0)
			return -1;
		return -1;
	}
	return WEXITSTATUS(status);
}

int
doc_capture(char *const argv[], int with_err, int ms, struct buf *out)
{
	struct timespec t0;
	struct pollfd pfd;
	char chunk[4096];
	int fds[2], killed = 0, dn;
	ssize_t n;
	pid_t pid;

	buf_reset(out);
	if (pipe2(fds, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		if (buf_printf(out, "cannot run %s: %s", argv[0],
			       strerror(errno)) < 0)
			buf_reset(out);
		return -1;
	}
	if (pid == 0) {
		if ((dn = open("/dev/null", O_RDWR)) >= 0)
			dup2(dn, 0);
		dup2(fds[1], 1);
		dup2(with_err ? fds[1] : dn, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		long left = ms - doc_ms_since(&t0);

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		if ((n = read(fds[0], chunk, sizeof(chunk))) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		if (buf_add(out, chunk, (size_t)n) < 0)
			continue; /* past max: the rest is dropped */
	}
	close(fds[0]);
	return doc_wait(pid, killed, out);
}

/* ---- connecting ---- */

int
doc_dial(const char *path, const char *host, const char *port, int s)
{
	struct timeval tv = {s, 0};
	struct addrinfo hints, *ai = NULL, *p;
	struct sockaddr_un sun;
	int fd = -1, e = ECONNREFUSED;

	if (path != NULL) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(sun.sun_path))
			return -ENAMETOOLONG;
		memcpy(sun.sun_path, path, strlen(path) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -errno;
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			e = errno;
			close(fd);
			return -e;
		}
		return fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -EHOSTUNREACH;
	for (p = ai; p != NULL; p = p->ai_next) {
		if ((fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC,
				 0)) < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd >= 0 ? fd : -e;
}

void
doc_conn_error(int e, const char *path, const char *spec, const char *prog,
	       const char *unit, char *out, size_t outlen)
{
	struct stat st;
	const char *who = prog ? prog : "the server";
	char start[160] = "";

	if (unit != NULL)
		snprintf(start, sizeof(start), " (systemctl start %s)", unit);
	if (path != NULL && e == ECONNREFUSED && stat(path, &st) == 0 &&
	    S_ISSOCK(st.st_mode))
		snprintf(
		    out, outlen,
		    "%s: %s is not running: the socket file "
		    "is left behind and nobody listens (connection refused); "
		    "start it%s",
		    spec, who, start);
	else if (path != NULL && e == ENOENT)
		snprintf(out, outlen,
			 "%s: no such socket: %s is not running "
			 "or listens elsewhere; start it%s or fix the path",
			 spec, who, start);
	else if (e == EACCES || e == EPERM)
		snprintf(out, outlen,
			 "%s: permission denied: give the "
			 "client the socket's group or mode",
			 spec);
	else if (e == ECONNREFUSED)
		snprintf(out, outlen,
			 "%s: connection refused: %s is not "
			 "running; start it%s",
			 spec, who, start);
	else
		snprintf(out, outlen, "%s: %s: is %s running?%s", spec,
			 strerror(e), who, start);
}

/* Writes all of p or fails. */
int
doc_write(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads into out until done(out) says it holds a whole answer, EOF, an
 * error or the socket's receive timeout. 0 when done, -1 otherwise. */
int
doc_read_until(int fd, struct buf *out, int (*done)(const struct buf *))
{
	char chunk[1024];
	ssize_t n;

	buf_reset(out);
	for (;;) {
		if (done(out))
			return 0;
		if ((n = read(fd, chunk, sizeof(chunk))) < 0 && errno == EINTR)
			continue;
		if (n <= 0 || buf_add(out, chunk, (size_t)n) < 0)
			return -1;
	}
}

/* Keeps a detail printable and short. */
void
doc_clean(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 1 < outlen; i++)
		out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : ' ';
	while (k > 0 && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
}
