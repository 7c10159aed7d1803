/* admin/doctor_live.c - facteur doctor's checks of what the live Postfix
 * configuration uses, read with `postconf -n -x` and `postconf -P -x`
 * (master.cf's -o overrides) on --postfix-dir or Postfix's own
 * directory:
 *   - each milter of smtpd_milters and non_smtpd_milters: connected to
 *     and asked for a milter option negotiation (SMFIC_OPTNEG);
 *   - each socketmap: table it names: queried (domains and mailboxes
 *     with a domain and a user of the database, the others with a probe
 *     key that must give OK or NOTFOUND);
 *   - each check_policy_service: sent a policy request, must answer an
 *     action;
 *   - virtual_transport, when LMTP: greeting and LHLO.
 * A socket file with nobody listening is "not running (stale socket)",
 * told apart from a missing file, a refused permission or a timeout.
 * Every FAIL here is something Postfix would answer 4xx for.
 *
 * SECURITY: runs postconf (read-only), connects to the sockets Postfix
 * names and sends them a probe a real client would send; reads the
 * answers as untrusted bounded text. */
#include "admin.h"
#include "doctor.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "daemon.h"
#include "netstring.h"

#define DOC_POSTCONF "/usr/sbin/postconf"
#define DOC_POSTCONF_MS 30000
#define DOC_MAX_SEEN 64

/* ---- the configuration ---- */

/* One "name = value" of postconf's output; both point into the text. */
struct doc_param {
	char *name, *value;
};

struct doc_pf {
	struct buf text; /* postconf -n -x, then -P -x */
	struct doc_param *v;
	size_t n;
	char seen[DOC_MAX_SEEN][512]; /* endpoints probed (no repeats) */
	size_t nseen;
};

/* Splits postconf output into params (in place). -1 on ENOMEM. */
static int
doc_pf_split(struct doc_pf *pf)
{
	char *p = pf->text.data, *nl, *eq;
	struct doc_param *nv;

	for (; p != NULL && *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if ((eq = strstr(p, " = ")) == NULL)
			continue;
		*eq = '\0';
		if ((nv = realloc(pf->v, (pf->n + 1) * sizeof(*nv))) == NULL)
			return -1;
		pf->v = nv;
		pf->v[pf->n].name = p;
		pf->v[pf->n++].value = eq + 3;
	}
	return 0;
}

/* Runs postconf with args on the configuration; appends its output. */
static int
doc_postconf(struct doctor *d, const char *a1, const char *a2, struct buf *out,
	     struct buf *err)
{
	char *argv[8];
	int n = 0, rc;

	argv[n++] = (char *)DOC_POSTCONF;
	if (d->postfix_dir != NULL) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)d->postfix_dir;
	}
	argv[n++] = (char *)a1;
	argv[n++] = (char *)a2;
	argv[n] = NULL;
	rc = doc_capture(argv, 1, DOC_POSTCONF_MS, err);
	if (rc != 0)
		return -1;
	return buf_add(out, err->data ? err->data : "", err->len);
}

static const char *
doc_pf_get(const struct doc_pf *pf, const char *name)
{
	size_t i;

	for (i = 0; i < pf->n; i++)
		if (strcmp(pf->v[i].name, name) == 0)
			return pf->v[i].value;
	return NULL;
}

/* Was this endpoint (and table) probed already? Records it if not. */
static int
doc_pf_seen(struct doc_pf *pf, const char *key)
{
	size_t i;

	for (i = 0; i < pf->nseen; i++)
		if (strcmp(pf->seen[i], key) == 0)
			return 1;
	if (pf->nseen < DOC_MAX_SEEN)
		snprintf(pf->seen[pf->nseen++], sizeof(pf->seen[0]), "%s", key);
	return 0;
}

/* A Postfix endpoint: "unix:PATH" (relative to queue_directory) or
 * "inet:HOST:PORT" ("[::1]:PORT"). Fills path or host/port. */
