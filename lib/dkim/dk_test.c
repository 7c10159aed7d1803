/* lib/dkim/dk_test.c - table tests of the pure DKIM parts: tag lists,
 * DKIM-Signature and key record validation, canonicalization (RFC 6376
 * §3.4.6), header selection, and the RFC 8463 Appendix A vectors verified
 * through the engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "dk_canon.h"
#include "dk_sig.h"
#include "dk_tag.h"
#include "dk_test_util.h"
#include "dk_verify.h"

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			fail_msg(__VA_ARGS__);                                 \
	} while (0)

static void
tag_list_parses_fws_and_trailing_semicolon(void **state)
{
	static const struct {
		const char *in;
		enum dk_tag_status st;
		size_t n;
		const char *name1, *val1; /* tag 1 (0-based) */
	} cases[] = {
	    {"v=1; a=rsa-sha256", DK_TAG_OK, 2, "a", "rsa-sha256"},
	    {"v=1;a=b;", DK_TAG_OK, 2, "a", "b"},
	    {" v = 1 ;\r\n\t a =\r\n b c ; ", DK_TAG_OK, 2, "a", "b c"},
	    {"v=1; a=", DK_TAG_OK, 2, "a", ""},
	    {"v=1; v=2", DK_TAG_EDUP, 0, NULL, NULL},
	    {"v=1;; a=b", DK_TAG_ESYNTAX, 0, NULL, NULL},
	    {"=1", DK_TAG_ESYNTAX, 0, NULL, NULL},
	    {"1a=1", DK_TAG_ESYNTAX, 0, NULL, NULL},
	    {"v 1", DK_TAG_ESYNTAX, 0, NULL, NULL},
	    {"v=a\r\nb", DK_TAG_ESYNTAX, 0, NULL, NULL},
	    {"v=\x01", DK_TAG_ESYNTAX, 0, NULL, NULL},
	    {"", DK_TAG_ESYNTAX, 0, NULL, NULL},
	    {"a_1=x; b=y", DK_TAG_OK, 2, "b", "y"},
	};
	struct dk_tag tags[8];
	size_t k, n, off;
	enum dk_tag_status st;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		st = dk_tag_parse((const unsigned char *)cases[k].in,
				  strlen(cases[k].in), NULL, tags, 8, &n, &off);
		CHECK(st == cases[k].st, "%s: got status %d, want %d",
		      cases[k].in, st, cases[k].st);
		if (st != DK_TAG_OK)
			continue;
		CHECK(n == cases[k].n, "%s: got %zu tags, want %zu",
		      cases[k].in, n, cases[k].n);
		CHECK(tags[1].name_len == strlen(cases[k].name1) &&
			  memcmp(tags[1].name, cases[k].name1,
				 tags[1].name_len) == 0,
		      "%s: got tag name %.*s, want %s", cases[k].in,
		      (int)tags[1].name_len, tags[1].name, cases[k].name1);
		CHECK(tags[1].value_len == strlen(cases[k].val1) &&
			  memcmp(tags[1].value, cases[k].val1,
				 tags[1].value_len) == 0,
		      "%s: got value '%.*s', want '%s'", cases[k].in,
		      (int)tags[1].value_len, tags[1].value, cases[k].val1);
	}
}

static void
tag_list_limits_tag_count(void **state)
{
	struct dk_tag tags[2];
	size_t n, off;

	CHECK(dk_tag_parse((const unsigned char *)"a=1;b=2;c=3", 11, NULL, tags,
			   2, &n, &off) == DK_TAG_ELIMIT,
	      "got no limit, want ELIMIT");
}

static void
base64_skips_fws_and_checks_padding(void **state)
{
	unsigned char out[16];
	size_t n;

	CHECK(dk_b64_decode((const unsigned char *)"aGVs\r\n bG8=", 11, out,
			    sizeof(out), &n) == 0 &&
		  n == 5 && memcmp(out, "hello", 5) == 0,
	      "got %zu bytes, want hello", n);
	CHECK(dk_b64_decode((const unsigned char *)"aGVsbG8", 7, out,
			    sizeof(out), &n) < 0,
	      "got ok, want bad length");
	CHECK(dk_b64_decode((const unsigned char *)"aG=s", 4, out, sizeof(out),
			    &n) < 0,
	      "got ok, want data after padding refused");
	CHECK(dk_b64_decode((const unsigned char *)"aGVsbG8=", 8, out, 3, &n) <
		  0,
	      "got ok, want overflow refused");
}

