/* admin/doctor_dovecot.c - facteur doctor's Dovecot checks: reads the
 * live configuration (`doveconf -n`, or `doveconf -c FILE -n`), finds
 * each sql passdb and userdb, and runs their queries on the database
 * for an active user of facteur's database, as Dovecot's auth worker
 * would:
 *   - Dovecot 2.3: driver = sql, args = FILE; FILE (dovecot-sql.conf.ext)
 *     holds driver, connect, password_query and user_query;
 *   - Dovecot 2.4: passdb NAME { driver = sql  query = ... } with
 *     sql_driver and sqlite_path at the top.
 * Checked against Debian 13's doveconf 2.4.1 -n output (one line per
 * query, "passdb sql {"). A query that fails or finds nothing for that
 * user is a FAIL (nobody
 * could log in, or no mail could be delivered); so is a password query
 * without a password column. When doveadm is there and Dovecot runs,
 * `doveadm user` asks the running auth service too.
 *
 * SECURITY: runs doveconf and doveadm read-only; opens the database
 * SQLITE_OPEN_READONLY; the user substituted into the queries comes
 * from facteur's own database and is quoted as SQL text. */
#include "admin.h"
#include "doctor.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"

#define DOC_DOVECONF "/usr/bin/doveconf"
#define DOC_DOVEADM "/usr/bin/doveadm"
#define DOC_DOVE_MS 30000
#define DOC_MAX_DBS 8

/* One passdb or userdb block of doveconf -n. */
struct doc_db {
	int userdb; /* 0 passdb, 1 userdb */
	char driver[64];
	char args[512];	  /* 2.3: the sql file */
	char query[4096]; /* 2.4: the query in the block */
};

struct doc_dove {
	struct doc_db dbs[DOC_MAX_DBS];
	size_t n;
	char sqlite_path[512]; /* 2.4 */
	char sql_driver[32];   /* 2.4 */
	char version[32];
};

static char *
doc_trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		s[--n] = '\0';
	return s;
}

/* One "key = value" line inside a passdb/userdb block. */
static void
doc_dove_key(struct doc_db *db, const char *k, const char *v)
{
	if (strcmp(k, "driver") == 0)
		snprintf(db->driver, sizeof(db->driver), "%s", v);
	else if (strcmp(k, "args") == 0)
		snprintf(db->args, sizeof(db->args), "%s", v);
	else if (strcmp(k, "query") == 0)
		snprintf(db->query, sizeof(db->query), "%s", v);
}

/* Parses doveconf -n: passdb/userdb blocks (any depth of nesting is
 * skipped), sqlite_path, the version comment. */
static void
doc_dove_parse(char *text, struct doc_dove *dv)
{
	char *line, *next, *eq;
	struct doc_db *cur = NULL;
	int depth = 0;

	/* a value continued with '\' at the end of a line is one value */
	for (line = text; (line = strstr(line, "\\\n")) != NULL;)
		*line++ = ' ', *line++ = ' ';
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "# ", 2) == 0 && dv->version[0] == '\0') {
			snprintf(dv->version, sizeof(dv->version), "%.*s",
				 (int)strcspn(line + 2, " "), line + 2);
			continue;
		}
		line = doc_trim(line);
		if (line[0] == '}') {
			if (--depth == 0)
				cur = NULL;
			continue;
		}
		if (line[0] != '\0' && line[strlen(line) - 1] == '{') {
			if (depth++ == 0 && dv->n < DOC_MAX_DBS &&
			    (strncmp(line, "passdb", 6) == 0 ||
			     strncmp(line, "userdb", 6) == 0)) {
				cur = &dv->dbs[dv->n++];
				memset(cur, 0, sizeof(*cur));
				cur->userdb = line[0] == 'u';
				/* 2.4: "passdb sql {" names the driver */
				if (strncmp(line + 6, " sql ", 5) == 0)
					snprintf(cur->driver,
						 sizeof(cur->driver), "sql");
			}
			continue;
		}
		if ((eq = strstr(line, " = ")) == NULL)
			continue;
		*eq = '\0';
		if (depth == 1 && cur != NULL)
			doc_dove_key(cur, line, eq + 3);
		else if (depth == 0 && strcmp(line, "sql_driver") == 0)
			snprintf(dv->sql_driver, sizeof(dv->sql_driver), "%s",
				 eq + 3);
		else if (depth == 0 && strcmp(line, "sqlite_path") == 0)
			snprintf(dv->sqlite_path, sizeof(dv->sqlite_path), "%s",
				 eq + 3);
	}
}

