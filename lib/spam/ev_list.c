/* lib/spam/ev_list.c - the list evals: WLBLEval (address and URI host
 * lists), VBounce, WelcomeListSubject and FreeMail (SpamAssassin 4.0
 * Plugin/WLBLEval.pm, VBounce.pm, FreeMail.pm). Lists come from the rule
 * files (sp_evconf). facteur reads no welcomelist_from/blocklist_from
 * lines, so those evals are false, as in SpamAssassin with empty lists. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ev_int.h"
#include "msgview.h"

static int
ev_false(struct sp_evctx *c, const struct sp_evcall *a)
{
	(void)c;
	(void)a;
	return 0;
}

/* check_from_in_list('LIST') and check_replyto_in_list('LIST'). */
static int
ev_in_addrlist(struct sp_evctx *c, const char *list, const char *hdr)
{
	const struct sp_strlist *l = &ev_conf(c)->addrlist;
	char addrs[8][256];
	const char *h;
	size_t i, k, n = 0, ll = strlen(list), hi;

	for (hi = 0; (h = ev_header(c, hdr, 0, hi)) != NULL && n < 8; hi++)
		n += ev_addrs(h, addrs + n, 8 - n);
	if (strcmp(hdr, "From") == 0 && (h = ev_envfrom(c)) != NULL && n < 8)
		n += ev_addrs(h, addrs + n, 8 - n);
	for (i = 0; i < l->n; i++) {
		if (strncmp(l->v[i], list, ll) != 0 || l->v[i][ll] != '\t')
			continue;
		for (k = 0; k < n; k++)
			if (sp_ev_glob(l->v[i] + ll + 1, addrs[k]))
				return 1;
	}
	return 0;
}

static int
ev_from_in_list(struct sp_evctx *c, const struct sp_evcall *a)
{
	return ev_in_addrlist(c, a->argv[0], "From");
}

static int
ev_replyto_in_list(struct sp_evctx *c, const struct sp_evcall *a)
{
	return ev_in_addrlist(c, a->argv[0], "Reply-To");
}

/* check_uri_host_listed('LIST'): a URI host is, or is under, a host of
 * the list. */
static int
ev_uri_host_listed(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct sp_strlist *l = &ev_conf(c)->urihost;
	const char *list = a->argv[0];
	const size_t *dls = ev_uri_domain_lens(c);
	size_t i, k, j, ll = strlen(list);

	for (i = 0; i < l->n; i++) {
		const char *host;
		size_t hl;

		if (strncmp(l->v[i], list, ll) != 0 || l->v[i][ll] != '\t')
			continue;
		host = l->v[i] + ll + 1;
		hl = strlen(host);
		for (k = 0; k < c->v->nuris; k++) {
			const char *d = c->v->uri_domains[k];
			size_t dl = dls != NULL ? dls[k] : strlen(d);

			if (dl < hl)
				continue;
			/* from the end, bytes equal ignoring case are equal
			 * once | 0x20: most hosts differ in their TLD */
			for (j = 1; j <= hl &&
				    (d[dl - j] | 0x20) == (host[hl - j] | 0x20);
			     j++)
				;
			if (j <= hl)
				continue;
			if (strcasecmp(d + dl - hl, host) == 0 &&
			    (dl == hl || d[dl - hl - 1] == '.'))
				return 1;
		}
	}
	return 0;
}

static int
ev_have_bounce_relays(struct sp_evctx *c, const struct sp_evcall *a)
{
	(void)a;
	return ev_conf(c)->bounce_relays.n > 0;
}

/* ---- FreeMail ---- */

