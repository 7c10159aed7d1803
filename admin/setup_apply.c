/* admin/setup_apply.c - `facteur setup --apply`: shows every change
 * (unified diffs, accounts, directories), asks (or --yes), then makes
 * them, saving each file it changes under one directory,
 * ROOT/var/backups/facteur/setup-YYYYmmdd-HHMMSS/files/, and logging
 * every step to its manifest, one line each:
 *
 *   changed REL        the old file is files/REL (mode, owner kept)
 *   created REL        setup made it: --undo removes it
 *   mkdir REL          setup made the directory: --undo removes it
 *   perm REL MODE UID GID   the old mode and owner of REL
 *   group NAME | user NAME | member USER GROUP   accounts setup added
 *   backupdir REL      a directory made to hold the backups
 *
 * The manifest is written (and synced) before each step, so an
 * interrupted run can be undone too. --undo (setup_undo.c) reads the
 * newest manifest and reverses it line by line, last first. */
#include "setup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

#define SETUP_MAXBACKUP 64

static char *backed_up[SETUP_MAXBACKUP];
static size_t nbacked_up;

/* Makes ROOT/var/backups/facteur/setup-STAMP and opens its manifest;
 * parents it had to create are logged as backupdir. */
static int
setup_open_manifest(struct setup *s)
{
	static const char *const parents[] = {"var", "var/backups",
					      "var/backups/facteur"};
	char made[3][64], stamp[64], rel[128], path[SETUP_PATH + 16];
	time_t now = time(NULL);
	size_t i, nmade = 0;
	int n;

	for (i = 0; i < 3; i++) {
		setup_abs(s, parents[i], path, sizeof(path));
		if (mkdir(path, 0700) == 0)
			snprintf(made[nmade++], sizeof(made[0]), "%s",
				 parents[i]);
		else if (errno != EEXIST)
			goto fail;
	}
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	for (n = 0; n < 100; n++) {
		snprintf(rel, sizeof(rel), "var/backups/facteur/setup-%s%s%.0d",
			 stamp, n ? "-" : "", n);
		setup_abs(s, rel, s->bdir, sizeof(s->bdir));
		if (mkdir(s->bdir, 0700) == 0)
			break;
		if (errno != EEXIST)
			goto fail;
	}
	snprintf(path, sizeof(path), "%s/manifest", s->bdir);
	if ((s->manifest = fopen(path, "wx")) == NULL)
		goto fail;
	fprintf(s->manifest,
		"# facteur setup --apply, %s; undo: facteur "
		"setup --undo%s%s\n",
		stamp, s->root[0] ? " --root " : "", s->root);
	for (i = 0; i < nmade; i++)
		fprintf(s->manifest, "backupdir %s\n", made[i]);
	return 0;
fail:
	admin_errx(s->a, "%s: %s", path, strerror(errno));
	return -1;
}

int
setup_log(struct setup *s, const char *fmt, ...)
{
	va_list ap;

	if (s->manifest == NULL && setup_open_manifest(s) < 0)
		return -1;
	va_start(ap, fmt);
	vfprintf(s->manifest, fmt, ap);
	va_end(ap);
	fputc('\n', s->manifest);
	if (fflush(s->manifest) != 0 || fsync(fileno(s->manifest)) != 0) {
		admin_errx(s->a, "%s/manifest: %s", s->bdir, strerror(errno));
		return -1;
	}
	return 0;
}

