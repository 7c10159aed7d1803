/* admin/setup.c - facteur setup: its options, and --out: renders
 * config-templates/ for one install (domain, host name, database path,
 * sbindir) into a directory that mirrors the system layout
 * (DIR/etc/facteur/facteur.conf, DIR/etc/postfix/...,
 * DIR/etc/systemd/system/...), then prints the next steps. --apply and
 * --undo, which change a live system, are in setup_apply.c (setup.h
 * lists the files).
 *
 * Without --out nothing is written: the plan is printed (the safe
 * default; "--out /" writes into the live system on purpose). An
 * existing file is never replaced unless --force, and then through a
 * temporary file and rename(2), so a reader never sees half a file.
 *
 * SECURITY: run by root to write /etc. Files are created with
 * O_EXCL|O_NOFOLLOW (a planted symlink is not followed), modes from the
 * table below; the templates are read from the installed share dir or
 * --templates. Nothing here touches the database. */
#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "facteur_build.h"
#include "store.h"

const char setup_usage[] =
    "usage: facteur setup --apply --domain DOMAIN --hostname FQDN [--yes]\n"
    "                     [--dry-run] [--root DIR] [--templates DIR]\n"
    "                     [--database postgresql://...]\n"
    "       facteur setup --undo [--yes] [--dry-run] [--root DIR]\n"
    "       facteur setup --domain DOMAIN --hostname FQDN [--out DIR]\n"
    "                     [--force] [--dry-run] [--templates DIR]\n"
    "                     [--database postgresql://...]\n"
    "\n"
    "--apply sets up this stock Debian Postfix + Dovecot for facteur:\n"
    "main.cf and master.cf through postconf -e/-M/-P, a Dovecot drop-in\n"
    "(conf.d/90-facteur.conf, 2.3 or 2.4 syntax by `dovecot --version`),\n"
    "the users facteur, facteur-dkim and vmail, directories, the database\n"
    "with DOMAIN, the first DKIM key, systemd units. It shows every change\n"
    "as a diff and asks (--yes: do not ask; --dry-run: only show), saves\n"
    "each file it changes under /var/backups/facteur/setup-STAMP/ with a\n"
    "manifest, and never replaces an existing facteur.conf: it adds the\n"
    "keys it lacks. Run again, it changes nothing. --undo reverses the\n"
    "newest manifest: files restored byte for byte, what setup made\n"
    "removed. --root DIR works on a copy of / at DIR (for tests).\n"
    "\n"
    "--out DIR only renders the templates into DIR, laid out like /; an\n"
    "existing file is skipped unless --force, which keeps the old one as\n"
    "FILE.bak-STAMP. Without --apply or --out, lists those files.\n"
    "The database path is [database] path (or --db); the daemons' path\n"
    "is " FACTEUR_SBINDIR ".\n"
    "\n"
    "--database URL puts the database on PostgreSQL (docs/postgresql.md):\n"
    "[database] url, Dovecot's driver = pgsql (2.3 or 2.4 syntax) and\n"
    "Postfix's pgsql: tables (/etc/postfix/pgsql/*.cf) for the same\n"
    "schema, connecting as the read-only role facteur_lookup; --apply runs\n"
    "facteur db init --url (schema, roles) and adds DOMAIN there.\n";

struct setup_file {
	const char *src; /* under the templates directory */
	const char *dst; /* under DIR */
	mode_t mode;
};

/* What `facteur setup` writes; config-templates/README.md has the list
 * too. The Postfix main.cf/master.cf fragments are lines to merge, so
 * they go beside main.cf, never over it. */
