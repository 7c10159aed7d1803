/* admin/db.c - facteur db: create, migrate and import a database.
 *
 * SECURITY: creates the database file (mode 0640, see store_open); run it
 * as the user that should own the file. */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "store.h"

const char db_usage[] =
    "usage: facteur db init\n"
    "       facteur db migrate\n"
    "       facteur db import-legacy PATH [--transliterate] "
    "[--mail-root DIR]\n";

static int
db_migrate(struct admin *a, int argc, char **argv, int init)
{
	struct store_errbuf err = {{0}};
	const char *pos[1];
	int rc, from = 0, to = 0;

	if (admin_args(a, argc, argv, NULL, 0, pos, 0, 0, db_usage, &rc) < 0)
		return rc;
	if ((rc = admin_store(a, 0)) != 0)
		return rc;
	if ((rc = store_migrate(a->store, &from, &to, &err)) < 0)
		return admin_store_fail(a, rc, err.msg);
	if (from == to)
		printf("%s: schema version %d, up to date\n", a->db_path, to);
	else if (init && from == 0)
		printf("%s: created, schema version %d\n", a->db_path, to);
	else
		printf("%s: migrated from version %d to %d\n", a->db_path,
		    from, to);
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
