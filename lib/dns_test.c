/* lib/dns_test.c - reverse names, the answer parser over wire bytes built
 * with ldns, and the resolver's failure paths on loopback. */
#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns.h"

struct rev_case {
	const char *ip, *zone, *want; /* want NULL = error */
};

static const struct rev_case rev_cases[] = {
    {"192.0.2.1", "zen.example", "1.2.0.192.zen.example"},
    {"127.0.0.2", "", "2.0.0.127"},
    {"10.20.30.40", NULL, "40.30.20.10"},
    {"2001:db8::1", "bl.example",
     "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
     "bl.example"},
    {"::1", "ip6.arpa",
     "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
     "ip6.arpa"},
    {"300.1.1.1", "z", NULL},
    {"example.org", "z", NULL},
    {"", "z", NULL},
    {"1.2.3.4 ", "z", NULL},
};

static void
test_reverse_names_for_ipv4_and_ipv6(void **state)
{
	char out[200];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(rev_cases) / sizeof(rev_cases[0]); i++) {
		const struct rev_case *c = &rev_cases[i];

		rc = dns_reverse_name(c->ip, c->zone, out, sizeof(out));
		if (c->want == NULL) {
			if (rc != -1)
				fail_msg("%s: got %d (%s), want -1", c->ip, rc,
					 out);
			continue;
		}
		if (rc != 0 || strcmp(out, c->want) != 0)
			fail_msg("%s: got %d '%s', want '%s'", c->ip, rc,
				 rc == 0 ? out : "", c->want);
	}
}

static void
test_reverse_name_refuses_short_buffer(void **state)
{
	char out[12];

	(void)state;
	if (dns_reverse_name("192.0.2.1", "zen.example", out, sizeof(out)) !=
	    -1)
		fail_msg("got success into 12 bytes, want -1");
	if (dns_reverse_name("2001:db8::1", NULL, out, sizeof(out)) != -1)
		fail_msg("got success for IPv6 into 12 bytes, want -1");
}

/* An answer packet: rcode, question, answer and authority rrs in zone
 * file syntax (NULL-terminated lists). */
struct pkt_spec {
	const char *name;  /* test label */
	const char *qname; /* question and asked name */
	enum dns_type type;
	int rcode;
	const char *question; /* NULL = same as qname/type */
	const char *an[6];
	const char *ns[3];
	enum dns_status want;
	const char *want_rrs[4]; /* NULL-terminated */
	unsigned want_ttl, want_neg;
};

