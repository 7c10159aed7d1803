/* lib/milter/glue.c - libmilter callbacks; see glue.h. Each one translates
 * libmilter's arguments, lets the runner decide, and maps the verdict to an
 * SMFIS_ value. The statics are the chain, set once before threads, and
 * the atomic counters of mlt_glue_drain(). */
#include "glue.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <libmilter/mfapi.h>

#include "buf.h"
#include "log.h"
#include "reply.h"
#include "seam.h"

static const struct mlt_chain *glue_chain;

/* The actions negotiate asks for (those the plan can apply). */
#define MLT_GLUE_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE)

static int
glue_smfis(enum mlt_verdict v)
{
	switch (v) {
	case MLT_ACCEPT:
		return SMFIS_ACCEPT;
	case MLT_REJECT:
		return SMFIS_REJECT;
	case MLT_DISCARD:
		return SMFIS_DISCARD;
	case MLT_TEMPFAIL:
	case MLT_ERROR:
		return SMFIS_TEMPFAIL;
	case MLT_CONTINUE:
		break;
	}
	return SMFIS_CONTINUE;
}

/* Sends the outcome's reply, %-escaped, and returns the SMFIS_ value. */
static int
glue_answer(const struct mlt_chain *ch, void *h, const struct mlt_outcome *o)
{
	struct buf text;

	if (o->reply.set &&
	    (o->verdict == MLT_REJECT || o->verdict == MLT_TEMPFAIL)) {
		buf_init(&text, 4 * MLT_REPLY_TEXT_MAX);
		if (mlt_reply_escape(o->reply.text, &text) == 0 &&
		    ch->seam->setreply(h, o->reply.code, o->reply.xcode,
				       buf_str(&text)) != 0)
			log_warn("cannot set reply %s %s", o->reply.code,
				 o->reply.xcode);
		buf_free(&text);
	}
	return glue_smfis(o->verdict);
}

static struct mlt_conn *
glue_conn(const struct mlt_chain *ch, void *h)
{
	return ch->seam->getpriv(h);
}

static const char *
glue_macro(const struct mlt_chain *ch, void *h, struct mlt_pool *p,
	   const char *name)
{
	const char *v = ch->seam->getsymval(h, name);

	return v ? mlt_pool_strdup(p, v) : NULL;
}

static const char *
glue_addr(struct mlt_pool *p, const struct sockaddr *sa)
{
	char s[INET6_ADDRSTRLEN];
	const void *a;

	if (sa == NULL)
		return "local";
	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return "local";
	if (inet_ntop(sa->sa_family, a, s, sizeof(s)) == NULL)
		return "unknown";
	return mlt_pool_strdup(p, s);
}

static struct mlt_conn *
glue_conn_new(const struct mlt_chain *ch, void *h)
{
	struct mlt_conn *c;

	if ((c = mlt_conn_new(ch)) == NULL) {
		log_err("connect: out of memory");
		return NULL;
	}
	c->threads_joined = ch->seam->threads_joined;
	if (ch->seam->setpriv(h, c) != 0) {
		mlt_conn_free(ch, &c);
		return NULL;
	}
	return c;
}

int
mlt_glue_negotiate(const struct mlt_chain *ch, void *h, unsigned long f0,
		   unsigned long f1, unsigned long *pf0, unsigned long *pf1,
		   unsigned long *pf2, unsigned long *pf3)
{
	struct mlt_conn *c = glue_conn(ch, h);

	if (c == NULL && (c = glue_conn_new(ch, h)) == NULL)
		return SMFIS_TEMPFAIL;
	c->leadspc = (f1 & SMFIP_HDR_LEADSPC) != 0;
	*pf0 = f0 & MLT_GLUE_ACTIONS;
	*pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NOUNKNOWN | SMFIP_NODATA);
	*pf2 = *pf3 = 0;
	return SMFIS_CONTINUE;
}

