/* milters/dkim/main.c - facteur-dkim: DKIM signing and verification, SPF
 * and DMARC, as its own milter.
 * SECURITY: binds its socket and reads the database and the private keys
 * as root (keys must be 0600, owned by root or [dkim] user), then drops to
 * [dkim] user. Trusts nothing in the message; DNS answers come from the
 * configured resolver. */
#include <stddef.h>

#include "daemon.h"
#include "dkim.h"
#include "paths.h"

int
main(int argc, char **argv)
{
	static struct dkim_settings settings;
	static struct mlt_chain_entry entries[] = {
	    {&dkim_filter, &settings, MLT_ON_ERROR_TEMPFAIL},
	};
	static struct cfg_section more[1];
	const struct mlt_program prog = {
	    .ident = "facteur-dkim",
	    .section = "dkim",
	    .default_socket = FACTEUR_SOCK_MILTER("dkim"),
	    .keys = dkim_keys,
	    .nkeys = dkim_nkeys,
	    .base = &settings,
	    .common_off = offsetof(struct dkim_settings, common),
	    .more = more,
	    .nmore = 1,
	    .entries = entries,
	    .nentries = 1,
	    .check = dkim_check,
	    .init = dkim_init,
	    .fini = dkim_fini,
	};

	more[0].name = "database";
	more[0].keys = cfg_database_keys;
	more[0].nkeys = cfg_database_nkeys;
	more[0].base = &settings.db;
	return mlt_main(argc, argv, &prog);
}
