/* lib/spam/bayes.h - the Bayes classifier: tokens, storage, scoring.
 *
 * Tokens come from a struct sp_view (words of body text and subject,
 * selected header tokens, URI hosts), hashed to 64 bits. Storage is its own
 * SQLite file (bayes.sqlite next to the main database unless configured),
 * WAL, so training never blocks lookups; a reader sees a consistent
 * snapshot. Schema 2 (user_version) adds totals.gen, a count of the
 * changes kept by a trigger; a read-write open migrates a schema 1 file,
 * rows kept. A postgresql:// target keeps the same data in the bayes_*
 * tables of facteur's database (bayes_pg.c; see bayes_exists() below). Scoring:
 * Robinson's f(w) with Fisher/chi-square combining, as SpamBayes and
 * SpamAssassin do. Training is idempotent per message (a message-id-like digest
 * is remembered; learning the same message twice as the same class is a no-op,
 * as the other class moves it). */
#ifndef FACTEUR_SPAM_BAYES_H
#define FACTEUR_SPAM_BAYES_H

#include <stddef.h>
#include <stdint.h>

struct sp_view;
struct bayes;

struct bayes_tokens {
	uint64_t *h; /* owned; sorted and unique */
	size_t n;
};

/* Pure: the tokens of a message. 0 or -1 (ENOMEM). */
__attribute__((warn_unused_result)) int
bayes_tokenize(const struct sp_view *v, struct bayes_tokens *out);
void bayes_tokens_clear(struct bayes_tokens *t);
/* Added: the 64-bit hash of one token text as bayes_tokenize() makes it,
 * prefix included ("hello", "s:free", "h:from:example.com",
 * "u:example.com", "hn:x-mailer", "n:$4", "sk:s:3"). For tests. */
uint64_t bayes_hash(const char *tok, size_t len);

/* rw = 1 creates the file/schema. *out owned. Not thread-safe: one
 * handle per thread. */
__attribute__((warn_unused_result)) int bayes_open(const char *path, int rw,
						   struct bayes **out,
						   char *err, size_t errlen);
/* The same, waiting at most busy_ms (not 5 s) for another writer, the
 * schema check of a read-write open included. */
__attribute__((warn_unused_result)) int
bayes_open_busy(const char *path, int rw, int busy_ms, struct bayes **out,
		char *err, size_t errlen);
void bayes_close(struct bayes **b);

/* Learn/forget; is_spam 1/0. digest identifies the message (e.g. SHA-256
 * of the raw message, 32 bytes). Returns 1 learned, 0 already known as
 * that class, -1 error. */
int bayes_learn(struct bayes *b, const struct bayes_tokens *t,
		const unsigned char digest[32], int is_spam, char *err,
		size_t errlen);
int bayes_forget(struct bayes *b, const struct bayes_tokens *t,
		 const unsigned char digest[32], char *err, size_t errlen);
/* Batch learning: wrap many bayes_learn calls in one transaction. */
int bayes_begin(struct bayes *b);
int bayes_commit(struct bayes *b);

struct bayes_stats {
	long long nspam, nham, ntokens;
	long long last_learn; /* Unix time of the last learn, 0 = never */
};
int bayes_stats(struct bayes *b, struct bayes_stats *st);

/* Probability in [0,1] that the message is spam, or -1 when there is too
 * little training (fewer than min_spam / min_ham messages, default 200
 * each, as SpamAssassin) or on error. */
double bayes_score(struct bayes *b, const struct bayes_tokens *t);

/* Added: bayes_score() through an in-memory copy of the token table
 * (bayes_snap.h), the same probability to the last bit. *snap is the
 * caller's reference (NULL: none). In the read transaction that reads
 * the totals: a copy of the file's current generation is used; a stale
 * or missing one is replaced by a fresh copy when *load is set (the old
 * reference is dropped, *snap then owns the new one), else the tokens
 * are read through SQL as bayes_score() does. *load comes back 1 when a
 * copy was read, -1 when reading one failed (ENOMEM, too many tokens),
 * else 0. A file older than schema 2 (opened read-only before a writer
 * migrated it), a batch or a PostgreSQL target: bayes_score(). */
struct bayes_snap;
double bayes_score_snap(struct bayes *b, const struct bayes_tokens *t,
			struct bayes_snap **snap, int *load);

/* Added: the training minimum bayes_score() needs (default 200 / 200). */
void bayes_set_min(struct bayes *b, long long min_spam, long long min_ham);

/* Added, pure, for tests and explanations. Robinson's f(w) of a token
 * seen s times in nspam spam and h times in nham ham (Robinson's
 * s = 1, SpamAssassin's x = 0.538), or -1 when it was never seen. */
double bayes_token_prob(long long s, long long h, long long nspam,
			long long nham);
/* Fisher/chi-square combining of prob[0..n) with the class priors as
 * starting products (SpamAssassin 4): (1 + S - H) / 2; 0.5 when n == 0. */
double bayes_chi_combine(const double *prob, size_t n, long long nspam,
			 long long nham);
/* Keeps the f(w) >= 0 with |f(w) - 0.5| >= 0.346, the 150 strongest
 * (prob[] is reordered), and combines them. */
double bayes_combine_tokens(double *prob, size_t n, long long nspam,
			    long long nham);

/* Added (auto-learn): the SQLite busy timeout of this handle, instead of
 * bayes_open()'s 5000 ms. */
void bayes_set_busy_timeout(struct bayes *b, int ms);
/* Added (auto-learn): the class digest was learned as: 1 spam, 0 ham,
 * -1 never, -2 error. */
int bayes_known(struct bayes *b, const unsigned char digest[32]);

/* Added (auto-learn): learns the message unless its digest is known in
 * either class (auto-learn never moves a message a person classed), in
 * one transaction. 1 learned, 0 known, -1 error or busy. */
int bayes_learn_new(struct bayes *b, const struct bayes_tokens *t,
		    const unsigned char digest[32], int is_spam, char *err,
		    size_t errlen);
/* Added: the same, and when it learned (1), *gen is the file's
 * generation (totals.gen) just before, the learn making it *gen + 1;
 * -1 when not known (PostgreSQL, nothing learned). */
int bayes_learn_new_gen(struct bayes *b, const struct bayes_tokens *t,
			const unsigned char digest[32], int is_spam,
			long long *gen, char *err, size_t errlen);

/* Added (issue 14): the target may be a SQLite file's path or a
 * postgresql:// URL (the bayes_* tables of facteur's database, lib/store
 * schema version 3), with the same semantics; there learners on several
 * hosts may run at once, bayes_begin()/bayes_commit() do nothing (each
 * learn is its own transaction) and bayes_score() reads the totals and
 * the message's tokens in one statement. 1 if target may hold Bayes data
 * (a file that exists, or any URL). */
int bayes_exists(const char *target);

/* Copies every row of src (a SQLite file) into dst (a PostgreSQL
 * database whose Bayes tables are empty) in one transaction, then counts
 * both sides (tokens, messages, spam and ham totals: fn, may be NULL,
 * sees each pair); a difference rolls dst back. 0, or -1 with err. */
typedef void (*bayes_copy_fn)(void *ctx, const char *what, long long src,
			      long long dst);
int bayes_copy(struct bayes *src, struct bayes *dst, bayes_copy_fn fn,
	       void *ctx, char *err, size_t errlen);

#endif
