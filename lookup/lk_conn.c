/* lookup/lk_conn.c - one client connection: the socketmap loop and the
 * policy delegation loop. Runs in a lib/server worker; reads and writes go
 * through srv_conn_read/write, which keep the deadlines (a request has
 * request_timeout from its first byte to its answer, an idle connection
 * idle_timeout). A loop tells the skeleton where requests end:
 * srv_conn_next() when the next request is already buffered,
 * srv_conn_idle() when nothing is. A connection takes a store from the
 * pool at its first request and gives it back when it closes (a store is
 * not thread-safe; a pooled one keeps its prepared statements).
 *
 * Bad input (a malformed netstring, an unknown map, a key too long) gets a
 * PERM reply and a log line; the connection stays open while the stream
 * can be resynchronised (an oversized netstring is skipped by its declared
 * length) and is closed otherwise. Nothing a client sends can stop the
 * daemon. */
#include "lk_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lk_policy.h"
#include "lk_reply.h"
#include "lk_request.h"
#include "log.h"
#include "netstring.h"
#include "server.h"
#include "store.h"
#include "store_pool.h"

/* Largest netstring we skip to resynchronise; past it we close. */
#define LK_SKIP_MAX ((size_t)16 << 20)

struct lk_conn {
	struct lk_service *svc;
	struct srv_conn *sc;
	unsigned char *in; /* read buffer */
	size_t cap, len, pos;
	struct buf out; /* replies not yet written */
	struct buf val;
	struct store *st;
};

/* Reads more into c->in after compacting; 1 read, 0 EOF, deadline (the
 * skeleton logged it), error, or a full buffer. */