struct doc_ep {
	char path[512], host[256], port[16];
	int is_unix;
};

static int
doc_ep_parse(const struct doctor *d, const char *spec, size_t n,
	     struct doc_ep *ep)
{
	char s[512];
	const char *colon;
	size_t hl;

	memset(ep, 0, sizeof(*ep));
	if (n >= sizeof(s))
		return -1;
	memcpy(s, spec, n);
	s[n] = '\0';
	if (strncmp(s, "unix:", 5) == 0 || strchr(s, ':') == NULL) {
		const char *p = strncmp(s, "unix:", 5) == 0 ? s + 5 : s;

		ep->is_unix = 1;
		if (*p == '\0')
			return -1;
		if (*p == '/' || d->queue_dir == NULL)
			n = (size_t)snprintf(ep->path, sizeof(ep->path), "%s",
					     p);
		else
			n = (size_t)snprintf(ep->path, sizeof(ep->path),
					     "%s/%s", d->queue_dir, p);
		return n < sizeof(ep->path) ? 0 : -1;
	}
	if (strncmp(s, "inet:", 5) != 0)
		return -1;
	if ((colon = strrchr(s + 5, ':')) == NULL || colon[1] == '\0')
		return -1;
	snprintf(ep->port, sizeof(ep->port), "%s", colon + 1);
	hl = (size_t)(colon - (s + 5));
	if (s[5] == '[' && hl >= 2 && colon[-1] == ']')
		memcpy(ep->host, s + 6, hl - 2), ep->host[hl - 2] = '\0';
	else if (hl > 0 && hl < sizeof(ep->host))
		memcpy(ep->host, s + 5, hl), ep->host[hl] = '\0';
	else
		snprintf(ep->host, sizeof(ep->host), "localhost");
	return 0;
}

static int
doc_ep_dial(const struct doc_ep *ep)
{
	return doc_dial(ep->is_unix ? ep->path : NULL, ep->host, ep->port,
			DOC_PROBE_S);
}

/* The facteur.conf section whose socket is ep, or -1. */
static int
doc_ep_section(const struct doctor *d, const struct doc_ep *ep)
{
	enum mlt_sock_kind kind;
	const char *path, *spec, *at;
	size_t i;

	for (i = 0; i < DOC_NSECTS; i++) {
		if (doc_progs[i].kind != DOC_MILTER)
			continue;
		spec = d->secs[i].socket ? d->secs[i].socket
					 : doc_progs[i].defsock;
		if (mlt_socket_parse(spec, &kind, &path) < 0)
			continue;
		if (kind == MLT_SOCK_UNIX) {
			if (ep->is_unix && strcmp(path, ep->path) == 0)
				return (int)i;
			continue;
		}
		at = strchr(spec, '@');
		if (!ep->is_unix && at != NULL &&
		    strncmp(strchr(spec, ':') + 1, ep->port,
			    strlen(ep->port)) == 0 &&
		    strchr(spec, ':') + 1 + strlen(ep->port) == at &&
		    strstr(at + 1, ep->host) != NULL)
			return (int)i;
	}
	return -1;
}

/* ---- milters ---- */

static int
doc_milter_done(const struct buf *b)
{
	const unsigned char *p = (const unsigned char *)b->data;
	uint32_t n;

	if (b->len < 4)
		return 0;
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	    p[3];
	return b->len >= 4 + (size_t)n || n > 65536;
}

/* Sends SMFIC_OPTNEG (version 6, every action and protocol bit, as
 * Postfix does) and reads the reply. 0 with detail, or -1 with why. */
