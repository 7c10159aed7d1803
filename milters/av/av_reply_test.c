/* milters/av/av_reply_test.c - clamd's replies (verdicts, PONG, VERSION,
 * its dates), the chunk frame, clamd_socket addresses, and the decision
 * table from a scan result to what the MTA is told. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "av.h"

struct reply_case {
	const char *what;
	const char *in; /* without the NUL */
	int nul;	/* append the NUL */
	enum av_rstatus want_st;
	enum av_answer want_res;
	const char *want_name; /* or text for AV_FAILED */
};

static const struct reply_case reply_cases[] = {
    {"clean", "stream: OK", 1, AVR_OK, AV_CLEAN, ""},
    {"found names the signature", "stream: Win.Test.EICAR_HDB-1 FOUND", 1,
     AVR_OK, AV_FOUND, "Win.Test.EICAR_HDB-1"},
    {"found with an unofficial suffix",
     "stream: Facteur.Test.EICAR.UNOFFICIAL FOUND", 1, AVR_OK, AV_FOUND,
     "Facteur.Test.EICAR.UNOFFICIAL"},
    {"clamd's size limit is not scanned, not an error",
     "INSTREAM size limit exceeded. ERROR", 1, AVR_OK, AV_TOOBIG, ""},
    {"any other ERROR is a failure with clamd's words",
     "stream: Can't allocate memory ERROR", 1, AVR_OK, AV_FAILED,
     "stream: Can't allocate memory"},
    {"control bytes in an error are made printable", "bad\x01\x7f ERROR", 1,
     AVR_OK, AV_FAILED, "bad??"},
    {"no NUL yet is truncated", "stream: O", 0, AVR_ETRUNC, AV_CLEAN, ""},
    {"empty input is truncated", "", 0, AVR_ETRUNC, AV_CLEAN, ""},
    {"an unknown reply is not clean", "UNKNOWN COMMAND", 1, AVR_ESYNTAX,
     AV_CLEAN, ""},
    {"stream: with neither OK nor FOUND", "stream: MAYBE", 1, AVR_ESYNTAX,
     AV_CLEAN, ""},
    {"FOUND without a name", "stream:  FOUND", 1, AVR_ESYNTAX, AV_CLEAN, ""},
    {"a name with a blank", "stream: Two Words FOUND", 1, AVR_ESYNTAX, AV_CLEAN,
     ""},
    {"a name with a control byte", "stream: A\tB FOUND", 1, AVR_ESYNTAX,
     AV_CLEAN, ""},
    {"OK with trailing bytes", "stream: OK ", 1, AVR_ESYNTAX, AV_CLEAN, ""},
    {"a session id prefix is not ours", "1: stream: OK", 1, AVR_ESYNTAX,
     AV_CLEAN, ""},
    {"newline-terminated (n-command) reply", "stream: OK\n", 1, AVR_ESYNTAX,
     AV_CLEAN, ""},
};

static void
test_reply_cases(void **state)
{
	struct av_reply r;
	size_t i, used, off, len;
	enum av_rstatus st;
	char in[256];

	(void)state;
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *c = &reply_cases[i];

		len = strlen(c->in);
		memcpy(in, c->in, len + 1);
		st = av_reply_parse((const unsigned char *)in, len + c->nul,
				    NULL, &r, &used, &off);
		if (st != c->want_st)
			fail_msg("%s: got %s, want %s", c->what,
				 av_rstatus_name(st),
				 av_rstatus_name(c->want_st));
		if (st != AVR_OK)
			continue;
		if (r.result != c->want_res || used != len + 1)
			fail_msg("%s: got result %d used %zu, want %d %zu",
				 c->what, r.result, used, c->want_res, len + 1);
		if (strcmp(c->want_res == AV_FAILED ? r.text : r.name,
			   c->want_name) != 0)
			fail_msg("%s: got \"%s\"/\"%s\", want \"%s\"", c->what,
				 r.name, r.text, c->want_name);
	}
}

static void
test_reply_is_bounded(void **state)
{
	static const struct av_reply_limits lim = {16};
	unsigned char big[2048];
	char name[AV_NAME_MAX + 40];
	struct av_reply r;
	size_t used, off;

	(void)state;
	memset(big, 'A', sizeof(big));
	assert_int_equal(
	    av_reply_parse(big, sizeof(big), NULL, &r, &used, &off),
	    AVR_ELIMIT);
	assert_int_equal(av_reply_parse(big, 17, &lim, &r, &used, &off),
			 AVR_ELIMIT);
	assert_int_equal(av_reply_parse(big, 16, &lim, &r, &used, &off),
			 AVR_ETRUNC);
	/* a name one byte over AV_NAME_MAX */
	memset(name, 'N', sizeof(name));
	memcpy(name, "stream: ", 8);
	memcpy(name + 8 + AV_NAME_MAX + 1, " FOUND", 7);
	assert_int_equal(av_reply_parse((const unsigned char *)name,
					strlen(name) + 1, NULL, &r, &used,
					&off),
			 AVR_ESYNTAX);
	name[8 + AV_NAME_MAX] = '\0';
	memcpy(name + 8 + AV_NAME_MAX - 1, " FOUND", 7);
	/* AV_NAME_MAX - 1 bytes of name: accepted */
	assert_int_equal(av_reply_parse((const unsigned char *)name,
					strlen(name) + 1, NULL, &r, &used,
					&off),
			 AVR_OK);
	assert_int_equal(strlen(r.name), AV_NAME_MAX - 1);
}

