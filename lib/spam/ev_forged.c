/* lib/spam/ev_forged.c - HeaderEval's forged-Received checks (a From
 * at a big freemail whose Received fields its servers did not write:
 * Hotmail, Yahoo, Gmail, Juno, Eudoramail, fake AOL relays), its
 * recipient-list checks (sorted_recipients, similar_recipients) and
 * RelayEval's check_for_forged_received_trail, as SpamAssassin 4.0.1's
 * Plugin/HeaderEval.pm and RelayEval.pm write them.
 *
 * The Perl tests match regular expressions over the joined Received
 * fields; the few that are not plain substrings are compiled the first
 * time a message asks for them (evf_code) and kept for the process:
 * gated_through_received_hdr_remover, which the forged checks each call,
 * compiled its ezmlm patterns several times a mailing-list message. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ev_int.h"
#include "re_limits.h"
#include "received.h"

/* SpamAssassin's $IP_ADDRESS, near enough: dotted quads and IPv6. */
#define EVF_IP                                                                 \
	"(?:\\d{1,3}(?:\\.\\d{1,3}){3}|[0-9a-fA-F]{0,4}"                       \
	"(?::[0-9a-fA-F]{0,4}){2,7})"

/* evf_rx's patterns, compiled once each for the process: every caller
 * passes a string constant (a literal or a static table's), found here
 * by its address and confirmed by a copy of its text (a buffer reused
 * for another pattern is not taken for the first). Read-only once
 * added: pcre2_match() on a shared code is thread-safe. */
enum { EVF_CODES = 64 };
static struct {
	pthread_mutex_t mu;
	size_t n;
	struct evf_code {
		const char *re;
		char *text; /* owned: re's text when compiled */
		uint32_t flags;
		pcre2_code *code;
	} v[EVF_CODES];
} evf_codes = {PTHREAD_MUTEX_INITIALIZER, 0, {{NULL, NULL, 0, NULL}}};

/* re compiled with flags: kept (*owned = 0), or, when the table is full,
 * the caller's to free (*owned = 1). NULL: PCRE2 refused it. */
static pcre2_code *
evf_code(const char *re, uint32_t flags, int *owned)
{
	pcre2_code *code = NULL;
	PCRE2_SIZE off;
	size_t i;
	char *text;
	int en;

	*owned = 0;
	pthread_mutex_lock(&evf_codes.mu);
	for (i = 0; i < evf_codes.n && code == NULL; i++)
		if (evf_codes.v[i].re == re && evf_codes.v[i].flags == flags &&
		    strcmp(evf_codes.v[i].text, re) == 0)
			code = evf_codes.v[i].code;
	if (code == NULL &&
	    (code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, flags,
				  &en, &off, NULL)) != NULL) {
		if (evf_codes.n < EVF_CODES && (text = strdup(re)) != NULL)
			evf_codes.v[evf_codes.n++] =
			    (struct evf_code){re, text, flags, code};
		else
			*owned = 1;
	}
	pthread_mutex_unlock(&evf_codes.mu);
	return code;
}

/* s matches the Perl regex re (flags: PCRE2 options; re a string
 * constant, see evf_codes). 0 on no match or error. */
static int
evf_rx(const char *re, uint32_t flags, const char *s)
{
	pcre2_code *code;
	pcre2_match_data *md;
	int owned, rc = -1;

	if (s == NULL || (code = evf_code(re, flags, &owned)) == NULL)
		return 0;
	if ((md = pcre2_match_data_create_from_pattern(code, NULL)) != NULL)
		rc = pcre2_match(code, (PCRE2_SPTR)s, strlen(s), 0, 0, md,
				 sp_re_limits());
	pcre2_match_data_free(md);
	if (owned)
		pcre2_code_free(code);
	return rc >= 0;
}

/* $pms->get(NAME): every value joined, each ending in "\n"; "" (owned,
 * malloc'd) when absent. NULL on ENOMEM. */
static char *
evf_get(const struct sp_evctx *c, const char *name)
{
	char *s = ev_header_all(c, name, 0);

	return s != NULL ? s : calloc(1, 1);
}

