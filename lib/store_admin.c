/* lib/store_admin.c - the administration half of lib/store: listings,
 * adds, deletes and updates, used by the facteur CLI over a STORE_RW
 * connection. See store.h for the contract and store.c for the rest.
 *
 * SECURITY: fixed SQL texts with bound parameters only. Errors come back
 * as store_err with a message naming the row; the CLI logs or prints it. */
#include "store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "store_int.h"

#define STORE_LIST_MAXCOLS 16

struct store_table {
	const char *name;
	const char *all;   /* SELECT of every row, stable order */
	const char *where; /* the same, filtered by ?1 */
};

#define SEL_USERS                                                              \
	"SELECT address, domain, full_name, maildir, uid, gid,"                \
	" quota_bytes, quota_messages, active, created FROM users"
#define SEL_SBL                                                                \
	"SELECT pattern, kind, action, code, enhanced, message,"               \
	" active, created FROM sender_blacklist"
#define SEL_RBL                                                                \
	"SELECT pattern, action, code, enhanced, message,"                     \
	" active, created FROM recipient_blacklist"
#define SEL_DKIM                                                               \
	"SELECT id, domain, selector, algorithm, key_path, active,"            \
	" created FROM dkim_keys"
/* "rows of that domain": the key ends in "@domain" (a catch-all too). */
#define IN_DOMAIN(col)                                                         \
	" WHERE lower(substr(" col ", length(" col ")"                         \
	" - length(CAST(?1 AS TEXT)))) = '@' || lower(CAST(?1 AS TEXT))"

/* The password hash is left out on purpose: a listing is for people. */
static const struct store_table store_tables[] = {
    {"domains",
     "SELECT name, is_default, active, created FROM domains"
     " ORDER BY name",
     "SELECT name, is_default, active, created FROM domains"
     " WHERE name = ?1 ORDER BY name"},
    {"users", SEL_USERS " ORDER BY domain, address",
     SEL_USERS " WHERE domain = ?1 ORDER BY domain, address"},
    {"aliases",
     "SELECT alias, destination, active FROM aliases"
     " ORDER BY alias, destination",
     "SELECT alias, destination, active FROM aliases" IN_DOMAIN(
	 "alias") " ORDER BY alias, destination"},
    {"virtual_aliases",
     "SELECT address, destination, active"
     " FROM virtual_aliases ORDER BY address, destination",
     "SELECT address, destination, active FROM virtual_aliases" IN_DOMAIN(
	 "address") " ORDER BY address, destination"},
    {"sender_blacklist", SEL_SBL " ORDER BY pattern",
     SEL_SBL " WHERE pattern = ?1 ORDER BY pattern"},
    {"recipient_blacklist", SEL_RBL " ORDER BY pattern",
     SEL_RBL " WHERE pattern = ?1 ORDER BY pattern"},
    {"dkim_keys", SEL_DKIM " ORDER BY domain, selector",
     SEL_DKIM " WHERE domain = ?1 ORDER BY domain, selector"},
};

_Static_assert(sizeof(store_tables) / sizeof(store_tables[0]) * 2 ==
		   ST__COUNT - ST_LIST_FIRST,
	       "one pair of list slots per table");

static int
store_list_rows(struct store *s, struct store_q *st, store_row_fn fn, void *ctx,
		struct store_errbuf *err)
{
	const char *names[STORE_LIST_MAXCOLS], *vals[STORE_LIST_MAXCOLS];
	int i, n = -1, rc, ret = 0;

	while ((rc = store_step(s, st, "list", err)) == 1) {
		if (n < 0) { /* a result's columns are known once it runs */
			n = s->ops->ncols(st);
			if (n > STORE_LIST_MAXCOLS)
				n = STORE_LIST_MAXCOLS;
			for (i = 0; i < n; i++)
				names[i] = s->ops->col_name(st, i);
		}
		for (i = 0; i < n; i++)
			vals[i] = store_col_text(s, st, i);
		if ((ret = fn(ctx, n, names, vals)) != 0)
			break;
	}
	if (ret == 0 && rc < 0)
		ret = STORE_EDB;
	store_stmt_done(s, st);
	return ret;
}

