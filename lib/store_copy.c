/* lib/store_copy.c - copies every table of one store into another
 * (facteur db migrate --to postgresql://...), then counts both sides.
 *
 * SECURITY: fixed SQL texts; values travel as bound parameters. The copy
 * is one transaction on the destination: a failed row or a count that
 * differs rolls it all back. */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include "store_int.h"

struct store_copy_table {
	const char *name;
	const char *select;
	const char *insert;
	const char *count;
};

#define CT(t, cols, params, order)                                             \
	{                                                                      \
		t, "SELECT " cols " FROM " t " ORDER BY " order,               \
		    "INSERT INTO " t "(" cols ") VALUES (" params ")",         \
		    "SELECT count(*) FROM " t                                  \
	}

/* Parents before children (users refer to domains). */
static const struct store_copy_table store_copy_tables[] = {
    CT("domains", "name, is_default, active, created", "?1, ?2, ?3, ?4",
       "name"),
    CT("users",
       "address, domain, password, full_name, maildir, uid, gid,"
       " quota_bytes, quota_messages, active, created",
       "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11", "address"),
    CT("aliases", "alias, destination, active", "?1, ?2, ?3", "rowid"),
    CT("virtual_aliases", "address, destination, active", "?1, ?2, ?3",
       "rowid"),
    CT("sender_blacklist",
       "pattern, kind, action, code, enhanced,"
       " message, active, created",
       "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8", "pattern"),
    CT("recipient_blacklist",
       "pattern, action, code, enhanced, message,"
       " active, created",
       "?1, ?2, ?3, ?4, ?5, ?6, ?7", "pattern"),
    CT("dkim_keys",
       "id, domain, selector, algorithm, key_path, active,"
       " created",
       "?1, ?2, ?3, ?4, ?5, ?6, ?7", "id"),
    CT("vacation_sent", "address, sender, handle, sent_at", "?1, ?2, ?3, ?4",
       "address, sender, handle"),
};
#define STORE_NCOPY (sizeof(store_copy_tables) / sizeof(store_copy_tables[0]))

static int
store_copy_count(struct store *s, const struct store_copy_table *t,
		 long long *n, struct store_errbuf *err)
{
	struct store_q *q;
	int rc;

	if ((q = store_q_new(s, t->count, err)) == NULL)
		return STORE_EDB;
	rc = store_step(s, q, t->name, err);
	*n = rc == 1 ? store_col_int(s, q, 0) : -1;
	store_q_free(s, q);
	return rc == 1 ? 0 : STORE_EDB;
}

static int
store_copy_rows(struct store *src, struct store *dst,
		const struct store_copy_table *t, struct store_errbuf *err)
{
	struct store_q *in, *out = NULL;
	int i, n, rc, changes;

	if ((in = store_q_new(src, t->select, err)) == NULL ||
	    (out = store_q_new(dst, t->insert, err)) == NULL) {
		store_q_free(src, in);
		return STORE_EDB;
	}
	while ((rc = store_step(src, in, t->name, err)) == 1) {
		n = src->ops->ncols(in);
		for (i = 0; i < n; i++)
			if (store_bind_text(dst, out, i + 1,
					    store_col_text(src, in, i)) < 0)
				break;
		if (i < n) {
			store_seterr(err, "%s: bind failed", t->name);
			rc = STORE_EDB;
			break;
		}
		if ((rc = store_run(dst, out, &changes, t->name, err)) < 0)
			break;
	}
	store_q_free(src, in);
	store_q_free(dst, out);
	return rc < 0 ? rc : 0;
}

/* An identity column continues after the copied ids (PostgreSQL). */
static int
store_copy_fix_ids(struct store *dst, struct store_errbuf *err)
{
	struct store_q *q;
	int rc;

	if (dst->ops != &store_pg_ops)
		return 0;
	if ((q = store_q_new(
		 dst,
		 "SELECT setval(pg_get_serial_sequence("
		 "'dkim_keys', 'id'), coalesce(max(id), 0) + 1, false)"
		 " FROM dkim_keys",
		 err)) == NULL)
		return STORE_EDB;
	rc = store_step(dst, q, "dkim_keys id", err);
	store_q_free(dst, q);
	return rc < 0 ? rc : 0;
}

int
store_copy(struct store *src, struct store *dst, store_copy_fn fn, void *ctx,
	   struct store_errbuf *err)
{
	long long a, b;
	size_t i;
	int rc;

	if ((rc = store_begin(dst, err)) < 0)
		return rc;
	for (i = 0; i < STORE_NCOPY; i++)
		if ((rc = store_copy_rows(src, dst, &store_copy_tables[i],
					  err)) < 0)
			goto fail;
	if ((rc = store_copy_fix_ids(dst, err)) < 0)
		goto fail;
	for (i = 0; i < STORE_NCOPY; i++) {
		if ((rc = store_copy_count(src, &store_copy_tables[i], &a,
					   err)) < 0 ||
		    (rc = store_copy_count(dst, &store_copy_tables[i], &b,
					   err)) < 0)
			goto fail;
		if (fn != NULL)
			fn(ctx, store_copy_tables[i].name, a, b);
		if (a != b) {
			store_seterr(err,
				     "%s: %lld rows in the source, %lld"
				     " in the destination",
				     store_copy_tables[i].name, a, b);
			rc = STORE_EDB;
			goto fail;
		}
	}
	return store_commit(dst, err);
fail:
	store_rollback(dst);
	return rc;
}
