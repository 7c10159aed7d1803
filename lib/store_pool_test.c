/* lib/store_pool_test.c - the pool hands back the store it was given
 * (no second open), opens when empty, frees what does not fit, and a
 * reused store sees a write made through another connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "store_pool.h"

struct fx {
	char dir[256];
	char path[300];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct store_errbuf err = {{0}};
	struct store *s = NULL;
	const char *tmp = getenv("TMPDIR");
	int from, to;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/store_pool.XXXXXX",
		 tmp ? tmp : ".");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/db.sqlite", f->dir);
	if (store_open(f->path, STORE_RW, 1000, &s, &err) < 0 ||
	    store_migrate(s, &from, &to, &err) < 0)
		fail_msg("setup: got error '%s', want none", err.msg);
	store_free(&s);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[400];

	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
a_store_given_back_is_the_next_one_handed_out(void **state)
{
	struct fx *f = *state;
	struct store_errbuf err = {{0}};
	struct store_pool *p = NULL;
	struct store *a, *b, *c, *kept;

	assert_int_equal(store_pool_new(f->path, 1000, 1, &p), 0);
	a = store_pool_get(p, &err);
	b = store_pool_get(p, &err);
	if (a == NULL || b == NULL)
		fail_msg("get: got NULL (%s), want a store", err.msg);
	assert_ptr_not_equal(a, b); /* the pool was empty: two opens */
	kept = a;
	store_pool_put(p, &a);
	assert_null(a);
	store_pool_put(p, &b); /* max_idle 1: this one is freed */
	assert_null(b);
	c = store_pool_get(p, &err);
	if (c != kept)
		fail_msg("get after put: got %p, want the store given back %p",
			 (void *)c, (void *)kept);
	store_pool_put(p, &c);
	store_pool_free(&p);
	assert_null(p);
}

static void
a_reused_store_sees_a_later_write(void **state)
{
	struct fx *f = *state;
	struct store_errbuf err = {{0}};
	struct store_pool *p = NULL;
	struct store *r, *w = NULL;

	assert_int_equal(store_pool_new(f->path, 1000, 0, &p), 0);
	r = store_pool_get(p, &err);
	assert_non_null(r);
	assert_int_equal(store_domain_active(r, "example.org", &err),
			 STORE_NOTFOUND);
	store_pool_put(p, &r);
	if (store_open(f->path, STORE_RW, 1000, &w, &err) < 0 ||
	    store_domain_add(w, "example.org", 0, &err) < 0)
		fail_msg("write: got error '%s', want none", err.msg);
	store_free(&w);
	r = store_pool_get(p, &err);
	assert_non_null(r);
	if (store_domain_active(r, "example.org", &err) != STORE_FOUND)
		fail_msg("domain added through another connection: got not "
			 "active (%s), want active",
			 err.msg);
	store_pool_put(p, &r);
	store_pool_free(&p);
}

static void
a_missing_database_is_an_error_not_a_store(void **state)
{
	struct fx *f = *state;
	struct store_errbuf err = {{0}};
	struct store_pool *p = NULL;
	char path[400];

	snprintf(path, sizeof(path), "%s/nope.sqlite", f->dir);
	assert_int_equal(store_pool_new(path, 100, 0, &p), 0);
	assert_null(store_pool_get(p, &err));
	if (err.msg[0] == '\0')
		fail_msg("error text: got empty, want the reason");
	store_pool_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_store_given_back_is_the_next_one_handed_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_reused_store_sees_a_later_write,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_missing_database_is_an_error_not_a_store, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
