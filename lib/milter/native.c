/* lib/milter/native.c - one milter connection without libmilter; see
 * native.h. The packet codec is proto.c, the decisions are the glue's and
 * the runner's: this file reads, dispatches, defers and writes.
 * SMFIS_* values come from mfapi.h because the glue returns them; nothing
 * of libmilter is linked from here. */
#include "native.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <libmilter/mfapi.h>

#include "glue.h"
#include "log.h"
#include "native_int.h"
#include "proto.h"
#include "server.h"

/* Macro slots in libmilter's search order (smfi_getsymval). */
static const unsigned char nc_slot_cmd[NC_NSLOTS] = {
    MLT_C_CONNECT, MLT_C_HELO,	  MLT_C_MAIL, MLT_C_RCPT,
    MLT_C_DATA,	   MLT_C_BODYEOB, MLT_C_EOH,
};

#define NC_FIRST_MSG_SLOT 2
#define NC_IN_START 16384
#define NC_OUT_MAX ((size_t)16 << 20)
#define NC_MAX_ARGS 64

static int
nc_slot(unsigned char cmd)
{
	int i;

	for (i = 0; i < NC_NSLOTS; i++)
		if (nc_slot_cmd[i] == cmd)
			return i;
	return -1;
}

static void
nc_clear_macros(struct nconn *c, int from)
{
	int i;

	for (i = from; i < NC_NSLOTS; i++)
		c->mac[i].n = 0;
}

static int
nc_store_macros(struct nconn *c, const struct mlt_packet *pk)
{
	const unsigned char *pairs;
	unsigned char cmd;
	struct nc_macros *m;
	size_t plen;
	int i;

	if (mlt_proto_macro(pk, &cmd, &pairs, &plen) != MLT_PROTO_OK)
		return -1;
	if ((i = nc_slot(cmd)) < 0)
		return 0; /* a stage we never read macros at */
	m = &c->mac[i];
	m->n = 0;
	buf_reset(&m->b);
	if (buf_add(&m->b, pairs, plen) != 0 ||
	    mlt_proto_strings((const unsigned char *)m->b.data, plen, m->v,
			      NC_MAX_MACROS * 2, &m->n) != MLT_PROTO_OK) {
		m->n = 0;
		return -1;
	}
	m->n &= ~(size_t)1; /* a dangling name has no value */
	return 0;
}

/* "j" and "{j}" name the same macro, as in smfi_getsymval. */
static int
nc_name_eq(const char *have, const char *want)
{
	char a, b;

	if (strcmp(have, want) == 0)
		return 1;
	a = have[0] == '{' && have[1] && have[2] == '}' && !have[3]
		? have[1]
		: (have[0] && !have[1] ? have[0] : 0);
	b = want[0] == '{' && want[1] && want[2] == '}' && !want[3]
		? want[1]
		: (want[0] && !want[1] ? want[0] : 0);
	return a && a == b;
}

/* ---- the seam ---------------------------------------------------- */

static int
ns_edit(void *h, unsigned char cmd, long idx, const char *s1, const char *s2,
	uint32_t need)
{
	struct nconn *c = h;

	if (!(c->actions & need))
		return -1; /* the MTA did not grant it: like libmilter */
	return mlt_proto_put_strs(&c->out, cmd, idx, s1, s2);
}

static int
ns_addheader(void *h, const char *name, const char *value)
{
	return ns_edit(h, MLT_R_ADDHEADER, -1, name, value, MLT_F_ADDHDRS);
}

static int
ns_insheader(void *h, int pos, const char *name, const char *value)
{
	return ns_edit(h, MLT_R_INSHEADER, pos < 0 ? 0 : pos, name, value,
		       MLT_F_ADDHDRS);
}

static int
ns_chgheader(void *h, const char *name, int index, const char *value)
{
	if (index < 0)
		return -1;
	return ns_edit(h, MLT_R_CHGHEADER, index, name, value ? value : "",
		       MLT_F_CHGHDRS);
}

static int
ns_quarantine(void *h, const char *reason)
{
	if (reason == NULL || *reason == '\0')
		return -1;
	return ns_edit(h, MLT_R_QUARANTINE, -1, reason, NULL, MLT_F_QUARANTINE);
}

