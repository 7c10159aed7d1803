/* lib/cidr_test.c - addresses, CIDR blocks and CIDR lists: matching
 * (edges /0 /32 /128, IPv4-mapped IPv6), every way a block is refused
 * and why, and lists (separators, the 64-block limit, where the bad
 * block is). The first tables moved here from lib/access_test.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cidr.h"

static void
cidr_match_table(void **state)
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
	struct cidr c;
	struct cidr_ip ip;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got;
		if (cidr_parse(t[i].net, strlen(t[i].net), &c) != CIDR_OK)
			fail_msg("%s: got parse error, want ok", t[i].net);
		if (cidr_ip_parse(t[i].ip, strlen(t[i].ip), &ip) < 0)
			fail_msg("%s: got parse error, want ok", t[i].ip);
		got = cidr_match(&c, &ip);
		if (got != t[i].want)
			fail_msg("%s in %s: got %d, want %d", t[i].ip, t[i].net,
				 got, t[i].want);
	}
}

static void
cidr_edges_zero_full_and_ipv6(void **state)
{
	static const struct {
		const char *net, *ip;
		int want;
	} t[] = {
	    {"0.0.0.0/0", "0.0.0.0", 1},
	    {"0.0.0.0/0", "255.255.255.255", 1},
	    {"192.0.2.1/32", "192.0.2.1", 1},
	    {"192.0.2.1/32", "192.0.2.0", 0},
	    {"192.0.2.1/32", "192.0.2.3", 0},
	    {"::/0", "2001:db8::1", 1},
	    {"::/0", "::1", 1},
	    {"::/0", "192.0.2.1", 0},
	    {"2001:db8::1/128", "2001:db8::1", 1},
	    {"2001:db8::1/128", "2001:db8::0", 0},
	    {"2001:db8::1/128", "2001:db8::3", 0},
	    {"2001:DB8::/127", "2001:db8::1", 1}, /* case of hex digits */
	    {"2001:db8::/127", "2001:db8::2", 0},
	    {"fe80::/10", "febf:ffff::1", 1},
	    {"fe80::/10", "fec0::1", 0},
	};
	struct cidr c;
	struct cidr_ip ip;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (cidr_parse(t[i].net, strlen(t[i].net), &c) != CIDR_OK)
			fail_msg("%s: got -1, want a CIDR", t[i].net);
		if (cidr_ip_parse(t[i].ip, strlen(t[i].ip), &ip) < 0)
			fail_msg("%s: got -1, want an address", t[i].ip);
		if (cidr_match(&c, &ip) != t[i].want)
			fail_msg("%s in %s: got %d, want %d", t[i].ip, t[i].net,
				 !t[i].want, t[i].want);
	}
}

static void
bad_cidrs_are_refused_with_their_reason(void **state)
{
	static const struct {
		const char *s;
		enum cidr_status want;
	} t[] = {
	    {"192.0.2.0/", CIDR_EPREFIX_EMPTY}, /* was /0 in [spam] (atoi) */
	    {"::/", CIDR_EPREFIX_EMPTY},
	    {"192.0.2.0/33", CIDR_EPREFIX_RANGE},
	    {"2001:db8::/129", CIDR_EPREFIX_RANGE},
	    {"192.0.2.0/1000", CIDR_EPREFIX_RANGE},
	    {"::ffff:1.2.3.0/95", CIDR_EPREFIX_RANGE},
	    {"192.0.2.0/2x", CIDR_EPREFIX_SYNTAX}, /* trailing junk */
	    {"192.0.2.0/24x", CIDR_EPREFIX_SYNTAX},
	    {"192.0.2.0/08", CIDR_EPREFIX_SYNTAX},
	    {"192.0.2.0/-1", CIDR_EPREFIX_SYNTAX},
	    {"192.0.2.0/+8", CIDR_EPREFIX_SYNTAX},
	    {"192.0.2.0/8/8", CIDR_EPREFIX_SYNTAX},
	    {"192.0.2.0x/24", CIDR_EADDR},
	    {"192.0.2", CIDR_EADDR},
	    {"1.2.3.4.5", CIDR_EADDR},
	    {"01.2.3.4", CIDR_EADDR},
	    {"example.org", CIDR_EADDR},
	    {"", CIDR_EADDR},
	    {"/24", CIDR_EADDR},
	    {"2001:db8::g", CIDR_EADDR},
	};
	struct cidr c;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum cidr_status got = cidr_parse(t[i].s, strlen(t[i].s), &c);
		if (got != t[i].want)
			fail_msg("\"%s\": got %d (%s), want %d (%s)", t[i].s,
				 got, cidr_strerror(got), t[i].want,
				 cidr_strerror(t[i].want));
	}
}

static void
nul_inside_a_block_is_not_an_address(void **state)
{
	struct cidr c;

	if (cidr_parse("192.0.2.1\0/8", 12, &c) != CIDR_EADDR)
		fail_msg("\"192.0.2.1\\0/8\": got ok, want CIDR_EADDR");
}

static void
lists_take_commas_and_blanks(void **state)
{
	static const struct {
		const char *s;
		size_t n;
	} t[] = {
	    {"", 0},
	    {" , \t,", 0},
	    {"127.0.0.0/8, ::1", 2},
	    {"127.0.0.0/8 ::1", 2},
	    {"10.0.0.0/8,192.168.0.0/16\t2001:db8::/32", 3},
	    {",,192.0.2.1,,", 1},
	};
	struct cidr_list l;
	size_t i, off, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum cidr_status st =
		    cidr_list_parse(t[i].s, strlen(t[i].s), &l, &off, &len);
		if (st != CIDR_OK || l.n != t[i].n)
			fail_msg("\"%s\": got %d with %zu blocks, want ok with "
				 "%zu",
				 t[i].s, st, l.n, t[i].n);
	}
}

