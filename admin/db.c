/* admin/db.c - facteur db: create, migrate and import a database, and
 * copy a SQLite database and its Bayes file into PostgreSQL (migrate
 * --to URL).
 *
 * SECURITY: creates the database file (mode 0640, see store_open); run it
 * as the user that should own the file. On PostgreSQL, init --url runs as
 * the schema's owner and creates the per-program roles; passwords come
 * from libpq (~/.pgpass, PGPASSFILE, a service file), never from argv. */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "bayes.h"
#include "buf.h"
#include "store.h"

const char db_usage[] =
    "usage: facteur db init [--url postgresql://...]\n"
    "       facteur db migrate [--to postgresql://... [--bayes PATH]]\n"
    "       facteur db import-legacy PATH [--transliterate] "
    "[--mail-root DIR]\n";

static void
db_count(void *ctx, const char *table, long long src, long long dst)
{
	(void)ctx;
	printf("%-20s %8lld %8lld%s\n", table, src, dst,
	       src == dst ? "" : "  DIFFERENT");
}

/* The Bayes file of the source (--bayes, or the one the spam verbs
 * use: facteur(1)) into the bayes_* tables at url, counted on both sides.
 * No file: nothing to copy. */
static int
db_copy_bayes(struct admin *a, const char *bayes, const char *url)
{
	struct bayes *src = NULL, *dst = NULL;
	struct buf path;
	char err[512];
	int rc = ADMIN_OK;

	buf_init(&path, 4096);
	if (spam_bayes_file(a, bayes, &path) != ADMIN_OK ||
	    store_is_url(buf_str(&path)) || !bayes_exists(buf_str(&path))) {
		printf("%-20s %8s %8s  (no Bayes file)\n", "bayes", "-", "-");
		buf_free(&path);
		return ADMIN_OK;
	}
	if (bayes_open(buf_str(&path), 0, &src, err, sizeof(err)) < 0 ||
	    bayes_open(url, 1, &dst, err, sizeof(err)) < 0 ||
	    bayes_copy(src, dst, db_count, NULL, err, sizeof(err)) < 0) {
		admin_errx(a, "%s: %s", buf_str(&path), err);
		rc = ADMIN_FAIL;
	}
	bayes_close(&src);
	bayes_close(&dst);
	buf_free(&path);
	return rc;
}

/* Copies the open database into an empty one at url, after creating
 * its schema; counts every table on both sides; then the Bayes file. */
static int
db_copy_to(struct admin *a, const char *url, const char *bayes)
{
	struct store_errbuf err = {{0}};
	struct store *dst = NULL;
	int rc;

	if ((rc = admin_store(a, 1)) != 0)
		return rc;
	if (store_open(url, STORE_RW, a->busy_ms, &dst, &err) < 0 ||
	    store_migrate(dst, NULL, NULL, &err) < 0) {
		store_free(&dst);
		return admin_store_fail(a, STORE_EDB, err.msg);
	}
	printf("%-20s %8s %8s\n", "table", "source", "copy");
	rc = store_copy(a->store, dst, db_count, NULL, &err);
	store_free(&dst);
	if (rc < 0)
		return admin_store_fail(a, rc, err.msg);
	if (store_is_url(url) &&
	    (rc = db_copy_bayes(a, bayes, url)) != ADMIN_OK)
		return rc;
	printf("%s: copied into %s, every table counted equal\n", a->db_path,
	       store_is_url(url) ? "the PostgreSQL database" : url);
	return ADMIN_OK;
}

static int
db_migrate(struct admin *a, int argc, char **argv, int init)
{
	struct store_errbuf err = {{0}};
	const char *pos[1], *url = NULL, *bayes = NULL;
	const struct admin_opt opts[] = {{init ? "url" : "to", &url, NULL},
					 {"bayes", &bayes, NULL}};
	int rc, from = 0, to = 0;

	if (admin_args(a, argc, argv, opts, init ? 1 : 2, pos, 0, 0, db_usage,
		       &rc) < 0)
		return rc;
	if (url != NULL && !init)
		return db_copy_to(a, url, bayes);
	if (url != NULL)
		a->db_path = url;
	if ((rc = admin_store(a, 0)) != 0)
		return rc;
	if ((rc = store_migrate(a->store, &from, &to, &err)) < 0)
		return admin_store_fail(a, rc, err.msg);
	if (from == to)
		printf("%s: schema version %d, up to date\n", a->db_path, to);
	else if (init && from == 0)
		printf("%s: created, schema version %d\n", a->db_path, to);
	else
		printf("%s: migrated from version %d to %d\n", a->db_path, from,
		       to);
	if (init && store_is_url(a->db_path)) {
		if ((rc = store_roles(a->store, &err)) < 0)
			return admin_store_fail(a, rc, err.msg);
		printf("roles facteur_lookup, facteur_lmtp, facteur_milter"
		       " (read-only) and facteur_admin: granted\n");
	}
	return ADMIN_OK;
}

static int
db_init(struct admin *a, int argc, char **argv)
{
	return db_migrate(a, argc, argv, 1);
}

static int
db_upgrade(struct admin *a, int argc, char **argv)
{
	return db_migrate(a, argc, argv, 0);
}

int
db_main(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
	    {"init", db_init},
	    {"migrate", db_upgrade},
	    {"import-legacy", legacy_main},
	};

	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
			      db_usage, argc, argv);
}
