/* milters/blacklist/blpolicy.c - facteur-blacklist's decisions; see blpolicy.h.
 */
#include "blpolicy.h"

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "dns.h"
#include "spf.h"
#include "store.h"

#define E(f) offsetof(struct blp_settings, f)
const struct cfg_key blp_keys[] = {
    {"internal_hosts", CFG_CIDR_LIST, "127.0.0.0/8, ::1", 0, 0,
     E(internal_hosts), NULL, "clients that skip every check (CIDR list)"},
    {"recipient_delimiter", CFG_STR, "+", 0, 0, E(recipient_delimiter), NULL,
     "address extension delimiters, as Postfix's"},
    {"dnsbl_zones", CFG_STR, "", 0, 0, E(dnsbl_zones), NULL,
     "DNSBL zones, each zone[=code,code...]; empty: no DNSBL"},
    {"dnsbl_timeout", CFG_DURATION, "5s", 100, 60000, E(dnsbl_timeout), NULL,
     "DNS timeout per DNSBL query"},
    {"resolver", CFG_STR, NULL, 0, 0, E(resolver), NULL,
     "DNS server IP[@PORT] (default: /etc/resolv.conf)"},
    {"spf_reject", CFG_ENUM, "none", 0, 0, E(spf_reject), "none|fail",
     "fail: reject SPF fail with 550 5.7.23; none: never"},
    {"myorigin", CFG_STR, "", 0, 0, E(myorigin), NULL,
     "domain of a domainless envelope address, as Postfix's myorigin "
     "(empty: the MTA's j macro, Postfix's myhostname)"},
};
#undef E
const size_t blp_nkeys = sizeof(blp_keys) / sizeof(blp_keys[0]);

int
blp_check(struct blp_settings *s, char *err, size_t errlen)
{
	const char *z = s->dnsbl_zones ? s->dnsbl_zones : "";
	const char *o = s->myorigin ? s->myorigin : "";
	size_t off, olen = strlen(o);

	if (olen > 1 && o[olen - 1] == '.')
		olen--; /* as Postfix takes it */
	if (olen > 0 && addr_parse_domain((const unsigned char *)o, olen, NULL,
					  &off) != ADDR_OK) {
		snprintf(err, errlen,
			 "[blacklist] myorigin: \"%.80s\" is not "
			 "a domain name",
			 o);
		return -1;
	}
	if (dnsbl_zones_parse(z, strlen(z), NULL, s->zones, &s->nzones, &off) !=
	    DNSBL_OK) {
		snprintf(err, errlen,
			 "[blacklist] dnsbl_zones: bad zone or "
			 "code at \"%.40s\" (zone[=127.0.0.x,...], at most %d "
			 "zones of %d codes)",
			 z + off, DNSBL_MAX_ZONES, DNSBL_MAX_CODES);
		return -1;
	}
	return 0;
}

int
blp_init(struct blp_settings *s, int with_dns, const char *hostname, char *err,
	 size_t errlen)
{
	struct dns_config dc;

	if (!with_dns || (s->nzones == 0 && s->spf_reject == BLP_SPF_NONE))
		return 0;
	memset(&dc, 0, sizeof(dc));
	dc.server = s->resolver;
	dc.timeout_ms = s->dnsbl_timeout;
	if (dns_resolver_new(&dc, &s->dns, err, errlen) < 0)
		return -1;
	if (s->spf_reject != BLP_SPF_NONE &&
	    spf_new(s->dns, hostname, &s->spf, err, errlen) < 0) {
		dns_resolver_free(&s->dns);
		return -1;
	}
	return 0;
}

void
blp_fini(struct blp_settings *s)
{
	if (s->spf)
		spf_free(&s->spf);
	if (s->dns)
		dns_resolver_free(&s->dns);
}

int
blp_internal(const struct blp_settings *s, const char *ip)
{
	return cidr_list_match(&s->internal_hosts, ip);
}

const char *
blp_verdict_name(enum blp_verdict v)
{
	static const char *const names[] = {"PASS", "ALLOW", "REJECT",
					    "DISCARD", "HOLD"};

	return (size_t)v < sizeof(names) / sizeof(names[0]) ? names[v] : "PASS";
}

/* Printable ASCII copy of s into out (other bytes become '?'); longer
 * text is cut at a byte boundary (ASCII: no character is split). */
