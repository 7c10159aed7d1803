/* lib/addr_test.c - table-driven tests for addr.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "buf.h"

static const char *
st_name(enum addr_status st)
{
	static const char *names[] = {
	    "ADDR_OK",	   "ADDR_EEMPTY",  "ADDR_ESYNTAX", "ADDR_ENOAT",
	    "ADDR_ELOCAL", "ADDR_EDOMAIN", "ADDR_ELIMIT"};

	return (unsigned)st < 7 ? names[st] : "?";
}

#define NOOFF ((size_t)-1)

/* Table tests report every failing row, then fail once. */
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

/* Checks status and (when want_off != NOOFF) error offset. */
static void
check_st(const char *what, const char *in, enum addr_status got, size_t got_off,
	 enum addr_status want, size_t want_off)
{
	if (got != want)
		BAD("%s(\"%s\"): got %s (off %zu), want %s", what, in,
		    st_name(got), got_off, st_name(want));
	if (want != ADDR_OK && want_off != NOOFF && got_off != want_off)
		BAD("%s(\"%s\"): got err_off %zu, want %zu", what, in, got_off,
		    want_off);
}

static void
check_part(const char *in, const char *which, const unsigned char *p,
	   size_t off, size_t len, const char *want)
{
	if (want == NULL)
		return;
	if (len != strlen(want) || memcmp(p + off, want, len) != 0)
		BAD("\"%s\": got %s \"%.*s\", want \"%s\"", in, which, (int)len,
		    (const char *)p + off, want);
}

struct mb_case {
	const char *in;
	int utf8;
	enum addr_status want;
	size_t off;	    /* error offset */
	const char *local;  /* on success */
	const char *domain; /* on success */
	int quoted, literal;
};