static int
ns_setreply(void *h, const char *code, const char *xcode, const char *text)
{
	struct nconn *c = h;

	if (code == NULL || (code[0] != '4' && code[0] != '5') ||
	    strlen(code) != 3)
		return -1;
	buf_reset(&c->reply);
	if (buf_adds(&c->reply, code) != 0 ||
	    (xcode && *xcode &&
	     (buf_addc(&c->reply, ' ') != 0 ||
	      buf_adds(&c->reply, xcode) != 0)) ||
	    (text && *text &&
	     (buf_addc(&c->reply, ' ') != 0 ||
	      buf_adds(&c->reply, text) != 0))) {
		buf_reset(&c->reply);
		return -1;
	}
	return 0;
}

static const char *
ns_getsymval(void *h, const char *name)
{
	struct nconn *c = h;
	size_t k;
	int i;

	for (i = 0; i < NC_NSLOTS; i++)
		for (k = 0; k + 1 < c->mac[i].n; k += 2)
			if (nc_name_eq(c->mac[i].v[k], name))
				return c->mac[i].v[k + 1];
	return NULL;
}

static int
ns_setpriv(void *h, void *priv)
{
	((struct nconn *)h)->priv = priv;
	return 0;
}

static void *
ns_getpriv(void *h)
{
	return ((struct nconn *)h)->priv;
}

const struct mlt_seam mlt_seam_native = {
    .addheader = ns_addheader,
    .insheader = ns_insheader,
    .chgheader = ns_chgheader,
    .setreply = ns_setreply,
    .getsymval = ns_getsymval,
    .setpriv = ns_setpriv,
    .getpriv = ns_getpriv,
    .quarantine = ns_quarantine,
    .threads_joined = 1,
};

/* ---- answers ----------------------------------------------------- */

uint32_t
mlt_native_nr_flags(const struct mlt_chain *ch)
{
	static const struct {
		unsigned bit;
		uint32_t flag;
	} map[] = {
	    {MLT_NR_CONNECT, MLT_P_NR_CONN}, {MLT_NR_HELO, MLT_P_NR_HELO},
	    {MLT_NR_ENVFROM, MLT_P_NR_MAIL}, {MLT_NR_ENVRCPT, MLT_P_NR_RCPT},
	    {MLT_NR_HEADER, MLT_P_NR_HDR},   {MLT_NR_EOH, MLT_P_NR_EOH},
	    {MLT_NR_BODY, MLT_P_NR_BODY},
	};
	uint32_t out = MLT_P_NR_DATA | MLT_P_NR_UNKN; /* no callbacks */
	unsigned quiet = ~0u;
	int after_eoh = 0;
	size_t i, k;

	for (i = 0; i < ch->n; i++) {
		const struct mlt_filter *f = ch->v[i].filter;
		unsigned has = (f->connect ? MLT_NR_CONNECT : 0) |
			       (f->helo ? MLT_NR_HELO : 0) |
			       (f->envfrom ? MLT_NR_ENVFROM : 0) |
			       (f->envrcpt ? MLT_NR_ENVRCPT : 0) |
			       (f->header ? MLT_NR_HEADER : 0) |
			       (f->eoh ? MLT_NR_EOH : 0) |
			       (f->body ? MLT_NR_BODY : 0);
		quiet &= ~(has & ~f->no_reply);
		after_eoh |= f->body != NULL || f->eom != NULL || f->wants_body;
	}
	/* A filter that only retires at EOH (facteur-blacklist) answers
	 * ACCEPT there: alone, that answer spares the MTA the body, so EOH
	 * waits; beside a filter that reads on, the MTA goes on anyway. */
	if (!after_eoh)
		quiet &= ~MLT_NR_EOH;
	for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
		if (quiet & map[k].bit)
			out |= map[k].flag;
	return out;
}

/* The packet that answers rc (an SMFIS_ value) into b, with the reply
 * set through the seam when its class fits, as libmilter sends it. */
static int
nc_verdict_packet(struct nconn *c, int rc, struct buf *b)
{
	const char *r = c->reply.len ? c->reply.data : NULL;
	unsigned char cmd;
	int ret;

	switch (rc) {
	case SMFIS_ACCEPT:
		cmd = MLT_R_ACCEPT;
		break;
	case SMFIS_REJECT:
		if (r && r[0] == '5')
			goto code;
		cmd = MLT_R_REJECT;
		break;
	case SMFIS_TEMPFAIL:
		if (r && r[0] == '4')
			goto code;
		cmd = MLT_R_TEMPFAIL;
		break;
	case SMFIS_DISCARD:
		cmd = MLT_R_DISCARD;
		break;
	default:
		cmd = MLT_R_CONTINUE;
		break;
	}
	buf_reset(&c->reply);
	return mlt_proto_put(b, cmd, NULL, 0);
code:
	ret = mlt_proto_put_strs(b, MLT_R_REPLYCODE, -1, r, NULL);
	buf_reset(&c->reply);
	return ret;
}

