/* bench/milter-load-run.c - milter-load's messages (read once, split the
 * way Postfix presents them), the MTA side of the milter protocol v6, and
 * the worker threads (one connection each). See milter-load.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "benchutil.h"
#include "milter-load.h"

/* libmilter's mfdef.h values, spelled out: the bench needs no libmilter */
#define SMFIP_NOCONNECT 0x1u
#define SMFIP_NOHELO 0x2u
#define SMFIP_NOMAIL 0x4u
#define SMFIP_NORCPT 0x8u
#define SMFIP_NOBODY 0x10u
#define SMFIP_NOHDRS 0x20u
#define SMFIP_NOEOH 0x40u
#define SMFIP_NR_HDR 0x80u
#define SMFIP_NODATA 0x200u
#define SMFIP_NR_CONN 0x1000u
#define SMFIP_NR_HELO 0x2000u
#define SMFIP_NR_MAIL 0x4000u
#define SMFIP_NR_RCPT 0x8000u
#define SMFIP_NR_DATA 0x10000u
#define SMFIP_NR_EOH 0x40000u
#define SMFIP_NR_BODY 0x80000u
#define SMFIP_HDR_LEADSPC 0x100000u
#define ML_OFFER_PROTO 0x1fffffu /* every step, up to HDR_LEADSPC */
#define ML_OFFER_ACTS 0x1ffu
#define ML_CHUNK 65535
#define ML_MAX_FILE (16u << 20)
#define ML_MAX_REPLY (1u << 24)

static void
ml_fail(const char *what, const char *detail)
{
	fprintf(stderr, "milter-load: %s: %s\n", what, detail);
	exit(1);
}

