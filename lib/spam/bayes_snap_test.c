/* lib/spam/bayes_snap_test.c - the in-memory copy of the token table
 * (bayes_snap.c, bayes_score_snap) and the schema 2 migration of
 * bayes.c: the copy scores as SQL does to the last bit, a copy older
 * than the file is never used, a learn through the engine's pool is seen
 * by the next score, and a file written by facteur before schema 2 opens
 * with its rows. Scratch SQLite files in the build directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "bayes.h"
#include "bayes_snap.h"
#include "bayesglue.h"
#include "msgview.h"

struct scratch {
	char dir[64];
	char path[128];
};

static void
scratch_make(struct scratch *s)
{
	snprintf(s->dir, sizeof(s->dir), "bayes_snap_test.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		fail_msg("mkdtemp failed");
	snprintf(s->path, sizeof(s->path), "%s/bayes.sqlite", s->dir);
}

static void
scratch_remove(struct scratch *s)
{
	char p[200];

	unlink(s->path);
	snprintf(p, sizeof(p), "%s-wal", s->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", s->path);
	unlink(p);
	rmdir(s->dir);
}

/* xorshift64: the same tokens on every run, both signs as SQL bigints */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int
u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* n distinct tokens from pool[0..npool), picked by x, sorted. */
static void
pick(const uint64_t *pool, size_t npool, size_t n, uint64_t *x, uint64_t *out)
{
	size_t i, j, k = 0;

	while (k < n) {
		uint64_t h = pool[rnd(x) % npool];

		for (j = 0; j < k && out[j] != h; j++)
			;
		if (j == k)
			out[k++] = h;
	}
	qsort(out, n, sizeof(*out), u64cmp);
	for (i = 1; i < n; i++)
		assert_true(out[i - 1] < out[i]);
}

#define NPOOL 600

/* 30 spam and 30 ham, 80 tokens each from one pool of 600, so the
 * counts differ from token to token. */
static void
train(struct bayes *b, const uint64_t *pool, int first, int n)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL + (uint64_t)first, h[80];
	struct bayes_tokens t = {h, 80};
	unsigned char d[32];
	char err[256];
	int i;

	assert_int_equal(bayes_begin(b), 0);
	for (i = first; i < first + n; i++) {
		memset(d, 0, sizeof(d));
		d[0] = (unsigned char)i;
		d[1] = (unsigned char)(i >> 8);
		/* spam leans on the pool's first half, ham on its second */
		pick(pool + (i % 2 ? 0 : NPOOL / 3), NPOOL * 2 / 3, 80, &x, h);
		assert_int_equal(bayes_learn(b, &t, d, i % 2, err, sizeof(err)),
				 1);
	}
	assert_int_equal(bayes_commit(b), 0);
}

static void
make_pool(uint64_t *pool)
{
	uint64_t x = 88172645463325252ULL;
	size_t i;

	for (i = 0; i < NPOOL; i++)
		pool[i] = rnd(&x);
}

/* bit for bit: the copy must give the very double SQL gives */
static void
same(double got, double want, const char *what, size_t n)
{
	if (memcmp(&got, &want, sizeof(got)) != 0)
		fail_msg("%s, %zu tokens: got %.17g, want %.17g", what, n, got,
			 want);
}