#define SIGOK                                                                  \
	"v=1; a=rsa-sha256; d=example.com; s=sel; h=From:To; "                 \
	"bh=AAAA; b=AAAA"

static void
signature_validation_table(void **state)
{
	static const struct {
		const char *in;
		enum dk_sig_status st;
	} cases[] = {
	    {SIGOK, DK_SIG_OK},
	    {SIGOK "; c=relaxed", DK_SIG_OK},
	    {SIGOK "; c=relaxed/simple", DK_SIG_OK},
	    {SIGOK "; c=relaxed/bogus", DK_SIG_ECANON},
	    {SIGOK "; i=joe@mail.example.com", DK_SIG_OK},
	    {SIGOK "; i=@example.com", DK_SIG_OK},
	    {SIGOK "; i=joe@badexample.com", DK_SIG_EDOMAIN},
	    {SIGOK "; i=joe@other.org", DK_SIG_EDOMAIN},
	    {SIGOK "; l=12", DK_SIG_OK},
	    {SIGOK "; l=-1", DK_SIG_EVALUE},
	    {SIGOK "; t=100; x=99", DK_SIG_ETIME},
	    {SIGOK "; t=100; x=200", DK_SIG_OK},
	    {SIGOK "; q=dns/txt", DK_SIG_OK},
	    {SIGOK "; q=http", DK_SIG_EVALUE},
	    {"v=2; a=rsa-sha256; d=e.com; s=s; h=from; bh=AAAA; b=AAAA",
	     DK_SIG_EVERSION},
	    {"v=1; a=rsa-md5; d=e.com; s=s; h=from; bh=AAAA; b=AAAA",
	     DK_SIG_EALG},
	    {"v=1; a=rsa-sha256; d=e.com; s=s; h=to:subject; bh=AAAA; b=AAAA",
	     DK_SIG_ENOFROM},
	    {"v=1; a=rsa-sha256; s=s; h=from; bh=AAAA; b=AAAA",
	     DK_SIG_EMISSING},
	    {"v=1; a=rsa-sha256; d=e.com; s=s; h=from; b=AAAA",
	     DK_SIG_EMISSING},
	    {"v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=AAAA; b=A!AA",
	     DK_SIG_EVALUE},
	    {"v=1; a=rsa-sha256; d=e..com; s=s; h=from; bh=AAAA; b=AAAA",
	     DK_SIG_EVALUE},
	    {"v=1; a=rsa-sha256; d=e.com; s=s; h=from::to; bh=AAAA; b=AAAA",
	     DK_SIG_EVALUE},
	    {"v=1; a=ed25519-sha256; d=e.com; s=s; h=from; bh=AAAA; b=AAAA",
	     DK_SIG_OK},
	    {"v=1; a", DK_SIG_ESYNTAX},
	    {"v=1 a=rsa", DK_SIG_EMISSING}, /* value "1 a=rsa" */
	};
	struct dk_sig sig;
	const char *why;
	size_t k, off;
	enum dk_sig_status st;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		why = "";
		st = dk_sig_parse((const unsigned char *)cases[k].in,
				  strlen(cases[k].in), &sig, &why, &off);
		CHECK(st == cases[k].st, "%s: got %d (%s), want %d",
		      cases[k].in, st, why, cases[k].st);
	}
}

