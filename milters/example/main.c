/* milters/example/main.c - facteur-example: the example filter as its own
 * milter.
 * SECURITY: reads only its configuration; binds its socket as root if
 * asked, then runs as [example] user. Trusts nothing from the MTA but the
 * envelope it is given. */
#include <stddef.h>

#include "daemon.h"
#include "example.h"
#include "paths.h"

int
main(int argc, char **argv)
{
	static struct example_settings settings;
	static struct mlt_chain_entry entries[] = {
	    {&example_filter, &settings, MLT_ON_ERROR_TEMPFAIL},
	};
	const struct mlt_program prog = {
	    .ident = "facteur-example",
	    .section = "example",
	    .default_socket = FACTEUR_SOCK_MILTER("example"),
	    .keys = example_keys,
	    .nkeys = example_nkeys,
	    .base = &settings,
	    .common_off = offsetof(struct example_settings, common),
	    .entries = entries,
	    .nentries = 1,
	    .check = example_check,
	};

	return mlt_main(argc, argv, &prog);
}