static const struct pkt_spec pkt_cases[] = {
    {"txt strings concatenated",
     "s._domainkey.example.org",
     DNS_T_TXT,
     0,
     NULL,
     {"s._domainkey.example.org. 300 IN TXT \"v=DKIM1; \" \"p=abc\""},
     {},
     DNS_OK,
     {"v=DKIM1; p=abc"},
     300,
     0},
    {"two txt records, smallest ttl",
     "example.org",
     DNS_T_TXT,
     0,
     NULL,
     {"example.org. 600 IN TXT \"v=spf1 -all\"",
      "example.org. 60 IN TXT \"other\""},
     {},
     DNS_OK,
     {"v=spf1 -all", "other"},
     60,
     0},
    {"a records",
     "mx.example.org",
     DNS_T_A,
     0,
     NULL,
     {"mx.example.org. 30 IN A 192.0.2.7", "mx.example.org. 30 IN A 127.0.0.2"},
     {},
     DNS_OK,
     {"192.0.2.7", "127.0.0.2"},
     30,
     0},
    {"aaaa record",
     "mx.example.org",
     DNS_T_AAAA,
     0,
     NULL,
     {"mx.example.org. 30 IN AAAA 2001:db8::25"},
     {},
     DNS_OK,
     {"2001:db8::25"},
     30,
     0},
    {"mx record",
     "example.org",
     DNS_T_MX,
     0,
     NULL,
     {"example.org. 30 IN MX 10 mail.example.net."},
     {},
     DNS_OK,
     {"10 mail.example.net"},
     30,
     0},
    {"null mx",
     "example.org",
     DNS_T_MX,
     0,
     NULL,
     {"example.org. 30 IN MX 0 ."},
     {},
     DNS_OK,
     {"0 ."},
     30,
     0},
    {"ptr record",
     "1.2.0.192.in-addr.arpa",
     DNS_T_PTR,
     0,
     NULL,
     {"1.2.0.192.in-addr.arpa. 30 IN PTR host.example.net."},
     {},
     DNS_OK,
     {"host.example.net"},
     30,
     0},
    {"cname chain followed",
     "www.example.org",
     DNS_T_TXT,
     0,
     NULL,
     {"www.example.org. 30 IN CNAME a.example.net.",
      "a.example.net. 30 IN CNAME b.example.com.",
      "b.example.com. 20 IN TXT \"end\"",
      "unrelated.example.com. 20 IN TXT \"not me\""},
     {},
     DNS_OK,
     {"end"},
     20,
     0},
    {"owner compared without case",
     "EXAMPLE.org",
     DNS_T_TXT,
     0,
     NULL,
     {"example.ORG. 5 IN TXT \"x\""},
     {},
     DNS_OK,
     {"x"},
     5,
     0},
    {"record of another name ignored",
     "example.org",
     DNS_T_TXT,
     0,
     NULL,
     {"evil.example. 30 IN TXT \"v=spf1 +all\""},
     {"example.org. 300 IN SOA ns. h. 1 2 3 4 120"},
     DNS_NODATA,
     {},
     0,
     120},
    {"nxdomain negative ttl from soa minimum",
     "nope.example.org",
     DNS_T_TXT,
     LDNS_RCODE_NXDOMAIN,
     NULL,
     {},
     {"example.org. 300 IN SOA ns. h. 1 2 3 4 60"},
     DNS_NXDOMAIN,
     {},
     0,
     60},
    {"negative ttl capped by soa ttl",
     "nope.example.org",
     DNS_T_A,
     LDNS_RCODE_NXDOMAIN,
     NULL,
     {},
     {"example.org. 10 IN SOA ns. h. 1 2 3 4 600"},
     DNS_NXDOMAIN,
     {},
     0,
     10},
    {"nodata without soa is not cacheable",
     "example.org",
     DNS_T_AAAA,
     0,
     NULL,
     {},
     {},
     DNS_NODATA,
     {},
     0,
     0},
    {"servfail is temporary",
     "example.org",
     DNS_T_TXT,
     LDNS_RCODE_SERVFAIL,
     NULL,
     {},
     {},
     DNS_TEMPFAIL,
     {},
     0,
     0},
    {"refused is permanent",
     "example.org",
     DNS_T_TXT,
     LDNS_RCODE_REFUSED,
     NULL,
     {},
     {},
     DNS_PERMFAIL,
     {},
     0,
     0},
    {"formerr is permanent",
     "example.org",
     DNS_T_TXT,
     LDNS_RCODE_FORMERR,
     NULL,
     {},
     {},
     DNS_PERMFAIL,
     {},
     0,
     0},
    {"answer to another question",
     "example.org",
     DNS_T_TXT,
     0,
     "other.example. IN TXT",
     {"example.org. 30 IN TXT \"x\""},
     {},
     DNS_PERMFAIL,
     {},
     0,
     0},
};

static size_t
build_pkt(const struct pkt_spec *c, uint8_t **wire)
{
	char q[300];
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *rr = NULL;
	size_t i, size = 0;

	assert_non_null(pkt);
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_id(pkt, 4242);
	ldns_pkt_set_rcode(pkt, (uint8_t)c->rcode);
	snprintf(q, sizeof(q), "%s. IN %s", c->qname,
		 ldns_rr_descript((uint16_t)c->type)->_name);
	assert_int_equal(
	    ldns_rr_new_question_frm_str(
		&rr, c->question != NULL ? c->question : q, NULL, NULL),
	    LDNS_STATUS_OK);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, rr);
	for (i = 0; c->an[i] != NULL; i++) {
		if (ldns_rr_new_frm_str(&rr, c->an[i], 0, NULL, NULL) !=
		    LDNS_STATUS_OK)
			fail_msg("%s: bad test rr '%s'", c->name, c->an[i]);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
	}
	for (i = 0; c->ns[i] != NULL; i++) {
		if (ldns_rr_new_frm_str(&rr, c->ns[i], 0, NULL, NULL) !=
		    LDNS_STATUS_OK)
			fail_msg("%s: bad test rr '%s'", c->name, c->ns[i]);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, rr);
	}
	assert_int_equal(ldns_pkt2wire(wire, pkt, &size), LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	return size;
}