/* Reads a dovecot-sql.conf.ext: "key = value", '\' continues a line,
 * '#' comments. Fills connect and the two queries. -1 if unreadable. */
static int
doc_sql_file(const char *path, char *drv, char *connect, size_t clen, char *pq,
	     char *uq, size_t qlen)
{
	char line[4096], key[64], *k, *eq, *v;
	struct buf val;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	drv[0] = connect[0] = pq[0] = uq[0] = '\0';
	buf_init(&val, 65536);
	while (fgets(line, sizeof(line), f) != NULL) {
		k = doc_trim(line);
		if (k[0] == '#' || (eq = strchr(k, '=')) == NULL)
			continue;
		*eq = '\0';
		snprintf(key, sizeof(key), "%s", doc_trim(k));
		k = key; /* line is read again for continuations */
		v = doc_trim(eq + 1);
		buf_reset(&val);
		for (;;) {
			size_t n = strlen(v);
			int more = n > 0 && v[n - 1] == '\\';

			if (more)
				v[n - 1] = ' ';
			if (buf_adds(&val, v) < 0 || !more ||
			    fgets(line, sizeof(line), f) == NULL)
				break;
			v = doc_trim(line);
		}
		if (strcmp(k, "driver") == 0)
			snprintf(drv, 32, "%s", doc_trim(val.data));
		else if (strcmp(k, "connect") == 0)
			snprintf(connect, clen, "%s", doc_trim(val.data));
		else if (strcmp(k, "password_query") == 0)
			snprintf(pq, qlen, "%s", doc_trim(val.data));
		else if (strcmp(k, "user_query") == 0)
			snprintf(uq, qlen, "%s", doc_trim(val.data));
	}
	buf_free(&val);
	fclose(f);
	return 0;
}

/* Dovecot's variables for one user: %u %n %d (2.3), %{user},
 * %{user|username}, %{user|domain} (2.4); %% is %. */
static int
doc_expand(const char *q, const char *user, struct buf *out)
{
	const char *at = strchr(user, '@');
	size_t ln = at ? (size_t)(at - user) : strlen(user);
	const char *dom = at ? at + 1 : "";
	int r = 0;

	buf_reset(out);
	while (*q != '\0' && r == 0) {
		if (*q != '%') {
			r = buf_addc(out, *q++);
			continue;
		}
		if (strncmp(q, "%{user|username}", 16) == 0)
			r = buf_add(out, user, ln), q += 16;
		else if (strncmp(q, "%{user|domain}", 14) == 0)
			r = buf_adds(out, dom), q += 14;
		else if (strncmp(q, "%{user}", 7) == 0)
			r = buf_adds(out, user), q += 7;
		else if (q[1] == 'u')
			r = buf_adds(out, user), q += 2;
		else if (q[1] == 'n')
			r = buf_add(out, user, ln), q += 2;
		else if (q[1] == 'd')
			r = buf_adds(out, dom), q += 2;
		else if (q[1] == '%')
			r = buf_addc(out, '%'), q += 2;
		else
			r = buf_addc(out, *q++);
	}
	return r;
}

struct doc_qres {
	int rows;
	int has_password, has_home, has_user;
};

