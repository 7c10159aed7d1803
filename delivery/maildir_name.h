/* delivery/maildir_name.h - Dovecot's Maildir naming conventions.
 *
 * Pure: no I/O, no logging, no statics; thread-safe. Every function
 * appends to a struct buf and returns 0, or -1 when the input is refused
 * or the buffer is full (nothing is truncated silently). */
#ifndef FACTEUR_DELIVERY_MAILDIR_NAME_H
#define FACTEUR_DELIVERY_MAILDIR_NAME_H

#include <stddef.h>

struct buf;

/* Flags as Sieve's imap4flags sets them (same values as SIEVE_FLAG_*). */
#define MAILDIR_FLAG_SEEN 0x01
#define MAILDIR_FLAG_ANSWERED 0x02
#define MAILDIR_FLAG_FLAGGED 0x04
#define MAILDIR_FLAG_DELETED 0x08
#define MAILDIR_FLAG_DRAFT 0x10

struct maildir_uniq {
	long long secs; /* time of delivery */
	long usecs;	/* 0..999999 */
	long pid;
	unsigned long q;  /* per-process delivery counter */
	const char *host; /* hostname, escaped here as Dovecot does */
};

/* Appends the hostname with '/' as "\057" and ':' as "\072" (Dovecot's
 * maildir_filename_generate escaping). */
__attribute__((warn_unused_result)) int maildir_host_escape(const char *host,
							    struct buf *out);

/* Appends "<secs>.M<usecs>P<pid>Q<q>.<host>,S=<size>,W=<vsize>": the base
 * name used in tmp/ and new/. size is the size on disk (LF line endings),
 * vsize the size with CRLF line endings; Dovecot trusts both. */
__attribute__((warn_unused_result)) int
maildir_basename(const struct maildir_uniq *u, size_t size, size_t vsize,
		 struct buf *out);

/* Appends ":2,<letters>" for flags (D F R S T in ASCII order, as Dovecot
 * writes them); appends nothing when flags is 0. */
__attribute__((warn_unused_result)) int maildir_flags_suffix(unsigned flags,
							     struct buf *out);

/* Size with CRLF line endings of p[0..len) stored with LF endings: each
 * LF not preceded by CR counts two octets. prev_cr says whether the byte
 * before p was a CR (for data given in pieces). */
size_t maildir_vsize(const unsigned char *p, size_t len, int prev_cr);

/* Appends the Maildir++ directory name of an IMAP mailbox name (UTF-8,
 * '.' hierarchy separator): "" for INBOX (any case), else "." + the name
 * with each character outside printable ASCII in IMAP modified UTF-7
 * (RFC 3501 5.1.3), '&' as "&-". Refused (-1): invalid UTF-8, control
 * characters, '/', an empty level ("a..b", ".a", "a."), a level "." or
 * "..", and names over 255 bytes once encoded. */
__attribute__((warn_unused_result)) int maildir_folder_dir(const char *name,
							   struct buf *out);

/* Checks a maildir path taken from the database: relative, components
 * separated by single '/', none empty (a trailing '/' is allowed), none
 * "." or "..", no control bytes. 0 ok, -1 refused. */
__attribute__((warn_unused_result)) int maildir_path_ok(const char *rel);

#endif
