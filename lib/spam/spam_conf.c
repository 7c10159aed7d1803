/* lib/spam/spam_conf.c - the [spam] settings: their keys, and the
 * engine they load (spam_check). Part of spamengine, not of the filter
 * glue: "facteur spam ..." loads the engine as facteur-spam does without
 * linking lib/milter or libmilter (struct spam_settings only embeds the
 * common milter keys' struct, a type).
 * SECURITY: runs at startup, before the privilege drop in the daemons
 * and as the caller in 'facteur spam': it reads facteur.conf's values
 * (trusted) and the rule files and Bayes store the engine opens. */
#include "spam.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "match.h"
#include "store.h"

#ifndef SP_RULES_DIR
#define SP_RULES_DIR "/usr/local/share/facteur/rules"
#endif

#define S(f) offsetof(struct spam_settings, f)
const struct cfg_key spam_keys[] = {
    {"required_score", CFG_DOUBLE, "5.0", -1000, 10000, S(required), NULL,
     "score at or above which a message is spam"},
    {"reject_score", CFG_DOUBLE, "0", -1000, 10000, S(reject), NULL,
     "score at or above which it is refused with 550 5.7.1 (0: never)"},
    {"rules_path", CFG_STR, SP_RULES_DIR, 0, 0, S(rules_path), NULL,
     "rule files or directories of *.cf, separated by ':'"},
    {"bayes_path", CFG_STR, "/var/lib/facteur/bayes.sqlite", 0, 0,
     S(bayes_path), NULL, "Bayes token database ('' = Bayes off)"},
    {"bayes_auto_learn", CFG_BOOL, "no", 0, 0, S(bayes_auto_learn), NULL,
     "learn clear spam and clear ham into the Bayes database"},
    {"bayes_auto_learn_threshold_spam", CFG_DOUBLE, "12.0", -1000, 10000,
     S(al_spam), NULL,
     "auto-learn as spam at or above this "
     "score (without Bayes; 3 header and 3 body points needed too)"},
    {"bayes_auto_learn_threshold_nonspam", CFG_DOUBLE, "0.1", -1000, 10000,
     S(al_nonspam), NULL,
     "auto-learn as ham below this score "
     "(without Bayes)"},
    {"rewrite_subject", CFG_BOOL, "no", 0, 0, S(rewrite_subject), NULL,
     "prefix the Subject of spam with subject_tag"},
    {"subject_tag", CFG_STR, "*****SPAM*****", 0, 0, S(subject_tag), NULL,
     "the Subject prefix"},
    {"add_report", CFG_BOOL, "no", 0, 0, S(add_report), NULL,
     "add an X-Spam-Report header listing the rules hit"},
    {"score_authenticated", CFG_BOOL, "no", 0, 0, S(score_authenticated), NULL,
     "also score mail from authenticated or internal clients"},
    {"internal_hosts", CFG_CIDR_LIST, "127.0.0.0/8 ::1", 0, 0,
     S(internal_hosts), NULL, "client networks whose mail is not scored"},
    {"max_scan_size", CFG_SIZE, "1M", 1024, (long long)1 << 30,
     S(max_scan_size), NULL, "bytes of a message that are scanned"},
    {"network_tests", CFG_BOOL, "no", 0, 0, S(network_tests), NULL,
     "run the DNSBL, URIBL, SPF and DKIM rules (DNS lookups)"},
    {"dns_server", CFG_STR, "", 0, 0, S(dns_server), NULL,
     "DNS server for network tests ('' = resolv.conf; 127.0.0.1@5353)"},
    {"dns_timeout", CFG_DURATION, "2s", 100, 30000, S(dns_timeout), NULL,
     "time all network lookups of one message may take together"},
    {"cache_dir", CFG_STR, "/var/cache/facteur", 0, 0, S(cache_dir), NULL,
     "directory of the compiled pattern databases ('' = none)"},
};
#undef S
const size_t spam_nkeys = sizeof(spam_keys) / sizeof(spam_keys[0]);

/* A cache that cannot be written costs every start the compile: worth a
 * warning, not a refusal to start. */
static void
spam_cache_warn(const struct spam_settings *s)
{
	struct sp_match_stats ms;

	sp_engine_match_stats(s->engine, &ms);
	if (ms.cache_error[0] != '\0')
		log_warn("[spam] cache_dir: %s (compiled without a cache)",
			 ms.cache_error);
}

/* Where Bayes lives: bayes_path, or the PostgreSQL database of
 * [database] url when bayes_path was left at its default (a file beside
 * the SQLite database); the engine's storage takes either. */
const char *
spam_bayes_target(const struct spam_settings *s)
{
	size_t i;

	if (s->bayes_path == NULL || !store_is_url(s->db.path))
		return s->bayes_path;
	for (i = 0; i < spam_nkeys; i++)
		if (strcmp(spam_keys[i].name, "bayes_path") == 0 &&
		    strcmp(spam_keys[i].def, s->bayes_path) == 0)
			return s->db.path;
	return s->bayes_path;
}

/* subject_tag goes into the Subject header: printable, on one line. */
static int
spam_tag_ok(const char *tag)
{
	size_t i;

	if (tag == NULL)
		return 0;
	for (i = 0; tag[i] != '\0'; i++)
		if (i >= 200 || (unsigned char)tag[i] < 0x20 || tag[i] == 0x7f)
			return 0;
	return 1;
}

int
spam_check(void *base, char *err, size_t errlen)
{
	struct spam_settings *s = base;
	struct sp_engine_opts o;

	if (!spam_tag_ok(s->subject_tag)) {
		snprintf(err, errlen, "[spam] subject_tag: not printable");
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.rules_path = s->rules_path;
	o.bayes_path = spam_bayes_target(s);
	o.required_score = s->required;
	o.lim.max_decoded = s->max_scan_size;
	o.network = s->network_tests;
	o.dns_server = s->dns_server;
	o.dns_timeout_ms = s->dns_timeout;
	o.cache_dir = s->cache_dir;
	o.auto_learn = s->bayes_auto_learn;
	o.al_thresholds.spam = s->al_spam;
	o.al_thresholds.nonspam = s->al_nonspam;
	sp_engine_free(&s->engine);
	if (sp_engine_new(&o, &s->engine, err, errlen) < 0)
		return -1;
	spam_cache_warn(s);
	return 0;
}

void
spam_fini(void *base)
{
	struct spam_settings *s = base;

	sp_engine_free(&s->engine);
}

int
spam_internal(const struct spam_settings *s, const char *addr)
{
	if (addr != NULL && strcmp(addr, "local") == 0)
		return 1;
	return cidr_list_match(&s->internal_hosts, addr);
}
