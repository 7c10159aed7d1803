/* delivery/maildir.c - Maildir++ writes in Dovecot's conventions; see
 * maildir.h.
 *
 * SECURITY: runs as the mail user. Paths come from the database and from
 * Sieve scripts: they are checked by maildir_name.c and then resolved one
 * component at a time with openat(O_NOFOLLOW), never as a whole string,
 * so neither "..", an absolute path nor a planted symlink leads outside
 * the mail root. */
#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "lmtp_spool.h"
#include "maildir_name.h"

#define MAILDIR_DIR_MODE 0700
#define MAILDIR_FILE_MODE 0600
#define MAILDIR_SUBS_MAX ((size_t)1 << 20)
#define MAILDIR_LOCK_TRIES 50  /* x 100 ms */
#define MAILDIR_LOCK_STALE 120 /* seconds, Dovecot's dotlock default */

static atomic_ulong maildir_q;

static int
maildir_fail(char *err, size_t errlen, const char *what, const char *name)
{
	int e = errno;

	snprintf(err, errlen, "%s %s: %s", what, name, strerror(e));
	errno = e;
	return -1;
}

/* Opens (or creates, then opens) the directory name under dirfd. */
static int
maildir_subdir(int dirfd, const char *name, int create, int *created)
{
	int fd;

	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	if (mkdirat(dirfd, name, MAILDIR_DIR_MODE) < 0 && errno != EEXIST)
		return -1;
	if (created)
		*created = 1;
	return openat(dirfd, name,
		      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* cur/ new/ tmp/ in fd; fsyncs fd when something was created. */
static int
maildir_ensure(int fd, char *err, size_t errlen)
{
	static const char *const sub[] = {"cur", "new", "tmp"};
	int created = 0, k, s;

	for (k = 0; k < 3; k++) {
		if ((s = maildir_subdir(fd, sub[k], 1, &created)) < 0)
			return maildir_fail(err, errlen, "mkdir", sub[k]);
		close(s);
	}
	if (created && fsync(fd) < 0)
		return maildir_fail(err, errlen, "fsync", "maildir");
	return 0;
}

int
maildir_open_home(int rootfd, const char *rel, int create, int *fd, char *err,
		  size_t errlen)
{
	char comp[256];
	const char *p = rel, *slash;
	int cur = rootfd, next, created;
	size_t n;

	*fd = -1;
	if (maildir_path_ok(rel) < 0) {
		snprintf(err, errlen,
			 "maildir \"%s\" refused: not a safe "
			 "relative path",
			 rel);
		errno = EINVAL;
		return -1;
	}
	while (*p) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n >= sizeof(comp)) {
			errno = ENAMETOOLONG;
			next = -1;
		} else {
			memcpy(comp, p, n);
			comp[n] = '\0';
			created = 0;
			next = maildir_subdir(cur, comp, create, &created);
			if (next >= 0 && created && fsync(cur) < 0) {
				close(next);
				next = -1;
			}
		}
		if (cur != rootfd)
			close(cur);
		if (next < 0)
			return maildir_fail(err, errlen, "open", rel);
		cur = next;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	if (cur == rootfd) {
		errno = EINVAL;
		return maildir_fail(err, errlen, "open", rel);
	}
	if (maildir_ensure(cur, err, errlen) < 0) {
		close(cur);
		return -1;
	}
	*fd = cur;
	return 0;
}

int
maildir_open_folder(int homefd, const char *name, int create, int *fd,
		    int *created, char *err, size_t errlen)
{
	struct buf dir;
	int f, mf, made = 0;

	*fd = -1;
	*created = 0;
	buf_init(&dir, 1024);
	if (maildir_folder_dir(name, &dir) < 0) {
		buf_free(&dir);
		snprintf(err, errlen, "mailbox name refused");
		errno = EINVAL;
		return -1;
	}
	if (dir.len == 0) {
		buf_free(&dir);
		if ((*fd = dup(homefd)) < 0)
			return maildir_fail(err, errlen, "dup", "INBOX");
		return 0;
	}
	f = maildir_subdir(homefd, dir.data, create, &made);
	if (f < 0) {
		int e = errno;

		if (e == ENOENT && !create) {
			buf_free(&dir);
			errno = ENOENT;
			return 1;
		}
		maildir_fail(err, errlen, "open folder", dir.data);
		buf_free(&dir);
		errno = e;
		return -1;
	}
	buf_free(&dir);
	if (maildir_ensure(f, err, errlen) < 0)
		goto fail;
	if (made) {
		mf = openat(f, "maildirfolder",
			    O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			    MAILDIR_FILE_MODE);
		if (mf < 0 || close(mf) < 0 || fsync(f) < 0 ||
		    fsync(homefd) < 0) {
			maildir_fail(err, errlen, "create", "maildirfolder");
			goto fail;
		}
		*created = 1;
	}
	*fd = f;
	return 0;
fail:
	close(f);
	return -1;
}

/* Reads the whole small file name under dirfd into out; missing = empty. */
static int
maildir_slurp(int dirfd, const char *name, struct buf *out)
{
	char chunk[4096];
	ssize_t r;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || buf_add(out, chunk, (size_t)r) < 0) {
			if (r >= 0)
				errno = EFBIG;
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

static int
maildir_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Takes Dovecot's dotlock "subscriptions.lock" (O_EXCL); a lock older
 * than MAILDIR_LOCK_STALE seconds is removed, as Dovecot does. */
static int
maildir_dotlock(int homefd)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	struct stat st;
	int fd, k;

	for (k = 0; k < MAILDIR_LOCK_TRIES; k++) {
		fd =
		    openat(homefd, "subscriptions.lock",
			   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			   MAILDIR_FILE_MODE);
		if (fd >= 0 || errno != EEXIST)
			return fd;
		if (fstatat(homefd, "subscriptions.lock", &st,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
		    time(NULL) - st.st_mtime > MAILDIR_LOCK_STALE)
			(void)unlinkat(homefd, "subscriptions.lock", 0);
		else
			nanosleep(&ts, NULL);
	}
	errno = EWOULDBLOCK;
	return -1;
}

/* Is line (len n) one of the lines of the subscriptions text s? */
static int
maildir_has_line(const char *s, size_t slen, const char *line, size_t n)
{
	size_t i = 0, e;

	while (i < slen) {
		const char *nl = memchr(s + i, '\n', slen - i);

		e = nl ? (size_t)(nl - s) : slen;
		if (e - i == n && memcmp(s + i, line, n) == 0)
			return 1;
		i = e + 1;
	}
	return 0;
}

int
maildir_subscribe(int homefd, const char *name, char *err, size_t errlen)
{
	struct buf line, cur;
	int fd = -1, rc = -1;
	size_t k;

	buf_init(&line, 1024);
	buf_init(&cur, MAILDIR_SUBS_MAX);
	if (maildir_folder_dir(name, &line) < 0 || line.len == 0) {
		rc = 0; /* INBOX is always visible; bad names never get here */
		goto out;
	}
	for (k = 1; k < line.len; k++)
		if (line.data[k] == '.')
			line.data[k] = '\t';
	if ((fd = maildir_dotlock(homefd)) < 0) {
		maildir_fail(err, errlen, "lock", "subscriptions");
		goto out;
	}
	if (maildir_slurp(homefd, "subscriptions", &cur) < 0) {
		maildir_fail(err, errlen, "read", "subscriptions");
		goto out;
	}
	if (maildir_has_line(cur.data ? cur.data : "", cur.len, line.data + 1,
			     line.len - 1)) {
		rc = 0;
		goto out;
	}
	if (cur.len == 0 && buf_adds(&cur, "V\t2\n\n") < 0)
		goto out;
	if (cur.len > 0 && cur.data[cur.len - 1] != '\n' &&
	    buf_addc(&cur, '\n') < 0)
		goto out;
	if (buf_add(&cur, line.data + 1, line.len - 1) < 0 ||
	    buf_addc(&cur, '\n') < 0) {
		snprintf(err, errlen, "subscriptions file too large");
		goto out;
	}
	if (maildir_write_all(fd, cur.data, cur.len) < 0 || fsync(fd) < 0 ||
	    renameat(homefd, "subscriptions.lock", homefd, "subscriptions") <
		0) {
		maildir_fail(err, errlen, "write", "subscriptions");
		goto out;
	}
	close(fd);
	fd = -1;
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		(void)unlinkat(homefd, "subscriptions.lock", 0);
	}
	buf_free(&line);
	buf_free(&cur);
	return rc;
}

/* Creates tmp/<unique name> exclusively; fills name (base name). */
static int
maildir_create_tmp(int mdfd, size_t size, size_t vsize, const char *host,
		   struct buf *name, struct buf *path)
{
	struct maildir_uniq u;
	struct timespec ts;
	int fd, tries;

	for (tries = 0; tries < 10; tries++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		u.secs = (long long)ts.tv_sec;
		u.usecs = ts.tv_nsec / 1000;
		u.pid = (long)getpid();
		u.q = atomic_fetch_add(&maildir_q, 1) + 1;
		u.host = host;
		buf_reset(name);
		buf_reset(path);
		if (maildir_basename(&u, size, vsize, name) < 0 ||
		    buf_printf(path, "tmp/%s", name->data) < 0) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd =
		    openat(mdfd, path->data,
			   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			   MAILDIR_FILE_MODE);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
maildir_deliver(int mdfd, const struct maildir_piece *pc, size_t npc,
		unsigned flags, const char *host, struct buf *name_out,
		char *err, size_t errlen)
{
	struct buf name, tmp, fin;
	size_t size = 0, vsize = 0, k;
	int fd, dfd = -1, prev_cr = 0, rc = -1, e, ok;

	for (k = 0; k < npc; k++) {
		size += pc[k].len;
		if (pc[k].p == NULL) { /* a file piece: counted as spooled */
			vsize += pc[k].vsize;
			prev_cr = 0;
			continue;
		}
		vsize += maildir_vsize(pc[k].p, pc[k].len, prev_cr);
		if (pc[k].len)
			prev_cr =
			    ((const char *)pc[k].p)[pc[k].len - 1] == '\r';
	}
	buf_init(&name, 1024);
	buf_init(&tmp, 1100);
	buf_init(&fin, 1100);
	if ((fd = maildir_create_tmp(mdfd, size, vsize, host, &name, &tmp)) <
	    0) {
		maildir_fail(err, errlen, "create", "tmp/");
		goto out;
	}
	for (k = 0; k < npc; k++)
		if (pc[k].p == NULL
			? lmtp_spool_copy(pc[k].fd, pc[k].len, fd) < 0
			: maildir_write_all(fd, pc[k].p, pc[k].len) < 0)
			break;
	ok = k == npc && fsync(fd) == 0;
	e = errno;
	if (close(fd) < 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		errno = e;
		maildir_fail(err, errlen, "write", tmp.data);
		goto unlink;
	}
	if (buf_printf(&fin, "%s/%s", flags ? "cur" : "new", name.data) < 0 ||
	    maildir_flags_suffix(flags, &fin) < 0) {
		errno = ENAMETOOLONG;
		maildir_fail(err, errlen, "name", name.data);
		goto unlink;
	}
	/* RENAME_NOREPLACE would be nicer; the name is unique (pid, usecs,
	 * counter) and Dovecot itself uses a plain rename here. */
	if (renameat(mdfd, tmp.data, mdfd, fin.data) < 0) {
		maildir_fail(err, errlen, "rename", tmp.data);
		goto unlink;
	}
	/* fdatasync, as Dovecot's mail_fsync = optimized does for the
	 * directory: the new entry is the directory's data; its times are
	 * not needed to find the file (the inode write was 4% of
	 * facteur-lmtp's CPU). The file itself had a full fsync. */
	dfd = openat(mdfd, flags ? "cur" : "new",
		     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fdatasync(dfd) < 0) {
		/* The file is in place but maybe not durable: tempfail and
		 * take it back, so the retry does not make a duplicate. */
		maildir_fail(err, errlen, "fsync", flags ? "cur/" : "new/");
		e = errno;
		(void)unlinkat(mdfd, fin.data, 0);
		errno = e;
		goto out;
	}
	if (name_out && buf_add(name_out, fin.data, fin.len) < 0) {
		errno = ENOMEM;
		goto out;
	}
	rc = 0;
	goto out;
unlink:
	e = errno;
	(void)unlinkat(mdfd, tmp.data, 0);
	errno = e;
out:
	if (dfd >= 0)
		close(dfd);
	buf_free(&name);
	buf_free(&tmp);
	buf_free(&fin);
	return rc;
}
