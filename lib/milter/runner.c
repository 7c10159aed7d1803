/* lib/milter/runner.c - one phase over an array of filters; see runner.h.
 * No libmilter here: the glue translates, this decides. */
#include "runner.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#define RUN_DEFAULT_MAX_BODY ((size_t)64 << 20)
#define RUN_DEFAULT_MAX_HEADERS 1000
#define RUN_DEFAULT_MAX_RCPTS 1000

/* msg->done[i] */
enum { RUN_ACTIVE, RUN_RETIRED, RUN_SAW_EOM };

static size_t
run_lim(size_t v, size_t def)
{
	return v ? v : def;
}

struct mlt_conn *
mlt_conn_new(const struct mlt_chain *ch)
{
	struct mlt_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	mlt_pool_init(&c->pool, 0);
	c->nfilters = ch->n;
	c->priv = mlt_pool_alloc(&c->pool, (ch->n + 1) * sizeof(void *));
	c->done = mlt_pool_alloc(&c->pool, ch->n + 1);
	if (c->priv == NULL || c->done == NULL) {
		mlt_pool_free(&c->pool);
		free(c);
		return NULL;
	}
	return c;
}

static void
run_ctx(const struct mlt_chain *ch, struct mlt_conn *conn, size_t i,
	struct mlt_ctx *x)
{
	memset(x, 0, sizeof(*x));
	x->filter = ch->v[i].filter;
	x->cfg = ch->v[i].cfg;
	x->conn = conn;
	x->msg = conn->msg;
	x->conn_priv = &conn->priv[i];
	x->msg_priv = conn->msg ? &conn->msg->priv[i] : NULL;
}

void
mlt_msg_end(const struct mlt_chain *ch, struct mlt_conn *conn)
{
	struct mlt_msg *m = conn->msg;
	struct mlt_ctx x;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < ch->n; i++) {
		if (conn->done[i] || m->done[i] == RUN_SAW_EOM ||
		    ch->v[i].filter->abort == NULL)
			continue;
		run_ctx(ch, conn, i, &x);
		ch->v[i].filter->abort(&x);
	}
	mlt_plan_free(&m->plan);
	mlt_body_free(&m->body);
	free(m->headers);
	free(m->rcpts);
	mlt_pool_free(&m->pool);
	free(m);
	conn->msg = NULL;
}

void
mlt_conn_free(const struct mlt_chain *ch, struct mlt_conn **cp)
{
	struct mlt_conn *c = *cp;
	struct mlt_ctx x;
	size_t i;

	if (c == NULL)
		return;
	mlt_msg_end(ch, c);
	for (i = 0; i < ch->n; i++) {
		if (ch->v[i].filter->close == NULL)
			continue;
		run_ctx(ch, c, i, &x);
		ch->v[i].filter->close(&x);
	}
	mlt_pool_free(&c->pool);
	free(c);
	*cp = NULL;
}

int
mlt_msg_begin(const struct mlt_chain *ch, struct mlt_conn *conn)
{
	struct mlt_msg *m;

	mlt_msg_end(ch, conn);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -1;
	mlt_pool_init(&m->pool, ch->lim.max_pool);
	mlt_body_init(&m->body,
		      ch->lim.spool_threshold > 0 ? ch->lim.spool_dirfd : -1,
		      ch->lim.spool_threshold,
		      run_lim(ch->lim.max_body, RUN_DEFAULT_MAX_BODY));
	/* Room to delete every header (facteur-dkim removes each forged
	 * Authentication-Results, however many) plus the default's worth
	 * of other edits. */
	m->plan.max =
	    run_lim(ch->lim.max_headers, RUN_DEFAULT_MAX_HEADERS) + 256;
	m->priv = mlt_pool_alloc(&m->pool, (ch->n + 1) * sizeof(void *));
	m->done = mlt_pool_alloc(&m->pool, ch->n + 1);
	m->mail_from = "";
	if (m->priv == NULL || m->done == NULL) {
		mlt_pool_free(&m->pool);
		free(m);
		return -1;
	}
	conn->msg = m;
	return 0;
}

/* Room for one more than n elements of size sz in *v (capacity *cap),
 * doubling: one realloc per header field was 4% of facteur-milter's CPU.
 * The array may move, as it did before. 0, or -1 (ENOMEM). */
static int
run_grow(void **v, size_t *cap, size_t n, size_t sz)
{
	size_t want = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	if ((p = realloc(*v, want * sz)) == NULL)
		return -1;
	*v = p;
	*cap = want;
	return 0;
}

char *
mlt_strip_angle(struct mlt_pool *p, const char *a)
{
	size_t n = strlen(a);

	if (n >= 2 && a[0] == '<' && a[n - 1] == '>')
		return mlt_pool_strndup(p, a + 1, n - 2);
	return mlt_pool_strndup(p, a, n);
}