static int
doc_optneg(int fd, char *detail, size_t dlen)
{
	static const unsigned char optneg[17] = {0,    0, 0,	13,   'O', 0,
						 0,    0, 6,	0,    0,   0x01,
						 0xff, 0, 0x1f, 0xff, 0xff};
	static const unsigned char quit[5] = {0, 0, 0, 1, 'Q'};
	const unsigned char *p;
	struct buf b;
	int rc = -1;

	buf_init(&b, 70000);
	if (doc_write(fd, optneg, sizeof(optneg)) < 0)
		snprintf(detail, dlen, "cannot send OPTNEG: %s",
			 strerror(errno));
	else if (doc_read_until(fd, &b, doc_milter_done) < 0)
		snprintf(detail, dlen, "no answer to OPTNEG within %d s (%s)",
			 DOC_PROBE_S, b.len ? "cut short" : "silence");
	else if (b.len < 17 || (p = (const unsigned char *)b.data)[4] != 'O')
		snprintf(detail, dlen,
			 "answered OPTNEG with '%c', not a "
			 "negotiation",
			 b.len > 4 && b.data[4] >= 0x20 && b.data[4] < 0x7f
			     ? b.data[4]
			     : '?');
	else {
		snprintf(detail, dlen, "milter protocol version %u",
			 (unsigned)p[8]);
		(void)doc_write(fd, quit, sizeof(quit));
		rc = 0;
	}
	buf_free(&b);
	return rc;
}

static void
doc_one_milter(struct doctor *d, struct doc_pf *pf, const char *param,
	       const char *spec, size_t n)
{
	char check[600], why[1200], detail[256], key[512];
	const char *prog = NULL, *unit = NULL;
	struct doc_ep ep;
	int fd, sec;

	snprintf(key, sizeof(key), "milter %.*s", (int)n, spec);
	if (doc_pf_seen(pf, key))
		return;
	snprintf(check, sizeof(check), "%s %.*s", param, (int)n, spec);
	if (doc_ep_parse(d, spec, n, &ep) < 0) {
		doc_report(d, DOC_FAIL, check,
			   "not unix:PATH or "
			   "inet:HOST:PORT: fix %s in main.cf",
			   param);
		return;
	}
	if ((sec = doc_ep_section(d, &ep)) >= 0) {
		d->milters_used |= 1u << sec;
		prog = doc_progs[sec].prog;
		unit = doc_progs[sec].unit;
	}
	if ((fd = doc_ep_dial(&ep)) < 0) {
		doc_conn_error(-fd, ep.is_unix ? ep.path : NULL, key + 7,
			       prog ? prog : "the milter", unit, why,
			       sizeof(why));
		doc_report(d, DOC_FAIL, check,
			   "%s (Postfix answers "
			   "milter_default_action meanwhile, 451 4.7.1 when "
			   "tempfail)",
			   why);
		return;
	}
	if (doc_optneg(fd, detail, sizeof(detail)) < 0)
		doc_report(d, DOC_FAIL, check, "%s: %s: restart %s", key + 7,
			   detail, prog ? prog : "the milter");
	else
		doc_report(d, DOC_OK, check, "%s answers (%s)%s%s%s",
			   prog ? prog : "the milter", detail,
			   sec >= 0 ? ", facteur.conf [" : "",
			   sec >= 0 ? doc_progs[sec].section : "",
			   sec >= 0 ? "]" : "");
	close(fd);
}

/* smtpd_milters's list: "a, b", "{ a, connect_timeout=1s }, b". */
static void
doc_milters(struct doctor *d, struct doc_pf *pf, const char *param,
	    const char *list)
{
	const char *p = list;
	size_t n;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		if (*p == '{') {
			p++;
			p += strspn(p, " \t");
			n = strcspn(p, " \t,}");
			if (n > 0)
				doc_one_milter(d, pf, param, p, n);
			p += strcspn(p, "}");
			if (*p == '}')
				p++;
			continue;
		}
		n = strcspn(p, " \t,");
		doc_one_milter(d, pf, param, p, n);
		p += n;
	}
}

/* ---- socketmap ---- */

static int
doc_ns_done(const struct buf *b)
{
	size_t off, plen, used, bad;

	return b->len > 0 &&
	       ns_parse((const unsigned char *)b->data, b->len, 0, &off, &plen,
			&used, &bad) != NS_INCOMPLETE;
}

