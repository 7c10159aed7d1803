/* milters/scrub/main.c - facteur-scrub: removes the headers that leak a
 * submitting client's address, software and LAN, as its own milter.
 * SECURITY: reads only its configuration; binds its socket as root if
 * asked, then runs as [scrub] user. Trusts the MTA's {auth_authen} macro
 * and client address to tell submission from inbound mail; trusts nothing
 * in the message. */
#include <stddef.h>

#include "daemon.h"
#include "paths.h"
#include "scrub.h"

int
main(int argc, char **argv)
{
	static struct scrub_settings settings;
	static struct mlt_chain_entry entries[] = {
	    {&scrub_filter, &settings, MLT_ON_ERROR_TEMPFAIL},
	};
	const struct mlt_program prog = {
	    .ident = "facteur-scrub",
	    .section = "scrub",
	    .default_socket = FACTEUR_SOCK_MILTER("scrub"),
	    .keys = scrub_keys,
	    .nkeys = scrub_nkeys,
	    .base = &settings,
	    .common_off = offsetof(struct scrub_settings, common),
	    .entries = entries,
	    .nentries = 1,
	    .check = scrub_check,
	};

	return mlt_main(argc, argv, &prog);
}
