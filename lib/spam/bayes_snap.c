/* lib/spam/bayes_snap.c - an in-memory copy of a Bayes file's token
 * table for scoring (bayes.h: bayes_score_snap). A message's tokens cost
 * about 4,000 instructions each through SQLite (statement, b-tree seek,
 * page fetch); a binary search in a sorted array costs a few dozen. The
 * copy is valid for one generation of the file (totals.gen, bumped by a
 * trigger on every learn or forget, whoever writes), so a score read
 * through it is the one SQL would give at that generation.
 *
 * SECURITY: reads the token file through a read-only handle; the copy
 * holds hashes and counts only, never token text. */
#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "bayes.h"
#include "bayes_snap.h"

/* Tokens kept in memory at most (16 bytes each: 64 MiB); a larger file
 * is scored through SQL as before. */
#define BAYES_SNAP_MAX ((size_t)4 << 20)

struct bayes_snap {
	long long gen;	   /* totals.gen the copy was read at */
	int64_t *h;	   /* the hashes as SQLite stores them, ascending */
	int32_t (*cnt)[2]; /* spam, ham of h[i] */
	size_t n;
	int refs; /* __atomic; bayes_snap_ref/unref */
};

long long
bayes_snap_gen(const struct bayes_snap *s)
{
	return s->gen;
}

void
bayes_snap_ref(struct bayes_snap *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

void
bayes_snap_unref(struct bayes_snap **sp)
{
	struct bayes_snap *s = *sp;

	*sp = NULL;
	if (s == NULL || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	free(s->h);
	free(s->cnt);
	free(s);
}

/* Room for n more rows. 0 or -1 (ENOMEM, or over BAYES_SNAP_MAX). */
static int
snap_grow(struct bayes_snap *s, size_t *cap)
{
	int64_t *h;
	int32_t(*cnt)[2];
	size_t ncap;

	if (s->n < *cap)
		return 0;
	if (*cap >= BAYES_SNAP_MAX)
		return -1;
	ncap = *cap ? *cap * 2 : 4096;
	if ((h = realloc(s->h, ncap * sizeof(*h))) == NULL)
		return -1;
	s->h = h;
	if ((cnt = realloc(s->cnt, ncap * sizeof(*cnt))) == NULL)
		return -1;
	s->cnt = cnt;
	*cap = ncap;
	return 0;
}

int
bayes_snap_load(sqlite3 *db, long long gen, struct bayes_snap **out)
{
	struct bayes_snap *s;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 sp, hm;
	size_t cap = 0;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->gen = gen;
	s->refs = 1;
	if (sqlite3_prepare_v2(db,
			       "SELECT h, spam, ham FROM tokens "
			       "ORDER BY h",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sp = sqlite3_column_int64(st, 1);
		hm = sqlite3_column_int64(st, 2);
		/* counts that do not fit stay with SQL */
		if (sp < 0 || hm < 0 || sp > INT32_MAX || hm > INT32_MAX ||
		    snap_grow(s, &cap) < 0)
			goto fail;
		s->h[s->n] = sqlite3_column_int64(st, 0);
		s->cnt[s->n][0] = (int32_t)sp;
		s->cnt[s->n][1] = (int32_t)hm;
		s->n++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	*out = s;
	return 0;
fail:
	sqlite3_finalize(st);
	bayes_snap_unref(&s);
	return -1;
}

/* Index of h in s, or -1. */
static long
snap_find(const struct bayes_snap *s, int64_t h)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->h[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->h[lo] == h ? (long)lo : -1;
}

static void
snap_one(const struct bayes_snap *s, uint64_t h, long long nspam,
	 long long nham, double *prob, size_t *n)
{
	long i = snap_find(s, (int64_t)h);

	if (i >= 0)
		prob[(*n)++] =
		    bayes_token_prob(s->cnt[i][0], s->cnt[i][1], nspam, nham);
}

/* The order matters to the last bit of the score (the products of
 * bayes_chi_combine): it is the one bayes_score()'s SQL gives, chunk
 * by chunk of BAYES_IN tokens (t is sorted as unsigned), each chunk's
 * rows in SQLite's signed order, the negative hashes (top bit set,
 * the chunk's tail) first. */
size_t
bayes_snap_probs(const struct bayes_snap *s, const struct bayes_tokens *t,
		 long long nspam, long long nham, double *prob)
{
	size_t i, j, k, end, n = 0;

	for (i = 0; i < t->n; i = end) {
		end = t->n - i > BAYES_IN ? i + BAYES_IN : t->n;
		for (k = i; k < end && (t->h[k] >> 63) == 0; k++)
			;
		for (j = k; j < end; j++)
			snap_one(s, t->h[j], nspam, nham, prob, &n);
		for (j = i; j < k; j++)
			snap_one(s, t->h[j], nspam, nham, prob, &n);
	}
	return n;
}
