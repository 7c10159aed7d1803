/* lib/dmarc.c - DMARC (RFC 7489) record parser, organizational domain
 * from the Public Suffix List, and policy evaluation over lib/dns.
 *
 * The record parser is pure and bounded by its input (every OpenDMARC
 * CVE was a parser bug: no copies, no fixed buffers, offsets only). The
 * PSL is libpsl's (Debian's libpsl5): loaded once, as Debian's tools do,
 * with psl_latest() (the newer of libpsl's built-in list and the
 * publicsuffix package's DAFSA) or psl_load_file() on a configured
 * .dat/.dafsa; read-only afterwards, so lookups are thread-safe.
 *
 * SECURITY: _dmarc TXT records are untrusted input; the PSL file is
 * trusted (root-owned, from Debian's publicsuffix package). Names are
 * checked and lowercased (domain_norm) before libpsl sees them. No
 * privilege needed. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "addr.h"
#include "dmarc.h"
#include "dns.h"

/* What psl_latest(NULL) reads besides libpsl's built-in list (named in
 * errors only). */
#define PSL_DEFAULT "/usr/share/publicsuffix/public_suffix_list.dafsa"

struct dmarc_psl {
	psl_ctx_t *ctx; /* read-only once loaded */
};

static unsigned (*pct_roll)(void *);
static void *pct_arg;

const char *
dmarc_result_str(enum dmarc_result r)
{
	switch (r) {
	case DMARC_R_NONE:
		return "none";
	case DMARC_R_PASS:
		return "pass";
	case DMARC_R_FAIL:
		return "fail";
	case DMARC_R_TEMPERROR:
		return "temperror";
	case DMARC_R_PERMERROR:
		break;
	}
	return "permerror";
}

void
dmarc_set_pct_roll(unsigned (*roll)(void *arg), void *arg)
{
	pct_roll = roll;
	pct_arg = arg;
}

/* ---- record parser ------------------------------------------------ */

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Case-insensitive compare of p[0..n) with a NUL-terminated word. */
static int
word_is(const unsigned char *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp((const char *)p, w, n) == 0;
}

static int
parse_policy(const unsigned char *v, size_t n, enum dmarc_policy *out)
{
	if (word_is(v, n, "none"))
		*out = DMARC_P_NONE;
	else if (word_is(v, n, "quarantine"))
		*out = DMARC_P_QUARANTINE;
	else if (word_is(v, n, "reject"))
		*out = DMARC_P_REJECT;
	else
		return -1;
	return 0;
}

/* rua=: at least one comma-separated entry that starts with a URI
 * scheme ("mailto:"), RFC 7489 §6.4 dmarc-uri. */
static int
rua_valid(const unsigned char *v, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		while (i < n && (is_wsp(v[i]) || v[i] == ','))
			i++;
		j = i;
		if (j < n && isalpha(v[j])) {
			while (j < n && (isalnum(v[j]) || v[j] == '+' ||
					 v[j] == '-' || v[j] == '.'))
				j++;
			if (j < n && v[j] == ':' && j + 1 < n &&
			    v[j + 1] != ',' && !is_wsp(v[j + 1]))
				return 1;
		}
		while (i < n && v[i] != ',')
			i++;
	}
	return 0;
}

struct tagval {
	size_t name, nlen, val, vlen; /* offsets into the record */
};

/* Next "name = value" from *pos; skips empty entries. 1 = a tag,
 * 0 = end of record, -1 = syntax error at *err. */
static int
next_tag(const unsigned char *p, size_t len, size_t *pos, struct tagval *t,
	 size_t *err)
{
	size_t i = *pos, e;

	for (;;) {
		while (i < len && is_wsp(p[i]))
			i++;
		if (i < len && p[i] == ';') {
			i++;
			continue;
		}
		break;
	}
	if (i >= len)
		return 0;
	t->name = i;
	if (!isalpha(p[i])) {
		*err = i;
		return -1;
	}
	while (i < len && (isalnum(p[i]) || p[i] == '_'))
		i++;
	t->nlen = i - t->name;
	while (i < len && is_wsp(p[i]))
		i++;
	if (i >= len || p[i] != '=') {
		*err = i;
		return -1;
	}
	i++;
	while (i < len && is_wsp(p[i]))
		i++;
	t->val = i;
	while (i < len && p[i] != ';')
		i++;
	e = i;
	while (e > t->val && is_wsp(p[e - 1]))
		e--;
	t->vlen = e - t->val;
	if (i < len)
		i++; /* the ';' */
	*pos = i;
	return 1;
}

