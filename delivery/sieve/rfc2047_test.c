/* delivery/sieve/rfc2047_test.c - encoded-word decoding for the header
 * test: B and Q, the three charsets, blanks between words, bad words. */
#include "testutil.h"

#include "buf.h"
#include "sieve_int.h"

static const struct {
	const char *in, *want;
} dec_cases[] = {
    {"plain text", "plain text"},
    {"=?UTF-8?B?w6l0w6k=?=", "\xc3\xa9t\xc3\xa9"},
    {"=?utf-8?b?w6l0w6k?=", "\xc3\xa9t\xc3\xa9"}, /* no padding */
    {"=?UTF-8?Q?caf=C3=A9_cr=C3=A8me?=", "caf\xc3\xa9 cr\xc3\xa8me"},
    {"=?ISO-8859-1?Q?caf=E9?=", "caf\xc3\xa9"},
    {"=?iso-8859-1?B?6Q==?=", "\xc3\xa9"},
    {"=?US-ASCII?Q?Keith_Moore?=", "Keith Moore"},
    {"=?UTF-8*fr?Q?d=C3=A9j=C3=A0?=", "d\xc3\xa9j\xc3\xa0"},
    {"=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab"},
    {"=?UTF-8?Q?a?=\r\n\t =?UTF-8?Q?b?=", "ab"},
    {"=?UTF-8?Q?a?= b =?UTF-8?Q?c?=", "a b c"},
    {"Re: =?UTF-8?Q?x?= end", "Re: x end"},
    {"=?KOI8-R?B?8NLJ18XU?=", "=?KOI8-R?B?8NLJ18XU?="},
    {"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
    {"=?UTF-8?Q?bad=ZZ?=", "=?UTF-8?Q?bad=ZZ?="},
    {"=?UTF-8?B?!!!!?=", "=?UTF-8?B?!!!!?="},
    {"=?UTF-8?Q?trailing=?=", "=?UTF-8?Q?trailing=?="},
    {"=?UTF-8?Q?no end", "=?UTF-8?Q?no end"},
    {"=?", "=?"},
    {"a =?UTF-8?Q?x y?= b", "a =?UTF-8?Q?x y?= b"},
};

static void
test_rfc2047_decodes_encoded_words(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dec_cases) / sizeof(dec_cases[0]); i++) {
		buf_init(&b, 0);
		if (sv_rfc2047_decode(dec_cases[i].in, strlen(dec_cases[i].in),
				      &b) != 0)
			BAD("decode(\"%s\"): failed", dec_cases[i].in);
		else if (strcmp(buf_str(&b), dec_cases[i].want) != 0 ||
			 b.len != strlen(dec_cases[i].want))
			BAD("decode(\"%s\"): got \"%s\", want \"%s\"",
			    dec_cases[i].in, buf_str(&b), dec_cases[i].want);
		buf_free(&b);
	}
	done();
}

static void
test_rfc2047_fails_only_when_buffer_full(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4);
	if (sv_rfc2047_decode("far too long", 12, &b) != -1)
		BAD("decode into a 4-byte buffer: got 0, want -1");
	buf_free(&b);
	done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc2047_decodes_encoded_words),
	    cmocka_unit_test(test_rfc2047_fails_only_when_buffer_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