static void
check_case(const struct pkt_spec *c)
{
	struct dns_answer ans;
	uint8_t *wire;
	size_t len, i, n = 0;
	unsigned neg = 99;
	enum dns_status st;

	len = build_pkt(c, &wire);
	st = dns_parse_answer(wire, len, c->qname, c->type, &ans, &neg);
	free(wire);
	if (st != c->want || ans.status != c->want)
		fail_msg("%s: got %s (%s), want %s", c->name, dns_strstatus(st),
			 ans.error, dns_strstatus(c->want));
	while (n < 4 && c->want_rrs[n] != NULL)
		n++;
	if (ans.nrrs != n)
		fail_msg("%s: got %zu rrs, want %zu", c->name, ans.nrrs, n);
	for (i = 0; i < n; i++)
		if (strcmp(ans.rrs[i], c->want_rrs[i]) != 0 ||
		    ans.lens[i] != strlen(c->want_rrs[i]))
			fail_msg("%s: rr %zu got '%s', want '%s'", c->name, i,
				 ans.rrs[i], c->want_rrs[i]);
	if (st == DNS_OK && ans.ttl != c->want_ttl)
		fail_msg("%s: got ttl %u, want %u", c->name, ans.ttl,
			 c->want_ttl);
	if (neg != c->want_neg)
		fail_msg("%s: got negative ttl %u, want %u", c->name, neg,
			 c->want_neg);
	dns_answer_clear(&ans);
}

static void
test_answer_parser_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pkt_cases) / sizeof(pkt_cases[0]); i++)
		check_case(&pkt_cases[i]);
}

static void
test_txt_long_record_over_255_bytes_joins(void **state)
{
	char big[700], rrtext[800];
	struct pkt_spec c = {"long txt", "k.example", DNS_T_TXT, 0,
			     NULL,	 {rrtext},    {},	 DNS_OK,
			     {big},	 1,	      0};

	(void)state;
	memset(big, 'A', 600);
	big[600] = '\0';
	/* three character-strings: 255 + 255 + 90 */
	snprintf(rrtext, sizeof(rrtext),
		 "k.example. 1 IN TXT \"%.255s\" "
		 "\"%.255s\" \"%.90s\"",
		 big, big, big);
	check_case(&c);
}

static void
test_garbage_is_a_permanent_failure(void **state)
{
	static const unsigned char junk[][13] = {
	    {0},
	    {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xff},
	};
	struct dns_answer ans;
	unsigned neg;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		if (dns_parse_answer(junk[i], i == 0 ? 3 : 13, "a.example",
				     DNS_T_TXT, &ans, &neg) != DNS_PERMFAIL)
			fail_msg("junk %zu: got %s, want permfail", i,
				 dns_strstatus(ans.status));
		dns_answer_clear(&ans);
	}
}

