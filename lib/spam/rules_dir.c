/* lib/spam/rules_dir.c - the directives of the rule language and the
 * conditionals; see rules.h for what is kept and what is skipped. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "ev.h"
#include "meta.h"
#include "net.h"
#include "rules_int.h"

/* Conf.pm "can" features whose rules we can run. */
static const char *const rd_features[] = {
    "Mail::SpamAssassin::Conf::feature_bug6558_free",
    "Mail::SpamAssassin::Conf::feature_welcomelist_blocklist",
    "Mail::SpamAssassin::Conf::perl_min_version_5010000",
    "Mail::SpamAssassin::Conf::feature_registryboundaries",
    "Mail::SpamAssassin::Conf::feature_uri_host_listed",
    "Mail::SpamAssassin::Plugin::BodyEval::has_check_body_length",
    "Mail::SpamAssassin::Plugin::MIMEEval::has_check_for_ascii_text_illegal",
    "Mail::SpamAssassin::Plugin::MIMEEval::has_check_abundant_unicode_ratio",
    /* network plugins: their rules are defined, and skipped (read as 0)
     * unless facteur runs them */
    "Mail::SpamAssassin::Plugin::DKIM::has_arc",
    "Mail::SpamAssassin::Plugin::SPF::has_check_for_spf_errors",
    "Mail::SpamAssassin::Plugin::URIDNSBL::has_uridnsbl_for_a",
    "Mail::SpamAssassin::Plugin::URIDNSBL::has_tflags_domains_only",
    NULL,
};

/* SpamAssassin plugins as facteur sees them in "ifplugin NAME". */
enum rd_pstate {
	RD_P_ON,   /* implemented (its evals: ev.h) */
	RD_P_TODO, /* loaded by SpamAssassin, not implemented here */
};

static const struct rd_plug {
	const char *name;
	enum rd_pstate st;
	const char *why; /* skip reason when off */
} rd_plugs[] = {
    {"Check", RD_P_ON, NULL},
    {"HeaderEval", RD_P_ON, NULL},
    {"MIMEEval", RD_P_ON, NULL},
    {"HTMLEval", RD_P_ON, NULL},
    {"BodyEval", RD_P_ON, NULL},
    {"RelayEval", RD_P_ON, NULL},
    {"URIEval", RD_P_ON, NULL},
    {"WLBLEval", RD_P_ON, NULL},
    {"VBounce", RD_P_ON, NULL},
    {"FreeMail", RD_P_ON, NULL},
    {"WelcomeListSubject", RD_P_ON, NULL},
    {"WhiteListSubject", RD_P_ON, NULL},
    {"AutoLearnThreshold", RD_P_ON, NULL},
    {"HTTPSMismatch", RD_P_ON, NULL},
    {"ImageInfo", RD_P_ON, NULL},
    /* loaded as SpamAssassin loads them: their network evals are
     * skipped (read as 0 by metas) when network tests are off or when
     * facteur does not implement them, their other rules run */
    {"Bayes", RD_P_ON, NULL},
    {"DNSEval", RD_P_ON, NULL},
    {"URIDNSBL", RD_P_ON, NULL},
    {"SPF", RD_P_ON, NULL},
    {"DKIM", RD_P_ON, NULL},
    {"AskDNS", RD_P_ON, NULL},
    {"HashBL", RD_P_ON, NULL},
    {"DMARC", RD_P_ON, NULL},
    {"Dmarc", RD_P_ON, NULL},
    {"Pyzor", RD_P_ON, NULL},
    {"Razor2", RD_P_ON, NULL},
    {"MIMEHeader", RD_P_ON, NULL},
    {"ReplaceTags", RD_P_ON, NULL},
    {"URIDetail", RD_P_TODO,
     "plugin URIDetail not implemented "
     "(uri_detail rules)"},
    {"SpamCop", RD_P_TODO, "plugin SpamCop not implemented"},
    {NULL, RD_P_TODO, NULL},
};

