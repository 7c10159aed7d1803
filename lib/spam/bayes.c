/* lib/spam/bayes.c - the Bayes classifier: SQLite storage and scoring
 * (the contract is bayes.h; the maths are bayes_math.c, the tokenizer
 * bayes_tok.c, the in-memory copy of the tokens bayes_snap.c; a
 * postgresql:// target is stored by bayes_pg.c, and each storage
 * function below hands such a handle over to it).
 *
 * SECURITY: runs in the spam milter (read-only handle) and in the admin
 * CLI (read-write); the message is untrusted and only read through the
 * view; SQL is prepared statements only. */
#include "bayes.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bayes_pg.h"
#include "bayes_snap.h"
#include "msgview.h"
#include "store.h"

/* ---- storage ---- */

enum {
	ST_ADD_TOKEN,
	ST_SUB_TOKEN,
	ST_DEL_EMPTY,
	ST_GET_SEEN,
	ST_PUT_SEEN,
	ST_DEL_SEEN,
	ST_GET_TOTALS,
	ST_ADD_TOTALS,
	ST_NTOKENS,
	ST_GET_TOKENS,
	ST_BEGIN,
	ST_COMMIT,
	ST_GET_GEN,
	ST_ADD_TOKENS, /* BAYES_IN rows; its SQL is built by bayes_add_sql */
	ST_COUNT
};

/* bayes_score() asks for BAYES_IN (bayes_snap.h) tokens per statement
 * (the last ones repeated to fill it: IN is a set): a statement per
 * token spent most of its time starting the statement again (25% less
 * CPU in a C loop over 400 tokens of a 24,000-token file). */
#define BAYES_Q8 "?,?,?,?,?,?,?,?,"

static const char *const bayes_sql[ST_COUNT] = {
    [ST_ADD_TOKEN] = "INSERT INTO tokens(h, spam, ham, atime) "
		     "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(h) DO UPDATE SET "
		     "spam = spam + excluded.spam, ham = ham + excluded.ham, "
		     "atime = excluded.atime",
    [ST_SUB_TOKEN] = "UPDATE tokens SET spam = max(spam - ?2, 0), "
		     "ham = max(ham - ?3, 0) WHERE h = ?1",
    [ST_DEL_EMPTY] = "DELETE FROM tokens WHERE h = ?1 AND spam = 0 "
		     "AND ham = 0",
    [ST_GET_SEEN] = "SELECT is_spam FROM seen WHERE digest = ?1",
    [ST_PUT_SEEN] = "INSERT OR REPLACE INTO seen(digest, is_spam) "
		    "VALUES (?1, ?2)",
    [ST_DEL_SEEN] = "DELETE FROM seen WHERE digest = ?1",
    [ST_GET_TOTALS] = "SELECT nspam, nham FROM totals WHERE id = 1",
    [ST_ADD_TOTALS] = "UPDATE totals SET nspam = max(nspam + ?1, 0), "
		      "nham = max(nham + ?2, 0) WHERE id = 1",
    /* atime is set when a message is learned: the newest is the time of
     * the last learn (facteur spam stats, doctor) */
    [ST_NTOKENS] = "SELECT count(*), coalesce(max(atime), 0) FROM tokens",
    [ST_GET_TOKENS] =
	"SELECT spam, ham FROM tokens WHERE h IN (" BAYES_Q8 BAYES_Q8 BAYES_Q8
	    BAYES_Q8 BAYES_Q8 BAYES_Q8 BAYES_Q8 "?,?,?,?,?,?,?,?)",
    /* prepared once, not parsed again for each message */
    [ST_BEGIN] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    /* schema 2 (bayes_migrate); a handle on an older file has none */
    [ST_GET_GEN] = "SELECT nspam, nham, gen FROM totals WHERE id = 1",
};

static const char bayes_schema[] =
    "CREATE TABLE IF NOT EXISTS tokens(h INTEGER PRIMARY KEY, "
    "spam INTEGER NOT NULL DEFAULT 0, ham INTEGER NOT NULL DEFAULT 0, "
    "atime INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS seen(digest BLOB PRIMARY KEY, "
    "is_spam INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS totals(id INTEGER PRIMARY KEY "
    "CHECK (id = 1), nspam INTEGER NOT NULL, nham INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO totals(id, nspam, nham) VALUES (1, 0, 0);";

