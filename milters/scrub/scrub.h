/* milters/scrub/scrub.h - the facteur-scrub filter module: settings, the
 * startup check, and the filter callbacks (module.c). The selection
 * (scrub_select.c) knows nothing of libmilter. */
#ifndef FACTEUR_MILTERS_SCRUB_H
#define FACTEUR_MILTERS_SCRUB_H

#include <stddef.h>

#include "cfg.h"
#include "daemon.h"
#include "filter.h"
#include "scrub_select.h"

struct scrub_settings {
	struct mlt_settings common;
	struct cidr_list internal_hosts; /* "" = authenticated clients only */
	struct cfg_list remove_headers;	 /* extra header names to remove */
	int replace_message_id;		 /* rewrite a leaking Message-ID */
};

extern const struct cfg_key scrub_keys[];
extern const size_t scrub_nkeys;
extern const struct mlt_filter scrub_filter;

/* Validates remove_headers' words as field names (cfg split the list and
 * parsed internal_hosts). 0, or -1 with err. */
__attribute__((warn_unused_result)) int scrub_check(void *base, char *err,
						    size_t errlen);

#endif