static void
blp_text(char *out, size_t outlen, const char *s)
{
	size_t i;

	for (i = 0; s && s[i] && i + 1 < outlen; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

static void
blp_note(struct blp_outcome *o, const char *what)
{
	size_t l = strlen(o->notes);

	snprintf(o->notes + l, sizeof(o->notes) - l, "%s%s", l ? "; " : "",
		 what);
}

static void
blp_reject(struct blp_outcome *o, int code, const char *xcode, const char *text)
{
	o->verdict = BLP_REJECT;
	snprintf(o->code, sizeof(o->code), "%d", code);
	snprintf(o->xcode, sizeof(o->xcode), "%s", xcode);
	blp_text(o->text, sizeof(o->text), text);
}

/* A table decision into o. */
static void
blp_from_access(const struct access_decision *d, struct blp_outcome *o)
{
	static const enum blp_verdict v[] = {BLP_PASS, BLP_ALLOW, BLP_REJECT,
					     BLP_DISCARD, BLP_HOLD};
	char safe[256];

	blp_text(safe, sizeof(safe), d->row.pattern);
	snprintf(o->match, sizeof(o->match), "%s_blacklist \"%s\" (%s, %s)",
		 strcmp(d->what, "recipient") == 0 ? "recipient" : "sender",
		 safe, d->what, d->row.action);
	if (d->action == ACCESS_REJECT)
		blp_reject(o, d->code, d->xcode,
			   d->row.message && *d->row.message ? d->row.message
							     : "Access denied");
	else {
		o->verdict = v[d->action];
		blp_text(o->text, sizeof(o->text), d->row.message);
	}
}

static void
blp_dnsbl(const struct blp_settings *s, const char *ip, struct blp_outcome *o)
{
	struct dnsbl_result r;
	char note[600], text[600];

	if (s->dns == NULL || s->nzones == 0)
		return;
	if (dnsbl_check(s->dns, s->zones, s->nzones, ip, &r) < 0)
		return; /* "local" or unknown: nothing to look up */
	if (r.refused) {
		o->refused = 1;
		snprintf(note, sizeof(note),
			 "DNSBL %s refused the query "
			 "(answer %s; %d zone(s)), not counted as listed",
			 r.refused_zone->name, r.refused_code, r.refused);
		blp_note(o, note);
	}
	if (r.errors) {
		o->dns_error = 1;
		snprintf(note, sizeof(note), "DNSBL %s did not answer: %s",
			 r.error_zone->name, r.error);
		blp_note(o, note);
	}
	if (!r.listed)
		return;
	snprintf(o->match, sizeof(o->match), "dnsbl %s (%s)", r.zone->name,
		 r.code);
	snprintf(text, sizeof(text), "Client address %s listed by %s (%s)", ip,
		 r.zone->name, r.code);
	blp_reject(o, 554, "5.7.1", text);
}

static void
blp_spf(const struct blp_settings *s, const char *sender, const char *ip,
	const char *helo, struct blp_outcome *o)
{
	struct spf_outcome so;
	enum spf_result res;
	char text[600], note[600];

	if (s->spf == NULL || s->spf_reject == BLP_SPF_NONE)
		return;
	res = spf_check(s->spf, ip, helo ? helo : "", sender, &so);
	if (res == SPF_R_TEMPERROR) {
		o->dns_error = 1;
		snprintf(note, sizeof(note), "SPF temperror for %s: %s",
			 so.domain, so.detail);
		blp_note(o, note);
	}
	if (res != SPF_R_FAIL)
		return; /* softfail, neutral, none, temperror: never */
	snprintf(o->match, sizeof(o->match), "spf fail (%s)", so.domain);
	snprintf(text, sizeof(text), "SPF check failed for %s: %s", so.domain,
		 so.explanation[0] ? so.explanation
				   : "not an authorized sender");
	blp_reject(o, 550, "5.7.23", text);
}

int
blp_mail(const struct blp_settings *s, struct store *st, const char *sender,
	 const char *ip, const char *helo, struct blp_outcome *o,
	 struct store_errbuf *err)
{
	const struct access_cfg qc = {s->recipient_delimiter, "<>"};
	struct access_decision d;

	memset(o, 0, sizeof(*o));
	if (access_check_sender(st, &qc, sender, ip, &d, err) < 0)
		return -1;
	if (d.action != ACCESS_NONE) {
		blp_from_access(&d, o);
		access_decision_clear(&d);
		return 0;
	}
	access_decision_clear(&d);
	if (ip != NULL && *ip != '\0') {
		blp_dnsbl(s, ip, o);
		if (o->verdict == BLP_PASS)
			blp_spf(s, sender, ip, helo, o);
	}
	return 0;
}

int
blp_rcpt(const struct blp_settings *s, struct store *st, const char *rcpt,
	 struct blp_outcome *o, struct store_errbuf *err)
{
	const struct access_cfg qc = {s->recipient_delimiter, "<>"};
	struct access_decision d;

	memset(o, 0, sizeof(*o));
	if (access_check_rcpt(st, &qc, rcpt, &d, err) < 0)
		return -1;
	if (d.action != ACCESS_NONE)
		blp_from_access(&d, o);
	access_decision_clear(&d);
	return 0;
}
