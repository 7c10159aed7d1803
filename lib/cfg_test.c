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
};

static const struct cfg_key t_keys[] = {
    {"socket", CFG_STR, "unix:/run/x.sock", 0, 0,
	offsetof(struct t_settings, socket), NULL, NULL},
    {"threads", CFG_INT, "4", 1, 64, offsetof(struct t_settings, threads),
	NULL, NULL},
    {"verbose", CFG_BOOL, "no", 0, 0, offsetof(struct t_settings, verbose),
	NULL, NULL},
    {"max_size", CFG_SIZE, "10M", 0, 0,
	offsetof(struct t_settings, max_size), NULL, NULL},
    {"timeout", CFG_DURATION, "5s", 0, 0,
	offsetof(struct t_settings, timeout), NULL, NULL},
    {"on_error", CFG_ENUM, "tempfail", 0, 0,
	offsetof(struct t_settings, on_error), "accept|tempfail", NULL},
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
	f->secs[0] = (struct cfg_section){"lookup", t_keys,
	    sizeof(t_keys) / sizeof(t_keys[0]), &f->set};
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
	assert_string_equal(f.db.path, "/var/lib/facteur/facteur.sqlite");
	t_done(&f);
}

static void
values_are_parsed_by_type(void **state)
{
	struct t_fixture f;

	assert_int_equal(t_load(&f,
	    "; comment\n[database]\npath = /tmp/x.sqlite\n"
	    "[lookup]\nsocket = inet:10044@127.0.0.1\nthreads = 64\n"
	    "verbose = Yes\nmax_size = 512k\ntimeout = 250ms\n"
	    "on_error = accept\n[dkim]\nwhatever = 1\n"), 0);
	assert_string_equal(f.db.path, "/tmp/x.sqlite");
	assert_string_equal(f.set.socket, "inet:10044@127.0.0.1");
	assert_int_equal(f.set.threads, 64);
	assert_int_equal(f.set.verbose, 1);
	assert_int_equal(f.set.max_size, 512 * 1024);
	assert_int_equal(f.set.timeout, 250);
	assert_int_equal(f.set.on_error, 0);
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
	    {"[lookup]\n\nthreadz = 3\n", ":3: [lookup] unknown key \"threadz\""},
	    {"[lookup]\nthreads = 65\n", ":2: threads: 65 is out of range"},
	    {"[lookup]\nthreads = 0\n", ":2: threads: 0 is out of range"},
	    {"[lookup]\nthreads = 3x\n", ":2: threads: not an integer"},
	    {"[lookup]\nverbose = maybe\n", ":2: verbose: \"maybe\" is not"},
	    {"[lookup]\nmax_size = 10Q\n", ":2: max_size: \"10Q\" is not a size"},
	    {"[lookup]\nmax_size = -1\n", ":2: max_size"},
	    {"[lookup]\ntimeout = 5 s\n", ":2: timeout"},
	    {"[lookup]\non_error = drop\n", ":2: on_error: \"drop\" is not one of"},
	    {"[lokup]\nx = 1\n", ":2: unknown section [lokup]"},
	    {"x = 1\n", ":1: key \"x\" outside any [section]"},
	    {"[lookup]\nthis line has no equals\n", ":2: syntax error"},
	    {"[lookup]\nmax_size = 99999999999G\n", ":2: max_size"},
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

static void
missing_file_is_an_error_unless_allowed(void **state)
{
	struct t_settings set;
	struct cfg_section sec = {"lookup", t_keys,
	    sizeof(t_keys) / sizeof(t_keys[0]), &set};
	char err[256];

	memset(&set, 0, sizeof(set));
	assert_int_equal(cfg_load("/nonexistent/facteur.conf", &sec, 1, 0,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/facteur.conf: No such"));
	assert_int_equal(cfg_load("/nonexistent/facteur.conf", &sec, 1, 1,
	    err, sizeof(err)), 0);
	assert_int_equal(set.threads, 4);
	cfg_free(&sec, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults_apply_when_keys_absent),
	    cmocka_unit_test(values_are_parsed_by_type),
	    cmocka_unit_test(errors_name_file_line_and_key),
	    cmocka_unit_test(missing_file_is_an_error_unless_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
