/* lib/spam/ev_header.c - HeaderEval's functions (SpamAssassin 4.0
 * Plugin/HeaderEval.pm): Date shifts against the Received dates, subject
 * and recipient checks, Message-Id forms. Pure over the view. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ev_int.h"
#include "msgview.h"
#include "received.h"

/* Received dates: "(\s.?\d+ \S\S\S \d+ \d+:\d+:\d+ \S+)" of each field
 * (fetchmail's local first field set aside, as HeaderEval does). */
static size_t
ev_rcvd_times(const struct sp_evctx *c, time_t *t, size_t max)
{
	const char *r;
	size_t i, n = 0, first = 0;

	r = ev_header(c, "Received", 0, 0);
	if (r != NULL && (strstr(r, "from localhost ") != NULL ||
			  strstr(r, "127.0.0.1") != NULL ||
			  strstr(r, " invoked by uid ") != NULL)) {
		const char *r2 = ev_header(c, "Received", 0, 1);

		if (r2 != NULL && strstr(r2, "by localhost with ") != NULL &&
		    strstr(r2, "(fetchmail-") != NULL)
			first = 2;
	}
	for (i = first; n < max && (r = ev_header(c, "Received", 0, i)) != NULL;
	     i++) {
		char d[256], *u;
		size_t k, o;

		/* SpamAssassin unfolds "\n[ \t]+" to one space; the view
		 * keeps the blanks after the line end, so every run of
		 * blanks is one space here (a fold inside the date) */
		if ((u = malloc(strlen(r) + 1)) == NULL)
			break;
		for (k = o = 0; r[k]; k++)
			if (!isspace((unsigned char)r[k]) || o == 0 ||
			    u[o - 1] != ' ')
				u[o++] =
				    isspace((unsigned char)r[k]) ? ' ' : r[k];
		u[o] = '\0';
		if (ev_rcvd_date(u, d, sizeof(d)) &&
		    ev_parse_date(d, &t[n]) == 0)
			n++;
		free(u);
	}
	return n;
}

/* HeaderEval's _get_date_header_time: the first Resent-Date value that
 * parses, else the first Date value that parses. 0 or -1. */
static int
ev_date_header_time(const struct sp_evctx *c, time_t *t)
{
	static const char *const names[] = {"Resent-Date", "Date", NULL};
	const char *d;
	size_t k, i;

	for (k = 0; names[k] != NULL; k++)
		for (i = 0; (d = ev_header(c, names[k], 0, i)) != NULL; i++)
			if (ev_parse_date(d, t) == 0)
				return 0;
	return -1;
}

/* Date minus the nearest Received date, in seconds (0 without both). */
static long
ev_date_shift(struct sp_evctx *c)
{
	time_t dt, rt[64];
	long diff = 0, best = 0;
	size_t n, i;

	if (ev_date_header_time(c, &dt) == 0 &&
	    (n = ev_rcvd_times(c, rt, 64)) > 0) {
		if (n > 1 && dt - rt[n - 1] == 0)
			n--;
		for (i = 0; i < n; i++) {
			diff = (long)(dt - rt[i]);
			if (i == 0 || labs(diff) < labs(best))
				best = diff;
		}
	}
	return best;
}

/* SpamAssassin's rules call it a dozen times a message (DATE_IN_PAST_*,
 * DATE_IN_FUTURE_*): the dates are parsed at the first (sscanf of every
 * Received field was 3% of facteur-milter's CPU with those rules). */
static int
ev_shifted_date(struct sp_evctx *c, const struct sp_evcall *a)
{
	const char *lo = sp_ev_str(a, 0), *hi = sp_ev_str(a, 1);
	long best;

	if (!c->shifted_done) {
		c->shifted_best = ev_date_shift(c);
		c->shifted_done = 1;
	}
	best = c->shifted_best;
	return (strcmp(lo, "undef") == 0 || best >= 3600 * atof(lo)) &&
	       (strcmp(hi, "undef") == 0 || best < 3600 * atof(hi));
}