static const struct mb_case mb_cases[] = {
    {"user@example.com", 0, ADDR_OK, 0, "user", "example.com", 0, 0},
    {"first.last@example.com", 0, ADDR_OK, 0, "first.last", "example.com"},
    {"a@b", 0, ADDR_OK, 0, "a", "b"},
    {"user+tag@example.com", 0, ADDR_OK, 0, "user+tag", "example.com"},
    {"!#$%&'*+-/=?^_`{|}~@example.com", 0, ADDR_OK, 0, "!#$%&'*+-/=?^_`{|}~",
     "example.com"},
    {"\"john doe\"@example.com", 0, ADDR_OK, 0, "\"john doe\"", "example.com",
     1, 0},
    {"\"a\\\"b\"@example.com", 0, ADDR_OK, 0, "\"a\\\"b\"", "example.com", 1,
     0},
    {"\"\"@example.com", 0, ADDR_OK, 0, "\"\"", "example.com", 1, 0},
    {"\"a@b\"@example.com", 0, ADDR_OK, 0, "\"a@b\"", "example.com", 1},
    {"\"a..b.\"@example.com", 0, ADDR_OK, 0, "\"a..b.\"", "example.com", 1},
    {"user@[192.0.2.1]", 0, ADDR_OK, 0, "user", "[192.0.2.1]", 0, 1},
    {"user@[IPv6:2001:db8::1]", 0, ADDR_OK, 0, "user", "[IPv6:2001:db8::1]", 0,
     1},
    {"user@[IPv6:::1]", 0, ADDR_OK, 0, "user", "[IPv6:::1]", 0, 1},
    {"user@[IPv6:::]", 0, ADDR_OK, 0, "user", "[IPv6:::]", 0, 1},
    {"user@[ipv6:1:2:3:4:5:6:7:8]", 0, ADDR_OK, 0, NULL, NULL, 0, 1},
    {"user@[IPv6:1:2:3:4:5:6:1.2.3.4]", 0, ADDR_OK, 0, NULL, NULL, 0, 1},
    {"user@[IPv6:::ffff:192.0.2.1]", 0, ADDR_OK, 0, NULL, NULL, 0, 1},
    {"user@[IPv6:1:2:3::5:6]", 0, ADDR_OK, 0, NULL, NULL, 0, 1},
    {"user@a-b.example", 0, ADDR_OK, 0, "user", "a-b.example"},
    {"user@a--b.example", 0, ADDR_OK, 0, "user", "a--b.example"},
    {"user@1.2.3.4", 0, ADDR_OK, 0, "user", "1.2.3.4"},
    {"user@xn--bcher-kva.example", 0, ADDR_OK, 0, NULL, NULL},
    {"Jos\xc3\xa9@ex\xc3\xa4mple.com", 1, ADDR_OK, 0, "Jos\xc3\xa9",
     "ex\xc3\xa4mple.com"},
    {"\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.cn", 1, ADDR_OK, 0,
     NULL, NULL},
    {"\"\xc3\xa9t\xc3\xa9\"@example.com", 1, ADDR_OK, 0, NULL, NULL, 1},
    {"\xf0\x9f\x93\xa7@example.com", 1, ADDR_OK, 0, NULL, NULL},

    {"", 0, ADDR_EEMPTY, 0},
    {"userexample.com", 0, ADDR_ENOAT, 15},
    {"user name", 0, ADDR_ENOAT, 9},
    {"@example.com", 0, ADDR_ELOCAL, 0},
    {".user@example.com", 0, ADDR_ELOCAL, 0},
    {"user.@example.com", 0, ADDR_ELOCAL, 4},
    {"us..er@example.com", 0, ADDR_ELOCAL, 3},
    {"us er@example.com", 0, ADDR_ELOCAL, 2},
    {"us(er@example.com", 0, ADDR_ELOCAL, 2},
    {"\"unterminated@example.com", 0, ADDR_ELOCAL, 25},
    {"\"a\"b@example.com", 0, ADDR_ELOCAL, 3},
    {"\"a\x01\"@example.com", 0, ADDR_ELOCAL, 2},
    {"\"a\\\x01\"@example.com", 0, ADDR_ELOCAL, 2},
    {"a.\"b\"@example.com", 0, ADDR_ELOCAL, 2},
    {"user@", 0, ADDR_EDOMAIN, 5},
    {"user@example.com.", 0, ADDR_EDOMAIN, 16},
    {"user@.example.com", 0, ADDR_EDOMAIN, 5},
    {"user@exa..mple.com", 0, ADDR_EDOMAIN, 9},
    {"user@-example.com", 0, ADDR_EDOMAIN, 5},
    {"user@example-.com", 0, ADDR_EDOMAIN, 12},
    {"user@example.-com", 0, ADDR_EDOMAIN, 13},
    {"user@exa_mple.com", 0, ADDR_EDOMAIN, 8},
    {"user@example.com>", 0, ADDR_EDOMAIN, 16},
    {"user@ex ample.com", 0, ADDR_EDOMAIN, 7},
    {"a@b@c", 0, ADDR_EDOMAIN, 3},
    {"user@[192.0.2.256]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[192.0.2]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[192.0.2.1.5]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[1920.0.2.1]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[192.0.2.1", 0, ADDR_EDOMAIN, 15},
    {"user@[192.0.2.1]x", 0, ADDR_EDOMAIN, 16},
    {"user@[IPv6:1:2:3:4:5:6:7]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[IPv6:1:2:3:4:5:6:7:8:9]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[IPv6:1::2::3]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[IPv6:1:2:3:4:5:6:7::]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[IPv6:12345::1]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[IPv6:1:]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[IPv6::1]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[IPv6:g::1]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[IPv6:::1.2.3]", 0, ADDR_EDOMAIN, NOOFF},
    {"user@[tag:stuff]", 0, ADDR_EDOMAIN, NOOFF},
    {"Jos\xc3\xa9@example.com", 0, ADDR_ELOCAL, 3},
    {"user@ex\xc3\xa4mple.com", 0, ADDR_EDOMAIN, 7},
    {"jos\xc3@example.com", 1, ADDR_ELOCAL, 3},
    {"\xc0\xaf@example.com", 1, ADDR_ELOCAL, 0},
    {"\xed\xa0\x80@example.com", 1, ADDR_ELOCAL, 0},
    {"\xf4\x90\x80\x80@example.com", 1, ADDR_ELOCAL, 0},
    {"user@ex\xff.com", 1, ADDR_EDOMAIN, 7},
};

