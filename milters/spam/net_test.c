/* milters/spam/net_test.c - the pure half of the network tests: eval and
 * urirhssub parsing, subtests, URI domains, the Received client, and the
 * rule parser with network tests on and off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
