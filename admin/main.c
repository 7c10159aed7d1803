/* admin/main.c - facteur, the admin CLI: options, configuration, the
 * noun dispatch and the helpers every noun shares.
 *
 * SECURITY: run by root or the mail admin; it writes the database every
 * daemon reads, so all input is checked here before the store sees it.
 * Passwords never come from argv (see password.c). */
#include "admin.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "cli.h"
#include "facteur_build.h"
#include "log.h"
#include "store.h"

static const char main_usage[] =
    "usage: facteur [-c FILE] [--db PATH] [--json] NOUN VERB [ARGS...]\n"
    "\n"
    "nouns:\n"
    "  db         init | migrate | import-legacy PATH [--transliterate]\n"
    "  domain     add NAME [--default] | del | list | enable | disable\n"
    "  user       add ADDR [--name N] [--quota SIZE] [--scheme S]\n"
    "             [--password-stdin] | del | list [DOMAIN] | passwd |\n"
    "             enable | disable | quota ADDR SIZE\n"
    "  alias      add ALIAS DEST | del ALIAS [DEST] | list\n"
    "  valias     add ADDR|@DOMAIN DEST | del ADDR [DEST] | list\n"
    "  blacklist  sender|recipient add|del|list ...\n"
    "  sieve      check FILE...\n"
    "  spam       check [--json] FILE|DIR... | rules [--stats] |\n"
    "             learn --spam|--ham PATH... | forget PATH... | stats\n"
    "  av         check [--json] FILE|DIR...: clamd's verdicts, as\n"
    "             facteur-av gives them\n"
    "  dkim       keygen DOMAIN | list | enable | disable | del | dns |\n"
    "             check | sign FILE | verify FILE\n"
    "  setup      --apply --domain DOMAIN --hostname FQDN [--yes]\n"
    "             [--dry-run]: set up this Postfix + Dovecot (diff, backup)\n"
    "             | --undo [--yes]: put back what --apply changed\n"
    "             | --domain D --hostname H --out DIR: render templates\n"
    "  explain    FILE [--from-ip IP --helo H --mail-from A --rcpt R |\n"
    "             --submission USER]: every decision on one message\n"
    "  selftest   [--domain D] [--smtp H:P] [--submission H:P|none]\n"
    "             [--imap H:P]: send mail through the install, follow it\n"
    "  doctor     [--domain DOMAIN] [--resolver IP[@PORT]]: check the\n"
    "             install and its DNS\n"
    "  help       this text\n"
    "\n"
    "'facteur NOUN --help' describes a noun. Exit status: 0 ok, 1 not\n"
    "found or runtime failure, 2 usage error or invalid input.\n";

static const struct cfg_key admin_keys[] = {
    {"mail_root", CFG_STR, ADMIN_MAIL_ROOT, 0, 0,
     offsetof(struct admin_cfg, mail_root), NULL,
     "mail root the legacy rep_perso paths are relative to"},
    {"password_scheme", CFG_STR, "SHA512-CRYPT", 0, 0,
     offsetof(struct admin_cfg, password_scheme), NULL,
     "Dovecot scheme for new password hashes"},
    {"dkim_keys_dir", CFG_STR, ADMIN_DKIM_KEYS_DIR, 0, 0,
     offsetof(struct admin_cfg, dkim_keys_dir), NULL,
     "where facteur dkim keygen writes DOMAIN/SELECTOR.key"},
    {"dkim_user", CFG_STR, "postfix", 0, 0,
     offsetof(struct admin_cfg, dkim_user), NULL,
     "owner of new DKIM key files (facteur-dkim's user), if it exists"},
};

