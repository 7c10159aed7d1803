/* lib/anonfile_test.c - the nameless spool file: it is readable and
 * writable, 0600, leaves no entry in its directory, two are distinct,
 * and a directory that cannot hold it is an error, not a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anonfile.h"

static size_t
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
a_file_has_no_name_and_holds_what_is_written(void **state)
{
	char dir[] = "/tmp/anonfile-test.XXXXXX", back[6] = {0};
	struct stat st1, st2;
	int dfd, fd, fd2;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	fd = anonfile_open(dfd, ".t");
	fd2 = anonfile_open(dfd, ".t");
	assert_true(fd >= 0 && fd2 >= 0);
	assert_int_equal(entries(dir), 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	assert_int_equal(pread(fd, back, 5, 0), 5);
	assert_string_equal(back, "hello");
	assert_int_equal(fstat(fd, &st1), 0);
	assert_int_equal(fstat(fd2, &st2), 0);
	assert_int_equal(st1.st_mode & 0777, 0600);
	assert_true(st1.st_ino != st2.st_ino);
	assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	close(fd);
	close(fd2);
	close(dfd);
	assert_int_equal(rmdir(dir), 0);
}

static void
a_bad_directory_is_an_error(void **state)
{
	(void)state;
	errno = 0;
	assert_int_equal(anonfile_open(-1, ".t"), -1);
	assert_int_not_equal(errno, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_file_has_no_name_and_holds_what_is_written),
	    cmocka_unit_test(a_bad_directory_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
