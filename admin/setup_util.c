/* admin/setup_util.c - what every setup step needs: paths under --root,
 * running postconf / useradd / diff, atomic writes, and reading the
 * root's own passwd/group files (not NSS: with --root they are the
 * tree's, not this machine's). */
#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"

void
setup_abs(const struct setup *s, const char *rel, char *out, size_t size)
{
	while (*rel == '/')
		rel++;
	if (snprintf(out, size, "%s/%s", s->root, rel) >= (int)size)
		snprintf(out, size, "%s", "/nonexistent/too-long");
}

const char *
setup_prefix(const struct setup *s)
{
	return s->root;
}

/* The absolute paths facteur's files name that live in the tree setup
 * manages. Only these move under --root: /usr/... and /run stay. */
static const char *const setup_rooted[] = {
    "/etc/facteur",	  "/etc/postfix",	"/etc/dovecot",
    "/var/lib/facteur",	  "/var/spool/postfix", "/var/mail/utilisateurs",
    "/var/cache/facteur",
};

/* Is p the start of a path (not inside a longer word or path)? */
static int
setup_path_start(const char *text, const char *p)
{
	char c;

	if (p == text)
		return 1;
	c = p[-1];
	return strchr(" \t\n=:\"'<,", c) != NULL;
}

int
setup_reroot(const struct setup *s, const char *in, struct buf *out)
{
	const char *p = in;
	size_t i, n;

	buf_reset(out);
	if (s->root[0] == '\0')
		return buf_adds(out, in);
	while (*p != '\0') {
		for (i = 0; i < sizeof(setup_rooted) / sizeof(*setup_rooted);
		     i++) {
			n = strlen(setup_rooted[i]);
			if (strncmp(p, setup_rooted[i], n) == 0 &&
			    (p[n] == '/' || p[n] == '\0' ||
			     strchr(" \t\n\"',;", p[n]) != NULL) &&
			    setup_path_start(in, p))
				break;
		}
		if (i < sizeof(setup_rooted) / sizeof(*setup_rooted) &&
		    buf_adds(out, s->root) < 0)
			return -1;
		if (buf_addc(out, *p++) < 0)
			return -1;
	}
	return 0;
}

/* Child side of setup_run: never returns. */
static void
setup_exec(char *const argv[], int fd)
{
	char path[SETUP_PATH];
	int null = open("/dev/null", O_RDONLY);

	if (null >= 0)
		dup2(null, 0);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execvp(argv[0], argv);
	snprintf(path, sizeof(path), "/usr/sbin/%s", argv[0]);
	execv(path, argv);
	_exit(127);
}

int
setup_run(char *const argv[], struct buf *out)
{
	char chunk[4096];
	int p[2], st;
	ssize_t n;
	pid_t pid;

	if (out != NULL)
		buf_reset(out);
	if (pipe(p) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		setup_exec(argv, p[1]);
	}
	close(p[1]);
	while ((n = read(p[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (out != NULL && buf_add(out, chunk, (size_t)n) < 0)
			out = NULL; /* keep draining; the output is cut */
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 127)
		return -1;
	return WEXITSTATUS(st);
}

int
setup_slurp(const char *path, struct buf *b)
{
	char chunk[8192];
	ssize_t n;
	int fd;

	buf_reset(b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 1 : -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_add(b, chunk, (size_t)n) < 0) {
			if (n >= 0)
				errno = EFBIG;
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (buf_reserve(b, 0) < 0) /* "" for an empty file */
		return -1;
	return 0;
}

int
setup_put(const char *path, const char *data, size_t len, mode_t mode,
	  uid_t uid, gid_t gid)
{
	char tmp[SETUP_PATH + 64];
	int fd, e;

	snprintf(tmp, sizeof(tmp), "%s.facteur-setup.%ld", path,
		 (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -1;
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)
		goto fail;
	if (fchmod(fd, mode) < 0 ||
	    (len > 0 && write(fd, data, len) != (ssize_t)len) || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
fail:
	e = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}

/* Writes text to a new temporary file; its path into path. */
static int
setup_tmpfile(const char *text, char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	size_t len = strlen(text);
	int fd;

	snprintf(path, size, "%s/facteur-setup.XXXXXX",
		 dir && dir[0] == '/' ? dir : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

int
setup_diff(const char *shown, const char *old, const char *new_)
{
	char a[SETUP_PATH], b[SETUP_PATH], la[SETUP_PATH], lb[SETUP_PATH];
	char *argv[] = {"diff", "-u", "--label", la, "--label", lb, a, b, NULL};
	pid_t pid;
	int st, rc = -1;

	snprintf(la, sizeof(la), "%s%s", old ? "" : "(new) ", shown);
	snprintf(lb, sizeof(lb), "%s", shown);
	if (setup_tmpfile(old ? old : "", a, sizeof(a)) < 0)
		return -1;
	if (setup_tmpfile(new_, b, sizeof(b)) < 0)
		goto out_a;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		dup2(1, 2);
		execvp("diff", argv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) <= 1)
		rc = 0;
	unlink(b);
out_a:
	unlink(a);
	return rc;
}

/* Field 3 (passwd: uid, group: gid) of name's line in ROOT/etc/FILE, or
 * the whole line into line when line != NULL. -1 if absent. */
static long
setup_dbline(const struct setup *s, const char *file, const char *name,
	     struct buf *line)
{
	char path[SETUP_PATH];
	struct buf b;
	const char *p, *e;
	size_t n = strlen(name);
	long id = -1;

	setup_abs(s, file, path, sizeof(path));
	buf_init(&b, 16 << 20);
	if (setup_slurp(path, &b) != 0)
		goto out;
	for (p = buf_str(&b); *p != '\0'; p = *e ? e + 1 : e) {
		if ((e = strchr(p, '\n')) == NULL)
			e = p + strlen(p);
		if (strncmp(p, name, n) != 0 || p[n] != ':')
			continue;
		p = strchr(p + n + 1, ':');
		if (p == NULL || p > e)
			break;
		id = strtol(p + 1, NULL, 10);
		if (line != NULL) {
			buf_reset(line);
			if (buf_add(line, p + 1, (size_t)(e - p - 1)) < 0)
				id = -1;
		}
		break;
	}
out:
	buf_free(&b);
	return id;
}

long
setup_uid(const struct setup *s, const char *name)
{
	return setup_dbline(s, "etc/passwd", name, NULL);
}

long
setup_gid(const struct setup *s, const char *name)
{
	return setup_dbline(s, "etc/group", name, NULL);
}

int
setup_member(const struct setup *s, const char *user, const char *group)
{
	struct buf line;
	const char *p;
	size_t n = strlen(user);
	int found = 0;

	buf_init(&line, 1 << 20);
	/* line is "GID:member,member" */
	if (setup_dbline(s, "etc/group", group, &line) >= 0 &&
	    (p = strchr(buf_str(&line), ':')) != NULL) {
		for (p++; *p != '\0'; p += strcspn(p, ","), p += *p == ',') {
			if (strncmp(p, user, n) == 0 &&
			    (p[n] == ',' || p[n] == '\0')) {
				found = 1;
				break;
			}
		}
	}
	buf_free(&line);
	return found;
}
