/* lib/dmarc_test.c - the DMARC record parser, organizational domains
 * from Debian's Public Suffix List, alignment, and the DNS-less paths of
 * dmarc_evaluate(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dmarc.h"
#include "dns.h"

#define DEBIAN_PSL "/usr/share/publicsuffix/public_suffix_list.dat"

static const char *
rs_name(enum dmarc_rstatus st)
{
	static const char *n[] = {"OK", "ESYNTAX", "ENOTDMARC"};

	return (unsigned)st < 3 ? n[st] : "?";
}

struct rec_case {
	const char *in;
	enum dmarc_rstatus want;
	enum dmarc_policy p, sp;
	int adkim, aspf, pct;
	size_t off; /* error offset, for ESYNTAX */
};

#define NO DMARC_P_NONE
#define QU DMARC_P_QUARANTINE
#define RE DMARC_P_REJECT
#define UN DMARC_P_UNSET

static const struct rec_case rec_cases[] = {
    {"v=DMARC1; p=reject", DMARC_REC_OK, RE, UN, 0, 0, 100},
    {"v=DMARC1;p=none", DMARC_REC_OK, NO, UN, 0, 0, 100},
    {"v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=s; pct=25", DMARC_REC_OK,
     QU, RE, 1, 1, 25},
    {"v = DMARC1 ; p = Reject ; pct=0;", DMARC_REC_OK, RE, UN, 0, 0, 0},
    {"v=DMARC1; p=none; rua=mailto:d@example.org; fo=1; x_new=whatever",
     DMARC_REC_OK, NO, UN, 0, 0, 100},
    {"v=DMARC1;;; p=reject;;", DMARC_REC_OK, RE, UN, 0, 0, 100},
    {"v=DMARC1; p=reject; adkim=r; aspf=R", DMARC_REC_OK, RE, UN, 0, 0, 100},
    /* RFC 7489 §6.6.3: no valid p= but a valid rua= acts as p=none */
    {"v=DMARC1; rua=mailto:d@example.org", DMARC_REC_OK, NO, UN, 0, 0, 100},
    {"v=DMARC1; p=bogus; rua=mailto:d@example.org", DMARC_REC_OK, NO, UN, 0, 0,
     100},
    {"v=DMARC1; p=reject; sp=bogus; rua=mailto:a@b", DMARC_REC_OK, NO, UN, 0, 0,
     100},
    {"v=DMARC1; p=reject; rua=nonsense", DMARC_REC_OK, RE, UN, 0, 0, 100},

    {"v=DMARC1", DMARC_REC_ESYNTAX, 0, 0, 0, 0, 0, 8},
    {"v=DMARC1; sp=reject", DMARC_REC_ESYNTAX, 0, 0, 0, 0, 0, 19},
    {"v=DMARC1; p=bogus", DMARC_REC_ESYNTAX, 0, 0, 0, 0, 0, 12},
    {"v=DMARC1; p=reject; sp=x", DMARC_REC_ESYNTAX, 0, 0, 0, 0, 0, 23},
    {"v=DMARC1; p=reject; pct=101", DMARC_REC_ESYNTAX, 0, 0, 0, 0, 0, 24},
    {"v=DMARC1; p=reject; pct=-1", DMARC_REC_ESYNTAX, 0, 0, 0, 0, 0, 24},
    {"v=DMARC1; p=reject; pct=", DMARC_REC_ESYNTAX, 0, 0, 0, 0, 0, 24},
    {"v=DMARC1; p=reject; adkim=x", DMARC_REC_ESYNTAX, 0, 0, 0, 0, 0, 26},
    {"v=DMARC1; p=reject; =x", DMARC_REC_ESYNTAX, 0, 0, 0, 0, 0, 20},
    {"v=DMARC1; p=reject; foo", DMARC_REC_ESYNTAX, 0, 0, 0, 0, 0, 23},

    {"", DMARC_REC_ENOTDMARC},
    {"v=spf1 -all", DMARC_REC_ENOTDMARC},
    {"v=dmarc1; p=reject", DMARC_REC_ENOTDMARC},
    {"p=reject; v=DMARC1", DMARC_REC_ENOTDMARC},
    {"v=DMARC10; p=reject", DMARC_REC_ENOTDMARC},
    {"V=DMARC1; p=reject", DMARC_REC_ENOTDMARC},
};

