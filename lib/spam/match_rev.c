/* lib/spam/match_rev.c - where a prefiltered rule can match, so that
 * PCRE2 confirms it at those offsets only; see match_relax.h.
 *
 * SpamAssassin's __FILL_THIS_FORM_SHORT2 is three repetitions of a
 * 2,800-byte field pattern. Hyperscan refuses it, and its relaxed form
 * (one repetition or more, match_relax) is hit by 83% of corpus
 * messages ("age " in "message " is a field); PCRE2 then tried the rule
 * at every offset of those bodies: 0.13 ms a message, most of the PCRE2
 * time left. Counting the relaxed field's matches (the rule needs 3)
 * still let 62% through: a field followed by blanks ends at each of
 * them. Hyperscan reports where matches end, not where they start (start
 * of match is "too large" here too), but the rule's pattern reversed
 * (match_reverse), run over the text reversed, ends at n - s for every
 * offset s where the rule can start. PCRE2, anchored, tries those
 * offsets only: 7.5 a message instead of every one, with the verdicts
 * of the unanchored search on 1,200 corpus messages.
 *
 * Only long confirmed patterns (REV_MIN_LEN) get a reversed database;
 * each is compiled once and kept in the cache directory as
 * DIR/rv-HEX.db, HEX the SHA-256 of hyperscan's version, the flags and
 * the reversed pattern, read only if root or we own it and no one else
 * may write it (hyperscan runs what it deserializes). As match_cache.c's
 * group files, and in the same directory that builds of other rule sets
 * may share: a load touches the file once a day (match_cache_touch), and
 * match_cache_prune removes those not used for 30 days. */
#include "match_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "match_relax.h"
#include "re_limits.h"

#define REV_MIN_LEN 512		     /* shorter patterns: PCRE2 as before */
#define REV_MAX_STARTS 4096	     /* more offsets: PCRE2 unanchored */
#define REV_BUDGET SP_RE_MATCH_LIMIT /* match.c's pcre2_set_match_limit() */
#define REV_MAX_FILE (64 << 20)
#define REV_MAGIC "FCTRREV1" /* bump with match_reverse()'s output */
#define REV_NONE "FCTRNONE"

struct rev_rule {
	size_t rule;
	hs_database_t *db;
	pcre2_code *anch; /* the rule's pattern, PCRE2_ANCHORED */
};

struct match_rev {
	struct rev_rule *v;
	size_t n;
};

/* "DIR/rv-HEX.db" for rule pattern re, reversed rx, hyperscan flags f. */
static int
rev_path(char *out, size_t outlen, const char *dir, const char *re,
	 const char *rx, unsigned f)
{
	unsigned char d[32];
	unsigned int dl = 0;
	char hex[65], buf[64];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok, i, n;

	n = snprintf(buf, sizeof(buf), "|%s|%u|", REV_MAGIC, f);
	ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(c, hs_version(), strlen(hs_version())) == 1 &&
	     EVP_DigestUpdate(c, buf, (size_t)n) == 1 &&
	     EVP_DigestUpdate(c, re, strlen(re) + 1) == 1 &&
	     EVP_DigestUpdate(c, rx, strlen(rx)) == 1 &&
	     EVP_DigestFinal_ex(c, d, &dl) == 1 && dl == sizeof(d);
	EVP_MD_CTX_free(c);
	if (!ok)
		return -1;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	n = snprintf(out, outlen, "%s/rv-%s.db", dir, hex);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* The file at path if it is sound and trusted: 1 and *db (REV_MAGIC and
 * a serialized database), 0 (REV_NONE: the rule gets none), -1 absent
 * or not to be trusted. */
static int
rev_load(const char *path, hs_database_t **db)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	ssize_t k;
	int fd, rc = -1;

	*db = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_uid == 0 || st.st_uid == geteuid()) &&
	    (st.st_mode & 022) == 0 && st.st_size >= 8 &&
	    st.st_size < REV_MAX_FILE &&
	    (data = malloc((size_t)st.st_size)) != NULL) {
		match_cache_touch(fd, &st);
		while (
		    got < (size_t)st.st_size &&
		    ((k = read(fd, data + got, (size_t)st.st_size - got)) > 0 ||
		     (k < 0 && errno == EINTR)))
			got += k > 0 ? (size_t)k : 0;
	}
	close(fd);
	if (data != NULL && got == (size_t)st.st_size) {
		if (got == 8 && memcmp(data, REV_NONE, 8) == 0)
			rc = 0;
		else if (memcmp(data, REV_MAGIC, 8) == 0 &&
			 hs_deserialize_database(data + 8, got - 8, db) ==
			     HS_SUCCESS)
			rc = 1;
		else
			*db = NULL;
	}
	free(data);
	return rc;
}

/* Writes db (NULL: the REV_NONE mark) to path atomically; failures are
 * only a slower next start. */
