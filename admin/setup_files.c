/* admin/setup_files.c - the files `facteur setup --apply` writes: its
 * own (Dovecot drop-in, systemd units, ...), each replaced only with a
 * backup, and facteur.conf, which is never replaced once it exists: the
 * keys a newer template has and the file lacks (set or commented out)
 * are added to their section, and that is shown as a diff. */
#include "setup.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

enum { SF_ALL, SF_DOVECOT23, SF_DOVECOT24, SF_PGSQL };

struct sf_file {
	const char *src; /* template */
	const char *dst; /* under the root */
	mode_t mode;
	const char *group; /* NULL: root */
	int when;
	int merge; /* facteur.conf */
};

static const struct sf_file sf_files[] = {
    {"facteur.conf", "etc/facteur/facteur.conf", 0644, NULL, SF_ALL, 1},
    {"sieve/before.sieve", "etc/facteur/sieve/before.sieve", 0644, NULL, SF_ALL,
     0},
    {"postfix/submission_header_checks", "etc/postfix/submission_header_checks",
     0644, NULL, SF_ALL, 0},
    {"dovecot/90-facteur.conf", "etc/dovecot/conf.d/90-facteur.conf", 0644,
     NULL, SF_DOVECOT23, 0},
    {"dovecot/dovecot-sql.conf.ext", "etc/dovecot/facteur-sql.conf.ext", 0640,
     "dovecot", SF_DOVECOT23, 0},
    {"dovecot/90-facteur-2.4.conf", "etc/dovecot/conf.d/90-facteur.conf", 0640,
     "dovecot", SF_DOVECOT24, 0},
    {"systemd/facteur-lookup.service",
     "etc/systemd/system/facteur-lookup.service", 0644, NULL, SF_ALL, 0},
    {"systemd/facteur-milter@.service",
     "etc/systemd/system/facteur-milter@.service", 0644, NULL, SF_ALL, 0},
    {"systemd/facteur-lmtp.service", "etc/systemd/system/facteur-lmtp.service",
     0644, NULL, SF_ALL, 0},
    {"tmpfiles.d/facteur.conf", "etc/tmpfiles.d/facteur.conf", 0644, NULL,
     SF_ALL, 0},
    /* --database: Postfix's own pgsql: tables (main.cf keeps asking
     * facteur-lookup; these are for postmap -q and the pgsql: route) */
    {"postfix/pgsql/alias_maps.cf", "etc/postfix/pgsql/alias_maps.cf", 0644,
     NULL, SF_PGSQL, 0},
    {"postfix/pgsql/recipient_access.cf",
     "etc/postfix/pgsql/recipient_access.cf", 0644, NULL, SF_PGSQL, 0},
    {"postfix/pgsql/sender_access.cf", "etc/postfix/pgsql/sender_access.cf",
     0644, NULL, SF_PGSQL, 0},
    {"postfix/pgsql/virtual_alias_maps.cf",
     "etc/postfix/pgsql/virtual_alias_maps.cf", 0644, NULL, SF_PGSQL, 0},
    {"postfix/pgsql/virtual_mailbox_domains.cf",
     "etc/postfix/pgsql/virtual_mailbox_domains.cf", 0644, NULL, SF_PGSQL, 0},
    {"postfix/pgsql/virtual_mailbox_maps.cf",
     "etc/postfix/pgsql/virtual_mailbox_maps.cf", 0644, NULL, SF_PGSQL, 0},
};

/* The key a facteur.conf line sets or shows ("key = v" or "#key = v"),
 * as [p, p+len); 0 if it is no key line. */
static size_t
sf_key(const char *line, const char **p)
{
	const char *q = line + (*line == '#');
	size_t n = 0;

	while ((q[n] >= 'a' && q[n] <= 'z') || q[n] == '_' ||
	       (q[n] >= '0' && q[n] <= '9'))
		n++;
	if (n == 0 || !(q[0] >= 'a' && q[0] <= 'z'))
		return 0;
	q += n;
	while (*q == ' ' || *q == '\t')
		q++;
	if (*q != '=')
		return 0;
	*p = line + (*line == '#');
	return n;
}

/* Does section sec (e.g. "[lmtp]") of text name key? end: where the
 * section's last non-blank line ends (the insertion point); NULL when
 * the section is absent. */
static const char *
sf_section(const char *text, const char *sec, const char *key, size_t klen,
	   int *has_key)
{
	const char *p, *e, *k, *end = NULL;
	size_t slen = strlen(sec);
	int in = 0;

	*has_key = 0;
	for (p = text; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		if (*p == '[') {
			if (in)
				break;
			in = strncmp(p, sec, slen) == 0;
			if (in)
				end = *e ? e + 1 : e;
			continue;
		}
		if (!in)
			continue;
		if (e > p)
			end = *e ? e + 1 : e;
		if (sf_key(p, &k) == klen && strncmp(k, key, klen) == 0)
			*has_key = 1;
	}
	return end;
}

/* Inserts line (with its newline) into b at offset off. */
static int
sf_insert(struct buf *b, size_t off, const char *line, size_t len)
{
	if (buf_reserve(b, len + 1) < 0)
		return -1;
	memmove(b->data + off + len + 1, b->data + off, b->len - off + 1);
	memcpy(b->data + off, line, len);
	b->data[off + len] = '\n';
	b->len += len + 1;
	return 0;
}

