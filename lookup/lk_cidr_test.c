/* lookup/lk_cidr_test.c - IPv4 / IPv6 CIDR matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lk_cidr.h"

static void
test_cidr_match_table(void **state)
{
	static const struct {
		const char *net, *ip;
		int want;
	} t[] = {
	    {"192.0.2.0/24", "192.0.2.77", 1},
	    {"192.0.2.0/24", "192.0.3.1", 0},
	    {"192.0.2.1", "192.0.2.1", 1},
	    {"192.0.2.1", "192.0.2.2", 0},
	    {"10.0.0.0/8", "10.255.255.255", 1},
	    {"10.0.0.0/8", "11.0.0.0", 0},
	    {"192.0.2.128/25", "192.0.2.127", 0},
	    {"192.0.2.128/25", "192.0.2.128", 1},
	    {"192.0.2.5/24", "192.0.2.200", 1}, /* host bits masked */
	    {"0.0.0.0/0", "203.0.113.9", 1},
	    {"0.0.0.0/0", "2001:db8::1", 0}, /* families never mix */
	    {"2001:db8::/32", "2001:db8:ffff::1", 1},
	    {"2001:db8::/32", "2001:db9::1", 0},
	    {"2001:db8::/33", "2001:db8:8000::1", 0},
	    {"2001:db8::/33", "2001:db8:7fff::1", 1},
	    {"::1", "::1", 1},
	    {"192.0.2.0/24", "::ffff:192.0.2.9", 1}, /* mapped = IPv4 */
	    {"::ffff:192.0.2.0/120", "192.0.2.9", 1},
	    {"192.0.2.0/24", "[192.0.2.9]", 1},
	    {"2001:db8::/32", "IPv6:2001:db8::5", 1},
	};
	struct lk_cidr c;
	struct lk_ip ip;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got;
		if (lk_cidr_parse(t[i].net, strlen(t[i].net), &c) < 0)
			fail_msg("%s: got parse error, want ok", t[i].net);
		if (lk_ip_parse(t[i].ip, strlen(t[i].ip), &ip) < 0)
			fail_msg("%s: got parse error, want ok", t[i].ip);
		got = lk_cidr_match(&c, &ip);
		if (got != t[i].want)
			fail_msg("%s in %s: got %d, want %d", t[i].ip, t[i].net,
				 got, t[i].want);
	}
}

static void
test_bad_cidrs_are_refused(void **state)
{
	static const char *const bad[] = {
	    "192.0.2.0/33", "2001:db8::/129",	 "192.0.2.0/",
	    "192.0.2.0/2x", "192.0.2.0/08",	 "192.0.2",
	    "1.2.3.4.5",    "example.org",	 "",
	    "/24",	    "::ffff:1.2.3.0/95", "192.0.2.0/1000"};
	struct lk_cidr c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (lk_cidr_parse(bad[i], strlen(bad[i]), &c) == 0)
			fail_msg("\"%s\": got ok (prefix %u), want -1", bad[i],
				 c.prefix);
}

static void
test_loopback_addresses(void **state)
{
	static const struct {
		const char *ip;
		int want;
	} t[] = {{"127.0.0.1", 1},	  {"127.1.2.3", 1}, {"::1", 1},
		 {"::ffff:127.0.0.1", 1}, {"0.0.0.0", 0},   {"::", 0},
		 {"192.0.2.1", 0},	  {"::2", 0}};
	struct lk_ip ip;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(lk_ip_parse(t[i].ip, strlen(t[i].ip), &ip), 0);
		if (lk_ip_is_loopback(&ip) != t[i].want)
			fail_msg("%s: got %d, want %d", t[i].ip, !t[i].want,
				 t[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cidr_match_table),
	    cmocka_unit_test(test_bad_cidrs_are_refused),
	    cmocka_unit_test(test_loopback_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
