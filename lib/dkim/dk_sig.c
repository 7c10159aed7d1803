/* lib/dkim/dk_sig.c - DKIM-Signature and key record validation on top
 * of the tag-list parser. Pure; see dk_sig.h. */
#include "dk_sig.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dk_tag.h"

#define DK_MAXTAGS 32

static int
dk_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* A DNS name of LDH labels (underscores allowed) into out, lowercased. */
static int
dk_copy_name(const struct dk_tag *t, char *out, size_t outlen)
{
	size_t k;
	unsigned char c;

	if (t->value_len == 0 || t->value_len >= outlen)
		return -1;
	for (k = 0; k < t->value_len; k++) {
		c = t->value[k];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_'))
			return -1;
		if (c == '.' && (k == 0 || t->value[k - 1] == '.'))
			return -1;
		out[k] = (char)dk_lower(c);
	}
	out[k] = '\0';
	return out[k - 1] == '.' ? -1 : 0;
}

/* 1*18DIGIT into *v. */
static int
dk_number(const struct dk_tag *t, long long *v)
{
	size_t k;

	*v = 0;
	if (t->value_len == 0 || t->value_len > 18)
		return -1;
	for (k = 0; k < t->value_len; k++) {
		if (t->value[k] < '0' || t->value[k] > '9')
			return -1;
		*v = *v * 10 + (t->value[k] - '0');
	}
	return 0;
}

static int
dk_is(const struct dk_tag *t, const char *s)
{
	return t->value_len == strlen(s) &&
	       strncasecmp((const char *)t->value, s, t->value_len) == 0;
}

/* h=: names separated by ':' with FWS around, into sig->h. */
static int
dk_parse_h(const struct dk_tag *t, struct dk_sig *sig, int *has_from)
{
	size_t k, n = 0, start = 0;
	unsigned char c;
	int in_name = 0, after = 0;

	sig->nh = 0;
	*has_from = 0;
	for (k = 0; k <= t->value_len; k++) {
		c = k < t->value_len ? t->value[k] : ':';
		if (c == ':') {
			if (!in_name || n + 1 >= sizeof(sig->h))
				return -1;
			if (n - start == 4 &&
			    memcmp(sig->h + start, "from", 4) == 0)
				*has_from = 1;
			sig->h[n++] = ':';
			start = n;
			sig->nh++;
			in_name = after = 0;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			after = in_name;
		} else if (c > 32 && c < 127) {
			if (after || n + 1 >= sizeof(sig->h))
				return -1;
			sig->h[n++] = (char)dk_lower(c);
			in_name = 1;
		} else {
			return -1;
		}
	}
	sig->h[n > 0 ? n - 1 : 0] = '\0';
	return 0;
}

int
dk_sig_hname(const struct dk_sig *sig, size_t k, const char **name, size_t *len)
{
	const char *p = sig->h, *e;

	while (k-- > 0) {
		if ((p = strchr(p, ':')) == NULL)
			return -1;
		p++;
	}
	e = strchr(p, ':');
	*name = p;
	*len = e ? (size_t)(e - p) : strlen(p);
	return *len > 0 ? 0 : -1;
}

static enum dk_sig_status
dk_sig_req(const struct dk_tag *tags, size_t n, const char **why)
{
	static const char *const req[] = {"v", "a", "b", "bh", "d", "h", "s"};
	static const char *const msg[] = {
	    "missing v=", "missing a=", "missing b=", "missing bh=",
	    "missing d=", "missing h=", "missing s="};
	size_t k;

	for (k = 0; k < sizeof(req) / sizeof(req[0]); k++)
		if (dk_tag_find(tags, n, req[k]) == NULL) {
			*why = msg[k];
			return DK_SIG_EMISSING;
		}
	return DK_SIG_OK;
}

static enum dk_sig_status
dk_sig_algs(const struct dk_tag *tags, size_t n, struct dk_sig *sig,
	    const char **why)
{
	const struct dk_tag *t = dk_tag_find(tags, n, "a");
	const unsigned char *sl;

	if (dk_is(t, "rsa-sha256"))
		sig->alg = DK_ALG_RSA_SHA256;
	else if (dk_is(t, "ed25519-sha256"))
		sig->alg = DK_ALG_ED25519_SHA256;
	else if (dk_is(t, "rsa-sha1"))
		sig->alg = DK_ALG_RSA_SHA1;
	else {
		*why = "unknown algorithm";
		return DK_SIG_EALG;
	}
	sig->hc = sig->bc = DK_C_SIMPLE;
	if ((t = dk_tag_find(tags, n, "c")) == NULL)
		return DK_SIG_OK;
	sl = memchr(t->value, '/', t->value_len);
	struct dk_tag h = *t, b = *t;
	if (sl != NULL) {
		h.value_len = (size_t)(sl - t->value);
		b.value = sl + 1;
		b.value_len = t->value_len - h.value_len - 1;
	}
	if (dk_is(&h, "relaxed"))
		sig->hc = DK_C_RELAXED;
	else if (!dk_is(&h, "simple"))
		goto bad;
	if (sl == NULL)
		return DK_SIG_OK;
	if (dk_is(&b, "relaxed"))
		sig->bc = DK_C_RELAXED;
	else if (!dk_is(&b, "simple"))
		goto bad;
	return DK_SIG_OK;
bad:
	*why = "unknown canonicalization";
	return DK_SIG_ECANON;
}