static int
ev_hexn(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

/* FreeMail.pm's $email_welcomelist, for the local part l[0..n):
 * ^(?:abuse|support|...|undisclosed.*|request-[a-f0-9]{16}|bounced?-|
 * [a-f0-9]{8}(?:\.[a-f0-9]{8}|-UUID)|.+=.+=.+)@ (case-insensitive). */
static int
ev_local_welcome(const char *l, size_t n)
{
	static const char *const words[] = {
	    "abuse",   "support",  "sales",	 "info",       "helpdesk",
	    "contact", "kontakt",  "postmaster", "hostmaster", "domainmaster",
	    "bounce-", "bounced-", NULL};
	size_t i, eq = 0;

	for (i = 0; words[i] != NULL; i++)
		if (strlen(words[i]) == n && strncasecmp(l, words[i], n) == 0)
			return 1;
	if (n >= 11 && strncasecmp(l, "undisclosed", 11) == 0)
		return 1;
	if (n == 24 && strncasecmp(l, "request-", 8) == 0 && ev_hexn(l + 8, 16))
		return 1;
	if (n == 17 && ev_hexn(l, 8) && l[8] == '.' && ev_hexn(l + 9, 8))
		return 1;
	if (n == 45 && ev_hexn(l, 8) && l[8] == '-' && ev_hexn(l + 9, 4) &&
	    l[13] == '-' && ev_hexn(l + 14, 4) && l[18] == '-' &&
	    ev_hexn(l + 19, 4) && l[23] == '-' && ev_hexn(l + 24, 12))
		return 1;
	/* .+=.+=.+ : an '=' after the first byte, another at least two
	 * further on and before the last byte */
	for (i = 1; i < n && l[i] != '='; i++)
		;
	for (eq = i + 2; eq + 1 < n; eq++)
		if (l[eq] == '=')
			return 1;
	return 0;
}

/* A freemail_domains wildcard as FreeMail.pm compiles it: "*" is
 * [^.]*, "?" any one character, the rest literal (both sides
 * lowercased). */
static int
evl_fm_glob(const char *p, const char *d)
{
	for (; *p != '\0'; p++, d++) {
		if (*p == '*') {
			for (;; d++) {
				if (evl_fm_glob(p + 1, d))
					return 1;
				if (*d == '\0' || *d == '.')
					return 0;
			}
		}
		if (*d == '\0' || (*p != '?' && tolower((unsigned char)*p) !=
						    tolower((unsigned char)*d)))
			return 0;
	}
	return *d == '\0';
}

static int
evl_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* FreeMail.pm's domain test: domain (any case) is one of cf's
 * freemail_domains, the exact names (sorted by sp_evconf_finish), then
 * the wildcards, whose '*' never crosses a dot (gmx.* is not gmx.co.uk). */
static int
evl_freemail_domain(const struct sp_evconf *cf, const char *domain)
{
	char low[256], *key = low;
	size_t i, n = strlen(domain);

	if (n >= sizeof(low))
		return 0;
	for (i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)domain[i]);
	if (cf->freemail_exact.n > 0 &&
	    bsearch(&key, cf->freemail_exact.v, cf->freemail_exact.n,
		    sizeof(char *), evl_strcmp) != NULL)
		return 1;
	for (i = 0; i < cf->freemail.n; i++)
		if (evl_fm_glob(cf->freemail.v[i], low))
			return 1;
	return 0;
}

static int
ev_is_freemail(const struct sp_evctx *c, const char *email)
{
	const struct sp_evconf *cf = ev_conf(c);
	const char *dom = strrchr(email, '@');
	size_t i;

	if (dom == NULL || *++dom == '\0')
		return 0;
	for (i = 0; i < cf->freemail_wl.n; i++)
		if (strcasecmp(cf->freemail_wl.v[i], email) == 0 ||
		    strcasecmp(cf->freemail_wl.v[i], dom) == 0)
			return 0;
	if (ev_local_welcome(email, (size_t)(dom - 1 - email)))
		return 0;
	return evl_freemail_domain(cf, dom);
}

/* Adds e to out[0..*n) unless it is there. */
static void
evl_add_email(char out[][256], size_t *n, const char *e)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(out[i], e) == 0)
			return;
	snprintf(out[(*n)++], 256, "%s", e);
}

/* Adds the addresses of v to out[0..*n) (at most max), each once, runs
 * of dots made one (all_from_addrs' tr/././s). */
static void
evl_add_addrs(const char *v, char out[][256], size_t *n, size_t max)
{
	char a[8][256];
	size_t i, k, m = v != NULL ? ev_addrs(v, a, 8) : 0;

	for (i = 0; i < m && *n < max; i++) {
		char *w = a[i];

		for (k = 0; a[i][k] != '\0'; k++)
			if (a[i][k] != '.' || k == 0 || a[i][k - 1] != '.')
				*w++ = a[i][k];
		*w = '\0';
		evl_add_email(out, n, a[i]);
	}
}

