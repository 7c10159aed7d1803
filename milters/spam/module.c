/* milters/spam/module.c - the spam filter module: at end of message, the
 * headers and body the runner kept are scored by the engine, incoming
 * X-Spam-* headers are removed, ours are added, and the message is
 * rejected (550 5.7.1) above reject_score. Thin: the [spam] settings are
 * spam_conf.c, everything else engine.c; this is the only file of the
 * spam milter that calls lib/milter (spam_module in meson.build). */
#include "spam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "match.h"
#include "spf.h"

/* How long a message may wait for the Bayes file when it is auto-learned
 * (another thread's learn, or a "facteur spam learn" run holding the
 * write lock); past it X-Spam-Status says autolearn=failed. */
#define SPAM_LEARN_BUSY_MS 200

/* Headers + blank line + the body, as the engine wants a message: its
 * size reserved once, the parts copied (no printf, no regrowth). */
static int
spam_raw(const struct mlt_msg *m, size_t max, struct buf *b)
{
	const unsigned char *p;
	size_t i, n, need = 1;

	if (mlt_msg_body(m, max, &p, &n) != 0)
		return -1;
	for (i = 0; i < m->nheaders; i++)
		need += strlen(m->headers[i].name) +
			strlen(m->headers[i].value) + 3;
	if (buf_reserve(b, need + n) < 0)
		return -1;
	for (i = 0; i < m->nheaders; i++)
		if (buf_adds(b, m->headers[i].name) < 0 ||
		    buf_add(b, ": ", 2) < 0 ||
		    buf_adds(b, m->headers[i].value) < 0 ||
		    buf_addc(b, '\n') < 0)
			return -1;
	if (buf_addc(b, '\n') < 0)
		return -1;
	return buf_add(b, p, n);
}

static int
spam_header(struct mlt_ctx *c, const char *name,
	    int (*fmt)(const struct sp_result *, struct buf *),
	    const struct sp_result *r)
{
	struct buf v;
	int rc;

	buf_init(&v, 0);
	rc = fmt(r, &v);
	if (rc == 0)
		rc = mlt_add_header(c, name, buf_str(&v));
	buf_free(&v);
	return rc;
}

static int
spam_score_hdr(const struct sp_result *r, struct buf *out)
{
	return sp_fmt_score(r->score, out);
}

static int
spam_subject(struct mlt_ctx *c, const struct spam_settings *s)
{
	const struct mlt_msg *m = c->msg;
	struct buf v;
	size_t i;
	int rc;

	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, "Subject") == 0)
			break;
	buf_init(&v, 0);
	rc = buf_printf(&v, "%s %s", s->subject_tag,
			i < m->nheaders ? m->headers[i].value : "");
	if (rc == 0)
		rc = i < m->nheaders
			 ? mlt_change_header(c, "Subject", 1, buf_str(&v))
			 : mlt_add_header(c, "Subject", s->subject_tag);
	buf_free(&v);
	return rc;
}

int
spam_plan(struct mlt_ctx *c, const struct spam_settings *s,
	  const struct sp_result *r)
{
	const struct mlt_msg *m = c->msg;
	size_t i;

	for (i = 0; i < m->nheaders; i++)
		if (strncasecmp(m->headers[i].name, "X-Spam-", 7) == 0 &&
		    mlt_delete_header(c, m->headers[i].name,
				      m->headers[i].index) < 0)
			return -1;
	if (mlt_add_header(c, "X-Spam-Flag", r->is_spam ? "YES" : "NO") < 0 ||
	    spam_header(c, "X-Spam-Score", spam_score_hdr, r) < 0 ||
	    spam_header(c, "X-Spam-Level", sp_fmt_level, r) < 0 ||
	    spam_header(c, "X-Spam-Status", sp_fmt_status, r) < 0)
		return -1;
	if (s->add_report && r->nhits > 0 &&
	    spam_header(c, "X-Spam-Report", sp_fmt_report, r) < 0)
		return -1;
	if (s->rewrite_subject && r->is_spam && spam_subject(c, s) < 0)
		return -1;
	return 0;
}

