/* lib/cfg_test.c - unit tests for typed INI configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"

struct t_settings {
	char *socket;
	long long threads;
	int verbose;
	unsigned long long max_size;
	long long timeout;
	int on_error;
	struct cidr_list nets;
	double score;
	struct cfg_list daemons;
};

static const struct cfg_key t_keys[] = {
    {"socket", CFG_STR, "unix:/run/x.sock", 0, 0,
     offsetof(struct t_settings, socket), NULL, NULL},
    {"threads", CFG_INT, "4", 1, 64, offsetof(struct t_settings, threads), NULL,
     NULL},
    {"verbose", CFG_BOOL, "no", 0, 0, offsetof(struct t_settings, verbose),
     NULL, NULL},
    {"max_size", CFG_SIZE, "10M", 0, 0, offsetof(struct t_settings, max_size),
     NULL, NULL},
    {"timeout", CFG_DURATION, "5s", 0, 0, offsetof(struct t_settings, timeout),
     NULL, NULL},
    {"on_error", CFG_ENUM, "tempfail", 0, 0,
     offsetof(struct t_settings, on_error), "accept|tempfail", NULL},
    {"internal_hosts", CFG_CIDR_LIST, "127.0.0.0/8, ::1", 0, 0,
     offsetof(struct t_settings, nets), NULL, NULL},
    {"score", CFG_DOUBLE, "5.0", -1000, 10000,
     offsetof(struct t_settings, score), NULL, NULL},
    {"daemons", CFG_LIST, "ORIGINATING", 0, 0,
     offsetof(struct t_settings, daemons), NULL, NULL},
};

struct t_fixture {
	char path[64];
	struct t_settings set;
	struct cfg_database db;
	struct cfg_section secs[2];
	char err[512];
};

static int
t_load(struct t_fixture *f, const char *text)
{
	FILE *fp;
	int fd;

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/cfg_test.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
	f->secs[0] = (struct cfg_section){
	    "lookup", t_keys, sizeof(t_keys) / sizeof(t_keys[0]), &f->set};
	f->secs[1] = (struct cfg_section){"database", cfg_database_keys,
					  cfg_database_nkeys, &f->db};
	return cfg_load(f->path, f->secs, 2, 0, f->err, sizeof(f->err));
}

static void
t_done(struct t_fixture *f)
{
	cfg_free(f->secs, 2);
	unlink(f->path);
}

static void
defaults_apply_when_keys_absent(void **state)
{
	struct t_fixture f;

	assert_int_equal(t_load(&f, "[lookup]\n"), 0);
	assert_string_equal(f.set.socket, "unix:/run/x.sock");
	assert_int_equal(f.set.threads, 4);
	assert_int_equal(f.set.verbose, 0);
	assert_int_equal(f.set.max_size, 10 * 1024 * 1024);
	assert_int_equal(f.set.timeout, 5000);
	assert_int_equal(f.set.on_error, 1);
	assert_true(f.set.score == 5.0);
	assert_int_equal(f.set.nets.n, 2);
	assert_true(cidr_list_match(&f.set.nets, "127.0.0.9"));
	assert_true(cidr_list_match(&f.set.nets, "::1"));
	assert_int_equal(f.set.daemons.n, 1);
	assert_string_equal(f.set.daemons.v[0], "ORIGINATING");
	assert_string_equal(f.db.path, "/var/lib/facteur/facteur.sqlite");
	t_done(&f);
}

static void
values_are_parsed_by_type(void **state)
{
	struct t_fixture f;

	assert_int_equal(
	    t_load(
		&f,
		"; comment\n[database]\npath = /tmp/x.sqlite\n"
		"[lookup]\nsocket = inet:10044@127.0.0.1\nthreads = 64\n"
		"verbose = Yes\nmax_size = 512k\ntimeout = 250ms\n"
		"on_error = accept\ninternal_hosts = 10.1.0.0/16 2001:db8::/32,"
		"192.0.2.7\nscore = -0.25\ndaemons = , SUBMISSION,smtps\tX ,,\n"
		"[dkim]\nwhatever = 1\n"),
	    0);
	assert_string_equal(f.db.path, "/tmp/x.sqlite");
	assert_string_equal(f.set.socket, "inet:10044@127.0.0.1");
	assert_int_equal(f.set.threads, 64);
	assert_int_equal(f.set.verbose, 1);
	assert_int_equal(f.set.max_size, 512 * 1024);
	assert_int_equal(f.set.timeout, 250);
	assert_int_equal(f.set.on_error, 0);
	if (f.set.score != -0.25)
		fail_msg("score: got %g, want -0.25", f.set.score);
	assert_int_equal(f.set.nets.n, 3);
	assert_true(cidr_list_match(&f.set.nets, "10.1.255.1"));
	assert_true(cidr_list_match(&f.set.nets, "192.0.2.7"));
	assert_false(cidr_list_match(&f.set.nets, "127.0.0.1"));
	if (f.set.daemons.n != 3 || strcmp(f.set.daemons.v[0], "SUBMISSION") ||
	    strcmp(f.set.daemons.v[1], "smtps") ||
	    strcmp(f.set.daemons.v[2], "X"))
		fail_msg("daemons: got %zu words, want SUBMISSION smtps X",
			 f.set.daemons.n);
	t_done(&f);
}

static void
empty_cidr_list_is_empty(void **state)
{
	struct t_fixture f;

	assert_int_equal(t_load(&f, "[lookup]\ninternal_hosts =\n"), 0);
	assert_int_equal(f.set.nets.n, 0);
	assert_false(cidr_list_match(&f.set.nets, "127.0.0.1"));
	t_done(&f);
}

struct t_bad {
	const char *text;
	const char *want; /* substring of the error */
};