static void
test_reply_stops_at_first_nul(void **state)
{
	static const unsigned char two[] = "stream: OK\0stream: X FOUND";
	struct av_reply r;
	size_t used, off;

	(void)state;
	assert_int_equal(
	    av_reply_parse(two, sizeof(two), NULL, &r, &used, &off), AVR_OK);
	assert_int_equal(r.result, AV_CLEAN);
	assert_int_equal(used, 11);
}

static void
test_pong(void **state)
{
	size_t used, off;

	(void)state;
	assert_int_equal(
	    av_pong_parse((const unsigned char *)"PONG", 5, NULL, &used, &off),
	    AVR_OK);
	assert_int_equal(
	    av_pong_parse((const unsigned char *)"PING", 5, NULL, &used, &off),
	    AVR_ESYNTAX);
	assert_int_equal(
	    av_pong_parse((const unsigned char *)"PONG", 4, NULL, &used, &off),
	    AVR_ETRUNC);
}

struct version_case {
	const char *in;
	enum av_rstatus want;
	const char *version;
	long dbver;
	long long dbtime;
};

static const struct version_case version_cases[] = {
    {"ClamAV 1.4.6/27112/Mon Dec  7 08:00:00 2026", AVR_OK, "1.4.6", 27112,
     1796630400LL},
    {"ClamAV 1.0.7/26999/Tue Jan 02 10:30:05 2024", AVR_OK, "1.0.7", 26999,
     1704191405LL},
    {"ClamAV 1.4.6", AVR_OK, "1.4.6", 0, 0},
    {"ClamAV 1.4.6/x/Mon Dec  7 08:00:00 2026", AVR_ESYNTAX, "", 0, 0},
    {"ClamAV 1.4.6/27112/not a date", AVR_ESYNTAX, "", 0, 0},
    {"ClamAV 1.4.6/27112/Mon Foo  7 08:00:00 2026", AVR_ESYNTAX, "", 0, 0},
    {"ClamAV 1.4.6/27112/Mon Dec 32 08:00:00 2026", AVR_ESYNTAX, "", 0, 0},
    {"ClamAV ", AVR_ESYNTAX, "", 0, 0},
    {"clamav 1.4.6", AVR_ESYNTAX, "", 0, 0},
};

static void
test_version_cases(void **state)
{
	struct av_version v;
	size_t i, used, off;
	enum av_rstatus st;

	(void)state;
	for (i = 0; i < sizeof(version_cases) / sizeof(version_cases[0]); i++) {
		const struct version_case *c = &version_cases[i];

		st = av_version_parse((const unsigned char *)c->in,
				      strlen(c->in) + 1, NULL, &v, &used, &off);
		if (st != c->want)
			fail_msg("\"%s\": got %s, want %s", c->in,
				 av_rstatus_name(st), av_rstatus_name(c->want));
		if (st != AVR_OK)
			continue;
		if (strcmp(v.version, c->version) != 0 || v.dbver != c->dbver ||
		    (long long)v.dbtime != c->dbtime)
			fail_msg("\"%s\": got %s %ld %lld, want %s %ld %lld",
				 c->in, v.version, v.dbver, (long long)v.dbtime,
				 c->version, c->dbver, c->dbtime);
	}
}

static void
test_chunk_header_is_network_order(void **state)
{
	unsigned char h[4];

	(void)state;
	av_chunk_header(0x01020304u, h);
	assert_true(h[0] == 1 && h[1] == 2 && h[2] == 3 && h[3] == 4);
	av_chunk_header(0, h);
	assert_true(h[0] == 0 && h[1] == 0 && h[2] == 0 && h[3] == 0);
}

struct addr_case {
	const char *spec;
	int ok, is_unix;
	const char *host, *port;
};

static const struct addr_case addr_cases[] = {
    {"/run/clamav/clamd.ctl", 1, 1, "", ""},
    {"127.0.0.1:3310", 1, 0, "127.0.0.1", "3310"},
    {"localhost:3310", 1, 0, "localhost", "3310"},
    {"[::1]:3310", 1, 0, "::1", "3310"},
    {"127.1.2.3:1", 1, 0, "127.1.2.3", "1"},
    {"192.0.2.1:3310", 0, 0, "", ""},
    {"clamd.example:3310", 0, 0, "", ""},
    {"127.0.0.1:0", 0, 0, "", ""},
    {"127.0.0.1:65536", 0, 0, "", ""},
    {"127.0.0.1:", 0, 0, "", ""},
    {"127.0.0.1:33x", 0, 0, "", ""},
    {"relative/path", 0, 0, "", ""},
    {"", 0, 0, "", ""},
};

