/* lib/store_test.c - unit tests for lib/store, one connection at a time,
 * on SQLite or PostgreSQL (store_test.h); store_multi_test.c has the
 * tests between connections. */
#include "store_test.h"

#include "buf.h"

static void
add_domain_user(struct store *s, const char *dom, const char *addr)
{
	struct store_errbuf err = {""};
	struct store_user u = {0};
	char md[256];

	snprintf(md, sizeof(md), "%s/%.*s/", dom, (int)strcspn(addr, "@"),
		 addr);
	u.address = (char *)addr;
	u.domain = (char *)dom;
	u.password = "{SHA512-CRYPT}$6$salt$hash";
	u.maildir = md;
	u.uid = -1;
	u.gid = -1;
	if (dom != NULL && store_domain_active(s, dom, &err) != STORE_FOUND)
		WANT_RC(store_domain_add(s, dom, 0, &err), 0, err);
	WANT_RC(store_user_add(s, &u, &err), 0, err);
}

static void
migrate_creates_schema_and_is_idempotent(void **state)
{
	struct fixture *f = *state;
	struct store_errbuf err = {""};
	struct stat st;
	int from = -1, to = -1;

	WANT_RC(store_open(f->path, STORE_RW, 1000, &f->s, &err), 0, err);
	if (!f->pg && stat(f->path, &st) != 0)
		fail_msg("%s: got no file, want one", f->path);
	if (!f->pg && (st.st_mode & 0777) != 0640)
		fail_msg("mode: got %o, want 640", st.st_mode & 0777);
	assert_int_equal(store_version(f->s), 0);
	WANT_RC(store_migrate(f->s, &from, &to, &err), 0, err);
	if (from != 0 || to != STORE_SCHEMA_VERSION)
		fail_msg("first migrate: got %d->%d, want 0->%d", from, to,
			 STORE_SCHEMA_VERSION);
	WANT_RC(store_migrate(f->s, &from, &to, &err), 0, err);
	if (from != STORE_SCHEMA_VERSION || to != STORE_SCHEMA_VERSION)
		fail_msg("second migrate: got %d->%d, want %d->%d", from, to,
			 STORE_SCHEMA_VERSION, STORE_SCHEMA_VERSION);
	assert_int_equal(store_version(f->s), STORE_SCHEMA_VERSION);
}

static void
readonly_open_refuses_uninitialised_database(void **state)
{
	struct fixture *f = *state;
	struct store_errbuf err = {""};
	struct store *ro = NULL;

	/* A missing file; a PostgreSQL database is always there. */
	if (!f->pg)
		WANT_RC(store_open(f->path, STORE_RO, 100, &ro, &err),
			STORE_EDB, err);
	WANT_RC(store_open(f->path, STORE_RW, 100, &f->s, &err), 0, err);
	WANT_RC(store_open(f->path, STORE_RO, 100, &ro, &err), STORE_EVERSION,
		err);
	assert_null(ro);
	assert_non_null(strstr(err.msg, "schema version 0"));
	WANT_RC(store_migrate(f->s, NULL, NULL, &err), 0, err);
	WANT_RC(store_open(f->path, STORE_RO, 100, &ro, &err), 0, err);
	assert_int_equal(store_version(ro), STORE_SCHEMA_VERSION);
	store_free(&ro);
	assert_null(ro);
}

static void
readonly_connection_cannot_write(void **state)
{
	struct fixture *f = *state;
	struct store_errbuf err = {""};
	struct store *ro = NULL;

	open_init(f);
	WANT_RC(store_open(f->path, STORE_RO, 100, &ro, &err), 0, err);
	WANT_RC(store_domain_add(ro, "example.org", 0, &err), STORE_EDB, err);
	store_free(&ro);
}