/* The key to ask table name: a domain or user of the database for the
 * tables facteur-lookup serves with them, a probe otherwise. Sets
 * *want_ok when only OK is right. */
static const char *
doc_sm_key(const struct doctor *d, const char *name, int *want_ok)
{
	*want_ok = 0;
	if (strcmp(name, "domains") == 0 && d->probe_domain != NULL) {
		*want_ok = 1;
		return d->probe_domain;
	}
	if (strcmp(name, "mailboxes") == 0 && d->probe_user != NULL) {
		*want_ok = 1;
		return d->probe_user;
	}
	return "doctor-probe@example.invalid";
}

/* Asks "name key"; the answer (printable) into ans. 0 or -1 (why). */
static int
doc_sm_ask(int fd, const char *name, const char *key, char *ans, size_t alen)
{
	struct buf q, r;
	size_t off, plen, used, bad;
	char req[600];
	int rc = -1;

	buf_init(&q, 1024);
	buf_init(&r, 100010);
	snprintf(req, sizeof(req), "%s %s", name, key);
	if (ns_format(&q, req, strlen(req)) < 0 ||
	    doc_write(fd, q.data, q.len) < 0)
		snprintf(ans, alen, "cannot send: %s", strerror(errno));
	else if (doc_read_until(fd, &r, doc_ns_done) < 0)
		snprintf(ans, alen, "no answer within %d s", DOC_PROBE_S);
	else if (ns_parse((const unsigned char *)r.data, r.len, 0, &off, &plen,
			  &used, &bad) != NS_OK)
		snprintf(ans, alen, "not a netstring answer");
	else {
		doc_clean(r.data + off, plen > 200 ? 200 : plen, ans, alen);
		rc = 0;
	}
	buf_free(&q);
	buf_free(&r);
	return rc;
}

/* "socketmap:unix:PATH:NAME" / "socketmap:inet:HOST:PORT:NAME". */
static void
doc_one_socketmap(struct doctor *d, struct doc_pf *pf, const char *param,
		  const char *spec, size_t n)
{
	char check[700], why[1200], ans[256], name[128], key[512];
	const char *last, *qkey;
	struct doc_ep ep;
	size_t nl;
	int fd, want_ok;

	snprintf(key, sizeof(key), "%.*s", (int)n, spec);
	snprintf(check, sizeof(check), "socketmap %s (%s)", key + 10, param);
	if (doc_pf_seen(pf, key))
		return;
	last = memrchr(spec, ':', n);
	nl = (size_t)(spec + n - last - 1);
	if (last == NULL || last < spec + 10 || nl == 0 || nl >= sizeof(name) ||
	    doc_ep_parse(d, spec + 10, (size_t)(last - spec - 10), &ep) < 0) {
		doc_report(d, DOC_FAIL, check,
			   "not socketmap:unix:PATH:NAME "
			   "or socketmap:inet:HOST:PORT:NAME: fix %s",
			   param);
		return;
	}
	memcpy(name, last + 1, nl);
	name[nl] = '\0';
	qkey = doc_sm_key(d, name, &want_ok);
	if ((fd = doc_ep_dial(&ep)) < 0) {
		doc_conn_error(-fd, ep.is_unix ? ep.path : NULL, key,
			       "facteur-lookup", "facteur-lookup", why,
			       sizeof(why));
		doc_report(d, DOC_FAIL, check,
			   "%s (Postfix answers 451 4.3.0 "
			   "to every address it looks up there)",
			   why);
		return;
	}
	if (doc_sm_ask(fd, name, qkey, ans, sizeof(ans)) < 0)
		doc_report(d, DOC_FAIL, check,
			   "'%s %s': %s: restart "
			   "facteur-lookup",
			   name, qkey, ans);
	else if (strncmp(ans, "OK", 2) == 0 ||
		 (!want_ok && strncmp(ans, "NOTFOUND", 8) == 0))
		doc_report(d, DOC_OK, check, "'%s %s' -> %s", name, qkey, ans);
	else if (strncmp(ans, "NOTFOUND", 8) == 0)
		doc_report(d, DOC_FAIL, check,
			   "'%s %s' -> NOTFOUND, yet the "
			   "database has it: does facteur-lookup read %s?",
			   name, qkey, d->a->db_path);
	else
		doc_report(d, DOC_FAIL, check,
			   "'%s %s' -> %s: see "
			   "facteur-lookup's log",
			   name, qkey, ans);
	close(fd);
}

