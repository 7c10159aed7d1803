/* lib/store.h - the one database (schema, migrations, queries): a SQLite
 * file, or the same schema on PostgreSQL (docs/postgresql.md); store_open()
 * picks the backend from its target, nothing else differs.
 *
 * Schema (PRAGMA user_version = STORE_SCHEMA_VERSION; on PostgreSQL the
 * facteur_schema table), see docs/schema.md:
 *   domains(name PK NOCASE, is_default, active, created)
 *   users(address PK NOCASE, domain FK->domains, password, full_name,
 *         maildir, uid, gid, quota_bytes, quota_messages, active, created)
 *   aliases(alias NOCASE, destination, active)            PK(alias,dest)
 *   virtual_aliases(address NOCASE, destination, active)  PK(address,dest)
 *         address is "user@domain" or "@domain" (catch-all)
 *   sender_blacklist(pattern PK NOCASE, kind address|domain|ip, action
 *         REJECT|OK, code, enhanced, message, active, created)
 *         pattern: "user@domain", "@domain", "domain", "user@", an IPv4/IPv6
 *         address or CIDR
 *   recipient_blacklist(pattern PK NOCASE, action REJECT|DISCARD|HOLD|OK,
 *         code, enhanced, message, active, created)
 *   dkim_keys(id, domain NOCASE, selector, algorithm, key_path, active,
 *         created) UNIQUE(domain, selector)
 *   vacation_sent(address NOCASE, sender NOCASE, handle, sent_at)
 *         PK(address, sender, handle); version 2, facteur-lmtp
 *   bayes_tokens, bayes_seen, bayes_totals: version 3, PostgreSQL only
 *         (facteur-spam's Bayes; SQLite keeps it in its own file)
 *
 * Addresses are stored as local@domain with the domain lowercased; lookups
 * compare case-insensitively (Postfix folds table keys to lower case before
 * it asks, so a case-sensitive local part could never match).
 *
 * Connections: SQLite: WAL, busy_timeout, foreign_keys=ON; PostgreSQL:
 * one libpq connection, lock_timeout. Prepared statements only (cached
 * per connection). A struct store is NOT thread-safe: a threaded daemon
 * opens one per thread. Daemons open STORE_RO.
 *
 * Errors: functions returning int give 0 on success or a negative
 * enum store_err, with a message in err (may be NULL). Lookups return
 * STORE_FOUND / STORE_NOTFOUND / STORE_EDB. */
#ifndef FACTEUR_LIB_STORE_H
#define FACTEUR_LIB_STORE_H

#include <stddef.h>

struct buf;
struct store;

#define STORE_SCHEMA_VERSION 3

enum store_mode { STORE_RO, STORE_RW };

enum store_err {
	STORE_OK = 0,
	STORE_FOUND = 0,
	STORE_NOTFOUND = 1,
	STORE_EDB = -1,	     /* database failure, busy past timeout, bad
				schema, server unreachable */
	STORE_EDUP = -2,     /* already exists */
	STORE_ENOENT = -3,   /* the thing to change does not exist */
	STORE_EREF = -4,     /* refers to a missing row (user in no domain) */
	STORE_EINUSE = -5,   /* still referenced (domain with users) */
	STORE_EINVAL = -6,   /* value refused by the schema's CHECKs */
	STORE_EVERSION = -7, /* database newer than this program, or not init */
};

struct store_errbuf {
	char msg[256];
};

/* target is a SQLite file's path or a PostgreSQL URL (postgresql://...
 * or postgres://..., libpq's syntax: host, port, dbname, user, service;
 * passwords come from ~/.pgpass, PGPASSFILE or a service file, never from
 * the URL's caller). The backend is chosen here; nothing else differs.
 * On PostgreSQL, STORE_RO sessions are read-only
 * (default_transaction_read_only), and a lost connection is re-opened by
 * the next call outside a transaction: the failing call returns STORE_EDB,
 * a later one works again once the server is back.
 *
 * Opens (STORE_RW creates the file if missing, mode 0640). Does not create
 * or migrate the schema; STORE_RO fails with STORE_EVERSION when the
 * schema version differs from STORE_SCHEMA_VERSION. *out owned; free with
 * store_free(). */
