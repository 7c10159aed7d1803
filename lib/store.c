/* lib/store.c - the SQLite store: connection, schema migrations, the
 * statement cache and the lookups daemons make on their hot paths.
 * Administration (adds, deletes, listings) is in store_admin.c.
 *
 * SECURITY: every query is a fixed SQL text with bound parameters; no SQL
 * is ever built from a caller's string. Daemons open the file read-only
 * (SQLITE_OPEN_READONLY plus PRAGMA query_only). The schema's CHECKs are
 * the last line of defence: a maildir can never be absolute nor hold "..",
 * so a row can not send delivery outside the mail root. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "store_int.h"

/* Schema migrations: steps[i] takes user_version i to i + 1. A released
 * step is never edited; a change to the schema is a new step. */
static const char *const store_steps[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1: the first schema; see docs/schema.md. */
    "CREATE TABLE domains ("
    " name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE"
    "  CONSTRAINT \"domain name must be 1 to 253 characters\""
    "  CHECK (length(name) BETWEEN 1 AND 253 AND instr(name, '@') = 0),"
    " is_default INTEGER NOT NULL DEFAULT 0"
    "  CONSTRAINT \"is_default must be 0 or 1\" CHECK (is_default IN (0, 1)),"
    " active INTEGER NOT NULL DEFAULT 1"
    "  CONSTRAINT \"active must be 0 or 1\" CHECK (active IN (0, 1)),"
    " created INTEGER NOT NULL"
    "  DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)));"
    "CREATE TABLE users ("
    " address TEXT NOT NULL PRIMARY KEY COLLATE NOCASE"
    "  CONSTRAINT \"address must be local@domain\""
    "  CHECK (address LIKE '_%@_%'),"
    " domain TEXT NOT NULL COLLATE NOCASE"
    "  REFERENCES domains(name) ON UPDATE CASCADE ON DELETE RESTRICT,"
    " password TEXT NOT NULL"
    "  CONSTRAINT \"password hash must not be empty\""
    "  CHECK (length(password) > 0),"
    " full_name TEXT NOT NULL DEFAULT '',"
    " maildir TEXT NOT NULL"
    "  CONSTRAINT \"maildir must be relative, end in / and hold no ..\""
    "  CHECK (length(maildir) > 1 AND substr(maildir, 1, 1) <> '/'"
    "   AND substr(maildir, -1) = '/' AND instr(maildir, '..') = 0),"
    " uid INTEGER NOT NULL DEFAULT -1"
    "  CONSTRAINT \"uid must be -1 or positive\" CHECK (uid = -1 OR uid > 0),"
    " gid INTEGER NOT NULL DEFAULT -1"
    "  CONSTRAINT \"gid must be -1 or positive\" CHECK (gid = -1 OR gid > 0),"
    " quota_bytes INTEGER NOT NULL DEFAULT 0"
    "  CONSTRAINT \"quota must not be negative\" CHECK (quota_bytes >= 0),"
    " quota_messages INTEGER NOT NULL DEFAULT 0"
    "  CONSTRAINT \"quota must not be negative\" CHECK (quota_messages >= 0),"
    " active INTEGER NOT NULL DEFAULT 1"
    "  CONSTRAINT \"active must be 0 or 1\" CHECK (active IN (0, 1)),"
    " created INTEGER NOT NULL"
    "  DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),"
    " CONSTRAINT \"address must end in @domain\""
    "  CHECK (lower(substr(address, -length(domain) - 1)) ="
    "   '@' || lower(domain)));"
    "CREATE INDEX users_domain ON users(domain);"
    "CREATE TABLE aliases ("
    " alias TEXT NOT NULL COLLATE NOCASE"
    "  CONSTRAINT \"alias must not be empty\" CHECK (length(alias) > 0),"
    " destination TEXT NOT NULL"
    "  CONSTRAINT \"destination must not be empty\""
    "  CHECK (length(destination) > 0 AND instr(destination, ',') = 0),"
    " active INTEGER NOT NULL DEFAULT 1"
    "  CONSTRAINT \"active must be 0 or 1\" CHECK (active IN (0, 1)),"
    " PRIMARY KEY (alias, destination));"
    "CREATE TABLE virtual_aliases ("
    " address TEXT NOT NULL COLLATE NOCASE"
    "  CONSTRAINT \"address must be local@domain or @domain\""
    "  CHECK (address LIKE '%@_%'),"
    " destination TEXT NOT NULL"
    "  CONSTRAINT \"destination must not be empty\""
    "  CHECK (length(destination) > 0 AND instr(destination, ',') = 0),"
    " active INTEGER NOT NULL DEFAULT 1"
    "  CONSTRAINT \"active must be 0 or 1\" CHECK (active IN (0, 1)),"
    " PRIMARY KEY (address, destination));"
    "CREATE TABLE sender_blacklist ("
    " pattern TEXT NOT NULL PRIMARY KEY COLLATE NOCASE"
    "  CONSTRAINT \"pattern must not be empty\" CHECK (length(pattern) > 0),"
    " kind TEXT NOT NULL"
    "  CONSTRAINT \"kind must be address, domain or ip\""
    "  CHECK (kind IN ('address', 'domain', 'ip')),"
    " action TEXT NOT NULL DEFAULT 'REJECT'"
    "  CONSTRAINT \"action must be REJECT or OK\""
    "  CHECK (action IN ('REJECT', 'OK')),"
    " code INTEGER NOT NULL DEFAULT 0"
    "  CONSTRAINT \"code must be 400..599 for REJECT, 0 otherwise\""
    "  CHECK ((action = 'REJECT' AND code BETWEEN 400 AND 599)"
    "   OR (action <> 'REJECT' AND code = 0)),"
    " enhanced TEXT NOT NULL DEFAULT ''"
    "  CONSTRAINT \"enhanced code must be like 5.7.1 and match the code\""
    "  CHECK (enhanced = '' OR (enhanced GLOB '[45].[0-9]*.[0-9]*'"
    "   AND enhanced NOT GLOB '*[^0-9.]*'"
    "   AND substr(enhanced, 1, 1) = substr(CAST(code AS TEXT), 1, 1))),"
    " message TEXT NOT NULL DEFAULT ''"
    "  CONSTRAINT \"message must be one line\""
    "  CHECK (instr(message, char(10)) = 0 AND instr(message, char(13)) = 0),"
    " active INTEGER NOT NULL DEFAULT 1"
    "  CONSTRAINT \"active must be 0 or 1\" CHECK (active IN (0, 1)),"
    " created INTEGER NOT NULL"
    "  DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)));"
    "CREATE TABLE recipient_blacklist ("
    " pattern TEXT NOT NULL PRIMARY KEY COLLATE NOCASE"
    "  CONSTRAINT \"pattern must not be empty\" CHECK (length(pattern) > 0),"
    " action TEXT NOT NULL DEFAULT 'REJECT'"
    "  CONSTRAINT \"action must be REJECT, DISCARD, HOLD or OK\""
    "  CHECK (action IN ('REJECT', 'DISCARD', 'HOLD', 'OK')),"
    " code INTEGER NOT NULL DEFAULT 0"
    "  CONSTRAINT \"code must be 400..599 for REJECT, 0 otherwise\""
    "  CHECK ((action = 'REJECT' AND code BETWEEN 400 AND 599)"
    "   OR (action <> 'REJECT' AND code = 0)),"
    " enhanced TEXT NOT NULL DEFAULT ''"
    "  CONSTRAINT \"enhanced code must be like 5.7.1 and match the code\""
    "  CHECK (enhanced = '' OR (enhanced GLOB '[45].[0-9]*.[0-9]*'"
    "   AND enhanced NOT GLOB '*[^0-9.]*'"
    "   AND substr(enhanced, 1, 1) = substr(CAST(code AS TEXT), 1, 1))),"
    " message TEXT NOT NULL DEFAULT ''"
    "  CONSTRAINT \"message must be one line\""
    "  CHECK (instr(message, char(10)) = 0 AND instr(message, char(13)) = 0),"
    " active INTEGER NOT NULL DEFAULT 1"
    "  CONSTRAINT \"active must be 0 or 1\" CHECK (active IN (0, 1)),"
    " created INTEGER NOT NULL"
    "  DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)));"
    "CREATE TABLE dkim_keys ("
    " id INTEGER PRIMARY KEY,"
    " domain TEXT NOT NULL COLLATE NOCASE"
    "  CONSTRAINT \"domain must not be empty\" CHECK (length(domain) > 0),"
    " selector TEXT NOT NULL COLLATE NOCASE"
    "  CONSTRAINT \"selector must not be empty\""
    "  CHECK (length(selector) > 0),"
    " algorithm TEXT NOT NULL"
    "  CONSTRAINT \"algorithm must be rsa-sha256 or ed25519-sha256\""
    "  CHECK (algorithm IN ('rsa-sha256', 'ed25519-sha256')),"
    " key_path TEXT NOT NULL"
    "  CONSTRAINT \"key_path must be absolute\""
    "  CHECK (substr(key_path, 1, 1) = '/'),"
    " active INTEGER NOT NULL DEFAULT 1"
    "  CONSTRAINT \"active must be 0 or 1\" CHECK (active IN (0, 1)),"
    " created INTEGER NOT NULL"
    "  DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),"
    " UNIQUE (domain, selector));",
    /* 1 -> 2: Sieve vacation replies already sent (facteur-lmtp), so a
     * sender gets at most one per handle per :days (RFC 5230 4.2). */
    "CREATE TABLE vacation_sent ("
    " address TEXT NOT NULL COLLATE NOCASE"
    "  CONSTRAINT \"address must not be empty\" CHECK (length(address) > 0),"
    " sender TEXT NOT NULL COLLATE NOCASE"
    "  CONSTRAINT \"sender must not be empty\" CHECK (length(sender) > 0),"
    " handle TEXT NOT NULL,"
    " sent_at INTEGER NOT NULL,"
    " PRIMARY KEY (address, sender, handle));"
    "CREATE INDEX vacation_sent_at ON vacation_sent(sent_at);",
};

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

