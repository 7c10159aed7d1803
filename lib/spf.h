/* lib/spf.h - SPF (RFC 7208) through libspf2, over lib/dns.h.
 *
 * libspf2 does the evaluation; its DNS layer is lib/dns (a custom
 * SPF_dns_server_t), so SPF shares the resolver, the configured server
 * address and the TTL cache with DKIM, DMARC and DNSBL lookups.
 * One struct spf per process; thread-safe (a libspf2 server per thread or
 * locked, as the implementation finds safe). Never logs. */
#ifndef FACTEUR_LIB_SPF_H
#define FACTEUR_LIB_SPF_H

#include <stddef.h>

struct dns_resolver;
struct spf;

enum spf_result {
	SPF_R_NONE,
	SPF_R_NEUTRAL,
	SPF_R_PASS,
	SPF_R_FAIL,
	SPF_R_SOFTFAIL,
	SPF_R_TEMPERROR,
	SPF_R_PERMERROR,
};

struct spf_outcome {
	enum spf_result result;
	char domain[256];      /* the domain checked (mailfrom's or helo's) */
	char explanation[256]; /* for fail: the exp= text or a default */
	char detail[256];      /* what libspf2 said, for logs/A-R comments */
};

/* receiving_host: our hostname (for %{r}). dns borrowed for life. */
__attribute__((warn_unused_result)) int spf_new(struct dns_resolver *dns,
						const char *receiving_host,
						struct spf **out, char *err,
						size_t errlen);
void spf_free(struct spf **s);

/* Checks client ip with helo and envelope sender (may be "" for <>: then
 * the HELO identity is checked, RFC 7208 §2.4). Thread-safe. */
enum spf_result spf_check(struct spf *s, const char *ip, const char *helo,
			  const char *mailfrom, struct spf_outcome *out);
/* HELO identity alone (RFC 7208 §2.3). */
enum spf_result spf_check_helo(struct spf *s, const char *ip, const char *helo,
			       struct spf_outcome *out);

/* "pass", "fail", ... as RFC 8601 spells them. */
const char *spf_result_str(enum spf_result r);

#endif
