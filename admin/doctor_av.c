/* admin/doctor_av.c - facteur doctor's antivirus checks: when facteur.conf
 * sets a key of [av] or [milter] modules names av, clamd must answer
 * zPING at [av] clamd_socket, and the signature database clamd reports
 * (zVERSION's date) must not be older than [av] max_signature_age:
 * freshclam is not running or cannot reach its mirror otherwise.
 *
 * SECURITY: read-only: reads facteur.conf and asks clamd PING and
 * VERSION; never sends it mail. */
#include "admin.h"
#include "doctor.h"

#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "av.h"
#include "cfg.h"

#define DOC_AV_TIMEOUT_MS 5000

static int
doc_av_ini(void *user, const char *section, const char *name, const char *value)
{
	int *present = user;

	(void)value;
	if (strcmp(section, "av") == 0 && name != NULL && *name != '\0')
		*present = 1;
	return 1;
}

/* 1 if the file sets a key of [av] (the shipped template has the section
 * with every key commented out: not in use) or facteur-milter's modules
 * list has av. */
static int
doc_av_wanted(struct doctor *d)
{
	const char *m = d->secs[DOC_S_MILTER].modules, *p;
	int present = 0;
	FILE *f;

	if (d->a->config_path && (f = fopen(d->a->config_path, "r")) != NULL) {
		(void)ini_parse_file(f, doc_av_ini, &present);
		fclose(f);
	}
	for (p = m; p != NULL && !present && *p != '\0';
	     p += strcspn(p, ", \t")) {
		p += strspn(p, ", \t");
		if (strncasecmp(p, "av", 2) == 0 && strchr(", \t", p[2]))
			present = 1;
	}
	return present;
}

static void
doc_av_signatures(struct doctor *d, const struct av_settings *s,
		  const struct av_version *v)
{
	long long age, max_days = s->max_signature_age / 86400000;

	if (v->dbtime == 0) {
		doc_report(
		    d, DOC_WARN, "[av] signatures",
		    "clamd %s reports "
		    "no signature database date (a private database?): run "
		    "freshclam, or check clamav-freshclam",
		    v->version);
		return;
	}
	age = ((long long)time(NULL) - (long long)v->dbtime) / 86400;
	if (age > max_days) {
		doc_report(
		    d, DOC_FAIL, "[av] signatures",
		    "clamd's daily "
		    "database %ld is %lld day(s) old (max_signature_age %lld): "
		    "run freshclam and check that clamav-freshclam runs and "
		    "reaches its mirror",
		    v->dbver, age, max_days);
		return;
	}
	doc_report(d, DOC_OK, "[av] signatures",
		   "clamd %s, daily database "
		   "%ld, %lld day(s) old",
		   v->version, v->dbver, age < 0 ? 0 : age);
}

void
doctor_av(struct doctor *d)
{
	static struct cfg_key keys[MLT_SETTINGS_NKEYS + 16];
	struct av_settings s;
	struct cfg_section sec;
	struct av_version v;
	char err[1024];
	size_t nk;

	if (!doc_av_wanted(d))
		return;
	memset(&s, 0, sizeof(s));
	nk = mlt_settings_keys(keys, offsetof(struct av_settings, common));
	memcpy(keys + nk, av_keys, av_nkeys * sizeof(av_keys[0]));
	sec = (struct cfg_section){"av", keys, nk + av_nkeys, &s};
	if (cfg_load(d->a->config_path, &sec, 1, 1, err, sizeof(err)) < 0 ||
	    av_check(&s, err, sizeof(err)) < 0) {
		doc_report(d, DOC_FAIL, "[av]", "%s", err);
		cfg_free(&sec, 1);
		return;
	}
	if (av_clamd_version(&s.addr, DOC_AV_TIMEOUT_MS, &v, err,
			     sizeof(err)) != 0) {
		doc_report(d, DOC_FAIL, "[av] clamd_socket",
			   "%s: %s (is "
			   "clamav-daemon running? mail is answered per [av] "
			   "on_error meanwhile)",
			   s.clamd_socket, err);
		cfg_free(&sec, 1);
		return;
	}
	doc_report(d, DOC_OK, "[av] clamd_socket", "clamd answers PING at %s",
		   s.clamd_socket);
	doc_av_signatures(d, &s, &v);
	cfg_free(&sec, 1);
}
