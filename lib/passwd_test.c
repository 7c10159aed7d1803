/* lib/passwd_test.c - unit tests for lib/passwd (Dovecot-compatible
 * crypt hashes). Known vectors come from `openssl passwd -6 -salt
 * facteursalt secret` (equal to Python's crypt.crypt) and from
 * `doveadm pw -s SCHEME -p 'correct horse'` (Dovecot 2.3.19). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "passwd.h"

#define WANT_INT(got, want)                                                    \
	do {                                                                   \
		int got_ = (got);                                              \
		if (got_ != (want))                                            \
			fail_msg("%s: got %d, want %d", #got, got_, (want));   \
	} while (0)

static const char sha512_secret[] =
    "$6$facteursalt$xkmHCQm9ZWTbGPNWDYp4P1hFZSWo7.ctp.l6c07h5dNsoNv4O68HMb"
    "aIzJ5Poh.tZKDLxk/eZB0jGfaHtZvpn0";
static const char sha512_rounds_secret[] =
    "$6$rounds=10000$facteursalt$x3y4ucxQdXjoxtGiBMu1tn9fH/cC6y2O5Qsste1Baq"
    "WJLEpGnh4Wvfel9Wf604I4PeN.MNvHDI4vURsxdkzxw/";
static const char *const doveadm_correct_horse[] = {
    "{SHA512-CRYPT}$6$4c8Npa9LWdKB/McP$Q8EN5a4KyTc0QAMN1IG3Fc.fd./FPQt56i0"
    "bHr32hivjaLGrmOyTQkpx.cokVuD9.58XDZYVDez8ThJcGpGHF.",
    "{BLF-CRYPT}$2y$05$gyQ1j5KcM.P6D6.9LgFdUueBCk7y.103oE60pSnjBfqRZ71EpV3"
    "3C",
    "{SHA256-CRYPT}$5$LB8yTLct/hW2YyFp$j6pa1N7iD0F0DC1VSNElHNs5r1.l7oKQCiN"
    "Bv5urpT7",
};

static void
known_sha512_vector_verifies(void **state)
{
	char prefixed[256];

	WANT_INT(pw_verify(sha512_secret, "secret"), 1);
	WANT_INT(pw_verify(sha512_secret, "Secret"), 0);
	WANT_INT(pw_verify(sha512_rounds_secret, "secret"), 1);
	snprintf(prefixed, sizeof(prefixed), "{SHA512-CRYPT}%s", sha512_secret);
	WANT_INT(pw_verify(prefixed, "secret"), 1);
	WANT_INT(pw_verify(prefixed, "secret "), 0);
	prefixed[1] = 's'; /* scheme names are case-insensitive */
	WANT_INT(pw_verify(prefixed, "secret"), 1);
}

static void
doveadm_hashes_verify(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(doveadm_correct_horse) /
			    sizeof(doveadm_correct_horse[0]);
	     i++) {
		if (pw_verify(doveadm_correct_horse[i], "correct horse") != 1)
			fail_msg("%s: got no match, want match",
				 doveadm_correct_horse[i]);
		WANT_INT(pw_verify(doveadm_correct_horse[i], "correct hors"),
			 0);
	}
}

static void
hash_then_verify_roundtrip_per_scheme(void **state)
{
	static const struct {
		const char *scheme, *prefix;
	} cases[] = {
	    {NULL, "{SHA512-CRYPT}$6$"},
	    {"sha512-crypt", "{SHA512-CRYPT}$6$"},
	    {"SHA256-CRYPT", "{SHA256-CRYPT}$5$"},
	    {"BLF-CRYPT", "{BLF-CRYPT}$2y$10$"},
	};
	char err[128];
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		WANT_INT(pw_scheme_available(cases[i].scheme), 1);
		if (pw_hash(cases[i].scheme, "s3cret pass", &b, err,
			    sizeof(err)) != 0)
			fail_msg("pw_hash(%s): got error \"%s\", want 0",
				 cases[i].scheme, err);
		if (strncmp(buf_str(&b), cases[i].prefix,
			    strlen(cases[i].prefix)) != 0)
			fail_msg("pw_hash(%s): got \"%s\", want prefix \"%s\"",
				 cases[i].scheme, buf_str(&b), cases[i].prefix);
		/* rounds stay at crypt's default, like doveadm pw. */
		assert_null(strstr(buf_str(&b), "rounds="));
		WANT_INT(pw_verify(buf_str(&b), "s3cret pass"), 1);
		WANT_INT(pw_verify(buf_str(&b), "s3cret pasS"), 0);
	}
	buf_free(&b);
}

