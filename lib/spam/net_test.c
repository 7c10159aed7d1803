/* lib/spam/net_test.c - the pure half of the network tests: eval and
 * urirhssub parsing, subtests, URI domains, the Received client, and the
 * rule parser with network tests on and off; then the worker pool of
 * sp_net_check against a DNS server in this process (loopback). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "msgview.h"
#include "net.h"
#include "rules.h"
#include "spf.h"

static void
check_str(const char *got, const char *want, const char *what)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s: got '%s', want '%s'", what, got, want);
}

static void
check_int(long got, long want, const char *what)
{
	if (got != want)
		fail_msg("%s: got %ld, want %ld", what, got, want);
}

static void
eval_check_rbl_parses_set_zone_and_subtest(void **state)
{
	struct sp_net_rule *r;
	const char *why = NULL;

	(void)state;
	check_int(sp_net_parse_eval("eval:check_rbl('zen-lastexternal', "
				    "'Zen.Spamhaus.org.', '127.0.0.[45]')",
				    &r, &why),
		  1, "parse");
	check_int(r->kind, SP_NET_RBL, "kind");
	check_str(r->set, "zen-lastexternal", "set");
	check_str(r->zone, "zen.spamhaus.org", "zone");
	check_str(r->sub, "127.0.0.[45]", "sub");
	sp_net_rule_free(&r);
	check_int(sp_net_parse_eval("eval:check_rbl_sub(\"zen\", "
				    "\"127.0.0.2\")",
				    &r, &why),
		  1, "parse sub");
	check_int(r->kind, SP_NET_RBL_SUB, "kind sub");
	check_str(r->sub, "127.0.0.2", "sub of check_rbl_sub");
	sp_net_rule_free(&r);
	check_int(sp_net_parse_eval("eval:check_for_spf_softfail()", &r, &why),
		  1, "spf");
	check_int(r->arg, SPF_R_SOFTFAIL, "spf arg");
	sp_net_rule_free(&r);
	check_int(
	    sp_net_parse_eval("eval:check_dkim_valid_author_sig()", &r, &why),
	    1, "dkim");
	check_int(r->arg, SP_DKIM_AUTHOR, "dkim arg");
	sp_net_rule_free(&r);
}

static void
eval_others_and_malformed_are_told_apart(void **state)
{
	static const struct {
		const char *s;
		int want;
	} cases[] = {
	    {"eval:check_bayes('0.1', '0.2')", 0},
	    {"eval:check_rbl_from_host('x', 'y.')", 0},
	    {"eval:check_rbl('zen')", -1},
	    {"eval:check_rbl('zen', 'bad zone!')", -1},
	    {"eval:check_rbl('zen', 'z.', 'a', 'b')", -1},
	    {"eval:check_rbl('zen', 'z.'", -1},
	    {"eval:check_rbl('zen', 'z.') junk", -1},
	    {"eval:check_dkim_valid('example.com')", -1},
	    {"eval:check_uridnsbl()", -1},
	    {"/not an eval/", 0},
	};
	struct sp_net_rule *r;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = sp_net_parse_eval(cases[i].s, &r, &why);

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].s, got,
				 cases[i].want);
		sp_net_rule_free(&r);
	}
}

static void
args_are_bounded(void **state)
{
	char a[2][256], big[400];
	size_t n;

	(void)state;
	check_int(sp_net_args("f('a', \"b\")", a, 2, &n), 0, "two");
	check_int((long)n, 2, "count");
	check_str(a[1], "b", "second");
	check_int(sp_net_args("f('a', 'b', 'c')", a, 2, &n), -1, "over max");
	memset(big, 'x', sizeof(big));
	memcpy(big, "f('", 3);
	memcpy(big + sizeof(big) - 3, "')", 3);
	check_int(sp_net_args(big, a, 2, &n), -1, "too long");
	check_int(sp_net_args("f()", a, 2, &n), 0, "none");
	check_int((long)n, 0, "none count");
}

static void
subtests_match_as_spamassassin_reads_them(void **state)
{
	static const struct {
		const char *sub, *answer;
		int want;
	} cases[] = {
	    {"", "127.0.0.9", 1},
	    {"127.0.0.2", "127.0.0.2", 1},
	    {"127.0.0.2", "127.0.0.3", 0},
	    {"2", "127.0.0.2", 1},
	    {"2", "127.0.0.4", 0},
	    {"0x0c", "127.0.0.4", 1},
	    {"127.0.0.4-127.0.0.7", "127.0.0.6", 1},
	    {"127.0.0.4-127.0.0.7", "127.0.0.8", 0},
	    {"127.0.1.0/255.255.255.0", "127.0.1.77", 1},
	    {"127.0.1.0/255.255.255.0", "127.0.2.1", 0},
	    {"127.0.0.[45]", "127.0.0.5", 1},
	    {"127.0.0.[45]", "127.0.0.6", 0},
	    {"^127\\.0\\.0\\.1[01]$", "127.0.0.11", 1},
	};
	struct sp_net_rule r;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		snprintf(r.sub, sizeof(r.sub), "%s", cases[i].sub);
		check_int(sp_net_sub_compile(&r, err, sizeof(err)), 0,
			  cases[i].sub);
		if (sp_net_sub_match(&r, cases[i].answer) != cases[i].want)
			fail_msg("'%s' on %s: got %d, want %d", cases[i].sub,
				 cases[i].answer, !cases[i].want,
				 cases[i].want);
		struct sp_net_rule *p = calloc(1, sizeof(*p));

		*p = r;
		sp_net_rule_free(&p);
	}
	memset(&r, 0, sizeof(r));
	snprintf(r.sub, sizeof(r.sub), "127.0.0.(");
	check_int(sp_net_sub_compile(&r, err, sizeof(err)), -1, "bad regex");
}

static void
uri_domains_are_registrable_unique_and_capped(void **state)
{
	char *hosts[] = {
	    "www.Example.COM", "mail.example.com", "192.0.2.1",
	    "[2001:db8::1]",   "localhost",	   "a.b.c.example.org.",
	    "x.example.net",   "y.example.net",	   "z.other.example"};
	char out[3][256];
	size_t n;

	(void)state;
	n = sp_net_uri_domains(NULL, hosts, 9, 3, out);
	check_int((long)n, 3, "capped count");
	check_str(out[0], "example.com", "first");
	check_str(out[1], "example.org", "second");
	check_str(out[2], "example.net", "third");
	n = sp_net_uri_domains(NULL, hosts, 5, 3, out);
	check_int((long)n, 1, "literals and dotless names left out");
}

static void
received_gives_the_first_public_address(void **state)
{
	char ip[64];

	(void)state;
	check_int(
	    sp_net_received_ip("from a (a [10.0.0.1]) by b", ip, sizeof(ip)),
	    -1, "private only");
	check_int(sp_net_received_ip("from mx (mx [192.0.2.5]) by us", ip,
				     sizeof(ip)),
		  0, "v4");
	check_str(ip, "192.0.2.5", "v4 address");
	check_int(sp_net_received_ip("from x ([IPv6:2001:db8::5]) by us", ip,
				     sizeof(ip)),
		  0, "v6");
	check_str(ip, "2001:db8::5", "v6 address");
	check_int(sp_net_received_ip("from x ([127.0.0.1]) ([::1]) by "
				     "[unterminated",
				     ip, sizeof(ip)),
		  -1, "loopback, unterminated");
}

static const char net_rules[] = "header A eval:check_rbl('s', 'bl.example.')\n"
				"header B eval:check_for_spf_pass()\n"
				"urirhssub C uri.example. A 2\n"
				"body C eval:check_uridnsbl('C')\n"
				"urirhsbl D uri2.example. A\n"
				"header E eval:check_rbl_txt('s', 'x.')\n"
				"body F /x/\ntflags F net\n";

static void
parse(int network, struct sp_ruleset *rs)
{
	struct sp_rules_error err;

	memset(&err, 0, sizeof(err));
	sp_rules_init(rs);
	rs->network = network;
	assert_int_equal(sp_rules_parse(rs, "t.cf", net_rules,
					sizeof(net_rules) - 1, NULL, &err),
			 0);
	assert_int_equal(sp_rules_finish(rs, &err), 0);
}

static const struct sp_rule *
rule(const struct sp_ruleset *rs, const char *name)
{
	long i = sp_rules_find(rs, name, strlen(name));

	if (i < 0)
		fail_msg("%s: not defined", name);
	return &rs->v[i];
}

static void
rules_network_on_gives_net_rules(void **state)
{
	struct sp_ruleset rs;

	(void)state;
	parse(1, &rs);
	check_int(rule(&rs, "A")->type, SP_R_NET, "A type");
	check_int(rule(&rs, "B")->type, SP_R_NET, "B type");
	check_int(rule(&rs, "C")->type, SP_R_NET, "C type");
	check_str(rule(&rs, "C")->net->zone, "uri.example", "C zone");
	check_str(rule(&rs, "C")->net->sub, "2", "C sub");
	check_int(rule(&rs, "D")->type, SP_R_NET, "urirhsbl alone defines D");
	if (rule(&rs, "E")->skip == NULL)
		fail_msg("E: got not skipped, want skipped (not ours)");
	if (rule(&rs, "F")->skip != NULL)
		fail_msg("F: got skipped (%s), want run", rule(&rs, "F")->skip);
	sp_rules_free(&rs);
}

/* Network off: the network rules are defined but skipped, and metas read
 * them as 0 (SpamAssassin in local mode); tflags net only gates evals,
 * so a pattern rule with it still runs. */
