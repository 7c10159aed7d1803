/* lib/spam/received_line.c - one Received field into a relay: a port of
 * SpamAssassin 4.0.1's Message::Metadata::Received::parse_received_line,
 * step for step. Each regex (received_int.h's RL_LIST) is Received.pm's,
 * in Received.pm's order (RL_* names follow its comments); ${IP_ADDRESS}
 * and ${LOCALHOST} are Constants.pm's. The code between them does what
 * the Perl does: the same captures into the same fields, the same "goto
 * enough" and "return 0" (SP_RCVD_IGNORE), undef (SP_RCVD_UNPARSEABLE).
 * This file: the set-up, the fields every form shares, the vendor
 * branches and "enough:"; received_forms.c the general forms after them.
 *
 * The patterns are compiled once per process (pthread_once) into a
 * table that is read-only afterwards; a parse allocates its own copy of
 * the field and its match data. */
#include "received.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "received_int.h"

static const char *const rl_pat[RL_COUNT] = {
#define RLX(n, p) p,
    RL_LIST
#undef RLX
};

static pcre2_code *rl_code[RL_COUNT];
static int rl_failed;
static pthread_once_t rl_once = PTHREAD_ONCE_INIT;

static void
rl_compile(void)
{
	int i, en;
	PCRE2_SIZE off;

	for (i = 0; i < RL_COUNT; i++) {
		rl_code[i] =
		    pcre2_compile((PCRE2_SPTR)rl_pat[i], PCRE2_ZERO_TERMINATED,
				  0, &en, &off, NULL);
		if (rl_code[i] == NULL)
			rl_failed++;
		else
			(void)pcre2_jit_compile(rl_code[i], PCRE2_JIT_COMPLETE);
	}
}

int
sp_received_init(void)
{
	pthread_once(&rl_once, rl_compile);
	return rl_failed ? -1 : 0;
}

/* Does pattern k match s[0..n)? The captures stay in p->md. */
int
rl_ms(struct rl *p, int k, const char *s, size_t n)
{
	if (rl_code[k] == NULL)
		return 0;
	p->subj = s;
	return pcre2_match(rl_code[k], (PCRE2_SPTR)s, n, 0, 0, p->md, NULL) >=
	       0;
}

int
rl_m(struct rl *p, int k)
{
	return rl_ms(p, k, p->s, p->n);
}

/* Was group g of the last match set? */
int
rl_def(const struct rl *p, int g)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);

	return (uint32_t)g < pcre2_get_ovector_count(p->md) &&
	       ov[2 * g] != PCRE2_UNSET;
}

/* Group g of the last match into out ("" when unset), truncated. */
void
rl_cap(const struct rl *p, int g, char *out, size_t outlen)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
	size_t n = 0;

	if (rl_def(p, g)) {
		n = ov[2 * g + 1] - ov[2 * g];
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, p->subj + ov[2 * g], n);
	}
	out[n] = '\0';
}

/* Replaces the whole of the last match (against p->s) with rep. */
static void
rl_splice(struct rl *p, const char *rep)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
	size_t a = ov[0], b = ov[1], rl = strlen(rep);

	/* rep is never longer than what it replaces but for ") by " */
	memmove(p->s + a + rl, p->s + b, p->n - b + 1);
	memcpy(p->s + a, rep, rl);
	p->n = p->n - (b - a) + rl;
}

/* s/PATTERN// on p->s: 1 if it matched. */
int
rl_sub(struct rl *p, int k)
{
	if (!rl_m(p, k))
		return 0;
	rl_splice(p, "");
	return 1;
}

/* $sub =~ s/helo=(\S+)// and $helo = $1; $sub =~ s/ident=(\S*)// and
 * $ident = $1; over group g of the last match. */
void
rl_exim_sub(struct rl *p, int g)
{
	char sub[512];
	PCRE2_SIZE *ov;
	size_t n;

	rl_cap(p, g, sub, sizeof(sub));
	n = strlen(sub);
	if (rl_ms(p, RL_SUB_HELO, sub, n)) {
		rl_cap(p, 1, p->helo, sizeof(p->helo));
		ov = pcre2_get_ovector_pointer(p->md);
		memmove(sub + ov[0], sub + ov[1], n - ov[1] + 1);
		n -= ov[1] - ov[0];
	}
	if (rl_ms(p, RL_SUB_IDENT, sub, n))
		rl_cap(p, 1, p->ident, sizeof(p->ident));
}

/* The normalisation, the fields every form shares (id, helo, by) and
 * the authentication tokens. */
