/* admin/spam.c - "facteur spam check|rules" (and the dispatch for learn,
 * forget and stats, implemented in spam_learn.c): scores messages from
 * the shell with exactly the engine and [spam] configuration facteur-spam
 * uses, and lists the loaded rule set.
 *
 * SECURITY: reads the configuration, the rule files and the named
 * messages with the caller's rights; writes nothing but the compiled
 * patterns in [spam] cache_dir, when the caller may (see match.h). */
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "match.h"
#include "spam.h"

static const char spam_usage[] =
    "usage: facteur spam check [--json] FILE|DIR...\n"
    "       facteur spam rules [--stats] [--json]\n"
    "       facteur spam learn --spam|--ham [--bayes PATH] PATH...\n"
    "       facteur spam learn --spool DIR [--bayes PATH]\n"
    "       facteur spam forget [--bayes PATH] PATH...\n"
    "       facteur spam stats [--bayes PATH] [--json]\n"
    "\n"
    "check scores each message (a Maildir: the messages of cur/ and new/;\n"
    "another directory: its files; an mbox: each message) with\n"
    "facteur-spam's engine, [spam] settings and Bayes file:\n"
    "'FILE: Yes|No score/required TESTS', or one JSON object a line with\n"
    "--json. Exit 0, 1 if a file could not be scored, 2 usage.\n"
    "rules lists the live rules; --stats counts loaded and skipped ones\n"
    "and says why each was skipped.\n";

/* Loads [spam] as facteur-spam does (common milter keys included so the
 * same file is accepted), with the Bayes file every spam verb uses
 * (spam_bayes.c), and builds the engine. */
static int
spam_admin_load(struct admin *a, struct spam_settings *s,
		struct cfg_section sec[2])
{
	char err[1024];
	int rc;

	if ((rc = spam_admin_settings(a, NULL, s, sec)) != ADMIN_OK)
		return rc;
	if (spam_check(s, err, sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		spam_fini(s);
		cfg_free(sec, 2);
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

static void
spam_admin_free(struct spam_settings *s, struct cfg_section sec[2])
{
	spam_fini(s);
	cfg_free(sec, 2);
}

static void
spam_print(struct admin *a, const char *path, const struct sp_result *r)
{
	size_t i;

	if (a->json) {
		fputs("{\"file\":", stdout);
		out_json_string(stdout, path);
		printf(",\"score\":%.1f,\"required\":%.1f,\"verdict\":\"%s\","
		       "\"bayes\":%.4f,\"rules\":[",
		       r->score, r->required, r->is_spam ? "spam" : "ham",
		       r->bayes);
		for (i = 0; i < r->nhits; i++) {
			printf("%s{\"name\":", i ? "," : "");
			out_json_string(stdout, r->hits[i]->name);
			printf(",\"score\":%.3f}",
			       sp_rule_score(r->hits[i], r->score_set));
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

struct spam_checker {
	struct admin *a;
	const struct spam_settings *s;
	int bad;
};

/* One message of spam_foreach_message(), the walk "learn" uses: a
 * Maildir's cur/ and new/ only, never dovecot-uidlist, dovecot.index*,
 * maildirfolder, subscriptions or dovecot-keywords beside them. */
static int
spam_check_one(void *ctx, const char *file, const char *msg, size_t len)
{
	struct spam_checker *c = ctx;
	struct sp_result r;
	char err[256];

	if (len > c->s->max_scan_size)
		len = c->s->max_scan_size;
	if (sp_engine_check(c->s->engine, msg, len, NULL, &r, err,
			    sizeof(err)) < 0) {
		admin_errx(c->a, "%s: %s", file, err);
		c->bad = 1;
		return 0;
	}
	spam_print(c->a, file, &r);
	sp_result_clear(&r);
	return 0;
}

static int
spam_check_main(struct admin *a, int argc, char **argv)
{
	struct spam_settings s;
	struct cfg_section sec[2];
	struct spam_checker c = {a, NULL, 0};
	int i, rc, npos = 0;

	for (i = 0; i < argc; i++)
		npos += argv[i][0] != '-' || argv[i][1] == '\0';
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
			return admin_usage_error(a, spam_usage,
						 "unknown "
						 "option '%s'",
						 argv[i]);
	if ((rc = spam_admin_load(a, &s, sec)) != ADMIN_OK)
		return rc;
	c.s = &s;
	for (i = 0; i < argc; i++)
		if ((argv[i][0] != '-' || argv[i][1] == '\0') &&
		    spam_foreach_message(argv[i], spam_check_one, &c) < 0)
			c.bad = 1;
	spam_admin_free(&s, sec);
	return c.bad ? ADMIN_FAIL : ADMIN_OK;
}

/* Every rule that does not run, counted by reason, then one a line with
 * its reason (the reasons are static strings: compared by value). */
static void
spam_stats_reasons(const struct sp_ruleset *rs)
{
	const char *seen[64];
	size_t count[64], ns = 0, i, k;

	for (i = 0; i < rs->n; i++) {
		const char *w = rs->v[i].skip;

		if (w == NULL)
			continue;
		for (k = 0; k < ns && strcmp(seen[k], w) != 0; k++)
			;
		if (k == ns && ns < 64) {
			seen[ns] = w;
			count[ns++] = 0;
		}
		if (k < ns)
			count[k]++;
	}
	printf("\nskipped rules by reason:\n");
	for (k = 0; k < ns; k++)
		printf("  %5zu %s\n", count[k], seen[k]);
	printf("\nskipped rules:\n");
	for (i = 0; i < rs->n; i++)
		if (rs->v[i].skip != NULL)
			printf("%s:%d: %s: %s\n", rs->v[i].file, rs->v[i].line,
			       rs->v[i].name, rs->v[i].skip);
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
	printf("pattern cache: %s%s\n",
	       ms.from_cache	   ? "loaded"
	       : ms.cache_written  ? "written"
	       : ms.cache_error[0] ? "not written: "
				   : "off",
	       ms.cache_error);
	printf("pattern groups: %zu, %zu loaded from the cache, %zu "
	       "compiled\n",
	       ms.groups, ms.groups_loaded, ms.groups_compiled);
	printf("bayes: %s\n", sp_engine_have_bayes() ? "built in" : "off");
	spam_stats_reasons(rs);
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
	struct cfg_section sec[2];
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
	if ((rc = spam_admin_load(a, &s, sec)) != ADMIN_OK)
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
				       "\"file\":",
				       sp_rtype_name(r->type),
				       sp_rule_score(r, 0));
				out_json_string(stdout, r->file);
				printf(",\"line\":%d,\"describe\":", r->line);
				out_json_string(stdout,
						r->describe ? r->describe : "");
				putchar('}');
			} else
				printf("%-24s %-7s %7.3f %s\n", r->name,
				       sp_rtype_name(r->type),
				       sp_rule_score(r, 0),
				       r->describe ? r->describe : "");
		}
	if (a->json && !stats)
		fputs(n ? "]\n" : "[]\n", stdout);
	spam_admin_free(&s, sec);
	return ADMIN_OK;
}

int
spam_main(struct admin *a, int argc, char **argv)
{
	/* learn/forget/stats live in spam_learn.c (the Bayes side). */
	static const struct admin_verb verbs[] = {
	    {"check", spam_check_main}, {"rules", spam_rules_main},
	    {"learn", spam_learn_main}, {"forget", spam_forget_main},
	    {"stats", spam_stats_main},
	};

	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
			      spam_usage, argc, argv);
}
