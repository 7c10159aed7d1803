/* admin/doctor_perm.c - facteur doctor's checks of files against the
 * user each daemon runs as ([section] user and group of facteur.conf):
 *   - each active DKIM key of the database, for each daemon that signs
 *     (facteur-dkim, or facteur-milter with the dkim module) and is in
 *     use: mode 0600 and owned by root or that user, the rule facteur-dkim
 *     applies when it loads a key (dk_crypto.c);
 *   - the database, for each daemon that opens it (facteur-lookup,
 *     facteur-lmtp, facteur-blacklist, facteur-milter): readable by its
 *     user, its groups or the configured group, through every directory;
 *   - the Bayes store of facteur-spam: a class under 200 messages, or
 *     nothing learned for 30 days, is a warning (spam_bayes_info).
 * "In use" is a daemon whose milter socket Postfix names when doctor
 * read Postfix's configuration, else any section facteur.conf has.
 *
 * SECURITY: stat(2) and getpwnam/getgrouplist only; opens nothing but
 * the database (read-only, through the store) and the Bayes file. */
#include "admin.h"
#include "doctor.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define DOC_MAX_GROUPS 64
#define DOC_BAYES_MIN 200
#define DOC_BAYES_DAYS 30

/* Who a daemon runs as. root: no user set (it stays root). */
struct doc_who {
	int root;
	uid_t uid;
	gid_t gids[DOC_MAX_GROUPS];
	int ngids;
	char name[64];
};

/* Resolves [section] user/group. -1 with why when the user or group
 * does not exist. */
static int
doc_who(const struct doc_sec *s, struct doc_who *w, char *why, size_t wlen)
{
	const struct passwd *pw;
	const struct group *gr;
	char *end;
	unsigned long n;

	memset(w, 0, sizeof(*w));
	if (s->user == NULL || s->user[0] == '\0') {
		w->root = 1;
		snprintf(w->name, sizeof(w->name), "root");
		return 0;
	}
	snprintf(w->name, sizeof(w->name), "%s", s->user);
	if ((pw = getpwnam(s->user)) != NULL) {
		w->uid = pw->pw_uid;
		w->ngids = DOC_MAX_GROUPS - 1;
		if (getgrouplist(pw->pw_name, pw->pw_gid, w->gids, &w->ngids) <
		    0)
			w->ngids = DOC_MAX_GROUPS - 1;
	} else {
		n = strtoul(s->user, &end, 10);
		if (*end != '\0' || end == s->user) {
			snprintf(why, wlen,
				 "user '%s' does not exist: create "
				 "it ('facteur setup --apply' does)",
				 s->user);
			return -1;
		}
		w->uid = (uid_t)n;
		w->gids[w->ngids++] = (gid_t)n;
	}
	if (s->group != NULL && s->group[0] != '\0') {
		if ((gr = getgrnam(s->group)) != NULL)
			w->gids[w->ngids++] = gr->gr_gid;
		else if ((n = strtoul(s->group, &end, 10)), *end == '\0')
			w->gids[w->ngids++] = (gid_t)n;
		else {
			snprintf(why, wlen, "group '%s' does not exist",
				 s->group);
			return -1;
		}
	}
	w->root = w->uid == 0;
	return 0;
}

/* May w do want (4 read, 2 write, 1 search) on st? */
static int
doc_may(const struct doc_who *w, const struct stat *st, unsigned want)
{
	int i;

	if (w->root)
		return 1;
	if (st->st_uid == w->uid)
		return ((st->st_mode >> 6) & want) == want;
	for (i = 0; i < w->ngids; i++)
		if (st->st_gid == w->gids[i])
			return ((st->st_mode >> 3) & want) == want;
	return (st->st_mode & want) == want;
}

/* Can w read path, searching every directory above it? 0, or -1 with
 * the first place it stops into why. */