static enum rl_st
rl_prologue(struct rl *p)
{
	char w[256];

	if (!rl_m(p, RL_FROM) || rl_m(p, RL_WITH_LOCAL_FOR))
		return RL_IGNORE;
	if (rl_m(p, RL_FROM_BY_SEMI)) {
		rl_cap(p, 1, w, sizeof(w));
		if (!rl_ms(p, RL_BRACKET_V4, w, strlen(w)))
			return RL_IGNORE;
	}
	(void)rl_sub(p, RL_DATE);
	if (rl_m(p, RL_PAREN_BY))
		rl_splice(p, ") by ");
	if (rl_m(p, RL_ID))
		RLC(id, 1);
	if (rl_m(p, RL_HELO_EQ) || rl_m(p, RL_HELO_WORD))
		RLC(helo, 1);
	if (rl_m(p, RL_BY))
		RLC(by, 1);
	if (rl_m(p, RL_SP_BY_SP) && rl_m(p, RL_AUTH_WITH))
		RLC(auth, 1);
	else if (rl_m(p, RL_AUTH_GMAIL) && rl_m(p, RL_AUTH_GMAIL2)) {
		char v[48], c[48];

		rl_cap(p, 1, v, sizeof(v));
		rl_cap(p, 2, c, sizeof(c));
		snprintf(p->auth, sizeof(p->auth),
			 "GMail - transport=%s cipher=%s", v, c);
	} else if (rl_m(p, RL_AUTH_COURIER))
		RLC(auth, 1);
	else if (rl_m(p, RL_AUTHENTICATED) && rl_m(p, RL_AUTH_SENDMAIL))
		snprintf(p->auth, sizeof(p->auth), "Sendmail");
	else if (rl_m(p, RL_AUTH_GMX)) {
		char a[32], b[64];

		rl_cap(p, 4, a, sizeof(a));
		rl_cap(p, 3, b, sizeof(b));
		snprintf(p->auth, sizeof(p->auth), "GMX (%s / %s)", a, b);
	} else if (rl_m(p, RL_AUTH_CP1) && rl_m(p, RL_AUTH_CP2))
		snprintf(p->auth, sizeof(p->auth), "CriticalPath");
	else if (rl_m(p, RL_AUTH_POSTFIX)) {
		rl_cap(p, 1, w, sizeof(w));
		if (strcmp(w, "Postfix") == 0)
			snprintf(p->auth, sizeof(p->auth), "Postfix");
		else
			snprintf(p->auth, sizeof(p->auth), "Postfix (%s)", w);
	} else if (rl_m(p, RL_AUTH_CGP1) && rl_m(p, RL_AUTH_CGP2))
		snprintf(p->auth, sizeof(p->auth), "Communigate");
	else if (rl_m(p, RL_AUTH_DAV))
		snprintf(p->auth, sizeof(p->auth), "HTTP-DAV");
	else if (rl_m(p, RL_SP_BY_SP) && rl_m(p, RL_AUTH_VIA))
		RLC(auth, 1);
	return RL_CONT;
}

/* Exim's many forms. */
static enum rl_st
rl_exim(struct rl *p)
{
	if (rl_m(p, RL_EXIM_LOCAL))
		return RL_IGNORE;
	if (rl_m(p, RL_EXIM1)) {
		RLC(ip, 1);
		RLC(by, 3);
		rl_exim_sub(p, 2);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_EXIM2)) {
		RLC(rdns, 1);
		RLC(ip, 2);
		RLC(by, 4);
		RLC(helo, 1); /* bug 5112 */
		rl_exim_sub(p, 3);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_EXIM3)) {
		RLC(rdns, 1);
		RLC(ip, 2);
		RLC(helo, 1);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_EXIM4))
		RLC(rdns, 1);
	if (rl_m(p, RL_EXIM5))
		RLC(helo, 1);
	if (rl_m(p, RL_EXIM6))
		RLC(ip, 1);
	if (rl_m(p, RL_EXIM7)) {
		RLC(by, 1);
		if (p->ip[0] != '\0')
			return RL_ENOUGH;
	}
	return RL_CONT;
}

/* helo rdns ip by, groups 1-4, the MTA looked the name up */
enum rl_st
rl_hrib(struct rl *p)
{
	p->dns = 1;
	RLC(helo, 1);
	RLC(rdns, 2);
	RLC(ip, 3);
	RLC(by, 4);
	return RL_ENOUGH;
}

