/* milters/av/module.c - facteur-av's callbacks: the message is streamed
 * to clamd as it arrives (the header block at end of headers, then each
 * body chunk), and clamd's verdict at end of message goes through
 * av_decide. A SASL-authenticated client is accepted at MAIL FROM when
 * skip_authenticated is set. X-Virus-Status fields the message came with
 * are deleted (a sender must not tag its own mail "clean" for Sieve).
 * One log line per message, with the queue id. */
#include "av.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"

/* The header block as clamd reads it: bounded by the runner's header
 * limits; this is its own cap. */
#define AV_HEADER_BLOCK_MAX ((size_t)4 << 20)

static const char *
av_qid(const struct mlt_ctx *c)
{
	const char *q = c->msg ? c->msg->macros.queue_id : NULL;

	return q && *q ? q : "NOQUEUE";
}

static enum mlt_verdict
av_envfrom(struct mlt_ctx *c, const char *from)
{
	const struct av_settings *s = c->cfg;
	const char *auth = c->msg->macros.auth_authen;

	(void)from;
	if (s->skip_authenticated && auth != NULL && *auth != '\0') {
		log_info("%s: av: not scanned: authenticated client",
			 av_qid(c));
		return MLT_ACCEPT;
	}
	return MLT_CONTINUE;
}

/* Appends s with lone LFs as CRLF (a folded value arrives LF-joined). */
static int
av_add_crlf(struct buf *b, const char *s)
{
	char prev = '\0';

	for (; *s != '\0'; prev = *s++) {
		if (*s == '\n' && prev != '\r' && buf_add(b, "\r", 1) < 0)
			return -1;
		if (buf_add(b, s, 1) < 0)
			return -1;
	}
	return 0;
}

/* The received header block, "Name: value\r\n"... then "\r\n". */
static int
av_header_block(const struct mlt_ctx *c, struct buf *b)
{
	const struct mlt_msg *m = c->msg;
	const struct mlt_header *h;
	size_t k;

	for (k = 0; k < m->nheaders; k++) {
		h = &m->headers[k];
		if (buf_adds(b, h->name) < 0 ||
		    buf_adds(b, h->raw ? ":" : ": ") < 0 ||
		    av_add_crlf(b, h->raw ? h->raw : h->value) < 0 ||
		    buf_add(b, "\r\n", 2) < 0)
			return -1;
	}
	return buf_add(b, "\r\n", 2);
}

static enum mlt_verdict
av_eoh(struct mlt_ctx *c)
{
	const struct av_settings *s = c->cfg;
	struct av_scan *sc;
	struct buf b;

	sc = mlt_pool_alloc(&c->msg->pool, sizeof(*sc));
	if (sc == NULL)
		return mlt_fail(c, "out of memory");
	buf_init(&b, AV_HEADER_BLOCK_MAX);
	if (av_header_block(c, &b) != 0) {
		buf_free(&b);
		return mlt_fail(c, "header block too large");
	}
	av_scan_begin(sc, s);
	*c->msg_priv = sc;
	av_scan_feed(sc, s, b.data, b.len);
	buf_free(&b);
	return MLT_CONTINUE;
}

static enum mlt_verdict
av_body(struct mlt_ctx *c, const unsigned char *p, size_t len)
{
	struct av_scan *sc = *c->msg_priv;

	if (sc == NULL)
		return mlt_fail(c, "body before end of headers");
	av_scan_feed(sc, c->cfg, p, len);
	return MLT_CONTINUE;
}

static void
av_log(struct mlt_ctx *c, const struct av_result *r,
       const struct av_decision *d, const char *version)
{
	char why[256];

	log_safe(r->why, strlen(r->why), why, sizeof(why));
	switch (r->kind) {
	case AV_K_CLEAN:
		log_info("%s: av: clean size=%llu clamav=%s", av_qid(c),
			 r->size, version);
		break;
	case AV_K_INFECTED:
		log_info("%s: av: %s infected (%s) size=%llu", av_qid(c),
			 d->verdict == MLT_REJECT ? "REJECT"
			 : d->quarantine	  ? "HOLD"
						  : "TAG",
			 r->name, r->size);
		break;
	case AV_K_TOOBIG:
		log_info("%s: av: TAG not scanned (%s) size=%llu", av_qid(c),
			 why, r->size);
		break;
	case AV_K_FAILED:
		log_warn("%s: av: %s: %s", av_qid(c),
			 d->verdict == MLT_TEMPFAIL ? "TEMPFAIL"
						    : "TAG not scanned",
			 why);
		break;
	}
}

/* Queues the decision's header edits and hold. 0 or -1. */
static int
av_apply(struct mlt_ctx *c, const struct av_decision *d, const char *name)
{
	const struct mlt_msg *m = c->msg;
	char reason[AV_NAME_MAX + 32];
	size_t k;

	for (k = m->nheaders; k-- > 0;)
		if (strcasecmp(m->headers[k].name, "X-Virus-Status") == 0 &&
		    mlt_delete_header(c, m->headers[k].name,
				      m->headers[k].index) != 0)
			return -1;
	if (d->scanned[0] != '\0' &&
	    mlt_add_header(c, "X-Virus-Scanned", d->scanned) != 0)
		return -1;
	if (d->status[0] != '\0' &&
	    mlt_add_header(c, "X-Virus-Status", d->status) != 0)
		return -1;
	if (d->quarantine) {
		snprintf(reason, sizeof(reason), "facteur-av: %s", name);
		if (mlt_quarantine(c, reason) != 0)
			return -1;
	}
	return 0;
}

static enum mlt_verdict
av_eom(struct mlt_ctx *c)
{
	struct av_settings *s = c->cfg;
	struct av_scan *sc = *c->msg_priv;
	char version[AV_VERSION_MAX + 1];
	const char *id = s->authserv_id && *s->authserv_id ? s->authserv_id
			 : c->msg->macros.myhostname ? c->msg->macros.myhostname
			 : c->conn->myhostname	     ? c->conn->myhostname
						     : "localhost";
	struct av_decision d;
	struct av_result r;

	if (sc == NULL)
		return mlt_fail(c, "end of message before end of headers");
	av_scan_end(sc, &r);
	*c->msg_priv = NULL;
	if (r.kind == AV_K_CLEAN || r.kind == AV_K_INFECTED)
		av_version(s, version, sizeof(version));
	else
		snprintf(version, sizeof(version), "-");
	av_decide(&r, (enum av_action)s->action,
		  (enum mlt_on_error)s->common.on_error, version, id, &d);
	av_log(c, &r, &d, version);
	if (d.verdict == MLT_REJECT || d.verdict == MLT_TEMPFAIL) {
		if (mlt_reply(c, d.code, d.xcode, d.text) != 0)
			log_warn("%s: av: reply %s %s refused; MTA default",
				 av_qid(c), d.code, d.xcode);
		return d.verdict;
	}
	if (av_apply(c, &d, r.name) != 0)
		return mlt_fail(c, "cannot plan the header edits");
	return MLT_CONTINUE;
}

static void
av_abort(struct mlt_ctx *c)
{
	struct av_scan *sc = c->msg_priv ? *c->msg_priv : NULL;

	if (sc != NULL)
		av_scan_abort(sc);
	if (c->msg_priv)
		*c->msg_priv = NULL;
}

const struct mlt_filter av_filter = {
    .name = "av",
    .wants_body = 0,
    .envfrom = av_envfrom,
    .eoh = av_eoh,
    .body = av_body,
    .eom = av_eom,
    .abort = av_abort,
    .no_reply = MLT_NR_ENVFROM | MLT_NR_EOH | MLT_NR_BODY,
};