int
mlt_glue_connect(const struct mlt_chain *ch, void *h, const char *hostname,
		 const struct sockaddr *sa)
{
	struct mlt_event ev = {0};
	struct mlt_outcome o;
	struct mlt_conn *c = glue_conn(ch, h); /* from negotiate */

	if (c == NULL && (c = glue_conn_new(ch, h)) == NULL)
		return SMFIS_TEMPFAIL;
	c->client_name = mlt_pool_strdup(&c->pool, hostname ? hostname : "");
	c->client_addr = glue_addr(&c->pool, sa);
	c->daemon_name = glue_macro(ch, h, &c->pool, "{daemon_name}");
	c->myhostname = glue_macro(ch, h, &c->pool, "j");
	if (c->client_name == NULL || c->client_addr == NULL)
		ev.fail = "out of memory";
	mlt_run(ch, c, MLT_PH_CONNECT, &ev, &o);
	return glue_answer(ch, h, &o);
}

int
mlt_glue_helo(const struct mlt_chain *ch, void *h, const char *helo)
{
	struct mlt_conn *c = glue_conn(ch, h);
	struct mlt_event ev = {0};
	struct mlt_outcome o;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if ((c->helo = mlt_pool_strdup(&c->pool, helo ? helo : "")) == NULL)
		ev.fail = "out of memory";
	ev.str = c->helo ? c->helo : "";
	mlt_run(ch, c, MLT_PH_HELO, &ev, &o);
	return glue_answer(ch, h, &o);
}

static void
glue_msg_macros(const struct mlt_chain *ch, void *h, struct mlt_msg *m)
{
	struct mlt_macros *mm = &m->macros;

	if (mm->queue_id == NULL)
		mm->queue_id = glue_macro(ch, h, &m->pool, "i");
	if (mm->auth_authen == NULL)
		mm->auth_authen = glue_macro(ch, h, &m->pool, "{auth_authen}");
	if (mm->auth_type == NULL)
		mm->auth_type = glue_macro(ch, h, &m->pool, "{auth_type}");
	if (mm->daemon_name == NULL)
		mm->daemon_name = glue_macro(ch, h, &m->pool, "{daemon_name}");
	if (mm->myhostname == NULL)
		mm->myhostname = glue_macro(ch, h, &m->pool, "j");
}

int
mlt_glue_envfrom(const struct mlt_chain *ch, void *h, char **argv)
{
	struct mlt_conn *c = glue_conn(ch, h);
	struct mlt_event ev = {0};
	struct mlt_outcome o;

	if (c == NULL || mlt_msg_begin(ch, c) != 0)
		return SMFIS_TEMPFAIL;
	glue_msg_macros(ch, h, c->msg);
	if (mlt_msg_set_from(c, argv && argv[0] ? argv[0] : "") != 0)
		ev.fail = "out of memory";
	ev.str = c->msg->mail_from;
	mlt_run(ch, c, MLT_PH_ENVFROM, &ev, &o);
	return glue_answer(ch, h, &o);
}

int
mlt_glue_envrcpt(const struct mlt_chain *ch, void *h, char **argv)
{
	struct mlt_conn *c = glue_conn(ch, h);
	struct mlt_event ev = {0};
	struct mlt_outcome o;

	if (c == NULL || c->msg == NULL)
		return SMFIS_TEMPFAIL;
	if (mlt_msg_add_rcpt(ch, c, argv && argv[0] ? argv[0] : "") != 0) {
		/* not recorded: refuse just this recipient, temporarily */
		return SMFIS_TEMPFAIL;
	}
	ev.str = c->msg->rcpts[c->msg->nrcpts - 1];
	mlt_run(ch, c, MLT_PH_ENVRCPT, &ev, &o);
	return glue_answer(ch, h, &o);
}

int
mlt_glue_header(const struct mlt_chain *ch, void *h, const char *name,
		const char *value)
{
	struct mlt_conn *c = glue_conn(ch, h);
	struct mlt_event ev = {0};
	struct mlt_outcome o;

	if (c == NULL || c->msg == NULL)
		return SMFIS_TEMPFAIL;
	if (mlt_msg_add_header(ch, c, name ? name : "", value ? value : "",
			       &ev.hdr) != 0)
		ev.fail = "too many headers (or out of memory)";
	mlt_run(ch, c, MLT_PH_HEADER, &ev, &o);
	return glue_answer(ch, h, &o);
}

int
mlt_glue_eoh(const struct mlt_chain *ch, void *h)
{
	struct mlt_conn *c = glue_conn(ch, h);
	struct mlt_event ev = {0};
	struct mlt_outcome o;

	if (c == NULL || c->msg == NULL)
		return SMFIS_TEMPFAIL;
	glue_msg_macros(ch, h, c->msg);
	mlt_run(ch, c, MLT_PH_EOH, &ev, &o);
	return glue_answer(ch, h, &o);
}