/* The vendor branches: Received.pm's if/elsif chain on the MTA's name. */
enum rl_st
rl_vendor(struct rl *p)
{
	if (rl_m(p, RL_SMTPSVC)) {
		if (rl_m(p, RL_SMTPSVC1)) {
			RLC(helo, 1);
			RLC(ip, 2);
			RLC(by, 3);
			return RL_ENOUGH;
		}
		if (rl_m(p, RL_SMTPSVC2))
			return RL_IGNORE;
	} else if (rl_m(p, RL_MSSMTP)) {
		if (rl_m(p, RL_MSSMTP1)) {
			RLC(helo, 1);
			RLC(ip, 2);
			RLC(by, 3);
			p->id[0] = '\0';
			return RL_ENOUGH;
		}
	} else if (rl_m(p, RL_XMAIL)) {
		if (rl_m(p, RL_XMAIL1)) {
			RLC(helo, 1);
			RLC(ip, 2);
			RLC(by, 3);
			if (rl_m(p, RL_XMAIL_ID))
				RLC(id, 1);
			if (rl_m(p, RL_XMAIL_FROM)) {
				RLC(envfrom, 1);
				p->have_envfrom = 1;
			}
			return RL_ENOUGH;
		}
	} else if (rl_m(p, RL_ECEL)) {
		if (rl_m(p, RL_ECEL1)) {
			RLC(ip, 1);
			RLC(helo, 2);
			RLC(by, 3);
			return RL_ENOUGH;
		}
		if (rl_m(p, RL_ECEL2)) {
			RLC(ip, 1);
			RLC(by, 2);
			return RL_ENOUGH;
		}
	} else if (rl_m(p, RL_EXIM))
		return rl_exim(p);
	else if (rl_m(p, RL_POSTFIX)) {
		if (rl_m(p, RL_POSTFIX1) || rl_m(p, RL_POSTFIX2)) {
			(void)rl_hrib(p);
			if (strcmp(p->rdns, "unknown") == 0)
				p->rdns[0] = '\0';
			return RL_ENOUGH;
		}
	} else if (rl_m(p, RL_SCALIX)) {
		if (rl_m(p, RL_SCALIX1)) {
			RLC(helo, 1);
			RLC(ip, 2);
			RLC(by, 3);
			return RL_ENOUGH;
		}
	} else if (rl_m(p, RL_DOMINO)) {
		if (rl_m(p, RL_DOMINO1)) {
			p->dns = 0;
			RLC(helo, 1);
			RLC(ip, 2);
			RLC(by, 3);
			return RL_ENOUGH;
		}
	}
	return RL_CONT;
}

/* ip by, groups a and b */
enum rl_st
rl_ib(struct rl *p, int a, int b)
{
	RLC(ip, a);
	RLC(by, b);
	return RL_ENOUGH;
}

/* helo ip by, groups 1-3 */
enum rl_st
rl_hib(struct rl *p)
{
	RLC(helo, 1);
	RLC(ip, 2);
	RLC(by, 3);
	return RL_ENOUGH;
}

/* rdns helo ip by, groups 1-4 */
enum rl_st
rl_rhib(struct rl *p)
{
	RLC(rdns, 1);
	RLC(helo, 2);
	RLC(ip, 3);
	RLC(by, 4);
	return RL_ENOUGH;
}

/* s/[\s\000\#\[\]\(\)\<\>\|]/!/g */
static void
rl_bang(char *s)
{
	for (; *s != '\0'; s++)
		if (strchr(" \t\r\n\f\v#[]()<>|", *s) != NULL)
			*s = '!';
}

/* envfrom: leading blanks and "<", trailing ">" and blanks off, then
 * the strip characters */
static void
rl_envfrom(char *e)
{
	size_t a = 0, n = strlen(e);

	while (e[a] == ' ' || e[a] == '\t')
		a++;
	while (e[a] == '<')
		a++;
	memmove(e, e + a, n - a + 1);
	n -= a;
	while (n > 0 && (e[n - 1] == ' ' || e[n - 1] == '\t'))
		n--;
	while (n > 0 && e[n - 1] == '>')
		n--;
	e[n] = '\0';
	rl_bang(e);
}

