/* milters/dkim/module.c - facteur-dkim's filter callbacks: each one
 * translates the milter phase for the engines and delegates (STYLE rule
 * 7). Signing or verifying is decided at MAIL FROM; at end of message a
 * signer inserts its DKIM-Signature fields, a verifier deletes forged
 * Authentication-Results carrying our authserv-id (the plan deletes from
 * the last index down) and inserts its own at the top. */
#include "dkim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "dk_ar.h"
#include "dk_dns.h"
#include "dk_verify.h"
#include "dmarc.h"
#include "spf.h"

/* A forged Authentication-Results: its name as received (the index
 * counts fields of that name) and index. name is from the message pool. */
struct dkim_ar {
	const char *name;
	int index;
};

struct dkim_msg {
	struct dk_sign *sign; /* one of sign/verify */
	struct dk_verify *verify;
	struct dkim_ar *ar_ours; /* A-R fields to delete, as many as the
				    message has (the runner caps headers
				    at max_headers) */
	size_t nar, arcap;
	struct dmarc_from from; /* the author domains (verify only) */
	struct buf field;	/* scratch: "Name: value" with CRLF */
};

static void
dkim_msg_free(struct dkim_msg **mp)
{
	struct dkim_msg *m = *mp;

	if (m == NULL)
		return;
	dk_sign_free(&m->sign);
	dk_verify_free(&m->verify);
	buf_free(&m->field);
	free(m->ar_ours);
	free(m);
	*mp = NULL;
}

static int
dkim_wants_sign(const struct dkim_settings *s, const struct mlt_ctx *c)
{
	const char *dn = c->msg->macros.daemon_name ? c->msg->macros.daemon_name
						    : c->conn->daemon_name;

	if (c->msg->macros.auth_authen && *c->msg->macros.auth_authen)
		return 1;
	if (cidr_list_match(&s->internal_hosts, c->conn->client_addr))
		return 1;
	return cfg_list_has(&s->sign_daemons, dn, dn ? strlen(dn) : 0);
}

static enum mlt_verdict
dkim_envfrom(struct mlt_ctx *c, const char *from)
{
	const struct dkim_settings *s = c->cfg;
	struct dk_verify_limits lim = {(size_t)s->max_signatures, 0};
	struct dk_sign_opts o = {DK_C_RELAXED, DK_C_RELAXED, 0, 0, 0,
				 NULL,	       NULL,	     0};
	struct dkim_msg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return mlt_fail(c, "out of memory");
	*c->msg_priv = m;
	buf_init(&m->field, 1 << 20);
	dmarc_from_init(&m->from);
	if (dkim_wants_sign(s, c)) {
		o.hc = s->canonicalization < 2 ? DK_C_RELAXED : DK_C_SIMPLE;
		o.bc = s->canonicalization % 2 ? DK_C_SIMPLE : DK_C_RELAXED;
		o.now = (long long)time(NULL);
		o.expire = s->expire / 1000;
		o.body_length = s->body_length;
		/* No keys: nothing to sign, but forged A-Rs still go. */
		if (s->kr.n > 0 && dk_sign_new(&s->kr, &o, &m->sign) < 0)
			return mlt_fail(c, "out of memory");
	} else if (dk_verify_new(&lim, dk_dns_fetch, s->dns,
				 (long long)time(NULL), &m->verify) < 0)
		return mlt_fail(c, "out of memory");
	return MLT_CONTINUE;
}

/* The field as it was in the message: LF folds back to CRLF. With
 * SMFIP_HDR_LEADSPC the bytes after the colon are exact (h->raw), which
 * simple header canonicalization needs; without it the MTA stripped the
 * leading whitespace and one space is the best guess. */
static int
dkim_field(struct buf *b, const struct mlt_header *h)
{
	const char *val = h->raw != NULL ? h->raw : h->value;
	const char *run, *nl;
	int bare;

	buf_reset(b);
	if (buf_adds(b, h->name) < 0 || buf_addc(b, ':') < 0 ||
	    (h->raw == NULL && val[0] != ' ' && val[0] != '\t' &&
	     buf_addc(b, ' ') < 0))
		return -1;
	/* copied a line at a time (once a byte at a time: 5% of the
	 * milter's CPU through Postfix); a bare LF becomes CRLF */
	for (run = val; (nl = strchr(run, '\n')) != NULL; run = nl + 1) {
		bare = nl == val || nl[-1] != '\r';
		if (buf_add(b, run, (size_t)(nl - run)) < 0 ||
		    (bare && buf_addc(b, '\r') < 0) || buf_addc(b, '\n') < 0)
			return -1;
	}
	return buf_adds(b, run);
}

/* 1 if the field is named name: case-insensitive, with the whitespace
 * RFC 5322's obsolete syntax allows before the colon ("From :"). */