static void
signature_fields_are_normalized(void **state)
{
	const char *in =
	    "v=1; a=rsa-sha256; c=relaxed/relaxed; d=Example.COM;"
	    " s=sel; i=Joe@Mail.Example.com; h=From : To:\r\n SUBJECT;"
	    " l=42; t=10; x=20; bh=AAAA; b=Zm9v\r\n YmFy";
	struct dk_sig sig;
	const char *why = "", *name;
	size_t off, nl;

	CHECK(dk_sig_parse((const unsigned char *)in, strlen(in), &sig, &why,
			   &off) == DK_SIG_OK,
	      "got error %s, want ok", why);
	CHECK(strcmp(sig.d, "example.com") == 0, "got d=%s", sig.d);
	CHECK(strcmp(sig.i, "Joe@mail.example.com") == 0, "got i=%s", sig.i);
	CHECK(strcmp(sig.h, "from:to:subject") == 0 && sig.nh == 3,
	      "got h=%s (%zu), want from:to:subject (3)", sig.h, sig.nh);
	CHECK(sig.hc == DK_C_RELAXED && sig.bc == DK_C_RELAXED,
	      "got canon "
	      "%d/%d",
	      sig.hc, sig.bc);
	CHECK(sig.l == 42 && sig.t == 10 && sig.x == 20,
	      "got l=%lld t=%lld "
	      "x=%lld",
	      sig.l, sig.t, sig.x);
	CHECK(sig.blen == 6 && memcmp(sig.b, "foobar", 6) == 0,
	      "got b of %zu "
	      "bytes, want foobar",
	      sig.blen);
	CHECK(strcmp(sig.bprefix, "Zm9vYmFy") == 0, "got prefix %s",
	      sig.bprefix);
	CHECK(strcmp(in + sig.b_off, "Zm9v\r\n YmFy") == 0 &&
		  sig.b_end == strlen(in),
	      "got b span '%s'", in + sig.b_off);
	CHECK(dk_sig_hname(&sig, 2, &name, &nl) == 0 && nl == 7 &&
		  memcmp(name, "subject", 7) == 0,
	      "got h[2] %.*s", (int)nl, name);
}

static void
key_record_table(void **state)
{
	static const struct {
		const char *in;
		enum dk_key_status st;
		int ed, revoked, strict, sha256, email;
	} cases[] = {
	    {"v=DKIM1; k=rsa; p=AAAA", DK_KEY_OK, 0, 0, 0, 1, 1},
	    {"p=AAAA", DK_KEY_OK, 0, 0, 0, 1, 1},
	    {"v=DKIM1; k=ed25519; p=AAAA", DK_KEY_OK, 1, 0, 0, 1, 1},
	    {"v=DKIM1; p=", DK_KEY_OK, 0, 1, 0, 1, 1},
	    {"v=DKIM1; t=y:s; p=AAAA", DK_KEY_OK, 0, 0, 1, 1, 1},
	    {"v=DKIM1; h=sha1; p=AAAA", DK_KEY_OK, 0, 0, 0, 0, 1},
	    {"v=DKIM1; h=sha1:sha256; p=AAAA", DK_KEY_OK, 0, 0, 0, 1, 1},
	    {"v=DKIM1; s=tlsrpt; p=AAAA", DK_KEY_OK, 0, 0, 0, 1, 0},
	    {"v=DKIM1; s=*; p=AAAA", DK_KEY_OK, 0, 0, 0, 1, 1},
	    {"k=rsa; v=DKIM1; p=AAAA", DK_KEY_EVERSION, 0, 0, 0, 0, 0},
	    {"v=DKIM2; p=AAAA", DK_KEY_EVERSION, 0, 0, 0, 0, 0},
	    {"v=DKIM1; k=dsa; p=AAAA", DK_KEY_EKTYPE, 0, 0, 0, 0, 0},
	    {"v=DKIM1; k=rsa", DK_KEY_EMISSING, 0, 0, 0, 0, 0},
	    {"v=DKIM1; p=A*AA", DK_KEY_EVALUE, 0, 0, 0, 0, 0},
	    {"v=DKIM1; p", DK_KEY_ESYNTAX, 0, 0, 0, 0, 0},
	};
	struct dk_keyrec rec;
	const char *why;
	size_t k, off;
	enum dk_key_status st;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		st = dk_keyrec_parse((const unsigned char *)cases[k].in,
				     strlen(cases[k].in), &rec, &why, &off);
		CHECK(st == cases[k].st, "%s: got %d, want %d", cases[k].in, st,
		      cases[k].st);
		if (st != DK_KEY_OK)
			continue;
		CHECK(rec.ed25519 == cases[k].ed &&
			  rec.revoked == cases[k].revoked &&
			  rec.strict == cases[k].strict &&
			  rec.sha256_ok == cases[k].sha256 &&
			  rec.email_ok == cases[k].email,
		      "%s: got ed=%d revoked=%d strict=%d "
		      "sha256=%d email=%d",
		      cases[k].in, rec.ed25519, rec.revoked, rec.strict,
		      rec.sha256_ok, rec.email_ok);
	}
}