static void
test_record_parser_table(void **state)
{
	struct dmarc_record r;
	enum dmarc_rstatus st;
	size_t i, off;

	(void)state;
	for (i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
		const struct rec_case *c = &rec_cases[i];

		st = dmarc_parse_record((const unsigned char *)c->in,
					strlen(c->in), &r, &off);
		if (st != c->want)
			fail_msg("'%s': got %s (off %zu), want %s", c->in,
				 rs_name(st), off, rs_name(c->want));
		if (st == DMARC_REC_ESYNTAX && off != c->off)
			fail_msg("'%s': got error offset %zu, want %zu", c->in,
				 off, c->off);
		if (st != DMARC_REC_OK)
			continue;
		if (r.p != c->p || r.sp != c->sp ||
		    r.adkim_strict != c->adkim || r.aspf_strict != c->aspf ||
		    r.pct != c->pct)
			fail_msg(
			    "'%s': got p=%d sp=%d adkim=%d aspf=%d pct=%d, "
			    "want %d %d %d %d %d",
			    c->in, r.p, r.sp, r.adkim_strict, r.aspf_strict,
			    r.pct, c->p, c->sp, c->adkim, c->aspf, c->pct);
	}
}

static void
test_record_with_nul_byte_is_not_read_past(void **state)
{
	static const unsigned char rec[] = "v=DMARC1; p=reject\0; p=none";
	struct dmarc_record r;
	size_t off;

	(void)state;
	/* the NUL is just a byte of the (unknown) value of p */
	if (dmarc_parse_record(rec, sizeof(rec) - 1, &r, &off) !=
	    DMARC_REC_ESYNTAX)
		fail_msg("got a valid record, want ESYNTAX for p=reject<NUL>");
	if (dmarc_parse_record(rec, 18, &r, &off) != DMARC_REC_OK ||
	    r.p != DMARC_P_REJECT)
		fail_msg("prefix of 18 bytes: got p=%d, want reject", r.p);
}

struct org_case {
	const char *domain, *want; /* want NULL = error */
};

static const struct org_case org_cases[] = {
    {"example.com", "example.com"},
    {"a.b.example.com", "example.com"},
    {"Mail.Example.COM.", "example.com"},
    {"example.co.uk", "example.co.uk"},
    {"www.example.co.uk", "example.co.uk"},
    {"co.uk", "co.uk"},
    {"uk", "uk"},
    {"foo.bar.blogspot.com", "bar.blogspot.com"},
    {"user.github.io", "user.github.io"},
    /* wildcard *.ck: any x.ck is public, so org is y.x.ck */
    {"a.b.ck", "a.b.ck"},
    {"z.a.b.ck", "a.b.ck"},
    /* exception !www.ck: www.ck is registrable */
    {"www.ck", "www.ck"},
    {"mail.www.ck", "www.ck"},
    {"x.y.kawasaki.jp", "x.y.kawasaki.jp"},
    {"a.city.kawasaki.jp", "city.kawasaki.jp"},
    /* not in the list: the implicit "*" rule */
    {"host.example.notatld", "example.notatld"},
    {"", NULL},
    {"a..example.com", NULL},
    {".example.com", NULL},
};

static void
test_org_domain_table(void **state)
{
	struct dmarc_psl *psl = *state;
	char out[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(org_cases) / sizeof(org_cases[0]); i++) {
		const struct org_case *c = &org_cases[i];

		rc = dmarc_org_domain(psl, c->domain, out, sizeof(out));
		if (c->want == NULL) {
			if (rc != -1)
				fail_msg("'%s': got '%s', want an error",
					 c->domain, out);
			continue;
		}
		if (rc != 0 || strcmp(out, c->want) != 0)
			fail_msg("'%s': got %d '%s', want '%s'", c->domain, rc,
				 rc == 0 ? out : "", c->want);
	}
}

struct align_case {
	const char *from, *other;
	int strict, want;
};

static const struct align_case align_cases[] = {
    {"example.com", "example.com", 1, 1},
    {"example.com", "EXAMPLE.com.", 1, 1},
    {"example.com", "mail.example.com", 1, 0},
    {"example.com", "mail.example.com", 0, 1},
    {"news.example.com", "bounce.example.com", 0, 1},
    {"example.com", "example.net", 0, 0},
    {"example.co.uk", "other.co.uk", 0, 0},
    {"a.example.co.uk", "b.example.co.uk", 0, 1},
    {"a.blogspot.com", "b.blogspot.com", 0, 0},
    {"example.com", "", 0, 0},
    {"example.com", NULL, 0, 0},
};

