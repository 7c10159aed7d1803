/* delivery/maildir.h - writing into Maildir++ the way Dovecot expects.
 *
 * Discipline (Dovecot's maildir-save.c): create tmp/NAME with
 * O_CREAT|O_EXCL|O_NOFOLLOW, write, fsync, rename into new/ (or cur/ with
 * ":2,FLAGS" when flags are set), fsync the directory; only then is the
 * message delivered. dovecot-uidlist and the indexes are never touched:
 * Dovecot assigns UIDs when it next looks.
 *
 * Every path is resolved with openat() from a directory fd, one component
 * at a time with O_NOFOLLOW, so a symlink planted in a mailbox can not
 * redirect a write. Errors: -1 with errno preserved and a message in err. */
#ifndef FACTEUR_DELIVERY_MAILDIR_H
#define FACTEUR_DELIVERY_MAILDIR_H

#include <stddef.h>

struct buf;

/* A part of the message: len bytes at p, or, when p is NULL, the first
 * len bytes of the file fd (a spooled body, lmtp_spool.h) whose size with
 * CRLF line ends is vsize; a file piece comes last, after a piece that
 * ends in LF. */
struct maildir_piece {
	const void *p;
	size_t len;
	int fd;
	size_t vsize;
};

/* Opens rel (checked with maildir_path_ok) under the directory rootfd,
 * creating missing components (mode 0700) when create is set, and makes
 * sure cur/, new/ and tmp/ exist. *fd is an O_DIRECTORY fd, owned. */
__attribute__((warn_unused_result)) int
maildir_open_home(int rootfd, const char *rel, int create, int *fd, char *err,
		  size_t errlen);

/* Opens the folder name (UTF-8, '.' separator; "INBOX" = the home itself)
 * of the Maildir homefd. Missing: with create, it is made (cur/ new/
 * tmp/ and the empty maildirfolder file, as Dovecot does) and *created is
 * set; without, returns 1 and errno ENOENT. 0 on success. */
__attribute__((warn_unused_result)) int
maildir_open_folder(int homefd, const char *name, int create, int *fd,
		    int *created, char *err, size_t errlen);

/* Adds name to the "subscriptions" file of homefd in Dovecot 2.3's format
 * ("V\t2\n\n", then one mailbox per line, levels separated by TAB, in the
 * on-disk modified UTF-7), unless it is already there. Replaced
 * atomically (temp file + rename). Serialised by the caller per user. */
__attribute__((warn_unused_result)) int
maildir_subscribe(int homefd, const char *name, char *err, size_t errlen);

/* Delivers the message made of pieces (LF line endings) into mdfd.
 * host: this machine's name for the file name; flags MAILDIR_FLAG_*.
 * The final file name (relative to mdfd, "new/..." or "cur/...") is
 * appended to name_out when not NULL. */
__attribute__((warn_unused_result)) int
maildir_deliver(int mdfd, const struct maildir_piece *pc, size_t npc,
		unsigned flags, const char *host, struct buf *name_out,
		char *err, size_t errlen);

#endif
