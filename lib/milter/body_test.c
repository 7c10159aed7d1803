/* lib/milter/body_test.c - a kept message body: small in memory, past
 * the threshold in an unlinked file with only a chunk in memory, read
 * back the same by a view of its first bytes, bounded by max. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "body.h"

struct fx {
	char dir[32];
	int dirfd;
};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "body_test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->dirfd >= 0);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	close(f->dirfd);
	if (rmdir(f->dir) != 0) /* a named spool file would be left here */
		fail_msg("rmdir %s: %s, want the directory empty", f->dir,
			 strerror(errno));
	free(f);
	return 0;
}

/* n bytes of a pattern that shows misplaced chunks. */
static void
fill(unsigned char *p, size_t n, size_t from)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)((from + i) * 7 % 251);
}

static void
add_chunks(struct mlt_body *b, size_t total, size_t chunk)
{
	unsigned char *p = malloc(chunk);
	size_t off, n;

	assert_non_null(p);
	for (off = 0; off < total; off += n) {
		n = total - off < chunk ? total - off : chunk;
		fill(p, n, off);
		if (mlt_body_add(b, p, n) != 0)
			fail_msg("add at %zu: got -1 (%s), want 0", off,
				 strerror(errno));
	}
	free(p);
}

static void
check_view(struct mlt_body *b, size_t want, size_t expect)
{
	const unsigned char *p;
	unsigned char *ref;
	size_t n;

	assert_int_equal(mlt_body_view(b, want, &p, &n), 0);
	assert_non_null(p);
	if (n != expect)
		fail_msg("view of %zu: got %zu bytes, want %zu", want, n,
			 expect);
	ref = malloc(expect + 1);
	assert_non_null(ref);
	fill(ref, expect, 0);
	if (memcmp(p, ref, expect) != 0)
		fail_msg("view of %zu: bytes differ from what was added", want);
	free(ref);
}

static void
small_body_stays_in_memory(void **state)
{
	struct fx *f = *state;
	struct mlt_body b;

	mlt_body_init(&b, f->dirfd, 4096, 1 << 20);
	add_chunks(&b, 4096, 1000);
	if (b.fd >= 0)
		fail_msg("4096 bytes at threshold 4096: got a file, want "
			 "memory");
	assert_int_equal(mlt_body_size(&b), 4096);
	check_view(&b, 100000, 4096);
	check_view(&b, 10, 10);
	mlt_body_free(&b);
}

static void
large_body_goes_to_a_file_and_reads_back_the_same(void **state)
{
	struct fx *f = *state;
	size_t total = (size_t)3 << 20;
	struct mlt_body b;

	mlt_body_init(&b, f->dirfd, 65536, (size_t)8 << 20);
	add_chunks(&b, total, 65535);
	if (b.fd < 0)
		fail_msg("3 MB at threshold 64 KB: got memory, want a file");
	if (b.mem.cap > (size_t)512 << 10)
		fail_msg("spooled: %zu bytes of memory held, want a chunk",
			 b.mem.cap);
	assert_int_equal(mlt_body_size(&b), total);
	check_view(&b, (size_t)1 << 20, (size_t)1 << 20); /* a scan */
	check_view(&b, total * 2, total);
	add_chunks(&b, 0, 1); /* adding after a view: still consistent */
	mlt_body_free(&b);
}

static void
body_past_max_is_refused(void **state)
{
	struct fx *f = *state;
	unsigned char p[100] = {0};
	struct mlt_body b;

	mlt_body_init(&b, f->dirfd, 4096, 10000);
	add_chunks(&b, 9950, 1000);
	errno = 0;
	if (mlt_body_add(&b, p, sizeof(p)) != -1 || errno != EFBIG)
		fail_msg("past max: got success or errno %d, want EFBIG",
			 errno);
	assert_int_equal(mlt_body_size(&b), 9950);
	check_view(&b, 20000, 9950);
	mlt_body_free(&b);
}

static void
no_spool_directory_keeps_it_in_memory(void **state)
{
	struct mlt_body b;

	(void)state;
	mlt_body_init(&b, -1, 4096, 1 << 20);
	add_chunks(&b, 100000, 4096);
	if (b.fd >= 0)
		fail_msg("no spool_dir: got a file, want memory");
	check_view(&b, 100000, 100000);
	mlt_body_free(&b);
}

static void
empty_body_views_as_empty_string(void **state)
{
	struct fx *f = *state;
	const unsigned char *p = NULL;
	struct mlt_body b;
	size_t n = 1;

	mlt_body_init(&b, f->dirfd, 4096, 1 << 20);
	assert_int_equal(mlt_body_view(&b, 100, &p, &n), 0);
	assert_non_null(p);
	assert_int_equal(n, 0);
	mlt_body_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(small_body_stays_in_memory,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		large_body_goes_to_a_file_and_reads_back_the_same, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(body_past_max_is_refused, fx_setup,
					    fx_teardown),
	    cmocka_unit_test(no_spool_directory_keeps_it_in_memory),
	    cmocka_unit_test_setup_teardown(empty_body_views_as_empty_string,
					    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
