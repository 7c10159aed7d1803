/* lib/dkim/dk_key.h - DKIM private keys: the key file, its p= text and
 * signatures over a SHA-256 digest. The signing library (dkim_sign) only:
 * a program that just verifies (facteur-spam) links none of it. Never
 * logs: errors come back as text. Thread-safe (no statics). */
#ifndef FACTEUR_DKIM_DK_KEY_H
#define FACTEUR_DKIM_DK_KEY_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "dk_sig.h"

struct buf;

/* Loads a PEM private key (RSA >= 1024 bits or Ed25519). The file must be
 * a regular file, not readable or writable by group or other, and owned
 * by root, the effective user or owner (pass (uid_t)-1 for none), checked
 * with fstat on the open descriptor. The file's bytes are wiped from
 * memory. *out owned (EVP_PKEY_free), *alg its algorithm. 0, or -1. */
__attribute__((warn_unused_result)) int dk_key_load(const char *path,
						    uid_t owner, EVP_PKEY **out,
						    enum dk_alg *alg, char *err,
						    size_t errlen);

/* The p= text of a private or public key (base64 of the DER
 * SubjectPublicKeyInfo for RSA, of the raw 32 bytes for Ed25519). */
__attribute__((warn_unused_result)) int dk_pubkey_b64(EVP_PKEY *k,
						      struct buf *out);

/* Signs a SHA-256 digest: RSASSA-PKCS1-v1_5 for RSA, PureEdDSA over the
 * 32 digest bytes for Ed25519 (RFC 8463 §3). sig holds *siglen bytes on
 * input, the signature's length on output. 0, or -1. */
__attribute__((warn_unused_result)) int
dk_sign_digest(EVP_PKEY *k, const unsigned char dig[32], unsigned char *sig,
	       size_t *siglen);

#endif
