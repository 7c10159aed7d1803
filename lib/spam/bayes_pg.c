/* lib/spam/bayes_pg.c - bayes.h's storage on PostgreSQL (bayes_pg.h):
 * the bayes_tokens, bayes_seen and bayes_totals tables of lib/store's
 * schema, through libpq, with the SQLite file's semantics.
 *
 * Reading: one prepared statement per message gives the totals and the
 * counts of every token of the message (h = ANY($1::bigint[])): one round
 * trip and one snapshot, results in binary (no number parsing).
 *
 * Writing: concurrent learners on several hosts. A learn is one
 * transaction that first claims the message's digest (INSERT ... ON
 * CONFLICT DO NOTHING, or the row locked FOR UPDATE), so two learners of
 * the same message serialise on that row and the second finds it known;
 * counts then move with single statements (spam = spam + 1), never read
 * then written. Rows are locked in one order (the digest, the tokens in
 * ascending signed order, the totals row last), so learners do not
 * deadlock; should the server still report one, the learn is retried.
 *
 * Reconnection: a statement that finds the connection gone resets it and,
 * outside a transaction, runs once more (statements are prepared again).
 *
 * SECURITY: fixed SQL texts, bound parameters. Read handles are
 * read-only sessions; the read-write handle turns the session default
 * off (a facteur_milter role's default is read-only; its grants allow
 * writing the bayes tables only). */
#include "bayes_pg.h"

#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

enum {
	PQ_SCORE,
	PQ_SEEN,
	PQ_SEEN_NEW,
	PQ_SEEN_LOCK,
	PQ_SEEN_SET,
	PQ_SEEN_DEL,
	PQ_ADD,
	PQ_SUB,
	PQ_DEL_EMPTY,
	PQ_TOTALS,
	PQ_STATS,
	PQ_COUNT
};

static const struct {
	const char *sql;
	int nparams;
} pq_sql[PQ_COUNT] = {
    [PQ_SCORE] = {"SELECT 0, nspam, nham FROM bayes_totals WHERE id = 1"
		  " UNION ALL SELECT 1, spam, ham FROM bayes_tokens"
		  " WHERE h = ANY($1::bigint[])",
		  1},
    [PQ_SEEN] = {"SELECT is_spam FROM bayes_seen WHERE digest = $1", 1},
    [PQ_SEEN_NEW] =
	{"INSERT INTO bayes_seen(digest, is_spam)"
	 " VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING RETURNING is_spam",
	 2},
    [PQ_SEEN_LOCK] = {"SELECT is_spam FROM bayes_seen WHERE digest = $1"
		      " FOR UPDATE",
		      1},
    [PQ_SEEN_SET] = {"UPDATE bayes_seen SET is_spam = $2"
		     " WHERE digest = $1",
		     2},
    [PQ_SEEN_DEL] = {"DELETE FROM bayes_seen WHERE digest = $1"
		     " RETURNING is_spam",
		     1},
    /* unnest keeps the array's order: rows are locked in it */
    [PQ_ADD] = {"INSERT INTO bayes_tokens(h, spam, ham, atime)"
		" SELECT u.h, $2, $3, $4 FROM unnest($1::bigint[]) AS u(h)"
		" ON CONFLICT (h) DO UPDATE SET spam = bayes_tokens.spam +"
		" excluded.spam, ham = bayes_tokens.ham + excluded.ham,"
		" atime = excluded.atime",
		4},
    [PQ_SUB] = {"UPDATE bayes_tokens SET spam = greatest(spam - $2, 0),"
		" ham = greatest(ham - $3, 0) WHERE h = ANY($1::bigint[])",
		3},
    [PQ_DEL_EMPTY] = {"DELETE FROM bayes_tokens WHERE h = ANY($1::bigint[])"
		      " AND spam = 0 AND ham = 0",
		      1},
    [PQ_TOTALS] = {"UPDATE bayes_totals SET nspam = greatest(nspam + $1, 0),"
		   " nham = greatest(nham + $2, 0) WHERE id = 1",
		   2},
    /* atime is set when a message is learned: the newest is the time of
     * the last learn */
    [PQ_STATS] = {"SELECT nspam, nham, (SELECT count(*) FROM bayes_tokens),"
		  " (SELECT coalesce(max(atime), 0) FROM bayes_tokens)"
		  " FROM bayes_totals WHERE id = 1",
		  0},
};

