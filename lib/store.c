/* lib/store.c - lib/store's front: picks the backend from the target
 * (store_open), the statement cache, transactions, schema migrations and
 * the lookups daemons make on their hot paths. Administration (adds,
 * deletes, listings) is in store_admin.c; the backends are
 * store_sqlite.c and store_pg.c (store_int.h).
 *
 * SECURITY: every query is a fixed SQL text with bound parameters; no SQL
 * is ever built from a caller's string. Daemons open STORE_RO: a
 * read-only file (SQLite) or read-only sessions (PostgreSQL). */
#include "store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "store_int.h"

void
store_seterr(struct store_errbuf *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

int
store_is_url(const char *target)
{
	return target != NULL && (strncmp(target, "postgresql://", 13) == 0 ||
				  strncmp(target, "postgres://", 11) == 0);
}

int
store_exists(const char *target)
{
	if (store_is_url(target))
		return 1; /* a server: only connecting tells */
	return target != NULL && access(target, F_OK) == 0;
}

const char *
store_backend(const struct store *s)
{
	return s->ops->name;
}

struct store_q *
store_stmt(struct store *s, enum store_stmt id, const char *sql,
	   struct store_errbuf *err)
{
	if (s->st[id] == NULL)
		s->st[id] = s->ops->prepare(s, sql, err);
	return s->st[id];
}

void
store_stmt_done(struct store *s, struct store_q *q)
{
	s->ops->reset(q);
}

struct store_q *
store_q_new(struct store *s, const char *sql, struct store_errbuf *err)
{
	return s->ops->prepare(s, sql, err);
}

void
store_q_free(struct store *s, struct store_q *q)
{
	if (q != NULL)
		s->ops->finalize(s, q);
}

int
store_run(struct store *s, struct store_q *q, int *changes, const char *what,
	  struct store_errbuf *err)
{
	int rc;

	rc = store_step(s, q, what, err);
	if (rc >= 0) {
		*changes = s->ops->changes(s, q);
		rc = 0;
	}
	store_stmt_done(s, q);
	return rc;
}

int
store_lower(const char *in, int whole, struct buf *out)
{
	const char *at;
	size_t i, from;

	buf_reset(out);
	if (buf_adds(out, in) < 0)
		return -1;
	at = strrchr(in, '@');
	if (whole)
		from = 0;
	else if (at != NULL)
		from = (size_t)(at - in);
	else
		from = out->len;
	for (i = from; i < out->len; i++)
		if (out->data[i] >= 'A' && out->data[i] <= 'Z')
			out->data[i] = (char)(out->data[i] - 'A' + 'a');
	return 0;
}

int
store_open(const char *target, enum store_mode mode, long long busy_ms,
	   struct store **out, struct store_errbuf *err)
{
	struct store *s;
	int rc, v;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		store_seterr(err, "out of memory");
		return STORE_EDB;
	}
	s->mode = mode;
	s->ops = store_is_url(target) ? &store_pg_ops : &store_sqlite_ops;
	if ((rc = s->ops->open(s, target, busy_ms, err)) < 0) {
		store_free(&s);
		return rc;
	}
	if (mode == STORE_RO &&
	    (v = store_version(s)) != STORE_SCHEMA_VERSION) {
		if (v < 0)
			store_seterr(err, "%s: cannot read the schema version",
				     target);
		else
			store_seterr(
			    err,
			    "%s: schema version %d, this program "
			    "needs %d (run: facteur db init / db migrate)",
			    target, v, STORE_SCHEMA_VERSION);
		store_free(&s);
		return v < 0 ? STORE_EDB : STORE_EVERSION;
	}
	*out = s;
	return 0;
}

void
store_free(struct store **sp)
{
	struct store *s = *sp;
	size_t i;

	if (s == NULL)
		return;
	if (s->cache != NULL && s->cache_free != NULL)
		s->cache_free(s->cache);
	s->closing = 1;
	for (i = 0; i < ST__COUNT; i++)
		store_q_free(s, s->st[i]);
	s->ops->close(s);
	free(s);
	*sp = NULL;
}

