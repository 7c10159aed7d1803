/* delivery/quota.c - Maildir++ maildirsize; see quota.h.
 *
 * SECURITY: runs as the mail user inside one user's Maildir, reached by
 * an fd; every open is relative to it with O_NOFOLLOW. The file is the
 * user's to corrupt (it is in their Maildir): malformed content only
 * triggers a recalculation. */
#include "quota.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

#define QUOTA_FILE "maildirsize"
#define QUOTA_LOCK "maildirsize.lock"
#define QUOTA_MAX_FILE 5120 /* Maildir++: recalculate above this */
#define QUOTA_STALE_SECS (15 * 60)
#define QUOTA_READ_MAX 65536

/* Parses a signed decimal at *pp up to a byte in stop; advances *pp. */
static int
quota_num(const char **pp, const char *end, long long *v)
{
	const char *p = *pp;
	long long x = 0;
	int neg = 0, n = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++, n++) {
		if (x > (9223372036854775807LL - 9) / 10)
			return -1;
		x = x * 10 + (*p - '0');
	}
	if (n == 0)
		return -1;
	*v = neg ? -x : x;
	*pp = p;
	return 0;
}

/* "" or "NS" or "NC" or "NS,NC" (Dovecot also reads them in any order). */
static int
quota_parse_header(const char *p, const char *end, struct quota_limits *h)
{
	long long v;

	h->bytes = h->count = 0;
	while (p < end) {
		if (quota_num(&p, end, &v) < 0 || v < 0 || p >= end)
			return -1;
		if (*p == 'S')
			h->bytes = v;
		else if (*p == 'C')
			h->count = v;
		else
			return -1;
		p++;
		if (p < end && *p++ != ',')
			return -1;
	}
	return 0;
}

int
quota_parse(const char *p, size_t len, struct quota_limits *hdr,
	    struct quota_usage *u, size_t *nlines)
{
	const char *end = p + len, *nl, *q;
	long long b, c;

	u->bytes = u->count = 0;
	*nlines = 0;
	if ((nl = memchr(p, '\n', len)) == NULL)
		return -1;
	if (quota_parse_header(p, nl, hdr) < 0)
		return -1;
	for (p = nl + 1; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break; /* a line being appended right now */
		q = p;
		while (q < nl && *q == ' ')
			q++;
		if (quota_num(&q, nl, &b) < 0)
			return -1;
		while (q < nl && *q == ' ')
			q++;
		if (quota_num(&q, nl, &c) < 0)
			return -1;
		while (q < nl && *q == ' ')
			q++;
		if (q != nl)
			return -1;
		if ((b > 0 && u->bytes > 9223372036854775807LL - b) ||
		    (c > 0 && u->count > 9223372036854775807LL - c))
			return -1;
		u->bytes += b;
		u->count += c;
		(*nlines)++;
	}
	return 0;
}

int
quota_exceeded(const struct quota_limits *lim, const struct quota_usage *u,
	       unsigned long long size)
{
	if (lim->count > 0 && u->count + 1 > lim->count)
		return 1;
	if (lim->bytes <= 0)
		return 0;
	if (size == 0)
		return u->bytes >= lim->bytes;
	return (unsigned long long)(u->bytes < 0 ? 0 : u->bytes) + size >
	       (unsigned long long)lim->bytes;
}

/* The size of a message file: its ",S=" field, else stat. */
static long long
quota_file_size(int dirfd, const char *name)
{
	const char *s = strstr(name, ",S=");
	struct stat st;
	char *end;
	long long v;

	if (s) {
		v = strtoll(s + 3, &end, 10);
		if (end != s + 3 && v >= 0 &&
		    (*end == ',' || *end == ':' || *end == '\0'))
			return v;
	}
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1; /* moved or expunged meanwhile */
	return (long long)st.st_size;
}

/* Adds up dirfd/sub (cur or new). */
static int
quota_walk_dir(int dirfd, const char *sub, struct quota_usage *u)
{
	struct dirent *de;
	long long sz;
	DIR *d;
	int fd;

	fd =
	    openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((sz = quota_file_size(fd, de->d_name)) < 0)
			continue;
		u->bytes += sz;
		u->count++;
	}
	closedir(d);
	return 0;
}

