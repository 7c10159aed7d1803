/* milters/scrub/scrub_select.c - header selection for facteur-scrub; see
 * scrub_select.h for the rules and why the Received walk stops at the
 * first relay hop. Pure: the daemon logs, this file decides. */
#include "scrub_select.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

/* Always removed on outgoing mail: they name the client's address or
 * software. */
static const char *const scrub_builtin[] = {
    "X-Originating-IP", "X-Mailer", "User-Agent",
};

/* Never routed on the internet: a hop that names only these is the
 * client's own machine or LAN. */
static const struct scrub_net scrub_private[] = {
    {AF_INET, {10}, 8},
    {AF_INET, {172, 16}, 12},
    {AF_INET, {192, 168}, 16},
    {AF_INET, {127}, 8},
    {AF_INET, {169, 254}, 16},
    {AF_INET, {100, 64}, 10},
    {AF_INET6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},
    {AF_INET6, {0xfe, 0x80}, 10},
    {AF_INET6, {0xfc}, 7},
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

/* 1 if word[0..wl) is in the comma/space separated list, any case. */
static int
scrub_list_has(const char *list, const char *word, size_t wl)
{
	const char *p = list;
	size_t len;

	if (p == NULL || wl == 0)
		return 0;
	while (*p != '\0') {
		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (len == wl && strncasecmp(p, word, wl) == 0)
			return 1;
		p += len;
	}
	return 0;
}

static int
scrub_removed_name(const struct scrub_policy *p, const char *name)
{
	size_t k;

	for (k = 0; k < sizeof(scrub_builtin) / sizeof(scrub_builtin[0]); k++)
		if (strcasecmp(name, scrub_builtin[k]) == 0)
			return 1;
	return scrub_list_has(p->remove_headers, name, strlen(name));
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

static int
scrub_in(const struct scrub_net *nets, size_t n, int fam,
    const unsigned char *a)
{
	size_t k;
	int full, rest;

	for (k = 0; k < n; k++) {
		if (nets[k].family != fam)
			continue;
		full = nets[k].prefix / 8;
		rest = nets[k].prefix % 8;
		if (memcmp(a, nets[k].addr, (size_t)full) != 0)
			continue;
		if (rest && ((a[full] ^ nets[k].addr[full]) &
		    (0xff << (8 - rest)) & 0xff))
			continue;
		return 1;
	}
	return 0;
}

/* Parses ip; 0 with *fam and a, or -1. IPv4-mapped IPv6 becomes IPv4. */
static int
scrub_ip(const char *ip, int *fam, unsigned char a[16])
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff};

	if (ip == NULL)
		return -1;
	*fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(*fam, ip, a) != 1)
		return -1;
	if (*fam == AF_INET6 && memcmp(a, mapped, 12) == 0) {
		memmove(a, a + 12, 4);
		*fam = AF_INET;
	}
	return 0;
}

int
scrub_nets_match(const struct scrub_net *nets, size_t n, const char *ip)
{
	unsigned char a[16];
	int fam;

	return scrub_ip(ip, &fam, a) == 0 && scrub_in(nets, n, fam, a);
}

int
scrub_ip_is_local(const char *ip, const struct scrub_net *nets, size_t n)
{
	unsigned char a[16];
	int fam;

	if (scrub_ip(ip, &fam, a) != 0)
		return 0;
	return scrub_in(scrub_private, SCRUB_NPRIVATE, fam, a) ||
	    scrub_in(nets, n, fam, a);
}

int
scrub_nets_parse(const char *list, struct scrub_net *nets, size_t max,
    size_t *n)
{
	char tok[128], *slash, *end;
	const char *p = list ? list : "";
	size_t len;
	long pre, v;

	*n = 0;
	while (*p != '\0') {
		p += strspn(p, ", \t");
		if ((len = strcspn(p, ", \t")) == 0)
			break;
		if (len >= sizeof(tok) || *n == max)
			return -1;
		memcpy(tok, p, len);
		tok[len] = '\0';
		p += len;
		if ((slash = strchr(tok, '/')) != NULL)
			*slash = '\0';
		memset(nets[*n].addr, 0, sizeof(nets[*n].addr));
		nets[*n].family = strchr(tok, ':') ? AF_INET6 : AF_INET;
		if (inet_pton(nets[*n].family, tok, nets[*n].addr) != 1)
			return -1;
		pre = nets[*n].family == AF_INET ? 32 : 128;
		if (slash != NULL) {
			v = strtol(slash + 1, &end, 10);
			if (slash[1] == '\0' || *end != '\0' || v < 0 || v > pre)
				return -1;
			pre = v;
		}
		nets[(*n)++].prefix = (int)pre;
	}
	return 0;
}

static int
scrub_is_delim(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || strchr("()[]<>;,=\"", c) != NULL;
}

/* One token of a Received value: 1 if it is a routable address. */
static int
scrub_token_public(const char *t, size_t len, const struct scrub_net *nets,
    size_t nnets)
{
	unsigned char a[16];
	char ip[64];
	int fam;

	if (len > 5 && strncasecmp(t, "IPv6:", 5) == 0) {
		t += 5;
		len -= 5;
	}
	if (len == 0 || len >= sizeof(ip) ||
	    (memchr(t, '.', len) == NULL && memchr(t, ':', len) == NULL))
		return 0;
	memcpy(ip, t, len);
	ip[len] = '\0';
	if (scrub_ip(ip, &fam, a) != 0)
		return 0; /* a host name, an id: not an address */
	return !scrub_in(scrub_private, SCRUB_NPRIVATE, fam, a) &&
	    !scrub_in(nets, nnets, fam, a);
}

enum scrub_hop
scrub_received_hop(const char *v, size_t len, const char *myhostname,
    const struct scrub_net *nets, size_t nnets)
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
		if (scrub_token_public(v + start, tl, nets, nnets))
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
scrub_msgid_build(const unsigned char *rnd, size_t rndlen,
    const char *domain, char *out, size_t outlen)
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
scrub_from_domain(const struct scrub_hdr *h, size_t n,
    struct scrub_result *res)
{
	struct addr_limits lim = {0, 0, 0, 0};
	size_t k, eoff;

	/* A From that does not parse gives no domain: the Message-ID is
	 * then left alone, which is the safe side. */
	for (k = 0; k < n; k++)
		if (strcasecmp(h[k].name, "From") == 0) {
			if (addr_parse_header((const unsigned char *)h[k].value,
			    strlen(h[k].value), &lim, scrub_first_domain, res,
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
scrub_select(const struct scrub_hdr *h, size_t n,
    const struct scrub_policy *p, enum scrub_act *act,
    struct scrub_result *res)
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
			if (walking && scrub_received_hop(h[k].value,
			    strlen(h[k].value), p->myhostname, p->nets,
			    p->nnets) == SCRUB_HOP_CLIENT)
				act[k] = SCRUB_DELETE;
			else
				walking = 0;
		} else if (strcasecmp(h[k].name, "Message-ID") == 0 &&
		    (act[k] = scrub_msgid_act(&h[k], p, res)) == SCRUB_MSGID) {
			res->msgid = (int)k;
		}
		if (act[k] == SCRUB_DELETE)
			res->ndelete++;
	}
}
