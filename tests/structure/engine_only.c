/* tests/structure/engine_only.c - a program that links the spam engine
 * (spamengine) and nothing of the milter layer: it loads the [spam]
 * settings' engine as 'facteur spam' does. Never run: engine_links.sh
 * reads its symbols (structure-spam-engine). */
#include <stdio.h>

#include "spam.h"

int
main(void)
{
	struct spam_settings s = {0};
	char err[256];
	int rc;

	rc = spam_check(&s, err, sizeof(err));
	spam_fini(&s);
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	return rc < 0;
}
