/* delivery/session.c - one LMTP connection (RFC 2033): the command loop,
 * recipient checks at RCPT, DATA, one reply per accepted recipient.
 *
 * Replies are buffered and written when the input runs dry, so a
 * pipelining client gets its replies in groups, as RFC 2920 intends;
 * after DATA, each recipient's reply is written as soon as its copy is
 * saved (lmtp_deliver_all), so that no crash can make the client retry
 * a recipient that already has the message.
 *
 * Requests, as lib/server counts them (server.h): each command line is
 * one, from its first byte to its reply (command_timeout); DATA's body
 * has data_timeout from the 354 to the final dot, and each recipient's
 * delivery after it data_timeout again (srv_conn_deadline). Between
 * commands the connection is idle (idle_timeout). A deadline, an idle
 * timeout or the server stopping is told with a 421 before the close.
 *
 * DATA's body stays in memory up to spool_threshold and then goes to an
 * unlinked temporary file (lmtp_spool.h): a connection holds at most
 * about that much of a message in RAM, whatever max_message_size is.
 *
 * SECURITY: the peer is Postfix (or whoever can reach the socket: its
 * mode and group decide). Every line is bounded (max_line_length), the
 * message by max_message_size; a recipient whose local part could name a
 * path ('/', control bytes) is refused before any lookup. Runs as the
 * mail user with a read-only database connection of its own. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "lmtp.h"
#include "lmtp_parse.h"
#include "lmtp_spool.h"
#include "log.h"
#include "maildir.h"
#include "maildir_name.h"
#include "server.h"
#include "sieve.h"
#include "store.h"
#include "store_pool.h"

#define LMTP_RBUF_MIN 65536 /* fewer reads for a large DATA */
#define LMTP_MAX_ERRORS 20

struct lmtp_sess {
	struct lmtp_server *srv;
	const struct lmtp_settings *cfg;
	struct srv_conn *sc;
	unsigned char *rbuf;
	size_t rcap, rpos, rlen;
	struct buf out;
	int eof;
	int in_data; /* reading DATA's body: inside a request */
	int partial; /* skipping a line too long: inside a request */
	int lhlo;
	int mail;
	char *sender;
	unsigned long long size_hint;
	struct lmtp_rcpt *rcpts;
	size_t nrcpt;
	struct store *st;
	int errors;
};

void
lmtp_rcpt_clear(struct lmtp_rcpt *r)
{
	free(r->address);
	free(r->user);
	free(r->detail);
	free(r->maildir);
	memset(r, 0, sizeof(*r));
}

static void
lmtp_reset(struct lmtp_sess *s)
{
	size_t i;

	for (i = 0; i < s->nrcpt; i++)
		lmtp_rcpt_clear(&s->rcpts[i]);
	s->nrcpt = 0;
	free(s->sender);
	s->sender = NULL;
	s->mail = 0;
	s->size_hint = 0;
}

static void lmtp_reply(struct lmtp_sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
lmtp_reply(struct lmtp_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(&s->out, fmt, ap) < 0 || buf_adds(&s->out, "\r\n") < 0)
		s->eof = 1; /* can not even answer: end the session */
	va_end(ap);
}

/* Writes the pending replies, bounded by the current request's deadline
 * (lib/server). 0, or -1 when the client can not be written to. */
static int
lmtp_flush(struct lmtp_sess *s)
{
	int rc = 0;

	if (s->out.len > 0 &&
	    srv_conn_write(s->sc, s->out.data, s->out.len) < 0) {
		s->eof = 1;
		rc = -1;
	}
	buf_reset(&s->out);
	return rc;
}

/* A read ended the session: the 421 the client is told, if any. */
static void
lmtp_read_failed(struct lmtp_sess *s, ssize_t rc, int idle)
{
	s->eof = 1;
	if (rc == SRV_IO_DEADLINE)
		lmtp_reply(s, "421 4.4.2 %s %s, closing", s->srv->host,
			   idle ? "Idle timeout" : "Timeout");
	else if (rc == SRV_IO_ERROR && srv_conn_stopping(s->sc))
		lmtp_reply(s, "421 4.3.2 %s Shutting down", s->srv->host);
	else
		return;
	(void)lmtp_flush(s);
}

