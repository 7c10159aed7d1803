/* lib/spam/net.c - the pure half of the network tests: eval and
 * urirhssub parsing, subtests, URI domains, the Received client address;
 * see net.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc.h"
#include "spf.h"

void
sp_net_rule_free(struct sp_net_rule **rp)
{
	struct sp_net_rule *r = *rp;

	if (r == NULL)
		return;
	pcre2_code_free(r->re);
	free(r);
	*rp = NULL;
}

int
sp_net_args(const char *s, char (*args)[256], size_t max, size_t *n)
{
	const char *p = strchr(s, '(');

	*n = 0;
	if (p == NULL)
		return -1;
	for (p++;;) {
		char q;
		size_t k = 0;

		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (*p == ')')
			break;
		if (*p != '\'' && *p != '"')
			return -1;
		if (*n >= max)
			return -1;
		q = *p++;
		while (*p != q) {
			if (*p == '\0' || k + 1 >= sizeof(args[0]))
				return -1;
			args[*n][k++] = *p++;
		}
		args[*n][k] = '\0';
		(*n)++;
		p++;
	}
	for (p++; isspace((unsigned char)*p); p++)
		;
	return *p == '\0' ? 0 : -1;
}

static int
net_zone(char *dst, size_t len, const char *z)
{
	size_t n = strlen(z), i;

	while (n > 0 && z[n - 1] == '.')
		n--;
	if (n == 0 || n >= len)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)z[i];

		if (!isalnum(c) && c != '-' && c != '.' && c != '_')
			return -1;
		dst[i] = (char)tolower(c);
	}
	dst[n] = '\0';
	return 0;
}

static const struct {
	const char *name;
	enum sp_net_kind kind;
	int arg;
} net_evals[] = {
    {"check_for_spf_pass", SP_NET_SPF, SPF_R_PASS},
    {"check_for_spf_fail", SP_NET_SPF, SPF_R_FAIL},
    {"check_for_spf_softfail", SP_NET_SPF, SPF_R_SOFTFAIL},
    {"check_for_spf_neutral", SP_NET_SPF, SPF_R_NEUTRAL},
    {"check_for_spf_none", SP_NET_SPF, SPF_R_NONE},
    {"check_for_spf_permerror", SP_NET_SPF, SPF_R_PERMERROR},
    {"check_for_spf_temperror", SP_NET_SPF, SPF_R_TEMPERROR},
    {"check_dkim_valid", SP_NET_DKIM, SP_DKIM_VALID},
    {"check_dkim_signed", SP_NET_DKIM, SP_DKIM_SIGNED},
    {"check_dkim_valid_author_sig", SP_NET_DKIM, SP_DKIM_AUTHOR},
    {"check_rbl", SP_NET_RBL, 0},
    {"check_rbl_sub", SP_NET_RBL_SUB, 0},
    {"check_uridnsbl", SP_NET_URIBL, 0},
};

static int
net_fill(struct sp_net_rule *r, char (*a)[256], size_t na, const char **why)
{
	switch (r->kind) {
	case SP_NET_SPF:
	case SP_NET_DKIM:
		if (na != 0) {
			*why = "arguments not supported";
			return -1;
		}
		return 0;
	case SP_NET_RBL:
		if (na < 2 || na > 3 ||
		    net_zone(r->zone, sizeof(r->zone), a[1]) < 0) {
			*why = "want check_rbl('set', 'zone.'[, 'subtest'])";
			return -1;
		}
		break;
	case SP_NET_RBL_SUB:
		if (na != 2) {
			*why = "want check_rbl_sub('set', 'subtest')";
			return -1;
		}
		break;
	case SP_NET_URIBL:
		if (na != 1) {
			*why = "want check_uridnsbl('NAME')";
			return -1;
		}
		return 0;
	}
	if (a[0][0] == '\0' || strlen(a[0]) >= sizeof(r->set) ||
	    strlen(a[na - 1]) >= sizeof(r->sub)) {
		*why = "set or subtest too long";
		return -1;
	}
	snprintf(r->set, sizeof(r->set), "%s", a[0]);
	if (r->kind == SP_NET_RBL_SUB || na == 3)
		snprintf(r->sub, sizeof(r->sub), "%s", a[na - 1]);
	return 0;
}

int
sp_net_parse_eval(const char *s, struct sp_net_rule **out, const char **why)
{
	char args[3][256];
	size_t i, n, na;

	*out = NULL;
	if (strncmp(s, "eval:", 5) != 0)
		return 0;
	s += 5;
	for (n = 0; isalnum((unsigned char)s[n]) || s[n] == '_'; n++)
		;
	for (i = 0; i < sizeof(net_evals) / sizeof(net_evals[0]); i++)
		if (strlen(net_evals[i].name) == n &&
		    strncmp(net_evals[i].name, s, n) == 0)
			break;
	if (i == sizeof(net_evals) / sizeof(net_evals[0]))
		return 0;
	if (sp_net_args(s, args, 3, &na) < 0) {
		*why = "malformed arguments";
		return -1;
	}
	if ((*out = calloc(1, sizeof(**out))) == NULL) {
		*why = "out of memory";
		return -1;
	}
	(*out)->kind = net_evals[i].kind;
	(*out)->arg = net_evals[i].arg;
	if (net_fill(*out, args, na, why) < 0) {
		sp_net_rule_free(out);
		return -1;
	}
	return 1;
}

int
sp_net_parse_urirhs(int sub, const char *rest, struct sp_net_rule **out,
		    const char **why)
{
	char zone[256], type[16], st[128], extra[2];
	int k;

	*out = NULL;
	st[0] = '\0';
	k = sscanf(rest, "%255s %15s %127s %1s", zone, type, st, extra);
	if (k < 2 || k > 3 || (sub && k != 3) || strcasecmp(type, "A") != 0) {
		*why = sub ? "want 'urirhssub NAME zone. A subtest'"
			   : "want 'urirhsbl NAME zone. A'";
		return -1;
	}
	if ((*out = calloc(1, sizeof(**out))) == NULL) {
		*why = "out of memory";
		return -1;
	}
	(*out)->kind = SP_NET_URIBL;
	if (net_zone((*out)->zone, sizeof((*out)->zone), zone) < 0) {
		sp_net_rule_free(out);
		*why = "bad zone name";
		return -1;
	}
	snprintf((*out)->sub, sizeof((*out)->sub), "%s", st);
	return 0;
}

static int
net_ip4(const char *s, uint32_t *v)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*v = ntohl(a.s_addr);
	return 0;
}

/* The non-regex subtests: 1 match, 0 no match, -1 not that syntax. */
static int
net_sub_plain(const char *sub, const char *answer)
{
	char lo[64], *sep;
	uint32_t a, x, y;
	char *end;
	unsigned long bits;

	if (*sub == '\0')
		return 1;
	if (strlen(sub) >= sizeof(lo))
		return -1;
	snprintf(lo, sizeof(lo), "%s", sub);
	if (net_ip4(lo, &x) == 0)
		return net_ip4(answer, &a) == 0 && a == x;
	if (isdigit((unsigned char)lo[0]) && strchr(lo, '.') == NULL) {
		bits = strtoul(lo, &end, 0);
		if (*end != '\0')
			return -1;
		return net_ip4(answer, &a) == 0 && (a & bits) != 0;
	}
	if ((sep = strpbrk(lo, "-/")) == NULL)
		return -1;
	*sep = '\0';
	if (net_ip4(lo, &x) < 0 || net_ip4(sep + 1, &y) < 0)
		return -1;
	if (net_ip4(answer, &a) < 0)
		return 0;
	if (sub[sep - lo] == '-')
		return a >= x && a <= y;
	return (a & y) == (x & y);
}

