/* lib/spam/received_line.c - one Received field into a relay: a port of
 * SpamAssassin 4.0.1's Message::Metadata::Received::parse_received_line,
 * step for step. Each regex (received_int.h's RL_LIST) is Received.pm's,
 * in Received.pm's order (RL_* names follow its comments); ${IP_ADDRESS}
 * and ${LOCALHOST} are Constants.pm's. The code between them does what
 * the Perl does: the same captures into the same fields, the same "goto
 * enough" and "return 0" (SP_RCVD_IGNORE), undef (SP_RCVD_UNPARSEABLE).
 * This file: the normalisation, the fields every form shares, the
 * general forms, the handovers Received.pm ignores and "enough:";
 * received_re.c the matching and the vendor branches.
 *
 * A parse allocates its own copy of the field and its match data. */
#include "received.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "received_int.h"

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

/* qmail's forms (MiB's block), once RL_QMAIL matched */
static enum rl_st
rl_qmail(struct rl *p)
{
	if (rl_m(p, RL_QMAIL1)) {
		RLC(rdns, 1);
		RLC(helo, 2);
		RLC(ident, 3);
		RLC(ip, 4);
		RLC(by, 6);
	} else if (rl_m(p, RL_QMAIL2)) {
		RLC(rdns, 1);
		RLC(helo, 2);
		RLC(ip, 3);
		RLC(by, 5);
	} else if (rl_m(p, RL_QMAIL3)) {
		RLC(rdns, 1);
		RLC(helo, 1);
		RLC(ident, 2);
		RLC(ip, 3);
		RLC(by, 5);
	} else if (rl_m(p, RL_QMAIL4)) {
		RLC(rdns, 1);
		RLC(helo, 1);
		RLC(ip, 2);
		RLC(by, 4);
	}
	if (strcmp(p->rdns, "unknown") != 0)
		p->dns = 1;
	else
		p->rdns[0] = '\0';
	return RL_ENOUGH;
}

/* s/PATTERN// and $ident = $1, on r (the rDNS) */
static void
rl_strip_ident(struct rl *p, char *r, int k)
{
	PCRE2_SIZE *ov;

	if (!rl_ms(p, k, r, strlen(r)))
		return;
	ov = pcre2_get_ovector_pointer(p->md);
	RLC(ident, 1);
	memmove(r, r + ov[1], strlen(r + ov[1]) + 1);
}

/* From "with HTTP" to the qmail forms. */
static enum rl_st
rl_general1(struct rl *p)
{
	if (rl_m(p, RL_WITH_HTTP) && rl_m(p, RL_HTTP1))
		return rl_ib(p, 1, 2);
	if (!rl_m(p, RL_QMAIL_LDAP) && rl_m(p, RL_SENDMAIL1)) {
		char *r = p->rdns;

		(void)rl_hrib(p);
		/* $rdns =~ s/^IDENT:([^\@]*)\@// and $ident = $1, then
		 * the same without "IDENT:" */
		rl_strip_ident(p, r, RL_IDENT_PFX);
		rl_strip_ident(p, r, RL_AT_PFX);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_EXCH1)) {
		p->dns = 1;
		RLC(rdns, 2);
		RLC(ip, 3);
		RLC(helo, 1);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_HELO_EQ1)) {
		RLC(rdns, 1);
		RLC(ip, 2);
		RLC(helo, 3);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_ATTBI1))
		return rl_hib(p);
	if (rl_m(p, RL_ATTBI2))
		return rl_hrib(p);
	if (rl_m(p, RL_KGB)) {
		p->dns = 1;
		RLC(helo, 1);
		RLC(ip, 3);
		RLC(by, 4);
		RLC(ident, 2);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_HOTMAIL)) {
		RLC(by, 1);
		if (rl_m(p, RL_IP_SP))
			RLC(ip, 1);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_QPSMTPD) || rl_m(p, RL_LHLO) || rl_m(p, RL_GMX1))
		return rl_rhib(p);
	if (rl_m(p, RL_SMTPD_FOR))
		return rl_hib(p);
	if (rl_m(p, RL_QMAIL))
		return rl_qmail(p);
	return RL_CONT;
}

