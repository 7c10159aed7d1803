/* admin/setup_db.c - the database and the first DKIM key of `facteur
 * setup --apply`, made by this program's own verbs (db init, domain add,
 * dkim keygen) run as subprocesses, so they behave exactly as when an
 * admin types them. A database that exists is backed up before its
 * first change; one setup created is removed by --undo. */
#include "setup.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "buf.h"

/* Runs `facteur -c /dev/null --db DB ARGS...`; output into out. */
static int
db_verb(struct setup *s, const char *db, const char *const *args,
	struct buf *out)
{
	char *argv[16];
	size_t n = 0, i;

	argv[n++] = (char *)s->self;
	argv[n++] = "-c";
	argv[n++] = "/dev/null";
	argv[n++] = "--db";
	argv[n++] = (char *)db;
	for (i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	if (setup_run(argv, out) != 0) {
		admin_errx(s->a, "facteur %s %s: %s", args[0],
			   args[1] ? args[1] : "", buf_str(out));
		return -1;
	}
	return 0;
}

/* Is the domain in the database file itself? Read with immutable=1, so
 * that a second run of setup does not even touch the -shm file; a row
 * still in the -wal is missed, and then the CLI below (which sees it)
 * answers. 1, or 0 when not found or not readable this way. */
static int
db_has_domain_ro(struct setup *s, const char *db)
{
	char uri[SETUP_PATH + 32];
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int found = 0;

	snprintf(uri, sizeof(uri), "file:%s?immutable=1", db);
	if (strpbrk(db, "?#%") == NULL &&
	    sqlite3_open_v2(uri, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
			    NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT 1 FROM domains WHERE name = ?1", -1,
			       &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, s->domain, -1, SQLITE_STATIC) ==
		SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		found = 1;
	sqlite3_finalize(st);
	sqlite3_close(h);
	return found;
}

/* Is the domain in the database? -1 when it cannot be read. */
static int
db_has_domain(struct setup *s, const char *db)
{
	const char *args[] = {"--json", "domain", "list", NULL};
	char want[512];
	struct buf out;
	int rc;

	buf_init(&out, 16 << 20);
	rc = db_verb(s, db, args, &out);
	snprintf(want, sizeof(want), "\"name\": \"%s\"", s->domain);
	rc = rc < 0 ? -1 : strstr(buf_str(&out), want) != NULL;
	buf_free(&out);
	return rc;
}

/* The number of *.key files in dir (0 when it is missing). */
static int
db_keys(const char *dir)
{
	struct dirent *e;
	size_t n;
	DIR *d;
	int k = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".key") == 0)
			k++;
	}
	closedir(d);
	return k;
}

/* Logs the new key files of dir as created, then makes them root's,
 * 0600 (keygen gives them to [admin] dkim_user when that user exists):
 * facteur-milter and facteur-dkim load their keys as root, before they
 * drop to their users, so no daemon user can read a key afterwards, and
 * either deployment accepts the file (0600, owned by root or the
 * milter's user). */