static void
reader_sees_writes_and_wal_files_persist(void **state)
{
	struct fixture *f = *state;
	struct store_errbuf err = {""};
	struct store *ro = NULL;
	char p[400];
	struct stat st;

	open_init(f);
	WANT_RC(store_open(f->path, STORE_RO, 100, &ro, &err), 0, err);
	WANT_RC(store_domain_active(ro, "example.org", &err), STORE_NOTFOUND,
		err);
	WANT_RC(store_domain_add(f->s, "example.org", 0, &err), 0, err);
	WANT_RC(store_domain_active(ro, "example.org", &err), STORE_FOUND, err);
	store_free(&ro);
	store_free(&f->s);
	if (f->pg)
		return; /* no files */
	/* Read-only daemons may not be able to create these themselves. */
	snprintf(p, sizeof(p), "%s-shm", f->path);
	if (stat(p, &st) != 0)
		fail_msg("%s: got missing after the writer closed, want kept",
			 p);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	if (stat(p, &st) != 0)
		fail_msg("%s: got missing after the writer closed, want kept",
			 p);
	if ((st.st_mode & 0777) != 0640)
		fail_msg("%s mode: got %o, want 640", p, st.st_mode & 0777);
}

static void
migrate_refuses_newer_database(void **state)
{
	struct fixture *f = *state;
	struct store_errbuf err = {""};
	struct store *ro = NULL;
	char cmd[512];

	open_init(f);
	store_free(&f->s);
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' 'PRAGMA user_version = %d'",
		 f->path, STORE_SCHEMA_VERSION + 1);
	if (f->pg) {
		snprintf(cmd, sizeof(cmd),
			 "UPDATE facteur_schema"
			 " SET version = %d",
			 STORE_SCHEMA_VERSION + 1);
		if (pg_sql(f->path, cmd) < 0)
			fail_msg("psql: got failure, want the version set");
	} else if (system(cmd) != 0)
		skip();
	WANT_RC(store_open(f->path, STORE_RO, 100, &ro, &err), STORE_EVERSION,
		err);
	WANT_RC(store_open(f->path, STORE_RW, 100, &f->s, &err), 0, err);
	WANT_RC(store_migrate(f->s, NULL, NULL, &err), STORE_EVERSION, err);
}

static void
domain_add_lowercases_and_refuses_duplicates(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};

	WANT_RC(store_domain_add(s, "Example.ORG", 1, &err), 0, err);
	WANT_RC(store_domain_active(s, "example.org", &err), STORE_FOUND, err);
	WANT_RC(store_domain_active(s, "EXAMPLE.org", &err), STORE_FOUND, err);
	WANT_RC(store_domain_active(s, "example.net", &err), STORE_NOTFOUND,
		err);
	WANT_RC(store_domain_add(s, "example.org", 0, &err), STORE_EDUP, err);
	WANT_STR(err.msg, "domain example.org already exists");
	WANT_RC(store_domain_add(s, "", 0, &err), STORE_EINVAL, err);
}

