/* lib/spam/bayes_pg.h - private to bayes.c: bayes.h's storage on
 * PostgreSQL (the bayes_* tables of lib/store's schema, version 3),
 * chosen when the Bayes target is a postgresql:// URL. The maths stay in
 * bayes.c; the semantics are the SQLite file's. */
#ifndef FACTEUR_SPAM_BAYES_PG_H
#define FACTEUR_SPAM_BAYES_PG_H

#include <stddef.h>

#include "bayes.h"

struct bayes_pg;

/* rw = 0: a read-only session. busy_ms: lock_timeout (how long a
 * learner waits for another). 0 or -1 with err. */
__attribute__((warn_unused_result)) int bayes_pg_open(const char *url, int rw,
						      int busy_ms,
						      struct bayes_pg **out,
						      char *err, size_t errlen);
void bayes_pg_close(struct bayes_pg **p);
void bayes_pg_set_busy(struct bayes_pg *p, int busy_ms);

/* 1 spam, 0 ham, -1 never, -2 error. */
int bayes_pg_seen(struct bayes_pg *p, const unsigned char digest[32]);
/* Learns as to (0/1), or forgets (to = -1). only_new: leave a message
 * already learned as either class alone (auto-learn). 1 changed, 0
 * nothing to do, -1 error. One transaction, no read-then-write race: the
 * seen row is inserted with ON CONFLICT or locked before counts move. */
int bayes_pg_change(struct bayes_pg *p, const struct bayes_tokens *t,
		    const unsigned char digest[32], int to, int only_new,
		    char *err, size_t errlen);
int bayes_pg_stats(struct bayes_pg *p, struct bayes_stats *st);
/* The totals and the counts of the tokens of t, in one statement (one
 * round trip, one snapshot): cnt[2i], cnt[2i+1] (room for 2 * t->n) get
 * the spam and ham counts of the i-th known token, *n their number. 0 or
 * -1. */
int bayes_pg_lookup(struct bayes_pg *p, const struct bayes_tokens *t,
		    long long *nspam, long long *nham, long long *cnt,
		    size_t *n);
/* bayes_copy(), the PostgreSQL side: BEGIN on empty Bayes tables; rows
 * in chunks (tokens: h, spam, ham, atime per row; seen: 32-byte digests
 * and classes); then the totals, the counts of both sides compared
 * (src: tokens, seen, nspam, nham) and COMMIT, or ROLLBACK on any
 * difference. 0 or -1 with err. */
int bayes_pg_copy_begin(struct bayes_pg *p, char *err, size_t errlen);
int bayes_pg_copy_tokens(struct bayes_pg *p, const long long *rows, size_t n,
			 char *err, size_t errlen);
int bayes_pg_copy_seen(struct bayes_pg *p, const unsigned char *digests,
		       const int *cls, size_t n, char *err, size_t errlen);
int bayes_pg_copy_end(struct bayes_pg *p, const long long src[4],
		      bayes_copy_fn fn, void *ctx, char *err, size_t errlen);
void bayes_pg_rollback(struct bayes_pg *p);

#endif