/* subject_is_all_caps's test of the (joined) Subject text. */
static int
ev_caps_text(const char *s)
{
	static const char *const pre[] = {
	    "re:", "fwd:", "fw:", "aw:", "antwort:", "wg:",
	    "sv:", "vb:",  "vs:", "vl:", NULL};
	const char *e;
	size_t i, letters = 0;
	int again = 1;

	while (isspace((unsigned char)*s))
		s++;
	while (again) {
		again = 0;
		for (i = 0; pre[i] != NULL; i++)
			if (strncasecmp(s, pre[i], strlen(pre[i])) == 0) {
				s += strlen(pre[i]);
				while (isspace((unsigned char)*s))
					s++;
				again = 1;
			}
	}
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	if ((size_t)(e - s) < 10)
		return 0;
	for (i = 0; s + i < e && !isspace((unsigned char)s[i]); i++)
		;
	if (s + i == e)
		return 0;
	for (; s < e; s++) {
		if (islower((unsigned char)*s) && (unsigned char)*s < 128)
			return 0;
		letters +=
		    isupper((unsigned char)*s) && (unsigned char)*s < 128;
	}
	return letters > 0;
}

/* A charset of an encoded word in the raw Subject that
 * CHARSETS_LIKELY_TO_FP_AS_CAPS lists. */
static int
ev_caps_charset(const char *raw)
{
	return raw != NULL && strstr(raw, "=?") != NULL &&
	       (strcasestr(raw, "=?koi8-r?") ||
		strcasestr(raw, "=?iso-2022-jp?") ||
		strcasestr(raw, "=?gb2312?") || strcasestr(raw, "=?big5?") ||
		strcasestr(raw, "=?euc-kr?") || strcasestr(raw, "=?ks_c_5601"));
}

/* subject_is_all_caps over $pms->get('Subject'): every Subject value,
 * joined, each with its "\n" (so a second, lower-case Subject spares a
 * shouting first one). */
static int
ev_subject_caps(struct sp_evctx *c, const struct sp_evcall *a)
{
	char *subj = ev_header_all(c, "Subject", 0), *raw;
	int r;

	(void)a;
	if (subj == NULL)
		return 0;
	r = ev_caps_text(subj);
	if (r) {
		raw = ev_header_all(c, "Subject", 1);
		r = !ev_caps_charset(raw);
		free(raw);
	}
	free(subj);
	return r;
}

static int
ev_missing_to(struct sp_evctx *c, const struct sp_evcall *a)
{
	(void)a;
	/* $pms->get('To') eq '': absent (a To present but empty reads
	 * "\n") */
	return ev_header(c, "To", 0, 0) == NULL &&
	       ev_header(c, "Apparently-To", 0, 0) == NULL;
}

static int
ev_header_count(struct sp_evctx *c, const struct sp_evcall *a)
{
	const char *h, *o;
	size_t i, k, n = 0;

	for (i = 0; (h = ev_header(c, a->argv[0], 1, i)) != NULL; i++) {
		for (k = 0; k < i; k++)
			if ((o = ev_header(c, a->argv[0], 1, k)) != NULL &&
			    strcmp(o, h) == 0)
				break;
		n += k == i;
	}
	return n >= sp_ev_num(a, 1, 0) && n <= sp_ev_num(a, 2, 1e9);
}

