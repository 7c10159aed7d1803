/* lib/privdrop.c - dropping root after the socket is bound; see privdrop.h.
 *
 * SECURITY: called as root at startup. The order matters: supplementary
 * groups first, then the gid, then the uid (after setresuid we could no
 * longer change groups). Afterwards we check that root cannot be regained,
 * so a kernel or libc surprise is fatal instead of silent. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct priv_id {
	uid_t uid;
	gid_t gid;     /* the group to run as */
	gid_t primary; /* the user's primary group (passwd), or gid */
	int named;     /* a passwd entry exists: name is its pw_name */
	char name[256];
};

/* getpwnam_r/getgrnam_r scratch size: sysconf hint, at least 16 KiB. */
static size_t
priv_bufsize(int name)
{
	long n = sysconf(name);

	return n > 16384 ? (size_t)n : 16384;
}

/* "3000": a numeric id (at most 2^32 - 2); 0 for anything else. */
static int
priv_numeric(const char *s, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return *end == '\0' && errno == 0 && *v < 0xffffffffUL;
}

/* The user by name, else by a numeric uid (its passwd entry if there is
 * one: id->named then says initgroups can be used). */
static int
priv_user(const char *user, struct priv_id *id, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	size_t n = priv_bufsize(_SC_GETPW_R_SIZE_MAX);
	unsigned long num;
	char *scratch;
	int e, numeric = priv_numeric(user, &num);

	if ((scratch = malloc(n)) == NULL) {
		snprintf(err, errlen, "user %s: out of memory", user);
		return -1;
	}
	e = getpwnam_r(user, &pw, scratch, n, &res);
	if (res == NULL && numeric)
		e = getpwuid_r((uid_t)num, &pw, scratch, n, &res);
	if (res == NULL && numeric) { /* a uid with no passwd entry */
		id->uid = (uid_t)num;
		id->primary = (gid_t)num;
		id->named = 0;
	} else if (res == NULL) {
		if (e != 0)
			snprintf(err, errlen, "user %s: %s", user, strerror(e));
		else
			snprintf(err, errlen, "unknown user %s", user);
		free(scratch);
		return -1;
	} else {
		id->uid = pw.pw_uid;
		id->primary = pw.pw_gid;
		id->named = strlen(pw.pw_name) < sizeof(id->name);
		if (id->named)
			memcpy(id->name, pw.pw_name, strlen(pw.pw_name) + 1);
	}
	id->gid = id->primary;
	free(scratch);
	return 0;
}

static int
priv_group(const char *group, gid_t *gid, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	size_t n = priv_bufsize(_SC_GETGR_R_SIZE_MAX);
	unsigned long num;
	char *scratch;
	int e;

	if ((scratch = malloc(n)) == NULL) {
		snprintf(err, errlen, "group %s: out of memory", group);
		return -1;
	}
	e = getgrnam_r(group, &gr, scratch, n, &res);
	free(scratch);
	if (res != NULL) {
		*gid = gr.gr_gid;
		return 0;
	}
	if (priv_numeric(group, &num)) {
		*gid = (gid_t)num;
		return 0;
	}
	if (e != 0)
		snprintf(err, errlen, "group %s: %s", group, strerror(e));
	else
		snprintf(err, errlen, "unknown group %s", group);
	return -1;
}

static int
priv_resolve(const char *user, const char *group, struct priv_id *id, char *err,
	     size_t errlen)
{
	memset(id, 0, sizeof(*id));
	if (user == NULL || *user == '\0') {
		snprintf(err, errlen, "no user given");
		return -1;
	}
	if (priv_user(user, id, err, errlen) != 0)
		return -1;
	if (group != NULL && *group != '\0' &&
	    priv_group(group, &id->gid, err, errlen) != 0)
		return -1;
	return 0;
}

int
priv_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid,
	    char *err, size_t errlen)
{
	struct priv_id id;

	if (priv_resolve(user, group, &id, err, errlen) != 0)
		return -1;
	*uid = id.uid;
	*gid = id.gid;
	return 0;
}

/* After the switch: no real, effective or saved id may be root, and
 * setuid(0) / setgid(0) must fail. */