struct bayes_pg {
	PGconn *c;
	int rw;
	int prepared;  /* on the current connection */
	int busy_ms;   /* the session's lock_timeout */
	int busy_open; /* ... as a new connection starts */
};

/* One call's parameters: text, except a 32-byte digest sent binary. */
struct pq_args {
	const char *v[4];
	int len[4];
	int fmt[4];
};

static void
pq_err(char *err, size_t errlen, struct bayes_pg *p, PGresult *res)
{
	const char *m = res != NULL
			    ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
			    : NULL;
	size_t n;

	if (err == NULL || errlen == 0)
		return;
	snprintf(err, errlen, "bayes: %s",
		 m != NULL		     ? m
		 : p != NULL && p->c != NULL ? PQerrorMessage(p->c)
					     : "out of memory");
	n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
}

static void
pq_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int
pq_prepare_all(struct bayes_pg *p)
{
	PGresult *res;
	char name[16];
	int i, ok;

	for (i = 0; i < PQ_COUNT; i++) {
		/* a read-only handle prepares the reads only */
		if (!p->rw && i != PQ_SCORE && i != PQ_SEEN && i != PQ_STATS)
			continue;
		snprintf(name, sizeof(name), "bayes_%d", i);
		res = PQprepare(p->c, name, pq_sql[i].sql, pq_sql[i].nparams,
				NULL);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!ok)
			return -1;
	}
	p->prepared = 1;
	return 0;
}

int
bayes_pg_open(const char *url, int rw, int busy_ms, struct bayes_pg **out,
	      char *err, size_t errlen)
{
	static const char *const keys[] = {"dbname", "options",
					   "connect_timeout",
					   "fallback_application_name", NULL};
	const char *vals[5];
	char opts[128], tmo[32];
	struct bayes_pg *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		pq_err(err, errlen, NULL, NULL);
		return -1;
	}
	p->rw = rw;
	p->busy_ms = p->busy_open = busy_ms > 0 ? busy_ms : 0;
	snprintf(opts, sizeof(opts),
		 "-c lock_timeout=%d -c "
		 "default_transaction_read_only=%s",
		 busy_ms > 0 ? busy_ms : 0, rw ? "off" : "on");
	/* a reader gives up soon: the message is scored without Bayes */
	snprintf(tmo, sizeof(tmo), "%d", rw ? busy_ms / 1000 + 2 : 2);
	vals[0] = url;
	vals[1] = opts;
	vals[2] = tmo;
	vals[3] = "facteur-bayes";
	vals[4] = NULL;
	p->c = PQconnectdbParams(keys, vals, 1);
	if (p->c == NULL || PQstatus(p->c) != CONNECTION_OK ||
	    pq_prepare_all(p) < 0) {
		pq_err(err, errlen, p, NULL);
		bayes_pg_close(&p);
		return -1;
	}
	PQsetNoticeProcessor(p->c, pq_notice, NULL);
	*out = p;
	return 0;
}

void
bayes_pg_close(struct bayes_pg **pp)
{
	if (*pp == NULL)
		return;
	PQfinish((*pp)->c);
	free(*pp);
	*pp = NULL;
}

void
bayes_pg_set_busy(struct bayes_pg *p, int busy_ms)
{
	char sql[64];

	/* auto-learn sets it before each message: a round trip only when it
	 * changes (a reset connection starts again from the URL's options) */
	busy_ms = busy_ms > 0 ? busy_ms : 0;
	if (busy_ms == p->busy_ms)
		return;
	snprintf(sql, sizeof(sql), "SET lock_timeout = %d", busy_ms);
	PQclear(PQexec(p->c, sql));
	p->busy_ms = busy_ms;
}

/* Runs statement id; a lost connection is reset and, outside a
 * transaction, the statement runs once more. NULL on failure (*res_err
 * then holds the failed result, or NULL). */
