/* lib/spam/ev_relay.c - RelayEval's functions and WLBLEval's
 * check_mailfrom_matches_rcvd (SpamAssassin 4.0 Plugin/RelayEval.pm,
 * WLBLEval.pm) over the Received chain of received.c. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ev_int.h"
#include "received.h"

static int
ev_no_relays(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct sp_relays *r = ev_relays(c);

	(void)a;
	return r != NULL && r->n == 0 && r->nunparseable == 0;
}

static int
ev_all_trusted(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct sp_relays *r = ev_relays(c);

	(void)a;
	return r != NULL && r->ntrusted > 0 && r->n == r->ntrusted &&
	       r->nunparseable == 0;
}

static int
ev_unparseable(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct sp_relays *r = ev_relays(c);

	(void)a;
	return r != NULL && r->nunparseable > 0;
}

/* RelayEval's helo_ip_mismatch: an untrusted relay whose HELO is a
 * public IPv4 address outside the /24 of the public IPv4 address it
 * came from (Constants.pm's IS_IPV4_ADDRESS and IP_PRIVATE). */
static int
ev_helo_ip_mismatch(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct sp_relays *r = ev_relays(c);
	size_t i;

	(void)a;
	for (i = r ? r->ntrusted : 0; r != NULL && i < r->n; i++) {
		const struct sp_relay *x = &r->v[i];
		const char *d = x->helo;
		int k = 0;

		if (!sp_received_is_ipv4(x->helo) ||
		    sp_received_is_private(x->helo))
			continue;
		if (!sp_received_is_ipv4(x->ip) ||
		    sp_received_is_private(x->ip) ||
		    strcmp(x->helo, x->ip) == 0)
			continue;
		/* different IP is fine within the same /24: $1 of
		 * /^(\d+\.\d+\.\d+\.)/, the HELO's first three octets */
		while (*d != '\0' && k < 3)
			k += *d++ == '.';
		if (strncmp(x->ip, x->helo, (size_t)(d - x->helo)) != 0)
			return 1;
	}
	return 0;
}

static int
ev_ends_label(const char *h, const char *dom)
{
	size_t hl = strlen(h), dl = strlen(dom);

	return hl >= dl && strcasecmp(h + hl - dl, dom) == 0 &&
	       (hl == dl || h[hl - dl - 1] == '.');
}

/* RelayEval's _check_received_helos: the last untrusted relay with a
 * public address decides (each resets the flag); a dotcom HELO from a
 * host with no reverse DNS, as an MTA that looks names up says. */
static int
ev_no_rdns_dotcom_helo(struct sp_evctx *c, const struct sp_evcall *a)
{
	static const char *const doms[] = {
	    "lycos.com",  "lycos.co.uk",  "hotmail.com", "localhost.com",
	    "excite.com", "caramail.com", "cs.com",	 "aol.com",
	    "msn.com",	  "yahoo.com",	  "drizzle.com", NULL};
	const struct sp_relays *r = ev_relays(c);
	size_t i, k;
	int hit = 0;

	(void)a;
	for (i = r ? r->ntrusted : 0; r != NULL && i < r->n; i++) {
		const struct sp_relay *x = &r->v[i];

		if (x->ip_private)
			continue;
		hit = 0;
		for (k = 0; doms[k] != NULL; k++)
			if (ev_ends_label(x->helo, doms[k]) && x->no_rdns)
				hit = 1;
	}
	return hit;
}

/* The registrable part of a host, roughly: the last two labels, three
 * under a two-letter country code with a short second label. */
static const char *
ev_regdom(const char *h)
{
	const char *p = h + strlen(h), *l1 = NULL, *l2 = NULL, *l3 = NULL;

	/* from the end: l1 starts the last label, l2 the one before, l3
	 * the one before that (NULL: h starts it) */
	while (p > h && l3 == NULL) {
		p--;
		if (*p != '.')
			continue;
		if (l1 == NULL)
			l1 = p + 1;
		else if (l2 == NULL)
			l2 = p + 1;
		else
			l3 = p + 1;
	}
	if (l1 == NULL)
		return h;
	if (l2 == NULL)
		l2 = h;
	if (strlen(l1) == 2 && l1 - l2 - 1 <= 3 && l2 != h)
		return l3 ? l3 : h;
	return l2;
}

static int
ev_mailfrom_rcvd(struct sp_evctx *c, const struct sp_evcall *a)
{
	const struct sp_relays *r = ev_relays(c);
	const char *e = ev_envfrom(c), *at, *ad;
	char addr[256];
	size_t i, lo, hi;

	(void)a;
	if (r == NULL || e == NULL || ev_addr(e, addr, sizeof(addr)) < 0 ||
	    (at = strrchr(addr, '@')) == NULL || strchr(at, '.') == NULL)
		return 0;
	ad = ev_regdom(at + 1);
	if (r->n > r->ntrusted) {
		lo = r->ntrusted;
		hi = lo + 1;
	} else {
		lo = 0;
		hi = r->ntrusted;
	}
	for (i = lo; i < hi; i++)
		if (r->v[i].rdns[0] != '\0' &&
		    strcasecmp(ev_regdom(r->v[i].rdns), ad) == 0)
			return 1;
	return 0;
}

const struct sp_evdef ev_relay_defs[] = {
    {"check_no_relays", ev_no_relays, 0, 0},
    {"check_all_trusted", ev_all_trusted, 0, 0},
    {"check_relays_unparseable", ev_unparseable, 0, 0},
    {"helo_ip_mismatch", ev_helo_ip_mismatch, 0, 0},
    {"check_for_no_rdns_dotcom_helo", ev_no_rdns_dotcom_helo, 0, 0},
    {"check_mailfrom_matches_rcvd", ev_mailfrom_rcvd, 0, 0},
    {NULL, NULL, 0, 0},
};
