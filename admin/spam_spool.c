/* admin/spam_spool.c - the learning spool of "facteur spam learn --spool
 * DIR": messages Dovecot's IMAPSieve wrappers (config-templates/sieve/
 * report-spam, report-ham) dropped when a user moved mail into or out of
 * the Spam folder.
 *
 * A wrapper writes ".NAME" and renames it to NAME =
 * "<seconds><nanoseconds>.<pid>.<spam|ham>", so a name is complete when
 * it appears, sorts by time, and carries the class. The drain reads the
 * names in order (a message moved into Spam, then back out, ends as ham),
 * hands each to the learner, and removes them only after the Bayes
 * transaction committed: a busy Bayes file or a crash keeps the spool for
 * the next run. Two drains at once are safe: SQLite serializes them, a
 * file the other one removed is skipped, and learning a message twice is
 * a no-op.
 *
 * SECURITY: DIR is writable by the mail user (every IMAP session), the
 * drain runs as the Bayes file's owner. So a spool file is opened with
 * O_NOFOLLOW|O_NONBLOCK and must be a regular file (a symlink to a file
 * only the drain may read, or a FIFO, is refused and removed), at most
 * SPAM_SPOOL_MAX bytes of it are read, and names that are not a wrapper's
 * are left alone. The content is untrusted mail, parsed as any message. */
#include "admin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

#define SPAM_SPOOL_MAX ((size_t)32 << 20)
/* a wrapper's ".NAME" older than this was left by a killed wrapper */
#define SPAM_SPOOL_STALE 3600

void
spam_spool_init(struct spam_spool *sp)
{
	memset(sp, 0, sizeof(*sp));
}

void
spam_spool_free(struct spam_spool *sp)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		free(sp->names[i]);
	free(sp->names);
	spam_spool_init(sp);
}

static int
spam_spool_add(struct spam_spool *sp, const char *name)
{
	char **nn;

	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? sp->cap * 2 : 64;
		if ((nn = realloc(sp->names, sp->cap * sizeof(*nn))) == NULL)
			return -1;
		sp->names = nn;
	}
	if ((sp->names[sp->n] = strdup(name)) == NULL)
		return -1;
	sp->n++;
	return 0;
}

static int
spam_spool_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The names of dir (sorted) into *out; removes stale ".NAME" files. */
static int
spam_spool_list(int dfd, struct spam_spool *out)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd2;

	if ((fd2 = dup(dfd)) < 0 || (d = fdopendir(fd2)) == NULL) {
		if (fd2 >= 0)
			close(fd2);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0 &&
			    fstatat(dfd, de->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode) &&
			    st.st_mtime + SPAM_SPOOL_STALE < time(NULL))
				(void)unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (spam_spool_add(out, de->d_name) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->names, out->n, sizeof(*out->names), spam_spool_cmp);
	return 0;
}

/* Reads one spool file: 1 read, 0 gone (another drain took it), -1 not
 * a regular file or unreadable (errno). */
static int
spam_spool_read(int dfd, const char *name, struct buf *b)
{
	char chunk[65536];
	struct stat st;
	ssize_t n;
	size_t room;
	int fd;

	buf_reset(b);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	while ((room = SPAM_SPOOL_MAX - b->len) > 0 &&
	       (n = read(fd, chunk,
			 room < sizeof(chunk) ? room : sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_add(b, chunk, (size_t)n) < 0) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 1;
}

int
spam_spool_each(struct admin *a, const char *dir, struct spam_spool *sp,
		int (*fn)(void *ctx, const char *file, const char *msg,
			  size_t len, int is_spam),
		void *ctx)
{
	struct spam_spool all;
	struct buf b;
	size_t i;
	int dfd, cls, r, rc = 0;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		admin_errx(a, "%s: %s", dir, strerror(errno));
		return -1;
	}
	spam_spool_init(&all);
	if (spam_spool_list(dfd, &all) < 0) {
		admin_errx(a, "%s: cannot read the spool: %s", dir,
			   strerror(errno));
		close(dfd);
		return -1;
	}
	buf_init(&b, SPAM_SPOOL_MAX + 1);
	for (i = 0; i < all.n && rc == 0; i++) {
		if ((cls = spam_spool_class(all.names[i])) < 0) {
			admin_errx(a,
				   "%s/%s: not a spooled message, left "
				   "alone",
				   dir, all.names[i]);
			continue;
		}
		if ((r = spam_spool_read(dfd, all.names[i], &b)) == 0)
			continue;
		if (r < 0) {
			admin_errx(a, "%s/%s: %s: removed", dir, all.names[i],
				   errno == ELOOP    ? "a symbolic link"
				   : errno == EINVAL ? "not a regular file"
						     : strerror(errno));
			sp->bad++;
		} else if (fn(ctx, all.names[i], buf_str(&b), b.len, cls) < 0)
			rc = -1;
		if (rc == 0 && spam_spool_add(sp, all.names[i]) < 0)
			rc = -1;
	}
	buf_free(&b);
	spam_spool_free(&all);
	close(dfd);
	return rc;
}

void
spam_spool_remove(struct admin *a, const char *dir, const struct spam_spool *sp)
{
	size_t i;
	int dfd;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		admin_errx(a, "%s: %s", dir, strerror(errno));
		return;
	}
	for (i = 0; i < sp->n; i++)
		if (unlinkat(dfd, sp->names[i], 0) < 0 && errno != ENOENT)
			admin_errx(a, "%s/%s: cannot remove: %s", dir,
				   sp->names[i], strerror(errno));
	close(dfd);
}
