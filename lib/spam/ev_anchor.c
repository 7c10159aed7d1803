/* lib/spam/ev_anchor.c - see ev_anchor.h. The Perl keys its
 * uri_detail by target, so a target counts once however many anchors
 * use it; domains are compared by their registrable part (two labels,
 * three under a country code's short second level, as near as
 * RegistryBoundaries::trim_domain gets without its list). */
#include "ev_anchor.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void
eva_init(struct eva_state *a)
{
	memset(a, 0, sizeof(*a));
}

/* An http(s) URL to a numeric IPv4 host, perhaps after slashes and
 * "user@" (URIEval's test); https: only when https_only. */
static int
eva_ip_url(const char *s, int https_only)
{
	const char *p, *at;
	int dots = 0, digits = 0;

	if (strncasecmp(s, "https:", 6) == 0)
		p = s + 6;
	else if (!https_only && strncasecmp(s, "http:", 5) == 0)
		p = s + 5;
	else
		return 0;
	while (*p == '/')
		p++;
	for (at = p; *at && *at != '/' && *at != '@'; at++)
		;
	if (*at == '@' && at > p)
		p = at + 1;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (*p == '.' && digits > 0 && dots < 3) {
			dots++;
			digits = 0;
		} else
			break;
	}
	return dots == 3 && digits > 0;
}

static int
eva_is_ip(const char *h, size_t n)
{
	size_t i;
	int dots = 0;

	for (i = 0; i < n; i++) {
		if (h[i] == '.')
			dots++;
		else if (!isdigit((unsigned char)h[i]))
			return memchr(h, ':', n) != NULL; /* IPv6 */
	}
	return dots == 3;
}

/* The registrable domain of host h[0..n), lowercased, into out; 0 when
 * h is no domain (an IP, one label, no letter in its last label). */
static int
eva_domain(const char *h, size_t n, char *out, size_t outlen)
{
	const char *e = h + n, *l1 = NULL, *l2 = NULL, *l3 = NULL, *p, *s;
	size_t i, k;

	while (e > h && e[-1] == '.')
		e--;
	if (e == h || eva_is_ip(h, (size_t)(e - h)))
		return 0;
	/* from the end: l1 starts the last label, l2 the one before... */
	for (p = e; p > h && l3 == NULL; p--)
		if (p[-1] == '.') {
			if (l1 == NULL)
				l1 = p;
			else if (l2 == NULL)
				l2 = p;
			else
				l3 = p;
		}
	if (l1 == NULL || e - l1 < 2 || !isalpha((unsigned char)*l1))
		return 0;
	s = l2 != NULL ? l2 : h;
	/* example.co.uk: a two-letter country code under a short label */
	if (e - l1 == 2 && l1 - s - 1 <= 3)
		s = l3 != NULL ? l3 : (l2 != NULL ? h : s);
	k = (size_t)(e - s);
	if (k >= outlen)
		return 0;
	for (i = 0; i < k; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[k] = '\0';
	return 1;
}

void
eva_open(struct eva_state *a, const char *href)
{
	size_t n;

	if (a->open)
		eva_close(a);
	if (href == NULL)
		return;
	while (isspace((unsigned char)*href))
		href++;
	n = strlen(href);
	if (n >= sizeof(a->href))
		n = sizeof(a->href) - 1;
	memcpy(a->href, href, n);
	a->href[n] = '\0';
	a->tlen = 0;
	a->text[0] = '\0';
	a->open = 1;
}

void
eva_text(struct eva_state *a, const char *s, size_t n)
{
	if (!a->open)
		return;
	if (n > sizeof(a->text) - 1 - a->tlen)
		n = sizeof(a->text) - 1 - a->tlen;
	memcpy(a->text + a->tlen, s, n);
	a->tlen += n;
	a->text[a->tlen] = '\0';
}

/* A new target (by hash): counted once. */
static int
eva_new_uri(struct eva_state *a, const char *u)
{
	unsigned long h = 5381;
	size_t i;

	for (; *u; u++)
		h = h * 33 + (unsigned char)*u;
	for (i = 0; i < a->nuris; i++)
		if (a->uris[i] == h)
			return 0;
	if (a->nuris < EVA_MAXURIS)
		a->uris[a->nuris++] = h;
	return 1;
}

/* The text's first "https://host" domain into out; 0 if none. */
static int
eva_text_https(const char *t, char *out, size_t outlen)
{
	const char *p = t, *h;
	size_t n;

	while ((p = strcasestr(p, "https://")) != NULL) {
		h = p + 8;
		n = strcspn(h, " \t\r\n/:?#");
		if (n > 0) {
			if (eva_is_ip(h, n)) {
				snprintf(out, outlen, "%.*s", (int)n, h);
				return 1;
			}
			return eva_domain(h, n, out, outlen);
		}
		p = h;
	}
	return 0;
}

void
eva_close(struct eva_state *a)
{
	char dom[256], tdom[256];
	const char *h;
	size_t n;

	if (!a->open)
		return;
	a->open = 0;
	if (eva_ip_url(a->href, 0) && !eva_ip_url(a->text, 1) &&
	    strcasestr(a->text, "https:") != NULL)
		a->ip_mismatch = 1;
	if (strncasecmp(a->href, "http://", 7) == 0)
		h = a->href + 7;
	else if (strncasecmp(a->href, "https://", 8) == 0)
		h = a->href + 8;
	else
		return;
	n = strcspn(h, "/:?#");
	if (n == 0 || !eva_domain(h, n, dom, sizeof(dom)))
		return;
	if (eva_new_uri(a, a->href))
		a->anchors++;
	if (eva_text_https(a->text, tdom, sizeof(tdom)) &&
	    strcmp(dom, tdom) != 0)
		a->http_mismatch = 1;
}
