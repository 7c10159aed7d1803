/* admin/selftest.c - facteur selftest: sends real mail through the running
 * install and follows it to the mailbox, printing each hop with its time:
 *
 *   1. a throw-away mailbox selftest-XXXXXXXX@DOMAIN (random password),
 *      added to the database as 'facteur user add' does;
 *   2. inbound: SMTP to Postfix's smtpd, XCLIENT (Postfix's
 *      smtpd_authorized_xclient_hosts) to come from 192.0.2.25, a
 *      documentation address, so the message is judged as mail from the
 *      Internet (blacklist, SPF/DKIM/DMARC, spam), not as internal mail;
 *   3. submission: AUTH PLAIN as the throw-away user (STARTTLS first when
 *      the server offers it), so facteur-scrub and DKIM signing act;
 *   4. each message is looked for over Dovecot IMAP (LOGIN as the
 *      throw-away user) until it is there; its headers show each milter's
 *      verdict and the delivery (Received, Authentication-Results,
 *      X-Spam-*, DKIM-Signature, Delivered-To);
 *   5. the mailbox and its Maildir are removed, whatever happened.
 *
 * The endpoints come from `postconf -M` (the smtpd services of master.cf:
 * one with smtpd_sasl_auth_enable=yes is the submission service) unless
 * given; IMAP defaults to 127.0.0.1:143.
 *
 * SECURITY: run as root (it writes the database and removes the
 * throw-away Maildir under [lmtp] mail_root, and only that one, by the
 * path the database holds). The password lives in memory for the run and
 * is wiped. Everything is sent to this host's own services. */
#include "selftest.h"
#include "admin.h"
#include "doctor.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "cfg.h"
#include "lmtp_conf.h"
#include "passwd.h"
#include "store.h"

#define ST_CLIENT_IP "192.0.2.25"
#define ST_HELO "selftest.invalid"

static const char selftest_usage[] =
    "usage: facteur selftest [--domain DOMAIN] [--smtp HOST:PORT]\n"
    "                        [--submission HOST:PORT|none]\n"
    "                        [--imap HOST:PORT] [--postfix-dir DIR]\n"
    "                        [--timeout SECONDS]\n"
    "\n"
    "Sends two real messages through the running install and follows\n"
    "them: one inbound over SMTP with XCLIENT from " ST_CLIENT_IP " (a\n"
    "documentation address; Postfix's smtpd_authorized_xclient_hosts\n"
    "must hold this host), one submitted with SMTP AUTH as a throw-away\n"
    "mailbox the command creates and removes. Each is looked for over\n"
    "Dovecot IMAP; every hop is printed with its time and the milters'\n"
    "verdicts with it. Exit 0 when both arrived, 1 otherwise.\n";

struct st {
	struct admin *a;
	const char *domain, *postfix_dir;
	char smtp[300], submission[300], imap[300];
	int timeout;
	char user[320], pass[64], maildir[512], mail_root[4096];
	struct timespec t0;
	int nfail;
};

/* ---- printing ---- */

static double
st_elapsed(const struct st *s)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - s->t0.tv_sec) +
	       (double)(t.tv_nsec - s->t0.tv_nsec) / 1e9;
}

/* "  +0.012s  what: text" with text kept printable and short. */
static void
st_hop(struct st *s, const char *what, const char *text)
{
	size_t i;

	printf("  %+8.3fs  %s: ", st_elapsed(s), what);
	for (i = 0; text[i] != '\0' && i < 400; i++)
		putchar((unsigned char)text[i] < 0x20 ? ' ' : text[i]);
	if (text[i] != '\0')
		fputs("...", stdout);
	putchar('\n');
	fflush(stdout);
}

static void
st_fail(struct st *s, const char *what, const char *text)
{
	s->nfail++;
	st_hop(s, what, text);
	printf("  FAIL\n");
}

/* ---- the endpoints ---- */

