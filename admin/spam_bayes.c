/* admin/spam_bayes.c - which Bayes file the spam verbs use, and
 * "facteur spam stats".
 *
 * Every spam verb (check, learn, forget, stats, learn --spool) and the
 * doctor resolve the Bayes file here, in one place, the way facteur-spam
 * reads it, so that what "learn" writes is what "check" and the milter
 * read:
 *   1. --bayes PATH, when the verb has it and it is given;
 *   2. [spam] bayes_path, when facteur.conf sets it ("" = Bayes off);
 *   3. bayes.sqlite beside the database --db names, when --db names
 *      another database than [database] path (a test, a copy);
 *   4. [spam] bayes_path's default, /var/lib/facteur/bayes.sqlite: what
 *      facteur-spam reads when the file does not set it, beside the
 *      default database.
 * Before, "learn" wrote beside --db / [database] path while "check" and
 * the milter read [spam] bayes_path: a bayes_path set in facteur.conf was
 * never trained by "learn".
 *
 * SECURITY: reads facteur.conf and opens the Bayes file read-only. */
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bayes.h"
#include "buf.h"
#include "cfg.h"
#include "spam.h"

/* [spam] bayes_path's default, from the milter's own key table. */
static const char *
spam_bayes_default(void)
{
	size_t i;

	for (i = 0; i < spam_nkeys; i++)
		if (strcmp(spam_keys[i].name, "bayes_path") == 0)
			return spam_keys[i].def;
	return "/var/lib/facteur/bayes.sqlite";
}

int
spam_admin_settings(struct admin *a, const char *opt, struct spam_settings *s,
		    struct cfg_section *sec)
{
	static struct cfg_key keys[MLT_SETTINGS_NKEYS + 64];
	static struct cfg_database dbcfg;
	struct buf path;
	size_t nk, i;
	char err[1024];

