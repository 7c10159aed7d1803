/* admin/explain.c - facteur explain FILE: runs one message offline through
 * the filter modules facteur-milter runs (blacklist, scrub, dkim, spam,
 * or [milter] modules), with facteur.conf's settings, and prints every
 * decision: each SMTP phase's verdict and reply, the module that decided,
 * the header edits (Authentication-Results, X-Spam-*: the rules hit with
 * their scores), then what explain_why.c adds (the DNS answers, the
 * blacklist rows, each recipient's Sieve folder).
 *
 * The verdicts cannot drift from the milters': the modules are the
 * daemons' own module.c files and milters/chain's chain.c, compiled in,
 * driven by lib/milter's glue (mlt_glue_*: the code libmilter calls in
 * the daemons) over a seam that records instead of answering an MTA.
 * Two things differ on purpose: Bayes auto-learn is off (explain never
 * writes the token file) and X-Spam-Report is on (the rules and scores).
 *
 * SECURITY: run by root or the mail admin: reads facteur.conf, the
 * database (read-only stores), the DKIM keys (as the daemons do at
 * startup) and the spam rules; asks DNS through [dkim]/[blacklist]
 * resolver like the daemons. The message is untrusted input, parsed by
 * the modules' own code; what is printed passes through out_clean. */
#include "explain.h"
#include "admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "glue.h"
#include "log.h"
#include "seam.h"

#define XP_MAX_MSG ((size_t)64 << 20)
#define XP_MAX_RCPTS 100
#define XP_MAX_HEADERS 1000

static const char explain_usage[] =
    "usage: facteur explain FILE [--from-ip IP] [--helo NAME]\n"
    "                       [--mail-from ADDR] [--rcpt ADDR[,ADDR...]]\n"
    "                       [--submission USER] [--json]\n"
    "\n"
    "Runs the message in FILE offline through the filter modules of\n"
    "facteur-milter ([milter] modules: blacklist, scrub, dkim, spam) with\n"
    "facteur.conf's settings, as if a client at IP had sent it (or USER\n"
    "had submitted it with SMTP AUTH), and prints each decision and why:\n"
    "the verdict and reply of each SMTP phase, the module that decided,\n"
    "the headers added (Authentication-Results, X-Spam-*: the rules hit\n"
    "and their scores), the DNS records behind DKIM, SPF and DMARC, the\n"
    "blacklist rows that match, and the folder each recipient's Sieve\n"
    "script files it into. Bayes is read, never written. The envelope\n"
    "defaults to the message's Return-Path (else From) and To.\n";

/* ---- the recording seam ---- */

struct xp_op {
	char kind; /* 'a' add, 'i' insert, 'c' change, 'd' delete, 'r'
		      reply, 'q' quarantine */
	char *name, *value;
	int index;
};

/* The edits of r for xp_why, into e (at most n). */
static size_t
xp_rec_edits(const struct xp_op *ops, size_t nops, struct xp_edit *e, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < nops && k < n; i++)
		if (strchr("aicd", ops[i].kind) != NULL)
			e[k++] = (struct xp_edit){
			    ops[i].kind, ops[i].name,
			    ops[i].value ? ops[i].value : "", ops[i].index};
	return k;
}

struct xp_rec {
	struct xp_op ops[256];
	size_t n;
	const char *macros[16]; /* name, value, ..., NULL */
	void *priv;
};

static int
xp_push(void *h, char kind, const char *name, const char *value, int index)
{
	struct xp_rec *r = h;
	struct xp_op *o;

	if (r->n >= sizeof(r->ops) / sizeof(r->ops[0]))
		return -1;
	o = &r->ops[r->n];
	o->kind = kind;
	o->index = index;
	o->name = strdup(name ? name : "");
	o->value = value ? strdup(value) : NULL;
	if (o->name == NULL || (value != NULL && o->value == NULL)) {
		free(o->name);
		free(o->value);
		return -1;
	}
	r->n++;
	return 0;
}

static int
xp_add(void *h, const char *name, const char *value)
{
	return xp_push(h, 'a', name, value, 0);
}

static int
xp_ins(void *h, int pos, const char *name, const char *value)
{
	return xp_push(h, 'i', name, value, pos);
}

