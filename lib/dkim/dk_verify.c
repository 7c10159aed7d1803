/* lib/dkim/dk_verify.c - the verifying engine (RFC 6376 §6); see
 * dk_verify.h. Body hashes are shared between signatures with the same
 * body canonicalization and l=, so a message signed twice (RSA and
 * Ed25519) is canonicalized and hashed once. */
#include "dk_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "dk_crypto.h"
#include "dk_sig.h"

#define DK_MAXHASH 8

struct dk_vsig {
	struct dk_sig sig;
	size_t field;	  /* index in hdrs */
	size_t value_off; /* of the value in the field */
	int hasher;	  /* -1: no body hash needed (already decided) */
};

struct dk_verify {
	struct dk_verify_limits lim;
	dk_fetch_fn fetch;
	void *ctx;
	long long now;
	struct dk_hdrs hdrs;
	struct dk_vsig *sigs;
	struct dk_sigresult *res;
	size_t nsigs;
	struct dk_bodyhash hash[DK_MAXHASH];
	size_t nhash;
	struct buf scratch, txt;
};

const char *
dk_result_str(enum dk_result r)
{
	static const char *const names[] = {"none",	"pass",	  "fail",
					    "neutral",	"policy", "temperror",
					    "permerror"};

	return (size_t)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

int
dk_verify_new(const struct dk_verify_limits *lim, dk_fetch_fn fetch, void *ctx,
	      long long now, struct dk_verify **out)
{
	struct dk_verify *v;

	if ((*out = v = calloc(1, sizeof(*v))) == NULL)
		return -1;
	if (lim != NULL)
		v->lim = *lim;
	if (v->lim.max_signatures == 0)
		v->lim.max_signatures = 5;
	v->hdrs.max = v->lim.max_headers;
	v->fetch = fetch;
	v->ctx = ctx;
	v->now = now;
	buf_init(&v->scratch, 0);
	buf_init(&v->txt, 65536);
	return 0;
}

void
dk_verify_free(struct dk_verify **vp)
{
	struct dk_verify *v = *vp;
	size_t k;

	if (v == NULL)
		return;
	dk_hdrs_free(&v->hdrs);
	for (k = 0; k < v->nhash; k++)
		dk_bodyhash_free(&v->hash[k]);
	free(v->sigs);
	free(v->res);
	buf_free(&v->scratch);
	buf_free(&v->txt);
	free(v);
	*vp = NULL;
}

int
dk_verify_header(struct dk_verify *v, const unsigned char *field, size_t len)
{
	return dk_hdrs_add(&v->hdrs, field, len);
}

static int
dk_is_sig_field(const struct dk_field *f)
{
	return f->name_len == 14 &&
	       strncasecmp((const char *)f->p, "DKIM-Signature", 14) == 0;
}

static int
dk_hasher(struct dk_verify *v, enum dk_canon c, long long l)
{
	size_t k;

	for (k = 0; k < v->nhash; k++)
		if (v->hash[k].canon.c == c && v->hash[k].canon.limit == l)
			return (int)k;
	if (v->nhash == DK_MAXHASH ||
	    dk_bodyhash_init(&v->hash[v->nhash], c, l) < 0)
		return -1;
	return (int)v->nhash++;
}

/* Parses signature field f into slot k; decides early results. */
static int
dk_verify_prepare(struct dk_verify *v, size_t fi, size_t k)
{
	const struct dk_field *f = &v->hdrs.v[fi];
	struct dk_vsig *vs = &v->sigs[k];
	struct dk_sigresult *r = &v->res[k];
	const unsigned char *colon = memchr(f->p, ':', f->len);
	const char *why = "";
	size_t off;

	vs->field = fi;
	vs->value_off = (size_t)(colon - f->p) + 1;
	vs->hasher = -1;
	if (dk_sig_parse(f->p + vs->value_off, f->len - vs->value_off, &vs->sig,
			 &why, &off) != DK_SIG_OK) {
		r->result = DK_R_PERMERROR;
		r->reason = why;
	}
	snprintf(r->d, sizeof(r->d), "%s", vs->sig.d);
	snprintf(r->s, sizeof(r->s), "%s", vs->sig.s);
	snprintf(r->b, sizeof(r->b), "%s", vs->sig.bprefix);
	snprintf(r->i, sizeof(r->i), "%s", vs->sig.i);
	snprintf(r->a, sizeof(r->a), "%s",
		 r->result == DK_R_NONE ? dk_alg_name(vs->sig.alg) : "");
	if (r->result != DK_R_NONE)
		return 0;
	if (vs->sig.alg == DK_ALG_RSA_SHA1) {
		r->result = DK_R_POLICY;
		r->reason = "rsa-sha1 is not accepted (RFC 8301)";
		return 0;
	}
	if (v->now >= 0 && vs->sig.x >= 0 && v->now > vs->sig.x) {
		r->result = DK_R_FAIL;
		r->reason = "signature expired";
		return 0;
	}
	if ((vs->hasher = dk_hasher(v, vs->sig.bc, vs->sig.l)) < 0)
		return -1;
	return 0;
}

int
dk_verify_eoh(struct dk_verify *v)
{
	size_t k, n = 0;

	for (k = 0; k < v->hdrs.n; k++)
		n += dk_is_sig_field(&v->hdrs.v[k]);
	if (n > v->lim.max_signatures)
		n = v->lim.max_signatures;
	if (n == 0)
		return 0;
	v->sigs = calloc(n, sizeof(*v->sigs));
	v->res = calloc(n, sizeof(*v->res));
	if (v->sigs == NULL || v->res == NULL)
		return -1;
	for (k = 0; k < v->hdrs.n && v->nsigs < n; k++) {
		if (!dk_is_sig_field(&v->hdrs.v[k]))
			continue;
		if (dk_verify_prepare(v, k, v->nsigs) < 0)
			return -1;
		v->nsigs++;
	}
	return 0;
}

void
dk_verify_body(struct dk_verify *v, const unsigned char *p, size_t n)
{
	size_t k;

	for (k = 0; k < v->nhash; k++)
		dk_bodyhash_update(&v->hash[k], p, n);
}

/* Fetches and checks the key of vs; *pkey owned on DK_R_NONE. */
static enum dk_result
dk_verify_key(struct dk_verify *v, struct dk_vsig *vs, EVP_PKEY **pkey,
	      struct dk_sigresult *r)
{
	struct dk_keyrec rec;
	const char *why = "";
	size_t off;
	const char *dom;

	buf_reset(&v->txt);
	switch (v->fetch(v->ctx, vs->sig.s, vs->sig.d, &v->txt)) {
	case DK_FETCH_OK:
		break;
	case DK_FETCH_NONE:
		r->reason = "no key";
		return DK_R_PERMERROR;
	case DK_FETCH_TEMPFAIL:
		r->reason = "key lookup failed";
		return DK_R_TEMPERROR;
	default:
		r->reason = "key lookup failed";
		return DK_R_PERMERROR;
	}
	if (dk_keyrec_parse((const unsigned char *)buf_str(&v->txt), v->txt.len,
			    &rec, &why, &off) != DK_KEY_OK) {
		r->reason = why;
		return DK_R_PERMERROR;
	}
	r->testing = rec.testing;
	if (rec.revoked) {
		r->reason = "key revoked";
		return DK_R_FAIL;
	}
	if (rec.ed25519 != (vs->sig.alg == DK_ALG_ED25519_SHA256)) {
		r->reason = "key type does not match a=";
		return DK_R_PERMERROR;
	}
	if (!rec.sha256_ok || !rec.email_ok) {
		r->reason = !rec.sha256_ok ? "key h= excludes sha256"
					   : "key s= excludes email";
		return DK_R_PERMERROR;
	}
	dom = strchr(vs->sig.i, '@') + 1;
	if (rec.strict && strcasecmp(dom, vs->sig.d) != 0) {
		r->reason = "key t=s but i= is a subdomain of d=";
		return DK_R_FAIL;
	}
	if (dk_pubkey_from_rec(&rec, pkey, &why) < 0) {
		r->reason = why;
		return strstr(why, "shorter") ? DK_R_FAIL : DK_R_PERMERROR;
	}
	return DK_R_NONE;
}

/* l= against the canonical body (RFC 6376 §3.5, §8.2): longer than the
 * body is a failure, as OpenDKIM has it; shorter leaves bytes anyone may
 * replace or append to, so the signature vouches for less than the
 * message: DK_R_POLICY, which neither DMARC nor the chain's readers count
 * as a pass. */
static enum dk_result
dk_verify_length(long long l, unsigned long long total, const char **why)
{
	*why = "";
	if (l < 0 || (unsigned long long)l == total)
		return DK_R_PASS;
	if ((unsigned long long)l > total) {
		*why = "l= is longer than the body";
		return DK_R_FAIL;
	}
	*why = "l= leaves part of the body unsigned";
	return DK_R_POLICY;
}

static int
dk_verify_one(struct dk_verify *v, struct dk_vsig *vs, struct dk_sigresult *r)
{
	const struct dk_field *f = &v->hdrs.v[vs->field];
	const struct dk_bodyhash *bh = &v->hash[vs->hasher];
	unsigned char dig[32];
	EVP_PKEY *pkey = NULL;
	int ok;

	if ((r->result = dk_verify_key(v, vs, &pkey, r)) != DK_R_NONE)
		return 0;
	if (dk_header_hash(&v->hdrs, &vs->sig, f->p, f->len, vs->value_off,
			   &v->scratch, dig) < 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	ok = dk_verify_digest(pkey, dig, vs->sig.b, vs->sig.blen);
	EVP_PKEY_free(pkey);
	if (ok != 1) {
		r->result = DK_R_FAIL;
		r->reason = "signature did not verify";
	} else if (vs->sig.bhlen != 32 ||
		   memcmp(vs->sig.bh, bh->dig, 32) != 0) {
		r->result = DK_R_FAIL;
		r->reason = "body hash mismatch";
	} else {
		r->result =
		    dk_verify_length(vs->sig.l, bh->canon.total, &r->reason);
	}
	return 0;
}

int
dk_verify_eom(struct dk_verify *v)
{
	size_t k;

	for (k = 0; k < v->nhash; k++)
		if (dk_bodyhash_final(&v->hash[k]) < 0)
			return -1;
	for (k = 0; k < v->nsigs; k++)
		if (v->res[k].result == DK_R_NONE &&
		    dk_verify_one(v, &v->sigs[k], &v->res[k]) < 0)
			return -1;
	return 0;
}

size_t
dk_verify_results(const struct dk_verify *v, const struct dk_sigresult **r)
{
	*r = v->res;
	return v->nsigs;
}

struct dk_from_ctx {
	char *out;
	size_t outlen;
	int found;
};

static int
dk_from_each(void *ctx, const unsigned char *p, const struct addr_parts *a)
{
	struct dk_from_ctx *fc = ctx;
	struct buf b;
	const char *at;
	size_t i;

	buf_init(&b, 1024);
	if (addr_canon(p, a, &b) == 0 && (at = strrchr(buf_str(&b), '@')) &&
	    strlen(at + 1) < fc->outlen) {
		for (i = 0; at[1 + i] != '\0'; i++)
			fc->out[i] = at[1 + i];
		fc->out[i] = '\0';
		fc->found = 1;
	}
	buf_free(&b);
	return 1; /* the first mailbox only */
}

int
dk_from_domain(const unsigned char *value, size_t len, char *out, size_t outlen)
{
	struct dk_from_ctx fc = {out, outlen, 0};
	size_t off;

	if (addr_parse_header(value, len, NULL, dk_from_each, &fc, &off) !=
		ADDR_OK &&
	    !fc.found)
		return -1;
	return fc.found ? 0 : -1;
}