static int
store_dberr(struct store *s, struct store_errbuf *err, const char *what)
{
	store_seterr(err, "%s: %s", what, sqlite3_errmsg(s->db));
	return STORE_EDB;
}

sqlite3_stmt *
store_stmt(struct store *s, enum store_stmt id, const char *sql,
	   struct store_errbuf *err)
{
	if (s->st[id] == NULL &&
	    sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &s->st[id], NULL) != SQLITE_OK) {
		store_seterr(err, "prepare: %s", sqlite3_errmsg(s->db));
		s->st[id] = NULL;
	}
	return s->st[id];
}

void
store_stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int
store_bind_text(sqlite3_stmt *st, int idx, const char *v)
{
	int rc;

	if (v == NULL)
		rc = sqlite3_bind_null(st, idx);
	else
		rc = sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
	return rc == SQLITE_OK ? 0 : -1;
}

static int
store_map_constraint(int ext)
{
	switch (ext) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return STORE_EDUP;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return STORE_EREF;
	default: /* CHECK, NOTNULL, and anything the schema refuses */
		return STORE_EINVAL;
	}
}

int
store_run(struct store *s, sqlite3_stmt *st, int *changes, const char *what,
	  struct store_errbuf *err)
{
	int rc, ret = 0;

	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		*changes = sqlite3_changes(s->db);
	} else if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		ret = store_map_constraint(sqlite3_extended_errcode(s->db));
		store_seterr(err, "%s: %s", what, sqlite3_errmsg(s->db));
	} else {
		ret = store_dberr(s, err, what);
	}
	store_stmt_done(st);
	return ret;
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

