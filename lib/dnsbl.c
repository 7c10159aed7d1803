/* lib/dnsbl.c - DNS blocklists; see dnsbl.h. */
#include "dnsbl.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "dns.h"

static int
dnsbl_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A zone name: letters, digits, '-', '_', dots between labels. */
static int
dnsbl_name_ok(const char *p, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > DNSBL_ZONE_MAX || p[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		char c = p[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

/* One filter code p[0..len) into out; 0 or -1. */
static int
dnsbl_code(const char *p, size_t len, unsigned char out[4])
{
	char tmp[16];

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, out) != 1)
		return -1;
	if (out[0] != 127 || (out[1] == 0 && out[2] == 0 && out[3] == 1))
		return -1;
	return 0;
}

/* "zone[=c,c]" at p[0..len) into z; on error *bad is the offset. */
static enum dnsbl_status
dnsbl_one(const char *p, size_t len, struct dnsbl_zone *z, size_t *bad)
{
	const char *eq = memchr(p, '=', len);
	size_t nl = eq ? (size_t)(eq - p) : len, i, start;

	memset(z, 0, sizeof(*z));
	while (nl > 0 && p[nl - 1] == '.')
		nl--; /* an absolute name is the same zone */
	if (!dnsbl_name_ok(p, nl)) {
		*bad = 0;
		return DNSBL_ESYNTAX;
	}
	for (i = 0; i < nl; i++)
		z->name[i] =
		    p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] + 32) : p[i];
	if (eq == NULL)
		return DNSBL_OK;
	for (start = nl + 1, i = start; i <= len; i++) {
		if (i < len && p[i] != ',')
			continue;
		if (z->ncodes == DNSBL_MAX_CODES) {
			*bad = start;
			return DNSBL_ELIMIT;
		}
		if (dnsbl_code(p + start, i - start, z->codes[z->ncodes]) < 0) {
			*bad = start;
			return DNSBL_ESYNTAX;
		}
		z->ncodes++;
		start = i + 1;
	}
	return DNSBL_OK;
}

enum dnsbl_status
dnsbl_zones_parse(const char *p, size_t len, const struct dnsbl_limits *lim,
		  struct dnsbl_zone *z, size_t *n, size_t *err_off)
{
	size_t max = lim && lim->max_zones ? lim->max_zones : DNSBL_MAX_ZONES;
	size_t i = 0, tok, bad = 0;
	enum dnsbl_status st;

	if (max > DNSBL_MAX_ZONES)
		max = DNSBL_MAX_ZONES;
	*n = 0;
	*err_off = 0;
	for (;;) {
		while (i < len && dnsbl_space(p[i]))
			i++;
		if (i == len)
			return DNSBL_OK;
		for (tok = i; i < len && !dnsbl_space(p[i]); i++)
			if (p[i] == '\0') {
				*err_off = i;
				return DNSBL_ESYNTAX;
			}
		if (*n == max) {
			*err_off = tok;
			return DNSBL_ELIMIT;
		}
		if ((st = dnsbl_one(p + tok, i - tok, &z[*n], &bad)) !=
		    DNSBL_OK) {
			*err_off = tok + bad;
			return st;
		}
		(*n)++;
	}
}

enum dnsbl_class
dnsbl_classify(const struct dnsbl_zone *z, const char *a)
{
	unsigned char b[4];
	size_t i;

	if (a == NULL || inet_pton(AF_INET, a, b) != 1 || b[0] != 127)
		return DNSBL_BOGUS;
	if (b[1] == 0 && b[2] == 0 && b[3] == 1)
		return DNSBL_BOGUS; /* RFC 5782 2.1: never a listing */
	if (b[1] == 255 && b[2] == 255)
		return DNSBL_REFUSED;
	if (z->ncodes == 0)
		return DNSBL_LISTED;
	for (i = 0; i < z->ncodes; i++)
		if (memcmp(z->codes[i], b, 4) == 0)
			return DNSBL_LISTED;
	return DNSBL_FILTERED;
}

const char *
dnsbl_class_name(enum dnsbl_class c)
{
	switch (c) {
	case DNSBL_LISTED:
		return "listed";
	case DNSBL_FILTERED:
		return "filtered";
	case DNSBL_REFUSED:
		return "refused";
	case DNSBL_BOGUS:
		return "bogus";
	}
	return "bogus";
}

/* The answers of one zone into res; 1 if listed. */
static int
dnsbl_answers(const struct dnsbl_zone *z, const struct dns_answer *ans,
	      struct dnsbl_result *res)
{
	size_t k;
	int refused = 0;

	for (k = 0; k < ans->nrrs; k++) {
		enum dnsbl_class c = dnsbl_classify(z, ans->rrs[k]);
		if (c == DNSBL_LISTED) {
			res->listed = 1;
			res->zone = z;
			snprintf(res->code, sizeof(res->code), "%s",
				 ans->rrs[k]);
			return 1;
		}
		if (c == DNSBL_REFUSED && !refused) {
			refused = 1;
			if (res->refused++ == 0) {
				res->refused_zone = z;
				snprintf(res->refused_code,
					 sizeof(res->refused_code), "%s",
					 ans->rrs[k]);
			}
		}
	}
	return 0;
}

int
dnsbl_check(struct dns_resolver *r, const struct dnsbl_zone *z, size_t n,
	    const char *ip, struct dnsbl_result *res)
{
	char name[DNSBL_ZONE_MAX + 80], addr[INET6_ADDRSTRLEN];
	struct cidr_ip a;
	struct dns_answer ans;
	size_t i;

	memset(res, 0, sizeof(*res));
	/* "::ffff:192.0.2.1" is the IPv4 client: reverse it as such */
	if (ip == NULL || cidr_ip_parse(ip, strlen(ip), &a) < 0 ||
	    inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.b, addr, sizeof(addr)) ==
		NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (dns_reverse_name(addr, z[i].name, name, sizeof(name)) < 0)
			return -1;
		dns_query(r, name, DNS_T_A, &ans);
		if (ans.status == DNS_OK && dnsbl_answers(&z[i], &ans, res)) {
			dns_answer_clear(&ans);
			return 0;
		}
		if ((ans.status == DNS_TEMPFAIL ||
		     ans.status == DNS_PERMFAIL) &&
		    res->errors++ == 0) {
			res->error_zone = &z[i];
			snprintf(res->error, sizeof(res->error), "%s: %.120s",
				 dns_strstatus(ans.status), ans.error);
		}
		dns_answer_clear(&ans);
	}
	return 0;
}
