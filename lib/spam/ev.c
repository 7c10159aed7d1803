/* lib/spam/ev.c - the eval dispatch: parsing "eval:NAME(args)", the
 * table of implemented functions, running them over a message, and the
 * configuration lists they read. See ev.h. */
#include "ev.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ev_int.h"
#include "msgview.h"
#include "re_limits.h"
#include "received.h"
#include "rules.h"

static const struct sp_evdef *const *
ev_tables(void)
{
	static const struct sp_evdef *const t[] = {
	    ev_header_defs,  ev_mime_defs, ev_html_defs,  ev_body_defs,
	    ev_relay_defs,   ev_list_defs, ev_image_defs, ev_forged_defs,
	    ev_rawmime_defs, ev_text_defs, NULL};

	return t;
}

static const struct sp_evdef *
ev_lookup(const char *name, size_t n)
{
	const struct sp_evdef *const *t;
	const struct sp_evdef *d;

	for (t = ev_tables(); *t != NULL; t++)
		for (d = *t; d->name != NULL; d++)
			if (strlen(d->name) == n &&
			    memcmp(d->name, name, n) == 0)
				return d;
	return NULL;
}

void
sp_ev_name(const char *text, char *out, size_t outlen)
{
	size_t n = 0;

	if (strncmp(text, "eval:", 5) == 0)
		text += 5;
	while (text[n] && (isalnum((unsigned char)text[n]) || text[n] == '_'))
		n++;
	if (outlen == 0)
		return;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, text, n);
	out[n] = '\0';
}

/* One argument at *pp: 'quoted', "quoted" or bare up to ',' or ')'. */
static char *
ev_arg(const char **pp)
{
	const char *p = *pp, *s, *e;
	char *r;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\'' || *p == '"') {
		char q = *p++;

		for (s = p; *p && *p != q; p++)
			if (*p == '\\' && p[1] != '\0')
				p++;
		if (*p != q)
			return NULL;
		e = p++;
	} else {
		for (s = p; *p && *p != ',' && *p != ')'; p++)
			;
		for (e = p; e > s && isspace((unsigned char)e[-1]); e--)
			;
	}
	while (isspace((unsigned char)*p))
		p++;
	*pp = p;
	if ((r = malloc((size_t)(e - s) + 1)) != NULL) {
		memcpy(r, s, (size_t)(e - s));
		r[e - s] = '\0';
	}
	return r;
}

/* Each argument as a number, for sp_ev_num: "undef" and what strtod
 * cannot read take the caller's default, "inf" is 1e308. The evals ask
 * for their numbers on every message; strtod was 0.6% of a check. */
static void
ev_nums(struct sp_evcall *c)
{
	int i;

	for (i = 0; i < c->argc; i++) {
		char *end;

		if (strcmp(c->argv[i], "undef") == 0)
			continue;
		if (strcmp(c->argv[i], "inf") == 0) {
			c->num[i] = 1e308;
			c->num_ok[i] = 1;
			continue;
		}
		c->num[i] = strtod(c->argv[i], &end);
		c->num_ok[i] = end != c->argv[i];
	}
}

int
sp_ev_parse(const char *text, struct sp_evcall **out, const char **why)
{
	const struct sp_evdef *d;
	struct sp_evcall *c;
	const char *p = text;
	size_t n = 0;

	*out = NULL;
	if (strncmp(p, "eval:", 5) == 0)
		p += 5;
	while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '_'))
		n++;
	if ((d = ev_lookup(p, n)) == NULL) {
		*why = "eval function not implemented";
		return 0;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		*why = "out of memory";
		return -1;
	}
	c->def = d;
	p += n;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '(')
		goto bad;
	p++;
	while (isspace((unsigned char)*p))
		p++;
	while (*p && *p != ')') {
		if (c->argc >= SP_EV_MAXARGS ||
		    (c->argv[c->argc] = ev_arg(&p)) == NULL)
			goto bad;
		c->argc++;
		if (*p == ',')
			p++;
		else if (*p != ')')
			goto bad;
	}
	if (*p != ')' || c->argc < d->minargs || c->argc > d->maxargs)
		goto bad;
	if (d->only != NULL && c->argc > 0) {
		const char *const *o;

		for (o = d->only; *o != NULL && strcmp(*o, c->argv[0]) != 0;
		     o++)
			;
		if (*o == NULL) {
			*why = "eval function argument not implemented";
			sp_ev_free(&c);
			return 0;
		}
	}
	if ((d->re_arg > 0 && d->re_arg <= c->argc) || d->re_fixed != NULL) {
		const char *re =
		    d->re_fixed != NULL ? d->re_fixed : c->argv[d->re_arg - 1];
		PCRE2_SIZE off;
		int en;

		if ((c->re =
			 pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0,
				       &en, &off, NULL)) == NULL) {
			*why = "bad regex in eval call";
			sp_ev_free(&c);
			return -1;
		}
		(void)pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);
	}
	ev_nums(c);
	*out = c;
	return 1;