static void
doc_socketmaps(struct doctor *d, struct doc_pf *pf, const char *param,
	       const char *value)
{
	const char *p = value;
	size_t n;

	while ((p = strstr(p, "socketmap:")) != NULL) {
		if (p != value && strchr(" \t,{", p[-1]) == NULL) {
			p += 10;
			continue;
		}
		n = strcspn(p, " \t,}");
		doc_one_socketmap(d, pf, param, p, n);
		p += n;
	}
}

/* ---- policy services ---- */

static int
doc_policy_done(const struct buf *b)
{
	return b->len > 0 && strstr(b->data, "\n\n") != NULL;
}

static void
doc_one_policy(struct doctor *d, struct doc_pf *pf, const char *param,
	       const char *spec, size_t n)
{
	char check[700], why[1200], ans[256], key[512], req[1024];
	const char *act;
	struct doc_ep ep;
	struct buf r;
	int fd;

	snprintf(key, sizeof(key), "policy %.*s", (int)n, spec);
	snprintf(check, sizeof(check), "check_policy_service %.*s (%s)", (int)n,
		 spec, param);
	if (doc_pf_seen(pf, key))
		return;
	if (doc_ep_parse(d, spec, n, &ep) < 0) {
		doc_report(d, DOC_FAIL, check,
			   "not unix:PATH or "
			   "inet:HOST:PORT: fix %s",
			   param);
		return;
	}
	if ((fd = doc_ep_dial(&ep)) < 0) {
		doc_conn_error(-fd, ep.is_unix ? ep.path : NULL, key + 7,
			       "the policy server", NULL, why, sizeof(why));
		doc_report(d, DOC_FAIL, check,
			   "%s (Postfix answers 451 4.3.5 "
			   "meanwhile)",
			   why);
		return;
	}
	snprintf(req, sizeof(req),
		 "request=smtpd_access_policy\n"
		 "protocol_state=RCPT\nprotocol_name=ESMTP\n"
		 "client_address=192.0.2.1\nclient_name=unknown\n"
		 "helo_name=doctor.example\nsender=doctor@example.invalid\n"
		 "recipient=postmaster@%s\n\n",
		 d->probe_domain ? d->probe_domain : "example.invalid");
	buf_init(&r, 65536);
	if (doc_write(fd, req, strlen(req)) < 0 ||
	    doc_read_until(fd, &r, doc_policy_done) < 0)
		doc_report(d, DOC_FAIL, check,
			   "no answer to a policy request "
			   "within %d s: see the policy server's log",
			   DOC_PROBE_S);
	else if ((act = strstr(r.data, "action=")) == NULL)
		doc_report(d, DOC_FAIL, check, "answered without action=");
	else {
		doc_clean(act, strcspn(act, "\n"), ans, sizeof(ans));
		doc_report(d, DOC_OK, check, "answers %s", ans);
	}
	buf_free(&r);
	close(fd);
}

static void
doc_policies(struct doctor *d, struct doc_pf *pf, const char *param,
	     const char *value)
{
	const char *p = value;
	size_t n;

	while ((p = strstr(p, "check_policy_service")) != NULL) {
		p += strlen("check_policy_service");
		p += strspn(p, " \t,");
		if (*p == '{') {
			p++;
			p += strspn(p, " \t");
		}
		n = strcspn(p, " \t,}");
		if (n > 0)
			doc_one_policy(d, pf, param, p, n);
		p += n;
	}
}

