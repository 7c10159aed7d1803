/* admin/setup_postfix.c - main.cf and master.cf, changed only through
 * postconf(1): `postconf -e` for each main.cf.setup line whose value
 * differs, `postconf -M` for a master.cf.submission service that is
 * missing or differs in its fields, `postconf -P` for each of its "-o"
 * parameters that differs. Postfix keeps the text, comments and order
 * of everything else.
 *
 * To show the change first, the same commands run on a scratch copy of
 * main.cf and master.cf (postconf -c SCRATCH) and the two files are
 * diffed; then, once confirmed, on the real directory. */
#include "setup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

#define PF_MAXCMD 64

/* One postconf edit: "-e" "name=value", "-M" "name/type=fields" or
 * "-P" "name/type/param=value". */
struct pf_cmd {
	const char *flag;
	char *arg;
};

struct pf_cmds {
	struct pf_cmd c[PF_MAXCMD];
	size_t n;
};

static void
pf_free(struct pf_cmds *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->c[i].arg);
	l->n = 0;
}

static int
pf_add(struct setup *s, struct pf_cmds *l, const char *flag, const char *name,
       const char *value)
{
	struct buf b;

	if (l->n == PF_MAXCMD) {
		admin_errx(s->a, "postfix: too many changes");
		return -1;
	}
	buf_init(&b, 0);
	if (buf_printf(&b, "%s=%s", name, value) < 0 ||
	    (l->c[l->n].arg = buf_steal(&b)) == NULL) {
		buf_free(&b);
		return -1;
	}
	l->c[l->n++].flag = flag;
	return 0;
}