static void
test_addr_cases(void **state)
{
	struct av_addr a;
	char err[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *c = &addr_cases[i];

		rc = av_addr_parse(c->spec, &a, err, sizeof(err));
		if ((rc == 0) != c->ok)
			fail_msg("\"%s\": got %d (%s), want %s", c->spec, rc,
				 rc ? err : "", c->ok ? "ok" : "refused");
		if (rc != 0)
			continue;
		if (a.is_unix != c->is_unix ||
		    (!a.is_unix &&
		     (strcmp(a.host, c->host) || strcmp(a.port, c->port))))
			fail_msg("\"%s\": got %d %s %s", c->spec, a.is_unix,
				 a.host, a.port);
	}
}

struct decide_case {
	const char *what;
	enum av_kind kind;
	enum av_action action;
	enum mlt_on_error on_error;
	enum mlt_verdict verdict;
	int quarantine;
	const char *code, *scanned, *status, *text_has;
};

static const struct decide_case decide_cases[] = {
    {"clean is tagged scanned", AV_K_CLEAN, AV_ACT_REJECT,
     MLT_ON_ERROR_TEMPFAIL, MLT_CONTINUE, 0, NULL, "clamav 1.4.6/1 on mx.test",
     "", NULL},
    {"infected, reject: 554 5.7.1 naming the signature", AV_K_INFECTED,
     AV_ACT_REJECT, MLT_ON_ERROR_TEMPFAIL, MLT_REJECT, 0, "554", "", "",
     "Eicar-Sig"},
    {"infected, quarantine: held and tagged", AV_K_INFECTED, AV_ACT_QUARANTINE,
     MLT_ON_ERROR_TEMPFAIL, MLT_CONTINUE, 1, NULL, "clamav 1.4.6/1 on mx.test",
     "infected (Eicar-Sig)", NULL},
    {"infected, tag: tagged only", AV_K_INFECTED, AV_ACT_TAG,
     MLT_ON_ERROR_TEMPFAIL, MLT_CONTINUE, 0, NULL, "clamav 1.4.6/1 on mx.test",
     "infected (Eicar-Sig)", NULL},
    {"too big is not scanned, never clean", AV_K_TOOBIG, AV_ACT_REJECT,
     MLT_ON_ERROR_TEMPFAIL, MLT_CONTINUE, 0, NULL, "",
     "not scanned (larger than max_scan_size)", NULL},
    {"clamd down, tempfail: 451 4.3.0", AV_K_FAILED, AV_ACT_REJECT,
     MLT_ON_ERROR_TEMPFAIL, MLT_TEMPFAIL, 0, "451", "", "", "unavailable"},
    {"clamd down, accept: tagged not scanned", AV_K_FAILED, AV_ACT_REJECT,
     MLT_ON_ERROR_ACCEPT, MLT_CONTINUE, 0, NULL, "",
     "not scanned (virus scanner unavailable)", NULL},
};

static void
test_decide_cases(void **state)
{
	struct av_decision d;
	struct av_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]); i++) {
		const struct decide_case *c = &decide_cases[i];

		memset(&r, 0, sizeof(r));
		r.kind = c->kind;
		snprintf(r.name, sizeof(r.name), "Eicar-Sig");
		snprintf(r.why, sizeof(r.why), "larger than max_scan_size");
		av_decide(&r, c->action, c->on_error, "1.4.6/1", "mx.test", &d);
		if (d.verdict != c->verdict || d.quarantine != c->quarantine)
			fail_msg("%s: got %s hold=%d, want %s hold=%d", c->what,
				 mlt_verdict_name(d.verdict), d.quarantine,
				 mlt_verdict_name(c->verdict), c->quarantine);
		if (c->code && (d.code == NULL || strcmp(d.code, c->code)))
			fail_msg("%s: got code %s, want %s", c->what,
				 d.code ? d.code : "none", c->code);
		if (strcmp(d.scanned, c->scanned) ||
		    strcmp(d.status, c->status))
			fail_msg("%s: got \"%s\" \"%s\", want \"%s\" \"%s\"",
				 c->what, d.scanned, d.status, c->scanned,
				 c->status);
		if (c->text_has && strstr(d.text, c->text_has) == NULL)
			fail_msg("%s: got text \"%s\", want it to name %s",
				 c->what, d.text, c->text_has);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reply_cases),
	    cmocka_unit_test(test_reply_is_bounded),
	    cmocka_unit_test(test_reply_stops_at_first_nul),
	    cmocka_unit_test(test_pong),
	    cmocka_unit_test(test_version_cases),
	    cmocka_unit_test(test_chunk_header_is_network_order),
	    cmocka_unit_test(test_addr_cases),
	    cmocka_unit_test(test_decide_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