static const struct setup_file setup_files[] = {
    {"facteur.conf", "etc/facteur/facteur.conf", 0644},
    {"sieve/before.sieve", "etc/facteur/sieve/before.sieve", 0644},
    {"postfix/main.cf.host", "etc/postfix/facteur/main.cf.host", 0644},
    {"postfix/main.cf.socketmap", "etc/postfix/facteur/main.cf.socketmap",
     0644},
    {"postfix/main.cf.sqlite", "etc/postfix/facteur/main.cf.sqlite", 0644},
    {"postfix/main.cf.milters", "etc/postfix/facteur/main.cf.milters", 0644},
    {"postfix/master.cf.submission", "etc/postfix/facteur/master.cf.submission",
     0644},
    {"postfix/submission_header_checks", "etc/postfix/submission_header_checks",
     0644},
    {"postfix/sqlite/alias_maps.cf", "etc/postfix/sqlite/alias_maps.cf", 0644},
    {"postfix/sqlite/recipient_access.cf",
     "etc/postfix/sqlite/recipient_access.cf", 0644},
    {"postfix/sqlite/sender_access.cf", "etc/postfix/sqlite/sender_access.cf",
     0644},
    {"postfix/sqlite/virtual_alias_maps.cf",
     "etc/postfix/sqlite/virtual_alias_maps.cf", 0644},
    {"postfix/sqlite/virtual_mailbox_domains.cf",
     "etc/postfix/sqlite/virtual_mailbox_domains.cf", 0644},
    {"postfix/sqlite/virtual_mailbox_maps.cf",
     "etc/postfix/sqlite/virtual_mailbox_maps.cf", 0644},
    {"dovecot/dovecot-sql.conf.ext", "etc/dovecot/facteur-sql.conf.ext", 0640},
    {"dovecot/90-facteur.conf", "etc/dovecot/conf.d/90-facteur.conf", 0644},
    {"systemd/facteur-lookup.service",
     "etc/systemd/system/facteur-lookup.service", 0644},
    {"systemd/facteur-milter@.service",
     "etc/systemd/system/facteur-milter@.service", 0644},
    {"systemd/facteur-lmtp.service", "etc/systemd/system/facteur-lmtp.service",
     0644},
    {"sysusers.d/facteur.conf", "etc/sysusers.d/facteur.conf", 0644},
    {"tmpfiles.d/facteur.conf", "etc/tmpfiles.d/facteur.conf", 0644},
};
#define SETUP_NFILES (sizeof(setup_files) / sizeof(setup_files[0]))

/* Reads the template src (src.in when only that exists: the source
 * tree's systemd units) into b. 0, or -1 after printing. */
static int
setup_read(struct setup *s, const char *src, struct buf *b)
{
	char path[4096];
	char chunk[8192];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", s->tdir, src);
	if ((f = fopen(path, "r")) == NULL && errno == ENOENT) {
		snprintf(path, sizeof(path), "%s/%s.in", s->tdir, src);
		f = fopen(path, "r");
	}
	if (f == NULL) {
		admin_errx(s->a, "template %s/%s: %s", s->tdir, src,
			   strerror(errno));
		return -1;
	}
	buf_reset(b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n) < 0) {
			fclose(f);
			admin_errx(s->a, "%s: too large", path);
			return -1;
		}
	fclose(f);
	return 0;
}

/* Appends in to out with every `from` replaced by `to`. */
static int
setup_replace(const char *in, const char *from, const char *to, struct buf *out)
{
	size_t flen = strlen(from);
	const char *p;

	buf_reset(out);
	while ((p = strstr(in, from)) != NULL) {
		if (buf_add(out, in, (size_t)(p - in)) < 0 ||
		    buf_adds(out, to) < 0)
			return -1;
		in = p + flen;
	}
	return buf_adds(out, in);
}

/* The first "@NAME@" left in text (a placeholder nobody filled), or
 * NULL. */
static const char *
setup_leftover(const char *text, size_t *len)
{
	const char *p, *q;

	for (p = strchr(text, '@'); p != NULL; p = strchr(p + 1, '@')) {
		for (q = p + 1; (*q >= 'A' && *q <= 'Z') ||
				(*q >= 'a' && *q <= 'z') || *q == '_';
		     q++)
			;
		if (*q == '@' && q > p + 1) {
			*len = (size_t)(q - p + 1);
			return p;
		}
	}
	return NULL;
}

/* Renders template src into out: the placeholders, then the database
 * path where the templates have the built-in one. */