/* Answers a phase the glue ran: now if the MTA waits (nr == 0), else
 * remembered (see native.h). msg: a message phase; rcpt: envrcpt,
 * where a refusal is for that recipient only. */
static int
nc_answer(struct nconn *c, int rc, uint32_t nr, int msg, int rcpt)
{
	int replies = !(c->proto & nr);

	if (rc == SMFIS_CONTINUE || (!msg && rc == SMFIS_ACCEPT) ||
	    (rcpt && replies && (rc == SMFIS_REJECT || rc == SMFIS_TEMPFAIL))) {
		if (!replies) {
			buf_reset(&c->reply);
			return 0;
		}
		return nc_verdict_packet(c, rc, &c->out);
	}
	/* decided: the runner's message (if any) ends here */
	buf_reset(&c->pending);
	if (nc_verdict_packet(c, rc, &c->pending) != 0)
		return -1;
	if (msg) {
		c->skip_msg = 1;
		(void)mlt_glue_abort(c->ch, c);
	} else
		c->conn_refused = 1;
	if (replies)
		return buf_add(&c->out, c->pending.data, c->pending.len);
	return 0;
}

/* A phase while decided: the filters do not see it; the decision is
 * the answer when the MTA waits for one. */
static int
nc_replay(struct nconn *c, uint32_t nr)
{
	if (c->proto & nr)
		return 0;
	return buf_add(&c->out, c->pending.data, c->pending.len);
}

static int
nc_skipping(const struct nconn *c)
{
	return c->conn_refused || c->skip_msg;
}

/* The message is over (eom, abort), or a new MAIL starts one: at MAIL
 * its macros have just arrived and stay. */
static void
nc_msg_over(struct nconn *c, int clear_macros)
{
	c->skip_msg = 0;
	if (!c->conn_refused)
		buf_reset(&c->pending);
	if (clear_macros)
		nc_clear_macros(c, NC_FIRST_MSG_SLOT);
	c->in_msg = 0;
}

/* ---- commands ---------------------------------------------------- */

static int
nc_optneg(struct nconn *c, const struct mlt_packet *pk)
{
	struct mlt_proto_optneg o, r;
	unsigned long pf0, pf1, pf2, pf3;

	if (mlt_proto_optneg(pk, &o) != MLT_PROTO_OK || o.version < 2)
		return -1;
	if (mlt_glue_negotiate(c->ch, c, o.actions, o.protocol, &pf0, &pf1,
			       &pf2, &pf3) != SMFIS_CONTINUE)
		return -1;
	r.version =
	    o.version < MLT_PROTO_VERSION ? o.version : MLT_PROTO_VERSION;
	r.actions = (uint32_t)pf0;
	/* the glue's choices (LEADSPC, skipped steps) + no-reply phases */
	r.protocol = ((uint32_t)pf1 | mlt_native_nr_flags(c->ch)) & o.protocol;
	c->actions = r.actions;
	c->proto = r.protocol;
	c->leadspc = (r.protocol & MLT_P_HDR_LEADSPC) != 0;
	c->negotiated = 1;
	return mlt_proto_put_optneg(&c->out, &r);
}

/* CONNECT's address as the glue wants it: NULL for unix/unknown. */
static int
nc_sockaddr(const struct mlt_proto_connect *pc, struct sockaddr_storage *ss,
	    const struct sockaddr **sa)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;
	const char *a = pc->addr;

	*sa = NULL;
	memset(ss, 0, sizeof(*ss));
	if (pc->family == '4') {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(pc->port);
		if (inet_pton(AF_INET, a, &s4->sin_addr) != 1)
			return -1;
	} else if (pc->family == '6') {
		if (strncasecmp(a, "IPv6:", 5) == 0)
			a += 5;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(pc->port);
		if (inet_pton(AF_INET6, a, &s6->sin6_addr) != 1)
			return -1;
	} else
		return 0;
	*sa = (const struct sockaddr *)ss;
	return 0;
}

static int
nc_connect(struct nconn *c, const struct mlt_packet *pk)
{
	struct mlt_proto_connect pc;
	struct sockaddr_storage ss;
	const struct sockaddr *sa;
	struct mlt_conn *mc;
	int rc;

	if (mlt_proto_connect(pk, &pc) != MLT_PROTO_OK ||
	    nc_sockaddr(&pc, &ss, &sa) != 0)
		return -1;
	rc = mlt_glue_connect(c->ch, c, pc.host, sa);
	if ((mc = c->priv) != NULL)
		mc->leadspc = c->leadspc; /* a new one after QUIT_NC */
	return nc_answer(c, rc, MLT_P_NR_CONN, 0, 0);
}