static void
rules_network_off_defines_zero_rules(void **state)
{
	static const char *const net[] = {"A", "B", "C", "D", "E", NULL};
	struct sp_ruleset rs;
	size_t i;

	(void)state;
	parse(0, &rs);
	check_int((long)rs.nevals, 4, "evals skipped");
	check_int((long)rs.nunknown, 0, "unknown directives");
	for (i = 0; net[i] != NULL; i++) {
		const struct sp_rule *r = rule(&rs, net[i]);

		if (r->skip == NULL || !r->zero)
			fail_msg("%s: got skip=%s zero=%d, want skipped, read "
				 "as 0",
				 net[i], r->skip ? r->skip : "(null)", r->zero);
	}
	if (rule(&rs, "F")->skip != NULL)
		fail_msg("F: got skipped (%s), want run", rule(&rs, "F")->skip);
	sp_rules_free(&rs);
}

/* ---- the worker pool, against a DNS server on loopback ---- */

struct fake_dns {
	int fd, port;
	int answer; /* 0: silent, never reads */
	atomic_int stop;
	pthread_t thr;
};

/* The answer to query q[0..n): a name containing "listed" is A
 * 127.0.0.2 (TTL 300), others NXDOMAIN (no SOA: not cached). The
 * question is kept, what follows it (EDNS) dropped. */
