/* lib/spam/bayes_test.c - tokenizer, maths and storage of bayes.c,
 * over hand-built message views and a scratch SQLite file; with
 * FACTEUR_TEST_DB_URL (tests/postgres/run_with_pg.py: postgres-spam-bayes)
 * the storage tests run on that PostgreSQL database instead, emptied
 * before each, and the file-only ones are skipped. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "bayes.h"
#include "msgview.h"
#include "store.h"

/* ---- tokenizer ---- */

static int
has_token(const struct bayes_tokens *t, const char *tok)
{
	uint64_t h = bayes_hash(tok, strlen(tok));
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->h[i] == h)
			return 1;
	return 0;
}

struct tok_case {
	const char *token;
	int want; /* 1 present, 0 absent */
};

static void
check_tokens(const struct sp_view *v, const struct tok_case *c, size_t n)
{
	struct bayes_tokens t;
	size_t i;

	assert_int_equal(bayes_tokenize(v, &t), 0);
	for (i = 1; i < t.n; i++)
		if (t.h[i - 1] >= t.h[i])
			fail_msg("tokens not sorted unique at %zu", i);
	for (i = 0; i < n; i++)
		if (has_token(&t, c[i].token) != c[i].want)
			fail_msg("token \"%s\": got %s, want %s", c[i].token,
				 c[i].want ? "absent" : "present",
				 c[i].want ? "present" : "absent");
	bayes_tokens_clear(&t);
}

static void
body_words_are_lowercased_bounded_and_shaped(void **state)
{
	static const char body[] =
	    "Hello WORLD, hello! ab abc \"quoted\" "
	    "supercalifragilisticexpialidocious 12345 $1,000 2002 "
	    "\xc3\xa9t\xc3\xa9 \xc3\xa9\xc3\xa9 win2k ...dots... "
	    "exactly20characters!";
	static const struct tok_case cases[] = {
	    {"hello", 1},
	    {"world", 1},
	    {"Hello", 0},
	    {"hello!", 1},
	    {"ab", 0},
	    {"abc", 1},
	    {"quoted", 1},
	    {"\"quoted\"", 0},
	    {"sk:s:3", 1},
	    {"supercalifragilisticexpialidocious", 0},
	    {"n:5", 1},
	    {"n:$4", 1},
	    {"n:4", 1},
	    {"12345", 0},
	    {"\xc3\xa9t\xc3\xa9", 1},
	    {"\xc3\xa9\xc3\xa9", 0},
	    {"win2k", 1},
	    {"dots", 1},
	    {"exactly20characters!", 1},
	};
	struct sp_view v = {0};

	(void)state;
	v.body_text = (char *)body;
	v.body_text_len = sizeof(body) - 1;
	check_tokens(&v, cases, sizeof(cases) / sizeof(cases[0]));
}