static int
parse_pct(const unsigned char *v, size_t n, int *out)
{
	size_t i;
	int x = 0;

	if (n == 0 || n > 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit(v[i]))
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	if (x > 100)
		return -1;
	*out = x;
	return 0;
}

static int
parse_align(const unsigned char *v, size_t n, int *strict)
{
	if (word_is(v, n, "r"))
		*strict = 0;
	else if (word_is(v, n, "s"))
		*strict = 1;
	else
		return -1;
	return 0;
}

/* Applies one known tag; -1 on a bad value. Unknown tags are ignored
 * (RFC 7489 §6.3). p/sp errors are only noted: §6.6.3 decides later. */
static int
apply_tag(const unsigned char *p, const struct tagval *t,
	  struct dmarc_record *out, size_t *p_bad, size_t *rua_ok)
{
	const unsigned char *n = p + t->name, *v = p + t->val;

	if (word_is(n, t->nlen, "p")) {
		if (parse_policy(v, t->vlen, &out->p) != 0)
			*p_bad = t->val + 1;
	} else if (word_is(n, t->nlen, "sp")) {
		if (parse_policy(v, t->vlen, &out->sp) != 0)
			*p_bad = t->val + 1;
	} else if (word_is(n, t->nlen, "adkim"))
		return parse_align(v, t->vlen, &out->adkim_strict);
	else if (word_is(n, t->nlen, "aspf"))
		return parse_align(v, t->vlen, &out->aspf_strict);
	else if (word_is(n, t->nlen, "pct"))
		return parse_pct(v, t->vlen, &out->pct);
	else if (word_is(n, t->nlen, "rua"))
		*rua_ok = (size_t)rua_valid(v, t->vlen);
	return 0;
}

enum dmarc_rstatus
dmarc_parse_record(const unsigned char *p, size_t len, struct dmarc_record *out,
		   size_t *err_off)
{
	struct tagval t;
	size_t pos = 0, p_bad = 0, rua_ok = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	out->p = DMARC_P_UNSET;
	out->sp = DMARC_P_UNSET;
	out->pct = 100;
	*err_off = 0;
	/* "v" *WSP "=" *WSP "DMARC1", first, exact case (RFC 7489 §6.4) */
	rc = next_tag(p, len, &pos, &t, err_off);
	if (rc != 1 || t.nlen != 1 || p[t.name] != 'v' || t.vlen != 6 ||
	    memcmp(p + t.val, "DMARC1", 6) != 0) {
		*err_off = 0;
		return DMARC_REC_ENOTDMARC;
	}
	while ((rc = next_tag(p, len, &pos, &t, err_off)) == 1)
		if (apply_tag(p, &t, out, &p_bad, &rua_ok) != 0) {
			*err_off = t.val;
			return DMARC_REC_ESYNTAX;
		}
	if (rc < 0)
		return DMARC_REC_ESYNTAX;
	if (out->p == DMARC_P_UNSET || p_bad != 0) {
		/* §6.6.3: with a valid rua=, act as if p=none */
		if (!rua_ok) {
			*err_off = p_bad != 0 ? p_bad - 1 : len;
			return DMARC_REC_ESYNTAX;
		}
		out->p = DMARC_P_NONE;
		out->sp = DMARC_P_UNSET;
	}
	return DMARC_REC_OK;
}

/* ---- Public Suffix List (libpsl) ---------------------------------- */

