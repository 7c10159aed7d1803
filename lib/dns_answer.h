/* lib/dns_answer.h - a DNS answer as lib/dns hands it out and
 * lib/dns_cache keeps it: the status, the record strings, the TTL. The
 * lowest layer of lib/dns: it knows neither the resolver (dns.c) nor the
 * cache (dns_cache.c); both include it, and dns.c includes the cache (a
 * one-way split). Programs include dns.h, which includes this. */
#ifndef FACTEUR_LIB_DNS_ANSWER_H
#define FACTEUR_LIB_DNS_ANSWER_H

#include <stddef.h>

enum dns_status {
	DNS_OK,	      /* at least one record of the type */
	DNS_NXDOMAIN, /* name does not exist */
	DNS_NODATA,   /* name exists, no record of that type */
	DNS_TEMPFAIL, /* timeout, SERVFAIL, network error: try later */
	DNS_PERMFAIL, /* malformed name or answer, REFUSED */
};

enum dns_type {
	DNS_T_A = 1,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_MX = 15,
	DNS_T_PTR = 12
};

/* An answer: rr strings in the order received. For TXT, each record's
 * character-strings are concatenated (RFC 6376 §3.6.2.2 and RFC 7208
 * §3.3 both want that). For A/AAAA, the presentation form ("127.0.0.2").
 * For MX, "PREF HOST". For PTR, the host (no trailing dot). */
struct dns_answer {
	enum dns_status status;
	char **rrs;   /* owned; dns_answer_clear() frees */
	size_t *lens; /* byte lengths (TXT may hold NUL bytes) */
	size_t nrrs;
	unsigned ttl;	 /* smallest TTL of the set */
	char error[160]; /* for TEMPFAIL/PERMFAIL: what happened */
};

/* Frees ans's records; status and error stay. Safe on a cleared one. */
void dns_answer_clear(struct dns_answer *ans);

#endif
