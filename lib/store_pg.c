/* lib/store_pg.c - the PostgreSQL backend of lib/store ([database] url =
 * postgresql://...), through libpq. Maps lib/store's statement interface
 * (store_int.h) onto named prepared statements: each SQL text is prepared
 * once per connection (lazily, at its first run) and run with
 * PQexecPrepared; parameters travel apart from the SQL, as text.
 *
 * Reconnection: a statement that finds the connection broken resets it
 * (PQreset) and, outside a transaction, runs once more; the statements
 * are prepared again on the new connection (a generation counter tells
 * which are stale). If the server is still away the call fails with
 * STORE_EDB and the daemon answers as its on_error says; the next call
 * tries again. Inside a transaction nothing is retried: the caller's
 * transaction is gone and it must see the failure.
 *
 * SECURITY: fixed SQL texts with bound parameters only. STORE_RO
 * sessions start with default_transaction_read_only=on, so a daemon's
 * connection can not write even if its role could. Passwords come from
 * libpq's own sources (~/.pgpass, PGPASSFILE, a service file), never from
 * our command lines. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg_int.h"

#define PG_MAXPARAMS 16

struct store_pg {
	PGconn *conn;
	unsigned gen;	 /* bumped by each reconnection */
	unsigned nextid; /* names statements */
	struct store_q *has_schema, *version, *stamp;
};

struct store_q {
	char name[24];
	char *sql; /* with $n placeholders */
	int nparams;
	unsigned gen; /* the connection generation it is prepared in */
	char *vals[PG_MAXPARAMS];
	PGresult *res;
	int row, cur;
};

static PGconn *
pg_conn(struct store *s)
{
	return ((struct store_pg *)s->be)->conn;
}

/* ?n -> $n outside quoted strings; returns the highest n, or -1. */
static int
pg_convert(const char *sql, char *out)
{
	int quote = 0, max = 0, n;
	const char *p;

	for (p = sql; *p != '\0'; p++) {
		if (*p == '\'')
			quote = !quote;
		if (!quote && *p == '?' && p[1] >= '0' && p[1] <= '9') {
			*out++ = '$';
			n = (int)strtol(p + 1, NULL, 10);
			if (n > max)
				max = n;
			continue;
		}
		*out++ = *p;
	}
	*out = '\0';
	return max > PG_MAXPARAMS ? -1 : max;
}

static struct store_q *
pg_prepare(struct store *s, const char *sql, struct store_errbuf *err)
{
	struct store_pg *b = s->be;
	struct store_q *q;

	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->sql = malloc(strlen(sql) + 1)) == NULL) {
		free(q);
		store_seterr(err, "out of memory");
		return NULL;
	}
	if ((q->nparams = pg_convert(sql, q->sql)) < 0) {
		store_seterr(err, "prepare: too many parameters");
		free(q->sql);
		free(q);
		return NULL;
	}
	snprintf(q->name, sizeof(q->name), "facteur_%u", ++b->nextid);
	return q;
}

static void
pg_reset(struct store_q *q)
{
	int i;

	PQclear(q->res);
	q->res = NULL;
	q->row = q->cur = 0;
	for (i = 0; i < PG_MAXPARAMS; i++) {
		free(q->vals[i]);
		q->vals[i] = NULL;
	}
}

static void
pg_finalize(struct store *s, struct store_q *q)
{
	struct store_pg *b = s->be;
	char sql[64];

	if (q == NULL)
		return;
	/* A one-use statement would otherwise stay on the server for the
	 * connection's life. The name is ours. */
	if (b != NULL && !s->closing && q->gen == b->gen && q->gen != 0 &&
	    PQstatus(b->conn) == CONNECTION_OK &&
	    PQtransactionStatus(b->conn) == PQTRANS_IDLE) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", q->name);
		PQclear(PQexec(b->conn, sql));
	}
	pg_reset(q);
	free(q->sql);
	free(q);
}

static int
pg_bind_text(struct store_q *q, int idx, const char *v)
{
	if (idx < 1 || idx > PG_MAXPARAMS)
		return -1;
	free(q->vals[idx - 1]);
	q->vals[idx - 1] = NULL;
	if (v != NULL && (q->vals[idx - 1] = strdup(v)) == NULL)
		return -1;
	return 0;
}

static int
pg_bind_int(struct store_q *q, int idx, long long v)
{
	char n[32];

	snprintf(n, sizeof(n), "%lld", v);
	return pg_bind_text(q, idx, n);
}

/* libpq's messages span lines ("...\n\tIs the server running...\n");
 * ours are one line, for one log line. */
