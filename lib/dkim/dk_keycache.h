/* lib/dkim/dk_keycache.h - the public keys of the last key records a
 * process verified with, by their decoded p= bytes.
 *
 * Why: with OpenSSL 3, d2i_PUBKEY goes through the decoder framework and
 * costs 0.1-0.3 ms for an RSA-2048 SubjectPublicKeyInfo, several times
 * the RSA verification itself (~0.05 ms): measured through Postfix
 * (bench/stack), it was most of facteur-dkim's CPU per message, since a
 * domain's mail comes under one key. The bytes compared are the whole
 * decoded key, so a hit can only give the very key the record holds.
 *
 * Only keys dk_pubkey_from_rec accepted are stored (RSA >= 1024 bits or
 * a 32-byte Ed25519 key). DK_KEYCACHE_N entries, replaced round-robin;
 * keys over DK_KEYCACHE_MAXDER bytes are not kept. Thread-safe (one
 * mutex); a hit gives the caller its own reference, and so does
 * dk_keycache_vctx: the context it keeps per key is never used itself. */
#ifndef FACTEUR_DKIM_DK_KEYCACHE_H
#define FACTEUR_DKIM_DK_KEYCACHE_H

#include <stddef.h>

#include <openssl/evp.h>

#define DK_KEYCACHE_N 16
#define DK_KEYCACHE_MAXDER 2048

/* The key stored for (ed25519, der[0..len)), with a new reference the
 * caller frees; NULL when there is none. */
EVP_PKEY *dk_keycache_get(int ed25519, const unsigned char *der, size_t len);

/* Stores k (a reference is taken; k stays the caller's) for those bytes;
 * silently does nothing when they are too long or memory is short. */
void dk_keycache_put(int ed25519, const unsigned char *der, size_t len,
		     EVP_PKEY *k);

/* A verification context for k, a key this cache gave (dk_keycache_get)
 * or stored: made by make(k) once per entry (fetching the algorithm and
 * setting padding and digest cost more than a third of an RSA-2048
 * verification under load) and duplicated for each caller
 * (EVP_PKEY_CTX_dup), who frees it. NULL when k is not (or no longer)
 * cached, or make or the copy failed: the caller makes its own. */
EVP_PKEY_CTX *dk_keycache_vctx(const EVP_PKEY *k,
			       EVP_PKEY_CTX *(*make)(EVP_PKEY *k));

/* Drops every entry (tests; a process may also call it at exit). */
void dk_keycache_clear(void);

#endif