/* The same with every run of white space made one space. */
static char *
evf_get_squeezed(const struct sp_evctx *c, const char *name)
{
	char *s = evf_get(c, name), *d, *p;

	if (s == NULL)
		return NULL;
	for (p = d = s; *p; p++) {
		if (isspace((unsigned char)*p)) {
			if (d > s && d[-1] == ' ')
				continue;
			*d++ = ' ';
		} else
			*d++ = *p;
	}
	*d = '\0';
	return s;
}

/* From:addr ends with the domain (after a word boundary). */
static int
evf_from_at(const struct sp_evctx *c, const char *dom, char *addr, size_t alen)
{
	const char *f = ev_header(c, "From", 1, 0);
	size_t n, dl = strlen(dom);

	if (f == NULL || ev_addr(f, addr, alen) < 0)
		return 0;
	n = strlen(addr);
	return n >= dl && strcasecmp(addr + n - dl, dom) == 0 &&
	       (n == dl || !(isalnum((unsigned char)addr[n - dl - 1]) ||
			     addr[n - dl - 1] == '_'));
}

/* HeaderEval's gated_through_received_hdr_remover (every Mailing-List
 * value: $pms->get joins them). */
int
ev_gated_rcvd_remover(const struct sp_evctx *c)
{
	char *ml = ev_header_all(c, "Mailing-List", 0), *r;
	int hit = 0;

	int ez = ml != NULL && evf_rx("^contact \\S+\\@\\S+\\; run by ezmlm$",
				      PCRE2_MULTILINE, ml);

	free(ml);
	if (ez) {
		char *dl = evf_get(c, "Delivered-To");

		r = evf_get(c, "Received");
		hit =
		    dl != NULL && r != NULL &&
		    evf_rx("^mailing list \\S+\\@\\S+", PCRE2_MULTILINE, dl) &&
		    evf_rx("qmail \\d+ invoked (?:from network|by .{3,20})\\);"
			   " \\d+ ... \\d+",
			   0, r);
		free(dl);
		free(r);
		if (hit)
			return 1;
	}
	if (ev_header(c, "Received", 0, 0) == NULL)
		return 1;
	r = evf_get(c, "Received");
	hit = r == NULL ||
	      evf_rx("from groups\\.msn\\.com \\(\\S+\\.msn\\.com ", 0, r);
	free(r);
	return hit;
}

/* check_for_msn_groups_headers, for the Hotmail test. */
static int
evf_msn_groups(const struct sp_evctx *c, const char *rcvd)
{
	char *to = ev_header_all(c, "To", 0);
	int hit = to != NULL && strstr(to, "@groups.msn.com>") != NULL &&
		  evf_rx("from mail pickup service by (?:p\\d\\d\\.)groups"
			 "\\.msn\\.com\\b",
			 0, rcvd);

	free(to);
	return hit;
}

/* _check_for_forged_hotmail_received_headers: 1 forged (a Hotmail HELO
 * from elsewhere), 2 a Hotmail From with no Hotmail Received, else 0. */