int
setup_render(struct setup *s, const char *src, struct buf *out)
{
	/* a PostgreSQL database is rendered by setup_pg_render() below; the
	 * file paths in the templates then stay as they are */
	const char *db =
	    store_is_url(s->a->db_path) ? FACTEUR_DB : s->a->db_path;
	char from[512], to[4200];
	const char *left;
	struct buf t, u, swap;
	size_t n;
	int rc = -1;

	buf_init(&t, SETUP_MAX);
	buf_init(&u, SETUP_MAX);
	if (setup_read(s, src, &t) < 0)
		goto out;
	if (strcmp(db, FACTEUR_DB) != 0 && strcmp(src, "facteur.conf") == 0) {
		/* the commented default would not apply: make it a setting */
		snprintf(from, sizeof(from), "#path = %s", FACTEUR_DB);
		snprintf(to, sizeof(to), "path = %s", db);
		if (setup_replace(buf_str(&t), from, to, &u) < 0)
			goto full;
		swap = t;
		t = u;
		u = swap;
	}
	if (setup_replace(buf_str(&t), "@DOMAIN@", s->domain, &u) < 0 ||
	    setup_replace(buf_str(&u), "@HOSTNAME@", s->hostname, &t) < 0 ||
	    setup_replace(buf_str(&t), "@sbindir@", FACTEUR_SBINDIR, &u) < 0 ||
	    setup_replace(buf_str(&u), FACTEUR_DB, db, out) < 0)
		goto full;
	if (setup_pg_render(s, out) < 0)
		goto out;
	if ((left = setup_leftover(buf_str(out), &n)) != NULL) {
		admin_errx(s->a, "template %s: unknown placeholder %.*s", src,
			   (int)n, left);
		goto out;
	}
	rc = 0;
	goto out;
full:
	admin_errx(s->a, "template %s: rendered file too large", src);
out:
	buf_free(&t);
	buf_free(&u);
	return rc;
}

/* mkdir -p of the directories above path (mode 0755). */
static int
setup_mkdirs(const char *path)
{
	char dir[4096];
	char *p;

	if (strlen(path) >= sizeof(dir))
		return -1;
	memcpy(dir, path, strlen(path) + 1);
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* Writes b to path: a new file (O_EXCL), or with replace a temporary
 * file renamed over path. 0, or -1 with errno. */
static int
setup_write(const char *path, const struct buf *b, mode_t mode, int replace)
{
	char tmp[4200];
	const char *target = path;
	int fd, e;

	if (replace) {
		snprintf(tmp, sizeof(tmp), "%s.facteur-setup.%ld", path,
			 (long)getpid());
		target = tmp;
	}
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0 ||
	    write(fd, b->data, b->len) != (ssize_t)b->len || fsync(fd) < 0) {
		e = errno ? errno : EIO;
		close(fd);
		unlink(target);
		errno = e;
		return -1;
	}
	if (close(fd) < 0 || (replace && rename(tmp, path) < 0)) {
		e = errno;
		unlink(target);
		errno = e;
		return -1;
	}
	return 0;
}

/* With --force, the file about to be replaced is kept as
 * PATH.bak-STAMP first (an edited facteur.conf is never lost). */
static int
setup_keep_old(const char *path, char *bak, size_t size)
{
	char stamp[32];
	struct stat st;
	struct buf b;
	time_t now = time(NULL);
	int rc = -1;

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	snprintf(bak, size, "%s.bak-%s", path, stamp);
	buf_init(&b, SETUP_MAX * 16);
	if (lstat(path, &st) == 0 && setup_slurp(path, &b) == 0)
		rc = setup_write(bak, &b, st.st_mode & 07777, 0);
	buf_free(&b);
	return rc;
}

/* One file: render, then write, skip or (plan only) name it. */
static int
setup_one(struct setup *s, const struct setup_file *f)
{
	char path[4096], bak[4200];
	struct stat st;
	struct buf b, old;
	int exists, same, rc = -1;

	const char *src = f->src, *dst = f->dst;

	buf_init(&b, SETUP_MAX);
	buf_init(&old, SETUP_MAX);
	setup_pg_swap(s, &src, &dst);
	if (setup_render(s, src, &b) < 0)
		goto out;
	rc = 0;
	snprintf(path, sizeof(path), "%s/%s", s->out ? s->out : "", dst);
	exists = lstat(path, &st) == 0;
	same = exists && setup_slurp(path, &old) == 0 &&
	       strcmp(buf_str(&old), buf_str(&b)) == 0;
	if (same) {
		printf("unchanged %s\n", path);
	} else if (exists && !s->force) {
		printf("%s %s (exists; --force replaces it, keeping a "
		       "copy)\n",
		       s->out == NULL || s->dry_run ? "would skip" : "skipped",
		       path);
		s->nskipped++;
	} else if (s->out == NULL || s->dry_run) {
		printf("would %s %s\n", exists ? "replace" : "write", path);
	} else if ((exists && setup_keep_old(path, bak, sizeof(bak)) < 0) ||
		   setup_mkdirs(path) < 0 ||
		   setup_write(path, &b, f->mode, exists) < 0) {
		admin_errx(s->a, "%s: %s", path, strerror(errno));
		rc = -1;
	} else {
		printf("%s %s%s%s%s\n", exists ? "replaced" : "wrote", path,
		       exists ? " (the old one is " : "", exists ? bak : "",
		       exists ? ")" : "");
		s->nwritten++;
	}
out:
	buf_free(&b);
	buf_free(&old);
	return rc;
}