int
dmarc_psl_load(const char *path, struct dmarc_psl **out, char *err,
	       size_t errlen)
{
	struct dmarc_psl *psl;
	int count;

	*out = NULL;
	psl = calloc(1, sizeof(*psl));
	if (psl == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	errno = 0;
	psl->ctx = path == NULL ? psl_latest(NULL) : psl_load_file(path);
	if (psl->ctx == NULL) {
		snprintf(err, errlen,
			 "cannot load the Public Suffix List %s%s%s",
			 path ? path : PSL_DEFAULT, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		free(psl);
		return -1;
	}
	/* a .dat file gives its count, a DAFSA -1 (unknown) */
	count = psl_suffix_count(psl->ctx);
	if (count == 0) {
		snprintf(err, errlen, "%s: no rules",
			 path ? path : PSL_DEFAULT);
		dmarc_psl_free(&psl);
		return -1;
	}
	*out = psl;
	return 0;
}

void
dmarc_psl_free(struct dmarc_psl **pp)
{
	struct dmarc_psl *psl = *pp;

	if (psl == NULL)
		return;
	psl_free(psl->ctx);
	free(psl);
	*pp = NULL;
}

/* Lowercase copy without the trailing dot; -1 if empty, too long, with
 * an empty label or one longer than 63, or with a byte DNS names cannot
 * carry as text (so that a failed query is never the name's fault). */
static int
domain_norm(const char *d, char *out, size_t outlen)
{
	size_t n = strlen(d), i, label = 0;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || n >= outlen)
		return -1;
	for (i = 0; i < n; i++) {
		if (d[i] == '.' && (i == 0 || d[i - 1] == '.'))
			return -1;
		label = d[i] == '.' ? 0 : label + 1;
		if ((unsigned char)d[i] <= ' ' || (unsigned char)d[i] >= 0x7f ||
		    strchr("\\\"();@", d[i]) != NULL || label > 63)
			return -1;
		out[i] = (char)tolower((unsigned char)d[i]);
	}
	if (out[n - 1] == '.')
		return -1;
	out[n] = '\0';
	return 0;
}

/* libpsl, as the browsers do, makes the parent of a wildcard rule a public
 * suffix: with "*.compute.amazonaws.com", compute.amazonaws.com too. The
 * PSL's algorithm (the longest rule that matches) and RFC 7489 §3.2 do
 * not when no rule names it, nor did the parser lib/dmarc had before:
 * there its public suffix is its parent's. 1 if d (a public suffix to
 * libpsl) is one only that way: "*.d" is a rule, "*.<parent>" is not.
 * ("*" is never a label of a rule, so the probes only meet wildcards. A
 * list with both "d" and "*.d" would make this wrong; Debian's has none,
 * and unit-dmarc-psl checks every rule against the old parser.) */
static int
psl_wildcard_parent_only(const psl_ctx_t *ctx, const char *d)
{
	char probe[260];
	const char *parent = strchr(d, '.');

	if (parent == NULL)
		return 0;
	snprintf(probe, sizeof(probe), "*.%s", d);
	if (!psl_is_public_suffix(ctx, probe))
		return 0;
	snprintf(probe, sizeof(probe), "*.%s", parent + 1);
	return !psl_is_public_suffix(ctx, probe);
}

int
dmarc_org_domain(const struct dmarc_psl *psl, const char *domain, char *out,
		 size_t outlen)
{
	char d[256];
	const char *org;
	size_t len;

	if (psl == NULL || domain_norm(domain, d, sizeof(d)) != 0)
		return -1;
	/* libpsl applies the implicit "*" rule (an unknown TLD is a public
	 * suffix) and reads IDN rules for A-labels. NULL: d is a public
	 * suffix, which has no organizational domain: keep it. */
	org = psl_registrable_domain(psl->ctx, d);
	if (org == NULL && psl_wildcard_parent_only(psl->ctx, d))
		org = psl_registrable_domain(psl->ctx, strchr(d, '.') + 1);
	if (org == NULL)
		org = d;
	len = strlen(org);
	if (len >= outlen)
		return -1;
	memcpy(out, org, len + 1);
	return 0;
}

int
dmarc_aligned(const struct dmarc_psl *psl, const char *from, const char *other,
	      int strict)
{
	char a[256], b[256];

	if (from == NULL || other == NULL)
		return 0;
	if (strict)
		return domain_norm(from, a, sizeof(a)) == 0 &&
		       domain_norm(other, b, sizeof(b)) == 0 &&
		       strcmp(a, b) == 0;
	return dmarc_org_domain(psl, from, a, sizeof(a)) == 0 &&
	       dmarc_org_domain(psl, other, b, sizeof(b)) == 0 &&
	       strcmp(a, b) == 0;
}

/* ---- evaluation ---------------------------------------------------- */

enum fetch { F_FOUND, F_EMPTY, F_MULTIPLE, F_INVALID, F_TEMP };

/* The DMARC record at _dmarc.<domain> (RFC 7489 §6.6.3 steps 1-5). */
static enum fetch
fetch_record(struct dns_resolver *dns, const char *domain,
	     struct dmarc_record *rec, char *detail, size_t dlen)
{
	struct dns_answer ans;
	struct dmarc_record r;
	char name[300];
	size_t i, found = 0, bad = 0, off;

	snprintf(name, sizeof(name), "_dmarc.%s", domain);
	switch (dns_query(dns, name, DNS_T_TXT, &ans)) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		return F_EMPTY;
	case DNS_TEMPFAIL:
	case DNS_PERMFAIL:
		/* SERVFAIL, REFUSED, FORMERR, a timeout or a broken answer
		 * say nothing of the domain's policy: a later try may find
		 * it, so DMARC is temperror (RFC 7489 §6.6.3 step 2, and
		 * what lib/spf answers). The name itself was checked by
		 * domain_norm(), so no permanent fault is left here. */
		snprintf(detail, dlen, "%.90s: %.60s", name, ans.error);
		dns_answer_clear(&ans);
		return F_TEMP;
	}
	for (i = 0; i < ans.nrrs; i++)
		switch (dmarc_parse_record((const unsigned char *)ans.rrs[i],
					   ans.lens[i], &r, &off)) {
		case DMARC_REC_OK:
			*rec = r;
			found++;
			break;
		case DMARC_REC_ESYNTAX:
			bad++;
			snprintf(detail, dlen, "%.90s: bad record at byte %zu",
				 name, off);
			break;
		case DMARC_REC_ENOTDMARC:
			break;
		}
	dns_answer_clear(&ans);
	if (found + bad > 1) {
		snprintf(detail, dlen, "%.90s: multiple DMARC records", name);
		return F_MULTIPLE;
	}
	return bad ? F_INVALID : found ? F_FOUND : F_EMPTY;
}

