/* admin/explain_why.c - what facteur explain prints beside the modules'
 * verdicts (explain.c):
 *   - the DNS answers behind the DKIM, SPF and DMARC results: the key
 *     record of each DKIM-Signature (s=, d=), the SPF record of the
 *     envelope sender's domain (the HELO name for <>), the DMARC record
 *     of the From domain, asked through [dkim] resolver;
 *   - what the modules logged while they ran: facteur-blacklist's
 *     decision and the row behind it ('sender_blacklist "@x"'), scrub's
 *     removals, DNS errors: their own words, so nothing here can
 *     disagree with the verdicts;
 *   - each recipient's Sieve: facteur-lmtp's own lmtp_sieve_run (the
 *     [lmtp] sieve_before script, then the user's ~/.dovecot.sieve) over
 *     the message as delivered (the modules' header edits applied), and
 *     the folder it lands in.
 *
 * SECURITY: DNS answers, rows and script actions are untrusted text,
 * printed through xp_show (control bytes become spaces). Scripts run in
 * the interpreter only: explain never files, redirects or replies. */
#include "admin.h"
#include "explain.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "dns.h"
#include "lmtp.h"
#include "maildir.h"
#include "sieve.h"
#include "store.h"

/* Prints "  label: text" on one line (JSON: one string of "why"). */
static void
xp_show(struct admin *a, int *first, const char *label, const char *text,
	size_t len)
{
	struct buf b;
	size_t i;

	buf_init(&b, 8192);
	if (buf_printf(&b, "%s: ", label) < 0)
		buf_reset(&b);
	for (i = 0; i < len && i < 2000; i++)
		if (buf_addc(&b,
			     (unsigned char)text[i] < 0x20 || text[i] == 0x7f
				 ? ' '
				 : text[i]) < 0)
			break;
	if (a->json) {
		printf("%s\n    ", *first ? "" : ",");
		out_json_string(stdout, buf_str(&b));
	} else
		printf("  %s\n", buf_str(&b));
	*first = 0;
	buf_free(&b);
}

static void
xp_txt(struct admin *a, int *first, struct dns_resolver *r, const char *label,
       const char *name, const char *prefix)
{
	struct dns_answer ans;
	char l[600];
	size_t i, shown = 0;

	memset(&ans, 0, sizeof(ans));
	snprintf(l, sizeof(l), "%s TXT %s", label, name);
	switch (dns_query(r, name, DNS_T_TXT, &ans)) {
	case DNS_OK:
		for (i = 0; i < ans.nrrs; i++)
			if (prefix == NULL ||
			    strncasecmp(ans.rrs[i], prefix, strlen(prefix)) ==
				0) {
				xp_show(a, first, l, ans.rrs[i], ans.lens[i]);
				shown++;
			}
		if (shown == 0)
			xp_show(a, first, l, "no record of that kind", 22);
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		xp_show(a, first, l, "no such record", 14);
		break;
	default:
		xp_show(a, first, l,
			ans.error[0] ? ans.error : dns_strstatus(ans.status),
			strlen(ans.error[0] ? ans.error
					    : dns_strstatus(ans.status)));
	}
	dns_answer_clear(&ans);
}

/* The value of tag t (d, s) of a DKIM-Signature into out. */
static int
xp_tag(const char *sig, const char *t, char *out, size_t outlen)
{
	const char *p = sig;
	size_t n, tl = strlen(t);

	while (*p != '\0') {
		p += strspn(p, " \t\r\n;");
		if (strncmp(p, t, tl) == 0 &&
		    p[tl + strspn(p + tl, " \t")] == '=') {
			p += tl + strspn(p + tl, " \t") + 1;
			p += strspn(p, " \t\r\n");
			n = strcspn(p, "; \t\r\n");
			snprintf(out, outlen, "%.*s",
				 (int)(n < outlen ? n : outlen - 1), p);
			return 0;
		}
		p += strcspn(p, ";");
	}
	return -1;
}

static const char *
xp_domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at ? at + 1 : NULL;
}