static void
rev_save(const char *path, const hs_database_t *db)
{
	char tmp[PATH_MAX], *bytes = NULL;
	size_t len = 0;
	int fd, ok;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp) ||
	    (db != NULL &&
	     hs_serialize_database(db, &bytes, &len) != HS_SUCCESS))
		return;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		free(bytes);
		return;
	}
	ok = fchmod(fd, 0644) == 0 &&
	     write(fd, db != NULL ? REV_MAGIC : REV_NONE, 8) == 8 &&
	     (len == 0 || write(fd, bytes, len) == (ssize_t)len);
	ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
	if (!ok)
		(void)unlink(tmp);
	free(bytes);
}

/* Whether rule r, which hyperscan prefilters, was relaxed: hyperscan
 * takes its pattern as it is (hs_expression_info) but refused to compile
 * it, too large; the others were refused for what hyperscan lacks
 * (lookarounds, backreferences) and prefilter well. */
static int
rev_relaxed(const struct sp_rule *r)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *ce = NULL;

	if (strlen(r->re) < REV_MIN_LEN)
		return 0;
	if (hs_expression_info(r->re, match_hs_flags(r), &info, &ce) !=
	    HS_SUCCESS) {
		hs_free_compile_error(ce);
		return 0;
	}
	free(info);
	return 1;
}

/* The reversed database of rule r, from dir or compiled (and saved),
 * if r was relaxed and hyperscan takes it reversed: 1 and e->db, else 0
 * (REV_NONE is saved so that the next start need not ask hyperscan). */
static int
rev_db(const struct sp_rule *r, const char *rx, const char *dir,
       hs_database_t **db)
{
	size_t len = 2 * strlen(rx) + 1;
	char *rv = malloc(len), path[PATH_MAX];
	unsigned f = match_hs_flags(r) & ~(unsigned)HS_FLAG_SINGLEMATCH;
	hs_compile_error_t *ce = NULL;
	int keyed, rc = -1;

	*db = NULL;
	if (rv == NULL || match_reverse(rx, rv, len) < 0) {
		free(rv);
		return 0;
	}
	keyed = dir != NULL && *dir != '\0' &&
		rev_path(path, sizeof(path), dir, r->re, rv, f) == 0;
	if (keyed)
		rc = rev_load(path, db);
	if (rc < 0 && rev_relaxed(r) &&
	    hs_compile(rv, f, HS_MODE_BLOCK, NULL, db, &ce) != HS_SUCCESS) {
		hs_free_compile_error(ce);
		*db = NULL;
	}
	if (rc < 0 && keyed)
		rev_save(path, *db);
	free(rv);
	return *db != NULL;
}

/* The reversed database and anchored PCRE2 code of rule r: 1 made, 0
 * not (refused by match_relax, match_reverse, hyperscan or PCRE2, or
 * not relaxed), -1 ENOMEM. */
static int
rev_one(const struct sp_rule *r, const char *dir, struct rev_rule *e)
{
	size_t len = strlen(r->re);
	char *rx;
	PCRE2_SIZE off;
	int ec;

	e->db = NULL;
	e->anch = NULL;
	if (len < REV_MIN_LEN)
		return 0;
	if ((rx = malloc(len + 1)) == NULL)
		return -1;
	if (match_relax(r->re, rx, len + 1) == 0 &&
	    rev_db(r, rx, dir, &e->db) == 1)
		e->anch = pcre2_compile(
		    (PCRE2_SPTR)r->re, PCRE2_ZERO_TERMINATED,
		    match_pcre_flags(r) | PCRE2_ANCHORED, &ec, &off, NULL);
	free(rx);
	if (e->anch == NULL) {
		hs_free_database(e->db);
		e->db = NULL;
		return 0;
	}
	(void)pcre2_jit_compile(e->anch, PCRE2_JIT_COMPLETE);
	return 1;
}

/* Whether PCRE2 tries the rule at every offset: not when it knows where
 * a match can start (a first byte, a line start: __FILL_THIS_FORM_PARTIAL
 * begins with ^, and PCRE2 confirms it in 3 us a message where the
 * reversed scan takes 30) or is anchored; and whether the rule needs a
 * byte at least (one that matches the empty string would start at every
 * offset, and PCRE2 finds it at the first). */
static int
rev_worth(const pcre2_code *re)
{
	uint32_t first = 1, opts = PCRE2_ANCHORED, min = 0;

	return re != NULL &&
	       pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODETYPE, &first) == 0 &&
	       pcre2_pattern_info(re, PCRE2_INFO_ALLOPTIONS, &opts) == 0 &&
	       pcre2_pattern_info(re, PCRE2_INFO_MINLENGTH, &min) == 0 &&
	       first == 0 && !(opts & PCRE2_ANCHORED) && min > 0;
}