static enum dmarc_result
done(struct dmarc_outcome *out, enum dmarc_result r, const char *detail)
{
	out->result = r;
	if (detail != NULL)
		snprintf(out->detail, sizeof(out->detail), "%s", detail);
	return r;
}

static int
any_aligned(const struct dmarc_psl *psl, const char *from,
	    const struct dmarc_input *in, const struct dmarc_record *rec,
	    const char **how)
{
	size_t i;

	for (i = 0; i < in->ndkim && in->dkim_domains != NULL; i++)
		if (dmarc_aligned(psl, from, in->dkim_domains[i],
				  rec->adkim_strict)) {
			*how = "dkim";
			return 1;
		}
	if (in->spf_domain != NULL &&
	    dmarc_aligned(psl, from, in->spf_domain, rec->aspf_strict)) {
		*how = "spf";
		return 1;
	}
	return 0;
}

/* Finds the policy record: From domain, else organizational domain. */
static enum fetch
discover(struct dns_resolver *dns, const struct dmarc_psl *psl,
	 const char *from, struct dmarc_record *rec, struct dmarc_outcome *out,
	 int *at_org)
{
	char org[256];
	enum fetch f;

	*at_org = 0;
	snprintf(out->policy_domain, sizeof(out->policy_domain), "%s", from);
	f = fetch_record(dns, from, rec, out->detail, sizeof(out->detail));
	if (f != F_EMPTY ||
	    dmarc_org_domain(psl, from, org, sizeof(org)) != 0 ||
	    strcmp(org, from) == 0)
		return f;
	*at_org = 1;
	snprintf(out->policy_domain, sizeof(out->policy_domain), "%s", org);
	return fetch_record(dns, org, rec, out->detail, sizeof(out->detail));
}

