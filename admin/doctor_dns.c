/* admin/doctor_dns.c - facteur doctor's DNS checks, per mail domain: an
 * MX record, one SPF record (v=spf1), a DMARC record at _dmarc, each
 * active DKIM key published as 'facteur dkim dns' prints it (the same
 * code as 'facteur dkim check'), and an A or AAAA record for every MX
 * host.
 *
 * SECURITY: DNS through lib/dns only, to the resolver doctor was given
 * (--resolver, [dkim] resolver or resolv.conf); answers are untrusted
 * text, printed through the JSON escaper or as plain bounded strings. */
#include "admin.h"
#include "dkim_msg.h"
#include "doctor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "store.h"

#define DOC_MAX_MX 16

struct doc_domains {
	char **v;
	size_t n, cap;
	int failed;
};

static int
doc_domain_add(struct doc_domains *l, const char *name)
{
	char **nv;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
	}
	if ((l->v[l->n] = strdup(name)) == NULL)
		return -1;
	l->n++;
	return 0;
}

/* store_list row of "domains": keeps the enabled ones. */
static int
doc_enabled_row(void *ctx, int ncols, const char *const *names,
		const char *const *values)
{
	struct doc_domains *l = ctx;
	const char *name = domain_row_enabled(ncols, names, values);

	if (name != NULL && doc_domain_add(l, name) < 0)
		l->failed = 1;
	return 0;
}

/* Does a TXT record start with tag (v=spf1, v=DMARC1), followed by a
 * space, a ';' or its end? */
static int
doc_txt_is(const char *txt, size_t len, const char *tag)
{
	size_t n = strlen(tag);

	return len >= n && strncasecmp(txt, tag, n) == 0 &&
	       (len == n || txt[n] == ' ' || txt[n] == ';');
}

/* Prints a TXT answer bounded, for a detail. */
static void
doc_short(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 4 < outlen; i++)
		out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (i < len && n + 4 <= outlen)
		memcpy(out + n, "...", 3), n += 3;
	out[n] = '\0';
}

/* One TXT record starting with tag at name. */
static void
doc_txt(struct doctor *d, struct dns_resolver *r, const char *check,
	const char *name, const char *tag, const char *fix)
{
	struct dns_answer ans;
	char shown[200];
	size_t i, found = 0, at = 0;

	memset(&ans, 0, sizeof(ans));
	switch (dns_query(r, name, DNS_T_TXT, &ans)) {
	case DNS_OK:
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		break;
	default:
		doc_report(d, DOC_FAIL, check, "TXT %s: lookup failed (%s%s%s)",
			   name, dns_strstatus(ans.status),
			   ans.error[0] ? ": " : "", ans.error);
		dns_answer_clear(&ans);
		return;
	}
	for (i = 0; i < ans.nrrs; i++)
		if (doc_txt_is(ans.rrs[i], ans.lens[i], tag)) {
			if (found++ == 0)
				at = i;
		}
	if (found == 0)
		doc_report(d, DOC_FAIL, check, "no %s record at %s: publish %s",
			   tag, name, fix);
	else if (found > 1)
		doc_report(d, DOC_FAIL, check,
			   "%zu %s records at %s: keep "
			   "one (RFC 7208 / 7489 treat several as none)",
			   found, tag, name);
	else {
		doc_short(ans.rrs[at], ans.lens[at], shown, sizeof(shown));
		doc_report(d, DOC_OK, check, "%s TXT \"%s\"", name, shown);
	}
	dns_answer_clear(&ans);
}

/* MX of domain: the hosts go to hosts[] (owned). */
static size_t
doc_mx(struct doctor *d, struct dns_resolver *r, const char *domain,
       char **hosts)
{
	struct dns_answer ans;
	char check[300];
	size_t i, n = 0;
	const char *sp;

	snprintf(check, sizeof(check), "MX %s", domain);
	memset(&ans, 0, sizeof(ans));
	switch (dns_query(r, domain, DNS_T_MX, &ans)) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		doc_report(d, DOC_FAIL, check,
			   "no MX record: publish "
			   "\"%s. MX 10 <this host's name>.\"",
			   domain);
		dns_answer_clear(&ans);
		return 0;
	default:
		doc_report(d, DOC_FAIL, check, "lookup failed (%s%s%s)",
			   dns_strstatus(ans.status), ans.error[0] ? ": " : "",
			   ans.error);
		dns_answer_clear(&ans);
		return 0;
	}
	for (i = 0; i < ans.nrrs && n < DOC_MAX_MX; i++) {
		sp = strchr(ans.rrs[i], ' ');
		if (sp == NULL || sp[1] == '\0' || strcmp(sp + 1, ".") == 0)
			continue; /* null MX (RFC 7505) */
		if ((hosts[n] = strdup(sp + 1)) != NULL)
			n++;
	}
	if (n == 0)
		doc_report(d, DOC_FAIL, check,
			   "null MX (RFC 7505): the domain "
			   "refuses all mail; publish a real MX");
	else
		doc_report(d, DOC_OK, check, "%zu MX record(s): %s%s", ans.nrrs,
			   ans.rrs[0], ans.nrrs > 1 ? ", ..." : "");
	dns_answer_clear(&ans);
	return n;
}