/* From Yahoo's "via HTTP" to the fetchers. */
static enum rl_st
rl_general2(struct rl *p)
{
	if (rl_m(p, RL_VIA_HTTP) && rl_m(p, RL_VIA_HTTP1))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_AS_USER))
		return rl_ib(p, 2, 3);
	if (rl_m(p, RL_PAREN_IP_BR))
		return rl_hib(p);
	if (rl_m(p, RL_BR_IP_BY) || rl_m(p, RL_PAREN_IP))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_MDAEMON1)) {
		p->dns = 1;
		return rl_hib(p);
	}
	if (rl_m(p, RL_MDAEMON2))
		return rl_hib(p);
	if (rl_m(p, RL_SENDMAIL2)) {
		p->dns = 1;
		return rl_hib(p);
	}
	if (rl_m(p, RL_SENDMAIL3)) {
		char r[256];

		rl_cap(p, 2, r, sizeof(r));
		if (strcmp(r, "softdnserr") == 0)
			p->dns = 0; /* bug 2326: couriertcpd */
		else {
			p->dns = 1;
			RLC(rdns, 2);
		}
		RLC(helo, 1);
		RLC(ip, 3);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_SENDMAIL4)) {
		p->dns = 1;
		return rl_hib(p);
	}
	if (rl_m(p, RL_SENDMAIL5))
		return rl_hrib(p);
	if (rl_m(p, RL_WITH_FETCH))
		return RL_FETCH;
	return RL_CONT;
}

/* The two qmail-ish forms: rdns in group 1, helo in group h (1 when the
 * form names one host for both), then ident, ip and by; an ident's
 * trailing '@' is dropped, as Received.pm's s/\@$//. */
static enum rl_st
rl_qmailish(struct rl *p, int h)
{
	size_t n;

	p->dns = 1;
	RLC(rdns, 1);
	RLC(helo, h);
	RLC(ident, h + 1);
	RLC(ip, h + 2);
	RLC(by, h + 3);
	if ((n = strlen(p->ident)) > 0 && p->ident[n - 1] == '@')
		p->ident[n - 1] = '\0';
	return RL_ENOUGH;
}

/* qmail-ish forms to Yahoo's authenticated SMTP. */
static enum rl_st
rl_general3(struct rl *p)
{
	if (rl_m(p, RL_QMAILISH1))
		return rl_qmailish(p, 2);
	if (rl_m(p, RL_QMAILISH2))
		return rl_qmailish(p, 1);
	if (rl_m(p, RL_HTTP_FOR) && rl_m(p, RL_HTTP_FOR1))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_SMAP) && rl_m(p, RL_SMAP1)) {
		p->dns = 1;
		RLC(rdns, 1);
		return rl_ib(p, 2, 3);
	}
	if (rl_m(p, RL_SMAP2)) {
		p->dns = 1;
		RLC(rdns, 1);
		RLC(ip, 2);
		RLC(helo, 3);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if ((rl_m(p, RL_POST) && rl_m(p, RL_POST1)) ||
	    (rl_m(p, RL_ARGO) && rl_m(p, RL_ARGO1)) || rl_m(p, RL_SMTPL))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_BSMTP) && rl_m(p, RL_BSMTP1))
		return RL_IGNORE;
	if (rl_m(p, RL_SPIKE))
		return rl_hrib(p);
	if (rl_m(p, RL_YAHOO1)) {
		p->dns = 1;
		RLC(rdns, 1);
		RLC(helo, 2);
		RLC(ip, 4);
		RLC(by, 5);
		if (rl_def(p, 3))
			RLC(ident, 3);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_CGP1)) {
		RLC(helo, 2);
		return rl_ib(p, 1, 3);
	}
	if (rl_m(p, RL_CGP2) && rl_m(p, RL_CGP3)) {
		p->dns = 1;
		RLC(rdns, 1);
		return rl_hib(p);
	}
	if (rl_m(p, RL_CIPHERTRUST))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_IRONPORT))
		return rl_hib(p);
	if (rl_m(p, RL_CONTENT_TECH))
		return RL_IGNORE; /* useless without the $ip anyway */
	return RL_CONT;
}