static size_t
fake_reply(unsigned char *q, size_t n)
{
	static const unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0,	  1, 0, 0,
					   1,	 44,   0, 4, 127, 0, 0, 2};
	int listed = memmem(q, n, "listed", 6) != NULL;
	size_t end = 12;

	while (end < n && q[end] != 0)
		end += 1 + q[end];
	end += 5; /* the root label, QTYPE, QCLASS */
	if (end > n)
		return 0;
	q[2] |= 0x80; /* QR */
	q[3] = 0x80 | (listed ? 0 : 3);
	memset(q + 6, 0, 6);
	q[7] = listed;
	if (listed) {
		memcpy(q + end, rr, sizeof(rr));
		end += sizeof(rr);
	}
	return end;
}

static void *
fake_serve(void *arg)
{
	struct fake_dns *d = arg;
	struct pollfd pf = {.fd = d->fd, .events = POLLIN};
	struct sockaddr_storage from;
	unsigned char q[512 + 16];
	socklen_t fl;
	ssize_t n;

	while (!atomic_load(&d->stop)) {
		if (poll(&pf, 1, 20) <= 0)
			continue;
		fl = sizeof(from);
		n = recvfrom(d->fd, q, 512, 0, (struct sockaddr *)&from, &fl);
		if (n < 12)
			continue;
		if ((n = (ssize_t)fake_reply(q, (size_t)n)) == 0)
			continue;
		(void)sendto(d->fd, q, (size_t)n, 0, (struct sockaddr *)&from,
			     fl);
	}
	return NULL;
}

