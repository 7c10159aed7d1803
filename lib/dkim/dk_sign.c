/* lib/dkim/dk_sign.c - the signing engine (RFC 6376 §5, RFC 8463);
 * see dk_sign.h. All keys of the signing domain share one body hash. */
#include "dk_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "buf.h"
#include "dk_canon.h"
#include "dk_crypto.h"
#include "dk_key.h"
#include "dk_verify.h"

#define DK_MAXKEYS 8

/* h= candidates: what a reader sees and what a forwarder must not
 * change. Trace and client-identifying fields are never signed. */
static const char *const dk_default_headers[] = {"from",
						 "sender",
						 "reply-to",
						 "subject",
						 "date",
						 "message-id",
						 "to",
						 "cc",
						 "mime-version",
						 "content-type",
						 "content-transfer-encoding",
						 "content-id",
						 "content-description",
						 "resent-date",
						 "resent-from",
						 "resent-sender",
						 "resent-to",
						 "resent-cc",
						 "resent-message-id",
						 "in-reply-to",
						 "references",
						 "list-id",
						 "list-help",
						 "list-unsubscribe",
						 "list-subscribe",
						 "list-post",
						 "list-owner",
						 "list-archive",
						 NULL};
static const char *const dk_never[] = {
    "received",	   "x-mailer",	     "user-agent", "x-originating-ip",
    "return-path", "dkim-signature", NULL};

struct dk_sign {
	const struct dk_keyring *kr;
	struct dk_sign_opts o;
	struct dk_hdrs hdrs;
	struct dk_bodyhash bh;
	int have_bh;
	char domain[256];
	const struct dk_signkey *keys[DK_MAXKEYS];
	size_t nkeys;
	char *values[DK_MAXKEYS];
	size_t nvalues;
	struct buf scratch;
};

int
dk_keyring_add(struct dk_keyring *kr, const char *domain, const char *selector,
	       const char *path, uid_t owner, char *err, size_t errlen)
{
	struct dk_signkey *k, *nv;
	size_t i;

	if (strlen(domain) >= sizeof(k->domain) ||
	    strlen(selector) >= sizeof(k->selector)) {
		snprintf(err, errlen, "%s: domain or selector too long", path);
		return -1;
	}
	if (kr->n == kr->cap) {
		size_t cap = kr->cap ? 2 * kr->cap : 8;
		if ((nv = realloc(kr->v, cap * sizeof(*nv))) == NULL) {
			snprintf(err, errlen, "%s: out of memory", path);
			return -1;
		}
		kr->v = nv;
		kr->cap = cap;
	}
	k = &kr->v[kr->n];
	memset(k, 0, sizeof(*k));
	for (i = 0; domain[i] != '\0'; i++)
		k->domain[i] =
		    (char)(domain[i] >= 'A' && domain[i] <= 'Z' ? domain[i] + 32
								: domain[i]);
	snprintf(k->selector, sizeof(k->selector), "%s", selector);
	if (dk_key_load(path, owner, &k->pkey, &k->alg, err, errlen) < 0)
		return -1;
	kr->n++;
	return 0;
}

void
dk_keyring_free(struct dk_keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		EVP_PKEY_free(kr->v[i].pkey);
	free(kr->v);
	memset(kr, 0, sizeof(*kr));
}

const char *
dk_keyring_domain(const struct dk_keyring *kr, const char *from_domain)
{
	const char *d = from_domain;
	size_t i;

	while (d != NULL && *d != '\0') {
		for (i = 0; i < kr->n; i++)
			if (strcasecmp(kr->v[i].domain, d) == 0)
				return kr->v[i].domain;
		d = strchr(d, '.');
		if (d != NULL)
			d++;
		/* never a bare TLD */
		if (d != NULL && strchr(d, '.') == NULL)
			break;
	}
	return NULL;
}

int
dk_sign_new(const struct dk_keyring *kr, const struct dk_sign_opts *o,
	    struct dk_sign **out)
{
	struct dk_sign *s;

