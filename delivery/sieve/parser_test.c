/* delivery/sieve/parser_test.c - sieve_compile on the examples of RFC 5228,
 * 5229 (not variables: refused), 5230, 5232, 5233 and 3894, and on broken
 * scripts: status, line:col and message. */
#include "testutil.h"

static const char *const valid[] = {
    /* RFC 5228 section 9 */
    "require \"fileinto\";\n"
    "if header :is \"Sender\" \"owner-ietf-mtg@ietf.org\" {\n"
    "  fileinto \"ietf\";\n"
    "}\n",
    "require [\"fileinto\", \"reject\"];" /* reject: see invalid */
    ,
    "if header :contains \"from\" \"coyote\" {\n"
    "  discard;\n"
    "} elsif header :contains [\"subject\"] [\"$$$\"] {\n"
    "  discard;\n"
    "} else {\n"
    "  keep;\n"
    "}\n",
    "# Declare the extensions used by this script.\n"
    "require [\"fileinto\"];\n"
    "if header :is \"X-Caffeine\" \"\" {\n"
    "    discard;\n"
    "    stop;\n"
    "}\n"
    "if anyof (not exists [\"From\", \"Date\"],\n"
    "          header :contains \"from\" \"idiot@example.com\") {\n"
    "    discard;\n"
    "}\n"
    "if size :over 1M {\n"
    "    redirect \"postmaster@example.com\";\n"
    "    stop;\n"
    "}\n"
    "if address :all :comparator \"i;ascii-casemap\" :is \"From\"\n"
    "    \"boss@example.com\" {\n"
    "    keep;\n"
    "} elsif address :domain :is [\"From\", \"To\"] \"example.com\" {\n"
    "    keep;\n"
    "} elsif anyof (NOT address :all :contains\n"
    "           [\"To\", \"Cc\", \"Bcc\"] \"me@example.com\",\n"
    "       header :matches \"subject\"\n"
    "           [\"*make*money*fast*\", \"*university*dipl*mas*\"]) {\n"
    "    fileinto \"spam\";\n"
    "} else {\n"
    "    fileinto \"personal\";\n"
    "}\n",
    "require \"envelope\";\n"
    "if envelope :all :is \"from\" \"tim@example.com\" { discard; }\n",
    "if header :comparator \"i;octet\" :contains \"Subject\" \"MAKE MONEY "
    "FAST\" { discard; }\n",
    "if allof (header :contains \"from\" \"boss\", size :under 10K,\n"
    "          true, not false) { keep; }\n",
    /* RFC 5230 */
    "require \"vacation\";\n"
    "if header :contains \"subject\" \"cyrus\" {\n"
    "    vacation \"I'm out -- send mail to cyrus-bugs\";\n"
    "} else {\n"
    "    vacation \"I'm out -- call me at +1 304 555 0123\";\n"
    "}\n",
    "require \"vacation\";\n"
    "vacation :days 23 :addresses [\"tjs@example.edu\",\n"
    "                              \"ts4z@landru.example.edu\"]\n"
    "   \"I'm away until October 19.\n"
    "   If it's an emergency, call 911, I guess.\" ;\n",
    "require \"vacation\";\n"
    "vacation :mime :handle \"h\" :subject \"Gone\" :from "
    "\"me@example.org\" text:\n"
    "Content-Type: text/plain\n"
    "\n"
    "..I am away.\n"
    ".\n"
    ";\n",
    /* RFC 5232 */
    "require [\"imap4flags\", \"fileinto\"];\n"
    "if header :contains \"from\" \"boss@frobnitzm.example.edu\" {\n"
    "    setflag \"\\\\Flagged\";\n"
    "    fileinto :flags \"\\\\Deleted\" \"INBOX.From Boss\";\n"
    "}\n"
    "addflag [\"\\\\Seen\", \"\\\\Answered\"];\n"
    "removeflag \"\\\\Seen\";\n"
    "if hasflag :contains \"Flagged\" { keep :flags \"\\\\Seen\"; }\n",
    /* RFC 5233 */
    "require [\"envelope\", \"subaddress\", \"fileinto\"];\n"
    "if envelope :user \"to\" \"postmaster\" {\n"
    "    fileinto \"inbox.postmaster\";\n"
    "    stop;\n"
    "}\n"
    "if envelope :detail :is \"to\" \"mta-filters\" {\n"
    "    fileinto \"inbox.ietf-mta-filters\";\n"
    "}\n"
    "if address :detail \"to\" \"\" { keep; }\n",
    /* RFC 3894 copy, RFC 5490 mailbox */
    "require [\"copy\", \"fileinto\", \"mailbox\"];\n"
    "redirect :copy \"other@example.net\";\n"
    "fileinto :copy :create \"Archive.2024\";\n",
    "require [\"comparator-i;octet\", \"comparator-i;ascii-casemap\"];",
    "",
    "# only a comment",
    "IF TRUE { KEEP; }",
};