	memset(s, 0, sizeof(*s));
	memset(&dbcfg, 0, sizeof(dbcfg));
	if (spam_nkeys > sizeof(keys) / sizeof(keys[0]) - MLT_SETTINGS_NKEYS) {
		admin_errx(a, "[spam]: %zu keys, room for %zu", spam_nkeys,
			   sizeof(keys) / sizeof(keys[0]) - MLT_SETTINGS_NKEYS);
		return ADMIN_FAIL;
	}
	nk = mlt_settings_keys(keys, offsetof(struct spam_settings, common));
	memcpy(keys + nk, spam_keys, spam_nkeys * sizeof(spam_keys[0]));
	/* no default: NULL after the load says the file did not set it */
	for (i = nk; i < nk + spam_nkeys; i++)
		if (strcmp(keys[i].name, "bayes_path") == 0)
			keys[i].def = NULL;
	sec[0] = (struct cfg_section){"spam", keys, nk + spam_nkeys, s};
	sec[1] = (struct cfg_section){"database", cfg_database_keys,
				      cfg_database_nkeys, &dbcfg};
	if (cfg_load(a->config_path, sec, 2, !a->config_given, err,
		     sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		cfg_free(sec, 2);
		return ADMIN_FAIL;
	}
	buf_init(&path, 4096);
	if (spam_bayes_choose(opt, s->bayes_path, a->db_path, dbcfg.path,
			      spam_bayes_default(), &path) < 0) {
		buf_free(&path);
		cfg_free(sec, 2);
		admin_errx(a, "bayes path too long");
		return ADMIN_FAIL;
	}
	free(s->bayes_path);
	s->bayes_path = buf_steal(&path);
	if (s->bayes_path == NULL) {
		cfg_free(sec, 2);
		admin_errx(a, "out of memory");
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

int
spam_bayes_file(struct admin *a, const char *opt, struct buf *out)
{
	struct spam_settings s;
	struct cfg_section sec[2];
	int rc;

	if ((rc = spam_admin_settings(a, opt, &s, sec)) != ADMIN_OK)
		return rc;
	buf_reset(out);
	rc = buf_adds(out, s.bayes_path) < 0 ? ADMIN_FAIL : ADMIN_OK;
	cfg_free(sec, 2);
	if (rc != ADMIN_OK)
		admin_errx(a, "bayes path too long");
	else if (out->len == 0) {
		admin_errx(a, "Bayes is off ([spam] bayes_path is empty)");
		rc = ADMIN_FAIL;
	}
	return rc;
}

int
spam_bayes_info(struct admin *a, struct spam_bayes_info *info)
{
	struct bayes *b = NULL;
	struct bayes_stats st;
	struct buf path;
	char err[512];
	int rc;

	memset(info, 0, sizeof(*info));
	buf_init(&path, sizeof(info->path));
	if ((rc = spam_bayes_file(a, NULL, &path)) != ADMIN_OK) {
		buf_free(&path);
		return rc;
	}
	snprintf(info->path, sizeof(info->path), "%s", buf_str(&path));
	buf_free(&path);
	/* never learned: no file yet, nothing counted (not an error) */
	if (!bayes_exists(info->path))
		return ADMIN_OK;
	if (bayes_open(info->path, 0, &b, err, sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		return ADMIN_FAIL;
	}
	rc = bayes_stats(b, &st);
	bayes_close(&b);
	if (rc < 0) {
		admin_errx(a, "%s: cannot read the statistics", info->path);
		return ADMIN_FAIL;
	}
	info->nspam = st.nspam;
	info->nham = st.nham;
	info->ntokens = st.ntokens;
	info->last_learn = st.last_learn;
	return ADMIN_OK;
}

/* "2026-12-07 05:40:12 UTC" or "never". */
static void
spam_fmt_time(long long t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, outlen, "never");
}

static const char spam_stats_usage[] =
    "usage: facteur spam stats [--bayes PATH] [--json]\n"
    "\n"
    "The Bayes file (see facteur(1)), the messages learned per class,\n"
    "the tokens and the time of the last learn.\n";

int
spam_stats_main(struct admin *a, int argc, char **argv)
{
	const char *bayes = NULL;
	const struct admin_opt opts[] = {{"bayes", &bayes, NULL}};
	struct bayes *b = NULL;
	struct bayes_stats st;
	struct buf path;
	char when[64], err[512];
	int rc;

	if (admin_args(a, argc, argv, opts, 1, NULL, 0, 0, spam_stats_usage,
		       &rc) < 0)
		return rc;
	buf_init(&path, 4096);
	if ((rc = spam_bayes_file(a, bayes, &path)) != ADMIN_OK) {
		buf_free(&path);
		return rc;
	}
	memset(&st, 0, sizeof(st));
	if (!bayes_exists(buf_str(&path)))
		; /* nothing learned yet: all counts 0 */
	else if (bayes_open(buf_str(&path), 0, &b, err, sizeof(err)) < 0 ||
		 bayes_stats(b, &st) < 0) {
		admin_errx(a, "%s",
			   b == NULL ? err
				     : "bayes: cannot read the "
				       "statistics");
		bayes_close(&b);
		buf_free(&path);
		return ADMIN_FAIL;
	}
	bayes_close(&b);
	spam_fmt_time(st.last_learn, when, sizeof(when));
	if (a->json) {
		fputs("{\"bayes\": ", stdout);
		out_json_string(stdout, buf_str(&path));
		printf(", \"spam\": %lld, \"ham\": %lld, \"tokens\": %lld, "
		       "\"last_learn\": %lld}\n",
		       st.nspam, st.nham, st.ntokens, st.last_learn);
	} else
		printf("bayes       %s\nspam        %lld\nham         %lld\n"
		       "tokens      %lld\nlast learn  %s\n",
		       buf_str(&path), st.nspam, st.nham, st.ntokens, when);
	buf_free(&path);
	return ADMIN_OK;
}
