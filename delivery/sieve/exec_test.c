/* delivery/sieve/exec_test.c - sieve_execute: tests over a message,
 * implicit keep, stop, several scripts, duplicates, flags, vacation, the
 * limits, errors falling back to one KEEP, and the guide's spam rule. */
#include "testutil.h"

static const char spam_rule[] =
    "require \"fileinto\";\n"
    "if header :contains \"X-Spam-Flag\" \"YES\" { fileinto \"Spam\"; }\n";

/* The result as text: "keep+SF fileinto:Spam!create redirect:a@b ...". */
static void
render(const struct sieve_result *r, char *out, size_t len)
{
	static const char letters[] = "SAFDR";
	const struct sieve_action *a;
	size_t i, n = 0, k;

	out[0] = '\0';
	for (i = 0; i < r->nactions && n < len; i++) {
		a = &r->actions[i];
		if (n > 0)
			n += (size_t)snprintf(out + n, len - n, " ");
		if (a->type == SIEVE_ACT_KEEP)
			n += (size_t)snprintf(out + n, len - n, "keep");
		else if (a->type == SIEVE_ACT_FILEINTO)
			n += (size_t)snprintf(out + n, len - n, "fileinto:%s%s",
					      a->mailbox,
					      a->create ? "!create" : "");
		else if (a->type == SIEVE_ACT_REDIRECT)
			n += (size_t)snprintf(out + n, len - n, "redirect:%s",
					      a->address);
		else if (a->type == SIEVE_ACT_DISCARD)
			n += (size_t)snprintf(out + n, len - n, "discard");
		else
			n += (size_t)snprintf(out + n, len - n, "vacation:%ld",
					      a->days);
		if (a->flags && n < len)
			n += (size_t)snprintf(out + n, len - n, "+");
		for (k = 0; k < 5 && n < len; k++)
			if (a->flags & (1u << k))
				n += (size_t)snprintf(out + n, len - n, "%c",
						      letters[k]);
	}
}

struct x_case {
	const char *script, *script2; /* script2: run after script */
	const char *hname, *hvalue;   /* one extra header, optional */
	size_t size;
	const char *want;
	enum sieve_status want_st;
};

static const struct sieve_header base_headers[] = {
    {"From", "\"Joe\" <joe+lists@Example.COM>"},
    {"To", "me@example.org, \"Other\" <other@example.net>"},
    {"Subject", " =?UTF-8?Q?caf=C3=A9?= time "},
    {"Received", "from a"},
    {"Received", "from b"},
};