enum dmarc_result
dmarc_evaluate(struct dns_resolver *dns, const struct dmarc_psl *psl,
	       const struct dmarc_input *in, struct dmarc_outcome *out)
{
	struct dmarc_record rec;
	char from[256];
	const char *how = NULL;
	unsigned roll;
	int at_org;

	memset(out, 0, sizeof(*out));
	out->policy = DMARC_P_NONE;
	if (in == NULL || in->from_domain == NULL ||
	    domain_norm(in->from_domain, from, sizeof(from)) != 0)
		return done(out, DMARC_R_PERMERROR, "no usable From domain");
	switch (discover(dns, psl, from, &rec, out, &at_org)) {
	case F_FOUND:
		break;
	case F_EMPTY:
		out->policy_domain[0] = '\0';
		return done(out, DMARC_R_NONE, "no DMARC record");
	case F_MULTIPLE:
		return done(out, DMARC_R_NONE, NULL);
	case F_TEMP:
		return done(out, DMARC_R_TEMPERROR, NULL);
	case F_INVALID:
		return done(out, DMARC_R_PERMERROR, NULL);
	}
	out->policy = at_org && rec.sp != DMARC_P_UNSET ? rec.sp : rec.p;
	if (any_aligned(psl, from, in, &rec, &how)) {
		snprintf(out->detail, sizeof(out->detail), "aligned %s", how);
		return done(out, DMARC_R_PASS, NULL);
	}
	if (rec.pct < 100) {
		roll = pct_roll != NULL ? pct_roll(pct_arg)
					: arc4random_uniform(100);
		out->sampled_out = roll >= (unsigned)rec.pct;
	}
	return done(out, DMARC_R_FAIL, "no aligned SPF or DKIM pass");
}

/* ---- author domains (RFC 7489 §6.6.1) ------------------------------ */

void
dmarc_from_init(struct dmarc_from *f)
{
	memset(f, 0, sizeof(*f));
}

/* Adds p[0..n) (an LDH domain, maybe with trailing dots) once. */
static void
from_domain(struct dmarc_from *f, const unsigned char *p, size_t n)
{
	char d[256];
	size_t i, off;

	while (n > 0 && p[n - 1] == '.')
		n--;
	if (n == 0 || n >= sizeof(d) ||
	    addr_parse_domain(p, n, NULL, &off) != ADDR_OK) {
		f->invalid = 1;
		return;
	}
	for (i = 0; i < n; i++)
		d[i] = (char)tolower(p[i]);
	d[n] = '\0';
	for (i = 0; i < f->ndomains; i++)
		if (strcmp(f->domains[i], d) == 0)
			return;
	if (f->ndomains == DMARC_MAX_AUTHORS) {
		f->toomany = 1;
		return;
	}
	memcpy(f->domains[f->ndomains++], d, n + 1);
}

static int
from_mailbox(void *ctx, const unsigned char *p, const struct addr_parts *a)
{
	struct dmarc_from *f = ctx;

	f->nmailboxes++;
	if (a->literal)
		f->invalid = 1; /* [192.0.2.1] has no DMARC policy */
	else
		from_domain(f, p + a->domain_off, a->domain_len);
	return 0;
}

/* Where an address may end: specials, whitespace. */
static const char from_ends[] = "<>()[]:;@\\,\" \t\r\n";

static int
from_ldh(unsigned char c)
{
	return isalnum(c) || c == '-';
}

static int
from_end(unsigned char c)
{
	return c != '\0' && strchr(from_ends, c) != NULL;
}

/* Skips whitespace and (nested) comments from i. */
static size_t
from_cfws(const unsigned char *p, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && depth > 0)
			depth--;
		else if (p[i] == '\\' && depth > 0 && i + 1 < len)
			i++;
		else if (depth == 0 &&
			 (p[i] == '\0' || strchr(" \t\r\n", p[i]) == NULL))
			break;
	}
	return i;
}

/* The domain after the '@' at p[i] into d[0..cap): labels joined by dots
 * that may have CFWS around them (RFC 5322 obs-domain, "example .org").
 * Its length, or 0 when it names nothing: empty, too long, or running
 * into a byte that continues the label ("ex<8-bit>mple.org",
 * "ex_ample.org"). A byte that only follows a whole domain
 * ("example.org<NBSP>", "example.org\,") ends it. */