/* Creates the file with mode 0640 if it is missing, so SQLite (which
 * creates with 0644 & ~umask) never makes a world-readable database, and
 * its -wal/-shm files (created with the database's mode) follow. */
static int
store_create_file(const char *path, struct store_errbuf *err)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0640);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		store_seterr(err, "%s: %s", path, strerror(errno));
		return STORE_EDB;
	}
	if (fchmod(fd, 0640) < 0) {
		store_seterr(err, "%s: chmod: %s", path, strerror(errno));
		close(fd);
		return STORE_EDB;
	}
	close(fd);
	return 0;
}

static int
store_pragmas(struct store *s, long long busy_ms, struct store_errbuf *err)
{
	const char *sql;
	int persist = 1;

	if (busy_ms < 0)
		busy_ms = 0;
	if (busy_ms > INT_MAX)
		busy_ms = INT_MAX;
	if (sqlite3_busy_timeout(s->db, (int)busy_ms) != SQLITE_OK)
		return store_dberr(s, err, "busy_timeout");
	/* Fixed texts, run once per connection: no user input here. */
	if (s->mode == STORE_RW)
		sql = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
		      " PRAGMA trusted_schema=OFF;"
		      " PRAGMA journal_size_limit=4194304;";
	else
		sql = "PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF;"
		      " PRAGMA query_only=ON;";
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_dberr(s, err, "pragma");
	/* Keep -wal and -shm when the writer closes: a read-only daemon (no
	 * write access to the directory) can then still open the database,
	 * which it could not if it had to create them. */
	if (s->mode == STORE_RW &&
	    sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL,
				 &persist) != SQLITE_OK)
		return store_dberr(s, err, "persist_wal");
	return 0;
}

int
store_open(const char *path, enum store_mode mode, long long busy_ms,
	   struct store **out, struct store_errbuf *err)
{
	struct store *s;
	int flags, rc, v;

