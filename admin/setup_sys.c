/* admin/setup_sys.c - the accounts and directories of `facteur setup
 * --apply` (the database and the DKIM key: setup_db.c).
 *
 * Accounts go through groupadd/useradd/usermod (--prefix ROOT under
 * --root), never by editing /etc/passwd: facteur (the daemons, group
 * facteur reads the database), facteur-dkim ([dkim] user when
 * facteur-dkim runs on its own: a network-facing parser without the
 * queue owner's rights; the keys stay root's), vmail 3000:3000 (the
 * Maildirs). dovecot and vmail join group facteur to read the
 * database. The shadow tools' own backups (/etc/passwd- ...) are saved
 * first, so --undo puts them back too. */
#include "setup.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

struct sys_group {
	const char *name;
	const char *gid; /* NULL: a system group */
};

struct sys_user {
	const char *name, *uid, *group, *home;
};

static const struct sys_group sys_groups[] = {
    {"facteur", NULL}, {"facteur-dkim", NULL}, {"vmail", "3000"}};
static const struct sys_user sys_users[] = {
    {"facteur", NULL, "facteur", "/var/lib/facteur"},
    {"facteur-dkim", NULL, "facteur-dkim", "/nonexistent"},
    {"vmail", "3000", "vmail", "/var/mail/utilisateurs"}};
/* user, group: only when the user exists */
static const char *const sys_members[][2] = {
    {"facteur-dkim", "facteur"}, {"vmail", "facteur"}, {"dovecot", "facteur"}};

struct sys_dir {
	const char *rel;
	mode_t mode;
	const char *owner, *group;
};

static const struct sys_dir sys_dirs[] = {
    {"etc/facteur", 0755, "root", "root"},
    {"etc/facteur/dkim", 0700, "root", "root"}, /* keys: setup_db.c */
    {"var/lib/facteur", 02770, "root", "facteur"},
    {"var/cache/facteur", 0755, "facteur", "facteur"}, /* as tmpfiles.d */
    {"var/spool/postfix/facteur", 0750, "root", "postfix"},
    {"var/mail/utilisateurs", 0750, "vmail", "vmail"},
};

/* Runs a shadow tool, with --prefix ROOT under --root. */
int
setup_tool(struct setup *s, const char *const *args)
{
	char *argv[16];
	struct buf out;
	size_t n = 0, i;
	int rc;

	argv[n++] = (char *)args[0];
	if (setup_prefix(s)[0] != '\0') {
		argv[n++] = "--prefix";
		argv[n++] = (char *)setup_prefix(s);
	}
	for (i = 1; args[i] != NULL && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	buf_init(&out, 1 << 16);
	rc = setup_run(argv, &out);
	if (rc != 0)
		admin_errx(s->a, "%s %s: %s", args[0], argv[n - 1],
			   out.len ? buf_str(&out) : "failed");
	buf_free(&out);
	return rc == 0 ? 0 : -1;
}

/* Saves /etc/passwd- and the other shadow backups before the first
 * account change. Debian 13's useradd also writes /etc/subuid- and
 * /etc/subgid- (subordinate ids for the non-system vmail). */
static int
sys_save_shadow_backups(struct setup *s)
{
	static const char *const f[] = {"etc/passwd-", "etc/group-",
					"etc/shadow-", "etc/gshadow-",
					"etc/subuid-", "etc/subgid-"};
	char path[SETUP_PATH];
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		setup_abs(s, f[i], path, sizeof(path));
		if (access(path, F_OK) == 0
			? setup_backup(s, f[i]) < 0
			: setup_log(s, "created %s", f[i]) < 0)
			return -1;
	}
	return 0;
}

static int
sys_group(struct setup *s, const struct sys_group *g, int do_it)
{
	const char *sys[] = {"groupadd", "--system", g->name, NULL};
	const char *fix[] = {"groupadd", "--gid", g->gid, g->name, NULL};

	if (setup_gid(s, g->name) >= 0)
		return 0;
	if (!do_it) {
		printf("+ group %s%s%s\n", g->name,
		       g->gid ? " gid " : " (system)", g->gid ? g->gid : "");
		s->nchanges++;
		return 0;
	}
	if (setup_log(s, "group %s", g->name) < 0)
		return -1;
	return setup_tool(s, g->gid ? fix : sys);
}

static int
sys_user(struct setup *s, const struct sys_user *u, int do_it)
{
	const char *sys[] = {"useradd",
			     "--system",
			     "--gid",
			     u->group,
			     "--home-dir",
			     u->home,
			     "--no-create-home",
			     "--shell",
			     "/usr/sbin/nologin",
			     u->name,
			     NULL};
	const char *fix[] = {"useradd", "--uid",
			     u->uid,	"--gid",
			     u->group,	"--home-dir",
			     u->home,	"--no-create-home",
			     "--shell", "/usr/sbin/nologin",
			     u->name,	NULL};

	if (setup_uid(s, u->name) >= 0)
		return 0;
	if (!do_it) {
		printf("+ user %s (%s, group %s, home %s)\n", u->name,
		       u->uid ? u->uid : "system", u->group, u->home);
		s->nchanges++;
		return 0;
	}
	if (setup_log(s, "user %s", u->name) < 0)
		return -1;
	return setup_tool(s, u->uid ? fix : sys);
}

