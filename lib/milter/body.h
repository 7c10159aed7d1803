/* lib/milter/body.h - a message body kept for the filters that want it
 * (struct mlt_filter.wants_body): in memory while it is small, then in an
 * unlinked temporary file (as facteur-lmtp's spool, Postfix's queue file
 * and Dovecot's mail_temp_dir do), so a 50 MB body costs one write chunk
 * of RAM per connection, not 50 MB; max_body_size still bounds it, on
 * disk.
 *
 * The file is created with O_TMPFILE (no name ever), or with a unique
 * name unlinked at once where the filesystem has no O_TMPFILE, mode 0600,
 * in the directory dirfd ([section] spool_dir). A reader asks for a view
 * of the first bytes (a filter reads at most what it scans, spam's
 * max_scan_size): memory, or a read-only private mmap of the file, so the
 * pages are the page cache's and only those read are touched.
 *
 * Thread-safety: one body belongs to one message, used by one thread. */
#ifndef FACTEUR_LIB_MILTER_BODY_H
#define FACTEUR_LIB_MILTER_BODY_H

#include <stddef.h>

#include "buf.h"

struct mlt_body {
	struct buf mem;	  /* all of it while small; then the bytes not
			     written to the file yet (one chunk at most) */
	int fd;		  /* -1 while in memory */
	int dirfd;	  /* borrowed: where the file goes; -1 = never */
	size_t threshold; /* bytes kept in memory at most; 0 = no file */
	size_t max;	  /* bytes kept at most (max_body_size) */
	size_t size;	  /* bytes kept, in memory and file */
	size_t filed;	  /* of those, in the file */
	void *map;	  /* the current view's mapping, or NULL */
	size_t maplen;
	int err; /* errno of a failed file write: errs from then */
};

/* An empty body. dirfd < 0 or threshold 0: memory only (up to max). */
void mlt_body_init(struct mlt_body *b, int dirfd, size_t threshold, size_t max);

/* Appends p[0..n). 0, or -1: past max, out of memory, or the file could
 * not be written (errno; the message must fail, nothing is dropped
 * silently). Past the threshold the file is created; if it cannot be
 * (the directory is not writable), the body stays in memory. */
__attribute__((warn_unused_result)) int mlt_body_add(struct mlt_body *b,
						     const void *p, size_t n);

/* The body's size in bytes. */
size_t mlt_body_size(const struct mlt_body *b);

/* A read-only view of the first min(want, size) bytes: *p (never NULL;
 * "" when empty) and *n. Borrowed until the next mlt_body_add, view or
 * free. 0, or -1 with errno (the file could not be mapped). */
__attribute__((warn_unused_result)) int mlt_body_view(struct mlt_body *b,
						      size_t want,
						      const unsigned char **p,
						      size_t *n);

/* Frees memory, the view and the file. */
void mlt_body_free(struct mlt_body *b);

/* A temporary file in dirfd as a body past the threshold gets one: the
 * fd (the caller closes it), or -1 with errno. To check spool_dir once
 * the daemon runs as its user. */
int mlt_body_probe(int dirfd);

#endif