static void
setup_next_steps(const struct setup *s)
{
	const char *d = s->domain, *h = s->hostname;

	printf("\nnext steps (see docs/install.md; `facteur setup --apply`"
	       " does all of\nthem but DNS, with a backup and --undo):\n"
	       "  - merge /etc/postfix/facteur/main.cf.host, main.cf.socketmap"
	       " (or\n    main.cf.%s) and main.cf.milters into main.cf, e.g."
	       " with\n      postconf -e \"myhostname = %s\" \"mydomain = %s\""
	       "\n    and append master.cf.submission to master.cf; then"
	       " postfix check\n"
	       "  - systemd-sysusers; systemd-tmpfiles --create\n"
	       "  - facteur db init%s && facteur domain add %s\n"
	       "  - facteur dkim keygen %s (prints the TXT record to publish)\n"
	       "  - publish in DNS:\n"
	       "      %s. MX 10 %s.\n"
	       "      %s. TXT \"v=spf1 mx -all\"\n"
	       "      _dmarc.%s. TXT \"v=DMARC1; p=none; "
	       "rua=mailto:postmaster@%s\""
	       "\n"
	       "  - systemctl daemon-reload\n"
	       "    systemctl enable --now facteur-lookup\n"
	       "    systemctl enable --now facteur-milter@blacklist "
	       "facteur-milter@scrub\n"
	       "    systemctl enable --now facteur-milter@dkim "
	       "facteur-milter@spam\n"
	       "    systemctl enable --now facteur-lmtp   (if it delivers: "
	       "virtual_transport)\n"
	       "  - Dovecot: etc/dovecot/conf.d/90-facteur.conf (Dovecot 2.3;"
	       " passdb and\n    userdb over facteur-sql.conf.ext, Postfix's "
	       "private/auth listener,\n    mail_location) goes to "
	       "/etc/dovecot/conf.d/ as is; usermod -aG facteur\n    dovecot; "
	       "Debian's dovecot-sql.conf.ext is not used\n"
	       "    systemctl reload postfix; systemctl restart dovecot\n"
	       "  - facteur doctor\n",
	       s->pg ? "pgsql" : "sqlite", h, d, s->pg ? " --url URL" : "", d,
	       d, d, h, d, d, d);
}

/* Checks --domain / --hostname; the canonical forms go to dom and host. */
static int
setup_names(struct setup *s, const char *domain, const char *hostname,
	    struct buf *dom, struct buf *host)
{
	char err[512];

	if (domain == NULL || hostname == NULL)
		return admin_usage_error(s->a, setup_usage,
					 "setup needs "
					 "--domain and --hostname");
	if (chk_domain("--domain", domain, dom, err, sizeof(err)) < 0 ||
	    chk_domain("--hostname", hostname, host, err, sizeof(err)) < 0) {
		admin_errx(s->a, "%s", err);
		return ADMIN_USAGE;
	}
	if (strchr(buf_str(dom), '.') == NULL) {
		admin_errx(s->a, "--domain: '%s' is not a domain (no dot)",
			   domain);
		return ADMIN_USAGE;
	}
	if (strchr(buf_str(host), '.') == NULL) {
		admin_errx(s->a,
			   "--hostname: '%s' is not a fully qualified "
			   "name (no dot)",
			   hostname);
		return ADMIN_USAGE;
	}
	s->domain = buf_str(dom);
	s->hostname = buf_str(host);
	return ADMIN_OK;
}

/* --root DIR into s->root: absolute, no trailing '/', "" for /. */
static int
setup_root(struct setup *s, const char *root)
{
	size_t n;

	if (root == NULL)
		root = "/";
	if (root[0] != '/' || strlen(root) >= sizeof(s->root)) {
		admin_errx(s->a, "--root: '%s' is not an absolute path", root);
		return ADMIN_USAGE;
	}
	snprintf(s->root, sizeof(s->root), "%s", root);
	n = strlen(s->root);
	while (n > 0 && s->root[n - 1] == '/')
		s->root[--n] = '\0';
	return ADMIN_OK;
}

