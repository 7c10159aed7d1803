/* tests/fuzz/fuzz_cidr.c - cidr_list_parse over arbitrary bytes (every
 * internal_hosts setting, the blacklist's IP/CIDR rows). Checks: an error
 * points at a non-empty block inside the input; a parsed list has at most
 * CIDR_LIST_MAX blocks, each with a prefix in range, no host bit set and
 * matching its own network address; printed back (inet_ntop "/prefix")
 * every block parses to itself; and the input as one address, if it is
 * one, prints and parses back to itself too. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"

static void
fz_block(const struct cidr *c)
{
	unsigned max = c->net.v6 ? 128 : 32, i;
	char text[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];
	struct cidr back;

	if (c->prefix > max || !cidr_match(c, &c->net))
		__builtin_trap();
	for (i = c->prefix; i < max; i++)
		if (c->net.b[i / 8] & (0x80u >> (i % 8)))
			__builtin_trap();
	if (inet_ntop(c->net.v6 ? AF_INET6 : AF_INET, c->net.b, a, sizeof(a)) ==
	    NULL)
		__builtin_trap();
	snprintf(text, sizeof(text), "%s/%u", a, c->prefix);
	if (cidr_parse(text, strlen(text), &back) != CIDR_OK ||
	    memcmp(&back, c, sizeof(back)) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char a[INET6_ADDRSTRLEN];
	struct cidr_list l;
	struct cidr_ip ip, back;
	size_t off = 0, len = 0, i;

	if (cidr_list_parse(s, size, &l, &off, &len) != CIDR_OK) {
		if (len == 0 || off > size || len > size - off)
			__builtin_trap();
	} else {
		if (l.n > CIDR_LIST_MAX)
			__builtin_trap();
		for (i = 0; i < l.n; i++)
			fz_block(&l.nets[i]);
	}
	if (cidr_ip_parse(s, size, &ip) == 0) {
		if (inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.b, a, sizeof(a)) ==
			NULL ||
		    cidr_ip_parse(a, strlen(a), &back) != 0 ||
		    memcmp(&back, &ip, sizeof(ip)) != 0 ||
		    !cidr_list_match_ip(
			&(struct cidr_list){1, {{ip, ip.v6 ? 128u : 32u}}},
			&ip))
			__builtin_trap();
	}
	return 0;
}