static int
xp_chg(void *h, const char *name, int index, const char *value)
{
	return xp_push(h, value ? 'c' : 'd', name, value, index);
}

static int
xp_reply(void *h, const char *code, const char *xcode, const char *text)
{
	char s[64];

	snprintf(s, sizeof(s), "%s %s", code, xcode ? xcode : "");
	return xp_push(h, 'r', s, text, 0);
}

static const char *
xp_sym(void *h, const char *name)
{
	struct xp_rec *r = h;
	size_t i;

	for (i = 0; r->macros[i] != NULL; i += 2)
		if (strcmp(r->macros[i], name) == 0)
			return r->macros[i + 1];
	return NULL;
}

static int
xp_setpriv(void *h, void *p)
{
	((struct xp_rec *)h)->priv = p;
	return 0;
}

static void *
xp_getpriv(void *h)
{
	return ((struct xp_rec *)h)->priv;
}

static int
xp_quarantine(void *h, const char *reason)
{
	return xp_push(h, 'q', "", reason, 0);
}

static const struct mlt_seam xp_seam = {
    xp_add, xp_ins,	xp_chg,	    xp_reply,
    xp_sym, xp_setpriv, xp_getpriv, xp_quarantine,
};

static void
xp_rec_clear(struct xp_rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->ops[i].name);
		free(r->ops[i].value);
	}
	r->n = 0;
}

/* ---- output ---- */

/* Prints text on one line: control bytes as spaces, folds as one. */
static void
xp_put(const char *s)
{
	int sp = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f) {
			if (!sp)
				putchar(' ');
			sp = 1;
			continue;
		}
		if (c == ' ' && sp)
			continue;
		sp = c == ' ';
		putchar(c);
	}
}

static const char *
xp_smfis(int v)
{
	switch (v) {
	case SMFIS_CONTINUE:
		return "continue";
	case SMFIS_ACCEPT:
		return "accept";
	case SMFIS_REJECT:
		return "REJECT";
	case SMFIS_TEMPFAIL:
		return "TEMPFAIL";
	case SMFIS_DISCARD:
		return "DISCARD";
	default:
		return "?";
	}
}

/* One phase's line, with the reply it set (if any), then forgets the
 * reply so the next phase starts clean. JSON: one object. */
static void
xp_phase(struct admin *a, struct xp_rec *r, size_t *from, const char *phase,
	 const char *arg, int v, int *first)
{
	const char *reply = NULL, *code = NULL;
	size_t i;

	for (i = *from; i < r->n; i++)
		if (r->ops[i].kind == 'r') {
			code = r->ops[i].name;
			reply = r->ops[i].value;
		}
	if (a->json) {
		printf("%s\n    {\"phase\": \"%s\", \"arg\": ",
		       *first ? "" : ",", phase);
		out_json_string(stdout, arg ? arg : "");
		printf(", \"verdict\": \"%s\", \"reply\": ", xp_smfis(v));
		if (reply != NULL) {
			char s[700];

			snprintf(s, sizeof(s), "%s %s", code, reply);
			out_json_string(stdout, s);
		} else
			printf("null");
		printf("}");
	} else {
		printf("%-15s", phase);
		if (arg != NULL) {
			xp_put(arg);
			putchar(' ');
		}
		printf("-> %s", xp_smfis(v));
		if (reply != NULL) {
			printf(": %s ", code);
			xp_put(reply);
		}
		putchar('\n');
	}
	*first = 0;
	*from = r->n;
}

/* The header edits planned at end of message. */
static void
xp_edits(struct admin *a, const struct xp_rec *r)
{
	static const char *const what[] = {"add", "insert", "change", "delete",
					   "quarantine"};
	size_t i, k = 0;
	int w;

	if (a->json)
		printf("\n  ],\n  \"edits\": [");
	else
		printf("header edits (applied by the MTA at end of "
		       "message):\n");
	for (i = 0; i < r->n; i++) {
		const struct xp_op *o = &r->ops[i];

		if (o->kind == 'r')
			continue;
		w = o->kind == 'a'   ? 0
		    : o->kind == 'i' ? 1
		    : o->kind == 'c' ? 2
		    : o->kind == 'd' ? 3
				     : 4;
		if (a->json) {
			printf("%s\n    {\"op\": \"%s\", \"name\": ",
			       k++ ? "," : "", what[w]);
			out_json_string(stdout, o->name);
			printf(", \"value\": ");
			if (o->value)
				out_json_string(stdout, o->value);
			else
				printf("null");
			printf(", \"index\": %d}", o->index);
			continue;
		}
		printf("  %-7s %s%s", what[w], o->name, o->value ? ": " : "");
		if (o->value)
			xp_put(o->value);
		if (o->kind == 'c' || o->kind == 'd')
			printf(" [%d]", o->index);
		putchar('\n');
		k++;
	}
	if (a->json)
		printf("\n  ]");
	else if (k == 0)
		printf("  (none)\n");
}