static char *
ml_strndup(const unsigned char *p, size_t n)
{
	char *s = ml_alloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void
ml_add_field(struct ml_msg *m, char *name, char *value)
{
	if (m->nf == m->fcap) {
		m->fcap = m->fcap ? m->fcap * 2 : 16;
		if ((m->f = realloc(m->f, m->fcap * sizeof(*m->f))) == NULL)
			ml_fail("load", "out of memory");
	}
	m->f[m->nf].name = name;
	m->f[m->nf++].value = value;
}

/* Header lines (an mbox "From " line skipped); a line that is neither a
 * field nor a continuation starts the body, as in Postfix's cleanup. */
static size_t
ml_parse_header(struct ml_msg *m, const unsigned char *p, size_t len)
{
	const unsigned char *nl, *colon, *e;
	size_t pos = 0, ll, nlen, step;
	struct ml_bytes v;
	char *nv;

	if (len >= 5 && memcmp(p, "From ", 5) == 0)
		pos = (nl = memchr(p, '\n', len)) ? (size_t)(nl - p) + 1 : len;
	while (pos < len) {
		nl = memchr(p + pos, '\n', len - pos);
		step = nl ? (size_t)(nl - (p + pos)) + 1 : len - pos;
		ll = nl ? step - 1 : step;
		if (ll > 0 && p[pos + ll - 1] == '\r')
			ll--;
		if (ll == 0)
			return pos + step;
		e = p + pos;
		if ((*e == ' ' || *e == '\t') && m->nf > 0) {
			memset(&v, 0, sizeof(v));
			ml_put(&v, m->f[m->nf - 1].value,
			       strlen(m->f[m->nf - 1].value));
			ml_put(&v, "\n", 1);
			ml_put(&v, e, ll);
			ml_put(&v, "", 1);
			free(m->f[m->nf - 1].value);
			m->f[m->nf - 1].value = (char *)v.p;
		} else if ((colon = memchr(e, ':', ll)) != NULL && colon > e) {
			nlen = (size_t)(colon - e);
			while (nlen > 0 &&
			       (e[nlen - 1] == ' ' || e[nlen - 1] == '\t'))
				nlen--;
			if (nlen == 0)
				return pos;
			nv =
			    ml_strndup(colon + 1, ll - (size_t)(colon - e) - 1);
			ml_add_field(m, ml_strndup(e, nlen), nv);
		} else
			return pos;
		pos += step;
	}
	return pos;
}

static void
ml_parse(const struct ml_opts *o, struct ml_msg *m, const unsigned char *p,
	 size_t len)
{
	struct ml_bytes b = {0};
	size_t pos = ml_parse_header(m, p, len), k, fi = m->nf;
	char *nv;

	for (k = 0; k < m->nf && o->from_field != NULL; k++)
		if (strcasecmp(m->f[k].name, "From") == 0) {
			fi = k;
			break;
		}
	if (o->from_field != NULL) {
		nv = ml_alloc(strlen(o->from_field) + 2);
		nv[0] = ' ';
		memcpy(nv + 1, o->from_field, strlen(o->from_field) + 1);
		if (fi < m->nf) {
			free(m->f[fi].value);
			m->f[fi].value = nv;
		} else
			ml_add_field(
			    m, ml_strndup((const unsigned char *)"From", 4),
			    nv);
	}
	ml_grow(&b, len - pos + 1);
	for (k = pos; k < len; k++) {
		if (p[k] == '\n' && (k == pos || p[k - 1] != '\r'))
			ml_put(&b, "\r", 1);
		ml_put(&b, p + k, 1);
	}
	m->body = b.p;
	m->blen = b.len;
}

static void
ml_load_file(struct ml_opts *o, const char *path)
{
	struct stat st;
	unsigned char *data;
	ssize_t r;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		ml_fail(path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > ML_MAX_FILE) {
		close(fd);
		return; /* not a message: skipped */
	}
	data = ml_alloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size &&
	       (r = read(fd, data + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	if (o->nmsgs == o->mcap) {
		o->mcap = o->mcap ? o->mcap * 2 : 64;
		if ((o->msgs = realloc(o->msgs, o->mcap * sizeof(*o->msgs))) ==
		    NULL)
			ml_fail("load", "out of memory");
	}
	memset(&o->msgs[o->nmsgs], 0, sizeof(o->msgs[0]));
	ml_parse(o, &o->msgs[o->nmsgs++], data, got);
	free(data);
}

static int
ml_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a directory in name order (replays are reproducible). */
static void
ml_load_dir(struct ml_opts *o, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, k;

	if (d == NULL)
		ml_fail(dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((names = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				ml_fail("load", "out of memory");
		}
		names[n++] = ml_strndup((const unsigned char *)de->d_name,
					strlen(de->d_name));
	}
	closedir(d);
	qsort(names, n, sizeof(*names), ml_cmp_str);
	for (k = 0; k < n; k++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     names[k]) < sizeof(path))
			ml_load_file(o, path);
		free(names[k]);
	}
	free(names);
}

void
ml_load(struct ml_opts *o, int n, char **paths)
{
	struct stat st;
	int k;

	for (k = 0; k < n; k++) {
		if (stat(paths[k], &st) < 0)
			ml_fail(paths[k], strerror(errno));
		if (S_ISDIR(st.st_mode))
			ml_load_dir(o, paths[k]);
		else
			ml_load_file(o, paths[k]);
	}
}

/* The SMFIC_HEADER packets; the value loses its leading blanks unless the
 * milter asked for SMFIP_HDR_LEADSPC, as Postfix does. */
void
ml_encode(struct ml_opts *o)
{
	struct ml_msg *m;
	const char *v;
	size_t i, k;

	for (i = 0; i < o->nmsgs; i++) {
		m = &o->msgs[i];
		m->hoff = ml_alloc((m->nf + 1) * sizeof(*m->hoff));
		for (k = 0; k < m->nf; k++) {
			m->hoff[k] = m->hdrs.len;
			v = m->f[k].value;
			if (!(o->pflags & SMFIP_HDR_LEADSPC))
				v += strspn(v, " \t");
			ml_packet(&m->hdrs, 'L', m->f[k].name,
				  strlen(m->f[k].name) + 1, v, strlen(v) + 1);
		}
		m->hoff[m->nf] = m->hdrs.len;
	}
}

static int
ml_flush(struct ml_worker *w)
{
	size_t off = 0;
	ssize_t r;

	while (off < w->out.len) {
		r = send(w->fd, w->out.p + off, w->out.len - off, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	w->out.len = 0;
	return 0;
}

/* Next reply: *cmd, its data in w->in at *d (valid until the next call). */
static int
ml_reply(struct ml_worker *w, char *cmd, const unsigned char **d, size_t *dlen)
{
	uint32_t n;
	ssize_t r;

	if (w->out.len > 0 && ml_flush(w) < 0)
		return -1;
	for (;;) {
		if (w->in.len - w->inpos >= 4) {
			memcpy(&n, w->in.p + w->inpos, 4);
			n = ntohl(n);
			if (n == 0 || n > ML_MAX_REPLY)
				return -1;
			if (w->in.len - w->inpos >= 4 + (size_t)n)
				break;
		}
		if (w->inpos > 0) {
			memmove(w->in.p, w->in.p + w->inpos,
				w->in.len - w->inpos);
			w->in.len -= w->inpos;
			w->inpos = 0;
		}
		ml_grow(&w->in, 65536);
		r = recv(w->fd, w->in.p + w->in.len, w->in.cap - w->in.len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		w->in.len += (size_t)r;
	}
	*cmd = (char)w->in.p[w->inpos + 4];
	*d = w->in.p + w->inpos + 5;
	*dlen = n - 1;
	w->inpos += 4 + (size_t)n;
	return 0;
}

static int
ml_optneg(struct ml_worker *w)
{
	uint32_t v[3] = {htonl(6), htonl(ML_OFFER_ACTS), htonl(ML_OFFER_PROTO)};
	const unsigned char *d;
	size_t n;
	char c;

	ml_packet(&w->out, 'O', v, sizeof(v), NULL, 0);
	if (ml_reply(w, &c, &d, &n) < 0 || c != 'O' || n < 12)
		return -1;
	memcpy(v, d, sizeof(v));
	w->o->aflags = ntohl(v[1]);
	w->o->pflags = ntohl(v[2]);
	return 0;
}

int
ml_probe(struct ml_opts *o)
{
	struct ml_worker w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.o = o;
	if ((w.fd = ml_dial(o)) < 0)
		return -1;
	rc = ml_optneg(&w);
	ml_packet(&w.out, 'Q', NULL, 0, NULL, 0);
	(void)ml_flush(&w);
	close(w.fd);
	free(w.out.p);
	free(w.in.p);
	return rc;
}

static enum ml_action
ml_final(char c, const unsigned char *d, size_t n)
{
	switch (c) {
	case 'c':
		return ML_CONTINUE;
	case 'a':
		return ML_ACCEPT;
	case 'r':
		return ML_REJECT;
	case 't':
		return ML_TEMPFAIL;
	case 'd':
		return ML_DISCARD;
	case 'y':
		return n > 0 && d[0] == '4' ? ML_REPLY4 : ML_REPLY5;
	default:
		return ML_ERROR;
	}
}

/* The reply to one step: -1 error, 0 continue (1 skip for a body chunk),
 * 2 the message is decided (*act). */
static int
ml_step(struct ml_worker *w, unsigned noreply, enum ml_action *act)
{
	const unsigned char *d;
	size_t n;
	char c;

	if (w->o->pflags & noreply)
		return 0;
	do {
		if (ml_reply(w, &c, &d, &n) < 0)
			return -1;
	} while (c == 'p');
	if (c == 'c')
		return 0;
	if (c == 's')
		return 1;
	*act = ml_final(c, d, n);
	return *act == ML_ERROR ? -1 : 2;
}

static void
ml_macros(struct ml_worker *w, char stage, const struct ml_bytes *b,
	  const char *qid)
{
	struct ml_bytes m = {0};

	if (b->len == 0 && qid == NULL)
		return;
	ml_put(&m, &stage, 1);
	ml_put(&m, b->p, b->len);
	if (qid != NULL) {
		ml_put(&m, "i", 2);
		ml_put(&m, qid, strlen(qid) + 1);
	}
	ml_packet(&w->out, 'D', m.p, m.len, NULL, 0);
	free(m.p);
}

/* OPTNEG, CONNECT and HELO. 0, 2 (the milter decided the connection:
 * *act), or -1. */
static int
ml_open(struct ml_worker *w, enum ml_action *act)
{
	const struct ml_opts *o = w->o;
	struct timeval tv = {60, 0};
	struct ml_bytes c = {0};
	unsigned short port = htons(4567);
	int rc = 0;

	if ((w->fd = ml_dial(o)) < 0)
		return -1;
	(void)setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	w->in.len = w->inpos = w->out.len = 0;
	if (ml_optneg(w) < 0)
		return -1;
	if (!(o->pflags & SMFIP_NOCONNECT)) {
		ml_macros(w, 'C', &o->conn_macros, NULL);
		ml_put(&c, "client.bench.example", 21);
		ml_put(&c, strchr(o->client_ip, ':') ? "6" : "4", 1);
		ml_put(&c, &port, 2);
		ml_put(&c, o->client_ip, strlen(o->client_ip) + 1);
		ml_packet(&w->out, 'C', c.p, c.len, NULL, 0);
		free(c.p);
		if ((rc = ml_step(w, SMFIP_NR_CONN, act)) != 0)
			return rc;
	}
	if (!(o->pflags & SMFIP_NOHELO)) {
		ml_packet(&w->out, 'H', o->helo, strlen(o->helo) + 1, NULL, 0);
		rc = ml_step(w, SMFIP_NR_HELO, act);
	}
	return rc;
}

static void
ml_close(struct ml_worker *w)
{
	if (w->fd < 0)
		return;
	ml_packet(&w->out, 'Q', NULL, 0, NULL, 0);
	(void)ml_flush(w);
	close(w->fd);
	w->fd = -1;
}

/* MAIL to RCPT and DATA; same return as ml_step. */
static int
ml_envelope(struct ml_worker *w, const char *qid, enum ml_action *act)
{
	const struct ml_opts *o = w->o;
	int rc;

	if (!(o->pflags & SMFIP_NOMAIL)) {
		ml_macros(w, 'M', &o->mail_macros, qid);
		ml_packet(&w->out, 'M', o->sender, strlen(o->sender) + 1, NULL,
			  0);
		if ((rc = ml_step(w, SMFIP_NR_MAIL, act)) != 0)
			return rc;
	}
	if (!(o->pflags & SMFIP_NORCPT)) {
		ml_packet(&w->out, 'R', o->rcpt, strlen(o->rcpt) + 1, NULL, 0);
		if ((rc = ml_step(w, SMFIP_NR_RCPT, act)) != 0)
			return rc;
	}
	if (!(o->pflags & SMFIP_NODATA)) {
		ml_packet(&w->out, 'T', NULL, 0, NULL, 0);
		if ((rc = ml_step(w, SMFIP_NR_DATA, act)) != 0)
			return rc;
	}
	return 0;
}

/* Headers, EOH, body chunks; same return as ml_step. */
static int
ml_content(struct ml_worker *w, const struct ml_msg *m, enum ml_action *act)
{
	const struct ml_opts *o = w->o;
	size_t k, off, n;
	int rc;

	if (!(o->pflags & SMFIP_NOHDRS)) {
		if (o->pflags & SMFIP_NR_HDR)
			ml_put(&w->out, m->hdrs.p, m->hdrs.len);
		else
			for (k = 0; k < m->nf; k++) {
				ml_put(&w->out, m->hdrs.p + m->hoff[k],
				       m->hoff[k + 1] - m->hoff[k]);
				if ((rc = ml_step(w, 0, act)) != 0)
					return rc;
			}
	}
	if (!(o->pflags & SMFIP_NOEOH)) {
		ml_packet(&w->out, 'N', NULL, 0, NULL, 0);
		if ((rc = ml_step(w, SMFIP_NR_EOH, act)) != 0)
			return rc;
	}
	if (o->pflags & SMFIP_NOBODY)
		return 0;
	for (off = 0; off < m->blen; off += n) {
		n = m->blen - off < ML_CHUNK ? m->blen - off : ML_CHUNK;
		ml_packet(&w->out, 'B', m->body + off, n, NULL, 0);
		if ((rc = ml_step(w, SMFIP_NR_BODY, act)) == 1)
			break; /* SMFIR_SKIP */
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void
ml_note_mod(struct ml_worker *w, char c, const unsigned char *d, size_t n)
{
	const char *g = w->o->grep;
	size_t gl = g ? strlen(g) : 0, k;

	w->mods++;
	if (g != NULL && gl > 0 && n >= gl)
		for (k = 0; k + gl <= n; k++)
			if (memcmp(d + k, g, gl) == 0) {
				w->grep++;
				break;
			}
	if (w->o->outdir != NULL && (c == 'i' || c == 'h')) {
		if (c == 'i' && n >= 4) {
			d += 4;
			n -= 4;
		}
		ml_put(&w->wr, d, n); /* name\0value\0 */
	}
}

static void ml_write(struct ml_worker *w, const struct ml_msg *m, long idx);

/* BODYEOB and its replies. */
static int
ml_eom(struct ml_worker *w, const char *qid, enum ml_action *act)
{
	const unsigned char *d;
	long before = w->grep;
	size_t n;
	char c;

	ml_macros(w, 'E', &(struct ml_bytes){0}, qid);
	ml_packet(&w->out, 'E', NULL, 0, NULL, 0);
	for (;;) {
		if (ml_reply(w, &c, &d, &n) < 0)
			return -1;
		if (strchr("hmib+-2eq", c) != NULL)
			ml_note_mod(w, c, d, n);
		else if (c != 'p')
			break;
	}
	if (w->grep > before)
		w->grep = before + 1; /* messages, not fields */
	*act = ml_final(c, d, n);
	return *act == ML_ERROR ? -1 : 0;
}

/* One message on the open connection. */
static enum ml_action
ml_message(struct ml_worker *w, const struct ml_msg *m, long idx)
{
	enum ml_action act = ML_CONTINUE;
	char qid[32];
	int rc;

	snprintf(qid, sizeof(qid), "B%dQ%ld", w->id, idx);
	w->wr.len = 0;
	if ((rc = ml_envelope(w, qid, &act)) == 0 &&
	    (rc = ml_content(w, m, &act)) == 0) {
		if (ml_eom(w, qid, &act) < 0)
			return ML_ERROR;
		if (w->o->outdir != NULL)
			ml_write(w, m, idx);
		return act;
	}
	if (rc < 0)
		return ML_ERROR;
	ml_packet(&w->out, 'A', NULL, 0, NULL, 0); /* decided early */
	return act;
}

static void
ml_put_field(struct ml_bytes *b, const char *name, const char *value)
{
	const char *v;

	ml_put(b, name, strlen(name));
	ml_put(b, ":", 1);
	if (*value != ' ' && *value != '\t')
		ml_put(b, " ", 1);
	for (v = value; *v != '\0'; v++) {
		if (*v == '\n' && (v == value || v[-1] != '\r'))
			ml_put(b, "\r", 1);
		ml_put(b, v, 1);
	}
	ml_put(b, "\r\n", 2);
}

/* -w: inserted fields on top (last inserted first, as index 0 inserts
 * do), then the message as sent. Added ('h') fields land on top too:
 * good enough for DKIM-Signature and Authentication-Results. */
static void
ml_write(struct ml_worker *w, const struct ml_msg *m, long idx)
{
	struct ml_bytes b = {0};
	const char **ins = NULL;
	size_t nins = 0, off, k;
	char path[4096];
	FILE *f;

	for (off = 0; off < w->wr.len; nins++) {
		ins = realloc(ins, (nins + 1) * 2 * sizeof(*ins));
		if (ins == NULL)
			ml_fail("write", "out of memory");
		ins[2 * nins] = (const char *)w->wr.p + off;
		off += strlen(ins[2 * nins]) + 1;
		ins[2 * nins + 1] = (const char *)w->wr.p + off;
		off += strlen(ins[2 * nins + 1]) + 1;
	}
	for (k = nins; k-- > 0;)
		ml_put_field(&b, ins[2 * k], ins[2 * k + 1]);
	for (k = 0; k < m->nf; k++)
		ml_put_field(&b, m->f[k].name, m->f[k].value);
	ml_put(&b, "\r\n", 2);
	ml_put(&b, m->body, m->blen);
	snprintf(path, sizeof(path), "%s/%05ld.eml", w->o->outdir, idx);
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(b.p, 1, b.len, f) != b.len || fclose(f) != 0)
		ml_fail(path, strerror(errno));
	free(ins);
	free(b.p);
}

static void
ml_record(struct ml_worker *w, double ms, enum ml_action a)
{
	if (w->nlat == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 1024;
		if ((w->lat = realloc(w->lat, w->cap * sizeof(*w->lat))) ==
		    NULL)
			ml_fail("record", "out of memory");
	}
	w->lat[w->nlat++] = ms;
	w->actions[a]++;
}

void *
ml_worker_run(void *arg)
{
	struct ml_worker *w = arg;
	struct ml_opts *o = w->o;
	enum ml_action act = ML_CONTINUE, conn_act;
	long idx;
	double t0;
	int rc, fails = 0;

	w->fd = -1;
	for (;;) {
		if (w->fd < 0) {
			rc = ml_open(w, &conn_act);
			if (rc < 0 && ++fails > 3)
				break; /* the milter is gone */
			if (rc != 0) {
				ml_close(w);
				if (rc < 0)
					continue;
			}
		}
		idx = atomic_fetch_add(&o->next, 1);
		if (idx >= o->count ||
		    (o->deadline > 0 && bench_now() > o->deadline))
			break;
		t0 = bench_now();
		act =
		    w->fd < 0
			? conn_act
			: ml_message(w, &o->msgs[(size_t)idx % o->nmsgs], idx);
		ml_record(w, (bench_now() - t0) * 1000.0, act);
		if (act == ML_ERROR) {
			close(w->fd);
			w->fd = -1;
		}
	}
	ml_close(w);
	free(w->out.p);
	free(w->in.p);
	free(w->wr.p);
	return NULL;
}