static void
sink_to_buf(void *ctx, const unsigned char *p, size_t n)
{
	assert_int_equal(buf_add(ctx, p, n), 0);
}

/* Canonicalizes body byte by byte and in one call: both must match. */
static void
check_body(enum dk_canon c, long long limit, const char *in, const char *want)
{
	struct dk_body b;
	struct buf out;
	size_t k, n = strlen(in);
	int pass;

	for (pass = 0; pass < 2; pass++) {
		buf_init(&out, 0);
		dk_body_init(&b, c, limit, sink_to_buf, &out);
		if (pass == 0)
			dk_body_update(&b, (const unsigned char *)in, n);
		else
			for (k = 0; k < n; k++)
				dk_body_update(
				    &b, (const unsigned char *)in + k, 1);
		dk_body_final(&b);
		CHECK(strcmp(buf_str(&out), want) == 0,
		      "canon %d of '%s' "
		      "(pass %d): got '%s', want '%s'",
		      c, in, pass, buf_str(&out), want);
		buf_free(&out);
	}
}

static void
canon_rfc6376_3_4_6_example(void **state)
{
	const char *h1 = "A: X", *h2 = "B : Y\t\r\n\tZ  ";
	struct buf out;

	buf_init(&out, 0);
	assert_int_equal(dk_canon_header(DK_C_RELAXED,
					 (const unsigned char *)h1, strlen(h1),
					 1, &out),
			 0);
	assert_int_equal(dk_canon_header(DK_C_RELAXED,
					 (const unsigned char *)h2, strlen(h2),
					 1, &out),
			 0);
	CHECK(strcmp(buf_str(&out), "a:X\r\nb:Y Z\r\n") == 0,
	      "relaxed headers: got '%s', want 'a:X\\r\\nb:Y Z\\r\\n'",
	      buf_str(&out));
	buf_reset(&out);
	assert_int_equal(dk_canon_header(DK_C_SIMPLE, (const unsigned char *)h2,
					 strlen(h2), 1, &out),
			 0);
	CHECK(strcmp(buf_str(&out), "B : Y\t\r\n\tZ  \r\n") == 0,
	      "simple header: got '%s'", buf_str(&out));
	buf_free(&out);
	check_body(DK_C_RELAXED, -1, " C \r\nD \t E\r\n\r\n\r\n",
		   " C\r\nD E\r\n");
	check_body(DK_C_SIMPLE, -1, " C \r\nD \t E\r\n\r\n\r\n",
		   " C \r\nD \t E\r\n");
}

static void
canon_body_edge_cases(void **state)
{
	check_body(DK_C_SIMPLE, -1, "", "\r\n");
	check_body(DK_C_RELAXED, -1, "", "");
	check_body(DK_C_SIMPLE, -1, "\r\n\r\n", "\r\n");
	check_body(DK_C_RELAXED, -1, " \t\r\n\r\n", "");
	check_body(DK_C_SIMPLE, -1, "abc", "abc\r\n");
	check_body(DK_C_RELAXED, -1, "a  b \r\n\r\nc\t", "a b\r\n\r\nc\r\n");
	check_body(DK_C_SIMPLE, -1, "a\rb\r\n", "a\rb\r\n");
	check_body(DK_C_SIMPLE, -1, "a\r", "a\r\r\n");
	check_body(DK_C_SIMPLE, 4, "abc\r\ndef\r\n", "abc\r");
	check_body(DK_C_RELAXED, 0, "abc\r\n", "");
}

