/* milters/av/main.c - facteur-av: each message streamed to ClamAV's clamd
 * (zINSTREAM) and refused, held or tagged when clamd finds a virus, as
 * its own milter.
 * SECURITY: reads only its configuration; binds its socket as root if
 * asked, then runs as [av] user, which needs only to connect to clamd's
 * socket. Trusts clamd's verdict, parsed bounded (av_reply.c); trusts the
 * MTA's {auth_authen} for skip_authenticated; trusts nothing in the
 * message, which it never parses itself. */
#include <stddef.h>

#include "av.h"
#include "daemon.h"
#include "paths.h"

int
main(int argc, char **argv)
{
	static struct av_settings settings;
	static struct mlt_chain_entry entries[] = {
	    {&av_filter, &settings, MLT_ON_ERROR_TEMPFAIL},
	};
	const struct mlt_program prog = {
	    .ident = "facteur-av",
	    .section = "av",
	    .default_socket = FACTEUR_SOCK_MILTER("av"),
	    .keys = av_keys,
	    .nkeys = av_nkeys,
	    .base = &settings,
	    .common_off = offsetof(struct av_settings, common),
	    .entries = entries,
	    .nentries = 1,
	    .check = av_check,
	    .init = av_init,
	    .fini = av_fini,
	};

	return mlt_main(argc, argv, &prog);
}