__attribute__((warn_unused_result)) int
store_open(const char *path, enum store_mode mode, long long busy_ms,
	   struct store **out, struct store_errbuf *err);
void store_free(struct store **s);

/* 1 if target is a PostgreSQL URL. */
int store_is_url(const char *target);
/* 1 if target may hold a database: a file that exists, or any URL. */
int store_exists(const char *target);
/* "sqlite" or "postgresql" (for messages). */
const char *store_backend(const struct store *s);
/* PostgreSQL only: creates (if missing) the roles facteur_lookup,
 * facteur_lmtp and facteur_milter (read-only; facteur_lmtp may also write
 * vacation_sent) and facteur_admin (writes), LOGIN without a password,
 * and grants them the schema's tables. EINVAL on SQLite. */
__attribute__((warn_unused_result)) int store_roles(struct store *s,
						    struct store_errbuf *err);

/* Copies every table of src into dst (empty, schema current; facteur db
 * migrate --to), in one transaction on dst, then counts each table on
 * both sides, calling fn (may be NULL) with the two counts; a difference
 * or any failure rolls dst back. 0 or a negative store_err. */
typedef void (*store_copy_fn)(void *ctx, const char *table, long long src,
			      long long dst);
__attribute__((warn_unused_result)) int store_copy(struct store *src,
						   struct store *dst,
						   store_copy_fn fn, void *ctx,
						   struct store_errbuf *err);

/* user_version of the open database (0 = empty). */
int store_version(struct store *s);
/* Creates the schema on an empty database, or migrates an older one to
 * STORE_SCHEMA_VERSION in one transaction. *from and *to report the versions
 * (may be NULL). Idempotent. */
__attribute__((warn_unused_result)) int
store_migrate(struct store *s, int *from, int *to, struct store_errbuf *err);

/* Transactions, for multi-row changes (import-legacy). */
__attribute__((warn_unused_result)) int store_begin(struct store *s,
						    struct store_errbuf *err);
__attribute__((warn_unused_result)) int store_commit(struct store *s,
						     struct store_errbuf *err);
void store_rollback(struct store *s);
/* A read transaction around several lookups (one snapshot, one lock
 * instead of one per statement): 1 if begun, 0 if s is already inside a
 * transaction (nothing to end), STORE_EDB with err. store_read_end()
 * ends what store_read_begin() returned 1 for. */
__attribute__((warn_unused_result)) int
store_read_begin(struct store *s, struct store_errbuf *err);
void store_read_end(struct store *s, int began);

/* ---- lookups (daemons; hot paths; keys as received, any case) ---- */

/* Active domain? FOUND only if the domain exists and is active. */
int store_domain_active(struct store *s, const char *domain,
			struct store_errbuf *err);

struct store_user {
	char *address; /* all strings owned; store_user_clear() frees */
	char *domain;
	char *password;
	char *full_name;
	char *maildir; /* relative to the mail root, ends in '/' */
	long long uid; /* -1 = not set (use the configured mail user) */
	long long gid;
	long long quota_bytes;	  /* 0 = unlimited */
	long long quota_messages; /* 0 = unlimited */
	int active;		  /* user row active */
	int domain_active;	  /* its domain active */
	long long created;	  /* unix time */
};
void store_user_clear(struct store_user *u);

/* Any user row (active or not); u filled on FOUND. */
int store_user_get(struct store *s, const char *address, struct store_user *u,
		   struct store_errbuf *err);
/* Maildir of an active user in an active domain, into out (reset first). */
int store_mailbox_lookup(struct store *s, const char *address, struct buf *out,
			 struct store_errbuf *err);
/* Active destinations of an exact key, comma-joined into out ("a,b").
 * table is "aliases" (key = alias) or "virtual_aliases" (key = address or
 * "@domain"); no catch-all fallback here (the caller walks keys). */
int store_alias_lookup(struct store *s, int virtual_, const char *key,
		       struct buf *out, struct store_errbuf *err);