static void
parse_mailbox_table(void **state)
{
	size_t i, off;

	for (i = 0; i < sizeof(mb_cases) / sizeof(mb_cases[0]); i++) {
		const struct mb_case *c = &mb_cases[i];
		struct addr_limits lim = {0, 0, 0, c->utf8};
		struct addr_parts pa;
		const unsigned char *p = (const unsigned char *)c->in;
		enum addr_status st;

		memset(&pa, 0xa5, sizeof(pa));
		st = addr_parse(p, strlen(c->in), &lim, &pa, &off);
		check_st("addr_parse", c->in, st, off, c->want, c->off);
		if (st != ADDR_OK)
			continue;
		check_part(c->in, "local", p, pa.local_off, pa.local_len,
			   c->local);
		check_part(c->in, "domain", p, pa.domain_off, pa.domain_len,
			   c->domain);
		if (pa.quoted != c->quoted || pa.literal != c->literal)
			BAD("\"%s\": got quoted=%d literal=%d, want %d %d",
			    c->in, pa.quoted, pa.literal, c->quoted,
			    c->literal);
	}
	done();
}

/* A hostname of exactly n octets: labels of 50 'a's between dots. */
static void
make_domain(char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = i % 51 == 50 ? '.' : 'a';
	if (n > 0 && out[n - 1] == '.')
		out[n - 1] = 'b';
	out[n] = '\0';
}

static enum addr_status
parse_sizes(size_t nlocal, size_t ndomain, const struct addr_limits *lim,
	    size_t *off)
{
	char in[1200];
	struct addr_parts pa;

	memset(in, 'l', nlocal);
	in[nlocal] = '@';
	make_domain(in + nlocal + 1, ndomain);
	return addr_parse((const unsigned char *)in, nlocal + 1 + ndomain, lim,
			  &pa, off);
}

struct size_case {
	size_t nlocal, ndomain;
	struct addr_limits lim;
	enum addr_status want;
	size_t off;
};

static const struct size_case size_cases[] = {
    {64, 10, {0}, ADDR_OK, 0},
    {65, 10, {0}, ADDR_ELIMIT, 64},
    {64, 189, {0}, ADDR_OK, 0},	      /* 254 in all */
    {64, 190, {0}, ADDR_ELIMIT, 254}, /* 255 in all */
    {1, 252, {0}, ADDR_OK, 0},
    {1, 253, {0}, ADDR_ELIMIT, 254},
    {3, 5, {3, 0, 0, 0}, ADDR_OK, 0},
    {4, 5, {3, 0, 0, 0}, ADDR_ELIMIT, 3},
    {3, 10, {0, 10, 0, 0}, ADDR_OK, 0},
    {3, 11, {0, 10, 0, 0}, ADDR_ELIMIT, 14},
    {3, 6, {0, 0, 10, 0}, ADDR_OK, 0},
    {3, 7, {0, 0, 10, 0}, ADDR_ELIMIT, 10},
    {300, 300, {500, 500, 700, 0}, ADDR_OK, 0},
};

static void
parse_length_limits_at_and_past_edge(void **state)
{
	size_t i, off;
	char name[64];
	enum addr_status st;

	for (i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
		const struct size_case *c = &size_cases[i];

		snprintf(name, sizeof(name), "local %zu domain %zu", c->nlocal,
			 c->ndomain);
		st = parse_sizes(c->nlocal, c->ndomain, &c->lim, &off);
		check_st("addr_parse", name, st, off, c->want, c->off);
	}
	done();
}

static void
parse_domain_limits(void **state)
{
	char d[400];
	size_t off;
	enum addr_status st;

	make_domain(d, 255);
	st = addr_parse_domain((unsigned char *)d, 255, NULL, &off);
	check_st("addr_parse_domain", "255 octets", st, off, ADDR_OK, 0);
	make_domain(d, 256);
	st = addr_parse_domain((unsigned char *)d, 256, NULL, &off);
	check_st("addr_parse_domain", "256 octets", st, off, ADDR_ELIMIT, 255);

	memset(d, 'a', 63);
	memcpy(d + 63, ".com", 5);
	st = addr_parse_domain((unsigned char *)d, 67, NULL, &off);
	check_st("addr_parse_domain", "63-octet label", st, off, ADDR_OK, 0);
	memset(d, 'a', 64);
	memcpy(d + 64, ".com", 5);
	st = addr_parse_domain((unsigned char *)d, 68, NULL, &off);
	check_st("addr_parse_domain", "64-octet label", st, off, ADDR_EDOMAIN,
		 63);
	done();
}