static const struct x_case x_cases[] = {
    {"", NULL, NULL, NULL, 0, "keep", SIEVE_OK},
    {"keep;", NULL, NULL, NULL, 0, "keep", SIEVE_OK},
    {"keep; keep;", NULL, NULL, NULL, 0, "keep", SIEVE_OK},
    {"discard;", NULL, NULL, NULL, 0, "discard", SIEVE_OK},
    {"stop; discard;", NULL, NULL, NULL, 0, "keep", SIEVE_OK},
    {"require \"fileinto\"; fileinto \"A\"; fileinto \"A\"; fileinto \"B\";",
     NULL, NULL, NULL, 0, "fileinto:A fileinto:B", SIEVE_OK},
    {"require [\"fileinto\",\"copy\"]; fileinto :copy \"A\";", NULL, NULL, NULL,
     0, "fileinto:A keep", SIEVE_OK},
    {"redirect \"x@example.net\"; redirect \"X@example.net\";", NULL, NULL,
     NULL, 0, "redirect:x@example.net", SIEVE_OK},
    {"require \"copy\"; redirect :copy \"x@example.net\";", NULL, NULL, NULL, 0,
     "redirect:x@example.net keep", SIEVE_OK},
    {"discard; keep;", NULL, NULL, NULL, 0, "keep", SIEVE_OK},
    {"require \"fileinto\"; discard; fileinto \"A\";", NULL, NULL, NULL, 0,
     "fileinto:A", SIEVE_OK},
    /* header: RFC 2047, trimming, several fields, case of names */
    {"if header :is \"subject\" \"caf\xc3\xa9 time\" { discard; }", NULL, NULL,
     NULL, 0, "discard", SIEVE_OK},
    {"if header :contains \"received\" \"from b\" { discard; }", NULL, NULL,
     NULL, 0, "discard", SIEVE_OK},
    {"if header :matches \"Subject\" \"caf? *\" { discard; }", NULL, NULL, NULL,
     0, "discard", SIEVE_OK},
    {"if header :is :comparator \"i;octet\" \"subject\" \"CAF\xc3\xa9 "
     "time\" { discard; }",
     NULL, NULL, NULL, 0, "keep", SIEVE_OK},
    {"if header :contains \"X-None\" \"\" { discard; }", NULL, NULL, NULL, 0,
     "keep", SIEVE_OK},
    /* address parts, subaddress (delimiter "+") */
    {"if address :is \"from\" \"joe+lists@example.com\" { discard; }", NULL,
     NULL, NULL, 0, "discard", SIEVE_OK},
    {"if address :domain :is \"from\" \"example.com\" { discard; }", NULL, NULL,
     NULL, 0, "discard", SIEVE_OK},
    {"if address :localpart :is \"from\" \"joe+lists\" { discard; }", NULL,
     NULL, NULL, 0, "discard", SIEVE_OK},
    {"require \"subaddress\"; if address :user \"from\" \"joe\" "
     "{ discard; }",
     NULL, NULL, NULL, 0, "discard", SIEVE_OK},
    {"require \"subaddress\"; if address :detail \"from\" \"lists\" "
     "{ discard; }",
     NULL, NULL, NULL, 0, "discard", SIEVE_OK},
    {"require \"subaddress\"; if address :detail :matches \"to\" \"*\" "
     "{ discard; }",
     NULL, NULL, NULL, 0, "keep", SIEVE_OK},
    {"if address :all :is \"to\" \"other@example.net\" { discard; }", NULL,
     NULL, NULL, 0, "discard", SIEVE_OK},
    {"if address :is \"to\" \"Other\" { discard; }", NULL, NULL, NULL, 0,
     "keep", SIEVE_OK},
    /* envelope */
    {"require \"envelope\"; if envelope :is \"from\" \"bounce@list.org\" "
     "{ discard; }",
     NULL, NULL, NULL, 0, "discard", SIEVE_OK},
    {"require [\"envelope\", \"subaddress\"]; if envelope :detail \"to\" "
     "\"shop\" { discard; }",
     NULL, NULL, NULL, 0, "discard", SIEVE_OK},
    {"require [\"envelope\", \"subaddress\"]; if envelope :user \"to\" "
     "\"me\" { discard; }",
     NULL, NULL, NULL, 0, "discard", SIEVE_OK},
    /* exists, size, logic */
    {"if exists [\"From\", \"Received\"] { discard; }", NULL, NULL, NULL, 0,
     "discard", SIEVE_OK},
    {"if exists [\"From\", \"X-No\"] { discard; }", NULL, NULL, NULL, 0, "keep",
     SIEVE_OK},
    {"if size :over 1K { discard; }", NULL, NULL, NULL, 1025, "discard",
     SIEVE_OK},
    {"if size :over 1K { discard; }", NULL, NULL, NULL, 1024, "keep", SIEVE_OK},
    {"if size :under 1K { discard; }", NULL, NULL, NULL, 1023, "discard",
     SIEVE_OK},
    {"if allof(true, not false) { discard; }", NULL, NULL, NULL, 0, "discard",
     SIEVE_OK},
    {"if anyof(false, false) { discard; }", NULL, NULL, NULL, 0, "keep",
     SIEVE_OK},
    {"if false { discard; } elsif true { redirect \"a@b.c\"; } else "
     "{ keep; }",
     NULL, NULL, NULL, 0, "redirect:a@b.c", SIEVE_OK},
    {"if false { discard; } elsif false { keep; } else "
     "{ redirect \"a@b.c\"; }",
     NULL, NULL, NULL, 0, "redirect:a@b.c", SIEVE_OK},
    /* several scripts: stop ends one, explicit actions carry over */
    {"stop;", "discard;", NULL, NULL, 0, "discard", SIEVE_OK},
    {spam_rule, "", "X-Spam-Flag", "YES", 0, "fileinto:Spam", SIEVE_OK},
    {spam_rule, "keep;", "X-Spam-Flag", "YES", 0, "fileinto:Spam keep",
     SIEVE_OK},
    {spam_rule, "", "X-Spam-Flag", "NO", 0, "keep", SIEVE_OK},
    {spam_rule, "", NULL, NULL, 0, "keep", SIEVE_OK},
    /* imap4flags */
    {"require \"imap4flags\"; setflag \"\\\\Seen\"; keep;", NULL, NULL, NULL, 0,
     "keep+S", SIEVE_OK},
    {"require \"imap4flags\"; addflag [\"\\\\Seen\",\"\\\\Flagged\"];"
     "removeflag \"\\\\Seen\";",
     NULL, NULL, NULL, 0, "keep+F", SIEVE_OK},
    {"require [\"imap4flags\", \"fileinto\"]; addflag \"\\\\Seen\";"
     "fileinto :flags \"\\\\Flagged \\\\Draft\" \"A\"; fileinto \"B\";",
     NULL, NULL, NULL, 0, "fileinto:A+FR fileinto:B+S", SIEVE_OK},
    {"require \"imap4flags\"; setflag \"\\\\Flagged\"; if hasflag "
     "\"\\\\flagged\" { discard; }",
     NULL, NULL, NULL, 0, "discard", SIEVE_OK},
    {"require \"imap4flags\"; if hasflag :contains \"Seen\" { discard; }", NULL,
     NULL, NULL, 0, "keep", SIEVE_OK},
    {"require \"imap4flags\"; setflag \"\\\\Seen $Label1\";", "", NULL, NULL, 0,
     "keep", SIEVE_OK},
    /* mailbox :create */
    {"require [\"fileinto\", \"mailbox\"]; fileinto :create \"A.B\";", NULL,
     NULL, NULL, 0, "fileinto:A.B!create", SIEVE_OK},
    /* vacation does not cancel the implicit keep; a second is an error */
    {"require \"vacation\"; vacation \"away\";", NULL, NULL, NULL, 0,
     "vacation:7 keep", SIEVE_OK},
    {"require \"vacation\"; vacation :days 0 \"away\"; discard;", NULL, NULL,
     NULL, 0, "vacation:1 discard", SIEVE_OK},
    {"require \"vacation\"; vacation \"a\"; vacation \"b\"; discard;", NULL,
     NULL, NULL, 0, "keep", SIEVE_ERUNTIME},
    /* limits: errors fall back to one plain KEEP */
    {"redirect \"a@b.c\"; redirect \"b@b.c\"; redirect \"c@b.c\";"
     "redirect \"d@b.c\"; redirect \"e@b.c\";",
     NULL, NULL, NULL, 0, "keep", SIEVE_ELIMIT},
};