/* A or AAAA for one MX host. */
static void
doc_host(struct doctor *d, struct dns_resolver *r, const char *host)
{
	static const enum dns_type types[] = {DNS_T_A, DNS_T_AAAA};
	struct dns_answer ans;
	char check[300], addrs[300];
	size_t i, k, n = 0;
	int failed = 0;

	snprintf(check, sizeof(check), "A/AAAA %s", host);
	addrs[0] = '\0';
	for (k = 0; k < 2; k++) {
		memset(&ans, 0, sizeof(ans));
		if (dns_query(r, host, types[k], &ans) == DNS_TEMPFAIL ||
		    ans.status == DNS_PERMFAIL)
			failed = 1;
		for (i = 0; i < ans.nrrs; i++, n++)
			snprintf(addrs + strlen(addrs),
				 sizeof(addrs) - strlen(addrs), "%s%s",
				 n ? " " : "", ans.rrs[i]);
		dns_answer_clear(&ans);
	}
	if (n > 0)
		doc_report(d, DOC_OK, check, "%s", addrs);
	else if (failed)
		doc_report(d, DOC_FAIL, check,
			   "lookup failed: the MX host's "
			   "address cannot be resolved now");
	else
		doc_report(d, DOC_FAIL, check,
			   "no A or AAAA record: the MX "
			   "points at a name without an address");
}

/* dkim_check_each callback. */
static void
doc_dkim_one(void *ctx, const char *name, int bad, const char *detail)
{
	struct doctor *d = ctx;
	char check[1100];

	snprintf(check, sizeof(check), "DKIM %s", name);
	if (bad && strcmp(detail, "lookup failed") == 0)
		doc_report(d, DOC_FAIL, check, "%s", detail);
	else if (bad)
		doc_report(d, DOC_FAIL, check,
			   "%s: publish what 'facteur dkim "
			   "dns' prints",
			   detail);
	else
		doc_report(d, DOC_OK, check, "record matches the key");
}

static void
doc_dkim(struct doctor *d, struct dns_resolver *r, const char *domain)
{
	char check[300];
	size_t n = 0;

	snprintf(check, sizeof(check), "DKIM %s", domain);
	if (d->a->store == NULL) {
		doc_report(d, DOC_WARN, check,
			   "keys not checked: no "
			   "database");
		return;
	}
	if (dkim_check_each(d->a, r, domain, doc_dkim_one, d, &n) != ADMIN_OK)
		doc_report(d, DOC_FAIL, check,
			   "cannot read the keys from "
			   "the database");
	else if (n == 0)
		doc_report(d, DOC_WARN, check,
			   "no active key: mail is not "
			   "signed ('facteur dkim keygen %s')",
			   domain);
}

static void
doc_domain(struct doctor *d, struct dns_resolver *r, const char *domain)
{
	char *hosts[DOC_MAX_MX];
	char name[300], fix[400], check[320];
	size_t i, n;

	n = doc_mx(d, r, domain, hosts);
	snprintf(check, sizeof(check), "SPF %s", domain);
	snprintf(fix, sizeof(fix), "\"%s. TXT \\\"v=spf1 mx -all\\\"\"",
		 domain);
	doc_txt(d, r, check, domain, "v=spf1", fix);
	snprintf(name, sizeof(name), "_dmarc.%s", domain);
	snprintf(check, sizeof(check), "DMARC %s", name);
	snprintf(fix, sizeof(fix),
		 "\"%s. TXT \\\"v=DMARC1; p=none; "
		 "rua=mailto:postmaster@%s\\\"\"",
		 name, domain);
	doc_txt(d, r, check, name, "v=DMARC1", fix);
	doc_dkim(d, r, domain);
	for (i = 0; i < n; i++) {
		doc_host(d, r, hosts[i]);
		free(hosts[i]);
	}
}

void
doctor_dns(struct doctor *d)
{
	struct doc_domains l = {NULL, 0, 0, 0};
	struct store_errbuf err = {{0}};
	struct dns_resolver *r = NULL;
	struct dns_config cfg;
	char e[256];
	size_t i;

	if (d->domain != NULL) {
		if (doc_domain_add(&l, d->domain) < 0)
			l.failed = 1;
	} else if (d->a->store == NULL) {
		doc_report(d, DOC_WARN, "dns",
			   "not checked: no database to "
			   "list the domains (or give --domain)");
		return;
	} else if (store_list(d->a->store, "domains", NULL, doc_enabled_row, &l,
			      &err) != 0) {
		doc_report(d, DOC_FAIL, "dns", "cannot list the domains: %s",
			   err.msg);
		return;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.server = d->resolver;
	cfg.timeout_ms = 5000;
	if (l.failed)
		doc_report(d, DOC_FAIL, "dns", "out of memory");
	else if (dns_resolver_new(&cfg, &r, e, sizeof(e)) < 0)
		doc_report(d, DOC_FAIL, "dns", "resolver %s: %s",
			   d->resolver ? d->resolver : "(resolv.conf)", e);
	else
		for (i = 0; i < l.n; i++)
			doc_domain(d, r, l.v[i]);
	dns_resolver_free(&r);
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
}