/* PerMsgStatus's all_from_addrs: the first Resent-From's addresses
 * when there is one, else those of From, Envelope-Sender,
 * Resent-Sender, X-Envelope-From and the envelope sender. */
static size_t
evl_all_from(struct sp_evctx *c, char out[][256], size_t max)
{
	static const char *const hdrs[] = {"Envelope-Sender", "Resent-Sender",
					   "X-Envelope-From", NULL};
	const char *h;
	size_t n = 0, i, k;

	if ((h = ev_header(c, "Resent-From", 0, 0)) != NULL) {
		evl_add_addrs(h, out, &n, max);
		if (n > 0)
			return n;
	}
	for (k = 0; (h = ev_header(c, "From", 0, k)) != NULL; k++)
		evl_add_addrs(h, out, &n, max);
	for (i = 0; hdrs[i] != NULL; i++)
		for (k = 0; (h = ev_header(c, hdrs[i], 0, k)) != NULL; k++)
			evl_add_addrs(h, out, &n, max);
	evl_add_addrs(ev_envfrom(c), out, &n, max);
	return n;
}

static int
ev_freemail_from(struct sp_evctx *c, const struct sp_evcall *a)
{
	char addrs[8][256];
	size_t i, n = evl_all_from(c, addrs, 8);

	for (i = 0; i < n; i++)
		if (ev_is_freemail(c, addrs[i]) &&
		    (a->argc == 0 ||
		     ev_re_match(c, a, addrs[i], strlen(addrs[i]))))
			return 1;
	return 0;
}

/* Emails written in a text, into out. */
static size_t
ev_text_emails(const char *t, char out[][256], size_t max)
{
	const char *p;
	size_t n = 0;

	for (p = strchr(t, '@'); p != NULL && n < max; p = strchr(p + 1, '@')) {
		const char *s = p, *e = p + 1;
		size_t l, i;

		while (s > t && (isalnum((unsigned char)s[-1]) ||
				 strchr("._+-", s[-1]) != NULL))
			s--;
		while (*e &&
		       (isalnum((unsigned char)*e) || *e == '.' || *e == '-'))
			e++;
		while (e > p + 1 && e[-1] == '.')
			e--;
		l = (size_t)(e - s);
		if (s == p || e == p + 1 || l >= 256 ||
		    memchr(p, '.', (size_t)(e - p)) == NULL)
			continue;
		for (i = 0; i < l; i++)
			out[n][i] = (char)tolower((unsigned char)s[i]);
		out[n++][l] = '\0';
	}
	return n;
}

static int
ev_freemail_header(struct sp_evctx *c, const struct sp_evcall *a)
{
	char name[128], addrs[8][256], *colon;
	const char *h;
	size_t i, n = 0, hi;

	snprintf(name, sizeof(name), "%s", a->argv[0]);
	if ((colon = strchr(name, ':')) != NULL)
		*colon = '\0';
	if (strcasecmp(name, "EnvelopeFrom") == 0) {
		if ((h = ev_envfrom(c)) != NULL)
			n = ev_addrs(h, addrs, 8);
	} else
		for (hi = 0; (h = ev_header(c, name, 0, hi)) != NULL && n < 8;
		     hi++)
			n += strcasecmp(name, "Subject") == 0
				 ? ev_text_emails(h, addrs + n, 8 - n)
				 : ev_addrs(h, addrs + n, 8 - n);
	for (i = 0; i < n; i++)
		if (ev_is_freemail(c, addrs[i]) &&
		    (a->argc < 2 ||
		     ev_re_match(c, a, addrs[i], strlen(addrs[i]))))
			return 1;
	return 0;
}

/* FreeMail.pm's _parse_body keeps at most this many addresses (its
 * "sanity" limits: 20 from anchors, 40 in all) and gives up on the body
 * at freemail_max_body_emails (5) distinct addresses or
 * freemail_max_body_freemails (3) freemails (freemail_skip_when_over_max,
 * all SpamAssassin's defaults). */