int
store_list(struct store *s, const char *table, const char *where_domain,
	   store_row_fn fn, void *ctx, struct store_errbuf *err)
{
	const struct store_table *t = NULL;
	struct store_q *st;
	size_t i;
	int id;

	for (i = 0; i < sizeof(store_tables) / sizeof(store_tables[0]); i++)
		if (strcmp(store_tables[i].name, table) == 0)
			t = &store_tables[i];
	if (t == NULL) {
		store_seterr(err, "no such table: %s", table);
		return STORE_EINVAL;
	}
	id = ST_LIST_FIRST + 2 * (int)(t - store_tables) +
	     (where_domain != NULL);
	st = store_stmt(s, (enum store_stmt)id,
			where_domain ? t->where : t->all, err);
	if (st == NULL)
		return STORE_EDB;
	if (where_domain && store_bind_text(s, st, 1, where_domain) < 0) {
		store_stmt_done(s, st);
		store_seterr(err, "bind failed");
		return STORE_EDB;
	}
	return store_list_rows(s, st, fn, ctx, err);
}

/* ---- domains ---- */

static int
store_oom(struct store_errbuf *err)
{
	store_seterr(err, "out of memory");
	return STORE_EDB;
}

int
store_domain_add(struct store *s, const char *name, int is_default,
		 struct store_errbuf *err)
{
	struct buf d;
	struct store_q *st;
	int rc, n;

	if (name == NULL || *name == '\0') {
		store_seterr(err, "domain name is empty");
		return STORE_EINVAL;
	}
	buf_init(&d, 1024);
	if (store_lower(name, 1, &d) < 0)
		return store_oom(err);
	st = store_stmt(s, ST_DOMAIN_ADD,
			"INSERT INTO domains(name, is_default) VALUES (?1, ?2)",
			err);
	rc = STORE_EDB;
	if (st != NULL && store_bind_text(s, st, 1, buf_str(&d)) == 0 &&
	    store_bind_int(s, st, 2, is_default != 0) == 0)
		rc = store_run(s, st, &n, buf_str(&d), err);
	else if (st != NULL)
		store_stmt_done(s, st);
	if (rc == STORE_EDUP)
		store_seterr(err, "domain %s already exists", buf_str(&d));
	buf_free(&d);
	return rc;
}

/* Runs a prepared UPDATE/DELETE keyed by key: ENOENT with "<what> <key>
 * does not exist" when no row changed. */
static int
store_run_existing(struct store *s, struct store_q *st, const char *what,
		   const char *key, struct store_errbuf *err)
{
	int rc, n = 0;

	if ((rc = store_run(s, st, &n, key, err)) < 0)
		return rc;
	if (n == 0) {
		store_seterr(err, "%s %s does not exist", what, key);
		return STORE_ENOENT;
	}
	return 0;
}

/* Runs an UPDATE/DELETE keyed by one text (and maybe an int): ENOENT with
 * "<what> <key> does not exist" when no row changed. */
static int
store_change(struct store *s, enum store_stmt id, const char *sql,
	     const char *what, const char *key, int use_int, long long v,
	     struct store_errbuf *err)
{
	struct store_q *st;

	if (key == NULL) {
		store_seterr(err, "%s: no name given", what);
		return STORE_EINVAL;
	}
	if ((st = store_stmt(s, id, sql, err)) == NULL)
		return STORE_EDB;
	if (store_bind_text(s, st, 1, key) < 0 ||
	    (use_int && store_bind_int(s, st, 2, v) < 0)) {
		store_stmt_done(s, st);
		store_seterr(err, "bind failed");
		return STORE_EDB;
	}
	return store_run_existing(s, st, what, key, err);
}

int
store_domain_del(struct store *s, const char *name, struct store_errbuf *err)
{
	struct store_q *st;
	long long users = 0;
	int rc;

	if (name == NULL) {
		store_seterr(err, "domain: no name given");
		return STORE_EINVAL;
	}
	st = store_stmt(s, ST_DOMAIN_NUSERS,
			"SELECT count(*) FROM users WHERE domain = ?1", err);
	if (st == NULL)
		return STORE_EDB;
	if (store_bind_text(s, st, 1, name) == 0 &&
	    store_step(s, st, "domain", err) == 1)
		users = store_col_int(s, st, 0);
	store_stmt_done(s, st);
	if (users > 0) {
		store_seterr(err, "domain %s still has %lld user%s", name,
			     users, users > 1 ? "s" : "");
		return STORE_EINUSE;
	}
	rc = store_change(s, ST_DOMAIN_DEL,
			  "DELETE FROM domains WHERE name = ?1", "domain", name,
			  0, 0, err);
	if (rc == STORE_EREF) { /* a user added between count and delete */
		store_seterr(err, "domain %s still has users", name);
		rc = STORE_EINUSE;
	}
	return rc;
}