static void
test_bad_server_address_is_refused(void **state)
{
	static const char *bad[] = {
	    "nonsense", "127.0.0.1@0", "127.0.0.1@70000", "[::1", "[::1]x",
	    "1.2.3.4:", "@53"};
	struct dns_config cfg = {0};
	struct dns_resolver *r;
	char err[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.server = bad[i];
		if (dns_resolver_new(&cfg, &r, err, sizeof(err)) != -1) {
			dns_resolver_free(&r);
			fail_msg("'%s': got success, want -1", bad[i]);
		}
	}
	cfg.server = "[::1]:5353";
	assert_int_equal(dns_resolver_new(&cfg, &r, err, sizeof(err)), 0);
	dns_resolver_free(&r);
	assert_null(r);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A UDP socket on 127.0.0.1 that never answers: a real timeout. */
static void
test_silent_server_times_out_within_budget(void **state)
{
	struct sockaddr_in sa = {0};
	socklen_t sl = sizeof(sa);
	struct dns_config cfg = {0};
	struct dns_resolver *r;
	struct dns_answer ans;
	struct dns_stats st;
	char server[64], err[160];
	long long t0, dt;
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(server, sizeof(server), "127.0.0.1@%u",
		 (unsigned)ntohs(sa.sin_port));
	cfg.server = server;
	cfg.timeout_ms = 400;
	cfg.retries = 2;
	assert_int_equal(dns_resolver_new(&cfg, &r, err, sizeof(err)), 0);
	t0 = now_ms();
	if (dns_query(r, "example.org", DNS_T_TXT, &ans) != DNS_TEMPFAIL)
		fail_msg("got %s, want tempfail", dns_strstatus(ans.status));
	dt = now_ms() - t0;
	if (dt < 300 || dt > 2000)
		fail_msg("got %lld ms, want about 400", dt);
	dns_answer_clear(&ans);
	/* never cached: a second query goes to the network again */
	(void)dns_query(r, "example.org", DNS_T_TXT, &ans);
	dns_answer_clear(&ans);
	dns_stats(r, &st);
	if (st.queries != 2 || st.misses != 2 || st.hits != 0 ||
	    st.timeouts != 2)
		fail_msg("got queries %llu misses %llu hits %llu timeouts %llu,"
			 " want 2 2 0 2",
			 st.queries, st.misses, st.hits, st.timeouts);
	dns_resolver_free(&r);
	close(fd);
}

/* A UDP server on 127.0.0.1 that answers every A question with
 * 127.0.0.2 (TTL 300) and counts the questions. */
struct answerer {
	int fd;
	int stop;
	int seen;
	pthread_t th;
};

static void *
answerer_run(void *arg)
{
	struct answerer *a = arg;
	unsigned char q[512], out[600];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	size_t qend;

	while (!__atomic_load_n(&a->stop, __ATOMIC_SEQ_CST)) {
		fl = sizeof(from);
		n = recvfrom(a->fd, q, sizeof(q), 0, (struct sockaddr *)&from,
			     &fl);
		if (n < 17)
			continue;
		__atomic_add_fetch(&a->seen, 1, __ATOMIC_SEQ_CST);
		for (qend = 12; qend < (size_t)n && q[qend] != 0;
		     qend += q[qend] + 1)
			;
		qend += 5; /* the root label, QTYPE, QCLASS */
		if (qend > (size_t)n)
			continue;
		memcpy(out, q, qend);
		out[2] = 0x81;		/* QR, RD */
		out[3] = 0x80;		/* RA, NOERROR */
		out[6] = 0, out[7] = 1; /* ANCOUNT 1 */
		out[8] = out[9] = 0;	/* NSCOUNT */
		out[10] = out[11] = 0;	/* ARCOUNT: no EDNS */
		memcpy(out + qend,
		       "\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04"
		       "\x7f\x00\x00\x02",
		       16);
		(void)sendto(a->fd, out, qend + 16, 0, (struct sockaddr *)&from,
			     fl);
	}
	return NULL;
}

static void
answerer_start(struct answerer *a, char *server, size_t len)
{
	struct sockaddr_in sa = {0};
	struct timeval tv = {0, 100 * 1000};
	socklen_t sl = sizeof(sa);

	memset(a, 0, sizeof(*a));
	a->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(a->fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(a->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(a->fd, (struct sockaddr *)&sa, &sl), 0);
	assert_int_equal(
	    setsockopt(a->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	snprintf(server, len, "127.0.0.1@%u", (unsigned)ntohs(sa.sin_port));
	assert_int_equal(pthread_create(&a->th, NULL, answerer_run, a), 0);
}

static void
answerer_stop(struct answerer *a)
{
	__atomic_store_n(&a->stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(a->th, NULL);
	close(a->fd);
}

/* Cache-only mode (facteur-spam's first pass): a name not cached fails
 * at once without a packet or a count, and marks the thread; one cached
 * is answered. */
static void
test_cache_only_answers_from_the_cache_and_marks_a_miss(void **state)
{
	struct dns_config cfg = {0};
	struct dns_resolver *r;
	struct dns_answer ans;
	struct dns_stats st;
	struct answerer a;
	char server[64], err[160];
	long long t0;

	(void)state;
	answerer_start(&a, server, sizeof(server));
	cfg.server = server;
	cfg.timeout_ms = 2000;
	assert_int_equal(dns_resolver_new(&cfg, &r, err, sizeof(err)), 0);

	dns_cache_only(1);
	t0 = now_ms();
	if (dns_query(r, "2.0.0.127.zone.example", DNS_T_A, &ans) !=
	    DNS_TEMPFAIL)
		fail_msg("not cached: got %s, want tempfail",
			 dns_strstatus(ans.status));
	dns_answer_clear(&ans);
	assert_true(now_ms() - t0 < 200);
	assert_int_equal(dns_cache_missed(), 1);
	assert_int_equal(__atomic_load_n(&a.seen, __ATOMIC_SEQ_CST), 0);
	dns_cache_only(0);
	assert_int_equal(dns_cache_missed(), 0);

	/* over the network, then cached */
	if (dns_query(r, "2.0.0.127.zone.example", DNS_T_A, &ans) != DNS_OK)
		fail_msg("network: got %s, want ok", dns_strstatus(ans.status));
	assert_int_equal(ans.nrrs, 1);
	assert_string_equal(ans.rrs[0], "127.0.0.2");
	dns_answer_clear(&ans);
	assert_int_equal(__atomic_load_n(&a.seen, __ATOMIC_SEQ_CST), 1);

	dns_cache_only(1);
	if (dns_query(r, "2.0.0.127.zone.example", DNS_T_A, &ans) != DNS_OK)
		fail_msg("cached: got %s, want ok", dns_strstatus(ans.status));
	assert_string_equal(ans.rrs[0], "127.0.0.2");
	dns_answer_clear(&ans);
	assert_int_equal(dns_cache_missed(), 0);
	dns_cache_only(0);
	assert_int_equal(__atomic_load_n(&a.seen, __ATOMIC_SEQ_CST), 1);

	dns_stats(r, &st);
	if (st.queries != 2 || st.misses != 1 || st.hits != 1)
		fail_msg("got queries %llu misses %llu hits %llu, want 2 1 1",
			 st.queries, st.misses, st.hits);
	dns_resolver_free(&r);
	answerer_stop(&a);
}

static void
test_malformed_names_fail_without_a_query(void **state)
{
	static const char *bad[] = {"", ".", "a b.example", "x\n.example"};
	struct dns_config cfg = {0};
	struct dns_resolver *r;
	struct dns_answer ans;
	char err[160], longname[300];
	size_t i;

	(void)state;
	cfg.server = "127.0.0.1@9";
	assert_int_equal(dns_resolver_new(&cfg, &r, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dns_query(r, bad[i], DNS_T_A, &ans) != DNS_PERMFAIL)
			fail_msg("'%s': got %s, want permfail", bad[i],
				 dns_strstatus(ans.status));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	if (dns_query(r, longname, DNS_T_A, &ans) != DNS_PERMFAIL)
		fail_msg("300-byte name: got %s, want permfail",
			 dns_strstatus(ans.status));
	dns_resolver_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reverse_names_for_ipv4_and_ipv6),
	    cmocka_unit_test(test_reverse_name_refuses_short_buffer),
	    cmocka_unit_test(test_answer_parser_table),
	    cmocka_unit_test(test_txt_long_record_over_255_bytes_joins),
	    cmocka_unit_test(test_garbage_is_a_permanent_failure),
	    cmocka_unit_test(test_bad_server_address_is_refused),
	    cmocka_unit_test(test_silent_server_times_out_within_budget),
	    cmocka_unit_test(test_malformed_names_fail_without_a_query),
	    cmocka_unit_test(
		test_cache_only_answers_from_the_cache_and_marks_a_miss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
