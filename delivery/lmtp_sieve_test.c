/* delivery/lmtp_sieve_test.c - the message header view handed to the
 * Sieve interpreter: unfolding, field names, a body-only message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lmtp.h"
#include "sieve.h"

static void
headers_are_split_and_unfolded(void **state)
{
	const char *data =
	    "Subject: hello\n world\nX-Spam-Flag:YES\n"
	    "From bob@example.net not a field\nTo: a@b.example\n\n"
	    "Body: not a header\n";
	struct lmtp_msg m = {"", data, strlen(data), NULL, 0, NULL};
	static const char *const want[][2] = {
	    {"Subject", "hello world"},
	    {"X-Spam-Flag", "YES"},
	    {"To", "a@b.example"},
	};
	size_t i;

	(void)state;
	assert_int_equal(lmtp_msg_headers(&m), 0);
	if (m.nheaders != 3)
		fail_msg("got %zu headers, want 3", m.nheaders);
	for (i = 0; i < 3; i++)
		if (strcmp(m.headers[i].name, want[i][0]) ||
		    strcmp(m.headers[i].value, want[i][1]))
			fail_msg("header %zu: got \"%s: %s\", want \"%s: %s\"",
				 i, m.headers[i].name, m.headers[i].value,
				 want[i][0], want[i][1]);
	if (lmtp_msg_header(&m, "x-spam-flag") == NULL ||
	    lmtp_msg_header(&m, "body") != NULL)
		fail_msg("got wrong lookups by name");
	lmtp_msg_clear(&m);
}

static void
message_without_header_section_has_no_fields(void **state)
{
	const char *cases[] = {"\nBody: x\n", "", "No-Colon-Here\n"};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct lmtp_msg m = {"",   cases[i], strlen(cases[i]),
				     NULL, 0,	     NULL};

		assert_int_equal(lmtp_msg_headers(&m), 0);
		if (m.nheaders != 0)
			fail_msg("case %zu: got %zu headers, want 0", i,
				 m.nheaders);
		lmtp_msg_clear(&m);
	}
}

static void
header_count_is_capped(void **state)
{
	static char data[20000];
	struct lmtp_msg m = {"", data, 0, NULL, 0, NULL};
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 1500; i++) {
		memcpy(data + n, "A: b\n", 5);
		n += 5;
	}
	m.len = n;
	assert_int_equal(lmtp_msg_headers(&m), 0);
	if (m.nheaders != 1000)
		fail_msg("got %zu headers, want the cap of 1000", m.nheaders);
	lmtp_msg_clear(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(headers_are_split_and_unfolded),
	    cmocka_unit_test(message_without_header_section_has_no_fields),
	    cmocka_unit_test(header_count_is_capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