static int
db_own_keys(struct setup *s, const char *rel, const char *dir)
{
	char path[SETUP_PATH * 2];
	struct dirent *e;
	size_t n;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n <= 4 || strcmp(e->d_name + n - 4, ".key") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (setup_log(s, "created %s/%s", rel, e->d_name) < 0 ||
		    chown(path, 0, 0) < 0 || chmod(path, 0600) < 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/* The first key: facteur dkim keygen into ROOT/etc/facteur/dkim. */
static int
db_dkim(struct setup *s, const char *db, const char *dbrel, int do_it)
{
	char rel[SETUP_PATH], dir[SETUP_PATH], keys[SETUP_PATH];
	const char *args[] = {"dkim",	    "keygen", s->domain,
			      "--keys-dir", keys,     NULL};
	struct buf out;
	int rc = -1;

	snprintf(rel, sizeof(rel), "etc/facteur/dkim/%s", s->domain);
	setup_abs(s, rel, dir, sizeof(dir));
	setup_abs(s, "etc/facteur/dkim", keys, sizeof(keys));
	if (db_keys(dir) > 0)
		return 0;
	if (!do_it) {
		printf("+ DKIM key for %s in %s/ (root, 0600; "
		       "facteur dkim dns %s prints its TXT record)\n",
		       s->domain, dir, s->domain);
		s->nchanges++;
		return 0;
	}
	if (!s->db_created && s->pg == NULL && access(db, F_OK) == 0 &&
	    setup_backup(s, dbrel) < 0)
		return -1;
	if (access(dir, F_OK) != 0) {
		if (mkdir(dir, 0700) < 0 || setup_log(s, "mkdir %s", rel) < 0)
			return -1;
	}
	buf_init(&out, 1 << 20);
	if (db_verb(s, db, args, &out) == 0 && db_own_keys(s, rel, dir) == 0) {
		printf("%s", buf_str(&out));
		rc = 0;
	}
	buf_free(&out);
	return rc;
}

/* A new database: its files are logged before they exist, so --undo
 * removes what a failed init left. */
static int
db_create(struct setup *s, const char *db, const char *dbrel)
{
	const char *init[] = {"db", "init", NULL};
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[SETUP_PATH + 16];
	long gid = setup_gid(s, "facteur");
	struct buf out;
	size_t i;
	int rc;

	for (i = 0; i < 4; i++)
		if (setup_log(s, "created %s%s", dbrel, sfx[i]) < 0)
			return -1;
	buf_init(&out, 1 << 20);
	rc = db_verb(s, db, init, &out);
	buf_free(&out);
	for (i = 0; rc == 0 && i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", db, sfx[i]);
		if (access(p, F_OK) == 0 &&
		    (chown(p, 0, (gid_t)(gid < 0 ? 0 : gid)) < 0 ||
		     chmod(p, 0640) < 0))
			rc = -1;
	}
	return rc;
}

/* --database: the schema and the roles (db init --url, idempotent),
 * then the domain; nothing of a server is logged for --undo (rows are
 * never dropped: docs/postgresql.md). */
static int
db_step_pg(struct setup *s, int do_it)
{
	const char *init[] = {"db", "init", "--url", s->pg, NULL};
	const char *add[] = {"domain", "add", s->domain, NULL};
	struct buf out;
	int has, rc = 0;

	buf_init(&out, 1 << 20);
	/* not initialised yet: the listing fails, and the domain is missing */
	has = db_has_domain(s, s->pg) == 1;
	if (!has && !do_it) {
		printf("+ PostgreSQL database %s: facteur db init --url "
		       "(schema, roles), domain %s\n",
		       s->pg, s->domain);
		s->nchanges++;
	} else if (!has && (db_verb(s, s->pg, init, &out) < 0 ||
			    db_verb(s, s->pg, add, &out) < 0))
		rc = -1;
	buf_free(&out);
	if (rc == 0)
		rc = db_dkim(s, s->pg, "", do_it);
	return rc;
}

int
setup_db_step(struct setup *s, int do_it)
{
	const char *add[] = {"domain", "add", s->domain, NULL};
	char db[SETUP_PATH], dbrel[SETUP_PATH];
	struct buf out;
	int exists, has = 0, rc = 0;

	if (s->pg != NULL)
		return db_step_pg(s, do_it);
	snprintf(dbrel, sizeof(dbrel), "%s",
		 s->a->db_path + (s->a->db_path[0] == '/'));
	setup_abs(s, dbrel, db, sizeof(db));
	exists = access(db, F_OK) == 0;
	if (exists && !(has = db_has_domain_ro(s, db)) &&
	    (has = db_has_domain(s, db)) < 0)
		return -1;
	if (!has && !do_it) {
		printf(
		    "+ %s %s: domain %s\n",
		    exists
			? "database"
			: "new database (facteur db init, 0640 root:facteur)",
		    db, s->domain);
		s->nchanges++;
	} else if (!has) {
		buf_init(&out, 1 << 20);
		if (exists ? setup_backup(s, dbrel) < 0
			   : db_create(s, db, dbrel) < 0)
			rc = -1;
		s->db_created = !exists;
		if (rc == 0 && db_verb(s, db, add, &out) < 0)
			rc = -1;
		buf_free(&out);
	}
	if (rc == 0)
		rc = db_dkim(s, db, dbrel, do_it);
	return rc;
}

/* ---- --database postgresql://... (issue 14) ---- */

/* The parts of the URL Postfix's and Dovecot's own PostgreSQL clients
 * need; they connect as facteur_lookup (read-only), whoever the URL
 * names. Defaults: Debian's socket directory, database "facteur". */
struct pg_parts {
	char host[512], port[32], dbname[256], sslmode[32];
};

static void
pg_copy(char *dst, size_t n, const char *v, const char *def)
{
	snprintf(dst, n, "%s", v != NULL && *v != '\0' ? v : def);
}

static int
pg_parse(struct setup *s, struct pg_parts *p)
{
	PQconninfoOption *o, *opts;
	char *err = NULL;

	if ((opts = PQconninfoParse(s->pg, &err)) == NULL) {
		admin_errx(s->a, "--database: %s", err ? err : "out of memory");
		PQfreemem(err);
		return -1;
	}
	memset(p, 0, sizeof(*p));
	pg_copy(p->host, sizeof(p->host), NULL, "/var/run/postgresql");
	pg_copy(p->dbname, sizeof(p->dbname), NULL, "facteur");
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0)
			pg_copy(p->host, sizeof(p->host), o->val, "");
		else if (strcmp(o->keyword, "port") == 0)
			pg_copy(p->port, sizeof(p->port), o->val, "");
		else if (strcmp(o->keyword, "dbname") == 0)
			pg_copy(p->dbname, sizeof(p->dbname), o->val, "");
		else if (strcmp(o->keyword, "sslmode") == 0)
			pg_copy(p->sslmode, sizeof(p->sslmode), o->val, "");
	}
	PQconninfoFree(opts);
	/* the values go into config files: no quotes, blanks or newlines */
	if (strpbrk(p->host, " \t\r\n'\"\\{}#") != NULL ||
	    strpbrk(p->dbname, " \t\r\n'\"\\{}#&?=%") != NULL ||
	    strspn(p->port, "0123456789") != strlen(p->port) ||
	    strspn(p->sslmode, "abcdefghijklmnopqrstuvwxyz-") !=
		strlen(p->sslmode)) {
		admin_errx(s->a, "--database: host, dbname, port or sslmode "
				 "holds characters setup will not write into "
				 "Postfix's and Dovecot's files");
		return -1;
	}
	return 0;
}