static int
quota_walk(int homefd, struct quota_usage *u)
{
	struct dirent *de;
	DIR *d;
	int fd, sub;

	u->bytes = u->count = 0;
	if (quota_walk_dir(homefd, "cur", u) < 0 ||
	    quota_walk_dir(homefd, "new", u) < 0)
		return -1;
	if ((fd = openat(homefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
		0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = openat(fd, de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue; /* a file, or gone */
		if (quota_walk_dir(sub, "cur", u) < 0 ||
		    quota_walk_dir(sub, "new", u) < 0) {
			close(sub);
			closedir(d);
			return -1;
		}
		close(sub);
	}
	closedir(d);
	return 0;
}

static int
quota_fail(char *err, size_t errlen, const char *what)
{
	int e = errno;

	snprintf(err, errlen, "%s %s: %s", what, QUOTA_FILE, strerror(e));
	errno = e;
	return -1;
}

int
quota_recalc(int homefd, const struct quota_limits *lim, struct quota_usage *u,
	     char *err, size_t errlen)
{
	char text[128];
	size_t n = 0;
	int fd, w;

	if (quota_walk(homefd, u) < 0)
		return quota_fail(err, errlen, "walk for");
	if (lim->bytes > 0)
		n += (size_t)snprintf(text, sizeof(text), "%lldS", lim->bytes);
	if (lim->count > 0)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%lldC",
				      n ? "," : "", lim->count);
	w = snprintf(text + n, sizeof(text) - n, "\n%lld %lld\n", u->bytes,
		     u->count);
	n += (size_t)w;
	/* Someone else recalculating: their result will do. */
	fd = openat(homefd, QUOTA_LOCK,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? 0 : quota_fail(err, errlen, "lock");
	if (write(fd, text, n) != (ssize_t)n || fsync(fd) < 0) {
		quota_fail(err, errlen, "write");
		close(fd);
		(void)unlinkat(homefd, QUOTA_LOCK, 0);
		return -1;
	}
	close(fd);
	if (renameat(homefd, QUOTA_LOCK, homefd, QUOTA_FILE) < 0) {
		quota_fail(err, errlen, "rename");
		(void)unlinkat(homefd, QUOTA_LOCK, 0);
		return -1;
	}
	return 0;
}

/* Reads maildirsize; 1 if it must be recalculated, 0 ok, -1 error. */
static int
quota_read(int homefd, const struct quota_limits *lim, time_t now,
	   struct quota_usage *u)
{
	struct quota_limits hdr;
	struct stat st;
	struct buf b;
	char chunk[4096];
	size_t nlines;
	ssize_t r;
	int fd, rc = 1;

	fd = openat(homefd, QUOTA_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fd, &st) < 0 || st.st_size > QUOTA_MAX_FILE) {
		close(fd);
		return 1;
	}
	buf_init(&b, QUOTA_READ_MAX);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&b, chunk, (size_t)r) < 0)
			break;
	close(fd);
	if (r == 0 && b.len > 0 &&
	    quota_parse(b.data, b.len, &hdr, u, &nlines) == 0 &&
	    hdr.bytes == lim->bytes && hdr.count == lim->count &&
	    u->bytes >= 0 && u->count >= 0)
		rc = 0;
	buf_free(&b);
	if (rc == 0 && quota_exceeded(lim, u, 0) &&
	    now - st.st_mtime > QUOTA_STALE_SECS)
		rc = 1;
	return rc;
}

int
quota_get(int homefd, const struct quota_limits *lim, time_t now,
	  struct quota_usage *u, char *err, size_t errlen)
{
	int rc;

	if (lim->bytes <= 0 && lim->count <= 0) {
		u->bytes = u->count = 0;
		return 0; /* no quota: nothing to know, nothing to write */
	}
	if ((rc = quota_read(homefd, lim, now, u)) < 0)
		return quota_fail(err, errlen, "read");
	if (rc == 0)
		return 0;
	return quota_recalc(homefd, lim, u, err, errlen);
}

int
quota_add(int homefd, long long bytes, long long count, char *err,
	  size_t errlen)
{
	char line[64];
	int fd, n;

	fd = openat(homefd, QUOTA_FILE,
		    O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : quota_fail(err, errlen, "open");
	n = snprintf(line, sizeof(line), "%lld %lld\n", bytes, count);
	if (write(fd, line, (size_t)n) != n) {
		quota_fail(err, errlen, "append to");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