static void
copy_scores_as_sql_to_the_last_bit(void **state)
{
	static const size_t sizes[] = {0, 1, 63, 64, 65, 129, 300, 500};
	uint64_t pool[NPOOL], h[NPOOL], x = 7;
	struct bayes_tokens t = {h, 0};
	struct bayes_snap *snap = NULL, *first;
	struct scratch s;
	struct bayes *b, *ro;
	char err[256];
	size_t i, k;
	int load;

	(void)state;
	make_pool(pool);
	scratch_make(&s);
	assert_int_equal(bayes_open(s.path, 1, &b, err, sizeof(err)), 0);
	train(b, pool, 0, 60);
	assert_int_equal(bayes_open(s.path, 0, &ro, err, sizeof(err)), 0);
	bayes_set_min(ro, 30, 30);
	load = 1;
	t.n = 100;
	pick(pool, NPOOL, t.n, &x, h);
	same(bayes_score_snap(ro, &t, &snap, &load), bayes_score(ro, &t),
	     "first message", t.n);
	if (load != 1 || snap == NULL)
		fail_msg("copy: got load %d, want 1 and a copy", load);
	first = snap;
	for (k = 0; k < 20; k++)
		for (i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
			/* unknown tokens too: the pool's and others */
			t.n = sizes[i];
			pick(pool, NPOOL, t.n, &x, h);
			if (t.n > 2)
				h[t.n / 2] ^= 1;
			qsort(h, t.n, sizeof(*h), u64cmp);
			load = 1;
			same(bayes_score_snap(ro, &t, &snap, &load),
			     bayes_score(ro, &t), "copy", t.n);
			if (load != 0 || snap != first)
				fail_msg("a current copy was read again");
		}
	bayes_snap_unref(&snap);
	bayes_close(&ro);
	bayes_close(&b);
	scratch_remove(&s);
}

static void
copy_older_than_the_file_is_never_used(void **state)
{
	uint64_t pool[NPOOL], h[200], x = 11;
	struct bayes_tokens t = {h, 200};
	struct bayes_snap *snap = NULL, *old;
	struct scratch s;
	struct bayes *b, *ro;
	char err[256];
	double before, after;
	long long gen;
	int load = 1;

	(void)state;
	make_pool(pool);
	pick(pool, NPOOL, t.n, &x, h);
	scratch_make(&s);
	assert_int_equal(bayes_open(s.path, 1, &b, err, sizeof(err)), 0);
	train(b, pool, 0, 60);
	assert_int_equal(bayes_open(s.path, 0, &ro, err, sizeof(err)), 0);
	bayes_set_min(ro, 30, 30);
	before = bayes_score_snap(ro, &t, &snap, &load);
	assert_non_null(old = snap);
	gen = bayes_snap_gen(snap);
	/* 40 more, all spam-leaning: the message's score moves */
	train(b, pool, 61, 40);
	after = bayes_score(ro, &t);
	if (after == before)
		fail_msg("training did not move the score (%.17g)", after);
	load = 0; /* not allowed to read a copy: SQL */
	same(bayes_score_snap(ro, &t, &snap, &load), after, "stale copy", t.n);
	assert_ptr_equal(snap, old);
	load = 1; /* allowed: a new copy, of the new generation */
	same(bayes_score_snap(ro, &t, &snap, &load), after, "new copy", t.n);
	if (load != 1 || snap == old || bayes_snap_gen(snap) != gen + 40)
		fail_msg("new copy: got load %d, gen %lld, want 1, %lld", load,
			 bayes_snap_gen(snap), gen + 40);
	bayes_snap_unref(&snap);
	bayes_close(&ro);
	bayes_close(&b);
	scratch_remove(&s);
}

/* t's counts through a and through b: the same, in the same order. */
static void
same_counts(const struct bayes_snap *a, const struct bayes_snap *b,
	    const struct bayes_tokens *t)
{
	int32_t ca[NPOOL + 8][2], cb[NPOOL + 8][2];
	size_t na = bayes_snap_counts(a, t->h, t->n, ca);
	size_t nb = bayes_snap_counts(b, t->h, t->n, cb);

	if (na != nb || memcmp(ca, cb, na * sizeof(*ca)) != 0)
		fail_msg("%zu tokens: %zu and %zu known, or other counts", t->n,
			 na, nb);
}

