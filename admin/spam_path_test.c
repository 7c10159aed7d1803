/* admin/spam_path_test.c - which Bayes file a spam verb uses
 * (spam_bayes_choose) and what a learning spool name says
 * (spam_spool_class), table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "admin.h"
#include "buf.h"

#define DEF "/var/lib/facteur/bayes.sqlite"
#define CDB "/var/lib/facteur/facteur.sqlite"

struct choose_case {
	const char *name;
	const char *opt, *conf_bayes, *db, *conf_db;
	const char *want;
};

static const struct choose_case choose_cases[] = {
    {"--bayes wins over everything", "/x/b.sqlite", "/c/b.sqlite",
     "/d/f.sqlite", CDB, "/x/b.sqlite"},
    {"[spam] bayes_path set in the file wins over --db", NULL, "/c/b.sqlite",
     "/d/f.sqlite", CDB, "/c/b.sqlite"},
    {"bayes_path = '' (Bayes off) stays off", NULL, "", "/d/f.sqlite", CDB, ""},
    {"without bayes_path, beside a --db that is not [database] path", NULL,
     NULL, "/d/f.sqlite", CDB, "/d/bayes.sqlite"},
    {"--db naming the configured database: the milter's default", NULL, NULL,
     "/srv/f.sqlite", "/srv/f.sqlite", DEF},
    {"no config, default database: the milter's default", NULL, NULL, CDB, CDB,
     DEF},
    {"a --db without a directory: bayes.sqlite here", NULL, NULL, "f.sqlite",
     CDB, "bayes.sqlite"},
    {"no database at all: the milter's default", NULL, NULL, NULL, NULL, DEF},
    {"[database] url on PostgreSQL: Bayes is in that database", NULL, NULL,
     NULL, "postgresql:///f?host=/run/pg", "postgresql:///f?host=/run/pg"},
    {"--db a PostgreSQL URL: Bayes is in it", NULL, NULL,
     "postgres://db.example/f", CDB, "postgres://db.example/f"},
    {"bayes_path at its default, on PostgreSQL: the database", NULL, DEF,
     "postgres://db.example/f", "postgres://db.example/f",
     "postgres://db.example/f"},
    {"bayes_path elsewhere keeps a file, on PostgreSQL too", NULL,
     "/c/b.sqlite", NULL, "postgres://db.example/f", "/c/b.sqlite"},
    {"--bayes wins on PostgreSQL too", "/x/b.sqlite", NULL, NULL,
     "postgres://db.example/f", "/x/b.sqlite"},
};

static void
test_bayes_path_is_the_milters(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(choose_cases) / sizeof(choose_cases[0]); i++) {
		const struct choose_case *c = &choose_cases[i];

		buf_init(&b, 4096);
		assert_int_equal(spam_bayes_choose(c->opt, c->conf_bayes, c->db,
						   c->conf_db, DEF, &b),
				 0);
		if (strcmp(buf_str(&b), c->want) != 0)
			fail_msg("%s: got '%s', want '%s'", c->name,
				 buf_str(&b), c->want);
		buf_free(&b);
	}
}

static const struct {
	const char *name;
	int want;
} class_cases[] = {
    {"1796620000123456789.4242.spam", 1},
    {"1796620000123456789.4242.ham", 0},
    {"1.1.spam", 1},
    {".1796620000123456789.4242.spam", -1}, /* a wrapper's temp file */
    {"1796620000123456789.4242.spam.x", -1},
    {"1796620000123456789.4242.Spam", -1},
    {"1796620000123456789.spam", -1},
    {"x1796620000123456789.4242.spam", -1},
    {"1796620000123456789.42a.spam", -1},
    {"..spam", -1},
    {"1234567890123456789012345.1.spam", -1}, /* 25 digits */
    {"1.12345678901.ham", -1},		      /* 11-digit pid */
    {"1796620000123456789.4242.", -1},
    {"", -1},
};

static void
test_spool_name_gives_the_class(void **state)
{
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(class_cases) / sizeof(class_cases[0]); i++)
		if ((got = spam_spool_class(class_cases[i].name)) !=
		    class_cases[i].want)
			fail_msg("'%s': got %d, want %d", class_cases[i].name,
				 got, class_cases[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bayes_path_is_the_milters),
	    cmocka_unit_test(test_spool_name_gives_the_class),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
