/* admin/spam.c - "facteur spam check|rules" (and the dispatch for learn,
 * forget and stats, implemented in spam_learn.c): scores messages from
 * the shell with exactly the engine and [spam] configuration facteur-spam
 * uses, and lists the loaded rule set.
 *
 * SECURITY: reads the configuration, the rule files and the named
 * messages with the caller's rights; writes nothing but the compiled
 * patterns in [spam] cache_dir, when the caller may (see match.h). */
#include "admin.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "cfg.h"
#include "match.h"
#include "spam.h"

static const char spam_usage[] =
    "usage: facteur spam check [--json] FILE|DIR...\n"
    "       facteur spam rules [--stats] [--json]\n"
    "       facteur spam learn --spam|--ham PATH...\n"
    "       facteur spam forget PATH...\n"
    "       facteur spam stats\n"
    "\n"
    "check scores each message (a directory: every file in it, Maildir\n"
    "cur/ and new/ included) with facteur-spam's engine and [spam]\n"
    "settings: 'FILE: Yes|No score/required TESTS', or one JSON object a\n"
    "line with --json. Exit 0, 1 if a file could not be scored, 2 usage.\n"
    "rules lists the live rules; --stats counts loaded and skipped ones\n"
    "and says why each was skipped.\n";

/* Loads [spam] as facteur-spam does (common milter keys included so the
 * same file is accepted) and builds the engine. */
int
spam_admin_load(struct admin *a, struct spam_settings *s,
    struct cfg_section *sec)
{
	static struct cfg_key keys[MLT_SETTINGS_NKEYS + 32];
	size_t nk;
	char err[1024];

