/* admin/setup_undo.c - `facteur setup --undo`: reverses the newest
 * manifest under ROOT/var/backups/facteur (see setup_apply.c), last line
 * first: files put back byte for byte with their mode and owner, what
 * setup created removed, accounts deleted with userdel/groupdel and
 * memberships with usermod --remove. When all of it worked, the backup
 * directory goes too (and the directories made to hold it), leaving the
 * tree as it was; otherwise it stays, and the failures are listed. */
#include "setup.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

int setup_confirm(struct setup *s, const char *what); /* setup_apply.c */

/* The newest setup-* directory with a manifest, into s->bdir. */
static int
undo_find(struct setup *s)
{
	char dir[SETUP_PATH], best[256] = "", m[SETUP_PATH + 300];
	struct dirent *e;
	DIR *d;

	setup_abs(s, "var/backups/facteur", dir, sizeof(dir));
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "setup-", 6) != 0 ||
		    strlen(e->d_name) >= sizeof(best))
			continue;
		snprintf(m, sizeof(m), "%s/%s/manifest", dir, e->d_name);
		if (access(m, F_OK) == 0 && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (best[0] == '\0')
		return -1;
	if (snprintf(s->bdir, sizeof(s->bdir), "%s/%s", dir, best) >=
	    (int)sizeof(s->bdir))
		return -1;
	return 0;
}

/* Puts files/REL back over ROOT/REL. */
static int
undo_restore(struct setup *s, const char *rel, const char *path)
{
	char src[SETUP_PATH * 2];
	struct stat st;
	struct buf b;
	int rc = -1;

	snprintf(src, sizeof(src), "%s/files/%s", s->bdir, rel);
	buf_init(&b, 1 << 30);
	if (lstat(src, &st) == 0 && setup_slurp(src, &b) == 0 &&
	    setup_put(path, b.data, b.len, st.st_mode & 07777, st.st_uid,
		      st.st_gid) == 0)
		rc = 0;
	buf_free(&b);
	return rc;
}

/* One manifest line, reversed. */
static int
undo_line(struct setup *s, char *line)
{
	char path[SETUP_PATH], *arg = strchr(line, ' '), *b, *c;
	unsigned mode;
	long uid, gid;

	if (arg == NULL)
		return line[0] == '#' || line[0] == '\0' ? 0 : -1;
	*arg++ = '\0';
	setup_abs(s, arg, path, sizeof(path));
	if (strcmp(line, "changed") == 0)
		return undo_restore(s, arg, path);
	if (strcmp(line, "created") == 0)
		return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
	if (strcmp(line, "mkdir") == 0)
		return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
	if (strcmp(line, "backupdir") == 0 || line[0] == '#')
		return 0; /* after the backup itself is gone */
	if (strcmp(line, "perm") == 0) {
		if ((b = strchr(arg, ' ')) == NULL ||
		    sscanf(b, " %o %ld %ld", &mode, &uid, &gid) != 3)
			return -1;
		*b = '\0';
		setup_abs(s, arg, path, sizeof(path));
		return chown(path, (uid_t)uid, (gid_t)gid) == 0 &&
			       chmod(path, mode) == 0
			   ? 0
			   : -1;
	}
	if (strcmp(line, "user") == 0) {
		const char *del[] = {"userdel", arg, NULL};

		return setup_uid(s, arg) < 0 ? 0 : setup_tool(s, del);
	}
	if (strcmp(line, "group") == 0) {
		const char *del[] = {"groupdel", arg, NULL};

		return setup_gid(s, arg) < 0 ? 0 : setup_tool(s, del);
	}
	if (strcmp(line, "member") == 0 && (c = strchr(arg, ' ')) != NULL) {
		const char *rm[] = {"usermod", "--remove", "--groups",
				    c + 1,     arg,	   NULL};

		*c = '\0';
		return !setup_member(s, arg, c + 1) ? 0 : setup_tool(s, rm);
	}
	return -1;
}

/* Removes the backup directory (files/ tree and manifest). */
static int
undo_rmtree(const char *path)
{
	char sub[SETUP_PATH];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (undo_rmtree(sub) < 0)
			rc = -1;
	}
	closedir(d);
	return rc == 0 ? rmdir(path) : -1;
}

/* The manifest's lines, in a buffer split at newlines into lines[]. */
static size_t
undo_lines(char *text, char **lines, size_t max)
{
	size_t n = 0;
	char *p;

	for (p = strtok(text, "\n"); p != NULL && n < max;
	     p = strtok(NULL, "\n"))
		lines[n++] = p;
	return n;
}

int
setup_undo_main(struct setup *s)
{
	char m[SETUP_PATH + 16], *lines[4096], copy[SETUP_PATH + 64];
	struct buf b;
	size_t n, i, failed = 0;

	if (undo_find(s) < 0) {
		printf("nothing to undo: no manifest under %s/var/backups/"
		       "facteur\n",
		       s->root);
		return ADMIN_OK;
	}
	snprintf(m, sizeof(m), "%s/manifest", s->bdir);
	buf_init(&b, 16 << 20);
	if (setup_slurp(m, &b) != 0) {
		admin_errx(s->a, "%s: %s", m, strerror(errno));
		buf_free(&b);
		return ADMIN_FAIL;
	}
	printf("undo %s:\n%s", m, buf_str(&b));
	if (s->dry_run || !setup_confirm(s, "reverse these changes")) {
		buf_free(&b);
		return s->dry_run ? ADMIN_OK : ADMIN_FAIL;
	}
	n = undo_lines(b.data, lines, sizeof(lines) / sizeof(*lines));
	for (i = n; i-- > 0;) {
		snprintf(copy, sizeof(copy), "%s", lines[i]);
		if (undo_line(s, copy) < 0) {
			admin_errx(s->a, "could not undo: %s (%s)", lines[i],
				   strerror(errno));
			failed++;
		}
	}
	if (failed == 0 && undo_rmtree(s->bdir) == 0) {
		for (i = n; i-- > 0;)
			if (strncmp(lines[i], "backupdir ", 10) == 0) {
				setup_abs(s, lines[i] + 10, copy, sizeof(copy));
				rmdir(copy);
			}
		printf("undone\n");
	}
	buf_free(&b);
	if (failed > 0) {
		admin_errx(s->a,
			   "%zu step(s) not undone; the backups stay in "
			   "%s",
			   failed, s->bdir);
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}