static int
evf_hotmail(struct sp_evctx *c)
{
	static const char *const ok_ip[] = {
	    "from (?:\\S*\\.)?hotmail.com \\(\\S+\\.hotmail(?:\\.msn)?\\.com"
	    "[ \\)]",
	    "from \\S*\\.hotmail.com \\(\\[" EVF_IP "\\][ \\):]",
	    "from \\S+ by \\S+\\.hotmail(?:\\.msn)?\\.com with HTTP\\;",
	    "from \\[66\\.218.\\S+\\] by \\S+\\.yahoo\\.com", NULL};
	static const char *const ok_org[] = {
	    "from \\S*\\.outbound\\.protection\\.outlook\\.com \\(\\S+\\."
	    "outbound\\.protection\\.outlook\\.com[ \\)]",
	    "from \\S*\\.(?:eur|nam)prd\\d+\\.prod\\.outlook\\.com \\(" EVF_IP
	    "\\)",
	    NULL};
	char *r, addr[256], *xip, *org;
	int ip, og, res = 0;
	size_t i;

	if ((r = evf_get_squeezed(c, "Received")) == NULL)
		return 0;
	/* both answers need "hotmail.com" in Received or From */
	if (strstr(r, "hotmail.com") == NULL &&
	    !evf_from_at(c, "hotmail.com", addr, sizeof(addr)))
		goto out;
	if (strstr(r, "from mail pickup service by hotmail.com with "
		      "Microsoft SMTPSVC;") != NULL ||
	    evf_msn_groups(c, r))
		goto out;
	/* $pms->get joins every value */
	xip = ev_header_all(c, "X-Originating-Ip", 0);
	org = ev_header_all(c, "X-OriginatorOrg", 0);
	ip = xip != NULL && evf_rx(EVF_IP, 0, xip);
	og = org != NULL && evf_rx("hotmail\\.com|msonline\\-outlook", 0, org);
	free(xip);
	free(org);
	if (ev_gated_rcvd_remover(c))
		goto out;
	for (i = 0; ip && ok_ip[i] != NULL; i++)
		if (evf_rx(ok_ip[i], 0, r))
			goto out;
	for (i = 0; og && ok_org[i] != NULL; i++)
		if (evf_rx(ok_org[i], 0, r))
			goto out;
	if (evf_rx("(?:from |HELO |helo=)\\S*hotmail\\.com\\b", 0, r))
		res = 1;
	else if (evf_from_at(c, "hotmail.com", addr, sizeof(addr)))
		res = 2;
out:
	free(r);
	return res;
}

static int
ev_forged_hotmail(struct sp_evctx *c, const struct sp_evcall *a)
{
	(void)a;
	return evf_hotmail(c) == 1;
}

static int
ev_no_hotmail(struct sp_evctx *c, const struct sp_evcall *a)
{
	char addr[256];

	(void)a;
	/* the Perl computes both flags at once; the second needs a
	 * Hotmail From, so look at that first */
	if (!evf_from_at(c, "hotmail.com", addr, sizeof(addr)))
		return 0;
	return evf_hotmail(c) == 2;
}

static int
ev_forged_eudoramail(struct sp_evctx *c, const struct sp_evcall *a)
{
	char addr[256], *r, *xip;
	int ok;

	(void)a;
	if (!evf_from_at(c, "eudoramail.com", addr, sizeof(addr)))
		return 0;
	if (ev_gated_rcvd_remover(c))
		return 0;
	if ((r = evf_get_squeezed(c, "Received")) == NULL)
		return 0;
	xip = ev_header_all(c, "X-Sender-Ip", 0);
	ok = evf_rx("by \\S*whowhere.com\\;", 0, r) && xip != NULL &&
	     evf_rx(EVF_IP, 0, xip);
	free(xip);
	free(r);
	return !ok;
}

/* A Yahoo relay in the trusted list or first among the untrusted. */
static int
evf_yahoo_relay(struct sp_evctx *c)
{
	const struct sp_relays *rl = ev_relays(c);
	size_t i, n;

	if (rl == NULL)
		return 0;
	n = rl->n > rl->ntrusted ? rl->ntrusted + 1 : rl->ntrusted;
	for (i = 0; i < n; i++) {
		size_t k = strlen(rl->v[i].rdns);

		if (k > 10 &&
		    strcmp(rl->v[i].rdns + k - 10, ".yahoo.com") == 0 &&
		    strchr(rl->v[i].rdns, ' ') == NULL)
			return 1;
	}
	return 0;
}

