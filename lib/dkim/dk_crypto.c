/* lib/dkim/dk_crypto.c - OpenSSL 3 EVP glue for DKIM verification and
 * the hashes signing shares; see dk_crypto.h. Holds no private key: key
 * files and signing are dk_key.c (the signing library). */
#include "dk_crypto.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "buf.h"
#include "dk_keycache.h"

static int dk_pubkey_decode(const struct dk_keyrec *rec, EVP_PKEY **out,
			    const char **why);

/* SHA-256 fetched once: EVP_sha256() is fetched again by every
 * EVP_DigestInit and EVP_Digest (a name lookup under the method store's
 * lock). Kept for the life of the process. */
static EVP_MD *dk_md;
static pthread_once_t dk_md_once = PTHREAD_ONCE_INIT;

static void
dk_md_fetch(void)
{
	dk_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
dk_sha256(void)
{
	(void)pthread_once(&dk_md_once, dk_md_fetch);
	return dk_md != NULL ? dk_md : EVP_sha256();
}

int
dk_pubkey_from_rec(const struct dk_keyrec *rec, EVP_PKEY **out,
		   const char **why)
{
	if ((*out = dk_keycache_get(rec->ed25519, rec->p, rec->plen)) != NULL)
		return 0;
	if (dk_pubkey_decode(rec, out, why) < 0)
		return -1;
	dk_keycache_put(rec->ed25519, rec->p, rec->plen, *out);
	return 0;
}

/* The key of rec, decoded and checked (the costly part: see
 * dk_keycache.h). */
static int
dk_pubkey_decode(const struct dk_keyrec *rec, EVP_PKEY **out, const char **why)
{
	const unsigned char *p = rec->p;

	*out = NULL;
	if (rec->ed25519) {
		if (rec->plen != 32) {
			*why = "bad Ed25519 key length";
			return -1;
		}
		*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
						   rec->p, 32);
		if (*out == NULL) {
			*why = "bad Ed25519 key";
			return -1;
		}
		return 0;
	}
	*out = d2i_PUBKEY(NULL, &p, (long)rec->plen);
	if (*out == NULL) { /* some publish a bare PKCS#1 RSAPublicKey */
		p = rec->p;
		*out = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)rec->plen);
	}
	if (*out == NULL || EVP_PKEY_get_base_id(*out) != EVP_PKEY_RSA) {
		EVP_PKEY_free(*out);
		*out = NULL;
		*why = "bad RSA key";
		return -1;
	}
	if (EVP_PKEY_get_bits(*out) < DK_RSA_MIN_BITS) {
		EVP_PKEY_free(*out);
		*out = NULL;
		*why = "RSA key shorter than 1024 bits";
		return -1;
	}
	return 0;
}

/* An RSASSA-PKCS1-v1_5 / SHA-256 verification context for k, or NULL. */
static EVP_PKEY_CTX *
dk_rsa_vctx(EVP_PKEY *k)
{
	EVP_PKEY_CTX *pc;

	if ((pc = EVP_PKEY_CTX_new(k, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_verify_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(pc, dk_sha256()) == 1)
		return pc;
	EVP_PKEY_CTX_free(pc);
	return NULL;
}

int
dk_verify_digest(EVP_PKEY *k, const unsigned char dig[32],
		 const unsigned char *sig, size_t siglen)
{
	EVP_PKEY_CTX *pc;
	EVP_MD_CTX *md;
	int rc = -1;

	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
		if ((md = EVP_MD_CTX_new()) == NULL)
			return -1;
		if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1)
			rc = EVP_DigestVerify(md, sig, siglen, dig, 32) == 1;
		EVP_MD_CTX_free(md);
		return rc;
	}
	/* a cached key's context is a copy of one set up once */
	if ((pc = dk_keycache_vctx(k, dk_rsa_vctx)) == NULL &&
	    (pc = dk_rsa_vctx(k)) == NULL)
		return -1;
	rc = EVP_PKEY_verify(pc, sig, siglen, dig, 32) == 1;
	EVP_PKEY_CTX_free(pc);
	return rc;
}

