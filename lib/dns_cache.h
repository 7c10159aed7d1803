/* lib/dns_cache.h - the TTL cache behind lib/dns.c.
 *
 * A bounded hash table keyed by (name, type) with per-entry expiry and
 * LRU eviction, behind one mutex. The clock is injectable so expiry and
 * eviction are tested without a network or sleeping. Used by lib/dns.c
 * only; other modules call dns_query(). */
#ifndef FACTEUR_LIB_DNS_CACHE_H
#define FACTEUR_LIB_DNS_CACHE_H

#include <stddef.h>

#include "dns_answer.h"

struct dns_cache;

/* now() returns milliseconds on any monotonic scale; NULL = the
 * monotonic clock. max 0 = 10000 entries. */
__attribute__((warn_unused_result)) int dns_cache_new(size_t max,
						      long long (*now)(void *),
						      void *now_arg,
						      struct dns_cache **out);
void dns_cache_free(struct dns_cache **c);

/* 1 and a deep copy in *out (ttl = seconds left) on a live hit, 0 on a
 * miss or an expired entry (which is dropped). name must be normalised
 * (lowercase, no trailing dot). Thread-safe. */
int dns_cache_get(struct dns_cache *c, const char *name, enum dns_type type,
		  struct dns_answer *out);
/* Stores a copy of ans for ttl seconds (0 = not stored), replacing an
 * entry of the same key; evicts the least recently used entry when
 * full. 0, or -1 when out of memory. Thread-safe. */
__attribute__((warn_unused_result)) int
dns_cache_put(struct dns_cache *c, const char *name, enum dns_type type,
	      const struct dns_answer *ans, unsigned ttl);
size_t dns_cache_count(struct dns_cache *c);

#endif