	*out = NULL;
	if (mode == STORE_RW && (rc = store_create_file(path, err)) < 0)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		store_seterr(err, "out of memory");
		return STORE_EDB;
	}
	s->mode = mode;
	flags =
	    (mode == STORE_RW ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) |
	    SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		store_seterr(err, "%s: %s", path,
			     s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_free(&s);
		return STORE_EDB;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if ((rc = store_pragmas(s, busy_ms, err)) < 0) {
		store_free(&s);
		return rc;
	}
	if (mode == STORE_RO &&
	    (v = store_version(s)) != STORE_SCHEMA_VERSION) {
		if (v < 0)
			store_seterr(err,
				     "%s: cannot read the schema version: "
				     "%s",
				     path, sqlite3_errmsg(s->db));
		else
			store_seterr(
			    err,
			    "%s: schema version %d, this program "
			    "needs %d (run: facteur db init / db migrate)",
			    path, v, STORE_SCHEMA_VERSION);
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
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
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
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(s, ST_DATA_VERSION, "PRAGMA data_version", err);
	if (st == NULL)
		return STORE_EDB;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = store_dberr(s, err, "data_version");
		store_stmt_done(st);
		return rc;
	}
	stamp[0] = sqlite3_column_int64(st, 0);
	stamp[1] = (long long)sqlite3_total_changes(s->db);
	store_stmt_done(st);
	return 0;
}

int
store_version(struct store *s)
{
	sqlite3_stmt *st;
	int v = -1;

	if ((st = store_stmt(s, ST_VERSION, "PRAGMA user_version", NULL)) ==
	    NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	store_stmt_done(st);
	return v;
}

static int
store_simple(struct store *s, enum store_stmt id, const char *sql,
	     struct store_errbuf *err)
{
	sqlite3_stmt *st;
	int n;

	if ((st = store_stmt(s, id, sql, err)) == NULL)
		return STORE_EDB;
	return store_run(s, st, &n, sql, err);
}

int
store_begin(struct store *s, struct store_errbuf *err)
{
	return store_simple(s, ST_BEGIN, "BEGIN IMMEDIATE", err);
}

int
store_commit(struct store *s, struct store_errbuf *err)
{
	return store_simple(s, ST_COMMIT, "COMMIT", err);
}

void
store_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return;
	if (store_simple(s, ST_ROLLBACK, "ROLLBACK", NULL) < 0)
		return; /* nothing more to do: the connection ends it */
}

int
store_read_begin(struct store *s, struct store_errbuf *err)
{
	if (!sqlite3_get_autocommit(s->db))
		return 0;
	if (store_simple(s, ST_READ_BEGIN, "BEGIN", err) < 0)
		return STORE_EDB;
	return 1;
}

void
store_read_end(struct store *s, int began)
{
	if (began <= 0 || sqlite3_get_autocommit(s->db))
		return;
	if (store_simple(s, ST_COMMIT, "COMMIT", NULL) < 0)
		store_rollback(s);
}

