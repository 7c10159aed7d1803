/* milters/blacklist/main.c - facteur-blacklist: sender policy at MAIL
 * FROM / RCPT TO (sender and recipient blacklists, client IP/CIDR rows,
 * DNSBL, SPF fail), as its own milter.
 * SECURITY: binds its socket as root if asked, then runs as [blacklist]
 * user, reading the database (read-only) and asking the configured DNS
 * resolver. Trusts the MTA's client address and {auth_authen} macro;
 * trusts nothing the client says (envelope, HELO) beyond looking it up. */
#include <stddef.h>

#include "blacklist.h"
#include "daemon.h"
#include "paths.h"

int
main(int argc, char **argv)
{
	static struct bl_settings settings;
	static struct mlt_chain_entry entries[] = {
	    {&bl_filter, &settings, MLT_ON_ERROR_TEMPFAIL},
	};
	static struct cfg_section more[1];
	const struct mlt_program prog = {
	    .ident = "facteur-blacklist",
	    .section = "blacklist",
	    .default_socket = FACTEUR_SOCK_MILTER("blacklist"),
	    .keys = blp_keys,
	    .nkeys = blp_nkeys,
	    .base = &settings,
	    .common_off = offsetof(struct bl_settings, common),
	    .more = more,
	    .nmore = 1,
	    .entries = entries,
	    .nentries = 1,
	    .check = bl_check,
	    .init = bl_init,
	    .fini = bl_fini,
	};

	more[0].name = "database";
	more[0].keys = cfg_database_keys;
	more[0].nkeys = cfg_database_nkeys;
	more[0].base = &settings.db;
	return mlt_main(argc, argv, &prog);
}