static int
lk_conn_read(struct lk_conn *c)
{
	ssize_t n;

	if (c->pos > 0) {
		memmove(c->in, c->in + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->pos = 0;
	}
	if (c->len == c->cap)
		return 0;
	n = srv_conn_read(c->sc, c->in + c->len, c->cap - c->len);
	if (n <= 0)
		return 0; /* Postfix reconnects when it needs us */
	c->len += (size_t)n;
	return 1;
}

/* Writes the pending replies. 0 or -1. */
static int
lk_conn_flush(struct lk_conn *c)
{
	if (c->out.len > 0 &&
	    srv_conn_write(c->sc, c->out.data, c->out.len) < 0)
		return -1;
	buf_reset(&c->out);
	return 0;
}

/* A request was answered (its reply is in c->out): the next one's
 * deadline starts now if its bytes are already here. */
static void
lk_conn_answered(struct lk_conn *c)
{
	if (c->pos < c->len)
		srv_conn_next(c->sc);
}

/* Before waiting for more bytes: replies out; with nothing buffered the
 * connection is idle. 0 or -1. */
static int
lk_conn_wait(struct lk_conn *c)
{
	if (lk_conn_flush(c) < 0)
		return -1;
	if (c->pos == c->len)
		srv_conn_idle(c->sc);
	return lk_conn_read(c) ? 0 : -1;
}

static struct store *
lk_conn_store(struct lk_conn *c)
{
	struct store_errbuf e;

	if (c->st == NULL) {
		e.msg[0] = '\0';
		if ((c->st = store_pool_get(c->svc->pool, &e)) == NULL)
			log_err("database: %s", e.msg[0] ? e.msg : "error");
	}
	return c->st;
}

/* After a database error, a fresh handle next time (the file may have
 * been replaced, e.g. restored from a backup). */
static void
lk_conn_store_failed(struct lk_conn *c, const struct store_errbuf *e)
{
	log_err("database: %s", e->msg[0] ? e->msg : "error");
	store_free(&c->st);
}

static int
lk_conn_perm(struct lk_conn *c, const char *why, const unsigned char *p,
	     size_t n)
{
	char safe[128];

	log_warn("socketmap request refused: %s: \"%s\"", why,
		 log_safe(p, n, safe, sizeof(safe)));
	return lk_reply_socketmap(LK_PERM, why, strlen(why), &c->out);
}

/* One request payload p[0..n): appends its reply to c->out. */
static int
lk_conn_request(struct lk_conn *c, const unsigned char *p, size_t n)
{
	struct lk_limits lim = {(size_t)c->svc->cfg->max_key_len};
	struct lk_request r;
	struct store_errbuf e;
	enum lk_req_status rs;
	enum lk_status st;
	size_t eoff;
	char *key;

	rs = lk_request_parse(p, n, &lim, &r, &eoff);
	if (rs == LK_REQ_EEMPTY)
		return lk_reply_socketmap(LK_NOTFOUND, NULL, 0, &c->out);
	if (rs != LK_REQ_OK)
		return lk_conn_perm(c, lk_req_strerror(rs), p, n);
	if (lk_conn_store(c) == NULL)
		return lk_reply_socketmap(LK_TEMP, "database unavailable", 20,
					  &c->out);
	if ((key = strndup((const char *)p + r.key_off, r.key_len)) == NULL)
		return lk_reply_socketmap(LK_TEMP, "out of memory", 13,
					  &c->out);
	e.msg[0] = '\0';
	st = lk_map_query(c->st, &c->svc->qc, r.map, key, &c->val, &e);
	if (log_debug_enabled()) {
		char safe[128];
		log_debug("%s %s -> %s %s", lk_map_name(r.map),
			  log_safe(key, r.key_len, safe, sizeof(safe)),
			  lk_status_word(st), buf_str(&c->val));
	}
	free(key);
	if (st == LK_TEMP) {
		lk_conn_store_failed(c, &e);
		return lk_reply_socketmap(LK_TEMP, "database error", 14,
					  &c->out);
	}
	if (st == LK_PERM)
		return lk_conn_perm(c, e.msg[0] ? e.msg : "refused", p, n);
	if (lk_reply_socketmap(st, c->val.data, c->val.len, &c->out) == 0)
		return 0;
	buf_reset(&c->out); /* a value past socketmap_max_reply_size */
	return lk_conn_perm(c, "reply too long", p, n);
}

/* Skips an oversized netstring; 0 in sync again, -1 close. */
static int
lk_conn_skip(struct lk_conn *c)
{
	size_t declared, hdr, skip;

	if (lk_ns_peek_len(c->in + c->pos, c->len - c->pos, &declared, &hdr) !=
		1 ||
	    declared > LK_SKIP_MAX)
		return -1;
	c->pos += hdr;
	skip = declared + 1; /* payload and ',' */
	while (skip > 0) {
		size_t have = c->len - c->pos;
		size_t take = have < skip ? have : skip;

		if (take == have && take < skip) {
			c->pos = c->len;
			skip -= take;
			if (!lk_conn_read(c))
				return -1;
			continue;
		}
		c->pos += take;
		skip -= take;
	}
	return c->in[c->pos - 1] == ',' ? 0 : -1;
}

static void
lk_conn_free(struct lk_conn *c)
{
	store_pool_put(c->svc->pool, &c->st);
	free(c->in);
	buf_free(&c->out);
	buf_free(&c->val);
}

static int
lk_conn_init(struct lk_conn *c, struct lk_service *svc, struct srv_conn *sc,
	     size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->svc = svc;
	c->sc = sc;
	c->cap = cap;
	buf_init(&c->out, 0);
	buf_init(&c->val, LK_REPLY_MAX);
	return (c->in = malloc(cap)) == NULL ? -1 : 0;
}

void
lk_conn_socketmap(struct lk_service *svc, struct srv_conn *sc)
{
	size_t max = (size_t)svc->cfg->max_key_len + 32, off, plen, used, eo;
	struct lk_conn c;
	enum ns_status ns;

	if (lk_conn_init(&c, svc, sc, max + 16) < 0) {
		lk_conn_free(&c);
		return;
	}
	for (;;) {
		ns = ns_parse(c.in + c.pos, c.len - c.pos, max, &off, &plen,
			      &used, &eo);
		if (ns == NS_OK) {
			if (lk_conn_request(&c, c.in + c.pos + off, plen) < 0)
				break;
			c.pos += used;
			lk_conn_answered(&c);
			continue;
		}
		if (ns == NS_ELIMIT) {
			log_warn("socketmap request refused: netstring longer "
				 "than %zu bytes (max_key_len)",
				 max);
			(void)!lk_reply_socketmap(LK_PERM, "request too long",
						  16, &c.out);
			if (lk_conn_flush(&c) < 0 || lk_conn_skip(&c) < 0)
				break;
			lk_conn_answered(&c);
			continue;
		}
		if (ns == NS_ESYNTAX) {
			(void)!lk_conn_perm(&c, "malformed netstring",
					    c.in + c.pos, c.len - c.pos);
			break; /* no way to find the next request */
		}
		/* NS_INCOMPLETE: answer what we have, then wait. */
		if (lk_conn_wait(&c) < 0)
			break;
	}
	(void)!lk_conn_flush(&c);
	lk_conn_free(&c);
}

/* A request with a NUL byte (issue 10, finding 8): Postfix never sends
 * one, and looking up the text before it would answer for another
 * address. The request is framed, so the stream stays in step: answer
 * DEFER_IF_PERMIT (the mail waits unless a later restriction rejects it;
 * never a 5xx for what may be our peer's bug) and log what was wrong. */
static int
lk_conn_policy_nul(struct lk_conn *c, size_t nul_off)
{
	const unsigned char *req = c->in + c->pos, *nl;
	size_t line = nul_off, end;
	char safe[128];

	while (line > 0 && req[line - 1] != '\n')
		line--;
	nl = memchr(req + nul_off, '\n', c->len - c->pos - nul_off);
	end = nl ? (size_t)(nl - req) : nul_off + 1; /* framed: nl is there */
	log_warn("policy request refused: NUL byte at byte %zu, in the line "
		 "\"%s\": answered DEFER_IF_PERMIT",
		 nul_off, log_safe(req + line, end - line, safe, sizeof(safe)));
	return lk_reply_policy("DEFER_IF_PERMIT 4.3.0 malformed policy request",
			       &c->out);
}

void
lk_conn_policy(struct lk_service *svc, struct srv_conn *sc)
{
	struct lk_policy_limits lim = {65536, 256};
	struct lk_policy_req r;
	struct store_errbuf e;
	enum lk_pol_status ps;
	enum lk_status st;
	struct lk_conn c;
	size_t used, eo;
	char safe[128];

	if (lk_conn_init(&c, svc, sc, lim.max_request) < 0) {
		lk_conn_free(&c);
		return;
	}
	for (;;) {
		ps = lk_policy_parse(c.in + c.pos, c.len - c.pos, &lim, &r,
				     &used, &eo);
		if (ps == LK_POL_INCOMPLETE) {
			if (lk_conn_wait(&c) < 0)
				break;
			continue;
		}
		if (ps == LK_POL_ENUL) {
			if (lk_conn_policy_nul(&c, eo) < 0)
				break;
			c.pos += used;
			lk_conn_answered(&c);
			continue;
		}
		if (ps != LK_POL_OK) {
			log_warn("policy request refused: %s at byte %zu: "
				 "\"%s\"",
				 lk_pol_strerror(ps), eo,
				 log_safe(c.in + c.pos, c.len - c.pos, safe,
					  sizeof(safe)));
			break; /* Postfix reports the closed connection */
		}
		e.msg[0] = '\0';
		if (lk_conn_store(&c) == NULL)
			st = lk_reply_policy("451 4.3.0 temporary lookup "
					     "failure",
					     &c.out) < 0
				 ? LK_PERM
				 : LK_TEMP;
		else
			st = lk_policy_eval(c.st, &svc->qc, c.in + c.pos, &r,
					    &c.out, &e);
		if (st == LK_TEMP && c.st)
			lk_conn_store_failed(&c, &e);
		if (st == LK_PERM)
			break;
		c.pos += used;
		lk_conn_answered(&c);
	}
	(void)!lk_conn_flush(&c);
	lk_conn_free(&c);
}