static void
xp_dns(struct admin *a, int *first, const struct chain_settings *s,
       const struct xp_msg *m)
{
	struct dns_resolver *r = NULL;
	struct dns_config cfg;
	char e[256], d[256], sel[128], name[600], from[512];
	const char *dom, *f, *lt;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.server = s->dkim.resolver;
	cfg.timeout_ms = 5000;
	if (dns_resolver_new(&cfg, &r, e, sizeof(e)) < 0) {
		xp_show(a, first, "dns", e, strlen(e));
		return;
	}
	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->hnames[i], "DKIM-Signature") == 0 &&
		    xp_tag(m->hvalues[i], "d", d, sizeof(d)) == 0 &&
		    xp_tag(m->hvalues[i], "s", sel, sizeof(sel)) == 0) {
			snprintf(name, sizeof(name), "%s._domainkey.%s", sel,
				 d);
			xp_txt(a, first, r, "DKIM key", name, NULL);
		}
	dom = m->mail_from[0] ? xp_domain_of(m->mail_from) : m->helo;
	if (dom != NULL)
		xp_txt(a, first, r, "SPF", dom, "v=spf1");
	if ((f = xp_header(m, "From")) != NULL) {
		lt = strrchr(f, '<');
		snprintf(from, sizeof(from), "%s", lt ? lt + 1 : f);
		from[strcspn(from, "> \t\r\n")] = '\0';
		if ((dom = xp_domain_of(from)) != NULL) {
			snprintf(name, sizeof(name), "_dmarc.%s", dom);
			xp_txt(a, first, r, "DMARC", name, "v=DMARC1");
		}
	}
	dns_resolver_free(&r);
}

/* ---- what the modules logged ---- */

/* "facteur: info: EXPLAIN: blacklist: REJECT ...": one entry each,
 * without the program's name. */
static void
xp_log(struct admin *a, int *first, const char *log)
{
	const char *p = log, *nl;
	size_t n;

	for (; *p != '\0'; p = nl ? nl + 1 : p + n) {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (strncmp(p, "facteur: ", 9) == 0)
			p += 9, n -= 9;
		if (n > 0)
			xp_show(a, first, "log", p, n);
	}
}

/* ---- Sieve ---- */

/* The message as delivered: the modules' edits applied to the header
 * (inserts first, changes and deletes by name and index, adds last),
 * LF line ends, as facteur-lmtp stores it. */
static int
xp_delivered(const struct xp_msg *m, const struct xp_edit *e, size_t ne,
	     struct buf *out)
{
	size_t i, k;
	int idx, gone, r = 0;
	const char *v;

	for (k = 0; k < ne && r == 0; k++)
		if (e[k].kind == 'i')
			r = buf_printf(out, "%s: %s\n", e[k].name, e[k].value);
	for (i = 0; i < m->nheaders && r == 0; i++) {
		for (idx = 0, k = 0; k <= i; k++)
			idx += strcasecmp(m->hnames[k], m->hnames[i]) == 0;
		v = m->hvalues[i];
		gone = 0;
		for (k = 0; k < ne; k++)
			if ((e[k].kind == 'c' || e[k].kind == 'd') &&
			    e[k].index == idx &&
			    strcasecmp(e[k].name, m->hnames[i]) == 0) {
				gone = e[k].kind == 'd';
				v = e[k].value;
			}
		if (!gone)
			r = buf_printf(out, "%s:%s%s\n", m->hnames[i],
				       v != m->hvalues[i] ? " " : "", v);
	}
	for (k = 0; k < ne && r == 0; k++)
		if (e[k].kind == 'a')
			r = buf_printf(out, "%s: %s\n", e[k].name, e[k].value);
	if (r == 0)
		r = buf_addc(out, '\n');
	if (r == 0)
		r = buf_add(out, m->body, m->bodylen);
	return r;
}

static const char *
xp_folder(int homefd, const char *detail)
{
	char err[300];
	int fd, created;

	if (detail == NULL || *detail == '\0' || homefd < 0 ||
	    maildir_open_folder(homefd, detail, 0, &fd, &created, err,
				sizeof(err)) != 0)
		return "INBOX";
	close(fd);
	return detail;
}

