/* lib/dns.c - DNS lookups through ldns, with an in-process TTL cache.
 *
 * ldns resolvers are not thread-safe (they keep per-server RTT state and
 * reorder their server list), so each query borrows one from a small
 * locked pool and gives it back. The answer is parsed by
 * dns_parse_answer(), a pure function over the packet, and cached by
 * lib/dns_cache.c. Nothing here logs.
 *
 * SECURITY: every answer is untrusted input. ldns decodes the wire
 * format; we copy only rdata of the asked type, bounded by ldns's sizes,
 * check that the answer matches our query id and question, and never
 * cache a temporary failure. Runs with the caller's privileges; needs no
 * file other than /etc/resolv.conf (when no server is configured). */
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "dns_cache.h"

#define DNS_POOL_IDLE 32   /* idle ldns resolvers kept */
#define DNS_MAX_CHAIN 16   /* CNAME links followed inside one answer */
#define DNS_EDNS_SIZE 1232 /* the DNS flag day 2020 UDP size */

struct dns_resolver {
	struct dns_config cfg;
	ldns_rdf *ns_addr; /* NULL = /etc/resolv.conf */
	uint16_t port;
	pthread_mutex_t lock; /* pool and stats */
	ldns_resolver *idle[DNS_POOL_IDLE];
	size_t nidle;
	struct dns_cache *cache;
	struct dns_stats st;
};

const char *
dns_strstatus(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return "ok";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_NODATA:
		return "nodata";
	case DNS_TEMPFAIL:
		return "tempfail";
	case DNS_PERMFAIL:
		return "permfail";
	}
	return "unknown";
}

static enum dns_status
answer_fail(struct dns_answer *ans, enum dns_status st, const char *what)
{
	dns_answer_clear(ans);
	ans->status = st;
	snprintf(ans->error, sizeof(ans->error), "%s", what);
	return st;
}

/* Appends a copy of p[0..len) as one more rr. 0 or -1. */
static int
answer_push(struct dns_answer *ans, const void *p, size_t len, unsigned ttl)
{
	char **rrs;
	size_t *lens;
	char *s;

	rrs = realloc(ans->rrs, (ans->nrrs + 1) * sizeof(*rrs));
	if (rrs == NULL)
		return -1;
	ans->rrs = rrs;
	lens = realloc(ans->lens, (ans->nrrs + 1) * sizeof(*lens));
	if (lens == NULL)
		return -1;
	ans->lens = lens;
	s = malloc(len + 1);
	if (s == NULL)
		return -1;
	memcpy(s, p, len);
	s[len] = '\0';
	ans->rrs[ans->nrrs] = s;
	ans->lens[ans->nrrs] = len;
	if (ans->nrrs == 0 || ttl < ans->ttl)
		ans->ttl = ttl;
	ans->nrrs++;
	return 0;
}

/* A domain name rdf in presentation form without the trailing dot (the
 * root stays "."). 0 or -1. */
static int
dname_text(const ldns_rdf *rdf, char *out, size_t outlen)
{
	char *s;
	size_t n;

	if (rdf == NULL || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
		return -1;
	s = ldns_rdf2str(rdf);
	if (s == NULL)
		return -1;
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		n--;
	if (n >= outlen) {
		free(s);
		return -1;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	free(s);
	return 0;
}

/* A TXT rr: its character-strings concatenated (RFC 7208 §3.3,
 * RFC 6376 §3.6.2.2). 0 or -1. */
static int
txt_push(struct dns_answer *ans, const ldns_rr *rr)
{
	const ldns_rdf *rdf;
	unsigned char *txt;
	size_t i, n = 0, sz, total = 0;
	int rc;

	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		rdf = ldns_rr_rdf(rr, i);
		sz = ldns_rdf_size(rdf);
		if (ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_STR || sz < 1 ||
		    ldns_rdf_data(rdf)[0] != sz - 1)
			return -1;
		total += sz - 1;
	}
	txt = malloc(total + 1);
	if (txt == NULL)
		return -1;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		rdf = ldns_rr_rdf(rr, i);
		sz = ldns_rdf_size(rdf);
		memcpy(txt + n, ldns_rdf_data(rdf) + 1, sz - 1);
		n += sz - 1;
	}
	rc = answer_push(ans, txt, n, ldns_rr_ttl(rr));
	free(txt);
	return rc;
}