static int
doc_can_read(const struct doc_who *w, const char *path, char *why, size_t wlen)
{
	char dir[4096];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (stat(dir, &st) == 0 && !doc_may(w, &st, 1)) {
			snprintf(why, wlen,
				 "cannot enter %.300s (mode %04o, "
				 "%u:%u)",
				 dir, (unsigned)(st.st_mode & 07777),
				 (unsigned)st.st_uid, (unsigned)st.st_gid);
			return -1;
		}
		*slash = '/';
	}
	if (stat(path, &st) != 0)
		return 0; /* reported elsewhere */
	if (!doc_may(w, &st, 4)) {
		snprintf(why, wlen, "cannot read %.300s (mode %04o, %u:%u)",
			 path, (unsigned)(st.st_mode & 07777),
			 (unsigned)st.st_uid, (unsigned)st.st_gid);
		return -1;
	}
	return 0;
}

/* Is the daemon of section i in use? */
static int
doc_in_use(const struct doctor *d, enum doc_sect i)
{
	if (!d->secs[i].present)
		return 0;
	if (doc_progs[i].kind != DOC_MILTER || !d->postfix_read)
		return 1;
	return (d->milters_used & (1u << i)) != 0;
}

/* Does facteur-milter run module m ([milter] modules, default all)? */
static int
doc_chain_has(const struct doctor *d, const char *m)
{
	const char *l = d->secs[DOC_S_MILTER].modules;
	const char *p;
	size_t n = strlen(m);

	if (l == NULL)
		return 1;
	for (p = l; (p = strcasestr(p, m)) != NULL; p += n)
		if ((p == l || strchr(", \t", p[-1])) &&
		    (p[n] == '\0' || strchr(", \t", p[n])))
			return 1;
	return 0;
}

struct doc_keys {
	struct doctor *d;
	enum doc_sect sect;
	struct doc_who who;
	size_t n;
};

static int
doc_key_one(void *ctx, const struct store_dkim_key *k)
{
	struct doc_keys *dk = ctx;
	struct doctor *d = dk->d;
	const char *sec = doc_progs[dk->sect].section;
	char check[300];
	struct stat st;

	if (d->domain != NULL && strcasecmp(k->domain, d->domain) != 0)
		return 0;
	dk->n++;
	snprintf(check, sizeof(check), "[%s] key %s._domainkey.%s", sec,
		 k->selector, k->domain);
	if (lstat(k->key_path, &st) != 0 || !S_ISREG(st.st_mode))
		doc_report(d, DOC_FAIL, check,
			   "%s: missing or not a regular "
			   "file: %s refuses to start; 'facteur dkim del' or "
			   "keygen again",
			   k->key_path, doc_progs[dk->sect].prog);
	else if ((st.st_mode & 077) != 0)
		doc_report(d, DOC_FAIL, check,
			   "%s: mode %04o: %s refuses a "
			   "key others can read: chmod 600 %s",
			   k->key_path, (unsigned)(st.st_mode & 07777),
			   doc_progs[dk->sect].prog, k->key_path);
	else if (st.st_uid != 0 && (dk->who.root || st.st_uid != dk->who.uid))
		doc_report(d, DOC_FAIL, check,
			   "%s: owned by uid %u, not root "
			   "or %s ([%s] user): %s refuses it: chown %s %s",
			   k->key_path, (unsigned)st.st_uid, dk->who.name, sec,
			   doc_progs[dk->sect].prog,
			   dk->who.root ? "root" : dk->who.name, k->key_path);
	else
		doc_report(d, DOC_OK, check,
			   "%s: 0600, owner uid %u, fit for "
			   "%s",
			   k->key_path, (unsigned)st.st_uid, dk->who.name);
	return 0;
}

