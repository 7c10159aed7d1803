/* lib/netstring_test.c - table-driven tests for netstring.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "netstring.h"

static const char *
st_name(enum ns_status st)
{
	static const char *names[] = {"NS_OK", "NS_INCOMPLETE", "NS_ESYNTAX",
				      "NS_ELIMIT"};

	return (unsigned)st < 4 ? names[st] : "?";
}

struct ns_case {
	const char *in;
	size_t max;
	enum ns_status want;
	size_t off;	     /* error offset (errors) or payload offset */
	const char *payload; /* on NS_OK */
	size_t consumed;     /* on NS_OK */
};

static const struct ns_case ns_cases[] = {
    {"5:hello,", 0, NS_OK, 2, "hello", 8},
    {"0:,", 0, NS_OK, 2, "", 3},
    {"12:hello world!,", 0, NS_OK, 3, "hello world!", 16},
    {"5:hello,5:world,", 0, NS_OK, 2, "hello", 8},
    {"3:a,b,", 0, NS_OK, 2, "a,b", 6},
    {"5:hello,", 5, NS_OK, 2, "hello", 8},
    {"1:\0,", 0, NS_OK, 2, NULL, 4},

    {"", 0, NS_INCOMPLETE, 0},
    {"5", 0, NS_INCOMPLETE, 0},
    {"5:hel", 0, NS_INCOMPLETE, 0},
    {"5:hello", 0, NS_INCOMPLETE, 0},
    {"100000:", 0, NS_INCOMPLETE, 0},

    {"01:a,", 0, NS_ESYNTAX, 1},
    {"00:,", 0, NS_ESYNTAX, 1},
    {"5:hello;", 0, NS_ESYNTAX, 7},
    {"5:helloX,", 0, NS_ESYNTAX, 7},
    {":,", 0, NS_ESYNTAX, 0},
    {"a:", 0, NS_ESYNTAX, 0},
    {"5x", 0, NS_ESYNTAX, 1},
    {"-1:", 0, NS_ESYNTAX, 0},
    {" 5:hello,", 0, NS_ESYNTAX, 0},
    {"5 :hello,", 0, NS_ESYNTAX, 1},

    {"6:abcdef,", 5, NS_ELIMIT, 0},
    {"11:", 10, NS_ELIMIT, 1},
    {"100001:", 0, NS_ELIMIT, 5},
    {"99999999999999999999:", 0, NS_ELIMIT, 5},
    {"99999999999999999999:", SIZE_MAX, NS_ELIMIT, 19},
    {"18446744073709551616:", SIZE_MAX, NS_ELIMIT, 19},
    {"18446744073709551615:", SIZE_MAX, NS_INCOMPLETE, 0},
};

static void
parse_table(void **state)
{
	size_t i, off, plen, consumed, err_off, len;
	int nfail = 0;

	for (i = 0; i < sizeof(ns_cases) / sizeof(ns_cases[0]); i++) {
		const struct ns_case *c = &ns_cases[i];
		enum ns_status st;

		len = strlen(c->in);
		if (c->consumed > len)
			len = c->consumed; /* embedded NUL */
		off = plen = consumed = 777;
		st = ns_parse((const unsigned char *)c->in, len, c->max, &off,
			      &plen, &consumed, &err_off);
		if (st != c->want) {
			print_error("ns_parse(\"%s\", max %zu): got %s, want "
				    "%s\n",
				    c->in, c->max, st_name(st),
				    st_name(c->want));
			nfail++;
		} else if ((st == NS_ESYNTAX || st == NS_ELIMIT) &&
			   err_off != c->off) {
			print_error("ns_parse(\"%s\"): got err_off %zu, want "
				    "%zu\n",
				    c->in, err_off, c->off);
			nfail++;
		} else if (st == NS_OK &&
			   (off != c->off || consumed != c->consumed ||
			    (c->payload != NULL &&
			     (plen != strlen(c->payload) ||
			      memcmp(c->in + off, c->payload, plen) != 0)))) {
			print_error("ns_parse(\"%s\"): got off %zu plen %zu "
				    "consumed %zu, want %zu \"%s\" %zu\n",
				    c->in, off, plen, consumed, c->off,
				    c->payload ? c->payload : "", c->consumed);
			nfail++;
		}
	}
	if (nfail != 0)
		fail_msg("%d case(s) failed", nfail);
}

