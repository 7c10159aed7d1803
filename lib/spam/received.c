/* lib/spam/received.c - the Received chain and its trust, as
 * Received.pm's parse_received_headers builds them; see received.h.
 * Each field is read by received_line.c (parse_received_line). */
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

/* A loopback address (127/8 or ::1), which rc_trust never lets end the
 * trusted part of the chain. */
static int
rc_loopback(const char *ip)
{
	unsigned char b[4];

	return (inet_pton(AF_INET, ip, b) == 1 && b[0] == 127) ||
	       strcmp(ip, "::1") == 0;
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

/* The walk's state: Received.pm's $in_trusted, $in_internal,
 * allow_mailfetch_markers and qmail_scanner_env_from. */
struct rc_chain {
	int in_trusted, in_internal, allow_fetch;
	char qms[256];
};

/* SpamAssassin's trust decision for one relay, top down. */
static void
rc_trust(struct sp_relay *r, const struct sp_evconf *cf, int *in_trusted,
	 int *in_internal)
{
	int have_t = cf != NULL && cf->trusted.n > 0;
	int have_i = cf != NULL && cf->internal.n > 0;
	int loop = rc_loopback(r->ip);

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

/* One relay parsed, st its status: counted, trusted or not, kept. */
static void
rc_push(struct sp_relays *rs, const struct sp_evconf *cf, struct rc_chain *ch,
	enum sp_rcvd st)
{
	struct sp_relay *r = &rs->v[rs->n];

	if (ch->qms[0] != '\0' && st == SP_RCVD_OK)
		snprintf(r->envfrom, sizeof(r->envfrom), "%s", ch->qms);
	ch->qms[0] = '\0';
	if (st == SP_RCVD_UNPARSEABLE)
		rs->nunparseable++;
	if (st == SP_RCVD_QMS) /* qmail-scanner: for the next field */
		snprintf(ch->qms, sizeof(ch->qms), "%s", r->envfrom);
	if (st == SP_RCVD_FETCH && ch->allow_fetch) {
		/* a mail fetcher's handover inside the trusted part: the
		 * chain starts again below it */
		rs->n = rs->ntrusted = 0;
	}
	if (st != SP_RCVD_OK) {
		rs->last_trusted += ch->in_trusted;
		rs->last_internal += ch->in_internal;
		return;
	}
	rc_trust(r, cf, &ch->in_trusted, &ch->in_internal);
	rs->last_trusted += ch->in_trusted;
	rs->last_internal += ch->in_internal;
	if (r->trusted)
		rs->ntrusted++;
	ch->allow_fetch = r->trusted;
	rs->n++;
}

/* 10_default_prefs.cf's originating_ip_headers: the first address in
 * the last field of each, read as "from X-Originating-IP: IP". */
static void
rc_originating(const struct sp_view *v, const struct sp_evconf *cf,
	       struct sp_relays *rs, struct rc_chain *ch)
{
	static const char *const names[] = {
	    "X-Yahoo-Post-IP",
	    "X-Originating-IP",
	    "X-Apparently-From",
	    "X-SenderIP",
	    "X-AOL-IP",
	    "X-MS-Exchange-CrossTenant-OriginalAttributedTenantConnectingIp",
	    NULL};
	size_t k, i;

	for (k = 0; names[k] != NULL && rs->n < RCVD_MAX_RELAYS; k++) {
		const char *last = NULL;
		char ip[64], line[96];

		for (i = 0; i < v->nheaders; i++)
			if (strcasecmp(v->headers[i].name, names[k]) == 0)
				last = v->headers[i].decoded;
		if (last == NULL || sp_received_find_ip(last, ip, sizeof(ip)))
			continue;
		snprintf(line, sizeof(line), "from X-Originating-IP: %s", ip);
		rc_push(rs, cf, ch,
			sp_received_parse(line, strlen(line), &rs->v[rs->n]));
	}
}

int
sp_relays_from_view(const struct sp_view *v, const struct sp_evconf *cf,
		    struct sp_relays **out)
{
	struct sp_relays *rs;
	struct rc_chain ch = {1, 1, 1, ""};
	size_t i;

	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->v = calloc(RCVD_MAX_RELAYS, sizeof(*rs->v))) == NULL) {
		free(rs);
		*out = NULL;
		return -1;
	}
	rs->last_trusted = rs->last_internal = -1;
	for (i = 0; i < v->nheaders && rs->n < RCVD_MAX_RELAYS; i++) {
		const char *val = v->headers[i].raw;

		if (strcasecmp(v->headers[i].name, "Received") != 0)
			continue;
		rc_push(rs, cf, &ch,
			sp_received_parse(val, strlen(val), &rs->v[rs->n]));
	}
	rc_originating(v, cf, rs, &ch);
	*out = rs;
	return 0;
}

/* One field as get_all_headers(0) gives it: "Name: value\n", the value
 * without its outer white space, on one line. */
static int
rc_all_line(const struct sp_header *h, struct buf *out)
{
	const char *s = h->decoded != NULL ? h->decoded : h->raw;
	size_t n = strlen(s), i;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	if (buf_adds(out, h->name) < 0 || buf_adds(out, ": ") < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (buf_add(out, s[i] == '\r' || s[i] == '\n' ? " " : s + i,
			    1) < 0)
			return -1;
	return buf_adds(out, "\n");
}

int
sp_relays_all_text(const struct sp_view *v, const struct sp_relays *r,
		   int which, struct buf *out)
{
	/* get_all_hdrs_in_rcvd_index_range(start, end): the fields below
	 * Received field `start` (it included), or down to field `end` (it
	 * included); -1 before the first Received field */
	int last =
	    which == 0 || which == 1 ? r->last_trusted : r->last_internal;
	int lim = last + 1, cur = -1, from_top = which == 0 || which == 2;
	size_t i;

	if (r == NULL)
		return 0;
	last = which == 0 || which == 1 ? r->last_trusted : r->last_internal;
	lim = last + 1;
	for (i = 0; i < v->nheaders; i++) {
		const struct sp_header *h = &v->headers[i];

		if (strcasecmp(h->name, "Received") == 0)
			cur++;
		if (from_top ? cur > lim : cur < lim)
			continue;
		if (rc_all_line(h, out) < 0)
			return -1;
		if (from_top && cur == lim &&
		    strcasecmp(h->name, "Received") == 0)
			break;
	}
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
