/* admin/legacy.c - facteur db import-legacy: moves an install of the French
 * guide (postfix_domaines, postfix_utilisateurs, postfix_alias,
 * postfix_alias_virtuels, postfix_liste_noire_expediteurs,
 * postfix_liste_noire_destinataires) into our schema in one transaction.
 *
 * Nothing is dropped silently: each row is imported, found already
 * present (so a second run imports nothing), or listed as invalid with
 * its table, key and reason. Fields we have no place for are named in a
 * note. With --transliterate, reply texts lose their accents by a fixed
 * table and each change is printed.
 *
 * SECURITY: the legacy file is not our schema and is opened read-only;
 * its rows get the same checks as the command line. Password hashes are
 * copied as they are (Dovecot reads them); a home outside the mail root
 * is refused, never followed. */
#include "admin.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "legacy.h"
#include "store.h"

struct lg_table {
	const char *name;
	const char *sql; /* fixed text: columns in the order row() reads */
	int ncols;
	enum lg_res (*row)(struct lg *g, const char *const *v);
};

/* Row key for messages: untrusted bytes made printable. */
static const char *
lg_key(const struct lg *g, char *out, size_t outlen)
{
	const char *k = g->key ? g->key : "(null)";

	return log_safe(k, strlen(k), out, outlen);
}

enum lg_res
lg_invalid(struct lg *g, const char *fmt, ...)
{
	char key[256];
	va_list ap;

	fprintf(stderr, "invalid: %s %s: ", g->table,
		lg_key(g, key, sizeof(key)));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (not imported)\n", stderr);
	return LG_INVALID;
}

