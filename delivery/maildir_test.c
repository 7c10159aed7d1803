/* delivery/maildir_test.c - the Maildir writer on a real directory (a
 * temp dir under the current directory, the build dir under meson). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "maildir.h"
#include "maildir_name.h"

struct tdir {
	char path[64];
	int fd;
};

static int
setup(void **state)
{
	struct tdir *t = calloc(1, sizeof(*t));

	snprintf(t->path, sizeof(t->path), "maildir_test.XXXXXX");
	if (mkdtemp(t->path) == NULL)
		return -1;
	t->fd = open(t->path, O_RDONLY | O_DIRECTORY);
	*state = t;
	return t->fd < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	struct tdir *t = *state;
	char cmd[128];

	close(t->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->path);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

/* Number of entries (not . / ..) in dirfd/sub. */
static int
count(int dirfd, const char *sub)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY), n = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
delivers_into_new_with_exact_sizes(void **state)
{
	struct tdir *t = *state;
	const char *hdr = "Return-Path: <a@b>\nDelivered-To: c@d\n";
	const char *body = "Subject: x\n\nline\r\n.dot\n";
	struct maildir_piece pc[2] = {{hdr, strlen(hdr)}, {body, strlen(body)}};
	char err[256], want[64], got[4096];
	struct buf name;
	struct stat st;
	int home, fd;
	ssize_t n;

	buf_init(&name, 0);
	assert_int_equal(maildir_open_home(t->fd, "example.org/alice/", 1,
					   &home, err, sizeof(err)),
			 0);
	if (maildir_deliver(home, pc, 2, 0, "mx:1", &name, err, sizeof(err)))
		fail_msg("deliver: %s", err);
	if (strncmp(buf_str(&name), "new/", 4) != 0)
		fail_msg("got %s, want new/...", buf_str(&name));
	snprintf(want, sizeof(want), ".mx\\0721,S=%zu,W=%zu",
		 strlen(hdr) + strlen(body), strlen(hdr) + strlen(body) + 5);
	if (strstr(buf_str(&name), want) == NULL)
		fail_msg("got %s, want it to contain %s", buf_str(&name), want);
	assert_int_equal(fstatat(home, name.data, &st, 0), 0);
	assert_int_equal((size_t)st.st_size, strlen(hdr) + strlen(body));
	fd = openat(home, name.data, O_RDONLY);
	n = read(fd, got, sizeof(got));
	close(fd);
	assert_int_equal((size_t)n, strlen(hdr) + strlen(body));
	assert_memory_equal(got + strlen(hdr), body, strlen(body));
	assert_int_equal(count(home, "tmp"), 0);
	assert_int_equal(count(home, "cur"), 0);
	close(home);
	buf_free(&name);
}

static void
flags_put_the_message_in_cur(void **state)
{
	struct tdir *t = *state;
	struct maildir_piece pc = {"x\n", 2};
	char err[256];
	struct buf name;
	int home;

	buf_init(&name, 0);
	assert_int_equal(
	    maildir_open_home(t->fd, "d/u/", 1, &home, err, sizeof(err)), 0);
	assert_int_equal(
	    maildir_deliver(home, &pc, 1,
			    MAILDIR_FLAG_SEEN | MAILDIR_FLAG_FLAGGED, "h",
			    &name, err, sizeof(err)),
	    0);
	if (strncmp(buf_str(&name), "cur/", 4) != 0 || name.len < 5 ||
	    strcmp(buf_str(&name) + name.len - 5, ":2,FS") != 0)
		fail_msg("got %s, want cur/...:2,FS", buf_str(&name));
	assert_int_equal(count(home, "new"), 0);
	close(home);
	buf_free(&name);
}

static void
unsafe_paths_and_symlinks_are_refused(void **state)
{
	struct tdir *t = *state;
	char err[256];
	int home;

	assert_int_equal(
	    maildir_open_home(t->fd, "../escape/", 1, &home, err, sizeof(err)),
	    -1);
	assert_int_equal(
	    maildir_open_home(t->fd, "/tmp/", 1, &home, err, sizeof(err)), -1);
	assert_int_equal(symlinkat("/tmp", t->fd, "link"), 0);
	assert_int_equal(
	    maildir_open_home(t->fd, "link/alice/", 1, &home, err, sizeof(err)),
	    -1);
	if (errno != ELOOP && errno != ENOTDIR)
		fail_msg("got errno %d, want ELOOP or ENOTDIR", errno);
}

static void
folder_is_created_with_maildirfolder_and_subscribed(void **state)
{
	struct tdir *t = *state;
	const char *want = "V\t2\n\nSpam\nlists\tfoo\nEntw&APw-rfe\n";
	char err[256], got[256];
	int home, f, created, fd;
	struct stat st;
	ssize_t n;

	assert_int_equal(
	    maildir_open_home(t->fd, "e/bob/", 1, &home, err, sizeof(err)), 0);
	assert_int_equal(maildir_open_folder(home, "Spam", 0, &f, &created, err,
					     sizeof(err)),
			 1);
	assert_int_equal(maildir_open_folder(home, "Spam", 1, &f, &created, err,
					     sizeof(err)),
			 0);
	assert_int_equal(created, 1);
	assert_int_equal(fstatat(f, "maildirfolder", &st, 0), 0);
	assert_int_equal(count(f, "new"), 0);
	close(f);
	assert_int_equal(maildir_open_folder(home, "Spam", 0, &f, &created, err,
					     sizeof(err)),
			 0);
	assert_int_equal(created, 0);
	close(f);
	assert_int_equal(maildir_open_folder(home, "../x", 1, &f, &created, err,
					     sizeof(err)),
			 -1);
	assert_int_equal(maildir_subscribe(home, "Spam", err, sizeof(err)), 0);
	assert_int_equal(maildir_subscribe(home, "lists.foo", err, sizeof(err)),
			 0);
	assert_int_equal(maildir_subscribe(home, "Spam", err, sizeof(err)), 0);
	assert_int_equal(
	    maildir_subscribe(home, "Entw\xc3\xbcrfe", err, sizeof(err)), 0);
	assert_int_equal(maildir_subscribe(home, "INBOX", err, sizeof(err)), 0);
	fd = openat(home, "subscriptions", O_RDONLY);
	n = read(fd, got, sizeof(got) - 1);
	close(fd);
	got[n < 0 ? 0 : n] = '\0';
	if (strcmp(got, want) != 0)
		fail_msg("got \"%s\", want \"%s\"", got, want);
	assert_int_equal(fstatat(home, "subscriptions.lock", &st, 0), -1);
	close(home);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(delivers_into_new_with_exact_sizes,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(flags_put_the_message_in_cur, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		unsafe_paths_and_symlinks_are_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		folder_is_created_with_maildirfolder_and_subscribed, setup,
		teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
