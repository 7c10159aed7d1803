/* lib/dnsbl.h - DNS blocklists (RFC 5782) for a client address.
 *
 * A zone list is "zone[=code,code...] zone2 ..." (whitespace-separated;
 * "zen.spamhaus.org=127.0.0.2,127.0.0.3,127.0.0.4" counts only those
 * answers). The client address is looked up as the reversed IPv4 octets
 * or the IPv6 nibbles under each zone (dns_reverse_name), through lib/dns
 * and its TTL cache.
 *
 * Only A answers in 127.0.0.0/8 other than 127.0.0.1 count as listed.
 * 127.255.255.x are the operators' "query refused" codes (Spamhaus:
 * public resolver, over the free limit): they are reported, never treated
 * as listed; anything else is ignored as bogus.
 *
 * dnsbl_zones_parse and dnsbl_classify are pure (no I/O, no logging, no
 * statics). dnsbl_check does DNS I/O, never logs; thread-safe as
 * dns_query. */
#ifndef FACTEUR_LIB_DNSBL_H
#define FACTEUR_LIB_DNSBL_H

#include <stddef.h>

struct dns_resolver;

#define DNSBL_MAX_ZONES 16 /* default and hard limit of zones */
#define DNSBL_MAX_CODES 16 /* return codes per zone */
#define DNSBL_ZONE_MAX 200 /* zone name bytes (room for 72 nibble bytes) */

struct dnsbl_limits {
	size_t max_zones; /* 0 = DNSBL_MAX_ZONES; never more */
};

struct dnsbl_zone {
	char name[DNSBL_ZONE_MAX + 1];		 /* lowercased, no final dot */
	unsigned char codes[DNSBL_MAX_CODES][4]; /* filter; none = any */
	size_t ncodes;
};

enum dnsbl_status { DNSBL_OK, DNSBL_ESYNTAX, DNSBL_ELIMIT };

/* Parses p[0..len) into z[0..*n). An empty list gives *n = 0 (off). A
 * filter code must be in 127.0.0.0/8, not 127.0.0.1. On error *err_off
 * is the offset of the bad byte. */
__attribute__((warn_unused_result)) enum dnsbl_status
dnsbl_zones_parse(const char *p, size_t len, const struct dnsbl_limits *lim,
		  struct dnsbl_zone *z, size_t *n, size_t *err_off);

enum dnsbl_class {
	DNSBL_LISTED,	/* 127.0.0.0/8, not .1, passes the zone's filter */
	DNSBL_FILTERED, /* a listing code the zone's filter does not want */
	DNSBL_REFUSED,	/* 127.255.255.x: the operator refused the query */
	DNSBL_BOGUS,	/* not an address, outside 127/8, or 127.0.0.1 */
};

/* Classifies one A answer ("127.0.0.2") of zone z. */
enum dnsbl_class dnsbl_classify(const struct dnsbl_zone *z, const char *a);

struct dnsbl_result {
	int listed;		       /* 1: zone/code below name the listing */
	const struct dnsbl_zone *zone; /* the listing zone (borrowed) */
	char code[16];		       /* its answer */
	int refused;		       /* number of zones that refused */
	const struct dnsbl_zone *refused_zone; /* the first one (borrowed) */
	char refused_code[16];
	int errors;			     /* zones that did not answer */
	const struct dnsbl_zone *error_zone; /* the first one (borrowed) */
	char error[160];		     /* what lib/dns said */
};

/* Looks ip up in every zone, in order, until one lists it. Zones that
 * refuse or fail are counted (first one named) and skipped. 0, or -1 if
 * ip is not an address. */
__attribute__((warn_unused_result)) int dnsbl_check(struct dns_resolver *r,
						    const struct dnsbl_zone *z,
						    size_t n, const char *ip,
						    struct dnsbl_result *res);

const char *dnsbl_class_name(enum dnsbl_class c);

#endif