/* The replacements, template text -> this database's. */
static int
pg_pairs(struct setup *s, const struct pg_parts *p, struct buf *from,
	 struct buf *to, size_t *n)
{
	const char *pt = p->port[0] ? " port=" : "",
		   *ss = p->sslmode[0] ? " sslmode=" : "";
	int bad = 0;

	*n = 4;
	/* facteur.conf: the URL as given */
	bad |= buf_printf(&from[0], "#url = postgresql:///facteur?host=/run/"
				    "postgresql&user=facteur_lookup") < 0;
	bad |= buf_printf(&to[0], "url = %s", s->pg) < 0;
	/* Dovecot 2.3's dovecot-pgsql.conf.ext: libpq keywords */
	bad |= buf_printf(&from[1], "connect = host=/var/run/postgresql "
				    "dbname=facteur user=facteur_lookup") < 0;
	bad |= buf_printf(&to[1],
			  "connect = host=%s%s%s dbname=%s%s%s "
			  "user=facteur_lookup",
			  p->host, pt, p->port, p->dbname, ss, p->sslmode) < 0;
	/* Postfix's pgsql_table(5): a URI in hosts carries port and role */
	bad |= buf_printf(&from[2], "hosts = unix:/var/run/postgresql\n"
				    "dbname = facteur\n") < 0;
	bad |= buf_printf(&to[2],
			  "hosts = postgresql:///%s?host=%s%s%s%s%s"
			  "&user=facteur_lookup\ndbname = %s\n",
			  p->dbname, p->host, p->port[0] ? "&port=" : "",
			  p->port, p->sslmode[0] ? "&sslmode=" : "", p->sslmode,
			  p->dbname) < 0;
	/* Dovecot 2.4: the driver's named filter is the host */
	bad |= buf_printf(&from[3], "sql_driver = sqlite\nsqlite_path = "
				    "/var/lib/facteur/facteur.sqlite\n") < 0;
	bad |= buf_printf(&to[3],
			  "sql_driver = pgsql\npgsql \"%s\" {\n"
			  "  parameters {\n%s%s%s    dbname = %s\n%s%s%s"
			  "    user = facteur_lookup\n  }\n}\n",
			  p->host, p->port[0] ? "    port = " : "", p->port,
			  p->port[0] ? "\n" : "", p->dbname,
			  p->sslmode[0] ? "    sslmode = " : "", p->sslmode,
			  p->sslmode[0] ? "\n" : "") < 0;
	return bad ? -1 : 0;
}

