/* lib/cli.h - the options every facteur program takes.
 *
 *   -c FILE, --config FILE   configuration (default /etc/facteur/facteur.conf)
 *   --db PATH                database path (overrides [database] path)
 *   -f, --foreground         stay in the foreground, log to stderr
 *   -h, --help               usage
 *   --check-config           load and validate the configuration, then exit
 *   -V, --version
 *
 * cli_parse() consumes those from argv (getopt_long, stops at the first
 * non-option) and leaves *optind_r on the first argument it did not take.
 * Program-specific options are passed in extra (may be NULL) and reported
 * back through the callback. */
#ifndef FACTEUR_LIB_CLI_H
#define FACTEUR_LIB_CLI_H

#include <getopt.h>

struct cli_common {
	const char *config; /* borrowed from argv, or the default */
	const char *db;	    /* borrowed from argv, or NULL */
	int config_given;   /* -c was on the command line */
	int foreground;
	int check_config;
	int help;
	int version;
};

/* Called for an option in extra; returns 0, or -1 to stop with exit 2. */
typedef int (*cli_extra_fn)(int opt, const char *arg, void *ctx);

/* Returns 0, or -1 after printing "PROG: error" to stderr (bad option). */
__attribute__((warn_unused_result)) int
cli_parse(int argc, char **argv, struct cli_common *c,
	  const struct option *extra, const char *extra_short, cli_extra_fn fn,
	  void *ctx, int *optind_r);

#endif
