/* milters/blacklist/module.c - facteur-blacklist's callbacks. At MAIL
 * FROM an authenticated ({auth_authen}) or internal_hosts client is
 * accepted at once; anyone else goes through blp_mail (tables, DNSBL,
 * SPF). At RCPT TO each recipient goes through blp_rcpt; HOLD is queued
 * as a quarantine on the plan (libmilter allows it only at eom). Every
 * decision is logged once, with the queue id and the matched entry.
 *
 * The database is opened per connection (a struct store is not
 * thread-safe; libmilter runs a connection in one thread at a time) and
 * read fresh at every lookup, so `facteur blacklist add` applies at
 * once. */
#include "blacklist.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "store_pool.h"

int
bl_check(void *base, char *err, size_t errlen)
{
	struct bl_settings *s = base;

	return blp_check(&s->pol, err, errlen);
}

int
bl_init(void *base, char *err, size_t errlen)
{
	struct bl_settings *s = base;
	struct store_errbuf serr = {{0}};
	struct store *st = NULL;
	char host[256];

	if (store_open(s->db.path, STORE_RO, s->db.busy_timeout, &st,
	    &serr) < 0) {
		snprintf(err, errlen, "database %s: %s", s->db.path, serr.msg);
		return -1;
	}
	store_free(&st);
	if (store_pool_new(s->db.path, s->db.busy_timeout, 0, &s->stores) <
	    0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (blp_init(&s->pol, 1, host, err, errlen) < 0)
		return -1;
	log_info("blacklist: %zu DNSBL zone(s), spf_reject=%s, %zu internal "
	    "net(s)", s->pol.nzones, s->pol.spf_reject == BLP_SPF_FAIL ?
	    "fail" : "none", s->pol.nnets);
	return 0;
}

void
bl_fini(void *base)
{
	struct bl_settings *s = base;

	blp_fini(&s->pol);
	store_pool_free(&s->stores);
}

static const char *
bl_qid(const struct mlt_ctx *c)
{
	const char *q = c->msg ? c->msg->macros.queue_id : NULL;

	return q && *q ? q : "NOQUEUE";
}

/* This connection's store, taken from the pool on first use (given back
 * at close); NULL (logged) if none can be opened. */
static struct store *
bl_store(struct mlt_ctx *c)
{
	const struct bl_settings *s = c->cfg;
	struct store_errbuf serr = {{0}};
	struct store *st = NULL;

	if (*c->conn_priv != NULL)
		return *c->conn_priv;
	if ((st = store_pool_get(s->stores, &serr)) == NULL) {
		log_warn("%s: blacklist: database %s: %s", bl_qid(c),
		    s->db.path, serr.msg);
		return NULL;
	}
	*c->conn_priv = st;
	return st;
}

/* Logs the decision: "QID: blacklist: REJECT from=<a> client=ip
 * [to=<r>]: MATCH", then the reply sent. */
static void
bl_log(struct mlt_ctx *c, const char *rcpt, const struct blp_outcome *o)
{
	char from[256], to[280], text[256];
	const char *f = c->msg->mail_from ? c->msg->mail_from : "";

	log_safe(f, strlen(f), from, sizeof(from));
	to[0] = '\0';
	if (rcpt != NULL) {
		memcpy(to, " to=<", 6);
		log_safe(rcpt, strlen(rcpt), to + 5, sizeof(to) - 7);
		memcpy(to + strlen(to), ">", 2);
	}
	if (o->notes[0] != '\0')
		log_warn("%s: blacklist: from=<%s> client=%s%s: %s", bl_qid(c),
		    from, c->conn->client_addr, to, o->notes);
	if (o->verdict == BLP_PASS) {
		log_debug("%s: blacklist: PASS from=<%s> client=%s%s",
		    bl_qid(c), from, c->conn->client_addr, to);
		return;
	}
	log_info("%s: blacklist: %s from=<%s> client=%s%s: %s", bl_qid(c),
	    blp_verdict_name(o->verdict), from, c->conn->client_addr, to,
	    o->match);
	if (o->verdict == BLP_REJECT) {
		log_safe(o->text, strlen(o->text), text, sizeof(text));
		log_info("%s: blacklist: reply %s %s %s", bl_qid(c), o->code,
		    o->xcode, text);
	}
}

/* REJECT with the outcome's reply (or the runner's default, logged, if
 * the stored text cannot go on the wire). */
static enum mlt_verdict
bl_reject(struct mlt_ctx *c, const struct blp_outcome *o)
{
	if (mlt_reply(c, o->code, o->xcode, o->text) != 0 &&
	    mlt_reply(c, o->code, o->xcode, "Access denied") != 0)
		log_warn("%s: blacklist: reply %s %s refused; MTA default",
		    bl_qid(c), o->code, o->xcode);
	return MLT_REJECT;
}

static enum mlt_verdict
bl_envfrom(struct mlt_ctx *c, const char *from)
{
	const struct bl_settings *s = c->cfg;
	const char *auth = c->msg->macros.auth_authen;
	const char *ip = c->conn->client_addr;
	struct store_errbuf serr = {{0}};
	struct blp_outcome o;
	struct store *st;

	if (auth != NULL && *auth != '\0') {
		log_info("%s: blacklist: ALLOW client=%s: authenticated",
		    bl_qid(c), ip);
		return MLT_ACCEPT;
	}
	if (blp_internal(&s->pol, ip)) {
		log_info("%s: blacklist: ALLOW client=%s: internal_hosts",
		    bl_qid(c), ip);
		return MLT_ACCEPT;
	}
	if ((st = bl_store(c)) == NULL)
		return mlt_fail(c, "cannot open the database");
	if (blp_mail(&s->pol, st, from, strcmp(ip, "local") == 0 ? NULL : ip,
	    c->conn->helo, &o, &serr) < 0) {
		log_warn("%s: blacklist: database: %s", bl_qid(c), serr.msg);
		return mlt_fail(c, "database lookup failed");
	}
	bl_log(c, NULL, &o);
	if (o.verdict == BLP_REJECT)
		return bl_reject(c, &o);
	if (o.verdict == BLP_ALLOW)
		return MLT_ACCEPT;
	if (o.dns_error && s->common.on_error == MLT_ON_ERROR_TEMPFAIL)
		return mlt_fail(c, "DNSBL/SPF lookup failed");
	return MLT_CONTINUE;
}

static enum mlt_verdict
bl_envrcpt(struct mlt_ctx *c, const char *rcpt)
{
	const struct bl_settings *s = c->cfg;
	struct store_errbuf serr = {{0}};
	struct blp_outcome o;
	struct store *st;
	char reason[700];

	if ((st = bl_store(c)) == NULL)
		return mlt_fail(c, "cannot open the database");
	if (blp_rcpt(&s->pol, st, rcpt, &o, &serr) < 0) {
		log_warn("%s: blacklist: database: %s", bl_qid(c), serr.msg);
		return mlt_fail(c, "database lookup failed");
	}
	bl_log(c, rcpt, &o);
	switch (o.verdict) {
	case BLP_REJECT:
		return bl_reject(c, &o);
	case BLP_DISCARD:
		return MLT_DISCARD;
	case BLP_HOLD:
		snprintf(reason, sizeof(reason), "facteur-blacklist: %.300s%s%.300s",
		    o.match, o.text[0] ? ": " : "", o.text);
		if (mlt_quarantine(c, reason) != 0)
			return mlt_fail(c, "cannot queue the hold");
		return MLT_CONTINUE;
	case BLP_PASS:
	case BLP_ALLOW:
		break;
	}
	return MLT_CONTINUE;
}

/* Past the envelope there is nothing left to check: retire (a queued
 * hold still reaches eom through the plan). */
static enum mlt_verdict
bl_eoh(struct mlt_ctx *c)
{
	(void)c;
	return MLT_ACCEPT;
}

static void
bl_close(struct mlt_ctx *c)
{
	const struct bl_settings *s = c->cfg;
	struct store *st = *c->conn_priv;

	store_pool_put(s->stores, &st);
	*c->conn_priv = NULL;
}

const struct mlt_filter bl_filter = {
    .name = "blacklist",
    .wants_body = 0,
    .envfrom = bl_envfrom,
    .envrcpt = bl_envrcpt,
    .eoh = bl_eoh,
    .close = bl_close,
};