void *
store_cache(struct store *s)
{
	return s->cache;
}

void
store_set_cache(struct store *s, void *p, void (*free_fn)(void *p))
{
	if (s->cache != NULL && s->cache_free != NULL && s->cache != p)
		s->cache_free(s->cache);
	s->cache = p;
	s->cache_free = free_fn;
}

int
store_change_stamp(struct store *s, long long stamp[2],
		   struct store_errbuf *err)
{
	return s->ops->stamp(s, stamp, err);
}

int
store_version(struct store *s)
{
	return s->ops->version(s);
}

int
store_roles(struct store *s, struct store_errbuf *err)
{
	if (s->ops->roles == NULL) {
		store_seterr(err, "database roles need a PostgreSQL database"
				  " ([database] url)");
		return STORE_EINVAL;
	}
	return s->ops->roles(s, err);
}

static int
store_simple(struct store *s, enum store_stmt id, const char *sql,
	     struct store_errbuf *err)
{
	struct store_q *q;
	int n;

	if ((q = store_stmt(s, id, sql, err)) == NULL)
		return STORE_EDB;
	return store_run(s, q, &n, sql, err);
}

int
store_begin(struct store *s, struct store_errbuf *err)
{
	return store_simple(s, ST_BEGIN, s->ops->begin_write, err);
}

int
store_commit(struct store *s, struct store_errbuf *err)
{
	return store_simple(s, ST_COMMIT, "COMMIT", err);
}

void
store_rollback(struct store *s)
{
	if (!s->ops->in_txn(s))
		return;
	if (store_simple(s, ST_ROLLBACK, "ROLLBACK", NULL) < 0)
		return; /* nothing more to do: the connection ends it */
}

int
store_read_begin(struct store *s, struct store_errbuf *err)
{
	if (s->ops->in_txn(s))
		return 0;
	if (store_simple(s, ST_READ_BEGIN, "BEGIN", err) < 0)
		return STORE_EDB;
	return 1;
}

void
store_read_end(struct store *s, int began)
{
	if (began <= 0 || !s->ops->in_txn(s))
		return;
	if (store_simple(s, ST_COMMIT, "COMMIT", NULL) < 0)
		store_rollback(s);
}

int
store_migrate(struct store *s, int *from, int *to, struct store_errbuf *err)
{
	int rc, v;

	if ((rc = store_begin(s, err)) < 0)
		return rc;
	/* Read inside the write transaction: two migrators can not race. */
	if ((rc = s->ops->lock_schema(s, err)) < 0)
		goto fail;
	if ((v = store_version(s)) < 0) {
		store_seterr(err, "cannot read the schema version");
		rc = STORE_EDB;
		goto fail;
	}
	if (from)
		*from = v;
	if (v > STORE_SCHEMA_VERSION) {
		store_seterr(err,
			     "database schema version %d is newer than "
			     "this program's %d",
			     v, STORE_SCHEMA_VERSION);
		rc = STORE_EVERSION;
		goto fail;
	}
	for (; v < STORE_SCHEMA_VERSION; v++)
		if ((rc = s->ops->run_step(s, v + 1, err)) < 0)
			goto fail;
	if ((rc = store_commit(s, err)) < 0)
		goto fail;
	if (to)
		*to = v;
	return 0;
fail:
	store_rollback(s);
	return rc;
}

/* ---- lookups ---- */

/* Steps a bound query for one row: STORE_FOUND with the statement left on
 * the row (caller reads, then store_stmt_done), or NOTFOUND / EDB after
 * resetting it. */
static int
store_row(struct store *s, struct store_q *st, const char *what,
	  struct store_errbuf *err)
{
	int rc;

	rc = store_step(s, st, what, err);
	if (rc == 1)
		return STORE_FOUND;
	if (rc == 0)
		rc = STORE_NOTFOUND;
	else
		rc = STORE_EDB;
	store_stmt_done(s, st);
	return rc;
}

