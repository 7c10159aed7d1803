/* lib/spam/rules.h - a rule set in SpamAssassin's rule language (the
 * subset described in facteur-spam(8)): parsing into a struct sp_ruleset.
 *
 * sp_rules_parse() is pure over a buffer: it does no I/O; "include" lines
 * are handed to a callback. Later definitions of a name replace earlier
 * ones, as in SpamAssassin, and score/describe/tflags lines may come
 * before or after the rule they name. Lines the engine cannot run (eval:
 * tests, rules inside "ifplugin" for plugins it does not have, unknown
 * directives) are counted and kept as skipped entries with FILE:LINE and
 * a reason; they are never fatal. A malformed line of a directive we do
 * implement is an error (kept too, with FILE:LINE: message).
 * A ruleset is built by one thread, then read-only. */
#ifndef FACTEUR_SPAM_RULES_H
#define FACTEUR_SPAM_RULES_H

#include <stddef.h>

struct sp_meta;
struct sp_net_rule;
struct sp_evcall;
struct sp_evconf;

enum sp_rtype {
	SP_R_NONE, /* only score/describe/tflags seen so far */
	SP_R_HEADER,
	SP_R_BODY,
	SP_R_RAWBODY,
	SP_R_URI,
	SP_R_FULL,
	SP_R_META,
	SP_R_BAYES, /* eval:check_bayes(lo, hi) */
	SP_R_NET,   /* a network eval (net.h): DNSBL, URIBL, SPF, DKIM */
	SP_R_EVAL,  /* a local eval (ev.h): HeaderEval, MIMEEval, ... */
};
#define SP_R_NTYPES 10

enum sp_hmod { SP_H_VALUE, SP_H_RAW, SP_H_ADDR, SP_H_NAME };

enum {
	SP_RE_I = 1,
	SP_RE_M = 2,
	SP_RE_S = 4,
	SP_RE_X = 8,
};

enum {
	SP_TF_MULTIPLE = 1,
	SP_TF_NICE = 2,
	SP_TF_LEARN = 4,
	SP_TF_NOAUTOLEARN = 8,
	SP_TF_NET = 16,
};

struct sp_rule {
	char *name; /* owned */
	enum sp_rtype type;
	char *re;	   /* pattern between the delimiters, or NULL */
	unsigned re_flags; /* SP_RE_* */
	int negate;	   /* header !~ */
	int exists;	   /* header exists:NAME */
	char *hdr;	   /* header name, "ALL", "ToCc", "MESSAGEID" */
	enum sp_hmod hmod;
	char *if_unset;	      /* [if-unset: STR] or NULL */
	char *meta;	      /* meta expression source */
	struct sp_meta *prog; /* compiled by sp_rules_finish() */
	double bayes_lo, bayes_hi;
	double score[4];
	int nscores; /* 0: default score (1.0; T_ 0.01; __ 0) */
	char *describe;
	unsigned tflags;
	unsigned maxhits; /* tflags maxhits=N (multiple), 0 = none */
	const char *file; /* from the ruleset's file list */
	int line;
	const char *skip; /* static reason the rule never runs, or NULL */
	int zero;	  /* skipped, yet metas read it as 0, as
			     SpamAssassin does with a test it defines but
			     does not run (network tests in local mode,
			     Bayes off); otherwise a skipped rule skips
			     the metas over it */
	struct sp_net_rule *net;    /* SP_R_NET: what to look up; owned */
	struct sp_evcall *ev;	    /* SP_R_EVAL: the call; owned */
	int replaced;		    /* ReplaceTags already applied */
	struct sp_net_rule *urirhs; /* urirhssub/urirhsbl NAME ...: the
				       zone of a check_uridnsbl('NAME');
				       owned, kept across redefinitions */
};

struct sp_skip {
	char *what; /* rule name or directive, owned */
	const char *file;
	int line;
	char *reason; /* owned */
};

struct sp_ruleset {
	struct sp_rule *v; /* owned */
	size_t n, cap;
	size_t *hash; /* index + 1, open addressing; owned */
	size_t hcap;
	struct sp_skip *skipped; /* owned: skipped lines and errors */
	size_t nskipped, skipcap;
	size_t nerrors;	 /* malformed lines (also in skipped) */
	size_t nunknown; /* unknown directives (also in skipped) */
	size_t nevals;	 /* eval: rules skipped */
	size_t nplugin;	 /* lines inside a false ifplugin/if */
	char **files;	 /* owned names, for sp_rule.file */
	size_t nfiles;
	double required_score; /* from a rule file, if has_required */
	int has_required;
	int have_bayes;		/* ifplugin ...::Bayes is true */
	struct sp_evconf *conf; /* lists the evals read (ev.h); owned, NULL
				   until a directive sets one */
	int network;		/* network tests on: the DNSEval, URIDNSBL, SPF
				   and DKIM evals (net.h) parse into SP_R_NET
				   rules and "tflags net" rules run; off, they
				   are skipped and counted as before */
};

struct sp_rules_error {
	char file[256];
	int line;
	char msg[256];
};

/* Opens an included file for the parser: returns 0, or -1 with err set. */
typedef int (*sp_include_fn)(void *ctx, struct sp_ruleset *rs, const char *path,
			     int depth, struct sp_rules_error *err);

struct sp_rules_opts {
	sp_include_fn include; /* NULL: include lines are errors */
	void *ctx;
	int depth;	  /* include depth of this buffer */
	size_t max_rules; /* 0 = 100000 */
	size_t max_line;  /* 0 = 64 KiB */
};

void sp_rules_init(struct sp_ruleset *rs);

/* Parses p[0..len) as file `file`. Returns 0, or -1 on ENOMEM, a limit or
 * a failed include, with err. Malformed lines do not fail the parse: they
 * are counted in nerrors and the first goes to err->line/msg when
 * err->line is still 0. */
__attribute__((warn_unused_result)) int
sp_rules_parse(struct sp_ruleset *rs, const char *file, const char *p,
	       size_t len, const struct sp_rules_opts *opts,
	       struct sp_rules_error *err);

/* After every file: drops names that were only scored, compiles metas
 * (a meta whose rules are skipped or undefined is skipped too). 0 or -1
 * (ENOMEM). */
__attribute__((warn_unused_result)) int
sp_rules_finish(struct sp_ruleset *rs, struct sp_rules_error *err);

/* ReplaceTags: the "<TAG>"s of the rules named by replace_rules become
 * their patterns (rules_replace.c). Called by sp_rules_finish(). 0 or
 * -1 (ENOMEM). */
int sp_rules_replace_tags(struct sp_ruleset *rs);

/* The index of a name, or -1. */
long sp_rules_find(const struct sp_ruleset *rs, const char *name, size_t n);

/* The score of a rule in score set `set` (0..3). */
double sp_rule_score(const struct sp_rule *r, int set);

const char *sp_rtype_name(enum sp_rtype t);

void sp_rules_free(struct sp_ruleset *rs);

#endif