static void
doc_keys(struct doctor *d, enum doc_sect sect)
{
	struct store_errbuf err = {{0}};
	struct doc_keys dk;
	char why[512], check[64];

	memset(&dk, 0, sizeof(dk));
	dk.d = d;
	dk.sect = sect;
	snprintf(check, sizeof(check), "[%s] user", doc_progs[sect].section);
	if (doc_who(&d->secs[sect], &dk.who, why, sizeof(why)) < 0) {
		doc_report(d, DOC_FAIL, check, "%s", why);
		return;
	}
	if (store_dkim_each(d->a->store, NULL, 1, doc_key_one, &dk, &err) != 0)
		doc_report(d, DOC_FAIL, "dkim keys", "cannot list: %s",
			   err.msg);
}

static void
doc_db_access(struct doctor *d, enum doc_sect sect)
{
	char why[600], check[64];
	struct doc_who w;

	snprintf(check, sizeof(check), "[%s] database",
		 doc_progs[sect].section);
	if (doc_who(&d->secs[sect], &w, why, sizeof(why)) < 0)
		doc_report(d, DOC_FAIL, check, "[%s] %s",
			   doc_progs[sect].section, why);
	else if (doc_can_read(&w, d->a->db_path, why, sizeof(why)) < 0)
		doc_report(
		    d, DOC_FAIL, check,
		    "%s runs as %s and %s: give "
		    "that user the database's group (facteur) or change [%s] "
		    "user",
		    doc_progs[sect].prog, w.name, why, doc_progs[sect].section);
	else
		doc_report(d, DOC_OK, check, "%s (as %s) can read %s",
			   doc_progs[sect].prog, w.name, d->a->db_path);
}

static void
doc_bayes(struct doctor *d)
{
	struct spam_bayes_info bi;
	long long days;

	if (spam_bayes_info(d->a, &bi) != ADMIN_OK) {
		doc_report(
		    d, DOC_WARN, "bayes",
		    "cannot read the Bayes "
		    "store (why is on standard error): facteur-spam scores "
		    "without Bayes until it learns");
		return;
	}
	days = bi.last_learn > 0
		   ? ((long long)time(NULL) - bi.last_learn) / 86400
		   : -1;
	if (bi.nspam < DOC_BAYES_MIN || bi.nham < DOC_BAYES_MIN)
		doc_report(
		    d, DOC_WARN, "bayes",
		    "%s: %lld spam and %lld ham "
		    "learned; Bayes needs %d of each: 'facteur spam learn "
		    "--spam|--ham PATH'",
		    bi.path, bi.nspam, bi.nham, DOC_BAYES_MIN);
	else if (days < 0 || days >= DOC_BAYES_DAYS)
		doc_report(
		    d, DOC_WARN, "bayes",
		    "%s: nothing learned in the "
		    "last %d days: feed it recent spam and ham ('facteur "
		    "spam learn')",
		    bi.path, DOC_BAYES_DAYS);
	else
		doc_report(d, DOC_OK, "bayes",
			   "%s: %lld spam, %lld ham, last "
			   "learn %lld day(s) ago",
			   bi.path, bi.nspam, bi.nham, days);
}

void
doctor_perm(struct doctor *d)
{
	static const enum doc_sect readers[] = {DOC_S_LOOKUP, DOC_S_LMTP,
						DOC_S_BLACKLIST, DOC_S_MILTER};
	size_t i;

	if (d->a->store != NULL) {
		if (doc_in_use(d, DOC_S_DKIM))
			doc_keys(d, DOC_S_DKIM);
		if (doc_in_use(d, DOC_S_MILTER) && doc_chain_has(d, "dkim"))
			doc_keys(d, DOC_S_MILTER);
		/* a PostgreSQL URL has no file mode to check */
		for (i = 0; i < sizeof(readers) / sizeof(readers[0]) &&
			    !store_is_url(d->a->db_path);
		     i++)
			if (doc_in_use(d, readers[i]))
				doc_db_access(d, readers[i]);
	}
	if (doc_in_use(d, DOC_S_SPAM) ||
	    (doc_in_use(d, DOC_S_MILTER) && doc_chain_has(d, "spam")))
		doc_bayes(d);
}
