/* lib/log_test.c - unit tests for the log sanitiser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static void
safe_escapes_control_and_non_ascii(void **state)
{
	char out[64];

	log_safe("a\r\nb\\\xc3\xa9", 7, out, sizeof(out));
	assert_string_equal(out, "a\\x0d\\x0ab\\x5c\\xc3\\xa9");
}

static void
safe_keeps_embedded_nul_visible(void **state)
{
	char out[32];

	log_safe("x\0y", 3, out, sizeof(out));
	assert_string_equal(out, "x\\x00y");
}

static void
safe_caps_with_ellipsis_and_terminates(void **state)
{
	char out[10];
	size_t cap;

	for (cap = 4; cap <= sizeof(out); cap++) {
		memset(out, 'Z', sizeof(out));
		log_safe("0123456789abcdef", 16, out, cap);
		assert_true(strlen(out) < cap);
		assert_non_null(strstr(out, "..."));
	}
	log_safe("\x01\x02\x03", 3, out, 8);
	assert_string_equal(out, "\\x01...");
}

static void
safe_fits_exactly(void **state)
{
	char out[6];

	log_safe("abcde", 5, out, sizeof(out));
	assert_string_equal(out, "abcde");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(safe_escapes_control_and_non_ascii),
	    cmocka_unit_test(safe_keeps_embedded_nul_visible),
	    cmocka_unit_test(safe_caps_with_ellipsis_and_terminates),
	    cmocka_unit_test(safe_fits_exactly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
