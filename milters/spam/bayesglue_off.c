/* milters/spam/bayesglue_off.c - linked when the tree has no Bayes
 * classifier (bayes.c): BAYES_* rules never fire, score set 0 is used. */
#include "bayesglue.h"

int
sp_bayes_available(void)
{
	return 0;
}

double
sp_bayes_prob(const char *path, const struct sp_view *v)
{
	return -1;
}
