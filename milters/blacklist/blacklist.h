/* milters/blacklist/blacklist.h - the facteur-blacklist filter module:
 * settings, startup check and init, and the filter callbacks (module.c).
 * The decisions themselves are blpolicy.c (shared with `facteur
 * blacklist test`); this module only translates milter phases. */
#ifndef FACTEUR_MILTERS_BLACKLIST_H
#define FACTEUR_MILTERS_BLACKLIST_H

#include <stddef.h>

#include "blpolicy.h"
#include "cfg.h"
#include "daemon.h"
#include "filter.h"

struct store_pool;

struct bl_settings {
	struct blp_settings pol; /* first: blp_keys' offsets apply to it */
	struct mlt_settings common;
	struct cfg_database db;
	/* bl_init(): read-only stores kept across milter connections (one
	 * per SMTP session), with their parsed IP/CIDR rows */
	struct store_pool *stores;
};

extern const struct mlt_filter bl_filter;

/* Validates the settings (internal_hosts, dnsbl_zones). 0 or -1, err. */
__attribute__((warn_unused_result)) int bl_check(void *base, char *err,
						 size_t errlen);
/* Before the privilege drop: checks the database opens, sets up DNS and
 * SPF when configured. 0 or -1 with err. */
__attribute__((warn_unused_result)) int bl_init(void *base, char *err,
						size_t errlen);
void bl_fini(void *base);

#endif