	if ((*out = s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->kr = kr;
	s->o = *o;
	buf_init(&s->scratch, 0);
	return 0;
}

void
dk_sign_free(struct dk_sign **sp)
{
	struct dk_sign *s = *sp;
	size_t k;

	if (s == NULL)
		return;
	dk_hdrs_free(&s->hdrs);
	if (s->have_bh)
		dk_bodyhash_free(&s->bh);
	for (k = 0; k < s->nvalues; k++)
		free(s->values[k]);
	buf_free(&s->scratch);
	free(s);
	*sp = NULL;
}

int
dk_sign_header(struct dk_sign *s, const unsigned char *field, size_t len)
{
	return dk_hdrs_add(&s->hdrs, field, len);
}

static int
dk_in(const char *const *list, const unsigned char *name, size_t nl)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == nl &&
		    strncasecmp(*list, (const char *)name, nl) == 0)
			return 1;
	return 0;
}

enum dk_sign_status
dk_sign_eoh(struct dk_sign *s)
{
	const struct dk_field *from = NULL;
	const char *dom;
	size_t k, nfrom = 0;

	for (k = 0; k < s->hdrs.n; k++)
		if (s->hdrs.v[k].name_len == 4 &&
		    strncasecmp((const char *)s->hdrs.v[k].p, "from", 4) == 0) {
			from = &s->hdrs.v[k];
			nfrom++;
		}
	if (nfrom != 1 || dk_from_domain(from->p + 5, from->len - 5, s->domain,
					 sizeof(s->domain)) < 0)
		return DK_SIGN_NOFROM;
	if ((dom = dk_keyring_domain(s->kr, s->domain)) == NULL)
		return DK_SIGN_NOKEY;
	snprintf(s->domain, sizeof(s->domain), "%s", dom);
	for (k = 0; k < s->kr->n && s->nkeys < DK_MAXKEYS; k++)
		if (strcmp(s->kr->v[k].domain, dom) == 0 &&
		    (s->o.selector == NULL ||
		     strcasecmp(s->o.selector, s->kr->v[k].selector) == 0))
			s->keys[s->nkeys++] = &s->kr->v[k];
	if (s->nkeys == 0)
		return DK_SIGN_NOKEY;
	if (dk_bodyhash_init(&s->bh, s->o.bc, -1) < 0)
		return DK_SIGN_ERROR;
	s->have_bh = 1;
	return DK_SIGN_OK;
}

void
dk_sign_body(struct dk_sign *s, const unsigned char *p, size_t n)
{
	if (s->have_bh)
		dk_bodyhash_update(&s->bh, p, n);
}

/* Appends tok, folding first when the line would pass 78 columns. */
static int
dk_fold_add(struct buf *b, size_t *col, const char *tok, size_t n)
{
	if (*col > 1 && *col + n > 78) {
		if (buf_add(b, "\r\n\t", 3) < 0)
			return -1;
		*col = 1;
	}
	*col += n;
	return buf_add(b, tok, n);
}

/* h= from the message's fields, From once more (over-signed). */
static int
dk_sign_hlist(struct dk_sign *s, struct buf *b, size_t *col, char *h,
	      size_t hlen, size_t *nh)
{
	const char *const *cand =
	    s->o.headers ? s->o.headers : dk_default_headers;
	size_t k, j, n = 0;
	char name[128];
	const struct dk_field *f;

	*nh = 0;
	for (k = 0; k <= s->hdrs.n; k++) {
		if (k < s->hdrs.n) {
			f = &s->hdrs.v[k];
			if (f->name_len >= sizeof(name) ||
			    !dk_in(cand, f->p, f->name_len) ||
			    dk_in(dk_never, f->p, f->name_len))
				continue;
			for (j = 0; j < f->name_len; j++)
				name[j] =
				    (char)(f->p[j] >= 'A' && f->p[j] <= 'Z'
					       ? f->p[j] + 32
					       : f->p[j]);
			name[j] = '\0';
		} else {
			snprintf(name, sizeof(name), "from");
		}
		if (n + strlen(name) + 2 > hlen)
			return -1;
		n += (size_t)snprintf(h + n, hlen - n, "%s%s", n ? ":" : "",
				      name);
		(*nh)++;
		if (dk_fold_add(b, col, name, strlen(name)) < 0 ||
		    dk_fold_add(b, col, k < s->hdrs.n ? ":" : ";", 1) < 0)
			return -1;
	}
	return 0;
}

/* The value without b=, into b (CRLF folds); sig gets h= and canon. */
static int
dk_sign_build(struct dk_sign *s, const struct dk_signkey *key, struct buf *b,
	      struct dk_sig *sig)
{
	struct buf bh64;
	size_t col = 17;
	int rc = -1;

