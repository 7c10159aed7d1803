/* delivery/lmtp_spool.c - DATA's body in memory, then in an unlinked
 * temporary file past the threshold; see lmtp_spool.h.
 *
 * Measured (bench/lmtp.sh and tests/lmtp): a 50 MB message through
 * facteur-lmtp raised its peak RSS by about 50 MB when the body was kept
 * in memory, by under 2 MB spooled. Linking the spool file into each
 * Maildir (linkat of an O_TMPFILE) is not possible: every copy starts
 * with its own Return-Path and Delivered-To, so each is a copy, made in
 * the kernel (copy_file_range) when the spool and the Maildir share a
 * filesystem, as the default spool (the mail root) does.
 *
 * SECURITY: runs as the mail user; the file is 0600 and has no name (or
 * one unlinked before a byte is written), so no other process sees it
 * and nothing is left behind by a crash. */
#include "lmtp_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "anonfile.h"
#include "lmtp_parse.h"
#include "log.h"
#include "maildir_name.h"

#define LMTP_SPOOL_CHUNK ((size_t)64 << 10) /* file writes of at least */
#define LMTP_SPOOL_COPY ((size_t)64 << 10)  /* pread/write fallback */

void
lmtp_spool_init(struct lmtp_spool *sp, int dirfd, size_t threshold, size_t max)
{
	memset(sp, 0, sizeof(*sp));
	buf_init(&sp->mem, max);
	buf_init(&sp->head, threshold + 1);
	sp->fd = -1;
	sp->dirfd = dirfd;
	sp->threshold = threshold;
}

void
lmtp_spool_free(struct lmtp_spool *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
	buf_free(&sp->mem);
	buf_free(&sp->head);
}

/* A new file with no name in dirfd (lib/anonfile). */
static int
lmtp_spool_open(int dirfd)
{
	return anonfile_open(dirfd, ".facteur-lmtp-spool");
}

int
lmtp_spool_probe(int dirfd)
{
	return lmtp_spool_open(dirfd);
}

static int
lmtp_spool_write(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The header section of p[0..n): through its empty line, or all of it. */
static size_t
lmtp_spool_hdr_len(const char *p, size_t n)
{
	size_t i;

	if (n > 0 && p[0] == '\n')
		return 0;
	for (i = 0; i + 1 < n; i++)
		if (p[i] == '\n' && p[i + 1] == '\n')
			return i + 2;
	return n;
}

/* sp->mem to the file; after a failure the bytes are only counted (the
 * stream is still read to its final dot, the message then fails). */
static void
lmtp_spool_flush(struct lmtp_spool *sp, struct lmtp_data *d)
{
	const unsigned char *p = (const unsigned char *)sp->mem.data;
	size_t n = sp->mem.len;

	if (n == 0)
		return;
	if (sp->err == 0 && lmtp_spool_write(sp->fd, sp->mem.data, n) < 0)
		sp->err = errno ? errno : EIO;
	sp->vsize += maildir_vsize(p, n, sp->prev_cr);
	sp->prev_cr = p[n - 1] == '\r';
	sp->size += n;
	d->spilled += n;
	buf_reset(&sp->mem);
}

/* Past the threshold: the file, the header section kept, and the large
 * in-memory buffer given back (it regrows to one chunk only). */
static void
lmtp_spool_start(struct lmtp_spool *sp, struct lmtp_data *d)
{
	size_t h, max = sp->mem.max;

	if ((sp->fd = lmtp_spool_open(sp->dirfd)) < 0) {
		log_warn("spool: cannot create a temporary file: %s; this "
			 "message stays in memory",
			 strerror(errno));
		sp->warned = 1;
		return;
	}
	h = lmtp_spool_hdr_len(sp->mem.data, sp->mem.len < sp->threshold
						 ? sp->mem.len
						 : sp->threshold);
	if (buf_add(&sp->head, sp->mem.data, h) < 0)
		sp->err = ENOMEM;
	lmtp_spool_flush(sp, d);
	buf_free(&sp->mem);
	buf_init(&sp->mem, max);
}

void
lmtp_spool_settle(struct lmtp_spool *sp, struct lmtp_data *d)
{
	if (d->too_long) { /* refused: read to the dot, keep nothing */
		d->spilled += sp->mem.len;
		buf_reset(&sp->mem);
		return;
	}
	if (sp->fd < 0) {
		if (sp->mem.len > sp->threshold && sp->dirfd >= 0 &&
		    !sp->warned && !d->too_big)
			lmtp_spool_start(sp, d);
		return;
	}
	if (sp->mem.len >= LMTP_SPOOL_CHUNK)
		lmtp_spool_flush(sp, d);
}

int
lmtp_spool_finish(struct lmtp_spool *sp, struct lmtp_data *d)
{
	if (sp->fd >= 0)
		lmtp_spool_flush(sp, d);
	if (sp->err == 0)
		return 0;
	errno = sp->err;
	return -1;
}

int
lmtp_spool_copy(int from, size_t len, int to)
{
	char buf[LMTP_SPOOL_COPY];
	off_t off = 0;
	ssize_t n;
	int kernel = 1;

	while ((size_t)off < len) {
		if (kernel) {
			n = copy_file_range(from, &off, to, NULL,
					    len - (size_t)off, 0);
			if (n > 0 || (n < 0 && errno == EINTR))
				continue;
			if (n == 0 ||
			    (errno != EXDEV && errno != EINVAL &&
			     errno != ENOSYS && errno != EOPNOTSUPP)) {
				if (n == 0)
					errno = EIO; /* the file is short */
				return -1;
			}
			kernel = 0; /* a pipe, or another filesystem */
		}
		n = pread(from, buf,
			  len - (size_t)off < sizeof(buf) ? len - (size_t)off
							  : sizeof(buf),
			  off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		if (lmtp_spool_write(to, buf, (size_t)n) < 0)
			return -1;
		off += n;
	}
	return 0;
}