static void
copy_plus_a_learn_is_the_file_after_it(void **state)
{
	uint64_t pool[NPOOL], h[NPOOL + 8], m[90], x = 5;
	struct bayes_tokens t = {h, 0}, tm = {m, 90};
	struct bayes_snap *before = NULL, *plus, *after = NULL;
	unsigned char d[32] = {0xee};
	struct scratch s;
	struct bayes *b, *ro;
	char err[256];
	long long g;
	size_t i;
	int load = 1;

	(void)state;
	make_pool(pool);
	scratch_make(&s);
	assert_int_equal(bayes_open(s.path, 1, &b, err, sizeof(err)), 0);
	train(b, pool, 0, 60);
	assert_int_equal(bayes_open(s.path, 0, &ro, err, sizeof(err)), 0);
	bayes_set_min(ro, 30, 30);
	(void)bayes_score_snap(ro, &tm, &before, &load);
	assert_non_null(before);
	/* the message: 0 (kept apart), 9 new tokens, 80 known ones */
	pick(pool, NPOOL, 80, &x, m);
	m[80] = 0;
	for (i = 81; i < 90; i++)
		m[i] = rnd(&x);
	qsort(m, 90, sizeof(*m), u64cmp);
	assert_int_equal(
	    bayes_learn_new_gen(b, &tm, d, 1, &g, err, sizeof(err)), 1);
	assert_int_equal(g, bayes_snap_gen(before));
	assert_int_equal(bayes_snap_learned(before, tm.h, tm.n, 1, &plus), 0);
	load = 1;
	(void)bayes_score_snap(ro, &tm, &after, &load);
	assert_int_equal(load, 1);
	assert_int_equal(bayes_snap_gen(plus), bayes_snap_gen(after));
	same_counts(plus, after, &tm);
	for (i = 0; i < NPOOL; i++)
		h[i] = pool[i];
	h[NPOOL] = 0;
	t.n = NPOOL + 1;
	qsort(h, t.n, sizeof(*h), u64cmp);
	same_counts(plus, after, &t);
	/* a learned message is no longer new: nothing learned, no gen */
	assert_int_equal(
	    bayes_learn_new_gen(b, &tm, d, 1, &g, err, sizeof(err)), 0);
	assert_int_equal(g, -1);
	bayes_snap_unref(&before);
	bayes_snap_unref(&plus);
	bayes_snap_unref(&after);
	bayes_close(&ro);
	bayes_close(&b);
	scratch_remove(&s);
}

/* A copy past 131,072 tokens is not copied again for a learn (4 to 8
 * MiB a learn): bayes_snap_learned refuses, and the stale copy is not
 * used (copy_older_than_the_file_is_never_used), so the scores go
 * through SQL until the file is read again. */
static void
large_copy_is_not_copied_for_a_learn(void **state)
{
	enum { BIG = (1 << 17) + 1 };
	uint64_t *big, m[3] = {1, 2, 3}, x = 11;
	struct bayes_tokens t = {NULL, BIG}, tm = {m, 3};
	struct bayes_snap *snap = NULL, *plus = NULL;
	unsigned char d[32] = {0x42};
	struct scratch s;
	struct bayes *b, *ro;
	char err[256];
	size_t i;
	int load = 1;

	(void)state;
	big = calloc(BIG, sizeof(*big));
	assert_non_null(big);
	for (i = 0; i < BIG; i++)
		big[i] = rnd(&x);
	qsort(big, BIG, sizeof(*big), u64cmp);
	t.h = big;
	scratch_make(&s);
	assert_int_equal(bayes_open(s.path, 1, &b, err, sizeof(err)), 0);
	assert_int_equal(bayes_learn(b, &t, d, 1, err, sizeof(err)), 1);
	d[0] = 0x43;
	assert_int_equal(bayes_learn(b, &tm, d, 0, err, sizeof(err)), 1);
	assert_int_equal(bayes_open(s.path, 0, &ro, err, sizeof(err)), 0);
	bayes_set_min(ro, 1, 1);
	(void)bayes_score_snap(ro, &tm, &snap, &load);
	assert_non_null(snap);
	assert_int_equal(bayes_snap_learned(snap, m, 3, 0, &plus), -1);
	assert_null(plus);
	bayes_snap_unref(&snap);
	bayes_close(&ro);
	bayes_close(&b);
	scratch_remove(&s);
	free(big);
}