static int
dkim_name_is(const char *field, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(field, name, n) == 0 &&
	       field[n + strspn(field + n, " \t")] == '\0';
}

static int
dkim_ar_push(struct dkim_msg *m, const struct mlt_header *h)
{
	struct dkim_ar *v;

	if (m->nar == m->arcap) {
		m->arcap = m->arcap ? 2 * m->arcap : 8;
		if ((v = realloc(m->ar_ours, m->arcap * sizeof(*v))) == NULL)
			return -1;
		m->ar_ours = v;
	}
	m->ar_ours[m->nar].name = h->name;
	m->ar_ours[m->nar++].index = h->index;
	return 0;
}

static enum mlt_verdict
dkim_header(struct mlt_ctx *c, const struct mlt_header *h)
{
	const struct dkim_settings *s = c->cfg;
	struct dkim_msg *m = *c->msg_priv;
	const unsigned char *f;
	int rc;

	if (dkim_field(&m->field, h) < 0)
		return mlt_fail(c, "header too long");
	f = (const unsigned char *)m->field.data;
	if (m->sign != NULL)
		rc = dk_sign_header(m->sign, f, m->field.len);
	else if (m->verify != NULL)
		rc = dk_verify_header(m->verify, f, m->field.len);
	else
		rc = 0;
	if (rc < 0)
		return mlt_fail(c, "too many headers");
	if (m->verify != NULL && dkim_name_is(h->name, "From"))
		dmarc_from_add(&m->from, (const unsigned char *)h->value,
			       strlen(h->value));
	if (dkim_name_is(h->name, "Authentication-Results") &&
	    dk_ar_is_ours(h->value, s->authserv_id) && dkim_ar_push(m, h) < 0)
		return mlt_fail(c, "out of memory");
	return MLT_CONTINUE;
}

static enum mlt_verdict
dkim_eoh(struct mlt_ctx *c)
{
	struct dkim_msg *m = *c->msg_priv;

	if (m->verify != NULL)
		return dk_verify_eoh(m->verify) < 0
			   ? mlt_fail(c, "out of memory")
			   : MLT_CONTINUE;
	switch (m->sign != NULL ? dk_sign_eoh(m->sign) : DK_SIGN_NOKEY) {
	case DK_SIGN_OK:
		return MLT_CONTINUE;
	case DK_SIGN_ERROR:
		return mlt_fail(c, "out of memory");
	default:
		/* No From: or no key: unsigned. Forged A-Rs carrying our id
		 * are deleted at eom all the same (a submitting account must
		 * not forge our verdict to local recipients either). */
		dk_sign_free(&m->sign);
		return m->nar > 0 ? MLT_CONTINUE : MLT_ACCEPT;
	}
}

static enum mlt_verdict
dkim_body(struct mlt_ctx *c, const unsigned char *p, size_t len)
{
	struct dkim_msg *m = *c->msg_priv;

	if (m->sign != NULL)
		dk_sign_body(m->sign, p, len);
	else if (m->verify != NULL)
		dk_verify_body(m->verify, p, len);
	return MLT_CONTINUE;
}

/* Deletes the A-R fields carrying our authserv-id, from the last index
 * down (CVE-2022-48521); the plan orders its deletions so too. */
static int
dkim_strip_ar(struct mlt_ctx *c, const struct dkim_msg *m)
{
	size_t k;

	for (k = m->nar; k-- > 0;)
		if (mlt_delete_header(c, m->ar_ours[k].name,
				      m->ar_ours[k].index) < 0)
			return -1;
	return 0;
}

static enum mlt_verdict
dkim_eom_sign(struct mlt_ctx *c, struct dkim_msg *m)
{
	const char *why;
	size_t k;

	if (dk_sign_eom(m->sign, &why) < 0)
		return mlt_fail(c, why);
	for (k = dk_sign_count(m->sign); k-- > 0;)
		if (mlt_insert_header(c, 0, "DKIM-Signature",
				      dk_sign_value(m->sign, k)) < 0)
			return mlt_fail(c, "cannot plan DKIM-Signature");
	return MLT_CONTINUE;
}

/* The verdicts later filters of a chain read (mlt_results): facteur-spam
 * takes SPF and DKIM from there instead of looking them up again. */
static enum mlt_auth
dkim_spf_auth(enum spf_result r)
{
	static const enum mlt_auth map[] = {
	    [SPF_R_NONE] = MLT_AUTH_ABSENT,
	    [SPF_R_NEUTRAL] = MLT_AUTH_NEUTRAL,
	    [SPF_R_PASS] = MLT_AUTH_PASS,
	    [SPF_R_FAIL] = MLT_AUTH_FAIL,
	    [SPF_R_SOFTFAIL] = MLT_AUTH_SOFTFAIL,
	    [SPF_R_TEMPERROR] = MLT_AUTH_TEMPERROR,
	    [SPF_R_PERMERROR] = MLT_AUTH_PERMERROR,
	};

	return (size_t)r < sizeof(map) / sizeof(map[0]) ? map[r]
							: MLT_AUTH_PERMERROR;
}

