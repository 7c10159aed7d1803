/* lib/addr_norm_test.c - the envelope forms and what they resolve to.
 * Every "want" below is what a real Postfix 3.7 logged (from=<...>,
 * to=<...>) for the same form, with the domain's case folded; the same
 * forms run through Postfix in tests/envelope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr_norm.h"
#include "buf.h"

static int nfail;
#define BAD(...)                                                               \
	do {                                                                   \
		print_error(__VA_ARGS__);                                      \
		print_error("\n");                                             \
		nfail++;                                                       \
	} while (0)

static void
done(void)
{
	int n = nfail;

	nfail = 0;
	if (n != 0)
		fail_msg("%d case(s) failed", n);
}

static const struct addr_limits utf8 = {0, 0, 0, 1};

struct ncase {
	const char *in;
	const char *origin;
	enum addr_status st;
	const char *want; /* NULL: the null path */
	int has_domain;
};

typedef enum addr_status (*norm_fn)(const unsigned char *, size_t,
				    const struct addr_limits *, const char *,
				    struct buf *, struct addr_norm *, size_t *);

static void
run(const char *what, norm_fn fn, const struct ncase *t, size_t nt)
{
	struct addr_norm n;
	struct buf b;
	enum addr_status st;
	size_t i, off;

	for (i = 0; i < nt; i++) {
		buf_init(&b, 0);
		st = fn((const unsigned char *)t[i].in, strlen(t[i].in), &utf8,
			t[i].origin, &b, &n, &off);
		if (st != t[i].st)
			BAD("%s(%s): got status %d (off %zu), want %d", what,
			    t[i].in, st, off, t[i].st);
		else if (st == ADDR_OK && t[i].want == NULL && !n.is_null)
			BAD("%s(%s): got \"%s\", want the null path", what,
			    t[i].in, buf_str(&b));
		else if (st == ADDR_OK && t[i].want != NULL &&
			 (strcmp(buf_str(&b), t[i].want) != 0 ||
			  n.has_domain != t[i].has_domain))
			BAD("%s(%s): got \"%s\" (domain %d), want \"%s\" "
			    "(domain %d)",
			    what, t[i].in, buf_str(&b), n.has_domain, t[i].want,
			    t[i].has_domain);
		else if (st == ADDR_OK && t[i].want != NULL &&
			 n.domainless != (strchr(t[i].in, '@') == NULL ||
					  (t[i].in[0] == '<' &&
					   strchr(t[i].in + 2, '@') == NULL)))
			BAD("%s(%s): got domainless %d", what, t[i].in,
			    n.domainless);
		else if (st != ADDR_OK && b.len != 0)
			BAD("%s(%s): error left \"%s\" in out", what, t[i].in,
			    buf_str(&b));
		buf_free(&b);
	}
}