/* MAIL and RCPT: argv[0] is the address, then ESMTP parameters. */
static int
nc_envelope(struct nconn *c, const struct mlt_packet *pk, int rcpt)
{
	const char *v[NC_MAX_ARGS + 1];
	uint32_t nr = rcpt ? MLT_P_NR_RCPT : MLT_P_NR_MAIL;
	size_t n;
	int rc;

	if (mlt_proto_strings(pk->data, pk->len, v, NC_MAX_ARGS, &n) !=
		MLT_PROTO_OK ||
	    n == 0)
		return -1;
	v[n] = NULL;
	if (!rcpt) {
		nc_msg_over(c, 0);
		c->in_msg = 1;
	}
	if (nc_skipping(c))
		return nc_replay(c, nr);
	rc = rcpt ? mlt_glue_envrcpt(c->ch, c, (char **)(void *)v)
		  : mlt_glue_envfrom(c->ch, c, (char **)(void *)v);
	return nc_answer(c, rc, nr, 1, rcpt);
}

static int
nc_header(struct nconn *c, const struct mlt_packet *pk)
{
	const char *name, *value;

	if (mlt_proto_header(pk, &name, &value) != MLT_PROTO_OK)
		return -1;
	if (nc_skipping(c))
		return nc_replay(c, MLT_P_NR_HDR);
	return nc_answer(c, mlt_glue_header(c->ch, c, name, value),
			 MLT_P_NR_HDR, 1, 0);
}

static int
nc_body(struct nconn *c, const struct mlt_packet *pk)
{
	if (nc_skipping(c))
		return nc_replay(c, MLT_P_NR_BODY);
	return nc_answer(c, mlt_glue_body(c->ch, c, pk->data, pk->len),
			 MLT_P_NR_BODY, 1, 0);
}

/* End of message: its edits and its answer leave in one write; edits
 * planned for a message that is refused are dropped. */
static int
nc_eom(struct nconn *c, const struct mlt_packet *pk)
{
	size_t mark = c->out.len;
	int rc = SMFIS_CONTINUE, r;

	if (!nc_skipping(c) && pk->len > 0) /* libmilter: a last chunk */
		rc = mlt_glue_body(c->ch, c, pk->data, pk->len);
	if (nc_skipping(c)) {
		r = buf_add(&c->out, c->pending.data, c->pending.len);
		nc_msg_over(c, 1);
		return r;
	}
	if (rc == SMFIS_CONTINUE)
		rc = mlt_glue_eom(c->ch, c);
	else
		(void)mlt_glue_abort(c->ch, c);
	if (rc != SMFIS_CONTINUE && rc != SMFIS_ACCEPT)
		c->out.len = mark;
	r = nc_verdict_packet(c, rc, &c->out);
	nc_msg_over(c, 1);
	return r;
}

/* Without a callback: DATA and UNKNOWN only answer. */
static int
nc_plain(struct nconn *c, uint32_t nr)
{
	if (nc_skipping(c))
		return nc_replay(c, nr);
	if (c->proto & nr)
		return 0;
	return mlt_proto_put(&c->out, MLT_R_CONTINUE, NULL, 0);
}

static void
nc_quit_nc(struct nconn *c)
{
	(void)mlt_glue_close(c->ch, c);
	c->priv = NULL;
	c->skip_msg = c->conn_refused = 0;
	buf_reset(&c->pending);
	nc_clear_macros(c, 0);
	c->in_msg = 0;
}

