/* lib/spam/rules_int.h - what rules.c (entries, helpers) and
 * rules_dir.c (the directives) share. Internal to the rule parser. */
#ifndef FACTEUR_SPAM_RULES_INT_H
#define FACTEUR_SPAM_RULES_INT_H

#include "rules.h"

#define RULES_MAX_COND 32

struct rp {
	struct sp_ruleset *rs;
	const struct sp_rules_opts *o;
	struct sp_rules_error *err;
	const char *file;
	int line;
	int cond[RULES_MAX_COND];	 /* 1 active, 0 not */
	const char *why[RULES_MAX_COND]; /* static: why a level is false */
	int ncond;
	size_t max_rules;
};

int rules_skip(struct sp_ruleset *rs, const char *what, const char *file,
	       int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int rp_error(struct rp *p, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int rp_fail(struct rp *p, const char *msg);
int rp_active(const struct rp *p);
const char *rp_false_why(const struct rp *p);
int rules_name_ok(const char *s);
char *rp_word(char **s);
int rp_strset(char **dst, const char *src);
struct sp_rule *rp_define(struct rp *p, const char *name, enum sp_rtype t,
			  int *oom);
int rules_regex(char **s, char **re, unsigned *flags, const char **why);

#endif
