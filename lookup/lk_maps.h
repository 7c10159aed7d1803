/* lookup/lk_maps.h - what each map answers, over one struct store.
 *
 *   domains           active domain            -> the domain
 *   mailboxes         active user, active dom. -> maildir
 * ("example.org/alice/") (user+ext@domain falls back to user@domain) aliases
 * local alias              -> "dest1,dest2" virtual_aliases   user+ext@domain,
 * user@domain, @domain (virtual(5)) sender_access     access(5) walk
 * (access_walk in lib/access.h), then for an IP key the longest matching CIDR
 * row -> access(5) result text recipient_access  access(5) walk -> access(5)
 * result text
 *
 * Thread-safety: as the store: one struct store per thread. */
#ifndef FACTEUR_LOOKUP_LK_MAPS_H
#define FACTEUR_LOOKUP_LK_MAPS_H

#include "lk_reply.h"
#include "lk_request.h"
#include "store.h"

struct buf;

struct lk_query_cfg {
	const char *delims;   /* recipient_delimiter; borrowed */
	const char *null_key; /* smtpd_null_access_lookup_key; borrowed */
};

/* Answers map for the NUL-terminated key. On LK_OK out holds the value;
 * on LK_TEMP/LK_PERM a short reason for Postfix, with the detail to log
 * in err. out is reset first. */
enum lk_status lk_map_query(struct store *st, const struct lk_query_cfg *qc,
			    enum lk_map map, const char *key, struct buf *out,
			    struct store_errbuf *err);

/* The first access row along key's search order (recipient_: which
 * table). STORE_FOUND with a filled (caller clears with
 * store_access_clear), STORE_NOTFOUND, or STORE_EDB / STORE_EINVAL (key
 * with too many search keys) with err. */
int lk_access_find(struct store *st, const struct lk_query_cfg *qc,
		   int recipient_, const char *key, struct store_access *a,
		   struct store_errbuf *err);

#endif