static void
pg_trim(struct store_errbuf *err)
{
	size_t i, n;

	if (err == NULL)
		return;
	n = strlen(err->msg);
	for (i = 0; i < n; i++)
		if (err->msg[i] == '\n' || err->msg[i] == '\t')
			err->msg[i] = ' ';
	while (n > 0 && err->msg[n - 1] == ' ')
		err->msg[--n] = '\0';
}

/* Maps a failed result to a store_err, with "what: message" in err. */
static int
pg_fail(struct store *s, PGresult *res, const char *what,
	struct store_errbuf *err)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (msg == NULL)
		msg = PQerrorMessage(pg_conn(s));
	store_seterr(err, "%s: %s", what, msg);
	pg_trim(err);
	if (state == NULL)
		return STORE_EDB;
	if (strcmp(state, "23505") == 0)
		return STORE_EDUP;
	if (strcmp(state, "23503") == 0)
		return STORE_EREF;
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		return STORE_EINVAL; /* CHECK, NOT NULL, bad values */
	return STORE_EDB;
}

static int
pg_reconnect(struct store *s, struct store_errbuf *err)
{
	struct store_pg *b = s->be;

	PQreset(b->conn);
	b->gen++;
	if (PQstatus(b->conn) != CONNECTION_OK) {
		store_seterr(err, "database connection: %s",
			     PQerrorMessage(b->conn));
		pg_trim(err);
		return STORE_EDB;
	}
	return 0;
}

/* Runs q once: a connection, the statement prepared on it, the result. */
static PGresult *
pg_exec(struct store *s, struct store_q *q, const char *what,
	struct store_errbuf *err, int *rc)
{
	struct store_pg *b = s->be;
	PGresult *res;

	*rc = STORE_EDB;
	if (PQstatus(b->conn) != CONNECTION_OK &&
	    (*rc = pg_reconnect(s, err)) < 0)
		return NULL;
	if (q->gen != b->gen) {
		res = PQprepare(b->conn, q->name, q->sql, q->nparams, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			*rc = pg_fail(s, res, what, err);
			PQclear(res);
			return NULL;
		}
		PQclear(res);
		q->gen = b->gen;
	}
	res = PQexecPrepared(b->conn, q->name, q->nparams,
			     (const char *const *)q->vals, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK)
		return res;
	*rc = pg_fail(s, res, what, err);
	PQclear(res);
	return NULL;
}

static int
pg_step(struct store *s, struct store_q *q, const char *what,
	struct store_errbuf *err)
{
	int idle, rc;

	if (q->res == NULL) {
		idle = PQtransactionStatus(pg_conn(s)) == PQTRANS_IDLE ||
		       PQstatus(pg_conn(s)) != CONNECTION_OK;
		q->res = pg_exec(s, q, what, err, &rc);
		/* The server went away under us (restart, failover): once
		 * more on a new connection, unless a transaction was open. */
		if (q->res == NULL && idle &&
		    PQstatus(pg_conn(s)) == CONNECTION_BAD)
			q->res = pg_exec(s, q, what, err, &rc);
		if (q->res == NULL)
			return rc;
		q->row = 0;
	}
	if (q->row < PQntuples(q->res)) {
		q->cur = q->row++;
		return 1;
	}
	return 0;
}

static const char *
pg_col_text(struct store_q *q, int col)
{
	if (q->res == NULL || PQgetisnull(q->res, q->cur, col))
		return NULL;
	return PQgetvalue(q->res, q->cur, col);
}

