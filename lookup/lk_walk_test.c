/* lookup/lk_walk_test.c - the access(5) search order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "lk_walk.h"

#define END NULL

static void
check_walk(const char *key, const char *delims, const char *const *want)
{
	struct buf keys;
	struct lk_walk w;
	size_t i, n = 0;

	while (want[n])
		n++;
	buf_init(&keys, 0);
	if (lk_walk_access(key, strlen(key), delims, "<>", &keys, &w) < 0)
		fail_msg("\"%s\": got -1, want %zu keys", key, n);
	for (i = 0; i < n || i < w.n; i++) {
		const char *got = i < w.n ? lk_walk_key(&keys, &w, i) : "(end)";
		const char *exp = i < n ? want[i] : "(end)";
		if (strcmp(got, exp) != 0)
			fail_msg("\"%s\" key %zu: got \"%s\", want \"%s\"", key,
				 i, got, exp);
	}
	buf_free(&keys);
}

static void
test_address_with_extension_walks_postfix_order(void **state)
{
	static const char *const want[] = {"user+ext@sub.example.org",
					   "user@sub.example.org",
					   "@sub.example.org",
					   "sub.example.org",
					   "example.org",
					   "org",
					   "user+ext@",
					   "user@",
					   END};

	check_walk("user+ext@sub.example.org", "+", want);
}

static void
test_address_without_extension_has_no_duplicates(void **state)
{
	static const char *const want[] = {"bob@example.org",
					   "@example.org",
					   "example.org",
					   "org",
					   "bob@",
					   END};

	check_walk("bob@example.org", "+", want);
}

static void
test_no_delimiter_configured_keeps_plus_in_local_part(void **state)
{
	static const char *const want[] = {"a+b@x.org", "@x.org", "x.org",
					   "org",	"a+b@",	  END};

	check_walk("a+b@x.org", "", want);
}

static void
test_any_of_several_delimiters_splits_at_the_first(void **state)
{
	static const char *const want[] = {"a-b+c@x", "a@x", "@x", "x",
					   "a-b+c@",  "a@",  END};

	check_walk("a-b+c@x", "+-", want);
}

static void
test_leading_delimiter_is_not_an_extension(void **state)
{
	static const char *const want[] = {"+a@x", "@x", "x", "+a@", END};

	check_walk("+a@x", "+", want);
}

static void
test_null_sender_is_looked_up_alone(void **state)
{
	static const char *const want[] = {"<>", END};

	check_walk("<>", "+", want);
}

static void
test_domain_key_walks_parents(void **state)
{
	static const char *const want[] = {"a.b.example.org", "b.example.org",
					   "example.org", "org", END};

	check_walk("a.b.example.org", "+", want);
}

static void
test_ipv4_key_walks_octets_like_check_client_access(void **state)
{
	static const char *const want[] = {"192.0.2.10", "192.0.2", "192.0",
					   "192", END};
	static const char *const want6[] = {"2001:db8::1", END};

	check_walk("192.0.2.10", "+", want);
	check_walk("2001:db8::1", "+", want6);
}

static void
test_catch_all_and_literal_keys(void **state)
{
	static const char *const at[] = {"@example.org", "example.org", "org",
					 END};
	static const char *const lit[] = {"u@[192.0.2.1]", "@[192.0.2.1]",
					  "[192.0.2.1]", "u@", END};

	check_walk("@example.org", "+", at);
	check_walk("u@[192.0.2.1]", "+", lit);
}

static void
test_too_many_labels_is_an_error_not_a_truncation(void **state)
{
	struct buf keys, key;
	struct lk_walk w;
	int i;

	buf_init(&keys, 0);
	buf_init(&key, 0);
	for (i = 0; i < LK_WALK_MAX + 1; i++)
		assert_int_equal(buf_adds(&key, "a."), 0);
	assert_int_equal(buf_adds(&key, "org"), 0);
	if (lk_walk_access(key.data, key.len, "+", "<>", &keys, &w) != -1)
		fail_msg("got %zu keys, want -1", w.n);
	buf_free(&keys);
	buf_free(&key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_address_with_extension_walks_postfix_order),
	    cmocka_unit_test(test_address_without_extension_has_no_duplicates),
	    cmocka_unit_test(
		test_no_delimiter_configured_keeps_plus_in_local_part),
	    cmocka_unit_test(
		test_any_of_several_delimiters_splits_at_the_first),
	    cmocka_unit_test(test_leading_delimiter_is_not_an_extension),
	    cmocka_unit_test(test_null_sender_is_looked_up_alone),
	    cmocka_unit_test(test_domain_key_walks_parents),
	    cmocka_unit_test(
		test_ipv4_key_walks_octets_like_check_client_access),
	    cmocka_unit_test(test_catch_all_and_literal_keys),
	    cmocka_unit_test(test_too_many_labels_is_an_error_not_a_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
