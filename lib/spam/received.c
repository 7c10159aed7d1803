/* lib/spam/received.c - Received fields into relays, and the chain's
 * trust; see received.h. The forms read are those SpamAssassin's
 * Received.pm sees most: Postfix/Sendmail "from HELO (RDNS [IP])", Exim
 * "from RDNS ([IP] helo=HELO)", qmail "from HELO (HELO x) (IP)",
 * Microsoft "from HELO (IP) by", and bare "from [IP]". */
#include "received.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cidr.h"
#include "ev.h"
#include "msgview.h"

#define RCVD_MAX_RELAYS 64

int
sp_ip_private(const char *ip)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, ip, b) == 1)
		return b[0] == 127 || b[0] == 10 || b[0] == 0 ||
		       (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		       (b[0] == 192 && b[1] == 168) ||
		       (b[0] == 169 && b[1] == 254) ||
		       (b[0] == 100 && (b[1] & 0xc0) == 64);
	if (inet_pton(AF_INET6, ip, b) == 1) {
		static const unsigned char lo[16] = {[15] = 1};

		return memcmp(b, lo, 16) == 0 || (b[0] & 0xfe) == 0xfc ||
		       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	}
	return -1;
}

/* Copies s[0..n) into out (truncated), lowercased if lower. */
static void
rc_copy(char *out, size_t outlen, const char *s, size_t n, int lower)
{
	size_t i;

	if (n >= outlen)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = lower ? (char)tolower((unsigned char)s[i]) : s[i];
	out[n] = '\0';
}

/* Case-insensitive search for w in s[0..n) at parenthesis depth 0 if
 * top; the offset or n. */
static size_t
rc_find(const char *s, size_t n, const char *w, int top)
{
	size_t wl = strlen(w), i;
	int depth = 0, c0 = w[0] | 0x20;

	/* the first byte before strncasecmp: a call per byte of every
	 * Received field was 3% of facteur-milter's CPU; bytes equal
	 * ignoring case are equal once | 0x20, with no tolower() call */
	for (i = 0; i + wl <= n; i++) {
		if (top && s[i] == '(')
			depth++;
		else if (top && s[i] == ')' && depth > 0)
			depth--;
		if ((s[i] | 0x20) == c0 && depth == 0 &&
		    strncasecmp(s + i, w, wl) == 0)
			return i;
	}
	return n;
}

static size_t
rc_word(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && !isspace((unsigned char)s[i]) && s[i] != '(' &&
	       s[i] != ')' && s[i] != ';')
		i++;
	return i;
}

/* An address in s[0..n): "[IP]", "[IPv6:IP]", or a bare dotted quad. */
static int
rc_ip_at(const char *s, size_t n, char *out, size_t outlen)
{
	struct cidr_ip ip;
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (s[i] == '[') {
			for (k = i + 1; k < n && s[k] != ']'; k++)
				;
			if (k < n && k - i - 1 < 64) {
				const char *a = s + i + 1;
				size_t al = k - i - 1;

				if (al > 5 && strncasecmp(a, "IPv6:", 5) == 0) {
					a += 5;
					al -= 5;
				}
				if (cidr_ip_parse(a, al, &ip) == 0) {
					rc_copy(out, outlen, a, al, 1);
					return 0;
				}
			}
		}
		/* a bare address only as "(IP)", "(user@IP)", "(IP:port)" */
		if (isdigit((unsigned char)s[i]) && i > 0 &&
		    (s[i - 1] == '(' || s[i - 1] == '@')) {
			for (k = i; k < n && (isdigit((unsigned char)s[k]) ||
					      s[k] == '.');
			     k++)
				;
			if (k - i >= 7 && k - i <= 15 && k < n &&
			    (s[k] == ')' || s[k] == ':') && s[k - 1] != '.' &&
			    cidr_ip_parse(s + i, k - i, &ip) == 0 && !ip.v6) {
				rc_copy(out, outlen, s + i, k - i, 0);
				return 0;
			}
			i = k;
		}
	}
	return -1;
}