/* ---- the message ---- */

const char *
xp_header(const struct xp_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->hnames[i], name) == 0)
			return m->hvalues[i];
	return NULL;
}

/* Splits the header section into fields (values as Postfix sends them
 * with HDR_LEADSPC: the bytes after the ':', folds joined by "\n") and
 * finds the body. Lines may end in CRLF or LF. Values are owned. */
static int
xp_parse(const char *text, size_t len, struct xp_msg *m)
{
	const char *p = text, *end = text + len, *nl, *colon;
	struct buf v;
	size_t cap = 0, n;

	buf_init(&v, 1 << 20);
	while (p < end && *p != '\n' &&
	       !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (*p == ' ' || *p == '\t') {
			if (m->nheaders == 0)
				goto bad;
			buf_init(&v, 1 << 20);
			if (buf_adds(&v, m->hvalues[m->nheaders - 1]) < 0 ||
			    buf_addc(&v, '\n') < 0 || buf_add(&v, p, n) < 0)
				goto bad;
			free(m->hvalues[m->nheaders - 1]);
			m->hvalues[m->nheaders - 1] = buf_steal(&v);
		} else {
			if ((colon = memchr(p, ':', n)) == NULL ||
			    m->nheaders >= XP_MAX_HEADERS)
				goto bad;
			if (m->nheaders == cap) {
				cap = cap ? cap * 2 : 32;
				m->hnames =
				    realloc(m->hnames, cap * sizeof(char *));
				m->hvalues =
				    realloc(m->hvalues, cap * sizeof(char *));
				if (m->hnames == NULL || m->hvalues == NULL)
					return -1;
			}
			m->hnames[m->nheaders] =
			    strndup(p, (size_t)(colon - p));
			m->hvalues[m->nheaders] =
			    strndup(colon + 1, (size_t)(p + n - colon - 1));
			if (m->hnames[m->nheaders] == NULL ||
			    m->hvalues[m->nheaders] == NULL)
				return -1;
			m->nheaders++;
		}
		if (m->hvalues[m->nheaders - 1] == NULL)
			return -1;
		p = nl ? nl + 1 : end;
	}
	if (p < end && *p == '\r')
		p++;
	m->body = p < end ? p + 1 : end;
	m->bodylen = (size_t)(end - m->body);
	return m->nheaders > 0 ? 0 : -1;
bad:
	buf_free(&v);
	return -1;
}

static void
xp_msg_free(struct xp_msg *m)
{
	size_t i;

	for (i = 0; i < m->nheaders; i++) {
		free(m->hnames[i]);
		free(m->hvalues[i]);
	}
	free(m->hnames);
	free(m->hvalues);
	free(m->rcpts);
}

/* The address inside <> or the bare word, into out. */
static void
xp_addr(const char *v, char *out, size_t outlen)
{
	const char *lt = v ? strrchr(v, '<') : NULL, *gt;
	size_t n;

	out[0] = '\0';
	if (v == NULL)
		return;
	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		v = lt + 1;
		n = (size_t)(gt - v);
	} else {
		v += strspn(v, " \t\n");
		n = strcspn(v, " \t\n,;");
	}
	snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), v);
}

/* The body with CRLF line ends, as the MTA sends it to milters. */
static int
xp_crlf(const struct xp_msg *m, struct buf *out)
{
	size_t i;

	for (i = 0; i < m->bodylen; i++) {
		if (m->body[i] == '\n' && (i == 0 || m->body[i - 1] != '\r') &&
		    buf_addc(out, '\r') < 0)
			return -1;
		if (buf_addc(out, m->body[i]) < 0)
			return -1;
	}
	return 0;
}