	buf_init(&bh64, 0);
	memset(sig, 0, sizeof(*sig));
	sig->hc = s->o.hc;
	if (buf_printf(b, "v=1; a=%s; c=%s/%s; d=%s; s=%s;\r\n\tt=%lld;",
		       dk_alg_name(key->alg),
		       s->o.hc == DK_C_RELAXED ? "relaxed" : "simple",
		       s->o.bc == DK_C_RELAXED ? "relaxed" : "simple",
		       key->domain, key->selector, s->o.now) < 0)
		goto out;
	if (s->o.expire > 0 &&
	    buf_printf(b, " x=%lld;", s->o.now + s->o.expire) < 0)
		goto out;
	if (s->o.body_length &&
	    buf_printf(b, " l=%llu;", s->bh.canon.total) < 0)
		goto out;
	col = 8 + b->len - (size_t)(strrchr(buf_str(b), '\t') - buf_str(b));
	if (dk_fold_add(b, &col, " h=", 3) < 0 ||
	    dk_sign_hlist(s, b, &col, sig->h, sizeof(sig->h), &sig->nh) < 0)
		goto out;
	if (b64_encode(s->bh.dig, 32, &bh64) < 0 ||
	    buf_printf(b, "\r\n\tbh=%s;\r\n\tb=", buf_str(&bh64)) < 0)
		goto out;
	rc = 0;
out:
	buf_free(&bh64);
	return rc;
}

/* Converts CRLF folds to LF folds in place when the MTA wants LF. */
static void
dk_to_lf(char *v)
{
	char *w = v;

	for (; *v != '\0'; v++)
		if (!(v[0] == '\r' && v[1] == '\n'))
			*w++ = *v;
	*w = '\0';
}

static int
dk_sign_one(struct dk_sign *s, const struct dk_signkey *key, const char **why)
{
	unsigned char dig[32], sigb[DK_SIG_MAXB];
	size_t siglen = sizeof(sigb), k, vlen;
	struct buf val, field, b64;
	struct dk_sig sig;
	int rc = -1;

	buf_init(&val, 0);
	buf_init(&field, 0);
	buf_init(&b64, 0);
	*why = "out of memory";
	if (dk_sign_build(s, key, &val, &sig) < 0 ||
	    buf_printf(&field, "DKIM-Signature: %s", buf_str(&val)) < 0)
		goto out;
	vlen = field.len - 15;
	sig.b_off = sig.b_end = vlen;
	if (dk_header_hash(&s->hdrs, &sig, (const unsigned char *)field.data,
			   field.len, 15, &s->scratch, dig) < 0)
		goto out;
	*why = "signing failed";
	if (dk_sign_digest(key->pkey, dig, sigb, &siglen) < 0)
		goto out;
	*why = "out of memory";
	if (b64_encode(sigb, siglen, &b64) < 0)
		goto out;
	for (k = 0; k < b64.len; k += 72)
		if ((k > 0 && buf_add(&val, "\r\n\t ", 4) < 0) ||
		    buf_add(&val, b64.data + k,
			    b64.len - k < 72 ? b64.len - k : 72) < 0)
			goto out;
	if (!s->o.crlf)
		dk_to_lf(val.data);
	s->values[s->nvalues++] = buf_steal(&val);
	rc = 0;
out:
	buf_free(&val);
	buf_free(&field);
	buf_free(&b64);
	return rc;
}

int
dk_sign_eom(struct dk_sign *s, const char **why)
{
	size_t k;

	*why = "no key";
	if (!s->have_bh || s->nkeys == 0)
		return -1;
	*why = "body hash failed";
	if (dk_bodyhash_final(&s->bh) < 0)
		return -1;
	for (k = 0; k < s->nkeys; k++)
		if (dk_sign_one(s, s->keys[k], why) < 0)
			return -1;
	return 0;
}

const char *
dk_sign_value(const struct dk_sign *s, size_t k)
{
	return k < s->nvalues ? s->values[k] : NULL;
}

size_t
dk_sign_count(const struct dk_sign *s)
{
	return s->nvalues;
}

const char *
dk_sign_domain(const struct dk_sign *s)
{
	return s->domain;
}