static int
ev_forged_yahoo(struct sp_evctx *c, const struct sp_evcall *a)
{
	static const char *const ok[] = {
	    "by web\\S+\\.mail\\S*\\.yahoo\\.com via HTTP",
	    "by sonic\\S+\\.consmr\\.mail\\S*\\.yahoo\\.com with HTTP",
	    "by smtp\\S+\\.yahoo\\.com with SMTP",
	    "from \\[" EVF_IP "\\] by \\S+\\.(?:groups|scd|dcn)\\.yahoo\\.com "
	    "with NNFMP",
	    "by \\w+\\.\\w+\\.yahoo\\.com \\(\\d+\\.\\d+\\.\\d+\\/\\d+\\.\\d+"
	    "\\.\\d+\\)(?: with ESMTP)? id \\w+",
	    NULL};
	char addr[256], *r;
	const char *rf, *rt;
	size_t i;
	int res = 1;

	(void)a;
	if (!evf_from_at(c, "yahoo.com", addr, sizeof(addr)))
		return 0;
	rf = ev_header(c, "Resent-From", 0, 0);
	rt = ev_header(c, "Resent-To", 0, 0);
	/* get() ne '': present, even empty (its value is then "\n") */
	r = rf != NULL && rt != NULL && ev_header(c, "X-Received", 0, 0) != NULL
		? evf_get_squeezed(c, "X-Received")
		: evf_get_squeezed(c, "Received");
	if (r == NULL)
		return 0;
	if (ev_gated_rcvd_remover(c) || evf_yahoo_relay(c))
		res = 0;
	for (i = 0; res && ok[i] != NULL; i++)
		if (evf_rx(ok[i], 0, r))
			res = 0;
	if (res &&
	    evf_rx("\\bmailer\\d+\\.bulk\\.scd\\.yahoo\\.com\\b", 0, r) &&
	    evf_rx("\\@reply\\.yahoo\\.com$", PCRE2_CASELESS, addr))
		res = 0;
	free(r);
	return res;
}

static int
ev_forged_juno(struct sp_evctx *c, const struct sp_evcall *a)
{
	char addr[256], *r, *xo, *xm;
	int res = 0;

	(void)a;
	if (!evf_from_at(c, "juno.com", addr, sizeof(addr)) ||
	    ev_gated_rcvd_remover(c))
		return 0;
	/* every value joined, each with its "\n": a header present but
	 * empty is not '' */
	r = evf_get(c, "Received");
	xo = evf_get(c, "X-Originating-IP");
	xm = evf_get(c, "X-Mailer");
	if (r == NULL || xo == NULL || xm == NULL) {
		free(r);
		free(xo);
		free(xm);
		return 0;
	}
	if (*xo) {
		if (!evf_rx("from.*\\b(?:juno|untd)\\.com.*[\\[\\(]" EVF_IP
			    "[\\]\\)].*by",
			    0, r) &&
		    !evf_rx(" cookie\\.(?:juno|untd)"
			    "\\.com ",
			    0, r))
			res = 1;
		else if (strstr(xm, "Juno ") == NULL)
			res = 1;
	} else
		/* whichever way the Received fields read, the Perl ends
		 * with "return 1 if $xorig !~ /$IP_ADDRESS/", and xorig is
		 * empty here */
		res = 1;
	free(r);
	free(xo);
	free(xm);
	return res;
}

static int
ev_forged_gmail(struct sp_evctx *c, const struct sp_evcall *a)
{
	char addr[256], *xgms, *xss, *xr, *r;
	int res = 1;

	(void)a;
	if (!evf_from_at(c, "gmail.com", addr, sizeof(addr)))
		return 0;
	xgms = evf_get(c, "X-Gm-Message-State");
	xss = evf_get(c, "X-Google-Smtp-Source");
	xr = evf_get(c, "X-Received");
	r = evf_get(c, "Received");
	if (xgms == NULL || xss == NULL || xr == NULL || r == NULL ||
	    evf_rx("by 10\\.\\S+ with SMTP id \\S+", 0, xr) ||
	    evf_rx("by 2002\\:a\\d\\d\\:\\w+\\:\\S+ with SMTP id \\S+", 0,
		   xr) ||
	    evf_rx("by smtp\\.googlemail\\.com with ESMTPSA id \\S+", 0, r) ||
	    (strlen(xgms) >= 60 && strlen(xss) >= 60))
		res = 0;
	free(xgms);
	free(xss);
	free(xr);
	free(r);
	return res;
}

static int
ev_fake_aol_relay(struct sp_evctx *c, const struct sp_evcall *a)
{
	char *r;
	int res = 0;

	(void)a;
	if ((r = evf_get_squeezed(c, "Received")) == NULL)
		return 0;
	if (strcasestr(r, " rly-") != NULL &&
	    evf_rx(" rly-[a-z][a-z]\\d\\d\\.", PCRE2_CASELESS, r))
		res = !evf_rx("\\/AOL-\\d+\\.\\d+\\.\\d+\\)", 0, r) &&
		      !evf_rx("ESMTP id (?:RELAY|MAILRELAY|MAILIN)", 0, r);
	free(r);
	return res;
}

