/* lib/store_sqlite.c - the SQLite backend of lib/store: one database file
 * per host, the embedded default ([database] path). The query code is in
 * store.c, store_admin.c and store_dkim.c; this file opens the file, runs
 * the schema's steps and maps lib/store's statement interface
 * (store_int.h) onto sqlite3_stmt.
 *
 * SECURITY: daemons open the file read-only (SQLITE_OPEN_READONLY plus
 * PRAGMA query_only). The file is created 0640 so the database is never
 * world-readable. The schema's CHECKs are the last line of defence: a
 * maildir can never be absolute nor hold "..", so a row can not send
 * delivery outside the mail root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

struct store_sqlite {
	sqlite3 *db;
	sqlite3_stmt *version; /* PRAGMA user_version */
	sqlite3_stmt *data_version;
};

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
    /* 2 -> 3: the Bayes tables, PostgreSQL only: on SQLite the tokens
     * stay in their own file (bayes.sqlite, lib/spam/bayes.c). */
    "",
};

static sqlite3 *
sq_db(struct store *s)
{
	return ((struct store_sqlite *)s->be)->db;
}

static inline sqlite3_stmt *
sq_st(struct store_q *q)
{
	return (sqlite3_stmt *)(void *)q;
}

static int
sq_err(struct store *s, struct store_errbuf *err, const char *what)
{
	store_seterr(err, "%s: %s", what, sqlite3_errmsg(sq_db(s)));
	return STORE_EDB;
}

/* Creates the file with mode 0640 if it is missing, so SQLite (which
 * creates with 0644 & ~umask) never makes a world-readable database, and
 * its -wal/-shm files (created with the database's mode) follow. */
static int
sq_create_file(const char *path, struct store_errbuf *err)
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
sq_pragmas(struct store *s, long long busy_ms, struct store_errbuf *err)
{
	const char *sql;
	int persist = 1;

	if (busy_ms < 0)
		busy_ms = 0;
	if (busy_ms > INT_MAX)
		busy_ms = INT_MAX;
	if (sqlite3_busy_timeout(sq_db(s), (int)busy_ms) != SQLITE_OK)
		return sq_err(s, err, "busy_timeout");
	/* Fixed texts, run once per connection: no user input here. */
	if (s->mode == STORE_RW)
		sql = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
		      " PRAGMA trusted_schema=OFF;"
		      " PRAGMA journal_size_limit=4194304;";
	else
		sql = "PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF;"
		      " PRAGMA query_only=ON;";
	if (sqlite3_exec(sq_db(s), sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_err(s, err, "pragma");
	/* Keep -wal and -shm when the writer closes: a read-only daemon (no
	 * write access to the directory) can then still open the database,
	 * which it could not if it had to create them. */
	if (s->mode == STORE_RW &&
	    sqlite3_file_control(sq_db(s), "main", SQLITE_FCNTL_PERSIST_WAL,
				 &persist) != SQLITE_OK)
		return sq_err(s, err, "persist_wal");
	return 0;
}

static int
sq_open(struct store *s, const char *path, long long busy_ms,
	struct store_errbuf *err)
{
	struct store_sqlite *b;
	int flags, rc;

	if (s->mode == STORE_RW && (rc = sq_create_file(path, err)) < 0)
		return rc;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		store_seterr(err, "out of memory");
		return STORE_EDB;
	}
	s->be = b;
	flags = (s->mode == STORE_RW ? SQLITE_OPEN_READWRITE
				     : SQLITE_OPEN_READONLY) |
		SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &b->db, flags, NULL) != SQLITE_OK) {
		store_seterr(err, "%s: %s", path,
			     b->db ? sqlite3_errmsg(b->db) : "out of memory");
		return STORE_EDB;
	}
	sqlite3_extended_result_codes(b->db, 1);
	return sq_pragmas(s, busy_ms, err);
}

static void
sq_close(struct store *s)
{
	struct store_sqlite *b = s->be;

	if (b == NULL)
		return;
	sqlite3_finalize(b->version);
	sqlite3_finalize(b->data_version);
	sqlite3_close(b->db);
	free(b);
	s->be = NULL;
}

static struct store_q *
sq_prepare(struct store *s, const char *sql, struct store_errbuf *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(sq_db(s), sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &st, NULL) != SQLITE_OK) {
		store_seterr(err, "prepare: %s", sqlite3_errmsg(sq_db(s)));
		sqlite3_finalize(st);
		return NULL;
	}
	return (struct store_q *)(void *)st;
}

static void
sq_finalize(struct store *s, struct store_q *q)
{
	(void)s;
	sqlite3_finalize(sq_st(q));
}

static int
sq_bind_text(struct store_q *q, int idx, const char *v)
{
	int rc;

	if (v == NULL)
		rc = sqlite3_bind_null(sq_st(q), idx);
	else
		rc = sqlite3_bind_text(sq_st(q), idx, v, -1, SQLITE_TRANSIENT);
	return rc == SQLITE_OK ? 0 : -1;
}

