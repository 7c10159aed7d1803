/* lib/spam/received_re.c - the matching under received_line.c's port of
 * SpamAssassin 4.0.1's parse_received_line: received_int.h's patterns
 * (Received.pm's regexes in its order, Constants.pm's IP_ADDRESS,
 * LOCALHOST, IP_PRIVATE) compiled once per process (pthread_once) into
 * a table read-only afterwards, the helpers that match them and copy
 * captures into fields, and the first forms Received.pm tries after
 * "from ": its if/elsif chain on the MTA's name (Microsoft, XMail,
 * ecelerity, Exim, Postfix, Scalix, Lotus Domino). */
#include "received.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "re_limits.h"
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

/* Does pattern k match s[0..n)? The captures stay in p->md. The fields
 * are the sender's: under re_limits.h's limits (a field made for
 * RL_AUTH_SENDMAIL's lazy ".*?", "from x]) " then "(authenticated)by"
 * x 5,000, took 13-28 ms under PCRE2's default limits, 0.3 ms here). */
int
rl_ms(struct rl *p, int k, const char *s, size_t n)
{
	if (rl_code[k] == NULL)
		return 0;
	p->subj = s;
	return pcre2_match(rl_code[k], (PCRE2_SPTR)s, n, 0, 0, p->md,
			   sp_re_limits()) >= 0;
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
void
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
