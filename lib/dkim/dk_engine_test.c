/* lib/dkim/dk_engine_test.c - the signing engine against the
 * verifying engine: RSA and Ed25519, relaxed and simple, with and without
 * l=, the default h= (From over-signed, no Received), parent-domain keys,
 * and key files refused for their mode. Keys are made with OpenSSL in a
 * temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "buf.h"
#include "dk_crypto.h"
#include "dk_key.h"
#include "dk_sign.h"
#include "dk_test_util.h"
#include "dk_verify.h"

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			fail_msg(__VA_ARGS__);                                 \
	} while (0)

struct fx {
	char dir[64];
	char rsa[128], ed[128];
	char rsa_txt[1024], ed_txt[256];
};

static void
write_key(EVP_PKEY *k, const char *path, char *txt, size_t txtlen,
	  const char *kind)
{
	struct buf b;
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fchmod(fileno(f), 0600), 0);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL),
			 1);
	fclose(f);
	buf_init(&b, 0);
	assert_int_equal(dk_pubkey_b64(k, &b), 0);
	snprintf(txt, txtlen, "v=DKIM1; k=%s; p=%s", kind, buf_str(&b));
	buf_free(&b);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	EVP_PKEY *k;

	snprintf(f->dir, sizeof(f->dir), "/tmp/dk_engine_XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->rsa, sizeof(f->rsa), "%s/rsa.key", f->dir);
	snprintf(f->ed, sizeof(f->ed), "%s/ed.key", f->dir);
	k = EVP_RSA_gen(2048);
	write_key(k, f->rsa, f->rsa_txt, sizeof(f->rsa_txt), "rsa");
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	write_key(k, f->ed, f->ed_txt, sizeof(f->ed_txt), "ed25519");
	EVP_PKEY_free(k);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->rsa);
	unlink(f->ed);
	rmdir(f->dir);
	free(f);
	return 0;
}

static const char msg_hdr[] =
    "Received: from client by mx; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "From: Alice <alice@mail.example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject:   Hello\r\n\tworld  \r\n"
    "X-Mailer: test\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "\r\n";
static const char msg_body[] = "Hi  Bob,\r\n\r\nsee you.  \r\n\r\n\r\n";

static void
sign_hdr(void *ctx, const char *p, size_t n)
{
	assert_int_equal(dk_sign_header(ctx, (const unsigned char *)p, n), 0);
}

static void
verify_hdr(void *ctx, const char *p, size_t n)
{
	assert_int_equal(dk_verify_header(ctx, (const unsigned char *)p, n), 0);
}

/* Signs hdr+body; returns the signed message (owned). */
static char *
sign(const struct dk_keyring *kr, const struct dk_sign_opts *o, const char *hdr,
     const char *body, size_t *nsig)
{
	struct dk_sign *s;
	const char *why = "";
	struct buf out;
	size_t k;

	assert_int_equal(dk_sign_new(kr, o, &s), 0);
	(void)dk_test_split(hdr, sign_hdr, s);
	CHECK(dk_sign_eoh(s) == DK_SIGN_OK, "eoh: got no key");
	dk_sign_body(s, (const unsigned char *)body, strlen(body));
	CHECK(dk_sign_eom(s, &why) == 0, "eom: %s", why);
	buf_init(&out, 0);
	*nsig = dk_sign_count(s);
	for (k = *nsig; k-- > 0;)
		assert_int_equal(buf_printf(&out, "DKIM-Signature: %s\r\n",
					    dk_sign_value(s, k)),
				 0);
	assert_int_equal(buf_adds(&out, hdr), 0);
	assert_int_equal(buf_adds(&out, body), 0);
	dk_sign_free(&s);
	return buf_steal(&out);
}

static size_t
verify(const char *msg, struct dk_test_key *keys, struct dk_sigresult *r)
{
	const struct dk_sigresult *res;
	struct dk_verify *v;
	size_t body, n;

	assert_int_equal(dk_verify_new(NULL, dk_test_fetch, keys, 0, &v), 0);
	body = dk_test_split(msg, verify_hdr, v);
	assert_int_equal(dk_verify_eoh(v), 0);
	dk_verify_body(v, (const unsigned char *)msg + body,
		       strlen(msg) - body);
	assert_int_equal(dk_verify_eom(v), 0);
	n = dk_verify_results(v, &res);
	memcpy(r, res, n * sizeof(*r));
	dk_verify_free(&v);
	return n;
}

