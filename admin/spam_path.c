/* admin/spam_path.c - the pure parts of the spam verbs' file handling,
 * apart so that they have unit tests (spam_path_test.c): which Bayes file
 * (the order spam_bayes.c documents) and what a learning spool file's
 * name says (spam_spool.c). No I/O. */
#include "admin.h"

#include <string.h>

#include "buf.h"
#include "store.h"

int
spam_bayes_choose(const char *opt, const char *conf_bayes, const char *db,
		  const char *conf_db, const char *def, struct buf *out)
{
	const char *slash, *use = db != NULL ? db : conf_db;

	buf_reset(out);
	if (opt != NULL)
		return buf_adds(out, opt);
	/* a PostgreSQL database holds Bayes too, unless bayes_path names
	 * another place than its default (facteur-spam's spam_bayes_target) */
	if (store_is_url(use) &&
	    (conf_bayes == NULL || strcmp(conf_bayes, def) == 0))
		return buf_adds(out, use);
	if (conf_bayes != NULL)
		return buf_adds(out, conf_bayes);
	if (db == NULL || (conf_db != NULL && strcmp(db, conf_db) == 0))
		return buf_adds(out, def);
	if ((slash = strrchr(db, '/')) != NULL &&
	    buf_add(out, db, (size_t)(slash - db) + 1) < 0)
		return -1;
	return buf_adds(out, "bayes.sqlite");
}

int
spam_spool_class(const char *name)
{
	const char *p = name, *dot;
	size_t n;

	for (n = 0; *p >= '0' && *p <= '9'; p++)
		n++;
	if (n == 0 || n > 24 || *p++ != '.')
		return -1;
	for (n = 0; *p >= '0' && *p <= '9'; p++)
		n++;
	if (n == 0 || n > 10 || *p != '.')
		return -1;
	dot = p + 1;
	if (strcmp(dot, "spam") == 0)
		return 1;
	if (strcmp(dot, "ham") == 0)
		return 0;
	return -1;
}
