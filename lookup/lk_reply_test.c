/* lookup/lk_reply_test.c - socketmap and policy replies (access(5)
 * results are tested in lib/access_test.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "lk_reply.h"

static void
test_socketmap_replies_are_netstrings(void **state)
{
	static const struct {
		enum lk_status st;
		const char *data, *want;
	} t[] = {
	    {LK_OK, "example.org/alice/", "21:OK example.org/alice/,"},
	    {LK_NOTFOUND, "ignored", "9:NOTFOUND ,"},
	    {LK_TEMP, "database error", "19:TEMP database error,"},
	    {LK_PERM, "bad\nkey", "12:PERM bad key,"},
	    {LK_TIMEOUT, "slow", "12:TIMEOUT slow,"},
	};
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&b);
		if (lk_reply_socketmap(t[i].st, t[i].data, strlen(t[i].data),
				       &b) < 0 ||
		    strcmp(buf_str(&b), t[i].want) != 0)
			fail_msg("got \"%s\", want \"%s\"", buf_str(&b),
				 t[i].want);
	}
	buf_free(&b);
}

static void
test_socketmap_reply_over_postfix_limit_fails(void **state)
{
	static char big[LK_REPLY_MAX];
	struct buf b;

	memset(big, 'a', sizeof(big));
	buf_init(&b, 0);
	if (lk_reply_socketmap(LK_OK, big, sizeof(big), &b) != -1)
		fail_msg("got a %zu-byte reply, want -1", b.len);
	buf_free(&b);
}

static void
test_policy_reply_is_one_action_line(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(lk_reply_policy("554 5.7.1 no\nfoo=bar", &b), 0);
	if (strcmp(buf_str(&b), "action=554 5.7.1 no foo=bar\n\n") != 0)
		fail_msg("got \"%s\", want one line", buf_str(&b));
	buf_free(&b);
}

static void
test_alias_filter_drops_commands_files_and_includes(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"root", "root"},
	    {"a@x.org,b@x.org", "a@x.org,b@x.org"},
	    {"|/bin/sh -c x,a@x.org", "a@x.org"},
	    {"a@x.org,/etc/passwd", "a@x.org"},
	    {":INCLUDE:/etc/list,b", "b"},
	    {"|x", ""},
	    {"", ""},
	};
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&b);
		if (lk_reply_alias_filter(t[i].in, &b) < 0 ||
		    strcmp(buf_str(&b), t[i].want) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", t[i].in,
				 buf_str(&b), t[i].want);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_socketmap_replies_are_netstrings),
	    cmocka_unit_test(test_socketmap_reply_over_postfix_limit_fails),
	    cmocka_unit_test(test_policy_reply_is_one_action_line),
	    cmocka_unit_test(
		test_alias_filter_drops_commands_files_and_includes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