struct dom_case {
	const char *in;
	enum addr_status want;
	size_t off;
};

static const struct dom_case dom_cases[] = {
    {"example.com", ADDR_OK, 0},
    {"EXAMPLE.com", ADDR_OK, 0},
    {"localhost", ADDR_OK, 0},
    {"", ADDR_EEMPTY, 0},
    {"example.com.", ADDR_EDOMAIN, 11},
    {".", ADDR_EDOMAIN, 0},
    {"[192.0.2.1]", ADDR_EDOMAIN, 0},
    {"a-.b", ADDR_EDOMAIN, 1},
    {"a.b c", ADDR_EDOMAIN, 3},
    {"exa\xc3\xa4mple.com", ADDR_EDOMAIN, 3},
};

static void
parse_domain_table(void **state)
{
	size_t i, off;

	for (i = 0; i < sizeof(dom_cases) / sizeof(dom_cases[0]); i++) {
		const struct dom_case *c = &dom_cases[i];
		enum addr_status st;

		st = addr_parse_domain((const unsigned char *)c->in,
				       strlen(c->in), NULL, &off);
		check_st("addr_parse_domain", c->in, st, off, c->want, c->off);
	}
	done();
}

struct path_case {
	const char *in;
	int lenient;
	enum addr_status want;
	size_t off; /* error offset, or *end on success */
	int is_null;
	const char *local; /* on success, non-null */
	const char *domain;
};

static const struct path_case path_cases[] = {
    {"<>", 0, ADDR_OK, 2, 1},
    {"<> SIZE=100", 0, ADDR_OK, 2, 1},
    {"<user@example.com>", 0, ADDR_OK, 18, 0, "user", "example.com"},
    {"<user@example.com> SIZE=1000 BODY=8BITMIME", 0, ADDR_OK, 18, 0, "user",
     "example.com"},
    {"<\"a b\"@example.com>", 0, ADDR_OK, 19, 0, "\"a b\"", "example.com"},
    {"<user@[IPv6:::1]>", 0, ADDR_OK, 17, 0, "user", "[IPv6:::1]"},
    {"<@a.example,@b.example:user@example.com>", 0, ADDR_OK, 40, 0, "user",
     "example.com"},
    {"<@a.example:user@example.com>", 0, ADDR_OK, 29, 0, "user", "example.com"},
    {"user@example.com", 1, ADDR_OK, 16, 0, "user", "example.com"},
    {"user@example.com SIZE=1", 1, ADDR_OK, 16, 0, "user", "example.com"},
    {" <user@example.com>", 1, ADDR_OK, 19, 0, "user", "example.com"},
    {"  <>", 1, ADDR_OK, 4, 1},

    {"", 0, ADDR_EEMPTY, 0},
    {"  ", 1, ADDR_EEMPTY, 2},
    {"user@example.com", 0, ADDR_ESYNTAX, 0},
    {" <user@example.com>", 0, ADDR_ESYNTAX, 0},
    {"<", 0, ADDR_ESYNTAX, 1},
    {"<user@example.com", 0, ADDR_ESYNTAX, 17},
    {"<user@example.com >", 0, ADDR_EDOMAIN, 17},
    {"<user@example.com.>", 0, ADDR_EDOMAIN, 17},
    {"<postmaster>", 0, ADDR_ENOAT, 11},
    {"<user>", 1, ADDR_ENOAT, 5},
    {"<@a.example user@x>", 0, ADDR_ESYNTAX, 11},
    {"<@a.example,user@x>", 0, ADDR_ESYNTAX, 12},
    {"<@:user@x>", 0, ADDR_EDOMAIN, 2},
    {"<@a.example:>", 0, ADDR_ELOCAL, 12},
    {"<us er@example.com>", 0, ADDR_ELOCAL, 3},
    {"user@example.com>", 1, ADDR_EDOMAIN, 16},
};