static void
path_forms_resolve_as_postfix_does(void **state)
{
	static const struct ncase t[] = {
	    {"<spammer@bad.example>", NULL, ADDR_OK, "spammer@bad.example", 1},
	    {"spammer@bad.example", NULL, ADDR_OK, "spammer@bad.example", 1},
	    {"<\"spammer\"@bad.example>", NULL, ADDR_OK, "spammer@bad.example",
	     1},
	    {"<@relay.x:spammer@bad.example>", NULL, ADDR_OK,
	     "spammer@bad.example", 1},
	    {"<@a,@b:u@c.example>", NULL, ADDR_OK, "u@c.example", 1},
	    {"<spammer@bad.example.>", NULL, ADDR_OK, "spammer@bad.example", 1},
	    {"<x@EVIL.example.>", NULL, ADDR_OK, "x@evil.example", 1},
	    {"<\"spammer\"@bad.example.>", NULL, ADDR_OK, "spammer@bad.example",
	     1},
	    {"<Spammer@Bad.Example>", NULL, ADDR_OK, "Spammer@bad.example", 1},
	    {"<\"a b\"@bad.example>", NULL, ADDR_OK, "\"a b\"@bad.example", 1},
	    {"<\"a\\\"b\"@bad.example>", NULL, ADDR_OK,
	     "\"a\\\"b\"@bad.example", 1},
	    {"<\"a\\b\"@bad.example>", NULL, ADDR_OK, "ab@bad.example", 1},
	    {"<\"spammer.\"@bad.example>", NULL, ADDR_OK,
	     "\"spammer.\"@bad.example", 1},
	    {"<\"x@y\"@bad.example>", NULL, ADDR_OK, "\"x@y\"@bad.example", 1},
	    {"<\"first\".\"last\"@bad.example>", NULL, ADDR_OK,
	     "first.last@bad.example", 1},
	    {"<abc.@ezweb.ne.jp>", NULL, ADDR_OK, "\"abc.\"@ezweb.ne.jp", 1},
	    {"<a..b@docomo.ne.jp>", NULL, ADDR_OK, "\"a..b\"@docomo.ne.jp", 1},
	    {"<u%v@bad.example>", NULL, ADDR_OK, "u%v@bad.example", 1},
	    {"<spammer@[127.0.0.1]>", NULL, ADDR_OK, "spammer@[127.0.0.1]", 1},
	    {"<\xc3\x89lodie@Exemple.Fr.>", NULL, ADDR_OK,
	     "\xc3\x89lodie@exemple.fr", 1},
	    {"<u@\xc3\x89"
	     "COLE.fr>",
	     NULL, ADDR_OK, "u@\xc3\xa9\x63ole.fr", 1},
	    {"<u@\xd0\x9f\xd0\xa0\xd0\x98\xd0\x9c\xd0\x95\xd0\xa0.\xd1\x80\xd1"
	     "\x84>",
	     NULL, ADDR_OK,
	     "u@\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0"
	     "\xb5\xd1\x80.\xd1\x80\xd1\x84",
	     1},
	    {"<postmaster>", NULL, ADDR_OK, "postmaster", 0},
	    {"<Postmaster>", "mx.facteur.test", ADDR_OK,
	     "Postmaster@mx.facteur.test", 1},
	    {"<postmaster>", "MX.Facteur.Test.", ADDR_OK,
	     "postmaster@mx.facteur.test", 1},
	    {"<>", NULL, ADDR_OK, NULL, 0},
	    {"", NULL, ADDR_OK, NULL, 0},
	    {" <a@b.example> ", NULL, ADDR_OK, "a@b.example", 1},
	    /* What Postfix refuses, or we cannot read as it does. */
	    {"<spammer@bad.example..>", NULL, ADDR_EDOMAIN, "", 0},
	    {"<a@b@bad.example>", NULL, ADDR_OK, "\"a@b\"@bad.example", 1},
	    {"<\"a@b\"@c@bad.example>", NULL, ADDR_OK, "\"a@b@c\"@bad.example",
	     1},
	    {"<a@\"b@\"bad.example>", NULL, ADDR_EDOMAIN, "", 0},
	    /* Postfix drops comments; we refuse rather than guess. */
	    {"<(c)spammer@bad.example>", NULL, ADDR_ELOCAL, "", 0},
	    {"<spam mer@bad.example>", NULL, ADDR_ELOCAL, "", 0},
	    {"<\"\"@bad.example>", NULL, ADDR_OK, "\"\"@bad.example", 1},
	    {"<\"open@bad.example>", NULL, ADDR_ELOCAL, "", 0},
	    {"<@bad.example>", NULL, ADDR_ELOCAL, "", 0},
	    {"<@relay.x:>", NULL, ADDR_ELOCAL, "", 0},
	    {"<spammer@>", NULL, ADDR_EDOMAIN, "", 0},
	    {"<spammer@bad_example>", NULL, ADDR_EDOMAIN, "", 0},
	    {"<x\x01y@bad.example>", NULL, ADDR_ELOCAL, "", 0},
	    {"<\"x\x01y\"@bad.example>", NULL, ADDR_ELOCAL, "", 0},
	    {"<\xc3(@bad.example>", NULL, ADDR_ELOCAL, "", 0},
	};

	(void)state;
	run("addr_norm_path", addr_norm_path, t, sizeof(t) / sizeof(t[0]));
	done();
}

static void
internal_forms_from_a_policy_request_resolve_alike(void **state)
{
	/* sender= and recipient= as Postfix 3.7 sent them to a policy
	 * server for the forms above. */
	static const struct ncase t[] = {
	    {"spammer@bad.example", NULL, ADDR_OK, "spammer@bad.example", 1},
	    {"spammer@bad.example.", NULL, ADDR_OK, "spammer@bad.example", 1},
	    {"x@EVIL.example.", NULL, ADDR_OK, "x@evil.example", 1},
	    {"gone@MX.test.", NULL, ADDR_OK, "gone@mx.test", 1},
	    {"a b@bad.example", NULL, ADDR_OK, "\"a b\"@bad.example", 1},
	    {"a\"b@bad.example", NULL, ADDR_OK, "\"a\\\"b\"@bad.example", 1},
	    {"spammer.@bad.example", NULL, ADDR_OK, "\"spammer.\"@bad.example",
	     1},
	    {"x@y@bad.example", NULL, ADDR_OK, "\"x@y\"@bad.example", 1},
	    {"@a:b@c.example", NULL, ADDR_OK, "\"@a:b\"@c.example", 1},
	    {"\xc3\x89lodie@Exemple.Fr.", NULL, ADDR_OK,
	     "\xc3\x89lodie@exemple.fr", 1},
	    {"postmaster", NULL, ADDR_OK, "postmaster", 0},
	    {"postmaster", "mx.facteur.test", ADDR_OK,
	     "postmaster@mx.facteur.test", 1},
	    {"", NULL, ADDR_OK, NULL, 0},
	    {"x\ny@bad.example", NULL, ADDR_ELOCAL, "", 0},
	    {"@bad.example", NULL, ADDR_OK, "\"\"@bad.example", 1},
	    {"spammer@bad.example..", NULL, ADDR_EDOMAIN, "", 0},
	    {"spammer@bad example", NULL, ADDR_EDOMAIN, "", 0},
	};

	(void)state;
	run("addr_norm_internal", addr_norm_internal, t,
	    sizeof(t) / sizeof(t[0]));
	done();
}