/* ---- virtual_transport ---- */

static int
doc_smtp_done(const struct buf *b)
{
	const char *last;

	if (b->len == 0 || b->data[b->len - 1] != '\n')
		return 0;
	last = b->len >= 2 ? memrchr(b->data, '\n', b->len - 1) : NULL;
	last = last ? last + 1 : b->data;
	return strlen(last) >= 4 && last[3] == ' ';
}

/* Greeting 220, LHLO 250. 0 or -1 with why. */
static int
doc_lhlo(int fd, char *why, size_t wlen)
{
	static const char lhlo[] = "LHLO doctor.example\r\n";
	struct buf b;
	int rc = -1;

	buf_init(&b, 65536);
	if (doc_read_until(fd, &b, doc_smtp_done) < 0)
		snprintf(why, wlen, "no greeting within %d s", DOC_PROBE_S);
	else if (strncmp(b.data, "220", 3) != 0)
		doc_clean(b.data, strcspn(b.data, "\r\n"), why, wlen);
	else if (doc_write(fd, lhlo, sizeof(lhlo) - 1) < 0 ||
		 doc_read_until(fd, &b, doc_smtp_done) < 0)
		snprintf(why, wlen, "no answer to LHLO within %d s",
			 DOC_PROBE_S);
	else if (strncmp(b.data, "250", 3) != 0)
		doc_clean(b.data, strcspn(b.data, "\r\n"), why, wlen);
	else {
		(void)doc_write(fd, "QUIT\r\n", 6);
		rc = 0;
	}
	buf_free(&b);
	return rc;
}

static void
doc_transport(struct doctor *d, const char *value)
{
	char why[1200], spec[512];
	struct doc_ep ep;
	const char *p = value;
	int fd;

	if (value == NULL || strncmp(value, "lmtp:", 5) != 0) {
		doc_report(d, DOC_OK, "virtual_transport",
			   "%s: not LMTP, not "
			   "checked",
			   value ? value : "virtual (the default)");
		return;
	}
	p += 5;
	/* lmtp:unix:PATH, lmtp:inet:HOST:PORT, lmtp:HOST:PORT, lmtp:[H]:P */
	if (strncmp(p, "unix:", 5) == 0 || strncmp(p, "inet:", 5) == 0)
		snprintf(spec, sizeof(spec), "%s", p);
	else
		snprintf(spec, sizeof(spec), "inet:%s", p);
	if (doc_ep_parse(d, spec, strlen(spec), &ep) < 0) {
		doc_report(d, DOC_FAIL, "virtual_transport",
			   "%s: not "
			   "lmtp:unix:PATH or lmtp:inet:HOST:PORT",
			   value);
		return;
	}
	if ((fd = doc_ep_dial(&ep)) < 0) {
		doc_conn_error(-fd, ep.is_unix ? ep.path : NULL, value,
			       "facteur-lmtp", "facteur-lmtp", why,
			       sizeof(why));
		doc_report(d, DOC_FAIL, "virtual_transport",
			   "%s (mail stays "
			   "in Postfix's queue meanwhile)",
			   why);
		return;
	}
	if (doc_lhlo(fd, why, sizeof(why)) < 0)
		doc_report(d, DOC_FAIL, "virtual_transport",
			   "%s: %s: see the "
			   "LMTP server's log",
			   value, why);
	else
		doc_report(d, DOC_OK, "virtual_transport", "%s answers LHLO",
			   value);
	close(fd);
}

/* facteur selftest sends as from the Internet with XCLIENT: Postfix must
 * allow it from this host. A warning: mail flows without it. */