static void
parse_path_table(void **state)
{
	size_t i, off, end;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];
		const unsigned char *p = (const unsigned char *)c->in;
		struct addr_parts pa;
		enum addr_status st;
		int is_null = -1;

		memset(&pa, 0, sizeof(pa));
		end = 0;
		st = addr_parse_path(p, strlen(c->in), NULL, c->lenient, &pa,
				     &is_null, &end, &off);
		check_st("addr_parse_path", c->in, st, off, c->want, c->off);
		if (st != ADDR_OK)
			continue;
		if (end != c->off || is_null != c->is_null)
			BAD("addr_parse_path(\"%s\"): got end=%zu null=%d, "
			    "want %zu %d",
			    c->in, end, is_null, c->off, c->is_null);
		check_part(c->in, "local", p, pa.local_off, pa.local_len,
			   c->local);
		check_part(c->in, "domain", p, pa.domain_off, pa.domain_len,
			   c->domain);
	}
	done();
}

struct collect {
	char got[512];
	size_t n;
	int stop_after;
};

/* Appends "local@domain|" for each mailbox, from the reported offsets. */
static int
collect_fn(void *ctx, const unsigned char *p, const struct addr_parts *pa)
{
	struct collect *c = ctx;
	size_t used = strlen(c->got);

	snprintf(c->got + used, sizeof(c->got) - used, "%s%.*s@%.*s",
		 used ? "|" : "", (int)pa->local_len,
		 (const char *)p + pa->local_off, (int)pa->domain_len,
		 (const char *)p + pa->domain_off);
	c->n++;
	return c->stop_after != 0 && c->n >= (size_t)c->stop_after;
}

struct hdr_case {
	const char *in;
	enum addr_status want;
	size_t off;
	const char *mailboxes; /* '|'-separated, on success */
};

static const struct hdr_case hdr_cases[] = {
    {"user@example.com", ADDR_OK, 0, "user@example.com"},
    {"Joe Q. Public <john.q.public@example.com>", ADDR_OK, 0,
     "john.q.public@example.com"},
    {"\"Doe, John\" <john@example.com>, jane@example.com", ADDR_OK, 0,
     "john@example.com|jane@example.com"},
    {"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>", ADDR_OK,
     0, "mary@x.test|jdoe@example.org|one@y.test"},
    {"<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
     ADDR_OK, 0, "boss@nil.test|sysservices@example.net"},
    {"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
     ADDR_OK, 0, "c@a.test|joe@where.test|jdoe@one.test"},
    {"undisclosed-recipients:;", ADDR_OK, 0, ""},
    {"Group: a@b, c@d;", ADDR_OK, 0, "a@b|c@d"},
    {"G: a@b;, c@d", ADDR_OK, 0, "a@b|c@d"},
    {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", ADDR_OK,
     0, "pete@silly.test"},
    {"A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)"
     "public.example>,\r\n         joe@example.org,\r\n  John "
     "<jdoe@one.test> (my dear friend); (the end of the group)",
     ADDR_OK, 0, "c@public.example|joe@example.org|jdoe@one.test"},
    {"(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;", ADDR_OK,
     0, ""},
    {"(nested (comment (deep))) user@example.com", ADDR_OK, 0,
     "user@example.com"},
    {"<@route.test,@other.test:user@example.com>", ADDR_OK, 0,
     "user@example.com"},
    {"Joe < user@example.com >", ADDR_OK, 0, "user@example.com"},
    {"a@b, , c@d,", ADDR_OK, 0, "a@b|c@d"},
    {"=?utf-8?q?Jos=C3=A9?= <jose@example.com>", ADDR_OK, 0,
     "jose@example.com"},
    {"Jos\xc3\xa9 <jose@example.com>", ADDR_OK, 0, "jose@example.com"},
    {"\"quoted\"@example.com", ADDR_OK, 0, "\"quoted\"@example.com"},
    {"user@[192.0.2.1]", ADDR_OK, 0, "user@[192.0.2.1]"},
    {"Null <>, a@b", ADDR_OK, 0, "a@b"},

    {"", ADDR_EEMPTY, 0},
    {"   ", ADDR_EEMPTY, 3},
    {"(just a comment)", ADDR_EEMPTY, 16},
    {"John Doe", ADDR_ENOAT, 8},
    {"John <john>", ADDR_ENOAT, 10},
    {"John <john@example.com", ADDR_ESYNTAX, 22},
    {"a@b c@d", ADDR_ESYNTAX, 4},
    {"G: a@b", ADDR_ESYNTAX, 6},
    {"G: H: a@b;;", ADDR_ESYNTAX, 4},
    {"a@b;", ADDR_ESYNTAX, 3},
    {": a@b;", ADDR_ESYNTAX, 0},
    {"(unterminated comment a@b", ADDR_ESYNTAX, 0},
    {"John <john@-bad.com>", ADDR_EDOMAIN, 11},
    {"John <jo hn@example.com>", ADDR_ELOCAL, 9},
    {"John [x] <a@b>", ADDR_ESYNTAX, 5},
    {"\"unterminated <a@b>", ADDR_ESYNTAX, 0},
    {"a@b <c@d>", ADDR_ESYNTAX, 4},
};

