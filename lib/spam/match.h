/* lib/spam/match.h - the pattern pass: every regex of a rule set
 * compiled once into one multi-pattern database per scanned text (the
 * body, the raw body, the whole message, the URI list, each header
 * target), so a message is scanned once per text, not once per rule.
 *
 * Vectorscan/hyperscan runs what it can express exactly; what it can only
 * approximate (back-references, lookaround) runs in it as a prefilter and
 * is confirmed by PCRE2, and so does what it finds too large, relaxed (its
 * bounded repeats made unbounded: match_int.h, match_relax); what it
 * cannot compile at all runs in PCRE2 alone.
 * The semantics are PCRE2's (Perl's) in every case. Patterns are bytes (no
 * UTF mode), like SpamAssassin's default. A built matcher is immutable and
 * shared by threads; each scan takes a scratch from a locked pool. */
#ifndef FACTEUR_SPAM_MATCH_H
#define FACTEUR_SPAM_MATCH_H

#include <stddef.h>

struct sp_ruleset;
struct sp_view;
struct sp_matcher;

struct sp_match_stats {
	size_t hs_exact;     /* rules matched by hyperscan alone */
	size_t hs_prefilter; /* hyperscan candidates confirmed by PCRE2 */
	size_t pcre_only;    /* PCRE2 alone */
	size_t bad_regex;    /* skipped: PCRE2 cannot compile them either */
	size_t databases;
	size_t form_databases;	/* and of their forms (match_ascii.c) */
	size_t form_prefilters; /* PCRE2-only rules prefiltered there */
	size_t groups;		/* compiled or loaded one by one */
	/* sp_match_build_cached() only: */
	size_t groups_loaded;	/* read from the cache */
	size_t groups_compiled; /* missing from it (or unusable): compiled */
	int from_cache;		/* every group was read from the cache */
	int cache_written;	/* a group was compiled and saved in it */
	char cache_error[256];	/* why they could not be saved, or "" */
};

/* Compiles the live regex rules of rs (rules whose pattern PCRE2 refuses
 * get skip = "bad regex", with a skipped entry). *out owned. 0 or -1 with
 * err. */
__attribute__((warn_unused_result)) int sp_match_build(struct sp_ruleset *rs,
						       struct sp_matcher **out,
						       char *err,
						       size_t errlen);

/* Scans the view: values[i] becomes 1 for each pattern rule i that hits
 * (header !~ included), 0 otherwise; others are left alone. envfrom may
 * be NULL. 0 or -1 (ENOMEM, scan error) with err. Thread-safe. */
__attribute__((warn_unused_result)) int
sp_match_run(const struct sp_matcher *m, const struct sp_ruleset *rs,
	     const struct sp_view *v, const char *envfrom, double *values,
	     char *err, size_t errlen);

/* The same, with the hyperscan databases cached in cache_dir (NULL or
 * "": no cache), one file per group of patterns (one scanned text, at
 * most 256 patterns): hg-KEY.db, KEY a SHA-256 of the group's patterns,
 * flags and order, the hyperscan and PCRE2 versions and the CPU. A
 * group whose file is there and sound is loaded (no compile); the
 * others are compiled, on as many threads as there are CPUs (8 at
 * most), and written atomically (mode 0644). So a rule added to a rule
 * set recompiles its group only, and rule sets that share patterns (the
 * milter's and the CLI's) share their groups' files. A missing,
 * corrupt or foreign file is compiled over, never an error; a cache
 * that cannot be written leaves the reason in the stats' cache_error
 * (the caller logs it). Nothing is logged. One build at a time compiles
 * into a cache_dir (flock on hg.lock): another waits, then loads what
 * the first wrote. Files no build has used for 30 days, and those of
 * older formats, are removed after a compile. */
__attribute__((warn_unused_result)) int
sp_match_build_cached(struct sp_ruleset *rs, const char *cache_dir,
		      struct sp_matcher **out, char *err, size_t errlen);

/* The same on `threads` compile threads (0: as above). The files are
 * the same whatever the count. */
__attribute__((warn_unused_result)) int
sp_match_build_threads(struct sp_ruleset *rs, const char *cache_dir,
		       unsigned threads, struct sp_matcher **out, char *err,
		       size_t errlen);

void sp_match_stats(const struct sp_matcher *m, struct sp_match_stats *st);
void sp_match_free(struct sp_matcher **m);

#endif
