/* milters/scrub/scrub_select.c - header selection for facteur-scrub; see
 * scrub_select.h for the rules and why the Received walk stops at the
 * first relay hop. Pure: the daemon logs, this file decides. */
#include "scrub_select.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

/* Always removed on outgoing mail: they name the client's address or
 * software. */
static const char *const scrub_builtin[] = {
    "X-Originating-IP",
    "X-Mailer",
    "User-Agent",
};

/* Never routed on the internet: a hop that names only these is the
 * client's own machine or LAN. */
static const struct cidr scrub_private[] = {
    {{0, {10}}, 8},
    {{0, {172, 16}}, 12},
    {{0, {192, 168}}, 16},
    {{0, {127}}, 8},
    {{0, {169, 254}}, 16},
    {{0, {100, 64}}, 10},
    {{1, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}, 128},
    {{1, {0xfe, 0x80}}, 10},
    {{1, {0xfc}}, 7},
};
#define SCRUB_NPRIVATE (sizeof(scrub_private) / sizeof(scrub_private[0]))

static int
scrub_name_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = 0;

	for (; *p != '\0'; p++, n++)
		if (*p <= ' ' || *p >= 0x7f || *p == ':')
			return 0;
	return n >= 1 && n <= 997;
}

static int
scrub_value_ok(const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\r')
			return 0;
		if (*v == '\n' && v[1] != ' ' && v[1] != '\t')
			return 0;
	}
	return 1;
}

static int
scrub_removed_name(const struct scrub_policy *p, const char *name)
{
	size_t k;

	for (k = 0; k < sizeof(scrub_builtin) / sizeof(scrub_builtin[0]); k++)
		if (strcasecmp(name, scrub_builtin[k]) == 0)
			return 1;
	return cfg_list_has(p->remove_headers, name, strlen(name));
}

/* a[0..alen) and b equal as host names: any case, one trailing dot. */
static int
scrub_host_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = b ? strlen(b) : 0;

	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	return alen > 0 && alen == blen && strncasecmp(a, b, alen) == 0;
}

/* 1 if ip is private, loopback, link-local, CGNAT or ULA, or in nets
 * (NULL: none). */
static int
scrub_in(const struct cidr_list *nets, const struct cidr_ip *ip)
{
	size_t k;

	for (k = 0; k < SCRUB_NPRIVATE; k++)
		if (cidr_match(&scrub_private[k], ip))
			return 1;
	return nets != NULL && cidr_list_match_ip(nets, ip);
}

static int
scrub_is_delim(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || strchr("()[]<>;,=\"", c) != NULL;
}

/* One token of a Received value: 1 if it is a routable address. */
static int
scrub_token_public(const char *t, size_t len, const struct cidr_list *nets)
{
	struct cidr_ip a;

	if (len > 5 && strncasecmp(t, "IPv6:", 5) == 0) {
		t += 5;
		len -= 5;
	}
	if (len == 0 ||
	    (memchr(t, '.', len) == NULL && memchr(t, ':', len) == NULL))
		return 0;
	if (cidr_ip_parse(t, len, &a) != 0)
		return 0; /* a host name, an id: not an address */
	return !scrub_in(nets, &a);
}

enum scrub_hop
scrub_received_hop(const char *v, size_t len, const char *myhostname,
		   const struct cidr_list *nets)
{
	size_t i, start, end = len, tl;
	int after_by = 0;

	for (i = len; i > 0; i--)
		if (v[i - 1] == ';') {
			end = i - 1;
			break;
		}
	for (i = 0; i < end;) {
		while (i < end && scrub_is_delim((unsigned char)v[i]))
			i++;
		start = i;
		while (i < end && !scrub_is_delim((unsigned char)v[i]))
			i++;
		if ((tl = i - start) == 0)
			break;
		if (after_by && scrub_host_eq(v + start, tl, myhostname))
			return SCRUB_HOP_RELAY;
		after_by = tl == 2 && strncasecmp(v + start, "by", 2) == 0;
		if (scrub_token_public(v + start, tl, nets))
			return SCRUB_HOP_RELAY;
	}
	return SCRUB_HOP_CLIENT;
}

