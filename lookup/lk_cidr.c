/* lookup/lk_cidr.c - address and CIDR matching; see lk_cidr.h. */
#include "lk_cidr.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

static const unsigned char lk_v4mapped[12] = {0, 0, 0, 0, 0,	0,
					      0, 0, 0, 0, 0xff, 0xff};

int
lk_ip_parse(const char *s, size_t len, struct lk_ip *out)
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
	if (memcmp(out->b, lk_v4mapped, 12) == 0) {
		memmove(out->b, out->b + 12, 4);
		memset(out->b + 4, 0, 12);
		return 0;
	}
	out->v6 = 1;
	return 0;
}

int
lk_cidr_parse(const char *s, size_t len, struct lk_cidr *out)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned max, prefix = 0, i;
	int mapped;
	size_t k;

	if (lk_ip_parse(s, alen, &out->net) < 0)
		return -1;
	mapped = !out->net.v6 && memchr(s, ':', alen) != NULL;
	max = out->net.v6 || mapped ? 128 : 32;
	if (slash == NULL) {
		out->prefix = out->net.v6 ? 128 : 32;
		return 0;
	}
	if (alen + 1 == len || len - alen - 1 > 3)
		return -1;
	for (k = alen + 1; k < len; k++) {
		if (s[k] < '0' || s[k] > '9')
			return -1;
		prefix = prefix * 10 + (unsigned)(s[k] - '0');
	}
	if (prefix > max || (len - alen - 1 > 1 && s[alen + 1] == '0'))
		return -1;
	/* A v4-mapped net "::ffff:10.0.0.0/104" became IPv4: rebase. */
	if (mapped) {
		if (prefix < 96)
			return -1;
		prefix -= 96;
	}
	out->prefix = prefix;
	for (i = prefix; i < (out->net.v6 ? 128u : 32u); i++)
		out->net.b[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
	return 0;
}

int
lk_cidr_match(const struct lk_cidr *c, const struct lk_ip *ip)
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
lk_ip_is_loopback(const struct lk_ip *ip)
{
	static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0,
					      0, 0, 0, 0, 0, 0, 0, 1};

	if (!ip->v6)
		return ip->b[0] == 127;
	return memcmp(ip->b, one, 16) == 0;
}