/* --out and the mode flags: which mode, and do they go together? */
static int
setup_modes(struct setup *s)
{
	if (s->apply + s->undo + (s->out != NULL) > 1)
		return admin_usage_error(s->a, setup_usage,
					 "--apply, --undo "
					 "and --out exclude each other");
	if (s->out != NULL && s->out[0] == '\0')
		return admin_usage_error(s->a, setup_usage, "--out: empty");
	if (s->force && (s->apply || s->undo))
		return admin_usage_error(
		    s->a, setup_usage,
		    "--force is for "
		    "--out (--apply never replaces facteur.conf)");
	return ADMIN_OK;
}

/* The --out / plan-only mode. */
static int
setup_render_all(struct setup *s)
{
	char out[4096];
	size_t i, n;
	int failed = 0;

	if (s->out != NULL) { /* "/" and "dir/" name no "//" paths */
		snprintf(out, sizeof(out), "%s", s->out);
		n = strlen(out);
		while (n > 0 && out[n - 1] == '/')
			out[--n] = '\0';
		s->out = out;
	} else
		printf("no --out DIR: nothing is written; the files for / "
		       "would be:\n");
	for (i = 0; i < SETUP_NFILES; i++)
		if (setup_one(s, &setup_files[i]) < 0)
			failed = 1;
	if (s->nskipped > 0)
		printf("%zu file(s) %sskipped: they exist (--force replaces "
		       "them, keeping a copy)\n",
		       s->nskipped,
		       s->out == NULL || s->dry_run ? "would be " : "");
	if (!failed)
		setup_next_steps(s);
	s->out = NULL;
	return failed ? ADMIN_FAIL : ADMIN_OK;
}

int
setup_main(struct admin *a, int argc, char **argv)
{
	const char *domain = NULL, *hostname = NULL, *root = NULL;
	char self[4096];
	struct setup s;
	const struct admin_opt opts[] = {
	    {"domain", &domain, NULL},
	    {"hostname", &hostname, NULL},
	    {"out", &s.out, NULL},
	    {"templates", &s.tdir, NULL},
	    {"force", NULL, &s.force},
	    {"dry-run", NULL, &s.dry_run},
	    {"apply", NULL, &s.apply},
	    {"undo", NULL, &s.undo},
	    {"yes", NULL, &s.yes},
	    {"root", &root, NULL},
	    {"dovecot-version", &s.dovecot_version, NULL},
	    {"database", &s.pg, NULL}};
	struct buf dom, host;
	ssize_t n;
	int rc;

	memset(&s, 0, sizeof(s));
	s.a = a;
	s.tdir = FACTEUR_TEMPLATES;
	if (admin_args(a, argc - 1, argv + 1, opts,
		       sizeof(opts) / sizeof(*opts), NULL, 0, 0, setup_usage,
		       &rc) < 0)
		return rc;
	if ((rc = setup_modes(&s)) != 0 || (rc = setup_root(&s, root)) != 0)
		return rc;
	if (s.pg != NULL && !store_is_url(s.pg))
		return admin_usage_error(a, setup_usage,
					 "--database: not a "
					 "postgresql:// URL");
	/* --db URL or [database] url: the same as --database URL */
	if (s.pg == NULL && store_is_url(a->db_path))
		s.pg = a->db_path;
	if (s.undo)
		return setup_undo_main(&s);
	buf_init(&dom, 256);
	buf_init(&host, 256);
	if ((rc = setup_names(&s, domain, hostname, &dom, &host)) != 0)
		goto out;
	if (access(s.tdir, R_OK | X_OK) != 0) {
		admin_errx(a, "templates %s: %s (give --templates DIR)", s.tdir,
			   strerror(errno));
		rc = ADMIN_FAIL;
		goto out;
	}
	if (!s.apply) {
		rc = setup_render_all(&s);
		goto out;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		admin_errx(a, "/proc/self/exe: %s", strerror(errno));
		rc = ADMIN_FAIL;
		goto out;
	}
	self[n] = '\0';
	s.self = self;
	rc = setup_apply_main(&s);
out:
	buf_free(&dom);
	buf_free(&host);
	return rc;
}