struct match_rev *
match_rev_build(const struct sp_matcher *m, const struct sp_ruleset *rs,
		const char *cache_dir, hs_scratch_t **proto)
{
	struct match_rev *rv = calloc(1, sizeof(*rv));
	struct rev_rule e, *nv;
	size_t i, k;
	int rc;

	for (i = 0; rv != NULL && i < m->ng; i++) {
		const struct mgroup *g = &m->g[i];

		for (k = 0; g->db != NULL && k < g->nhs; k++) {
			const struct sp_rule *r = &rs->v[g->hs_rule[k]];

			if (!g->hs_confirm[k] ||
			    !rev_worth(m->re[g->hs_rule[k]]))
				continue;
			if ((rc = rev_one(r, cache_dir, &e)) == 0)
				continue;
			e.rule = g->hs_rule[k];
			nv = rc < 0 ? NULL
				    : reallocarray(rv->v, rv->n + 1, sizeof(e));
			if (nv == NULL ||
			    hs_alloc_scratch(e.db, proto) != HS_SUCCESS) {
				if (nv != NULL)
					rv->v = nv;
				hs_free_database(e.db);
				pcre2_code_free(e.anch);
				match_rev_free(&rv);
				return NULL;
			}
			rv->v = nv;
			rv->v[rv->n++] = e;
		}
	}
	if (rv != NULL && cache_dir != NULL && *cache_dir != '\0')
		match_cache_prune(cache_dir);
	if (rv != NULL && rv->n == 0)
		match_rev_free(&rv);
	return rv;
}

void
match_rev_free(struct match_rev **rvp)
{
	struct match_rev *rv = *rvp;
	size_t i;

	if (rv == NULL)
		return;
	for (i = 0; i < rv->n; i++) {
		hs_free_database(rv->v[i].db);
		pcre2_code_free(rv->v[i].anch);
	}
	free(rv->v);
	free(rv);
	*rvp = NULL;
}

/* ---- confirming ---- */

struct starts {
	size_t *v;
	size_t n, cap, len; /* len: the text's */
};

static int
rev_onmatch(unsigned id, unsigned long long from, unsigned long long to,
	    unsigned flags, void *ctx)
{
	struct starts *st = ctx;
	size_t *nv;

	(void)id, (void)from, (void)flags;
	if (st->n == st->cap) {
		if (st->cap >= REV_MAX_STARTS ||
		    (nv = reallocarray(st->v, st->cap ? 2 * st->cap : 64,
				       sizeof(*nv))) == NULL)
			return 1; /* stop: unanchored PCRE2 instead */
		st->v = nv;
		st->cap = st->cap ? 2 * st->cap : 64;
	}
	st->v[st->n++] = st->len - (size_t)to;
	return 0;
}

static int
rev_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The offsets where a match of e's rule can start, sorted: 0, or -1
 * (out of memory, too many, scan error). The text is copied reversed
 * to a buffer that ends on a 64-byte boundary, as match.c's
 * scan_aligned() does for the vectorscan bug it describes. */
static int
rev_starts(const struct rev_rule *e, const char *t, size_t n,
	   hs_scratch_t *scratch, struct starts *st)
{
	size_t pad = (64 - n % 64) % 64, i;
	char *buf = aligned_alloc(64, (pad + n + 63) / 64 * 64 + 64), *r;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	st->len = n;
	if (buf == NULL)
		return -1;
	r = buf + pad;
	for (i = 0; i < n; i++)
		r[i] = t[n - 1 - i];
	if (hs_scan(e->db, r, (unsigned)n, 0, scratch, rev_onmatch, st) ==
	    HS_SUCCESS) {
		qsort(st->v, st->n, sizeof(*st->v), rev_cmp);
		rc = 0;
	} else {
		free(st->v);
		st->v = NULL;
	}
	free(buf);
	return rc;
}

int
match_rev_confirm(const struct match_rev *rv, size_t rule, const char *t,
		  size_t n, hs_scratch_t *scratch, pcre2_match_data *md,
		  pcre2_match_context *mctx)
{
	const struct rev_rule *e = NULL;
	pcre2_match_context *mc = NULL;
	struct starts st;
	size_t i, distinct = 0;
	int hit = 0, rc;

	for (i = 0; rv != NULL && i < rv->n && e == NULL; i++)
		if (rv->v[i].rule == rule)
			e = &rv->v[i];
	if (e == NULL || n > UINT_MAX || rev_starts(e, t, n, scratch, &st) < 0)
		return -1;
	for (i = 0; i < st.n; i++)
		if (i == 0 || st.v[i] != st.v[i - 1])
			st.v[distinct++] = st.v[i];
	/* the attempts share the budget of the one search they replace: a
	 * hostile text cannot make them cost 4,096 of it */
	if (distinct > 0 && (mc = pcre2_match_context_copy(mctx)) == NULL)
		hit = -1;
	else if (distinct > 0)
		pcre2_set_match_limit(mc, REV_BUDGET / (uint32_t)distinct > 100
					      ? REV_BUDGET / (uint32_t)distinct
					      : 100);
	for (i = 0; i < distinct && hit == 0; i++) {
		rc = pcre2_match(e->anch, (PCRE2_SPTR)t, n, st.v[i], 0, md, mc);
		hit = rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
	}
	pcre2_match_context_free(mc);
	free(st.v);
	return hit; /* -1: a limit was hit, the whole search decides */
}