bad:
	*why = "malformed eval call (arguments)";
	sp_ev_free(&c);
	return -1;
}

void
sp_ev_free(struct sp_evcall **cp)
{
	struct sp_evcall *c = *cp;
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->argc; i++)
		free(c->argv[i]);
	pcre2_code_free(c->re);
	free(c);
	*cp = NULL;
}

int
sp_ev_run(struct sp_evctx *c, double *values)
{
	const struct sp_ruleset *rs = c->rs;
	size_t i, k;

	for (k = 0; k < (c->evals != NULL ? c->nevals : rs->n); k++) {
		const struct sp_rule *r;

		i = c->evals != NULL ? c->evals[k] : k;
		r = &rs->v[i];
		if (r->type != SP_R_EVAL || r->skip != NULL || r->ev == NULL)
			continue;
		values[i] = r->ev->def->fn(c, r->ev) > 0;
	}
	return 0;
}

void
sp_ev_ctx_clear(struct sp_evctx *c)
{
	sp_relays_free(&c->relays);
	ev_html_free(&c->html);
	ev_rawmime_free(&c->rawmime);
	c->relays_done = c->html_done = c->rawmime_done = 0;
	c->madiff_done = 0;
	c->shifted_done = 0;
	c->upper_done = 0;
	pcre2_match_data_free(c->re_md);
	c->re_md = NULL;
	free(c->uri_dlens);
	c->uri_dlens = NULL;
}

const size_t *
ev_uri_domain_lens(struct sp_evctx *c)
{
	size_t k;

	if (c->uri_dlens == NULL && c->v->nuris > 0 &&
	    (c->uri_dlens = calloc(c->v->nuris, sizeof(size_t))) != NULL)
		for (k = 0; k < c->v->nuris; k++)
			c->uri_dlens[k] = strlen(c->v->uri_domains[k]);
	return c->uri_dlens;
}

const struct sp_evconf *
ev_conf(const struct sp_evctx *c)
{
	static const struct sp_evconf empty;

	return c->rs->conf != NULL ? c->rs->conf : &empty;
}

const struct sp_relays *
ev_relays(struct sp_evctx *c)
{
	if (!c->relays_done) {
		c->relays_done = 1;
		if (sp_relays_from_view(c->v, ev_conf(c), &c->relays) < 0)
			c->relays = NULL;
	}
	return c->relays;
}

int
ev_re_match(struct sp_evctx *c, const struct sp_evcall *a, const char *s,
	    size_t n)
{
	/* one pair: a match that does not fit it still returns 0, not
	 * PCRE2_ERROR_NOMATCH, and only whether it matched is read */
	if (a->re == NULL ||
	    (c->re_md == NULL &&
	     (c->re_md = pcre2_match_data_create(1, NULL)) == NULL))
		return 0;
	return pcre2_match(a->re, (PCRE2_SPTR)s, n, 0, 0, c->re_md,
			   sp_re_limits()) >= 0;
}

/* rules_regex() and the SP_RE_* flags, from the rule parser */
#include "rules_int.h"

