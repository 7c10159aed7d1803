/* lib/spf.c - SPF (RFC 7208) through libspf2, with lib/dns underneath.
 *
 * libspf2 evaluates; every DNS lookup it makes goes through our own
 * SPF_dns_server_t layer whose lookup() calls dns_query(), so SPF shares
 * the configured resolver, timeouts and TTL cache with DKIM, DMARC and
 * DNSBL. An SPF_server_t is not documented as thread-safe (it holds
 * compiled records and per-server settings), so each check borrows one
 * from a small locked pool.
 *
 * libspf2 writes warnings to stderr by default; spf_new() points its
 * warning/info/debug handlers at a function that drops them (process-
 * wide: we never log from lib/, the caller logs our outcome).
 *
 * SECURITY: SPF records are untrusted input parsed by libspf2 (Debian's
 * patched 1.2.10); the lookup limits of RFC 7208 §4.6.4 are libspf2's
 * defaults. No privilege needed. */
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "dns.h"
#include "spf.h"

#define SPF_POOL_IDLE 16

struct spf {
	struct dns_resolver *dns; /* borrowed */
	char *receiving_host;
	/* Our DNS layer: stateless, shared by every SPF_server_t (libspf2
	 * does not free a layer given to SPF_server_new_dns()). */
	SPF_dns_server_t layer;
	pthread_mutex_t lock;
	SPF_server_t *idle[SPF_POOL_IDLE];
	size_t nidle;
};