/* RelayEval's hostname_to_domain into out: an IP as is, else the last
 * two labels when the last has three characters or is ie/fr/de, else the
 * last three. */
static void
evf_host_dom(const char *h, char *out, size_t outlen)
{
	const char *lab[3] = {NULL, NULL, NULL}, *p = h, *e;
	size_t n, i, nl = 0;
	int alpha = 0;

	for (e = h; *e; e++)
		alpha |= isalpha((unsigned char)*e) != 0;
	while (e > h && e[-1] == '.') /* split drops trailing empties */
		e--;
	if (alpha) {
		for (p = e; p > h; p--)
			if (p[-1] == '.' && nl < 3)
				lab[nl++] = p;
		/* labels: nl dots seen from the end, h starts the first */
		if (nl < 3)
			lab[nl] = h;
		n = (size_t)(e - lab[0]);
		if (nl >= 1 &&
		    (n >= 3 || memmem(lab[0], n, "ie", 2) ||
		     memmem(lab[0], n, "fr", 2) || memmem(lab[0], n, "de", 2)))
			p = lab[1];
		else if (nl >= 2)
			p = lab[2];
		else
			p = h;
	} else
		p = h;
	n = (size_t)(e - p);
	if (n >= outlen)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)p[i]);
	out[n] = '\0';
}

