/* lib/dkim/dk_ar_test.c - Authentication-Results: which fields name
 * our authserv-id (every spelling a forger may use, RFC 8601 §2.2/§5),
 * and how results with a reason are written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "dk_ar.h"

struct ours_case {
	const char *value, *id;
	int want;
};

static const struct ours_case ours_cases[] = {
    {"mx.test; dkim=pass", "mx.test", 1},
    {"MX.TEST; dkim=pass", "mx.test", 1},
    {"mx.test 1; dkim=pass", "mx.test", 1},
    {"mx.test(comment); dkim=pass", "mx.test", 1},
    {"mx.test", "mx.test", 1},
    {"mx.test;", "mx.test", 1},
    /* a trailing dot names the same host */
    {"mx.test.; dkim=pass", "mx.test", 1},
    {"mx.test..; dkim=pass", "mx.test", 1},
    {"mx.test; dkim=pass", "mx.test.", 1},
    /* authserv-id is a value: token or quoted-string */
    {"\"mx.test\"; dkim=pass", "mx.test", 1},
    {"\"MX.test.\" 1; dkim=pass", "mx.test", 1},
    {"\"mx\\.test\"; dkim=pass", "mx.test", 1},
    {"\" mx.test \"; dkim=pass", "mx.test", 1},
    /* CFWS before it: comments, nested comments, folding */
    {"(forged) mx.test; dkim=pass", "mx.test", 1},
    {"((a)(b)) (c)mx.test; dkim=pass", "mx.test", 1},
    {"\n\t (x\\)y) mx.test; dkim=pass", "mx.test", 1},
    {"\r\n mx.test; dkim=pass", "mx.test", 1},
    /* other ids stay */
    {"other.example; dkim=pass", "mx.test", 0},
    {"mx.test.evil; dkim=pass", "mx.test", 0},
    {"mx.tes; dkim=pass", "mx.test", 0},
    {"xmx.test; dkim=pass", "mx.test", 0},
    {"\"mx.test x\"; dkim=pass", "mx.test", 0},
    {"(mx.test) other.example; dkim=pass", "mx.test", 0},
    {"", "mx.test", 0},
    {".; dkim=pass", "mx.test", 0},
    {"(unterminated mx.test; dkim=pass", "mx.test", 0},
};

static void
authserv_id_spellings_that_name_us(void **state)
{
	size_t k;
	int got;

	(void)state;
	for (k = 0; k < sizeof(ours_cases) / sizeof(ours_cases[0]); k++) {
		got = dk_ar_is_ours(ours_cases[k].value, ours_cases[k].id);
		if (got != ours_cases[k].want)
			fail_msg("'%s' vs id %s: got %d, want %d",
				 ours_cases[k].value, ours_cases[k].id, got,
				 ours_cases[k].want);
	}
}

static void
policy_reason_and_dmarc_reason_are_reasonspecs(void **state)
{
	struct dk_sigresult r[2];
	struct dk_ar_extra x = {0};
	struct buf b;

	(void)state;
	memset(r, 0, sizeof(r));
	r[0].result = DK_R_POLICY;
	r[0].reason = "l= leaves part of the body unsigned";
	snprintf(r[0].d, sizeof(r[0].d), "example.org");
	r[1].result = DK_R_FAIL;
	r[1].reason = "body hash mismatch";
	x.dmarc = "permerror";
	x.dmarc_reason = "no From field";
	buf_init(&b, 0);
	assert_int_equal(dk_ar_build("mx.test", r, 2, &x, &b), 0);
	if (strcmp(buf_str(&b),
		   "mx.test;\n\tdkim=policy reason=\"l= leaves "
		   "part of the body unsigned\" "
		   "header.d=example.org;\n\tdkim=fail "
		   "(body hash mismatch);\n\tdmarc=permerror reason=\"no From "
		   "field\"") != 0)
		fail_msg("got '%s'", buf_str(&b));
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(authserv_id_spellings_that_name_us),
	    cmocka_unit_test(policy_reason_and_dmarc_reason_are_reasonspecs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