struct store_access {
	char *pattern;	/* owned; store_access_clear() frees */
	char *action;	/* REJECT, OK, DISCARD, HOLD */
	int code;	/* 0 for OK/DISCARD/HOLD */
	char *enhanced; /* "5.7.1" or "" */
	char *message;	/* may be "" */
};
void store_access_clear(struct store_access *a);
/* Active row whose pattern equals key exactly (case-insensitive).
 * recipient_ = 0: sender_blacklist; 1: recipient_blacklist. The caller
 * walks the access(5) search order. */
int store_access_lookup(struct store *s, int recipient_, const char *key,
			struct store_access *a, struct store_errbuf *err);
/* The keys one access statement looks up. */
#define STORE_ACCESS_CHUNK 16
/* The active row of the first of keys[0..n) (a search order) that has
 * one, as store_access_lookup would find going key by key, in one
 * statement per STORE_ACCESS_CHUNK keys (inside one read transaction
 * when there are more). STORE_FOUND with *a filled and *which (may be
 * NULL) its key's index, STORE_NOTFOUND, or STORE_EDB with err. */
int store_access_first(struct store *s, int recipient_, const char *const *keys,
		       size_t n, struct store_access *a, size_t *which,
		       struct store_errbuf *err);
/* Active sender_blacklist rows of kind 'ip', for CIDR matching by the
 * caller: calls fn for each; fn returns nonzero to stop. */
int store_access_ip_each(struct store *s,
			 int (*fn)(void *ctx, const struct store_access *a),
			 void *ctx, struct store_errbuf *err);

/* A stamp of the database's content as seen by this store: it differs
 * from the previous call's once any connection (another process, or this
 * one) has committed a write in between (PRAGMA data_version and
 * sqlite3_total_changes). Cheap: no table read. 0 or STORE_EDB. */
int store_change_stamp(struct store *s, long long stamp[2],
		       struct store_errbuf *err);
/* One cache slot per store for derived data (access.c's parsed IP rows):
 * store_cache() returns it (NULL at first); store_set_cache() frees the
 * previous one (if other) and takes p, which store_free() frees with
 * free_fn. Tied to one store, so as thread-safe as the store. */
void *store_cache(struct store *s);
void store_set_cache(struct store *s, void *p, void (*free_fn)(void *p));
/* Tests and benchmarks: from now on ++*counter at every SQL statement
 * the store starts (PRAGMAs, BEGIN and COMMIT included); NULL stops.
 * 0, or -1 where the backend cannot count (PostgreSQL). */
int store_count_statements(struct store *s, unsigned long long *counter);

/* ---- Sieve vacation tracking (facteur-lmtp; STORE_RW, schema >= 2) ---- */

/* STORE_FOUND if address (our user) sent a vacation reply with handle to
 * sender at or after since (unix time), else STORE_NOTFOUND / STORE_EDB. */
int store_vacation_recent(struct store *s, const char *address,
			  const char *sender, const char *handle,
			  long long since, struct store_errbuf *err);
/* Records (or refreshes) a reply sent at now, and forgets replies of
 * address older than forget_before. 0 or a negative store_err. */
__attribute__((warn_unused_result)) int
store_vacation_record(struct store *s, const char *address, const char *sender,
		      const char *handle, long long now,
		      long long forget_before, struct store_errbuf *err);

/* Claims the reply of address to sender for handle, atomically, so that
 * several hosts (or processes) delivering at once send one reply: records
 * now and returns STORE_FOUND (send it) unless a reply was recorded at or
 * after since, then STORE_NOTFOUND (one INSERT ... ON CONFLICT DO UPDATE
 * ... WHERE, never a read then a write). Also forgets replies of address
 * older than forget_before. STORE_EDB on failure (do not send). */
__attribute__((warn_unused_result)) int
store_vacation_claim(struct store *s, const char *address, const char *sender,
		     const char *handle, long long now, long long since,
		     long long forget_before, struct store_errbuf *err);

/* ---- administration (facteur CLI; STORE_RW) ---- */

/* Generic listing: calls fn once per row with column names and values
 * (NULL for SQL NULL), all borrowed for the call. table is one of the
 * table names above; where (may be NULL) filters: for users/aliases/
 * virtual_aliases rows of that domain, for the others an exact pattern or
 * name. Rows come in a stable order. */