static struct store_q *
store_key_stmt(struct store *s, enum store_stmt id, const char *sql,
	       const char *key, struct store_errbuf *err)
{
	struct store_q *st;

	if ((st = store_stmt(s, id, sql, err)) == NULL)
		return NULL;
	if (store_bind_text(s, st, 1, key) < 0) {
		store_seterr(err, "bind failed");
		store_stmt_done(s, st);
		return NULL;
	}
	return st;
}

int
store_domain_active(struct store *s, const char *domain,
		    struct store_errbuf *err)
{
	struct store_q *st;
	int rc;

	if (domain == NULL)
		return STORE_NOTFOUND;
	st = store_key_stmt(
	    s, ST_DOMAIN_ACTIVE,
	    "SELECT 1 FROM domains WHERE name = ?1 AND active = 1", domain,
	    err);
	if (st == NULL)
		return STORE_EDB;
	if ((rc = store_row(s, st, "domain lookup", err)) == STORE_FOUND)
		store_stmt_done(s, st);
	return rc;
}

static char *
store_coldup(struct store *s, struct store_q *st, int col, int *oom)
{
	const char *t = store_col_text(s, st, col);
	char *p;

	if (t == NULL)
		t = "";
	if ((p = strdup(t)) == NULL)
		*oom = 1;
	return p;
}

void
store_user_clear(struct store_user *u)
{
	free(u->address);
	free(u->domain);
	free(u->password);
	free(u->full_name);
	free(u->maildir);
	memset(u, 0, sizeof(*u));
	u->uid = u->gid = -1;
}

int
store_user_get(struct store *s, const char *address, struct store_user *u,
	       struct store_errbuf *err)
{
	struct store_q *st;
	int rc, oom = 0;

	memset(u, 0, sizeof(*u));
	if (address == NULL)
		return STORE_NOTFOUND;
	st = store_key_stmt(
	    s, ST_USER_GET,
	    "SELECT u.address, u.domain, u.password, u.full_name, u.maildir,"
	    " u.uid, u.gid, u.quota_bytes, u.quota_messages, u.active,"
	    " d.active, u.created"
	    " FROM users u JOIN domains d ON d.name = u.domain"
	    " WHERE u.address = ?1",
	    address, err);
	if (st == NULL)
		return STORE_EDB;
	if ((rc = store_row(s, st, "user lookup", err)) != STORE_FOUND)
		return rc;
	u->address = store_coldup(s, st, 0, &oom);
	u->domain = store_coldup(s, st, 1, &oom);
	u->password = store_coldup(s, st, 2, &oom);
	u->full_name = store_coldup(s, st, 3, &oom);
	u->maildir = store_coldup(s, st, 4, &oom);
	u->uid = store_col_int(s, st, 5);
	u->gid = store_col_int(s, st, 6);
	u->quota_bytes = store_col_int(s, st, 7);
	u->quota_messages = store_col_int(s, st, 8);
	u->active = (int)store_col_int(s, st, 9);
	u->domain_active = (int)store_col_int(s, st, 10);
	u->created = store_col_int(s, st, 11);
	store_stmt_done(s, st);
	if (oom) {
		store_user_clear(u);
		store_seterr(err, "out of memory");
		return STORE_EDB;
	}
	return STORE_FOUND;
}

int
store_mailbox_lookup(struct store *s, const char *address, struct buf *out,
		     struct store_errbuf *err)
{
	struct store_q *st;
	int rc;

	buf_reset(out);
	if (address == NULL)
		return STORE_NOTFOUND;
	st = store_key_stmt(
	    s, ST_MAILBOX,
	    "SELECT u.maildir FROM users u JOIN domains d ON d.name = u.domain"
	    " WHERE u.address = ?1 AND u.active = 1 AND d.active = 1",
	    address, err);
	if (st == NULL)
		return STORE_EDB;
	if ((rc = store_row(s, st, "mailbox lookup", err)) != STORE_FOUND)
		return rc;
	if (buf_adds(out, store_col_text(s, st, 0)) < 0) {
		store_seterr(err, "mailbox lookup: result too long");
		rc = STORE_EDB;
	}
	store_stmt_done(s, st);
	return rc;
}