/* have with the template's missing keys and sections added, into out. */
static int
sf_merge(const char *have, const char *tmpl, struct buf *out)
{
	char sec[128] = "";
	const char *p, *e, *k, *at;
	size_t klen;
	int has, sec_missing = 0;

	buf_reset(out);
	if (buf_adds(out, have) < 0)
		return -1;
	for (p = tmpl; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		if (*p == '[' && (size_t)(e - p) < sizeof(sec)) {
			memcpy(sec, p, (size_t)(e - p));
			sec[e - p] = '\0';
			sec_missing =
			    sf_section(buf_str(out), sec, "", 0, &has) == NULL;
			if (sec_missing &&
			    (buf_printf(out, "%s\n%s\n",
					out->len &&
						out->data[out->len - 1] != '\n'
					    ? "\n"
					    : "",
					sec) < 0))
				return -1;
			continue;
		}
		if (sec[0] == '\0')
			continue;
		if (sec_missing) { /* a new section: all of it */
			if (buf_add(out, p, (size_t)(e - p)) < 0 ||
			    buf_addc(out, '\n') < 0)
				return -1;
			continue;
		}
		if ((klen = sf_key(p, &k)) == 0)
			continue;
		char key[128];
		snprintf(key, sizeof(key), "%.*s", (int)klen, k);
		at = sf_section(buf_str(out), sec, key, klen, &has);
		if (!has && sf_insert(out, (size_t)(at - out->data), p,
				      (size_t)(e - p)) < 0)
			return -1;
	}
	return 0;
}

/* mkdir -p of the directories above ROOT/rel that are missing, each
 * logged so that --undo removes it. */
static int
sf_mkparents(struct setup *s, const char *rel)
{
	char dir[SETUP_PATH], abs[SETUP_PATH];
	char *p;

	snprintf(dir, sizeof(dir), "%s", rel);
	for (p = strchr(dir, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		setup_abs(s, dir, abs, sizeof(abs));
		if (mkdir(abs, 0755) == 0) {
			if (setup_log(s, "mkdir %s", dir) < 0)
				return -1;
		} else if (errno != EEXIST) {
			admin_errx(s->a, "%s: %s", abs, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/* Writes want to ROOT/dst (had: the file existed). */
static int
sf_write(struct setup *s, const struct sf_file *f, const struct buf *want,
	 int had)
{
	char path[SETUP_PATH];
	long gid = f->group ? setup_gid(s, f->group) : 0;

	setup_abs(s, f->dst, path, sizeof(path));
	if (had ? setup_backup(s, f->dst) < 0 : sf_mkparents(s, f->dst) < 0)
		return -1;
	if (!had && setup_log(s, "created %s", f->dst) < 0)
		return -1;
	if (setup_put(path, want->data, want->len, f->mode, 0,
		      (gid_t)(gid < 0 ? 0 : gid)) < 0) {
		admin_errx(s->a, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* One file: what it should hold, compared with what it holds. */
static int
sf_one(struct setup *s, const struct sf_file *f, int do_it)
{
	char path[SETUP_PATH];
	struct buf t, want, have;
	const char *src = f->src, *dst = f->dst;
	int rc = -1, st;

	setup_pg_swap(s, &src, &dst); /* Dovecot 2.3's pgsql twin */
	buf_init(&t, SETUP_MAX);
	buf_init(&want, SETUP_MAX);
	buf_init(&have, SETUP_MAX);
	setup_abs(s, f->dst, path, sizeof(path));
	if (setup_render(s, src, &t) < 0 ||
	    setup_reroot(s, buf_str(&t), &want) < 0)
		goto out;
	if ((st = setup_slurp(path, &have)) < 0) {
		admin_errx(s->a, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (st == 0 && f->merge) {
		if (sf_merge(buf_str(&have), buf_str(&want), &t) < 0)
			goto out;
		buf_reset(&want);
		if (buf_add(&want, t.data, t.len) < 0)
			goto out;
	}
	rc = 0;
	if (st == 0 && strcmp(buf_str(&have), buf_str(&want)) == 0)
		goto out;
	if (!do_it) {
		s->nchanges++;
		rc = setup_diff(path, st == 0 ? buf_str(&have) : NULL,
				buf_str(&want));
	} else
		rc = sf_write(s, f, &want, st == 0);
out:
	buf_free(&t);
	buf_free(&want);
	buf_free(&have);
	return rc;
}

int
setup_files_step(struct setup *s, int do_it)
{
	int v24 = s->dc_major > 2 || (s->dc_major == 2 && s->dc_minor >= 4);
	size_t i;

	for (i = 0; i < sizeof(sf_files) / sizeof(*sf_files); i++) {
		const struct sf_file *f = &sf_files[i];

		if ((f->when == SF_DOVECOT23 && (s->dc_major == 0 || v24)) ||
		    (f->when == SF_DOVECOT24 && !v24) ||
		    (f->when == SF_PGSQL && s->pg == NULL))
			continue;
		if (sf_one(s, f, do_it) < 0)
			return -1;
	}
	return 0;
}