/* normalise(normalise(x)) == normalise(x), for every form above that
 * resolves to a full address. */
static void
normal_form_is_a_fixed_point(void **state)
{
	static const char *in[] = {
	    "<\"spammer\"@bad.example.>",
	    "<@r:gone@MX.TEST.>",
	    "<\"a b\"@bad.example>",
	    "<\"a\\\"b\\\\c\"@bad.example>",
	    "<abc.@ezweb.ne.jp>",
	    "<\"x@y\"@bad.example>",
	    "<u@\xc3\x89\xc5\xb8\xc5\xb9.fr>",
	    "<\"\"@bad.example>",
	    "<u@[IPv6:2001:db8::1]>",
	};
	struct addr_norm n1, n2;
	struct buf a, b;
	size_t i, off;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		buf_init(&a, 0);
		buf_init(&b, 0);
		if (addr_norm_path((const unsigned char *)in[i], strlen(in[i]),
				   &utf8, NULL, &a, &n1, &off) != ADDR_OK)
			BAD("addr_norm_path(%s): refused at %zu", in[i], off);
		else if (addr_norm_path((const unsigned char *)a.data, a.len,
					&utf8, NULL, &b, &n2,
					&off) != ADDR_OK ||
			 strcmp(buf_str(&a), buf_str(&b)) != 0)
			BAD("addr_norm_path(%s) = \"%s\", again: got \"%s\", "
			    "want the same",
			    in[i], buf_str(&a), buf_str(&b));
		buf_free(&a);
		buf_free(&b);
	}
	done();
}

static void
quote_local_follows_quote_822_local(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"alice", "alice"},	    {"a.b", "a.b"},
	    {".a", "\".a\""},	    {"a.", "\"a.\""},
	    {"a..b", "\"a..b\""},   {"a b", "\"a b\""},
	    {"a\"b", "\"a\\\"b\""}, {"a\\b", "\"a\\\\b\""},
	    {"", "\"\""},	    {"x@y", "\"x@y\""},
	    {"a(b", "\"a(b\""},	    {"\xc3\xa9", "\xc3\xa9"},
	    {"{|}~", "{|}~"},
	};
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&b, 0);
		if (addr_norm_quote_local((const unsigned char *)t[i].in,
					  strlen(t[i].in), &b) != 0 ||
		    strcmp(buf_str(&b), t[i].want) != 0)
			BAD("quote_local(%s): got \"%s\", want \"%s\"", t[i].in,
			    buf_str(&b), t[i].want);
		buf_free(&b);
	}
	done();
}

static void
full_buffer_fails_whole(void **state)
{
	struct addr_norm n;
	struct buf b;
	size_t off;

	(void)state;
	buf_init(&b, 10);
	if (buf_adds(&b, "ab") != 0)
		fail_msg("setup");
	assert_int_equal(addr_norm_path((const unsigned char *)"<\"a b\"@c.d>",
					11, &utf8, NULL, &b, &n, &off),
			 ADDR_ELIMIT);
	assert_string_equal(buf_str(&b), "ab");
	assert_int_equal(
	    addr_norm_domain((const unsigned char *)"ABCDEFGHIJ", 10, &b), -1);
	assert_string_equal(buf_str(&b), "ab");
	buf_free(&b);
}

static void
limits_apply_to_the_unquoted_address(void **state)
{
	static const struct addr_limits small = {4, 0, 8, 0};
	struct addr_norm n;
	struct buf b;
	size_t off;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(addr_norm_path((const unsigned char *)"<\"abcd\"@x.y>",
					12, &small, NULL, &b, &n, &off),
			 ADDR_OK);
	assert_string_equal(buf_str(&b), "abcd@x.y");
	buf_reset(&b);
	assert_int_equal(addr_norm_path((const unsigned char *)"<abcde@x.y>",
					11, &small, NULL, &b, &n, &off),
			 ADDR_ELIMIT);
	assert_int_equal(addr_norm_path((const unsigned char *)"<abcd@xyz.y>",
					12, &small, NULL, &b, &n, &off),
			 ADDR_ELIMIT);
	/* 8-bit only with SMTPUTF8. */
	assert_int_equal(addr_norm_path((const unsigned char *)"<\xc3\xa9@x.y>",
					8, &small, NULL, &b, &n, &off),
			 ADDR_ELOCAL);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(path_forms_resolve_as_postfix_does),
	    cmocka_unit_test(
		internal_forms_from_a_policy_request_resolve_alike),
	    cmocka_unit_test(normal_form_is_a_fixed_point),
	    cmocka_unit_test(quote_local_follows_quote_822_local),
	    cmocka_unit_test(full_buffer_fails_whole),
	    cmocka_unit_test(limits_apply_to_the_unquoted_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
