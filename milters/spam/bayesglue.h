/* milters/spam/bayesglue.h - how the engine asks the Bayes classifier for
 * a probability. bayesglue_on.c calls bayes.h; bayesglue_off.c is linked
 * instead when this tree has no bayes.c, so the engine carries no #if. */
#ifndef FACTEUR_SPAM_BAYESGLUE_H
#define FACTEUR_SPAM_BAYESGLUE_H

struct sp_view;

/* 1 when the classifier is built in. */
int sp_bayes_available(void);
/* Spam probability of the message from the token file at path, or -1
 * (off, missing file, too little training, error). Thread-safe: opens its
 * own read-only handle. */
double sp_bayes_prob(const char *path, const struct sp_view *v);

#endif