/* One packet. 0 go on, 1 the MTA quit, -1 protocol error. */
static int
nc_packet(struct nconn *c, const struct mlt_packet *pk)
{
	const char *v[1];
	size_t n;

	if (!c->negotiated && pk->cmd != MLT_C_OPTNEG)
		return -1;
	switch (pk->cmd) {
	case MLT_C_OPTNEG:
		return c->negotiated ? -1 : nc_optneg(c, pk);
	case MLT_C_MACRO:
		return nc_store_macros(c, pk);
	case MLT_C_CONNECT:
		return nc_connect(c, pk);
	case MLT_C_HELO:
		if (mlt_proto_strings(pk->data, pk->len, v, 1, &n) !=
			MLT_PROTO_OK ||
		    n != 1)
			return -1;
		if (nc_skipping(c))
			return nc_replay(c, MLT_P_NR_HELO);
		return nc_answer(c, mlt_glue_helo(c->ch, c, v[0]),
				 MLT_P_NR_HELO, 0, 0);
	case MLT_C_MAIL:
		return nc_envelope(c, pk, 0);
	case MLT_C_RCPT:
		return nc_envelope(c, pk, 1);
	case MLT_C_DATA:
		return nc_plain(c, MLT_P_NR_DATA);
	case MLT_C_UNKNOWN:
		return nc_plain(c, MLT_P_NR_UNKN);
	case MLT_C_HEADER:
		return nc_header(c, pk);
	case MLT_C_EOH:
		if (nc_skipping(c))
			return nc_replay(c, MLT_P_NR_EOH);
		return nc_answer(c, mlt_glue_eoh(c->ch, c), MLT_P_NR_EOH, 1, 0);
	case MLT_C_BODY:
		return nc_body(c, pk);
	case MLT_C_BODYEOB:
		return nc_eom(c, pk);
	case MLT_C_ABORT:
		(void)mlt_glue_abort(c->ch, c);
		nc_msg_over(c, 1);
		return 0;
	case MLT_C_QUIT:
		return 1;
	case MLT_C_QUIT_NC:
		nc_quit_nc(c);
		return 0;
	}
	return -1;
}

/* ---- the connection ---------------------------------------------- */

void
nc_init(struct nconn *c, const struct mlt_chain *ch, int fd,
	struct srv_conn *sc, long long timeout_ms)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->ch = ch;
	c->fd = sc != NULL ? srv_conn_fd(sc) : fd;
	c->sc = sc;
	c->timeout_ms = timeout_ms;
	buf_init(&c->in, MLT_PROTO_MAX_PACKET + 8);
	buf_init(&c->out, NC_OUT_MAX);
	buf_init(&c->reply, 4096);
	buf_init(&c->pending, 8192);
	for (i = 0; i < NC_NSLOTS; i++)
		buf_init(&c->mac[i].b, MLT_PROTO_MAX_PACKET);
}

/* Every buffer of c, in one order. */
static void
nc_bufs(struct nconn *c, struct buf *v[NC_NBUFS])
{
	int i;

	v[0] = &c->in;
	v[1] = &c->out;
	v[2] = &c->reply;
	v[3] = &c->pending;
	for (i = 0; i < NC_NSLOTS; i++)
		v[4 + i] = &c->mac[i].b;
}

/* Closes the glue's state; keep_max: buffers of at most that capacity
 * are kept empty for the next connection, larger ones freed. */
static void
nc_release(struct nconn *c, size_t keep_max)
{
	struct buf *v[NC_NBUFS];
	int i;

	if (c->priv != NULL)
		(void)mlt_glue_close(c->ch, c);
	c->priv = NULL;
	nc_bufs(c, v);
	for (i = 0; i < NC_NBUFS; i++) {
		if (v[i]->cap > keep_max)
			buf_free(v[i]);
		else
			buf_reset(v[i]);
	}
}

void
nc_free(struct nconn *c)
{
	nc_release(c, 0);
}

/* One big message pins nothing: a buffer past NC_KEEP_MAX goes. */
void
nc_recycle(struct nconn *c)
{
	nc_release(c, NC_KEEP_MAX);
}

void
nc_reinit(struct nconn *c, const struct mlt_chain *ch, int fd,
	  struct srv_conn *sc, long long timeout_ms)
{
	struct buf keep[NC_NBUFS], *v[NC_NBUFS];
	int i;

	nc_bufs(c, v);
	for (i = 0; i < NC_NBUFS; i++)
		keep[i] = *v[i];
	nc_init(c, ch, fd, sc, timeout_ms);
	for (i = 0; i < NC_NBUFS; i++) {
		*v[i] = keep[i];
		buf_reset(v[i]);
	}
}

/* Writes every answer gathered. On a server slot the write is bounded by
 * the message's deadline, given `timeout` from now: the filters' time at
 * end of message does not count against the MTA. 0, or -1 (logged). */