/* ---- the run ---- */

/* Loads [milter] and the module sections; checks and inits the chain. */
static int
xp_load(struct admin *a, struct chain_settings *s, struct cfg_section *secs,
	size_t *nsecs, struct cfg_key *mkeys)
{
	char err[1024];
	size_t nk;

	if (chain_sections(s, secs) != 0) {
		admin_errx(a, "out of memory");
		return -1;
	}
	nk = mlt_settings_keys(mkeys, offsetof(struct chain_settings, common));
	memcpy(mkeys + nk, chain_keys, chain_nkeys * sizeof(*mkeys));
	secs[CHAIN_NSECTIONS] =
	    (struct cfg_section){"milter", mkeys, nk + chain_nkeys, s};
	*nsecs = CHAIN_NSECTIONS + 1;
	if (cfg_load(a->config_path, secs, *nsecs, !a->config_given, err,
		     sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		return -1;
	}
	if (a->db_path != NULL) { /* --db wins, as for every noun */
		free(s->db.path);
		s->db.path = strdup(a->db_path);
	}
	s->spam.bayes_auto_learn = 0; /* explain never writes Bayes */
	s->spam.add_report = 1;	      /* the rules hit, with scores */
	if (chain_check(s, err, sizeof(err)) != 0 ||
	    chain_init(s, err, sizeof(err)) != 0) {
		admin_errx(a, "%s", err);
		return -1;
	}
	return 0;
}

/* chain_check gave each chosen module the chain's common settings (the
 * same strings): forget them there, so cfg_free frees them once, with
 * [milter]. */
static void
xp_unadopt(struct chain_settings *s)
{
	size_t i;

	for (i = 0; i < s->norder; i++)
		switch (s->order[i]) {
		case CHAIN_BLACKLIST:
			memset(&s->bl.common, 0, sizeof(s->bl.common));
			break;
		case CHAIN_SCRUB:
			memset(&s->scrub.common, 0, sizeof(s->scrub.common));
			break;
		case CHAIN_DKIM:
			memset(&s->dkim.common, 0, sizeof(s->dkim.common));
			break;
		case CHAIN_AV:
			memset(&s->av.common, 0, sizeof(s->av.common));
			break;
		default:
			memset(&s->spam.common, 0, sizeof(s->spam.common));
		}
}

/* One whole SMTP transaction through the glue. Returns the eom verdict
 * or the verdict that ended it. */
static int
xp_run(struct admin *a, const struct mlt_chain *ch, struct xp_rec *r,
       const struct xp_msg *m)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa = NULL;
	char name[80], from[600], *argv[2] = {NULL, NULL};
	unsigned long p0, p1, p2, p3;
	struct buf body;
	size_t at = 0, i;
	int v, first = 1;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (m->client_ip &&
	    inet_pton(AF_INET, m->client_ip, &sin.sin_addr) == 1)
		sin.sin_family = AF_INET, sa = (struct sockaddr *)&sin;
	else if (m->client_ip &&
		 inet_pton(AF_INET6, m->client_ip, &sin6.sin6_addr) == 1)
		sin6.sin6_family = AF_INET6, sa = (struct sockaddr *)&sin6;
	snprintf(name, sizeof(name), "[%s]",
		 m->client_ip ? m->client_ip : "127.0.0.1");
	(void)mlt_glue_negotiate(
	    ch, r, SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	    SMFIP_HDR_LEADSPC, &p0, &p1, &p2, &p3);
	if (a->json)
		printf("{\"phases\": [");
	v = mlt_glue_connect(ch, r, sa ? name : "localhost", sa);
	xp_phase(a, r, &at, "connect", m->client_ip ? m->client_ip : "local", v,
		 &first);
	if (v != SMFIS_CONTINUE)
		goto out;
	v = mlt_glue_helo(ch, r, m->helo);
	xp_phase(a, r, &at, "helo", m->helo, v, &first);
	if (v != SMFIS_CONTINUE)
		goto out;
	snprintf(from, sizeof(from), "<%s>", m->mail_from);
	argv[0] = from;
	v = mlt_glue_envfrom(ch, r, argv);
	xp_phase(a, r, &at, "mail-from", from, v, &first);
	if (v != SMFIS_CONTINUE)
		goto out;
	for (i = 0; i < m->nrcpts; i++) {
		snprintf(from, sizeof(from), "<%s>", m->rcpts[i]);
		v = mlt_glue_envrcpt(ch, r, argv);
		xp_phase(a, r, &at, "rcpt-to", from, v, &first);
		if (v == SMFIS_ACCEPT || v == SMFIS_DISCARD)
			goto out;
	}
	for (i = 0; i < m->nheaders; i++)
		if ((v = mlt_glue_header(ch, r, m->hnames[i], m->hvalues[i])) !=
		    SMFIS_CONTINUE) {
			xp_phase(a, r, &at, "header", m->hnames[i], v, &first);
			goto out;
		}
	if ((v = mlt_glue_eoh(ch, r)) != SMFIS_CONTINUE) {
		xp_phase(a, r, &at, "eoh", NULL, v, &first);
		goto out;
	}
	buf_init(&body, XP_MAX_MSG * 2);
	if (xp_crlf(m, &body) < 0 ||
	    (body.len > 0 &&
	     (v = mlt_glue_body(ch, r, (const unsigned char *)body.data,
				body.len)) != SMFIS_CONTINUE)) {
		buf_free(&body);
		xp_phase(a, r, &at, "body", NULL, v, &first);
		goto out;
	}
	buf_free(&body);
	v = mlt_glue_eom(ch, r);
	xp_phase(a, r, &at, "end-of-message", NULL, v, &first);
out:
	(void)mlt_glue_close(ch, r);
	return v;
}