static int
scrub_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
scrub_msgid_rhs(const char *v, size_t len, size_t *off, size_t *rlen)
{
	size_t b = 0, e = len, at;

	while (b < e && scrub_is_ws(v[b]))
		b++;
	while (e > b && scrub_is_ws(v[e - 1]))
		e--;
	if (e - b < 5 || v[b] != '<' || v[e - 1] != '>')
		return -1;
	for (at = e - 1; at > b + 1 && v[at - 1] != '@'; at--)
		if (scrub_is_ws(v[at - 1]) || strchr("<>", v[at - 1]) != NULL ||
		    v[at - 1] == '\0')
			return -1;
	if (at <= b + 2 || at >= e - 1)
		return -1;
	*off = at;
	*rlen = e - 1 - at;
	return 0;
}

int
scrub_msgid_build(const unsigned char *rnd, size_t rndlen, const char *domain,
		  char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t dl = domain ? strlen(domain) : 0, k, o = 0;

	if (dl == 0 || outlen < 4 + dl || rndlen > (outlen - 4 - dl) / 2)
		return -1;
	out[o++] = '<';
	for (k = 0; k < rndlen; k++) {
		out[o++] = hex[rnd[k] >> 4];
		out[o++] = hex[rnd[k] & 15];
	}
	out[o++] = '@';
	memcpy(out + o, domain, dl);
	o += dl;
	out[o++] = '>';
	out[o] = '\0';
	return 0;
}

static int
scrub_first_domain(void *ctx, const unsigned char *p,
		   const struct addr_parts *parts)
{
	struct scrub_result *res = ctx;

	if (!parts->literal && parts->domain_len < sizeof(res->from_domain)) {
		memcpy(res->from_domain, p + parts->domain_off,
		       parts->domain_len);
		res->from_domain[parts->domain_len] = '\0';
	}
	return 1;
}

static void
scrub_from_domain(const struct scrub_hdr *h, size_t n, struct scrub_result *res)
{
	struct addr_limits lim = {0, 0, 0, 0};
	size_t k, eoff;

	/* A From that does not parse gives no domain: the Message-ID is
	 * then left alone, which is the safe side. */
	for (k = 0; k < n; k++)
		if (strcasecmp(h[k].name, "From") == 0) {
			if (addr_parse_header((const unsigned char *)h[k].value,
					      strlen(h[k].value), &lim,
					      scrub_first_domain, res,
					      &eoff) != ADDR_OK)
				res->from_domain[0] = '\0';
			return;
		}
}

/* The Message-ID field h: SCRUB_MSGID if its right-hand side leaks. */
static enum scrub_act
scrub_msgid_act(const struct scrub_hdr *h, const struct scrub_policy *p,
		const struct scrub_result *res)
{
	size_t off, rlen;

	if (!p->replace_message_id || res->from_domain[0] == '\0' ||
	    res->msgid >= 0)
		return SCRUB_KEEP;
	if (scrub_msgid_rhs(h->value, strlen(h->value), &off, &rlen) != 0)
		return SCRUB_KEEP;
	if (scrub_host_eq(h->value + off, rlen, res->from_domain) ||
	    scrub_host_eq(h->value + off, rlen, p->myhostname))
		return SCRUB_KEEP;
	return SCRUB_MSGID;
}

void
scrub_select(const struct scrub_hdr *h, size_t n, const struct scrub_policy *p,
	     enum scrub_act *act, struct scrub_result *res)
{
	int walking = 1;
	size_t k;

	memset(res, 0, sizeof(*res));
	res->msgid = -1;
	scrub_from_domain(h, n, res);
	for (k = 0; k < n; k++) {
		act[k] = SCRUB_KEEP;
		if (!scrub_name_ok(h[k].name) || !scrub_value_ok(h[k].value)) {
			act[k] = SCRUB_MALFORMED;
			if (res->nmalformed++ == 0)
				res->first_malformed = k;
			if (strcasecmp(h[k].name, "Received") == 0)
				walking = 0;
		} else if (scrub_removed_name(p, h[k].name)) {
			act[k] = SCRUB_DELETE;
		} else if (strcasecmp(h[k].name, "Received") == 0) {
			if (walking &&
			    scrub_received_hop(h[k].value, strlen(h[k].value),
					       p->myhostname,
					       p->nets) == SCRUB_HOP_CLIENT)
				act[k] = SCRUB_DELETE;
			else
				walking = 0;
		} else if (strcasecmp(h[k].name, "Message-ID") == 0 &&
			   (act[k] = scrub_msgid_act(&h[k], p, res)) ==
			       SCRUB_MSGID) {
			res->msgid = (int)k;
		}
		if (act[k] == SCRUB_DELETE)
			res->ndelete++;
	}
}