/* Runs one query (expanded for user) on db read-only. 0 or -1 (why). */
static int
doc_run_query(const char *dbpath, const char *query, const char *user,
	      struct doc_qres *res, char *why, size_t wlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct buf q;
	int i, rc = -1;

	memset(res, 0, sizeof(*res));
	buf_init(&q, 65536);
	if (doc_expand(query, user, &q) < 0) {
		snprintf(why, wlen, "query too long");
		goto out;
	}
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(why, wlen, "cannot open %s: %s", dbpath,
			 db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 2000);
	if (sqlite3_prepare_v2(db, buf_str(&q), -1, &st, NULL) != SQLITE_OK) {
		snprintf(why, wlen, "SQL error: %s", sqlite3_errmsg(db));
		goto out;
	}
	for (i = 0; i < sqlite3_column_count(st); i++) {
		const char *c = sqlite3_column_name(st, i);

		res->has_password |= strcasecmp(c, "password") == 0 ||
				     strcasecmp(c, "nopassword") == 0;
		res->has_home |=
		    strcasecmp(c, "home") == 0 || strcasecmp(c, "mail") == 0;
		res->has_user |= strcasecmp(c, "user") == 0;
	}
	while ((i = sqlite3_step(st)) == SQLITE_ROW)
		res->rows++;
	if (i != SQLITE_DONE) {
		snprintf(why, wlen, "SQL error: %s", sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	buf_free(&q);
	return rc;
}

/* Checks one query of a passdb (userdb 0) or userdb. */
static void
doc_query(struct doctor *d, const char *where, int userdb, const char *dbpath,
	  const char *query, int v24)
{
	char check[600], why[512];
	struct doc_qres r;
	const char *what = v24	    ? "query"
			   : userdb ? "user_query"
				    : "password_query";

	snprintf(check, sizeof(check), "dovecot %s",
		 userdb ? "userdb" : "passdb");
	if (query == NULL || query[0] == '\0') {
		doc_report(d, DOC_FAIL, check,
			   "%s has no %s: Dovecot cannot "
			   "%s; use the one 'facteur setup' writes",
			   where, what,
			   userdb ? "find a mailbox" : "check a password");
		return;
	}
	if (d->probe_user == NULL) {
		doc_report(d, DOC_WARN, check,
			   "%s not run: the database has "
			   "no active user yet",
			   what);
		return;
	}
	if (doc_run_query(dbpath, query, d->probe_user, &r, why, sizeof(why)) <
	    0)
		doc_report(
		    d, DOC_FAIL, check,
		    "%s of %s on %s: %s: fix it "
		    "(docs/schema.md has the tables; 'facteur setup' writes a "
		    "working one)",
		    what, where, dbpath, why);
	else if (r.rows == 0)
		doc_report(
		    d, DOC_FAIL, check,
		    "%s of %s finds nothing for %s, "
		    "an active user of the database: nobody can %s; fix the "
		    "query",
		    what, where, d->probe_user,
		    userdb ? "receive mail" : "log in");
	else if (!userdb && !r.has_password)
		doc_report(d, DOC_FAIL, check,
			   "%s of %s gives no 'password' "
			   "column: name the hash column AS password",
			   what, where);
	else if (userdb && !r.has_home)
		doc_report(d, DOC_WARN, check,
			   "%s of %s gives no home or "
			   "mail column: Dovecot needs mail_location then",
			   what, where);
	else
		doc_report(d, DOC_OK, check, "%s of %s finds %s in %s", what,
			   where, d->probe_user, dbpath);
}

/* Queries on another SQL server (PostgreSQL) are left to doveadm user,
 * which asks the running Dovecot. 1 when drv is set and not sqlite. */
static int
doc_not_sqlite(struct doctor *d, const struct doc_db *db, const char *drv)
{
	if (drv[0] == '\0' || strcmp(drv, "sqlite") == 0)
		return 0;
	doc_report(d, DOC_OK, db->userdb ? "dovecot userdb" : "dovecot passdb",
		   "sql driver %s: its query is checked through 'doveadm "
		   "user' below",
		   drv);
	return 1;
}

static void
doc_sql_db(struct doctor *d, const struct doc_dove *dv, const struct doc_db *db)
{
	char connect[512], pq[8192], uq[8192], drv[32];
	const char *dbpath;

	if (db->query[0] != '\0' || db->args[0] == '\0') { /* 2.4 */
		if (doc_not_sqlite(d, db, dv->sql_driver))
			return;
		dbpath = dv->sqlite_path[0] ? dv->sqlite_path : d->a->db_path;
		doc_query(d, db->userdb ? "userdb sql" : "passdb sql",
			  db->userdb, dbpath, db->query, 1);
		return;
	}
	if (doc_sql_file(db->args, drv, connect, sizeof(connect), pq, uq,
			 sizeof(pq)) < 0) {
		doc_report(d, DOC_FAIL,
			   db->userdb ? "dovecot userdb" : "dovecot passdb",
			   "cannot read %s: Dovecot's auth cannot "
			   "either",
			   db->args);
		return;
	}
	if (doc_not_sqlite(d, db, drv))
		return;
	dbpath = connect[0] ? connect : d->a->db_path;
	if (strncmp(dbpath, "dbname=", 7) == 0)
		dbpath += 7;
	if (strcmp(dbpath, d->a->db_path) != 0)
		doc_report(d, DOC_WARN, "dovecot database",
			   "%s reads %s, "
			   "facteur's database is %s",
			   db->args, dbpath, d->a->db_path);
	doc_query(d, db->args, db->userdb, dbpath, db->userdb ? uq : pq, 0);
}

/* doveadm user's "field\tvalue" lines as "k=v k=v", or its first line
 * when it failed. */
static void
doc_fields(const char *out, int ok, char *line, size_t len)
{
	size_t n = 0, k;
	const char *p;

	line[0] = '\0';
	if (!ok) {
		snprintf(line, len, "%.*s", (int)strcspn(out, "\n"), out);
		return;
	}
	for (p = strchr(out, '\n'); p != NULL && *++p != '\0';
	     p = strchr(p, '\n')) {
		k = strcspn(p, "\n");
		if (n + k + 2 >= len)
			break;
		n += (size_t)snprintf(line + n, len - n, "%s%.*s", n ? " " : "",
				      (int)k, p);
	}
	for (k = 0; k < n; k++)
		if (line[k] == '\t')
			line[k] = '=';
}

/* doveadm user USER, through the running auth service. */
static void
doc_doveadm_user(struct doctor *d)
{
	char *argv[8], line[300];
	struct buf out;
	int n = 0, rc;

	if (d->probe_user == NULL || access(DOC_DOVEADM, X_OK) != 0)
		return;
	argv[n++] = (char *)DOC_DOVEADM;
	if (d->dovecot_config != NULL) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)d->dovecot_config;
	}
	argv[n++] = (char *)"user";
	argv[n++] = d->probe_user;
	argv[n] = NULL;
	buf_init(&out, 65536);
	rc = doc_capture(argv, 1, DOC_DOVE_MS, &out);
	doc_fields(buf_str(&out), rc == 0, line, sizeof(line));
	if (rc == 0)
		doc_report(d, DOC_OK, "doveadm user", "%s: %s", d->probe_user,
			   line);
	else if (rc == 67)
		doc_report(
		    d, DOC_FAIL, "doveadm user",
		    "Dovecot's userdb does "
		    "not know %s, an active user of the database: fix the "
		    "userdb",
		    d->probe_user);
	else
		doc_report(d, DOC_WARN, "doveadm user",
			   "%s: exit %d: %s (is "
			   "Dovecot running?)",
			   d->probe_user, rc, line);
	buf_free(&out);
}