static int
nc_flush(struct nconn *c)
{
	size_t done = 0;
	ssize_t w;

	if (c->sc != NULL) {
		if (c->timeout_ms > 0)
			srv_conn_deadline(c->sc, c->timeout_ms);
		if (srv_conn_write(c->sc, c->out.data, c->out.len) != 0) {
			log_warn("milter connection: answer not written");
			return -1;
		}
		buf_reset(&c->out);
		return 0;
	}
	while (done < c->out.len) {
		w = write(c->fd, c->out.data + done, c->out.len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_warn("milter connection: write: %s",
				 w < 0 && errno == EAGAIN ? "timeout"
							  : strerror(errno));
			return -1;
		}
		done += (size_t)w;
	}
	buf_reset(&c->out);
	return 0;
}

/* Reads what the socket holds, with room for at least `need` unread
 * bytes. 1 data, 0 end of stream, -1 error (logged). */
static int
nc_fill(struct nconn *c, size_t need)
{
	size_t unread = c->in.len - c->off, room;
	ssize_t r;

	if (c->off > 0) {
		memmove(c->in.data, c->in.data + c->off, unread);
		c->in.len = unread;
		c->off = 0;
	}
	room = need > NC_IN_START ? need : NC_IN_START;
	if (room > unread && buf_reserve(&c->in, room - unread) != 0) {
		log_warn("milter connection: out of memory");
		return -1;
	}
	for (;;) {
		r = c->sc != NULL ? srv_conn_read(c->sc, c->in.data + c->in.len,
						  c->in.cap - 1 - c->in.len)
				  : read(c->fd, c->in.data + c->in.len,
					 c->in.cap - 1 - c->in.len);
		if (r > 0) {
			c->in.len += (size_t)r;
			/* inside a message the MTA may take `timeout` for
			 * each packet, as under libmilter: Postfix bounds
			 * its own client (smtpd_timeout), not the whole */
			if (c->sc != NULL && c->in_msg && c->timeout_ms > 0)
				srv_conn_deadline(c->sc, c->timeout_ms);
			return 1;
		}
		if (r == 0)
			return 0;
		if (c->sc != NULL)
			return -1; /* deadline or stop: the server logged */
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			log_warn("milter connection: no data from the MTA "
				 "for the timeout; closing");
		else if (errno != ECONNRESET)
			log_warn("milter connection: read: %s",
				 strerror(errno));
		return -1;
	}
}

static const char *
nc_status_text(enum mlt_proto_status st)
{
	return st == MLT_PROTO_ELIMIT ? "packet longer than the limit"
				      : "zero-length packet";
}

/* Between two reads on a server slot: outside a message the connection
 * is idle (it may be evicted, it ends at the stop), unless bytes of the
 * next packet are already buffered. */
static void
nc_between(struct nconn *c)
{
	if (c->sc == NULL || c->in_msg)
		return;
	if (c->off == c->in.len)
		srv_conn_idle(c->sc);
	else
		srv_conn_next(c->sc);
}

static void
nc_plain_timeout(struct nconn *c)
{
	struct timeval tv;

	if (c->sc != NULL || c->timeout_ms <= 0)
		return;
	tv.tv_sec = (time_t)(c->timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(c->timeout_ms % 1000) * 1000;
	(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void
nc_run(struct nconn *c)
{
	struct mlt_packet pk;
	enum mlt_proto_status st;
	size_t used;
	int r;

	nc_plain_timeout(c);
	if (buf_reserve(&c->in, NC_IN_START) != 0)
		return;
	for (;;) {
		while (
		    (st = mlt_proto_next((unsigned char *)c->in.data + c->off,
					 c->in.len - c->off, NULL, &pk,
					 &used)) == MLT_PROTO_OK) {
			c->off += used;
			if ((r = nc_packet(c, &pk)) != 0) {
				if (r < 0)
					log_warn("milter connection: bad or "
						 "unexpected command 0x%02x "
						 "(%zu bytes); closing",
						 pk.cmd, pk.len);
				else
					(void)nc_flush(c);
				return;
			}
		}
		if (st != MLT_PROTO_MORE) {
			log_warn("milter connection: %s; closing",
				 nc_status_text(st));
			return;
		}
		/* every packet the MTA sent before waiting is handled:
		 * all their answers go in one write */
		if (c->out.len > 0 && nc_flush(c) != 0)
			return;
		nc_between(c);
		if (nc_fill(c, used) <= 0)
			return;
	}
}

void
mlt_native_conn(const struct mlt_chain *ch, int fd, long long timeout_ms)
{
	struct nconn *c;

	if ((c = malloc(sizeof(*c))) == NULL) {
		log_err("milter connection: out of memory");
		close(fd);
		return;
	}
	nc_init(c, ch, fd, NULL, timeout_ms);
	nc_run(c);
	nc_free(c);
	close(fd);
	free(c);
}