/* Received.pm's "enough:" over a parsed line, into out. */
static void
rl_enough(struct rl *p, struct sp_relay *out)
{
	size_t n = strlen(p->rdns);
	char *ip = p->ip, *pct;

	while (n > 0 && p->rdns[n - 1] == '.')
		p->rdns[--n] = '\0';
	if (strcasecmp(p->rdns, "unknown") == 0 || p->rdns[0] == '[')
		p->rdns[0] = '\0';
	if (strncasecmp(ip, "ipv6:", 5) == 0)
		memmove(ip, ip + 5, strlen(ip + 5) + 1);
	if (ip[0] == '[')
		memmove(ip, ip + 1, strlen(ip));
	if ((n = strlen(ip)) > 0 && ip[n - 1] == ']')
		ip[n - 1] = '\0';
	if ((pct = strrchr(ip, '%')) != NULL &&
	    strspn(pct + 1,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789._~-") == strlen(pct + 1))
		*pct = '\0';
	if (rl_ms(p, RL_IPV4MAPPED, ip, strlen(ip))) {
		char v4[64];

		rl_cap(p, 1, v4, sizeof(v4));
		snprintf(ip, sizeof(p->ip), "%s", v4);
	}
	if ((n = strlen(p->by)) > 0 && p->by[n - 1] == ';')
		p->by[n - 1] = '\0';
	rl_bang(ip);
	rl_bang(p->rdns);
	rl_bang(p->helo);
	rl_bang(p->by);
	rl_bang(p->ident);
	if (p->have_envfrom)
		rl_envfrom(p->envfrom);
#define CP(f) snprintf(out->f, sizeof(out->f), "%s", p->f)
	CP(ip);
	CP(rdns);
	CP(helo);
	CP(by);
	CP(id);
	CP(ident);
	CP(envfrom);
	CP(auth);
#undef CP
	out->ip_private = rl_ms(p, RL_PRIVATE, ip, strlen(ip));
	out->no_rdns = p->rdns[0] == '\0' && p->dns;
}

/* The whole of parse_received_line over p->s. */
static enum sp_rcvd
rl_parse(struct rl *p, struct sp_relay *out)
{
	enum rl_st st = rl_prologue(p);

	if (st == RL_CONT) {
		if (rl_sub(p, RL_FROM_SP))
			st = rl_from(p);
		else
			st = rl_other(p);
	}
	switch (st) {
	case RL_IGNORE:
		return SP_RCVD_IGNORE;
	case RL_FETCH:
		return SP_RCVD_FETCH;
	case RL_QMS:
		if (!p->have_envfrom)
			return SP_RCVD_IGNORE;
		rl_envfrom(p->envfrom);
		snprintf(out->envfrom, sizeof(out->envfrom), "%s", p->envfrom);
		return SP_RCVD_QMS;
	case RL_CONT:
		if (p->ip[0] == '\0' && rl_m(p, RL_ANY_BR_IP))
			RLC(ip, 1);
		if (p->ip[0] == '\0' || p->by[0] == '\0')
			return SP_RCVD_UNPARSEABLE;
		break;
	case RL_ENOUGH:
		break;
	}
	rl_enough(p, out);
	return SP_RCVD_OK;
}

enum sp_rcvd
sp_received_parse(const char *v, size_t len, struct sp_relay *out)
{
	struct rl *p;
	enum sp_rcvd st = SP_RCVD_UNPARSEABLE;
	size_t i, n = 0;

	memset(out, 0, sizeof(*out));
	if (sp_received_init() < 0 || (p = calloc(1, sizeof(*p))) == NULL)
		return SP_RCVD_UNPARSEABLE;
	if ((p->s = malloc(len + 8)) == NULL ||
	    (p->md = pcre2_match_data_create(16, NULL)) == NULL)
		goto out;
	/* s/\s+/ /g; s/^ //; s/ $//; 1 while s/\s?;$//; */
	for (i = 0; i < len; i++) {
		int sp = v[i] == ' ' || (v[i] >= '\t' && v[i] <= '\r');

		if (!sp)
			p->s[n++] = v[i];
		else if (n > 0 && p->s[n - 1] != ' ')
			p->s[n++] = ' ';
	}
	if (n > 0 && p->s[n - 1] == ' ')
		n--;
	while (n > 0 && p->s[n - 1] == ';') {
		n--;
		if (n > 0 && p->s[n - 1] == ' ')
			n--;
	}
	p->s[n] = '\0';
	p->n = n;
	st = rl_parse(p, out);
out:
	pcre2_match_data_free(p->md);
	free(p->s);
	free(p);
	return st;
}

int
sp_received_find_ip(const char *s, char *out, size_t outlen)
{
	struct rl p;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	if (sp_received_init() < 0 ||
	    (p.md = pcre2_match_data_create(4, NULL)) == NULL)
		return -1;
	if (rl_ms(&p, RL_ANY_IP, s, strlen(s))) {
		rl_cap(&p, 1, out, outlen);
		rc = 0;
	}
	pcre2_match_data_free(p.md);
	return rc;
}

/* Whether s matches pattern k; -1 if the patterns did not compile. */
static int
rl_is(int k, const char *s)
{
	struct rl p;
	int rc;

	memset(&p, 0, sizeof(p));
	if (sp_received_init() < 0 ||
	    (p.md = pcre2_match_data_create(4, NULL)) == NULL)
		return -1;
	rc = rl_ms(&p, k, s, strlen(s));
	pcre2_match_data_free(p.md);
	return rc;
}

int
sp_received_is_ipv4(const char *s)
{
	return rl_is(RL_IS_IPV4, s) == 1;
}

int
sp_received_is_private(const char *s)
{
	return rl_is(RL_PRIVATE, s) == 1;
}
