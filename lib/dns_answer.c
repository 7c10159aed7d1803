/* lib/dns_answer.c - the answer type under lib/dns and lib/dns_cache;
 * see dns_answer.h. Pure: no I/O. */
#include "dns_answer.h"

#include <stdlib.h>

void
dns_answer_clear(struct dns_answer *ans)
{
	size_t i;

	if (ans->rrs != NULL)
		for (i = 0; i < ans->nrrs; i++)
			free(ans->rrs[i]);
	free(ans->rrs);
	free(ans->lens);
	ans->rrs = NULL;
	ans->lens = NULL;
	ans->nrrs = 0;
	ans->ttl = 0;
}
