/* lookup/lk_cidr.h - IPv4 / IPv6 addresses and CIDR blocks, for client
 * address rows of sender_blacklist (kind 'ip'). IPv4-mapped IPv6
 * addresses (::ffff:192.0.2.1) are treated as the IPv4 address, so a
 * dual-stack smtpd matches IPv4 rows.
 *
 * Pure: no I/O, no logging, no statics; thread-safe. */
#ifndef FACTEUR_LOOKUP_LK_CIDR_H
#define FACTEUR_LOOKUP_LK_CIDR_H

#include <stddef.h>

struct lk_ip {
	int v6; /* 0: IPv4 in b[0..4), 1: IPv6 in b[0..16) */
	unsigned char b[16];
};

/* s[0..len): "192.0.2.1", "2001:db8::1", with optional "[...]" or an
 * "IPv6:" prefix (as in address literals). 0, or -1 if not an address. */
__attribute__((warn_unused_result)) int lk_ip_parse(const char *s, size_t len,
						    struct lk_ip *out);

struct lk_cidr {
	struct lk_ip net; /* host bits cleared */
	unsigned prefix;  /* 0..32 or 0..128 */
};

/* "192.0.2.0/24", "2001:db8::/32", or a plain address (full prefix). Host
 * bits set in the address are cleared, as a mask would. 0 or -1. */
__attribute__((warn_unused_result)) int lk_cidr_parse(const char *s, size_t len,
						      struct lk_cidr *out);

/* 1 if ip is inside c (same family), else 0. */
int lk_cidr_match(const struct lk_cidr *c, const struct lk_ip *ip);

/* 1 if ip is a loopback address (127.0.0.0/8, ::1). */
int lk_ip_is_loopback(const struct lk_ip *ip);

#endif