	memset(s, 0, sizeof(*s));
	nk = mlt_settings_keys(keys, offsetof(struct spam_settings, common));
	memcpy(keys + nk, spam_keys, spam_nkeys * sizeof(spam_keys[0]));
	sec->name = "spam";
	sec->keys = keys;
	sec->nkeys = nk + spam_nkeys;
	sec->base = s;
	if (cfg_load(a->config_path, sec, 1, !a->config_given, err,
	    sizeof(err)) < 0 || spam_check(s, err, sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		cfg_free(sec, 1);
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

static void
spam_admin_free(struct spam_settings *s, struct cfg_section *sec)
{
	spam_fini(s);
	cfg_free(sec, 1);
}

static int
spam_read(const char *path, size_t max, struct buf *b)
{
	char chunk[16384];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len + n > max)
			n = max - b->len;
		if (buf_add(b, chunk, n) < 0 || b->len >= max)
			break;
	}
	fclose(f);
	return 0;
}

static void
spam_print(struct admin *a, const char *path, const struct sp_result *r)
{
	size_t i;

	if (a->json) {
		fputs("{\"file\":", stdout);
		out_json_string(stdout, path);
		printf(",\"score\":%.1f,\"required\":%.1f,\"verdict\":\"%s\","
		    "\"bayes\":%.4f,\"rules\":[", r->score, r->required,
		    r->is_spam ? "spam" : "ham", r->bayes);
		for (i = 0; i < r->nhits; i++) {
			printf("%s{\"name\":", i ? "," : "");
			out_json_string(stdout, r->hits[i]->name);
			printf(",\"score\":%.3f}", sp_rule_score(r->hits[i],
			    r->score_set));
		}
		fputs("]}\n", stdout);
		return;
	}
	printf("%s: %s %.1f/%.1f", path, r->is_spam ? "Yes" : "No", r->score,
	    r->required);
	for (i = 0; i < r->nhits; i++)
		printf("%s%s", i ? "," : " ", r->hits[i]->name);
	putchar('\n');
}

static int
spam_check_file(struct admin *a, const struct spam_settings *s,
    const char *path)
{
	struct sp_result r;
	struct buf b;
	char err[256];
	int rc;

	buf_init(&b, 0);
	if (spam_read(path, s->max_scan_size, &b) < 0) {
		admin_errx(a, "%s: %s", path, strerror(errno));
		buf_free(&b);
		return 1;
	}
	rc = sp_engine_check(s->engine, buf_str(&b), b.len, NULL, &r, err,
	    sizeof(err));
	buf_free(&b);
	if (rc < 0) {
		admin_errx(a, "%s: %s", path, err);
		return 1;
	}
	spam_print(a, path, &r);
	sp_result_clear(&r);
	return 0;
}

static int
spam_check_path(struct admin *a, const struct spam_settings *s,
    const char *path, int depth)
{
	struct dirent **ents;
	struct stat st;
	char full[4096];
	int i, n, bad = 0;

	if (stat(path, &st) < 0) {
		admin_errx(a, "%s: %s", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return spam_check_file(a, s, path);
	if (depth > 2 || (n = scandir(path, &ents, NULL, alphasort)) < 0) {
		admin_errx(a, "%s: cannot read the directory", path);
		return 1;
	}
	for (i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;

		if (nm[0] != '.' && (depth == 0 || strcmp(nm, "tmp") != 0) &&
		    snprintf(full, sizeof(full), "%s/%s", path, nm) <
		    (int)sizeof(full))
			bad |= spam_check_path(a, s, full, depth + 1);
		free(ents[i]);
	}
	free(ents);
	return bad;
}

static int
spam_check_main(struct admin *a, int argc, char **argv)
{
	struct spam_settings s;
	struct cfg_section sec;
	const char *pos[1];
	int i, rc, bad = 0, npos = 0;

	for (i = 0; i < argc; i++)
		npos += argv[i][0] != '-' || argv[i][1] == '\0';
	(void)pos;
	if (npos == 0) {
		for (i = 0; i < argc; i++)
			if (strcmp(argv[i], "-h") == 0 ||
			    strcmp(argv[i], "--help") == 0) {
				fputs(spam_usage, stdout);
				return ADMIN_OK;
			}
		return admin_usage_error(a, spam_usage, "missing FILE");
	}
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			a->json = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return admin_usage_error(a, spam_usage, "unknown "
			    "option '%s'", argv[i]);
	if ((rc = spam_admin_load(a, &s, &sec)) != ADMIN_OK)
		return rc;
	for (i = 0; i < argc; i++)
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			bad |= spam_check_path(a, &s, argv[i], 0);
	spam_admin_free(&s, &sec);
	return bad ? ADMIN_FAIL : ADMIN_OK;
}

static void
spam_stats(const struct sp_engine *e)
{
	const struct sp_ruleset *rs = sp_engine_rules(e);
	struct sp_load_stats st;
	struct sp_match_stats ms;
	size_t i;

	sp_engine_stats(e, &st);
	sp_engine_match_stats(e, &ms);
	printf("files: %zu\nrules loaded: %zu\n", st.files, st.live);
	for (i = 1; i < SP_R_NTYPES; i++)
		printf("  %-8s %zu\n", sp_rtype_name((enum sp_rtype)i),
		    st.loaded[i]);
	printf("rules skipped: %zu\n  eval: %zu\n  in false ifplugin/if: "
	    "%zu\n  unknown directives: %zu\n  malformed lines: %zu\n",
	    st.skipped, rs->nevals, rs->nplugin, rs->nunknown, rs->nerrors);
	printf("patterns: %zu hyperscan exact, %zu hyperscan prefilter + "
	    "PCRE2, %zu PCRE2 only, %zu bad regex, %zu databases\n",
	    ms.hs_exact, ms.hs_prefilter, ms.pcre_only, ms.bad_regex,
	    ms.databases);
	printf("pattern cache: %s%s\n", ms.from_cache ? "loaded" :
	    ms.cache_written ? "written" : ms.cache_error[0] ? "not written: " :
	    "off", ms.cache_error);
	printf("bayes: %s\n", sp_engine_have_bayes() ? "built in" : "off");
	printf("\nskipped:\n");
	for (i = 0; i < rs->nskipped; i++)
		printf("%s:%d: %s: %s\n", rs->skipped[i].file,
		    rs->skipped[i].line, rs->skipped[i].what,
		    rs->skipped[i].reason);
}

static int
spam_rules_main(struct admin *a, int argc, char **argv)
{
	const struct admin_opt opts[] = {{"stats", NULL, NULL}};
	struct spam_settings s;
	struct cfg_section sec;
	const struct sp_ruleset *rs;
	struct admin_opt o[1];
	int stats = 0, rc;
	size_t i, n = 0;

	(void)opts;
	o[0].name = "stats";
	o[0].val = NULL;
	o[0].flag = &stats;
	if (admin_args(a, argc, argv, o, 1, NULL, 0, 0, spam_usage, &rc) < 0)
		return rc;
	if ((rc = spam_admin_load(a, &s, &sec)) != ADMIN_OK)
		return rc;
	rs = sp_engine_rules(s.engine);
	if (stats)
		spam_stats(s.engine);
	else
		for (i = 0; i < rs->n; i++) {
			const struct sp_rule *r = &rs->v[i];

			if (r->skip != NULL)
				continue;
			if (a->json) {
				printf("%s{\"name\":", n++ ? "," : "[");
				out_json_string(stdout, r->name);
				printf(",\"type\":\"%s\",\"score\":%.3f,"
				    "\"file\":", sp_rtype_name(r->type),
				    sp_rule_score(r, 0));
				out_json_string(stdout, r->file);
				printf(",\"line\":%d,\"describe\":", r->line);
				out_json_string(stdout, r->describe ?
				    r->describe : "");
				putchar('}');
			} else
				printf("%-24s %-7s %7.3f %s\n", r->name,
				    sp_rtype_name(r->type), sp_rule_score(r, 0),
				    r->describe ? r->describe : "");
		}
	if (a->json && !stats)
		fputs(n ? "]\n" : "[]\n", stdout);
	spam_admin_free(&s, &sec);
	return ADMIN_OK;
}

int
spam_main(struct admin *a, int argc, char **argv)
{
	/* learn/forget/stats live in spam_learn.c (the Bayes side). */
	static const struct admin_verb verbs[] = {
	    {"check", spam_check_main},
	    {"rules", spam_rules_main},
	    {"learn", spam_learn_main},
	    {"forget", spam_forget_main},
	    {"stats", spam_stats_main},
	};

	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
	    spam_usage, argc, argv);
}
