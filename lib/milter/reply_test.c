/* lib/milter/reply_test.c - SMTP reply validation and %-escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "reply.h"

static void
valid_replies_pass(void **state)
{
	static const char *ok[][3] = {
	    {"550", "5.7.1", "Sender rejected"},
	    {"451", "4.3.0", "Try again later"},
	    {"554", "", "No"},
	    {"421", NULL, "Closing"},
	    {"550", "5.123.456", "Long enhanced code"},
	    {"550", "5.7.1", "100% spam"},
	};
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if ((why = mlt_reply_check(ok[i][0], ok[i][1], ok[i][2])))
			fail_msg("%s %s %s: got \"%s\", want valid", ok[i][0],
				 ok[i][1] ? ok[i][1] : "(null)", ok[i][2], why);
}

static void
invalid_replies_are_refused(void **state)
{
	static const char *bad[][3] = {
	    {"250", "2.0.0", "Ok"}, /* not 4xx/5xx */
	    {"350", "", "x"},
	    {"55", "5.7.1", "short"},
	    {"5501", "5.7.1", "long"},
	    {"5a0", "5.7.1", "letters"},
	    {NULL, "5.7.1", "no code"},
	    {"550", "4.7.1", "class mismatch"},
	    {"450", "5.7.1", "class mismatch"},
	    {"550", "5.7", "two parts"},
	    {"550", "5.7.1.2", "four parts"},
	    {"550", "5.1234.1", "subject too long"},
	    {"550", "5..1", "empty subject"},
	    {"550", "5.7.1", "line\r\ninjection"},
	    {"550", "5.7.1", "bare\nLF"},
	    {"550", "5.7.1", "tab\there"},
	    {"550", "5.7.1", ""},
	    {"550", "5.7.1", NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mlt_reply_check(bad[i][0], bad[i][1], bad[i][2]) == NULL)
			fail_msg("case %zu (%s %s): got valid, want refused", i,
				 bad[i][0] ? bad[i][0] : "(null)",
				 bad[i][1] ? bad[i][1] : "(null)");
}

static void
overlong_text_is_refused(void **state)
{
	char text[MLT_REPLY_TEXT_MAX + 2];

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	if (mlt_reply_check("550", "5.7.1", text) == NULL)
		fail_msg("got valid for %zu bytes, want refused", strlen(text));
	text[MLT_REPLY_TEXT_MAX] = '\0';
	if (mlt_reply_check("550", "5.7.1", text) != NULL)
		fail_msg("got refused for %d bytes, want valid",
			 MLT_REPLY_TEXT_MAX);
}

static void
percent_is_doubled_for_setreply(void **state)
{
	static const char *cases[][2] = {
	    {"100% spam", "100%% spam"},
	    {"%s%n%%", "%%s%%n%%%%"},
	    {"plain", "plain"},
	    {"", ""},
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, 0);
		assert_int_equal(mlt_reply_escape(cases[i][0], &b), 0);
		if (strcmp(buf_str(&b), cases[i][1]) != 0)
			fail_msg("escape \"%s\": got \"%s\", want \"%s\"",
				 cases[i][0], buf_str(&b), cases[i][1]);
		buf_free(&b);
	}
}

static void
escape_fails_when_the_buffer_is_full(void **state)
{
	struct buf b;

	buf_init(&b, 4);
	if (mlt_reply_escape("%%%", &b) != -1)
		fail_msg("got success into a 4-byte buffer, want -1");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(valid_replies_pass),
	    cmocka_unit_test(invalid_replies_are_refused),
	    cmocka_unit_test(overlong_text_is_refused),
	    cmocka_unit_test(percent_is_doubled_for_setreply),
	    cmocka_unit_test(escape_fails_when_the_buffer_is_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
