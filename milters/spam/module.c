/* milters/spam/module.c - the spam filter module: at end of message, the
 * headers and body the runner kept are scored by the engine, incoming
 * X-Spam-* headers are removed, ours are added, and the message is
 * rejected (550 5.7.1) above reject_score. Thin: everything else is in
 * engine.c. */
#include "spam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "match.h"
#include "spf.h"
#include "store.h"

#ifndef SP_RULES_DIR
#define SP_RULES_DIR "/usr/local/share/facteur/rules"
#endif

/* How long a message may wait for the Bayes file when it is auto-learned
 * (another thread's learn, or a "facteur spam learn" run holding the
 * write lock); past it X-Spam-Status says autolearn=failed. */
#define SPAM_LEARN_BUSY_MS 200

#define S(f) offsetof(struct spam_settings, f)
const struct cfg_key spam_keys[] = {
    {"required_score", CFG_DOUBLE, "5.0", -1000, 10000, S(required), NULL,
	"score at or above which a message is spam"},
    {"reject_score", CFG_DOUBLE, "0", -1000, 10000, S(reject), NULL,
	"score at or above which it is refused with 550 5.7.1 (0: never)"},
    {"rules_path", CFG_STR, SP_RULES_DIR, 0, 0, S(rules_path), NULL,
	"rule files or directories of *.cf, separated by ':'"},
    {"bayes_path", CFG_STR, "/var/lib/facteur/bayes.sqlite", 0, 0,
	S(bayes_path), NULL, "Bayes token database ('' = Bayes off)"},
    {"bayes_auto_learn", CFG_BOOL, "no", 0, 0, S(bayes_auto_learn), NULL,
	"learn clear spam and clear ham into the Bayes database"},
    {"bayes_auto_learn_threshold_spam", CFG_DOUBLE, "12.0", -1000, 10000,
	S(al_spam), NULL, "auto-learn as spam at or above this "
	"score (without Bayes; 3 header and 3 body points needed too)"},
    {"bayes_auto_learn_threshold_nonspam", CFG_DOUBLE, "0.1", -1000, 10000,
	S(al_nonspam), NULL, "auto-learn as ham below this score "
	"(without Bayes)"},
    {"rewrite_subject", CFG_BOOL, "no", 0, 0, S(rewrite_subject), NULL,
	"prefix the Subject of spam with subject_tag"},
    {"subject_tag", CFG_STR, "*****SPAM*****", 0, 0, S(subject_tag), NULL,
	"the Subject prefix"},
    {"add_report", CFG_BOOL, "no", 0, 0, S(add_report), NULL,
	"add an X-Spam-Report header listing the rules hit"},
    {"score_authenticated", CFG_BOOL, "no", 0, 0, S(score_authenticated),
	NULL, "also score mail from authenticated or internal clients"},
    {"internal_hosts", CFG_CIDR_LIST, "127.0.0.0/8 ::1", 0, 0,
	S(internal_hosts), NULL, "client networks whose mail is not scored"},
    {"max_scan_size", CFG_SIZE, "1M", 1024, (long long)1 << 30,
	S(max_scan_size), NULL, "bytes of a message that are scanned"},
    {"network_tests", CFG_BOOL, "no", 0, 0, S(network_tests), NULL,
	"run the DNSBL, URIBL, SPF and DKIM rules (DNS lookups)"},
    {"dns_server", CFG_STR, "", 0, 0, S(dns_server), NULL,
	"DNS server for network tests ('' = resolv.conf; 127.0.0.1@5353)"},
    {"dns_timeout", CFG_DURATION, "2s", 100, 30000, S(dns_timeout), NULL,
	"time all network lookups of one message may take together"},
    {"cache_dir", CFG_STR, "/var/cache/facteur", 0, 0, S(cache_dir), NULL,
	"directory of the compiled pattern databases ('' = none)"},
};
#undef S
const size_t spam_nkeys = sizeof(spam_keys) / sizeof(spam_keys[0]);

/* A cache that cannot be written costs every start the compile: worth a
 * warning, not a refusal to start. */
static void
spam_cache_warn(const struct spam_settings *s)
{
	struct sp_match_stats ms;

	sp_engine_match_stats(s->engine, &ms);
	if (ms.cache_error[0] != '\0')
		log_warn("[spam] cache_dir: %s (compiled without a cache)",
		    ms.cache_error);
}

