/* lookup/lk_maps.c - map semantics over the store; see lk_maps.h.
 *
 * Every lookup is a fresh execution of a prepared statement on a WAL
 * database, so a change committed by `facteur` is seen by the next query:
 * nothing is cached here. */
#include "lk_maps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "buf.h"

/* Offset of the last '@' in key, or -1. */
static long
lk_last_at(const char *key)
{
	const char *at = strrchr(key, '@');

	return at ? (long)(at - key) : -1;
}

/* key without its extension ("user@domain") into tmp; 0 if it has one. */
static int
lk_strip_ext(const char *key, const char *delims, struct buf *tmp)
{
	long at = lk_last_at(key);
	size_t ulen;

	if (at <= 0 || !access_split_ext(key, (size_t)at, delims, &ulen))
		return -1;
	buf_reset(tmp);
	if (buf_add(tmp, key, ulen) < 0 || buf_adds(tmp, key + at) < 0)
		return -1;
	return 0;
}

static int
lk_mailbox(struct store *st, const struct lk_query_cfg *qc, const char *key,
	   struct buf *out, struct store_errbuf *err)
{
	struct buf tmp;
	int rc;

	rc = store_mailbox_lookup(st, key, out, err);
	if (rc != STORE_NOTFOUND)
		return rc;
	buf_init(&tmp, 0);
	if (lk_strip_ext(key, qc->delims, &tmp) == 0)
		rc = store_mailbox_lookup(st, tmp.data, out, err);
	buf_free(&tmp);
	return rc;
}

/* Local aliases, without "|command", "/file", ":include:" rows. */
static int
lk_alias(struct store *st, const char *key, struct buf *out,
	 struct store_errbuf *err)
{
	struct buf all;
	int rc;

	buf_init(&all, LK_REPLY_MAX);
	rc = store_alias_lookup(st, 0, key, &all, err);
	if (rc == STORE_FOUND) {
		if (lk_reply_alias_filter(buf_str(&all), out) < 0)
			rc = STORE_EDB;
		else if (out->len == 0)
			rc = STORE_NOTFOUND;
	}
	buf_free(&all);
	return rc;
}

/* virtual(5): user+ext@domain, user@domain, @domain. */
static int
lk_valias(struct store *st, const struct lk_query_cfg *qc, const char *key,
	  struct buf *out, struct store_errbuf *err)
{
	long at = lk_last_at(key);
	struct buf tmp;
	int rc;

	rc = store_alias_lookup(st, 1, key, out, err);
	if (rc != STORE_NOTFOUND || at < 0)
		return rc;
	buf_init(&tmp, 0);
	if (lk_strip_ext(key, qc->delims, &tmp) == 0) {
		rc = store_alias_lookup(st, 1, tmp.data, out, err);
		if (rc != STORE_NOTFOUND)
			goto done;
	}
	if (at > 0 && key[at + 1] != '\0')
		rc = store_alias_lookup(st, 1, key + at, out, err);
done:
	buf_free(&tmp);
	return rc;
}

int
lk_access_find(struct store *st, const struct lk_query_cfg *qc, int recipient_,
	       const char *key, struct store_access *a,
	       struct store_errbuf *err)
{
	const struct access_cfg ac = {qc->delims, qc->null_key};

	return access_find(st, &ac, recipient_, key, a, err);
}

static enum lk_status
lk_access_query(struct store *st, const struct lk_query_cfg *qc, int recipient_,
		const char *key, struct buf *out, struct store_errbuf *err)
{
	struct store_access a;
	int rc;

	rc = lk_access_find(st, qc, recipient_, key, &a, err);
	if (rc == STORE_NOTFOUND)
		return LK_NOTFOUND;
	if (rc == STORE_EINVAL)
		return LK_PERM; /* the reason is in err */
	if (rc != STORE_FOUND)
		return LK_TEMP;
	rc = access_reply(a.action, a.code, a.enhanced, a.message, out);
	if (rc < 0) {
		buf_reset(out);
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "row \"%s\": bad action \"%s\"",
				 a.pattern ? a.pattern : "",
				 a.action ? a.action : "");
		store_access_clear(&a);
		return LK_TEMP;
	}
	store_access_clear(&a);
	return LK_OK;
}

enum lk_status
lk_map_query(struct store *st, const struct lk_query_cfg *qc, enum lk_map map,
	     const char *key, struct buf *out, struct store_errbuf *err)
{
	int rc;

	buf_reset(out);
	if (err)
		err->msg[0] = '\0';
	switch (map) {
	case LK_MAP_DOMAINS:
		rc = store_domain_active(st, key, err);
		if (rc == STORE_FOUND && buf_adds(out, key) < 0)
			rc = STORE_EDB;
		break;
	case LK_MAP_MAILBOXES:
		rc = lk_mailbox(st, qc, key, out, err);
		break;
	case LK_MAP_ALIASES:
		rc = lk_alias(st, key, out, err);
		break;
	case LK_MAP_VALIASES:
		rc = lk_valias(st, qc, key, out, err);
		break;
	case LK_MAP_SENDER_ACCESS:
		return lk_access_query(st, qc, 0, key, out, err);
	case LK_MAP_RECIPIENT_ACCESS:
		return lk_access_query(st, qc, 1, key, out, err);
	default:
		return LK_PERM;
	}
	if (rc == STORE_FOUND)
		return LK_OK;
	if (rc == STORE_NOTFOUND)
		return LK_NOTFOUND;
	buf_reset(out);
	return LK_TEMP;
}