/* postconf -c dir FLAG what: its output, trailing newline cut. */
static int
pf_query(const char *dir, const char *flag, const char *what, struct buf *out)
{
	char *argv[] = {"postconf",   "-c",	    (char *)dir,
			(char *)flag, (char *)what, NULL};
	int rc = setup_run(argv, out);

	if (rc != 0)
		return -1;
	if (out->len > 0 && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
	return 0;
}

/* Drops "postconf: warning: ..." lines that postconf mixes into out. */
static void
pf_strip_warnings(struct buf *out)
{
	char *p, *e;

	while ((p = strstr(buf_str(out), "postconf: warning:")) != NULL) {
		e = strchr(p, '\n');
		e = e ? e + 1 : p + strlen(p);
		memmove(p, e, strlen(e) + 1);
		out->len = strlen(out->data);
	}
	while (out->len > 0 && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
}

/* Are the first 8 fields of a "postconf -M" line equal to want's? */
static int
pf_same_fields(const char *have, const char *want)
{
	size_t i, a, b;

	for (i = 0; i < 8; i++) {
		have += strspn(have, " \t");
		want += strspn(want, " \t");
		a = strcspn(have, " \t");
		b = strcspn(want, " \t");
		if (a != b || a == 0 || strncmp(have, want, a) != 0)
			return 0;
		have += a;
		want += b;
	}
	return 1;
}

/* Reads a name = value file (main.cf syntax): calls fn for each. */
static int
pf_each_param(struct setup *s, const char *text,
	      int (*fn)(struct setup *, void *, const char *, const char *),
	      void *arg)
{
	struct buf name, val;
	const char *p, *e, *eq;
	int rc = 0, have = 0;

	buf_init(&name, 4096);
	buf_init(&val, 65536);
	for (p = text; rc == 0 && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		if (*p == '#' || p[strspn(p, " \t")] == '\n' || p == e)
			continue;
		if (*p == ' ' || *p == '\t') { /* continuation */
			p += strspn(p, " \t");
			if (!have || (val.len > 0 && buf_addc(&val, ' ') < 0) ||
			    buf_add(&val, p, (size_t)(e - p)) < 0)
				rc = -1;
			continue;
		}
		if (have && (rc = fn(s, arg, buf_str(&name), buf_str(&val))))
			break;
		if ((eq = memchr(p, '=', (size_t)(e - p))) == NULL)
			rc = -1;
		buf_reset(&name);
		buf_reset(&val);
		while (eq && eq > p && (eq[-1] == ' ' || eq[-1] == '\t'))
			eq--;
		if (rc == 0 && (buf_add(&name, p, (size_t)(eq - p)) < 0 ||
				buf_reserve(&val, 0) < 0))
			rc = -1;
		if (rc == 0) {
			eq = memchr(p, '=', (size_t)(e - p)) + 1;
			eq += strspn(eq, " \t");
			if (buf_add(&val, eq, (size_t)(e - eq)) < 0)
				rc = -1;
		}
		have = 1;
	}
	if (rc == 0 && have)
		rc = fn(s, arg, buf_str(&name), buf_str(&val));
	buf_free(&name);
	buf_free(&val);
	return rc;
}

struct pf_walk {
	const char *dir; /* the real configuration directory */
	struct pf_cmds *cmds;
};

static int
pf_main_param(struct setup *s, void *arg, const char *name, const char *value)
{
	struct pf_walk *w = arg;
	struct buf have;
	int rc = -1;

	buf_init(&have, 1 << 20);
	if (pf_query(w->dir, "-h", name, &have) == 0) {
		pf_strip_warnings(&have);
		rc = 0;
		if (strcmp(buf_str(&have), value) != 0)
			rc = pf_add(s, w->cmds, "-e", name, value);
	} else
		admin_errx(s->a, "postconf -c %s -h %s failed", w->dir, name);
	buf_free(&have);
	return rc;
}

/* One master.cf.submission service: the entry, then its -o lines. */
static int
pf_master_entry(struct setup *s, struct pf_walk *w, const char *line, char *svc,
		size_t svclen)
{
	struct buf have;
	char name[128], type[32];
	int rc = 0;

	if (sscanf(line, "%127s %31s", name, type) != 2)
		return -1;
	snprintf(svc, svclen, "%s/%s", name, type);
	buf_init(&have, 1 << 20);
	if (pf_query(w->dir, "-M", svc, &have) < 0)
		rc = -1;
	pf_strip_warnings(&have);
	if (rc == 0 && !pf_same_fields(buf_str(&have), line))
		rc = pf_add(s, w->cmds, "-M", svc, line);
	buf_free(&have);
	return rc;
}

static int
pf_master_opt(struct setup *s, struct pf_walk *w, const char *svc,
	      const char *opt)
{
	char key[512];
	struct buf have;
	const char *eq = strchr(opt, '='), *v;
	int rc = 0;

	if (eq == NULL)
		return -1;
	snprintf(key, sizeof(key), "%s/%.*s", svc, (int)(eq - opt), opt);
	buf_init(&have, 1 << 20);
	if (pf_query(w->dir, "-P", key, &have) < 0)
		rc = -1;
	pf_strip_warnings(&have);
	v = strstr(buf_str(&have), " = ");
	v = v ? v + 3 : "";
	if (rc == 0 && (have.len == 0 || strcmp(v, eq + 1) != 0))
		rc = pf_add(s, w->cmds, "-P", key, eq + 1);
	buf_free(&have);
	return rc;
}

static int
pf_master(struct setup *s, struct pf_walk *w, const char *text)
{
	char svc[200] = "", line[4096];
	const char *p, *e;
	size_t n;

	for (p = text; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		n = (size_t)(e - p);
		if (*p == '#' || n == 0 || n >= sizeof(line))
			continue;
		memcpy(line, p, n);
		line[n] = '\0';
		if (*p != ' ' && *p != '\t') {
			if (pf_master_entry(s, w, line, svc, sizeof(svc)) < 0)
				return -1;
			continue;
		}
		n = strspn(line, " \t");
		if (strncmp(line + n, "-o ", 3) != 0 || svc[0] == '\0')
			return -1;
		if (pf_master_opt(s, w, svc, line + n + 3) < 0)
			return -1;
	}
	return 0;
}

/* The commands that bring dir to what the templates say. */
static int
pf_plan(struct setup *s, const char *dir, struct pf_cmds *cmds)
{
	struct pf_walk w = {dir, cmds};
	struct buf t, r;
	int rc = -1;

	buf_init(&t, SETUP_MAX);
	buf_init(&r, SETUP_MAX);
	if (setup_render(s, "postfix/main.cf.setup", &t) < 0 ||
	    setup_reroot(s, buf_str(&t), &r) < 0)
		goto out;
	if (pf_each_param(s, buf_str(&r), pf_main_param, &w) < 0) {
		admin_errx(s->a, "postfix/main.cf.setup: cannot apply");
		goto out;
	}
	if (setup_render(s, "postfix/master.cf.submission", &t) < 0 ||
	    setup_reroot(s, buf_str(&t), &r) < 0)
		goto out;
	if (pf_master(s, &w, buf_str(&r)) < 0) {
		admin_errx(s->a, "postfix/master.cf.submission: cannot apply");
		goto out;
	}
	rc = 0;
out:
	buf_free(&t);
	buf_free(&r);
	return rc;
}

/* Runs the commands against dir. */
static int
pf_exec(struct setup *s, const char *dir, const struct pf_cmds *cmds)
{
	struct buf out;
	size_t i;
	int rc = 0;

	buf_init(&out, 1 << 20);
	for (i = 0; i < cmds->n && rc == 0; i++) {
		char *argv[] = {"postconf",	"-c",
				(char *)dir,	(char *)cmds->c[i].flag,
				cmds->c[i].arg, NULL};

		if (setup_run(argv, &out) != 0) {
			admin_errx(s->a, "postconf -c %s %s '%s': %s", dir,
				   cmds->c[i].flag, cmds->c[i].arg,
				   buf_str(&out));
			rc = -1;
		}
	}
	buf_free(&out);
	return rc;
}

/* Copies src to dst (same content); 0 or -1. */
static int
pf_copy(const char *src, const char *dst)
{
	struct buf b;
	int rc;

	buf_init(&b, 16 << 20);
	rc = setup_slurp(src, &b) == 0 && setup_put(dst, b.data, b.len, 0644,
						    (uid_t)-1, (gid_t)-1) == 0
		 ? 0
		 : -1;
	buf_free(&b);
	return rc;
}

/* The diff of one file between the real dir and the scratch copy. */
static int
pf_show(struct setup *s, const char *dir, const char *tmp, const char *f)
{
	char a[SETUP_PATH * 2], b[SETUP_PATH * 2], shown[SETUP_PATH * 3];
	struct buf x, y;
	int rc = 0;

	snprintf(a, sizeof(a), "%s/%s", dir, f);
	snprintf(b, sizeof(b), "%s/%s", tmp, f);
	buf_init(&x, 16 << 20);
	buf_init(&y, 16 << 20);
	if (setup_slurp(a, &x) != 0 || setup_slurp(b, &y) != 0)
		rc = -1;
	else if (strcmp(buf_str(&x), buf_str(&y)) != 0) {
		snprintf(shown, sizeof(shown), "%s (postconf)", a);
		rc = setup_diff(shown, buf_str(&x), buf_str(&y));
	}
	(void)s;
	buf_free(&x);
	buf_free(&y);
	return rc;
}

/* Shows the change: the commands on a scratch copy, then a diff. */
static int
pf_preview(struct setup *s, const char *dir, const struct pf_cmds *cmds)
{
	char tmp[SETUP_PATH], a[SETUP_PATH * 2], b[SETUP_PATH * 2];
	const char *files[] = {"main.cf", "master.cf"};
	const char *t = getenv("TMPDIR");
	size_t i;
	int rc = -1;

	snprintf(tmp, sizeof(tmp), "%s/facteur-setup-pf.XXXXXX",
		 t && t[0] == '/' ? t : "/tmp");
	if (mkdtemp(tmp) == NULL)
		return -1;
	for (i = 0; i < 2; i++) {
		snprintf(a, sizeof(a), "%s/%s", dir, files[i]);
		snprintf(b, sizeof(b), "%s/%s", tmp, files[i]);
		if (pf_copy(a, b) < 0)
			goto out;
	}
	if (pf_exec(s, tmp, cmds) == 0 &&
	    pf_show(s, dir, tmp, "main.cf") == 0 &&
	    pf_show(s, dir, tmp, "master.cf") == 0)
		rc = 0;
out:
	for (i = 0; i < 2; i++) {
		snprintf(b, sizeof(b), "%s/%s", tmp, files[i]);
		unlink(b);
	}
	rmdir(tmp);
	return rc;
}

int
setup_postfix_step(struct setup *s, int do_it)
{
	char dir[SETUP_PATH];
	struct pf_cmds cmds = {.n = 0};
	int rc = -1;

	setup_abs(s, "etc/postfix", dir, sizeof(dir));
	if (pf_plan(s, dir, &cmds) < 0)
		goto out;
	rc = 0;
	if (cmds.n == 0)
		goto out;
	if (!do_it) {
		s->nchanges += cmds.n;
		rc = pf_preview(s, dir, &cmds);
		goto out;
	}
	if (setup_backup(s, "etc/postfix/main.cf") < 0 ||
	    setup_backup(s, "etc/postfix/master.cf") < 0 ||
	    pf_exec(s, dir, &cmds) < 0)
		rc = -1;
out:
	pf_free(&cmds);
	return rc;
}

/* "3.7.11" into major and minor. */
static void
setup_version(const char *v, int *major, int *minor)
{
	char *e;

	*major = (int)strtol(v, &e, 10);
	*minor = *e == '.' ? (int)strtol(e + 1, NULL, 10) : 0;
}

int
setup_versions(struct setup *s)
{
	char dir[SETUP_PATH], conf[SETUP_PATH];
	char *dv[] = {"dovecot", "-c", conf, "--version", NULL};
	struct buf out;
	int rc = 0;

	setup_abs(s, "etc/postfix", dir, sizeof(dir));
	buf_init(&out, 1 << 16);
	if (pf_query(dir, "-h", "mail_version", &out) < 0 || out.len == 0) {
		admin_errx(s->a,
			   "no Postfix: postconf -c %s -h mail_version "
			   "failed (apt install postfix)",
			   dir);
		rc = -1;
		goto out;
	}
	setup_version(buf_str(&out), &s->pf_major, &s->pf_minor);
	setup_abs(s, "etc/dovecot/dovecot.conf", conf, sizeof(conf));
	if (s->dovecot_version != NULL)
		setup_version(s->dovecot_version, &s->dc_major, &s->dc_minor);
	else if (access(conf, F_OK) == 0 && setup_run(dv, &out) == 0)
		setup_version(buf_str(&out), &s->dc_major, &s->dc_minor);
	printf("Postfix %d.%d", s->pf_major, s->pf_minor);
	if (s->dc_major > 0)
		printf(", Dovecot %d.%d (%s syntax)\n", s->dc_major,
		       s->dc_minor,
		       s->dc_major > 2 || s->dc_minor >= 4 ? "2.4" : "2.3");
	else
		printf(", no Dovecot (%s): its files are left out\n", conf);
out:
	buf_free(&out);
	return rc;
}
