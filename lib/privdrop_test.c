/* lib/privdrop_test.c - user/group lookup and, when run as root, a real
 * drop in a child process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"

static void
lookup_root_is_uid_zero(void **state)
{
	char err[256] = "";
	uid_t uid = 1;
	gid_t gid = 1;

	if (priv_lookup("root", NULL, &uid, &gid, err, sizeof(err)) != 0)
		fail_msg("priv_lookup(root): got -1 (%s), want 0", err);
	if (uid != 0 || gid != 0)
		fail_msg("priv_lookup(root): got %u:%u, want 0:0",
			 (unsigned)uid, (unsigned)gid);
}

static void
lookup_nobody_matches_passwd(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	char err[256] = "";
	uid_t uid;
	gid_t gid;

	if (pw == NULL)
		skip();
	if (priv_lookup("nobody", NULL, &uid, &gid, err, sizeof(err)) != 0)
		fail_msg("priv_lookup(nobody): got -1 (%s), want 0", err);
	if (uid != pw->pw_uid || gid != pw->pw_gid || uid == 0)
		fail_msg("priv_lookup(nobody): got %u:%u, want %u:%u",
			 (unsigned)uid, (unsigned)gid, (unsigned)pw->pw_uid,
			 (unsigned)pw->pw_gid);
}

static void
lookup_group_overrides_primary(void **state)
{
	struct group *gr = getgrnam("nogroup");
	char err[256] = "";
	uid_t uid;
	gid_t gid;

	if (gr == NULL)
		skip();
	if (priv_lookup("root", "nogroup", &uid, &gid, err, sizeof(err)) != 0)
		fail_msg("priv_lookup(root, nogroup): got -1 (%s), want 0",
			 err);
	if (uid != 0 || gid != gr->gr_gid)
		fail_msg("priv_lookup(root, nogroup): got %u:%u, want 0:%u",
			 (unsigned)uid, (unsigned)gid, (unsigned)gr->gr_gid);
}

static void
lookup_unknown_names_fail_with_message(void **state)
{
	char err[256] = "";
	uid_t uid;
	gid_t gid;

	if (priv_lookup("no-such-user-facteur", NULL, &uid, &gid, err,
			sizeof(err)) != -1)
		fail_msg("priv_lookup(unknown user): got 0, want -1");
	if (strstr(err, "no-such-user-facteur") == NULL)
		fail_msg("unknown user error: got \"%s\", want the name", err);
	err[0] = '\0';
	if (priv_lookup("root", "no-such-group-facteur", &uid, &gid, err,
			sizeof(err)) != -1)
		fail_msg("priv_lookup(unknown group): got 0, want -1");
	if (strstr(err, "no-such-group-facteur") == NULL)
		fail_msg("unknown group error: got \"%s\", want the name", err);
}

static void
drop_without_user_is_noop_and_root_is_refused(void **state)
{
	char err[256] = "";

	if (priv_drop(NULL, NULL, err, sizeof(err)) != 0 ||
	    priv_drop("", NULL, err, sizeof(err)) != 0)
		fail_msg("priv_drop(no user): got -1 (%s), want 0", err);
	if (priv_drop("root", NULL, err, sizeof(err)) != -1)
		fail_msg("priv_drop(root): got 0, want -1");
}

/* Root only: a child drops to nobody and reports what it can still do. */
static void
drop_as_root_cannot_regain_root(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	char err[256] = "";
	pid_t pid;
	int status;

	if (geteuid() != 0 || pw == NULL)
		skip();
	if ((pid = fork()) < 0)
		fail_msg("fork failed");
	if (pid == 0) {
		if (priv_drop("nobody", NULL, err, sizeof(err)) != 0)
			_exit(2);
		if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid)
			_exit(3);
		if (setuid(0) != -1 || seteuid(0) != -1)
			_exit(4);
		if (getgroups(0, NULL) != 1)
			_exit(5);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		fail_msg("child after priv_drop(nobody): got status %d, want "
			 "exit 0 (2 drop failed, 3 uid, 4 root regained, 5 "
			 "groups)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Root only: with group = an other group, the user's primary group stays
 * among the supplementary ones (it may be what reads the database). */
static void
drop_with_group_keeps_the_primary_group(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("postfix");
	char err[256] = "";
	gid_t list[64];
	pid_t pid;
	int status, n, i, has_primary = 0;

	if (geteuid() != 0 || pw == NULL || gr == NULL ||
	    gr->gr_gid == pw->pw_gid)
		skip();
	if ((pid = fork()) < 0)
		fail_msg("fork failed");
	if (pid == 0) {
		if (priv_drop("nobody", "postfix", err, sizeof(err)) != 0)
			_exit(2);
		if (getgid() != gr->gr_gid || getegid() != gr->gr_gid)
			_exit(3);
		if ((n = getgroups(64, list)) < 0)
			_exit(4);
		for (i = 0; i < n; i++)
			if (list[i] == pw->pw_gid)
				has_primary = 1;
		_exit(has_primary ? 0 : 5);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		fail_msg("child after priv_drop(nobody, postfix): got status "
			 "%d, want exit 0 (2 drop failed, 3 gid, 4 getgroups, "
			 "5 primary group %u missing)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 (unsigned)pw->pw_gid);
}

/* "65534" is nobody's uid: its passwd entry applies; a uid no entry has
 * takes its own number as gid unless a group is given; "0" is root. */
static void
lookup_numeric_ids(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	char err[256] = "", num[32];
	uid_t uid;
	gid_t gid;

	if (pw == NULL)
		skip();
	snprintf(num, sizeof(num), "%u", (unsigned)pw->pw_uid);
	if (priv_lookup(num, NULL, &uid, &gid, err, sizeof(err)) != 0)
		fail_msg("priv_lookup(\"%s\"): got -1 (%s), want 0", num, err);
	if (uid != pw->pw_uid || gid != pw->pw_gid)
		fail_msg("priv_lookup(\"%s\"): got %u:%u, want %u:%u", num,
			 (unsigned)uid, (unsigned)gid, (unsigned)pw->pw_uid,
			 (unsigned)pw->pw_gid);
	if (getpwuid(54321) != NULL)
		skip();
	if (priv_lookup("54321", NULL, &uid, &gid, err, sizeof(err)) != 0 ||
	    uid != 54321 || gid != 54321)
		fail_msg("priv_lookup(\"54321\"): got %u:%u (%s), want "
			 "54321:54321",
			 (unsigned)uid, (unsigned)gid, err);
	if (priv_lookup("54321", "4321", &uid, &gid, err, sizeof(err)) != 0 ||
	    uid != 54321 || gid != 4321)
		fail_msg("priv_lookup(\"54321\", \"4321\"): got %u:%u (%s), "
			 "want 54321:4321",
			 (unsigned)uid, (unsigned)gid, err);
	if (priv_lookup("0", NULL, &uid, &gid, err, sizeof(err)) != 0 ||
	    uid != 0)
		fail_msg("priv_lookup(\"0\"): got uid %u, want 0 (root)",
			 (unsigned)uid);
	if (priv_lookup("12ab", NULL, &uid, &gid, err, sizeof(err)) != -1)
		fail_msg("priv_lookup(\"12ab\"): got 0, want -1");
}

/* Root only: a uid with no passwd entry is dropped to, with its gid as
 * the only group. */
static void
drop_to_numeric_uid_without_passwd_entry(void **state)
{
	char err[256] = "";
	gid_t list[8];
	pid_t pid;
	int status;

	if (geteuid() != 0 || getpwuid(54321) != NULL)
		skip();
	if ((pid = fork()) < 0)
		fail_msg("fork failed");
	if (pid == 0) {
		if (priv_drop("54321", "54322", err, sizeof(err)) != 0)
			_exit(2);
		if (getuid() != 54321 || getgid() != 54322)
			_exit(3);
		if (getgroups(8, list) != 1 || list[0] != 54322)
			_exit(4);
		_exit(setuid(0) != -1 ? 5 : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		fail_msg("child after priv_drop(\"54321\", \"54322\"): got "
			 "status %d, want exit 0 (2 drop failed, 3 ids, 4 "
			 "groups, 5 root regained)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(lookup_root_is_uid_zero),
	    cmocka_unit_test(lookup_nobody_matches_passwd),
	    cmocka_unit_test(lookup_group_overrides_primary),
	    cmocka_unit_test(lookup_unknown_names_fail_with_message),
	    cmocka_unit_test(drop_without_user_is_noop_and_root_is_refused),
	    cmocka_unit_test(drop_as_root_cannot_regain_root),
	    cmocka_unit_test(drop_with_group_keeps_the_primary_group),
	    cmocka_unit_test(lookup_numeric_ids),
	    cmocka_unit_test(drop_to_numeric_uid_without_passwd_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