/* From the Bell Canada forms to the synthetic X-Originating-IP. */
static enum rl_st
rl_general4(struct rl *p)
{
	if (rl_m(p, RL_BLS)) {
		RLC(helo, 1);
		RLC(ip, 2);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_TUMBLEWEED))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_POBOX))
		return rl_hrib(p);
	if (rl_m(p, RL_FSECURE) || rl_m(p, RL_ALTAVISTA)) {
		RLC(ip, 1);
		RLC(helo, 2);
		RLC(by, 3);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_SMTPD32))
		return rl_hib(p);
	if (rl_m(p, RL_NODNS)) {
		RLC(rdns, 1);
		return rl_ib(p, 2, 3);
	}
	if (rl_m(p, RL_MAILGATE))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_UNVERIFIED))
		return rl_hib(p);
	if (rl_m(p, RL_PROXY))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_BR_IP_SUB)) {
		RLC(ip, 1);
		RLC(by, 3);
		rl_exim_sub(p, 2);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_KDE)) {
		RLC(rdns, 1);
		return rl_ib(p, 2, 3);
	}
	if (rl_m(p, RL_OBTUSE)) {
		char r[256];

		RLC(rdns, 1);
		RLC(ip, 2);
		RLC(helo, 3);
		RLC(by, 4);
		rl_cap(p, 1, r, sizeof(r));
		if (strcmp(r, "UNKNOWN") != 0)
			p->dns = 1;
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_YAHOO_LOGIN)) {
		RLC(helo, 1);
		RLC(ip, 3);
		RLC(by, 4);
		return RL_ENOUGH;
	}
	if (rl_m(p, RL_XORIG)) {
		RLC(ip, 1);
		p->by[0] = '\0';
		return RL_ENOUGH;
	}
	return RL_CONT;
}

/* "STUFF TO IGNORE" and the handovers Received.pm knows it cannot use. */
static enum rl_st
rl_ignore(struct rl *p)
{
	static const int ign[] = {
	    RL_IGN_USER_LH,   RL_IGN_LOCAL_ESMTP,   RL_IGN_AVG,	  RL_IGN_UID,
	    RL_IGN_ADDR_BY,   RL_IGN_UNKNOWN_LOCAL, RL_IGN_LH_LH, RL_IGN_X_LH,
	    RL_IGN_X_AT_LH,   RL_IGN_AUTH,	    RL_IGN_UNIX,  RL_IGN_AMAZON,
	    RL_IGN_GROUPWISE, RL_IGN_RAPTOR};
	static const int ign2[] = {
	    RL_IGN_WITH_LOCAL, RL_IGN_CYRUS,	  RL_IGN_BY_WITH,
	    RL_IGN_UNVERIFIED, RL_IGN_SENDGRID,	  RL_IGN_OPENSMTPD,
	    RL_IGN_LSMTP,      RL_IGN_MAILENABLE, RL_IGN_FACEBOOK,
	    RL_IGN_GMAILAPI,   RL_IGN_ID,	  RL_IGN_JETSEND};
	size_t i;

	for (i = 0; i < sizeof(ign) / sizeof(ign[0]); i++)
		if (rl_m(p, ign[i]))
			return RL_IGNORE;
	if (rl_m(p, RL_IGN_QMS))
		return RL_QMS;
	for (i = 0; i < sizeof(ign2) / sizeof(ign2[0]); i++)
		if (rl_m(p, ign2[i]))
			return RL_IGNORE;
	if (p->helo[0] == '\0' && rl_m(p, RL_GUESS_HELO))
		RLC(helo, 1);
	return RL_CONT;
}

/* Everything after "from ". */
static enum rl_st
rl_from(struct rl *p)
{
	enum rl_st st;

	if (rl_m(p, RL_ENVFROM)) {
		RLC(envfrom, 1);
		p->have_envfrom = 1;
	}
	if (rl_m(p, RL_SQUIRREL) && rl_m(p, RL_SQUIRREL2))
		return rl_ib(p, 1, 2);
	if (rl_m(p, RL_AOL) && rl_m(p, RL_AOL2) && rl_m(p, RL_AOL3))
		return rl_ib(p, 1, 2);
	if ((st = rl_vendor(p)) != RL_CONT ||
	    (st = rl_general1(p)) != RL_CONT ||
	    (st = rl_general2(p)) != RL_CONT ||
	    (st = rl_general3(p)) != RL_CONT ||
	    (st = rl_general4(p)) != RL_CONT)
		return st;
	return rl_ignore(p);
}

/* simta's "FROM ... BY ... ID" and the "(from ...)" forms. */
static enum rl_st
rl_other(struct rl *p)
{
	if (rl_sub(p, RL_UFROM_SP)) {
		if (rl_m(p, RL_SIMTA)) {
			(void)rl_hrib(p);
			RLC(id, 5);
			if (strcmp(p->rdns, "unverified") == 0)
				p->rdns[0] = '\0';
			return RL_ENOUGH;
		}
	} else if (rl_sub(p, RL_PFROM_SP)) {
		if (rl_m(p, RL_NAVGW))
			return rl_hib(p);
		if (rl_m(p, RL_PFROM_LH) || rl_m(p, RL_JQUEUE))
			return RL_IGNORE;
	}
	return RL_CONT;
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