static void
dual_signatures_verify_in_every_mode(void **state)
{
	struct fx *f = *state;
	struct dk_keyring kr = {0};
	struct dk_test_key keys[] = {
	    {"rsa1", "example.org", f->rsa_txt, 0},
	    {"ed1", "example.org", f->ed_txt, 0},
	    {NULL, NULL, NULL, 0},
	};
	static const enum dk_canon modes[][2] = {{DK_C_RELAXED, DK_C_RELAXED},
						 {DK_C_SIMPLE, DK_C_SIMPLE},
						 {DK_C_RELAXED, DK_C_SIMPLE},
						 {DK_C_SIMPLE, DK_C_RELAXED}};
	struct dk_sigresult r[4];
	char err[256], *msg;
	size_t m, l, n, nsig;

	assert_int_equal(dk_keyring_add(&kr, "example.org", "rsa1", f->rsa,
					(uid_t)-1, err, sizeof(err)),
			 0);
	assert_int_equal(dk_keyring_add(&kr, "example.org", "ed1", f->ed,
					(uid_t)-1, err, sizeof(err)),
			 0);
	for (m = 0; m < 4; m++)
		for (l = 0; l < 2; l++) {
			struct dk_sign_opts o = {
			    modes[m][0], modes[m][1], 1700000000, 3600,
			    (int)l,	 NULL,	      NULL,	  1};
			msg = sign(&kr, &o, msg_hdr, msg_body, &nsig);
			CHECK(nsig == 2, "got %zu signatures, want 2", nsig);
			CHECK(strstr(msg, "h=from:to:subject:date:from;") !=
				  NULL,
			      "h= not the default set:\n%s", msg);
			CHECK(strstr(msg, "x=1700003600;") != NULL, "no x=");
			CHECK((strstr(msg, " l=") != NULL) == (int)l, "l=");
			n = verify(msg, keys, r);
			CHECK(n == 2 && r[0].result == DK_R_PASS &&
				  r[1].result == DK_R_PASS,
			      "mode %zu l=%zu: got %s (%s) / %s "
			      "(%s), want pass/pass\n%s",
			      m, l, dk_result_str(r[0].result), r[0].reason,
			      dk_result_str(r[1].result), r[1].reason, msg);
			free(msg);
		}
	dk_keyring_free(&kr);
}

static void
tampering_and_wrong_keys_fail(void **state)
{
	struct fx *f = *state;
	struct dk_keyring kr = {0};
	struct dk_test_key wrong[] = {
	    {"rsa1", "example.org", f->ed_txt, 0},
	    {NULL, NULL, NULL, 0},
	};
	struct dk_test_key keys[] = {
	    {"rsa1", "example.org", f->rsa_txt, 0},
	    {NULL, NULL, NULL, 0},
	};
	struct dk_sign_opts o = {DK_C_RELAXED, DK_C_RELAXED, 1700000000, 0, 1,
				 NULL,	       NULL,	     1};
	struct dk_sigresult r[2];
	char err[256], *msg, *p;
	size_t nsig;

	assert_int_equal(dk_keyring_add(&kr, "example.org", "rsa1", f->rsa,
					(uid_t)-1, err, sizeof(err)),
			 0);
	msg = sign(&kr, &o, msg_hdr, msg_body, &nsig);
	/* l= covers the body: text appended after it leaves bytes no one
	 * signed, so the signature is not a pass (RFC 6376 §8.2) */
	assert_non_null(msg);
	p = malloc(strlen(msg) + 32);
	memcpy(p, msg, strlen(msg));
	memcpy(p + strlen(msg), "appended\r\n", 11);
	verify(p, keys, r);
	CHECK(r[0].result == DK_R_POLICY && strstr(r[0].reason, "l=") != NULL,
	      "appended after l=: got %s (%s), want policy",
	      dk_result_str(r[0].result), r[0].reason);
	free(p);
	p = strstr(msg, "see you");
	p[0] = 'S';
	verify(msg, keys, r);
	CHECK(r[0].result == DK_R_FAIL &&
		  strcmp(r[0].reason, "body hash mismatch") == 0,
	      "altered body: got %s (%s)", dk_result_str(r[0].result),
	      r[0].reason);
	p[0] = 's';
	p = strstr(msg, "bob@example.net");
	p[0] = 'B';
	verify(msg, keys, r);
	CHECK(r[0].result == DK_R_FAIL, "altered To: got %s",
	      dk_result_str(r[0].result));
	p[0] = 'b';
	verify(msg, wrong, r);
	CHECK(r[0].result == DK_R_PERMERROR, "ed25519 key for rsa sig: got %s",
	      dk_result_str(r[0].result));
	free(msg);
	dk_keyring_free(&kr);
}

