/* lib/spam/ev.h - SpamAssassin's eval tests ("header NAME
 * eval:check_for_mime('mime_qp_count')") run by facteur: the functions of
 * the HeaderEval, MIMEEval, HTMLEval, BodyEval, RelayEval, URIEval,
 * WLBLEval, VBounce, FreeMail and ImageInfo plugins that Debian's stock
 * rules call, with the semantics of SpamAssassin 4.0's Perl.
 *
 * A rule's call is parsed once (sp_ev_parse) into a struct sp_evcall: the
 * function (from one static table) and its arguments as strings. At
 * check time sp_ev_run() evaluates every SP_R_EVAL rule of a rule set
 * over a message view; per-message state (the parsed Received chain, the
 * HTML statistics) is computed on first use in a struct sp_evctx and
 * freed by sp_ev_ctx_clear(). The eval functions are pure over the view
 * and the ruleset's configuration lists (struct sp_evconf): no I/O, no
 * statics, bounded by the view's limits. Thread-safe: one ctx per
 * message. */
#ifndef FACTEUR_SPAM_EV_H
#define FACTEUR_SPAM_EV_H

#include <stddef.h>
#include <time.h>

struct sp_view;
struct sp_ruleset;
struct sp_relays;
struct ev_html;
struct ev_rawmime;

#define SP_EV_MAXARGS 6

struct sp_evcall {
	const struct sp_evdef *def; /* static table entry */
	int argc;
	char *argv[SP_EV_MAXARGS]; /* owned, quotes removed */
	int rtype;		   /* enum sp_rtype of the directive
				      (body, rawbody, header...) */
	void *re;		   /* the call's regex argument compiled
				      once (pcre2_code), or NULL; owned */
	double num[SP_EV_MAXARGS]; /* argv[i] read as sp_ev_num() reads it,
				      once at parse time... */
	unsigned char num_ok[SP_EV_MAXARGS]; /* ...0: "undef" or not a
						number (the default) */
};

/* Lists set by configuration directives of the rule files that the evals
 * read (freemail_domains, enlist_addrlist, enlist_uri_host, replace_*...).
 * Owned by the ruleset. */
struct sp_strlist {
	char **v;
	size_t n, cap;
};

struct sp_evconf {
	struct sp_strlist freemail;	  /* freemail_domains (globs; after
					     sp_evconf_finish, only those
					     with '*' or '?') */
	struct sp_strlist freemail_exact; /* the others, lowercased and
					     sorted (sp_evconf_finish) */
	struct sp_strlist freemail_wl;	  /* freemail_whitelist */
	struct sp_strlist addrlist;	  /* "LIST\tglob" (enlist_addrlist) */
	struct sp_strlist urihost;	  /* "LIST\thost" (enlist_uri_host) */
	struct sp_strlist bounce_relays;  /* whitelist_bounce_relays */
	struct sp_strlist trusted;	  /* trusted_networks (CIDR) */
	struct sp_strlist internal;	  /* internal_networks (CIDR) */
	struct sp_strlist shorteners;	  /* url_shortener hosts */
	/* ReplaceTags (rules_replace.c): "NAME\tvalue" and rule names */
	struct sp_strlist rtags, rpre, rpost, rinter, rrules;
};

struct sp_evctx {
	const struct sp_view *v;
	const struct sp_ruleset *rs;
	const char *envfrom;	    /* may be NULL */
	time_t now;		    /* for Date shifts with no Received date */
	struct sp_relays *relays;   /* lazily parsed; owned */
	struct ev_html *html;	    /* lazily scanned; owned */
	struct ev_rawmime *rawmime; /* lazily parsed; owned */
	int relays_done, html_done, rawmime_done;
	int madiff_done;  /* multipart_alternative_difference */
	int shifted_done; /* check_for_shifted_date's Date - Received */
	long shifted_best;
	int upper_done; /* check_for_uppercase's counts over the body */
	size_t upper_len, upper_n, lower_n;
	void *re_md; /* ev_re_match's pcre2_match_data, made on first use */
	size_t *uri_dlens;   /* ev_uri_domain_lens(), or NULL */
	const size_t *evals; /* the live eval rules' indices, ascending, or
				NULL: sp_ev_run walks the whole rule set */
	size_t nevals;
	double madiff;
	size_t madiff_html, madiff_text;
	int envfrom_done;
	char envfrom_buf[320];
	const char *envfrom_sa; /* ev_envfrom()'s answer */
};

/* Parses the text after the rule name ("eval:NAME(args)"). Returns 1 with
 * *out (owned) when NAME is implemented, 0 when it is not (*why names
 * it), -1 on a malformed call or ENOMEM (*why). */
int sp_ev_parse(const char *text, struct sp_evcall **out, const char **why);
void sp_ev_free(struct sp_evcall **c);

/* MIMEHeader: "mimeheader NAME Header[:raw] =~ /re/flags [if-unset: X]"
 * (the text after NAME) into a call. 1 with *out, -1 (*why). */
int sp_ev_mimeheader(const char *text, struct sp_evcall **out,
		     const char **why);

/* The name of the eval function in "eval:NAME(...)", into out (at most
 * outlen - 1 bytes), for skip reasons. */
void sp_ev_name(const char *text, char *out, size_t outlen);

/* The message's Received chain (received.h), parsed on first use; NULL
 * on ENOMEM. Borrowed until sp_ev_ctx_clear(). */
const struct sp_relays *sp_ev_relays(struct sp_evctx *c);

/* SpamAssassin's EnvelopeFrom for the message (the envelope sender
 * given, else what the Received chain or the headers say), or NULL.
 * Borrowed until sp_ev_ctx_clear(). */
const char *sp_ev_envfrom(struct sp_evctx *c);

/* Sets values[i] for every live SP_R_EVAL rule of rs. 0 or -1 (ENOMEM). */
int sp_ev_run(struct sp_evctx *c, double *values);
void sp_ev_ctx_clear(struct sp_evctx *c);

/* Configuration directives the evals read: returns 1 if `dir` is one
 * (handled), 0 if not, -1 on ENOMEM. */
int sp_evconf_directive(struct sp_evconf *cf, const char *dir,
			const char *rest);
void sp_evconf_free(struct sp_evconf *cf);
/* After the last directive: indexes the lists the evals search per
 * message (freemail_domains: 2,500 names, 29 of them globs). 0 or -1
 * (ENOMEM). */
int sp_evconf_finish(struct sp_evconf *cf);

/* ---- shared helpers (ev.c) ---- */
double sp_ev_num(const struct sp_evcall *a, int i, double dflt);
const char *sp_ev_str(const struct sp_evcall *a, int i);
/* Glob match as SpamAssassin's lists use it ('*' and '?'), case-
 * insensitive. */
int sp_ev_glob(const char *pat, const char *s);

/* Each plugin file's evaluation functions, declared in ev_int.h. */
#endif