static void
canon_relaxed_header_lowercases_and_unfolds(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"Subject:  Hello   World  ", "subject:Hello World\r\n"},
	    {"SUBJECT\t:\tx", "subject:x\r\n"},
	    {"To: a,\r\n\tb", "to:a, b\r\n"},
	    {"X-Empty:", "x-empty:\r\n"},
	    {"X-Empty: \r\n ", "x-empty:\r\n"},
	};
	struct buf out;
	size_t k;

	buf_init(&out, 0);
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		buf_reset(&out);
		assert_int_equal(
		    dk_canon_header(DK_C_RELAXED,
				    (const unsigned char *)cases[k].in,
				    strlen(cases[k].in), 1, &out),
		    0);
		CHECK(strcmp(buf_str(&out), cases[k].want) == 0,
		      "'%s': got "
		      "'%s', want '%s'",
		      cases[k].in, buf_str(&out), cases[k].want);
	}
	buf_free(&out);
}

static void
select_is_bottom_up_and_oversigned(void **state)
{
	static const char *const fields[] = {"From: a",	   "Received: 1",
					     "To: x",	   "Received: 2",
					     "Subject: s", "to: y"};
	const char *in =
	    "v=1; a=rsa-sha256; d=e.com; s=s; "
	    "h=received:to:from:received:to:to:from:received; bh=AA==; b=AA==";
	static const long want[] = {3, 5, 0, 1, 2, -1, -1, -1};
	struct dk_field f[6];
	struct dk_sig sig;
	unsigned char used[6];
	long sel[8];
	const char *why = "";
	size_t k, off;

	for (k = 0; k < 6; k++) {
		f[k].p = (const unsigned char *)fields[k];
		f[k].len = strlen(fields[k]);
		f[k].name_len = dk_field_name_len(f[k].p, f[k].len);
	}
	CHECK(dk_sig_parse((const unsigned char *)in, strlen(in), &sig, &why,
			   &off) == DK_SIG_OK,
	      "got %s", why);
	dk_select(f, 6, &sig, sel, used);
	for (k = 0; k < 8; k++)
		CHECK(sel[k] == want[k], "h[%zu]: got field %ld, want %ld", k,
		      sel[k], want[k]);
}

/* RFC 8463 Appendix A: the example message signed with Ed25519 (key
 * "brisbane") and RSA (key "test", RFC 6376 Appendix C style). */
static const char rfc8463_msg[] =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=simple/simple; \r\n"
    " d=football.example.com; i=@football.example.com; \r\n"
    " q=dns/txt; s=brisbane; t=1518460054; h=from : to : \r\n"
    " subject : date : message-id : from : subject : date; \r\n"
    " bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=; \r\n"
    " b=9/dsDChY0YMTtD5Eyw3wx7x22BlSJP7M5ECbJ7GWrR45nXlTCGb8l0YB\r\n"
    " o0wBLR++X5LqmsxXaOYLLJe46l10AQ==\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; \r\n"
    " d=football.example.com; i=@football.example.com; \r\n"
    " q=dns/txt; s=test; t=1527915362; h=from : to : subject : \r\n"
    " date : message-id : from : subject : date; \r\n"
    " bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=; \r\n"
    " b=icKcLSEZYXJ95flvWE8FT6hl5iqd8MC/LEKYH0QjsqYy6MO/4pgVNCZH\r\n"
    " l/RAXAuADxE/40Fg7uTlxwwD1hjN2Ple6J//cJfslBdDOq6zTVbne1dqtl\r\n"
    " NOat7iamJ1AfRqyG+ja7a2AZsrpUuJ7VA6O+0zRYPqpwMEkEFIzI9i/Xk=\r\n"
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

#define RFC8463_ED                                                             \
	"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define RFC8463_RSA                                                            \
	"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBg"              \
	"QDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byY"  \
	"zCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9P"  \
	"zoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"