static void
list_errors_point_at_the_bad_block(void **state)
{
	static const struct {
		const char *s;
		enum cidr_status want;
		const char *bad;
	} t[] = {
	    {"127.0.0.0/8, 192.0.2.0/", CIDR_EPREFIX_EMPTY, "192.0.2.0/"},
	    {"192.0.2.0/ ::1", CIDR_EPREFIX_EMPTY, "192.0.2.0/"},
	    {"::1, 10.0.0.0/33", CIDR_EPREFIX_RANGE, "10.0.0.0/33"},
	    {"10.0.0.0/8x", CIDR_EPREFIX_SYNTAX, "10.0.0.0/8x"},
	    {"10.0.0.0 /8", CIDR_EADDR, "/8"},
	    {"127.0.0.1;10.0.0.1", CIDR_EADDR, "127.0.0.1;10.0.0.1"},
	    {"localhost", CIDR_EADDR, "localhost"},
	};
	struct cidr_list l;
	size_t i, off = 0, len = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum cidr_status st =
		    cidr_list_parse(t[i].s, strlen(t[i].s), &l, &off, &len);
		if (st != t[i].want || len != strlen(t[i].bad) ||
		    strncmp(t[i].s + off, t[i].bad, len) != 0)
			fail_msg("\"%s\": got %d at \"%.*s\", want %d at "
				 "\"%s\"",
				 t[i].s, st, (int)len, t[i].s + off, t[i].want,
				 t[i].bad);
	}
}

static void
lists_hold_at_most_64_blocks(void **state)
{
	char s[CIDR_LIST_MAX * 16 + 32];
	struct cidr_list l;
	size_t i, n = 0, off, len;
	enum cidr_status st;

	for (i = 0; i < CIDR_LIST_MAX; i++)
		n +=
		    (size_t)snprintf(s + n, sizeof(s) - n, "10.0.%zu.0/24 ", i);
	st = cidr_list_parse(s, n, &l, &off, &len);
	if (st != CIDR_OK || l.n != CIDR_LIST_MAX)
		fail_msg("64 blocks: got %d with %zu, want ok with 64", st,
			 l.n);
	n += (size_t)snprintf(s + n, sizeof(s) - n, "192.0.2.1");
	st = cidr_list_parse(s, n, &l, &off, &len);
	if (st != CIDR_ELIMIT || strncmp(s + off, "192.0.2.1", len) != 0)
		fail_msg("65 blocks: got %d at \"%.*s\", want CIDR_ELIMIT at "
			 "192.0.2.1",
			 st, (int)len, s + off);
}

static void
list_match_takes_text_addresses(void **state)
{
	static const struct {
		const char *ip;
		int want;
	} t[] = {
	    {"127.0.0.1", 1},
	    {"127.255.0.1", 1},
	    {"::1", 1},
	    {"::ffff:127.0.0.1", 1}, /* a mapped client is the v4 client */
	    {"10.1.2.3", 1},
	    {"10.1.3.3", 0},
	    {"2001:db8:1::5", 1},
	    {"2001:db8:2::5", 0},
	    {"192.0.2.1", 0},
	    {"local", 0}, /* not an address */
	    {"", 0},
	    {NULL, 0},
	};
	const char *list = "127.0.0.0/8, ::1 10.1.2.0/24,2001:db8:1::/48";
	struct cidr_list l;
	size_t i, off, len;

	assert_int_equal(cidr_list_parse(list, strlen(list), &l, &off, &len),
			 CIDR_OK);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (cidr_list_match(&l, t[i].ip) != t[i].want)
			fail_msg("%s: got %d, want %d",
				 t[i].ip ? t[i].ip : "(null)", !t[i].want,
				 t[i].want);
	l.n = 0;
	if (cidr_list_match(&l, "127.0.0.1"))
		fail_msg("empty list: got a match, want none");
}

static void
every_status_has_a_message(void **state)
{
	int st;

	for (st = CIDR_OK; st <= CIDR_ELIMIT; st++)
		if (cidr_strerror((enum cidr_status)st)[0] == '\0')
			fail_msg("status %d: got an empty message", st);
}

static void
loopback_addresses(void **state)
{
	static const struct {
		const char *ip;
		int want;
	} t[] = {{"127.0.0.1", 1},	  {"127.1.2.3", 1}, {"::1", 1},
		 {"::ffff:127.0.0.1", 1}, {"0.0.0.0", 0},   {"::", 0},
		 {"192.0.2.1", 0},	  {"::2", 0}};
	struct cidr_ip ip;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(cidr_ip_parse(t[i].ip, strlen(t[i].ip), &ip),
				 0);
		if (cidr_ip_is_loopback(&ip) != t[i].want)
			fail_msg("%s: got %d, want %d", t[i].ip, !t[i].want,
				 t[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cidr_match_table),
	    cmocka_unit_test(cidr_edges_zero_full_and_ipv6),
	    cmocka_unit_test(bad_cidrs_are_refused_with_their_reason),
	    cmocka_unit_test(nul_inside_a_block_is_not_an_address),
	    cmocka_unit_test(loopback_addresses),
	    cmocka_unit_test(lists_take_commas_and_blanks),
	    cmocka_unit_test(list_errors_point_at_the_bad_block),
	    cmocka_unit_test(lists_hold_at_most_64_blocks),
	    cmocka_unit_test(list_match_takes_text_addresses),
	    cmocka_unit_test(every_status_has_a_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