/* The file as facteur made it before schema 2 (bayes.c at 28e3340). */
static const char old_schema[] =
    "PRAGMA journal_mode = WAL;"
    "CREATE TABLE tokens(h INTEGER PRIMARY KEY, "
    "spam INTEGER NOT NULL DEFAULT 0, ham INTEGER NOT NULL DEFAULT 0, "
    "atime INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE seen(digest BLOB PRIMARY KEY, "
    "is_spam INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE totals(id INTEGER PRIMARY KEY "
    "CHECK (id = 1), nspam INTEGER NOT NULL, nham INTEGER NOT NULL);"
    "INSERT INTO totals(id, nspam, nham) VALUES (1, 30, 30);"
    "INSERT INTO tokens VALUES (5, 30, 0, 1700000000), "
    "(-6, 0, 30, 1700000000), (7, 12, 3, 1700000001), "
    "(0, 2, 25, 1700000000);"
    "INSERT INTO seen VALUES (x'01"
    "000000000000000000000000000000"
    "00000000000000000000000000000000', 1);"
    "PRAGMA user_version = 1;";

static void
sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static long long
sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
schema1_file_opens_with_its_rows_and_gains_gen(void **state)
{
	/* the hash 0 too: the copy keeps it apart from its free slots */
	uint64_t h[] = {0, 5, 7, 99, UINT64_C(0xfffffffffffffffa)};
	struct bayes_tokens t = {h, 5};
	struct bayes_snap *snap = NULL;
	struct bayes_stats st;
	struct scratch s;
	struct bayes *b, *ro;
	unsigned char d[32] = {2}, known[32] = {1};
	char err[256];
	double want;
	int load = 1;

	(void)state;
	scratch_make(&s);
	sql_exec(s.path, old_schema);
	/* read-only before any writer migrated it: SQL, as before */
	assert_int_equal(bayes_open(s.path, 0, &ro, err, sizeof(err)), 0);
	bayes_set_min(ro, 30, 30);
	want = bayes_score(ro, &t);
	same(bayes_score_snap(ro, &t, &snap, &load), want, "schema 1", 5);
	if (load != 0 || snap != NULL)
		fail_msg("schema 1: got a copy (load %d)", load);

	assert_int_equal(bayes_open(s.path, 1, &b, err, sizeof(err)), 0);
	/* the read-only handle opened before the migration sees it */
	load = 1;
	same(bayes_score_snap(ro, &t, &snap, &load), want, "upgraded", 5);
	if (load != 1 || snap == NULL)
		fail_msg("after the migration: no copy (load %d)", load);
	bayes_snap_unref(&snap);
	bayes_close(&ro);
	assert_int_equal(sql_int(s.path, "PRAGMA user_version"), 2);
	assert_int_equal(sql_int(s.path, "SELECT gen FROM totals"), 0);
	assert_int_equal(sql_int(s.path, "SELECT count(*) FROM tokens"), 4);
	assert_int_equal(sql_int(s.path, "SELECT ham FROM tokens WHERE h=-6"),
			 30);
	assert_int_equal(bayes_stats(b, &st), 0);
	if (st.nspam != 30 || st.nham != 30 || st.ntokens != 4 ||
	    st.last_learn != 1700000001)
		fail_msg("stats: got %lld %lld %lld %lld", st.nspam, st.nham,
			 st.ntokens, st.last_learn);
	assert_int_equal(bayes_known(b, known), 1);
	bayes_set_min(b, 30, 30);
	same(bayes_score(b, &t), want, "migrated", 5);
	load = 1;
	same(bayes_score_snap(b, &t, &snap, &load), want, "migrated copy", 5);
	assert_int_equal(load, 1);
	bayes_snap_unref(&snap);

	/* a learn bumps gen; so does a writer that knows nothing of it */
	assert_int_equal(bayes_learn(b, &t, d, 1, err, sizeof(err)), 1);
	assert_int_equal(sql_int(s.path, "SELECT gen FROM totals"), 1);
	sql_exec(s.path, "UPDATE totals SET nspam = nspam + 1, nham = nham "
			 "WHERE id = 1");
	assert_int_equal(sql_int(s.path, "SELECT gen FROM totals"), 2);
	bayes_close(&b);
	/* opened again: migrated once */
	assert_int_equal(bayes_open(s.path, 1, &b, err, sizeof(err)), 0);
	assert_int_equal(sql_int(s.path, "SELECT gen FROM totals"), 2);
	bayes_close(&b);
	scratch_remove(&s);
}

