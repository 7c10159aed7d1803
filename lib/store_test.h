/* lib/store_test.h - the fixture lib/store's unit tests share: a
 * database in a fresh temporary directory (under $TMPDIR or the build
 * directory), or, when FACTEUR_TEST_DB_URL names a PostgreSQL database
 * (tests/postgres), that database with its schema emptied before each
 * test: the same tests on both backends. Included by store_test.c and
 * store_multi_test.c only. */
#ifndef FACTEUR_LIB_STORE_TEST_H
#define FACTEUR_LIB_STORE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"

struct fixture {
	char dir[256];
	char path[300];
	int pg; /* path is a PostgreSQL URL */
	struct store *s;
};

/* Runs one SQL text with psql on the test's database; 0 or -1. */
__attribute__((unused)) static int
pg_sql(const char *url, const char *sql)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "psql -X -q -v ON_ERROR_STOP=1 -d '%s'"
		 " -c '%s' >/dev/null",
		 url, sql);
	return system(cmd) == 0 ? 0 : -1;
}

#define WANT_RC(got, want, err)                                                \
	do {                                                                   \
		int got_ = (got);                                              \
		if (got_ != (want))                                            \
			fail_msg("%s: got %d, want %d (%s)", #got, got_,       \
				 (want), (err).msg);                           \
	} while (0)

#define WANT_STR(got, want)                                                    \
	do {                                                                   \
		const char *got_ = (got);                                      \
		if (got_ == NULL || strcmp(got_, (want)) != 0)                 \
			fail_msg("%s: got \"%s\", want \"%s\"", #got,          \
				 got_ ? got_ : "(null)", (want));              \
	} while (0)

__attribute__((unused)) static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/store_test.XXXXXX",
		 tmp && *tmp ? tmp : ".");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/facteur.sqlite", f->dir);
	if (getenv("FACTEUR_TEST_DB_URL") != NULL) {
		snprintf(f->path, sizeof(f->path), "%s",
			 getenv("FACTEUR_TEST_DB_URL"));
		f->pg = 1;
		if (pg_sql(f->path, "SET client_min_messages = warning;"
				    " DROP SCHEMA public CASCADE;"
				    " CREATE SCHEMA public") < 0)
			return -1;
	}
	*state = f;
	return 0;
}

__attribute__((unused)) static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[400];
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	size_t i;

	store_free(&f->s);
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Opens RW and migrates to the current schema. */
__attribute__((unused)) static struct store *
open_init(struct fixture *f)
{
	struct store_errbuf err = {""};
	int from = -1, to = -1;

	WANT_RC(store_open(f->path, STORE_RW, 1000, &f->s, &err), 0, err);
	WANT_RC(store_migrate(f->s, &from, &to, &err), 0, err);
	return f->s;
}

#endif
