/* lib/spam/net.h - network tests of the spam engine, as SpamAssassin's
 * DNSEval, URIDNSBL, SPF and DKIM plugins spell them:
 *
 *   header NAME eval:check_rbl('set', 'zone.'[, 'subtest'])
 *   header NAME eval:check_rbl_sub('set', 'subtest')
 *   urirhssub NAME zone. A subtest   /   urirhsbl NAME zone. A
 *   body NAME eval:check_uridnsbl('NAME')  (optional: urirhs* defines it)
 *   header NAME eval:check_for_spf_{pass,fail,softfail,neutral,none,
 *       permerror,temperror}()
 *   header NAME eval:check_dkim_{valid,signed,valid_author_sig}()
 *
 * A subtest is "" (any listing), an address ("127.0.0.2": that answer),
 * a number ("2", "0x08": any of those bits in the answer), a range
 * ("127.0.0.4-127.0.0.7"), an address/mask ("127.0.1.0/255.255.255.0"),
 * or else a PCRE2 regex over the dotted answer ("127.0.0.[45]").
 *
 * DNS goes through lib/dns (its TTL cache) and lib/dnsbl's classification
 * (127.255.255.x refusals and 127.0.0.1 are never a listing), SPF through
 * lib/spf, DKIM through lib/dkim's verifier (dk_verify, dk_dns_fetch):
 * the same code facteur-dkim runs. The lookups of one message run on a
 * pool of worker threads (started once, shared by all messages) under one
 * time budget; what has not answered by then
 * counts as "not listed" and the message is scored without waiting.
 * Shared means a message whose lookups hang on a silent server can hold
 * workers that messages arriving at the same moment wait for: those may
 * reach their budget with lookups not run (scored as "not listed" too).
 *
 * The parsers (sp_net_parse_eval, sp_net_parse_urirhs, sp_net_sub_*,
 * sp_net_uri_domains, sp_net_received_ip) are pure. */
#ifndef FACTEUR_SPAM_NET_H
#define FACTEUR_SPAM_NET_H

#include <stddef.h>

struct dmarc_psl;
struct sp_ruleset;
struct sp_view;

#define SP_NET_MAX_DOMAINS 20 /* URIBL: registrable domains per message */
#define SP_NET_MAX_TASKS 128  /* lookups per message, all zones */
#define SP_NET_MAX_THREADS 8  /* the worker pool of an sp_net */

enum sp_net_kind {
	SP_NET_RBL,	/* check_rbl: client IP in zone */
	SP_NET_RBL_SUB, /* check_rbl_sub: the answers of a set */
	SP_NET_URIBL,	/* check_uridnsbl / urirhssub: body domains */
	SP_NET_SPF,	/* arg: enum spf_result */
	SP_NET_DKIM,	/* arg: SP_DKIM_* */
};

enum { SP_DKIM_VALID, SP_DKIM_SIGNED, SP_DKIM_AUTHOR };

struct sp_net_rule {
	enum sp_net_kind kind;
	int arg;
	char set[64];	/* RBL set name */
	char zone[256]; /* RBL/URIBL zone: lowercase, no final dot */
	char sub[128];	/* subtest, "" = any listing */
	void *re;	/* compiled regex subtest (pcre2_code), owned */
};

void sp_net_rule_free(struct sp_net_rule **r);

/* Parses "eval:check_rbl(...)" etc. (the text after the rule name).
 * 1 and *out filled (owned) for a network eval we run, 0 if s is some
 * other eval, -1 if it is ours but malformed (*why static). */
__attribute__((warn_unused_result)) int
sp_net_parse_eval(const char *s, struct sp_net_rule **out, const char **why);

/* "zone. A subtest" of "urirhssub NAME ..." (urirhsbl: no subtest). 0 and
 * *out owned, or -1 with *why. */
__attribute__((warn_unused_result)) int
sp_net_parse_urirhs(int sub, const char *rest, struct sp_net_rule **out,
		    const char **why);

/* The quoted arguments of "name('a', "b")" into args[0..*n). 0, or -1 if
 * unbalanced or more than max / longer than arglen. */
__attribute__((warn_unused_result)) int
sp_net_args(const char *s, char (*args)[256], size_t max, size_t *n);

/* Compiles a regex subtest into r->re when the subtest is neither empty,
 * an address, a number, a range nor a mask. 0, or -1 with err. */
__attribute__((warn_unused_result)) int
sp_net_sub_compile(struct sp_net_rule *r, char *err, size_t errlen);
/* 1 if answer ("127.0.0.2") passes r's subtest. */
int sp_net_sub_match(const struct sp_net_rule *r, const char *answer);

/* The registrable domains (psl: lib/dmarc's organizational domain; NULL:
 * the last two labels) of hosts[0..n), lowercased, IP literals and names
 * without a dot left out, each once, at most max, into out[0..). Returns
 * the count. */
size_t sp_net_uri_domains(const struct dmarc_psl *psl, char *const *hosts,
			  size_t n, size_t max, char (*out)[256]);

/* The client address of a Received header value: the first "[addr]" that
 * is a public IPv4/IPv6 address (not loopback, RFC 1918, link-local,
 * ULA). 0 and out set, or -1. */
int sp_net_received_ip(const char *value, char *out, size_t outlen);

/* ---- netrun.c: the lookups of one message ---- */

struct sp_net;

struct sp_net_opts {
	const char *server;   /* lib/dns syntax; NULL/"" resolv.conf */
	long long timeout_ms; /* all lookups of a message; 0 = 2000 */
	const char *hostname; /* for SPF %{r}; NULL: gethostname */
	const char *psl_path; /* NULL: Debian's */
};

struct sp_given;

struct sp_net_env {
	const char *client_ip; /* NULL: no DNSBL/SPF */
	const char *helo;
	const char *envfrom;	      /* NULL: no SPF */
	const struct sp_given *given; /* engine.h; NULL: compute all */
};

/* Starts the resolver and SPF and collects the SP_R_NET rules of rs
 * (skipping, with a reason, the ones that cannot run). *out owned. 0 or
 * -1 with err. */
__attribute__((warn_unused_result)) int sp_net_new(const struct sp_net_opts *o,
						   struct sp_ruleset *rs,
						   struct sp_net **out,
						   char *err, size_t errlen);
/* Waits for the lookups still running (each bounded by the timeout),
 * then stops and joins the workers. */
void sp_net_free(struct sp_net **n);

/* How many worker threads n has started: 0 before the first message with
 * a lookup to run, then at most SP_NET_MAX_THREADS for n's whole life.
 * For tests. */
size_t sp_net_workers(struct sp_net *n);
/* How many lookups n has handed to its workers: those the DNS cache did
 * not answer in the scoring thread. For tests. */
size_t sp_net_handed(struct sp_net *n);

/* Runs the lookups of one message and sets values[i] = 1 for each
 * SP_R_NET rule i that hits. Never blocks past the timeout. 0, or -1 on
 * ENOMEM. Thread-safe. */
__attribute__((warn_unused_result)) int
sp_net_check(struct sp_net *n, const struct sp_ruleset *rs,
	     const struct sp_view *v, const struct sp_net_env *env,
	     double *values);

#endif
