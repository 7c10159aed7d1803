/* milters/dkim/dkim.h - the facteur-dkim filter module: settings, the
 * startup check/init, and the filter callbacks (module.c). The engines
 * (dk_sign, dk_verify, dk_ar) know nothing of libmilter. */
#ifndef FACTEUR_MILTERS_DKIM_H
#define FACTEUR_MILTERS_DKIM_H

#include <stddef.h>

#include "cfg.h"
#include "daemon.h"
#include "dk_sign.h"
#include "filter.h"

struct dns_resolver;
struct spf;
struct dmarc_psl;

struct dkim_settings {
	struct mlt_settings common;
	char *authserv_id;		 /* default: this host's name */
	struct cidr_list internal_hosts; /* clients whose mail is signed */
	struct cfg_list sign_daemons;	 /* {daemon_name} values that sign */
	int canonicalization;		 /* index into DKIM_CANON_CHOICES */
	long long expire;		 /* ms; 0: no x= */
	int body_length;		 /* l= */
	long long max_signatures;
	char *resolver;		/* "127.0.0.1@5353"; NULL: resolv.conf */
	long long dns_timeout;	/* ms */
	int spf;		/* evaluate SPF */
	int dmarc;		/* evaluate DMARC */
	int dmarc_reject;	/* 550 5.7.1 on p=reject failures */
	int require_valid_from; /* 550 5.7.1 unless exactly one From with
				   exactly one valid mailbox (inbound) */
	char *psl;		/* public suffix list path; NULL: Debian's */
	/* Filled by dkim_check / dkim_init; read-only while serving. */
	struct cfg_database db;
	struct dk_keyring kr;
	struct dns_resolver *dns;
	struct spf *spfs;
	struct dmarc_psl *pslp;
};

extern const struct cfg_key dkim_keys[];
extern const size_t dkim_nkeys;
extern const struct mlt_filter dkim_filter;

__attribute__((warn_unused_result)) int dkim_check(void *base, char *err,
						   size_t errlen);
/* Opens the database, loads the active keys, starts DNS/SPF/DMARC. */
__attribute__((warn_unused_result)) int dkim_init(void *base, char *err,
						  size_t errlen);
void dkim_fini(void *base);

#endif