/* /^\w+(?:[\w.-]+\.)+\w+$/ */
static int
evf_hostlike(const char *s)
{
	size_t n = strlen(s), i, lastdot = 0;

	if (n < 3 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.')
			lastdot = i;
		else if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
			   s[i] == '-'))
			return 0;
	}
	if (lastdot < 2 || lastdot + 1 >= n)
		return 0;
	for (i = lastdot + 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

static int
ev_forged_trail(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct sp_relays *r = ev_relays(c);
	char by[256], prev[256], from[256];
	size_t i;
	int mismatch = 0, have_prev = 0;

	(void)a;
	for (i = r ? r->ntrusted : 0; r != NULL && i < r->n; i++) {
		const struct sp_relay *x = &r->v[i];

		evf_host_dom(x->by, by, sizeof(by));
		evf_host_dom(x->rdns, from, sizeof(from));
		if (evf_hostlike(by) &&
		    (strcmp(from, "localhost") == 0 ||
		     strcmp(from, "localhost.localdomain") == 0) &&
		    strcmp(x->ip, "127.0.0.1") == 0)
			from[0] = '\0';
		if (evf_hostlike(by) && have_prev && evf_hostlike(prev) &&
		    strcmp(by, prev) != 0 &&
		    !(strcmp(by, "msn.com") == 0 &&
		      strcmp(prev, "hotmail.com") == 0))
			mismatch++;
		memcpy(prev, from, sizeof(prev));
		have_prev = 1;
	}
	return mismatch > 1;
}

/* ---- recipients ---- */

#define EVF_MAXADDR 256

struct evf_addrs {
	char v[EVF_MAXADDR][128];
	size_t n;
};

/* The addresses of an address-list header value, as written (case kept),
 * appended to l. */
static void
evf_addrs_of(const char *h, struct evf_addrs *l, size_t max)
{
	const char *p = h, *s;
	int quote = 0, angle = 0, paren = 0;

	while (*p && l->n < max) {
		char one[512], addr[256];
		size_t n = 0, k;

		for (s = p; *p; p++) {
			if (*p == '"' && !paren)
				quote = !quote;
			else if (!quote && *p == '(')
				paren++;
			else if (!quote && *p == ')' && paren)
				paren--;
			else if (!quote && !paren && *p == '<')
				angle = 1;
			else if (!quote && !paren && *p == '>')
				angle = 0;
			else if (!quote && !paren && !angle && *p == ',')
				break;
		}
		n = (size_t)(p - s);
		if (*p == ',')
			p++;
		if (n >= sizeof(one))
			continue;
		memcpy(one, s, n);
		one[n] = '\0';
		if (ev_addr(one, addr, sizeof(addr)) < 0 ||
		    strchr(addr, '@') == NULL || strlen(addr) >= 128)
			continue;
		/* ev_addr lowercases: take the same span as written */
		s = strcasestr(one, addr);
		k = strlen(addr);
		memcpy(l->v[l->n], s != NULL ? s : addr, k);
		l->v[l->n][k] = '\0';
		l->n++;
	}
}

static int
evf_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* _check_recipients: *sorted, and the similarity ratio (-1 when under 5
 * addresses). */
static void
evf_recipients(const struct sp_evctx *c, int *sorted, double *similar)
{
	static const char *const hdrs[] = {"To", "Cc", "Bcc", NULL};
	struct evf_addrs *in, *ad;
	const char *h, *srt[EVF_MAXADDR];
	size_t i, j, k, hits = 0, comb = 0;

	*sorted = 0;
	*similar = 0;
	if ((in = calloc(1, sizeof(*in))) == NULL ||
	    (ad = calloc(1, sizeof(*ad))) == NULL) {
		free(in);
		return;
	}
	for (k = 0; hdrs[k] != NULL; k++) {
		if (k == 2 && in->n >= 5)
			break;
		for (i = 0; (h = ev_header(c, hdrs[k], 1, i)) != NULL; i++)
			evf_addrs_of(h, in, EVF_MAXADDR);
	}
	for (i = 0; i < in->n && ad->n < EVF_MAXADDR; i++)
		if (ad->n == 0 || strcasecmp(in->v[i], ad->v[ad->n - 1]) != 0)
			memcpy(ad->v[ad->n++], in->v[i], sizeof(in->v[i]));
	for (i = 0; i < ad->n; i++)
		srt[i] = ad->v[i];
	qsort(srt, ad->n, sizeof(srt[0]), evf_cmp);
	*sorted = ad->n >= 7;
	for (i = 0; *sorted && i < ad->n; i++)
		*sorted = strcmp(srt[i], ad->v[i]) == 0;
	for (i = 0; ad->n >= 5 && i < ad->n; i++)
		for (j = i + 1; j < ad->n; j++) {
			const char *hi = strchr(ad->v[i], '@') + 1;
			const char *hj = strchr(ad->v[j], '@') + 1;

			hits += strncmp(ad->v[i], ad->v[j], 2) == 0;
			hits += strncmp(hi, hj, 2) == 0 && strcmp(hi, hj) != 0;
			comb++;
		}
	if (comb > 0)
		*similar = (double)hits / (double)comb;
	free(in);
	free(ad);
}

static int
ev_sorted_recips(struct sp_evctx *c, const struct sp_evcall *a)
{
	double sim;
	int sorted;

	(void)a;
	evf_recipients(c, &sorted, &sim);
	return sorted;
}

static int
ev_similar_recips(struct sp_evctx *c, const struct sp_evcall *a)
{
	double sim;
	int sorted;

	evf_recipients(c, &sorted, &sim);
	return (strcmp(a->argv[0], "undef") == 0 ||
		sim >= sp_ev_num(a, 0, 0)) &&
	       (strcmp(a->argv[1], "undef") == 0 || sim < sp_ev_num(a, 1, 0));
}

const struct sp_evdef ev_forged_defs[] = {
    {"check_for_forged_hotmail_received_headers", ev_forged_hotmail, 0, 0},
    {"check_for_no_hotmail_received_headers", ev_no_hotmail, 0, 0},
    {"check_for_forged_eudoramail_received_headers", ev_forged_eudoramail, 0,
     0},
    {"check_for_forged_yahoo_received_headers", ev_forged_yahoo, 0, 0},
    {"check_for_forged_juno_received_headers", ev_forged_juno, 0, 0},
    {"check_for_forged_gmail_received_headers", ev_forged_gmail, 0, 0},
    {"check_for_fake_aol_relay_in_rcvd", ev_fake_aol_relay, 0, 0},
    {"check_for_forged_received_trail", ev_forged_trail, 0, 0},
    {"sorted_recipients", ev_sorted_recips, 0, 0},
    {"similar_recipients", ev_similar_recips, 2, 2},
    {NULL, NULL, 0, 0},
};
