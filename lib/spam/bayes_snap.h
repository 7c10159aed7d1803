/* lib/spam/bayes_snap.h - the in-memory copy of a token table that
 * bayes_score_snap() (bayes.h) scores through; bayes.c and bayesglue.c
 * only. A copy is immutable once loaded and shared between threads by
 * reference count. It knows nothing of bayes.h (a one-way split): hashes
 * and counts in, counts out. */
#ifndef FACTEUR_SPAM_BAYES_SNAP_H
#define FACTEUR_SPAM_BAYES_SNAP_H

#include <stddef.h>
#include <stdint.h>

struct bayes_snap;
struct sqlite3;

/* bayes_score() asks SQLite for BAYES_IN tokens per statement; the copy
 * gives the counts in the same order (bayes_snap_counts). */
#define BAYES_IN 64

/* Reads every token's counts through db, inside the caller's read
 * transaction (the one that read gen). 0, or -1 (ENOMEM, a SQLite
 * error, more tokens than the copy keeps, or counts beyond 32 bits).
 * *out owned: one reference. */
__attribute__((warn_unused_result)) int
bayes_snap_load(struct sqlite3 *db, long long gen, struct bayes_snap **out);
/* The file generation (totals.gen) the copy was read at. */
long long bayes_snap_gen(const struct bayes_snap *s);
/* Reference counting; thread-safe. unref sets *s to NULL. */
void bayes_snap_ref(struct bayes_snap *s);
void bayes_snap_unref(struct bayes_snap **s);
/* A new copy: s with one message more of class is_spam (1 spam, 0 ham)
 * over its distinct tokens h[0..n), at generation gen(s) + 1, i.e. what
 * the file holds once bayes_learn_new_gen() has learned that message at
 * gen(s). 0, or -1 (ENOMEM, too many tokens, a count beyond 32 bits,
 * or s past 131,072 tokens: copying it would cost more than it saves).
 * *out owned. */
__attribute__((warn_unused_result)) int
bayes_snap_learned(const struct bayes_snap *s, const uint64_t *h, size_t n,
		   int is_spam, struct bayes_snap **out);
/* Pure: the spam and ham counts of the known tokens among h[0..n)
 * (sorted, distinct) into cnt[0..return), in the order bayes_score()'s
 * SQL gives their rows (cnt has room for n). */
size_t bayes_snap_counts(const struct bayes_snap *s, const uint64_t *h,
			 size_t n, int32_t (*cnt)[2]);

#endif