int
mlt_glue_body(const struct mlt_chain *ch, void *h, const unsigned char *p,
	      size_t len)
{
	struct mlt_conn *c = glue_conn(ch, h);
	struct mlt_event ev = {0};
	struct mlt_outcome o;

	if (c == NULL || c->msg == NULL)
		return SMFIS_TEMPFAIL;
	ev.p = p;
	ev.len = len;
	mlt_run(ch, c, MLT_PH_BODY, &ev, &o);
	return glue_answer(ch, h, &o);
}

int
mlt_glue_eom(const struct mlt_chain *ch, void *h)
{
	struct mlt_conn *c = glue_conn(ch, h);
	struct mlt_event ev = {0};
	struct mlt_outcome o;
	const char *what = NULL;
	int r;

	if (c == NULL || c->msg == NULL)
		return SMFIS_TEMPFAIL;
	glue_msg_macros(ch, h, c->msg);
	mlt_run(ch, c, MLT_PH_EOM, &ev, &o);
	c->msg->plan.leadspc = c->leadspc;
	if ((o.verdict == MLT_CONTINUE || o.verdict == MLT_ACCEPT) &&
	    mlt_plan_apply(&c->msg->plan, ch->seam, h, &what) != 0) {
		/* a half-edited message must not be accepted */
		log_warn("%s: cannot apply header edit %s; tempfail",
			 c->msg->macros.queue_id ? c->msg->macros.queue_id
						 : "NOQUEUE",
			 what ? what : "?");
		memset(&o, 0, sizeof(o));
		o.verdict = MLT_TEMPFAIL;
	}
	r = glue_answer(ch, h, &o);
	mlt_msg_end(ch, c);
	return r;
}

int
mlt_glue_abort(const struct mlt_chain *ch, void *h)
{
	struct mlt_conn *c = glue_conn(ch, h);

	if (c != NULL)
		mlt_msg_end(ch, c);
	return SMFIS_CONTINUE;
}

int
mlt_glue_close(const struct mlt_chain *ch, void *h)
{
	struct mlt_conn *c = glue_conn(ch, h);

	if (c != NULL) {
		mlt_conn_free(ch, &c);
		(void)ch->seam->setpriv(h, NULL);
	}
	return SMFIS_CONTINUE;
}

/* The xxfi_ callbacks libmilter calls. Each translates to one mlt_glue_*
 * call between glue_enter() and glue_leave(), which count the callbacks
 * running, the connections and the connections inside a message, for
 * mlt_glue_drain(): libmilter's smfi_main() returns on SIGTERM without
 * waiting for its connection threads. */
static atomic_int glue_calls, glue_conns, glue_msgs, glue_stopping;

struct glue_mark {
	int conn, msg;
};

static void
glue_mark(SMFICTX *h, struct glue_mark *m)
{
	const struct mlt_conn *c = glue_conn(glue_chain, h);

	m->conn = c != NULL;
	m->msg = c != NULL && c->msg != NULL;
}

/* Returns 1 when this callback must not start anything (a stop is under
 * way and refuse is set): the caller answers tempfail. */
static int
glue_enter(SMFICTX *h, struct glue_mark *m, int refuse)
{
	atomic_fetch_add(&glue_calls, 1); /* before the load: see drain */
	glue_mark(h, m);
	return refuse && atomic_load(&glue_stopping);
}

static sfsistat
glue_leave(SMFICTX *h, const struct glue_mark *was, int r)
{
	struct glue_mark now;

	glue_mark(h, &now);
	atomic_fetch_add(&glue_conns, now.conn - was->conn);
	atomic_fetch_add(&glue_msgs, now.msg - was->msg);
	atomic_fetch_sub(&glue_calls, 1);
	return r;
}

int
mlt_glue_drain(long long wait_ms, size_t *msgs, size_t *conns)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	int calls;

	atomic_store(&glue_stopping, 1); /* before the loads: see enter */
	while ((calls = atomic_load(&glue_calls)) > 0 && wait_ms > 0) {
		nanosleep(&ts, NULL);
		wait_ms -= 20;
	}
	*msgs = (size_t)atomic_load(&glue_msgs);
	*conns = (size_t)atomic_load(&glue_conns);
	return calls;
}

