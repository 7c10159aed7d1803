/* lib/dmarc.h - DMARC (RFC 7489) evaluation, result only (no reports).
 *
 * dmarc_parse_record() is a pure parser over a TXT record ("v=DMARC1;
 * p=reject; ..."). dmarc_org_domain() uses the Public Suffix List through
 * libpsl (Debian's libpsl5 and publicsuffix packages), loaded once by
 * dmarc_psl_load(). dmarc_evaluate()
 * looks up _dmarc.<from-domain>, falls back to _dmarc.<org-domain>, and
 * applies relaxed/strict alignment against the SPF and DKIM results. */
#ifndef FACTEUR_LIB_DMARC_H
#define FACTEUR_LIB_DMARC_H

#include <stddef.h>

struct dns_resolver;
struct dmarc_psl;

enum dmarc_policy {
	DMARC_P_NONE,
	DMARC_P_QUARANTINE,
	DMARC_P_REJECT,
	DMARC_P_UNSET
};

struct dmarc_record {
	enum dmarc_policy p, sp; /* sp = UNSET when absent (inherits p) */
	int adkim_strict, aspf_strict;
	int pct; /* 0..100, default 100 */
};

enum dmarc_rstatus { DMARC_REC_OK, DMARC_REC_ESYNTAX, DMARC_REC_ENOTDMARC };

/* Pure; *err_off is the bad byte. Unknown tags are ignored (RFC 7489
 * §6.3); a bad p= makes the record invalid. */
enum dmarc_rstatus dmarc_parse_record(const unsigned char *p, size_t len,
				      struct dmarc_record *out,
				      size_t *err_off);

/* Loads the PSL: path NULL = psl_latest(), the newer of libpsl's
 * built-in list and /usr/share/publicsuffix/public_suffix_list.dafsa;
 * else that .dat or .dafsa file. *out owned. */
__attribute__((warn_unused_result)) int dmarc_psl_load(const char *path,
						       struct dmarc_psl **out,
						       char *err,
						       size_t errlen);
void dmarc_psl_free(struct dmarc_psl **psl);
/* Organizational domain (RFC 7489 §3.2) of domain into out: lowercased,
 * without a trailing dot; a public suffix is its own. -1 for a name DNS
 * cannot carry as text (non-ASCII bytes: IDNs go as A-labels). Pure given
 * psl. */
__attribute__((warn_unused_result)) int
dmarc_org_domain(const struct dmarc_psl *psl, const char *domain, char *out,
		 size_t outlen);

enum dmarc_result {
	DMARC_R_NONE, /* no policy published */
	DMARC_R_PASS,
	DMARC_R_FAIL,
	DMARC_R_TEMPERROR,
	DMARC_R_PERMERROR,
};

/* What DMARC needs from SPF and DKIM: the domains that passed. */
struct dmarc_input {
	const char *from_domain;	 /* RFC5322.From domain, lowercase */
	const char *spf_domain;		 /* domain SPF passed for, or NULL */
	const char *const *dkim_domains; /* d= of passing signatures */
	size_t ndkim;
};

struct dmarc_outcome {
	enum dmarc_result result;
	enum dmarc_policy policy; /* effective policy (p or sp) */
	int sampled_out;	  /* pct said not to apply the policy */
	char policy_domain[256];  /* where the record was found */
	char detail[160];
};

enum dmarc_result dmarc_evaluate(struct dns_resolver *dns,
				 const struct dmarc_psl *psl,
				 const struct dmarc_input *in,
				 struct dmarc_outcome *out);

const char *dmarc_result_str(enum dmarc_result r);

/* ---- the author domains (RFC 7489 §3.1, §6.6.1) -------------------
 *
 * DMARC is about the RFC5322.From domain; a message may carry several
 * From fields, or one with several mailboxes, or none a parser accepts.
 * dmarc_from_add() is called for each From field's value, in order; it
 * keeps every distinct domain a mailbox names (lowercase, no trailing
 * dot). A field that is not a valid mailbox-list still yields the
 * domains its text names after an '@' (a trailing dot, a missing '>',
 * a quoted "alice@example.org"): such mail is that domain's mail, and
 * extra domains only make the verdict stricter. Pure, no allocation. */
#define DMARC_MAX_AUTHORS 8

struct dmarc_from {
	size_t nfields;	   /* From fields seen */
	size_t nmailboxes; /* mailboxes parsed strictly, over all fields */
	int invalid;	   /* some field is not a valid mailbox-list, or a
			      mailbox has no usable domain */
	int toomany;	   /* more than DMARC_MAX_AUTHORS distinct domains */
	size_t ndomains;
	char domains[DMARC_MAX_AUTHORS][256];
};

void dmarc_from_init(struct dmarc_from *f);
void dmarc_from_add(struct dmarc_from *f, const unsigned char *value,
		    size_t len);
/* 1 when the message has exactly one From field holding exactly one
 * valid mailbox with a domain (what require_valid_from asks for). */
int dmarc_from_valid(const struct dmarc_from *f);
/* What is wrong with the From, for a reason= or a reply; NULL when
 * dmarc_from_valid(). Static string. */
const char *dmarc_from_problem(const struct dmarc_from *f);

/* dmarc_evaluate() for every author domain of f (in->from_domain is
 * ignored), combined as RFC 7489 §6.6.1 asks: pass only when every
 * domain passes; otherwise fail before temperror before permerror before
 * none, and among failures the strictest policy applied. out is the
 * deciding domain's outcome (out->policy_domain, out->detail), *decider
 * its index in f->domains. Without any author domain: permerror, detail
 * dmarc_from_problem(f); more domains than DMARC_MAX_AUTHORS: at least
 * permerror. */
enum dmarc_result
dmarc_evaluate_from(struct dns_resolver *dns, const struct dmarc_psl *psl,
		    const struct dmarc_from *f, const struct dmarc_input *in,
		    struct dmarc_outcome *out, size_t *decider);

/* Added with the implementation. */

/* 1 if domain `other` (an SPF or DKIM d= domain) is aligned with the From
 * domain: strict = equal (case-insensitive), relaxed = same
 * organizational domain (RFC 7489 §3.1). Pure given psl. */
int dmarc_aligned(const struct dmarc_psl *psl, const char *from,
		  const char *other, int strict);

/* pct= sampling: the policy applies when roll() < pct, roll() in
 * [0, 100). The default rolls arc4random_uniform(100). Tests install a
 * fixed roll; NULL restores the default. Process-wide: call before any
 * thread evaluates. When a failing message is sampled out,
 * dmarc_outcome.sampled_out is 1 and the caller applies the next lower
 * policy (RFC 7489 §6.6.4: reject -> quarantine -> none). */
void dmarc_set_pct_roll(unsigned (*roll)(void *arg), void *arg);

#endif