static PGresult *
pq_run(struct bayes_pg *p, int id, const struct pq_args *a, int binary,
       PGresult **res_err)
{
	PGresult *res = NULL;
	char name[16];
	int try, st, idle;

	*res_err = NULL;
	snprintf(name, sizeof(name), "bayes_%d", id);
	for (try = 0; try < 2; try++) {
		if (PQstatus(p->c) != CONNECTION_OK) {
			PQreset(p->c);
			p->busy_ms = p->busy_open;
			p->prepared = 0;
			if (PQstatus(p->c) != CONNECTION_OK ||
			    pq_prepare_all(p) < 0)
				return NULL;
		}
		idle = PQtransactionStatus(p->c) == PQTRANS_IDLE;
		res = PQexecPrepared(p->c, name, pq_sql[id].nparams,
				     a != NULL ? a->v : NULL,
				     a != NULL ? a->len : NULL,
				     a != NULL ? a->fmt : NULL, binary);
		st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
			return res;
		if (PQstatus(p->c) == CONNECTION_OK || !idle || try > 0)
			break;
		PQclear(res);
		res = NULL;
	}
	*res_err = res;
	return NULL;
}

static int
pq_exec(struct bayes_pg *p, const char *sql)
{
	PGresult *res = PQexec(p->c, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	return ok ? 0 : -1;
}

static void
pq_digest(struct pq_args *a, int i, const unsigned char digest[32])
{
	a->v[i] = (const char *)digest;
	a->len[i] = 32;
	a->fmt[i] = 1;
}

int
bayes_pg_seen(struct bayes_pg *p, const unsigned char digest[32])
{
	struct pq_args a = {{0}};
	PGresult *res, *bad;
	int cls;

	pq_digest(&a, 0, digest);
	if ((res = pq_run(p, PQ_SEEN, &a, 0, &bad)) == NULL) {
		PQclear(bad);
		return -2;
	}
	cls = PQntuples(res) == 0 ? -1 : atoi(PQgetvalue(res, 0, 0)) ? 1 : 0;
	PQclear(res);
	return cls;
}

/* "{h,h,...}" in ascending signed order (t->h is sorted unsigned: the
 * values with the top bit set, negative as bigint, come first). */
static char *
pq_array(const struct bayes_tokens *t)
{
	size_t i, k, n = 1, cap = t->n * 21 + 3;
	char *s;

	if ((s = malloc(cap)) == NULL)
		return NULL;
	s[0] = '{';
	for (k = 0; k < t->n && t->h[k] < ((uint64_t)1 << 63); k++)
		;
	for (i = 0; i < t->n; i++) {
		uint64_t h = t->h[(k + i) % t->n];

		n += (size_t)snprintf(s + n, cap - n, "%s%lld", i ? "," : "",
				      (long long)(int64_t)h);
	}
	s[n++] = '}';
	s[n] = '\0';
	return s;
}

int
bayes_pg_lookup(struct bayes_pg *p, const struct bayes_tokens *t,
		long long *nspam, long long *nham, long long *cnt, size_t *n)
{
	struct pq_args a = {{0}};
	PGresult *res, *bad;
	int i, rows, got = 0;
	uint64_t v[2];
	char *arr;

	*nspam = *nham = 0;
	*n = 0;
	if ((arr = pq_array(t)) == NULL)
		return -1;
	a.v[0] = arr;
	res = pq_run(p, PQ_SCORE, &a, 1, &bad);
	free(arr);
	if (res == NULL) {
		PQclear(bad);
		return -1;
	}
	rows = PQntuples(res);
	for (i = 0; i < rows; i++) {
		if (PQgetlength(res, i, 0) != 4 ||
		    PQgetlength(res, i, 1) != 8 || PQgetlength(res, i, 2) != 8)
			break;
		memcpy(&v[0], PQgetvalue(res, i, 1), 8);
		memcpy(&v[1], PQgetvalue(res, i, 2), 8);
		v[0] = be64toh(v[0]);
		v[1] = be64toh(v[1]);
		if (PQgetvalue(res, i, 0)[3] == 0) {
			*nspam = (long long)v[0];
			*nham = (long long)v[1];
			got = 1;
		} else if (*n < t->n) {
			cnt[2 * *n] = (long long)v[0];
			cnt[2 * *n + 1] = (long long)v[1];
			(*n)++;
		}
	}
	PQclear(res);
	return i == rows && got ? 0 : -1;
}

int
bayes_pg_stats(struct bayes_pg *p, struct bayes_stats *st)
{
	PGresult *res, *bad;
	int ok;

	memset(st, 0, sizeof(*st));
	if ((res = pq_run(p, PQ_STATS, NULL, 0, &bad)) == NULL) {
		PQclear(bad);
		return -1;
	}
	if ((ok = PQntuples(res) == 1)) {
		st->nspam = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		st->nham = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		st->ntokens = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		st->last_learn = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	}
	PQclear(res);
	return ok ? 0 : -1;
}

/* Runs a write statement of a learn; -1 with err, -2 when the server
 * chose this transaction as a deadlock's victim (retry). */
static int
pq_step(struct bayes_pg *p, int id, const struct pq_args *a, PGresult **out,
	char *err, size_t errlen)
{
	PGresult *res, *bad;
	const char *state;
	int rc = -1;

	if ((res = pq_run(p, id, a, 0, &bad)) != NULL) {
		if (out != NULL)
			*out = res;
		else
			PQclear(res);
		return 0;
	}
	state = bad != NULL ? PQresultErrorField(bad, PG_DIAG_SQLSTATE) : NULL;
	if (state != NULL &&
	    (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0))
		rc = -2;
	pq_err(err, errlen, p, bad);
	PQclear(bad);
	return rc;
}

/* The class the digest has, claimed for this transaction: the row is
 * inserted as to (prev -1) or locked (prev its class). */
static int
pq_claim(struct bayes_pg *p, const unsigned char digest[32], int to, int *prev,
	 char *err, size_t errlen)
{
	struct pq_args a = {{0}};
	char cls[2] = {(char)('0' + to), '\0'};
	PGresult *res;
	int rc, try;

	pq_digest(&a, 0, digest);
	a.v[1] = cls;
	for (try = 0; try < 3; try++) {
		if ((rc = pq_step(p, PQ_SEEN_NEW, &a, &res, err, errlen)) < 0)
			return rc;
		rc = PQntuples(res);
		PQclear(res);
		*prev = -1;
		if (rc == 1)
			return 0;
		/* known: lock it (a forget may have taken it meanwhile) */
		if ((rc = pq_step(p, PQ_SEEN_LOCK, &a, &res, err, errlen)) < 0)
			return rc;
		if (PQntuples(res) == 1)
			*prev = atoi(PQgetvalue(res, 0, 0)) ? 1 : 0;
		PQclear(res);
		if (*prev >= 0)
			return 0;
	}
	snprintf(err, errlen, "bayes: the message's row keeps changing");
	return -1;
}

/* Adds (sign 1) or removes (-1) one message's tokens of class cls. */
static int
pq_move(struct bayes_pg *p, const char *arr, int cls, int sign, char *err,
	size_t errlen)
{
	struct pq_args a = {{0}};
	char now[32];
	int rc;

	a.v[0] = arr;
	a.v[1] = cls ? "1" : "0";
	a.v[2] = cls ? "0" : "1";
	if (sign > 0) {
		snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
		a.v[3] = now;
		return pq_step(p, PQ_ADD, &a, NULL, err, errlen);
	}
	if ((rc = pq_step(p, PQ_SUB, &a, NULL, err, errlen)) < 0)
		return rc;
	a.v[1] = a.v[2] = NULL;
	return pq_step(p, PQ_DEL_EMPTY, &a, NULL, err, errlen);
}

/* One attempt, inside the caller's BEGIN: 1 changed, 0 nothing to do,
 * -1 error, -2 deadlock victim. */
static int
pq_change_txn(struct bayes_pg *p, const char *arr,
	      const unsigned char digest[32], int to, int only_new, char *err,
	      size_t errlen)
{
	struct pq_args a = {{0}};
	char cls[2] = {(char)('0' + (to > 0)), '\0'}, ds[8], dh[8];
	PGresult *res;
	int rc, prev = -1;

	pq_digest(&a, 0, digest);
	if (to >= 0) {
		if ((rc = pq_claim(p, digest, to, &prev, err, errlen)) < 0)
			return rc;
		if (prev == to || (only_new && prev >= 0))
			return 0;
		a.v[1] = cls;
		if (prev >= 0 &&
		    (rc = pq_step(p, PQ_SEEN_SET, &a, NULL, err, errlen)) < 0)
			return rc;
	} else {
		if ((rc = pq_step(p, PQ_SEEN_DEL, &a, &res, err, errlen)) < 0)
			return rc;
		if (PQntuples(res) == 1)
			prev = atoi(PQgetvalue(res, 0, 0)) ? 1 : 0;
		PQclear(res);
		if (prev < 0)
			return 0;
	}
	if ((prev >= 0 && (rc = pq_move(p, arr, prev, -1, err, errlen)) < 0) ||
	    (to >= 0 && (rc = pq_move(p, arr, to, 1, err, errlen)) < 0))
		return rc;
	memset(&a, 0, sizeof(a));
	snprintf(ds, sizeof(ds), "%d", (to == 1) - (prev == 1));
	snprintf(dh, sizeof(dh), "%d", (to == 0) - (prev == 0));
	a.v[0] = ds;
	a.v[1] = dh;
	if ((rc = pq_step(p, PQ_TOTALS, &a, NULL, err, errlen)) < 0)
		return rc;
	return 1;
}

int
bayes_pg_change(struct bayes_pg *p, const struct bayes_tokens *t,
		const unsigned char digest[32], int to, int only_new, char *err,
		size_t errlen)
{
	char *arr;
	int rc = -1, try;

	if (!p->rw) {
		snprintf(err, errlen, "bayes: opened read-only");
		return -1;
	}
	if ((arr = pq_array(t)) == NULL) {
		pq_err(err, errlen, NULL, NULL);
		return -1;
	}
	for (try = 0; try < 3; try++) {
		if (PQstatus(p->c) != CONNECTION_OK) {
			PQreset(p->c);
			p->busy_ms = p->busy_open;
			if (PQstatus(p->c) != CONNECTION_OK ||
			    pq_prepare_all(p) < 0) {
				pq_err(err, errlen, p, NULL);
				break;
			}
		}
		if (pq_exec(p, "BEGIN") < 0) {
			pq_err(err, errlen, p, NULL);
			rc = -1;
			continue;
		}
		rc = pq_change_txn(p, arr, digest, to, only_new, err, errlen);
		if (rc >= 0 && pq_exec(p, "COMMIT") == 0)
			break;
		if (rc >= 0) {
			pq_err(err, errlen, p, NULL);
			rc = -1;
		}
		(void)pq_exec(p, "ROLLBACK");
		if (rc != -2)
			break;
		rc = -1; /* a deadlock's victim: once more */
	}
	free(arr);
	return rc;
}

/* ---- bayes_copy(), the PostgreSQL side ---- */

void
bayes_pg_rollback(struct bayes_pg *p)
{
	(void)pq_exec(p, "ROLLBACK");
}

static PGresult *
pq_once(struct bayes_pg *p, const char *sql, int n, const char *const *v,
	char *err, size_t errlen)
{
	PGresult *res = PQexecParams(p->c, sql, n, NULL, v, NULL, NULL, 0);
	int st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	pq_err(err, errlen, p, res);
	PQclear(res);
	return NULL;
}

int
bayes_pg_copy_begin(struct bayes_pg *p, char *err, size_t errlen)
{
	PGresult *res;
	int empty;

	if (pq_exec(p, "BEGIN") < 0) {
		pq_err(err, errlen, p, NULL);
		return -1;
	}
	if ((res = pq_once(
		 p,
		 "SELECT NOT EXISTS (SELECT FROM bayes_tokens)"
		 " AND NOT EXISTS (SELECT FROM bayes_seen) AND (SELECT nspam +"
		 " nham FROM bayes_totals WHERE id = 1) = 0",
		 0, NULL, err, errlen)) == NULL) {
		bayes_pg_rollback(p);
		return -1;
	}
	empty = PQntuples(res) == 1 && *PQgetvalue(res, 0, 0) == 't';
	PQclear(res);
	if (!empty) {
		snprintf(err, errlen,
			 "bayes: the database's Bayes tables are "
			 "not empty");
		bayes_pg_rollback(p);
		return -1;
	}
	return 0;
}

/* "{a,b,...}" of column col of n rows of ncol numbers. */
static char *
pq_col(const long long *rows, size_t n, size_t ncol, size_t col)
{
	size_t i, k = 1, cap = n * 21 + 3;
	char *s;

	if ((s = malloc(cap)) == NULL)
		return NULL;
	s[0] = '{';
	for (i = 0; i < n; i++)
		k += (size_t)snprintf(s + k, cap - k, "%s%lld", i ? "," : "",
				      rows[i * ncol + col]);
	s[k++] = '}';
	s[k] = '\0';
	return s;
}

int
bayes_pg_copy_tokens(struct bayes_pg *p, const long long *rows, size_t n,
		     char *err, size_t errlen)
{
	char *v[4] = {NULL};
	PGresult *res = NULL;
	size_t i;

	for (i = 0; i < 4; i++)
		if ((v[i] = pq_col(rows, n, 4, i)) == NULL)
			break;
	if (i == 4)
		res =
		    pq_once(p,
			    "INSERT INTO bayes_tokens(h, spam, ham, atime)"
			    " SELECT * FROM unnest($1::bigint[], $2::bigint[],"
			    " $3::bigint[], $4::bigint[])",
			    4, (const char *const *)v, err, errlen);
	else
		pq_err(err, errlen, NULL, NULL);
	for (i = 0; i < 4; i++)
		free(v[i]);
	PQclear(res);
	return res != NULL ? 0 : -1;
}

int
bayes_pg_copy_seen(struct bayes_pg *p, const unsigned char *digests,
		   const int *cls, size_t n, char *err, size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	char *v[2];
	PGresult *res = NULL;
	size_t i, j, k = 1, c = 1;

	v[0] = malloc(n * 66 + 3);
	v[1] = malloc(n * 2 + 3);
	if (v[0] != NULL && v[1] != NULL) {
		v[0][0] = v[1][0] = '{';
		for (i = 0; i < n; i++) {
			if (i) {
				v[0][k++] = ',';
				v[1][c++] = ',';
			}
			for (j = 0; j < 32; j++) {
				v[0][k++] = hex[digests[32 * i + j] >> 4];
				v[0][k++] = hex[digests[32 * i + j] & 15];
			}
			v[1][c++] = cls[i] ? '1' : '0';
		}
		memcpy(v[0] + k, "}", 2);
		memcpy(v[1] + c, "}", 2);
		res = pq_once(
		    p,
		    "INSERT INTO bayes_seen(digest, is_spam)"
		    " SELECT decode(d, 'hex'), c FROM unnest($1::text[],"
		    " $2::integer[]) AS u(d, c)",
		    2, (const char *const *)v, err, errlen);
	} else
		pq_err(err, errlen, NULL, NULL);
	free(v[0]);
	free(v[1]);
	PQclear(res);
	return res != NULL ? 0 : -1;
}

int
bayes_pg_copy_end(struct bayes_pg *p, const long long src[4], bayes_copy_fn fn,
		  void *ctx, char *err, size_t errlen)
{
	static const char *const what[4] = {"bayes_tokens", "bayes_seen",
					    "bayes spam", "bayes ham"};
	char s[2][32];
	const char *v[2] = {s[0], s[1]};
	long long dst[4];
	PGresult *res;
	int i, same = 1;

	snprintf(s[0], sizeof(s[0]), "%lld", src[2]);
	snprintf(s[1], sizeof(s[1]), "%lld", src[3]);
	if ((res = pq_once(p,
			   "UPDATE bayes_totals SET nspam = $1, nham = $2"
			   " WHERE id = 1",
			   2, v, err, errlen)) == NULL)
		goto fail;
	PQclear(res);
	if ((res =
		 pq_once(p,
			 "SELECT (SELECT count(*) FROM bayes_tokens),"
			 " (SELECT count(*) FROM bayes_seen), nspam, nham FROM"
			 " bayes_totals WHERE id = 1",
			 0, NULL, err, errlen)) == NULL)
		goto fail;
	for (i = 0; i < 4; i++) {
		dst[i] = PQntuples(res) == 1
			     ? strtoll(PQgetvalue(res, 0, i), NULL, 10)
			     : -1;
		if (fn != NULL)
			fn(ctx, what[i], src[i], dst[i]);
		same &= dst[i] == src[i];
	}
	PQclear(res);
	if (!same) {
		snprintf(err, errlen,
			 "bayes: the copy's counts differ: "
			 "rolled back");
		goto fail;
	}
	if (pq_exec(p, "COMMIT") == 0)
		return 0;
	pq_err(err, errlen, p, NULL);
fail:
	bayes_pg_rollback(p);
	return -1;
}