/* Formats one rr of the asked type into the answer. 0, or -1 on a
 * malformed rr (the caller refuses the whole answer). */
static int
rr_push(struct dns_answer *ans, const ldns_rr *rr, enum dns_type type)
{
	char buf[1100];
	const ldns_rdf *rdf;
	size_t sz;
	int len;

	switch (type) {
	case DNS_T_TXT:
		return txt_push(ans, rr);
	case DNS_T_A:
	case DNS_T_AAAA:
		rdf = ldns_rr_rdf(rr, 0);
		sz = type == DNS_T_A ? 4 : 16;
		if (rdf == NULL || ldns_rdf_size(rdf) != sz ||
		    inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6,
			      ldns_rdf_data(rdf), buf, sizeof(buf)) == NULL)
			return -1;
		break;
	case DNS_T_MX:
		rdf = ldns_rr_rdf(rr, 0);
		if (rdf == NULL || ldns_rdf_size(rdf) != 2)
			return -1;
		len = snprintf(buf, sizeof(buf), "%u ",
			       (unsigned)ldns_rdf2native_int16(rdf));
		if (dname_text(ldns_rr_rdf(rr, 1), buf + len,
			       sizeof(buf) - (size_t)len) != 0)
			return -1;
		break;
	case DNS_T_PTR:
		if (dname_text(ldns_rr_rdf(rr, 0), buf, sizeof(buf)) != 0)
			return -1;
		break;
	default:
		return -1;
	}
	return answer_push(ans, buf, strlen(buf), ldns_rr_ttl(rr));
}

/* Negative TTL from the SOA in the authority section (RFC 2308 §5:
 * the smaller of its TTL and its MINIMUM field); 0 when there is none. */
static unsigned
soa_neg_ttl(const ldns_pkt *pkt)
{
	const ldns_rr_list *auth = ldns_pkt_authority(pkt);
	const ldns_rr *rr;
	const ldns_rdf *min;
	uint32_t ttl, m;
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA)
			continue;
		min = ldns_rr_rdf(rr, 6);
		if (min == NULL || ldns_rdf_size(min) != 4)
			return 0;
		ttl = ldns_rr_ttl(rr);
		m = ldns_rdf2native_int32(min);
		return m < ttl ? m : ttl;
	}
	return 0;
}

static int
chain_has(ldns_rdf *const *chain, size_t n, const ldns_rdf *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ldns_dname_compare(chain[i], name) == 0)
			return 1;
	return 0;
}

/* Names the answer section links qname to through CNAMEs, qname first.
 * Borrowed from the packet except chain[0]. Returns the count. */
static size_t
cname_chain(const ldns_rr_list *an, ldns_rdf *qname, ldns_rdf **chain)
{
	const ldns_rr *rr;
	ldns_rdf *target;
	size_t n = 1, i, pass;
	int grew = 1;

	chain[0] = qname;
	for (pass = 0; grew && pass < DNS_MAX_CHAIN; pass++) {
		grew = 0;
		for (i = 0; i < ldns_rr_list_rr_count(an) && n < DNS_MAX_CHAIN;
		     i++) {
			rr = ldns_rr_list_rr(an, i);
			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME)
				continue;
			target = ldns_rr_rdf(rr, 0);
			if (target == NULL ||
			    !chain_has(chain, n, ldns_rr_owner(rr)) ||
			    chain_has(chain, n, target))
				continue;
			chain[n++] = target;
			grew = 1;
		}
	}
	return n;
}

/* Question section: absent is tolerated, a different one is not. */
static int
question_matches(const ldns_pkt *pkt, const ldns_rdf *qname, enum dns_type type)
{
	const ldns_rr_list *q = ldns_pkt_question(pkt);
	const ldns_rr *rr;

	if (ldns_rr_list_rr_count(q) == 0)
		return 1;
	rr = ldns_rr_list_rr(q, 0);
	return ldns_rr_list_rr_count(q) == 1 &&
	       ldns_rr_get_type(rr) == (ldns_rr_type)type &&
	       ldns_dname_compare(ldns_rr_owner(rr), qname) == 0;
}