void
doctor_dovecot(struct doctor *d)
{
	char *argv[6];
	struct doc_dove dv;
	struct buf out;
	size_t i, nsql = 0;
	int n = 0, rc;

	if (d->dovecot_config != NULL && strcmp(d->dovecot_config, "none") == 0)
		return;
	if (access(DOC_DOVECONF, X_OK) != 0) {
		doc_report(d, DOC_WARN, "dovecot",
			   "no %s: Dovecot checks "
			   "skipped",
			   DOC_DOVECONF);
		return;
	}
	argv[n++] = (char *)DOC_DOVECONF;
	if (d->dovecot_config != NULL) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)d->dovecot_config;
	}
	argv[n++] = (char *)"-n";
	argv[n] = NULL;
	buf_init(&out, 4 << 20);
	memset(&dv, 0, sizeof(dv));
	if ((rc = doc_capture(argv, 0, DOC_DOVE_MS, &out)) != 0) {
		doc_report(d, DOC_FAIL, "dovecot",
			   "doveconf -n: exit %d: "
			   "Dovecot's configuration does not load",
			   rc);
		buf_free(&out);
		return;
	}
	doc_dove_parse(out.data ? out.data : (char *)"", &dv);
	for (i = 0; i < dv.n; i++)
		if (strcmp(dv.dbs[i].driver, "sql") == 0) {
			doc_sql_db(d, &dv, &dv.dbs[i]);
			nsql++;
		}
	if (nsql == 0)
		doc_report(
		    d, DOC_WARN, "dovecot",
		    "%s: no sql passdb or "
		    "userdb: Dovecot does not read facteur's users ('facteur "
		    "setup --apply' adds them)",
		    dv.version[0] ? dv.version : "doveconf -n");
	else
		doc_doveadm_user(d);
	buf_free(&out);
}