static void
test_execute_table(void **state)
{
	struct sieve_header hdrs[8];
	const struct sieve_script *list[2];
	struct sieve_script *s1, *s2;
	struct sieve_result res;
	struct sieve_error err;
	struct sieve_msg msg;
	enum sieve_status st;
	const struct x_case *c;
	char got[512];
	size_t i, nh;

	(void)state;
	for (i = 0; i < sizeof(x_cases) / sizeof(x_cases[0]); i++) {
		c = &x_cases[i];
		memcpy(hdrs, base_headers, sizeof(base_headers));
		nh = sizeof(base_headers) / sizeof(base_headers[0]);
		if (c->hname != NULL) {
			hdrs[nh].name = c->hname;
			hdrs[nh++].value = c->hvalue;
		}
		memset(&msg, 0, sizeof(msg));
		msg.env_from = "bounce@list.org";
		msg.env_to = "me+shop@example.org";
		msg.delimiter = "+";
		msg.size = c->size;
		msg.headers = hdrs;
		msg.nheaders = nh;
		s1 = compile_str(c->script, NULL, &st, &err);
		s2 = NULL;
		if (st == SIEVE_OK && c->script2 != NULL)
			s2 = compile_str(c->script2, NULL, &st, &err);
		if (st != SIEVE_OK) {
			BAD("case %zu: compile: got %s %u:%u %s, want "
			    "SIEVE_OK",
			    i, st_name(st), err.line, err.col, err.msg);
			sieve_free(&s1);
			continue;
		}
		list[0] = s1;
		list[1] = s2;
		st = sieve_execute(list, s2 ? 2 : 1, &msg, NULL, &res, &err);
		render(&res, got, sizeof(got));
		if (st != c->want_st || strcmp(got, c->want) != 0)
			BAD("case %zu: execute(%s%s%s): got %s \"%s\" (%s), "
			    "want %s \"%s\"",
			    i, c->script, c->script2 ? " THEN " : "",
			    c->script2 ? c->script2 : "", st_name(st), got,
			    err.msg, st_name(c->want_st), c->want);
		sieve_result_free(&res);
		sieve_free(&s1);
		sieve_free(&s2);
	}
	done();
}