static sfsistat
xx_negotiate(SMFICTX *h, unsigned long f0, unsigned long f1, unsigned long f2,
	     unsigned long f3, unsigned long *pf0, unsigned long *pf1,
	     unsigned long *pf2, unsigned long *pf3)
{
	struct glue_mark m;

	(void)f2;
	(void)f3;
	(void)glue_enter(h, &m, 0);
	return glue_leave(
	    h, &m,
	    mlt_glue_negotiate(glue_chain, h, f0, f1, pf0, pf1, pf2, pf3));
}

static sfsistat
xx_connect(SMFICTX *h, char *host, _SOCK_ADDR *sa)
{
	struct glue_mark m;

	if (glue_enter(h, &m, 1))
		return glue_leave(h, &m, SMFIS_TEMPFAIL);
	return glue_leave(h, &m, mlt_glue_connect(glue_chain, h, host, sa));
}

static sfsistat
xx_helo(SMFICTX *h, char *helo)
{
	struct glue_mark m;

	if (glue_enter(h, &m, 1))
		return glue_leave(h, &m, SMFIS_TEMPFAIL);
	return glue_leave(h, &m, mlt_glue_helo(glue_chain, h, helo));
}

static sfsistat
xx_envfrom(SMFICTX *h, char **argv)
{
	struct glue_mark m;

	/* stopping: no new message; one under way is finished */
	if (glue_enter(h, &m, 1))
		return glue_leave(h, &m, SMFIS_TEMPFAIL);
	return glue_leave(h, &m, mlt_glue_envfrom(glue_chain, h, argv));
}

static sfsistat
xx_envrcpt(SMFICTX *h, char **argv)
{
	struct glue_mark m;

	(void)glue_enter(h, &m, 0);
	return glue_leave(h, &m, mlt_glue_envrcpt(glue_chain, h, argv));
}

static sfsistat
xx_header(SMFICTX *h, char *name, char *value)
{
	struct glue_mark m;

	(void)glue_enter(h, &m, 0);
	return glue_leave(h, &m, mlt_glue_header(glue_chain, h, name, value));
}

static sfsistat
xx_eoh(SMFICTX *h)
{
	struct glue_mark m;

	(void)glue_enter(h, &m, 0);
	return glue_leave(h, &m, mlt_glue_eoh(glue_chain, h));
}

static sfsistat
xx_body(SMFICTX *h, unsigned char *p, size_t len)
{
	struct glue_mark m;

	(void)glue_enter(h, &m, 0);
	return glue_leave(h, &m, mlt_glue_body(glue_chain, h, p, len));
}

static sfsistat
xx_eom(SMFICTX *h)
{
	struct glue_mark m;

	(void)glue_enter(h, &m, 0);
	return glue_leave(h, &m, mlt_glue_eom(glue_chain, h));
}

static sfsistat
xx_abort(SMFICTX *h)
{
	struct glue_mark m;

	(void)glue_enter(h, &m, 0);
	return glue_leave(h, &m, mlt_glue_abort(glue_chain, h));
}

static sfsistat
xx_close(SMFICTX *h)
{
	struct glue_mark m;

	(void)glue_enter(h, &m, 0);
	return glue_leave(h, &m, mlt_glue_close(glue_chain, h));
}

void
mlt_glue_use(const struct mlt_chain *ch, const char *name, struct smfiDesc *d)
{
	glue_chain = ch;
	memset(d, 0, sizeof(*d));
	d->xxfi_name = (char *)name;
	d->xxfi_version = SMFI_VERSION;
	d->xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;
	d->xxfi_negotiate = xx_negotiate;
	d->xxfi_connect = xx_connect;
	d->xxfi_helo = xx_helo;
	d->xxfi_envfrom = xx_envfrom;
	d->xxfi_envrcpt = xx_envrcpt;
	d->xxfi_header = xx_header;
	d->xxfi_eoh = xx_eoh;
	d->xxfi_body = xx_body;
	d->xxfi_eom = xx_eom;
	d->xxfi_abort = xx_abort;
	d->xxfi_close = xx_close;
}