void
lg_note(struct lg *g, const char *fmt, ...)
{
	char key[256];
	va_list ap;

	fprintf(stderr, "note: %s %s: ", g->table, lg_key(g, key, sizeof(key)));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Maps a store result: duplicates are "already present", refusals of the
 * schema invalid rows, anything else fatal (the transaction is undone). */
enum lg_res
lg_store(struct lg *g, int rc, const struct store_errbuf *err)
{
	if (rc == 0)
		return LG_NEW;
	if (rc == STORE_EDUP)
		return LG_PRESENT;
	if (rc == STORE_EINVAL || rc == STORE_EREF || rc == STORE_EINUSE)
		return lg_invalid(g, "%s", err->msg);
	admin_errx(g->a, "%s: %s", g->table, err->msg);
	return LG_FATAL;
}

/* active: NULL or "" = 1, else 0 or 1. */
int
lg_active(struct lg *g, const char *v, int *out)
{
	if (v == NULL || v[0] == '\0' || strcmp(v, "1") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(v, "0") == 0) {
		*out = 0;
		return 0;
	}
	lg_invalid(g, "active: '%s' is not 0 or 1", v);
	return -1;
}

/* ---- postfix_domaines(domaine, defaut, active) ---- */

static enum lg_res
lg_domain(struct lg *g, const char *const *v)
{
	struct store_errbuf err = {{0}};
	char msg[512];
	struct buf name;
	int active, def, rc;
	enum lg_res res;

	if (lg_empty(v[0]))
		return lg_invalid(g, "domaine: empty");
	if (lg_active(g, v[2], &active) < 0)
		return LG_INVALID;
	def = !lg_empty(v[1]) && strcmp(v[1], "0") != 0;
	buf_init(&name, 1024);
	if (chk_domain("domaine", v[0], &name, msg, sizeof(msg)) < 0) {
		res = lg_invalid(g, "%s", msg);
		goto out;
	}
	rc = store_domain_add(g->a->store, name.data, def, &err);
	if ((res = lg_store(g, rc, &err)) == LG_NEW && !active) {
		rc = store_domain_set_active(g->a->store, name.data, 0, &err);
		res = rc == 0 ? LG_NEW : lg_store(g, rc, &err);
	}
out:
	buf_free(&name);
	return res;
}

/* ---- postfix_utilisateurs(utilisateur, mot_de_passe, nom_complet,
 *      rep_perso, uid, gid, privilege, prefixe, active) ---- */

/* uid/gid: NULL or "" = -1 (the configured mail user), else > 0. */
static int
lg_id(struct lg *g, const char *what, const char *v, long long *out)
{
	char *end;

	*out = -1;
	if (lg_empty(v))
		return 0;
	*out = strtoll(v, &end, 10);
	if (*end != '\0' || *out <= 0 || *out > 0x7fffffffLL) {
		lg_invalid(g, "%s: '%s' is not a positive number", what, v);
		return -1;
	}
	return 0;
}

/* rep_perso -> maildir relative to the mail root, ending in '/'. */
static int
lg_maildir(struct lg *g, const char *rep, const char *addr, struct buf *out)
{
	const char *at = strrchr(addr, '@'), *rel = rep;
	size_t i, rl = g->root.len;

	buf_reset(out);
	if (lg_empty(rep)) {
		lg_note(g, "rep_perso: empty; using %s/%.*s/", at + 1,
			(int)(at - addr), addr);
		return buf_printf(out, "%s/%.*s/", at + 1, (int)(at - addr),
				  addr) < 0
			   ? -1
			   : 0;
	}
	if (rep[0] == '/') {
		if (strncmp(rep, g->root.data, rl) != 0 || rep[rl] != '/') {
			lg_invalid(
			    g,
			    "rep_perso: '%s' is outside the mail "
			    "root %s (set [admin] mail_root or --mail-root)",
			    rep, g->root.data);
			return -1;
		}
		rel = rep + rl;
	}
	while (*rel == '/')
		rel++;
	for (i = 0; rel[i]; i++) {
		if ((unsigned char)rel[i] < 0x20 ||
		    (rel[i] == '.' && rel[i + 1] == '.' &&
		     (i == 0 || rel[i - 1] == '/'))) {
			lg_invalid(g,
				   "rep_perso: '%s' holds a control byte "
				   "or '..'",
				   rep);
			return -1;
		}
	}
	if (*rel == '\0') {
		lg_invalid(g, "rep_perso: '%s' is the mail root itself", rep);
		return -1;
	}
	if (buf_adds(out, rel) < 0 ||
	    (rel[strlen(rel) - 1] != '/' && buf_addc(out, '/') < 0))
		return -1;
	return 0;
}

static enum lg_res
lg_user_add(struct lg *g, const char *const *v, struct buf *addr)
{
	struct store_errbuf err = {{0}};
	struct store_user u;
	struct buf maildir;
	char msg[512];
	int active;
	enum lg_res res = LG_INVALID;

	memset(&u, 0, sizeof(u));
	buf_init(&maildir, 4096);
	if (lg_empty(v[1])) {
		res = lg_invalid(g, "mot_de_passe: empty");
		goto out;
	}
	if (chk_utf8_text("mot_de_passe", v[1], msg, sizeof(msg)) < 0 ||
	    (v[2] &&
	     chk_utf8_text("nom_complet", v[2], msg, sizeof(msg)) < 0)) {
		res = lg_invalid(g, "%s", msg);
		goto out;
	}
	if (lg_maildir(g, v[3], addr->data, &maildir) < 0 ||
	    lg_id(g, "uid", v[4], &u.uid) < 0 ||
	    lg_id(g, "gid", v[5], &u.gid) < 0 || lg_active(g, v[8], &active))
		goto out;
	u.address = addr->data;
	u.domain = strrchr(addr->data, '@') + 1;
	u.password = (char *)v[1];
	u.full_name = (char *)(v[2] ? v[2] : "");
	u.maildir = maildir.data;
	u.active = active;
	res = lg_store(g, store_user_add(g->a->store, &u, &err), &err);
	if (res == LG_NEW && !active)
		res = lg_store(
		    g, store_user_set_active(g->a->store, addr->data, 0, &err),
		    &err);
	if (res == LG_NEW && !lg_empty(v[6]))
		lg_note(g,
			"privilege '%s' not imported (facteur has no such "
			"field)",
			v[6]);
	if (res == LG_NEW && !lg_empty(v[7]))
		lg_note(g,
			"prefixe '%s' not imported (facteur has no such "
			"field)",
			v[7]);
out:
	buf_free(&maildir);
	return res;
}

/* An existing user is "already present" whatever its other fields say
 * (a second run with another --mail-root must not call it invalid). */
static enum lg_res
lg_user_present(struct lg *g, const char *addr)
{
	struct store_errbuf err = {{0}};
	struct store_user u;
	int rc;

	rc = store_user_get(g->a->store, addr, &u, &err);
	store_user_clear(&u);
	if (rc == STORE_FOUND)
		return LG_PRESENT;
	if (rc == STORE_NOTFOUND)
		return LG_NEW;
	admin_errx(g->a, "%s: %s", g->table, err.msg);
	return LG_FATAL;
}

static enum lg_res
lg_user(struct lg *g, const char *const *v)
{
	char msg[512];
	struct buf addr;
	enum lg_res res;
	const char *at;

	if (lg_empty(v[0]))
		return lg_invalid(g, "utilisateur: empty");
	buf_init(&addr, 1024);
	if (chk_address("utilisateur", v[0], &addr, msg, sizeof(msg)) < 0) {
		res = lg_invalid(g, "%s", msg);
	} else if (addr.data[0] == '"' ||
		   ((at = strrchr(addr.data, '@')) &&
		    memchr(addr.data, '/', (size_t)(at - addr.data)))) {
		res = lg_invalid(g, "utilisateur: a mailbox local part may "
				    "not be quoted nor hold '/'");
	} else if ((res = lg_user_present(g, addr.data)) == LG_NEW) {
		res = lg_user_add(g, v, &addr);
	}
	buf_free(&addr);
	return res;
}

/* ---- postfix_alias(alias, destination, active),
 *      postfix_alias_virtuels(courriel, destination, active) ---- */

/* destination may hold several addresses separated by commas or blanks
 * (as Postfix allows); each becomes a row. All are checked first, so a
 * row is imported whole or not at all. */
static enum lg_res
lg_alias_dests(struct lg *g, int virtual_, const char *key, const char *dst,
	       int active)
{
	struct store_errbuf err = {{0}};
	char *copy, *tok, *save = NULL, msg[512];
	struct buf d;
	enum lg_res res = LG_PRESENT, r;
	int pass, n = 0;

	if ((copy = strdup(dst)) == NULL)
		return LG_FATAL;
	buf_init(&d, 1024);
	for (pass = 0; pass < 2 && res != LG_INVALID && res != LG_FATAL;
	     pass++) {
		memcpy(copy, dst, strlen(dst) + 1);
		for (tok = strtok_r(copy, ", \t", &save); tok;
		     tok = strtok_r(NULL, ", \t", &save)) {
			if (chk_alias("destination", tok,
				      virtual_ && key[0] == '@', 0, &d, msg,
				      sizeof(msg)) < 0) {
				res = lg_invalid(g, "%s", msg);
				break;
			}
			n++;
			if (pass == 0)
				continue;
			r = lg_store(g,
				     store_alias_add(g->a->store, virtual_, key,
						     d.data, active, &err),
				     &err);
			if (r != LG_PRESENT)
				res = r;
			if (r == LG_INVALID || r == LG_FATAL)
				break;
		}
	}
	if (n == 0 && res == LG_PRESENT)
		res = lg_invalid(g, "destination: empty");
	buf_free(&d);
	free(copy);
	return res;
}

static enum lg_res
lg_alias_row(struct lg *g, const char *const *v, int virtual_)
{
	char msg[512];
	struct buf key;
	enum lg_res res;
	int active;

	if (lg_empty(v[0]))
		return lg_invalid(g, "%s: empty",
				  virtual_ ? "courriel" : "alias");
	if (lg_empty(v[1]))
		return lg_invalid(g, "destination: empty");
	if (lg_active(g, v[2], &active) < 0)
		return LG_INVALID;
	buf_init(&key, 1024);
	if (chk_alias(virtual_ ? "courriel" : "alias", v[0], virtual_,
		      !virtual_, &key, msg, sizeof(msg)) < 0)
		res = lg_invalid(g, "%s", msg);
	else
		res = lg_alias_dests(g, virtual_, key.data, v[1], active);
	buf_free(&key);
	return res;
}

static enum lg_res
lg_alias(struct lg *g, const char *const *v)
{
	return lg_alias_row(g, v, 0);
}

static enum lg_res
lg_valias(struct lg *g, const char *const *v)
{
	return lg_alias_row(g, v, 1);
}

/* ---- the driver ---- */

static const struct lg_table lg_tables[] = {
    {"postfix_domaines",
     "SELECT domaine, defaut, active FROM "
     "postfix_domaines ORDER BY rowid",
     3, lg_domain},
    {"postfix_utilisateurs",
     "SELECT utilisateur, mot_de_passe, "
     "nom_complet, rep_perso, uid, gid, privilege, prefixe, active FROM "
     "postfix_utilisateurs ORDER BY rowid",
     9, lg_user},
    {"postfix_alias",
     "SELECT alias, destination, active FROM postfix_alias "
     "ORDER BY rowid",
     3, lg_alias},
    {"postfix_alias_virtuels",
     "SELECT courriel, destination, active FROM "
     "postfix_alias_virtuels ORDER BY rowid",
     3, lg_valias},
    {"postfix_liste_noire_expediteurs",
     "SELECT courriel, code_retour, "
     "message, active FROM postfix_liste_noire_expediteurs ORDER BY rowid",
     4, lg_sender},
    {"postfix_liste_noire_destinataires",
     "SELECT courriel, action, active "
     "FROM postfix_liste_noire_destinataires ORDER BY rowid",
     3, lg_recipient},
};

/* 1 if the legacy file has the table, 0 if not, -1 on error. */
static int
lg_has_table(struct lg *g, const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(g->db,
			       "SELECT 1 FROM sqlite_master WHERE "
			       "type = 'table' AND name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Imports one table; -1 on a fatal error (already printed). */
static int
lg_import_table(struct lg *g, const struct lg_table *t)
{
	const char *v[9];
	sqlite3_stmt *st;
	enum lg_res res;
	int i, rc;

	memset(g->count, 0, sizeof(g->count));
	g->table = t->name;
	if ((rc = lg_has_table(g, t->name)) <= 0) {
		if (rc < 0)
			goto dberr;
		printf("%s: absent from the legacy database, skipped\n",
		       t->name);
		return 0;
	}
	if (sqlite3_prepare_v2(g->db, t->sql, -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < t->ncols; i++)
			v[i] = (const char *)sqlite3_column_text(st, i);
		g->key = v[0];
		if ((res = t->row(g, v)) == LG_FATAL) {
			sqlite3_finalize(st);
			return -1;
		}
		g->count[res]++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto dberr;
	g->invalid += g->count[LG_INVALID];
	printf("%s: %lld imported, %lld already present, %lld invalid\n",
	       t->name, g->count[LG_NEW], g->count[LG_PRESENT],
	       g->count[LG_INVALID]);
	return 0;
dberr:
	admin_errx(g->a, "legacy database: %s: %s", t->name,
		   sqlite3_errmsg(g->db));
	return -1;
}

static int
lg_open(struct lg *g, const char *path)
{
	int rc;

	rc = sqlite3_open_v2(path, &g->db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(g->db,
				  "PRAGMA query_only = ON;"
				  "SELECT count(*) FROM sqlite_master",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		admin_errx(g->a, "legacy database %s: %s", path,
			   g->db ? sqlite3_errmsg(g->db) : "out of memory");
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

/* Opens our database, creating the schema on an empty one. */
static int
lg_store_ready(struct lg *g)
{
	struct store_errbuf err = {{0}};
	int rc, to = 0;

	if ((rc = admin_store(g->a, 0)) != 0)
		return rc;
	if (store_version(g->a->store) == 0) {
		if ((rc = store_migrate(g->a->store, NULL, &to, &err)) < 0)
			return admin_store_fail(g->a, rc, err.msg);
		printf("%s: created, schema version %d\n", g->a->db_path, to);
	}
	store_free(&g->a->store);
	return admin_store(g->a, 1);
}

static int
lg_run(struct lg *g)
{
	struct store_errbuf err = {{0}};
	size_t i;
	int rc;

	if ((rc = store_begin(g->a->store, &err)) < 0)
		return admin_store_fail(g->a, rc, err.msg);
	for (i = 0; i < sizeof(lg_tables) / sizeof(lg_tables[0]); i++) {
		if (lg_import_table(g, &lg_tables[i]) < 0) {
			store_rollback(g->a->store);
			admin_errx(g->a, "import-legacy: nothing imported "
					 "(transaction rolled back)");
			return ADMIN_FAIL;
		}
	}
	if ((rc = store_commit(g->a->store, &err)) < 0) {
		store_rollback(g->a->store);
		return admin_store_fail(g->a, rc, err.msg);
	}
	if (g->invalid > 0) {
		admin_errx(g->a,
			   "import-legacy: %lld invalid row%s not "
			   "imported (listed above); the others were",
			   g->invalid, g->invalid == 1 ? "" : "s");
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

int
legacy_main(struct admin *a, int argc, char **argv)
{
	const char *pos[1], *root = NULL;
	struct lg g;
	int rc;
	const struct admin_opt opts[] = {
	    {"transliterate", NULL, &g.translit},
	    {"mail-root", &root, NULL},
	};

	memset(&g, 0, sizeof(g));
	g.a = a;
	if (admin_args(a, argc, argv, opts, 2, pos, 1, 1, db_usage, &rc) < 0)
		return rc;
	buf_init(&g.root, 4096);
	if (root == NULL)
		root = a->cfg->mail_root;
	if (root[0] != '/' || buf_adds(&g.root, root) < 0) {
		admin_errx(a, "mail root: '%s' must be an absolute path", root);
		buf_free(&g.root);
		return ADMIN_USAGE;
	}
	while (g.root.len > 1 && g.root.data[g.root.len - 1] == '/')
		g.root.data[--g.root.len] = '\0';
	if ((rc = lg_open(&g, pos[0])) == 0 && (rc = lg_store_ready(&g)) == 0)
		rc = lg_run(&g);
	sqlite3_close(g.db);
	buf_free(&g.root);
	return rc;
}
