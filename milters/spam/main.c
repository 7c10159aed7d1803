/* milters/spam/main.c - facteur-spam: the spam filter as its own milter.
 * SECURITY: reads its configuration and rule files, and the Bayes token
 * file read-only; binds its socket as root if asked, then runs as [spam]
 * user. Message content is hostile: it only reaches the bounded MIME walk
 * (GMime) and the regex engines (hyperscan, PCRE2 with match limits). */
#include <stddef.h>

#include "daemon.h"
#include "paths.h"
#include "spam.h"

int
main(int argc, char **argv)
{
	static struct spam_settings settings;
	static struct mlt_chain_entry entries[] = {
	    {&spam_filter, &settings, MLT_ON_ERROR_TEMPFAIL},
	};
	const struct mlt_program prog = {
	    .ident = "facteur-spam",
	    .section = "spam",
	    .default_socket = FACTEUR_SOCK_MILTER("spam"),
	    .keys = spam_keys,
	    .nkeys = spam_nkeys,
	    .base = &settings,
	    .common_off = offsetof(struct spam_settings, common),
	    .entries = entries,
	    .nentries = 1,
	    .check = spam_check,
	    .fini = spam_fini,
	};

	return mlt_main(argc, argv, &prog);
}
