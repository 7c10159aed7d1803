/* delivery/lmtp_spool_test.c - DATA's body through lmtp_data_feed and the
 * spool, in a temp dir under the current directory (the build dir under
 * meson): what ends in the file is the message, the header section is
 * kept, sizes are counted, and a small message never touches the disk. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "lmtp_parse.h"
#include "lmtp_spool.h"

/* Feeds in (a DATA stream) in pieces of step bytes, as reads would. */
static void
feed(struct lmtp_spool *sp, struct lmtp_data *d, const char *in, size_t step)
{
	size_t off = 0, n, len = strlen(in);

	memset(d, 0, sizeof(*d));
	d->at_bol = 1;
	d->max_line = 1000;
	d->max_size = 1 << 20;
	while (!d->done && off < len) {
		n = len - off < step ? len - off : step;
		off += lmtp_data_feed(d, (const unsigned char *)in + off, n,
				      &sp->mem);
		lmtp_spool_settle(sp, d);
	}
	assert_true(d->done);
	assert_int_equal(lmtp_spool_finish(sp, d), 0);
}

static char *
file_text(int fd, size_t len)
{
	char *p = calloc(1, len + 1);

	assert_non_null(p);
	assert_int_equal(pread(fd, p, len, 0), (ssize_t)len);
	return p;
}

static void
large_body_goes_to_the_file_byte_for_byte(void **state)
{
	struct lmtp_spool sp;
	struct lmtp_data d;
	struct buf in, want;
	char dir[] = "spool_test.XXXXXX", *got;
	size_t lf = 0, i;
	int dfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	buf_init(&in, 0);
	buf_init(&want, 0);
	assert_int_equal(buf_adds(&in, "Subject: big\r\nX: y\r\n\r\n"), 0);
	assert_int_equal(buf_adds(&want, "Subject: big\nX: y\n\n"), 0);
	for (i = 0; i < 3000; i++) {
		assert_int_equal(
		    buf_printf(&in, "%s%05zu a\rb\r\n", i % 7 ? "" : "..", i),
		    0);
		assert_int_equal(
		    buf_printf(&want, "%s%05zu a\rb\n", i % 7 ? "" : ".", i),
		    0);
	}
	assert_int_equal(buf_adds(&in, ".\r\n"), 0);
	for (i = 0; i < want.len; i++)
		lf += want.data[i] == '\n';
	lmtp_spool_init(&sp, dfd, 4096, 1 << 21);
	feed(&sp, &d, in.data, 1000);
	assert_true(sp.fd >= 0);
	assert_int_equal(sp.size, want.len);
	assert_int_equal(sp.vsize, want.len + lf);
	assert_int_equal(d.spilled, want.len);
	assert_int_equal(sp.mem.len, 0);
	assert_string_equal(buf_str(&sp.head), "Subject: big\nX: y\n\n");
	got = file_text(sp.fd, sp.size);
	assert_memory_equal(got, want.data, want.len);
	free(got);
	lmtp_spool_free(&sp);
	buf_free(&in);
	buf_free(&want);
	close(dfd);
	assert_int_equal(rmdir(dir), 0); /* the file never had a name */
}

static void
small_body_stays_in_memory(void **state)
{
	struct lmtp_spool sp;
	struct lmtp_data d;

	(void)state;
	lmtp_spool_init(&sp, -1, 4096, 1 << 20);
	feed(&sp, &d, "Subject: small\r\n\r\nhello\r\n.\r\n", 7);
	assert_int_equal(sp.fd, -1);
	assert_string_equal(buf_str(&sp.mem), "Subject: small\n\nhello\n");
	assert_int_equal(d.spilled, 0);
	lmtp_spool_free(&sp);
}

/* A message refused for a line too long is read to its dot, but none of
 * it is kept (it used to grow to max_message_size in memory). */
static void
refused_body_is_not_kept(void **state)
{
	struct lmtp_spool sp;
	struct lmtp_data d;
	struct buf in;
	size_t i;

	(void)state;
	buf_init(&in, 0);
	assert_int_equal(buf_adds(&in, "Subject: long\r\n\r\n"), 0);
	for (i = 0; i < 2000; i++)
		assert_int_equal(buf_adds(&in, "0123456789"), 0);
	for (i = 0; i < 2000; i++)
		assert_int_equal(buf_adds(&in, "a short line\r\n"), 0);
	assert_int_equal(buf_adds(&in, ".\r\n"), 0);
	lmtp_spool_init(&sp, -1, 1 << 20, 1 << 21);
	feed(&sp, &d, in.data, 1000);
	assert_true(d.too_long);
	if (sp.mem.len > 1000)
		fail_msg("refused body: got %zu bytes kept, want <= 1000",
			 sp.mem.len);
	lmtp_spool_free(&sp);
	buf_free(&in);
}

static void
copy_appends_the_first_len_bytes(void **state)
{
	char dir[] = "spool_copy.XXXXXX", *got;
	int dfd, a, b, p[2];

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	a = lmtp_spool_probe(dfd);
	b = lmtp_spool_probe(dfd);
	assert_true(a >= 0 && b >= 0);
	assert_int_equal(write(a, "0123456789", 10), 10);
	assert_int_equal(write(b, "head:", 5), 5);
	assert_int_equal(lmtp_spool_copy(a, 8, b), 0); /* file to file */
	got = file_text(b, 13);
	assert_string_equal(got, "head:01234567");
	free(got);
	assert_int_equal(pipe(p), 0); /* to a pipe: the read/write path */
	assert_int_equal(lmtp_spool_copy(a, 10, p[1]), 0);
	got = calloc(1, 11);
	assert_int_equal(read(p[0], got, 10), 10);
	assert_string_equal(got, "0123456789");
	free(got);
	close(p[0]);
	close(p[1]);
	close(a);
	close(b);
	close(dfd);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(large_body_goes_to_the_file_byte_for_byte),
	    cmocka_unit_test(small_body_stays_in_memory),
	    cmocka_unit_test(refused_body_is_not_kept),
	    cmocka_unit_test(copy_appends_the_first_len_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