/* target (256 bytes, may be NULL) gets the last name of a CNAME chain
 * that ends without data: the server did not follow it (an authoritative
 * server answering for another zone), so dns_query() asks for it. */
static enum dns_status
parse_pkt(const ldns_pkt *pkt, ldns_rdf *qname, enum dns_type type,
	  struct dns_answer *ans, unsigned *neg_ttl, char *target)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	ldns_rdf *chain[DNS_MAX_CHAIN];
	const ldns_rr *rr;
	size_t i, n;

	*neg_ttl = 0;
	if (!question_matches(pkt, qname, type))
		return answer_fail(ans, DNS_PERMFAIL,
				   "answer does not match the question");
	switch (ldns_pkt_get_rcode(pkt)) {
	case LDNS_RCODE_NOERROR:
		break;
	case LDNS_RCODE_NXDOMAIN:
		*neg_ttl = soa_neg_ttl(pkt);
		ans->status = DNS_NXDOMAIN;
		return DNS_NXDOMAIN;
	case LDNS_RCODE_SERVFAIL:
		return answer_fail(ans, DNS_TEMPFAIL, "server failure");
	case LDNS_RCODE_REFUSED:
		return answer_fail(ans, DNS_PERMFAIL, "query refused");
	case LDNS_RCODE_FORMERR:
		return answer_fail(ans, DNS_PERMFAIL, "format error");
	case LDNS_RCODE_NOTIMPL:
		return answer_fail(ans, DNS_PERMFAIL, "not implemented");
	default:
		return answer_fail(ans, DNS_TEMPFAIL, "unexpected rcode");
	}
	if (ldns_pkt_tc(pkt))
		return answer_fail(ans, DNS_TEMPFAIL, "truncated answer");
	n = cname_chain(an, qname, chain);
	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != (ldns_rr_type)type ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    !chain_has(chain, n, ldns_rr_owner(rr)))
			continue;
		if (rr_push(ans, rr, type) != 0)
			return answer_fail(ans, DNS_PERMFAIL,
					   "malformed record in the answer");
	}
	if (ans->nrrs == 0) {
		*neg_ttl = soa_neg_ttl(pkt);
		if (n > 1 && target != NULL &&
		    dname_text(chain[n - 1], target, 256) != 0)
			target[0] = '\0';
		ans->status = DNS_NODATA;
		return DNS_NODATA;
	}
	ans->status = DNS_OK;
	return DNS_OK;
}

static int
type_known(enum dns_type type)
{
	return type == DNS_T_A || type == DNS_T_AAAA || type == DNS_T_TXT ||
	       type == DNS_T_MX || type == DNS_T_PTR;
}

enum dns_status
dns_parse_answer(const unsigned char *wire, size_t len, const char *qname,
		 enum dns_type type, struct dns_answer *ans, unsigned *neg_ttl)
{
	ldns_pkt *pkt = NULL;
	ldns_rdf *name;
	enum dns_status st;

	memset(ans, 0, sizeof(*ans));
	*neg_ttl = 0;
	if (!type_known(type))
		return answer_fail(ans, DNS_PERMFAIL, "unsupported type");
	name = ldns_dname_new_frm_str(qname);
	if (name == NULL)
		return answer_fail(ans, DNS_PERMFAIL, "malformed name");
	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(name);
		return answer_fail(ans, DNS_PERMFAIL, "malformed answer");
	}
	st = parse_pkt(pkt, name, type, ans, neg_ttl, NULL);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(name);
	return st;
}

/* "ADDR", "ADDR@PORT", "ADDR:PORT" (IPv4), "[ADDR]:PORT", "[ADDR]@PORT".
 * 0 or -1. */
static int
parse_server(const char *s, ldns_rdf **addr, uint16_t *port)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *end, *p = NULL;
	unsigned long v;
	char *ep;
	size_t n;

	*port = 53;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL)
			return -1;
		n = (size_t)(end - s - 1);
		s++;
		if (end[1] == ':' || end[1] == '@')
			p = end + 2;
		else if (end[1] != '\0')
			return -1;
	} else if ((end = strchr(s, '@')) != NULL ||
		   ((end = strchr(s, ':')) != NULL &&
		    strchr(end + 1, ':') == NULL)) {
		n = (size_t)(end - s);
		p = end + 1;
	} else
		n = strlen(s);
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (p != NULL) {
		v = strtoul(p, &ep, 10);
		if (*p == '\0' || *ep != '\0' || v == 0 || v > 65535)
			return -1;
		*port = (uint16_t)v;
	}
	*addr = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, host);
	if (*addr == NULL)
		*addr = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, host);
	return *addr != NULL ? 0 : -1;
}

