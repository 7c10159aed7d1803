/* lib/dkim/dk_dns.h - key records through lib/dns (the shared
 * resolver and TTL cache), as a dk_fetch_fn; and key overrides from files
 * for the shell command ('facteur dkim verify --key-file'). */
#ifndef FACTEUR_DKIM_DK_DNS_H
#define FACTEUR_DKIM_DK_DNS_H

#include <stddef.h>

#include "dk_verify.h"

struct buf;
struct dns_resolver;

/* ctx: a struct dns_resolver *. Queries SELECTOR._domainkey.DOMAIN TXT;
 * several TXT records for one name are a permanent error (§3.6.2.2). */
enum dk_fetch dk_dns_fetch(void *ctx, const char *selector, const char *domain,
			   struct buf *txt);

/* A fixed key for "SELECTOR._domainkey.DOMAIN". */
struct dk_key_override {
	const char *name; /* "sel._domainkey.example.com" */
	const char *txt;  /* the record */
};

struct dk_fetch_chain {
	const struct dk_key_override *ov; /* checked first */
	size_t nov;
	struct dns_resolver *dns; /* then DNS; NULL: none */
};

/* ctx: a struct dk_fetch_chain *. */
enum dk_fetch dk_chain_fetch(void *ctx, const char *selector,
			     const char *domain, struct buf *txt);

#endif
