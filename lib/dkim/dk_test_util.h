/* lib/dkim/dk_test_util.h - helpers shared by the engine's cmocka
 * tests: feed a whole message to an engine, serve keys from a table. */
#ifndef FACTEUR_DKIM_DK_TEST_UTIL_H
#define FACTEUR_DKIM_DK_TEST_UTIL_H

#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "dk_verify.h"

struct dk_test_key {
	const char *selector, *domain, *txt; /* txt NULL: NXDOMAIN */
	int tempfail;
};

/* ctx: a NULL-selector-terminated array of struct dk_test_key. */
static inline enum dk_fetch
dk_test_fetch(void *ctx, const char *selector, const char *domain,
	      struct buf *txt)
{
	const struct dk_test_key *k;

	for (k = ctx; k->selector != NULL; k++) {
		if (strcmp(k->selector, selector) != 0 ||
		    strcmp(k->domain, domain) != 0)
			continue;
		if (k->tempfail)
			return DK_FETCH_TEMPFAIL;
		if (k->txt == NULL)
			return DK_FETCH_NONE;
		return buf_adds(txt, k->txt) == 0 ? DK_FETCH_OK
						  : DK_FETCH_PERMFAIL;
	}
	return DK_FETCH_NONE;
}

/* Splits msg (CRLF lines) into header fields and the body; calls hdr per
 * field (without its CRLF) and returns the body's offset. */
static inline size_t
dk_test_split(const char *msg, void (*hdr)(void *, const char *, size_t),
	      void *ctx)
{
	size_t i = 0, start = 0, n = strlen(msg);

	while (i + 1 < n) {
		if (msg[i] == '\r' && msg[i + 1] == '\n') {
			if (i == start)
				return i + 2;
			if (i + 2 < n &&
			    (msg[i + 2] == ' ' || msg[i + 2] == '\t')) {
				i += 2;
				continue;
			}
			hdr(ctx, msg + start, i - start);
			start = i + 2;
			i += 2;
			continue;
		}
		i++;
	}
	return n;
}

#endif