int
dk_hdrs_add(struct dk_hdrs *h, const unsigned char *field, size_t len)
{
	size_t max = h->max ? h->max : 1000;
	size_t maxb = h->max_bytes ? h->max_bytes : (size_t)1 << 20;
	struct dk_field *nv;
	unsigned char *copy;

	if (h->n == max || len > maxb - h->bytes)
		return -1;
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 32;
		if ((nv = realloc(h->v, cap * sizeof(*nv))) == NULL)
			return -1;
		h->v = nv;
		h->cap = cap;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, field, len);
	copy[len] = '\0';
	h->v[h->n].p = copy;
	h->v[h->n].len = len;
	h->v[h->n].name_len = dk_field_name_len(copy, len);
	h->n++;
	h->bytes += len;
	return 0;
}

void
dk_hdrs_free(struct dk_hdrs *h)
{
	size_t k;

	for (k = 0; k < h->n; k++)
		free((void *)h->v[k].p);
	free(h->v);
	h->v = NULL;
	h->n = h->cap = h->bytes = 0;
}

int
dk_header_hash(const struct dk_hdrs *h, const struct dk_sig *sig,
	       const unsigned char *sigfield, size_t len, size_t value_off,
	       struct buf *scratch, unsigned char dig[32])
{
	long sel[512];
	unsigned char *used;
	size_t k, cut, cutend, start;
	int rc = -1;

	if (sig->nh > sizeof(sel) / sizeof(sel[0]))
		return -1;
	if ((used = malloc(h->n + 1)) == NULL)
		return -1;
	dk_select(h->v, h->n, sig, sel, used);
	free(used);
	buf_reset(scratch);
	for (k = 0; k < sig->nh; k++)
		if (sel[k] >= 0 &&
		    dk_canon_header(sig->hc, h->v[sel[k]].p, h->v[sel[k]].len,
				    1, scratch) < 0)
			return -1;
	/* The signature field itself, b= emptied, without its CRLF. The
	 * cut is done on a copy appended after the signed fields. */
	cut = value_off + sig->b_off;
	cutend = value_off + sig->b_end;
	if (cut > len || cutend > len || cutend < cut)
		return -1;
	start = scratch->len;
	if (buf_add(scratch, sigfield, cut) < 0 ||
	    buf_add(scratch, sigfield + cutend, len - cutend) < 0)
		goto out;
	{
		size_t flen = scratch->len - start;
		unsigned char *tmp = malloc(flen + 1);

		if (tmp == NULL)
			goto out;
		memcpy(tmp, scratch->data + start, flen);
		scratch->len = start;
		rc = dk_canon_header(sig->hc, tmp, flen, 0, scratch);
		free(tmp);
		if (rc < 0)
			goto out;
	}
	rc = EVP_Digest(scratch->data, scratch->len, dig, NULL, dk_sha256(),
			NULL) == 1
		 ? 0
		 : -1;
out:
	return rc;
}

static void
dk_bodyhash_sink(void *ctx, const unsigned char *p, size_t n)
{
	EVP_DigestUpdate(ctx, p, n);
}

int
dk_bodyhash_init(struct dk_bodyhash *bh, enum dk_canon c, long long limit)
{
	memset(bh, 0, sizeof(*bh));
	if ((bh->md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(bh->md, dk_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(bh->md);
		bh->md = NULL;
		return -1;
	}
	dk_body_init(&bh->canon, c, limit, dk_bodyhash_sink, bh->md);
	return 0;
}

void
dk_bodyhash_update(struct dk_bodyhash *bh, const unsigned char *p, size_t n)
{
	dk_body_update(&bh->canon, p, n);
}

int
dk_bodyhash_final(struct dk_bodyhash *bh)
{
	unsigned int n = 0;

	dk_body_final(&bh->canon);
	return EVP_DigestFinal_ex(bh->md, bh->dig, &n) == 1 && n == 32 ? 0 : -1;
}

void
dk_bodyhash_free(struct dk_bodyhash *bh)
{
	EVP_MD_CTX_free(bh->md);
	bh->md = NULL;
}