/* 1 if plugin `name` (full Perl name) is on; *why when it is not. */
static int
rd_plugin_why(const struct rp *p, const char *name, size_t n, const char **why)
{
	static const char prefix[] = "Mail::SpamAssassin::Plugin::";
	const struct rd_plug *pl;

	*why = "plugin not loaded by SpamAssassin's default .pre either";
	if (n <= sizeof(prefix) - 1 ||
	    strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	name += sizeof(prefix) - 1;
	n -= sizeof(prefix) - 1;
	for (pl = rd_plugs; pl->name != NULL; pl++) {
		if (strlen(pl->name) != n || strncmp(pl->name, name, n) != 0)
			continue;
		if (pl->why != NULL)
			*why = pl->why;
		switch (pl->st) {
		case RD_P_ON:
			return 1;
		case RD_P_TODO:
			return 0;
		}
	}
	return 0;
}

static int
rd_plugin(const struct rp *p, const char *name, size_t n)
{
	const char *why;

	return rd_plugin_why(p, name, n, &why);
}

static int
rd_feature(const char *name, size_t n)
{
	size_t i;

	for (i = 0; rd_features[i] != NULL; i++)
		if (strlen(rd_features[i]) == n &&
		    strncmp(rd_features[i], name, n) == 0)
			return 1;
	return 0;
}

static long
rd_no_names(void *ctx, const char *name, size_t n)
{
	return -1;
}

/* "if EXPR": plugin(X), can(X), version and perl_version become numbers,
 * then the meta evaluator decides. Unparseable: false. */
static int
rd_if_value(const struct rp *p, const char *e)
{
	struct sp_meta *m = NULL;
	struct buf b;
	size_t off;
	int v = 0;

	buf_init(&b, 8192);
	while (*e) {
		int isplug = strncmp(e, "plugin(", 7) == 0;
		int iscan = strncmp(e, "can(", 4) == 0;
		const char *a, *z;
		int r = 0;

		if (isplug || iscan) {
			a = e + (isplug ? 7 : 4);
			while (isspace((unsigned char)*a))
				a++;
			for (z = a;
			     *z && *z != ')' && !isspace((unsigned char)*z);
			     z++)
				;
			r = isplug ? rd_plugin(p, a, (size_t)(z - a))
				   : rd_feature(a, (size_t)(z - a));
			while (*z && *z != ')')
				z++;
			e = *z ? z + 1 : z;
			if (buf_adds(&b, r ? " 1 " : " 0 ") < 0)
				goto out;
		} else if (strncmp(e, "perl_version", 12) == 0) {
			e += 12;
			if (buf_adds(&b, " 5.036 ") < 0)
				goto out;
		} else if (strncmp(e, "version", 7) == 0) {
			e += 7;
			if (buf_adds(&b, " 4.000001 ") < 0)
				goto out;
		} else if (buf_addc(&b, *e++) < 0)
			goto out;
	}
	if (sp_meta_compile(buf_str(&b), rd_no_names, NULL, &m, &off) ==
	    SP_META_OK)
		v = sp_meta_eval(m, NULL) != 0;
	sp_meta_free(&m);
out:
	buf_free(&b);
	return v;
}

static int
rd_cond(struct rp *p, const char *dir, char *rest)
{
	size_t n;

	if (strcmp(dir, "endif") == 0) {
		if (p->ncond == 0)
			return rp_error(p, dir, "endif without if");
		p->ncond--;
		return 0;
	}
	if (strcmp(dir, "else") == 0) {
		if (p->ncond == 0)
			return rp_error(p, dir, "else without if");
		p->cond[p->ncond - 1] = !p->cond[p->ncond - 1];
		p->why[p->ncond - 1] = "inside the else of a true "
				       "ifplugin/if";
		return 0;
	}
	if (p->ncond >= RULES_MAX_COND) {
		rp_fail(p, "if/ifplugin nested too deep");
		return -2;
	}
	if (strcmp(dir, "ifplugin") == 0) {
		for (n = 0; rest[n] && !isspace((unsigned char)rest[n]); n++)
			;
		p->cond[p->ncond] =
		    rd_plugin_why(p, rest, n, &p->why[p->ncond]);
		p->ncond++;
	} else {
		p->why[p->ncond] =
		    strstr(rest, "feature_capture_rules")
			? "needs capture rules (%{TAG}), not implemented"
			: "inside an if that is false (as in SpamAssassin "
			  "4.0.1)";
		p->cond[p->ncond++] = rd_if_value(p, rest);
	}
	return 0;
}

/* The static reason an eval rule is skipped: its function's name, kept
 * in the ruleset's reason table so the pointer lives as long as it. */
static const char *
rd_eval_why(struct sp_ruleset *rs, const char *what, int *zero)
{
	static const char *const netfns[] = {
	    "check_rbl",   "check_uridnsbl", "check_for_spf",	 "check_dkim",
	    "check_arc",   "check_dmarc",    "check_dns_sender", "check_hashbl",
	    "check_pyzor", "check_razor",    "check_dcc",	 "askdns",
	    NULL};
	char fn[64];
	size_t i;

	sp_ev_name(what, fn, sizeof(fn));
	*zero = 0;
	for (i = 0; netfns[i] != NULL; i++)
		if (strncmp(fn, netfns[i], strlen(netfns[i])) == 0) {
			*zero = 1;
			return rs->network
				   ? "eval: network test not "
				     "implemented"
				   : "eval: network test (network_tests "
				     "off)";
		}
	return "eval: function not implemented";
}

static int
rd_eval(struct rp *p, const char *name, const char *what, enum sp_rtype t)
{
	struct sp_rule *r;
	int oom;

	if (!rp_active(p)) {
		p->rs->nplugin++;
		return rp_define(p, name, SP_R_NONE, &oom), oom ? -1 : 0;
	}
	if (p->rs->network) {
		struct sp_net_rule *nr;
		const char *why = NULL;
		int k = sp_net_parse_eval(what, &nr, &why);

		if (k != 0 &&
		    (r = rp_define(p, name, SP_R_NET, &oom)) == NULL) {
			sp_net_rule_free(&nr);
			return oom ? -1 : 0;
		}
		if (k > 0) {
			r->net = nr;
			return 0;
		}
		if (k < 0) {
			r->skip = "malformed";
			return rp_error(p, name, "%s", why);
		}
	}
	{
		struct sp_evcall *ec;
		const char *why = NULL;
		int k = sp_ev_parse(what, &ec, &why);

		if (k != 0 &&
		    (r = rp_define(p, name, SP_R_EVAL, &oom)) == NULL) {
			sp_ev_free(&ec);
			return oom ? -1 : 0;
		}
		if (k > 0) {
			r->ev = ec;
			ec->rtype = (int)t;
			return 0;
		}
		if (k < 0) {
			r->skip = "malformed";
			return rp_error(p, name, "%s", why);
		}
	}
	if ((r = rp_define(p, name, SP_R_NONE, &oom)) == NULL)
		return oom ? -1 : 0;
	r->skip = rd_eval_why(p->rs, what, &r->zero);
	p->rs->nevals++;
	return rules_skip(p->rs, name, p->file, p->line, "%.200s", what);
}

/* "eval:check_bayes('0.40', '0.60')" */
static int
rd_bayes(const char *s, double *lo, double *hi)
{
	const char *a = strchr(s, '(');
	char *end;

	if (a == NULL)
		return -1;
	while (*a && !isdigit((unsigned char)*a) && *a != '.')
		a++;
	*lo = strtod(a, &end);
	if (end == a)
		return -1;
	for (a = end; *a && !isdigit((unsigned char)*a) && *a != '.'; a++)
		if (*a == ')')
			return -1;
	*hi = strtod(a, &end);
	return end == a ? -1 : 0;
}

static int
rd_header_target(struct rp *p, struct sp_rule *r, const char *t)
{
	const char *colon = strrchr(t, ':');

	r->hmod = SP_H_VALUE;
	if (colon != NULL) {
		if (strcmp(colon, ":raw") == 0)
			r->hmod = SP_H_RAW;
		else if (strcmp(colon, ":addr") == 0)
			r->hmod = SP_H_ADDR;
		else if (strcmp(colon, ":name") == 0)
			r->hmod = SP_H_NAME;
		else {
			r->skip = "unsupported header modifier";
			return rules_skip(p->rs, r->name, p->file, p->line,
					  "header modifier %s not supported",
					  colon);
		}
		return (r->hdr = strndup(t, (size_t)(colon - t))) ? 0 : -1;
	}
	return (r->hdr = strdup(t)) ? 0 : -1;
}

static int
rd_header(struct rp *p, const char *name, char *rest)
{
	struct sp_rule *r;
	const char *why;
	char *target, *op, *u;
	int oom;

	if (strncmp(rest, "eval:", 5) == 0)
		return rd_eval(p, name, rest, SP_R_HEADER);
	if ((r = rp_define(p, name, SP_R_HEADER, &oom)) == NULL)
		return oom ? -1 : (p->rs->nplugin++, 0);
	if (strncmp(rest, "exists:", 7) == 0) {
		r->exists = 1;
		return (r->hdr = strdup(rest + 7)) ? 0 : -1;
	}
	if ((target = rp_word(&rest)) == NULL ||
	    (op = rp_word(&rest)) == NULL ||
	    (strcmp(op, "=~") != 0 && strcmp(op, "!~") != 0)) {
		r->skip = "malformed";
		return rp_error(p, name,
				"header rule: want 'Header =~ "
				"/pattern/'");
	}
	r->negate = op[0] == '!';
	if (rd_header_target(p, r, target) < 0)
		return -1;
	if (rules_regex(&rest, &r->re, &r->re_flags, &why) < 0) {
		r->skip = "malformed";
		return rp_error(p, name, "%s", why);
	}
	while (isspace((unsigned char)*rest))
		rest++;
	if (strncmp(rest, "[if-unset:", 10) == 0) {
		rest += 10;
		while (*rest == ' ')
			rest++;
		if ((u = strrchr(rest, ']')) == NULL) {
			r->skip = "malformed";
			return rp_error(p, name, "unterminated [if-unset:");
		}
		*u = '\0';
		return rp_strset(&r->if_unset, rest);
	}
	if (*rest != '\0') {
		r->skip = "malformed";
		return rp_error(p, name, "junk after the pattern");
	}
	return 0;
}

static int
rd_pattern(struct rp *p, enum sp_rtype t, const char *name, char *rest)
{
	struct sp_rule *r;
	const char *why;
	double lo, hi;
	int oom;

	if (t == SP_R_BODY && strncmp(rest, "eval:check_bayes", 16) == 0 &&
	    rd_bayes(rest, &lo, &hi) == 0) {
		if ((r = rp_define(p, name, SP_R_BAYES, &oom)) == NULL)
			return oom ? -1 : (p->rs->nplugin++, 0);
		r->bayes_lo = lo;
		r->bayes_hi = hi;
		return 0;
	}
	if (strncmp(rest, "eval:", 5) == 0)
		return rd_eval(p, name, rest, t);
	if ((r = rp_define(p, name, t, &oom)) == NULL)
		return oom ? -1 : (p->rs->nplugin++, 0);
	if (rules_regex(&rest, &r->re, &r->re_flags, &why) < 0) {
		r->skip = "malformed";
		return rp_error(p, name, "%s", why);
	}
	while (isspace((unsigned char)*rest))
		rest++;
	if (*rest != '\0') {
		r->skip = "malformed";
		return rp_error(p, name, "junk after the pattern");
	}
	return 0;
}

static int
rd_meta(struct rp *p, const char *name, char *rest)
{
	struct sp_rule *r;
	int oom;

	if ((r = rp_define(p, name, SP_R_META, &oom)) == NULL)
		return oom ? -1 : (p->rs->nplugin++, 0);
	if (*rest == '\0') {
		r->skip = "malformed";
		return rp_error(p, name, "meta: empty expression");
	}
	return rp_strset(&r->meta, rest);
}

/* score / describe / tflags: they attach to a name, defined or not. */
static int
rd_attr(struct rp *p, const char *dir, const char *name, char *rest)
{
	struct sp_rule *r;
	char *w, *end;
	long idx;
	int n = 0;
	double v[4];

	if (!rp_active(p))
		return 0;
	if ((idx = sp_rules_find(p->rs, name, strlen(name))) < 0) {
		struct sp_rule *nr;
		int oom;

		/* create a NONE entry without touching a skip reason */
		if ((nr = rp_define(p, name, SP_R_NONE, &oom)) == NULL)
			return oom ? -1 : 0;
		idx = sp_rules_find(p->rs, name, strlen(name));
	}
	r = &p->rs->v[idx];
	if (strcmp(dir, "describe") == 0)
		return rp_strset(&r->describe, rest);
	if (strcmp(dir, "tflags") == 0) {
		r->tflags = 0;
		r->maxhits = 0;
		while ((w = rp_word(&rest)) != NULL) {
			if (strncmp(w, "maxhits=", 8) == 0)
				r->maxhits = (unsigned)strtoul(w + 8, NULL, 10);
			r->tflags |= strcmp(w, "multiple") == 0 ? SP_TF_MULTIPLE
				     : strcmp(w, "nice") == 0	? SP_TF_NICE
				     : strcmp(w, "learn") == 0	? SP_TF_LEARN
				     : strcmp(w, "noautolearn") == 0
					 ? SP_TF_NOAUTOLEARN
				     : strcmp(w, "net") == 0 ? SP_TF_NET
							     : 0;
		}
		return 0;
	}
	while ((w = rp_word(&rest)) != NULL && n < 4) {
		v[n] = strtod(w, &end);
		if (*end != '\0' || end == w)
			return rp_error(p, name,
					"score: '%.40s' is not a "
					"number",
					w);
		n++;
	}
	if (n == 0 || w != NULL)
		return rp_error(p, name, "score: want 1 or 4 numbers");
	for (r->nscores = 0; r->nscores < 4; r->nscores++)
		r->score[r->nscores] = v[r->nscores < n ? r->nscores : n - 1];
	return 0;
}

/* urirhssub / urirhsbl NAME zone. A [subtest]: kept on the entry of
 * NAME until sp_rules_finish() joins it with check_uridnsbl('NAME'). */
static int
rd_urirhs(struct rp *p, const char *dir, char *rest)
{
	struct sp_net_rule *nr;
	struct sp_rule *r;
	const char *why;
	char *name;
	long idx;
	int oom;

	if (!rp_active(p))
		return 0;
	if ((name = rp_word(&rest)) == NULL || !rules_name_ok(name))
		return rp_error(p, dir, "%s: want a rule name", dir);
	if (sp_net_parse_urirhs(strcmp(dir, "urirhssub") == 0, rest, &nr,
				&why) < 0)
		return rp_error(p, name, "%s", why);
	if ((idx = sp_rules_find(p->rs, name, strlen(name))) < 0) {
		if (rp_define(p, name, SP_R_NONE, &oom) == NULL && oom) {
			sp_net_rule_free(&nr);
			return -1;
		}
		idx = sp_rules_find(p->rs, name, strlen(name));
	}
	r = &p->rs->v[idx];
	sp_net_rule_free(&r->urirhs);
	r->urirhs = nr;
	return 0;
}

/* MIMEHeader's "mimeheader NAME Header =~ /re/": an eval rule. */
static int
rd_mimeheader(struct rp *p, char *rest)
{
	struct sp_evcall *ec;
	struct sp_rule *r;
	const char *why = NULL;
	char *name;
	int oom;

	if ((name = rp_word(&rest)) == NULL || !rules_name_ok(name))
		return rp_active(p) ? rp_error(p, "mimeheader",
					       "mimeheader: "
					       "want a rule name")
				    : 0;
	if ((r = rp_define(p, name, SP_R_EVAL, &oom)) == NULL)
		return oom ? -1 : (p->rs->nplugin++, 0);
	if (sp_ev_mimeheader(rest, &ec, &why) < 0) {
		r->skip = "malformed";
		return rp_error(p, name, "%s", why);
	}
	r->ev = ec;
	return 0;
}

/* Directives that define a network rule by name (URIDNSBL, AskDNS). */
static int
rd_netdef(const char *dir)
{
	static const char *const d[] = {
	    "urirhssub",   "urirhsbl",	 "uridnssub",	    "uridnsbl",
	    "urinsrhssub", "urinsrhsbl", "urifullnsrhssub", "urifullnsrhsbl",
	    "askdns",	   NULL};
	size_t i;

	for (i = 0; d[i] != NULL; i++)
		if (strcmp(dir, d[i]) == 0)
			return 1;
	return 0;
}

/* A network rule that does not run here: defined, skipped, read as 0 by
 * metas (SpamAssassin in local mode). */
static int
rd_netrule(struct rp *p, const char *dir, char *rest)
{
	struct sp_rule *r;
	char *name;
	long idx;
	int oom;

	if (!rp_active(p))
		return 0;
	if ((name = rp_word(&rest)) == NULL || !rules_name_ok(name))
		return rp_error(p, dir, "%s: want a rule name", dir);
	idx = sp_rules_find(p->rs, name, strlen(name));
	if (idx >= 0 && p->rs->v[idx].type != SP_R_NONE)
		return 0;
	if ((r = rp_define(p, name, SP_R_NONE, &oom)) == NULL)
		return oom ? -1 : 0;
	r->skip = p->rs->network ? "network test not implemented"
				 : "network test (network_tests off)";
	r->zero = 1;
	return 0;
}

static const char *const rd_ignored[] = {"lang",
					 "report",
					 "clear_report_template",
					 "report_contact",
					 "add_header",
					 "remove_header",
					 "clear_headers",
					 "unsafe_report",
					 "ok_locales",
					 "use_bayes",
					 "bayes_auto_learn",
					 "loadplugin",
					 "tryplugin",
					 "use_auto_welcomelist",
					 "util_rb_tld",
					 "util_rb_2tld",
					 "util_rb_3tld",
					 NULL};

static int
rd_line(struct rp *p, char *line)
{
	char *rest = line, *dir, *name;
	size_t i;
	int rc;

	dir = rp_word(&rest);
	if (strcmp(dir, "ifplugin") == 0 || strcmp(dir, "if") == 0 ||
	    strcmp(dir, "else") == 0 || strcmp(dir, "endif") == 0)
		return rd_cond(p, dir, rest);
	if (strcmp(dir, "include") == 0) {
		if (!rp_active(p))
			return 0;
		if (p->o->include == NULL)
			return rp_error(p, dir, "include is not allowed here");
		rc = p->o->include(p->o->ctx, p->rs, rest, p->o->depth + 1,
				   p->err);
		return rc < 0 ? -2 : 0;
	}
	if (strcmp(dir, "required_score") == 0 ||
	    strcmp(dir, "required_hits") == 0) {
		char *end;

		if (!rp_active(p))
			return 0;
		p->rs->required_score = strtod(rest, &end);
		if (end == rest)
			return rp_error(p, dir, "want a number");
		p->rs->has_required = 1;
		return 0;
	}
	for (i = 0; rd_ignored[i] != NULL; i++)
		if (strcmp(dir, rd_ignored[i]) == 0)
			return 0;
	if (rp_active(p)) {
		if (p->rs->conf == NULL &&
		    (p->rs->conf = calloc(1, sizeof(*p->rs->conf))) == NULL)
			return -1;
		if ((rc = sp_evconf_directive(p->rs->conf, dir, rest)) != 0)
			return rc < 0 ? -1 : 0;
	}
	if (p->rs->network &&
	    (strcmp(dir, "urirhssub") == 0 || strcmp(dir, "urirhsbl") == 0))
		return rd_urirhs(p, dir, rest);
	if (rd_netdef(dir))
		return rd_netrule(p, dir, rest);
	if (strcmp(dir, "mimeheader") == 0)
		return rd_mimeheader(p, rest);
	if (strcmp(dir, "header") && strcmp(dir, "body") &&
	    strcmp(dir, "rawbody") && strcmp(dir, "uri") &&
	    strcmp(dir, "full") && strcmp(dir, "meta") &&
	    strcmp(dir, "score") && strcmp(dir, "describe") &&
	    strcmp(dir, "tflags")) {
		if (!rp_active(p))
			return 0;
		p->rs->nunknown++;
		return rules_skip(p->rs, dir, p->file, p->line,
				  "unknown directive");
	}
	if ((name = rp_word(&rest)) == NULL || !rules_name_ok(name))
		return rp_active(p) ? rp_error(p, dir,
					       "%s: want a rule name "
					       "of letters, digits and _",
					       dir)
				    : 0;
	if (strcmp(dir, "header") == 0)
		return rd_header(p, name, rest);
	if (strcmp(dir, "meta") == 0)
		return rd_meta(p, name, rest);
	if (strcmp(dir, "body") == 0)
		return rd_pattern(p, SP_R_BODY, name, rest);
	if (strcmp(dir, "rawbody") == 0)
		return rd_pattern(p, SP_R_RAWBODY, name, rest);
	if (strcmp(dir, "uri") == 0)
		return rd_pattern(p, SP_R_URI, name, rest);
	if (strcmp(dir, "full") == 0)
		return rd_pattern(p, SP_R_FULL, name, rest);
	return rd_attr(p, dir, name, rest);
}

/* Strips the comment (an unescaped '#'), unescapes "\#" and trims. */
static char *
rd_clean(char *s)
{
	char *r, *w, *e;

	for (r = s; *r; r++) {
		if (*r == '\\' && r[1] == '#') {
			r++;
			continue;
		}
		if (*r == '#') {
			*r = '\0';
			break;
		}
	}
	for (r = w = s; *r; r++) {
		if (*r == '\\' && r[1] == '#')
			r++;
		*w++ = *r;
	}
	*w = '\0';
	while (isspace((unsigned char)*s))
		s++;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	return s;
}

static const char *
rd_intern_file(struct sp_ruleset *rs, const char *file)
{
	char **nv;
	size_t i;

	for (i = 0; i < rs->nfiles; i++)
		if (strcmp(rs->files[i], file) == 0)
			return rs->files[i];
	if ((nv = reallocarray(rs->files, rs->nfiles + 1, sizeof(char *))) ==
	    NULL)
		return NULL;
	rs->files = nv;
	if ((rs->files[rs->nfiles] = strdup(file)) == NULL)
		return NULL;
	return rs->files[rs->nfiles++];
}

int
sp_rules_parse(struct sp_ruleset *rs, const char *file, const char *p,
	       size_t len, const struct sp_rules_opts *opts,
	       struct sp_rules_error *err)
{
	static const struct sp_rules_opts none;
	struct rp rp;
	size_t i = 0, max_line;
	char *line = NULL;
	int rc = 0;

	memset(&rp, 0, sizeof(rp));
	rp.rs = rs;
	rp.o = opts ? opts : &none;
	rp.err = err;
	rp.max_rules = rp.o->max_rules ? rp.o->max_rules : 100000;
	max_line = rp.o->max_line ? rp.o->max_line : 65536;
	if ((rp.file = rd_intern_file(rs, file)) == NULL ||
	    (line = malloc(max_line + 1)) == NULL) {
		free(line);
		return rp_fail(&rp, "out of memory");
	}
	while (i < len && rc == 0) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (p + i)) : len - i;

		rp.line++;
		if (n > max_line) {
			rc = rp_error(&rp, "line", "line longer than %zu bytes",
				      max_line);
		} else {
			char *s;

			memcpy(line, p + i, n);
			line[n] = '\0';
			if (memchr(line, '\0', n) != NULL)
				rc = rp_error(&rp, "line", "NUL byte");
			else if (*(s = rd_clean(line)) != '\0')
				rc = rd_line(&rp, s);
		}
		if (rc == -1 && err->line == 0)
			rp_fail(&rp, "out of memory or too many rules");
		i += n + 1;
	}
	free(line);
	if (rc == 0 && rp.ncond != 0) {
		rp.line++;
		rc = rp_error(&rp, "if", "missing endif at end of file");
	}
	return rc < 0 ? -1 : 0;
}
