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
	static struct cfg_section more[1];
	const struct mlt_program prog = {
	    .ident = "facteur-spam",
	    .section = "spam",
	    .default_socket = FACTEUR_SOCK_MILTER("spam"),
	    .keys = spam_keys,
	    .nkeys = spam_nkeys,
	    .base = &settings,
	    .common_off = offsetof(struct spam_settings, common),
	    .more = more,
	    .nmore = 1,
	    .entries = entries,
	    .nentries = 1,
	    .check = spam_check,
	    .fini = spam_fini,
	};

	/* [database]: with a PostgreSQL url, Bayes lives there too */
	more[0].name = "database";
	more[0].keys = cfg_database_keys;
	more[0].nkeys = cfg_database_nkeys;
	more[0].base = &settings.db;
	return mlt_main(argc, argv, &prog);
}