/* xp_run with what the modules log (their own account of each decision:
 * the blacklist row that matched, scrub's removals, DNS errors), taken
 * from standard error, where the CLI's log goes, into logbuf. */
static int
xp_run_logged(struct admin *a, const struct mlt_chain *ch, struct xp_rec *r,
	      const struct xp_msg *m, struct buf *logbuf)
{
	char line[2048];
	FILE *tf = tmpfile();
	int saved = -1, v;

	fflush(stderr);
	if (tf != NULL && (saved = dup(2)) >= 0 && dup2(fileno(tf), 2) < 0) {
		close(saved);
		saved = -1;
	}
	log_set_level(LOG_DEBUG);
	v = xp_run(a, ch, r, m);
	log_set_level(LOG_INFO);
	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (tf == NULL)
		return v;
	rewind(tf);
	while (fgets(line, sizeof(line), tf) != NULL)
		if (buf_adds(logbuf, line) < 0)
			break;
	fclose(tf);
	return v;
}

/* Fills the envelope from the options, else the message. */
static int
xp_envelope(struct admin *a, struct xp_msg *m, const char *rcpts, char *from,
	    size_t flen, char *rbuf, size_t rlen)
{
	const char *v;
	char *p;

	if (m->mail_from == NULL) {
		v = xp_header(m, "Return-Path");
		xp_addr(v ? v : xp_header(m, "From"), from, flen);
		m->mail_from = from;
	}
	if (rcpts == NULL)
		xp_addr(xp_header(m, "To"), rbuf, rlen);
	else
		snprintf(rbuf, rlen, "%s", rcpts);
	if (rbuf[0] == '\0') {
		admin_errx(a, "no recipient: give --rcpt ADDR");
		return -1;
	}
	if ((m->rcpts = calloc(XP_MAX_RCPTS, sizeof(*m->rcpts))) == NULL)
		return -1;
	for (p = strtok(rbuf, ", "); p != NULL && m->nrcpts < XP_MAX_RCPTS;
	     p = strtok(NULL, ", "))
		m->rcpts[m->nrcpts++] = p;
	if (m->helo == NULL)
		m->helo = m->client_ip ? m->client_ip : "localhost";
	return 0;
}

