/* lib/cidr.c - addresses, CIDR blocks and lists; see cidr.h. Moved here
 * from lib/access.c (which had it from lookup/) so that one parser serves
 * the blacklist rows and every internal_hosts list alike. */
#include "cidr.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

static const unsigned char cidr_v4mapped[12] = {0, 0, 0, 0, 0,	  0,
						0, 0, 0, 0, 0xff, 0xff};

const char *
cidr_strerror(enum cidr_status st)
{
	switch (st) {
	case CIDR_OK:
		return "ok";
	case CIDR_EADDR:
		return "is not an IPv4 or IPv6 address";
	case CIDR_EPREFIX_EMPTY:
		return "has an empty prefix length after '/'";
	case CIDR_EPREFIX_SYNTAX:
		return "has a prefix length that is not a plain decimal number";
	case CIDR_EPREFIX_RANGE:
		return "has a prefix length over 32 (IPv4) or 128 (IPv6)";
	case CIDR_ELIMIT:
		return "is one block too many (at most 64)";
	}
	return "is not a CIDR block";
}

int
cidr_ip_parse(const char *s, size_t len, struct cidr_ip *out)
{
	char tmp[64];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len >= 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		s += 5;
		len -= 5;
	}
	if (len == 0 || len >= sizeof(tmp) || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (memchr(tmp, ':', len) == NULL) {
		/* inet_pton takes only dotted quads, never "1.2.3" or 0x. */
		return inet_pton(AF_INET, tmp, out->b) == 1 ? 0 : -1;
	}
	if (inet_pton(AF_INET6, tmp, out->b) != 1)
		return -1;
	if (memcmp(out->b, cidr_v4mapped, 12) == 0) {
		memmove(out->b, out->b + 12, 4);
		memset(out->b + 4, 0, 12);
		return 0;
	}
	out->v6 = 1;
	return 0;
}

/* The prefix length p[0..len) (after the '/'), at most max. */
static enum cidr_status
cidr_prefix(const char *p, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t k;

	if (len == 0)
		return CIDR_EPREFIX_EMPTY;
	for (k = 0; k < len; k++)
		if (p[k] < '0' || p[k] > '9')
			return CIDR_EPREFIX_SYNTAX;
	if (len > 1 && p[0] == '0')
		return CIDR_EPREFIX_SYNTAX;
	if (len > 3)
		return CIDR_EPREFIX_RANGE;
	for (k = 0; k < len; k++)
		v = v * 10 + (unsigned)(p[k] - '0');
	if (v > max)
		return CIDR_EPREFIX_RANGE;
	*out = v;
	return CIDR_OK;
}

enum cidr_status
cidr_parse(const char *s, size_t len, struct cidr *out)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	enum cidr_status st;
	unsigned prefix, i;
	int mapped;

	if (cidr_ip_parse(s, alen, &out->net) < 0)
		return CIDR_EADDR;
	mapped = !out->net.v6 && memchr(s, ':', alen) != NULL;
	if (slash == NULL) {
		out->prefix = out->net.v6 ? 128 : 32;
		return CIDR_OK;
	}
	st = cidr_prefix(slash + 1, len - alen - 1,
			 out->net.v6 || mapped ? 128 : 32, &prefix);
	if (st != CIDR_OK)
		return st;
	/* A v4-mapped net "::ffff:10.0.0.0/104" became IPv4: rebase. */
	if (mapped) {
		if (prefix < 96)
			return CIDR_EPREFIX_RANGE;
		prefix -= 96;
	}
	out->prefix = prefix;
	for (i = prefix; i < (out->net.v6 ? 128u : 32u); i++)
		out->net.b[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
	return CIDR_OK;
}

static int
cidr_is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

enum cidr_status
cidr_list_parse(const char *s, size_t len, struct cidr_list *out,
		size_t *err_off, size_t *err_len)
{
	out->n = 0;
	return cidr_list_add(s, len, out, err_off, err_len);
}

enum cidr_status
cidr_list_add(const char *s, size_t len, struct cidr_list *out, size_t *err_off,
	      size_t *err_len)
{
	enum cidr_status st;
	size_t i = 0, start;

	for (;;) {
		while (i < len && cidr_is_sep(s[i]))
			i++;
		if (i == len)
			return CIDR_OK;
		start = i;
		while (i < len && !cidr_is_sep(s[i]))
			i++;
		*err_off = start;
		*err_len = i - start;
		if (out->n == CIDR_LIST_MAX)
			return CIDR_ELIMIT;
		st = cidr_parse(s + start, i - start, &out->nets[out->n]);
		if (st != CIDR_OK)
			return st;
		out->n++;
	}
}

int
cidr_match(const struct cidr *c, const struct cidr_ip *ip)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;
	unsigned char mask;

	if (c->net.v6 != ip->v6)
		return 0;
	if (memcmp(c->net.b, ip->b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff00u >> rest);
	return (c->net.b[full] & mask) == (ip->b[full] & mask);
}

int
cidr_list_match_ip(const struct cidr_list *l, const struct cidr_ip *ip)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (cidr_match(&l->nets[i], ip))
			return 1;
	return 0;
}

int
cidr_list_match(const struct cidr_list *l, const char *ip)
{
	struct cidr_ip a;

	if (ip == NULL || cidr_ip_parse(ip, strlen(ip), &a) < 0)
		return 0;
	return cidr_list_match_ip(l, &a);
}

int
cidr_ip_is_loopback(const struct cidr_ip *ip)
{
	static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0,
					      0, 0, 0, 0, 0, 0, 0, 1};

	if (!ip->v6)
		return ip->b[0] == 127;
	return memcmp(ip->b, one, 16) == 0;
}