static void
inactive_domain_is_not_active_and_hides_mailbox(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	struct buf b;

	buf_init(&b, 0);
	add_domain_user(s, "example.org", "alice@example.org");
	WANT_RC(store_mailbox_lookup(s, "alice@example.org", &b, &err),
		STORE_FOUND, err);
	WANT_STR(buf_str(&b), "example.org/alice/");
	WANT_RC(store_domain_set_active(s, "example.org", 0, &err), 0, err);
	WANT_RC(store_domain_active(s, "example.org", &err), STORE_NOTFOUND,
		err);
	WANT_RC(store_mailbox_lookup(s, "alice@example.org", &b, &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_domain_set_active(s, "nowhere.org", 1, &err),
		STORE_ENOENT, err);
	WANT_RC(store_domain_set_active(s, "example.org", 2, &err),
		STORE_EINVAL, err);
	buf_free(&b);
}

static void
user_lookup_is_case_insensitive(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	struct store_user u;
	struct buf b;

	buf_init(&b, 0);
	add_domain_user(s, "Example.ORG", "Alice@Example.ORG");
	WANT_RC(store_user_get(s, "ALICE@EXAMPLE.ORG", &u, &err), STORE_FOUND,
		err);
	WANT_STR(u.address, "Alice@example.org");
	WANT_STR(u.domain, "example.org");
	WANT_STR(u.password, "{SHA512-CRYPT}$6$salt$hash");
	WANT_STR(u.full_name, "");
	assert_int_equal(u.uid, -1);
	assert_int_equal(u.active, 1);
	assert_int_equal(u.domain_active, 1);
	assert_true(u.created > 1600000000);
	store_user_clear(&u);
	assert_null(u.address);
	WANT_RC(store_mailbox_lookup(s, "alice@example.org", &b, &err),
		STORE_FOUND, err);
	WANT_RC(store_user_get(s, "bob@example.org", &u, &err), STORE_NOTFOUND,
		err);
	buf_free(&b);
}

static void
user_add_reports_missing_domain_and_duplicates(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	struct store_user u = {0};

	u.address = "alice@example.org";
	u.domain = "example.org";
	u.password = "x";
	u.maildir = "example.org/alice/";
	WANT_RC(store_user_add(s, &u, &err), STORE_EREF, err);
	WANT_STR(err.msg, "domain example.org does not exist");
	add_domain_user(s, "example.org", "alice@example.org");
	WANT_RC(store_user_add(s, &u, &err), STORE_EDUP, err);
	WANT_STR(err.msg, "user alice@example.org already exists");
	u.address = "ALICE@example.org";
	WANT_RC(store_user_add(s, &u, &err), STORE_EDUP, err);
}

static void
user_add_refuses_bad_values(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	struct store_user u = {0};
	static const char *const bad_maildirs[] = {
	    "/etc/",
	    "example.org/../../etc/",
	    "example.org/bob",
	    "/",
	};
	size_t i;

	add_domain_user(s, "example.org", "alice@example.org");
	u.address = "bob@example.org";
	u.domain = "example.org";
	u.password = "x";
	for (i = 0; i < sizeof(bad_maildirs) / sizeof(bad_maildirs[0]); i++) {
		u.maildir = (char *)bad_maildirs[i];
		WANT_RC(store_user_add(s, &u, &err), STORE_EINVAL, err);
	}
	u.maildir = "example.org/bob/";
	u.address = "bob@example.net"; /* not in its domain */
	WANT_RC(store_user_add(s, &u, &err), STORE_EINVAL, err);
	u.address = "bob@example.org";
	u.password = "";
	WANT_RC(store_user_add(s, &u, &err), STORE_EINVAL, err);
	u.password = NULL;
	WANT_RC(store_user_add(s, &u, &err), STORE_EINVAL, err);
	u.password = "x";
	u.quota_bytes = -1;
	WANT_RC(store_user_add(s, &u, &err), STORE_EINVAL, err);
	assert_non_null(strstr(err.msg, "quota must not be negative"));
}

static void
user_updates_and_delete(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	struct store_user u;
	struct buf b;

	buf_init(&b, 0);
	add_domain_user(s, "example.org", "alice@example.org");
	WANT_RC(store_user_set_password(s, "Alice@Example.org", "{X}new", &err),
		0, err);
	WANT_RC(store_user_set_quota(s, "alice@example.org", 1000, 10, &err), 0,
		err);
	WANT_RC(store_user_set_active(s, "alice@example.org", 0, &err), 0, err);
	WANT_RC(store_user_get(s, "alice@example.org", &u, &err), STORE_FOUND,
		err);
	WANT_STR(u.password, "{X}new");
	assert_int_equal(u.quota_bytes, 1000);
	assert_int_equal(u.quota_messages, 10);
	assert_int_equal(u.active, 0);
	store_user_clear(&u);
	WANT_RC(store_mailbox_lookup(s, "alice@example.org", &b, &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_user_set_quota(s, "alice@example.org", -5, 0, &err),
		STORE_EINVAL, err);
	WANT_RC(store_user_set_password(s, "bob@example.org", "x", &err),
		STORE_ENOENT, err);
	WANT_RC(store_user_del(s, "ALICE@example.org", &err), 0, err);
	WANT_RC(store_user_del(s, "alice@example.org", &err), STORE_ENOENT,
		err);
	WANT_STR(err.msg, "user alice@example.org does not exist");
	buf_free(&b);
}

static void
domain_with_users_cannot_be_deleted(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};

	add_domain_user(s, "example.org", "alice@example.org");
	WANT_RC(store_domain_del(s, "example.org", &err), STORE_EINUSE, err);
	WANT_STR(err.msg, "domain example.org still has 1 user");
	WANT_RC(store_user_del(s, "alice@example.org", &err), 0, err);
	WANT_RC(store_domain_del(s, "EXAMPLE.org", &err), 0, err);
	WANT_RC(store_domain_del(s, "example.org", &err), STORE_ENOENT, err);
}

static void
alias_add_lookup_and_delete(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	struct buf b;

	buf_init(&b, 0);
	WANT_RC(store_alias_add(s, 0, "postmaster", "root", 1, &err), 0, err);
	WANT_RC(store_alias_add(s, 0, "postmaster", "alice", 1, &err), 0, err);
	WANT_RC(store_alias_add(s, 0, "postmaster", "off", 0, &err), 0, err);
	WANT_RC(store_alias_add(s, 0, "postmaster", "root", 1, &err),
		STORE_EDUP, err);
	WANT_STR(err.msg, "alias postmaster -> root already exists");
	WANT_RC(store_alias_lookup(s, 0, "POSTMASTER", &b, &err), STORE_FOUND,
		err);
	WANT_STR(buf_str(&b), "root,alice");
	WANT_RC(store_alias_lookup(s, 1, "postmaster", &b, &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_alias_del(s, 0, "postmaster", "root", &err), 0, err);
	WANT_RC(store_alias_lookup(s, 0, "postmaster", &b, &err), STORE_FOUND,
		err);
	WANT_STR(buf_str(&b), "alice");
	WANT_RC(store_alias_del(s, 0, "postmaster", NULL, &err), 0, err);
	WANT_RC(store_alias_lookup(s, 0, "postmaster", &b, &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_alias_del(s, 0, "postmaster", NULL, &err), STORE_ENOENT,
		err);
	buf_free(&b);
}

static void
catch_all_is_found_by_its_at_domain_key(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	struct buf b;

	buf_init(&b, 0);
	WANT_RC(
	    store_alias_add(s, 1, "@Example.ORG", "alice@example.org", 1, &err),
	    0, err);
	WANT_RC(store_alias_add(s, 1, "Sales@Example.org", "bob@Example.NET", 1,
				&err),
		0, err);
	WANT_RC(store_alias_lookup(s, 1, "@example.org", &b, &err), STORE_FOUND,
		err);
	WANT_STR(buf_str(&b), "alice@example.org");
	WANT_RC(store_alias_lookup(s, 1, "SALES@EXAMPLE.ORG", &b, &err),
		STORE_FOUND, err);
	WANT_STR(buf_str(&b), "bob@example.net");
	WANT_RC(store_alias_lookup(s, 1, "nobody@example.org", &b, &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_alias_add(s, 1, "nodomain", "x@y", 1, &err), STORE_EINVAL,
		err);
	buf_free(&b);
}

static void
access_add_lookup_defaults_and_delete(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	struct store_access a;

	WANT_RC(store_access_add(s, 0, "spammer@Evil.example", "address",
				 "REJECT", 0, NULL, "go away", 1, &err),
		0, err);
	WANT_RC(store_access_add(s, 0, "spammer@evil.example", "address", "OK",
				 0, NULL, NULL, 1, &err),
		STORE_EDUP, err);
	WANT_RC(store_access_lookup(s, 0, "SPAMMER@EVIL.EXAMPLE", &a, &err),
		STORE_FOUND, err);
	WANT_STR(a.pattern, "spammer@evil.example");
	WANT_STR(a.action, "REJECT");
	assert_int_equal(a.code, 554);
	WANT_STR(a.enhanced, "5.7.1");
	WANT_STR(a.message, "go away");
	store_access_clear(&a);
	WANT_RC(store_access_lookup(s, 1, "spammer@evil.example", &a, &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_access_add(s, 1, "trap@example.org", NULL, "DISCARD", 0,
				 NULL, NULL, 1, &err),
		0, err);
	WANT_RC(store_access_lookup(s, 1, "trap@example.org", &a, &err),
		STORE_FOUND, err);
	WANT_STR(a.action, "DISCARD");
	assert_int_equal(a.code, 0);
	store_access_clear(&a);
	WANT_RC(store_access_add(s, 0, "x@", "address", "REJECT", 450, "4.7.1",
				 "later", 0, &err),
		0, err);
	WANT_RC(store_access_lookup(s, 0, "x@", &a, &err), STORE_NOTFOUND, err);
	WANT_RC(store_access_del(s, 0, "SPAMMER@evil.example", &err), 0, err);
	WANT_RC(store_access_lookup(s, 0, "spammer@evil.example", &a, &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_access_del(s, 0, "spammer@evil.example", &err),
		STORE_ENOENT, err);
}

static void
access_add_refuses_values_outside_the_schema(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};

	WANT_RC(store_access_add(s, 0, "a@b", "address", "DISCARD", 0, NULL,
				 NULL, 1, &err),
		STORE_EINVAL, err);
	WANT_RC(store_access_add(s, 0, "a@b", "host", "REJECT", 0, NULL, NULL,
				 1, &err),
		STORE_EINVAL, err);
	WANT_RC(store_access_add(s, 0, "a@b", "address", "REJECT", 250, NULL,
				 NULL, 1, &err),
		STORE_EINVAL, err);
	WANT_RC(store_access_add(s, 0, "a@b", "address", "REJECT", 554, "4.7.1",
				 NULL, 1, &err),
		STORE_EINVAL, err);
	WANT_RC(store_access_add(s, 0, "a@b", "address", "OK", 554, NULL, NULL,
				 1, &err),
		STORE_EINVAL, err);
	WANT_RC(store_access_add(s, 0, "a@b", "address", "REJECT", 0, NULL,
				 "two\r\nlines", 1, &err),
		STORE_EINVAL, err);
	assert_non_null(strstr(err.msg, "message must be one line"));
	WANT_RC(
	    store_access_add(s, 1, "a@b", NULL, "HOLD", 0, NULL, NULL, 2, &err),
	    STORE_EINVAL, err);
}

static int
collect_ip(void *ctx, const struct store_access *a)
{
	struct buf *b = ctx;

	return buf_printf(b, "%s=%s;", a->pattern, a->action) < 0;
}

static void
access_ip_each_walks_active_ip_rows(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	struct buf b;

	buf_init(&b, 0);
	WANT_RC(store_access_add(s, 0, "192.0.2.0/24", "ip", "REJECT", 0, NULL,
				 NULL, 1, &err),
		0, err);
	WANT_RC(store_access_add(s, 0, "2001:DB8::/32", "ip", "OK", 0, NULL,
				 NULL, 1, &err),
		0, err);
	WANT_RC(store_access_add(s, 0, "198.51.100.7", "ip", "REJECT", 0, NULL,
				 NULL, 0, &err),
		0, err);
	WANT_RC(store_access_add(s, 0, "evil.example", "domain", "REJECT", 0,
				 NULL, NULL, 1, &err),
		0, err);
	WANT_RC(store_access_ip_each(s, collect_ip, &b, &err), 0, err);
	WANT_STR(buf_str(&b), "192.0.2.0/24=REJECT;2001:db8::/32=OK;");
	buf_free(&b);
}

static int
collect_row(void *ctx, int n, const char *const *names, const char *const *vals)
{
	struct buf *b = ctx;
	int i;

	for (i = 0; i < n; i++)
		if (buf_printf(b, "%s%s=%s", i ? "," : "", names[i],
			       vals[i] ? vals[i] : "NULL") < 0)
			return -1;
	return buf_addc(b, ';');
}

static void
list_filters_by_domain_in_stable_order(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	struct buf b;

	buf_init(&b, 0);
	add_domain_user(s, "example.org", "zoe@example.org");
	add_domain_user(s, "example.org", "alice@example.org");
	add_domain_user(s, "example.net", "bob@example.net");
	WANT_RC(
	    store_alias_add(s, 1, "@example.org", "zoe@example.org", 1, &err),
	    0, err);
	WANT_RC(
	    store_alias_add(s, 1, "a@example.net", "b@example.net", 1, &err), 0,
	    err);
	WANT_RC(store_list(s, "domains", NULL, collect_row, &b, &err), 0, err);
	assert_non_null(strstr(buf_str(&b), "name=example.net,"));
	assert_true(strstr(buf_str(&b), "example.net") <
		    strstr(buf_str(&b), "example.org"));
	buf_reset(&b);
	WANT_RC(store_list(s, "users", "example.org", collect_row, &b, &err), 0,
		err);
	assert_null(strstr(buf_str(&b), "bob@"));
	assert_null(strstr(buf_str(&b), "password"));
	assert_true(strstr(buf_str(&b), "address=alice@") == buf_str(&b));
	assert_non_null(strstr(buf_str(&b), ";address=zoe@example.org,"));
	buf_reset(&b);
	WANT_RC(store_list(s, "virtual_aliases", "EXAMPLE.ORG", collect_row, &b,
			   &err),
		0, err);
	WANT_STR(buf_str(&b),
		 "address=@example.org,destination=zoe@example.org,active=1;");
	buf_reset(&b);
	WANT_RC(store_list(s, "users; DROP TABLE users", NULL, collect_row, &b,
			   &err),
		STORE_EINVAL, err);
	WANT_RC(store_list(s, "dkim_keys", NULL, collect_row, &b, &err), 0,
		err);
	WANT_STR(buf_str(&b), "");
	buf_free(&b);
}

static void
rollback_undoes_a_transaction(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};

	WANT_RC(store_begin(s, &err), 0, err);
	WANT_RC(store_domain_add(s, "example.org", 0, &err), 0, err);
	store_rollback(s);
	WANT_RC(store_domain_active(s, "example.org", &err), STORE_NOTFOUND,
		err);
	WANT_RC(store_begin(s, &err), 0, err);
	WANT_RC(store_domain_add(s, "example.org", 0, &err), 0, err);
	WANT_RC(store_commit(s, &err), 0, err);
	WANT_RC(store_domain_active(s, "example.org", &err), STORE_FOUND, err);
}

static void
vacation_reply_is_remembered_per_sender_and_handle(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	const char *me = "alice@example.org";

	WANT_RC(store_vacation_recent(s, me, "bob@example.net", "h1", 0, &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_vacation_record(s, me, "bob@example.net", "h1", 1000, 0,
				      &err),
		0, err);
	WANT_RC(
	    store_vacation_recent(s, me, "BOB@example.net", "h1", 500, &err),
	    STORE_FOUND, err);
	WANT_RC(
	    store_vacation_recent(s, me, "bob@example.net", "h1", 1001, &err),
	    STORE_NOTFOUND, err);
	WANT_RC(store_vacation_recent(s, me, "bob@example.net", "h2", 0, &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_vacation_recent(s, "carol@example.org", "bob@example.net",
				      "h1", 0, &err),
		STORE_NOTFOUND, err);
	/* Sending again refreshes the time; old rows are forgotten. */
	WANT_RC(store_vacation_record(s, me, "bob@example.net", "h1", 2000, 0,
				      &err),
		0, err);
	WANT_RC(
	    store_vacation_recent(s, me, "bob@example.net", "h1", 1500, &err),
	    STORE_FOUND, err);
	WANT_RC(store_vacation_record(s, me, "dave@example.net", "h1", 9000,
				      5000, &err),
		0, err);
	WANT_RC(store_vacation_recent(s, me, "bob@example.net", "h1", 0, &err),
		STORE_NOTFOUND, err);
	WANT_RC(store_vacation_record(s, me, "", "h1", 1, 0, &err),
		STORE_EINVAL, err);
}

struct dkim_seen {
	char text[512];
	size_t n;
};

static int
dkim_collect(void *ctx, const struct store_dkim_key *k)
{
	struct dkim_seen *d = ctx;
	int n;

	n = snprintf(d->text + strlen(d->text),
		     sizeof(d->text) - strlen(d->text), "%s/%s/%s/%d ",
		     k->domain, k->selector, k->algorithm, k->active);
	assert_true(n > 0);
	d->n++;
	return 0;
}

static void
dkim_keys_add_disable_walk_and_delete(void **state)
{
	struct store *s = open_init(*state);
	struct store_errbuf err = {""};
	struct dkim_seen d = {"", 0};

	WANT_RC(store_dkim_add(s, "Example.ORG", "s2", "ed25519-sha256",
			       "/etc/facteur/dkim/example.org/s2.key", &err),
		0, err);
	WANT_RC(store_dkim_add(s, "example.org", "s1", "rsa-sha256",
			       "/etc/facteur/dkim/example.org/s1.key", &err),
		0, err);
	WANT_RC(store_dkim_add(s, "other.net", "s1", "rsa-sha256", "/k", &err),
		0, err);
	WANT_RC(
	    store_dkim_add(s, "EXAMPLE.org", "s1", "rsa-sha256", "/k", &err),
	    STORE_EDUP, err);
	WANT_RC(store_dkim_add(s, "example.org", "s3", "rsa-sha1", "/k", &err),
		STORE_EINVAL, err);
	WANT_RC(
	    store_dkim_add(s, "example.org", "s3", "rsa-sha256", "rel/k", &err),
	    STORE_EINVAL, err);
	WANT_RC(store_dkim_set_active(s, "example.org", "s2", 0, &err), 0, err);
	WANT_RC(store_dkim_set_active(s, "example.org", "nope", 0, &err),
		STORE_ENOENT, err);
	WANT_RC(store_dkim_each(s, "EXAMPLE.ORG", 1, dkim_collect, &d, &err), 0,
		err);
	WANT_STR(d.text, "example.org/s1/rsa-sha256/1 ");
	d.text[0] = '\0';
	WANT_RC(store_dkim_each(s, NULL, 0, dkim_collect, &d, &err), 0, err);
	WANT_STR(d.text,
		 "example.org/s1/rsa-sha256/1 "
		 "example.org/s2/ed25519-sha256/0 other.net/s1/rsa-sha256/1 ");
	WANT_RC(store_dkim_del(s, "example.org", "s1", &err), 0, err);
	WANT_RC(store_dkim_del(s, "example.org", "s1", &err), STORE_ENOENT,
		err);
	d.text[0] = '\0';
	WANT_RC(store_dkim_each(s, "example.org", 0, dkim_collect, &d, &err), 0,
		err);
	WANT_STR(d.text, "example.org/s2/ed25519-sha256/0 ");
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(migrate_creates_schema_and_is_idempotent),
	    T(readonly_open_refuses_uninitialised_database),
	    T(readonly_connection_cannot_write),
	    T(reader_sees_writes_and_wal_files_persist),
	    T(migrate_refuses_newer_database),
	    T(domain_add_lowercases_and_refuses_duplicates),
	    T(inactive_domain_is_not_active_and_hides_mailbox),
	    T(user_lookup_is_case_insensitive),
	    T(user_add_reports_missing_domain_and_duplicates),
	    T(user_add_refuses_bad_values),
	    T(user_updates_and_delete),
	    T(domain_with_users_cannot_be_deleted),
	    T(alias_add_lookup_and_delete),
	    T(catch_all_is_found_by_its_at_domain_key),
	    T(access_add_lookup_defaults_and_delete),
	    T(access_add_refuses_values_outside_the_schema),
	    T(access_ip_each_walks_active_ip_rows),
	    T(list_filters_by_domain_in_stable_order),
	    T(rollback_undoes_a_transaction),
	    T(vacation_reply_is_remembered_per_sender_and_handle),
	    T(dkim_keys_add_disable_walk_and_delete),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