/* Where Bayes lives: bayes_path, or the PostgreSQL database of
 * [database] url when bayes_path was left at its default (a file beside
 * the SQLite database); the engine's storage takes either. */
const char *
spam_bayes_target(const struct spam_settings *s)
{
	size_t i;

	if (s->bayes_path == NULL || !store_is_url(s->db.path))
		return s->bayes_path;
	for (i = 0; i < spam_nkeys; i++)
		if (strcmp(spam_keys[i].name, "bayes_path") == 0 &&
		    strcmp(spam_keys[i].def, s->bayes_path) == 0)
			return s->db.path;
	return s->bayes_path;
}

int
spam_check(void *base, char *err, size_t errlen)
{
	struct spam_settings *s = base;
	struct sp_engine_opts o;

	if (!mlt_header_value_ok(s->subject_tag)) {
		snprintf(err, errlen, "[spam] subject_tag: not printable");
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.rules_path = s->rules_path;
	o.bayes_path = spam_bayes_target(s);
	o.required_score = s->required;
	o.lim.max_decoded = s->max_scan_size;
	o.network = s->network_tests;
	o.dns_server = s->dns_server;
	o.dns_timeout_ms = s->dns_timeout;
	o.cache_dir = s->cache_dir;
	o.auto_learn = s->bayes_auto_learn;
	o.al_thresholds.spam = s->al_spam;
	o.al_thresholds.nonspam = s->al_nonspam;
	sp_engine_free(&s->engine);
	if (sp_engine_new(&o, &s->engine, err, errlen) < 0)
		return -1;
	spam_cache_warn(s);
	return 0;
}

void
spam_fini(void *base)
{
	struct spam_settings *s = base;

	sp_engine_free(&s->engine);
}

int
spam_internal(const struct spam_settings *s, const char *addr)
{
	if (addr != NULL && strcmp(addr, "local") == 0)
		return 1;
	return cidr_list_match(&s->internal_hosts, addr);
}

/* Headers + blank line + the body, as the engine wants a message. */
static int
spam_raw(const struct mlt_msg *m, size_t max, struct buf *b)
{
	size_t i, n;

	for (i = 0; i < m->nheaders; i++)
		if (buf_printf(b, "%s: %s\n", m->headers[i].name,
		    m->headers[i].value) < 0)
			return -1;
	if (buf_addc(b, '\n') < 0)
		return -1;
	n = m->body.len > max ? max : m->body.len;
	return buf_add(b, m->body.data ? m->body.data : "", n);
}

static int
spam_header(struct mlt_ctx *c, const char *name, int (*fmt)(
    const struct sp_result *, struct buf *), const struct sp_result *r)
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
		rc = i < m->nheaders ? mlt_change_header(c, "Subject", 1,
		    buf_str(&v)) : mlt_add_header(c, "Subject",
		    s->subject_tag);
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
	    [MLT_AUTH_PASS] = SPF_R_PASS, [MLT_AUTH_FAIL] = SPF_R_FAIL,
	    [MLT_AUTH_SOFTFAIL] = SPF_R_SOFTFAIL,
	    [MLT_AUTH_NEUTRAL] = SPF_R_NEUTRAL,
	    [MLT_AUTH_TEMPERROR] = SPF_R_TEMPERROR,
	    [MLT_AUTH_PERMERROR] = SPF_R_PERMERROR,
	    [MLT_AUTH_POLICY] = SPF_R_NONE, [MLT_AUTH_ABSENT] = SPF_R_NONE,
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
	    m->mail_from, spam_given(&m->results, &given)};
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
		snprintf(text, sizeof(text), "Message rejected as spam (score "
		    "%.1f)", r.score);
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
		    m->macros.queue_id ? m->macros.queue_id : "NOQUEUE", err);
	rc = spam_plan(c, s, &r);
	sp_result_clear(&r);
	return rc < 0 ? mlt_fail(c, "cannot plan the X-Spam headers") :
	    MLT_CONTINUE;
}

const struct mlt_filter spam_filter = {
    .name = "spam",
    .wants_body = 1,
    .eom = spam_eom,
};