static int
sys_member(struct setup *s, const char *user, const char *group, int do_it)
{
	const char *add[] = {"usermod", "--append", "--groups",
			     group,	user,	    NULL};

	if (setup_member(s, user, group))
		return 0;
	if (!do_it) {
		if (setup_uid(s, user) >= 0 || strcmp(user, "dovecot") != 0) {
			printf("+ %s joins group %s\n", user, group);
			s->nchanges++;
		}
		return 0;
	}
	if (setup_uid(s, user) < 0)
		return 0; /* no Dovecot */
	if (setup_log(s, "member %s %s", user, group) < 0)
		return -1;
	return setup_tool(s, add);
}

/* Would any account change? (then the shadow backups are saved first) */
static int
sys_accounts_change(struct setup *s)
{
	size_t i;

	for (i = 0; i < sizeof(sys_groups) / sizeof(*sys_groups); i++)
		if (setup_gid(s, sys_groups[i].name) < 0)
			return 1;
	for (i = 0; i < sizeof(sys_users) / sizeof(*sys_users); i++)
		if (setup_uid(s, sys_users[i].name) < 0)
			return 1;
	for (i = 0; i < sizeof(sys_members) / sizeof(*sys_members); i++)
		if (!setup_member(s, sys_members[i][0], sys_members[i][1]) &&
		    setup_uid(s, sys_members[i][0]) >= 0)
			return 1;
	return 0;
}

int
setup_accounts_step(struct setup *s, int do_it)
{
	size_t i;

	if (do_it && sys_accounts_change(s) && sys_save_shadow_backups(s) < 0)
		return -1;
	for (i = 0; i < sizeof(sys_groups) / sizeof(*sys_groups); i++)
		if (sys_group(s, &sys_groups[i], do_it) < 0)
			return -1;
	for (i = 0; i < sizeof(sys_users) / sizeof(*sys_users); i++)
		if (sys_user(s, &sys_users[i], do_it) < 0)
			return -1;
	for (i = 0; i < sizeof(sys_members) / sizeof(*sys_members); i++)
		if (sys_member(s, sys_members[i][0], sys_members[i][1], do_it) <
		    0)
			return -1;
	return 0;
}

/* The owner a directory or file should have: ids from the root's files
 * (a name missing at plan time is created before this runs). */
static void
sys_ids(struct setup *s, const char *owner, const char *group, long *uid,
	long *gid)
{
	*uid = strcmp(owner, "root") == 0 ? 0 : setup_uid(s, owner);
	*gid = strcmp(group, "root") == 0 ? 0 : setup_gid(s, group);
}

/* One path with a wanted mode and owner: created, or its mode and owner
 * fixed (the old ones logged for --undo). dir: mkdir when absent. */
static int
sys_path(struct setup *s, const char *rel, mode_t mode, const char *owner,
	 const char *group, int dir, int do_it)
{
	char path[SETUP_PATH];
	struct stat st;
	long uid, gid;
	int exists;

	setup_abs(s, rel, path, sizeof(path));
	sys_ids(s, owner, group, &uid, &gid);
	exists = lstat(path, &st) == 0;
	if (!exists && !dir)
		return 0;
	if (exists && (st.st_mode & 07777) == mode && uid >= 0 && gid >= 0 &&
	    st.st_uid == (uid_t)uid && st.st_gid == (gid_t)gid)
		return 0;
	if (!do_it) {
		if (exists)
			printf("~ %s: %04o -> %04o %s:%s\n", path,
			       (unsigned)(st.st_mode & 07777), (unsigned)mode,
			       owner, group);
		else
			printf("+ directory %s %04o %s:%s\n", path,
			       (unsigned)mode, owner, group);
		s->nchanges++;
		return 0;
	}
	if (exists) {
		if (setup_log(s, "perm %s %o %ld %ld", rel,
			      (unsigned)(st.st_mode & 07777), (long)st.st_uid,
			      (long)st.st_gid) < 0)
			return -1;
	} else {
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			admin_errx(s->a, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (setup_log(s, "mkdir %s", rel) < 0)
			return -1;
	}
	if (chown(path, (uid_t)(uid < 0 ? 0 : uid),
		  (gid_t)(gid < 0 ? 0 : gid)) < 0 ||
	    chmod(path, mode) < 0) {
		admin_errx(s->a, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Is rel one of sys_dirs (made with its own mode, not as a parent)? */
static int
sys_listed(const char *rel)
{
	size_t i;

	for (i = 0; i < sizeof(sys_dirs) / sizeof(*sys_dirs); i++)
		if (strcmp(sys_dirs[i].rel, rel) == 0)
			return 1;
	return 0;
}

/* Missing parents of rel (not rel), created 0755 and logged. */
static int
sys_parents(struct setup *s, const char *rel, int do_it)
{
	char dir[SETUP_PATH], abs[SETUP_PATH];
	char *p;

	snprintf(dir, sizeof(dir), "%s", rel);
	for (p = strchr(dir, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		setup_abs(s, dir, abs, sizeof(abs));
		if (access(abs, F_OK) != 0 && !sys_listed(dir) &&
		    sys_path(s, dir, 0755, "root", "root", 1, do_it) < 0)
			return -1;
		*p = '/';
	}
	return 0;
}

int
setup_dirs_step(struct setup *s, int do_it)
{
	const struct sys_dir *d;
	size_t i;

	for (i = 0; i < sizeof(sys_dirs) / sizeof(*sys_dirs); i++) {
		d = &sys_dirs[i];
		if (sys_parents(s, d->rel, do_it) < 0 ||
		    sys_path(s, d->rel, d->mode, d->owner, d->group, 1, do_it) <
			0)
			return -1;
	}
	/* bayes.sqlite was created 0644 by facteur spam learn */
	return sys_path(s, "var/lib/facteur/bayes.sqlite", 0640, "facteur",
			"facteur", 0, do_it);
}
