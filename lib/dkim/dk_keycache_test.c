/* lib/dkim/dk_keycache_test.c - a key record's public key is decoded
 * once and then shared (dk_keycache), and never stands for another
 * record's key: one changed byte, a refused key, eviction, threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dk_crypto.h"
#include "dk_keycache.h"
#include "dk_sig.h"

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			fail_msg(__VA_ARGS__);                                 \
	} while (0)

/* RFC 8463 Appendix A's keys (RSA-1024 and Ed25519). */
#define REC_RSA                                                                \
	"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkH"          \
	"lOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb"  \
	"3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZ"  \
	"yVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
#define REC_ED                                                                 \
	"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
/* 512 bits: refused (RFC 8301) */
#define REC_WEAK                                                               \
	"p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANmBe10IgY+u7h3enWTukkqtUD"         \
	"5PR52Tb/mPfjC0QJTocVBq6Za/"                                           \
	"PlzfV+Py92VaCak19F4WrbVTK5Gg5tW220MCAwEAAQ=="

static void
parse(const char *txt, struct dk_keyrec *rec)
{
	const char *why = "";
	size_t off;

	CHECK(dk_keyrec_parse((const unsigned char *)txt, strlen(txt), rec,
			      &why, &off) == DK_KEY_OK,
	      "%s: %s", txt, why);
}

static EVP_PKEY *
key_of(const struct dk_keyrec *rec)
{
	const char *why = "";
	EVP_PKEY *k = NULL;

	CHECK(dk_pubkey_from_rec(rec, &k, &why) == 0 && k != NULL,
	      "key refused: %s", why);
	return k;
}

/* An Ed25519 record whose 32 key bytes are i's, big-endian, then 0xA5s. */
static void
ed_rec(unsigned i, struct dk_keyrec *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->ed25519 = rec->sha256_ok = rec->email_ok = 1;
	memset(rec->p, 0xA5, 32);
	rec->p[0] = (unsigned char)(i >> 8);
	rec->p[1] = (unsigned char)i;
	rec->plen = 32;
}

static int
same_raw(EVP_PKEY *k, const struct dk_keyrec *rec)
{
	unsigned char raw[32];
	size_t n = sizeof(raw);

	return EVP_PKEY_get_raw_public_key(k, raw, &n) == 1 && n == 32 &&
	       memcmp(raw, rec->p, 32) == 0;
}

static void
a_record_is_decoded_once(void **state)
{
	struct dk_keyrec rec;
	EVP_PKEY *a, *b;

	(void)state;
	dk_keycache_clear();
	parse(REC_RSA, &rec);
	a = key_of(&rec);
	b = key_of(&rec);
	CHECK(a == b, "the second lookup decoded the record again");
	CHECK(EVP_PKEY_get_bits(a) == 1024, "bits %d", EVP_PKEY_get_bits(a));
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	/* the cache's own reference keeps it alive for the next caller */
	a = key_of(&rec);
	CHECK(EVP_PKEY_get_bits(a) == 1024, "after free: bits %d",
	      EVP_PKEY_get_bits(a));
	EVP_PKEY_free(a);
	dk_keycache_clear();
}

static void
a_changed_byte_is_another_key(void **state)
{
	struct dk_keyrec r1, r2;
	EVP_PKEY *a, *b;

	(void)state;
	dk_keycache_clear();
	parse(REC_ED, &r1);
	r2 = r1;
	r2.p[31] ^= 1;
	a = key_of(&r1);
	b = key_of(&r2);
	CHECK(a != b && EVP_PKEY_eq(a, b) != 1 && same_raw(a, &r1) &&
		  same_raw(b, &r2),
	      "one changed byte gave the cached key");
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	/* the same bytes as RSA are not the Ed25519 entry */
	CHECK(dk_keycache_get(0, r1.p, r1.plen) == NULL,
	      "an Ed25519 entry answered for k=rsa");
	dk_keycache_clear();
}

static void
refused_keys_are_never_kept(void **state)
{
	struct dk_keyrec rec;
	const char *why = "";
	EVP_PKEY *k = NULL;
	int i;

	(void)state;
	dk_keycache_clear();
	parse(REC_WEAK, &rec);
	for (i = 0; i < 2; i++) {
		CHECK(dk_pubkey_from_rec(&rec, &k, &why) < 0 && k == NULL &&
			  strstr(why, "1024") != NULL,
		      "try %d: 512-bit key: %s", i, why);
		CHECK(dk_keycache_get(0, rec.p, rec.plen) == NULL,
		      "a refused key was cached");
	}
	dk_keycache_clear();
}

static void
eviction_keeps_every_answer_right(void **state)
{
	struct dk_keyrec rec;
	EVP_PKEY *k;
	unsigned i, round;

	(void)state;
	dk_keycache_clear();
	for (round = 0; round < 2; round++)
		for (i = 0; i < 3 * DK_KEYCACHE_N + 1; i++) {
			ed_rec(i, &rec);
			k = key_of(&rec);
			CHECK(same_raw(k, &rec), "round %u key %u: wrong key",
			      round, i);
			EVP_PKEY_free(k);
		}
	dk_keycache_clear();
}

static int vctx_made;

