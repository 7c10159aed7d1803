/* delivery/quota_test.c - maildirsize parsing, the over-quota decision,
 * recalculation and appends on a real Maildir (temp dir in the cwd). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "maildir.h"
#include "quota.h"

static void
parses_header_and_sums_lines(void **state)
{
	static const struct {
		const char *text;
		int rc;
		long long lb, lc, ub, uc;
	} c[] = {
	    {"1048576S,100C\n0 0\n", 0, 1048576, 100, 0, 0},
	    {"1000S\n10 1\n20 1\n-5 -1\n", 0, 1000, 0, 25, 1},
	    {"5C\n3 1\n", 0, 0, 5, 3, 1},
	    {"\n7 2\n", 0, 0, 0, 7, 2},
	    {"100S\n10 1\n99", 0, 100, 0, 10, 1},
	    {"100X\n", -1, 0, 0, 0, 0},
	    {"100S\nabc 1\n", -1, 0, 0, 0, 0},
	    {"100S\n1 2 3\n", -1, 0, 0, 0, 0},
	    {"no newline", -1, 0, 0, 0, 0},
	};
	struct quota_limits h;
	struct quota_usage u;
	size_t i, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		rc = quota_parse(c[i].text, strlen(c[i].text), &h, &u, &n);
		if (rc != c[i].rc)
			fail_msg("case %zu: got rc %d, want %d", i, rc,
				 c[i].rc);
		if (rc == 0 && (h.bytes != c[i].lb || h.count != c[i].lc ||
				u.bytes != c[i].ub || u.count != c[i].uc))
			fail_msg("case %zu: got %lldS %lldC %lld %lld, want "
				 "%lldS %lldC %lld %lld",
				 i, h.bytes, h.count, u.bytes, u.count, c[i].lb,
				 c[i].lc, c[i].ub, c[i].uc);
	}
}

static void
exceeded_follows_limits(void **state)
{
	static const struct {
		long long lb, lc, ub, uc;
		unsigned long long size;
		int want;
	} c[] = {
	    {0, 0, 1000000, 1000, 5000, 0},
	    {1000, 0, 999, 1, 0, 0},
	    {1000, 0, 1000, 1, 0, 1},
	    {1000, 0, 900, 1, 100, 0},
	    {1000, 0, 900, 1, 101, 1},
	    {0, 2, 0, 1, 0, 0},
	    {0, 2, 0, 2, 0, 1},
	};
	struct quota_limits l;
	struct quota_usage u;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		l.bytes = c[i].lb;
		l.count = c[i].lc;
		u.bytes = c[i].ub;
		u.count = c[i].uc;
		if (quota_exceeded(&l, &u, c[i].size) != c[i].want)
			fail_msg("case %zu: got %d, want %d", i, !c[i].want,
				 c[i].want);
	}
}

static void
read_file(int dirfd, const char *name, char *out, size_t n)
{
	int fd = openat(dirfd, name, O_RDONLY);
	ssize_t r = fd < 0 ? -1 : read(fd, out, n - 1);

	out[r < 0 ? 0 : r] = '\0';
	if (fd >= 0)
		close(fd);
}

static void
recalculates_when_missing_then_appends(void **state)
{
	char dir[] = "quota_test.XXXXXX", err[256], text[256], cmd[64];
	struct quota_limits lim = {1048576, 100};
	struct maildir_piece pc = {"hello\n", 6};
	struct quota_usage u;
	int root, home, f, created;

	(void)state;
	assert_non_null(mkdtemp(dir));
	root = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(
	    maildir_open_home(root, "d/u/", 1, &home, err, sizeof(err)), 0);
	assert_int_equal(
	    maildir_deliver(home, &pc, 1, 0, "h", NULL, err, sizeof(err)), 0);
	assert_int_equal(maildir_open_folder(home, "Spam", 1, &f, &created, err,
					     sizeof(err)),
			 0);
	assert_int_equal(
	    maildir_deliver(f, &pc, 1, 1, "h", NULL, err, sizeof(err)), 0);
	close(f);
	assert_int_equal(
	    quota_get(home, &lim, time(NULL), &u, err, sizeof(err)), 0);
	if (u.bytes != 12 || u.count != 2)
		fail_msg("got %lld bytes %lld messages, want 12 2", u.bytes,
			 u.count);
	read_file(home, "maildirsize", text, sizeof(text));
	if (strcmp(text, "1048576S,100C\n12 2\n") != 0)
		fail_msg("got \"%s\", want \"1048576S,100C\\n12 2\\n\"", text);
	assert_int_equal(quota_add(home, 6, 1, err, sizeof(err)), 0);
	assert_int_equal(
	    quota_get(home, &lim, time(NULL), &u, err, sizeof(err)), 0);
	if (u.bytes != 18 || u.count != 3)
		fail_msg("got %lld %lld, want 18 3 (appended line)", u.bytes,
			 u.count);
	/* Other limits in the header: recalculated from disk (2 files). */
	lim.bytes = 2000;
	assert_int_equal(
	    quota_get(home, &lim, time(NULL), &u, err, sizeof(err)), 0);
	if (u.bytes != 12 || u.count != 2)
		fail_msg("got %lld %lld, want 12 2 after a limit change",
			 u.bytes, u.count);
	read_file(home, "maildirsize", text, sizeof(text));
	assert_string_equal(text, "2000S,100C\n12 2\n");
	close(home);
	close(root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
stale_file_over_quota_is_recalculated(void **state)
{
	char dir[] = "quota_test.XXXXXX", err[256], cmd[64];
	struct quota_limits lim = {100, 0};
	struct quota_usage u;
	struct timeval tv[2] = {{1000, 0}, {1000, 0}};
	int root, home, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	root = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(
	    maildir_open_home(root, "d/u/", 1, &home, err, sizeof(err)), 0);
	fd = openat(home, "maildirsize", O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "100S\n500 3\n", 11), 11);
	close(fd);
	/* Fresh and over quota: believed. */
	assert_int_equal(
	    quota_get(home, &lim, time(NULL), &u, err, sizeof(err)), 0);
	assert_int_equal(u.bytes, 500);
	/* Older than 15 minutes and over quota: recalculated (empty). */
	fd = openat(home, "maildirsize", O_RDONLY);
	assert_int_equal(futimes(fd, tv), 0);
	close(fd);
	assert_int_equal(
	    quota_get(home, &lim, time(NULL), &u, err, sizeof(err)), 0);
	if (u.bytes != 0 || u.count != 0)
		fail_msg("got %lld %lld, want 0 0", u.bytes, u.count);
	close(home);
	close(root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_header_and_sums_lines),
	    cmocka_unit_test(exceeded_follows_limits),
	    cmocka_unit_test(recalculates_when_missing_then_appends),
	    cmocka_unit_test(stale_file_over_quota_is_recalculated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
