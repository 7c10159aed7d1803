/* lib/milter/body.c - a message body in memory, then in an unlinked
 * temporary file past the threshold; see body.h.
 *
 * Measured (tests/chain/test_big_body.py, release build): a 50 MB body
 * through facteur-milter with every module raised its peak RSS by 56 MB
 * when the runner kept the body in one growing buffer (spool_threshold =
 * 1G: the doubling copy holds two at once). Spooled, the same messages
 * raise it by 1 to 2 MB over what 2 MB ones cost (about 10 MB, which is
 * facteur-spam's scan of max_scan_size): it no longer grows with the
 * body.
 *
 * SECURITY: runs as the milter's user; the file is 0600 and has no name
 * (or one unlinked before a byte is written), so no other process sees
 * it and nothing is left behind by a crash. */
#include "body.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anonfile.h"

#define MLT_BODY_CHUNK ((size_t)64 << 10) /* file writes of at least */

void
mlt_body_init(struct mlt_body *b, int dirfd, size_t threshold, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->dirfd = dirfd;
	b->threshold = dirfd >= 0 ? threshold : 0;
	b->max = max;
	buf_init(&b->mem, max);
}

int
mlt_body_probe(int dirfd)
{
	return anonfile_open(dirfd, ".facteur-milter-body");
}

static void
mlt_body_unmap(struct mlt_body *b)
{
	if (b->map != NULL)
		(void)munmap(b->map, b->maplen);
	b->map = NULL;
	b->maplen = 0;
}

/* b->mem to the end of the file. 0, or -1 (b->err set). */
static int
mlt_body_flush(struct mlt_body *b)
{
	const char *p = b->mem.data;
	size_t n = b->mem.len;
	ssize_t w;

	while (b->err == 0 && n > 0) {
		w = write(b->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			b->err = errno ? errno : EIO;
		else {
			p += w;
			n -= (size_t)w;
			b->filed += (size_t)w;
		}
	}
	buf_reset(&b->mem);
	if (b->err == 0)
		return 0;
	errno = b->err;
	return -1;
}

/* Past the threshold: the file, and the large buffer given back (it
 * regrows to one chunk only). A file that cannot be made leaves the body
 * in memory, as before spooling existed. */
static int
mlt_body_spill(struct mlt_body *b)
{
	if ((b->fd = mlt_body_probe(b->dirfd)) < 0) {
		b->threshold = 0;
		return 0;
	}
	if (mlt_body_flush(b) != 0)
		return -1;
	buf_free(&b->mem);
	buf_init(&b->mem, b->max);
	return 0;
}

int
mlt_body_add(struct mlt_body *b, const void *p, size_t n)
{
	if (b->err != 0) {
		errno = b->err;
		return -1;
	}
	if (n > b->max - b->size) {
		errno = EFBIG;
		return -1;
	}
	mlt_body_unmap(b);
	if (buf_add(&b->mem, p, n) != 0)
		return -1;
	b->size += n;
	if (b->fd < 0)
		return b->threshold > 0 && b->size > b->threshold
			   ? mlt_body_spill(b)
			   : 0;
	return b->mem.len >= MLT_BODY_CHUNK ? mlt_body_flush(b) : 0;
}

size_t
mlt_body_size(const struct mlt_body *b)
{
	return b->size;
}

int
mlt_body_view(struct mlt_body *b, size_t want, const unsigned char **p,
	      size_t *n)
{
	size_t len = want < b->size ? want : b->size;
	void *m;

	*p = (const unsigned char *)"";
	*n = 0;
	mlt_body_unmap(b);
	if (b->fd < 0) {
		if (len > 0)
			*p = (const unsigned char *)b->mem.data;
		*n = len;
		return 0;
	}
	if (b->mem.len > 0 && mlt_body_flush(b) != 0)
		return -1;
	if (len == 0)
		return 0;
	m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, b->fd, 0);
	if (m == MAP_FAILED)
		return -1;
	b->map = m;
	b->maplen = len;
	*p = m;
	*n = len;
	return 0;
}

void
mlt_body_free(struct mlt_body *b)
{
	mlt_body_unmap(b);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	buf_free(&b->mem);
}