int
store_domain_set_active(struct store *s, const char *name, int active,
			struct store_errbuf *err)
{
	return store_change(s, ST_DOMAIN_SETACT,
			    "UPDATE domains SET active = ?2 WHERE name = ?1",
			    "domain", name, 1, active, err);
}

/* ---- users ---- */

static int
store_user_bind(struct store *s, struct store_q *st, const struct store_user *u,
		const char *address, const char *domain)
{
	/* uid/gid 0 would mean root: 0 and -1 both mean "not set". */
	long long uid = u->uid > 0 ? u->uid : -1;
	long long gid = u->gid > 0 ? u->gid : -1;

	if (store_bind_text(s, st, 1, address) < 0 ||
	    store_bind_text(s, st, 2, domain) < 0 ||
	    store_bind_text(s, st, 3, u->password) < 0 ||
	    store_bind_text(s, st, 4, u->full_name ? u->full_name : "") < 0 ||
	    store_bind_text(s, st, 5, u->maildir) < 0 ||
	    store_bind_int(s, st, 6, uid) < 0 ||
	    store_bind_int(s, st, 7, gid) < 0 ||
	    store_bind_int(s, st, 8, u->quota_bytes) < 0 ||
	    store_bind_int(s, st, 9, u->quota_messages) < 0)
		return -1;
	/* The time is ours, not the database's: one SQL text for both. */
	if (store_bind_int(s, st, 10,
			   u->created > 0 ? u->created
					  : (long long)time(NULL)) < 0)
		return -1;
	return 0;
}

int
store_user_add(struct store *s, const struct store_user *u,
	       struct store_errbuf *err)
{
	struct buf a, d;
	struct store_q *st;
	int rc = STORE_EDB, n;

	if (u->address == NULL || u->domain == NULL || u->password == NULL ||
	    u->maildir == NULL) {
		store_seterr(err, "user: address, domain, password and "
				  "maildir are required");
		return STORE_EINVAL;
	}
	buf_init(&a, 2048);
	buf_init(&d, 1024);
	if (store_lower(u->address, 0, &a) < 0 ||
	    store_lower(u->domain, 1, &d) < 0) {
		rc = store_oom(err);
		goto out;
	}
	st = store_stmt(
	    s, ST_USER_ADD,
	    "INSERT INTO users(address, domain,"
	    " password, full_name, maildir, uid, gid, quota_bytes,"
	    " quota_messages, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8, ?9, ?10)",
	    err);
	if (st == NULL)
		goto out;
	if (store_user_bind(s, st, u, buf_str(&a), buf_str(&d)) < 0) {
		store_stmt_done(s, st);
		store_seterr(err, "bind failed");
		goto out;
	}
	rc = store_run(s, st, &n, buf_str(&a), err);
	if (rc == STORE_EDUP)
		store_seterr(err, "user %s already exists", buf_str(&a));
	else if (rc == STORE_EREF)
		store_seterr(err, "domain %s does not exist", buf_str(&d));
out:
	buf_free(&a);
	buf_free(&d);
	return rc;
}

int
store_user_del(struct store *s, const char *address, struct store_errbuf *err)
{
	return store_change(s, ST_USER_DEL,
			    "DELETE FROM users WHERE address = ?1", "user",
			    address, 0, 0, err);
}

int
store_user_set_password(struct store *s, const char *address, const char *hash,
			struct store_errbuf *err)
{
	struct store_q *st;

	if (address == NULL || hash == NULL || *hash == '\0') {
		store_seterr(err, "user: address and password hash required");
		return STORE_EINVAL;
	}
	st = store_stmt(s, ST_USER_SETPW,
			"UPDATE users SET password = ?2 WHERE address = ?1",
			err);
	if (st == NULL)
		return STORE_EDB;
	if (store_bind_text(s, st, 1, address) < 0 ||
	    store_bind_text(s, st, 2, hash) < 0) {
		store_stmt_done(s, st);
		store_seterr(err, "bind failed");
		return STORE_EDB;
	}
	return store_run_existing(s, st, "user", address, err);
}

