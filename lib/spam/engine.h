/* lib/spam/engine.h - the spam engine: a loaded rule set, its
 * compiled matcher and the scoring of one message. One engine serves the
 * milter (module.c), "facteur spam check" and the tests, so they give the
 * same verdict. An engine is immutable after sp_engine_new() and shared
 * by threads; sp_engine_check() is thread-safe. */
#ifndef FACTEUR_SPAM_ENGINE_H
#define FACTEUR_SPAM_ENGINE_H

#include <stddef.h>

#include "autolearn.h"
#include "msgview.h"
#include "rules.h"

struct sp_engine;
struct buf;
struct sp_bayes_sample;

struct sp_engine_opts {
	/* Rule files or directories (every *.cf in name order), separated
	 * by ':' ; NULL or "" = the shipped set (SP_RULES_DIR). */
	const char *rules_path;
	const char *bayes_path; /* NULL/"": Bayes off */
	double required_score;	/* spam at or above */
	struct sp_limits lim;
	/* Network tests (net.h): off unless network is set. */
	int network;
	const char *dns_server;	  /* lib/dns syntax; NULL/"": resolv.conf */
	long long dns_timeout_ms; /* all lookups of a message; 0 = 2000 */
	const char *hostname;	  /* SPF's receiving host; NULL: gethostname */
	/* The compiled hyperscan databases are cached there (match.h,
	 * sp_match_build_cached); NULL/"": compiled at every start. */
	const char *cache_dir;
	/* Auto-learn (autolearn.h): decide in sp_engine_check(), learn in
	 * sp_engine_autolearn(). */
	int auto_learn;
	struct sp_al_thresholds al_thresholds;
};

struct sp_result {
	double score;
	double required;
	int is_spam;
	double bayes;  /* spam probability, or -1 (off/untrained) */
	int score_set; /* SpamAssassin score set used (0 or 2) */
	const struct sp_rule **hits; /* owned array, borrowed rules; sorted
					by name; only rules that score != 0 */
	size_t nhits;
	int truncated; /* a MIME limit cut the walk */
	/* Auto-learn: autolearn is what X-Spam-Status says (SP_AL_NO
	 * until sp_engine_autolearn() learns); al_want the class the
	 * decision asks for (1 spam, 0 ham, -1 none); al_sample the
	 * message's tokens and digest when al_want >= 0 (owned). */
	enum sp_autolearn autolearn;
	int al_want;
	struct sp_al_points al_points;
	struct sp_bayes_sample *al_sample;
};

struct sp_load_stats {
	size_t files;
	size_t loaded[SP_R_NTYPES]; /* live rules per type */
	size_t live;
	size_t skipped; /* rules defined but not run */
};

/* Loads and compiles. *out owned. 0, or -1 with "FILE:LINE: msg" or the
 * reason in err. Malformed lines are not fatal (see sp_engine_rules). */
__attribute__((warn_unused_result)) int
sp_engine_new(const struct sp_engine_opts *o, struct sp_engine **out, char *err,
	      size_t errlen);
void sp_engine_free(struct sp_engine **e);

/* The rule set (read-only) and load statistics. */
const struct sp_ruleset *sp_engine_rules(const struct sp_engine *e);
void sp_engine_stats(const struct sp_engine *e, struct sp_load_stats *st);
/* Pattern-matcher statistics (exact, prefiltered, PCRE2-only). */
struct sp_match_stats;
void sp_engine_match_stats(const struct sp_engine *e,
			   struct sp_match_stats *st);
/* 1 if this build has the Bayes classifier. */
int sp_engine_have_bayes(void);

/* Scores raw[0..len). envfrom: the envelope sender or NULL. 0, or -1
 * with err (the result is then cleared). */
__attribute__((warn_unused_result)) int
sp_engine_check(const struct sp_engine *e, const char *raw, size_t len,
		const char *envfrom, struct sp_result *res, char *err,
		size_t errlen);
void sp_result_clear(struct sp_result *r);

/* Verdicts an earlier filter already computed for this message (in
 * facteur-milter, facteur-dkim's mlt_results): the network tests take
 * them instead of looking SPF up or verifying DKIM again. */
struct sp_given {
	int spf_set;		 /* spf holds SPF's result */
	int spf;		 /* enum spf_result (lib/spf.h) */
	int dkim_set;		 /* dkim_* hold DKIM's results */
	int dkim_signed;	 /* the message has a DKIM-Signature */
	int dkim_valid;		 /* one of them verifies */
	const char *dkim_domain; /* its d= (the author's first), or NULL */
};

/* What the SMTP session says about a message, for the network tests.
 * Every field may be NULL: no client_ip, no DNSBL and no SPF. */
struct sp_envelope {
	const char *client_ip; /* "192.0.2.1", "2001:db8::1" */
	const char *helo;
	const char *envfrom;	      /* "<a@b>", "a@b" or "<>" */
	const struct sp_given *given; /* NULL: look everything up */
};

/* sp_engine_check() with the envelope. Network lookups (when the engine
 * has them on) take at most opts.dns_timeout_ms; unanswered is "not
 * listed". sp_engine_check() is this with envfrom only and, when network
 * tests are on, the client address taken from the first Received header
 * naming a public "[address]" (so "facteur spam check" tests a saved
 * message's relay); none found: DNSBL and SPF do not run. */
__attribute__((warn_unused_result)) int
sp_engine_check_env(const struct sp_engine *e, const char *raw, size_t len,
		    const struct sp_envelope *env, struct sp_result *res,
		    char *err, size_t errlen);

/* Learns a checked message as r->al_want asked, waiting at most busy_ms
 * for the token file; sets r->autolearn to spam/ham, no (nothing wanted,
 * or already learned) or failed (busy or error: the detail goes to err,
 * for the caller to log). Never fails the message. Thread-safe. The
 * milter calls it; "facteur spam check" never does. */
void sp_engine_autolearn(const struct sp_engine *e, struct sp_result *r,
			 int busy_ms, char *err, size_t errlen);

/* ---- report.c: SpamAssassin's headers. Pure. ---- */

/* "Yes, score=7.3 required=5.0 tests=A,B autolearn=no", folded as
 * SpamAssassin folds it (79 columns counting "X-Spam-Status: ", breaks
 * after a comma or blank, continuation lines start with a tab). */
__attribute__((warn_unused_result)) int sp_fmt_status(const struct sp_result *r,
						      struct buf *out);
/* One '*' per whole point, at most 50, "" below 1. */
__attribute__((warn_unused_result)) int sp_fmt_level(const struct sp_result *r,
						     struct buf *out);
/* "7.3" */
__attribute__((warn_unused_result)) int sp_fmt_score(double score,
						     struct buf *out);
/* Folded lines "\n\t* 3.5 NAME description". */
__attribute__((warn_unused_result)) int sp_fmt_report(const struct sp_result *r,
						      struct buf *out);
/* Folds text at 79 columns after `used` columns already on the line. */
__attribute__((warn_unused_result)) int sp_fold(const char *text, size_t used,
						struct buf *out);

#endif
