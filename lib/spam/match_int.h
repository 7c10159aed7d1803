/* lib/spam/match_int.h - what match.c (build, scan) and match_cache.c
 * (the on-disk cache of the compiled databases) share. Internal. */
#ifndef FACTEUR_SPAM_MATCH_INT_H
#define FACTEUR_SPAM_MATCH_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "match.h"
#include "rules.h"

/* Patterns per hyperscan database. Each database is one more pass over
 * its text, and the body is the longest text: with SpamAssassin 4's 639
 * body patterns, 11 databases of 64 cost 1.57 M cycles of hs_scan per
 * corpus message, 3 of 256 cost 0.93 M (identical hits, 1,200 messages).
 * Compile time and memory do not grow with it (59 s and 0.5 GB for the
 * whole rule set at 256, 63 s at 64); one database of all 639 compiled
 * in 92 s and scanned no faster. Part of the cache key. */
#define MATCH_CHUNK 256
/* The same for look-alike rules (match_form.c), grouped apart: hyperscan
 * compiles 178 of SpamAssassin 4's body ones in 32 s as one database and
 * needs 6 to 9 s more for each of the 4 patterns it refuses as too large
 * and takes relaxed (match_compile_group). Part of the cache key. */
#define MATCH_CHUNK_LOOKALIKE 96

struct match_rev;
struct buf;

#define MATCH_KEY_LEN 32

/* A group: the pattern rules of one scanned text (type; for headers the
 * name and modifier; look-alikes apart) from one rules directory, in rule
 * order, MATCH_CHUNK (or MATCH_CHUNK_LOOKALIKE) at most, each group
 * compiled and cached on its own (match_build.c, match_cache.c). */
struct mgroup {
	enum sp_rtype type;
	const char *hdr; /* borrowed from rule `first` (header groups) */
	uint32_t hhash;	 /* match_hdr_hash(hdr) (match_finish) */
	enum sp_hmod hmod;
	size_t first;	    /* the rule that opened the group */
	const char *origin; /* its file: a group's rules share its directory */
	size_t olen;	    /* (origin's first olen bytes) */
	hs_database_t *db;
	/* the same patterns for the texts of each form (match_ascii),
	 * or NULL: db serves them */
	hs_database_t *fdb[2];
	unsigned char lookalike;   /* rules that have forms */
	size_t *hs_rule;	   /* hyperscan id -> rule index */
	unsigned char *hs_confirm; /* id needs PCRE2 confirmation */
	size_t nhs;
	size_t *pc_rule; /* PCRE2-only rules */
	size_t npc;
	/* fpc[f * npc + j]: fdb[f] holds PCRE2-only rule j's pattern in
	 * form f as a prefilter, hyperscan id nhs + j (match_form.c): not
	 * hit, the rule does not match; NULL: none does */
	unsigned char *fpc;
	/* build only: the group's rules in order (hs_rule and pc_rule
	 * share them out), its cache key and where it came from */
	size_t *rules;
	size_t nrules;
	unsigned char key[MATCH_KEY_LEN];
	unsigned char keyed, loaded;
};

/* struct sp_matcher's vflag bits: a header rule's !~ (its value is 1 when
 * the pattern does not match), tflags multiple (a match is counted). */
enum { MATCH_VF_NEGATE = 1, MATCH_VF_COUNT = 2 };

struct scratch_pool {
	pthread_mutex_t mu;
	hs_scratch_t *proto;
	hs_scratch_t **free;
	size_t nfree, cap;
};

struct sp_matcher {
	struct mgroup *g;
	size_t ng;
	pcre2_code **re;     /* per rule index, NULL if none */
	pcre2_code **fre[2]; /* per rule index: its pattern in each form
				(match_form.c), NULL: re serves */
	size_t nre;
	size_t *exists;	       /* header exists: rules */
	uint32_t *exists_hash; /* match_hdr_hash of each one's name */
	size_t nexists;
	/* the order groups are scanned in: header groups of the same text
	 * (match_hdr_same) one after the other, so that text is built once;
	 * same_prev[k]: order[k]'s text is order[k - 1]'s */
	size_t *order;
	unsigned char *same_prev;
	/* per rule index, for header rules: whether the rule's pattern
	 * matches its text when the header is absent ("" or its if-unset),
	 * the same for every message */
	unsigned char *absent;
	unsigned char *vflag; /* per rule index: MATCH_VF_* */
	pcre2_match_context *mctx;
	struct scratch_pool *pool;
	struct sp_match_stats st;
	struct match_rev *rev; /* match_rev.c: where to confirm, or NULL */
};