/* l=0 signs no body at all: any body may follow, and none passes; an
 * exact l= still does. */
static void
body_length_zero_with_another_body_is_policy(void **state)
{
	struct fx *f = *state;
	struct dk_keyring kr = {0};
	struct dk_test_key keys[] = {
	    {"ed1", "example.org", f->ed_txt, 0},
	    {NULL, NULL, NULL, 0},
	};
	struct dk_sign_opts o = {DK_C_RELAXED, DK_C_RELAXED, 1700000000, 0, 1,
				 NULL,	       NULL,	     1};
	struct dk_sigresult r[1];
	struct buf b;
	char err[256], *msg;
	size_t nsig;

	assert_int_equal(dk_keyring_add(&kr, "example.org", "ed1", f->ed,
					(uid_t)-1, err, sizeof(err)),
			 0);
	msg = sign(&kr, &o, msg_hdr, "", &nsig);
	CHECK(strstr(msg, " l=0;") != NULL, "no l=0 in\n%s", msg);
	verify(msg, keys, r);
	CHECK(r[0].result == DK_R_PASS,
	      "empty body, l=0: got %s (%s), want "
	      "pass",
	      dk_result_str(r[0].result), r[0].reason);
	buf_init(&b, 0);
	assert_int_equal(buf_printf(&b, "%sPay to IBAN XX00 now.\r\n", msg), 0);
	verify(buf_str(&b), keys, r);
	CHECK(r[0].result == DK_R_POLICY,
	      "l=0 with a body of the "
	      "attacker's: got %s (%s), want policy",
	      dk_result_str(r[0].result), r[0].reason);
	buf_free(&b);
	free(msg);
	dk_keyring_free(&kr);
}

static void
keyring_uses_nearest_parent_and_refuses_open_key_files(void **state)
{
	struct fx *f = *state;
	struct dk_keyring kr = {0};
	char err[256];

	assert_int_equal(dk_keyring_add(&kr, "Example.org", "s", f->ed,
					(uid_t)-1, err, sizeof(err)),
			 0);
	CHECK(dk_keyring_domain(&kr, "a.b.example.org") != NULL &&
		  strcmp(dk_keyring_domain(&kr, "a.b.example.org"),
			 "example.org") == 0,
	      "got no parent domain");
	CHECK(dk_keyring_domain(&kr, "example.net") == NULL, "got a key for "
							     "another domain");
	CHECK(dk_keyring_domain(&kr, "org") == NULL, "got a key for a TLD");
	assert_int_equal(chmod(f->ed, 0640), 0);
	CHECK(dk_keyring_add(&kr, "example.org", "t", f->ed, (uid_t)-1, err,
			     sizeof(err)) < 0 &&
		  strstr(err, "group or other"),
	      "mode 0640: got "
	      "'%s', want refused",
	      err);
	assert_int_equal(chmod(f->ed, 0600), 0);
	dk_keyring_free(&kr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dual_signatures_verify_in_every_mode),
	    cmocka_unit_test(tampering_and_wrong_keys_fail),
	    cmocka_unit_test(body_length_zero_with_another_body_is_policy),
	    cmocka_unit_test(
		keyring_uses_nearest_parent_and_refuses_open_key_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