static void
test_vacation_action_carries_its_tags(void **state)
{
	static const char script[] =
	    "require \"vacation\";\n"
	    "vacation :days 60 :subject \"Away\" :from \"me@example.org\"\n"
	    "  :addresses [\"me@example.org\", \"alias@example.org\"]\n"
	    "  :handle \"h1\" :mime \"reason text\";\n";
	struct sieve_msg msg = {"a@b.c", "me@example.org", "+", 10, NULL, 0};
	const struct sieve_script *list[1];
	struct sieve_script *s;
	struct sieve_result res;
	struct sieve_error err;
	const struct sieve_action *v;
	enum sieve_status st;

	(void)state;
	s = compile_str(script, NULL, &st, &err);
	assert_int_equal(st, SIEVE_OK);
	list[0] = s;
	st = sieve_execute(list, 1, &msg, NULL, &res, &err);
	assert_int_equal(st, SIEVE_OK);
	assert_true(res.nactions >= 1);
	v = &res.actions[0];
	if (v->type != SIEVE_ACT_VACATION || v->days != 30 || !v->mime ||
	    strcmp(v->subject, "Away") != 0 ||
	    strcmp(v->from, "me@example.org") != 0 ||
	    strcmp(v->handle, "h1") != 0 ||
	    strcmp(v->reason, "reason text") != 0 || v->line != 2 ||
	    v->addresses == NULL || v->addresses[0] == NULL ||
	    strcmp(v->addresses[1], "alias@example.org") != 0 ||
	    v->addresses[2] != NULL)
		BAD("vacation: got type %d days %ld mime %d subject %s line %u,"
		    " want VACATION 30 1 Away line 2 with 2 addresses",
		    v->type, v->days, v->mime, v->subject, v->line);
	sieve_result_free(&res);
	sieve_free(&s);

	s = compile_str("require \"vacation\"; vacation \"r\";", NULL, &st,
			&err);
	list[0] = s;
	st = sieve_execute(list, 1, &msg, NULL, &res, &err);
	v = &res.actions[0];
	if (st != SIEVE_OK || v->days != 7 || v->subject != NULL ||
	    v->from != NULL || v->handle != NULL || v->mime ||
	    v->addresses == NULL || v->addresses[0] != NULL)
		BAD("vacation defaults: got days %ld subject %p, want 7 and "
		    "NULLs",
		    v->days, (const void *)v->subject);
	sieve_result_free(&res);
	sieve_free(&s);
	done();
}

static void
test_max_actions_falls_back_to_keep(void **state)
{
	struct sieve_limits lim = {0};
	struct sieve_msg msg = {"", "me@example.org", "+", 10, NULL, 0};
	const struct sieve_script *list[1];
	struct sieve_script *s;
	struct sieve_result res;
	struct sieve_error err;
	enum sieve_status st;

	(void)state;
	lim.max_actions = 2;
	s = compile_str("require \"fileinto\"; fileinto \"a\";\n"
			"fileinto \"b\";\nfileinto \"c\";",
			&lim, &st, &err);
	list[0] = s;
	st = sieve_execute(list, 1, &msg, &lim, &res, &err);
	if (st != SIEVE_ELIMIT || res.nactions != 1 ||
	    res.actions[0].type != SIEVE_ACT_KEEP || !res.implicit_keep ||
	    err.line != 3)
		BAD("3 fileinto, max 2: got %s, %zu action(s), line %u, want "
		    "SIEVE_ELIMIT, one KEEP, line 3",
		    st_name(st), res.nactions, err.line);
	sieve_result_free(&res);
	sieve_free(&s);
	done();
}

/* The result owns its strings: it outlives the script. */
static void
test_result_outlives_script(void **state)
{
	struct sieve_msg msg = {"", "me@example.org", "+", 10, NULL, 0};
	const struct sieve_script *list[1];
	struct sieve_script *s;
	struct sieve_result res;
	struct sieve_error err;
	enum sieve_status st;

	(void)state;
	s = compile_str("require \"fileinto\"; fileinto \"Lists.dev\";", NULL,
			&st, &err);
	list[0] = s;
	st = sieve_execute(list, 1, &msg, NULL, &res, &err);
	sieve_free(&s);
	if (st != SIEVE_OK || res.nactions != 1 ||
	    strcmp(res.actions[0].mailbox, "Lists.dev") != 0 ||
	    res.implicit_keep)
		BAD("got %s %zu action(s), want one fileinto Lists.dev",
		    st_name(st), res.nactions);
	sieve_result_free(&res);
	done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_execute_table),
	    cmocka_unit_test(test_vacation_action_carries_its_tags),
	    cmocka_unit_test(test_max_actions_falls_back_to_keep),
	    cmocka_unit_test(test_result_outlives_script),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
