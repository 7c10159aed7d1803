/* lookup/lk_request_test.c - socketmap and policy request parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lk_request.h"

static void
test_socketmap_request_splits_map_and_key(void **state)
{
	static const struct {
		const char *in;
		enum lk_req_status want;
		enum lk_map map;
		const char *key;
	} t[] = {
	    {"domains example.org", LK_REQ_OK, LK_MAP_DOMAINS, "example.org"},
	    {"mailboxes a b@x", LK_REQ_OK, LK_MAP_MAILBOXES, "a b@x"},
	    {"virtual_aliases @x.org", LK_REQ_OK, LK_MAP_VALIASES, "@x.org"},
	    {"recipient_access <>", LK_REQ_OK, LK_MAP_RECIPIENT_ACCESS, "<>"},
	    {"sender_access ", LK_REQ_EEMPTY, LK_MAP_SENDER_ACCESS, ""},
	    {"domains", LK_REQ_ESYNTAX, LK_MAP_UNKNOWN, ""},
	    {"", LK_REQ_ESYNTAX, LK_MAP_UNKNOWN, ""},
	    {"Domains x", LK_REQ_EMAP, LK_MAP_UNKNOWN, ""},
	    {"nosuchmap x", LK_REQ_EMAP, LK_MAP_UNKNOWN, ""},
	    {"domains a\nb", LK_REQ_EKEY, LK_MAP_DOMAINS, "a\nb"},
	    {"domains 0123456789abcdefX", LK_REQ_EKEYLEN, LK_MAP_DOMAINS,
	     "0123456789abcdefX"},
	};
	struct lk_limits lim = {16};
	struct lk_request r;
	size_t i, eo;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum lk_req_status got =
		    lk_request_parse((const unsigned char *)t[i].in,
				     strlen(t[i].in), &lim, &r, &eo);
		if (got != t[i].want)
			fail_msg("\"%s\": got status %d, want %d", t[i].in, got,
				 t[i].want);
		if (got == LK_REQ_OK || got == LK_REQ_EEMPTY) {
			if (r.map != t[i].map)
				fail_msg("\"%s\": got map %d, want %d", t[i].in,
					 r.map, t[i].map);
			if (r.key_len != strlen(t[i].key) ||
			    memcmp(t[i].in + r.key_off, t[i].key, r.key_len) !=
				0)
				fail_msg("\"%s\": got key \"%.*s\", want "
					 "\"%s\"",
					 t[i].in, (int)r.key_len,
					 t[i].in + r.key_off, t[i].key);
		}
	}
}

static void
test_key_with_nul_byte_is_refused_at_its_offset(void **state)
{
	static const unsigned char in[] = "domains ab\0c";
	struct lk_request r;
	size_t eo = 0;

	if (lk_request_parse(in, sizeof(in) - 1, NULL, &r, &eo) !=
		LK_REQ_EKEY ||
	    eo != 10)
		fail_msg("got offset %zu, want EKEY at 10", eo);
}

static void
test_map_names_round_trip(void **state)
{
	int m;

	for (m = LK_MAP_DOMAINS; m <= LK_MAP_RECIPIENT_ACCESS; m++) {
		const char *n = lk_map_name((enum lk_map)m);
		if (n == NULL || lk_map_find(n, strlen(n)) != m)
			fail_msg("map %d: got %s, want a name that finds it", m,
				 n ? n : "NULL");
	}
	if (lk_map_name(LK_MAP_UNKNOWN) != NULL)
		fail_msg("got a name for LK_MAP_UNKNOWN, want NULL");
}

static void
test_netstring_length_peek(void **state)
{
	static const struct {
		const char *in;
		int want;
		size_t declared, hdr;
	} t[] = {
	    {"12:hello", 1, 12, 3},
	    {"123456789:", 1, 123456789, 10},
	    {"1234567890:", -1, 0, 0},
	    {"12", 0, 0, 0},
	    {"", 0, 0, 0},
	    {":x", -1, 0, 0},
	    {"1a:", -1, 0, 0},
	};
	size_t i, d, h;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got;
		d = h = 0;
		got = lk_ns_peek_len((const unsigned char *)t[i].in,
				     strlen(t[i].in), &d, &h);
		if (got != t[i].want ||
		    (got == 1 && (d != t[i].declared || h != t[i].hdr)))
			fail_msg("\"%s\": got %d (%zu, %zu), want %d (%zu, "
				 "%zu)",
				 t[i].in, got, d, h, t[i].want, t[i].declared,
				 t[i].hdr);
	}
}

static void
test_policy_request_reads_attributes_until_empty_line(void **state)
{
	static const char in[] = "request=smtpd_access_policy\n"
				 "protocol_state=RCPT\r\n"
				 "sender=\n"
				 "recipient=bob@example.org\n"
				 "x_unknown=a=b\n"
				 "client_address=192.0.2.1\n\n"
				 "request=next";
	struct lk_policy_req r;
	size_t used, eo;
	const struct lk_span *s;

	if (lk_policy_parse((const unsigned char *)in, sizeof(in) - 1, NULL, &r,
			    &used, &eo) != LK_POL_OK)
		fail_msg("got an error at %zu, want LK_POL_OK", eo);
	if (used != sizeof(in) - 1 - strlen("request=next"))
		fail_msg("got consumed %zu, want the first request", used);
	s = &r.attr[LK_ATTR_PROTOCOL_STATE];
	if (!s->set || s->len != 4 || memcmp(in + s->off, "RCPT", 4))
		fail_msg("got protocol_state \"%.*s\", want RCPT (no CR)",
			 (int)s->len, in + s->off);
	s = &r.attr[LK_ATTR_SENDER];
	if (!s->set || s->len != 0)
		fail_msg("got sender len %zu set %d, want empty and set",
			 s->len, s->set);
	s = &r.attr[LK_ATTR_CLIENT_ADDRESS];
	if (s->len != 9 || memcmp(in + s->off, "192.0.2.1", 9))
		fail_msg("got client_address \"%.*s\", want 192.0.2.1",
			 (int)s->len, in + s->off);
	if (r.attr[LK_ATTR_HELO_NAME].set)
		fail_msg("got helo_name set, want unset");
}

static void
test_policy_request_errors(void **state)
{
	static const struct {
		const char *in;
		enum lk_pol_status want;
	} t[] = {
	    {"request=x\n", LK_POL_INCOMPLETE},
	    {"request=x", LK_POL_INCOMPLETE},
	    {"", LK_POL_INCOMPLETE},
	    {"noequals\n\n", LK_POL_ESYNTAX},
	    {"=value\n\n", LK_POL_ESYNTAX},
	    {"a=1\nb=2\nc=3\n\n", LK_POL_ELIMIT}, /* max_attrs 2 */
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	     LK_POL_ELIMIT}, /* max_request 32 */
	    {"\n", LK_POL_OK},
	};
	struct lk_policy_limits lim = {32, 2};
	struct lk_policy_req r;
	size_t i, used, eo;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum lk_pol_status got =
		    lk_policy_parse((const unsigned char *)t[i].in,
				    strlen(t[i].in), &lim, &r, &used, &eo);
		if (got != t[i].want)
			fail_msg("\"%s\": got %d, want %d", t[i].in, got,
				 t[i].want);
	}
}