static void
errors_name_file_line_and_key(void **state)
{
	static const struct t_bad cases[] = {
	    {"[lookup]\n\nthreadz = 3\n",
	     ":3: [lookup] unknown key \"threadz\""},
	    {"[lookup]\nthreads = 65\n", ":2: threads: 65 is out of range"},
	    {"[lookup]\nthreads = 0\n", ":2: threads: 0 is out of range"},
	    {"[lookup]\nthreads = 3x\n", ":2: threads: not an integer"},
	    {"[lookup]\nverbose = maybe\n", ":2: verbose: \"maybe\" is not"},
	    {"[lookup]\nmax_size = 10Q\n",
	     ":2: max_size: \"10Q\" is not a size"},
	    {"[lookup]\nmax_size = -1\n", ":2: max_size"},
	    {"[lookup]\ntimeout = 5 s\n", ":2: timeout"},
	    {"[lookup]\non_error = drop\n",
	     ":2: on_error: \"drop\" is not one of"},
	    {"[lokup]\nx = 1\n", ":2: unknown section [lokup]"},
	    {"x = 1\n", ":1: key \"x\" outside any [section]"},
	    {"[lookup]\nthis line has no equals\n", ":2: syntax error"},
	    {"[lookup]\nmax_size = 99999999999G\n", ":2: max_size"},
	    /* issue 10: [spam] read "192.0.2.0/" as /0 (atoi) */
	    {"[lookup]\n\ninternal_hosts = 192.0.2.0/\n",
	     ":3: internal_hosts: \"192.0.2.0/\" has an empty prefix length"},
	    {"[lookup]\ninternal_hosts = ::1, 10.0.0.0/33\n",
	     ":2: internal_hosts: \"10.0.0.0/33\" has a prefix length over"},
	    {"[lookup]\ninternal_hosts = 2001:db8::/129\n",
	     ":2: internal_hosts: \"2001:db8::/129\" has a prefix length"},
	    {"[lookup]\ninternal_hosts = 10.0.0.0/8x\n",
	     ":2: internal_hosts: \"10.0.0.0/8x\" has a prefix length that "
	     "is not"},
	    {"[lookup]\ninternal_hosts = 10.0.0.0x/8\n",
	     ":2: internal_hosts: \"10.0.0.0x/8\" is not an IPv4 or IPv6"},
	    {"[lookup]\ninternal_hosts = 127.0.0.1;10.0.0.1\n",
	     ":2: internal_hosts: \"127.0.0.1;10.0.0.1\" is not an IPv4"},
	    {"[lookup]\ninternal_hosts = localhost\n",
	     ":2: internal_hosts: \"localhost\" is not an IPv4 or IPv6"},
	    {"[lookup]\ninternal_hosts = ::1,\n  192.0.2.0/ 10.0.0.1\n",
	     ":3: internal_hosts: \"192.0.2.0/\" has an empty prefix"},
	    /* inih hands an indented line over as the key above again: a
	     * string was replaced by the tail, a number failed or not */
	    {"[lookup]\nsocket = unix:/run/a.sock\n  unix:/run/b.sock\n",
	     ":3: socket: an indented line goes on with the value above"},
	    {"[lookup]\nthreads = 3\n\t4\n",
	     ":3: threads: an indented line goes on"},
	    /* scores were strings parsed later with strtod, and no line */
	    {"[lookup]\nscore = 5.0x\n",
	     ":2: score: \"5.0x\" is not a decimal number"},
	    {"[lookup]\nscore = 5.\n", ":2: score: \"5.\" is not a decimal"},
	    {"[lookup]\nscore = .5\n", ":2: score: \".5\" is not a decimal"},
	    {"[lookup]\nscore = 1e3\n", ":2: score: \"1e3\" is not a decimal"},
	    {"[lookup]\nscore = nan\n", ":2: score: \"nan\" is not a decimal"},
	    {"[lookup]\nscore = inf\n", ":2: score: \"inf\" is not a decimal"},
	    {"[lookup]\nscore = 0x10\n", ":2: score: \"0x10\" is not a"},
	    {"[lookup]\nscore = 5,5\n", ":2: score: \"5,5\" is not a decimal"},
	    {"[lookup]\nscore =\n", ":2: score: \"\" is not a decimal"},
	    {"[lookup]\nscore = 10000.5\n",
	     ":2: score: 10000.5 is out of range [-1000, 10000]"},
	    {"[lookup]\nscore = -1000.01\n", ":2: score: -1000.01 is out of"},
	    /* integers and durations were already strict: kept so */
	    {"[lookup]\nthreads = 3.0\n", ":2: threads: not an integer"},
	    {"[lookup]\nthreads = 0x10\n", ":2: threads: not an integer"},
	    {"[lookup]\ntimeout = 10sec\n", ":2: timeout: \"10sec\" is not"},
	    {"[lookup]\ntimeout = 1.5s\n", ":2: timeout: \"1.5s\" is not"},
	    {"[lookup]\ntimeout = -5s\n", ":2: timeout: \"-5s\" is not"},
	    {"[lookup]\nmax_size = 1.5M\n", ":2: max_size: \"1.5M\" is not"},
	    /* lists: split and checked here, once (dkim and scrub each
	     * split them at every message before, and took any byte) */
	    {"[lookup]\ndaemons = A,\001B\n",
	     ":2: daemons: byte 0x1 is not printable ASCII"},
	    {"[lookup]\ndaemons = ORIGIN\xc3\xa9\n",
	     ":2: daemons: byte 0xc3 is not printable ASCII"},
	    {"[lookup]\ndaemons = A\n  B \x7f\n",
	     ":3: daemons: byte 0x7f is not printable ASCII"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct t_fixture f;
		int r = t_load(&f, cases[i].text);
		if (r != -1 || strstr(f.err, cases[i].want) == NULL ||
		    strstr(f.err, f.path) != f.err)
			fail_msg("case %zu: got %d \"%s\", want -1 with \"%s\"",
				 i, r, f.err, cases[i].want);
		t_done(&f);
	}
}

/* The words of a list over indented lines add up; the default goes. */
static void
list_goes_on_over_indented_lines(void **state)
{
	struct t_fixture f;

	assert_int_equal(t_load(&f, "[lookup]\ndaemons = A,\n  b c\n"
				    "\tD\nthreads = 2\n"),
			 0);
	if (f.set.daemons.n != 4 || !cfg_list_has(&f.set.daemons, "a", 1) ||
	    !cfg_list_has(&f.set.daemons, "d", 1) ||
	    cfg_list_has(&f.set.daemons, "ORIGINATING", 11))
		fail_msg("got %zu words, want A b c D (the default replaced)",
			 f.set.daemons.n);
	assert_int_equal(f.set.threads, 2);
	t_done(&f);
}

/* cfg_list_has: whole words in any case, never a prefix; NULL, "" and
 * an empty list hold nothing. */
static void
list_has_whole_words_any_case(void **state)
{
	static const struct cfg_key k = {"l", CFG_LIST, NULL, 0,
					 0,   0,	NULL, NULL};
	static const struct {
		const char *w;
		int want;
	} t[] = {
	    {"ORIGINATING", 1},
	    {"originating", 1},
	    {"Submission", 1},
	    {"ORIGINATIN", 0},
	    {"ORIGINATING2", 0},
	    {"", 0},
	    {",", 0},
	    {"ORIGINATING SUBMISSION", 0},
	};
	struct cfg_list l = {NULL, 0};
	char err[128];
	size_t i;

	assert_int_equal(
	    cfg_set(&k, &l, "ORIGINATING submission", err, sizeof(err)), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (cfg_list_has(&l, t[i].w, strlen(t[i].w)) != t[i].want)
			fail_msg("\"%s\": got %d, want %d", t[i].w, !t[i].want,
				 t[i].want);
	assert_int_equal(cfg_list_has(NULL, "A", 1), 0);
	assert_int_equal(cfg_set(&k, &l, "", err, sizeof(err)), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(cfg_list_has(&l, "ORIGINATING", 11), 0);
	cfg_list_free(&l);
}

/* A 256-byte word and a 257th word are refused, and a refused value
 * leaves the list as it was. */
static void
list_limits_are_errors(void **state)
{
	static const struct cfg_key k = {"l", CFG_LIST, NULL, 0,
					 0,   0,	NULL, NULL};
	struct cfg_list l = {NULL, 0};
	char err[128], word[CFG_LIST_WORD_MAX + 2], *many;
	size_t i;

	assert_int_equal(cfg_set(&k, &l, "KEEP", err, sizeof(err)), 0);
	memset(word, 'w', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	assert_int_equal(cfg_set(&k, &l, word, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is longer than 255 bytes"));
	word[sizeof(word) - 2] = '\0';
	assert_int_equal(cfg_set(&k, &l, word, err, sizeof(err)), 0);
	assert_int_equal(cfg_set(&k, &l, "KEEP", err, sizeof(err)), 0);
	many = malloc(2 * (CFG_LIST_MAX + 1) + 1);
	assert_non_null(many);
	for (i = 0; i < CFG_LIST_MAX + 1; i++)
		memcpy(many + 2 * i, "x ", 2);
	many[2 * (CFG_LIST_MAX + 1)] = '\0';
	assert_int_equal(cfg_set(&k, &l, many, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 256 words"));
	if (l.n != 1 || strcmp(l.v[0], "KEEP") != 0)
		fail_msg("got %zu words, want KEEP alone", l.n);
	many[2 * CFG_LIST_MAX] = '\0';
	assert_int_equal(cfg_set(&k, &l, many, err, sizeof(err)), 0);
	assert_int_equal(l.n, CFG_LIST_MAX);
	free(many);
	cfg_list_free(&l);
}

static void
cidr_list_goes_on_over_indented_lines(void **state)
{
	struct t_fixture f;

	assert_int_equal(
	    t_load(&f, "[lookup]\ninternal_hosts = 10.1.0.0/16,"
		       "\n  192.0.2.0/24\n\t2001:db8::/32\nthreads = 2\n"),
	    0);
	if (f.set.nets.n != 3 || !cidr_list_match(&f.set.nets, "10.1.2.3") ||
	    !cidr_list_match(&f.set.nets, "2001:db8::1") ||
	    cidr_list_match(&f.set.nets, "127.0.0.1"))
		fail_msg("got %zu blocks, want 10.1.0.0/16 192.0.2.0/24 "
			 "2001:db8::/32 (the default replaced)",
			 f.set.nets.n);
	t_done(&f);
	/* the key again, not indented: the last value wins, as for any key */
	assert_int_equal(
	    t_load(&f,
		   "[lookup]\ninternal_hosts = 10.1.0.0/16"
		   "\n  10.2.0.0/16\n[dkim]\nx = 1\n[lookup]\ninternal_hosts = "
		   "192.0.2.1\n"),
	    0);
	if (f.set.nets.n != 1 || !cidr_list_match(&f.set.nets, "192.0.2.1"))
		fail_msg("got %zu blocks, want 192.0.2.1 alone", f.set.nets.n);
	t_done(&f);
}

static void
too_many_cidr_blocks_is_an_error(void **state)
{
	char text[4096];
	struct t_fixture f;
	size_t n, i;
	int r;

	n = (size_t)snprintf(text, sizeof(text), "[lookup]\ninternal_hosts =");
	for (i = 0; i <= CIDR_LIST_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "%s10.%zu.0.0/16",
				      i % 8 == 0 ? "\n  " : " ", i);
	snprintf(text + n, sizeof(text) - n, "\n");
	r = t_load(&f, text);
	if (r != -1 ||
	    strstr(f.err, ":11: internal_hosts: \"10.64.0.0/16\" "
			  "is one block too many (at most 64)") == NULL)
		fail_msg("65 blocks: got %d \"%s\", want -1 at line 11 naming "
			 "10.64.0.0/16",
			 r, f.err);
	t_done(&f);
	n -= strlen(" 10.64.0.0/16");
	text[n] = '\0';
	if ((r = t_load(&f, text)) != 0 || f.set.nets.n != CIDR_LIST_MAX)
		fail_msg("64 blocks: got %d \"%s\" with %zu, want 0 with 64", r,
			 f.err, f.set.nets.n);
	t_done(&f);
}

static void
a_line_longer_than_inih_reads_is_an_error(void **state)
{
	char text[1024];
	struct t_fixture f;
	size_t n;
	int r;

	/* inih cut it at 199 bytes and read the tail as the next line; an
	 * indented tail replaced the value as a continuation. */
	n = (size_t)snprintf(text, sizeof(text), "[lookup]\nsocket = unix:/");
	memset(text + n, 'a', 300);
	n += 300;
	snprintf(text + n, sizeof(text) - n, "\nthreads = 2\n");
	r = t_load(&f, text);
	if (r != -1 || strstr(f.err, ":2: line longer than") == NULL)
		fail_msg("got %d \"%s\", want -1 with \":2: line longer than\"",
			 r, f.err);
	t_done(&f);
	/* 199 bytes and its newline still fit, with or without the newline */
	n = (size_t)snprintf(text, sizeof(text), "[lookup]\nsocket = ");
	memset(text + n, 'b', 199 - 9);
	n += 199 - 9;
	snprintf(text + n, sizeof(text) - n, "\n");
	if ((r = t_load(&f, text)) != 0 || strlen(f.set.socket) != 190)
		fail_msg("a 199-byte line: got %d \"%s\", want 0", r, f.err);
	t_done(&f);
	text[n] = '\0';
	if ((r = t_load(&f, text)) != 0 || strlen(f.set.socket) != 190)
		fail_msg("a 199-byte last line: got %d \"%s\", want 0", r,
			 f.err);
	t_done(&f);
}

static void
missing_file_is_an_error_unless_allowed(void **state)
{
	struct t_settings set;
	struct cfg_section sec = {"lookup", t_keys,
				  sizeof(t_keys) / sizeof(t_keys[0]), &set};
	char err[256];

	memset(&set, 0, sizeof(set));
	assert_int_equal(
	    cfg_load("/nonexistent/facteur.conf", &sec, 1, 0, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "/nonexistent/facteur.conf: No such"));
	assert_int_equal(
	    cfg_load("/nonexistent/facteur.conf", &sec, 1, 1, err, sizeof(err)),
	    0);
	assert_int_equal(set.threads, 4);
	cfg_free(&sec, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults_apply_when_keys_absent),
	    cmocka_unit_test(values_are_parsed_by_type),
	    cmocka_unit_test(empty_cidr_list_is_empty),
	    cmocka_unit_test(errors_name_file_line_and_key),
	    cmocka_unit_test(cidr_list_goes_on_over_indented_lines),
	    cmocka_unit_test(list_goes_on_over_indented_lines),
	    cmocka_unit_test(list_has_whole_words_any_case),
	    cmocka_unit_test(list_limits_are_errors),
	    cmocka_unit_test(too_many_cidr_blocks_is_an_error),
	    cmocka_unit_test(a_line_longer_than_inih_reads_is_an_error),
	    cmocka_unit_test(missing_file_is_an_error_unless_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