/* Inline here, not in match.c, so that match_cache.c needs nothing of
 * match.c: match.c uses the cache, never the other way (issue 13 item 7).
 */

/* The PCRE2 options of a rule's pattern. */
static inline uint32_t
match_pcre_flags(const struct sp_rule *r)
{
	uint32_t f = 0;

	if (r->re_flags & SP_RE_I)
		f |= PCRE2_CASELESS;
	if ((r->re_flags & SP_RE_M) || r->type == SP_R_BODY ||
	    r->type == SP_R_RAWBODY || r->type == SP_R_URI)
		f |= PCRE2_MULTILINE;
	if (r->re_flags & SP_RE_S)
		f |= PCRE2_DOTALL;
	if (r->re_flags & SP_RE_X)
		f |= PCRE2_EXTENDED;
	return f;
}

/* The hyperscan flags of a rule's pattern (prefilter not included). */
static inline unsigned
match_hs_flags(const struct sp_rule *r)
{
	uint32_t pf = match_pcre_flags(r);
	unsigned f = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;

	if (pf & PCRE2_CASELESS)
		f |= HS_FLAG_CASELESS;
	if (pf & PCRE2_MULTILINE)
		f |= HS_FLAG_MULTILINE;
	if (pf & PCRE2_DOTALL)
		f |= HS_FLAG_DOTALL;
	return f;
}

/* Frees what a compile or a load put in g (databases, id lists), not
 * its rules: g is as match_partition() left it. */
static inline void
match_group_clear(struct mgroup *g)
{
	hs_free_database(g->db);
	hs_free_database(g->fdb[0]);
	hs_free_database(g->fdb[1]);
	free(g->hs_rule);
	free(g->hs_confirm);
	free(g->pc_rule);
	free(g->fpc);
	g->fpc = NULL;
	g->db = g->fdb[0] = g->fdb[1] = NULL;
	g->hs_rule = g->pc_rule = NULL;
	g->hs_confirm = NULL;
	g->nhs = g->npc = 0;
}

/* Frees the groups and their databases; m->g = NULL, m->ng = 0. */
static inline void
match_groups_free(struct sp_matcher *m)
{
	size_t i;

	for (i = 0; i < m->ng; i++) {
		match_group_clear(&m->g[i]);
		free(m->g[i].rules);
	}
	free(m->g);
	m->g = NULL;
	m->ng = 0;
}

/* ---- match_relax.c ---- */

/* Writes to out a pattern that matches wherever re does (a superset, for
 * hyperscan to prefilter with; PCRE2 then confirms with re itself): every
 * bounded repeat {m,n}, {m,} or {m} becomes * for m = 0, else +; a
 * possessive quantifier becomes greedy and an atomic group (?>...) a plain
 * one. Negative lookaheads and all lookbehinds are copied as they are
 * (relaxing them would narrow the pattern, or make PCRE2 refuse it), and
 * so are escapes (\x{..}, \Q..\E), character classes and a '{' that is
 * not a quantifier. The result is never longer than re. 0, or -1 if it
 * does not fit outlen, groups nest deeper than 64, or re has a
 * backtracking verb (*...) or a conditional (?(...), not relaxed. Pure. */
int match_relax(const char *re, char *out, size_t outlen);

/* ---- match_ascii.c ---- */

/* Text forms: the bytes a text may have. PLAIN: none >= 0x80; LATIN:
 * those of UTF-8's U+0080-U+00FF, U+2000-U+2FFF and U+F000-U+FFFF only
 * (lead bytes 0xc2 0xc3 0xe2 0xef, continuation bytes). Neither has "&#".
 * Most of the UTF-8 look-alikes and numeric entities of SpamAssassin's
 * replace_tag cannot match in them. */
