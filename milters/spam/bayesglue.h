/* milters/spam/bayesglue.h - how the engine asks the Bayes classifier for
 * a probability: a pool of read-only handles on one token file, shared by
 * the engine's threads. Opening a SQLite handle (and rebuilding its view
 * of the WAL index) cost more than scoring a message, so handles are kept
 * and reused; a file replaced under the same name (new inode) drops them. */
#ifndef FACTEUR_SPAM_BAYESGLUE_H
#define FACTEUR_SPAM_BAYESGLUE_H

struct sp_view;
struct sp_bayes_pool;

/* A pool for the token file at path (it need not exist yet). 0, or -1
 * (ENOMEM). *out owned. */
__attribute__((warn_unused_result)) int sp_bayes_pool_new(const char *path,
    struct sp_bayes_pool **out);
void sp_bayes_pool_free(struct sp_bayes_pool **p);
/* Spam probability of the message, or -1 (missing file, too little
 * training, error). Thread-safe. */
double sp_bayes_prob(struct sp_bayes_pool *p, const struct sp_view *v);

#endif
