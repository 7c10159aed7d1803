/* lookup/lk_walk.h - the access(5) search order, done on our side.
 *
 * Postfix sends a socketmap only the full key, so facteur-lookup walks
 * the keys smtpd would try against a hash table itself. For "user+ext@
 * sub.example.org" (recipient_delimiter "+"):
 *
 *   user+ext@sub.example.org, user@sub.example.org, @sub.example.org,
 *   sub.example.org, example.org, org, user+ext@, user@
 *
 * "@domain" is the facteur pattern for "every sender of exactly that
 * domain" (the seed guide's blacklist stores such rows); a bare "domain"
 * also matches its subdomains, as with Postfix's default
 * parent_domain_matches_subdomains. A domain-only key walks the domain
 * and its parents; an IPv4 address walks "1.2.3.4", "1.2.3", "1.2", "1"
 * (check_client_access); the null sender key is looked up alone.
 *
 * Pure: no I/O, no logging, no statics; thread-safe. */
#ifndef FACTEUR_LOOKUP_LK_WALK_H
#define FACTEUR_LOOKUP_LK_WALK_H

#include <stddef.h>

#include "buf.h"

#define LK_WALK_MAX 64

struct lk_walk {
	size_t off[LK_WALK_MAX]; /* each key is a NUL-terminated string at */
	size_t n;		 /* keys->data + off[i] */
};

/* Appends the keys for key[0..len) to keys (reset first) in search order.
 * delims: recipient_delimiter characters (NULL or "" = none); null_key:
 * smtpd_null_access_lookup_key ("<>"). Returns 0, or -1 if keys is full
 * or the key has more than LK_WALK_MAX search keys. */
__attribute__((warn_unused_result)) int
lk_walk_access(const char *key, size_t len, const char *delims,
	       const char *null_key, struct buf *keys, struct lk_walk *w);

static inline const char *
lk_walk_key(const struct buf *keys, const struct lk_walk *w, size_t i)
{
	return keys->data + w->off[i];
}

/* Where key[0..len) = local@domain with an extension, the length of
 * "user" (local part before the first delimiter, which may not be its
 * first byte) and 1; else 0. at is the offset of the last '@'. */
int lk_walk_split_ext(const char *key, size_t at, const char *delims,
		      size_t *user_len);

#endif