/* i=: [local] "@" domain, domain = d or a subdomain of d. */
static enum dk_sig_status
dk_sig_auid(const struct dk_tag *t, struct dk_sig *sig, const char **why)
{
	const unsigned char *at;
	size_t dl, il, k;
	char dom[256];

	if (t == NULL) {
		(void)snprintf(sig->i, sizeof(sig->i), "@%s", sig->d);
		return DK_SIG_OK;
	}
	at = memchr(t->value, '@', t->value_len);
	if (at == NULL || t->value_len >= sizeof(sig->i)) {
		*why = "bad i=";
		return DK_SIG_EVALUE;
	}
	memcpy(sig->i, t->value, t->value_len);
	sig->i[t->value_len] = '\0';
	struct dk_tag dt = *t;
	dt.value = at + 1;
	dt.value_len = t->value_len - (size_t)(at + 1 - t->value);
	if (dk_copy_name(&dt, dom, sizeof(dom)) < 0) {
		*why = "bad i= domain";
		return DK_SIG_EVALUE;
	}
	dl = strlen(sig->d);
	il = strlen(dom);
	for (k = 0; k < il; k++)
		sig->i[(size_t)(at + 1 - t->value) + k] = dom[k];
	if (il == dl ? strcmp(dom, sig->d) == 0
		     : il > dl && dom[il - dl - 1] == '.' &&
			   strcmp(dom + il - dl, sig->d) == 0)
		return DK_SIG_OK;
	*why = "i= not in d=";
	return DK_SIG_EDOMAIN;
}

static enum dk_sig_status
dk_sig_numbers(const struct dk_tag *tags, size_t n, struct dk_sig *sig,
	       const char **why)
{
	const struct dk_tag *t;

	sig->l = sig->t = sig->x = -1;
	if ((t = dk_tag_find(tags, n, "l")) && dk_number(t, &sig->l) < 0) {
		*why = "bad l=";
		return DK_SIG_EVALUE;
	}
	if ((t = dk_tag_find(tags, n, "t")) && dk_number(t, &sig->t) < 0) {
		*why = "bad t=";
		return DK_SIG_EVALUE;
	}
	if ((t = dk_tag_find(tags, n, "x")) && dk_number(t, &sig->x) < 0) {
		*why = "bad x=";
		return DK_SIG_EVALUE;
	}
	if (sig->t >= 0 && sig->x >= 0 && sig->x < sig->t) {
		*why = "x= before t=";
		return DK_SIG_ETIME;
	}
	if ((t = dk_tag_find(tags, n, "q")) != NULL &&
	    memmem(t->value, t->value_len, "dns/txt", 7) == NULL) {
		*why = "q= without dns/txt";
		return DK_SIG_EVALUE;
	}
	return DK_SIG_OK;
}

static enum dk_sig_status
dk_sig_blobs(const struct dk_tag *tags, size_t n, struct dk_sig *sig,
	     const char **why)
{
	const struct dk_tag *b = dk_tag_find(tags, n, "b");
	const struct dk_tag *bh = dk_tag_find(tags, n, "bh");
	size_t k, j = 0;

	if (dk_b64_decode(b->value, b->value_len, sig->b, sizeof(sig->b),
			  &sig->blen) < 0 ||
	    sig->blen == 0) {
		*why = "bad b=";
		return DK_SIG_EVALUE;
	}
	if (dk_b64_decode(bh->value, bh->value_len, sig->bh, sizeof(sig->bh),
			  &sig->bhlen) < 0 ||
	    sig->bhlen == 0) {
		*why = "bad bh=";
		return DK_SIG_EVALUE;
	}
	for (k = 0; k < b->value_len && j < 8; k++)
		if (b->value[k] > ' ')
			sig->bprefix[j++] = (char)b->value[k];
	sig->bprefix[j] = '\0';
	sig->b_off = b->eq_off + 1;
	sig->b_end = b->spec_end;
	return DK_SIG_OK;
}

