/* lib/dkim/dk_sign.h - the signing engine and its keyring, shaped like
 * the milter phases: dk_sign_header() per field, dk_sign_eoh() (picks the
 * signing domain from From: and the keys), dk_sign_body() per chunk,
 * dk_sign_eom() (one DKIM-Signature per active key of the domain).
 *
 * The keyring is built once at startup, before the privilege drop, and is
 * read-only afterwards (shared by threads). An engine is per message,
 * used by one thread. Never logs. */
#ifndef FACTEUR_DKIM_DK_SIGN_H
#define FACTEUR_DKIM_DK_SIGN_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "dk_sig.h"

struct buf;

struct dk_signkey {
	char domain[256]; /* lowercase */
	char selector[128];
	enum dk_alg alg;
	EVP_PKEY *pkey; /* owned by the keyring */
};

struct dk_keyring {
	struct dk_signkey *v;
	size_t n, cap;
};

/* Loads the key file (see dk_key_load: mode and owner checks) for domain
 * and selector. 0, or -1 with err. */
__attribute__((warn_unused_result)) int
dk_keyring_add(struct dk_keyring *kr, const char *domain, const char *selector,
	       const char *path, uid_t owner, char *err, size_t errlen);
void dk_keyring_free(struct dk_keyring *kr);

/* The domain of kr that signs for from_domain: itself or the nearest
 * parent holding a key; NULL if none. Borrowed from kr. */
const char *dk_keyring_domain(const struct dk_keyring *kr,
			      const char *from_domain);

struct dk_sign_opts {
	enum dk_canon hc, bc;	    /* default relaxed/relaxed: set both */
	long long now;		    /* t= */
	long long expire;	    /* x= = now + expire; 0: no x= */
	int body_length;	    /* add l= */
	const char *selector;	    /* only this selector; NULL: all */
	const char *const *headers; /* h= candidates, NULL-terminated; NULL:
				       the default set */
	int crlf;		    /* fold with CRLF (files) or LF (milter) */
};

struct dk_sign;

__attribute__((warn_unused_result)) int
dk_sign_new(const struct dk_keyring *kr, const struct dk_sign_opts *o,
	    struct dk_sign **out);
void dk_sign_free(struct dk_sign **s);

__attribute__((warn_unused_result)) int
dk_sign_header(struct dk_sign *s, const unsigned char *field, size_t len);

enum dk_sign_status {
	DK_SIGN_OK,	/* keys found: go on with the body */
	DK_SIGN_NOFROM, /* no single From: mailbox: nothing to sign */
	DK_SIGN_NOKEY,	/* no key for the From: domain or a parent */
	DK_SIGN_ERROR,	/* ENOMEM */
};
enum dk_sign_status dk_sign_eoh(struct dk_sign *s);
void dk_sign_body(struct dk_sign *s, const unsigned char *p, size_t n);
/* Computes the signatures. 0, or -1 with a static reason in *why. */
__attribute__((warn_unused_result)) int dk_sign_eom(struct dk_sign *s,
						    const char **why);

/* The k-th DKIM-Signature value (without "DKIM-Signature: "), folded
 * with CRLF+TAB or LF+TAB per opts.crlf; add it at the top, last first.
 * Borrowed until dk_sign_free. NULL past the end. */
const char *dk_sign_value(const struct dk_sign *s, size_t k);
size_t dk_sign_count(const struct dk_sign *s);
/* The signing domain chosen at eoh, or "". */
const char *dk_sign_domain(const struct dk_sign *s);

#endif