#define EVL_ANCHOR_MAX 20
#define EVL_BODY_MAX 40
#define EVL_MAX_EMAILS 5
#define EVL_MAX_FREEMAILS 3

/* The href value of the <a> tag t[0..n) into v (NUL-terminated), or 0. */
static int
evl_href(const char *t, size_t n, char *v, size_t vmax)
{
	size_t i = 0, l = 0;
	char q = 0;

	while (i + 4 < n && strncasecmp(t + i, "href", 4) != 0)
		i++;
	if (i + 4 >= n || !isspace((unsigned char)t[i - 1]))
		return 0;
	for (i += 4; i < n && isspace((unsigned char)t[i]); i++)
		;
	if (i >= n || t[i] != '=')
		return 0;
	for (i++; i < n && isspace((unsigned char)t[i]); i++)
		;
	if (i < n && (t[i] == '"' || t[i] == '\''))
		q = t[i++];
	for (; i < n && l + 1 < vmax; i++) {
		if (q ? t[i] == q : isspace((unsigned char)t[i]) || t[i] == '>')
			break;
		v[l++] = t[i];
	}
	v[l] = '\0';
	return 1;
}

/* The addresses of the HTML parts' <a href="mailto:..."> (FreeMail.pm
 * takes the URI list's "a" targets that match ^mailto:EMAIL), each once,
 * lowercased, at most EVL_ANCHOR_MAX. */
static size_t
evl_anchor_emails(const struct sp_view *v, char out[][256])
{
	size_t i, j, n = 0;

	for (i = 0; i < v->nparts && n < EVL_ANCHOR_MAX; i++) {
		const char *h = v->parts[i].html;
		size_t hl = v->parts[i].html_len;

		for (j = 0; h != NULL && j + 2 < hl && n < EVL_ANCHOR_MAX;
		     j++) {
			const char *gt;
			char val[1024], e[1][256];

			if (h[j] != '<' || (h[j + 1] | 0x20) != 'a' ||
			    !isspace((unsigned char)h[j + 2]))
				continue;
			gt = memchr(h + j, '>', hl - j);
			if (gt == NULL)
				break;
			if (evl_href(h + j + 2, (size_t)(gt - h - j - 2), val,
				     sizeof(val)) &&
			    strncasecmp(val, "mailto:", 7) == 0) {
				val[strcspn(val, "?")] = '\0';
				if (ev_text_emails(val + 7, e, 1) == 1 &&
				    strncasecmp(e[0], val + 7, strlen(e[0])) ==
					0)
					evl_add_email(out, &n, e[0]);
			}
		}
	}
	return n;
}

/* FreeMail.pm's _parse_body: the body's freemail addresses into out,
 * their count, or -1 when the body is skipped (too many addresses). */
static long
evl_body_freemails(struct sp_evctx *c, char out[][256])
{
	char all[EVL_BODY_MAX][256], txt[EVL_BODY_MAX][256];
	size_t n = evl_anchor_emails(c->v, all), nt, i, nfm = 0;

	nt = ev_text_emails(c->v->body_text, txt, EVL_BODY_MAX);
	for (i = 0; i < nt && n < EVL_BODY_MAX; i++)
		evl_add_email(all, &n, txt[i]);
	for (i = 0; i < n; i++) {
		if (i + 1 == EVL_MAX_EMAILS)
			return -1;
		if (!ev_is_freemail(c, all[i]))
			continue;
		if (nfm + 1 == EVL_MAX_FREEMAILS)
			return -1;
		memcpy(out[nfm++], all[i], 256);
	}
	return (long)nfm;
}