/* A master.cf service name into HOST:PORT. */
static void
st_service_addr(const char *svc, char *out, size_t len)
{
	const char *colon = strrchr(svc, ':');

	if (strcmp(svc, "smtp") == 0)
		snprintf(out, len, "127.0.0.1:25");
	else if (strcmp(svc, "submission") == 0)
		snprintf(out, len, "127.0.0.1:587");
	else if (strcmp(svc, "submissions") == 0 || strcmp(svc, "smtps") == 0)
		out[0] = '\0'; /* implicit TLS: not spoken here */
	else if (colon != NULL &&
		 (colon == svc || strncmp(svc, "0.0.0.0", 7) == 0 ||
		  strncmp(svc, "*", 1) == 0))
		snprintf(out, len, "127.0.0.1%s", colon);
	else if (colon != NULL)
		snprintf(out, len, "%s", svc);
	else if (svc[strspn(svc, "0123456789")] == '\0')
		snprintf(out, len, "127.0.0.1:%s", svc);
	else
		out[0] = '\0';
}

/* Reads master.cf's smtpd inet services with postconf -M. */
static void
st_endpoints(struct st *s, int want_smtp, int want_sub)
{
	char *argv[6], *line, *next, svc[256], addr[300];
	struct buf out;
	int n = 0;

	argv[n++] = (char *)"/usr/sbin/postconf";
	if (s->postfix_dir != NULL) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)s->postfix_dir;
	}
	argv[n++] = (char *)"-M";
	argv[n] = NULL;
	buf_init(&out, 1 << 20);
	if (access(argv[0], X_OK) != 0 ||
	    doc_capture(argv, 0, 30000, &out) != 0 || out.data == NULL) {
		buf_free(&out);
		return;
	}
	for (line = out.data; line != NULL && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (sscanf(line, "%255s inet", svc) != 1 ||
		    strstr(line, " inet ") == NULL ||
		    strstr(line, " smtpd") == NULL)
			continue;
		st_service_addr(svc, addr, sizeof(addr));
		if (addr[0] == '\0')
			continue;
		if (strstr(line, "smtpd_sasl_auth_enable=yes") != NULL) {
			if (want_sub && s->submission[0] == '\0')
				snprintf(s->submission, sizeof(s->submission),
					 "%s", addr);
		} else if (want_smtp && s->smtp[0] == '\0')
			snprintf(s->smtp, sizeof(s->smtp), "%s", addr);
	}
	buf_free(&out);
}

/* ---- the throw-away mailbox ---- */

static int
st_account(struct st *s)
{
	struct store_errbuf err = {{0}};
	struct store_user u;
	unsigned char rnd[16];
	char e[256];
	struct buf hash;
	size_t i;
	int rc;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	snprintf(s->user, sizeof(s->user), "selftest-%02x%02x%02x%02x@%s",
		 rnd[0], rnd[1], rnd[2], rnd[3], s->domain);
	for (i = 0; i < 12; i++)
		snprintf(s->pass + 2 * i, 3, "%02x", rnd[4 + i]);
	snprintf(s->maildir, sizeof(s->maildir), "%s/%.*s/", s->domain,
		 (int)strcspn(s->user, "@"), s->user);
	buf_init(&hash, 4096);
	if (pw_hash(s->a->cfg->password_scheme, s->pass, &hash, e, sizeof(e)) <
	    0) {
		admin_errx(s->a, "password: %s", e);
		buf_free(&hash);
		return -1;
	}
	memset(&u, 0, sizeof(u));
	u.address = s->user;
	u.domain = (char *)s->domain;
	u.password = hash.data;
	u.maildir = s->maildir;
	u.uid = u.gid = -1;
	u.active = 1;
	rc = store_user_add(s->a->store, &u, &err);
	explicit_bzero(hash.data, hash.len);
	buf_free(&hash);
	if (rc != 0) {
		admin_errx(s->a, "cannot add %s: %s", s->user, err.msg);
		return -1;
	}
	printf("mailbox %s created (throw-away, removed at the end)\n",
	       s->user);
	return 0;
}

