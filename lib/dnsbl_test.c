/* lib/dnsbl_test.c - DNSBL zone lists and answer classification (RFC
 * 5782: only 127/8 but 127.0.0.1 lists; 127.255.255.x is "refused"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dnsbl.h"

static void
parse_one(const char *s, struct dnsbl_zone *z, size_t want_n)
{
	size_t n, off;
	enum dnsbl_status st;

	st = dnsbl_zones_parse(s, strlen(s), NULL, z, &n, &off);
	if (st != DNSBL_OK || n != want_n)
		fail_msg("\"%s\": got status %d, %zu zones (bad byte %zu), "
			 "want OK, %zu",
			 s, st, n, off, want_n);
}

static void
test_zone_lists_parse_with_filters(void **state)
{
	struct dnsbl_zone z[DNSBL_MAX_ZONES];

	parse_one("", z, 0);
	parse_one("  \t ", z, 0);
	parse_one("Zen.Spamhaus.ORG.", z, 1);
	if (strcmp(z[0].name, "zen.spamhaus.org") != 0 || z[0].ncodes != 0)
		fail_msg("got \"%s\" %zu codes, want zen.spamhaus.org 0",
			 z[0].name, z[0].ncodes);
	parse_one("zen.spamhaus.org=127.0.0.2,127.0.0.3,127.0.0.4 "
		  "\tbl.example",
		  z, 2);
	if (z[0].ncodes != 3 || z[0].codes[2][3] != 4 ||
	    strcmp(z[1].name, "bl.example") != 0)
		fail_msg("got %zu codes, second zone \"%s\"; want 3, "
			 "bl.example",
			 z[0].ncodes, z[1].name);
}

static void
test_bad_zone_lists_name_the_bad_byte(void **state)
{
	static const struct {
		const char *s;
		enum dnsbl_status st;
		size_t off;
	} t[] = {
	    {"zen..example", DNSBL_ESYNTAX, 0},
	    {"ok.example bad_$zone", DNSBL_ESYNTAX, 11},
	    {"z.example=127.0.0.1", DNSBL_ESYNTAX, 10}, /* never a listing */
	    {"z.example=10.0.0.2", DNSBL_ESYNTAX, 10},
	    {"z.example=127.0.0.2,", DNSBL_ESYNTAX, 20},
	    {"z.example=", DNSBL_ESYNTAX, 10},
	    {"=127.0.0.2", DNSBL_ESYNTAX, 0},
	    {"a b c d e f g h i j k l m n o p q", DNSBL_ELIMIT, 32},
	};
	struct dnsbl_zone z[DNSBL_MAX_ZONES];
	size_t i, n, off;
	enum dnsbl_status st;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		st = dnsbl_zones_parse(t[i].s, strlen(t[i].s), NULL, z, &n,
				       &off);
		if (st != t[i].st || off != t[i].off)
			fail_msg("\"%s\": got status %d at %zu, want %d at %zu",
				 t[i].s, st, off, t[i].st, t[i].off);
	}
}

static void
test_answers_are_classified_as_rfc5782_says(void **state)
{
	struct dnsbl_zone any, filt;
	static const struct {
		const char *a;
		enum dnsbl_class any, filt;
	} t[] = {
	    {"127.0.0.2", DNSBL_LISTED, DNSBL_LISTED},
	    {"127.0.0.4", DNSBL_LISTED, DNSBL_LISTED},
	    {"127.0.0.10", DNSBL_LISTED, DNSBL_FILTERED},
	    {"127.1.2.3", DNSBL_LISTED, DNSBL_FILTERED},
	    {"127.0.0.1", DNSBL_BOGUS, DNSBL_BOGUS},
	    {"127.255.255.252", DNSBL_REFUSED, DNSBL_REFUSED},
	    {"127.255.255.254", DNSBL_REFUSED, DNSBL_REFUSED},
	    {"127.255.255.255", DNSBL_REFUSED, DNSBL_REFUSED},
	    {"127.255.254.1", DNSBL_LISTED, DNSBL_FILTERED},
	    {"10.0.0.2", DNSBL_BOGUS, DNSBL_BOGUS},
	    {"192.0.2.1", DNSBL_BOGUS, DNSBL_BOGUS},
	    {"not an address", DNSBL_BOGUS, DNSBL_BOGUS},
	    {"", DNSBL_BOGUS, DNSBL_BOGUS},
	};
	size_t i, n, off;
	enum dnsbl_class c;
	const char *s = "zen.example=127.0.0.2,127.0.0.3,127.0.0.4";

	assert_int_equal(
	    dnsbl_zones_parse("any.example", 11, NULL, &any, &n, &off),
	    DNSBL_OK);
	assert_int_equal(dnsbl_zones_parse(s, strlen(s), NULL, &filt, &n, &off),
			 DNSBL_OK);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if ((c = dnsbl_classify(&any, t[i].a)) != t[i].any)
			fail_msg("%s, no filter: got %s, want %s", t[i].a,
				 dnsbl_class_name(c),
				 dnsbl_class_name(t[i].any));
		if ((c = dnsbl_classify(&filt, t[i].a)) != t[i].filt)
			fail_msg("%s, filtered: got %s, want %s", t[i].a,
				 dnsbl_class_name(c),
				 dnsbl_class_name(t[i].filt));
	}
	if (dnsbl_classify(&any, NULL) != DNSBL_BOGUS)
		fail_msg("NULL: got not bogus, want bogus");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zone_lists_parse_with_filters),
	    cmocka_unit_test(test_bad_zone_lists_name_the_bad_byte),
	    cmocka_unit_test(test_answers_are_classified_as_rfc5782_says),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