static void
parse_every_strict_prefix_is_incomplete(void **state)
{
	static const char *full[] = {"12:hello world!,", "0:,", "5:a:b,c,"};
	size_t i, n, off, plen, consumed, err_off;
	enum ns_status st;

	for (i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		size_t len = strlen(full[i]);

		for (n = 0; n < len; n++) {
			/* A heap copy of exactly n bytes: ASan sees any
			 * read past the prefix. */
			unsigned char *p = malloc(n ? n : 1);

			assert_non_null(p);
			memcpy(p, full[i], n);
			st =
			    ns_parse(p, n, 0, &off, &plen, &consumed, &err_off);
			free(p);
			if (st != NS_INCOMPLETE)
				fail_msg("ns_parse(\"%.*s\"): got %s, want "
					 "NS_INCOMPLETE",
					 (int)n, full[i], st_name(st));
		}
		st = ns_parse((const unsigned char *)full[i], len, 0, &off,
			      &plen, &consumed, &err_off);
		if (st != NS_OK || consumed != len)
			fail_msg("ns_parse(\"%s\"): got %s consumed %zu, want "
				 "NS_OK %zu",
				 full[i], st_name(st), consumed, len);
	}
}

static void
format_appends_netstring(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(ns_format(&b, "hello", 5), 0);
	assert_int_equal(ns_format(&b, "", 0), 0);
	assert_int_equal(ns_format(&b, NULL, 0), 0);
	assert_int_equal(ns_format(&b, "12345678901", 11), 0);
	if (strcmp(buf_str(&b), "5:hello,0:,0:,11:12345678901,") != 0)
		fail_msg("ns_format: got \"%s\", want "
			 "\"5:hello,0:,0:,11:12345678901,\"",
			 buf_str(&b));
	buf_free(&b);
}

static void
format_fails_whole_when_buffer_full(void **state)
{
	struct buf b;

	buf_init(&b, 9);
	assert_int_equal(buf_adds(&b, "x"), 0);
	assert_int_equal(ns_format(&b, "hello", 5), 0); /* 1 + 8 = 9 */
	if (ns_format(&b, "", 0) != -1)
		fail_msg("ns_format past max: got 0, want -1");
	if (strcmp(buf_str(&b), "x5:hello,") != 0)
		fail_msg("after failed ns_format: got \"%s\", want "
			 "\"x5:hello,\"",
			 buf_str(&b));
	buf_free(&b);
}

static void
format_then_parse_round_trips(void **state)
{
	static const size_t sizes[] = {0,   1,	  9,	 10,	99,
				       100, 1000, 99999, 100000};
	size_t i, k, off, plen, consumed, err_off;
	unsigned char *payload;
	struct buf b;
	enum ns_status st;

	payload = malloc(100000);
	assert_non_null(payload);
	for (k = 0; k < 100000; k++)
		payload[k] = (unsigned char)(k * 7);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		buf_init(&b, 0);
		assert_int_equal(ns_format(&b, payload, sizes[i]), 0);
		st = ns_parse((unsigned char *)b.data, b.len, 0, &off, &plen,
			      &consumed, &err_off);
		if (st != NS_OK || plen != sizes[i] || consumed != b.len ||
		    memcmp(b.data + off, payload, plen) != 0)
			fail_msg("round trip of %zu bytes: got %s plen %zu "
				 "consumed %zu, want NS_OK %zu %zu",
				 sizes[i], st_name(st), plen, consumed,
				 sizes[i], b.len);
		buf_free(&b);
	}
	free(payload);
}

static void
strerror_names_every_status(void **state)
{
	int st;

	for (st = NS_OK; st <= NS_ELIMIT; st++)
		if (strcmp(ns_strerror(st), "unknown netstring error") == 0)
			fail_msg("ns_strerror(%d): got generic text", st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parse_table),
	    cmocka_unit_test(parse_every_strict_prefix_is_incomplete),
	    cmocka_unit_test(format_appends_netstring),
	    cmocka_unit_test(format_fails_whole_when_buffer_full),
	    cmocka_unit_test(format_then_parse_round_trips),
	    cmocka_unit_test(strerror_names_every_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
