/* lib/store_dkim.c - the dkim_keys table of lib/store: add, enable/
 * disable, delete, and walk the keys of a domain. See store.h.
 *
 * SECURITY: fixed SQL texts with bound parameters only. The table holds
 * paths, never key material. Statements are prepared per call (not in
 * the per-connection cache): these run at startup or from the CLI. */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "store_int.h"

/* Prepares sql and binds domain (lowercased) to ?1 and selector to ?2
 * (when not NULL). */
static int
store_dkim_prepare(struct store *s, const char *sql, const char *domain,
		   const char *selector, struct store_q **st,
		   struct store_errbuf *err)
{
	struct buf d;
	int rc = 0;

	*st = NULL;
	if ((*st = store_q_new(s, sql, err)) == NULL)
		return STORE_EDB;
	buf_init(&d, 1024);
	if (domain != NULL && (store_lower(domain, 1, &d) < 0 ||
			       store_bind_text(s, *st, 1, buf_str(&d)) < 0))
		rc = STORE_EDB;
	if (rc == 0 && selector != NULL &&
	    store_bind_text(s, *st, 2, selector) < 0)
		rc = STORE_EDB;
	buf_free(&d);
	if (rc != 0) {
		store_seterr(err, "dkim_keys: bind failed");
		store_q_free(s, *st);
		*st = NULL;
	}
	return rc;
}

int
store_dkim_add(struct store *s, const char *domain, const char *selector,
	       const char *algorithm, const char *key_path,
	       struct store_errbuf *err)
{
	struct store_q *st;
	int rc, n;

	if ((rc = store_dkim_prepare(
		 s,
		 "INSERT INTO dkim_keys(domain,"
		 " selector, algorithm, key_path) VALUES (?1, ?2, ?3, ?4)",
		 domain, selector, &st, err)) < 0)
		return rc;
	if (store_bind_text(s, st, 3, algorithm) < 0 ||
	    store_bind_text(s, st, 4, key_path) < 0) {
		store_q_free(s, st);
		store_seterr(err, "dkim_keys: bind failed");
		return STORE_EDB;
	}
	rc = store_run(s, st, &n, "dkim key", err);
	store_q_free(s, st);
	return rc;
}

static int
store_dkim_change(struct store *s, const char *sql, const char *domain,
		  const char *selector, int active, struct store_errbuf *err)
{
	struct store_q *st;
	int rc, n = 0;

	if ((rc = store_dkim_prepare(s, sql, domain, selector, &st, err)) < 0)
		return rc;
	if (active >= 0 && store_bind_int(s, st, 3, active) < 0) {
		store_q_free(s, st);
		store_seterr(err, "dkim_keys: bind failed");
		return STORE_EDB;
	}
	rc = store_run(s, st, &n, "dkim key", err);
	store_q_free(s, st);
	if (rc == 0 && n == 0) {
		store_seterr(err, "no key %s for %s", selector, domain);
		return STORE_ENOENT;
	}
	return rc;
}

int
store_dkim_set_active(struct store *s, const char *domain, const char *selector,
		      int active, struct store_errbuf *err)
{
	return store_dkim_change(s,
				 "UPDATE dkim_keys SET active = ?3"
				 " WHERE domain = ?1 AND selector = ?2",
				 domain, selector, active ? 1 : 0, err);
}

int
store_dkim_del(struct store *s, const char *domain, const char *selector,
	       struct store_errbuf *err)
{
	return store_dkim_change(s,
				 "DELETE FROM dkim_keys"
				 " WHERE domain = ?1 AND selector = ?2",
				 domain, selector, -1, err);
}

int
store_dkim_each(struct store *s, const char *domain, int active_only,
		store_dkim_fn fn, void *ctx, struct store_errbuf *err)
{
	static const char *const sql[2][2] = {
	    {"SELECT id, domain, selector, algorithm, key_path, active,"
	     " created FROM dkim_keys ORDER BY domain, selector",
	     "SELECT id, domain, selector, algorithm, key_path, active,"
	     " created FROM dkim_keys WHERE active = 1"
	     " ORDER BY domain, selector"},
	    {"SELECT id, domain, selector, algorithm, key_path, active,"
	     " created FROM dkim_keys WHERE domain = ?1"
	     " ORDER BY domain, selector",
	     "SELECT id, domain, selector, algorithm, key_path, active,"
	     " created FROM dkim_keys WHERE domain = ?1 AND active = 1"
	     " ORDER BY domain, selector"},
	};
	struct store_dkim_key k;
	struct store_q *st;
	int rc, ret = 0;

	if ((rc = store_dkim_prepare(s, sql[domain != NULL][active_only != 0],
				     domain, NULL, &st, err)) < 0)
		return rc;
	while ((rc = store_step(s, st, "dkim_keys", err)) == 1) {
		k.id = store_col_int(s, st, 0);
		k.domain = store_col_text(s, st, 1);
		k.selector = store_col_text(s, st, 2);
		k.algorithm = store_col_text(s, st, 3);
		k.key_path = store_col_text(s, st, 4);
		k.active = (int)store_col_int(s, st, 5);
		k.created = store_col_int(s, st, 6);
		if ((ret = fn(ctx, &k)) != 0)
			break;
	}
	if (ret == 0 && rc < 0)
		ret = STORE_EDB;
	store_q_free(s, st);
	return ret;
}