/* A fresh ldns resolver set up from the config; NULL on failure. */
static ldns_resolver *
resolver_make(const struct dns_resolver *r)
{
	ldns_resolver *res = NULL;
	struct timeval tv;
	long long per_try;

	if (r->ns_addr == NULL) {
		if (ldns_resolver_new_frm_file(&res, NULL) != LDNS_STATUS_OK)
			return NULL;
	} else {
		res = ldns_resolver_new();
		if (res == NULL)
			return NULL;
		if (ldns_resolver_push_nameserver(res, r->ns_addr) !=
		    LDNS_STATUS_OK) {
			ldns_resolver_deep_free(res);
			return NULL;
		}
		ldns_resolver_set_port(res, r->port);
	}
	per_try = r->cfg.timeout_ms / r->cfg.retries;
	if (per_try < 1)
		per_try = 1;
	tv.tv_sec = per_try / 1000;
	tv.tv_usec = (per_try % 1000) * 1000;
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, (uint8_t)r->cfg.retries);
	ldns_resolver_set_retrans(res, 0); /* ldns sleeps this many seconds */
	ldns_resolver_set_recursive(res, true);
	ldns_resolver_set_dnssec(res, false);
	ldns_resolver_set_edns_udp_size(res, DNS_EDNS_SIZE);
	ldns_resolver_set_fallback(res, true);
	ldns_resolver_set_usevc(res, r->cfg.use_tcp != 0);
	ldns_resolver_set_random(res, false);
	return res;
}

int
dns_resolver_new(const struct dns_config *cfg, struct dns_resolver **out,
		 char *err, size_t errlen)
{
	struct dns_resolver *r;
	ldns_resolver *probe;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->cfg = *cfg;
	r->cfg.server = NULL;
	if (r->cfg.timeout_ms <= 0)
		r->cfg.timeout_ms = 5000;
	if (r->cfg.retries <= 0)
		r->cfg.retries = 1;
	if (r->cfg.retries > 10)
		r->cfg.retries = 10;
	if (r->cfg.max_ttl <= 0)
		r->cfg.max_ttl = 3600;
	if (r->cfg.neg_ttl <= 0)
		r->cfg.neg_ttl = 300;
	if (cfg->server != NULL && cfg->server[0] != '\0' &&
	    parse_server(cfg->server, &r->ns_addr, &r->port) != 0) {
		snprintf(err, errlen, "bad DNS server address '%.60s'",
			 cfg->server);
		free(r);
		return -1;
	}
	if (pthread_mutex_init(&r->lock, NULL) != 0 ||
	    dns_cache_new(cfg->cache_entries, NULL, NULL, &r->cache) != 0) {
		snprintf(err, errlen, "out of memory");
		ldns_rdf_deep_free(r->ns_addr);
		free(r);
		return -1;
	}
	/* Fail now, not on the first message, if resolv.conf is unusable. */
	probe = resolver_make(r);
	if (probe == NULL) {
		snprintf(err, errlen, "cannot set up a resolver%s",
			 r->ns_addr == NULL ? " from /etc/resolv.conf" : "");
		dns_resolver_free(&r);
		return -1;
	}
	r->idle[r->nidle++] = probe;
	*out = r;
	return 0;
}

void
dns_resolver_free(struct dns_resolver **rp)
{
	struct dns_resolver *r = *rp;

	if (r == NULL)
		return;
	while (r->nidle > 0)
		ldns_resolver_deep_free(r->idle[--r->nidle]);
	dns_cache_free(&r->cache);
	ldns_rdf_deep_free(r->ns_addr);
	pthread_mutex_destroy(&r->lock);
	free(r);
	*rp = NULL;
}

