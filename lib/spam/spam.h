/* lib/spam/spam.h - the spam filter module: its [spam] settings and
 * callbacks, shared by facteur-spam (main.c) and "facteur spam check"
 * (admin/spam.c) so both score with the same engine and configuration. */
#ifndef FACTEUR_MILTERS_SPAM_H
#define FACTEUR_MILTERS_SPAM_H

#include <stddef.h>

#include "cfg.h"
#include "daemon.h"
#include "engine.h"
#include "filter.h"

struct spam_settings {
	struct mlt_settings common;
	double required; /* required_score */
	double reject;	 /* reject_score; 0 = never reject */
	char *rules_path;
	char *bayes_path;
	int bayes_auto_learn;
	double al_spam;	   /* bayes_auto_learn_threshold_spam */
	double al_nonspam; /* bayes_auto_learn_threshold_nonspam */
	int rewrite_subject;
	char *subject_tag;
	int add_report;
	int score_authenticated;
	struct cidr_list internal_hosts; /* checked by cfg at load */
	unsigned long long max_scan_size;
	int network_tests;     /* DNSBL, URIBL, SPF, DKIM evals */
	char *dns_server;      /* "127.0.0.1@5353"; "": resolv.conf */
	long long dns_timeout; /* ms, all lookups of one message */
	char *cache_dir;       /* compiled patterns; "" = none */
	/* the program's [database] (facteur-spam, facteur-milter): with a
	 * postgresql:// url and bayes_path at its default, Bayes is in that
	 * database (issue 14); path NULL elsewhere */
	struct cfg_database db;
	/* filled by spam_check() */
	struct sp_engine *engine; /* owned */
};

extern const struct cfg_key spam_keys[];
extern const size_t spam_nkeys;
extern const struct mlt_filter spam_filter;

/* Validates the settings and loads the rule set into s->engine. 0, or -1
 * with err. */
__attribute__((warn_unused_result)) int spam_check(void *base, char *err,
						   size_t errlen);
void spam_fini(void *base);
/* The Bayes target the engine gets: bayes_path, or db.path when that is
 * a PostgreSQL URL and bayes_path is at its default. */
const char *spam_bayes_target(const struct spam_settings *s);

/* 1 if addr ("192.0.2.1", "::1", "local") is in internal_hosts. */
int spam_internal(const struct spam_settings *s, const char *addr);

/* Plans the X-Spam-* headers (and the subject rewrite) for a result on
 * the current message. 0 or -1. Used by the module, exposed for tests. */
__attribute__((warn_unused_result)) int spam_plan(struct mlt_ctx *c,
						  const struct spam_settings *s,
						  const struct sp_result *r);

#endif