static int
sq_bind_int(struct store_q *q, int idx, long long v)
{
	return sqlite3_bind_int64(sq_st(q), idx, v) == SQLITE_OK ? 0 : -1;
}

static int
sq_map_constraint(int ext)
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

static int
sq_step(struct store *s, struct store_q *q, const char *what,
	struct store_errbuf *err)
{
	int rc;

	rc = sqlite3_step(sq_st(q));
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_seterr(err, "%s: %s", what, sqlite3_errmsg(sq_db(s)));
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return sq_map_constraint(sqlite3_extended_errcode(sq_db(s)));
	return STORE_EDB;
}

static const char *
sq_col_text(struct store_q *q, int col)
{
	return (const char *)sqlite3_column_text(sq_st(q), col);
}

static long long
sq_col_int(struct store_q *q, int col)
{
	return sqlite3_column_int64(sq_st(q), col);
}

static int
sq_ncols(struct store_q *q)
{
	return sqlite3_column_count(sq_st(q));
}

static const char *
sq_col_name(struct store_q *q, int col)
{
	return sqlite3_column_name(sq_st(q), col);
}

static int
sq_changes(struct store *s, struct store_q *q)
{
	(void)q;
	return sqlite3_changes(sq_db(s));
}

static void
sq_reset(struct store_q *q)
{
	sqlite3_reset(sq_st(q));
	sqlite3_clear_bindings(sq_st(q));
}

static int
sq_in_txn(struct store *s)
{
	return !sqlite3_get_autocommit(sq_db(s));
}

/* Steps a cached one-integer PRAGMA; -1 on error. */
static long long
sq_pragma_int(struct store *s, sqlite3_stmt **st, const char *sql)
{
	long long v = -1;

	if (*st == NULL &&
	    sqlite3_prepare_v3(sq_db(s), sql, -1, SQLITE_PREPARE_PERSISTENT, st,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
		return -1;
	}
	if (sqlite3_step(*st) == SQLITE_ROW)
		v = sqlite3_column_int64(*st, 0);
	sqlite3_reset(*st);
	return v;
}

static int
sq_version(struct store *s)
{
	struct store_sqlite *b = s->be;

	return (int)sq_pragma_int(s, &b->version, "PRAGMA user_version");
}

static int
sq_run_step(struct store *s, int to, struct store_errbuf *err)
{
	char set[64];

	snprintf(set, sizeof(set), "PRAGMA user_version = %d", to);
	if (sqlite3_exec(sq_db(s), store_steps[to - 1], NULL, NULL, NULL) !=
		SQLITE_OK ||
	    sqlite3_exec(sq_db(s), set, NULL, NULL, NULL) != SQLITE_OK) {
		store_seterr(err, "migration to version %d: %s", to,
			     sqlite3_errmsg(sq_db(s)));
		return STORE_EDB;
	}
	return 0;
}

static int
sq_lock_schema(struct store *s, struct store_errbuf *err)
{
	(void)s;
	(void)err;
	return 0; /* BEGIN IMMEDIATE already holds the write lock */
}

/* PRAGMA data_version moves when another connection commits;
 * sqlite3_total_changes when this one writes. */
static int
sq_stamp(struct store *s, long long stamp[2], struct store_errbuf *err)
{
	struct store_sqlite *b = s->be;
	long long v;

	if ((v = sq_pragma_int(s, &b->data_version, "PRAGMA data_version")) < 0)
		return sq_err(s, err, "data_version");
	stamp[0] = v;
	stamp[1] = (long long)sqlite3_total_changes(sq_db(s));
	return 0;
}

static int
sq_count(unsigned type, void *ctx, void *p, void *x)
{
	(void)type;
	(void)p;
	(void)x;
	++*(unsigned long long *)ctx;
	return 0;
}

int
store_count_statements(struct store *s, unsigned long long *counter)
{
	if (s->ops != &store_sqlite_ops)
		return -1;
	sqlite3_trace_v2(sq_db(s), counter ? SQLITE_TRACE_STMT : 0,
			 counter ? sq_count : NULL, counter);
	return 0;
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .bind_text = sq_bind_text,
    .bind_int = sq_bind_int,
    .step = sq_step,
    .col_text = sq_col_text,
    .col_int = sq_col_int,
    .ncols = sq_ncols,
    .col_name = sq_col_name,
    .changes = sq_changes,
    .reset = sq_reset,
    .in_txn = sq_in_txn,
    .version = sq_version,
    .run_step = sq_run_step,
    .lock_schema = sq_lock_schema,
    .stamp = sq_stamp,
    .roles = NULL,
    .begin_write = "BEGIN IMMEDIATE",
};