static void
feed_hdr(void *ctx, const char *p, size_t n)
{
	assert_int_equal(dk_verify_header(ctx, (const unsigned char *)p, n), 0);
}

/* Verifies msg against keys; returns the results count. */
static size_t
verify_msg(const char *msg, struct dk_test_key *keys, long long now,
	   struct dk_sigresult *out, size_t max)
{
	const struct dk_sigresult *r;
	struct dk_verify *v;
	size_t body, n;

	assert_int_equal(dk_verify_new(NULL, dk_test_fetch, keys, now, &v), 0);
	body = dk_test_split(msg, feed_hdr, v);
	assert_int_equal(dk_verify_eoh(v), 0);
	dk_verify_body(v, (const unsigned char *)msg + body,
		       strlen(msg) - body);
	assert_int_equal(dk_verify_eom(v), 0);
	n = dk_verify_results(v, &r);
	assert_true(n <= max);
	memcpy(out, r, n * sizeof(*r));
	dk_verify_free(&v);
	return n;
}

static void
rfc8463_vectors_verify(void **state)
{
	struct dk_test_key keys[] = {
	    {"brisbane", "football.example.com", RFC8463_ED, 0},
	    {"test", "football.example.com", RFC8463_RSA, 0},
	    {NULL, NULL, NULL, 0},
	};
	struct dk_sigresult r[4];
	size_t n;

	n = verify_msg(rfc8463_msg, keys, 1600000000, r, 4);
	CHECK(n == 2, "got %zu results, want 2", n);
	CHECK(r[0].result == DK_R_PASS && strcmp(r[0].a, "ed25519-sha256") == 0,
	      "ed25519: got %s (%s), want pass", dk_result_str(r[0].result),
	      r[0].reason);
	CHECK(r[1].result == DK_R_PASS && strcmp(r[1].a, "rsa-sha256") == 0,
	      "rsa: got %s (%s), want pass", dk_result_str(r[1].result),
	      r[1].reason);
	CHECK(strcmp(r[0].d, "football.example.com") == 0 &&
		  strcmp(r[0].s, "brisbane") == 0 &&
		  strcmp(r[0].b, "9/dsDChY") == 0,
	      "got d=%s s=%s b=%s", r[0].d, r[0].s, r[0].b);
}

static void
rfc8463_vectors_fail_when_altered(void **state)
{
	struct dk_test_key keys[] = {
	    {"brisbane", "football.example.com", RFC8463_ED, 0},
	    {"test", "football.example.com", "v=DKIM1; p=", 0},
	    {NULL, NULL, NULL, 0},
	};
	struct dk_sigresult r[4];
	char msg[sizeof(rfc8463_msg)];
	char *p;
	size_t n;

	memcpy(msg, rfc8463_msg, sizeof(msg));
	p = strstr(msg, "hungry");
	p[0] = 'H';
	n = verify_msg(msg, keys, 0, r, 4);
	CHECK(n == 2 && r[0].result == DK_R_FAIL &&
		  strcmp(r[0].reason, "body hash mismatch") == 0,
	      "altered body: got %s (%s), want fail (body hash mismatch)",
	      dk_result_str(r[0].result), r[0].reason);
	CHECK(r[1].result == DK_R_FAIL &&
		  strcmp(r[1].reason, "key revoked") == 0,
	      "revoked: got %s (%s)", dk_result_str(r[1].result), r[1].reason);
	memcpy(msg, rfc8463_msg, sizeof(msg));
	p = strstr(msg, "dinner");
	p[0] = 'D';
	n = verify_msg(msg, keys, 0, r, 4);
	CHECK(r[0].result == DK_R_FAIL &&
		  strcmp(r[0].reason, "signature did not verify") == 0,
	      "altered subject: got %s (%s)", dk_result_str(r[0].result),
	      r[0].reason);
}

