/* admin/dkim_msg.c - 'facteur dkim dns|check|sign|verify': the milter's
 * engine (lib/dkim) run from the shell. See dkim_msg.h.
 *
 * SECURITY: reads private keys (sign, dns, check) with the same mode and
 * owner checks as facteur-dkim; reads the message file with the caller's
 * rights; DNS only through lib/dns to the configured or given server. */
#include "dkim_msg.h"

#include <errno.h>
#include <ini.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "base64.h"
#include "buf.h"
#include "dk_crypto.h"
#include "dk_dns.h"
#include "dk_key.h"
#include "dk_sign.h"
#include "dk_verify.h"
#include "dns.h"
#include "store.h"

#define DKIM_MSG_MAX ((size_t)64 << 20)

/* Reads path into b with every line ending made CRLF; *lf: the file used
 * bare LF (the output goes back to LF). */
static int
dkim_read(struct admin *a, const char *path, struct buf *b, int *lf)
{
	char chunk[8192];
	size_t n, k;
	int prev = 0;
	FILE *f;

	*lf = 0;
	if ((f = fopen(path, "rb")) == NULL) {
		admin_errx(a, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		for (k = 0; k < n; k++) {
			if (chunk[k] == '\n' && prev != '\r') {
				*lf = 1;
				if (buf_addc(b, '\r') < 0)
					goto full;
			}
			if (buf_addc(b, chunk[k]) < 0)
				goto full;
			prev = chunk[k];
		}
	fclose(f);
	return 0;
full:
	fclose(f);
	admin_errx(a, "%s: message too large", path);
	return -1;
}

/* Calls fn for each header field of m (without its CRLF); returns the
 * body's offset. */
static size_t
dkim_split(const struct buf *m,
	   int (*fn)(void *, const unsigned char *, size_t), void *ctx,
	   int *failed)
{
	const char *p = buf_str(m);
	size_t i = 0, start = 0, n = m->len;

	*failed = 0;
	while (i + 1 < n) {
		if (p[i] != '\r' || p[i + 1] != '\n') {
			i++;
			continue;
		}
		if (i == start)
			return i + 2;
		if (i + 2 < n && (p[i + 2] == ' ' || p[i + 2] == '\t')) {
			i += 2;
			continue;
		}
		if (fn(ctx, (const unsigned char *)p + start, i - start) < 0)
			*failed = 1;
		start = i += 2;
	}
	return n;
}

static int
dkim_vh(void *ctx, const unsigned char *p, size_t n)
{
	return dk_verify_header(ctx, p, n);
}

static int
dkim_sh(void *ctx, const unsigned char *p, size_t n)
{
	return dk_sign_header(ctx, p, n);
}

static int
dkim_ini_resolver(void *user, const char *section, const char *name,
		  const char *value)
{
	char **res = user;

	if (strcmp(section, "dkim") != 0 || strcmp(name, "resolver") != 0)
		return 1;
	free(*res);
	return (*res = strdup(value)) != NULL;
}

/* --resolver, else [dkim] resolver of facteur.conf (the one facteur-dkim
 * and doctor use), else /etc/resolv.conf. Only that key is read: the
 * file's other sections are the daemons' to check. */
static int
dkim_resolver(struct admin *a, const char *server, struct dns_resolver **r)
{
	struct dns_config cfg = {0};
	char err[256], *conf = NULL;
	FILE *f;
	int rc = 0;

	if (server == NULL && a->config_path != NULL &&
	    (f = fopen(a->config_path, "r")) != NULL) {
		if (ini_parse_file(f, dkim_ini_resolver, &conf) != 0) {
			admin_errx(a, "%s: cannot read [dkim] resolver",
				   a->config_path);
			rc = -1;
		}
		fclose(f);
		if (conf != NULL && *conf != '\0')
			server = conf;
	}
	cfg.server = server;
	cfg.timeout_ms = 5000;
	if (rc == 0 && dns_resolver_new(&cfg, r, err, sizeof(err)) < 0) {
		admin_errx(a, "resolver: %s", err);
		rc = -1;
	}
	free(conf);
	return rc;
}

/* --key-file NAME=FILE: the record text from FILE. */
static int
dkim_override(struct admin *a, const char *spec, struct dk_key_override *ov,
	      struct buf *name, struct buf *txt)
{
	const char *eq = strchr(spec, '=');
	int lf;
	size_t k;

	if (eq == NULL || buf_add(name, spec, (size_t)(eq - spec)) < 0) {
		admin_errx(a, "--key-file wants SEL._domainkey.DOMAIN=FILE");
		return -1;
	}
	if (dkim_read(a, eq + 1, txt, &lf) < 0)
		return -1;
	for (k = 0; k < txt->len; k++) /* a TXT record is one line */
		if (txt->data[k] == '\r' || txt->data[k] == '\n')
			txt->data[k] = ' ';
	ov->name = buf_str(name);
	ov->txt = buf_str(txt);
	return 0;
}

static int
dkim_verify_file(struct admin *a, const struct buf *m, void *fetchctx)
{
	const struct dk_sigresult *r;
	struct dk_verify *v = NULL;
	size_t body, n, k;
	int failed, rc = ADMIN_FAIL;

	if (dk_verify_new(NULL, dk_chain_fetch, fetchctx, (long long)time(NULL),
			  &v) < 0)
		goto oom;
	body = dkim_split(m, dkim_vh, v, &failed);
	if (failed || dk_verify_eoh(v) < 0)
		goto oom;
	dk_verify_body(v, (const unsigned char *)buf_str(m) + body,
		       m->len - body);
	if (dk_verify_eom(v) < 0)
		goto oom;
	if ((n = dk_verify_results(v, &r)) == 0)
		printf("no DKIM-Signature\n");
	else
		rc = ADMIN_OK;
	for (k = 0; k < n; k++) {
		printf("d=%s s=%s a=%s %s", r[k].d, r[k].s, r[k].a,
		       dk_result_str(r[k].result));
		if (r[k].reason && *r[k].reason)
			printf(" (%s)", r[k].reason);
		printf("\n");
		if (r[k].result != DK_R_PASS)
			rc = ADMIN_FAIL;
	}
	dk_verify_free(&v);
	return rc;
oom:
	dk_verify_free(&v);
	admin_errx(a, "too many headers or out of memory");
	return ADMIN_FAIL;
}

static int
dkim_verify(struct admin *a, const char *file, const char *resolver,
	    const char *keyfile)
{
	struct dk_key_override ov;
	struct dk_fetch_chain fc = {NULL, 0, NULL};
	struct buf m, name, txt;
	int lf, rc = ADMIN_FAIL;

	buf_init(&m, DKIM_MSG_MAX);
	buf_init(&name, 1024);
	buf_init(&txt, 65536);
	if (keyfile != NULL) {
		if (dkim_override(a, keyfile, &ov, &name, &txt) < 0)
			goto out;
		fc.ov = &ov;
		fc.nov = 1;
	}
	if ((keyfile == NULL || resolver != NULL) &&
	    dkim_resolver(a, resolver, &fc.dns) < 0)
		goto out;
	if (dkim_read(a, file, &m, &lf) == 0)
		rc = dkim_verify_file(a, &m, &fc);
out:
	dns_resolver_free(&fc.dns);
	buf_free(&m);
	buf_free(&name);
	buf_free(&txt);
	return rc;
}

struct dkim_load {
	struct admin *a;
	struct dk_keyring kr;
	const char *domain; /* only this one, or NULL */
	dkim_check_fn skip; /* a key that cannot be loaded; NULL: print */
	void *skipctx;
	size_t nskipped;
};

static int
dkim_load_one(void *ctx, const struct store_dkim_key *k)
{
	struct dkim_load *l = ctx;
	const struct passwd *pw =
	    l->a->cfg->dkim_user ? getpwnam(l->a->cfg->dkim_user) : NULL;
	char err[512];

	char name[1024], detail[600];

	if (dk_keyring_add(&l->kr, k->domain, k->selector, k->key_path,
			   pw ? pw->pw_uid : (uid_t)-1, err, sizeof(err)) == 0)
		return 0;
	l->nskipped++;
	if (l->skip == NULL) {
		admin_errx(l->a, "skipping key %s of %s: %s", k->selector,
			   k->domain, err);
		return 0;
	}
	snprintf(name, sizeof(name), "%s._domainkey.%s", k->selector,
		 k->domain);
	snprintf(detail, sizeof(detail), "key not usable: %s", err);
	l->skip(l->skipctx, name, 1, detail);
	return 0;
}

static int
dkim_load(struct admin *a, const char *domain, struct dkim_load *l,
	  dkim_check_fn skip, void *skipctx)
{
	struct store_errbuf err = {{0}};
	int rc;

	memset(l, 0, sizeof(*l));
	l->a = a;
	l->skip = skip;
	l->skipctx = skipctx;
	if ((rc = admin_store(a, 1)) != 0)
		return rc;
	if ((rc = store_dkim_each(a->store, domain, 1, dkim_load_one, l,
				  &err)) != 0)
		return admin_store_fail(a, rc, err.msg);
	return 0;
}

static int
dkim_sign_file(struct admin *a, const char *file, struct dk_sign_opts *o)
{
	struct dkim_load l;
	struct dk_sign *s = NULL;
	const char *why = "out of memory";
	struct buf m, out;
	size_t body, k;
	int lf, failed, rc;

	buf_init(&m, DKIM_MSG_MAX);
	buf_init(&out, 0);
	if ((rc = dkim_load(a, NULL, &l, NULL, NULL)) != 0)
		goto out;
	rc = ADMIN_FAIL;
	if (dkim_read(a, file, &m, &lf) < 0 || dk_sign_new(&l.kr, o, &s) < 0)
		goto out;
	body = dkim_split(&m, dkim_sh, s, &failed);
	switch (failed ? DK_SIGN_ERROR : dk_sign_eoh(s)) {
	case DK_SIGN_OK:
		break;
	case DK_SIGN_NOFROM:
		admin_errx(a, "%s: no single From: address", file);
		goto out;
	case DK_SIGN_NOKEY:
		admin_errx(a, "%s: no active key for %s or a parent domain",
			   file, dk_sign_domain(s));
		goto out;
	default:
		admin_errx(a, "%s: out of memory", file);
		goto out;
	}
	dk_sign_body(s, (const unsigned char *)buf_str(&m) + body,
		     m.len - body);
	if (dk_sign_eom(s, &why) < 0) {
		admin_errx(a, "%s: %s", file, why);
		goto out;
	}
	for (k = dk_sign_count(s); k-- > 0;)
		if (buf_printf(&out, "DKIM-Signature: %s%s",
			       dk_sign_value(s, k), lf ? "\n" : "\r\n") < 0)
			goto out;
	fwrite(out.data, 1, out.len, stdout);
	for (k = 0; k < m.len; k++)
		if (!(lf && m.data[k] == '\r' && k + 1 < m.len &&
		      m.data[k + 1] == '\n'))
			putchar(m.data[k]);
	rc = ADMIN_OK;
out:
	dk_sign_free(&s);
	dk_keyring_free(&l.kr);
	buf_free(&m);
	buf_free(&out);
	return rc;
}

static int
dkim_canon_opt(const char *c, struct dk_sign_opts *o)
{
	char h[16], b[16];

	if (c == NULL)
		return 0;
	if (sscanf(c, "%15[a-z]/%15[a-z]", h, b) != 2)
		return -1;
	if (strcmp(h, "simple") != 0 && strcmp(h, "relaxed") != 0)
		return -1;
	if (strcmp(b, "simple") != 0 && strcmp(b, "relaxed") != 0)
		return -1;
	o->hc = h[0] == 's' ? DK_C_SIMPLE : DK_C_RELAXED;
	o->bc = b[0] == 's' ? DK_C_SIMPLE : DK_C_RELAXED;
	return 0;
}

int
dkim_msg_main(struct admin *a, int argc, char **argv, int sign)
{
	const char *pos[1], *resolver = NULL, *keyfile = NULL, *sel = NULL;
	const char *canon = NULL, *expire = "0";
	int bl = 0, rc;
	const struct admin_opt vopts[] = {{"resolver", &resolver, NULL},
					  {"key-file", &keyfile, NULL}};
	const struct admin_opt sopts[] = {{"selector", &sel, NULL},
					  {"canon", &canon, NULL},
					  {"body-length", NULL, &bl},
					  {"expire", &expire, NULL}};
	struct dk_sign_opts o = {DK_C_RELAXED, DK_C_RELAXED, 0, 0, 0,
				 NULL,	       NULL,	     1};
	char *end;

	if (!sign) {
		if (admin_args(a, argc, argv, vopts, 2, pos, 1, 1, dkim_usage,
			       &rc) < 0)
			return rc;
		return dkim_verify(a, pos[0], resolver, keyfile);
	}
	if (admin_args(a, argc, argv, sopts, 4, pos, 1, 1, dkim_usage, &rc) < 0)
		return rc;
	o.expire = strtoll(expire, &end, 10);
	if (dkim_canon_opt(canon, &o) < 0 || *end != '\0' || o.expire < 0)
		return admin_usage_error(a, dkim_usage,
					 "--canon simple|relaxed"
					 "/simple|relaxed, --expire SECONDS");
	o.now = (long long)time(NULL);
	o.body_length = bl;
	o.selector = sel;
	return dkim_sign_file(a, pos[0], &o);
}

/* Prints the zone-file line: character-strings of at most 255 bytes. */
int
dkim_print_txt(const char *selector, const char *domain, EVP_PKEY *k)
{
	struct buf rec, p;
	size_t off, n;

	buf_init(&rec, 0);
	buf_init(&p, 0);
	if (dk_pubkey_b64(k, &p) < 0 ||
	    buf_printf(&rec, "v=DKIM1; k=%s; p=%s",
		       EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? "ed25519"
								   : "rsa",
		       buf_str(&p)) < 0) {
		buf_free(&rec);
		buf_free(&p);
		return -1;
	}
	printf("%s._domainkey.%s. IN TXT (", selector, domain);
	for (off = 0; off < rec.len; off += n) {
		n = rec.len - off < 255 ? rec.len - off : 255;
		printf(" \"%.*s\"", (int)n, rec.data + off);
	}
	printf(" )\n");
	buf_free(&rec);
	buf_free(&p);
	return 0;
}

int
dkim_check_key(struct dns_resolver *dns, const struct dk_signkey *k,
	       char *detail, size_t len)
{
	struct dk_keyrec rec;
	struct buf txt, got, want;
	const char *why = "";
	size_t off;
	int rc = 1;

	buf_init(&txt, 65536);
	buf_init(&got, 0);
	buf_init(&want, 0);
	if (dk_pubkey_b64(k->pkey, &want) < 0) {
		snprintf(detail, len, "cannot read the public key");
		goto out;
	}
	switch (dk_dns_fetch(dns, k->selector, k->domain, &txt)) {
	case DK_FETCH_OK:
		break;
	case DK_FETCH_NONE:
		snprintf(detail, len, "missing (no TXT record)");
		goto out;
	default:
		snprintf(detail, len, "lookup failed");
		goto out;
	}
	if (dk_keyrec_parse((const unsigned char *)buf_str(&txt), txt.len, &rec,
			    &why, &off) != DK_KEY_OK)
		snprintf(detail, len, "bad record (%s)", why);
	else if (rec.revoked)
		snprintf(detail, len, "revoked (p= is empty)");
	else if (b64_encode(rec.p, rec.plen, &got) < 0 ||
		 strcmp(buf_str(&got), buf_str(&want)) != 0 ||
		 rec.ed25519 != (k->alg == DK_ALG_ED25519_SHA256))
		snprintf(detail, len, "differs from the key");
	else {
		snprintf(detail, len, "ok");
		rc = 0;
	}
out:
	buf_free(&txt);
	buf_free(&got);
	buf_free(&want);
	return rc;
}

int
dkim_check_each(struct admin *a, struct dns_resolver *dns, const char *domain,
		dkim_check_fn fn, void *ctx, size_t *nkeys)
{
	struct dkim_load l;
	char name[1024], detail[512];
	size_t k;
	int rc;

	*nkeys = 0;
	if ((rc = dkim_load(a, domain, &l, fn, ctx)) != 0)
		return rc;
	*nkeys = l.nskipped;
	for (k = 0; k < l.kr.n; k++) {
		const struct dk_signkey *key = &l.kr.v[k];
		int bad = dkim_check_key(dns, key, detail, sizeof(detail));

		snprintf(name, sizeof(name), "%s._domainkey.%s", key->selector,
			 key->domain);
		fn(ctx, name, bad, detail);
	}
	*nkeys += l.kr.n;
	dk_keyring_free(&l.kr);
	return ADMIN_OK;
}

/* dkim check: one line per key. */
static void
dkim_check_print(void *ctx, const char *name, int bad, const char *detail)
{
	int *anybad = ctx;

	printf("%s: %s\n", name, detail);
	*anybad |= bad;
}

int
dkim_keys_main(struct admin *a, int argc, char **argv, int check)
{
	const char *pos[1], *resolver = NULL;
	const struct admin_opt opts[] = {{"resolver", &resolver, NULL}};
	struct dns_resolver *dns = NULL;
	struct dkim_load l;
	size_t k, n;
	int rc, bad = 0;

	if (admin_args(a, argc, argv, opts, check ? 1 : 0, pos, 1, 1,
		       dkim_usage, &rc) < 0)
		return rc;
	if (check) {
		if (dkim_resolver(a, resolver, &dns) < 0)
			return ADMIN_FAIL;
		rc =
		    dkim_check_each(a, dns, pos[0], dkim_check_print, &bad, &n);
		dns_resolver_free(&dns);
		if (rc == ADMIN_OK && n == 0) {
			admin_errx(a, "no usable active key for %s", pos[0]);
			return ADMIN_FAIL;
		}
		return rc != ADMIN_OK ? rc : bad ? ADMIN_FAIL : ADMIN_OK;
	}
	if ((rc = dkim_load(a, pos[0], &l, NULL, NULL)) != 0)
		return rc;
	if (l.kr.n == 0) {
		admin_errx(a, "no usable active key for %s", pos[0]);
		dk_keyring_free(&l.kr);
		return ADMIN_FAIL;
	}
	for (k = 0; k < l.kr.n; k++)
		if (dkim_print_txt(l.kr.v[k].selector, l.kr.v[k].domain,
				   l.kr.v[k].pkey) < 0)
			bad = 1;
	dk_keyring_free(&l.kr);
	return bad ? ADMIN_FAIL : ADMIN_OK;
}
