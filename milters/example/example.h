/* milters/example/example.h - a demonstration filter: stamps each message
 * with a header counting its recipients and body bytes, and rejects one
 * configured envelope sender. It knows nothing of libmilter. */
#ifndef FACTEUR_MILTERS_EXAMPLE_H
#define FACTEUR_MILTERS_EXAMPLE_H

#include <stddef.h>

#include "cfg.h"
#include "daemon.h"
#include "filter.h"

struct example_settings {
	struct mlt_settings common;
	char *header;	     /* name of the added header */
	char *hostname;	     /* NULL: gethostname() at startup */
	char *reject_sender; /* NULL: reject nobody */
	char *reject_code;   /* "550" */
	char *reject_xcode;  /* "5.7.1" */
	char *reject_text;
};

extern const struct cfg_key example_keys[];
extern const size_t example_nkeys;
extern const struct mlt_filter example_filter;

/* Validates the settings and fills hostname. 0, or -1 with err. */
__attribute__((warn_unused_result)) int example_check(void *base, char *err,
						      size_t errlen);

#endif
