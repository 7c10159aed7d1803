/* milters/spam/bayesglue_on.c - the engine's view of bayes.h: one
 * read-only handle per call (SQLite WAL: readers never wait for a
 * training run). */
#include "bayesglue.h"

#include <stddef.h>

#include "bayes.h"

int
sp_bayes_available(void)
{
	return 1;
}

double
sp_bayes_prob(const char *path, const struct sp_view *v)
{
	struct bayes_tokens t = {NULL, 0};
	struct bayes *b = NULL;
	char err[256];
	double p = -1;

	if (path == NULL || *path == '\0')
		return -1;
	if (bayes_open(path, 0, &b, err, sizeof(err)) < 0)
		return -1;
	if (bayes_tokenize(v, &t) == 0)
		p = bayes_score(b, &t);
	bayes_tokens_clear(&t);
	bayes_close(&b);
	return p;
}