/* Makes input available: flushes pending replies first (the client may
 * wait for them); with no byte of a next command read, the connection
 * is idle until one comes. 0, or -1 at EOF. */
static int
lmtp_fill(struct lmtp_sess *s)
{
	ssize_t r;
	int idle;

	if (s->rpos > 0 && s->rpos == s->rlen)
		s->rpos = s->rlen = 0;
	if (s->rpos > 0) {
		memmove(s->rbuf, s->rbuf + s->rpos, s->rlen - s->rpos);
		s->rlen -= s->rpos;
		s->rpos = 0;
	}
	if (lmtp_flush(s) < 0)
		return -1;
	idle = !s->in_data && !s->partial && s->rlen == 0;
	if (idle)
		srv_conn_idle(s->sc);
	r = srv_conn_read(s->sc, s->rbuf + s->rlen, s->rcap - s->rlen);
	if (r <= 0) {
		lmtp_read_failed(s, r, idle);
		return -1;
	}
	s->rlen += (size_t)r;
	return 0;
}

/* The next command line (without CRLF/LF) in *line, *len. 1 ok, 0 line
 * too long (skipped to its end), -1 EOF. */
static int
lmtp_line(struct lmtp_sess *s, const unsigned char **line, size_t *len)
{
	unsigned char *nl;
	int toolong = 0;

	for (;;) {
		nl = memchr(s->rbuf + s->rpos, '\n', s->rlen - s->rpos);
		if (nl != NULL)
			break;
		if (s->rpos == 0 && s->rlen == s->rcap) {
			toolong = 1; /* drop what we have, keep looking */
			s->rlen = 0;
		}
		s->partial = toolong;
		if (lmtp_fill(s) < 0)
			return -1;
	}
	s->partial = 0;
	*line = s->rbuf + s->rpos;
	*len = (size_t)(nl - *line);
	s->rpos = (size_t)(nl - s->rbuf) + 1;
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return toolong ? 0 : 1;
}

static void
lmtp_lhlo(struct lmtp_sess *s)
{
	lmtp_reset(s);
	s->lhlo = 1;
	lmtp_reply(s,
		   "250-%s\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
		   "250-8BITMIME\r\n250-SIZE %lld\r\n250 SMTPUTF8",
		   s->srv->host, s->cfg->max_message_size);
}