static ldns_resolver *
pool_get(struct dns_resolver *r)
{
	ldns_resolver *res = NULL;
	size_t i;

	pthread_mutex_lock(&r->lock);
	if (r->nidle > 0)
		res = r->idle[--r->nidle];
	pthread_mutex_unlock(&r->lock);
	if (res == NULL)
		res = resolver_make(r);
	/* ldns marks a server that timed out as unreachable for good. */
	if (res != NULL)
		for (i = 0; i < ldns_resolver_nameserver_count(res); i++)
			ldns_resolver_set_nameserver_rtt(res, i,
							 LDNS_RESOLV_RTT_MIN);
	return res;
}

static void
pool_put(struct dns_resolver *r, ldns_resolver *res)
{
	pthread_mutex_lock(&r->lock);
	if (r->nidle < DNS_POOL_IDLE) {
		r->idle[r->nidle++] = res;
		res = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	if (res != NULL)
		ldns_resolver_deep_free(res);
}

/* Lowercase, no trailing dot, 1..253 bytes of printable ASCII. */
static int
normalise_name(const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name), i;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || n >= outlen)
		return -1;
	for (i = 0; i < n; i++) {
		if (name[i] <= ' ' || name[i] >= 0x7f)
			return -1;
		out[i] = (char)tolower((unsigned char)name[i]);
	}
	out[n] = '\0';
	return 0;
}

static void
stat_add(struct dns_resolver *r, unsigned long long *ctr)
{
	pthread_mutex_lock(&r->lock);
	(*ctr)++;
	pthread_mutex_unlock(&r->lock);
}

/* One more query, and one more of *also (a hit or a miss) if not NULL,
 * under one lock: dns_query's hot path. */
static void
stat_query(struct dns_resolver *r, unsigned long long *also)
{
	pthread_mutex_lock(&r->lock);
	r->st.queries++;
	if (also != NULL)
		(*also)++;
	pthread_mutex_unlock(&r->lock);
}

/* Sends the query and parses the answer; no cache. */
static enum dns_status
query_wire(struct dns_resolver *r, ldns_resolver *res, ldns_rdf *qname,
	   enum dns_type type, struct dns_answer *ans, unsigned *neg_ttl,
	   char *target)
{
	ldns_pkt *q = NULL, *a = NULL;
	ldns_status ls;
	enum dns_status st;
	char msg[120];

	ls = ldns_resolver_prepare_query_pkt(&q, res, qname, (ldns_rr_type)type,
					     LDNS_RR_CLASS_IN, LDNS_RD);
	if (ls != LDNS_STATUS_OK)
		return answer_fail(ans, DNS_PERMFAIL, "cannot build query");
	ls = ldns_resolver_send_pkt(&a, res, q);
	if (ls != LDNS_STATUS_OK || a == NULL) {
		snprintf(msg, sizeof(msg), "no answer: %s",
			 ldns_get_errorstr_by_id(ls) != NULL
			     ? ldns_get_errorstr_by_id(ls)
			     : "network error");
		stat_add(r, &r->st.timeouts);
		st = answer_fail(ans, DNS_TEMPFAIL, msg);
	} else if (ldns_pkt_id(a) != ldns_pkt_id(q))
		st = answer_fail(ans, DNS_TEMPFAIL, "answer id mismatch");
	else
		st = parse_pkt(a, qname, type, ans, neg_ttl, target);
	ldns_pkt_free(q);
	ldns_pkt_free(a);
	return st;
}

/* One question over the network, no cache. */
static enum dns_status
lookup_net(struct dns_resolver *r, const char *key, enum dns_type type,
	   struct dns_answer *ans, unsigned *neg, char *target)
{
	ldns_resolver *res;
	ldns_rdf *qname;
	enum dns_status st;

	qname = ldns_dname_new_frm_str(key);
	if (qname == NULL)
		return answer_fail(ans, DNS_PERMFAIL, "malformed name");
	res = pool_get(r);
	if (res == NULL) {
		ldns_rdf_deep_free(qname);
		return answer_fail(ans, DNS_TEMPFAIL, "cannot make resolver");
	}
	st = query_wire(r, res, qname, type, ans, neg, target);
	pool_put(r, res);
	ldns_rdf_deep_free(qname);
	return st;
}