static void
test_compile_accepts_rfc_examples(void **state)
{
	struct sieve_script *sc;
	struct sieve_error err;
	enum sieve_status st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		if (strstr(valid[i], "reject") != NULL)
			continue; /* in the invalid table */
		sc = compile_str(valid[i], NULL, &st, &err);
		if (st != SIEVE_OK || sc == NULL)
			BAD("compile(valid #%zu): got %s %u:%u %s, want "
			    "SIEVE_OK\n%s",
			    i, st_name(st), err.line, err.col, err.msg,
			    valid[i]);
		sieve_free(&sc);
		if (sc != NULL)
			BAD("sieve_free did not clear the pointer");
	}
	done();
}

struct bad_case {
	const char *in;
	enum sieve_status st;
	unsigned line, col;
	const char *msg; /* prefix of the message */
};

static const struct bad_case invalid[] = {
    {"require [\"fileinto\", \"reject\"];", SIEVE_EUNSUPPORTED, 1, 9,
     "extension \"reject\" is not supported"},
    {"fileinto \"x\";", SIEVE_EUNSUPPORTED, 1, 1,
     "command 'fileinto' needs require \"fileinto\""},
    {"keep;\nrequire \"fileinto\";", SIEVE_ESYNTAX, 2, 1,
     "'require' must come before any other command"},
    {"if true {\n  require \"fileinto\";\n}", SIEVE_ESYNTAX, 2, 3,
     "'require' must come before"},
    {"frobnicate;", SIEVE_ESYNTAX, 1, 1, "unknown command 'frobnicate'"},
    {"if frob { keep; }", SIEVE_ESYNTAX, 1, 4, "unknown test 'frob'"},
    {"if header :frob \"a\" \"b\" { keep; }", SIEVE_ESYNTAX, 1, 11,
     "unknown tag ':frob' for 'header'"},
    {"if header :comparator \"i;unknown\" \"a\" \"b\" {}", SIEVE_EUNSUPPORTED,
     1, 23, "unknown comparator \"i;unknown\""},
    {"if header :count \"gt\" \"a\" \"1\" {}", SIEVE_EUNSUPPORTED, 1, 11,
     "match type :count is not supported (no relational extension)"},
    {"if header :value \"gt\" \"a\" \"1\" {}", SIEVE_EUNSUPPORTED, 1, 11,
     "match type :value is not supported"},
    {"if header :is :contains \"a\" \"b\" {}", SIEVE_ESYNTAX, 1, 15,
     "'header' has more than one match type"},
    {"if header \"a\" {}", SIEVE_ESYNTAX, 1, 4,
     "'header' expects a name list and a key list"},
    {"if address :user \"to\" \"x\" {}", SIEVE_EUNSUPPORTED, 1, 12,
     "address part needs require \"subaddress\""},
    {"if envelope \"from\" \"x\" {}", SIEVE_EUNSUPPORTED, 1, 4,
     "test 'envelope' needs require \"envelope\""},
    {"require \"envelope\";\nif envelope \"auth\" \"x\" {}", SIEVE_EUNSUPPORTED,
     2, 4, "envelope part \"auth\" is not supported"},
    {"if size 10 {}", SIEVE_ESYNTAX, 1, 4,
     "'size' expects :over or :under and a number"},
    {"if size :over :under 10 {}", SIEVE_ESYNTAX, 1, 15,
     "'size' takes one of :over or :under"},
    {"keep", SIEVE_ESYNTAX, 1, 5, "missing ';' after command 'keep'"},
    {"if true { keep; ", SIEVE_ESYNTAX, 1, 9, "'{' is never closed"},
    {"if true keep;", SIEVE_ESYNTAX, 1, 1, "'if' needs a block { ... }"},
    {"keep :x \"a\" )", SIEVE_ESYNTAX, 1, 13,
     "expected ';' or '{', got "
     "')'"},
    {"if true;", SIEVE_ESYNTAX, 1, 1, "'if' needs a block"},
    {"if (true) {}", SIEVE_ESYNTAX, 1, 1, "'if' expects one test"},
    {"else { keep; }", SIEVE_ESYNTAX, 1, 1, "'else' without a preceding"},
    {"if true {} else {} elsif true {}", SIEVE_ESYNTAX, 1, 20,
     "'elsif' without a preceding 'if'"},
    {"keep { }", SIEVE_ESYNTAX, 1, 1, "command 'keep' takes no block"},
    {"keep \"x\";", SIEVE_ESYNTAX, 1, 6, "too many arguments for 'keep'"},
    {"redirect \"not an address\";", SIEVE_ESYNTAX, 1, 1,
     "redirect to an invalid address \"not an address\""},
    {"redirect [\"a@b.c\", \"d@e.f\"];", SIEVE_ESYNTAX, 1, 10,
     "'redirect' expects a single string"},
    {"require \"fileinto\";\nfileinto \"\";", SIEVE_ESYNTAX, 2, 10,
     "'fileinto' needs a non-empty a mailbox name"},
    {"require \"fileinto\";\nfileinto :create \"x\";", SIEVE_EUNSUPPORTED, 2,
     10, "tag :create needs require \"mailbox\""},
    {"redirect :copy \"a@b.c\";", SIEVE_EUNSUPPORTED, 1, 10,
     "tag :copy needs require \"copy\""},
    {"require \"vacation\";\nvacation :days \"x\" \"r\";", SIEVE_ESYNTAX, 2, 10,
     ":days of 'vacation' needs a number"},
    {"require \"vacation\";\nvacation :seconds 5 \"r\";", SIEVE_ESYNTAX, 2, 10,
     "unknown tag ':seconds' for 'vacation'"},
    {"if header [\"a\" \"b\"] \"c\" {}", SIEVE_ESYNTAX, 1, 16,
     "expected ',' or ']', got string"},
    {"if anyof(true false) {}", SIEVE_ESYNTAX, 1, 15,
     "test 'true' takes no test"},
    {"if anyof(true, \"x\") {}", SIEVE_ESYNTAX, 1, 16,
     "expected a test, got string"},
    {"if not (true) {}", SIEVE_ESYNTAX, 1, 4, "'not' expects one test"},
    {"if allof true {}", SIEVE_ESYNTAX, 1, 4, "'allof' expects a test list"},
    {"stop :x;", SIEVE_ESYNTAX, 1, 6, "unknown tag ':x' for 'stop'"},
    {"if header :is \"a\" \"b\" :is {}", SIEVE_ESYNTAX, 1, 23,
     "tag ':is' of 'header' must come before"},
    {"}", SIEVE_ESYNTAX, 1, 1, "expected a command, got '}'"},
};

