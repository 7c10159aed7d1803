/* milters/blacklist/module.c - facteur-blacklist's callbacks. At MAIL
 * FROM an authenticated ({auth_authen}) or internal_hosts client is
 * accepted at once; anyone else goes through blp_mail (tables, DNSBL,
 * SPF). At RCPT TO each recipient goes through blp_rcpt; HOLD is queued
 * as a quarantine on the plan (libmilter allows it only at eom). Every
 * decision is logged once, with the queue id and the matched entry.
 *
 * The envelope is normalised first (lib/addr_norm): Postfix hands a
 * milter the client's text, "<\"spammer\"@bad.example.>", and resolves
 * spammer@bad.example itself; every lookup and log line here uses the
 * address Postfix resolves. An address that cannot be read the way
 * Postfix reads it is refused (501), never looked up as raw text. A
 * domainless one (<postmaster>) gets @ myorigin, by default the MTA's j
 * macro: Postfix's myhostname and so its default myorigin.
 *
 * The database is opened per connection (a struct store is not
 * thread-safe; libmilter runs a connection in one thread at a time) and
 * read fresh at every lookup, so `facteur blacklist add` applies at
 * once. */
#include "blacklist.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr_norm.h"
#include "buf.h"
#include "log.h"
#include "native.h"
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

	if (store_open(s->db.path, STORE_RO, s->db.busy_timeout, &st, &serr) <
	    0) {
		snprintf(err, errlen, "database %s: %s", s->db.path, serr.msg);
		return -1;
	}
	store_free(&st);
	/* One idle store per connection slot: with the pool's default 16,
	 * more concurrent milter connections than that (Postfix opens one
	 * per SMTP session) reopened SQLite and prepared its statements
	 * again for most sessions: 5% of facteur-milter's CPU at 20. The
	 * pool only keeps what was once in use at the same time. */
	if (store_pool_new(s->db.path, s->db.busy_timeout, MLT_NATIVE_MAX_CONNS,
			   &s->stores) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (blp_init(&s->pol, 1, host, err, errlen) < 0)
		return -1;
	log_info("blacklist: %zu DNSBL zone(s), spf_reject=%s, %zu internal "
		 "net(s)",
		 s->pol.nzones,
		 s->pol.spf_reject == BLP_SPF_FAIL ? "fail" : "none",
		 s->pol.internal_hosts.n);
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
 * [to=<r>]: MATCH", then the reply sent. from and rcpt are the addresses
 * decided on; the client's spelling follows when it differs. */
static void
bl_log(struct mlt_ctx *c, const char *from, const char *rcpt, const char *raw,
       const struct blp_outcome *o)
{
	char sf[256], to[280], text[256], sr[300];

	log_safe(from, strlen(from), sf, sizeof(sf));
	to[0] = sr[0] = '\0';
	if (rcpt != NULL) {
		memcpy(to, " to=<", 6);
		log_safe(rcpt, strlen(rcpt), to + 5, sizeof(to) - 7);
		memcpy(to + strlen(to), ">", 2);
	}
	if (raw != NULL && strcmp(raw, rcpt ? rcpt : from) != 0) {
		memcpy(sr, " (sent as <", 12);
		log_safe(raw, strlen(raw), sr + 11, sizeof(sr) - 14);
		memcpy(sr + strlen(sr), ">)", 3);
	}
	if (o->notes[0] != '\0')
		log_warn("%s: blacklist: from=<%s> client=%s%s%s: %s",
			 bl_qid(c), sf, c->conn->client_addr, to, sr, o->notes);
	if (o->verdict == BLP_PASS) {
		log_debug("%s: blacklist: PASS from=<%s> client=%s%s%s",
			  bl_qid(c), sf, c->conn->client_addr, to, sr);
		return;
	}
	log_info("%s: blacklist: %s from=<%s> client=%s%s%s: %s", bl_qid(c),
		 blp_verdict_name(o->verdict), sf, c->conn->client_addr, to, sr,
		 o->match);
	if (o->verdict == BLP_REJECT) {
		log_safe(o->text, strlen(o->text), text, sizeof(text));
		log_info("%s: blacklist: reply %s %s %s", bl_qid(c), o->code,
			 o->xcode, text);
	}
}

/* The address Postfix resolves raw to (addr_norm.h) into out: "" for
 * the null sender, "local@" for a domainless one when there is neither
 * myorigin nor a j macro. 0, or -1 (logged) when raw cannot be read as
 * Postfix reads it. */
static int
bl_address(struct mlt_ctx *c, const char *what, const char *raw,
	   struct buf *out, struct addr_norm *n)
{
	static const struct addr_limits lim = {256, 255, 512, 1};
	const struct bl_settings *s = c->cfg;
	const char *origin = s->pol.myorigin && *s->pol.myorigin
				 ? s->pol.myorigin
				 : c->conn->myhostname;
	enum addr_status st;
	char safe[300];
	size_t off;

	st = addr_norm_path((const unsigned char *)raw, strlen(raw), &lim,
			    origin, out, n, &off);
	if (st == ADDR_OK &&
	    (n->has_domain || n->is_null || buf_addc(out, '@') == 0))
		return 0;
	log_safe(raw, strlen(raw), safe, sizeof(safe));
	log_info("%s: blacklist: REJECT %s=<%s> client=%s: %s at byte %zu",
		 bl_qid(c), what, safe, c->conn->client_addr, addr_strerror(st),
		 off);
	return -1;
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

/* 501 for an envelope address we cannot read as Postfix does. */
static enum mlt_verdict
bl_bad_address(struct mlt_ctx *c, const char *xcode, const char *text)
{
	if (mlt_reply(c, "501", xcode, text) != 0)
		log_warn("%s: blacklist: reply 501 %s refused; MTA default",
			 bl_qid(c), xcode);
	return MLT_REJECT;
}

/* MAIL FROM for the normalised sender (raw: for the log). */
static enum mlt_verdict
bl_mail(struct mlt_ctx *c, const char *from, const char *raw)
{
	const struct bl_settings *s = c->cfg;
	const char *ip = c->conn->client_addr;
	struct store_errbuf serr = {{0}};
	struct blp_outcome o;
	struct store *st;

	if ((st = bl_store(c)) == NULL)
		return mlt_fail(c, "cannot open the database");
	if (blp_mail(&s->pol, st, from, strcmp(ip, "local") == 0 ? NULL : ip,
		     c->conn->helo, &o, &serr) < 0) {
		log_warn("%s: blacklist: database: %s", bl_qid(c), serr.msg);
		return mlt_fail(c, "database lookup failed");
	}
	bl_log(c, from, NULL, raw, &o);
	if (o.verdict == BLP_REJECT)
		return bl_reject(c, &o);
	if (o.verdict == BLP_ALLOW)
		return MLT_ACCEPT;
	if (o.dns_error && s->common.on_error == MLT_ON_ERROR_TEMPFAIL)
		return mlt_fail(c, "DNSBL/SPF lookup failed");
	return MLT_CONTINUE;
}

static enum mlt_verdict
bl_envfrom(struct mlt_ctx *c, const char *from)
{
	const struct bl_settings *s = c->cfg;
	const char *auth = c->msg->macros.auth_authen;
	const char *ip = c->conn->client_addr;
	struct addr_norm n;
	struct buf a;
	enum mlt_verdict v;

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
	buf_init(&a, 1024);
	if (bl_address(c, "from", from, &a, &n) < 0) {
		buf_free(&a);
		return bl_bad_address(c, "5.1.7", "Bad sender address syntax");
	}
	v = bl_mail(c, buf_str(&a), from);
	buf_free(&a);
	return v;
}

static enum mlt_verdict
bl_rcpt(struct mlt_ctx *c, const char *rcpt, const char *from, const char *raw)
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
	bl_log(c, from, rcpt, raw, &o);
	switch (o.verdict) {
	case BLP_REJECT:
		return bl_reject(c, &o);
	case BLP_DISCARD:
		return MLT_DISCARD;
	case BLP_HOLD:
		snprintf(reason, sizeof(reason),
			 "facteur-blacklist: %.300s%s%.300s", o.match,
			 o.text[0] ? ": " : "", o.text);
		if (mlt_quarantine(c, reason) != 0)
			return mlt_fail(c, "cannot queue the hold");
		return MLT_CONTINUE;
	case BLP_PASS:
	case BLP_ALLOW:
		break;
	}
	return MLT_CONTINUE;
}

/* RFC 5321 4.5.1: the bare "postmaster" recipient must always be
 * accepted, and Postfix's smtpd_check_rcpt() never checks it. */
static int
bl_is_postmaster(const struct buf *a, const struct addr_norm *n)
{
	return n->domainless && n->local_len == 10 &&
	       strncasecmp(a->data, "postmaster", 10) == 0;
}

static enum mlt_verdict
bl_envrcpt(struct mlt_ctx *c, const char *rcpt)
{
	struct addr_norm n, nf;
	struct buf a, f;
	enum mlt_verdict v;

	buf_init(&a, 1024);
	buf_init(&f, 1024);
	if (bl_address(c, "to", rcpt, &a, &n) < 0) {
		buf_free(&a);
		return bl_bad_address(c, "5.1.3",
				      "Bad recipient address syntax");
	}
	if (bl_is_postmaster(&a, &n)) {
		log_info("%s: blacklist: ALLOW to=<%s>: postmaster (RFC 5321 "
			 "4.5.1)",
			 bl_qid(c), buf_str(&a));
		buf_free(&a);
		return MLT_CONTINUE;
	}
	/* The sender only names the log line: its raw text if unreadable. */
	if (bl_address(c, "from", c->msg->mail_from ? c->msg->mail_from : "",
		       &f, &nf) < 0)
		buf_reset(&f);
	v = bl_rcpt(c, buf_str(&a), buf_str(&f), rcpt);
	buf_free(&a);
	buf_free(&f);
	return v;
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
    /* eoh only retires (ACCEPT): the MTA need not wait for it when
     * another filter reads on (mlt_native_nr_flags) */
    .no_reply = MLT_NR_EOH,
};