int
sp_ev_mimeheader(const char *text, struct sp_evcall **out, const char **why)
{
	extern const struct sp_evdef ev_mimeheader_def;
	struct sp_evcall *c;
	char *dup, *p, *hdr, *re = NULL, *u;
	unsigned fl = 0;
	uint32_t pf = 0;
	PCRE2_SIZE off;
	int en, neg;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (dup = strdup(text)) == NULL) {
		free(c);
		*why = "out of memory";
		return -1;
	}
	c->def = &ev_mimeheader_def;
	p = dup;
	hdr = p;
	while (*p && !isspace((unsigned char)*p) && *p != '=' && *p != '!')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if ((p[0] != '=' && p[0] != '!') || p[1] != '~')
		goto bad;
	neg = p[0] == '!';
	p += 2;
	while (isspace((unsigned char)*p))
		p++;
	if (rules_regex(&p, &re, &fl, why) < 0)
		goto bad;
	while (isspace((unsigned char)*p))
		p++;
	u = NULL;
	if (strncmp(p, "[if-unset:", 10) == 0 &&
	    (u = strrchr(p, ']')) != NULL) {
		*u = '\0';
		for (u = p + 10; *u == ' '; u++)
			;
	}
	pf = (fl & SP_RE_I ? PCRE2_CASELESS : 0) |
	     (fl & SP_RE_M ? PCRE2_MULTILINE : 0) |
	     (fl & SP_RE_S ? PCRE2_DOTALL : 0) |
	     (fl & SP_RE_X ? PCRE2_EXTENDED : 0);
	if ((c->re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, pf,
				   &en, &off, NULL)) == NULL) {
		*why = "bad regex";
		goto bad;
	}
	(void)pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);
	if ((c->argv[0] = strdup(hdr)) == NULL ||
	    (c->argv[1] = strdup(neg ? "1" : "0")) == NULL ||
	    (c->argv[2] = strdup(u ? u : "")) == NULL)
		goto oom;
	c->argc = 3;
	ev_nums(c);
	free(re);
	free(dup);
	*out = c;
	return 1;
oom:
	*why = "out of memory";
bad:
	if (*why == NULL)
		*why = "mimeheader: want 'Header =~ /pattern/'";
	free(re);
	free(dup);
	sp_ev_free(&c);
	return -1;
}

const char *
sp_ev_envfrom(struct sp_evctx *c)
{
	return ev_envfrom(c);
}

const struct sp_relays *
sp_ev_relays(struct sp_evctx *c)
{
	return ev_relays(c);
}

double
sp_ev_num(const struct sp_evcall *a, int i, double dflt)
{
	return i < a->argc && a->num_ok[i] ? a->num[i] : dflt;
}

const char *
sp_ev_str(const struct sp_evcall *a, int i)
{
	return i < a->argc ? a->argv[i] : NULL;
}

/* tolower() in the C locale facteur runs in, without the call. */
static inline unsigned char
ev_lower(char ch)
{
	unsigned char u = (unsigned char)ch;

	return u >= 'A' && u <= 'Z' ? u + 32 : u;
}

int
sp_ev_glob(const char *pat, const char *s)
{
	const char *star = NULL, *ss = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			ss = s;
		} else if (*pat == '?' || ev_lower(*pat) == ev_lower(*s)) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++ss;
		} else
			return 0;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

const char *
ev_header(const struct sp_evctx *c, const char *name, int raw, size_t nth)
{
	const struct sp_view *v = c->v;
	size_t i;

	int c0 = name[0] | 0x20;

	/* first bytes equal ignoring case are equal once | 0x20: a cheap
	 * test that never refuses a name strcasecmp would take */
	for (i = 0; i < v->nheaders; i++)
		if ((v->headers[i].name[0] | 0x20) == c0 &&
		    strcasecmp(v->headers[i].name, name) == 0 && nth-- == 0)
			return raw ? v->headers[i].raw : v->headers[i].decoded;
	return NULL;
}

const char *
ev_header_last(const struct sp_evctx *c, const char *name, int raw)
{
	const char *h, *last = NULL;
	size_t i;

	for (i = 0; (h = ev_header(c, name, raw, i)) != NULL; i++)
		last = h;
	return last;
}

/* PerMsgStatus::_get's MESSAGEID: the values of X-Message-Id,
 * Resent-Message-Id, X-Original-Message-ID and Message-Id, in that
 * order, the empty ones left out, each ending in "\n". */
char *
ev_messageid(const struct sp_evctx *c)
{
	static const char *const names[] = {"X-Message-Id", "Resent-Message-Id",
					    "X-Original-Message-ID",
					    "Message-Id", NULL};
	const char *h;
	size_t i, k, len = 0, n;
	char *s;

	for (k = 0; names[k] != NULL; k++)
		for (i = 0; (h = ev_header(c, names[k], 0, i)) != NULL; i++)
			len += strlen(h) + 1;
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	for (k = 0, len = 0; names[k] != NULL; k++)
		for (i = 0; (h = ev_header(c, names[k], 0, i)) != NULL; i++) {
			if ((n = strlen(h)) == 0)
				continue;
			memcpy(s + len, h, n);
			len += n;
			s[len++] = '\n';
		}
	s[len] = '\0';
	return s;
}