/* Issue 10 finding 8: "sender=spammer\0@bad.example" used to be looked
 * up as "spammer" (a C string stops at the NUL) and answered DUNNO. The
 * request is refused as a whole, framed so the next one still parses. */
static void
test_policy_request_with_nul_is_refused_and_framed(void **state)
{
	static const char in[] = "request=smtpd_access_policy\n"
				 "sender=spammer\0@bad.example\n"
				 "recipient=a@b\n\n"
				 "request=smtpd_access_policy\n\n";
	static const char name[] = "request=smtpd_access_policy\nsen\0der=x\n"
				   "\n";
	size_t first = sizeof("request=smtpd_access_policy\n"
			      "sender=spammer\0@bad.example\n"
			      "recipient=a@b\n\n") -
		       1;
	size_t nul = sizeof("request=smtpd_access_policy\nsender=spammer") - 1;
	struct lk_policy_req r;
	enum lk_pol_status st;
	size_t used, eo;

	st = lk_policy_parse((const unsigned char *)in, sizeof(in) - 1, NULL,
			     &r, &used, &eo);
	if (st != LK_POL_ENUL || eo != nul || used != first)
		fail_msg("NUL in a value: got status %d at %zu, %zu used; want "
			 "LK_POL_ENUL at %zu, %zu used",
			 st, eo, used, nul, first);
	st = lk_policy_parse((const unsigned char *)in + used,
			     sizeof(in) - 1 - used, NULL, &r, &used, &eo);
	if (st != LK_POL_OK)
		fail_msg("request after the refused one: got %d, want OK", st);
	st = lk_policy_parse((const unsigned char *)in, nul + 5, NULL, &r,
			     &used, &eo);
	if (st != LK_POL_INCOMPLETE)
		fail_msg("NUL before the end: got %d, want INCOMPLETE", st);
	st = lk_policy_parse((const unsigned char *)name, sizeof(name) - 1,
			     NULL, &r, &used, &eo);
	if (st != LK_POL_ENUL)
		fail_msg("NUL in a name: got %d, want LK_POL_ENUL", st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_socketmap_request_splits_map_and_key),
	    cmocka_unit_test(test_key_with_nul_byte_is_refused_at_its_offset),
	    cmocka_unit_test(test_map_names_round_trip),
	    cmocka_unit_test(test_netstring_length_peek),
	    cmocka_unit_test(
		test_policy_request_reads_attributes_until_empty_line),
	    cmocka_unit_test(test_policy_request_errors),
	    cmocka_unit_test(
		test_policy_request_with_nul_is_refused_and_framed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