static size_t
from_salvage_one(const unsigned char *p, size_t len, size_t i, char *d,
		 size_t cap)
{
	size_t n = 0, j = i + 1, k;

	for (;;) {
		for (k = j; k < len && from_ldh(p[k]); k++) {
			if (n + 1 >= cap)
				return 0;
			d[n++] = (char)p[k];
		}
		if (k == j)
			break;
		j = k;
		k = from_cfws(p, len, j);
		if (k >= len || p[k] != '.' || n + 1 >= cap)
			break;
		d[n++] = '.';
		j = from_cfws(p, len, k + 1);
	}
	if (n == 0 || j >= len || from_end(p[j]))
		return n;
	for (k = j;
	     k < len && !from_ldh(p[k]) && p[k] != '.' && !from_end(p[k]); k++)
		;
	return k < len && (from_ldh(p[k]) || p[k] == '.') ? 0 : n;
}

/* A field no parser accepts: every domain its text names right after an
 * '@'. Extra domains can only make the verdict stricter. */
static void
from_salvage(struct dmarc_from *f, const unsigned char *p, size_t len)
{
	char d[256];
	size_t i, n;

	for (i = 0; i < len; i++)
		if (p[i] == '@' &&
		    (n = from_salvage_one(p, len, i, d, sizeof(d))) > 0)
			from_domain(f, (const unsigned char *)d, n);
}

/* The parser reports a mailbox before it has seen what follows it, so
 * what it found counts only when the whole field parsed. */
void
dmarc_from_add(struct dmarc_from *f, const unsigned char *value, size_t len)
{
	struct dmarc_from parsed = *f;
	size_t off;
	enum addr_status st;

	f->nfields++;
	parsed.nfields++;
	st = addr_parse_header(value, len, NULL, from_mailbox, &parsed, &off);
	if (st == ADDR_OK ||
	    (st == ADDR_EEMPTY && memchr(value, '@', len) == NULL)) {
		*f = parsed; /* valid, or empty / a group without mailboxes */
		return;
	}
	f->invalid = 1;
	from_salvage(f, value, len);
}

int
dmarc_from_valid(const struct dmarc_from *f)
{
	return f->nfields == 1 && f->nmailboxes == 1 && f->ndomains == 1 &&
	       !f->invalid && !f->toomany;
}

const char *
dmarc_from_problem(const struct dmarc_from *f)
{
	if (f->nfields == 0)
		return "no From field";
	if (f->ndomains == 0)
		return f->invalid ? "From cannot be parsed"
				  : "From has no mailbox";
	if (f->nfields > 1)
		return "several From fields";
	if (f->nmailboxes > 1 || f->ndomains > 1)
		return "several From mailboxes";
	return f->invalid ? "From is malformed" : NULL;
}

/* Failures rank above errors, errors above none, none above pass; among
 * failures the policy that applies (one step lower when pct sampled the
 * message out, §6.6.4). */
static int
from_rank(const struct dmarc_outcome *o)
{
	static const int rank[] = {[DMARC_R_PASS] = 0,
				   [DMARC_R_NONE] = 1,
				   [DMARC_R_PERMERROR] = 2,
				   [DMARC_R_TEMPERROR] = 3,
				   [DMARC_R_FAIL] = 4};
	int p = o->policy == DMARC_P_UNSET ? 0 : (int)o->policy;

	if (o->result != DMARC_R_FAIL)
		return rank[o->result] * 8;
	return rank[DMARC_R_FAIL] * 8 + 2 * p - (o->sampled_out && p > 0);
}

enum dmarc_result
dmarc_evaluate_from(struct dns_resolver *dns, const struct dmarc_psl *psl,
		    const struct dmarc_from *f, const struct dmarc_input *in,
		    struct dmarc_outcome *out, size_t *decider)
{
	struct dmarc_input one = *in;
	struct dmarc_outcome o;
	size_t k;

	*decider = 0;
	memset(out, 0, sizeof(*out));
	if (f->ndomains == 0)
		return done(out, DMARC_R_PERMERROR, dmarc_from_problem(f));
	for (k = 0; k < f->ndomains; k++) {
		one.from_domain = f->domains[k];
		(void)dmarc_evaluate(dns, psl, &one, &o);
		if (k == 0 || from_rank(&o) > from_rank(out)) {
			*out = o;
			*decider = k;
		}
	}
	/* Domains past the limit were not evaluated: never a pass. */
	if (f->toomany &&
	    (out->result == DMARC_R_PASS || out->result == DMARC_R_NONE))
		return done(out, DMARC_R_PERMERROR, "too many author domains");
	return out->result;
}
