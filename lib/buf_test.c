/* lib/buf_test.c - unit tests for the bounded buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
appends_and_stays_nul_terminated(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_adds(&b, "hello"), 0);
	assert_int_equal(buf_addc(&b, ' '), 0);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(buf_str(&b), "hello 42-x");
	assert_int_equal(b.len, 10);
	buf_reset(&b);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void
refuses_to_pass_max_and_keeps_contents(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_int_equal(buf_addc(&b, '9'), -1);
	assert_int_equal(buf_printf(&b, "%s", "x"), -1);
	assert_string_equal(buf_str(&b), "12345678");
	assert_int_equal(b.len, 8);
	buf_free(&b);
}

static void
addc_fills_to_max_and_no_further(void **state)
{
	struct buf b;
	int i;

	buf_init(&b, 100);
	assert_int_equal(buf_adds(&b, "x"), 0); /* cap past max + 1 */
	for (i = 1; i < 100; i++) {
		assert_int_equal(buf_addc(&b, (char)('a' + i % 26)), 0);
		assert_int_equal(b.data[b.len], '\0');
	}
	assert_int_equal(buf_addc(&b, 'z'), -1);
	assert_int_equal(b.len, 100);
	assert_int_equal(strlen(buf_str(&b)), 100);
	buf_free(&b);
}

static void
rejects_size_overflow(void **state)
{
	struct buf b;

	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_adds(&b, "ab"), 0);
	assert_int_equal(buf_reserve(&b, SIZE_MAX - 1), -1);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), -1);
	assert_string_equal(buf_str(&b), "ab");
	buf_free(&b);
}

static void
grows_across_many_appends(void **state)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < 10000; i++)
		assert_int_equal(buf_addc(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 10000);
	assert_int_equal(b.data[9999], 'a' + 9999 % 26);
	assert_int_equal(b.data[10000], '\0');
	buf_free(&b);
}

static void
steal_hands_over_storage(void **state)
{
	struct buf b;
	char *s;

	buf_init(&b, 0);
	s = buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(buf_add(&b, "a\0b", 3), 0);
	s = buf_steal(&b);
	assert_memory_equal(s, "a\0b", 4);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(appends_and_stays_nul_terminated),
	    cmocka_unit_test(refuses_to_pass_max_and_keeps_contents),
	    cmocka_unit_test(addc_fills_to_max_and_no_further),
	    cmocka_unit_test(rejects_size_overflow),
	    cmocka_unit_test(grows_across_many_appends),
	    cmocka_unit_test(steal_hands_over_storage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