typedef int (*store_row_fn)(void *ctx, int ncols, const char *const *names,
			    const char *const *values);
__attribute__((warn_unused_result)) int
store_list(struct store *s, const char *table, const char *where_domain,
	   store_row_fn fn, void *ctx, struct store_errbuf *err);

/* Domains. name is validated by the caller and stored lowercased. */
__attribute__((warn_unused_result)) int
store_domain_add(struct store *s, const char *name, int is_default,
		 struct store_errbuf *err);
__attribute__((warn_unused_result)) int
store_domain_del(struct store *s, const char *name,
		 struct store_errbuf *err); /* EINUSE if users */
__attribute__((warn_unused_result)) int
store_domain_set_active(struct store *s, const char *name, int active,
			struct store_errbuf *err);

/* Users. u->address/domain/password/maildir required (caller validates
 * and hashes); the rest may be 0/NULL/-1 for defaults. EREF if the domain
 * does not exist, EDUP if the address does. */
__attribute__((warn_unused_result)) int
store_user_add(struct store *s, const struct store_user *u,
	       struct store_errbuf *err);
__attribute__((warn_unused_result)) int
store_user_del(struct store *s, const char *address, struct store_errbuf *err);
__attribute__((warn_unused_result)) int
store_user_set_password(struct store *s, const char *address, const char *hash,
			struct store_errbuf *err);
__attribute__((warn_unused_result)) int
store_user_set_active(struct store *s, const char *address, int active,
		      struct store_errbuf *err);
__attribute__((warn_unused_result)) int
store_user_set_quota(struct store *s, const char *address, long long bytes,
		     long long messages, struct store_errbuf *err);

/* Aliases (virtual_ = 0: aliases, 1: virtual_aliases). add is EDUP on an
 * existing (key, destination); del with destination NULL deletes every
 * destination of key. */
__attribute__((warn_unused_result)) int
store_alias_add(struct store *s, int virtual_, const char *key,
		const char *destination, int active, struct store_errbuf *err);
__attribute__((warn_unused_result)) int
store_alias_del(struct store *s, int virtual_, const char *key,
		const char *destination, struct store_errbuf *err);

/* Blacklists. kind for senders: "address", "domain" or "ip" (caller
 * classifies). code 0 = default (554 for REJECT). */
__attribute__((warn_unused_result)) int
store_access_add(struct store *s, int recipient_, const char *pattern,
		 const char *kind, const char *action, int code,
		 const char *enhanced, const char *message, int active,
		 struct store_errbuf *err);
__attribute__((warn_unused_result)) int
store_access_del(struct store *s, int recipient_, const char *pattern,
		 struct store_errbuf *err);

/* ---- DKIM signing keys (facteur dkim; facteur-dkim reads them once at
 * startup). domain is stored lowercased; algorithm is "rsa-sha256" or
 * "ed25519-sha256"; key_path absolute (the schema's CHECKs). ---- */

struct store_dkim_key {
	long long id;
	const char *domain; /* borrowed for the callback */
	const char *selector;
	const char *algorithm;
	const char *key_path;
	int active;
	long long created;
};
typedef int (*store_dkim_fn)(void *ctx, const struct store_dkim_key *k);

/* EDUP if (domain, selector) exists, EINVAL if a CHECK refuses it. */
__attribute__((warn_unused_result)) int
store_dkim_add(struct store *s, const char *domain, const char *selector,
	       const char *algorithm, const char *key_path,
	       struct store_errbuf *err);
/* ENOENT if there is no such key. */
__attribute__((warn_unused_result)) int
store_dkim_set_active(struct store *s, const char *domain, const char *selector,
		      int active, struct store_errbuf *err);
__attribute__((warn_unused_result)) int
store_dkim_del(struct store *s, const char *domain, const char *selector,
	       struct store_errbuf *err);
/* Calls fn for each key of domain (NULL: every domain), ordered by domain
 * then selector; only active ones when active_only. fn returns nonzero to
 * stop (that value is returned). Works on STORE_RO connections. */
__attribute__((warn_unused_result)) int
store_dkim_each(struct store *s, const char *domain, int active_only,
		store_dkim_fn fn, void *ctx, struct store_errbuf *err);

#endif