static int
ev_valid_utf8(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80	      ? 0
			: (*s & 0xe0) == 0xc0 ? 1
			: (*s & 0xf0) == 0xe0 ? 2
			: (*s & 0xf8) == 0xf0 ? 3
					      : -1;

		if (n < 0 || (n == 1 && *s < 0xc2))
			return 0;
		for (s++; n > 0; n--, s++)
			if ((*s & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

static int
ev_illegal_chars(struct sp_evctx *c, const struct sp_evcall *a)
{
	const char *name = a->argv[0];
	const unsigned char *s;
	char *all = NULL;
	size_t len, ill = 0, ex = 0, i, nonascii = 0, ctl = 0;
	int r = 0;

	if (strcmp(name, "ALL") == 0) {
		size_t tot = 0;

		for (i = 0; i < c->v->nheaders; i++)
			tot += strlen(c->v->headers[i].name) + 2 +
			       strlen(c->v->headers[i].raw) + 1;
		if ((all = malloc(tot + 1)) == NULL)
			return 0;
		for (i = 0, len = 0; i < c->v->nheaders; i++) {
			const struct sp_header *h = &c->v->headers[i];
			size_t nl = strlen(h->name), rl = strlen(h->raw);

			memcpy(all + len, h->name, nl);
			memcpy(all + len + nl, ": ", 2);
			memcpy(all + len + nl + 2, h->raw, rl);
			len += nl + 2 + rl;
			all[len++] = '\n';
		}
		all[len] = '\0';
	} else if ((all = ev_header_all(c, name, 1)) == NULL)
		return 0;
	s = (const unsigned char *)all;
	len = strlen(all);
	for (i = 0; i < len; i++) {
		nonascii += s[i] >= 0x80;
		ctl +=
		    s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r';
		ill += (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' &&
			s[i] != '\r') ||
		       s[i] >= 0x7f;
		ex += s[i] == 0xa2 || s[i] == 0xa3 || s[i] == 0xae;
	}
	if (nonascii > 0 && ev_valid_utf8(s) && ctl == 0)
		goto out;
	if (ill > 0 && strcasecmp(name, "Subject") == 0 && ex == 1)
		ill--;
	for (i = 0; i < len && isspace(s[i]); i++)
		;
	if (i < len)
		r = (double)ill / (double)len >= sp_ev_num(a, 1, 0) &&
		    (double)ill >= sp_ev_num(a, 2, 0);
out:
	free(all);
	return r;
}

static int
ev_to_in_subject(struct sp_evctx *c, const struct sp_evcall *a)
{
	const char *to = ev_header(c, "To", 0, 0);
	const char *subj = ev_header(c, "Subject", 0, 0);
	char addr[256], *at;
	size_t ul, sl;

	if (to == NULL || subj == NULL || ev_addr(to, addr, sizeof(addr)) < 0)
		return 0;
	if (strcmp(a->argv[0], "address") == 0)
		return strcasestr(subj, addr) != NULL;
	if ((at = strchr(addr, '@')) != NULL)
		*at = '\0';
	ul = strlen(addr);
	sl = strlen(subj);
	if (ul == 0)
		return 0;
	/* \Q$to\E$ ; $to[,:;!?-] ; re: [word] $to$ */
	if (sl >= ul && strcasecmp(subj + sl - ul, addr) == 0 &&
	    (sl == ul || strncasecmp(subj, "re:", 3) == 0 ||
	     strncasecmp(subj, "fw:", 3) == 0))
		return 1;
	return strncmp(subj, addr, ul) == 0 && subj[ul] != '\0' &&
	       strchr(",:;!?-", subj[ul]) != NULL &&
	       (subj[ul + 1] == '\0' || isspace((unsigned char)subj[ul + 1]));
}

static int
ev_unresolved_template(struct sp_evctx *c, const struct sp_evcall *a)
{
	static const char *const ok[] = {"X-VMS-To",
					 "X-UIDL",
					 "X-Face",
					 "To",
					 "Cc",
					 "From",
					 "Subject",
					 "References",
					 "In-Reply-To",
					 "Message-Id",
					 "X-Message-Id",
					 "Resent-Message-Id",
					 "X-Original-Message-Id",
					 NULL};
	size_t i, k;

	(void)a;
	for (i = 0; i < c->v->nheaders; i++) {
		const char *p = c->v->headers[i].decoded;
		int hit = 0;

		for (; *p && !hit; p++)
			hit = p[0] == '%' && isupper((unsigned char)p[1]) &&
			      (isupper((unsigned char)p[2]) || p[2] == '_' ||
			       p[2] == '-');
		for (k = 0; hit && ok[k] != NULL; k++)
			if (strcasecmp(c->v->headers[i].name, ok[k]) == 0)
				hit = 0;
		if (hit)
			return 1;
	}
	return 0;
}

/* Header `name`'s first value, unless a `name` field comes after a
 * Received field in the header block. */
static const char *
ev_before_rcvd(const struct sp_evctx *c, const char *name, int *present)
{
	const struct sp_view *v = c->v;
	const char *first = NULL;
	size_t i;
	int rcvd = 0, after = 0;

	*present = 0;
	for (i = 0; i < v->nheaders; i++) {
		if (strcasecmp(v->headers[i].name, "Received") == 0)
			rcvd = 1;
		else if (strcasecmp(v->headers[i].name, name) == 0) {
			*present = 1;
			if (first == NULL)
				first = v->headers[i].raw;
			/* /^Received:.*?^NAME:/smi: any NAME field below any
			 * Received field, not only the first */
			after |= rcvd;
		}
	}
	return after ? NULL : first;
}

/* X-Sender:first:addr is an address (Email::Address::XS gives none for
 * "@ (Unverified)" or "Name <example.net>"). */
static int
ev_xsender_addr(const struct sp_evctx *c)
{
	const char *x = ev_header(c, "X-Sender", 0, 0), *at;
	char a[256];

	if (x == NULL || ev_addr(x, a, sizeof(a)) < 0)
		return 0;
	at = strchr(a, '@');
	return at != NULL && at > a && at[1] != '\0';
}

const char *
ev_envfrom(struct sp_evctx *c)
{
	static const char *const names[] = {
	    "X-Envelope-From", "Envelope-Sender", "Return-Path", NULL};
	const struct sp_relays *r;
	const char *e = NULL;
	size_t i;
	int present;

	if (c->envfrom_done)
		return c->envfrom_sa;
	c->envfrom_done = 1;
	if (c->envfrom != NULL && *c->envfrom != '\0')
		return c->envfrom_sa = c->envfrom;
	if ((r = ev_relays(c)) != NULL && r->n > 0) {
		const struct sp_relay *h = r->n > r->ntrusted
					       ? &r->v[r->ntrusted]
					       : &r->v[r->ntrusted - 1];
		const char *at = strchr(h->envfrom, '@');

		if (at != NULL && at > h->envfrom) {
			snprintf(c->envfrom_buf, sizeof(c->envfrom_buf), "%s",
				 h->envfrom);
			return c->envfrom_sa = c->envfrom_buf;
		}
	}
	if (ev_xsender_addr(c))
		for (i = 0; (e = ev_header(c, "Received", 0, i)) != NULL; i++)
			if (strstr(e, "(fetchmail") != NULL)
				return NULL;
	for (i = 0; names[i] != NULL; i++) {
		e = ev_before_rcvd(c, names[i], &present);
		if (e != NULL)
			return c->envfrom_sa = e;
		if (present && i == 0)
			return NULL;
	}
	return NULL;
}

static int
ev_env_hdr_from(struct sp_evctx *c, const struct sp_evcall *a)
{
	const char *e = ev_envfrom(c), *f = ev_header(c, "From", 0, 0);
	char ea[256] = "", fa[256] = "";

	(void)a;
	if (e != NULL)
		(void)ev_addr(e, ea, sizeof(ea));
	if (f != NULL)
		(void)ev_addr(f, fa, sizeof(fa));
	return strcmp(ea, fa) == 0;
}

static int
ev_gated(struct sp_evctx *c, const struct sp_evcall *a)
{
	(void)a;
	return ev_gated_rcvd_remover(c);
}

/* The first "<" + 28 capitals + "." + id + ">" in MESSAGEID: the id
 * into out ("" when none). */
static void
ev_ratware_id(const char *m, char *out, size_t outlen)
{
	const char *p, *e;
	size_t i;

	out[0] = '\0';
	for (p = m; (p = strchr(p, '<')) != NULL; p++) {
		for (i = 1; i <= 28 && p[i] >= 'A' && p[i] <= 'Z'; i++)
			;
		if (i != 29 || p[29] != '.')
			continue;
		/* [^>]+? then ">": up to the first ">", the line included */
		if ((e = strchr(p + 30, '>')) == NULL || e == p + 30)
			continue;
		snprintf(out, outlen, "%.*s", (int)(e - p - 30), p + 30);
		return;
	}
}

/* From =~ /"[^"]+"\s*<\Qid\E>/. */
static int
ev_quoted_name_before(const char *f, const char *id)
{
	char want[300];
	const char *p, *q;

	snprintf(want, sizeof(want), "<%s>", id);
	for (p = f; (p = strstr(p, want)) != NULL; p++) {
		for (q = p; q > f && isspace((unsigned char)q[-1]); q--)
			;
		if (q > f && q[-1] == '"') {
			/* a closing quote: the nearest opening one before
			 * it, with something between */
			const char *o = q - 1;

			while (o > f && o[-1] != '"')
				o--;
			if (o > f && o < q - 1)
				return 1;
		}
	}
	return 0;
}

/* check_ratware_name_id over MESSAGEID and every From value. */
static int
ev_ratware_name_id(struct sp_evctx *c, const struct sp_evcall *a)
{
	char *m, *f, id[280];
	int r = 0;

	(void)a;
	if ((m = ev_messageid(c)) == NULL)
		return 0;
	ev_ratware_id(m, id, sizeof(id));
	free(m);
	if (id[0] != '\0' && (f = ev_header_all(c, "From", 0)) != NULL) {
		r = ev_quoted_name_before(f, id);
		free(f);
	}
	return r;
}

/* RegistryBoundaries::trim_domain, nearly: the last two labels
 * (facteur reads no util_rb_2tld/3tld lists, so "example.co.uk" gives
 * "co.uk", a shorter, looser domain than SpamAssassin's). */
static const char *
ev_trim2(const char *d)
{
	const char *p;
	int dots = 0;

	for (p = d + strlen(d); p > d; p--)
		if (p[-1] == '.' && ++dots == 2)
			return p;
	return d;
}

static int
ev_word_ch(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/* ef =~ /\b\Qdom\E.\Quser\E@/i: the "." is any character. */
static int
ev_dom_user(const char *ef, const char *dom, const char *user)
{
	size_t dl = strlen(dom), ul = strlen(user);
	const char *p;

	for (p = ef; *p; p++) {
		if (p > ef && ev_word_ch(p[-1]) == ev_word_ch(*p))
			continue; /* no \b here */
		if (strncasecmp(p, dom, dl) == 0 && p[dl] != '\0' &&
		    p[dl] != '\n' && strncasecmp(p + dl + 1, user, ul) == 0 &&
		    p[dl + 1 + ul] == '@')
			return 1;
	}
	return 0;
}

static int
ev_ratware_envfrom(struct sp_evctx *c, const struct sp_evcall *a)
{
	const char *t = ev_header(c, "To", 0, 0), *e = ev_envfrom(c);
	char to[256], ef[256], *at;

	(void)a;
	if (t == NULL || e == NULL || ev_addr(t, to, sizeof(to)) < 0 ||
	    ev_addr(e, ef, sizeof(ef)) < 0 || strncasecmp(ef, "srs", 3) == 0)
		return 0;
	if ((at = strchr(to, '@')) == NULL || at == to ||
	    strchr(at + 1, '.') == NULL)
		return 0;
	*at = '\0';
	return ev_dom_user(ef, ev_trim2(at + 1), to);
}

/* The Outlook Message-Id m's time token against the Date, then the
 * first Received date. */
static int
ev_outlook_id(const struct sp_evctx *c, const char *m)
{
	const char *d;
	unsigned long tok;
	char hex[9];
	time_t t = 0;
	size_t i;

	if (m[0] != '<')
		return 0;
	for (i = 1; i <= 12; i++)
		if (!isxdigit((unsigned char)m[i]) ||
		    isupper((unsigned char)m[i]))
			return 0;
	if (m[13] != '$' || strspn(m + 14, "0123456789abcdef") != 8 ||
	    m[22] != '$' || strspn(m + 23, "0123456789abcdef") != 8 ||
	    m[31] != '@')
		return 0;
	memcpy(hex, m + 5, 8);
	hex[8] = '\0';
	tok = strtoul(hex, NULL, 16);
	if ((d = ev_header(c, "Date", 0, 0)) == NULL ||
	    ev_parse_date(d, &t) < 0)
		t = 0;
	if (labs((long)tok -
		 (long)(t * 0.0023283064365387 + 27111902.8329849)) < 250)
		return 0;
	t = 0;
	if ((d = ev_header(c, "Received", 0, 0)) != NULL)
		for (d++; *d; d++)
			if (isspace((unsigned char)d[-1]) &&
			    ev_parse_date(d, &t) == 0)
				break;
	return labs((long)tok -
		    (long)(t * 0.0023283064365387 + 27111902.8329849)) >= 250;
}

/* check_outlook_message_id: MESSAGEID starts with the first of its
 * headers present (X-Message-Id, Resent-Message-Id... before
 * Message-Id). */
static int
ev_outlook_msgid(struct sp_evctx *c, const struct sp_evcall *a)
{
	char *m = ev_messageid(c);
	int r;

	(void)a;
	if (m == NULL)
		return 0;
	r = ev_outlook_id(c, m);
	free(m);
	return r;
}

/* The last two labels of the domain of the first address of value, as
 * get('Name:addr') gives it in scalar context: the first mailbox with an
 * '@' ("a@x, b@y, N <c@z>" is a@x; "Smith, John <j@z>" is j@z); "" if
 * none. */
static void
ev_dom2(const char *value, char *out, size_t outlen)
{
	char a[1][256];
	const char *at, *p, *last = NULL, *prev = NULL;

	out[0] = '\0';
	if (value == NULL || ev_addrs(value, a, 1) == 0 ||
	    (at = strrchr(a[0], '@')) == NULL)
		return;
	for (p = at + 1; *p; p++)
		if (*p == '.') {
			prev = last;
			last = p;
		}
	snprintf(out, outlen, "%s", prev != NULL ? prev + 1 : at + 1);
}

static int
ev_equal_from_domains(struct sp_evctx *c, const struct sp_evcall *a)
{
	char f[256], e[256];

	(void)a;
	ev_dom2(ev_header(c, "From", 0, 0), f, sizeof(f));
	ev_dom2(ev_envfrom(c), e, sizeof(e));
	return f[0] != '\0' && e[0] != '\0' && strcasecmp(f, e) != 0;
}

const struct sp_evdef ev_header_defs[] = {
    {"check_equal_from_domains", ev_equal_from_domains, 0, 0},
    {"check_for_shifted_date", ev_shifted_date, 2, 2},
    {"subject_is_all_caps", ev_subject_caps, 0, 0},
    {"check_for_missing_to_header", ev_missing_to, 0, 0},
    {"check_header_count_range", ev_header_count, 3, 3},
    {"check_illegal_chars", ev_illegal_chars, 3, 3},
    {"check_for_to_in_subject", ev_to_in_subject, 1, 1},
    {"check_unresolved_template", ev_unresolved_template, 0, 0},
    {"check_for_matching_env_and_hdr_from", ev_env_hdr_from, 0, 0},
    {"gated_through_received_hdr_remover", ev_gated, 0, 0},
    {"check_ratware_name_id", ev_ratware_name_id, 0, 0},
    {"check_ratware_envelope_from", ev_ratware_envfrom, 0, 0},
    {"check_outlook_message_id", ev_outlook_msgid, 0, 0},
    {NULL, NULL, 0, 0},
};