/* mkdir -p of the directories above path, 0700 (inside the backup). */
static int
setup_backup_dirs(const char *path)
{
	char dir[SETUP_PATH * 2 + 16];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	for (p = strchr(dir + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

int
setup_backup(struct setup *s, const char *rel)
{
	char src[SETUP_PATH], dst[SETUP_PATH * 2];
	struct stat st;
	struct buf b;
	size_t i;
	int rc = -1;

	for (i = 0; i < nbacked_up; i++)
		if (strcmp(backed_up[i], rel) == 0)
			return 0;
	if (nbacked_up == SETUP_MAXBACKUP ||
	    (backed_up[nbacked_up] = strdup(rel)) == NULL)
		return -1;
	nbacked_up++;
	if (setup_log(s, "changed %s", rel) < 0)
		return -1;
	setup_abs(s, rel, src, sizeof(src));
	snprintf(dst, sizeof(dst), "%s/files/%s", s->bdir, rel);
	buf_init(&b, 1 << 30);
	if (lstat(src, &st) < 0 || !S_ISREG(st.st_mode) ||
	    setup_slurp(src, &b) != 0 || setup_backup_dirs(dst) < 0 ||
	    setup_put(dst, b.data, b.len, st.st_mode & 07777, st.st_uid,
		      st.st_gid) < 0)
		admin_errx(s->a, "backup of %s to %s: %s", src, dst,
			   strerror(errno));
	else
		rc = 0;
	buf_free(&b);
	return rc;
}

/* Every step, in the order they depend on each other: accounts before
 * the directories and files they own, the database last. */
static int
setup_steps(struct setup *s, int do_it)
{
	if (setup_accounts_step(s, do_it) < 0 ||
	    setup_dirs_step(s, do_it) < 0 || setup_files_step(s, do_it) < 0 ||
	    setup_postfix_step(s, do_it) < 0 || setup_db_step(s, do_it) < 0)
		return -1;
	return 0;
}

/* y on a terminal, or --yes. */
int
setup_confirm(struct setup *s, const char *what)
{
	char line[64];

	if (s->yes)
		return 1;
	if (!isatty(0)) {
		admin_errx(s->a,
			   "standard input is not a terminal: give --yes "
			   "to %s, or --dry-run to only look",
			   what);
		return 0;
	}
	printf("%s? [y/N] ", what);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

static void
setup_apply_next(const struct setup *s)
{
	const char *d = s->domain, *h = s->hostname;

	printf(
	    "\nnext steps (docs/install.md):\n"
	    "  systemctl daemon-reload\n"
	    "  systemctl enable --now facteur-lookup facteur-lmtp "
	    "facteur-milter@milter\n"
	    "  systemctl reload postfix\n"
	    "  systemctl restart dovecot    (reads conf.d/90-facteur.conf; "
	    "`doveconf -n` shows it)\n"
	    "  facteur user add postmaster@%s --password-stdin\n"
	    "  TLS: main.cf still names Debian's snakeoil certificate: "
	    "postconf -e\n"
	    "    smtpd_tls_cert_file=/etc/letsencrypt/live/%s/fullchain.pem\n"
	    "    smtpd_tls_key_file=/etc/letsencrypt/live/%s/privkey.pem, and "
	    "ssl_cert/ssl_key\n"
	    "    in a Dovecot drop-in\n"
	    "  DNS: %s. MX 10 %s.; %s. TXT \"v=spf1 mx -all\";\n"
	    "    _dmarc.%s. TXT \"v=DMARC1; p=none\"; DKIM: facteur dkim dns "
	    "%s\n"
	    "  facteur doctor\n"
	    "  to reverse all of it: facteur setup --undo\n",
	    d, h, h, d, h, d, d, d);
}

int
setup_apply_main(struct setup *s)
{
	int rc;

	if (setup_versions(s) < 0)
		return ADMIN_FAIL;
	if (setup_steps(s, 0) < 0)
		return ADMIN_FAIL;
	if (s->nchanges == 0) {
		printf("nothing to change: %s is already set up for %s\n",
		       s->root[0] ? s->root : "/", s->domain);
		return ADMIN_OK;
	}
	printf("%zu change(s)\n", s->nchanges);
	if (s->dry_run) {
		printf("dry run: nothing was changed\n");
		return ADMIN_OK;
	}
	if (!setup_confirm(s, "apply these changes"))
		return ADMIN_FAIL;
	rc = setup_steps(s, 1);
	if (s->manifest != NULL)
		fclose(s->manifest);
	s->manifest = NULL;
	while (nbacked_up > 0)
		free(backed_up[--nbacked_up]);
	if (rc < 0) {
		admin_errx(s->a,
			   "setup stopped; what it did is in %s/manifest:"
			   " facteur setup --undo reverses it",
			   s->bdir);
		return ADMIN_FAIL;
	}
	printf("done; backups and the manifest: %s\n", s->bdir);
	setup_apply_next(s);
	return ADMIN_OK;
}