/* A hostname-looking word (letters, digits, '-', '.', with a dot). */
static int
rc_hostname(const char *s, size_t n)
{
	size_t i, dots = 0;

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.')
			dots++;
		else if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
			 s[i] != '_')
			return 0;
	}
	return dots > 0;
}

/* qmail and qpsmtpd: "from RDNS (HELO x) (IP)", and "from RDNS (IP)"
 * when the HELO was the rDNS: the first word is the rDNS, as in
 * Received.pm ("unknown" or an address is none). Sendmail brackets the
 * address, so only an unbracketed "(IP)" or "(ident@IP)" counts. */
static void
rc_qmail_rdns(const char *s, size_t n, size_t w, struct sp_relay *r)
{
	size_t i, k;

	for (i = 0; i < w && (isdigit((unsigned char)s[i]) || s[i] == '.'); i++)
		;
	if (r->rdns[0] != '\0' || i == w || !rc_hostname(s, w))
		return;
	for (i = w; i < n && s[i] == ' '; i++)
		;
	if (n - i > 6 && (strncasecmp(s + i, "(helo ", 6) == 0 ||
			  strncasecmp(s + i, "(ehlo ", 6) == 0)) {
		while (i < n && s[i] != ')')
			i++;
		for (i++; i < n && s[i] == ' '; i++)
			;
	}
	if (i >= n || s[i] != '(')
		return;
	for (k = ++i; k < n && s[k] != ')' && s[k] != '@'; k++)
		;
	if (k < n && s[k] == '@')
		i = k + 1;
	for (k = i; k < n && (isdigit((unsigned char)s[k]) || s[k] == '.'); k++)
		;
	if (k - i >= 7 && k < n && s[k] == ')')
		rc_copy(r->rdns, sizeof(r->rdns), s, w, 0);
}

/* The "from" part: HELO, then comments with the rDNS, the IP, helo=. */
static void
rc_from(const char *s, size_t n, struct sp_relay *r)
{
	size_t w = rc_word(s, n), k;
	const char *p;

	if (w > 0 && s[0] == '[') {
		char ip[64];

		if (rc_ip_at(s, w, ip, sizeof(ip)) == 0)
			snprintf(r->helo, sizeof(r->helo), "%s", ip);
	} else
		rc_copy(r->helo, sizeof(r->helo), s, w, 0);
	if ((k = rc_find(s, n, "helo=", 0)) < n) {
		/* Exim: "from RDNS ([IP] helo=HELO)" */
		if (w > 0 && s[0] != '[')
			rc_copy(r->rdns, sizeof(r->rdns), s, w, 0);
		p = s + k + 5;
		rc_copy(r->helo, sizeof(r->helo), p, rc_word(p, n - k - 5), 0);
		if (r->helo[0] == '[')
			memmove(r->helo, r->helo + 1, strlen(r->helo));
		if ((p = strchr(r->helo, ']')) != NULL)
			r->helo[p - r->helo] = '\0';
	} else if ((k = rc_find(s, n, "(helo ", 0)) < n) {
		p = s + k + 6;
		rc_copy(r->helo, sizeof(r->helo), p, rc_word(p, n - k - 6), 0);
	}
	/* the address the receiver saw is in the comment after the HELO
	 * name; a bracketed HELO ("from [IP]") only when there is none */
	if (rc_ip_at(s + w, n - w, r->ip, sizeof(r->ip)) < 0)
		(void)rc_ip_at(s, n, r->ip, sizeof(r->ip));
	/* "(rdns [ip])": the word before the bracket inside a comment */
	for (k = 0; k < n; k++) {
		size_t e, ww;

		if (s[k] != '(')
			continue;
		p = s + k + 1;
		ww = rc_word(p, n - k - 1);
		for (e = 0; e < ww && p[e] != '@'; e++)
			;
		if (e < ww) { /* "(ident@rdns [ip])" */
			rc_copy(r->ident, sizeof(r->ident), p, e, 0);
			p += e + 1;
			ww -= e + 1;
		}
		for (e = 0; e < ww && p[e] != '['; e++)
			;
		if (rc_hostname(p, e) && strncasecmp(p, "helo", 4) != 0 &&
		    k + 1 + ww < n && (p[ww] == ' ' || p[ww] == ')') &&
		    memchr(p, '[', (size_t)(s + n - p)) != NULL) {
			rc_copy(r->rdns, sizeof(r->rdns), p, e, 0);
			break;
		}
	}
	if (r->ip[0] == '\0' && rc_hostname(s, w) == 0 && w > 0 &&
	    rc_ip_at(s, w, r->ip, sizeof(r->ip)) < 0)
		r->ip[0] = '\0';
	if (r->ip[0] != '\0')
		rc_qmail_rdns(s, n, w, r);
}