enum { MATCH_FORM_PLAIN, MATCH_FORM_LATIN, MATCH_FORMS };
_Static_assert(MATCH_FORMS == 2, "struct mgroup's fdb");

/* The smallest form text t is of, or -1 (other bytes, or "&#"). Pure. */
int match_form(const char *t, size_t n);

/* Writes to out a pattern that matches a text of the form wherever re
 * does (and nowhere else): re without the alternatives that cannot match
 * such a text (a required item none of whose bytes it may have, or a
 * required "&#") and without the class members it cannot have (negated
 * classes aside). 1 written and different from re, 0 written and the
 * same, -1 refused (a construct it does not parse: \Q, (?x), verbs,
 * conditionals, \p, \k, octal...; every alternative dead; or out too
 * small: 2 * strlen(re) + 2 always fits). Pure. */
int match_ascii(const char *re, int form, char *out, size_t outlen);

/* ---- match_form.c ---- */

/* 1 if rule r (not a header rule) has a smaller form for plain texts
 * than its pattern: a look-alike, grouped apart so that only its group is
 * compiled again in each form. 0 no, -1 ENOMEM. */
int match_lookalike(const struct sp_rule *r);

/* Compiles g->fdb[form] from ex, fl, ids (as g->db's compile left them):
 * the patterns in that form, the others as they are; a form hyperscan
 * refuses is put back as it was (bounded); then each PCRE2-only rule of
 * g in the form as a prefilter (g->fpc), one refused left out. None
 * changed or added, or a compile that still fails: fdb[form] stays NULL
 * (db serves those texts). 0, or -1 ENOMEM. */
int match_compile_form(const struct sp_ruleset *rs, struct mgroup *g, int form,
		       const char **ex, const unsigned *fl,
		       const unsigned *ids);

/* m->fre[f][i] for look-alike rule i: PCRE2 (JIT) on its form f, which
 * finds the same matches in a text of that form, in less time. One PCRE2
 * refuses is left NULL. 0, or -1 ENOMEM. */
int match_pcre_forms(struct sp_matcher *m, const struct sp_rule *r, size_t i);

/* ---- match_rev.c: PCRE2 confirmation of a prefiltered rule at the
 * offsets where it can start only ---- */

/* For each confirmed hyperscan pattern of m's groups of at least 512
 * bytes, relaxed (hyperscan refused it whole), that PCRE2 would try at
 * every offset (no first byte, not ^, not anchored) and that
 * match_reverse() and hyperscan take reversed: that database (from
 * cache_dir/rv-HEX.db, else compiled and saved there; cache_dir may be NULL)
 * and an anchored PCRE2 code; *proto grows to scan them. NULL: none, or out of
 * memory (rules are then confirmed as before). */
struct match_rev *match_rev_build(const struct sp_matcher *m,
				  const struct sp_ruleset *rs,
				  const char *cache_dir, hs_scratch_t **proto);

/* Whether rule matches t: PCRE2 anchored at each offset where hyperscan
 * finds the reversed pattern ending in the reversed text, the same
 * verdict as an unanchored pcre2_match() over t. The attempts share one
 * search's match limit (200,000, split evenly). -1: rule has no reversed
 * database, the offsets could not be had (too many, out of memory) or an
 * attempt hit its limit: run pcre2_match() instead. scratch must fit
 * (match_rev_build grew it) and not be in use. */
int match_rev_confirm(const struct match_rev *rv, size_t rule, const char *t,
		      size_t n, hs_scratch_t *scratch, pcre2_match_data *md,
		      pcre2_match_context *mctx);

void match_rev_free(struct match_rev **rv);

/* ---- match_build.c ---- */

/* Appends x to the array *v of *n; -1 (ENOMEM) leaves both unchanged. */
int match_push(size_t **v, size_t *n, size_t x);

/* m->g from the live pattern rules (m->re[i] != NULL), from cache_dir
 * (NULL or "": none) what it holds, the rest compiled by `threads`
 * threads (0: the online CPUs, 8 at most) and saved there; the counts
 * in m->st. *lock: the cache's lock (match_cache_lock) if some group had
 * to be compiled, held for the caller's own cache writes, else -1; the
 * caller releases it, on failure too. Only ENOMEM fails: a cache that
 * cannot be read, locked or written is a note (m->st.cache_error). */