int
store_migrate(struct store *s, int *from, int *to, struct store_errbuf *err)
{
	char set[64];
	int rc, v;

	if ((rc = store_begin(s, err)) < 0)
		return rc;
	/* Read inside the write transaction: two migrators can not race. */
	if ((v = store_version(s)) < 0) {
		rc = store_dberr(s, err, "user_version");
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
	for (; v < STORE_SCHEMA_VERSION; v++) {
		snprintf(set, sizeof(set), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(s->db, store_steps[v], NULL, NULL, NULL) !=
			SQLITE_OK ||
		    sqlite3_exec(s->db, set, NULL, NULL, NULL) != SQLITE_OK) {
			store_seterr(err, "migration to version %d: %s", v + 1,
				     sqlite3_errmsg(s->db));
			rc = STORE_EDB;
			goto fail;
		}
	}
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
store_row(struct store *s, sqlite3_stmt *st, const char *what,
	  struct store_errbuf *err)
{
	int rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return STORE_FOUND;
	if (rc != SQLITE_DONE)
		rc = store_dberr(s, err, what);
	else
		rc = STORE_NOTFOUND;
	store_stmt_done(st);
	return rc;
}

static sqlite3_stmt *
store_key_stmt(struct store *s, enum store_stmt id, const char *sql,
	       const char *key, struct store_errbuf *err)
{
	sqlite3_stmt *st;

	if ((st = store_stmt(s, id, sql, err)) == NULL)
		return NULL;
	if (store_bind_text(st, 1, key) < 0) {
		store_seterr(err, "bind: %s", sqlite3_errmsg(s->db));
		store_stmt_done(st);
		return NULL;
	}
	return st;
}

int
store_domain_active(struct store *s, const char *domain,
		    struct store_errbuf *err)
{
	sqlite3_stmt *st;
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
		store_stmt_done(st);
	return rc;
}

static char *
store_coldup(sqlite3_stmt *st, int col, int *oom)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	char *p;

	if (t == NULL)
		t = (const unsigned char *)"";
	if ((p = strdup((const char *)t)) == NULL)
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
	sqlite3_stmt *st;
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
	u->address = store_coldup(st, 0, &oom);
	u->domain = store_coldup(st, 1, &oom);
	u->password = store_coldup(st, 2, &oom);
	u->full_name = store_coldup(st, 3, &oom);
	u->maildir = store_coldup(st, 4, &oom);
	u->uid = sqlite3_column_int64(st, 5);
	u->gid = sqlite3_column_int64(st, 6);
	u->quota_bytes = sqlite3_column_int64(st, 7);
	u->quota_messages = sqlite3_column_int64(st, 8);
	u->active = sqlite3_column_int(st, 9);
	u->domain_active = sqlite3_column_int(st, 10);
	u->created = sqlite3_column_int64(st, 11);
	store_stmt_done(st);
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
	sqlite3_stmt *st;
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
	if (buf_adds(out, (const char *)sqlite3_column_text(st, 0)) < 0) {
		store_seterr(err, "mailbox lookup: result too long");
		rc = STORE_EDB;
	}
	store_stmt_done(st);
	return rc;
}

int
store_alias_lookup(struct store *s, int virtual_, const char *key,
		   struct buf *out, struct store_errbuf *err)
{
	sqlite3_stmt *st;
	const unsigned char *d;
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
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d = sqlite3_column_text(st, 0);
		if ((n++ > 0 && buf_addc(out, ',') < 0) ||
		    buf_adds(out, d ? (const char *)d : "") < 0) {
			store_stmt_done(st);
			store_seterr(err, "alias lookup: result too long");
			return STORE_EDB;
		}
	}
	if (rc != SQLITE_DONE)
		rc = store_dberr(s, err, "alias lookup");
	else
		rc = n ? STORE_FOUND : STORE_NOTFOUND;
	store_stmt_done(st);
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
store_access_fill(sqlite3_stmt *st, struct store_access *a)
{
	int oom = 0;

	a->pattern = store_coldup(st, 0, &oom);
	a->action = store_coldup(st, 1, &oom);
	a->code = sqlite3_column_int(st, 2);
	a->enhanced = store_coldup(st, 3, &oom);
	a->message = store_coldup(st, 4, &oom);
	if (oom) {
		store_access_clear(a);
		return -1;
	}
	return 0;
}

int
store_access_lookup(struct store *s, int recipient_, const char *key,
		    struct store_access *a, struct store_errbuf *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(a, 0, sizeof(*a));
	if (key == NULL)
		return STORE_NOTFOUND;
	if (recipient_)
		st = store_key_stmt(
		    s, ST_RACCESS,
		    "SELECT pattern, action,"
		    " code, enhanced, message FROM recipient_blacklist"
		    " WHERE pattern = ?1 AND active = 1",
		    key, err);
	else
		st = store_key_stmt(
		    s, ST_SACCESS,
		    "SELECT pattern, action,"
		    " code, enhanced, message FROM sender_blacklist"
		    " WHERE pattern = ?1 AND active = 1",
		    key, err);
	if (st == NULL)
		return STORE_EDB;
	if ((rc = store_row(s, st, "access lookup", err)) != STORE_FOUND)
		return rc;
	if (store_access_fill(st, a) < 0) {
		store_seterr(err, "out of memory");
		rc = STORE_EDB;
	}
	store_stmt_done(st);
	return rc;
}

int
store_access_ip_each(struct store *s,
		     int (*fn)(void *ctx, const struct store_access *a),
		     void *ctx, struct store_errbuf *err)
{
	struct store_access a;
	sqlite3_stmt *st;
	int rc, stop = 0;

	st = store_stmt(s, ST_IP_EACH,
			"SELECT pattern, action, code,"
			" enhanced, message FROM sender_blacklist"
			" WHERE kind = 'ip' AND active = 1 ORDER BY pattern",
			err);
	if (st == NULL)
		return STORE_EDB;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_access_fill(st, &a) < 0) {
			store_stmt_done(st);
			store_seterr(err, "out of memory");
			return STORE_EDB;
		}
		stop = fn(ctx, &a);
		store_access_clear(&a);
	}
	if (!stop && rc != SQLITE_DONE)
		rc = store_dberr(s, err, "ip access list");
	else
		rc = 0;
	store_stmt_done(st);
	return rc;
}