/* A view whose body is n words "wK" picked by x (n distinct tokens). */
static void
word_view(struct sp_view *v, char *buf, size_t len, int first, int n)
{
	size_t k = 0;
	int i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < n; i++)
		k += (size_t)snprintf(buf + k, len - k, "word%d ", first + i);
	v->body_text = buf;
	v->body_text_len = k;
}

static void
pool_sees_a_learn_at_once(void **state)
{
	struct sp_bayes_pool *p;
	struct sp_bayes_sample *smp, *tok;
	struct bayes_tokens t;
	struct sp_view v;
	struct scratch s;
	struct bayes *b;
	char err[256], body[4096];
	double before, after, want;
	int i;

	(void)state;
	scratch_make(&s);
	assert_int_equal(bayes_open(s.path, 1, &b, err, sizeof(err)), 0);
	assert_int_equal(bayes_begin(b), 0);
	for (i = 0; i < 400; i++) { /* the pool's minimum: 200 of each */
		unsigned char d[32] = {0};

		word_view(&v, body, sizeof(body), i % 2 ? 0 : 100, 50);
		assert_int_equal(bayes_tokenize(&v, &t), 0);
		d[0] = (unsigned char)i;
		d[1] = (unsigned char)(i >> 8);
		assert_int_equal(bayes_learn(b, &t, d, i % 2, err, sizeof(err)),
				 1);
		bayes_tokens_clear(&t);
	}
	assert_int_equal(bayes_commit(b), 0);
	assert_int_equal(sp_bayes_pool_new(s.path, &p), 0);
	/* a quarter spam words, a quarter ham words, half unseen ones */
	word_view(&v, body, sizeof(body), 25, 100);
	assert_int_equal(sp_bayes_sample_new(&v, &smp), 0);
	assert_int_equal(sp_bayes_sample_tokens(&v, &tok), 0);
	before = sp_bayes_prob(p, tok);
	if (before <= 0.01 || before >= 0.99)
		fail_msg("before: got %.17g, want a score that can move",
			 before);
	same(sp_bayes_prob(p, smp), before, "the same tokens", 100);
	/* a sample without its digest is never learned */
	assert_int_equal(sp_bayes_learn(p, tok, 0, 1000, err, sizeof(err)), -1);
	assert_int_equal(sp_bayes_learn(p, smp, 0, 1000, err, sizeof(err)), 1);
	after = sp_bayes_prob(p, tok);
	assert_int_equal(bayes_tokenize(&v, &t), 0);
	want = bayes_score(b, &t);
	bayes_tokens_clear(&t);
	same(after, want, "after the learn", 100);
	if (after == before)
		fail_msg("the learn was not seen: %.17g", after);
	sp_bayes_sample_free(&smp);
	sp_bayes_sample_free(&tok);
	sp_bayes_pool_free(&p);
	bayes_close(&b);
	scratch_remove(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(copy_scores_as_sql_to_the_last_bit),
	    cmocka_unit_test(copy_older_than_the_file_is_never_used),
	    cmocka_unit_test(copy_plus_a_learn_is_the_file_after_it),
	    cmocka_unit_test(schema1_file_opens_with_its_rows_and_gains_gen),
	    cmocka_unit_test(pool_sees_a_learn_at_once),
	    cmocka_unit_test(large_copy_is_not_copied_for_a_learn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