const char *
spf_result_str(enum spf_result r)
{
	switch (r) {
	case SPF_R_NONE:
		return "none";
	case SPF_R_NEUTRAL:
		return "neutral";
	case SPF_R_PASS:
		return "pass";
	case SPF_R_FAIL:
		return "fail";
	case SPF_R_SOFTFAIL:
		return "softfail";
	case SPF_R_TEMPERROR:
		return "temperror";
	case SPF_R_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

static void
spf_quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

static SPF_dns_stat_t
herrno_of(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return NETDB_SUCCESS;
	case DNS_NXDOMAIN:
		return HOST_NOT_FOUND;
	case DNS_NODATA:
		return NO_DATA;
	case DNS_TEMPFAIL:
		return TRY_AGAIN;
	case DNS_PERMFAIL:
		break;
	}
	return NO_RECOVERY;
}

/* Copies one of our rr strings into libspf2's slot cnt. 0 or -1. */
static int
rr_fill(SPF_dns_rr_t *rr, int cnt, ns_type type, const char *s, size_t len)
{
	const char *host;
	size_t hl;

	switch (type) {
	case ns_t_a:
		if (SPF_dns_rr_buf_realloc(rr, cnt, sizeof(struct in_addr)) !=
		    SPF_E_SUCCESS)
			return -1;
		return inet_pton(AF_INET, s, &rr->rr[cnt]->a) == 1 ? 0 : -1;
	case ns_t_aaaa:
		if (SPF_dns_rr_buf_realloc(rr, cnt, sizeof(struct in6_addr)) !=
		    SPF_E_SUCCESS)
			return -1;
		return inet_pton(AF_INET6, s, &rr->rr[cnt]->aaaa) == 1 ? 0 : -1;
	case ns_t_mx: /* "PREF HOST": libspf2 wants the host only */
		host = strchr(s, ' ');
		if (host == NULL)
			return -1;
		host++;
		hl = len - (size_t)(host - s);
		if (SPF_dns_rr_buf_realloc(rr, cnt, hl + 1) != SPF_E_SUCCESS)
			return -1;
		memcpy(rr->rr[cnt]->mx, host, hl + 1);
		return 0;
	case ns_t_txt:
	case ns_t_ptr:
		if (SPF_dns_rr_buf_realloc(rr, cnt, len + 1) != SPF_E_SUCCESS)
			return -1;
		memcpy(rr->rr[cnt]->txt, s, len + 1);
		return 0;
	default:
		return -1;
	}
}

/* libspf2's lookup callback: one DNS question through lib/dns. */
static SPF_dns_rr_t *
spf_dns_lookup(SPF_dns_server_t *server, const char *domain, ns_type type,
	       int should_cache)
{
	struct spf *s = server->hook;
	struct dns_answer ans;
	SPF_dns_rr_t *rr;
	enum dns_status st;
	size_t i;
	int cnt = 0;

	(void)should_cache;
	if (type != ns_t_a && type != ns_t_aaaa && type != ns_t_txt &&
	    type != ns_t_mx && type != ns_t_ptr)
		/* type SPF (99) is obsolete (RFC 7208 §3.1): never there */
		return SPF_dns_rr_new_init(server, domain, type, 0, NO_DATA);
	st = dns_query(s->dns, domain, (enum dns_type)type, &ans);
	rr = SPF_dns_rr_new_init(server, domain, type, (int)ans.ttl,
				 herrno_of(st));
	if (rr == NULL) {
		dns_answer_clear(&ans);
		return NULL;
	}
	for (i = 0; st == DNS_OK && i < ans.nrrs; i++)
		if (rr_fill(rr, cnt, type, ans.rrs[i], ans.lens[i]) == 0)
			cnt++;
	rr->num_rr = cnt;
	if (st == DNS_OK && cnt == 0)
		rr->herrno = NO_DATA;
	dns_answer_clear(&ans);
	return rr;
}

static SPF_server_t *
server_make(struct spf *s)
{
	SPF_server_t *srv;

	srv = SPF_server_new_dns(&s->layer, 0);
	if (srv == NULL)
		return NULL;
	if (SPF_server_set_rec_dom(srv, s->receiving_host) != SPF_E_SUCCESS) {
		SPF_server_free(srv);
		return NULL;
	}
	return srv;
}

int
spf_new(struct dns_resolver *dns, const char *receiving_host, struct spf **out,
	char *err, size_t errlen)
{
	struct spf *s;
	SPF_server_t *srv;

	*out = NULL;
	SPF_warning_handler = spf_quiet;
	SPF_info_handler = spf_quiet;
	SPF_debug_handler = spf_quiet;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->dns = dns;
	s->layer.lookup = spf_dns_lookup;
	s->layer.name = "facteur";
	s->layer.hook = s;
	s->receiving_host = strdup(
	    receiving_host != NULL && receiving_host[0] != '\0' ? receiving_host
								: "localhost");
	if (s->receiving_host == NULL ||
	    pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s->receiving_host);
		free(s);
		goto nomem;
	}
	srv = server_make(s);
	if (srv == NULL) {
		snprintf(err, errlen, "cannot set up libspf2");
		spf_free(&s);
		return -1;
	}
	s->idle[s->nidle++] = srv;
	*out = s;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

void
spf_free(struct spf **sp)
{
	struct spf *s = *sp;

	if (s == NULL)
		return;
	while (s->nidle > 0)
		SPF_server_free(s->idle[--s->nidle]);
	pthread_mutex_destroy(&s->lock);
	free(s->receiving_host);
	free(s);
	*sp = NULL;
}

static SPF_server_t *
pool_get(struct spf *s)
{
	SPF_server_t *srv = NULL;

	pthread_mutex_lock(&s->lock);
	if (s->nidle > 0)
		srv = s->idle[--s->nidle];
	pthread_mutex_unlock(&s->lock);
	return srv != NULL ? srv : server_make(s);
}

static void
pool_put(struct spf *s, SPF_server_t *srv)
{
	pthread_mutex_lock(&s->lock);
	if (s->nidle < SPF_POOL_IDLE) {
		s->idle[s->nidle++] = srv;
		srv = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (srv != NULL)
		SPF_server_free(srv);
}

/* libspf2 leaves the result unset (INVALID) when it gives up early:
 * on a DNS failure (TRY_AGAIN) or a record that does not compile. */
static enum spf_result
map_result(SPF_result_t r, SPF_errcode_t err)
{
	if (r == SPF_RESULT_INVALID && err == SPF_E_DNS_ERROR)
		return SPF_R_TEMPERROR;
	switch (r) {
	case SPF_RESULT_PASS:
		return SPF_R_PASS;
	case SPF_RESULT_FAIL:
		return SPF_R_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return SPF_R_SOFTFAIL;
	case SPF_RESULT_NEUTRAL:
		return SPF_R_NEUTRAL;
	case SPF_RESULT_NONE:
		return SPF_R_NONE;
	case SPF_RESULT_TEMPERROR:
		return SPF_R_TEMPERROR;
	case SPF_RESULT_PERMERROR:
	case SPF_RESULT_INVALID:
		break;
	}
	return SPF_R_PERMERROR;
}

static enum spf_result
outcome(struct spf_outcome *out, enum spf_result r, const char *detail)
{
	out->result = r;
	snprintf(out->detail, sizeof(out->detail), "%s", detail);
	return r;
}

/* Sets the client address on the request; "IPv6:" prefixes accepted. */
static int
set_ip(SPF_request_t *req, const char *ip)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strncasecmp(ip, "ipv6:", 5) == 0)
		ip += 5;
	if (inet_pton(AF_INET, ip, &a4) == 1)
		return SPF_request_set_ipv4(req, a4) == SPF_E_SUCCESS ? 0 : -1;
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		return SPF_request_set_ipv6(req, a6) == SPF_E_SUCCESS ? 0 : -1;
	return -1;
}