static enum mlt_auth
dkim_dk_auth(enum dk_result r)
{
	switch (r) {
	case DK_R_PASS:
		return MLT_AUTH_PASS;
	case DK_R_FAIL:
		return MLT_AUTH_FAIL;
	case DK_R_NEUTRAL:
		return MLT_AUTH_NEUTRAL;
	case DK_R_POLICY:
		return MLT_AUTH_POLICY;
	case DK_R_TEMPERROR:
		return MLT_AUTH_TEMPERROR;
	case DK_R_PERMERROR:
		return MLT_AUTH_PERMERROR;
	default:
		return MLT_AUTH_ABSENT;
	}
}

/* DKIM: pass if one signature passed (domain: the author's d= first),
 * else the first signature's result; absent without signatures. */
static void
dkim_share_dkim(struct mlt_ctx *c, const struct dk_sigresult *r, size_t n)
{
	struct mlt_auth_result *a = &c->msg->results.dkim;
	const struct dkim_msg *m = *c->msg_priv;
	size_t k, best = 0;
	int pass = 0;

	for (k = 0; k < n; k++) {
		if (r[k].result != DK_R_PASS)
			continue;
		if (!pass)
			best = k;
		pass = 1;
		if (m->from.ndomains > 0 &&
		    strcasecmp(r[k].d, m->from.domains[0]) == 0) {
			best = k;
			break;
		}
	}
	a->status = n == 0 ? MLT_AUTH_ABSENT : dkim_dk_auth(r[best].result);
	a->domain = n == 0 ? NULL : mlt_pool_strdup(&c->msg->pool, r[best].d);
}

static enum mlt_auth
dkim_dmarc_auth(enum dmarc_result r)
{
	switch (r) {
	case DMARC_R_NONE:
		return MLT_AUTH_ABSENT;
	case DMARC_R_PASS:
		return MLT_AUTH_PASS;
	case DMARC_R_FAIL:
		return MLT_AUTH_FAIL;
	case DMARC_R_TEMPERROR:
		return MLT_AUTH_TEMPERROR;
	default:
		return MLT_AUTH_PERMERROR;
	}
}

/* DMARC over every author domain (RFC 7489 §6.6.1): the strictest
 * verdict and policy win, so a second From or mailbox cannot talk past a
 * p=reject domain. Without a usable From it is permerror with the reason
 * in the A-R, never a silent skip. */
static void
dkim_dmarc(const struct dkim_settings *s, struct mlt_ctx *c,
	   const struct dk_sigresult *r, size_t n, const char *spf_domain,
	   struct dk_ar_extra *x, struct dmarc_outcome *dout, int *reject)
{
	const char *dkd[8];
	struct dmarc_input in = {0};
	struct dkim_msg *m = *c->msg_priv;
	enum dmarc_result res;
	size_t k, who;

	for (k = 0; k < n && in.ndkim < 8; k++)
		if (r[k].result == DK_R_PASS)
			dkd[in.ndkim++] = r[k].d;
	in.spf_domain = spf_domain;
	in.dkim_domains = dkd;
	res = dmarc_evaluate_from(s->dns, s->pslp, &m->from, &in, dout, &who);
	x->dmarc = dmarc_result_str(res);
	x->dmarc_from = m->from.ndomains > 0 ? m->from.domains[who] : NULL;
	x->dmarc_reason = res == DMARC_R_PERMERROR && x->dmarc_from == NULL
			      ? dout->detail
			      : dmarc_from_problem(&m->from);
	c->msg->results.dmarc.status = dkim_dmarc_auth(res);
	c->msg->results.dmarc.domain =
	    x->dmarc_from == NULL || res == DMARC_R_NONE
		? NULL
		: mlt_pool_strdup(&c->msg->pool, x->dmarc_from);
	*reject = s->dmarc_reject && res == DMARC_R_FAIL &&
		  dout->policy == DMARC_P_REJECT && !dout->sampled_out;
}

/* SPF and DMARC into x; *reject when DMARC says p=reject and fail. */
static void
dkim_auth(const struct dkim_settings *s, struct mlt_ctx *c,
	  const struct dk_sigresult *r, size_t n, struct dk_ar_extra *x,
	  struct spf_outcome *so, struct dmarc_outcome *dout, int *reject)
{
	const char *from = c->msg->mail_from ? c->msg->mail_from : "";
	enum spf_result sr = SPF_R_NONE;