enum dk_sig_status
dk_sig_parse(const unsigned char *p, size_t len, struct dk_sig *out,
	     const char **why, size_t *err_off)
{
	struct dk_tag tags[DK_MAXTAGS];
	struct dk_tag_limits lim = {DK_MAXTAGS, 0};
	enum dk_sig_status st;
	enum dk_tag_status ts;
	size_t n;
	int has_from;

	memset(out, 0, sizeof(*out));
	*err_off = 0;
	if ((ts = dk_tag_parse(p, len, &lim, tags, DK_MAXTAGS, &n, err_off)) !=
	    DK_TAG_OK) {
		*why = dk_tag_strerror(ts);
		return DK_SIG_ESYNTAX;
	}
	if ((st = dk_sig_req(tags, n, why)) != DK_SIG_OK)
		return st;
	if (!dk_is(dk_tag_find(tags, n, "v"), "1")) {
		*why = "v= is not 1";
		return DK_SIG_EVERSION;
	}
	if ((st = dk_sig_algs(tags, n, out, why)) != DK_SIG_OK)
		return st;
	if (dk_copy_name(dk_tag_find(tags, n, "d"), out->d, sizeof(out->d)) <
	    0) {
		*why = "bad d=";
		return DK_SIG_EVALUE;
	}
	if (dk_copy_name(dk_tag_find(tags, n, "s"), out->s, sizeof(out->s)) <
	    0) {
		*why = "bad s=";
		return DK_SIG_EVALUE;
	}
	if ((st = dk_sig_auid(dk_tag_find(tags, n, "i"), out, why)) !=
	    DK_SIG_OK)
		return st;
	if (dk_parse_h(dk_tag_find(tags, n, "h"), out, &has_from) < 0) {
		*why = "bad h=";
		return DK_SIG_EVALUE;
	}
	if (!has_from) {
		*why = "h= does not sign From";
		return DK_SIG_ENOFROM;
	}
	if ((st = dk_sig_numbers(tags, n, out, why)) != DK_SIG_OK)
		return st;
	return dk_sig_blobs(tags, n, out, why);
}

const char *
dk_alg_name(enum dk_alg a)
{
	switch (a) {
	case DK_ALG_RSA_SHA256:
		return "rsa-sha256";
	case DK_ALG_ED25519_SHA256:
		return "ed25519-sha256";
	case DK_ALG_RSA_SHA1:
		return "rsa-sha1";
	}
	return "?";
}

/* Does the colon-separated list in t hold word (or "*" when star)? */
static int
dk_list_has(const struct dk_tag *t, const char *word, int star)
{
	size_t k = 0, s, e, wl = strlen(word);

	while (k <= t->value_len) {
		while (k < t->value_len &&
		       (t->value[k] == ' ' || t->value[k] == '\t' ||
			t->value[k] == '\r' || t->value[k] == '\n'))
			k++;
		s = k;
		while (k < t->value_len && t->value[k] != ':')
			k++;
		e = k;
		while (e > s && t->value[e - 1] <= ' ')
			e--;
		if ((e - s == wl &&
		     strncasecmp((const char *)t->value + s, word, wl) == 0) ||
		    (star && e - s == 1 && t->value[s] == '*'))
			return 1;
		k++;
	}
	return 0;
}

enum dk_key_status
dk_keyrec_parse(const unsigned char *p, size_t len, struct dk_keyrec *out,
		const char **why, size_t *err_off)
{
	struct dk_tag tags[DK_MAXTAGS];
	struct dk_tag_limits lim = {DK_MAXTAGS, 0};
	const struct dk_tag *t;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (dk_tag_parse(p, len, &lim, tags, DK_MAXTAGS, &n, err_off) !=
	    DK_TAG_OK) {
		*why = "key record syntax error";
		return DK_KEY_ESYNTAX;
	}
	t = dk_tag_find(tags, n, "v");
	if (t != NULL && (t != &tags[0] || !dk_is(t, "DKIM1"))) {
		*why = "key record v= is not DKIM1";
		return DK_KEY_EVERSION;
	}
	if ((t = dk_tag_find(tags, n, "k")) != NULL) {
		if (dk_is(t, "ed25519"))
			out->ed25519 = 1;
		else if (!dk_is(t, "rsa")) {
			*why = "unknown key type";
			return DK_KEY_EKTYPE;
		}
	}
	t = dk_tag_find(tags, n, "h");
	out->sha256_ok = t == NULL || dk_list_has(t, "sha256", 0);
	t = dk_tag_find(tags, n, "s");
	out->email_ok = t == NULL || dk_list_has(t, "email", 1);
	if ((t = dk_tag_find(tags, n, "t")) != NULL) {
		out->testing = dk_list_has(t, "y", 0);
		out->strict = dk_list_has(t, "s", 0);
	}
	if ((t = dk_tag_find(tags, n, "p")) == NULL) {
		*why = "key record without p=";
		return DK_KEY_EMISSING;
	}
	if (t->value_len == 0) {
		out->revoked = 1;
		return DK_KEY_OK;
	}
	if (dk_b64_decode(t->value, t->value_len, out->p, sizeof(out->p),
			  &out->plen) < 0 ||
	    out->plen == 0) {
		*why = "bad p= base64";
		*err_off = t->value_off;
		return DK_KEY_EVALUE;
	}
	return DK_KEY_OK;
}
