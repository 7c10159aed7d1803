/* milters/blacklist/blpolicy.h - the sender policy of facteur-blacklist, shared
 * with `facteur blacklist test` so the shell shows exactly what the milter
 * does: the [blacklist] settings, and the MAIL FROM / RCPT TO decisions
 * over lib/access (tables), lib/dnsbl and lib/spf.
 *
 * MAIL FROM, in order (the first that decides wins):
 *   1. sender in sender_blacklist, then the client address (exact, CIDR);
 *      an OK row (allow entry) skips every other check;
 *   2. the client address in each dnsbl_zones zone (listed: 554 5.7.1);
 *   3. SPF, when spf_reject = fail: an SPF "fail" is 550 5.7.23 (RFC
 *      7372) with the domain's explanation; softfail, neutral, none and
 *      temperror never reject.
 * Authenticated and internal_hosts clients are the caller's business
 * (blp_internal): they skip everything.
 *
 * Nothing here logs: the outcome says what matched, and what went wrong
 * on the way (refused DNSBL queries, DNS errors) for the caller to log.
 * After blp_init the settings are read-only and shared by threads; the
 * store is the caller's (one per thread). */
#ifndef FACTEUR_MILTERS_BLPOLICY_H
#define FACTEUR_MILTERS_BLPOLICY_H

#include <stddef.h>

#include "access.h"
#include "cfg.h"
#include "dnsbl.h"

struct dns_resolver;
struct spf;

enum blp_spf_reject { BLP_SPF_NONE, BLP_SPF_FAIL };

struct blp_settings {
	struct cidr_list internal_hosts; /* these clients skip checks */
	char *recipient_delimiter; /* for the access(5) walk, default "+" */
	char *dnsbl_zones;	   /* "" = no DNSBL */
	long long dnsbl_timeout;   /* ms, per DNS query */
	char *resolver;		   /* DNS server IP[@PORT]; NULL resolv.conf */
	int spf_reject;		   /* enum blp_spf_reject */
	char *myorigin; /* @domain for a domainless envelope address; ""
			   = the MTA's j macro (Postfix's myhostname) */
	/* Filled by blp_check. */
	struct dnsbl_zone zones[DNSBL_MAX_ZONES];
	size_t nzones;
	/* Filled by blp_init (owned; blp_fini frees). */
	struct dns_resolver *dns;
	struct spf *spf;
};

/* The [blacklist] keys, offsets into struct blp_settings. */
extern const struct cfg_key blp_keys[];
extern const size_t blp_nkeys;

/* Parses dnsbl_zones (cfg parsed internal_hosts). 0, or -1 with err. */
__attribute__((warn_unused_result)) int blp_check(struct blp_settings *s,
						  char *err, size_t errlen);
/* Creates the resolver and SPF context if DNSBL or SPF is on; with_dns
 * 0 leaves them off (the shell without --dns). 0 or -1 with err. */
__attribute__((warn_unused_result)) int blp_init(struct blp_settings *s,
						 int with_dns,
						 const char *hostname,
						 char *err, size_t errlen);
void blp_fini(struct blp_settings *s);

/* 1 if ip is in internal_hosts. */
int blp_internal(const struct blp_settings *s, const char *ip);

enum blp_verdict {
	BLP_PASS,    /* nothing matched */
	BLP_ALLOW,   /* an allow entry: skip every other check */
	BLP_REJECT,  /* reply in code/xcode/text */
	BLP_DISCARD, /* recipient row */
	BLP_HOLD,    /* recipient row: put the message on hold */
};

struct blp_outcome {
	enum blp_verdict verdict;
	char code[4], xcode[16];
	char text[512];	 /* printable ASCII, not %-escaped */
	char match[600]; /* what decided: sender_blacklist "@x" (REJECT) */
	char notes[600]; /* refused DNSBL queries, DNS errors, skips */
	int refused;	 /* a DNSBL refused the query (127.255.255.x) */
	int dns_error;	 /* a DNSBL or SPF lookup failed (temperror) */
};

/* MAIL FROM: sender without <> ("" = null sender), client ip, helo (may
 * be NULL). DNSBL and SPF run only if blp_init set them up. 0 with *o
 * filled, or -1 on a database error (err). */
__attribute__((warn_unused_result)) int
blp_mail(const struct blp_settings *s, struct store *st, const char *sender,
	 const char *ip, const char *helo, struct blp_outcome *o,
	 struct store_errbuf *err);

/* RCPT TO: rcpt in recipient_blacklist. 0 or -1 (err). */
__attribute__((warn_unused_result)) int
blp_rcpt(const struct blp_settings *s, struct store *st, const char *rcpt,
	 struct blp_outcome *o, struct store_errbuf *err);

const char *blp_verdict_name(enum blp_verdict v);

#endif