static void
test_alignment_table(void **state)
{
	struct dmarc_psl *psl = *state;
	size_t i;
	int got;

	for (i = 0; i < sizeof(align_cases) / sizeof(align_cases[0]); i++) {
		const struct align_case *c = &align_cases[i];

		got = dmarc_aligned(psl, c->from, c->other, c->strict);
		if (got != c->want)
			fail_msg("%s vs %s (%s): got %d, want %d", c->from,
				 c->other ? c->other : "NULL",
				 c->strict ? "strict" : "relaxed", got,
				 c->want);
	}
}

static void
test_psl_load_errors(void **state)
{
	struct dmarc_psl *psl;
	char err[200];

	(void)state;
	if (dmarc_psl_load("/nonexistent/psl.dat", &psl, err, sizeof(err)) !=
	    -1)
		fail_msg("missing file: got success, want -1");
	if (strstr(err, "/nonexistent/psl.dat") == NULL)
		fail_msg("got error '%s', want the path in it", err);
	if (dmarc_psl_load("/dev/null", &psl, err, sizeof(err)) != -1)
		fail_msg("empty file: got success, want -1");
}

static void
test_evaluate_without_dns(void **state)
{
	struct dmarc_psl *psl = *state;
	struct dns_config cfg = {0};
	struct dns_resolver *dns;
	struct dmarc_input in = {0};
	struct dmarc_outcome out;
	char err[160];

	cfg.server = "127.0.0.1@9"; /* discard: nothing answers */
	cfg.timeout_ms = 200;
	assert_int_equal(dns_resolver_new(&cfg, &dns, err, sizeof(err)), 0);
	in.from_domain = "a..b";
	if (dmarc_evaluate(dns, psl, &in, &out) != DMARC_R_PERMERROR)
		fail_msg("bad From domain: got %s, want permerror",
			 dmarc_result_str(out.result));
	in.from_domain = "example.org";
	if (dmarc_evaluate(dns, psl, &in, &out) != DMARC_R_TEMPERROR)
		fail_msg("no DNS: got %s (%s), want temperror",
			 dmarc_result_str(out.result), out.detail);
	dns_resolver_free(&dns);
}

/* The author domains DMARC evaluates (RFC 7489 §6.6.1), per list of
 * From field values. */
struct from_case {
	const char *fields[3]; /* NULL-terminated */
	const char *want;      /* domains, space-separated */
	int valid;
	const char *problem; /* NULL when valid */
};

static const struct from_case from_cases[] = {
    {{"Alice <alice@Example.ORG>"}, "example.org", 1, NULL},
    {{"alice@example.org (Alice)"}, "example.org", 1, NULL},
    {{"=?utf-8?q?Al=C3=AFce?= <alice@example.org>"}, "example.org", 1, NULL},
    /* several fields, several mailboxes: every domain, in order */
    {{"alice@example.org", "m@evil.example"},
     "example.org evil.example",
     0,
     "several From fields"},
    {{"alice@example.org, m@evil.example"},
     "example.org evil.example",
     0,
     "several From mailboxes"},
    {{"a@example.org, b@EXAMPLE.org"},
     "example.org",
     0,
     "several From mailboxes"},
    {{"list: a@example.org, b@evil.example;"},
     "example.org evil.example",
     0,
     "several From mailboxes"},
    /* text that still names a domain is that domain's mail */
    {{"alice@example.org."}, "example.org", 0, "From is malformed"},
    {{"Alice <alice@example.org"}, "example.org", 0, "From is malformed"},
    {{"\"alice@example.org\""}, "example.org", 0, "From is malformed"},
    {{"Alice <alice@example.org.>"}, "example.org", 0, "From is malformed"},
    {{"<alice@example.org> <m@evil.example>"},
     "example.org evil.example",
     0,
     "several From mailboxes"},
    /* cases of tests/authcorpus (helper B's corpus found them) */
    {{"alice@example .org"}, "example.org", 0, "From is malformed"},
    {{"alice@example. (c) org"}, "example.org", 0, "From is malformed"},
    {{"alice@example.org\\,<m@evil.example>"},
     "example.org evil.example",
     0,
     "several From mailboxes"},
    {{"alice@example.org@evil.example"},
     "example.org evil.example",
     0,
     "several From mailboxes"},
    {{"alice@example.org\xc2\xa0"}, "example.org", 0, "From is malformed"},
    {{"alice@example.org junk"}, "example.org", 0, "From is malformed"},
    {{"alice@ex_ample.org"}, "", 0, "From cannot be parsed"},
    /* nothing to evaluate */
    {{NULL}, "", 0, "no From field"},
    {{""}, "", 0, "From has no mailbox"},
    {{"undisclosed:;"}, "", 0, "From has no mailbox"},
    {{"alice@ex\xc3\xa4mple.org"}, "", 0, "From cannot be parsed"},
    {{"Alice"}, "", 0, "From cannot be parsed"},
    {{"alice@[192.0.2.1]"}, "", 0, "From cannot be parsed"},
    {{"alice@"}, "", 0, "From cannot be parsed"},
};

