/* lib/dkim/dk_keycache.c - decoded public keys by key bytes; see
 * dk_keycache.h. */
#include "dk_keycache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct dk_kc_entry {
	unsigned char *der; /* NULL: free slot */
	size_t len;
	int ed25519;
	EVP_PKEY *k;
	EVP_PKEY_CTX *vctx; /* dk_keycache_vctx's model, or NULL */
};

static pthread_mutex_t dk_kc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dk_kc_entry dk_kc[DK_KEYCACHE_N];
static size_t dk_kc_next;

static struct dk_kc_entry *
dk_kc_find(int ed25519, const unsigned char *der, size_t len)
{
	size_t i;

	for (i = 0; i < DK_KEYCACHE_N; i++)
		if (dk_kc[i].der != NULL && dk_kc[i].len == len &&
		    dk_kc[i].ed25519 == ed25519 &&
		    memcmp(dk_kc[i].der, der, len) == 0)
			return &dk_kc[i];
	return NULL;
}

static void
dk_kc_drop(struct dk_kc_entry *e)
{
	free(e->der);
	EVP_PKEY_CTX_free(e->vctx);
	EVP_PKEY_free(e->k);
	memset(e, 0, sizeof(*e));
}

EVP_PKEY *
dk_keycache_get(int ed25519, const unsigned char *der, size_t len)
{
	struct dk_kc_entry *e;
	EVP_PKEY *k = NULL;

	ed25519 = ed25519 != 0;
	pthread_mutex_lock(&dk_kc_lock);
	if ((e = dk_kc_find(ed25519, der, len)) != NULL &&
	    EVP_PKEY_up_ref(e->k) == 1)
		k = e->k;
	pthread_mutex_unlock(&dk_kc_lock);
	return k;
}

void
dk_keycache_put(int ed25519, const unsigned char *der, size_t len, EVP_PKEY *k)
{
	struct dk_kc_entry *e;
	unsigned char *copy;

	ed25519 = ed25519 != 0;
	if (len == 0 || len > DK_KEYCACHE_MAXDER || k == NULL ||
	    (copy = malloc(len)) == NULL)
		return;
	memcpy(copy, der, len);
	if (EVP_PKEY_up_ref(k) != 1) {
		free(copy);
		return;
	}
	pthread_mutex_lock(&dk_kc_lock);
	if ((e = dk_kc_find(ed25519, der, len)) == NULL) {
		e = &dk_kc[dk_kc_next];
		dk_kc_next = (dk_kc_next + 1) % DK_KEYCACHE_N;
	}
	dk_kc_drop(e);
	e->der = copy;
	e->len = len;
	e->ed25519 = ed25519;
	e->k = k;
	pthread_mutex_unlock(&dk_kc_lock);
}

EVP_PKEY_CTX *
dk_keycache_vctx(const EVP_PKEY *k, EVP_PKEY_CTX *(*make)(EVP_PKEY *k))
{
	EVP_PKEY_CTX *c = NULL;
	size_t i;

	pthread_mutex_lock(&dk_kc_lock);
	for (i = 0; i < DK_KEYCACHE_N; i++)
		if (dk_kc[i].der != NULL && dk_kc[i].k == k)
			break;
	if (i < DK_KEYCACHE_N) {
		/* the caller's reference keeps k, so no other key can have
		 * its address: a pointer match is this very key */
		if (dk_kc[i].vctx == NULL)
			dk_kc[i].vctx = make(dk_kc[i].k);
		if (dk_kc[i].vctx != NULL)
			c = EVP_PKEY_CTX_dup(dk_kc[i].vctx);
	}
	pthread_mutex_unlock(&dk_kc_lock);
	return c;
}

void
dk_keycache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&dk_kc_lock);
	for (i = 0; i < DK_KEYCACHE_N; i++)
		dk_kc_drop(&dk_kc[i]);
	dk_kc_next = 0;
	pthread_mutex_unlock(&dk_kc_lock);
}