int
mlt_msg_set_from(struct mlt_conn *conn, const char *from)
{
	char *s;

	if (conn->msg == NULL ||
	    (s = mlt_strip_angle(&conn->msg->pool, from)) == NULL)
		return -1;
	conn->msg->mail_from = s;
	return 0;
}

int
mlt_msg_add_rcpt(const struct mlt_chain *ch, struct mlt_conn *conn,
		 const char *rcpt)
{
	struct mlt_msg *m = conn->msg;
	const char **v;
	char *s;

	if (m == NULL ||
	    m->nrcpts >= run_lim(ch->lim.max_rcpts, RUN_DEFAULT_MAX_RCPTS))
		return -1;
	if ((s = mlt_strip_angle(&m->pool, rcpt)) == NULL)
		return -1;
	if (run_grow((void **)&m->rcpts, &m->rcpts_cap, m->nrcpts,
		     sizeof(*v)) != 0)
		return -1;
	v = m->rcpts;
	v[m->nrcpts++] = s;
	return 0;
}

int
mlt_msg_add_header(const struct mlt_chain *ch, struct mlt_conn *conn,
		   const char *name, const char *value,
		   const struct mlt_header **hp)
{
	struct mlt_msg *m = conn->msg;
	struct mlt_header *v, h;
	size_t i;
	int c0;

	if (m == NULL || m->nheaders >= run_lim(ch->lim.max_headers,
						RUN_DEFAULT_MAX_HEADERS))
		return -1;
	h.name = mlt_pool_strdup(&m->pool, name);
	h.value = h.raw = mlt_pool_strdup(&m->pool, value);
	if (h.name == NULL || h.value == NULL)
		return -1;
	/* Filters see the value as without SMFIP_HDR_LEADSPC; the exact
	 * bytes stay in raw (DKIM's simple canonicalization needs them). */
	if (conn->leadspc)
		h.value += strspn(h.value, " \t\r\n");
	else
		h.raw = NULL;
	/* the index counts the earlier fields of this name: the first
	 * byte, case-folded, rules most out before strcasecmp */
	h.index = 1;
	c0 = tolower((unsigned char)name[0]);
	for (i = 0; i < m->nheaders; i++)
		if (tolower((unsigned char)m->headers[i].name[0]) == c0 &&
		    strcasecmp(m->headers[i].name, name) == 0)
			h.index++;
	if (run_grow((void **)&m->headers, &m->headers_cap, m->nheaders,
		     sizeof(*v)) != 0)
		return -1;
	v = m->headers;
	v[m->nheaders] = h;
	*hp = &v[m->nheaders++];
	return 0;
}

static int
run_active(const struct mlt_conn *conn, size_t i)
{
	if (conn->done[i])
		return 0;
	return conn->msg == NULL || conn->msg->done[i] == RUN_ACTIVE;
}

static enum mlt_verdict
run_call(const struct mlt_filter *f, struct mlt_ctx *x, enum mlt_phase ph,
	 const struct mlt_event *ev)
{
	switch (ph) {
	case MLT_PH_CONNECT:
		return f->connect ? f->connect(x) : MLT_CONTINUE;
	case MLT_PH_HELO:
		return f->helo ? f->helo(x, ev->str) : MLT_CONTINUE;
	case MLT_PH_ENVFROM:
		return f->envfrom ? f->envfrom(x, ev->str) : MLT_CONTINUE;
	case MLT_PH_ENVRCPT:
		return f->envrcpt ? f->envrcpt(x, ev->str) : MLT_CONTINUE;
	case MLT_PH_HEADER:
		return f->header ? f->header(x, ev->hdr) : MLT_CONTINUE;
	case MLT_PH_EOH:
		return f->eoh ? f->eoh(x) : MLT_CONTINUE;
	case MLT_PH_BODY:
		return f->body ? f->body(x, ev->p, ev->len) : MLT_CONTINUE;
	case MLT_PH_EOM:
		return f->eom ? f->eom(x) : MLT_CONTINUE;
	}
	return MLT_CONTINUE;
}

static void
run_retire(struct mlt_conn *conn, enum mlt_phase ph, size_t i)
{
	if (ph <= MLT_PH_HELO || conn->msg == NULL)
		conn->done[i] = 1;
	else if (conn->msg->done[i] != RUN_SAW_EOM)
		conn->msg->done[i] = RUN_RETIRED;
}

