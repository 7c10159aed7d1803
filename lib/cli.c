/* lib/cli.c - the options every facteur program takes; see cli.h. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facteur_build.h"

enum {
	CLI_DB = 0x1000,
	CLI_CHECK_CONFIG,
};

static const struct option cli_common_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"db", required_argument, NULL, CLI_DB},
    {"foreground", no_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {"check-config", no_argument, NULL, CLI_CHECK_CONFIG},
    {"version", no_argument, NULL, 'V'},
};

int
cli_parse(int argc, char **argv, struct cli_common *c,
	  const struct option *extra, const char *extra_short, cli_extra_fn fn,
	  void *ctx, int *optind_r)
{
	size_t ncommon = sizeof(cli_common_opts) / sizeof(cli_common_opts[0]);
	size_t nextra = 0, i;
	struct option opts[64];
	char shorts[64];
	int ch;

	memset(c, 0, sizeof(*c));
	c->config = FACTEUR_CONF;
	while (extra && extra[nextra].name)
		nextra++;
	if (ncommon + nextra + 1 > sizeof(opts) / sizeof(opts[0]))
		return -1;
	for (i = 0; i < ncommon; i++)
		opts[i] = cli_common_opts[i];
	for (i = 0; i < nextra; i++)
		opts[ncommon + i] = extra[i];
	memset(&opts[ncommon + nextra], 0, sizeof(opts[0]));
	snprintf(shorts, sizeof(shorts), "+c:fhV%s",
		 extra_short ? extra_short : "");

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c->config = optarg;
			c->config_given = 1;
			break;
		case CLI_DB:
			if (optarg[0] == '\0') {
				fprintf(stderr, "%s: --db: empty path\n",
					argv[0]);
				return -1;
			}
			c->db = optarg;
			break;
		case 'f':
			c->foreground = 1;
			break;
		case 'h':
			c->help = 1;
			break;
		case 'V':
			c->version = 1;
			break;
		case CLI_CHECK_CONFIG:
			c->check_config = 1;
			break;
		case '?':
		case ':':
			if (optopt && optopt < 0x1000 &&
			    strchr(shorts, optopt) != NULL)
				fprintf(stderr,
					"%s: option -%c needs an argument\n",
					argv[0], optopt);
			else if (optopt && optopt < 0x1000)
				fprintf(stderr, "%s: unknown option -%c\n",
					argv[0], optopt);
			else
				fprintf(
				    stderr,
				    "%s: unknown option or missing argument: "
				    "%s\n",
				    argv[0], argv[optind - 1]);
			return -1;
		default:
			if (fn == NULL || fn(ch, optarg, ctx) < 0)
				return -1;
			break;
		}
	}
	*optind_r = optind;
	return 0;
}