int
setup_pg_render(struct setup *s, struct buf *text)
{
	struct buf from[4], to[4], out;
	struct pg_parts p;
	size_t i, n = 0;
	const char *at;
	int rc = -1;

	if (s->pg == NULL)
		return 0;
	if (pg_parse(s, &p) < 0)
		return -1;
	for (i = 0; i < 4; i++) {
		buf_init(&from[i], 4096);
		buf_init(&to[i], 8192);
	}
	buf_init(&out, SETUP_MAX);
	if (pg_pairs(s, &p, from, to, &n) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((at = strstr(buf_str(text), buf_str(&from[i]))) == NULL)
			continue;
		buf_reset(&out);
		if (buf_add(&out, text->data, (size_t)(at - text->data)) < 0 ||
		    buf_adds(&out, buf_str(&to[i])) < 0 ||
		    buf_adds(&out, at + from[i].len) < 0)
			goto out;
		buf_reset(text);
		if (buf_add(text, out.data, out.len) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		admin_errx(s->a, "--database: rendered file too large");
	for (i = 0; i < 4; i++) {
		buf_free(&from[i]);
		buf_free(&to[i]);
	}
	buf_free(&out);
	return rc;
}

/* With --database, the SQLite-only templates give way to their
 * PostgreSQL twins (config-templates/README.md). */
void
setup_pg_swap(const struct setup *s, const char **src, const char **dst)
{
	static const char *const swap[][4] = {
	    {"postfix/main.cf.sqlite", "etc/postfix/facteur/main.cf.sqlite",
	     "postfix/main.cf.pgsql", "etc/postfix/facteur/main.cf.pgsql"},
	    {"dovecot/dovecot-sql.conf.ext", NULL,
	     "dovecot/dovecot-pgsql.conf.ext", NULL},
	};
	static char sbuf[256], dbuf[256];
	size_t i;

	if (s->pg == NULL)
		return;
	for (i = 0; i < sizeof(swap) / sizeof(swap[0]); i++)
		if (strcmp(*src, swap[i][0]) == 0) {
			*src = swap[i][2];
			if (swap[i][1] != NULL)
				*dst = swap[i][3];
			return;
		}
	if (strncmp(*src, "postfix/sqlite/", 15) == 0 &&
	    strncmp(*dst, "etc/postfix/sqlite/", 19) == 0) {
		snprintf(sbuf, sizeof(sbuf), "postfix/pgsql/%s", *src + 15);
		snprintf(dbuf, sizeof(dbuf), "etc/postfix/pgsql/%s", *dst + 19);
		*src = sbuf;
		*dst = dbuf;
	}
}