static int
ev_freemail_replyto(struct sp_evctx *c, const struct sp_evcall *a)
{
	char from[4][256], rt[4][256], body[EVL_MAX_FREEMAILS][256];
	const char *f = ev_header(c, "From", 0, 0);
	const char *r = ev_header(c, "Reply-To", 0, 0);
	const char *what = a->argc > 0 ? a->argv[0] : "replyto";
	const char *env = ev_envfrom(c);
	size_t nf = f ? ev_addrs(f, from, 4) : 0,
	       nr = r ? ev_addrs(r, rt, 4) : 0, i, k;
	int ffm = 0, rfm = 0, notin = 1;
	char(*reply)[256];
	size_t nreply;
	long nb;

	/* freemail_skip_bulk_envfrom: a list's or a bounce's sender */
	if (env != NULL && ev_re_match(c, a, env, strlen(env)))
		return 0;
	for (i = 0; i < nf; i++)
		ffm |= ev_is_freemail(c, from[i]);
	for (i = 0; i < nr; i++)
		rfm |= ev_is_freemail(c, rt[i]);
	for (i = 0; i < nf; i++)
		for (k = 0; k < nr; k++)
			if (strcmp(from[i], rt[k]) == 0)
				notin = 0;
	if (ffm && rfm && notin)
		return 1;
	if (strcmp(what, "replyto") == 0 ? !rfm : (nr > 0 ? !rfm : !ffm))
		return 0;
	if ((nb = evl_body_freemails(c, body)) <= 0)
		return 0;
	reply = strcmp(what, "replyto") == 0 || rfm ? rt : from;
	nreply = strcmp(what, "replyto") == 0 || rfm ? nr : nf;
	for (i = 0; i < (size_t)nb; i++)
		for (k = 0; k < nreply; k++)
			if (strcmp(body[i], reply[k]) != 0)
				return 1;
	return 0;
}

/* FreeMail.pm's $skip_replyto_envfrom ("[._-t]" is its range, '_' to
 * 't'). */
#define EVL_BULK_ENVFROM                                                       \
	"(?i)(?:^(?:post|host|domain)master|^double-bounce|"                   \
	"^(?:sentto|owner|return|(?:gr)?bounced?)-.+|"                         \
	"-(?:request|bounces?|admin|owner)|"                                   \
	"\\b(?:do[._-t]?)?no[._-t]?repl(?:y|ies)|.+=.+)@"

const struct sp_evdef ev_list_defs[] = {
    {"check_from_in_list", ev_from_in_list, 1, 1},
    {"check_replyto_in_list", ev_replyto_in_list, 1, 1},
    {"check_uri_host_listed", ev_uri_host_listed, 1, 1},
    {"check_from_in_blacklist", ev_false, 0, 0},
    {"check_from_in_blocklist", ev_false, 0, 0},
    {"check_from_in_whitelist", ev_false, 0, 0},
    {"check_from_in_welcomelist", ev_false, 0, 0},
    {"check_from_in_default_whitelist", ev_false, 0, 0},
    {"check_from_in_default_welcomelist", ev_false, 0, 0},
    {"check_to_in_blacklist", ev_false, 0, 0},
    {"check_to_in_blocklist", ev_false, 0, 0},
    {"check_to_in_whitelist", ev_false, 0, 0},
    {"check_to_in_welcomelist", ev_false, 0, 0},
    {"check_to_in_all_spam", ev_false, 0, 0},
    {"check_to_in_more_spam", ev_false, 0, 0},
    {"check_uri_host_in_blacklist", ev_false, 0, 0},
    {"check_uri_host_in_blocklist", ev_false, 0, 0},
    {"check_uri_host_in_whitelist", ev_false, 0, 0},
    {"check_uri_host_in_welcomelist", ev_false, 0, 0},
    {"check_subject_in_blacklist", ev_false, 0, 0},
    {"check_subject_in_blocklist", ev_false, 0, 0},
    {"check_subject_in_whitelist", ev_false, 0, 0},
    {"check_subject_in_welcomelist", ev_false, 0, 0},
    {"have_any_bounce_relays", ev_have_bounce_relays, 0, 0},
    {"check_whitelist_bounce_relays", ev_false, 0, 0},
    {"check_welcomelist_bounce_relays", ev_false, 0, 0},
    {"check_freemail_from", ev_freemail_from, 0, 1, NULL, 1},
    {"check_freemail_header", ev_freemail_header, 1, 2, NULL, 2},
    {"check_freemail_replyto", ev_freemail_replyto, 0, 1, NULL, 0,
     EVL_BULK_ENVFROM},
    {NULL, NULL, 0, 0},
};