int
store_user_set_active(struct store *s, const char *address, int active,
		      struct store_errbuf *err)
{
	return store_change(s, ST_USER_SETACT,
			    "UPDATE users SET active = ?2 WHERE address = ?1",
			    "user", address, 1, active, err);
}

int
store_user_set_quota(struct store *s, const char *address, long long bytes,
		     long long messages, struct store_errbuf *err)
{
	struct store_q *st;

	if (address == NULL) {
		store_seterr(err, "user: no address given");
		return STORE_EINVAL;
	}
	st = store_stmt(
	    s, ST_USER_SETQUOTA,
	    "UPDATE users"
	    " SET quota_bytes = ?2, quota_messages = ?3 WHERE address = ?1",
	    err);
	if (st == NULL)
		return STORE_EDB;
	if (store_bind_text(s, st, 1, address) < 0 ||
	    store_bind_int(s, st, 2, bytes) < 0 ||
	    store_bind_int(s, st, 3, messages) < 0) {
		store_stmt_done(s, st);
		store_seterr(err, "bind failed");
		return STORE_EDB;
	}
	return store_run_existing(s, st, "user", address, err);
}

/* ---- aliases ---- */

int
store_alias_add(struct store *s, int virtual_, const char *key,
		const char *destination, int active, struct store_errbuf *err)
{
	struct buf k, d;
	struct store_q *st;
	int rc = STORE_EDB, n;

	if (key == NULL || destination == NULL) {
		store_seterr(err, "alias: key and destination required");
		return STORE_EINVAL;
	}
	buf_init(&k, 2048);
	buf_init(&d, 2048);
	if (store_lower(key, 0, &k) < 0 ||
	    store_lower(destination, 0, &d) < 0) {
		rc = store_oom(err);
		goto out;
	}
	if (virtual_)
		st = store_stmt(
		    s, ST_VALIAS_ADD,
		    "INSERT INTO virtual_aliases"
		    "(address, destination, active) VALUES (?1, ?2, ?3)",
		    err);
	else
		st = store_stmt(
		    s, ST_ALIAS_ADD,
		    "INSERT INTO aliases"
		    "(alias, destination, active) VALUES (?1, ?2, ?3)",
		    err);
	if (st == NULL)
		goto out;
	if (store_bind_text(s, st, 1, buf_str(&k)) < 0 ||
	    store_bind_text(s, st, 2, buf_str(&d)) < 0 ||
	    store_bind_int(s, st, 3, active) < 0) {
		store_stmt_done(s, st);
		store_seterr(err, "bind failed");
		goto out;
	}
	rc = store_run(s, st, &n, buf_str(&k), err);
	if (rc == STORE_EDUP)
		store_seterr(err, "alias %s -> %s already exists", buf_str(&k),
			     buf_str(&d));
out:
	buf_free(&k);
	buf_free(&d);
	return rc;
}

int
store_alias_del(struct store *s, int virtual_, const char *key,
		const char *destination, struct store_errbuf *err)
{
	struct store_q *st;
	int rc, n = 0;

	if (key == NULL) {
		store_seterr(err, "alias: no key given");
		return STORE_EINVAL;
	}
	if (virtual_ && destination)
		st = store_stmt(s, ST_VALIAS_DEL1,
				"DELETE FROM virtual_aliases"
				" WHERE address = ?1 AND destination = ?2",
				err);
	else if (virtual_)
		st = store_stmt(s, ST_VALIAS_DELALL,
				"DELETE FROM"
				" virtual_aliases WHERE address = ?1",
				err);
	else if (destination)
		st = store_stmt(s, ST_ALIAS_DEL1,
				"DELETE FROM aliases"
				" WHERE alias = ?1 AND destination = ?2",
				err);
	else
		st = store_stmt(s, ST_ALIAS_DELALL,
				"DELETE FROM aliases"
				" WHERE alias = ?1",
				err);
	if (st == NULL)
		return STORE_EDB;
	if (store_bind_text(s, st, 1, key) < 0 ||
	    (destination && store_bind_text(s, st, 2, destination) < 0)) {
		store_stmt_done(s, st);
		store_seterr(err, "bind failed");
		return STORE_EDB;
	}
	if ((rc = store_run(s, st, &n, key, err)) < 0)
		return rc;
	if (n == 0) {
		store_seterr(err, "alias %s%s%s does not exist", key,
			     destination ? " -> " : "",
			     destination ? destination : "");
		return STORE_ENOENT;
	}
	return 0;
}