static void
parse_header_table(void **state)
{
	size_t i, off;

	for (i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		const struct hdr_case *c = &hdr_cases[i];
		struct collect col;
		enum addr_status st;

		memset(&col, 0, sizeof(col));
		st = addr_parse_header((const unsigned char *)c->in,
				       strlen(c->in), NULL, collect_fn, &col,
				       &off);
		check_st("addr_parse_header", c->in, st, off, c->want, c->off);
		if (st == ADDR_OK && strcmp(col.got, c->mailboxes) != 0)
			BAD("addr_parse_header(\"%s\"): got \"%s\", want "
			    "\"%s\"",
			    c->in, col.got, c->mailboxes);
	}
	done();
}

static void
parse_header_stops_when_callback_asks(void **state)
{
	const char *in = "a@b, c@d, e@f";
	struct collect col;
	enum addr_status st;
	size_t off;

	memset(&col, 0, sizeof(col));
	col.stop_after = 2;
	st = addr_parse_header((const unsigned char *)in, strlen(in), NULL,
			       collect_fn, &col, &off);
	check_st("addr_parse_header", in, st, off, ADDR_OK, 0);
	if (strcmp(col.got, "a@b|c@d") != 0)
		BAD("got \"%s\", want \"a@b|c@d\"", col.got);
	done();
}

static void
parse_header_bounds_comment_depth(void **state)
{
	char in[200];
	size_t off, depth;
	enum addr_status st;

	for (depth = 31; depth <= 33; depth++) {
		memset(in, '(', depth);
		memset(in + depth, ')', depth);
		memcpy(in + 2 * depth, "a@b", 4);
		st = addr_parse_header((unsigned char *)in, strlen(in), NULL,
				       NULL, NULL, &off);
		if (depth <= 32)
			check_st("addr_parse_header", in, st, off, ADDR_OK, 0);
		else
			check_st("addr_parse_header", in, st, off, ADDR_ESYNTAX,
				 32);
	}
	done();
}

static void
parse_header_applies_limits(void **state)
{
	struct addr_limits lim = {3, 0, 0, 0};
	const char *in = "Joe <abcd@example.com>";
	enum addr_status st;
	size_t off;

	st = addr_parse_header((const unsigned char *)in, strlen(in), &lim,
			       NULL, NULL, &off);
	check_st("addr_parse_header", in, st, off, ADDR_ELIMIT, 8);
	in = "Jos\xc3\xa9@example.com";
	st = addr_parse_header((const unsigned char *)in, strlen(in), NULL,
			       NULL, NULL, &off);
	check_st("addr_parse_header", in, st, off, ADDR_ELOCAL, 3);
	done();
}

struct ext_case {
	const char *local, *delims;
	size_t user_len;
	int has_ext;
	const char *ext;
};

static const struct ext_case ext_cases[] = {
    {"user+tag", "+", 4, 1, "tag"},
    {"user-tag", "+-", 4, 1, "tag"},
    {"user+a-b", "+-", 4, 1, "a-b"},
    {"user-a+b", "+-", 4, 1, "a+b"},
    {"user+a+b", "+", 4, 1, "a+b"},
    {"user-tag", "+", 8, 0, ""},
    {"+user", "+", 5, 0, ""},
    {"-user+x", "+-", 7, 0, ""},
    {"user", "+", 4, 0, ""},
    {"user+", "+", 4, 1, ""},
    {"user+tag", NULL, 8, 0, ""},
    {"user+tag", "", 8, 0, ""},
    {"", "+", 0, 0, ""},
};

