/* lib/dkim/dk_key.c - private keys for DKIM signing: key files, the p=
 * of a key, RSA/Ed25519 signatures over a digest; see dk_key.h. Part of
 * the signing library (dkim_sign): only facteur-dkim, facteur-milter and
 * the admin CLI link it.
 *
 * SECURITY: private key bytes are read from a checked descriptor into a
 * heap buffer that is wiped with explicit_bzero before return. */
#include "dk_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base64.h"
#include "buf.h"
#include "dk_crypto.h"

#define DK_KEYFILE_MAX 65536

static int
dk_key_read(const char *path, uid_t owner, unsigned char *data, size_t cap,
	    size_t *len, char *err, size_t errlen)
{
	struct stat st;
	ssize_t r;
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen,
			 "%s: key file is accessible by group or "
			 "other (mode %04o); refusing it (chmod 600)",
			 path, (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid() &&
	    (owner == (uid_t)-1 || st.st_uid != owner)) {
		snprintf(err, errlen,
			 "%s: key file owned by uid %u, not by "
			 "root or the milter's user",
			 path, (unsigned)st.st_uid);
		goto fail;
	}
	while (*len < cap && (r = read(fd, data + *len, cap - *len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		*len += (size_t)r;
	}
	if (*len == cap) {
		snprintf(err, errlen, "%s: key file too large", path);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

int
dk_key_load(const char *path, uid_t owner, EVP_PKEY **out, enum dk_alg *alg,
	    char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	BIO *bio;
	int rc = -1;

	*out = NULL;
	if ((data = malloc(DK_KEYFILE_MAX)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (dk_key_read(path, owner, data, DK_KEYFILE_MAX, &len, err, errlen) <
	    0)
		goto done;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (*out == NULL) {
		snprintf(err, errlen, "%s: not a PEM private key", path);
		goto done;
	}
	if (EVP_PKEY_get_base_id(*out) == EVP_PKEY_ED25519) {
		*alg = DK_ALG_ED25519_SHA256;
	} else if (EVP_PKEY_get_base_id(*out) == EVP_PKEY_RSA &&
		   EVP_PKEY_get_bits(*out) >= DK_RSA_MIN_BITS) {
		*alg = DK_ALG_RSA_SHA256;
	} else {
		snprintf(err, errlen,
			 "%s: not an RSA (>= %d bits) or "
			 "Ed25519 key",
			 path, DK_RSA_MIN_BITS);
		EVP_PKEY_free(*out);
		*out = NULL;
		goto done;
	}
	rc = 0;
done:
	explicit_bzero(data, DK_KEYFILE_MAX);
	free(data);
	return rc;
}

int
dk_pubkey_b64(EVP_PKEY *k, struct buf *out)
{
	unsigned char raw[32], *der = NULL;
	size_t rl = sizeof(raw);
	int n, rc;

	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
		if (EVP_PKEY_get_raw_public_key(k, raw, &rl) != 1)
			return -1;
		return b64_encode(raw, rl, out);
	}
	if ((n = i2d_PUBKEY(k, &der)) <= 0)
		return -1;
	rc = b64_encode(der, (size_t)n, out);
	OPENSSL_free(der);
	return rc;
}

int
dk_sign_digest(EVP_PKEY *k, const unsigned char dig[32], unsigned char *sig,
	       size_t *siglen)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *md;
	int rc = -1;

	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
		if ((md = EVP_MD_CTX_new()) == NULL)
			return -1;
		if (EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
		    EVP_DigestSign(md, sig, siglen, dig, 32) == 1)
			rc = 0;
		EVP_MD_CTX_free(md);
		return rc;
	}
	if ((pc = EVP_PKEY_CTX_new(k, NULL)) == NULL)
		return -1;
	if (EVP_PKEY_sign_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
	    EVP_PKEY_sign(pc, sig, siglen, dig, 32) == 1)
		rc = 0;
	EVP_PKEY_CTX_free(pc);
	return rc;
}