/* MLT_ERROR through on_error: TEMPFAIL (filled in out) or ACCEPT. */
static enum mlt_verdict
run_error(const struct mlt_chain *ch, const struct mlt_conn *conn, size_t i,
	  const char *why, struct mlt_outcome *out)
{
	const char *name = ch->v[i].filter->name;
	const char *qid = conn->msg && conn->msg->macros.queue_id
			      ? conn->msg->macros.queue_id
			      : "NOQUEUE";

	why = why ? why : "internal error";
	if (ch->v[i].on_error == MLT_ON_ERROR_ACCEPT) {
		log_warn("%s: %s: %s; on_error=accept, skipping it", qid, name,
			 why);
		return MLT_ACCEPT;
	}
	log_warn("%s: %s: %s; on_error=tempfail", qid, name, why);
	out->error = why;
	out->reply.set = 1;
	memcpy(out->reply.code, "451", 4);
	memcpy(out->reply.xcode, "4.3.0", 6);
	memcpy(out->reply.text, "Temporary local error, try again later",
	       sizeof("Temporary local error, try again later"));
	return MLT_TEMPFAIL;
}

/* Keeps a reply only if its class fits the verdict (5xx reject,
 * 4xx tempfail); otherwise the MTA's default text is better than a lie. */
static void
run_take_reply(enum mlt_verdict v, const struct mlt_reply *r,
	       struct mlt_outcome *out)
{
	if (!r->set || out->reply.set)
		return;
	if ((v == MLT_REJECT && r->code[0] == '5') ||
	    (v == MLT_TEMPFAIL && r->code[0] == '4'))
		out->reply = *r;
}

static int
run_all_retired(const struct mlt_chain *ch, const struct mlt_conn *conn)
{
	size_t i;

	for (i = 0; i < ch->n; i++)
		if (run_active(conn, i))
			return 0;
	return 1;
}

/* Stores a body chunk once for the filters that want it. */
static const char *
run_store_body(const struct mlt_chain *ch, struct mlt_conn *conn,
	       const struct mlt_event *ev)
{
	size_t i;

	conn->msg->body_size += ev->len;
	for (i = 0; i < ch->n; i++)
		if (run_active(conn, i) && ch->v[i].filter->wants_body)
			break;
	if (i == ch->n || mlt_body_add(&conn->msg->body, ev->p, ev->len) == 0)
		return NULL;
	return errno == EFBIG
		   ? "message body over max_body_size"
		   : "message body not kept (out of memory or spool_dir)";
}

static enum mlt_verdict
run_finish(const struct mlt_chain *ch, struct mlt_conn *conn, enum mlt_phase ph,
	   struct mlt_outcome *out)
{
	enum mlt_verdict v = out->verdict;
	int in_msg = ph >= MLT_PH_ENVFROM && ph < MLT_PH_EOM;

	/* at eom, CONTINUE already means accept, with the planned edits */
	if (v == MLT_CONTINUE && ph != MLT_PH_EOM && run_all_retired(ch, conn))
		v = MLT_ACCEPT;
	if (v == MLT_ACCEPT && in_msg && conn->msg->plan.n > 0)
		v = MLT_CONTINUE; /* the planned edits must reach eom */
	if (ph == MLT_PH_ENVRCPT && (v == MLT_REJECT || v == MLT_TEMPFAIL))
		conn->msg->nrcpts--; /* only this recipient is refused */
	else if (in_msg && v != MLT_CONTINUE)
		mlt_msg_end(ch, conn);
	out->verdict = v;
	return v;
}

enum mlt_verdict
mlt_run(const struct mlt_chain *ch, struct mlt_conn *conn, enum mlt_phase ph,
	const struct mlt_event *ev, struct mlt_outcome *out)
{
	const char *body_fail = NULL;
	enum mlt_verdict v;
	struct mlt_ctx x;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->verdict = MLT_CONTINUE;
	if (ph >= MLT_PH_ENVFROM && conn->msg == NULL) {
		/* cannot happen with a sane MTA; never accept blindly */
		out->verdict = MLT_TEMPFAIL;
		out->error = "message phase without a message";
		return MLT_TEMPFAIL;
	}
	if (ph == MLT_PH_BODY)
		body_fail = run_store_body(ch, conn, ev);
	for (i = 0; i < ch->n; i++) {
		const struct mlt_filter *f = ch->v[i].filter;
		if (!run_active(conn, i))
			continue;
		run_ctx(ch, conn, i, &x);
		if (ev->fail != NULL)
			v = mlt_fail(&x, ev->fail);
		else if (body_fail != NULL && f->wants_body)
			v = mlt_fail(&x, body_fail);
		else
			v = run_call(f, &x, ph, ev);
		if (ph == MLT_PH_EOM)
			conn->msg->done[i] = RUN_SAW_EOM;
		if (v == MLT_ERROR)
			v = run_error(ch, conn, i, x.error, out);
		if (v == MLT_ACCEPT) {
			run_retire(conn, ph, i);
			continue;
		}
		if (v != MLT_CONTINUE) {
			out->verdict = v;
			out->filter = f->name;
			run_take_reply(v, &x.reply, out);
			break;
		}
	}
	return run_finish(ch, conn, ph, out);
}