/* lookup_net(), then the rest of a CNAME chain the server left for us
 * (bounded: DNS_MAX_CHAIN questions in all). */
static enum dns_status
lookup_chased(struct dns_resolver *r, const char *key, enum dns_type type,
	      struct dns_answer *ans, unsigned *neg)
{
	char cur[256], target[256];
	enum dns_status st;
	int hop;

	snprintf(cur, sizeof(cur), "%s", key);
	for (hop = 0; hop < DNS_MAX_CHAIN; hop++) {
		target[0] = '\0';
		st = lookup_net(r, cur, type, ans, neg, target);
		if (st != DNS_NODATA || target[0] == '\0')
			return st;
		if (normalise_name(target, cur, sizeof(cur)) != 0)
			return st;
		dns_answer_clear(ans);
	}
	return answer_fail(ans, DNS_PERMFAIL, "CNAME chain too long");
}

static __thread int dns_tl_cache_only, dns_tl_missed;

void
dns_cache_only(int on)
{
	dns_tl_cache_only = on;
	dns_tl_missed = 0;
}

int
dns_cache_missed(void)
{
	return dns_tl_missed;
}

enum dns_status
dns_query(struct dns_resolver *r, const char *name, enum dns_type type,
	  struct dns_answer *ans)
{
	char key[256];
	enum dns_status st;
	unsigned neg = 0, ttl;

	memset(ans, 0, sizeof(*ans));
	if (!type_known(type)) {
		stat_query(r, NULL);
		return answer_fail(ans, DNS_PERMFAIL, "unsupported type");
	}
	if (normalise_name(name, key, sizeof(key)) != 0) {
		stat_query(r, NULL);
		return answer_fail(ans, DNS_PERMFAIL, "malformed name");
	}
	if (dns_cache_get(r->cache, key, type, ans) == 1) {
		stat_query(r, &r->st.hits);
		return ans->status;
	}
	if (dns_tl_cache_only) {
		dns_tl_missed = 1;
		return answer_fail(ans, DNS_TEMPFAIL, "not in the cache");
	}
	stat_query(r, &r->st.misses);
	st = lookup_chased(r, key, type, ans, &neg);
	if (st == DNS_OK)
		ttl = ans->ttl < r->cfg.max_ttl ? ans->ttl
						: (unsigned)r->cfg.max_ttl;
	else if (st == DNS_NXDOMAIN || st == DNS_NODATA)
		ttl = neg < r->cfg.neg_ttl ? neg : (unsigned)r->cfg.neg_ttl;
	else
		ttl = 0;
	if (ttl > 0 && dns_cache_put(r->cache, key, type, ans, ttl) != 0) {
		/* No memory for the cache: only costs a later re-query. */
	}
	return st;
}

void
dns_stats(struct dns_resolver *r, struct dns_stats *st)
{
	pthread_mutex_lock(&r->lock);
	*st = r->st;
	pthread_mutex_unlock(&r->lock);
}

static int
reverse_v4(const unsigned char *a, char *out, size_t outlen)
{
	int n;

	n = snprintf(out, outlen, "%u.%u.%u.%u", a[3], a[2], a[1], a[0]);
	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

static int
reverse_v6(const unsigned char *a, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (outlen < 64)
		return -1;
	for (i = 16; i-- > 0;) {
		out[o++] = hex[a[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[a[i] >> 4];
		out[o++] = '.';
	}
	out[--o] = '\0'; /* drop the last dot */
	return (int)o;
}

int
dns_reverse_name(const char *ip, const char *zone, char *out, size_t outlen)
{
	unsigned char a[16];
	int n;
	size_t zl;

	if (ip == NULL || out == NULL || outlen == 0)
		return -1;
	if (inet_pton(AF_INET, ip, a) == 1)
		n = reverse_v4(a, out, outlen);
	else if (inet_pton(AF_INET6, ip, a) == 1)
		n = reverse_v6(a, out, outlen);
	else
		return -1;
	if (n < 0)
		return -1;
	if (zone == NULL || zone[0] == '\0')
		return 0;
	zl = strlen(zone);
	if ((size_t)n + 1 + zl + 1 > outlen)
		return -1;
	out[n] = '.';
	memcpy(out + n + 1, zone, zl + 1);
	return 0;
}