static void
split_ext_table(void **state)
{
	size_t i, user_len, ext_off, ext_len;
	int has_ext;

	for (i = 0; i < sizeof(ext_cases) / sizeof(ext_cases[0]); i++) {
		const struct ext_case *c = &ext_cases[i];
		size_t n = strlen(c->local);

		addr_split_ext((const unsigned char *)c->local, n, c->delims,
			       &user_len, &has_ext, &ext_off, &ext_len);
		if (user_len != c->user_len || has_ext != c->has_ext ||
		    ext_len != strlen(c->ext) ||
		    (ext_len && memcmp(c->local + ext_off, c->ext, ext_len)))
			BAD("addr_split_ext(\"%s\", \"%s\"): got user_len "
			    "%zu has_ext %d ext \"%.*s\", want %zu %d "
			    "\"%s\"",
			    c->local, c->delims ? c->delims : "(null)",
			    user_len, has_ext, (int)ext_len,
			    c->local + (ext_off <= n ? ext_off : 0),
			    c->user_len, c->has_ext, c->ext);
	}
	done();
}

struct canon_case {
	const char *in, *want;
};

static const struct canon_case canon_cases[] = {
    {"User.Name@Example.COM", "User.Name@example.com"},
    {"\"Mixed Case\"@EXAMPLE.org", "\"Mixed Case\"@example.org"},
    {"u@[IPv6:2001:DB8::1]", "u@[ipv6:2001:db8::1]"},
    {"A@B", "A@b"},
    /* Quoting only where Postfix's quote_822_local() needs it. */
    {"\"spammer\"@bad.example", "spammer@bad.example"},
    {"\"first\\.last\"@bad.example", "first.last@bad.example"},
    {"\"a\\\"b\"@bad.example", "\"a\\\"b\"@bad.example"},
    {"\"x@y\"@bad.example", "\"x@y\"@bad.example"},
    {"\"spammer.\"@bad.example", "\"spammer.\"@bad.example"},
};

static void
canon_folds_domain_and_unquotes_what_needs_no_quotes(void **state)
{
	size_t i, off;

	for (i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
		const struct canon_case *c = &canon_cases[i];
		struct addr_parts pa;
		struct buf b;

		assert_int_equal(addr_parse((const unsigned char *)c->in,
					    strlen(c->in), NULL, &pa, &off),
				 ADDR_OK);
		buf_init(&b, 0);
		assert_int_equal(
		    addr_canon((const unsigned char *)c->in, &pa, &b), 0);
		if (strcmp(buf_str(&b), c->want) != 0)
			BAD("addr_canon(\"%s\"): got \"%s\", want \"%s\"",
			    c->in, buf_str(&b), c->want);
		buf_free(&b);
	}
	done();
}

static void
canon_fails_whole_when_buffer_full(void **state)
{
	const char *in = "user@example.com";
	struct addr_parts pa;
	struct buf b;
	size_t off;

	assert_int_equal(
	    addr_parse((const unsigned char *)in, strlen(in), NULL, &pa, &off),
	    ADDR_OK);
	buf_init(&b, 17);
	assert_int_equal(buf_adds(&b, "ab"), 0);
	if (addr_canon((const unsigned char *)in, &pa, &b) != -1)
		BAD("addr_canon past max: got success, want -1");
	if (strcmp(buf_str(&b), "ab") != 0)
		BAD("after failed addr_canon: got \"%s\", want \"ab\"",
		    buf_str(&b));
	buf_free(&b);
	done();
}

static void
strerror_names_every_status(void **state)
{
	int st;

	for (st = ADDR_OK; st <= ADDR_ELIMIT; st++)
		if (strcmp(addr_strerror(st), "unknown address error") == 0)
			BAD("addr_strerror(%d): got generic text", st);
	done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parse_mailbox_table),
	    cmocka_unit_test(parse_length_limits_at_and_past_edge),
	    cmocka_unit_test(parse_domain_limits),
	    cmocka_unit_test(parse_domain_table),
	    cmocka_unit_test(parse_path_table),
	    cmocka_unit_test(parse_header_table),
	    cmocka_unit_test(parse_header_stops_when_callback_asks),
	    cmocka_unit_test(parse_header_bounds_comment_depth),
	    cmocka_unit_test(parse_header_applies_limits),
	    cmocka_unit_test(split_ext_table),
	    cmocka_unit_test(
		canon_folds_domain_and_unquotes_what_needs_no_quotes),
	    cmocka_unit_test(canon_fails_whole_when_buffer_full),
	    cmocka_unit_test(strerror_names_every_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
