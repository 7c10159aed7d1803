/* milters/chain/chain_test.c - facteur-milter's modules list, and the
 * results sharing it exists for: the spam engine's SPF and DKIM evals
 * take the verdicts an earlier filter gave (struct sp_given) and look
 * nothing up then, and look up as before without them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chain.h"
#include "engine.h"
#include "native.h"
#include "proto.h"
#include "spf.h"

static void
check_int(long got, long want, const char *what)
{
	if (got != want)
		fail_msg("%s: got %ld, want %ld", what, got, want);
}

static void
check_has(const char *got, const char *want, const char *what)
{
	if (strstr(got, want) == NULL)
		fail_msg("%s: got \"%s\", want it to contain \"%s\"", what, got,
			 want);
}

static void
default_modules_are_designs_order(void **state)
{
	enum chain_mod o[CHAIN_NMOD];
	char err[256] = "";
	size_t n = 9;

	(void)state;
	check_int(
	    chain_modules_parse(CHAIN_DEFAULT_MODULES, o, &n, err, sizeof(err)),
	    0, "parse default");
	check_int((long)n, 4, "count");
	check_int(o[0], CHAIN_BLACKLIST, "first");
	check_int(o[1], CHAIN_SCRUB, "second");
	check_int(o[2], CHAIN_DKIM, "third");
	check_int(o[3], CHAIN_SPAM, "fourth");
}

static void
modules_take_commas_blanks_and_any_case(void **state)
{
	enum chain_mod o[CHAIN_NMOD];
	char err[256] = "";
	size_t n = 0;

	(void)state;
	check_int(chain_modules_parse("  DKIM,spam\tblacklist,, ", o, &n, err,
				      sizeof(err)),
		  0, "parse");
	check_int((long)n, 3, "count");
	check_int(o[0], CHAIN_DKIM, "first");
	check_int(o[1], CHAIN_SPAM, "second");
	check_int(o[2], CHAIN_BLACKLIST, "third");
	check_int(chain_modules_parse("spam", o, &n, err, sizeof(err)), 0,
		  "spam alone");
	check_int((long)n, 1, "spam alone count");
}

static void
unknown_repeated_or_no_module_is_an_error_naming_it(void **state)
{
	enum chain_mod o[CHAIN_NMOD];
	char err[256] = "";
	size_t n = 0;

	(void)state;
	check_int(
	    chain_modules_parse("dkim, spamassassin", o, &n, err, sizeof(err)),
	    -1, "unknown");
	check_has(err, "modules: unknown module \"spamassassin\"", "unknown");
	check_int(
	    chain_modules_parse("dkim spam Dkim", o, &n, err, sizeof(err)), -1,
	    "repeated");
	check_has(err, "modules: dkim is listed twice", "repeated");
	check_int(chain_modules_parse(" , ", o, &n, err, sizeof(err)), -1,
		  "empty");
	check_has(err, "modules: empty", "empty");
}

static void
chain_check_names_the_milter_section(void **state)
{
	static struct chain_settings s;
	char err[512] = "";

	(void)state;
	s.modules = (char *)"blacklist, scurb";
	check_int(chain_check(&s, err, sizeof(err)), -1, "check");
	check_has(err, "[milter] modules: unknown module \"scurb\"", "error");
}

static void
av_is_known_and_keeps_its_own_on_error(void **state)
{
	static struct chain_settings s;
	enum chain_mod o[CHAIN_NMOD];
	char err[512] = "";
	size_t n = 0;

	(void)state;
	check_int(
	    chain_modules_parse(CHAIN_KNOWN_MODULES, o, &n, err, sizeof(err)),
	    0, "parse known");
	check_int((long)n, 5, "known count");
	check_int(o[1], CHAIN_AV, "av after blacklist");
	check_int(o[4], CHAIN_SPAM, "spam last");
	/* [av] on_error says what clamd down does: [milter]'s must not
	 * replace it, as it replaces av's socket and user */
	s.modules = (char *)"av";
	s.common.on_error = MLT_ON_ERROR_TEMPFAIL;
	s.av.common.on_error = MLT_ON_ERROR_ACCEPT;
	s.av.clamd_socket = (char *)"/run/clamav/clamd.ctl";
	check_int(chain_check(&s, err, sizeof(err)), 0, "check");
	check_int(s.av.common.on_error, MLT_ON_ERROR_ACCEPT, "av on_error");
	check_int(s.av.common.max_rcpts == s.common.max_rcpts, 1,
		  "the other common keys are [milter]'s");
	s.av.clamd_socket = (char *)"192.0.2.1:3310";
	check_int(chain_check(&s, err, sizeof(err)), -1, "remote clamd");
	check_has(err, "[av] clamd_socket: 192.0.2.1 is not on loopback",
		  "remote clamd");
}

