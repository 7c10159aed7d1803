/* lib/store_multi_test.c - unit tests of lib/store between connections:
 * atomic vacation claims (one reply when several hosts deliver at once),
 * the change stamp readers' caches hang on, and (PostgreSQL) a session
 * the server ends. On SQLite or PostgreSQL (store_test.h). */
#include <pthread.h>

#include "store_test.h"

static void
vacation_claim_is_once_per_period(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	const char *me = "alice@example.org", *bob = "bob@example.net";
	long long day = 86400, t = 1000000;

	WANT_RC(store_vacation_claim(s, me, bob, "h1", t, t - day, 0, &err),
		STORE_FOUND, err);
	WANT_RC(store_vacation_claim(s, me, bob, "h1", t + 10, t + 10 - day, 0,
				     &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_vacation_claim(s, me, "BOB@example.net", "h1", t + 20,
				     t + 20 - day, 0, &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_vacation_claim(s, me, bob, "h2", t + 30, t + 30 - day, 0,
				     &err),
		STORE_FOUND, err);
	/* A period later: claimed again, and the time moves on. */
	WANT_RC(store_vacation_claim(s, me, bob, "h1", t + 2 * day, t + day, 0,
				     &err),
		STORE_FOUND, err);
	WANT_RC(store_vacation_recent(s, me, bob, "h1", t + day + 1, &err),
		STORE_FOUND, err);
	WANT_RC(store_vacation_claim(s, me, "", "h1", t, 0, 0, &err),
		STORE_EINVAL, err);
}

#define CLAIMERS 8

struct claimer {
	const char *path;
	pthread_barrier_t *start;
	int rc;
	struct store_errbuf err;
};

static void *
claimer_run(void *arg)
{
	struct claimer *c = arg;
	struct store *s = NULL;

	c->rc = store_open(c->path, STORE_RW, 10000, &s, &c->err);
	pthread_barrier_wait(c->start);
	if (c->rc == 0)
		c->rc = store_vacation_claim(s, "alice@example.org",
					     "bob@example.net", "h1", 1000000,
					     1000000 - 86400, 0, &c->err);
	store_free(&s);
	return NULL;
}

/* Two hosts delivering to the same user at the same moment: one reply.
 * Eight connections claim at once; exactly one wins. */
static void
concurrent_vacation_claims_send_one_reply(void **state)
{
	struct fixture *f = *state;
	struct claimer c[CLAIMERS];
	pthread_t th[CLAIMERS];
	pthread_barrier_t start;
	int i, won = 0;

	open_init(f);
	pthread_barrier_init(&start, NULL, CLAIMERS);
	for (i = 0; i < CLAIMERS; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].path = f->path;
		c[i].start = &start;
		assert_int_equal(
		    pthread_create(&th[i], NULL, claimer_run, &c[i]), 0);
	}
	for (i = 0; i < CLAIMERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < CLAIMERS; i++) {
		if (c[i].rc != STORE_FOUND && c[i].rc != STORE_NOTFOUND)
			fail_msg("claimer %d: got %d (%s), want 0 or 1", i,
				 c[i].rc, c[i].err.msg);
		won += c[i].rc == STORE_FOUND;
	}
	if (won != 1)
		fail_msg("replies: got %d, want 1", won);
}

/* The stamp a reader's caches hang on (access.c's IP rows) moves when
 * another connection commits a change to a cached table, and only then. */
static void
change_stamp_moves_when_another_connection_writes(void **state)
{
	struct fixture *f = *state;
	struct store_errbuf err = {""};
	struct store *ro = NULL;
	long long a[2], b[2], c[2];

	open_init(f);
	WANT_RC(store_open(f->path, STORE_RO, 1000, &ro, &err), 0, err);
	WANT_RC(store_change_stamp(ro, a, &err), 0, err);
	WANT_RC(store_change_stamp(ro, b, &err), 0, err);
	if (a[0] != b[0] || a[1] != b[1])
		fail_msg("no write: got %lld/%lld then %lld/%lld, want equal",
			 a[0], a[1], b[0], b[1]);
	WANT_RC(store_access_add(f->s, 0, "192.0.2.0/24", "ip", "REJECT", 0,
				 NULL, NULL, 1, &err),
		0, err);
	WANT_RC(store_change_stamp(ro, c, &err), 0, err);
	if (b[0] == c[0] && b[1] == c[1])
		fail_msg("after a write: got %lld/%lld again, want a change",
			 c[0], c[1]);
	store_free(&ro);
}

/* PostgreSQL only: the server ends our session (a restart, a failover,
 * pg_terminate_backend). Outside a transaction the next call reconnects
 * and succeeds; inside one it fails (the transaction is gone) and the
 * call after it works again. */
static void
lost_connection_is_reopened_by_the_next_call(void **state)
{
	struct fixture *f = *state;
	struct store_errbuf err = {""};
	struct store *ro = NULL;
	const char *kill =
	    "SELECT count(pg_terminate_backend(pid)) FROM"
	    " pg_stat_activity WHERE application_name = $$facteur$$"
	    " AND pid <> pg_backend_pid()";
	int began;

	if (!f->pg)
		skip(); /* a SQLite file has no connection to lose */
	open_init(f);
	WANT_RC(store_domain_add(f->s, "example.org", 0, &err), 0, err);
	WANT_RC(store_open(f->path, STORE_RO, 1000, &ro, &err), 0, err);
	WANT_RC(store_domain_active(ro, "example.org", &err), STORE_FOUND, err);
	if (pg_sql(f->path, kill) < 0)
		fail_msg("psql: got failure, want the sessions ended");
	WANT_RC(store_domain_active(ro, "example.org", &err), STORE_FOUND, err);
	WANT_RC(store_domain_active(f->s, "example.org", &err), STORE_FOUND,
		err);
	began = store_read_begin(ro, &err);
	WANT_RC(began, 1, err);
	if (pg_sql(f->path, kill) < 0)
		fail_msg("psql: got failure, want the sessions ended");
	WANT_RC(store_domain_active(ro, "example.org", &err), STORE_EDB, err);
	store_read_end(ro, began);
	WANT_RC(store_domain_active(ro, "example.org", &err), STORE_FOUND, err);
	store_free(&ro);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(vacation_claim_is_once_per_period),
	    T(concurrent_vacation_claims_send_one_reply),
	    T(change_stamp_moves_when_another_connection_writes),
	    T(lost_connection_is_reopened_by_the_next_call),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