int match_build_groups(struct sp_matcher *m, const struct sp_ruleset *rs,
		       const char *cache_dir, unsigned threads, int *lock);

/* ---- match_hdr.c: the texts header rules see ---- */

/* A message's header field names, hashed once (header fields, then
 * pseudo headers, as in struct sp_view). */
struct match_hdrs {
	const struct sp_view *v; /* borrowed */
	const char *envfrom;	 /* borrowed, or NULL (none found) */
	uint32_t *hash;		 /* owned */
};

/* FNV-1a of name folded by tolower(): names strcasecmp() finds equal
 * hash equal. Pure. */
uint32_t match_hdr_hash(const char *name);
/* Hashes v's field names. 0, or -1 ENOMEM. */
int match_hdrs_init(struct match_hdrs *h, const struct sp_view *v,
		    const char *envfrom);
void match_hdrs_free(struct match_hdrs *h);
/* Appends to out the text header group g's rules see: its fields'
 * values joined with "\n" (ALL: "Name: value" for every header field,
 * pseudo headers aside; ToCc, MESSAGEID: the fields they stand for;
 * EnvelopeFrom: the envelope sender), the first one's address or name
 * for :addr and :name. 1 present, 0 absent, -1 ENOMEM. */
int match_hdr_text(const struct match_hdrs *h, const struct mgroup *g,
		   struct buf *out);
/* exists:NAME (hash: match_hdr_hash(name)), with SpamAssassin's names
 * for several headers (ToCc, MESSAGEID) and its pseudo headers. */
int match_hdr_exists(const struct match_hdrs *h, const char *name,
		     uint32_t hash);
/* 1 if header groups a and b see the same text of every message. */
int match_hdr_same(const struct mgroup *a, const struct mgroup *b);
/* What scans of m's groups share, computed once: the groups' and
 * exists: rules' name hashes, the scan order (same_prev) and the
 * absent-header verdicts. 0, or -1 ENOMEM. */
int match_hdr_plan(struct sp_matcher *m, const struct sp_ruleset *rs);

/* ---- match_cache.c: one file per group, DIR/hg-KEY.db ---- */

/* SHA-256 of what every group depends on: our format version, the
 * hyperscan and PCRE2 versions, the platform, the chunk sizes. 0, -1. */
int match_cache_base(unsigned char base[MATCH_KEY_LEN]);
/* g->key: SHA-256 of base and of the group (type, header, modifier,
 * look-alike, and each of its patterns in order: type, modifier, header,
 * flags, pattern), never of rule indices. 0, or -1 (ENOMEM/OpenSSL). */
int match_cache_key(const unsigned char base[MATCH_KEY_LEN],
		    const struct sp_ruleset *rs, struct mgroup *g);
/* Fills g's compiled part from dir/hg-KEY.db (positions in the group
 * mapped to g->rules). 1 loaded, 0 absent or unusable (g left as it
 * was: compile), -1 ENOMEM. Touches the file's mtime when it is more
 * than a day old (match_cache_prune). Never logs. */
int match_cache_load(struct mgroup *g, const struct sp_ruleset *rs,
		     const char *dir);
/* Writes g atomically to dir/hg-KEY.db (mode 0644). 0, or -1 with why. */
int match_cache_save(const struct mgroup *g, const char *dir, char *why,
		     size_t whylen);
/* Removes from dir the group files (hg-*.db) and reversed patterns'
 * (rv-*.db, match_rev.c) not loaded nor written for CACHE_UNUSED_DAYS,
 * temp files of either more than an hour old, and the files of older
 * formats (hs-*.db). */
void match_cache_prune(const char *dir);

/* Marks the cache file open on fd, st its fstat, as in use (its mtime,
 * when more than a day old), so match_cache_prune keeps it; failing on
 * a file of root's is fine. */
void match_cache_touch(int fd, const struct stat *st);
/* An exclusive flock() on dir/hg.lock (mode 0600), waited for (15 min
 * at most): its fd, or -1 (the directory cannot hold it, or the wait
 * was too long: go on without). */
int match_cache_lock(const char *dir);
void match_cache_unlock(int fd);

#endif