static void
lmtp_mail(struct lmtp_sess *s, const unsigned char *p,
	  const struct lmtp_cmdline *cl)
{
	struct buf a;

	if (!s->lhlo) {
		lmtp_reply(s, "503 5.5.1 Error: send LHLO first");
		return;
	}
	if (s->mail) {
		lmtp_reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	buf_init(&a, 1024);
	if (!cl->null_path && addr_canon(p, &cl->path, &a) < 0) {
		buf_free(&a);
		lmtp_reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	s->sender = cl->null_path ? strdup("") : buf_steal(&a);
	buf_free(&a);
	if (s->sender == NULL) {
		lmtp_reply(s, "451 4.3.0 Out of memory");
		return;
	}
	s->mail = 1;
	s->size_hint = cl->has_size ? cl->size : 0;
	lmtp_reply(s, "250 2.1.0 Ok");
}

/* The local part as a plain string: a quoted one is unquoted. NULL if it
 * holds anything that could name a path or confuse a log: '/', control
 * bytes, NUL. */
static char *
lmtp_local(const unsigned char *p, const struct addr_parts *pa)
{
	const unsigned char *l = p + pa->local_off;
	size_t n = pa->local_len, i, k = 0;
	char *out;

	if (pa->quoted) {
		l++;
		n -= 2;
	}
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = l[i];

		if (pa->quoted && c == '\\' && i + 1 < n)
			c = l[++i];
		if (c == '/' || c < 0x20 || c == 0x7f) {
			free(out);
			return NULL;
		}
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return out;
}

static int
lmtp_user_lookup(struct lmtp_sess *s, const char *address, struct store_user *u,
		 struct store_errbuf *e)
{
	int rc;

	if (s->st == NULL &&
	    (s->st = store_pool_get(s->srv->stores, e)) == NULL)
		return STORE_EDB;
	rc = store_user_get(s->st, address, u, e);
	if (rc == STORE_EDB)
		store_free(&s->st); /* not given back: reopen next time */
	return rc;
}

/* Quota at RCPT time (RFC 2033 leaves it open; Dovecot checks after
 * DATA and bounces, which makes backscatter). 0 ok, 1 over, -1 error. */
static int
lmtp_quota_rcpt(struct lmtp_sess *s, const struct lmtp_rcpt *r)
{
	struct quota_usage u;
	char err[256];
	int home, rc;

	if (r->lim.bytes <= 0 && r->lim.count <= 0)
		return 0;
	if (maildir_open_home(s->srv->rootfd, r->maildir, 0, &home, err,
			      sizeof(err)) < 0)
		return errno == ENOENT ? 0 : -1; /* no Maildir yet: empty */
	rc = quota_get(home, &r->lim, time(NULL), &u, err, sizeof(err));
	close(home);
	if (rc < 0) {
		log_warn("<%s>: quota: %s", r->address, err);
		return -1;
	}
	return quota_exceeded(&r->lim, &u, s->size_hint);
}

/* Fills r for the user of local@domain; replies and returns -1 when the
 * recipient is refused. */
static int
lmtp_rcpt_find(struct lmtp_sess *s, const char *local, const char *domain,
	       struct lmtp_rcpt *r)
{
	struct store_errbuf e = {""};
	struct store_user u = {0};
	size_t ulen, xoff, xlen;
	struct buf a;
	int has_ext, rc;

	buf_init(&a, 1024);
	if (buf_printf(&a, "%s@%s", local, domain) < 0)
		goto tmp;
	rc = lmtp_user_lookup(s, a.data, &u, &e);
	addr_split_ext((const unsigned char *)local, strlen(local),
		       s->cfg->recipient_delimiter, &ulen, &has_ext, &xoff,
		       &xlen);
	if (rc == STORE_NOTFOUND && has_ext) {
		buf_reset(&a);
		if (buf_printf(&a, "%.*s@%s", (int)ulen, local, domain) < 0 ||
		    (r->detail = strndup(local + xoff, xlen)) == NULL)
			goto tmp;
		rc = lmtp_user_lookup(s, a.data, &u, &e);
	}
	if (rc == STORE_EDB) {
		log_warn("<%s>: database: %s", r->address, e.msg);
		lmtp_reply(s, "451 4.3.0 <%s> Temporary lookup failure",
			   r->address);
		goto out;
	}
	if (rc == STORE_NOTFOUND) {
		lmtp_reply(s, "550 5.1.1 <%s> User doesn't exist", r->address);
		goto out;
	}
	if (!u.active || !u.domain_active) {
		lmtp_reply(s, "550 5.2.1 <%s> Mailbox disabled", r->address);
		goto out;
	}
	if (maildir_path_ok(u.maildir) < 0) {
		log_err(
		    "<%s>: refusing maildir \"%s\" from the database: not a "
		    "safe relative path",
		    r->address, u.maildir);
		lmtp_reply(s, "451 4.3.0 <%s> Mailbox unavailable", r->address);
		goto out;
	}
	r->user = u.address;
	r->maildir = u.maildir;
	u.address = u.maildir = NULL;
	r->lim.bytes = u.quota_bytes;
	r->lim.count = u.quota_messages;
	store_user_clear(&u);
	buf_free(&a);
	return 0;
tmp:
	lmtp_reply(s, "451 4.3.0 <%s> Out of memory", r->address);
out:
	store_user_clear(&u);
	buf_free(&a);
	return -1;
}

static void
lmtp_rcpt(struct lmtp_sess *s, const unsigned char *p,
	  const struct lmtp_cmdline *cl)
{
	struct lmtp_rcpt r = {0};
	char *local = NULL, *domain = NULL, safe[300];
	struct lmtp_rcpt *grown;
	int q;

	if (!s->mail) {
		lmtp_reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (s->nrcpt >= (size_t)s->cfg->max_recipients) {
		lmtp_reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	local = lmtp_local(p, &cl->path);
	if (local == NULL) {
		log_warn("refused recipient %s: unsafe local part",
			 log_safe(p + cl->path.local_off, cl->path.local_len,
				  safe, sizeof(safe)));
		lmtp_reply(s, "550 5.1.3 Invalid recipient address");
		goto out;
	}
	domain =
	    strndup((const char *)p + cl->path.domain_off, cl->path.domain_len);
	if (domain == NULL ||
	    asprintf(&r.address, "%s@%s", local, domain) < 0) {
		r.address = NULL;
		lmtp_reply(s, "451 4.3.0 Out of memory");
		goto out;
	}
	if (lmtp_rcpt_find(s, local, domain, &r) < 0)
		goto out;
	if ((q = lmtp_quota_rcpt(s, &r)) != 0) {
		if (q < 0)
			lmtp_reply(s, "451 4.3.0 <%s> Temporary failure",
				   r.address);
		else if (s->cfg->quota_tempfail)
			lmtp_reply(s, "452 4.2.2 <%s> Mailbox is full",
				   r.address);
		else
			lmtp_reply(s, "552 5.2.2 <%s> Mailbox is full",
				   r.address);
		goto out;
	}
	grown = realloc(s->rcpts, (s->nrcpt + 1) * sizeof(*grown));
	if (grown == NULL) {
		lmtp_reply(s, "451 4.3.0 Out of memory");
		goto out;
	}
	s->rcpts = grown;
	s->rcpts[s->nrcpt++] = r;
	memset(&r, 0, sizeof(r));
	lmtp_reply(s, "250 2.1.5 Ok");
out:
	lmtp_rcpt_clear(&r);
	free(local);
	free(domain);
}

/* Reads the message to its final dot into sp. 0 done, -1 the client
 * went away (nothing was written anywhere). */
static int
lmtp_data_read(struct lmtp_sess *s, struct lmtp_spool *sp, struct lmtp_data *d)
{
	size_t n;

	memset(d, 0, sizeof(*d));
	d->at_bol = 1;
	d->max_line = (size_t)s->cfg->max_data_line_length;
	d->max_size = (size_t)s->cfg->max_message_size;
	for (;;) {
		n = lmtp_data_feed(d, s->rbuf + s->rpos, s->rlen - s->rpos,
				   &sp->mem);
		s->rpos += n;
		lmtp_spool_settle(sp, d);
		if (d->done)
			return 0;
		if (lmtp_fill(s) < 0)
			return -1;
	}
}

/* 1 if the client has closed the connection (read side at EOF; pending
 * commands of a pipelining client are not consumed). */
static int
lmtp_peer_gone(const struct lmtp_sess *s)
{
	char c;
	ssize_t r;

	if (s->eof)
		return 1;
	do
		r = recv(srv_conn_fd(s->sc), &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* Saves the message for each recipient and sends that recipient's reply
 * at once. The client (Postfix) takes each reply as final as it reads
 * it and tries again only the recipients it got none for: so a crash
 * half way through costs no duplicate of the recipients already
 * answered, and once the client has gone, the recipients left are not
 * saved (it will try them again). */
static void
lmtp_flush_cb(void *arg)
{
	(void)lmtp_flush(arg);
}

static void
lmtp_deliver_all(struct lmtp_sess *s, const struct lmtp_msg *m)
{
	const struct lmtp_out out = {&s->out, lmtp_flush_cb, s};
	size_t i;

	for (i = 0; i < s->nrcpt; i++) {
		if (lmtp_peer_gone(s)) {
			log_info(
			    "client gone after %zu of %zu recipient(s): "
			    "<%s> and the rest not delivered (the client will "
			    "try again)",
			    i, s->nrcpt, s->rcpts[i].address);
			return;
		}
		/* Postfix waits lmtp_data_done_timeout (600 s) for each
		 * reply: each delivery has a bound of its own. */
		srv_conn_deadline(s->sc, s->cfg->data_timeout);
		lmtp_deliver(s->srv, m, &s->rcpts[i], &out);
	}
}

/* Each recipient's reply when the message can not be delivered at all. */
static void
lmtp_data_refuse(struct lmtp_sess *s, const struct lmtp_data *d, int err)
{
	size_t i;

	for (i = 0; i < s->nrcpt; i++) {
		const char *a = s->rcpts[i].address;

		if (d->too_big)
			lmtp_reply(s,
				   "552 5.3.4 <%s> Message too big (limit %lld"
				   " bytes)",
				   a, s->cfg->max_message_size);
		else if (d->too_long)
			lmtp_reply(s,
				   "552 5.3.4 <%s> Message line longer than "
				   "%lld bytes",
				   a, s->cfg->max_data_line_length);
		else if (err == ENOSPC || err == EDQUOT)
			lmtp_reply(s,
				   "452 4.3.1 <%s> Insufficient system "
				   "storage",
				   a);
		else
			lmtp_reply(s, "451 4.3.0 <%s> Temporary failure", a);
	}
}

/* The message as read: in memory, or spooled with its header section. */
static void
lmtp_data_msg(const struct lmtp_sess *s, const struct lmtp_spool *sp,
	      struct lmtp_msg *m)
{
	const struct buf *b = sp->fd >= 0 ? &sp->head : &sp->mem;

	m->sender = s->sender;
	m->data = b->data ? b->data : "";
	m->len = b->len;
	m->fd = sp->fd;
	m->size = sp->fd >= 0 ? sp->size : sp->mem.len;
	m->vsize = sp->vsize;
}

static void
lmtp_data(struct lmtp_sess *s)
{
	struct lmtp_msg m = {0};
	struct lmtp_spool sp;
	struct lmtp_data d;
	int rc;

	if (!s->mail) {
		lmtp_reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (s->nrcpt == 0) {
		lmtp_reply(s, "503 5.5.1 Error: no valid recipients");
		return;
	}
	lmtp_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	lmtp_spool_init(&sp, s->srv->spoolfd, (size_t)s->cfg->spool_threshold,
			(size_t)s->cfg->max_message_size + 1);
	/* The body is not a command: its own bound, from the 354 on. */
	srv_conn_deadline(s->sc, s->cfg->data_timeout);
	s->in_data = 1;
	rc = lmtp_data_read(s, &sp, &d);
	s->in_data = 0;
	if (rc < 0) {
		log_info("client disconnected during DATA from <%s>: nothing "
			 "delivered",
			 s->sender);
		lmtp_spool_free(&sp);
		return;
	}
	if (d.too_big || d.too_long)
		lmtp_data_refuse(s, &d, 0);
	else if (lmtp_spool_finish(&sp, &d) < 0) {
		log_err("spool: %s: message from <%s> not delivered",
			strerror(errno), s->sender);
		lmtp_data_refuse(s, &d, errno);
	} else {
		lmtp_data_msg(s, &sp, &m);
		if (lmtp_msg_headers(&m) < 0)
			lmtp_data_refuse(s, &d, ENOMEM);
		else
			lmtp_deliver_all(s, &m);
		lmtp_msg_clear(&m);
	}
	lmtp_spool_free(&sp);
	lmtp_reset(s);
}

/* One command line; 1 to go on, 0 after QUIT. */
static int
lmtp_command(struct lmtp_sess *s, const unsigned char *p, size_t len)
{
	struct lmtp_limits lim = {(size_t)s->cfg->max_line_length,
				  (unsigned long long)s->cfg->max_message_size};
	struct lmtp_cmdline cl;
	enum lmtp_status st;
	size_t off;

	st = lmtp_parse_line(p, len, &lim, &cl, &off);
	if (st != LMTP_OK) {
		s->errors++;
		switch (st) {
		case LMTP_ELONG:
		case LMTP_ENUL:
			lmtp_reply(s, "500 5.5.2 Error: %s", lmtp_strerror(st));
			break;
		case LMTP_EUNKNOWN:
			lmtp_reply(s,
				   "500 5.5.1 Error: command not recognized");
			break;
		case LMTP_EADDR:
			lmtp_reply(s, "501 %s Bad %s address syntax",
				   cl.cmd == LMTP_CMD_MAIL ? "5.1.7" : "5.1.3",
				   cl.cmd == LMTP_CMD_MAIL ? "sender"
							   : "recipient");
			break;
		case LMTP_EPARAM:
			lmtp_reply(s, "555 5.5.4 Unsupported option");
			break;
		case LMTP_ETOOBIG:
			lmtp_reply(s,
				   "552 5.3.4 Message size exceeds the limit "
				   "(%lld bytes)",
				   s->cfg->max_message_size);
			break;
		default:
			lmtp_reply(s, "501 5.5.4 Syntax error in parameters");
			break;
		}
		return 1;
	}
	switch (cl.cmd) {
	case LMTP_CMD_LHLO:
		lmtp_lhlo(s);
		break;
	case LMTP_CMD_HELO:
		lmtp_reply(s, "500 5.5.1 Error: this is LMTP, use LHLO");
		break;
	case LMTP_CMD_MAIL:
		lmtp_mail(s, p, &cl);
		break;
	case LMTP_CMD_RCPT:
		lmtp_rcpt(s, p, &cl);
		break;
	case LMTP_CMD_DATA:
		lmtp_data(s);
		break;
	case LMTP_CMD_BDAT:
		lmtp_reply(s, "502 5.5.1 Error: CHUNKING not offered");
		break;
	case LMTP_CMD_RSET:
		lmtp_reset(s);
		lmtp_reply(s, "250 2.0.0 Ok");
		break;
	case LMTP_CMD_NOOP:
		lmtp_reply(s, "250 2.0.0 Ok");
		break;
	case LMTP_CMD_VRFY:
		lmtp_reply(s, "252 2.3.3 Try RCPT instead");
		break;
	case LMTP_CMD_QUIT:
		lmtp_reply(s, "221 2.0.0 Bye");
		return 0;
	default:
		lmtp_reply(s, "500 5.5.1 Error: command not recognized");
		break;
	}
	return 1;
}

void
lmtp_session_run(struct lmtp_server *srv, struct srv_conn *sc)
{
	struct lmtp_sess s;
	const unsigned char *line;
	size_t len;
	int rc;

	memset(&s, 0, sizeof(s));
	s.srv = srv;
	s.cfg = srv->cfg;
	s.sc = sc;
	s.rcap = (size_t)srv->cfg->max_line_length + 2;
	if (s.rcap < LMTP_RBUF_MIN)
		s.rcap = LMTP_RBUF_MIN;
	buf_init(&s.out, 0);
	if ((s.rbuf = malloc(s.rcap)) == NULL)
		return;
	lmtp_reply(&s, "220 %s LMTP facteur-lmtp ready", srv->host);
	while (!s.eof) {
		rc = lmtp_line(&s, &line, &len);
		if (rc < 0)
			break;
		if (rc == 0) {
			lmtp_reply(&s, "500 5.5.2 Error: line too long");
			s.errors++;
		} else if (lmtp_command(&s, line, len) == 0)
			break;
		if (s.errors >= LMTP_MAX_ERRORS) {
			lmtp_reply(&s, "421 4.7.0 %s Too many errors",
				   srv->host);
			break;
		}
		/* The command is answered (its reply may wait for the
		 * rest of a pipelined group): the next one, already here,
		 * starts its own deadline; else lmtp_fill goes idle. */
		if (s.rpos < s.rlen)
			srv_conn_next(sc);
	}
	(void)lmtp_flush(&s);
	lmtp_reset(&s);
	free(s.rcpts);
	free(s.rbuf);
	buf_free(&s.out);
	store_pool_put(srv->stores, &s.st); /* the next session's */
}