static void
headers_give_prefixed_tokens(void **state)
{
	static struct sp_header hdrs[] = {
	    {"From", "\"John Doe\" <john@mail.Example.COM>",
	     "\"John Doe\" <john@mail.Example.COM>"},
	    {"Subject", "=?utf-8?q?Cheap?= pills", "Cheap pills"},
	    {"X-Mailer", "Microsoft Outlook Express 6.00",
	     "Microsoft Outlook Express 6.00"},
	    {"Content-Type", "text/HTML; charset=\"ISO-8859-1\"",
	     "text/HTML; charset=\"ISO-8859-1\""},
	    {"Received",
	     "from helo.spammer.net (unknown [10.1.2.3]) by "
	     "mx.example.org (Postfix) with ESMTP id ABC123; Mon, 1 Jan",
	     NULL},
	    {"Message-ID", "<123.456@bulk.mailer.biz>",
	     "<123.456@bulk.mailer.biz>"},
	    {"X-Spam-Status", "Yes, score=99", "Yes, score=99"},
	    {"Date", "Mon, 1 Jan 2024 10:00:00 +0000",
	     "Mon, 1 Jan 2024 10:00:00 +0000"},
	};
	static const struct tok_case cases[] = {
	    {"hn:from", 1},
	    {"hn:x-mailer", 1},
	    {"hn:date", 1},
	    {"hn:x-spam-status", 0},
	    {"h:from:john", 1},
	    {"h:from:doe", 1},
	    {"h:from:mail.example.com", 1},
	    {"h:from:example.com", 1},
	    {"s:cheap", 1},
	    {"s:pills", 1},
	    {"cheap", 0},
	    {"h:x-mailer:microsoft", 1},
	    {"h:x-mailer:outlook", 1},
	    {"ct:text/html", 1},
	    {"cs:iso-8859-1", 1},
	    {"h:received:helo.spammer.net", 1},
	    {"h:received:spammer.net", 1},
	    {"h:received:mx.example.org", 1},
	    {"h:received:abc123", 0},
	    {"h:message-id:bulk.mailer.biz", 1},
	    {"h:message-id:mailer.biz", 1},
	    {"score", 0},
	    {"2024", 0},
	};
	struct sp_view v = {0};

	(void)state;
	v.headers = hdrs;
	v.nheaders = sizeof(hdrs) / sizeof(hdrs[0]);
	check_tokens(&v, cases, sizeof(cases) / sizeof(cases[0]));
}

static void
uri_hosts_and_parts_give_tokens(void **state)
{
	static char *uris[] = {"http://www.shop.example.co.uk/buy",
			       "http://192.0.2.7/x", "https://Bit.LY/abc"};
	static char *doms[] = {"www.shop.example.co.uk", "192.0.2.7", "Bit.LY"};
	static struct sp_part parts[] = {
	    {"text/html", "x", 1, 1, NULL, 1},
	    {"application/octet-stream", NULL, 0, 10, "setup.EXE", 0},
	};
	static const struct tok_case cases[] = {
	    {"u:www.shop.example.co.uk", 1},
	    {"u:shop.example.co.uk", 1},
	    {"u:example.co.uk", 1},
	    {"u:co.uk", 1},
	    {"u:uk", 0},
	    {"u:ip-literal", 1},
	    {"u:192.0.2.7", 0},
	    {"u:bit.ly", 1},
	    {"pt:text/html", 1},
	    {"pt:application/octet-stream", 1},
	    {"pe:exe", 1},
	};
	struct sp_view v = {0};

	(void)state;
	v.uris = uris;
	v.uri_domains = doms;
	v.nuris = 3;
	v.parts = parts;
	v.nparts = 2;
	check_tokens(&v, cases, sizeof(cases) / sizeof(cases[0]));
}

static void
many_body_words_come_out_sorted_and_once_each(void **state)
{
	struct sp_view v = {0};
	struct bayes_tokens t;
	char *body, w[16];
	size_t i, len = 0;

	(void)state;
	/* 3000 distinct words, each twice, in an order unlike their hashes' */
	body = malloc(6000 * 10 + 1);
	assert_non_null(body);
	for (i = 0; i < 6000; i++) {
		snprintf(w, sizeof(w), "word%04zu ", (i * 7919) % 3000);
		memcpy(body + len, w, 9);
		len += 9;
	}
	body[len] = '\0';
	v.body_text = body;
	v.body_text_len = len;
	assert_int_equal(bayes_tokenize(&v, &t), 0);
	assert_int_equal(t.n, 3000);
	for (i = 1; i < t.n; i++)
		if (t.h[i - 1] >= t.h[i])
			fail_msg("tokens not sorted unique at %zu", i);
	assert_true(has_token(&t, "word0000"));
	assert_true(has_token(&t, "word2999"));
	bayes_tokens_clear(&t);
	free(body);
}

static void
empty_view_gives_no_tokens(void **state)
{
	struct sp_view v = {0};
	struct bayes_tokens t;

	(void)state;
	assert_int_equal(bayes_tokenize(&v, &t), 0);
	if (t.n != 0)
		fail_msg("got %zu tokens, want 0", t.n);
	bayes_tokens_clear(&t);
}

