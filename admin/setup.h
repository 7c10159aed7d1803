/* admin/setup.h - what the files of `facteur setup` share.
 *
 * setup.c      options, --out rendering (the templates into a directory)
 * setup_apply.c --apply / --undo: plan, confirmation, backup, manifest
 * setup_files.c the files setup owns (facteur.conf merged, drop-ins)
 * setup_postfix.c main.cf / master.cf through postconf -e / -M / -P only
 * setup_sys.c  accounts, directories, the database, the first DKIM key
 * setup_util.c paths under --root, subprocesses, atomic writes, diffs
 *
 * Every step runs twice: once to show what it would change (do_it 0,
 * counting changes in s->nchanges), once to do it (do_it 1), logging each
 * change to the manifest so that --undo can reverse it. */
#ifndef FACTEUR_ADMIN_SETUP_H
#define FACTEUR_ADMIN_SETUP_H

#include <stdio.h>
#include <sys/types.h>

#include "admin.h"

struct buf;

#define SETUP_MAX ((size_t)1 << 20) /* a template or rendered file */
#define SETUP_PATH 4096

struct setup {
	struct admin *a;
	const char *domain;    /* validated, lowercased */
	const char *hostname;  /* validated, lowercased */
	const char *out;       /* --out DIR: render only */
	const char *tdir;      /* templates */
	const char *pg;	       /* --database postgresql://...; NULL: SQLite */
	char root[SETUP_PATH]; /* --root without trailing '/'; "" is / */
	const char *self;      /* this program, for db init / dkim keygen */
	int force, dry_run, apply, undo, yes;
	size_t nwritten, nskipped;
	/* --apply */
	const char *dovecot_version; /* --dovecot-version, else detected */
	int dc_major, dc_minor;	     /* 0.0: no Dovecot */
	int pf_major, pf_minor;
	size_t nchanges;
	int db_created;	       /* this run made the database: no backup of it */
	FILE *manifest;	       /* open while applying */
	char bdir[SETUP_PATH]; /* ROOT/var/backups/facteur/setup-STAMP */
};

/* setup.c: renders template src (placeholders, database path). */
int setup_render(struct setup *s, const char *src, struct buf *out);

/* setup_db.c: with --database, the PostgreSQL form of a rendered
 * template (facteur.conf's url, Dovecot's and Postfix's connection
 * lines, from the URL; they connect as facteur_lookup), and the
 * PostgreSQL twin of a SQLite-only template (*src, *dst: static until
 * the next call). 0, or -1 after printing. */
int setup_pg_render(struct setup *s, struct buf *text);
void setup_pg_swap(const struct setup *s, const char **src, const char **dst);

/* setup_apply.c */
int setup_apply_main(struct setup *s);
int setup_undo_main(struct setup *s);
/* Appends one line to the manifest (flushed and synced). 0 or -1. */
int setup_log(struct setup *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Copies ROOT/rel (mode and owner too) under the backup directory and
 * logs "changed rel"; a file already backed up this run is not copied
 * again. 0 or -1 after printing. */
int setup_backup(struct setup *s, const char *rel);

/* setup_files.c, setup_postfix.c, setup_sys.c: one step each, see top. */
int setup_files_step(struct setup *s, int do_it);
int setup_postfix_step(struct setup *s, int do_it);
int setup_accounts_step(struct setup *s, int do_it);
int setup_dirs_step(struct setup *s, int do_it);
int setup_db_step(struct setup *s, int do_it);
/* The postconf / dovecot versions; 0, or -1 without a Postfix. */
int setup_versions(struct setup *s);

/* setup_util.c */
/* ROOT/rel into out ("/rel" for the real root). */
void setup_abs(const struct setup *s, const char *rel, char *out, size_t size);
/* in with each absolute path setup knows (/etc/facteur, /var/lib/facteur,
 * /var/spool/postfix, ...) prefixed with the root; a copy for "/". */
int setup_reroot(const struct setup *s, const char *in, struct buf *out);
/* Runs argv (argv[0] looked up in PATH, then /usr/sbin), its stdout and
 * stderr into out (may be NULL). Exit status, or -1 if it did not run. */
int setup_run(char *const argv[], struct buf *out);
/* Runs a shadow tool (useradd, groupadd, usermod, userdel, groupdel,
 * gpasswd: args NULL-terminated, at most 12), with --prefix ROOT under
 * --root; a failure is reported through admin_errx with the tool's
 * output. 0 or -1. */
int setup_tool(struct setup *s, const char *const *args);
/* Whole file into b (reset). 0, 1 if absent, -1 with errno. */
int setup_slurp(const char *path, struct buf *b);
/* Writes b to path through a temporary file and rename(2), with mode and
 * owner (-1: leave). 0 or -1 with errno. */
int setup_put(const char *path, const char *data, size_t len, mode_t mode,
	      uid_t uid, gid_t gid);
/* Prints a unified diff of old (NULL: absent) and new for display name
 * shown; -1 when diff(1) could not run. */
int setup_diff(const char *shown, const char *old, const char *new_);
/* uid/gid of a name in ROOT/etc/passwd, ROOT/etc/group; -1 if absent. */
long setup_uid(const struct setup *s, const char *name);
long setup_gid(const struct setup *s, const char *name);
/* 1 if user is listed as a member of group in ROOT/etc/group. */
int setup_member(const struct setup *s, const char *user, const char *group);
/* The root as the account tools' --prefix wants it ("" for /). */
const char *setup_prefix(const struct setup *s);

#endif