static void
test_from_author_domains_table(void **state)
{
	struct dmarc_from f;
	char got[600];
	const char *prob;
	size_t i, k, n;

	(void)state;
	for (i = 0; i < sizeof(from_cases) / sizeof(from_cases[0]); i++) {
		const struct from_case *c = &from_cases[i];

		dmarc_from_init(&f);
		for (k = 0; k < 3 && c->fields[k] != NULL; k++)
			dmarc_from_add(&f, (const unsigned char *)c->fields[k],
				       strlen(c->fields[k]));
		for (got[0] = '\0', n = 0, k = 0; k < f.ndomains; k++)
			n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s",
					      k ? " " : "", f.domains[k]);
		prob = dmarc_from_problem(&f);
		if (strcmp(got, c->want) != 0 ||
		    dmarc_from_valid(&f) != c->valid ||
		    (prob == NULL) != (c->problem == NULL) ||
		    (prob != NULL && strcmp(prob, c->problem) != 0))
			fail_msg("case %zu '%s': got '%s' valid=%d (%s), want "
				 "'%s' valid=%d (%s)",
				 i, c->fields[0] ? c->fields[0] : "(none)", got,
				 dmarc_from_valid(&f), prob ? prob : "-",
				 c->want, c->valid,
				 c->problem ? c->problem : "-");
	}
}

/* At most DMARC_MAX_AUTHORS domains are kept (toomany says more were
 * seen); without a From, evaluation is permerror with the reason. */
static void
test_from_caps_domains_and_no_from_is_permerror(void **state)
{
	struct dmarc_psl *psl = *state;
	struct dns_config cfg = {0};
	struct dns_resolver *dns;
	struct dmarc_from f;
	struct dmarc_input in = {0};
	struct dmarc_outcome out;
	char v[64], err[160];
	size_t k, who;

	dmarc_from_init(&f);
	for (k = 0; k < DMARC_MAX_AUTHORS + 2; k++) {
		snprintf(v, sizeof(v), "a@d%zu.example", k);
		dmarc_from_add(&f, (const unsigned char *)v, strlen(v));
	}
	if (f.ndomains != DMARC_MAX_AUTHORS || !f.toomany)
		fail_msg("got %zu domains toomany=%d, want %d and 1",
			 f.ndomains, f.toomany, DMARC_MAX_AUTHORS);
	cfg.server = "127.0.0.1@9";
	cfg.timeout_ms = 100;
	assert_int_equal(dns_resolver_new(&cfg, &dns, err, sizeof(err)), 0);
	dmarc_from_init(&f);
	if (dmarc_evaluate_from(dns, psl, &f, &in, &out, &who) !=
		DMARC_R_PERMERROR ||
	    strcmp(out.detail, "no From field") != 0)
		fail_msg("no From: got %s (%s), want permerror (no From "
			 "field)",
			 dmarc_result_str(out.result), out.detail);
	dns_resolver_free(&dns);
}

static int
load_psl(void **state)
{
	struct dmarc_psl *psl;
	char err[200];

	if (dmarc_psl_load(DEBIAN_PSL, &psl, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s (install Debian's publicsuffix)\n", err);
		return -1;
	}
	*state = psl;
	return 0;
}

static int
free_psl(void **state)
{
	struct dmarc_psl *psl = *state;

	dmarc_psl_free(&psl);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_record_parser_table),
	    cmocka_unit_test(test_record_with_nul_byte_is_not_read_past),
	    cmocka_unit_test(test_org_domain_table),
	    cmocka_unit_test(test_alignment_table),
	    cmocka_unit_test(test_psl_load_errors),
	    cmocka_unit_test(test_evaluate_without_dns),
	    cmocka_unit_test(test_from_author_domains_table),
	    cmocka_unit_test(test_from_caps_domains_and_no_from_is_permerror),
	};

	return cmocka_run_group_tests(tests, load_psl, free_psl);
}