/* The SPF and DKIM verdicts an earlier filter of the chain left in
 * mlt_results (facteur-dkim in facteur-milter), in the engine's terms;
 * NULL when there are none (a standalone facteur-spam). */
static const struct sp_given *
spam_given(const struct mlt_results *res, struct sp_given *g)
{
	static const int spf[] = {
	    [MLT_AUTH_PASS] = SPF_R_PASS,
	    [MLT_AUTH_FAIL] = SPF_R_FAIL,
	    [MLT_AUTH_SOFTFAIL] = SPF_R_SOFTFAIL,
	    [MLT_AUTH_NEUTRAL] = SPF_R_NEUTRAL,
	    [MLT_AUTH_TEMPERROR] = SPF_R_TEMPERROR,
	    [MLT_AUTH_PERMERROR] = SPF_R_PERMERROR,
	    [MLT_AUTH_POLICY] = SPF_R_NONE,
	    [MLT_AUTH_ABSENT] = SPF_R_NONE,
	};
	enum mlt_auth d = res->dkim.status;

	memset(g, 0, sizeof(*g));
	if (res->spf.status != MLT_AUTH_NONE &&
	    (size_t)res->spf.status < sizeof(spf) / sizeof(spf[0])) {
		g->spf_set = 1;
		g->spf = spf[res->spf.status];
	}
	if (d != MLT_AUTH_NONE) {
		g->dkim_set = 1;
		g->dkim_signed = d != MLT_AUTH_ABSENT;
		g->dkim_valid = d == MLT_AUTH_PASS;
		g->dkim_domain = res->dkim.domain;
	}
	return g->spf_set || g->dkim_set ? g : NULL;
}

static enum mlt_verdict
spam_eom(struct mlt_ctx *c)
{
	const struct spam_settings *s = c->cfg;
	struct mlt_msg *m = c->msg;
	struct sp_given given;
	struct sp_envelope env = {c->conn->client_addr, c->conn->helo,
				  m->mail_from,
				  spam_given(&m->results, &given)};
	struct sp_result r;
	struct buf raw;
	char err[256], text[128];
	int rc;

	if (!s->score_authenticated && (m->macros.auth_authen != NULL ||
					spam_internal(s, c->conn->client_addr)))
		return MLT_ACCEPT;
	buf_init(&raw, 0);
	rc = spam_raw(m, s->max_scan_size, &raw);
	if (rc == 0)
		rc = sp_engine_check_env(s->engine, buf_str(&raw), raw.len,
					 &env, &r, err, sizeof(err));
	buf_free(&raw);
	if (rc < 0)
		return mlt_fail(c, "cannot score the message");
	m->results.spam_scored = 1;
	m->results.spam_score = r.score;
	if (s->reject > 0 && r.score >= s->reject) {
		snprintf(text, sizeof(text),
			 "Message rejected as spam (score "
			 "%.1f)",
			 r.score);
		sp_result_clear(&r);
		if (mlt_reply(c, "550", "5.7.1", text) < 0)
			return mlt_fail(c, "bad reject reply");
		return MLT_REJECT;
	}
	/* bounded by SPAM_LEARN_BUSY_MS; a failure only shows in the header */
	sp_engine_autolearn(s->engine, &r, SPAM_LEARN_BUSY_MS, err,
			    sizeof(err));
	if (r.autolearn == SP_AL_FAILED)
		log_warn("%s: spam: auto-learn failed: %s",
			 m->macros.queue_id ? m->macros.queue_id : "NOQUEUE",
			 err);
	rc = spam_plan(c, s, &r);
	sp_result_clear(&r);
	return rc < 0 ? mlt_fail(c, "cannot plan the X-Spam headers")
		      : MLT_CONTINUE;
}

const struct mlt_filter spam_filter = {
    .name = "spam",
    .wants_body = 1,
    .eom = spam_eom,
};