static void
rc_by(const char *s, size_t n, struct sp_relay *r)
{
	size_t k;
	const char *p;

	rc_copy(r->by, sizeof(r->by), s, rc_word(s, n), 0);
	if ((k = rc_find(s, n, " id ", 0)) < n) {
		p = s + k + 4;
		rc_copy(r->id, sizeof(r->id), p, rc_word(p, n - k - 4), 0);
	}
	if ((k = rc_find(s, n, "with esmtpsa", 0)) < n)
		snprintf(r->auth, sizeof(r->auth), "ESMTPSA");
	else if ((k = rc_find(s, n, "with esmtpa", 0)) < n)
		snprintf(r->auth, sizeof(r->auth), "ESMTPA");
	else if ((k = rc_find(s, n, "with asmtp", 0)) < n)
		snprintf(r->auth, sizeof(r->auth), "ASMTP");
	else if ((k = rc_find(s, n, "with lmtpa", 0)) < n)
		snprintf(r->auth, sizeof(r->auth), "LMTPA");
}

/* 1 if s[0..n) (what follows "from ") opens as Received.pm's local
 * handovers it ignores: "X (LOCALHOST) " or "X (user@LOCALHOST) ", X a
 * word, LOCALHOST as Constants.pm spells it (localhost, with
 * .localdomain, 127.0.0.1, ::1), or "localhost (localhost [[UNIX:
 * localhost]])"; Received.pm has folded the field's white space to
 * blanks. "from localhost (eugen@localhost) by
 * hydrogen.leitl.org (8.11.6/8.11.6)" names no relay: not unparseable. */
static int
rc_local_handover(const char *s, size_t n)
{
	static const char unix_lh[] =
	    "localhost (localhost [[UNIX: localhost]])";
	static const char *const lh[] = {"localhost.localdomain", "localhost",
					 "127.0.0.1", "::1", NULL};
	size_t i = 0, j, k, l;

	while (i < n && !isspace((unsigned char)s[i]))
		i++;
	if (i == 0 || i + 2 > n || s[i] != ' ' || s[i + 1] != '(')
		return 0;
	i += 2;
	for (j = i; j < n && s[j] != '@' && s[j] != ')' &&
		    !isspace((unsigned char)s[j]);
	     j++)
		;
	if (j < n && s[j] == '@' && j > i)
		i = j + 1;
	for (k = 0; lh[k] != NULL; k++) {
		l = strlen(lh[k]);
		if (i + l + 2 <= n && memcmp(s + i, lh[k], l) == 0 &&
		    s[i + l] == ')' && isspace((unsigned char)s[i + l + 1]))
			return 1;
	}
	l = sizeof(unix_lh) - 1;
	return n > l && memcmp(s, unix_lh, l) == 0 &&
	       isspace((unsigned char)s[l]);
}

