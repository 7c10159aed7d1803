/* delivery/quota.h - Maildir++ quota ("maildirsize"), as Dovecot's
 * quota = maildir backend reads and writes it.
 *
 * maildirsize: first line the limits ("<bytes>S,<count>C", either part
 * absent when unlimited), then one "<bytes> <count>" line per change; the
 * usage is the sum of those lines. It is recalculated by walking cur/ and
 * new/ of INBOX and every ".Folder" when missing, unparsable, over 5120
 * bytes, written for other limits, or older than 15 minutes while over
 * quota (the Maildir++ rules). Thread-safe per call; concurrent writers
 * append whole lines with O_APPEND, as Maildir++ intends. */
#ifndef FACTEUR_DELIVERY_QUOTA_H
#define FACTEUR_DELIVERY_QUOTA_H

#include <stddef.h>
#include <time.h>

struct quota_limits {
	long long bytes; /* 0 = unlimited */
	long long count; /* 0 = unlimited */
};

struct quota_usage {
	long long bytes;
	long long count;
};

/* Pure: parses maildirsize text p[0..len). 0, or -1 if malformed (a
 * partial last line without '\n' is ignored, as a writer may be mid-way).
 * *nlines counts the usage lines. */
__attribute__((warn_unused_result)) int quota_parse(const char *p, size_t len,
						    struct quota_limits *hdr,
						    struct quota_usage *u,
						    size_t *nlines);

/* Pure: would one more message of size bytes (0 = unknown) exceed lim?
 * 1 yes, 0 no. Unknown size: refused only when already at the limit. */
int quota_exceeded(const struct quota_limits *lim, const struct quota_usage *u,
		   unsigned long long size);

/* Reads the usage of the Maildir homefd under lim, recalculating (and
 * rewriting maildirsize) when needed; now for the staleness rule.
 * 0, or -1 with err. Without limits at all, reports the usage without
 * writing anything. */
__attribute__((warn_unused_result)) int
quota_get(int homefd, const struct quota_limits *lim, time_t now,
	  struct quota_usage *u, char *err, size_t errlen);

/* Appends "<bytes> <count>\n" to an existing maildirsize (missing: does
 * nothing, the next quota_get recalculates). 0 or -1 with err. */
__attribute__((warn_unused_result)) int quota_add(int homefd, long long bytes,
						  long long count, char *err,
						  size_t errlen);

/* Walks the Maildir and rewrites maildirsize for lim (via the dotlock
 * "maildirsize.lock" + rename, like Dovecot). */
__attribute__((warn_unused_result)) int
quota_recalc(int homefd, const struct quota_limits *lim, struct quota_usage *u,
	     char *err, size_t errlen);

#endif