static long long
pg_col_int(struct store_q *q, int col)
{
	const char *v = pg_col_text(q, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

static int
pg_ncols(struct store_q *q)
{
	return q->res ? PQnfields(q->res) : 0;
}

static const char *
pg_col_name(struct store_q *q, int col)
{
	return q->res ? PQfname(q->res, col) : NULL;
}

static int
pg_changes(struct store *s, struct store_q *q)
{
	(void)s;
	return q->res ? atoi(PQcmdTuples(q->res)) : 0;
}

static int
pg_in_txn(struct store *s)
{
	PGTransactionStatusType t = PQtransactionStatus(pg_conn(s));

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

static void
pg_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* "relation already exists, skipping" and the like */
}

static int
pg_open(struct store *s, const char *url, long long busy_ms,
	struct store_errbuf *err)
{
	static const char *const keys[] = {
	    "dbname", "options", "connect_timeout", "application_name", NULL};
	const char *vals[5];
	char opts[128], tmo[32];
	struct store_pg *b;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		store_seterr(err, "out of memory");
		return STORE_EDB;
	}
	s->be = b;
	if (busy_ms < 0)
		busy_ms = 0;
	/* lock_timeout is SQLite's busy_timeout: how long a writer waits. */
	snprintf(opts, sizeof(opts), "-c lock_timeout=%lld%s", busy_ms,
		 s->mode == STORE_RO ? " -c default_transaction_read_only=on"
				     : "");
	snprintf(tmo, sizeof(tmo), "%lld", busy_ms / 1000 + 2);
	vals[0] = url;
	vals[1] = opts;
	vals[2] = tmo;
	vals[3] = "facteur";
	vals[4] = NULL;
	b->conn = PQconnectdbParams(keys, vals, 1);
	if (b->conn == NULL || PQstatus(b->conn) != CONNECTION_OK) {
		store_seterr(err, "%s",
			     b->conn ? PQerrorMessage(b->conn)
				     : "out of memory");
		pg_trim(err);
		return STORE_EDB;
	}
	PQsetNoticeProcessor(b->conn, pg_notice, NULL);
	b->gen = 1;
	return 0;
}

static void
pg_close(struct store *s)
{
	struct store_pg *b = s->be;

	if (b == NULL)
		return;
	pg_finalize(s, b->has_schema);
	pg_finalize(s, b->version);
	pg_finalize(s, b->stamp);
	PQfinish(b->conn);
	free(b);
	s->be = NULL;
}

/* Runs a cached one-integer query; -1 (err set) on error or no row. */
static long long
pg_int_query(struct store *s, struct store_q **q, const char *sql,
	     struct store_errbuf *err)
{
	long long v = -1;

	if (*q == NULL && (*q = pg_prepare(s, sql, err)) == NULL)
		return -1;
	if (pg_step(s, *q, "query", err) == 1)
		v = pg_col_int(*q, 0);
	pg_reset(*q);
	return v;
}

static int
pg_version(struct store *s)
{
	struct store_pg *b = s->be;
	long long v;

	v = pg_int_query(
	    s, &b->has_schema,
	    "SELECT CASE WHEN"
	    " to_regclass('facteur_schema') IS NULL THEN 0 ELSE 1 END",
	    NULL);
	if (v == 1)
		v = pg_int_query(
		    s, &b->version,
		    "SELECT coalesce(max(version), 0) FROM facteur_schema",
		    NULL);
	return (int)v;
}

/* A fixed text (DDL) as one simple query; 0 or STORE_EDB. */
static int
pg_exec_fixed(struct store *s, const char *sql, const char *what,
	      struct store_errbuf *err)
{
	PGresult *res = PQexec(pg_conn(s), sql);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_fail(s, res, what, err) < 0 ? STORE_EDB : 0;
	PQclear(res);
	return rc;
}

static int
pg_run_step(struct store *s, int to, struct store_errbuf *err)
{
	struct store_q *q;
	char what[64];
	int rc, n;

	snprintf(what, sizeof(what), "migration to version %d", to);
	if ((rc = pg_exec_fixed(s, store_pg_steps[to - 1], what, err)) < 0 ||
	    (rc = pg_exec_fixed(
		 s,
		 "CREATE TABLE IF NOT EXISTS facteur_schema"
		 " (version integer NOT NULL); DELETE FROM facteur_schema",
		 what, err)) < 0)
		return rc;
	if ((q = pg_prepare(s,
			    "INSERT INTO facteur_schema VALUES"
			    " (CAST(?1 AS integer))",
			    err)) == NULL)
		return STORE_EDB;
	if (pg_bind_int(q, 1, to) < 0)
		rc = STORE_EDB;
	else
		rc = pg_step(s, q, what, err);
	n = rc < 0 ? rc : 0;
	pg_finalize(s, q);
	return n;
}

static int
pg_lock_schema(struct store *s, struct store_errbuf *err)
{
	/* Two migrators on one database: the second waits for the first. */
	return pg_exec_fixed(s, "SELECT pg_advisory_xact_lock(4627327)",
			     "schema lock", err);
}

static int
pg_stamp(struct store *s, long long stamp[2], struct store_errbuf *err)
{
	struct store_pg *b = s->be;
	long long v;

	v = pg_int_query(s, &b->stamp, "SELECT n FROM facteur_stamp", err);
	if (v < 0)
		return STORE_EDB;
	stamp[0] = v;
	stamp[1] = 0;
	return 0;
}

static int
pg_roles(struct store *s, struct store_errbuf *err)
{
	return pg_exec_fixed(s, store_pg_roles_sql, "roles", err);
}

const struct store_ops store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .bind_text = pg_bind_text,
    .bind_int = pg_bind_int,
    .step = pg_step,
    .col_text = pg_col_text,
    .col_int = pg_col_int,
    .ncols = pg_ncols,
    .col_name = pg_col_name,
    .changes = pg_changes,
    .reset = pg_reset,
    .in_txn = pg_in_txn,
    .version = pg_version,
    .run_step = pg_run_step,
    .lock_schema = pg_lock_schema,
    .stamp = pg_stamp,
    .roles = pg_roles,
    .begin_write = "BEGIN",
};
