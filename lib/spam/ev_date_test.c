/* lib/spam/ev_date_test.c - dates as SpamAssassin 4.0.1 reads them
 * (ev_date.c): Util.pm's parse_rfc822_date and HeaderEval's date of a
 * Received field, against values Perl gave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#include "ev_int.h"

/* Util.pm's parse_rfc822_date, the values Perl gives (-1: undef). Over
 * the 17,073 distinct Date, Resent-Date and Received dates of the shared
 * corpus ev_parse_date now gives Perl's value for every one; the old
 * sscanf reader differed on 40 ("0102" is 1970 for SpamAssassin, a
 * one-digit hour was refused...). */
static void
dates_parse_as_parse_rfc822_date_does(void **state)
{
	static const struct {
		const char *s;
		long long t;
	} v[] = {
	    {"Sun, 25 Aug 0102 10:36:36 -1000", 20464596},
	    {"Wed, 3 Jul 2002 1:19:14 +0200", 1025651954},
	    {"Mon, 7 Dec 2026 05:00:00 EST", 1796637600},
	    {"7 Dec 26 05:00 GMT", 1796619600},
	    {"Mon, 7 Dec 2026 05:00:00 EST-DST", 1796619600},
	    {"Dec 7 05:00:00 2026", 1796601600},
	    {"31 Feb 2003 10:00:00 +0000", 1046512800},
	    {"7 Dec 2040 05:00:00 +0000", 2143774800},
	    {"0 Dec 2026 05:00:00 +0000", -1},
	    {"1 Jan 1970 00:30:00 +0100", 0},
	    {"Mon,7 Dec 2026 25:61:61 +0000", 1796687999},
	    {"7 Dec 99 05:00:00 +0000", 944542800},
	    {"today", -1},
	};
	static const struct {
		const char *rcvd, *date;
	} r[] = {
	    {"from a by b with ESMTP id 1; Sun, 25 Aug 2002 16:03:24 +0100",
	     " 25 Aug 2002 16:03:24 +0100"},
	    {"(qmail 1234 invoked from network); 7 Dec 2026 05:00:00 -0000",
	     " 7 Dec 2026 05:00:00 -0000"},
	    {"from a by b; (25 Aug 2002 16:03:24 +0100)",
	     " (25 Aug 2002 16:03:24 +0100)"},
	    {"from a by b id 12 Aug 2002; x(25 Aug 2002 16:03:24 +0100)", NULL},
	    {"from a by b with SMTP", NULL},
	};
	size_t i;
	time_t t;
	char d[256];

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = ev_parse_date(v[i].s, &t);

		if (v[i].t < 0)
			assert_int_equal(rc, -1);
		else if (rc != 0 || (long long)t != v[i].t)
			fail_msg("%s: got %d %lld, want %lld", v[i].s, rc,
				 (long long)t, v[i].t);
	}
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		int rc = ev_rcvd_date(r[i].rcvd, d, sizeof(d));

		assert_int_equal(rc, r[i].date != NULL);
		if (rc)
			assert_string_equal(d, r[i].date);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dates_parse_as_parse_rfc822_date_does),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
