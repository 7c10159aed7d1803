/* lib/store_int.h - private to store.c and store_admin.c; no other file
 * includes it. The public contract is store.h. */
#ifndef FACTEUR_LIB_STORE_INT_H
#define FACTEUR_LIB_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

struct buf;

/* One slot per SQL text in the per-connection statement cache. The SQL
 * itself sits at the call site, so a reader sees the query where it runs. */
enum store_stmt {
	ST_VERSION,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_DOMAIN_ACTIVE,
	ST_USER_GET,
	ST_MAILBOX,
	ST_ALIAS,
	ST_VALIAS,
	ST_SACCESS,
	ST_RACCESS,
	ST_IP_EACH,
	ST_DATA_VERSION,
	ST_READ_BEGIN,
	ST_DOMAIN_ADD,
	ST_DOMAIN_NUSERS,
	ST_DOMAIN_DEL,
	ST_DOMAIN_SETACT,
	ST_USER_ADD,
	ST_USER_DEL,
	ST_USER_SETPW,
	ST_USER_SETACT,
	ST_USER_SETQUOTA,
	ST_ALIAS_ADD,
	ST_VALIAS_ADD,
	ST_ALIAS_DEL1,
	ST_ALIAS_DELALL,
	ST_VALIAS_DEL1,
	ST_VALIAS_DELALL,
	ST_SACC_ADD,
	ST_RACC_ADD,
	ST_SACC_DEL,
	ST_RACC_DEL,
	ST_LIST_FIRST, /* two slots per table (all rows, filtered) follow */
	ST__COUNT = ST_LIST_FIRST + 2 * 7,
};

struct store {
	sqlite3 *db;
	enum store_mode mode;
	sqlite3_stmt *st[ST__COUNT];
	void *cache;		     /* store_set_cache(); freed by cache_free */
	void (*cache_free)(void *p);
};

/* The cached statement for id, prepared from sql on first use. NULL with
 * err set on failure. Give it back with store_stmt_done() after use. */
sqlite3_stmt *store_stmt(struct store *s, enum store_stmt id, const char *sql,
			 struct store_errbuf *err);
void store_stmt_done(sqlite3_stmt *st);

void store_seterr(struct store_errbuf *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Steps a bound INSERT/UPDATE/DELETE to completion and resets it. Returns
 * 0 (*changes set), or a negative store_err mapped from SQLite's result,
 * with "what: sqlite message" in err. */
__attribute__((warn_unused_result)) int
store_run(struct store *s, sqlite3_stmt *st, int *changes, const char *what,
	  struct store_errbuf *err);

/* Copies in to out with ASCII letters after the last '@' lowercased, or
 * all of them if whole is nonzero. 0, or -1 on ENOMEM. */
__attribute__((warn_unused_result)) int store_lower(const char *in, int whole,
						    struct buf *out);

/* Binds text (NULL binds SQL NULL); 0 or -1. */
__attribute__((warn_unused_result)) int store_bind_text(sqlite3_stmt *st,
							int idx, const char *v);

#endif