/* ---- blacklists ---- */

static int
store_access_bind(struct store *s, struct store_q *st, int recipient_,
		  const char *pattern, const char *kind, const char *action,
		  int code, const char *enhanced, const char *message,
		  int active)
{
	int i = 1;

	if (store_bind_text(s, st, i++, pattern) < 0 ||
	    (!recipient_ && store_bind_text(s, st, i++, kind) < 0) ||
	    store_bind_text(s, st, i++, action) < 0 ||
	    store_bind_int(s, st, i++, code) < 0 ||
	    store_bind_text(s, st, i++, enhanced) < 0 ||
	    store_bind_text(s, st, i++, message ? message : "") < 0 ||
	    store_bind_int(s, st, i, active) < 0)
		return -1;
	return 0;
}

int
store_access_add(struct store *s, int recipient_, const char *pattern,
		 const char *kind, const char *action, int code,
		 const char *enhanced, const char *message, int active,
		 struct store_errbuf *err)
{
	struct buf p;
	struct store_q *st;
	const char *enh = enhanced ? enhanced : "";
	int rc = STORE_EDB, n, reject;

	if (pattern == NULL || action == NULL || (!recipient_ && !kind)) {
		store_seterr(err, "blacklist: pattern, action%s required",
			     recipient_ ? "" : " and kind");
		return STORE_EINVAL;
	}
	/* code 0 means the default: 554 for REJECT; then 5.7.1 / 4.7.1. */
	reject = strcmp(action, "REJECT") == 0;
	if (reject && code == 0)
		code = 554;
	if (reject && *enh == '\0')
		enh = code >= 500 ? "5.7.1" : "4.7.1";
	buf_init(&p, 2048);
	if (store_lower(pattern, kind && strcmp(kind, "address") != 0, &p) < 0)
		return store_oom(err);
	if (recipient_)
		st = store_stmt(
		    s, ST_RACC_ADD,
		    "INSERT INTO recipient_blacklist"
		    "(pattern, action, code, enhanced, message, active)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		    err);
	else
		st = store_stmt(
		    s, ST_SACC_ADD,
		    "INSERT INTO sender_blacklist"
		    "(pattern, kind, action, code, enhanced, message, active)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		    err);
	if (st == NULL)
		goto out;
	if (store_access_bind(s, st, recipient_, buf_str(&p), kind, action,
			      code, enh, message, active) < 0) {
		store_stmt_done(s, st);
		store_seterr(err, "bind failed");
		goto out;
	}
	rc = store_run(s, st, &n, buf_str(&p), err);
	if (rc == STORE_EDUP)
		store_seterr(err, "%s blacklist entry %s already exists",
			     recipient_ ? "recipient" : "sender", buf_str(&p));
out:
	buf_free(&p);
	return rc;
}

int
store_access_del(struct store *s, int recipient_, const char *pattern,
		 struct store_errbuf *err)
{
	if (recipient_)
		return store_change(s, ST_RACC_DEL,
				    "DELETE FROM"
				    " recipient_blacklist WHERE pattern = ?1",
				    "recipient blacklist entry", pattern, 0, 0,
				    err);
	return store_change(s, ST_SACC_DEL,
			    "DELETE FROM sender_blacklist WHERE pattern = ?1",
			    "sender blacklist entry", pattern, 0, 0, err);
}

static int store_vacation_forget(struct store *s, const char *address,
				 long long forget_before,
				 struct store_errbuf *err);

/* ---- Sieve vacation tracking ----
 * Rare (one query per vacation action), so these statements are prepared
 * per call rather than cached: the cache slots stay for hot paths. */

static int
store_vac_prepare(struct store *s, const char *sql, const char *address,
		  const char *sender, const char *handle, struct store_q **st,
		  struct store_errbuf *err)
{
	if (address == NULL || sender == NULL || handle == NULL) {
		store_seterr(err,
			     "vacation: missing address, sender or handle");
		return STORE_EINVAL;
	}
	if ((*st = store_q_new(s, sql, err)) == NULL)
		return STORE_EDB;
	if (store_bind_text(s, *st, 1, address) < 0 ||
	    store_bind_text(s, *st, 2, sender) < 0 ||
	    store_bind_text(s, *st, 3, handle) < 0) {
		store_seterr(err, "bind failed");
		store_q_free(s, *st);
		*st = NULL;
		return STORE_EDB;
	}
	return 0;
}

int
store_vacation_recent(struct store *s, const char *address, const char *sender,
		      const char *handle, long long since,
		      struct store_errbuf *err)
{
	struct store_q *st;
	int rc;

	if ((rc = store_vac_prepare(s,
				    "SELECT 1 FROM vacation_sent WHERE address "
				    "= ?1 AND sender = ?2"
				    " AND handle = ?3 AND sent_at >= ?4",
				    address, sender, handle, &st, err)) < 0)
		return rc;
	if (store_bind_int(s, st, 4, since) < 0) {
		store_seterr(err, "bind failed");
		store_q_free(s, st);
		return STORE_EDB;
	}
	rc = store_step(s, st, "vacation lookup", err);
	if (rc == 1)
		rc = STORE_FOUND;
	else if (rc == 0)
		rc = STORE_NOTFOUND;
	else
		rc = STORE_EDB;
	store_q_free(s, st);
	return rc;
}

int
store_vacation_record(struct store *s, const char *address, const char *sender,
		      const char *handle, long long now,
		      long long forget_before, struct store_errbuf *err)
{
	struct store_q *st;
	int rc, n;

	if ((rc = store_vac_prepare(
		 s,
		 "INSERT INTO vacation_sent(address, sender, handle, sent_at)"
		 " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(address, sender, handle)"
		 " DO UPDATE SET sent_at = excluded.sent_at",
		 address, sender, handle, &st, err)) < 0)
		return rc;
	if (store_bind_int(s, st, 4, now) < 0) {
		store_q_free(s, st);
		store_seterr(err, "bind failed");
		return STORE_EDB;
	}
	rc = store_run(s, st, &n, "vacation", err);
	store_q_free(s, st);
	if (rc < 0)
		return rc;
	return store_vacation_forget(s, address, forget_before, err);
}

static int
store_vacation_forget(struct store *s, const char *address,
		      long long forget_before, struct store_errbuf *err)
{
	struct store_q *st;
	int rc, n;

	if ((st = store_q_new(s,
			      "DELETE FROM vacation_sent WHERE"
			      " address = ?1 AND sent_at < ?2",
			      err)) == NULL)
		return STORE_EDB;
	if (store_bind_text(s, st, 1, address) < 0 ||
	    store_bind_int(s, st, 2, forget_before) < 0) {
		store_seterr(err, "vacation: bind failed");
		store_q_free(s, st);
		return STORE_EDB;
	}
	rc = store_run(s, st, &n, "vacation", err);
	store_q_free(s, st);
	return rc < 0 ? rc : 0;
}

int
store_vacation_claim(struct store *s, const char *address, const char *sender,
		     const char *handle, long long now, long long since,
		     long long forget_before, struct store_errbuf *err)
{
	struct store_q *st;
	int rc;

	/* The row is written only if it is new or older than since; the
	 * database's unique key decides between concurrent claimers. */
	if ((rc = store_vac_prepare(
		 s,
		 "INSERT INTO vacation_sent(address, sender, handle, sent_at)"
		 " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(address, sender, handle)"
		 " DO UPDATE SET sent_at = excluded.sent_at"
		 " WHERE vacation_sent.sent_at < ?5 RETURNING sent_at",
		 address, sender, handle, &st, err)) < 0)
		return rc;
	if (store_bind_int(s, st, 4, now) < 0 ||
	    store_bind_int(s, st, 5, since) < 0) {
		store_q_free(s, st);
		store_seterr(err, "bind failed");
		return STORE_EDB;
	}
	rc = store_step(s, st, "vacation", err);
	if (rc == 1) /* SQLite completes the write on the next step */
		rc = store_step(s, st, "vacation", err) < 0 ? STORE_EDB
							    : STORE_FOUND;
	else if (rc == 0)
		rc = STORE_NOTFOUND; /* else: the mapped store_err */
	store_q_free(s, st);
	/* Housekeeping: a failure here must not stop the claimed reply. */
	if (rc == STORE_FOUND)
		(void)store_vacation_forget(s, address, forget_before, NULL);
	return rc;
}
