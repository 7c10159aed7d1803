/* delivery/lmtp_spool.h - DATA's body as it arrives: in memory while it
 * is small, then in an unlinked temporary file (as Postfix's queue file
 * and Dovecot's mail_temp_dir do), so a 50 MB message costs a few
 * kilobytes of RAM, not 50 MB per connection.
 *
 * The caller feeds lmtp_data_feed() (lmtp_parse.h) into sp->mem and calls
 * lmtp_spool_settle() after each feed: past the threshold the bytes move
 * to the file, and d->spilled counts them so max_message_size still holds.
 * A spooled message keeps its header section in sp->head (at most the
 * threshold; Sieve and vacation read headers only).
 *
 * The file is created with O_TMPFILE (no name ever), or with a unique
 * name unlinked at once where the filesystem has no O_TMPFILE, mode 0600,
 * in the directory dirfd ([lmtp] spool_dir, or the mail root: the same
 * filesystem as the Maildirs, so copying it is an in-kernel
 * copy_file_range). It is never fsynced: the Maildir copies are. */
#ifndef FACTEUR_DELIVERY_LMTP_SPOOL_H
#define FACTEUR_DELIVERY_LMTP_SPOOL_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

struct lmtp_data;

struct lmtp_spool {
	struct buf mem;	  /* bytes not in the file yet (all, when small) */
	struct buf head;  /* spooled: the header section */
	int fd;		  /* -1 while in memory */
	int dirfd;	  /* borrowed: where the file goes; -1 = never */
	size_t threshold; /* bytes kept in memory at most */
	size_t size;	  /* bytes written to the file */
	size_t vsize;	  /* of those, with CRLF line ends */
	int prev_cr;
	int err;    /* errno of a failed write: the message fails */
	int warned; /* could not create the file: stays in memory */
};

/* An empty spool; max bounds sp->mem (max_message_size and a read). */
void lmtp_spool_init(struct lmtp_spool *sp, int dirfd, size_t threshold,
		     size_t max);
/* After lmtp_data_feed(d, ..., &sp->mem): moves bytes to the file when
 * the message is past the threshold (and adds them to d->spilled). */
void lmtp_spool_settle(struct lmtp_spool *sp, struct lmtp_data *d);
/* At the final dot: the rest to the file. 0, or -1 (sp->err set). */
__attribute__((warn_unused_result)) int lmtp_spool_finish(struct lmtp_spool *sp,
							  struct lmtp_data *d);
void lmtp_spool_free(struct lmtp_spool *sp);

/* A spool file in dirfd, as a message past the threshold would get one:
 * the fd (the caller closes it), or -1 with errno. */
int lmtp_spool_probe(int dirfd);

/* Copies len bytes of from, from offset 0, to the end of to:
 * copy_file_range(2) when the kernel can, else pread/write. 0, or -1
 * with errno. */
__attribute__((warn_unused_result)) int lmtp_spool_copy(int from, size_t len,
							int to);

#endif