static int
st_rm(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
st_account_del(struct st *s)
{
	struct store_errbuf err = {{0}};
	char path[8192];

	if (store_user_del(s->a->store, s->user, &err) != 0)
		admin_errx(s->a,
			   "cannot remove %s: %s (remove it with "
			   "'facteur user del')",
			   s->user, err.msg);
	if (s->mail_root[0] == '/' &&
	    strncmp(s->maildir, s->domain, strlen(s->domain)) == 0 &&
	    strstr(s->maildir, "..") == NULL) {
		snprintf(path, sizeof(path), "%s/%s", s->mail_root, s->maildir);
		if (access(path, F_OK) == 0 &&
		    nftw(path, st_rm, 16, FTW_DEPTH | FTW_PHYS) != 0)
			admin_errx(s->a, "cannot remove %s: %s", path,
				   strerror(errno));
	}
	printf("mailbox %s removed\n", s->user);
	explicit_bzero(s->pass, sizeof(s->pass));
}

/* ---- SMTP ---- */

/* Sends a command, reads the reply, prints the hop. want: the code
 * wanted (2xx/3xx by its first digit when < 10). 0 or -1. */
static int st_cmd(struct st *s, struct st_conn *c, const char *shown, int want,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
st_cmd(struct st *s, struct st_conn *c, const char *shown, int want,
       const char *fmt, ...)
{
	char text[2048], what[300];
	va_list ap;
	struct buf b;
	int code, rc = 0;

	if (fmt != NULL) {
		buf_init(&b, 1 << 20);
		va_start(ap, fmt);
		rc = buf_vprintf(&b, fmt, ap);
		va_end(ap);
		if (rc == 0)
			rc = st_send(c, b.data, b.len);
		buf_free(&b);
	}
	code = rc == 0 ? st_smtp_reply(c, text, sizeof(text)) : -1;
	snprintf(what, sizeof(what), "%s", shown);
	if (code < 0 || (want < 10 ? code / 100 != want : code != want)) {
		st_fail(s, what,
			code < 0 ? "no reply (closed or timed out)" : text);
		return -1;
	}
	st_hop(s, what, text);
	return code;
}

/* EHLO; 1 in *tls / *auth / *xclient when offered. */
static int
st_ehlo(struct st *s, struct st_conn *c, int *tls, int *auth, int *xclient)
{
	char text[4096];
	int code;

	if (st_sendf(c, "EHLO %s\r\n", ST_HELO) < 0 ||
	    (code = st_smtp_reply(c, text, sizeof(text))) != 250) {
		st_fail(s, "EHLO", text);
		return -1;
	}
	*tls = strstr(text, "STARTTLS") != NULL;
	*auth = strstr(text, "AUTH") != NULL;
	*xclient = strstr(text, "XCLIENT") != NULL;
	st_hop(s, "EHLO", *auth ? "250, AUTH offered" : "250");
	return 0;
}

static void
st_message(struct st *s, struct buf *m, const char *from, const char *tok,
	   const char *kind)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_reset(m);
	if (buf_printf(
		m,
		"From: facteur selftest <%s>\r\nTo: <%s>\r\n"
		"Subject: facteur selftest %s %s\r\nDate: %s\r\n"
		"Message-ID: <%s@%s>\r\n\r\nThis message was sent by 'facteur "
		"selftest' to check the %s path.\r\nIt is removed with the "
		"throw-away mailbox.\r\n.\r\n",
		from, s->user, kind, tok, date, tok, ST_HELO, kind) < 0)
		buf_reset(m);
}

/* MAIL, RCPT, DATA and the message; QUIT. */
static int
st_transaction(struct st *s, struct st_conn *c, const char *from,
	       const char *env_from, const char *tok, const char *kind)
{
	struct buf m;
	int rc = -1;

	buf_init(&m, 65536);
	st_message(s, &m, from, tok, kind);
	if (st_cmd(s, c, "MAIL FROM", 2, "MAIL FROM:<%s>\r\n", env_from) > 0 &&
	    st_cmd(s, c, "RCPT TO", 2, "RCPT TO:<%s>\r\n", s->user) > 0 &&
	    st_cmd(s, c, "DATA", 3, "DATA\r\n") > 0 &&
	    st_send(c, m.data, m.len) == 0 &&
	    st_cmd(s, c, "end of DATA (milters' verdict, queued)", 2, NULL) > 0)
		rc = 0;
	(void)st_sendf(c, "QUIT\r\n");
	buf_free(&m);
	return rc;
}

static int
st_inbound(struct st *s, const char *tok)
{
	struct st_conn c;
	char err[512];
	int tls, auth, xclient, rc = -1;

	printf("\ninbound: %s -> Postfix smtpd %s, XCLIENT ADDR=%s\n", "<>",
	       s->smtp, ST_CLIENT_IP);
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	if (st_open(&c, s->smtp, s->timeout, err, sizeof(err)) < 0) {
		st_fail(s, "connect", err);
		return -1;
	}
	if (st_cmd(s, &c, "greeting", 220, NULL) < 0 ||
	    st_ehlo(s, &c, &tls, &auth, &xclient) < 0)
		goto out;
	if (!xclient) {
		st_fail(
		    s, "XCLIENT",
		    "not offered to this host: postconf -e "
		    "'smtpd_authorized_xclient_hosts = 127.0.0.1' ('facteur "
		    "setup --apply' adds it)");
		goto out;
	}
	if (st_cmd(s, &c, "XCLIENT", 220,
		   "XCLIENT NAME=[UNAVAILABLE] ADDR=%s "
		   "HELO=%s PROTO=ESMTP\r\n",
		   ST_CLIENT_IP, ST_HELO) < 0 ||
	    st_ehlo(s, &c, &tls, &auth, &xclient) < 0)
		goto out;
	rc = st_transaction(s, &c, "selftest@" ST_HELO, "", tok, "inbound");
out:
	st_close(&c);
	return rc;
}

static int
st_submit(struct st *s, const char *tok)
{
	unsigned char plain[800], b64[1200];
	struct st_conn c;
	char err[512];
	size_t n;
	int tls, auth, xclient, rc = -1;

	printf("\nsubmission: %s -> Postfix %s, AUTH PLAIN\n", s->user,
	       s->submission);
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	if (st_open(&c, s->submission, s->timeout, err, sizeof(err)) < 0) {
		st_fail(s, "connect", err);
		return -1;
	}
	if (st_cmd(s, &c, "greeting", 220, NULL) < 0 ||
	    st_ehlo(s, &c, &tls, &auth, &xclient) < 0)
		goto out;
	if (tls) {
		if (st_cmd(s, &c, "STARTTLS", 220, "STARTTLS\r\n") < 0)
			goto out;
		if (st_starttls(&c, err, sizeof(err)) < 0) {
			st_fail(s, "TLS", err);
			goto out;
		}
		if (st_ehlo(s, &c, &tls, &auth, &xclient) < 0)
			goto out;
	}
	n = (size_t)snprintf((char *)plain, sizeof(plain), "%c%s%c%s", 0,
			     s->user, 0, s->pass);
	EVP_EncodeBlock(b64, plain, (int)n);
	explicit_bzero(plain, sizeof(plain));
	if (!auth) {
		st_fail(s, "AUTH",
			"not offered: enable smtpd_sasl_auth_enable "
			"on the submission service (Dovecot SASL)");
		goto out;
	}
	rc = st_cmd(s, &c, "AUTH PLAIN (Dovecot SASL)", 235,
		    "AUTH PLAIN %s\r\n", b64);
	explicit_bzero(b64, sizeof(b64));
	if (rc > 0)
		rc = st_transaction(s, &c, s->user, s->user, tok, "submission");
	else
		rc = -1;
out:
	st_close(&c);
	return rc;
}

/* ---- IMAP ---- */

/* Prints the headers that show each hop and each milter's verdict. */
static void
st_headers(struct st *s, const char *text)
{
	static const char *const names[] = {
	    "Return-Path",    "Delivered-To",
	    "Received",	      "Authentication-Results",
	    "DKIM-Signature", "X-Spam-Flag",
	    "X-Spam-Status",  NULL};
	const char *p = text, *nl;
	char line[2048], *cut;
	size_t i, n;

	while (*p != '\0') {
		n = 0;
		/* one field, its folds joined by one space */
		do {
			p += n ? strspn(p, " \t") : 0;
			nl = strchr(p, '\n');
			i = nl ? (size_t)(nl - p) : strlen(p);
			if (i > 0 && p[i - 1] == '\r')
				i--;
			if (n + i + 2 < sizeof(line))
				n += (size_t)snprintf(
				    line + n, sizeof(line) - n, "%s%.*s",
				    n ? " " : "", (int)i, p);
			p = nl ? nl + 1 : p + i;
		} while (*p == ' ' || *p == '\t');
		/* a signature's hashes say nothing here */
		if (strncasecmp(line, "DKIM-Signature:", 15) == 0 &&
		    (cut = strstr(line, " bh=")) != NULL)
			snprintf(cut, sizeof(line) - (size_t)(cut - line),
				 " bh=...; b=...");
		for (i = 0; names[i] != NULL; i++)
			if (strncasecmp(line, names[i], strlen(names[i])) ==
				0 &&
			    line[strlen(names[i])] == ':')
				printf("             %s\n", line);
	}
}

static int
st_follow(struct st *s, struct st_conn *c, const char *tok, int *seq)
{
	struct buf out;
	char hop[600];
	const char *hit;
	int n = 0;

	buf_init(&out, 1 << 20);
	while (st_elapsed(s) < s->timeout) {
		if (st_sendf(c,
			     "s1 SELECT INBOX\r\ns2 SEARCH HEADER "
			     "Message-ID \"%s\"\r\n",
			     tok) < 0 ||
		    st_imap(c, "s1", &out) < 0 || st_imap(c, "s2", &out) < 0)
			break;
		if ((hit = strstr(out.data, "* SEARCH ")) != NULL &&
		    (n = atoi(hit + 9)) > 0)
			break;
		usleep(200000);
	}
	if (n <= 0) {
		snprintf(hop, sizeof(hop),
			 "not in INBOX after %d s: see "
			 "Postfix's log (postqueue -p) and facteur-lmtp's",
			 s->timeout);
		st_fail(s, "Dovecot IMAP", hop);
		buf_free(&out);
		return -1;
	}
	snprintf(hop, sizeof(hop),
		 "in INBOX as message %d (delivered by "
		 "Postfix's LMTP to facteur-lmtp)",
		 n);
	st_hop(s, "Dovecot IMAP", hop);
	*seq = n;
	if (st_sendf(c, "f1 FETCH %d BODY.PEEK[HEADER]\r\n", n) == 0 &&
	    st_imap(c, "f1", &out) == 0)
		st_headers(s, out.data);
	buf_free(&out);
	return 0;
}

static int
st_imap_open(struct st *s, struct st_conn *c)
{
	struct buf out;
	char err[512], greet[512];
	int rc;

	if (st_open(c, s->imap, s->timeout, err, sizeof(err)) < 0) {
		st_fail(s, "Dovecot IMAP", err);
		return -1;
	}
	/* the greeting, "* OK ...", is one line as an SMTP reply is */
	(void)st_smtp_reply(c, greet, sizeof(greet));
	buf_init(&out, 65536);
	if (strstr(greet, "LOGINDISABLED") != NULL &&
	    (st_sendf(c, "t1 STARTTLS\r\n") < 0 || st_imap(c, "t1", &out) < 0 ||
	     st_starttls(c, err, sizeof(err)) < 0)) {
		st_fail(s, "Dovecot IMAP STARTTLS", out.data ? out.data : err);
		buf_free(&out);
		return -1;
	}
	rc = st_sendf(c, "l1 LOGIN \"%s\" \"%s\"\r\n", s->user, s->pass) == 0
		 ? st_imap(c, "l1", &out)
		 : -1;
	if (rc < 0)
		st_fail(s, "Dovecot IMAP LOGIN",
			out.data ? out.data : "no answer");
	buf_free(&out);
	return rc;
}

/* Looks for both messages in one IMAP session. */
static void
st_mailbox(struct st *s, const char *in_tok, int in_ok, const char *sub_tok,
	   int sub_ok, const struct timespec *t_in,
	   const struct timespec *t_sub)
{
	struct st_conn c;
	int seq;

	printf("\nmailbox: Dovecot IMAP %s as %s\n", s->imap, s->user);
	if (st_imap_open(s, &c) == 0) {
		if (in_ok) {
			s->t0 = *t_in; /* times since its SMTP connection */
			printf("inbound message:\n");
			(void)st_follow(s, &c, in_tok, &seq);
		}
		if (sub_ok) {
			s->t0 = *t_sub;
			printf("submitted message:\n");
			(void)st_follow(s, &c, sub_tok, &seq);
		}
		(void)st_sendf(&c, "z LOGOUT\r\n");
	}
	st_close(&c);
}

/* ---- the command ---- */

static int
st_domain_row(void *ctx, int ncols, const char *const *names,
	      const char *const *values)
{
	char **out = ctx;
	const char *name = domain_row_enabled(ncols, names, values);

	if (*out == NULL && name != NULL)
		*out = strdup(name);
	return 0;
}

/* [lmtp] mail_root, where the throw-away Maildir lands. */
static void
st_mail_root(struct st *s)
{
	struct lmtp_settings ls;
	struct cfg_section sec = {"lmtp", lmtp_conf_keys, lmtp_conf_nkeys, &ls};
	char err[512];

	memset(&ls, 0, sizeof(ls));
	if (cfg_load(s->a->config_path, &sec, 1, !s->a->config_given, err,
		     sizeof(err)) == 0 &&
	    ls.mail_root != NULL)
		snprintf(s->mail_root, sizeof(s->mail_root), "%s",
			 ls.mail_root);
	cfg_free(&sec, 1);
}

static int
st_setup(struct st *s, const char *smtp, const char *sub, const char *imap,
	 const char *tmo, char **dom)
{
	struct store_errbuf err = {{0}};

	s->timeout = tmo ? atoi(tmo) : 60;
	if (s->timeout <= 0 || s->timeout > 3600)
		return admin_usage_error(s->a, selftest_usage,
					 "--timeout: "
					 "1 to 3600 seconds");
	snprintf(s->smtp, sizeof(s->smtp), "%s", smtp ? smtp : "");
	snprintf(s->submission, sizeof(s->submission), "%s", sub ? sub : "");
	snprintf(s->imap, sizeof(s->imap), "%s", imap ? imap : "127.0.0.1:143");
	st_endpoints(s, smtp == NULL, sub == NULL);
	if (s->smtp[0] == '\0')
		snprintf(s->smtp, sizeof(s->smtp), "127.0.0.1:25");
	if (s->submission[0] == '\0' && sub == NULL)
		snprintf(s->submission, sizeof(s->submission), "127.0.0.1:587");
	if (admin_store(s->a, 1) != ADMIN_OK)
		return ADMIN_FAIL;
	if (s->domain == NULL) {
		if (store_list(s->a->store, "domains", NULL, st_domain_row, dom,
			       &err) != 0 ||
		    *dom == NULL) {
			admin_errx(s->a,
				   "no enabled domain: add one with "
				   "'facteur domain add' (or give --domain)");
			return ADMIN_FAIL;
		}
		s->domain = *dom;
	}
	st_mail_root(s);
	return ADMIN_OK;
}

int
selftest_main(struct admin *a, int argc, char **argv)
{
	const char *smtp = NULL, *sub = NULL, *imap = NULL, *tmo = NULL;
	struct st s;
	const struct admin_opt opts[] = {{"domain", &s.domain, NULL},
					 {"smtp", &smtp, NULL},
					 {"submission", &sub, NULL},
					 {"imap", &imap, NULL},
					 {"postfix-dir", &s.postfix_dir, NULL},
					 {"timeout", &tmo, NULL}};
	char in_tok[64], sub_tok[64], *dom = NULL;
	struct timespec t_in, t_sub;
	unsigned char r[8];
	int rc, in_ok, sub_ok = 0, skip_sub;

	memset(&s, 0, sizeof(s));
	s.a = a;
	if (admin_args(a, argc - 1, argv + 1, opts, 6, NULL, 0, 0,
		       selftest_usage, &rc) < 0)
		return rc;
	skip_sub = sub != NULL && strcmp(sub, "none") == 0;
	if ((rc = st_setup(&s, smtp, skip_sub ? "" : sub, imap, tmo, &dom)) !=
	    ADMIN_OK) {
		free(dom);
		return rc;
	}
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r) ||
	    st_account(&s) < 0) {
		free(dom);
		return ADMIN_FAIL;
	}
	snprintf(in_tok, sizeof(in_tok), "selftest.in.%02x%02x%02x%02x", r[0],
		 r[1], r[2], r[3]);
	snprintf(sub_tok, sizeof(sub_tok), "selftest.sub.%02x%02x%02x%02x",
		 r[4], r[5], r[6], r[7]);
	in_ok = st_inbound(&s, in_tok) == 0;
	t_in = s.t0;
	if (!skip_sub)
		sub_ok = st_submit(&s, sub_tok) == 0;
	t_sub = s.t0;
	if (in_ok || sub_ok)
		st_mailbox(&s, in_tok, in_ok, sub_tok, sub_ok, &t_in, &t_sub);
	printf("\n");
	st_account_del(&s);
	printf("selftest: %s (%d FAIL)\n", s.nfail ? "FAILED" : "ok", s.nfail);
	free(dom);
	return s.nfail ? ADMIN_FAIL : ADMIN_OK;
}