void
admin_errx(struct admin *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", a->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
admin_usage_error(struct admin *a, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", a->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage, stderr);
	return ADMIN_USAGE;
}

int
admin_store_fail(struct admin *a, int rc, const char *detail)
{
	admin_errx(a, "%s", detail);
	switch (rc) {
	case STORE_EDUP:
	case STORE_EREF:
	case STORE_EINUSE:
	case STORE_EINVAL:
		return ADMIN_USAGE;
	default:
		return ADMIN_FAIL;
	}
}

int
admin_store(struct admin *a, int need_schema)
{
	struct store_errbuf err = {{0}};
	int v;

	if (a->store != NULL)
		return 0;
	if (need_schema && !store_exists(a->db_path)) {
		admin_errx(a,
			   "no database at %s; create it with 'facteur db "
			   "init'",
			   a->db_path);
		return ADMIN_FAIL;
	}
	if (store_open(a->db_path, STORE_RW, a->busy_ms, &a->store, &err) < 0) {
		admin_errx(a, "cannot open the database: %s", err.msg);
		return ADMIN_FAIL;
	}
	if (!need_schema)
		return 0;
	v = store_version(a->store);
	if (v == STORE_SCHEMA_VERSION)
		return 0;
	if (v == 0)
		admin_errx(a, "%s is not initialised; run 'facteur db init'",
			   a->db_path);
	else if (v > 0 && v < STORE_SCHEMA_VERSION)
		admin_errx(a,
			   "%s has schema version %d, this program needs "
			   "%d; run 'facteur db migrate'",
			   a->db_path, v, STORE_SCHEMA_VERSION);
	else
		admin_errx(a,
			   "%s has schema version %d, newer than this "
			   "program's %d (or unreadable)",
			   a->db_path, v, STORE_SCHEMA_VERSION);
	store_free(&a->store);
	return ADMIN_FAIL;
}

static const struct admin_opt *
admin_find_opt(const struct admin_opt *opts, size_t nopts, const char *name,
	       size_t len)
{
	size_t i;

	for (i = 0; i < nopts; i++)
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

int
admin_args(struct admin *a, int argc, char **argv, const struct admin_opt *opts,
	   size_t nopts, const char **pos, size_t minpos, size_t maxpos,
	   const char *usage, int *rc)
{
	const struct admin_opt *o;
	size_t npos = 0, nlen;
	const char *eq;
	int i, only_pos = 0;

	*rc = ADMIN_USAGE;
	for (i = 0; i < argc; i++) {
		const char *w = argv[i];

		if (only_pos || w[0] != '-' || w[1] == '\0') {
			if (npos >= maxpos) {
				admin_usage_error(a, usage,
						  "unexpected "
						  "argument '%s'",
						  w);
				return -1;
			}
			pos[npos++] = w;
			continue;
		}
		if (strcmp(w, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0) {
			fputs(usage, stdout);
			*rc = ADMIN_OK;
			return -1;
		}
		if (strcmp(w, "--json") == 0) {
			a->json = 1;
			continue;
		}
		eq = strchr(w, '=');
		nlen = eq ? (size_t)(eq - w - 2) : strlen(w + 2);
		if (w[1] != '-' ||
		    (o = admin_find_opt(opts, nopts, w + 2, nlen)) == NULL) {
			admin_usage_error(a, usage, "unknown option '%s'", w);
			return -1;
		}
		if (o->flag) {
			if (eq) {
				admin_usage_error(a, usage,
						  "option '--%s' "
						  "takes no value",
						  o->name);
				return -1;
			}
			*o->flag = 1;
		} else if (eq) {
			*o->val = eq + 1;
		} else if (i + 1 < argc) {
			*o->val = argv[++i];
		} else {
			admin_usage_error(a, usage,
					  "option '--%s' needs a "
					  "value",
					  o->name);
			return -1;
		}
	}
	if (npos < minpos) {
		admin_usage_error(a, usage, "missing argument");
		return -1;
	}
	for (; npos < maxpos; npos++)
		pos[npos] = NULL;
	*rc = ADMIN_OK;
	return 0;
}

int
admin_dispatch(struct admin *a, const struct admin_verb *verbs, size_t nverbs,
	       const char *usage, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL;
	size_t i;

	if (verb == NULL)
		return admin_usage_error(a, usage, "%s: missing verb", argv[0]);
	if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0 ||
	    strcmp(verb, "help") == 0) {
		fputs(usage, stdout);
		return ADMIN_OK;
	}
	for (i = 0; i < nverbs; i++)
		if (strcmp(verb, verbs[i].name) == 0)
			return verbs[i].fn(a, argc - 2, argv + 2);
	return admin_usage_error(a, usage, "%s: unknown verb '%s'", argv[0],
				 verb);
}

struct main_noun {
	const char *name;
	int (*fn)(struct admin *a, int argc, char **argv);
};

static const struct main_noun main_nouns[] = {
    {"db", db_main},
    {"domain", domain_main},
    {"user", user_main},
    {"alias", alias_main},
    {"valias", alias_main},
    {"blacklist", blacklist_main},
    {"sieve", sieve_main},
    {"spam", spam_main},
    {"dkim", dkim_main},
    {"setup", setup_main},
    {"doctor", doctor_main},
    {"explain", explain_main},
    {"selftest", selftest_main},
    {"av", av_main},
};

enum { OPT_JSON = 0x2000 };

static int
main_extra(int opt, const char *arg, void *ctx)
{
	struct admin *a = ctx;

	if (opt != OPT_JSON)
		return -1;
	a->json = 1;
	return 0;
}

static int
main_run(struct admin *a, int argc, char **argv)
{
	size_t i;

	if (argc == 0)
		return admin_usage_error(a, main_usage, "missing NOUN");
	if (strcmp(argv[0], "help") == 0) {
		fputs(main_usage, stdout);
		return ADMIN_OK;
	}
	for (i = 0; i < sizeof(main_nouns) / sizeof(main_nouns[0]); i++)
		if (strcmp(argv[0], main_nouns[i].name) == 0)
			return main_nouns[i].fn(a, argc, argv);
	return admin_usage_error(a, main_usage, "unknown noun '%s'", argv[0]);
}

int
main(int argc, char **argv)
{
	static const struct option extra[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	struct cfg_database dbcfg;
	struct admin_cfg acfg;
	struct cfg_section secs[] = {
	    {"database", cfg_database_keys, 0, &dbcfg},
	    {"admin", admin_keys, sizeof(admin_keys) / sizeof(admin_keys[0]),
	     &acfg},
	};
	struct cli_common c;
	struct admin a;
	char err[512];
	int optind_r, rc;

	secs[0].nkeys = cfg_database_nkeys;
	memset(&a, 0, sizeof(a));
	memset(&dbcfg, 0, sizeof(dbcfg));
	memset(&acfg, 0, sizeof(acfg));
	a.prog = "facteur";
	log_open(a.prog, 1);
	if (cli_parse(argc, argv, &c, extra, "", main_extra, &a, &optind_r) <
	    0) {
		fputs(main_usage, stderr);
		return ADMIN_USAGE;
	}
	if (c.help) {
		fputs(main_usage, stdout);
		return ADMIN_OK;
	}
	if (c.version) {
		printf("facteur %s\n", FACTEUR_VERSION);
		return ADMIN_OK;
	}
	/* The default file may be absent (defaults apply); -c FILE not. */
	if (cfg_load(c.config, secs, 2, !c.config_given, err, sizeof(err)) <
	    0) {
		admin_errx(&a, "%s", err);
		cfg_free(secs, 2);
		return ADMIN_USAGE;
	}
	if (c.check_config) {
		cfg_free(secs, 2);
		return ADMIN_OK;
	}
	a.config_path = c.config;
	a.config_given = c.config_given;
	a.db_path = c.db ? c.db : dbcfg.path;
	a.busy_ms = dbcfg.busy_timeout;
	a.cfg = &acfg;
	rc = main_run(&a, argc - optind_r, argv + optind_r);
	store_free(&a.store);
	cfg_free(secs, 2);
	fflush(stdout);
	if (ferror(stdout)) {
		admin_errx(&a, "write error on standard output");
		rc = ADMIN_FAIL;
	}
	return rc;
}