/* ---- maths ---- */

static void
near(double got, double want, const char *what)
{
	if (fabs(got - want) > 1e-6)
		fail_msg("%s: got %.9f, want %.9f", what, got, want);
}

static void
robinson_fw_matches_hand_values(void **state)
{
	(void)state;
	/* s = 1, x = 0.538: (1 * 0.538 + 1 * 1) / (1 + 1) */
	near(bayes_token_prob(1, 0, 10, 10), 1.538 / 2, "f(1,0)");
	near(bayes_token_prob(0, 1, 10, 10), 0.538 / 2, "f(0,1)");
	/* (0.538 + 10 * 0.5) / 11 */
	near(bayes_token_prob(5, 5, 10, 10), 5.538 / 11, "f(5,5)");
	/* ratio 1/10 vs 1/40 -> p = 0.8, n = 2 */
	near(bayes_token_prob(1, 1, 10, 40), (0.538 + 1.6) / 3, "f(1,1|10,40)");
	near(bayes_token_prob(0, 0, 10, 10), -1, "f(unseen)");
}

static void
chi_combine_matches_hand_values(void **state)
{
	double one[] = {0.99}, two[] = {0.9, 0.8}, many[400];
	size_t i;

	(void)state;
	/* one token: chi2q(-2 ln P, 1) = P, so (H - S + 1) / 2 with
	 * S = 0.5 * 0.01, H = 0.5 * 0.99 */
	near(bayes_chi_combine(one, 1, 1, 1), 0.745, "one token");
	/* two tokens: chi2q(-2 ln P, 2) = P (1 - ln P) */
	near(bayes_chi_combine(two, 2, 1, 1),
	     (1.0 - 0.01 * (1.0 - log(0.01)) - 1.0 + 0.36 * (1.0 - log(0.36)) +
	      1.0) /
		 2.0,
	     "two tokens");
	near(bayes_chi_combine(two, 0, 1, 1), 0.5, "no tokens");
	for (i = 0; i < 400; i++)
		many[i] = 0.99;
	if (!(bayes_chi_combine(many, 400, 1, 1) > 0.999))
		fail_msg("400 spammy tokens: got %f, want > 0.999",
			 bayes_chi_combine(many, 400, 1, 1));
	for (i = 0; i < 400; i++)
		many[i] = 0.01;
	if (!(bayes_chi_combine(many, 400, 1, 1) < 0.001))
		fail_msg("400 hammy tokens: got %f, want < 0.001",
			 bayes_chi_combine(many, 400, 1, 1));
}

static void
combine_keeps_strong_tokens_only(void **state)
{
	double p[] = {0.6, 0.4, 0.99, -1, 0.5}, one[] = {0.99};
	double many[200], want[150];
	size_t i;

	(void)state;
	near(bayes_combine_tokens(p, 5, 1, 1), bayes_chi_combine(one, 1, 1, 1),
	     "weak tokens ignored");
	/* 160 very hammy and 40 mildly spammy: the 150 strongest are ham */
	for (i = 0; i < 200; i++)
		many[i] = i % 5 == 0 ? 0.9 : 0.001;
	for (i = 0; i < 150; i++)
		want[i] = 0.001;
	near(bayes_combine_tokens(many, 200, 1, 1),
	     bayes_chi_combine(want, 150, 1, 1), "150 strongest");
}

/* ---- storage ---- */

struct scratch {
	char dir[64];
	char path[1024];
};

/* The PostgreSQL database of the run, or NULL (SQLite files). */
static const char *
pg_url(void)
{
	const char *u = getenv("FACTEUR_TEST_DB_URL");

	return u != NULL && *u != '\0' ? u : NULL;
}