static EVP_PKEY_CTX *
count_make(EVP_PKEY *k)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);

	vctx_made++;
	if (c != NULL && EVP_PKEY_verify_init(c) != 1) {
		EVP_PKEY_CTX_free(c);
		c = NULL;
	}
	return c;
}

/* A cached key's verification context is set up once and copied for
 * each caller; once the key has left the cache there is none. */
static void
a_cached_keys_context_is_set_up_once(void **state)
{
	struct dk_keyrec rec;
	EVP_PKEY_CTX *c1, *c2;
	EVP_PKEY *a;

	(void)state;
	dk_keycache_clear();
	vctx_made = 0;
	parse(REC_RSA, &rec);
	a = key_of(&rec);
	c1 = dk_keycache_vctx(a, count_make);
	c2 = dk_keycache_vctx(a, count_make);
	CHECK(c1 != NULL && c2 != NULL && c1 != c2,
	      "no context, or the same one twice");
	CHECK(vctx_made == 1, "set up %d times, want once", vctx_made);
	EVP_PKEY_CTX_free(c1);
	EVP_PKEY_CTX_free(c2);
	dk_keycache_clear();
	CHECK(dk_keycache_vctx(a, count_make) == NULL && vctx_made == 1,
	      "a key no longer cached got a context");
	EVP_PKEY_free(a);
}

/* The record of a fresh RSA-1024 key (SubjectPublicKeyInfo), and that
 * key. */
static EVP_PKEY *
rsa_rec(struct dk_keyrec *rec)
{
	EVP_PKEY *priv = EVP_RSA_gen(1024);
	unsigned char *p;
	int n;

	CHECK(priv != NULL, "EVP_RSA_gen");
	memset(rec, 0, sizeof(*rec));
	rec->sha256_ok = rec->email_ok = 1;
	n = i2d_PUBKEY(priv, NULL);
	CHECK(n > 0 && (size_t)n <= sizeof(rec->p), "i2d_PUBKEY %d", n);
	p = rec->p;
	CHECK(i2d_PUBKEY(priv, &p) == n, "i2d_PUBKEY");
	rec->plen = (size_t)n;
	return priv;
}

/* Verifying through the cached key's copied context: a good signature
 * passes every time, a changed digest never does. */
static void
verification_with_a_cached_context_is_exact(void **state)
{
	unsigned char dig[32], sig[256];
	size_t siglen = sizeof(sig);
	struct dk_keyrec rec;
	EVP_PKEY_CTX *sc;
	EVP_PKEY *priv, *pub;
	int i;

	(void)state;
	dk_keycache_clear();
	priv = rsa_rec(&rec);
	memset(dig, 0x5a, sizeof(dig));
	sc = EVP_PKEY_CTX_new(priv, NULL);
	CHECK(sc != NULL && EVP_PKEY_sign_init(sc) == 1 &&
		  EVP_PKEY_CTX_set_rsa_padding(sc, RSA_PKCS1_PADDING) == 1 &&
		  EVP_PKEY_CTX_set_signature_md(sc, EVP_sha256()) == 1 &&
		  EVP_PKEY_sign(sc, sig, &siglen, dig, 32) == 1,
	      "sign");
	EVP_PKEY_CTX_free(sc);
	for (i = 0; i < 3; i++) {
		pub = key_of(&rec);
		CHECK(dk_verify_digest(pub, dig, sig, siglen) == 1,
		      "try %d: good signature refused", i);
		dig[0] ^= 1;
		CHECK(dk_verify_digest(pub, dig, sig, siglen) == 0,
		      "try %d: changed digest accepted", i);
		dig[0] ^= 1;
		EVP_PKEY_free(pub);
	}
	EVP_PKEY_free(priv);
	dk_keycache_clear();
}

static void *
hammer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg, i, bad = 0;
	struct dk_keyrec rec;
	EVP_PKEY *k;
	const char *why;

	for (i = 0; i < 400; i++) {
		seed = seed * 1103515245u + 12345u;
		ed_rec((seed >> 16) % (DK_KEYCACHE_N + 8), &rec);
		k = NULL;
		if (dk_pubkey_from_rec(&rec, &k, &why) < 0 ||
		    !same_raw(k, &rec))
			bad++;
		EVP_PKEY_free(k);
	}
	return (void *)(uintptr_t)bad;
}

static void
threads_share_it_safely(void **state)
{
	pthread_t t[4];
	void *bad;
	size_t i;

	(void)state;
	dk_keycache_clear();
	for (i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, hammer,
				     (void *)(uintptr_t)(i + 1)) == 0,
		      "pthread_create");
	for (i = 0; i < 4; i++) {
		CHECK(pthread_join(t[i], &bad) == 0, "pthread_join");
		CHECK(bad == NULL, "thread %zu: %zu wrong keys", i,
		      (size_t)(uintptr_t)bad);
	}
	dk_keycache_clear();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_record_is_decoded_once),
	    cmocka_unit_test(a_changed_byte_is_another_key),
	    cmocka_unit_test(refused_keys_are_never_kept),
	    cmocka_unit_test(eviction_keeps_every_answer_right),
	    cmocka_unit_test(threads_share_it_safely),
	    cmocka_unit_test(a_cached_keys_context_is_set_up_once),
	    cmocka_unit_test(verification_with_a_cached_context_is_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