/* ---- results sharing: the engine with SPF/DKIM evals and a DNS server
 * that never answers (a closed loopback port). ---- */

static const char rules[] =
    "header SPF_PASS eval:check_for_spf_pass()\nscore SPF_PASS -0.001\n"
    "header SPF_FAIL eval:check_for_spf_fail()\nscore SPF_FAIL 0.9\n"
    "header SPF_NONE eval:check_for_spf_none()\nscore SPF_NONE 0.1\n"
    "header DKIM_SIGNED eval:check_dkim_signed()\nscore DKIM_SIGNED 0.1\n"
    "header DKIM_VALID eval:check_dkim_valid()\nscore DKIM_VALID -0.1\n"
    "header DKIM_VALID_AU eval:check_dkim_valid_author_sig()\n"
    "score DKIM_VALID_AU -0.1\n";

static const char msg[] =
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=m1; h=from;"
    " bh=AAAA; b=AAAA\r\n"
    "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n"
    "Subject: shared verdicts\r\n\r\nHello\r\n";

struct net_fixture {
	char dir[64], path[96];
	struct sp_engine *e;
};

static int
net_setup(void **state)
{
	static struct net_fixture f;
	struct sp_engine_opts o;
	char err[512] = "";
	FILE *fp;

	snprintf(f.dir, sizeof(f.dir), "chain-test-XXXXXX");
	if (mkdtemp(f.dir) == NULL)
		return -1;
	snprintf(f.path, sizeof(f.path), "%s/net.cf", f.dir);
	if ((fp = fopen(f.path, "w")) == NULL)
		return -1;
	fputs(rules, fp);
	fclose(fp);
	memset(&o, 0, sizeof(o));
	o.rules_path = f.path;
	o.required_score = 5.0;
	o.network = 1;
	o.dns_server = "127.0.0.1@9";
	o.dns_timeout_ms = 400;
	o.hostname = "mx.test";
	if (sp_engine_new(&o, &f.e, err, sizeof(err)) != 0) {
		fprintf(stderr, "sp_engine_new: %s\n", err);
		return -1;
	}
	*state = &f;
	return 0;
}

static int
net_teardown(void **state)
{
	struct net_fixture *f = *state;

	sp_engine_free(&f->e);
	unlink(f->path);
	rmdir(f->dir);
	return 0;
}

/* 1 if rule name hit in r. */
static int
hit(const struct sp_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nhits; i++)
		if (strcmp(r->hits[i]->name, name) == 0)
			return 1;
	return 0;
}

static void
score(struct net_fixture *f, const struct sp_given *g, struct sp_result *r)
{
	struct sp_envelope env = {"192.0.2.7", "client.example",
				  "alice@example.org", g};
	char err[256] = "";

	if (sp_engine_check_env(f->e, msg, sizeof(msg) - 1, &env, r, err,
				sizeof(err)) != 0)
		fail_msg("sp_engine_check_env: %s", err);
}

static void
given_verdicts_are_used_instead_of_lookups(void **state)
{
	struct net_fixture *f = *state;
	struct sp_given g = {1, SPF_R_PASS, 1, 1, 1, "EXAMPLE.org"};
	struct sp_result r;

	score(f, &g, &r);
	check_int(hit(&r, "SPF_PASS"), 1, "SPF_PASS from the given pass");
	check_int(hit(&r, "SPF_NONE"), 0, "SPF_NONE");
	check_int(hit(&r, "DKIM_SIGNED"), 1, "DKIM_SIGNED given");
	check_int(hit(&r, "DKIM_VALID"), 1, "DKIM_VALID given");
	check_int(hit(&r, "DKIM_VALID_AU"), 1, "DKIM_VALID_AU: d= is From's");
	sp_result_clear(&r);
	g = (struct sp_given){1, SPF_R_FAIL, 1, 1, 1, "other.example"};
	score(f, &g, &r);
	check_int(hit(&r, "SPF_FAIL"), 1, "SPF_FAIL from the given fail");
	check_int(hit(&r, "SPF_PASS"), 0, "SPF_PASS with a given fail");
	check_int(hit(&r, "DKIM_VALID"), 1, "DKIM_VALID, third party");
	check_int(hit(&r, "DKIM_VALID_AU"), 0, "DKIM_VALID_AU, third party");
	sp_result_clear(&r);
}