static void
pg_exec(const char *sql)
{
	PGconn *c = PQconnectdb(pg_url());
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* The schema (lib/store's, version 3 has the Bayes tables), emptied. */
static void
pg_fresh(struct scratch *s)
{
	struct store_errbuf err;
	struct store *st = NULL;

	snprintf(s->path, sizeof(s->path), "%s", pg_url());
	if (store_open(s->path, STORE_RW, 5000, &st, &err) < 0 ||
	    store_migrate(st, NULL, NULL, &err) < 0)
		fail_msg("schema: %s", err.msg);
	store_free(&st);
	pg_exec("TRUNCATE bayes_tokens, bayes_seen;"
		"UPDATE bayes_totals SET nspam = 0, nham = 0");
}

static void
scratch_make(struct scratch *s)
{
	s->dir[0] = '\0';
	if (pg_url() != NULL) {
		pg_fresh(s);
		return;
	}
	snprintf(s->dir, sizeof(s->dir), "bayes_test.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		fail_msg("mkdtemp failed");
	snprintf(s->path, sizeof(s->path), "%s/bayes.sqlite", s->dir);
}

static void
scratch_remove(struct scratch *s)
{
	char p[1100];

	if (s->dir[0] == '\0')
		return;
	unlink(s->path);
	snprintf(p, sizeof(p), "%s-wal", s->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", s->path);
	unlink(p);
	rmdir(s->dir);
}

static void
check_stats(struct bayes *b, long long ns, long long nh, long long nt)
{
	struct bayes_stats st;

	assert_int_equal(bayes_stats(b, &st), 0);
	if (st.nspam != ns || st.nham != nh || st.ntokens != nt)
		fail_msg("stats: got spam=%lld ham=%lld tokens=%lld, want "
			 "%lld %lld %lld",
			 st.nspam, st.nham, st.ntokens, ns, nh, nt);
}

/* The counts stored for a token, read straight from the database. */
static void
pg_counts(uint64_t h, long long *s, long long *hm)
{
	char v[32];
	const char *vals[1] = {v};
	PGconn *c = PQconnectdb(pg_url());
	PGresult *r;

	snprintf(v, sizeof(v), "%lld", (long long)(int64_t)h);
	r = PQexecParams(c, "SELECT spam, ham FROM bayes_tokens WHERE h = $1",
			 1, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("counts: %s", PQerrorMessage(c));
	if (PQntuples(r) == 1) {
		*s = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		*hm = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	}
	PQclear(r);
	PQfinish(c);
}

static void
check_counts(const char *path, uint64_t h, long long ws, long long wh)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long s = -1, hm = -1;

	if (pg_url() != NULL) {
		pg_counts(h, &s, &hm);
		goto cmp;
	}
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT spam, ham FROM tokens WHERE h = ?",
			       -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)h);
	if (sqlite3_step(st) == SQLITE_ROW) {
		s = sqlite3_column_int64(st, 0);
		hm = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
cmp:
	if (s != ws || hm != wh)
		fail_msg("token counts: got spam=%lld ham=%lld, want %lld %lld "
			 "(-1: no row)",
			 s, hm, ws, wh);
}

static void
learn_is_idempotent_and_relearn_moves_counts(void **state)
{
	/* sorted as unsigned: the last is negative as a SQL bigint */
	uint64_t h[] = {1, 2, 3, UINT64_C(0x8000000000000005)};
	struct bayes_tokens t = {h, 4};
	unsigned char d[32] = {1};
	struct scratch s;
	struct bayes *b;
	char err[256];

	(void)state;
	scratch_make(&s);
	assert_int_equal(bayes_open(s.path, 1, &b, err, sizeof(err)), 0);
	check_stats(b, 0, 0, 0);
	assert_int_equal(bayes_learn(b, &t, d, 1, err, sizeof(err)), 1);
	assert_int_equal(bayes_learn(b, &t, d, 1, err, sizeof(err)), 0);
	check_stats(b, 1, 0, 4);
	check_counts(s.path, 2, 1, 0);
	check_counts(s.path, h[3], 1, 0);
	assert_int_equal(bayes_learn(b, &t, d, 0, err, sizeof(err)), 1);
	check_stats(b, 0, 1, 4);
	check_counts(s.path, 2, 0, 1);
	check_counts(s.path, h[3], 0, 1);
	assert_int_equal(bayes_forget(b, &t, d, err, sizeof(err)), 1);
	assert_int_equal(bayes_forget(b, &t, d, err, sizeof(err)), 0);
	check_stats(b, 0, 0, 0);
	check_counts(s.path, 2, -1, -1);
	check_counts(s.path, h[3], -1, -1);
	bayes_close(&b);
	assert_null(b);
	scratch_remove(&s);
}

static void
score_separates_learned_classes(void **state)
{
	uint64_t spam_h[] = {10, 11, 12}, ham_h[] = {20, 21, 22};
	uint64_t mixed_h[] = {10, 20}, unk_h[] = {99};
	struct bayes_tokens ts = {spam_h, 3}, th = {ham_h, 3};
	struct bayes_tokens tm = {mixed_h, 2}, tu = {unk_h, 1};
	unsigned char d[32];
	struct scratch s;
	struct bayes *b, *ro;
	char err[256];
	double p, want2[2];
	int i;

	(void)state;
	scratch_make(&s);
	assert_int_equal(bayes_open(s.path, 1, &b, err, sizeof(err)), 0);
	assert_int_equal(bayes_begin(b), 0);
	for (i = 0; i < 10; i++) {
		memset(d, 0, sizeof(d));
		d[0] = (unsigned char)i;
		d[1] = 1;
		assert_int_equal(bayes_learn(b, &ts, d, 1, err, sizeof(err)),
				 1);
		d[1] = 2;
		assert_int_equal(bayes_learn(b, &th, d, 0, err, sizeof(err)),
				 1);
	}
	assert_int_equal(bayes_commit(b), 0);
	check_stats(b, 10, 10, 6);
	/* below SpamAssassin's 200/200 minimum: no opinion */
	near(bayes_score(b, &ts), -1, "score below minimum");
	bayes_set_min(b, 10, 10);
	if ((p = bayes_score(b, &ts)) < 0.95)
		fail_msg("spam score: got %f, want >= 0.95", p);
	if ((p = bayes_score(b, &th)) > 0.05 || p < 0)
		fail_msg("ham score: got %f, want in [0, 0.05]", p);
	near(bayes_score(b, &tu), 0.5, "unknown tokens");
	want2[0] = bayes_token_prob(10, 0, 10, 10);
	want2[1] = bayes_token_prob(0, 10, 10, 10);
	near(bayes_score(b, &tm), bayes_chi_combine(want2, 2, 10, 10),
	     "one spam and one ham token");

	/* a read-only handle scores and refuses to learn */
	assert_int_equal(bayes_open(s.path, 0, &ro, err, sizeof(err)), 0);
	bayes_set_min(ro, 10, 10);
	if ((p = bayes_score(ro, &ts)) < 0.95)
		fail_msg("read-only spam score: got %f, want >= 0.95", p);
	d[0] = 0xff;
	assert_int_equal(bayes_learn(ro, &ts, d, 1, err, sizeof(err)), -1);
	bayes_close(&ro);
	bayes_close(&b);
	scratch_remove(&s);
}

static void
score_over_many_tokens_counts_each_known_one_once(void **state)
{
	/* 301 tokens (not a multiple of the lookup's batch): 0, 3, 6 ...
	 * learned as spam, 1, 4, 7 ... as ham, 2, 5, 8 ... unknown */
	uint64_t hs[101], hh[100], all[301];
	struct bayes_tokens ts = {hs, 101}, th = {hh, 100}, ta = {all, 301};
	double want[301];
	unsigned char d[32];
	struct scratch s;
	struct bayes *b;
	char err[256];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 301; i++) {
		all[i] = i;
		if (i % 3 == 0)
			hs[i / 3] = i;
		else if (i % 3 == 1)
			hh[i / 3] = i;
	}
	scratch_make(&s);
	assert_int_equal(bayes_open(s.path, 1, &b, err, sizeof(err)), 0);
	assert_int_equal(bayes_begin(b), 0);
	for (i = 0; i < 10; i++) {
		memset(d, 0, sizeof(d));
		d[0] = (unsigned char)i;
		d[1] = 1;
		assert_int_equal(bayes_learn(b, &ts, d, 1, err, sizeof(err)),
				 1);
		d[1] = 2;
		assert_int_equal(bayes_learn(b, &th, d, 0, err, sizeof(err)),
				 1);
	}
	assert_int_equal(bayes_commit(b), 0);
	bayes_set_min(b, 10, 10);
	for (i = 0; i < 301; i++)
		if (i % 3 != 2)
			want[n++] = bayes_token_prob(
			    i % 3 == 0 ? 10 : 0, i % 3 == 1 ? 10 : 0, 10, 10);
	assert_int_equal(n, 201);
	near(bayes_score(b, &ta), bayes_combine_tokens(want, n, 10, 10),
	     "301 tokens, 201 known");
	ta.n = 64; /* exactly one batch: 0..63, 43 known */
	for (i = n = 0; i < 64; i++)
		if (i % 3 != 2)
			want[n++] = bayes_token_prob(
			    i % 3 == 0 ? 10 : 0, i % 3 == 1 ? 10 : 0, 10, 10);
	near(bayes_score(b, &ta), bayes_combine_tokens(want, n, 10, 10),
	     "64 tokens");
	ta.n = 0;
	near(bayes_score(b, &ta), bayes_chi_combine(want, 0, 10, 10),
	     "no tokens");
	bayes_close(&b);
	scratch_remove(&s);
}

static void
open_missing_file_read_only_fails(void **state)
{
	struct bayes *b = (struct bayes *)1;
	char err[256] = "";

	(void)state;
	if (pg_url() != NULL)
		skip(); /* a file's */
	assert_int_equal(
	    bayes_open("no/such/dir/bayes.sqlite", 0, &b, err, sizeof(err)),
	    -1);
	assert_null(b);
	if (strstr(err, "no/such/dir") == NULL)
		fail_msg("error: got \"%s\", want the path in it", err);
}

/* SQLite would make a new file 0644 & ~umask: the tokens are words of
 * the users' mail (issue 12). */
static void
new_file_is_0640_whatever_the_umask(void **state)
{
	struct scratch s;
	struct bayes *b;
	struct stat st;
	char err[256];
	mode_t old;

	(void)state;
	if (pg_url() != NULL)
		skip(); /* a file's */
	scratch_make(&s);
	old = umask(022);
	assert_int_equal(bayes_open(s.path, 1, &b, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(stat(s.path, &st), 0);
	if ((st.st_mode & 0777) != 0640)
		fail_msg("mode: got %03o, want 640",
			 (unsigned)(st.st_mode & 0777));
	bayes_close(&b);
	scratch_remove(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(body_words_are_lowercased_bounded_and_shaped),
	    cmocka_unit_test(headers_give_prefixed_tokens),
	    cmocka_unit_test(uri_hosts_and_parts_give_tokens),
	    cmocka_unit_test(empty_view_gives_no_tokens),
	    cmocka_unit_test(many_body_words_come_out_sorted_and_once_each),
	    cmocka_unit_test(robinson_fw_matches_hand_values),
	    cmocka_unit_test(chi_combine_matches_hand_values),
	    cmocka_unit_test(combine_keeps_strong_tokens_only),
	    cmocka_unit_test(learn_is_idempotent_and_relearn_moves_counts),
	    cmocka_unit_test(score_separates_learned_classes),
	    cmocka_unit_test(score_over_many_tokens_counts_each_known_one_once),
	    cmocka_unit_test(open_missing_file_read_only_fails),
	    cmocka_unit_test(new_file_is_0640_whatever_the_umask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