char *
ev_header_all(const struct sp_evctx *c, const char *name, int raw)
{
	const char *h;
	size_t i, len = 0, k;
	char *s;

	for (i = 0; (h = ev_header(c, name, raw, i)) != NULL; i++)
		len += strlen(h) + 1;
	if (i == 0 || (s = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0, len = 0; (h = ev_header(c, name, raw, i)) != NULL; i++) {
		k = strlen(h);
		memcpy(s + len, h, k);
		len += k;
		s[len++] = '\n';
	}
	s[len] = '\0';
	return s;
}

/* The address of "Name <a@b>" or "a@b (Name)". */
int
ev_addr(const char *value, char *out, size_t outlen)
{
	const char *lt = strchr(value, '<'), *s, *e;
	size_t n, i;

	if (lt != NULL && (e = strchr(lt, '>')) != NULL) {
		s = lt + 1;
	} else {
		for (s = value; isspace((unsigned char)*s); s++)
			;
		for (e = s; *e && !isspace((unsigned char)*e) && *e != '(' &&
			    *e != ',';
		     e++)
			;
	}
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - s);
	if (n == 0 || n >= outlen)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	return 0;
}

size_t
ev_addrs(const char *v, char out[][256], size_t max)
{
	size_t n = 0;
	const char *p = v;
	int q = 0, d = 0;

	while (p != NULL && *p && n < max) {
		const char *s = p;
		char item[1024];
		size_t l;

		for (; *p; p++) {
			if (*p == '"')
				q = !q;
			else if (!q && *p == '<')
				d++;
			else if (!q && *p == '>' && d > 0)
				d--;
			else if (!q && d == 0 && *p == ',')
				break;
		}
		l = (size_t)(p - s) < sizeof(item) ? (size_t)(p - s)
						   : sizeof(item) - 1;
		memcpy(item, s, l);
		item[l] = '\0';
		if (ev_addr(item, out[n], 256) == 0 && strchr(out[n], '@'))
			n++;
		if (*p == ',')
			p++;
	}
	return n;
}

void
ev_display_name(const char *value, char *out, size_t outlen)
{
	const char *lt = strchr(value, '<'), *s = value, *e;
	size_t n;

	out[0] = '\0';
	if (lt == NULL || outlen == 0)
		return;
	while (s < lt && (isspace((unsigned char)*s) || *s == '"'))
		s++;
	for (e = lt; e > s && (isspace((unsigned char)e[-1]) || e[-1] == '"');
	     e--)
		;
	n = (size_t)(e - s);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* ---- configuration lists ---- */

static int
ev_list_add(struct sp_strlist *l, const char *s, size_t n)
{
	char *d;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		char **nv = reallocarray(l->v, nc, sizeof(char *));

		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = nc;
	}
	if ((d = malloc(n + 1)) == NULL)
		return -1;
	memcpy(d, s, n);
	d[n] = '\0';
	l->v[l->n++] = d;
	return 0;
}

/* Each blank-separated word of rest, prefixed with "prefix\t" if any. */
static int
ev_list_words(struct sp_strlist *l, const char *prefix, const char *rest)
{
	char tmp[1024];

	while (*rest) {
		size_t n;
		int k;

		while (isspace((unsigned char)*rest))
			rest++;
		for (n = 0; rest[n] && !isspace((unsigned char)rest[n]); n++)
			;
		if (n == 0)
			break;
		k = prefix ? snprintf(tmp, sizeof(tmp), "%s\t%.*s", prefix,
				      (int)n, rest)
			   : snprintf(tmp, sizeof(tmp), "%.*s", (int)n, rest);
		if (k > 0 && (size_t)k < sizeof(tmp) &&
		    ev_list_add(l, tmp, (size_t)k) < 0)
			return -1;
		rest += n;
	}
	return 0;
}

/* "enlist_addrlist (LIST) a b": the list name, then the words. */
static int
ev_list_named(struct sp_strlist *l, const char *rest)
{
	char name[128];
	const char *e;
	size_t n;

	while (isspace((unsigned char)*rest))
		rest++;
	if (*rest != '(' || (e = strchr(rest, ')')) == NULL ||
	    (n = (size_t)(e - rest - 1)) >= sizeof(name))
		return 0;
	memcpy(name, rest + 1, n);
	name[n] = '\0';
	return ev_list_words(l, name, e + 1);
}