enum sp_rcvd
sp_received_parse(const char *v, size_t len, struct sp_relay *out)
{
	size_t semi, by, k, start = 0;

	memset(out, 0, sizeof(*out));
	while (start < len && isspace((unsigned char)v[start]))
		start++;
	v += start;
	len -= start;
	semi = rc_find(v, len, ";", 1);
	if (len < 5 || strncasecmp(v, "from", 4) != 0 ||
	    !isspace((unsigned char)v[4]))
		return SP_RCVD_IGNORE;
	/* Received.pm: local handovers and forms that name no relay */
	if (rc_find(v, semi, "with local for", 0) < semi ||
	    rc_find(v, semi, "(LSMTP for", 0) < semi)
		return SP_RCVD_IGNORE;
	if (rc_find(v, semi, "with POP3", 0) < semi ||
	    rc_find(v, semi, "with IMAP", 0) < semi)
		return SP_RCVD_FETCH;
	if ((k = rc_find(v, len, "(authenticated", 0)) < len ||
	    (k = rc_find(v, len, "authenticated sender", 0)) < len ||
	    (k = rc_find(v, len, "(using authentication", 0)) < len)
		snprintf(out->auth, sizeof(out->auth), "SMTP");
	if ((k = rc_find(v, len, "envelope-from ", 0)) < semi) {
		const char *p = v + k + 14;
		size_t w;

		while (*p == '<')
			p++;
		for (w = 0; p + w < v + semi && p[w] != '>' && p[w] != ')' &&
			    !isspace((unsigned char)p[w]) && p[w] != ';';
		     w++)
			;
		rc_copy(out->envfrom, sizeof(out->envfrom), p, w, 0);
	}
	by = rc_find(v, semi, " by ", 1);
	if (by == semi) {
		by = rc_find(v, semi, "\tby ", 1);
		if (by == semi)
			by = rc_find(v, semi, "by ", 1);
	}
	rc_from(v + 5, by > 5 ? by - 5 : 0, out);
	if (by < semi && by + 4 <= semi)
		rc_by(v + by + 4, semi - by - 4, out);
	if (rc_find(v, by, "invoked by", 0) < by ||
	    rc_find(v, by, "invoked from network", 0) < by)
		return out->ip[0] ? SP_RCVD_OK : SP_RCVD_IGNORE;
	if (out->ip[0] == '\0') {
		/* "from X by Y ...", "from X with Z by Y", "from a@b by Y":
		 * no comment, no address: Received.pm ignores them */
		const char *f = v + 5;
		size_t fl = by > 5 ? by - 5 : 0;

		if (memchr(f, '(', fl) == NULL && memchr(f, '[', fl) == NULL)
			return SP_RCVD_IGNORE;
		if (rc_local_handover(f, semi > 5 ? semi - 5 : 0))
			return SP_RCVD_IGNORE;
		return SP_RCVD_UNPARSEABLE;
	}
	out->ip_private = sp_ip_private(out->ip) == 1;
	return SP_RCVD_OK;
}

static int
rc_in_list(const struct sp_strlist *l, const char *ip)
{
	struct cidr_list cl;
	size_t i, eo, el;

	for (i = 0; i < l->n; i++) {
		cl.n = 0;
		if (cidr_list_parse(l->v[i], strlen(l->v[i]), &cl, &eo, &el) ==
			CIDR_OK &&
		    cidr_list_match(&cl, ip))
			return 1;
	}
	return 0;
}

/* SpamAssassin's trust decision for one relay, top down. */
static void
rc_trust(struct sp_relay *r, const struct sp_evconf *cf, int *in_trusted,
	 int *in_internal)
{
	int have_t = cf != NULL && cf->trusted.n > 0;
	int have_i = cf != NULL && cf->internal.n > 0;
	int loop =
	    sp_ip_private(r->ip) == 1 &&
	    (strncmp(r->ip, "127.", 4) == 0 || strcmp(r->ip, "::1") == 0);

	if (*in_trusted) {
		if (!have_t && !have_i) {
			if (!r->ip_private && r->auth[0] == '\0')
				*in_trusted = *in_internal = 0;
		} else if (r->auth[0] == '\0' && !loop &&
			   !rc_in_list(have_t ? &cf->trusted : &cf->internal,
				       r->ip)) {
			*in_trusted = *in_internal = 0;
		} else if (*in_internal && r->auth[0] == '\0' && !loop &&
			   !rc_in_list(have_i ? &cf->internal : &cf->trusted,
				       r->ip))
			*in_internal = 0;
	}
	r->trusted = *in_trusted;
	r->internal = *in_internal;
}

/* SpamAssassin's default originating_ip_headers, each read as "from
 * X-Originating-IP: IP". */
static void
rc_originating(const struct sp_view *v, const struct sp_evconf *cf,
	       struct sp_relays *rs, int *in_trusted, int *in_internal)
{
	static const char *const names[] = {
	    "X-Yahoo-Post-IP", "X-Originating-IP", "X-Apparently-From",
	    "X-SenderIP", NULL};
	size_t k, i;