static int
xp_read(struct admin *a, const char *file, struct buf *text)
{
	char chunk[65536];
	size_t n;
	FILE *f;

	if ((f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r")) == NULL) {
		admin_errx(a, "%s: %s", file, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(text, chunk, n) < 0) {
			admin_errx(a, "%s: larger than 64 MiB", file);
			break;
		}
	if (f != stdin)
		fclose(f);
	return n > 0 ? -1 : 0;
}

static void
xp_header_line(struct admin *a, const struct xp_msg *m, const char *chain)
{
	if (a->json)
		return;
	printf("explain: client %s, helo %s, mail from <%s>, %zu "
	       "recipient(s)%s%s\nmodules: %s (facteur.conf's settings; Bayes "
	       "auto-learn off)\n",
	       m->client_ip ? m->client_ip : "local", m->helo, m->mail_from,
	       m->nrcpts, m->auth_user ? ", SMTP AUTH as " : "",
	       m->auth_user ? m->auth_user : "", chain);
}

int
explain_main(struct admin *a, int argc, char **argv)
{
	static struct chain_settings s;
	struct cfg_section secs[CHAIN_NSECTIONS + 1];
	struct cfg_key mkeys[MLT_SETTINGS_NKEYS + 4];
	const char *pos[1], *rcpts = NULL;
	char from[512], rbuf[4096], host[256] = "localhost";
	const char *m_ip = NULL, *m_helo = NULL, *m_from = NULL;
	const char *m_auth = NULL;
	const struct admin_opt opts[] = {{"from-ip", &m_ip, NULL},
					 {"helo", &m_helo, NULL},
					 {"mail-from", &m_from, NULL},
					 {"rcpt", &rcpts, NULL},
					 {"submission", &m_auth, NULL}};
	struct mlt_chain ch;
	struct xp_msg m;
	static struct xp_rec r;
	static struct xp_edit edits[256];
	struct buf text, logbuf;
	size_t nsecs = 0;
	int rc, v;

	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	if (admin_args(a, argc - 1, argv + 1, opts, 5, pos, 1, 1, explain_usage,
		       &rc) < 0)
		return rc;
	m.client_ip = m_ip;
	m.helo = m_helo;
	m.mail_from = m_from;
	m.auth_user = m_auth;
	if (m.auth_user != NULL && m.client_ip == NULL)
		m.client_ip = "127.0.0.1";
	buf_init(&text, XP_MAX_MSG);
	buf_init(&logbuf, 1 << 20);
	rc = ADMIN_FAIL;
	if (xp_read(a, pos[0], &text) < 0)
		goto out;
	if (text.len == 0 || xp_parse(text.data, text.len, &m) < 0) {
		admin_errx(a, "%s: no header section to read", pos[0]);
		rc = ADMIN_USAGE;
		goto out;
	}
	if (xp_envelope(a, &m, rcpts, from, sizeof(from), rbuf, sizeof(rbuf)) <
		0 ||
	    xp_load(a, &s, secs, &nsecs, mkeys) < 0)
		goto out;
	(void)gethostname(host, sizeof(host) - 1);
	r.macros[0] = "j";
	r.macros[1] = host;
	r.macros[2] = "{daemon_name}";
	r.macros[3] = m.auth_user ? "submission" : "smtpd";
	r.macros[4] = "i";
	r.macros[5] = "EXPLAIN";
	r.macros[6] = m.auth_user ? "{auth_authen}" : NULL;
	r.macros[7] = m.auth_user;
	r.macros[8] = m.auth_user ? "{auth_type}" : NULL;
	r.macros[9] = "PLAIN";
	memset(&ch, 0, sizeof(ch));
	ch.v = s.entries;
	ch.n = s.norder;
	ch.seam = &xp_seam;
	xp_header_line(a, &m, s.modules);
	v = xp_run_logged(a, &ch, &r, &m, &logbuf);
	xp_edits(a, &r);
	xp_why(a, &s, &m, buf_str(&logbuf),
	       v == SMFIS_CONTINUE || v == SMFIS_ACCEPT ? edits : NULL,
	       xp_rec_edits(r.ops, r.n, edits, 256));
	if (a->json)
		printf(",\n  \"verdict\": \"%s\"}\n", xp_smfis(v));
	else
		printf("verdict: %s\n", xp_smfis(v));
	rc = ADMIN_OK;
	chain_fini(&s);
out:
	if (nsecs > 0) {
		xp_unadopt(&s);
		cfg_free(secs, nsecs);
	}
	xp_rec_clear(&r);
	xp_msg_free(&m);
	buf_free(&text);
	buf_free(&logbuf);
	return rc;
}