/* "NAME value...": NAME, a tab, the rest of the line. */
static int
ev_list_kv(struct sp_strlist *l, const char *rest)
{
	char tmp[8192];
	size_t n;
	int k;

	while (isspace((unsigned char)*rest))
		rest++;
	for (n = 0; rest[n] && !isspace((unsigned char)rest[n]); n++)
		;
	if (n == 0)
		return 0;
	k = snprintf(tmp, sizeof(tmp), "%.*s\t", (int)n, rest);
	rest += n;
	while (isspace((unsigned char)*rest))
		rest++;
	if ((size_t)k + strlen(rest) >= sizeof(tmp))
		return 0;
	memcpy(tmp + k, rest, strlen(rest) + 1);
	return ev_list_add(l, tmp, strlen(tmp));
}

int
sp_evconf_directive(struct sp_evconf *cf, const char *dir, const char *rest)
{
	if (strcmp(dir, "replace_tag") == 0)
		return ev_list_kv(&cf->rtags, rest) < 0 ? -1 : 1;
	if (strcmp(dir, "replace_pre") == 0)
		return ev_list_kv(&cf->rpre, rest) < 0 ? -1 : 1;
	if (strcmp(dir, "replace_post") == 0)
		return ev_list_kv(&cf->rpost, rest) < 0 ? -1 : 1;
	if (strcmp(dir, "replace_inter") == 0)
		return ev_list_kv(&cf->rinter, rest) < 0 ? -1 : 1;
	if (strcmp(dir, "replace_rules") == 0)
		return ev_list_words(&cf->rrules, NULL, rest) < 0 ? -1 : 1;
	if (strcmp(dir, "freemail_domains") == 0)
		return ev_list_words(&cf->freemail, NULL, rest) < 0 ? -1 : 1;
	if (strcmp(dir, "freemail_whitelist") == 0 ||
	    strcmp(dir, "freemail_welcomelist") == 0)
		return ev_list_words(&cf->freemail_wl, NULL, rest) < 0 ? -1 : 1;
	if (strcmp(dir, "enlist_addrlist") == 0)
		return ev_list_named(&cf->addrlist, rest) < 0 ? -1 : 1;
	if (strcmp(dir, "enlist_uri_host") == 0)
		return ev_list_named(&cf->urihost, rest) < 0 ? -1 : 1;
	if (strcmp(dir, "whitelist_bounce_relays") == 0 ||
	    strcmp(dir, "welcomelist_bounce_relays") == 0)
		return ev_list_words(&cf->bounce_relays, NULL, rest) < 0 ? -1
									 : 1;
	if (strcmp(dir, "trusted_networks") == 0)
		return ev_list_words(&cf->trusted, NULL, rest) < 0 ? -1 : 1;
	if (strcmp(dir, "internal_networks") == 0)
		return ev_list_words(&cf->internal, NULL, rest) < 0 ? -1 : 1;
	if (strcmp(dir, "url_shortener") == 0)
		return ev_list_words(&cf->shorteners, NULL, rest) < 0 ? -1 : 1;
	return 0;
}

static int
ev_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
sp_evconf_finish(struct sp_evconf *cf)
{
	struct sp_strlist *l = &cf->freemail;
	size_t i, k = 0;

	for (i = 0; i < l->n; i++) {
		char *s = l->v[i], *p;

		if (strpbrk(s, "*?") != NULL) {
			l->v[k++] = s;
			continue;
		}
		for (p = s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (ev_list_add(&cf->freemail_exact, s, strlen(s)) < 0)
			return -1;
		free(s);
	}
	l->n = k;
	if (cf->freemail_exact.n > 1)
		qsort(cf->freemail_exact.v, cf->freemail_exact.n,
		      sizeof(char *), ev_strcmp);
	return 0;
}

static void
ev_list_free(struct sp_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
sp_evconf_free(struct sp_evconf *cf)
{
	ev_list_free(&cf->freemail);
	ev_list_free(&cf->freemail_exact);
	ev_list_free(&cf->freemail_wl);
	ev_list_free(&cf->addrlist);
	ev_list_free(&cf->urihost);
	ev_list_free(&cf->bounce_relays);
	ev_list_free(&cf->trusted);
	ev_list_free(&cf->internal);
	ev_list_free(&cf->shorteners);
	ev_list_free(&cf->rtags);
	ev_list_free(&cf->rpre);
	ev_list_free(&cf->rpost);
	ev_list_free(&cf->rinter);
	ev_list_free(&cf->rrules);
}