	for (k = 0; names[k] != NULL; k++)
		for (i = 0; i < v->nheaders && rs->n < RCVD_MAX_RELAYS; i++) {
			struct sp_relay *r = &rs->v[rs->n];

			if (strcasecmp(v->headers[i].name, names[k]) != 0)
				continue;
			memset(r, 0, sizeof(*r));
			if (rc_ip_at(v->headers[i].raw,
				     strlen(v->headers[i].raw), r->ip,
				     sizeof(r->ip)) < 0)
				break;
			r->ip_private = sp_ip_private(r->ip) == 1;
			rc_trust(r, cf, in_trusted, in_internal);
			if (r->trusted)
				rs->ntrusted++;
			rs->n++;
			break;
		}
}

int
sp_relays_from_view(const struct sp_view *v, const struct sp_evconf *cf,
		    struct sp_relays **out)
{
	struct sp_relays *rs;
	size_t i;
	int in_trusted = 1, in_internal = 1, allow_fetch = 0;

	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->v = calloc(RCVD_MAX_RELAYS, sizeof(*rs->v))) == NULL) {
		free(rs);
		*out = NULL;
		return -1;
	}
	for (i = 0; i < v->nheaders && rs->n < RCVD_MAX_RELAYS; i++) {
		struct sp_relay *r = &rs->v[rs->n];
		const char *val = v->headers[i].raw;
		enum sp_rcvd st;

		if (strcasecmp(v->headers[i].name, "Received") != 0)
			continue;
		st = sp_received_parse(val, strlen(val), r);
		if (st == SP_RCVD_UNPARSEABLE)
			rs->nunparseable++;
		if (st == SP_RCVD_FETCH && allow_fetch) {
			/* a mail fetcher's handover inside the trusted part:
			 * the chain starts again below it */
			rs->n = rs->ntrusted = 0;
		}
		if (st != SP_RCVD_OK)
			continue;
		rc_trust(r, cf, &in_trusted, &in_internal);
		if (r->trusted)
			rs->ntrusted++;
		allow_fetch = r->trusted;
		rs->n++;
	}
	rc_originating(v, cf, rs, &in_trusted, &in_internal);
	*out = rs;
	return 0;
}

void
sp_relays_free(struct sp_relays **rp)
{
	if (*rp == NULL)
		return;
	free((*rp)->v);
	free(*rp);
	*rp = NULL;
}

int
sp_relays_string(const struct sp_relays *r, int which, struct buf *out)
{
	size_t i;
	int first = 1;

	for (i = 0; r != NULL && i < r->n; i++) {
		const struct sp_relay *x = &r->v[i];
		int in = which == 0   ? x->trusted
			 : which == 1 ? !x->trusted
			 : which == 2 ? x->internal
				      : !x->internal;

		if (!in)
			continue;
		/* "[ ip=%s rdns=%s helo=%s by=%s ident=%s envfrom=%s intl=%d
		 * id=%s auth=%s msa=0 ]" without printf's cost per field */
		if (buf_adds(out, first ? "[ ip=" : " [ ip=") < 0 ||
		    buf_adds(out, x->ip) < 0 || buf_adds(out, " rdns=") < 0 ||
		    buf_adds(out, x->rdns) < 0 || buf_adds(out, " helo=") < 0 ||
		    buf_adds(out, x->helo) < 0 || buf_adds(out, " by=") < 0 ||
		    buf_adds(out, x->by) < 0 || buf_adds(out, " ident=") < 0 ||
		    buf_adds(out, x->ident) < 0 ||
		    buf_adds(out, " envfrom=") < 0 ||
		    buf_adds(out, x->envfrom) < 0 ||
		    buf_printf(out, " intl=%d id=", x->internal) < 0 ||
		    buf_adds(out, x->id) < 0 || buf_adds(out, " auth=") < 0 ||
		    buf_adds(out, x->auth) < 0 || buf_adds(out, " msa=0 ]") < 0)
			return -1;
		first = 0;
	}
	return 0;
}