/* Schema 2: totals.gen counts the changes to the counts, so a reader
 * knows its in-memory copy of the tokens (bayes_snap.c) is current. A
 * trigger bumps it, so that writers that do not know of it (facteur
 * before schema 2, on a file this version migrated) bump it too: every
 * learn and forget updates the totals in its own transaction. */
static const char bayes_schema2[] =
    "CREATE TRIGGER IF NOT EXISTS totals_gen AFTER UPDATE OF nspam, nham "
    "ON totals BEGIN UPDATE totals SET gen = gen + 1 WHERE id = 1; END;"
    "PRAGMA user_version = 2;";

struct bayes {
	struct bayes_pg *pg; /* a PostgreSQL target; db is then NULL */
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT]; /* NULL: not for this handle */
	long long min_spam, min_ham;
	int in_batch;
};

static void
bayes_err(char *err, size_t errlen, const char *what, sqlite3 *db)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", what,
			 db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

void
bayes_close(struct bayes **bp)
{
	struct bayes *b = *bp;
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(b->st[i]);
	sqlite3_close(b->db);
	bayes_pg_close(&b->pg);
	free(b);
	*bp = NULL;
}

int
bayes_open(const char *path, int rw, struct bayes **out, char *err,
	   size_t errlen)
{
	return bayes_open_busy(path, rw, 5000, out, err, errlen);
}

/* A missing token file is made 0640 first (SQLite would make it 0644 &
 * ~umask; its -wal/-shm files take the file's mode): words of the users'
 * mail, never world-readable (issue 12). */
static void
bayes_create_0640(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      0640);

	if (fd >= 0) {
		(void)fchmod(fd, 0640);
		close(fd);
	}
}

/* Brings a schema 1 file to schema 2 (totals.gen and its trigger) in
 * one write transaction, so that two writers opening it at once do it
 * once. The rows are kept as they are. 0 or -1. */