static void
test_compile_reports_errors_with_position(void **state)
{
	struct sieve_script *sc;
	struct sieve_error err;
	enum sieve_status st;
	size_t i;
	const struct bad_case *c;

	(void)state;
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		c = &invalid[i];
		sc = compile_str(c->in, NULL, &st, &err);
		if (st != c->st || sc != NULL || err.line != c->line ||
		    err.col != c->col ||
		    strncmp(err.msg, c->msg, strlen(c->msg)) != 0)
			BAD("compile(\"%s\"): got %s %u:%u \"%s\", want %s "
			    "%u:%u \"%s...\"",
			    c->in, st_name(st), err.line, err.col, err.msg,
			    st_name(c->st), c->line, c->col, c->msg);
		sieve_free(&sc);
	}
	done();
}

static void
test_compile_enforces_limits(void **state)
{
	struct sieve_limits lim = {0};
	struct sieve_script *sc;
	struct sieve_error err;
	enum sieve_status st;
	char deep[400];
	size_t i, n = 0;

	(void)state;
	lim.max_script = 10;
	sc = compile_str("keep; keep; keep;", &lim, &st, &err);
	if (st != SIEVE_ELIMIT)
		BAD("max_script 10: got %s, want SIEVE_ELIMIT", st_name(st));
	sieve_free(&sc);

	lim.max_script = 0;
	lim.max_strings = 2;
	sc = compile_str("if header \"a\" [\"1\",\"2\",\"3\"] {}", &lim, &st,
			 &err);
	if (st != SIEVE_ELIMIT || err.col != 24)
		BAD("max_strings 2: got %s col %u, want SIEVE_ELIMIT col 24",
		    st_name(st), err.col);
	sieve_free(&sc);

	/* 40 nested blocks pass the default depth of 32. */
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "if true {");
	sc = compile_str(deep, NULL, &st, &err);
	if (st != SIEVE_ELIMIT || strstr(err.msg, "nesting") == NULL)
		BAD("40 nested blocks: got %s \"%s\", want SIEVE_ELIMIT "
		    "nesting",
		    st_name(st), err.msg);
	sieve_free(&sc);

	n = 0;
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "not ");
	snprintf(deep + n, sizeof(deep) - n, "true {}");
	memmove(deep + 3, deep, strlen(deep) + 1);
	memcpy(deep, "if ", 3);
	sc = compile_str(deep, NULL, &st, &err);
	if (st != SIEVE_ELIMIT)
		BAD("40 nested tests: got %s, want SIEVE_ELIMIT", st_name(st));
	sieve_free(&sc);
	done();
}

static void
test_error_messages_are_plain_ascii(void **state)
{
	struct sieve_script *sc;
	struct sieve_error err;
	enum sieve_status st;
	size_t i;

	(void)state;
	sc = compile_str("require \"caf\xc3\xa9\n\";", NULL, &st, &err);
	for (i = 0; err.msg[i] != '\0'; i++)
		if ((unsigned char)err.msg[i] < 0x20 ||
		    (unsigned char)err.msg[i] >= 0x7f)
			BAD("error message byte %zu is 0x%02x, want printable "
			    "ASCII",
			    i, (unsigned char)err.msg[i]);
	if (st != SIEVE_EUNSUPPORTED)
		BAD("got %s, want SIEVE_EUNSUPPORTED", st_name(st));
	sieve_free(&sc);
	done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compile_accepts_rfc_examples),
	    cmocka_unit_test(test_compile_reports_errors_with_position),
	    cmocka_unit_test(test_compile_enforces_limits),
	    cmocka_unit_test(test_error_messages_are_plain_ascii),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
