/* delivery/sieve/match_test.c - :is, :contains, :matches under both
 * comparators, wildcard escapes, the step bound, and flag names. */
#include "testutil.h"

#include "sieve_int.h"

struct m_case {
	enum sv_match m;
	enum sv_cmp c;
	const char *value, *key;
	int want;
};

#define CM SV_CMP_CASEMAP
#define OC SV_CMP_OCTET

static const struct m_case m_cases[] = {
    {SV_MATCH_IS, CM, "Hello", "hello", 1},
    {SV_MATCH_IS, OC, "Hello", "hello", 0},
    {SV_MATCH_IS, OC, "Hello", "Hello", 1},
    {SV_MATCH_IS, CM, "Hello", "Hell", 0},
    {SV_MATCH_IS, CM, "", "", 1},
    {SV_MATCH_IS, CM, "\xc3\x89t\xc3\xa9", "\xc3\xa9t\xc3\xa9", 0},
    {SV_MATCH_CONTAINS, CM, "X-Spam-Flag: YES", "yes", 1},
    {SV_MATCH_CONTAINS, OC, "YES", "yes", 0},
    {SV_MATCH_CONTAINS, CM, "abc", "", 1},
    {SV_MATCH_CONTAINS, CM, "ab", "abc", 0},
    {SV_MATCH_CONTAINS, CM, "make money fast", "MONEY", 1},
    {SV_MATCH_MATCHES, CM, "make money fast", "*money*", 1},
    {SV_MATCH_MATCHES, CM, "make money fast", "*MAKE*money*fast*", 1},
    {SV_MATCH_MATCHES, CM, "make money fast", "money*", 0},
    {SV_MATCH_MATCHES, CM, "abc", "a?c", 1},
    {SV_MATCH_MATCHES, CM, "ac", "a?c", 0},
    {SV_MATCH_MATCHES, CM,
     "a\xc3\xa9"
     "c",
     "a?c", 1},
    {SV_MATCH_MATCHES, OC,
     "a\xc3\xa9"
     "c",
     "a?c", 0},
    {SV_MATCH_MATCHES, OC,
     "a\xc3\xa9"
     "c",
     "a??c", 1},
    {SV_MATCH_MATCHES, CM, "", "*", 1},
    {SV_MATCH_MATCHES, CM, "", "?", 0},
    {SV_MATCH_MATCHES, CM, "a*b", "a\\*b", 1},
    {SV_MATCH_MATCHES, CM, "axb", "a\\*b", 0},
    {SV_MATCH_MATCHES, CM, "a?b", "a\\?b", 1},
    {SV_MATCH_MATCHES, CM, "axb", "a\\?b", 0},
    {SV_MATCH_MATCHES, CM, "a\\b", "a\\\\b", 1},
    {SV_MATCH_MATCHES, CM, "abcabd", "*abd", 1},
    {SV_MATCH_MATCHES, CM, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
     "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c", 0},
    {SV_MATCH_MATCHES, CM, "x", "x***", 1},
    {SV_MATCH_MATCHES, CM, "x", "", 0},
};

static void
test_match_types_and_comparators(void **state)
{
	const struct m_case *c;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(m_cases) / sizeof(m_cases[0]); i++) {
		c = &m_cases[i];
		got = sv_match(c->m, c->c, c->value, strlen(c->value), c->key);
		if (got != c->want)
			BAD("match(type %d, cmp %d, \"%s\", \"%s\"): got %d, "
			    "want %d",
			    c->m, c->c, c->value, c->key, got, c->want);
	}
	done();
}

/* A long value against a pattern with many stars finishes quickly: the
 * walk is at worst value x key, and past the bound it says so (-1). */
static void
test_matches_is_bounded(void **state)
{
	size_t vlen = 200000, i;
	char *v = malloc(vlen + 1), key[200];
	int got;

	(void)state;
	assert_non_null(v);
	memset(v, 'a', vlen);
	v[vlen] = '\0';
	for (i = 0; i + 2 < sizeof(key); i += 2) {
		key[i] = '*';
		key[i + 1] = 'a';
	}
	key[i] = 'b';
	key[i + 1] = '\0';
	got = sv_match(SV_MATCH_MATCHES, CM, v, vlen, key);
	if (got != -1 && got != 0)
		BAD("pathological :matches: got %d, want 0 or -1", got);
	got = sv_match(SV_MATCH_MATCHES, CM, v, vlen, "*a");
	if (got != 1)
		BAD("200000 a's :matches \"*a\": got %d, want 1", got);
	free(v);
	done();
}

static void
test_flag_names_parse(void **state)
{
	static const struct {
		const char *in;
		unsigned want;
	} cases[] = {
	    {"\\Seen", SIEVE_FLAG_SEEN},
	    {"\\seen \\FLAGGED", SIEVE_FLAG_SEEN | SIEVE_FLAG_FLAGGED},
	    {"  \\Answered  \\Draft ", SIEVE_FLAG_ANSWERED | SIEVE_FLAG_DRAFT},
	    {"\\Deleted $Junk", SIEVE_FLAG_DELETED},
	    {"Seen", 0},
	    {"", 0},
	};
	unsigned got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if ((got = sv_flags_parse(cases[i].in)) != cases[i].want)
			BAD("flags(\"%s\"): got 0x%x, want 0x%x", cases[i].in,
			    got, cases[i].want);
	if (strcmp(sv_flag_name(SIEVE_FLAG_FLAGGED), "\\Flagged") != 0)
		BAD("flag name: got %s, want \\Flagged",
		    sv_flag_name(SIEVE_FLAG_FLAGGED));
	done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_types_and_comparators),
	    cmocka_unit_test(test_matches_is_bounded),
	    cmocka_unit_test(test_flag_names_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