static int
bayes_migrate(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int has_gen;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	has_gen = sqlite3_prepare_v2(db, "SELECT gen FROM totals", -1, &st,
				     NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	if ((has_gen ||
	     sqlite3_exec(db,
			  "ALTER TABLE totals ADD COLUMN gen INTEGER NOT NULL "
			  "DEFAULT 0",
			  NULL, NULL, NULL) == SQLITE_OK) &&
	    sqlite3_exec(db, bayes_schema2, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ST_ADD_TOKEN for BAYES_IN distinct tokens ?4... at once (?1 spam,
 * ?2 ham, ?3 atime): learning spent most of its time starting the
 * one-row statement again. Distinct: a hash twice in one statement
 * would be counted twice, so the tail of a message goes row by row. */
static const char *
bayes_add_sql(char *buf, size_t len)
{
	size_t k;
	int i, n;

	k = (size_t)snprintf(buf, len,
			     "INSERT INTO tokens(h, spam, ham, "
			     "atime) VALUES ");
	for (i = 0; i < BAYES_IN && k < len; i++) {
		n = snprintf(buf + k, len - k, "%s(?%d, ?1, ?2, ?3)",
			     i ? ", " : "", i + 4);
		k += n > 0 ? (size_t)n : 0;
	}
	if (k < len)
		snprintf(buf + k, len - k,
			 " ON CONFLICT(h) DO UPDATE SET "
			 "spam = spam + excluded.spam, ham = ham + "
			 "excluded.ham, atime = excluded.atime");
	return buf;
}

/* The handle's statements; a read-only one leaves the writing ones out,
 * and ST_GET_GEN when the file is older than schema 2. 0 or -1. */
static int
bayes_prepare(struct bayes *b, int rw)
{
	char add[2048];
	int i, rc;

	for (i = 0; i < ST_COUNT; i++) {
		if (!rw && i != ST_GET_SEEN && i != ST_GET_TOTALS &&
		    i != ST_NTOKENS && i != ST_GET_TOKENS && i != ST_BEGIN &&
		    i != ST_COMMIT && i != ST_GET_GEN)
			continue;
		rc = sqlite3_prepare_v3(
		    b->db,
		    i == ST_ADD_TOKENS ? bayes_add_sql(add, sizeof(add))
				       : bayes_sql[i],
		    -1, SQLITE_PREPARE_PERSISTENT, &b->st[i], NULL);
		if (rc != SQLITE_OK && (rw || i != ST_GET_GEN))
			return -1;
	}
	return 0;
}

int
bayes_open_busy(const char *path, int rw, int busy_ms, struct bayes **out,
		char *err, size_t errlen)
{
	struct bayes *b;
	int flags;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		bayes_err(err, errlen, path, NULL);
		return -1;
	}
	b->min_spam = b->min_ham = 200;
	if (store_is_url(path)) {
		if (bayes_pg_open(path, rw, busy_ms, &b->pg, err, errlen) < 0) {
			free(b);
			return -1;
		}
		*out = b;
		return 0;
	}
	flags = rw ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
		   : SQLITE_OPEN_READONLY;
	if (rw && *path != '\0' && strcmp(path, ":memory:") != 0)
		bayes_create_0640(path);
	if (sqlite3_open_v2(path, &b->db, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(b->db, busy_ms);
	/* readers map the file instead of a pread() per page */
	if (!rw)
		(void)sqlite3_exec(b->db, "PRAGMA mmap_size = 268435456", NULL,
				   NULL, NULL);
	if (rw &&
	    (sqlite3_exec(b->db,
			  "PRAGMA journal_mode = WAL;"
			  "PRAGMA synchronous = NORMAL;",
			  NULL, NULL, NULL) != SQLITE_OK ||
	     sqlite3_exec(b->db, bayes_schema, NULL, NULL, NULL) != SQLITE_OK ||
	     bayes_migrate(b->db) < 0))
		goto fail;
	if (bayes_prepare(b, rw) < 0)
		goto fail;
	*out = b;
	return 0;
fail:
	bayes_err(err, errlen, path, b->db);
	bayes_close(&b);
	return -1;
}

void
bayes_set_min(struct bayes *b, long long min_spam, long long min_ham)
{
	b->min_spam = min_spam;
	b->min_ham = min_ham;
}

/* Runs a prepared statement to completion; SQLITE_ROW is left to the
 * caller only through bayes_row(). 0 or -1. */
static int
bayes_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int
bayes_totals(struct bayes *b, long long *nspam, long long *nham)
{
	sqlite3_stmt *st = b->st[ST_GET_TOTALS];
	int rc;

	*nspam = *nham = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*nspam = sqlite3_column_int64(st, 0);
		*nham = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The class the digest was learned as: 1 spam, 0 ham, -1 never, -2 error */
static int
bayes_seen(struct bayes *b, const unsigned char digest[32])
{
	sqlite3_stmt *st = b->st[ST_GET_SEEN];
	int rc, cls = -1;

	sqlite3_bind_blob(st, 1, digest, 32, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cls = sqlite3_column_int(st, 0) ? 1 : 0;
	else if (rc != SQLITE_DONE)
		cls = -2;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return cls;
}

/* Adds (sign 1) or removes (sign -1) one message of class is_spam. */
static int
bayes_move(struct bayes *b, const struct bayes_tokens *t, int is_spam, int sign)
{
	sqlite3_stmt *st;
	long long now = (long long)time(NULL);
	size_t i = 0, j;

	/* t->h is sorted and unique: BAYES_IN rows a statement */
	for (; sign > 0 && t->n - i >= BAYES_IN; i += BAYES_IN) {
		st = b->st[ST_ADD_TOKENS];
		sqlite3_bind_int(st, 1, is_spam ? 1 : 0);
		sqlite3_bind_int(st, 2, is_spam ? 0 : 1);
		sqlite3_bind_int64(st, 3, now);
		for (j = 0; j < BAYES_IN; j++)
			sqlite3_bind_int64(st, (int)j + 4,
					   (sqlite3_int64)t->h[i + j]);
		if (bayes_run(st) < 0)
			return -1;
	}
	for (; i < t->n; i++) {
		st = b->st[sign > 0 ? ST_ADD_TOKEN : ST_SUB_TOKEN];
		sqlite3_bind_int64(st, 1, (sqlite3_int64)t->h[i]);
		sqlite3_bind_int(st, 2, is_spam ? 1 : 0);
		sqlite3_bind_int(st, 3, is_spam ? 0 : 1);
		if (sign > 0)
			sqlite3_bind_int64(st, 4, now);
		if (bayes_run(st) < 0)
			return -1;
		if (sign < 0) {
			st = b->st[ST_DEL_EMPTY];
			sqlite3_bind_int64(st, 1, (sqlite3_int64)t->h[i]);
			if (bayes_run(st) < 0)
				return -1;
		}
	}
	st = b->st[ST_ADD_TOTALS];
	sqlite3_bind_int(st, 1, is_spam ? sign : 0);
	sqlite3_bind_int(st, 2, is_spam ? 0 : sign);
	return bayes_run(st);
}

/* A savepoint nests in bayes_begin()'s transaction or stands alone. */
static int
bayes_sp(struct bayes *b, const char *sql)
{
	return sqlite3_exec(b->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* prev: the class the message was learned as (-1 none); to: the class
 * to learn it as, or -1 to forget it. */
static int
bayes_change(struct bayes *b, const struct bayes_tokens *t,
	     const unsigned char digest[32], int prev, int to, char *err,
	     size_t errlen)
{
	sqlite3_stmt *st;

	if (b->st[ST_ADD_TOKEN] == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "bayes: opened read-only");
		return -1;
	}
	if (bayes_sp(b, "SAVEPOINT bayes_learn") < 0)
		goto fail;
	if (prev >= 0 && bayes_move(b, t, prev, -1) < 0)
		goto undo;
	if (to >= 0 && bayes_move(b, t, to, 1) < 0)
		goto undo;
	st = b->st[to >= 0 ? ST_PUT_SEEN : ST_DEL_SEEN];
	sqlite3_bind_blob(st, 1, digest, 32, SQLITE_STATIC);
	if (to >= 0)
		sqlite3_bind_int(st, 2, to);
	if (bayes_run(st) < 0)
		goto undo;
	if (bayes_sp(b, "RELEASE bayes_learn") < 0)
		goto undo;
	return 1;
undo:
	bayes_err(err, errlen, "bayes", b->db);
	(void)bayes_sp(b, "ROLLBACK TO bayes_learn");
	(void)bayes_sp(b, "RELEASE bayes_learn");
	return -1;
fail:
	bayes_err(err, errlen, "bayes", b->db);
	return -1;
}

int
bayes_learn(struct bayes *b, const struct bayes_tokens *t,
	    const unsigned char digest[32], int is_spam, char *err,
	    size_t errlen)
{
	int prev;

	is_spam = is_spam ? 1 : 0;
	if (b->pg != NULL)
		return bayes_pg_change(b->pg, t, digest, is_spam, 0, err,
				       errlen);
	if ((prev = bayes_seen(b, digest)) == -2) {
		bayes_err(err, errlen, "bayes", b->db);
		return -1;
	}
	if (prev == is_spam)
		return 0;
	return bayes_change(b, t, digest, prev, is_spam, err, errlen);
}

int
bayes_forget(struct bayes *b, const struct bayes_tokens *t,
	     const unsigned char digest[32], char *err, size_t errlen)
{
	int prev;

	if (b->pg != NULL)
		return bayes_pg_change(b->pg, t, digest, -1, 0, err, errlen);
	if ((prev = bayes_seen(b, digest)) == -2) {
		bayes_err(err, errlen, "bayes", b->db);
		return -1;
	}
	if (prev < 0)
		return 0;
	return bayes_change(b, t, digest, prev, -1, err, errlen);
}

int
bayes_begin(struct bayes *b)
{
	/* PostgreSQL: each learn is its own short transaction, so learners
	 * on other hosts never wait behind a whole batch */
	if (b->in_batch || b->pg != NULL)
		return 0;
	if (bayes_sp(b, "BEGIN IMMEDIATE") < 0)
		return -1;
	b->in_batch = 1;
	return 0;
}

int
bayes_commit(struct bayes *b)
{
	if (!b->in_batch)
		return 0;
	b->in_batch = 0;
	if (bayes_sp(b, "COMMIT") < 0) {
		(void)bayes_sp(b, "ROLLBACK");
		return -1;
	}
	return 0;
}

int
bayes_stats(struct bayes *b, struct bayes_stats *st)
{
	sqlite3_stmt *s = b->st[ST_NTOKENS];
	int rc;

	if (b->pg != NULL)
		return bayes_pg_stats(b->pg, st);
	if (bayes_totals(b, &st->nspam, &st->nham) < 0)
		return -1;
	st->ntokens = st->last_learn = 0;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		st->ntokens = sqlite3_column_int64(s, 0);
		st->last_learn = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* One statement gives the totals and the known tokens' counts. */
static double
bayes_score_pg(struct bayes *b, const struct bayes_tokens *t)
{
	long long nspam, nham, *cnt;
	double *prob, r = -1;
	size_t i, n;

	cnt = malloc((t->n ? t->n : 1) * 2 * sizeof(*cnt));
	prob = malloc((t->n ? t->n : 1) * sizeof(*prob));
	if (cnt != NULL && prob != NULL &&
	    bayes_pg_lookup(b->pg, t, &nspam, &nham, cnt, &n) == 0 &&
	    nspam >= b->min_spam && nham >= b->min_ham && nspam > 0 &&
	    nham > 0) {
		for (i = 0; i < n; i++)
			prob[i] = bayes_token_prob(cnt[2 * i], cnt[2 * i + 1],
						   nspam, nham);
		r = bayes_combine_tokens(prob, n, nspam, nham);
	}
	free(cnt);
	free(prob);
	return r;
}

/* The probabilities of the known tokens among t->h[from..from+BAYES_IN)
 * into prob[*n...]. SQLITE_DONE, or the error. */
static int
bayes_score_some(struct bayes *b, const struct bayes_tokens *t, size_t from,
		 long long nspam, long long nham, double *prob, size_t *n)
{
	sqlite3_stmt *st = b->st[ST_GET_TOKENS];
	size_t j, k;
	int rc;

	for (j = 0; j < BAYES_IN; j++) {
		k = from + j < t->n ? from + j : t->n - 1;
		sqlite3_bind_int64(st, (int)j + 1, (sqlite3_int64)t->h[k]);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < t->n)
		prob[(*n)++] =
		    bayes_token_prob(sqlite3_column_int64(st, 0),
				     sqlite3_column_int64(st, 1), nspam, nham);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

static int
bayes_enough(const struct bayes *b, long long nspam, long long nham)
{
	return nspam >= b->min_spam && nham >= b->min_ham && nspam > 0 &&
	       nham > 0;
}

/* Inside a read transaction: the probability from the tokens' rows, or
 * through snap when it is not NULL. -1 on error. */
static double
bayes_score_in(struct bayes *b, const struct bayes_tokens *t,
	       const struct bayes_snap *snap, long long nspam, long long nham)
{
	int32_t(*cnt)[2] = NULL;
	double *prob, r = -1;
	size_t i, n = 0;
	int rc = SQLITE_DONE;

	if ((prob = malloc((t->n ? t->n : 1) * sizeof(*prob))) == NULL ||
	    (snap != NULL &&
	     (cnt = malloc((t->n ? t->n : 1) * sizeof(*cnt))) == NULL)) {
		free(prob);
		return -1;
	}
	if (snap != NULL)
		n = bayes_snap_counts(snap, t->h, t->n, cnt);
	for (i = 0; i < n; i++)
		prob[i] = bayes_token_prob(cnt[i][0], cnt[i][1], nspam, nham);
	free(cnt);
	for (i = 0; snap == NULL && i < t->n && rc == SQLITE_DONE;
	     i += BAYES_IN)
		rc = bayes_score_some(b, t, i, nspam, nham, prob, &n);
	if (rc == SQLITE_DONE)
		r = bayes_combine_tokens(prob, n, nspam, nham);
	free(prob);
	return r;
}

double
bayes_score(struct bayes *b, const struct bayes_tokens *t)
{
	long long nspam, nham;
	double r = -1;

	if (b->pg != NULL)
		return bayes_score_pg(b, t);
	/* one snapshot for totals and tokens, even while a trainer commits */
	if (!b->in_batch && bayes_run(b->st[ST_BEGIN]) < 0)
		return -1;
	if (bayes_totals(b, &nspam, &nham) == 0 && bayes_enough(b, nspam, nham))
		r = bayes_score_in(b, t, NULL, nspam, nham);
	if (!b->in_batch)
		(void)bayes_run(b->st[ST_COMMIT]);
	return r;
}

static int
bayes_totals_gen(struct bayes *b, long long *nspam, long long *nham,
		 long long *gen)
{
	sqlite3_stmt *st = b->st[ST_GET_GEN];
	int rc;

	*nspam = *nham = *gen = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*nspam = sqlite3_column_int64(st, 0);
		*nham = sqlite3_column_int64(st, 1);
		*gen = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

double
bayes_score_snap(struct bayes *b, const struct bayes_tokens *t,
		 struct bayes_snap **snap, int *load)
{
	struct bayes_snap *ns;
	long long nspam, nham, gen;
	double r = -1;

	int may_load = *load;

	*load = 0;
	/* a file migrated since this handle was opened: a parse, far less
	 * than the SQL lookups it saves */
	if (b->pg == NULL && b->st[ST_GET_GEN] == NULL && may_load &&
	    sqlite3_prepare_v3(b->db, bayes_sql[ST_GET_GEN], -1,
			       SQLITE_PREPARE_PERSISTENT, &b->st[ST_GET_GEN],
			       NULL) != SQLITE_OK)
		b->st[ST_GET_GEN] = NULL;
	if (b->pg != NULL || b->in_batch || b->st[ST_GET_GEN] == NULL)
		return bayes_score(b, t);
	if (bayes_run(b->st[ST_BEGIN]) < 0)
		return -1;
	if (bayes_totals_gen(b, &nspam, &nham, &gen) < 0 ||
	    !bayes_enough(b, nspam, nham))
		goto out;
	/* a copy read in this transaction is of the same generation */
	if ((*snap == NULL || bayes_snap_gen(*snap) != gen) && may_load) {
		*load = bayes_snap_load(b->db, gen, &ns) == 0 ? 1 : -1;
		if (*load > 0) {
			bayes_snap_unref(snap);
			*snap = ns;
		}
	}
	r = bayes_score_in(
	    b, t, *snap != NULL && bayes_snap_gen(*snap) == gen ? *snap : NULL,
	    nspam, nham);
out:
	(void)bayes_run(b->st[ST_COMMIT]);
	return r;
}

/* Added for auto-learn (bayesglue.c): how long a statement waits for
 * another writer before SQLITE_BUSY, instead of bayes_open()'s 5 s. */
void
bayes_set_busy_timeout(struct bayes *b, int ms)
{
	if (b->pg != NULL)
		bayes_pg_set_busy(b->pg, ms);
	else
		sqlite3_busy_timeout(b->db, ms);
}

/* Added for auto-learn: the class digest was learned as, without
 * learning it: 1 spam, 0 ham, -1 never, -2 error. */
int
bayes_known(struct bayes *b, const unsigned char digest[32])
{
	if (b->pg != NULL)
		return bayes_pg_seen(b->pg, digest);
	return bayes_seen(b, digest);
}

int
bayes_learn_new(struct bayes *b, const struct bayes_tokens *t,
		const unsigned char digest[32], int is_spam, char *err,
		size_t errlen)
{
	return bayes_learn_new_gen(b, t, digest, is_spam, NULL, err, errlen);
}

int
bayes_learn_new_gen(struct bayes *b, const struct bayes_tokens *t,
		    const unsigned char digest[32], int is_spam, long long *gen,
		    char *err, size_t errlen)
{
	long long ns, nh, g = -1;
	int r;

	if (gen != NULL)
		*gen = -1;
	if (b->pg != NULL)
		return bayes_pg_change(b->pg, t, digest, is_spam ? 1 : 0, 1,
				       err, errlen);
	/* one transaction: a trainer cannot slip between the two */
	if (bayes_begin(b) < 0) {
		snprintf(err, errlen, "bayes: busy (another writer)");
		return -1;
	}
	if ((r = bayes_seen(b, digest)) == -2) {
		snprintf(err, errlen, "bayes: cannot read the seen table");
		r = -1;
	} else if (r >= 0)
		r = 0;
	else if (gen != NULL && b->st[ST_GET_GEN] != NULL &&
		 bayes_totals_gen(b, &ns, &nh, &g) < 0) {
		snprintf(err, errlen, "bayes: cannot read the totals");
		r = -1;
	} else
		r = bayes_learn(b, t, digest, is_spam, err, errlen);
	if (bayes_commit(b) < 0 && r >= 0) {
		snprintf(err, errlen, "bayes: commit failed (busy?)");
		r = -1;
	}
	/* under the write lock: the learn made it g + 1, nobody else */
	if (r == 1 && gen != NULL)
		*gen = g;
	return r;
}

int
bayes_exists(const char *path)
{
	return store_exists(path);
}

/* ---- bayes_copy(): a SQLite file into PostgreSQL ---- */

#define COPY_CHUNK 4096

static int
bayes_copy_tokens(struct bayes *src, struct bayes *dst, char *err,
		  size_t errlen)
{
	sqlite3_stmt *st = NULL;
	long long *rows;
	size_t k = 0;
	int rc = -1, step = SQLITE_ERROR, c;

	if ((rows = malloc(COPY_CHUNK * 4 * sizeof(*rows))) == NULL ||
	    sqlite3_prepare_v2(src->db,
			       "SELECT h, spam, ham, atime FROM "
			       "tokens",
			       -1, &st, NULL) != SQLITE_OK)
		goto out;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		for (c = 0; c < 4; c++)
			rows[k * 4 + (size_t)c] = sqlite3_column_int64(st, c);
		if (++k == COPY_CHUNK) {
			if (bayes_pg_copy_tokens(dst->pg, rows, k, err,
						 errlen) < 0)
				goto done;
			k = 0;
		}
	}
out:
	if (step != SQLITE_DONE)
		bayes_err(err, errlen, "bayes: reading the tokens", src->db);
	else if (k == 0 ||
		 bayes_pg_copy_tokens(dst->pg, rows, k, err, errlen) == 0)
		rc = 0;
done:
	sqlite3_finalize(st);
	free(rows);
	return rc;
}

/* Digests not 32 bytes long are left out: the counts then differ. */
static int
bayes_copy_seen(struct bayes *src, struct bayes *dst, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	unsigned char *dig;
	int *cls, rc = -1, step = SQLITE_ERROR;
	size_t k = 0;

	dig = malloc(COPY_CHUNK * 32);
	cls = malloc(COPY_CHUNK * sizeof(*cls));
	if (dig == NULL || cls == NULL ||
	    sqlite3_prepare_v2(src->db, "SELECT digest, is_spam FROM seen", -1,
			       &st, NULL) != SQLITE_OK)
		goto out;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != 32)
			continue;
		memcpy(dig + 32 * k, sqlite3_column_blob(st, 0), 32);
		cls[k] = sqlite3_column_int(st, 1) ? 1 : 0;
		if (++k == COPY_CHUNK) {
			if (bayes_pg_copy_seen(dst->pg, dig, cls, k, err,
					       errlen) < 0)
				goto done;
			k = 0;
		}
	}
out:
	if (step != SQLITE_DONE)
		bayes_err(err, errlen, "bayes: reading the messages", src->db);
	else if (k == 0 ||
		 bayes_pg_copy_seen(dst->pg, dig, cls, k, err, errlen) == 0)
		rc = 0;
done:
	sqlite3_finalize(st);
	free(dig);
	free(cls);
	return rc;
}

/* Rows in the source, counted by SQL (not by the copy loops). */
static int
bayes_copy_count(struct bayes *src, long long n[4])
{
	sqlite3_stmt *st = NULL;
	int i, ok;

	ok =
	    sqlite3_prepare_v2(
		src->db,
		"SELECT (SELECT count(*) FROM "
		"tokens), (SELECT count(*) FROM seen), nspam, nham FROM totals "
		"WHERE id = 1",
		-1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW;
	for (i = 0; ok && i < 4; i++)
		n[i] = sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

int
bayes_copy(struct bayes *src, struct bayes *dst, bayes_copy_fn fn, void *ctx,
	   char *err, size_t errlen)
{
	long long n[4];

	if (src->db == NULL || dst->pg == NULL || dst->in_batch) {
		snprintf(err, errlen,
			 "bayes: copies a file into PostgreSQL "
			 "only");
		return -1;
	}
	if (sqlite3_exec(src->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    bayes_copy_count(src, n) < 0) {
		bayes_err(err, errlen, "bayes", src->db);
		(void)sqlite3_exec(src->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (bayes_pg_copy_begin(dst->pg, err, errlen) < 0)
		goto fail;
	if (bayes_copy_tokens(src, dst, err, errlen) < 0 ||
	    bayes_copy_seen(src, dst, err, errlen) < 0) {
		bayes_pg_rollback(dst->pg);
		goto fail;
	}
	if (bayes_pg_copy_end(dst->pg, n, fn, ctx, err, errlen) < 0)
		goto fail;
	(void)sqlite3_exec(src->db, "COMMIT", NULL, NULL, NULL);
	return 0;
fail:
	(void)sqlite3_exec(src->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
