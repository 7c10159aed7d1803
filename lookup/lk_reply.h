/* lookup/lk_reply.h - the replies facteur-lookup writes.
 *
 * Pure: no I/O, no logging, no statics; thread-safe. Every function
 * appends to a struct buf and returns 0, or -1 if the buffer is full
 * (nothing is ever truncated). */
#ifndef FACTEUR_LOOKUP_LK_REPLY_H
#define FACTEUR_LOOKUP_LK_REPLY_H

#include <stddef.h>

struct buf;

/* socketmap_table(5) reply classes. */
enum lk_status { LK_OK, LK_NOTFOUND, LK_TEMP, LK_TIMEOUT, LK_PERM };

/* Postfix's socketmap_max_reply_size default. */
#define LK_REPLY_MAX 100000

/* "OK data" / "NOTFOUND " / "TEMP data" / "TIMEOUT data" / "PERM data" as
 * a netstring. Control bytes in data become spaces. -1 also if the reply
 * would be longer than LK_REPLY_MAX. */
__attribute__((warn_unused_result)) int lk_reply_socketmap(enum lk_status st,
							   const char *data,
							   size_t n,
							   struct buf *out);

/* The socketmap word of st ("OK", "NOTFOUND"...). Static. */
const char *lk_status_word(enum lk_status st);

/* "action=TEXT\n\n" for the policy protocol (control bytes -> spaces). */
__attribute__((warn_unused_result)) int lk_reply_policy(const char *text,
							struct buf *out);

/* Local aliases result: the comma-separated destinations of in, without
 * those local(8) would run or write to ("|command", "/file",
 * ":include:..."): a socketmap is not a root-owned file, so its rows get
 * default_privs, and facteur aliases are addresses only. Appends to out
 * (may be left empty: the caller answers NOTFOUND). */
__attribute__((warn_unused_result)) int lk_reply_alias_filter(const char *in,
							      struct buf *out);

#endif