int
sp_net_sub_compile(struct sp_net_rule *r, char *err, size_t errlen)
{
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE off;
	int e;

	if (net_sub_plain(r->sub, "127.0.0.2") >= 0)
		return 0;
	r->re = pcre2_compile((PCRE2_SPTR)r->sub, PCRE2_ZERO_TERMINATED, 0, &e,
			      &off, NULL);
	if (r->re == NULL) {
		pcre2_get_error_message(e, msg, sizeof(msg));
		snprintf(err, errlen, "subtest '%s': %s", r->sub, (char *)msg);
		return -1;
	}
	return 0;
}

int
sp_net_sub_match(const struct sp_net_rule *r, const char *answer)
{
	pcre2_match_data *md;
	int rc;

	if (r->re == NULL)
		return net_sub_plain(r->sub, answer) == 1;
	if ((md = pcre2_match_data_create_from_pattern(r->re, NULL)) == NULL)
		return 0;
	rc = pcre2_match(r->re, (PCRE2_SPTR)answer, strlen(answer), 0, 0, md,
			 NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

static int
net_is_literal(const char *h)
{
	unsigned char b[16];
	char tmp[64];
	size_t n = strlen(h);

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']' && n - 2 < sizeof(tmp)) {
		memcpy(tmp, h + 1, n - 2);
		tmp[n - 2] = '\0';
		h = tmp;
	}
	return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

/* The last two labels of a lowercase name with a dot. */
static void
net_two_labels(const char *h, char *out, size_t len)
{
	const char *p = h + strlen(h), *dot = NULL;
	int dots = 0;

	while (p > h) {
		p--;
		if (*p == '.' && ++dots == 2) {
			dot = p + 1;
			break;
		}
	}
	snprintf(out, len, "%s", dot ? dot : h);
}

size_t
sp_net_uri_domains(const struct dmarc_psl *psl, char *const *hosts, size_t n,
		   size_t max, char (*out)[256])
{
	size_t i, k, got = 0;
	char low[256], dom[256];

	for (i = 0; i < n && got < max; i++) {
		const char *h = hosts[i];
		size_t len;

		if (h == NULL || (len = strlen(h)) == 0 || len >= sizeof(low))
			continue;
		for (k = 0; k < len; k++)
			low[k] = (char)tolower((unsigned char)h[k]);
		while (len > 0 && low[len - 1] == '.')
			len--;
		low[len] = '\0';
		if (strchr(low, '.') == NULL || net_is_literal(low))
			continue;
		if (psl == NULL ||
		    dmarc_org_domain(psl, low, dom, sizeof(dom)) < 0)
			net_two_labels(low, dom, sizeof(dom));
		if (strchr(dom, '.') == NULL)
			continue;
		for (k = 0; k < got; k++)
			if (strcmp(out[k], dom) == 0)
				break;
		if (k == got)
			snprintf(out[got++], sizeof(out[0]), "%s", dom);
	}
	return got;
}

static int
net_public(const char *ip)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, ip, b) == 1)
		return !(b[0] == 127 || b[0] == 10 || b[0] == 0 ||
			 (b[0] == 172 && (b[1] & 0xf0) == 16) ||
			 (b[0] == 192 && b[1] == 168) ||
			 (b[0] == 169 && b[1] == 254) || b[0] >= 224);
	if (inet_pton(AF_INET6, ip, b) == 1) {
		static const unsigned char lo[16] = {[15] = 1};

		return memcmp(b, lo, 16) != 0 && (b[0] & 0xfe) != 0xfc &&
		       !(b[0] == 0xfe && (b[1] & 0xc0) == 0x80) &&
		       b[0] != 0xff &&
		       memcmp(b, (unsigned char[16]){0}, 16) != 0;
	}
	return 0;
}

int
sp_net_received_ip(const char *value, char *out, size_t outlen)
{
	const char *p = value, *e;

	while ((p = strchr(p, '[')) != NULL) {
		char ip[64];
		size_t n;

		p++;
		if ((e = strchr(p, ']')) == NULL)
			return -1;
		n = (size_t)(e - p);
		if (n >= 5 && strncasecmp(p, "IPv6:", 5) == 0) {
			p += 5;
			n -= 5;
		}
		if (n > 0 && n < sizeof(ip)) {
			memcpy(ip, p, n);
			ip[n] = '\0';
			if (net_public(ip) && n < outlen) {
				snprintf(out, outlen, "%s", ip);
				return 0;
			}
		}
		p = e;
	}
	return -1;
}