/* One recipient: its mailbox, its scripts' actions, the folder. */
static void
xp_sieve_one(struct admin *a, int *first, struct lmtp_server *srv,
	     struct lmtp_msg *lm, const char *rcpt)
{
	struct store_errbuf err = {{0}};
	struct lmtp_rcpt r;
	struct sieve_result res;
	struct buf md, line;
	char user[600], label[700];
	const char *at = strrchr(rcpt, '@');
	size_t ln, i;
	int homefd = -1, ran;

	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	buf_init(&md, 4096);
	buf_init(&line, 8192);
	snprintf(label, sizeof(label), "sieve <%s>", rcpt);
	ln = at ? strcspn(rcpt, srv->cfg->recipient_delimiter) : 0;
	if (at == NULL || ln > (size_t)(at - rcpt))
		ln = at ? (size_t)(at - rcpt) : strlen(rcpt);
	snprintf(user, sizeof(user), "%.*s%s", (int)ln, rcpt, at ? at : "");
	r.address = (char *)rcpt;
	r.user = user;
	if (at != NULL && ln < (size_t)(at - rcpt))
		r.detail = strndup(rcpt + ln + 1, (size_t)(at - rcpt) - ln - 1);
	if (store_mailbox_lookup(a->store, user, &md, &err) != STORE_FOUND) {
		xp_show(a, first, label,
			"no active mailbox (an alias or "
			"unknown: Postfix resolves aliases before LMTP)",
			75);
		goto out;
	}
	r.maildir = (char *)buf_str(&md);
	homefd =
	    openat(srv->rootfd, r.maildir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ran = lmtp_sieve_run(srv, homefd, lm, &r, &res);
	if ((!ran || res.nactions == 0) &&
	    buf_printf(&line,
		       "no script: "
		       "keep into %s",
		       xp_folder(homefd, r.detail)) < 0)
		buf_reset(&line);
	for (i = 0; i < res.nactions; i++) {
		const struct sieve_action *act = &res.actions[i];
		const char *what = "vacation", *arg = "";

		if (act->type == SIEVE_ACT_KEEP)
			what = "keep into ", arg = xp_folder(homefd, r.detail);
		else if (act->type == SIEVE_ACT_FILEINTO)
			what = "fileinto ", arg = act->mailbox;
		else if (act->type == SIEVE_ACT_REDIRECT)
			what = "redirect to ", arg = act->address;
		else if (act->type == SIEVE_ACT_DISCARD)
			what = "discard";
		if (buf_printf(&line, "%s%s%s", i ? ", " : "", what, arg) < 0)
			break;
	}
	xp_show(a, first, label, buf_str(&line), line.len);
	sieve_result_free(&res);
out:
	if (homefd >= 0)
		close(homefd);
	free(r.detail);
	buf_free(&md);
	buf_free(&line);
}

static void
xp_sieve(struct admin *a, int *first, const struct xp_msg *m,
	 const struct xp_edit *e, size_t ne)
{
	struct lmtp_settings ls;
	struct cfg_section sec = {"lmtp", lmtp_conf_keys, lmtp_conf_nkeys, &ls};
	struct lmtp_server srv;
	struct lmtp_msg lm;
	struct buf text;
	char err[512];
	size_t i;

	memset(&ls, 0, sizeof(ls));
	memset(&srv, 0, sizeof(srv));
	memset(&lm, 0, sizeof(lm));
	buf_init(&text, (size_t)128 << 20);
	if (cfg_load(a->config_path, &sec, 1, !a->config_given, err,
		     sizeof(err)) < 0) {
		xp_show(a, first, "sieve", err, strlen(err));
		goto out;
	}
	srv.cfg = &ls;
	if ((srv.sieve = lmtp_sieve_cache_new()) == NULL ||
	    (srv.rootfd =
		 open(ls.mail_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    xp_delivered(m, e, ne, &text) < 0) {
		snprintf(err, sizeof(err),
			 "[lmtp] mail_root %s cannot be "
			 "opened",
			 ls.mail_root);
		xp_show(a, first, "sieve", err, strlen(err));
		goto out;
	}
	lm.sender = m->mail_from;
	lm.data = buf_str(&text);
	lm.len = text.len;
	if (lmtp_msg_headers(&lm) == 0)
		for (i = 0; i < m->nrcpts; i++)
			xp_sieve_one(a, first, &srv, &lm, m->rcpts[i]);
	lmtp_msg_clear(&lm);
out:
	if (srv.rootfd > 0)
		close(srv.rootfd);
	lmtp_sieve_cache_free(&srv.sieve);
	cfg_free(&sec, 1);
	buf_free(&text);
}

void
xp_why(struct admin *a, const struct chain_settings *s, const struct xp_msg *m,
       const char *log, const struct xp_edit *e, size_t ne)
{
	int first = 1;

	if (a->json)
		printf(",\n  \"why\": [");
	else
		printf("why:\n");
	xp_dns(a, &first, s, m);
	xp_log(a, &first, log);
	if (e != NULL && admin_store(a, 1) == ADMIN_OK)
		xp_sieve(a, &first, m, e, ne);
	if (a->json)
		printf("\n  ]");
}