static void
doc_xclient(struct doctor *d, const char *v)
{
	if (v != NULL &&
	    (strstr(v, "127.") != NULL || strstr(v, "::1") != NULL ||
	     strstr(v, "localhost") != NULL))
		doc_report(d, DOC_OK, "smtpd_authorized_xclient_hosts",
			   "%s: "
			   "'facteur selftest' can run",
			   v);
	else
		doc_report(
		    d, DOC_WARN, "smtpd_authorized_xclient_hosts",
		    "%s: 'facteur selftest' cannot send as a client from the "
		    "Internet: postconf -e 'smtpd_authorized_xclient_hosts = "
		    "127.0.0.1' ('facteur setup --apply' sets it)",
		    v && *v ? v : "unset");
}

/* ---- all of it ---- */

static int
doc_pf_read(struct doctor *d, struct doc_pf *pf)
{
	struct buf err, q;
	const char *qd;
	int rc = -1;

	buf_init(&err, 1 << 20);
	buf_init(&q, 4096);
	if (doc_postconf(d, "-n", "-x", &pf->text, &err) < 0 ||
	    doc_postconf(d, "-P", "-x", &pf->text, &err) < 0) {
		char why[300];

		doc_clean(err.data ? err.data : "",
			  strcspn(err.data ? err.data : "", "\n"), why,
			  sizeof(why));
		doc_report(d, strstr(why, "No such file") ? DOC_WARN : DOC_FAIL,
			   "postfix",
			   "postconf%s%s: %s: Postfix checks "
			   "skipped",
			   d->postfix_dir ? " -c " : "",
			   d->postfix_dir ? d->postfix_dir : "",
			   why[0] ? why : "failed");
		goto out;
	}
	if (doc_postconf(d, "-h", "queue_directory", &q, &err) == 0 &&
	    (qd = buf_str(&q))[0] == '/')
		d->queue_dir = strndup(qd, strcspn(qd, "\n"));
	if (doc_pf_split(pf) < 0) {
		doc_report(d, DOC_FAIL, "postfix", "out of memory");
		goto out;
	}
	rc = 0;
out:
	buf_free(&err);
	buf_free(&q);
	return rc;
}

/* "submission/inet/smtpd_milters" -> "smtpd_milters": which parameter
 * a master.cf override sets. */
static const char *
doc_param_base(const char *name)
{
	const char *s = strrchr(name, '/');

	return s ? s + 1 : name;
}

void
doctor_postfix(struct doctor *d)
{
	struct doc_pf pf;
	const char *base;
	size_t i;

	if (d->postfix_dir != NULL && strcmp(d->postfix_dir, "none") == 0)
		return;
	if (access(DOC_POSTCONF, X_OK) != 0) {
		doc_report(d, DOC_WARN, "postfix",
			   "no %s: Postfix checks "
			   "skipped",
			   DOC_POSTCONF);
		return;
	}
	memset(&pf, 0, sizeof(pf));
	buf_init(&pf.text, 1 << 20);
	if (doc_pf_read(d, &pf) == 0) {
		d->postfix_read = 1;
		doc_report(d, DOC_OK, "postfix",
			   "postconf -n: %zu settings "
			   "in use (main.cf and master.cf)",
			   pf.n);
		for (i = 0; i < pf.n; i++) {
			base = doc_param_base(pf.v[i].name);
			if (strcmp(base, "smtpd_milters") == 0 ||
			    strcmp(base, "non_smtpd_milters") == 0)
				doc_milters(d, &pf, pf.v[i].name,
					    pf.v[i].value);
		}
		for (i = 0; i < pf.n; i++) {
			doc_socketmaps(d, &pf, pf.v[i].name, pf.v[i].value);
			doc_policies(d, &pf, pf.v[i].name, pf.v[i].value);
		}
		doc_transport(d, doc_pf_get(&pf, "virtual_transport"));
		doc_xclient(d,
			    doc_pf_get(&pf, "smtpd_authorized_xclient_hosts"));
	}
	free(pf.v);
	buf_free(&pf.text);
}
