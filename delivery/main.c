/* delivery/main.c - facteur-lmtp: the LMTP delivery agent Postfix hands
 * mail to (virtual_transport = lmtp:unix:private/facteur-lmtp).
 *
 * SECURITY: started as root only to bind in Postfix's private/
 * directory; it then drops to the mail user ([lmtp] user/group, names or
 * numeric ids, 3000 by default as in the guide) before it opens the mail
 * root or the database or reads a byte from a client (lmtp_server.c). */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "cli.h"
#include "facteur_build.h"
#include "lmtp_server.h"
#include "log.h"

static int
lmtp_debug(int opt, const char *arg, void *ctx)
{
	(void)arg;
	if (opt != 'd')
		return -1;
	*(int *)ctx = 1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option extra[] = {{"debug", no_argument, NULL, 'd'},
					      {NULL, 0, NULL, 0}};
	static const char usage[] =
	    "usage: facteur-lmtp [-c FILE] [--db PATH] "
	    "[-f] [-d]\n       facteur-lmtp --check-config | -V | -h\n";
	static struct lmtp_settings set;
	static struct cfg_database db;
	struct cfg_section secs[2] = {
	    {"database", cfg_database_keys, cfg_database_nkeys, &db},
	    {"lmtp", lmtp_conf_keys, lmtp_conf_nkeys, &set}};
	struct cli_common cli;
	char err[512];
	int idx, debug = 0, rc = 2;

	memset(&cli, 0, sizeof(cli));
	if (cli_parse(argc, argv, &cli, extra, "d", lmtp_debug, &debug, &idx) <
	    0)
		return 2;
	if (cli.help || cli.version) {
		if (cli.version)
			printf("facteur-lmtp %s\n", FACTEUR_VERSION);
		else
			fputs(usage, stdout);
		return 0;
	}
	if (idx < argc) {
		fputs(usage, stderr);
		return 2;
	}
	log_open("facteur-lmtp", cli.foreground || cli.check_config);
	if (debug)
		log_set_level(LOG_DEBUG);
	if (cfg_load(cli.config, secs, 2, !cli.config_given, err, sizeof(err)) <
		0 ||
	    lmtp_conf_check(&set, err, sizeof(err)) < 0 ||
	    (cli.db &&
	     cfg_set(&cfg_database_keys[0], &db, cli.db, err, sizeof(err)) < 0))
		log_err("%s", err);
	else if (cli.check_config &&
		 lmtp_check_as_user(&set, db.path, db.busy_timeout, err,
				    sizeof(err)) < 0)
		log_err("%s", err);
	else if (cli.check_config) {
		printf("facteur-lmtp: %s: configuration ok\n", cli.config);
		rc = 0;
	} else
		rc = lmtp_serve(&set, db.path, db.busy_timeout);
	cfg_free(secs, 2);
	return rc;
}