	*reject = 0;
	if (s->spfs != NULL && strcmp(c->conn->client_addr, "local") != 0) {
		sr = spf_check(s->spfs, c->conn->client_addr,
			       c->conn->helo ? c->conn->helo : "", from, so);
		x->spf = spf_result_str(sr);
		x->spf_mailfrom = from;
		x->spf_helo = c->conn->helo;
		c->msg->results.spf.status = dkim_spf_auth(sr);
		c->msg->results.spf.domain =
		    mlt_pool_strdup(&c->msg->pool, so->domain);
	}
	if (s->pslp != NULL)
		dkim_dmarc(s, c, r, n, sr == SPF_R_PASS ? so->domain : NULL, x,
			   dout, reject);
}

static enum mlt_verdict
dkim_eom_verify(struct mlt_ctx *c, struct dkim_msg *m)
{
	const struct dkim_settings *s = c->cfg;
	const struct dk_sigresult *r;
	struct dk_ar_extra x = {0};
	struct spf_outcome so;
	struct dmarc_outcome dout;
	struct buf ar;
	size_t n;
	int reject, rc;

	if (dk_verify_eom(m->verify) < 0)
		return mlt_fail(c, "out of memory");
	n = dk_verify_results(m->verify, &r);
	memset(&so, 0, sizeof(so));
	memset(&dout, 0, sizeof(dout));
	/* Mail from the internet only: sendmail(1) on this host (Postfix's
	 * non_smtpd_milters, client "local") is not an author forgery. */
	if (s->require_valid_from && !dmarc_from_valid(&m->from) &&
	    strcmp(c->conn->client_addr, "local") != 0) {
		if (mlt_reply(
			c, "550", "5.7.1",
			"message needs exactly one "
			"From field with one valid address (RFC 5322 3.6.2)") <
		    0)
			return mlt_fail(c, "bad reply");
		return MLT_REJECT;
	}
	dkim_share_dkim(c, r, n);
	dkim_auth(s, c, r, n, &x, &so, &dout, &reject);
	if (reject) {
		if (mlt_reply(c, "550", "5.7.1",
			      "DMARC policy of the From "
			      "domain rejects this message") < 0)
			return mlt_fail(c, "bad reply");
		return MLT_REJECT;
	}
	if (dkim_strip_ar(c, m) < 0)
		return mlt_fail(c, "cannot plan A-R deletion");
	buf_init(&ar, 16384);
	rc = dk_ar_build(s->authserv_id, r, n, &x, &ar);
	if (rc == 0)
		rc = mlt_insert_header(c, 0, "Authentication-Results",
				       buf_str(&ar));
	buf_free(&ar);
	return rc < 0 ? mlt_fail(c, "cannot plan Authentication-Results")
		      : MLT_CONTINUE;
}

static enum mlt_verdict
dkim_eom(struct mlt_ctx *c)
{
	struct dkim_msg *m = *c->msg_priv;
	enum mlt_verdict v;

	if (m->verify != NULL)
		v = dkim_eom_verify(c, m);
	else if (m->sign != NULL)
		v = dkim_eom_sign(c, m);
	else
		v = MLT_CONTINUE;
	if (m->verify == NULL && v == MLT_CONTINUE && dkim_strip_ar(c, m) < 0)
		v = mlt_fail(c, "cannot plan A-R deletion");
	dkim_msg_free((struct dkim_msg **)c->msg_priv);
	return v;
}

static void
dkim_abort(struct mlt_ctx *c)
{
	if (c->msg_priv != NULL)
		dkim_msg_free((struct dkim_msg **)c->msg_priv);
}

/* OpenSSL keeps state per thread (the error queue, the DRBG ldns draws
 * query ids from) that it frees from a thread-exit destructor. Under
 * libmilter the connection's thread may be counted gone before that
 * runs, so a shutdown right after could run OpenSSL's atexit cleanup
 * first and the state would leak (seen under LeakSanitizer): it is freed
 * here, while the thread is still counted. The native engine's workers
 * serve connection after connection and are joined at the stop, so their
 * state is freed in time and kept meanwhile (freeing it at each close
 * cost every connection OPENSSL_thread_stop and a new error queue). */
static void
dkim_close(struct mlt_ctx *c)
{
	if (!c->conn->threads_joined)
		OPENSSL_thread_stop();
}

const struct mlt_filter dkim_filter = {
    .name = "dkim",
    .wants_body = 0,
    .envfrom = dkim_envfrom,
    .header = dkim_header,
    .eoh = dkim_eoh,
    .body = dkim_body,
    .eom = dkim_eom,
    .abort = dkim_abort,
    .close = dkim_close,
    /* refuses only at eom (dmarc_reject): the MTA need not wait before */
    .no_reply = MLT_NR_ENVFROM | MLT_NR_HEADER | MLT_NR_EOH | MLT_NR_BODY,
};