static void
key_problems_map_to_results(void **state)
{
	struct dk_test_key nokey[] = {{NULL, NULL, NULL, 0}};
	struct dk_test_key temp[] = {
	    {"brisbane", "football.example.com", NULL, 1},
	    {"test", "football.example.com", RFC8463_ED, 0},
	    {NULL, NULL, NULL, 0},
	};
	/* a 512-bit RSA key: refused (RFC 8301) */
	struct dk_test_key weak[] = {
	    {"brisbane", "football.example.com",
	     "k=ed25519; h=sha1; "
	     "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	     0},
	    {"test", "football.example.com",
	     "p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSA"
	     "JBANmBe10IgY+u7h3enWTukkqtUD5PR52Tb/mPfjC0QJTocVBq6Za/PlzfV+Py"
	     "92VaCak19F4WrbVTK5Gg5tW220MCAwEAAQ==",
	     0},
	    {NULL, NULL, NULL, 0},
	};
	struct dk_sigresult r[4];

	verify_msg(rfc8463_msg, nokey, 0, r, 4);
	CHECK(r[0].result == DK_R_PERMERROR &&
		  strcmp(r[0].reason, "no key") == 0,
	      "no key: got %s (%s)", dk_result_str(r[0].result), r[0].reason);
	verify_msg(rfc8463_msg, temp, 0, r, 4);
	CHECK(r[0].result == DK_R_TEMPERROR, "tempfail: got %s",
	      dk_result_str(r[0].result));
	CHECK(r[1].result == DK_R_PERMERROR, "k mismatch: got %s (%s)",
	      dk_result_str(r[1].result), r[1].reason);
	verify_msg(rfc8463_msg, weak, 0, r, 4);
	CHECK(r[0].result == DK_R_PERMERROR, "key h=sha1: got %s (%s)",
	      dk_result_str(r[0].result), r[0].reason);
	CHECK(r[1].result == DK_R_FAIL && strstr(r[1].reason, "1024"),
	      "512-bit RSA: got %s (%s), want fail", dk_result_str(r[1].result),
	      r[1].reason);
}

static void
rsa_sha1_is_policy_and_expired_x_fails(void **state)
{
	const char *msg =
	    "DKIM-Signature: v=1; a=rsa-sha1; d=e.com; s=s; h=from; bh=AA==;"
	    " b=AA==\r\n"
	    "DKIM-Signature: v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=AA==;"
	    " t=100; x=200; b=AA==\r\n"
	    "DKIM-Signature: v=1; a=rsa-sha256; d=e.com; s=s; h=to; bh=AA==;"
	    " b=AA==\r\n"
	    "From: a@e.com\r\n\r\nbody\r\n";
	struct dk_test_key keys[] = {{NULL, NULL, NULL, 0}};
	struct dk_sigresult r[4];
	size_t n;

	n = verify_msg(msg, keys, 300, r, 4);
	CHECK(n == 3, "got %zu results", n);
	CHECK(r[0].result == DK_R_POLICY, "rsa-sha1: got %s, want policy",
	      dk_result_str(r[0].result));
	CHECK(r[1].result == DK_R_FAIL &&
		  strcmp(r[1].reason, "signature expired") == 0,
	      "x=200 at 300: got %s (%s)", dk_result_str(r[1].result),
	      r[1].reason);
	CHECK(r[2].result == DK_R_PERMERROR, "h= without from: got %s",
	      dk_result_str(r[2].result));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tag_list_parses_fws_and_trailing_semicolon),
	    cmocka_unit_test(tag_list_limits_tag_count),
	    cmocka_unit_test(base64_skips_fws_and_checks_padding),
	    cmocka_unit_test(signature_validation_table),
	    cmocka_unit_test(signature_fields_are_normalized),
	    cmocka_unit_test(key_record_table),
	    cmocka_unit_test(canon_rfc6376_3_4_6_example),
	    cmocka_unit_test(canon_body_edge_cases),
	    cmocka_unit_test(canon_relaxed_header_lowercases_and_unfolds),
	    cmocka_unit_test(select_is_bottom_up_and_oversigned),
	    cmocka_unit_test(rfc8463_vectors_verify),
	    cmocka_unit_test(rfc8463_vectors_fail_when_altered),
	    cmocka_unit_test(key_problems_map_to_results),
	    cmocka_unit_test(rsa_sha1_is_policy_and_expired_x_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