static void
without_given_verdicts_the_engine_looks_up_itself(void **state)
{
	struct net_fixture *f = *state;
	struct sp_given spf_only = {1, SPF_R_NONE, 0, 0, 0, NULL};
	struct sp_result r;

	/* Nothing answers at 127.0.0.1@9: what the engine finds itself is
	 * never a pass nor a valid signature. */
	score(f, NULL, &r);
	check_int(hit(&r, "SPF_PASS"), 0, "SPF_PASS looked up");
	check_int(hit(&r, "DKIM_VALID"), 0, "DKIM_VALID looked up");
	sp_result_clear(&r);
	score(f, &spf_only, &r);
	check_int(hit(&r, "SPF_NONE"), 1, "SPF_NONE from the given none");
	check_int(hit(&r, "DKIM_VALID"), 0, "DKIM_VALID, looked up");
	sp_result_clear(&r);
}

/* The NR flags a chain of these filters asks of the MTA. */
static uint32_t
chain_nr(const struct mlt_filter *const *f, size_t n)
{
	struct mlt_chain_entry e[CHAIN_NMOD];
	struct mlt_chain ch;
	size_t i;

	memset(&ch, 0, sizeof(ch));
	for (i = 0; i < n; i++)
		e[i] =
		    (struct mlt_chain_entry){f[i], NULL, MLT_ON_ERROR_TEMPFAIL};
	ch.v = e;
	ch.n = n;
	return mlt_native_nr_flags(&ch);
}

/* The default chain refuses at MAIL and RCPT (blacklist) and at end of
 * message: Postfix waits there and nowhere else (at EOH the blacklist
 * only retires: a round trip for nothing while spam reads on). */
static void
default_chain_waits_at_mail_rcpt_and_eom_only(void **state)
{
	const struct mlt_filter *f[] = {&bl_filter, &scrub_filter, &dkim_filter,
					&spam_filter};
	uint32_t quiet = MLT_P_NR_CONN | MLT_P_NR_HELO | MLT_P_NR_DATA |
			 MLT_P_NR_UNKN | MLT_P_NR_HDR | MLT_P_NR_EOH |
			 MLT_P_NR_BODY;
	uint32_t p = chain_nr(f, 4);

	(void)state;
	if ((p & quiet) != quiet || (p & (MLT_P_NR_MAIL | MLT_P_NR_RCPT)))
		fail_msg("NR flags 0x%x, want 0x%x: replies at MAIL, RCPT and "
			 "end of message only",
			 (unsigned)p, (unsigned)quiet);
}

/* The blacklist alone answers at EOH: its ACCEPT there spares Postfix
 * the body, as no filter reads it. */
static void
blacklist_alone_answers_eoh(void **state)
{
	const struct mlt_filter *f[] = {&bl_filter};

	(void)state;
	if (chain_nr(f, 1) & MLT_P_NR_EOH)
		fail_msg("blacklist alone: NR_EOH asked, want a reply at EOH");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(default_modules_are_designs_order),
	    cmocka_unit_test(modules_take_commas_blanks_and_any_case),
	    cmocka_unit_test(
		unknown_repeated_or_no_module_is_an_error_naming_it),
	    cmocka_unit_test(av_is_known_and_keeps_its_own_on_error),
	    cmocka_unit_test(chain_check_names_the_milter_section),
	    cmocka_unit_test(default_chain_waits_at_mail_rcpt_and_eom_only),
	    cmocka_unit_test(blacklist_alone_answers_eoh),
	};
	const struct CMUnitTest net[] = {
	    cmocka_unit_test(given_verdicts_are_used_instead_of_lookups),
	    cmocka_unit_test(without_given_verdicts_the_engine_looks_up_itself),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) |
	       cmocka_run_group_tests(net, net_setup, net_teardown);
}