/* Runs one check_host() for identity (an address, "@domain", or a bare
 * domain that libspf2 turns into postmaster@domain). */
static enum spf_result
run_check(struct spf *s, const char *ip, const char *helo, const char *identity,
	  struct spf_outcome *out)
{
	SPF_server_t *srv;
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	const char *txt;
	enum spf_result r;
	SPF_errcode_t err;

	srv = pool_get(s);
	if (srv == NULL)
		return outcome(out, SPF_R_TEMPERROR, "out of memory");
	req = SPF_request_new(srv);
	if (req == NULL) {
		pool_put(s, srv);
		return outcome(out, SPF_R_TEMPERROR, "out of memory");
	}
	if (set_ip(req, ip) != 0) {
		r = outcome(out, SPF_R_PERMERROR, "bad client address");
		goto done;
	}
	if (helo != NULL && helo[0] != '\0' &&
	    SPF_request_set_helo_dom(req, helo) != SPF_E_SUCCESS) {
		r = outcome(out, SPF_R_PERMERROR, "bad HELO name");
		goto done;
	}
	if (SPF_request_set_env_from(req, identity) != 0) {
		r = outcome(out, SPF_R_PERMERROR, "bad sender identity");
		goto done;
	}
	err = SPF_request_query_mailfrom(req, &resp);
	if (resp == NULL) {
		r = outcome(out, SPF_R_TEMPERROR, "no SPF response");
		goto done;
	}
	r = map_result(SPF_response_result(resp), err);
	txt = SPF_response_get_header_comment(resp);
	outcome(out, r, txt != NULL ? txt : spf_result_str(r));
	txt = SPF_response_get_explanation(resp);
	if (r == SPF_R_FAIL)
		snprintf(
		    out->explanation, sizeof(out->explanation), "%s",
		    txt != NULL && txt[0] != '\0'
			? txt
			: "SPF record does not designate the client address");
	SPF_response_free(resp);
done:
	SPF_request_free(req);
	pool_put(s, srv);
	return r;
}

static void
outcome_init(struct spf_outcome *out, const char *domain, size_t dlen)
{
	memset(out, 0, sizeof(*out));
	if (dlen >= sizeof(out->domain))
		dlen = sizeof(out->domain) - 1;
	memcpy(out->domain, domain, dlen);
	out->domain[dlen] = '\0';
}

enum spf_result
spf_check_helo(struct spf *s, const char *ip, const char *helo,
	       struct spf_outcome *out)
{
	outcome_init(out, helo != NULL ? helo : "",
		     helo != NULL ? strlen(helo) : 0);
	if (helo == NULL || helo[0] == '\0' || helo[0] == '[')
		/* no name or an address literal: nothing to check */
		return outcome(out, SPF_R_NONE, "no HELO domain");
	return run_check(s, ip, helo, helo, out);
}

enum spf_result
spf_check(struct spf *s, const char *ip, const char *helo, const char *mailfrom,
	  struct spf_outcome *out)
{
	char addr[512];
	const char *at;
	size_t n;

	if (mailfrom == NULL)
		mailfrom = "";
	n = strlen(mailfrom);
	if (n >= 2 && mailfrom[0] == '<' && mailfrom[n - 1] == '>') {
		mailfrom++;
		n -= 2;
	}
	if (n == 0) /* null sender: the HELO identity (RFC 7208 §2.4) */
		return spf_check_helo(s, ip, helo, out);
	if (n >= sizeof(addr)) {
		outcome_init(out, "", 0);
		return outcome(out, SPF_R_PERMERROR, "sender too long");
	}
	memcpy(addr, mailfrom, n);
	addr[n] = '\0';
	at = strrchr(addr, '@');
	at = at != NULL ? at + 1 : addr;
	outcome_init(out, at, strlen(at));
	if (at[0] == '\0')
		return outcome(out, SPF_R_NONE, "sender has no domain");
	return run_check(s, ip, helo, addr, out);
}