int
store_alias_lookup(struct store *s, int virtual_, const char *key,
		   struct buf *out, struct store_errbuf *err)
{
	struct store_q *st;
	const char *d;
	int rc, n = 0;

	buf_reset(out);
	if (key == NULL)
		return STORE_NOTFOUND;
	if (virtual_)
		st = store_key_stmt(
		    s, ST_VALIAS,
		    "SELECT destination"
		    " FROM virtual_aliases WHERE address = ?1 AND active = 1"
		    " ORDER BY rowid",
		    key, err);
	else
		st = store_key_stmt(
		    s, ST_ALIAS,
		    "SELECT destination"
		    " FROM aliases WHERE alias = ?1 AND active = 1"
		    " ORDER BY rowid",
		    key, err);
	if (st == NULL)
		return STORE_EDB;
	while ((rc = store_step(s, st, "alias lookup", err)) == 1) {
		d = store_col_text(s, st, 0);
		if ((n++ > 0 && buf_addc(out, ',') < 0) ||
		    buf_adds(out, d ? d : "") < 0) {
			store_stmt_done(s, st);
			store_seterr(err, "alias lookup: result too long");
			return STORE_EDB;
		}
	}
	if (rc < 0)
		rc = STORE_EDB;
	else
		rc = n ? STORE_FOUND : STORE_NOTFOUND;
	store_stmt_done(s, st);
	return rc;
}

void
store_access_clear(struct store_access *a)
{
	free(a->pattern);
	free(a->action);
	free(a->enhanced);
	free(a->message);
	memset(a, 0, sizeof(*a));
}

/* Fills a from columns pattern, action, code, enhanced, message. */
static int
store_access_fill(struct store *s, struct store_q *st, struct store_access *a)
{
	int oom = 0;

	a->pattern = store_coldup(s, st, 0, &oom);
	a->action = store_coldup(s, st, 1, &oom);
	a->code = (int)store_col_int(s, st, 2);
	a->enhanced = store_coldup(s, st, 3, &oom);
	a->message = store_coldup(s, st, 4, &oom);
	if (oom) {
		store_access_clear(a);
		return -1;
	}
	return 0;
}

/* ?1 .. ?16: one statement looks up a whole access(5) walk (a sender's
 * and its client's keys, 5 to 12 for most mail) as a join of the keys,
 * numbered, against the table's primary key: an index search per key
 * inside one statement. Unused slots are NULL, which matches nothing.
 * The keys are CAST to CITEXT: PostgreSQL then compares them as its
 * citext column does (case-insensitively), and SQLite, for which the
 * type name gives TEXT affinity, compares them with the column's NOCASE.
 * Cheaper than an IN list (an ephemeral table each run) or ORDER BY (a
 * sorter): 4 us where 9 single-key statements took 6 (SQLite 3.40). */
#define STORE_ACC_SQL(table)                                                   \
	"SELECT pattern, action, code, enhanced, message, k.column2"           \
	" FROM (VALUES (CAST(?1 AS CITEXT), 1), (CAST(?2 AS CITEXT), 2),"      \
	" (CAST(?3 AS CITEXT), 3), (CAST(?4 AS CITEXT), 4),"                   \
	" (CAST(?5 AS CITEXT), 5), (CAST(?6 AS CITEXT), 6),"                   \
	" (CAST(?7 AS CITEXT), 7), (CAST(?8 AS CITEXT), 8),"                   \
	" (CAST(?9 AS CITEXT), 9), (CAST(?10 AS CITEXT), 10),"                 \
	" (CAST(?11 AS CITEXT), 11), (CAST(?12 AS CITEXT), 12),"               \
	" (CAST(?13 AS CITEXT), 13), (CAST(?14 AS CITEXT), 14),"               \
	" (CAST(?15 AS CITEXT), 15), (CAST(?16 AS CITEXT), 16)) AS k"          \
	" CROSS JOIN " table " WHERE pattern = k.column1 AND active = 1"

