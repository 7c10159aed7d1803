/* lib/dns_cache_test.c - expiry, eviction and copies of the DNS cache,
 * on a clock the test moves by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_cache.h"

static long long
fake_now(void *arg)
{
	return *(long long *)arg;
}

/* An answer with one rr of text s (or none if s is NULL). */
static void
mk(struct dns_answer *a, enum dns_status st, const char *s)
{
	memset(a, 0, sizeof(*a));
	a->status = st;
	if (s == NULL)
		return;
	a->rrs = calloc(1, sizeof(*a->rrs));
	a->lens = calloc(1, sizeof(*a->lens));
	assert_non_null(a->rrs);
	assert_non_null(a->lens);
	a->rrs[0] = strdup(s);
	assert_non_null(a->rrs[0]);
	a->lens[0] = strlen(s);
	a->nrrs = 1;
}

/* Expects a hit with text want (NULL = a negative answer of status st)
 * or, with hit 0, a miss. */
static void
expect(struct dns_cache *c, const char *name, enum dns_type t, int hit,
       enum dns_status st, const char *want, unsigned ttl)
{
	struct dns_answer a;
	int got;

	memset(&a, 0, sizeof(a));
	got = dns_cache_get(c, name, t, &a);
	if (got != hit)
		fail_msg("%s/%d: got hit=%d, want %d", name, (int)t, got, hit);
	if (!hit)
		return;
	if (a.status != st)
		fail_msg("%s: got status %d, want %d", name, (int)a.status,
			 (int)st);
	if (want == NULL && a.nrrs != 0)
		fail_msg("%s: got %zu rrs, want 0", name, a.nrrs);
	if (want != NULL && (a.nrrs != 1 || strcmp(a.rrs[0], want) != 0))
		fail_msg("%s: got '%s', want '%s'", name,
			 a.nrrs ? a.rrs[0] : "(none)", want);
	if (ttl != 0 && a.ttl != ttl)
		fail_msg("%s: got ttl %u left, want %u", name, a.ttl, ttl);
	dns_answer_clear(&a);
}

static void
test_entry_lives_until_its_ttl(void **state)
{
	long long now = 1000;
	struct dns_cache *c;
	struct dns_answer a;

	(void)state;
	assert_int_equal(dns_cache_new(10, fake_now, &now, &c), 0);
	mk(&a, DNS_OK, "v=spf1 -all");
	assert_int_equal(dns_cache_put(c, "example.org", DNS_T_TXT, &a, 60), 0);
	dns_answer_clear(&a);
	expect(c, "example.org", DNS_T_TXT, 1, DNS_OK, "v=spf1 -all", 60);
	expect(c, "example.org", DNS_T_A, 0, DNS_OK, NULL, 0);
	expect(c, "other.org", DNS_T_TXT, 0, DNS_OK, NULL, 0);
	now += 59500;
	expect(c, "example.org", DNS_T_TXT, 1, DNS_OK, "v=spf1 -all", 1);
	now += 500;
	expect(c, "example.org", DNS_T_TXT, 0, DNS_OK, NULL, 0);
	if (dns_cache_count(c) != 0)
		fail_msg("got %zu entries after expiry, want 0",
			 dns_cache_count(c));
	dns_cache_free(&c);
	assert_null(c);
}

static void
test_negative_answers_are_cached_and_zero_ttl_is_not(void **state)
{
	long long now = 0;
	struct dns_cache *c;
	struct dns_answer a;

	(void)state;
	assert_int_equal(dns_cache_new(10, fake_now, &now, &c), 0);
	mk(&a, DNS_NXDOMAIN, NULL);
	assert_int_equal(dns_cache_put(c, "nope.example", DNS_T_TXT, &a, 30),
			 0);
	assert_int_equal(dns_cache_put(c, "zero.example", DNS_T_TXT, &a, 0), 0);
	expect(c, "nope.example", DNS_T_TXT, 1, DNS_NXDOMAIN, NULL, 30);
	expect(c, "zero.example", DNS_T_TXT, 0, DNS_OK, NULL, 0);
	dns_cache_free(&c);
}

static void
test_full_cache_evicts_least_recently_used(void **state)
{
	long long now = 0;
	struct dns_cache *c;
	struct dns_answer a;

	(void)state;
	assert_int_equal(dns_cache_new(2, fake_now, &now, &c), 0);
	mk(&a, DNS_OK, "1");
	assert_int_equal(dns_cache_put(c, "a.example", DNS_T_A, &a, 100), 0);
	assert_int_equal(dns_cache_put(c, "b.example", DNS_T_A, &a, 100), 0);
	/* touch a: b is now the oldest */
	expect(c, "a.example", DNS_T_A, 1, DNS_OK, "1", 0);
	assert_int_equal(dns_cache_put(c, "c.example", DNS_T_A, &a, 100), 0);
	dns_answer_clear(&a);
	expect(c, "b.example", DNS_T_A, 0, DNS_OK, NULL, 0);
	expect(c, "a.example", DNS_T_A, 1, DNS_OK, "1", 0);
	expect(c, "c.example", DNS_T_A, 1, DNS_OK, "1", 0);
	if (dns_cache_count(c) != 2)
		fail_msg("got %zu entries, want 2", dns_cache_count(c));
	dns_cache_free(&c);
}

static void
test_put_replaces_same_key(void **state)
{
	long long now = 0;
	struct dns_cache *c;
	struct dns_answer a;

	(void)state;
	assert_int_equal(dns_cache_new(0, fake_now, &now, &c), 0);
	mk(&a, DNS_OK, "old");
	assert_int_equal(dns_cache_put(c, "k.example", DNS_T_TXT, &a, 10), 0);
	dns_answer_clear(&a);
	mk(&a, DNS_OK, "new");
	assert_int_equal(dns_cache_put(c, "k.example", DNS_T_TXT, &a, 20), 0);
	dns_answer_clear(&a);
	expect(c, "k.example", DNS_T_TXT, 1, DNS_OK, "new", 20);
	if (dns_cache_count(c) != 1)
		fail_msg("got %zu entries, want 1", dns_cache_count(c));
	dns_cache_free(&c);
}

/* Many keys through a small cache: the bound holds and nothing leaks
 * (ASan checks the latter). */
static void
test_bound_holds_under_many_keys(void **state)
{
	long long now = 0;
	struct dns_cache *c;
	struct dns_answer a;
	char name[64];
	int i;

	(void)state;
	assert_int_equal(dns_cache_new(50, fake_now, &now, &c), 0);
	mk(&a, DNS_OK, "x");
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		assert_int_equal(
		    dns_cache_put(c, name, DNS_T_A, &a, (unsigned)(1 + i % 7)),
		    0);
		if (i % 3 == 0)
			now += 1000;
	}
	dns_answer_clear(&a);
	if (dns_cache_count(c) > 50)
		fail_msg("got %zu entries, want <= 50", dns_cache_count(c));
	expect(c, "n999.example", DNS_T_A, 1, DNS_OK, "x", 0);
	expect(c, "n0.example", DNS_T_A, 0, DNS_OK, NULL, 0);
	dns_cache_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entry_lives_until_its_ttl),
	    cmocka_unit_test(
		test_negative_answers_are_cached_and_zero_ttl_is_not),
	    cmocka_unit_test(test_full_cache_evicts_least_recently_used),
	    cmocka_unit_test(test_put_replaces_same_key),
	    cmocka_unit_test(test_bound_holds_under_many_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