static void
two_hashes_of_one_password_differ(void **state)
{
	char err[128];
	struct buf a, b;

	buf_init(&a, 0);
	buf_init(&b, 0);
	WANT_INT(pw_hash(NULL, "secret", &a, err, sizeof(err)), 0);
	WANT_INT(pw_hash(NULL, "secret", &b, err, sizeof(err)), 0);
	if (strcmp(buf_str(&a), buf_str(&b)) == 0)
		fail_msg("got the same hash twice (%s), want random salts",
			 buf_str(&a));
	buf_free(&a);
	buf_free(&b);
}

static void
argon2id_only_where_crypt_makes_it(void **state)
{
	char err[128] = "";
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = pw_hash("ARGON2ID", "secret", &b, err, sizeof(err));
	if (pw_scheme_available("argon2id")) {
		WANT_INT(rc, 0);
		WANT_INT(pw_verify(buf_str(&b), "secret"), 1);
	} else {
		WANT_INT(rc, -1);
		if (strstr(err, "not available on this system") == NULL)
			fail_msg("err: got \"%s\", want \"...not available on "
				 "this system...\"",
				 err);
	}
	buf_free(&b);
}

static void
hash_refuses_bad_input(void **state)
{
	static const struct {
		const char *scheme, *password, *msg;
	} cases[] = {
	    {NULL, "", "empty password"},
	    {NULL, NULL, "empty password"},
	    {NULL, "a\nb", "CR or LF"},
	    {NULL, "a\rb", "CR or LF"},
	    {"PLAIN", "secret", "unknown password scheme PLAIN"},
	    {"SHA512", "secret", "unknown password scheme"},
	};
	char err[128];
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		WANT_INT(pw_hash(cases[i].scheme, cases[i].password, &b, err,
				 sizeof(err)),
			 -1);
		if (strstr(err, cases[i].msg) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
				 cases[i].msg);
	}
	WANT_INT(pw_scheme_available("PLAIN"), 0);
	buf_free(&b);
}

static void
verify_refuses_unusable_hashes(void **state)
{
	static const char *const unusable[] = {
	    "{PLAIN}secret",
	    "{SHA512-CRYPT",
	    "{SHA512-CRYPT}",
	    "*",
	    "!",
	    "{SSHA512}abcd",
	    "$6$",
	    "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHQ$abc",
	};
	size_t i;

	WANT_INT(pw_verify(NULL, "secret"), -1);
	for (i = 0; i < sizeof(unusable) / sizeof(unusable[0]); i++)
		if (pw_verify(unusable[i], "secret") != -1)
			fail_msg("pw_verify(\"%s\"): got %d, want -1",
				 unusable[i], pw_verify(unusable[i], "secret"));
	/* A usable hash with a password that could never have been set. */
	WANT_INT(pw_verify(sha512_secret, ""), 0);
	WANT_INT(pw_verify(sha512_secret, NULL), 0);
	WANT_INT(pw_verify(sha512_secret, "secret\n"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(known_sha512_vector_verifies),
	    cmocka_unit_test(doveadm_hashes_verify),
	    cmocka_unit_test(hash_then_verify_roundtrip_per_scheme),
	    cmocka_unit_test(two_hashes_of_one_password_differ),
	    cmocka_unit_test(argon2id_only_where_crypt_makes_it),
	    cmocka_unit_test(hash_refuses_bad_input),
	    cmocka_unit_test(verify_refuses_unusable_hashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
