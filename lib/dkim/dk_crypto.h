/* lib/dkim/dk_crypto.h - OpenSSL 3 EVP for DKIM verification: public
 * keys from key records, RSA-SHA256 and Ed25519-SHA256 (RFC 8463)
 * verification of a SHA-256 digest, and the header and body
 * hashes shared by signing and verifying. No private key passes here
 * (dk_key.h, the signing library). Never logs: errors come back as text.
 * Thread-safe (an EVP_PKEY is used read-only by many threads; the one
 * static, dk_keycache, has its lock). */
#ifndef FACTEUR_DKIM_DK_CRYPTO_H
#define FACTEUR_DKIM_DK_CRYPTO_H

#include <stddef.h>

#include <openssl/evp.h>

#include "dk_canon.h"
#include "dk_sig.h"

struct buf;

#define DK_RSA_MIN_BITS 1024

/* The public key of a key record: *out owned. 0, or -1 with a static
 * reason (RSA under DK_RSA_MIN_BITS is refused, RFC 8301). Accepted keys
 * are kept in dk_keycache, so the same record is decoded once. */
__attribute__((warn_unused_result)) int
dk_pubkey_from_rec(const struct dk_keyrec *rec, EVP_PKEY **out,
		   const char **why);

/* Verifies a SHA-256 digest: RSASSA-PKCS1-v1_5 for RSA, PureEdDSA over
 * the 32 digest bytes for Ed25519 (RFC 8463 §3). 1 valid, 0 not, -1
 * error. */
int dk_verify_digest(EVP_PKEY *k, const unsigned char dig[32],
		     const unsigned char *sig, size_t siglen);

/* The header fields of a message, copied (owned). */
struct dk_hdrs {
	struct dk_field *v;
	size_t n, cap, max;	 /* max 0 = 1000 */
	size_t bytes, max_bytes; /* max_bytes 0 = 1 MiB */
};
__attribute__((warn_unused_result)) int
dk_hdrs_add(struct dk_hdrs *h, const unsigned char *field, size_t len);
void dk_hdrs_free(struct dk_hdrs *h);

/* SHA-256 of the signed header fields (selected per sig->h) and of the
 * DKIM-Signature field sigfield[0..len) whose value's [b_off, b_end)
 * (relative to value_off, the value's offset in the field) is removed.
 * scratch: a buf reused between calls. 0, or -1 on ENOMEM/limits. */
__attribute__((warn_unused_result)) int
dk_header_hash(const struct dk_hdrs *h, const struct dk_sig *sig,
	       const unsigned char *sigfield, size_t len, size_t value_off,
	       struct buf *scratch, unsigned char dig[32]);

/* A SHA-256 body hasher fed by a dk_body canonicalizer. */
struct dk_bodyhash {
	EVP_MD_CTX *md;
	struct dk_body canon;
	unsigned char dig[32];
};
__attribute__((warn_unused_result)) int
dk_bodyhash_init(struct dk_bodyhash *bh, enum dk_canon c, long long limit);
void dk_bodyhash_update(struct dk_bodyhash *bh, const unsigned char *p,
			size_t n);
/* Finishes; 0 with bh->dig set, or -1. */
__attribute__((warn_unused_result)) int
dk_bodyhash_final(struct dk_bodyhash *bh);
void dk_bodyhash_free(struct dk_bodyhash *bh);

#endif