/* A supplementary group 0 would hand back root's files: refuse it. */
static int
priv_check_groups(char *err, size_t errlen)
{
	gid_t groups[256];
	int i, n;

	if ((n = getgroups(256, groups)) < 0) {
		snprintf(err, errlen, "getgroups: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++)
		if (groups[i] == 0) {
			snprintf(err, errlen,
				 "the user is in group root (gid 0): refusing");
			return -1;
		}
	return 0;
}

static int
priv_verify(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0) {
		snprintf(err, errlen, "getresuid: %s", strerror(errno));
		return -1;
	}
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid) {
		snprintf(err, errlen, "ids did not change as asked");
		return -1;
	}
	if (uid != 0 && setuid(0) != -1) {
		snprintf(err, errlen, "root uid could be regained");
		return -1;
	}
	if (gid != 0 && setgid(0) != -1) {
		snprintf(err, errlen, "root gid could be regained");
		return -1;
	}
	return priv_check_groups(err, errlen);
}

/* With group = G overriding the user's primary group P (user facteur,
 * group postfix: the socket's group), initgroups() lists only the groups
 * /etc/group names the user in, so P was lost and with it what P may read
 * (the 0640 root:facteur database). P joins the supplementary groups,
 * unless it is 0. */
static int
priv_keep_primary(const struct priv_id *id, char *err, size_t errlen)
{
	gid_t *list, primary = id->primary;
	long max = sysconf(_SC_NGROUPS_MAX);
	int n, i, rc = 0;

	if (primary == id->gid || primary == 0)
		return 0;
	if (max <= 0 || max > 65536)
		max = 65536;
	if ((list = calloc((size_t)max + 1, sizeof(*list))) == NULL) {
		snprintf(err, errlen, "groups: out of memory");
		return -1;
	}
	if ((n = getgroups((int)max, list)) < 0) {
		snprintf(err, errlen, "getgroups: %s", strerror(errno));
		free(list);
		return -1;
	}
	for (i = 0; i < n && list[i] != primary; i++)
		;
	if (i == n) {
		list[n++] = primary;
		if (setgroups((size_t)n, list) != 0) {
			snprintf(err, errlen, "setgroups: %s", strerror(errno));
			rc = -1;
		}
	}
	free(list);
	return rc;
}

/* Supplementary groups: the user's from /etc/group (initgroups) plus its
 * primary group; a uid with no passwd entry gets its gid alone. */
static int
priv_groups(const struct priv_id *id, char *err, size_t errlen)
{
	if (!id->named) {
		if (setgroups(1, &id->gid) != 0) {
			snprintf(err, errlen, "setgroups: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (initgroups(id->name, id->gid) != 0) {
		snprintf(err, errlen, "initgroups: %s", strerror(errno));
		return -1;
	}
	return priv_keep_primary(id, err, errlen);
}

int
priv_drop(const char *user, const char *group, char *err, size_t errlen)
{
	struct priv_id id;

	if (user == NULL || *user == '\0')
		return 0;
	if (priv_resolve(user, group, &id, err, errlen) != 0)
		return -1;
	if (id.uid == 0) {
		snprintf(err, errlen, "refusing to run as root (user %s)",
			 user);
		return -1;
	}
	if (geteuid() != 0) {
		if (getuid() == id.uid && geteuid() == id.uid &&
		    getegid() == id.gid)
			return 0;
		snprintf(err, errlen, "not root: cannot become user %s", user);
		return -1;
	}
	/* The user's supplementary groups come along (initgroups): a milter
	 * user in group postfix (its socket) and group facteur (the
	 * database) needs both. */
	if (priv_groups(&id, err, errlen) != 0)
		return -1;
	if (setresgid(id.gid, id.gid, id.gid) != 0) {
		snprintf(err, errlen, "setresgid: %s", strerror(errno));
		return -1;
	}
	if (setresuid(id.uid, id.uid, id.uid) != 0) {
		snprintf(err, errlen, "setresuid: %s", strerror(errno));
		return -1;
	}
	return priv_verify(id.uid, id.gid, err, errlen);
}
