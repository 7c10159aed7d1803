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
#include <string.h>

#include <sqlite3.h>

#include "bayes_snap.h"

/* Tokens kept in memory at most (a table of at most 2 M slots of 16
 * bytes: 32 MiB); a larger file is scored through SQL as before. */
#define BAYES_SNAP_MAX ((size_t)1 << 20)
/* bayes_snap_learned copies the whole table: past this many tokens
 * (a copy of 4 to 8 MiB, about a millisecond) that costs more than the
 * SQL lookups it saves until the file is read again, so it refuses and
 * the scores go through SQL (SpamAssassin's default bayes_expiry_max_db_size
 * is 150,000 tokens). */
#define BAYES_SNAP_LEARN_MAX ((size_t)1 << 17)

/* An open-addressing table keyed by the hash itself (tok_hash mixes its
 * bits): one or two cache lines a token, where a binary search of the
 * sorted tokens missed the cache a dozen times. Key 0 marks a free slot;
 * the token whose hash is 0 has its own fields. */
struct snap_slot {
	int64_t h;
	int32_t spam, ham;
};

struct bayes_snap {
	long long gen; /* totals.gen the copy was read at */
	struct snap_slot *slot;
	size_t cap; /* a power of 2, at least twice n */
	size_t n;
	int has_zero; /* the hash 0, and its counts */
	int32_t zero_spam, zero_ham;
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
	free(s->slot);
	free(s);
}

/* The slot of h (non-zero): its own, or the free one it would take. */
static struct snap_slot *
snap_slot(struct snap_slot *slot, size_t cap, int64_t h)
{
	size_t i = (size_t)(uint64_t)h & (cap - 1);

	while (slot[i].h != 0 && slot[i].h != h)
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

/* Room for one more token. 0 or -1 (ENOMEM, or over BAYES_SNAP_MAX). */
static int
snap_grow(struct bayes_snap *s)
{
	struct snap_slot *ns;
	size_t ncap, i;

	if ((s->n + 1) * 2 <= s->cap)
		return 0;
	if (s->n >= BAYES_SNAP_MAX)
		return -1;
	ncap = s->cap ? s->cap * 2 : 8192;
	if ((ns = calloc(ncap, sizeof(*ns))) == NULL)
		return -1;
	for (i = 0; i < s->cap; i++)
		if (s->slot[i].h != 0)
			*snap_slot(ns, ncap, s->slot[i].h) = s->slot[i];
	free(s->slot);
	s->slot = ns;
	s->cap = ncap;
	return 0;
}

static int
snap_put(struct bayes_snap *s, int64_t h, int32_t spam, int32_t ham)
{
	struct snap_slot *sl;

	if (h == 0) {
		s->has_zero = 1;
		s->zero_spam = spam;
		s->zero_ham = ham;
		return 0;
	}
	if (snap_grow(s) < 0)
		return -1;
	sl = snap_slot(s->slot, s->cap, h);
	sl->h = h;
	sl->spam = spam;
	sl->ham = ham;
	s->n++;
	return 0;
}

int
bayes_snap_load(sqlite3 *db, long long gen, struct bayes_snap **out)
{
	struct bayes_snap *s;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 sp, hm;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->gen = gen;
	s->refs = 1;
	if (sqlite3_prepare_v2(db, "SELECT h, spam, ham FROM tokens", -1, &st,
			       NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sp = sqlite3_column_int64(st, 1);
		hm = sqlite3_column_int64(st, 2);
		/* counts that do not fit stay with SQL */
		if (sp < 0 || hm < 0 || sp > INT32_MAX || hm > INT32_MAX ||
		    snap_put(s, sqlite3_column_int64(st, 0), (int32_t)sp,
			     (int32_t)hm) < 0)
			goto fail;
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

/* One more message of the class for token h. 0 or -1. */
static int
snap_count(struct bayes_snap *s, int64_t h, int is_spam)
{
	struct snap_slot *sl;
	int32_t *c;

	if (h == 0 && !s->has_zero)
		return snap_put(s, 0, is_spam, !is_spam);
	if (h == 0) {
		c = is_spam ? &s->zero_spam : &s->zero_ham;
	} else {
		if (s->cap == 0 || (sl = snap_slot(s->slot, s->cap, h))->h == 0)
			return snap_put(s, h, is_spam, !is_spam);
		c = is_spam ? &sl->spam : &sl->ham;
	}
	if (*c == INT32_MAX)
		return -1;
	(*c)++;
	return 0;
}

int
bayes_snap_learned(const struct bayes_snap *s, const uint64_t *h, size_t n,
		   int is_spam, struct bayes_snap **out)
{
	struct bayes_snap *ns;
	size_t i;

	*out = NULL;
	if (s->n > BAYES_SNAP_LEARN_MAX)
		return -1;
	if ((ns = calloc(1, sizeof(*ns))) == NULL)
		return -1;
	*ns = *s;
	ns->slot = NULL;
	ns->refs = 1;
	ns->gen = s->gen + 1;
	if (s->cap > 0) {
		if ((ns->slot = malloc(s->cap * sizeof(*ns->slot))) == NULL)
			goto fail;
		memcpy(ns->slot, s->slot, s->cap * sizeof(*ns->slot));
	}
	for (i = 0; i < n; i++)
		if (snap_count(ns, (int64_t)h[i], is_spam ? 1 : 0) < 0)
			goto fail;
	*out = ns;
	return 0;
fail:
	bayes_snap_unref(&ns);
	return -1;
}

static void
snap_one(const struct bayes_snap *s, uint64_t h, int32_t (*cnt)[2], size_t *n)
{
	const struct snap_slot *sl;

	if (h == 0) {
		if (s->has_zero) {
			cnt[*n][0] = s->zero_spam;
			cnt[(*n)++][1] = s->zero_ham;
		}
		return;
	}
	if (s->cap == 0) /* no token but maybe the hash 0 */
		return;
	sl = snap_slot(s->slot, s->cap, (int64_t)h);
	if (sl->h != 0) {
		cnt[*n][0] = sl->spam;
		cnt[(*n)++][1] = sl->ham;
	}
}

/* The order matters to the last bit of the score (the products of
 * bayes_chi_combine): it is the one bayes_score()'s SQL gives, chunk
 * by chunk of BAYES_IN tokens (h is sorted as unsigned), each chunk's
 * rows in SQLite's signed order, the negative hashes (top bit set,
 * the chunk's tail) first. */
size_t
bayes_snap_counts(const struct bayes_snap *s, const uint64_t *h, size_t n,
		  int32_t (*cnt)[2])
{
	size_t i, j, k, end, known = 0;

	for (i = 0; i < n; i = end) {
		end = n - i > BAYES_IN ? i + BAYES_IN : n;
		for (k = i; k < end && (h[k] >> 63) == 0; k++)
			;
		for (j = k; j < end; j++)
			snap_one(s, h[j], cnt, &known);
		for (j = i; j < k; j++)
			snap_one(s, h[j], cnt, &known);
	}
	return known;
}
