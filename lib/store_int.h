/* lib/store_int.h - private to the lib/store files; no other file
 * includes it. The public contract is store.h.
 *
 * The query code (store.c, store_admin.c, store_dkim.c, store_copy.c) is
 * written once against the small statement interface below; a backend
 * (store_sqlite.c, store_pg.c) implements it. store_open() picks the
 * backend from the target: "postgresql://" or "postgres://" is PostgreSQL,
 * anything else a SQLite file. SQL texts are portable: parameters are
 * written ?1, ?2 ... (the PostgreSQL backend turns them into $1, $2 ...),
 * a parameter whose type the context does not fix is CAST(?n AS TEXT),
 * and case-insensitive columns compare case-insensitively on both (COLLATE
 * NOCASE in SQLite, citext in PostgreSQL). */
#ifndef FACTEUR_LIB_STORE_INT_H
#define FACTEUR_LIB_STORE_INT_H

#include "store.h"

struct buf;
struct store_q; /* a backend's prepared statement */

/* One slot per SQL text in the per-connection statement cache. The SQL
 * itself sits at the call site, so a reader sees the query where it runs. */
enum store_stmt {
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

/* What a backend provides. step() returns 1 on a row, 0 when done, or a
 * negative store_err (constraint failures mapped to EDUP/EREF/EINVAL)
 * with "what: message" in err. Column accessors are valid until the next
 * step() or reset(); col_text() gives NULL for SQL NULL. */
struct store_ops {
	const char *name;
	int (*open)(struct store *s, const char *target, long long busy_ms,
		    struct store_errbuf *err);
	void (*close)(struct store *s);
	struct store_q *(*prepare)(struct store *s, const char *sql,
				   struct store_errbuf *err);
	void (*finalize)(struct store *s, struct store_q *q);
	int (*bind_text)(struct store_q *q, int idx, const char *v);
	int (*bind_int)(struct store_q *q, int idx, long long v);
	int (*step)(struct store *s, struct store_q *q, const char *what,
		    struct store_errbuf *err);
	const char *(*col_text)(struct store_q *q, int col);
	long long (*col_int)(struct store_q *q, int col);
	int (*ncols)(struct store_q *q);
	const char *(*col_name)(struct store_q *q, int col);
	int (*changes)(struct store *s, struct store_q *q);
	void (*reset)(struct store_q *q);
	int (*in_txn)(struct store *s);
	/* Schema: the version (-1 on error), one DDL step per version (run
	 * inside the migration's transaction), and recording a version. */
	int (*version)(struct store *s);
	int (*run_step)(struct store *s, int to, struct store_errbuf *err);
	int (*lock_schema)(struct store *s, struct store_errbuf *err);
	int (*stamp)(struct store *s, long long stamp[2],
		     struct store_errbuf *err);
	/* Per-program roles (facteur db init --url); NULL if none. */
	int (*roles)(struct store *s, struct store_errbuf *err);
	const char *begin_write; /* the text of a write transaction's BEGIN */
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

struct store {
	const struct store_ops *ops;
	void *be; /* the backend's connection */
	enum store_mode mode;
	int closing; /* store_free() under way: statements die with it */
	struct store_q *st[ST__COUNT];
	void *cache; /* store_set_cache(); freed by cache_free */
	void (*cache_free)(void *p);
};

/* The cached statement for id, prepared from sql on first use. NULL with
 * err set on failure. Give it back with store_stmt_done() after use. */
struct store_q *store_stmt(struct store *s, enum store_stmt id, const char *sql,
			   struct store_errbuf *err);
void store_stmt_done(struct store *s, struct store_q *q);
/* A statement prepared for one use; free with store_q_free(). */
struct store_q *store_q_new(struct store *s, const char *sql,
			    struct store_errbuf *err);
void store_q_free(struct store *s, struct store_q *q);

void store_seterr(struct store_errbuf *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Steps a bound INSERT/UPDATE/DELETE to completion and resets it. Returns
 * 0 (*changes set), or a negative store_err with "what: message" in err. */
__attribute__((warn_unused_result)) int
store_run(struct store *s, struct store_q *q, int *changes, const char *what,
	  struct store_errbuf *err);

/* Copies in to out with ASCII letters after the last '@' lowercased, or
 * all of them if whole is nonzero. 0, or -1 on ENOMEM. */
__attribute__((warn_unused_result)) int store_lower(const char *in, int whole,
						    struct buf *out);

/* Binds text (NULL binds SQL NULL) or an integer; 0 or -1. */
__attribute__((warn_unused_result)) static inline int
store_bind_text(struct store *s, struct store_q *q, int idx, const char *v)
{
	return s->ops->bind_text(q, idx, v);
}
__attribute__((warn_unused_result)) static inline int
store_bind_int(struct store *s, struct store_q *q, int idx, long long v)
{
	return s->ops->bind_int(q, idx, v);
}
static inline int
store_step(struct store *s, struct store_q *q, const char *what,
	   struct store_errbuf *err)
{
	return s->ops->step(s, q, what, err);
}
static inline const char *
store_col_text(struct store *s, struct store_q *q, int col)
{
	return s->ops->col_text(q, col);
}
static inline long long
store_col_int(struct store *s, struct store_q *q, int col)
{
	return s->ops->col_int(q, col);
}

#endif