static void
fake_start(struct fake_dns *d, int answer)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(d, 0, sizeof(*d));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((d->fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(d->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(d->fd, (struct sockaddr *)&a, &al), 0);
	d->port = ntohs(a.sin_port);
	d->answer = answer;
	if (answer)
		assert_int_equal(pthread_create(&d->thr, NULL, fake_serve, d),
				 0);
}

static void
fake_stop(struct fake_dns *d)
{
	atomic_store(&d->stop, 1);
	if (d->answer)
		pthread_join(d->thr, NULL);
	close(d->fd);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long
threads_now(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* net_rules with a client (A: one RBL query) and 10 body domains, one
 * of them listed (C and D: 20 URIBL queries); no envelope: no SPF. */
struct pool_fix {
	struct fake_dns dns;
	struct sp_ruleset rs;
	struct sp_net *net;
	struct sp_view v;
	char *hosts[10];
	char names[10][32];
	double *values;
};

static void
pool_setup(struct pool_fix *f, int answer, long long timeout_ms)
{
	struct sp_net_opts o;
	char server[64], err[256];
	size_t i;

	fake_start(&f->dns, answer);
	parse(1, &f->rs);
	snprintf(server, sizeof(server), "127.0.0.1@%d", f->dns.port);
	memset(&o, 0, sizeof(o));
	o.server = server;
	o.timeout_ms = timeout_ms;
	o.hostname = "mx.test";
	if (sp_net_new(&o, &f->rs, &f->net, err, sizeof(err)) < 0)
		fail_msg("sp_net_new: %s", err);
	memset(&f->v, 0, sizeof(f->v));
	for (i = 0; i < 10; i++) {
		snprintf(f->names[i], sizeof(f->names[i]), "%s%zu.example",
			 i == 3 ? "listed" : "d", i);
		f->hosts[i] = f->names[i];
	}
	f->v.uri_domains = f->hosts;
	f->v.nuris = 10;
	assert_non_null(f->values = calloc(f->rs.n, sizeof(double)));
}

static void
pool_check(struct pool_fix *f)
{
	struct sp_net_env env = {.client_ip = "192.0.2.1", .helo = "x"};

	memset(f->values, 0, f->rs.n * sizeof(double));
	assert_int_equal(sp_net_check(f->net, &f->rs, &f->v, &env, f->values),
			 0);
}

static void
pool_teardown(struct pool_fix *f)
{
	sp_net_free(&f->net);
	fake_stop(&f->dns);
	free(f->values);
	sp_rules_free(&f->rs);
}

/* The workers are started once, at the first message, and serve the
 * next ones: 100 messages of 21 lookups each never start more than
 * SP_NET_MAX_THREADS threads (the old code started 8 per message). */
static void
pool_threads_are_not_created_per_message(void **state)
{
	struct pool_fix f;
	long before, peak = 0, t;
	int i;

	(void)state;
	pool_setup(&f, 1, 2000);
	before = threads_now();
	check_int((long)sp_net_workers(f.net), 0, "workers before a message");
	for (i = 0; i < 100; i++) {
		pool_check(&f);
		if (f.values[sp_rules_find(&f.rs, "C", 1)] != 1 ||
		    f.values[sp_rules_find(&f.rs, "D", 1)] != 1 ||
		    f.values[sp_rules_find(&f.rs, "A", 1)] != 0)
			fail_msg("message %d: got A=%g C=%g D=%g, want 0 1 1",
				 i, f.values[sp_rules_find(&f.rs, "A", 1)],
				 f.values[sp_rules_find(&f.rs, "C", 1)],
				 f.values[sp_rules_find(&f.rs, "D", 1)]);
		if ((t = threads_now()) > peak)
			peak = t;
	}
	check_int((long)sp_net_workers(f.net), SP_NET_MAX_THREADS,
		  "workers started over 100 messages");
	if (before > 0 && peak > before + SP_NET_MAX_THREADS)
		fail_msg("threads: got %ld, want at most %ld", peak,
			 before + SP_NET_MAX_THREADS);
	pool_teardown(&f);
	if (before > 0 && (t = threads_now()) != before - 1)
		fail_msg("threads after sp_net_free: got %ld, want %ld", t,
			 before - 1); /* the DNS server's stopped too */
}

/* At a silent server, sp_net_check returns at its budget and
 * sp_net_free, waiting for the workers still inside a lookup, returns
 * within one more per-query timeout (plus slack for a loaded machine). */
static void
pool_free_waits_for_a_stuck_lookup_only_its_timeout(void **state)
{
	struct pool_fix f;
	double t0, t1, t2;
	size_t i;

	(void)state;
	pool_setup(&f, 0, 400);
	t0 = now_ms();
	pool_check(&f);
	t1 = now_ms();
	for (i = 0; i < f.rs.n; i++)
		if (f.values[i] != 0)
			fail_msg("rule %zu: got %g, want 0 (not answered)", i,
				 f.values[i]);
	pool_teardown(&f);
	t2 = now_ms();
	if (t1 - t0 < 300 || t1 - t0 > 1400)
		fail_msg("sp_net_check: got %.0f ms, want about the 400 ms "
			 "budget",
			 t1 - t0);
	if (t2 - t1 > 1400)
		fail_msg("sp_net_free: got %.0f ms, want at most one 400 ms "
			 "timeout (+1 s slack)",
			 t2 - t1);
}

/* Lookups the DNS cache answers are run in the scoring thread: a second
 * message whose names are all cached (every URI domain listed: A, TTL
 * 300) hands nothing to the workers, and scores as the first did. */
static void
cached_lookups_are_not_handed_to_the_workers(void **state)
{
	struct sp_net_env env = {.helo = "x"}; /* no client: no RBL query */
	struct pool_fix f;
	size_t i, handed = 0;

	(void)state;
	pool_setup(&f, 1, 2000);
	for (i = 0; i < 10; i++)
		snprintf(f.names[i], sizeof(f.names[i]), "listed%zu.example",
			 i);
	for (i = 0; i < 2; i++) {
		memset(f.values, 0, f.rs.n * sizeof(double));
		assert_int_equal(
		    sp_net_check(f.net, &f.rs, &f.v, &env, f.values), 0);
		if (f.values[sp_rules_find(&f.rs, "C", 1)] != 1 ||
		    f.values[sp_rules_find(&f.rs, "D", 1)] != 1)
			fail_msg("message %zu: got C=%g D=%g, want 1 1", i,
				 f.values[sp_rules_find(&f.rs, "C", 1)],
				 f.values[sp_rules_find(&f.rs, "D", 1)]);
		if (i == 0)
			handed = sp_net_handed(f.net);
	}
	if (handed == 0)
		fail_msg("first message: nothing handed, want the lookups");
	check_int((long)sp_net_handed(f.net), (long)handed,
		  "lookups handed over for the cached message");
	pool_teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(eval_check_rbl_parses_set_zone_and_subtest),
	    cmocka_unit_test(eval_others_and_malformed_are_told_apart),
	    cmocka_unit_test(args_are_bounded),
	    cmocka_unit_test(subtests_match_as_spamassassin_reads_them),
	    cmocka_unit_test(uri_domains_are_registrable_unique_and_capped),
	    cmocka_unit_test(received_gives_the_first_public_address),
	    cmocka_unit_test(rules_network_on_gives_net_rules),
	    cmocka_unit_test(rules_network_off_defines_zero_rules),
	    cmocka_unit_test(pool_threads_are_not_created_per_message),
	    cmocka_unit_test(
		pool_free_waits_for_a_stuck_lookup_only_its_timeout),
	    cmocka_unit_test(cached_lookups_are_not_handed_to_the_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
