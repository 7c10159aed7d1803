/* lib/dns.h - DNS lookups through ldns, with an in-process TTL cache.
 *
 * One struct dns_resolver per process, shared by threads (internally
 * locked cache; each query uses its own ldns_resolver clone or a pool).
 * The server address comes from config (so tests point at a local
 * authoritative server on 127.0.0.1@PORT); NULL = /etc/resolv.conf.
 * Answers are cached for min(TTL, max_ttl); negative answers (NXDOMAIN,
 * NODATA) for min(SOA minimum, neg_ttl). Timeouts and SERVFAIL are never
 * cached. Nothing here logs: errors come back as status + message. */
#ifndef FACTEUR_LIB_DNS_H
#define FACTEUR_LIB_DNS_H

#include <stddef.h>

#include "dns_answer.h"

struct dns_resolver;

struct dns_config {
	const char *server;   /* "127.0.0.1", "127.0.0.1@5353", "[::1]:53",
				 or NULL/"" for resolv.conf */
	long long timeout_ms; /* per query, all retries included; 0 = 5000 */
	int retries;	      /* 0 = 1 */
	long long max_ttl;    /* seconds; 0 = 3600 */
	long long neg_ttl;    /* seconds; 0 = 300 */
	size_t cache_entries; /* 0 = 10000 */
	int use_tcp;	      /* TCP only (tests); default UDP with TC->TCP */
};

__attribute__((warn_unused_result)) int
dns_resolver_new(const struct dns_config *cfg, struct dns_resolver **out,
		 char *err, size_t errlen);
void dns_resolver_free(struct dns_resolver **r);

/* Looks name up (absolute; a trailing dot optional). Thread-safe. Always
 * fills *ans (status set); returns ans->status. */
enum dns_status dns_query(struct dns_resolver *r, const char *name,
			  enum dns_type type, struct dns_answer *ans);

/* Added (issue 13): while on for the calling thread, dns_query() answers
 * from the cache only: a name it does not hold fails at once with
 * DNS_TEMPFAIL, is not counted, and marks the thread. dns_cache_only()
 * clears the mark; dns_cache_missed() is 1 when a query missed since.
 * facteur-spam runs a message's lookups this way first, in the scoring
 * thread, and hands only what the cache lacks to its lookup threads. */
void dns_cache_only(int on);
int dns_cache_missed(void);

/* Reverse names for DNSBLs: "4.3.2.1.zone" and the IPv6 nibble form.
 * Pure. 0, or -1 if ip is not an address or out is too small. */
__attribute__((warn_unused_result)) int
dns_reverse_name(const char *ip, const char *zone, char *out, size_t outlen);

const char *dns_strstatus(enum dns_status st);

/* Cache counters for logs and tests. */
struct dns_stats {
	unsigned long long queries, hits, misses, timeouts;
};
void dns_stats(struct dns_resolver *r, struct dns_stats *st);

/* Added with the implementation: the pure answer parser dns_query() uses,
 * for tests and fuzzing. Parses the DNS message wire[0..len) as the answer
 * to (qname, type): follows the CNAME chain inside the answer section,
 * maps the RCODE (SERVFAIL -> TEMPFAIL; REFUSED, FORMERR, NOTIMP ->
 * PERMFAIL), and for NXDOMAIN/NODATA puts the negative TTL from the SOA in
 * the authority section in *neg_ttl (0 = no SOA: do not cache). Fills
 * *ans like dns_query() and returns ans->status. No I/O. */
enum dns_status dns_parse_answer(const unsigned char *wire, size_t len,
				 const char *qname, enum dns_type type,
				 struct dns_answer *ans, unsigned *neg_ttl);

#endif
