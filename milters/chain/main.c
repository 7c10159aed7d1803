/* milters/chain/main.c - facteur-milter: the filter modules of [milter]
 * modules (default blacklist, scrub, dkim, spam) as one milter, so a
 * message crosses the socket once and facteur-spam reads facteur-dkim's
 * SPF and DKIM verdicts instead of looking them up again.
 * SECURITY: binds its socket and runs every chosen module's init as root
 * if asked (the database, the DKIM private keys: 0600, owned by root or
 * [milter] user), then drops to [milter] user. It trusts what each module
 * trusts: the MTA's client address and {auth_authen}; never the message. */
#include <stddef.h>
#include <stdio.h>

#include "chain.h"
#include "daemon.h"
#include "paths.h"

static struct chain_settings settings;
/* Not const: the chain's length is known once [milter] modules is read,
 * so main_check sets nentries before mlt_main serves. */
static struct mlt_program prog;

static int
main_check(void *base, char *err, size_t errlen)
{
	if (chain_check(base, err, errlen) != 0)
		return -1;
	prog.nentries = settings.norder;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct cfg_section more[CHAIN_NSECTIONS];

	if (chain_sections(&settings, more) != 0) {
		fprintf(stderr, "facteur-milter: out of memory\n");
		return 1;
	}
	prog = (struct mlt_program){
	    .ident = "facteur-milter",
	    .section = "milter",
	    .default_socket = FACTEUR_SOCK_MILTER("milter"),
	    .usage = "  [milter] modules lists the chain, in order "
		     "(default " CHAIN_DEFAULT_MODULES ");\n"
		     "  each module reads its own section, as its own daemon "
		     "does\n",
	    .keys = chain_keys,
	    .nkeys = chain_nkeys,
	    .base = &settings,
	    .common_off = offsetof(struct chain_settings, common),
	    .more = more,
	    .nmore = CHAIN_NSECTIONS,
	    .entries = settings.entries,
	    .nentries = 0,
	    .check = main_check,
	    .init = chain_init,
	    .fini = chain_fini,
	};
	return mlt_main(argc, argv, &prog);
}