/* One statement over keys[0..n), n <= STORE_ACCESS_CHUNK: the row of
 * the first key that has one (of the rows, at most one a key, the one
 * with the lowest number), *which its index. */
static int
store_access_chunk(struct store *s, int recipient_, const char *const *keys,
		   size_t n, struct store_access *a, size_t *which,
		   struct store_errbuf *err)
{
	struct store_q *st;
	long long k, best = (long long)n + 1;
	size_t i;
	int rc;

	if (recipient_)
		st = store_stmt(s, ST_RACCESS,
				STORE_ACC_SQL("recipient_blacklist"), err);
	else
		st = store_stmt(s, ST_SACCESS,
				STORE_ACC_SQL("sender_blacklist"), err);
	if (st == NULL)
		return STORE_EDB;
	for (i = 0; i < STORE_ACCESS_CHUNK; i++)
		if (store_bind_text(s, st, (int)i + 1, i < n ? keys[i] : NULL) <
		    0) {
			store_seterr(err, "bind failed");
			store_stmt_done(s, st);
			return STORE_EDB;
		}
	while ((rc = store_step(s, st, "access lookup", err)) == 1) {
		if ((k = store_col_int(s, st, 5)) < 1 || k >= best)
			continue;
		store_access_clear(a);
		if (store_access_fill(s, st, a) < 0) {
			store_stmt_done(s, st);
			store_seterr(err, "out of memory");
			return STORE_EDB;
		}
		best = k;
	}
	store_stmt_done(s, st);
	if (rc < 0) {
		store_access_clear(a);
		return STORE_EDB;
	}
	if (best > (long long)n)
		return STORE_NOTFOUND;
	*which = (size_t)best - 1;
	return STORE_FOUND;
}

int
store_access_first(struct store *s, int recipient_, const char *const *keys,
		   size_t n, struct store_access *a, size_t *which,
		   struct store_errbuf *err)
{
	size_t i, m, w = 0;
	int began = 0, rc = STORE_NOTFOUND;

	memset(a, 0, sizeof(*a));
	if (n > STORE_ACCESS_CHUNK && (began = store_read_begin(s, err)) < 0)
		return STORE_EDB;
	for (i = 0; i < n; i += STORE_ACCESS_CHUNK) {
		m = n - i < STORE_ACCESS_CHUNK ? n - i : STORE_ACCESS_CHUNK;
		rc = store_access_chunk(s, recipient_, keys + i, m, a, &w, err);
		if (rc != STORE_NOTFOUND)
			break;
	}
	store_read_end(s, began);
	if (rc == STORE_FOUND && which != NULL)
		*which = i + w;
	return rc;
}

int
store_access_lookup(struct store *s, int recipient_, const char *key,
		    struct store_access *a, struct store_errbuf *err)
{
	memset(a, 0, sizeof(*a));
	if (key == NULL)
		return STORE_NOTFOUND;
	return store_access_first(s, recipient_, &key, 1, a, NULL, err);
}

int
store_access_ip_each(struct store *s,
		     int (*fn)(void *ctx, const struct store_access *a),
		     void *ctx, struct store_errbuf *err)
{
	struct store_access a;
	struct store_q *st;
	int rc, stop = 0;

	st = store_stmt(s, ST_IP_EACH,
			"SELECT pattern, action, code,"
			" enhanced, message FROM sender_blacklist"
			" WHERE kind = 'ip' AND active = 1 ORDER BY pattern",
			err);
	if (st == NULL)
		return STORE_EDB;
	while (!stop && (rc = store_step(s, st, "ip access list", err)) == 1) {
		if (store_access_fill(s, st, &a) < 0) {
			store_stmt_done(s, st);
			store_seterr(err, "out of memory");
			return STORE_EDB;
		}
		stop = fn(ctx, &a);
		store_access_clear(&a);
	}
	if (!stop && rc < 0)
		rc = STORE_EDB;
	else
		rc = 0;
	store_stmt_done(s, st);
	return rc;
}
