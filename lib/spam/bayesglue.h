/* lib/spam/bayesglue.h - how the engine asks the Bayes classifier for
 * a probability: a pool of read-only handles on one token file, shared by
 * the engine's threads. Opening a SQLite handle (and rebuilding its view
 * of the WAL index) cost more than scoring a message, so handles are kept
 * and reused; a file replaced under the same name (new inode) drops them. */
#ifndef FACTEUR_SPAM_BAYESGLUE_H
#define FACTEUR_SPAM_BAYESGLUE_H

#include <stddef.h>

struct sp_view;
struct sp_bayes_pool;
struct sp_bayes_sample; /* one message's tokens and digest */

/* A pool for the token file at path (it need not exist yet). 0, or -1
 * (ENOMEM). *out owned. */
__attribute__((warn_unused_result)) int
sp_bayes_pool_new(const char *path, struct sp_bayes_pool **out);
void sp_bayes_pool_free(struct sp_bayes_pool **p);
/* Spam probability of the message, or -1 (missing file, too little
 * training, error). Thread-safe. */
double sp_bayes_prob(struct sp_bayes_pool *p, const struct sp_bayes_sample *s);

/* The tokens (bayes_tokenize) and digest (sp_bayes_digest) of a message,
 * computed once for scoring and learning. 0, or -1 (ENOMEM). *out owned;
 * it borrows nothing from v. */
__attribute__((warn_unused_result)) int
sp_bayes_sample_new(const struct sp_view *v, struct sp_bayes_sample **out);
/* The tokens alone, for a message that is only scored: the digest (a
 * SHA-256 over up to SP_DIGEST_BODY bytes, as much CPU as the scoring
 * itself) is left out, and sp_bayes_learn() refuses such a sample. */
__attribute__((warn_unused_result)) int
sp_bayes_sample_tokens(const struct sp_view *v, struct sp_bayes_sample **out);
void sp_bayes_sample_free(struct sp_bayes_sample **s);

/* Pure: the digest that names a message in the token file's "seen"
 * table, so learning it twice is a no-op. Both the milter's auto-learn
 * and "facteur spam learn" use it, and it must not change when a message
 * travels from the milter to a mailbox: it is SHA-256 over Message-ID and
 * Date (blanks collapsed) and the first SP_DIGEST_BODY bytes of the raw
 * body with CRs and trailing blanks dropped; headers added on the way
 * (Received, X-Spam-*, DKIM-Signature, Return-Path) and a rewritten
 * Subject do not count. 0, or -1. */
#define SP_DIGEST_BODY ((size_t)64 << 10)
__attribute__((warn_unused_result)) int sp_bayes_digest(const struct sp_view *v,
							unsigned char out[32]);

/* Learns the sample as spam (1) or ham (0) through one read-write handle
 * kept by the pool (created with the file if missing), unless its digest
 * is already known in either class (auto-learn never moves a message a
 * person classed). Waits at most busy_ms for the handle or for another
 * writer (a "facteur spam learn" run). Returns 1 learned, 0 already
 * known, -1 busy or failed, with err. Thread-safe. */
__attribute__((warn_unused_result)) int
sp_bayes_learn(struct sp_bayes_pool *p, const struct sp_bayes_sample *s,
	       int is_spam, int busy_ms, char *err, size_t errlen);

#endif
