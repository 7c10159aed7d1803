/* admin/av.c - "facteur av check FILE|DIR...": each message streamed to
 * clamd with facteur-av's engine and [av] settings, and the verdict the
 * milter would give (milters/av/av.h: av_scan, av_decide), so a mailbox
 * or a spool can be checked from the shell with the same answers.
 *
 * SECURITY: reads the configuration and the named files with the
 * caller's rights and sends their bytes to clamd's socket; writes
 * nothing. clamd's replies are parsed bounded (av_reply.c). */
#include "admin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "av.h"
#include "cfg.h"

#define AV_WALK_DEPTH 8

static const char av_usage[] =
    "usage: facteur av check [--json] FILE|DIR...\n"
    "\n"
    "Streams each message to clamd ([av] clamd_socket) as facteur-av\n"
    "does, and prints the verdict the milter would give under [av]\n"
    "action, on_error and max_scan_size: 'FILE: clean', 'FILE: infected\n"
    "(SIGNATURE): reject|quarantine|tag', 'FILE: not scanned (WHY): tag'\n"
    "or 'FILE: error (WHY): tempfail|tag'; one JSON object a line with\n"
    "--json. A directory is walked (a Maildir's cur/ and new/ included;\n"
    "dot files skipped). Exit 0 when every message is clean, 1 if one is\n"
    "not (or could not be read), 2 usage.\n";

struct av_cli {
	struct admin *a;
	struct av_settings *s;
	const char *authserv;
	int bad;
};

static int
av_load(struct admin *a, struct av_settings *s, struct cfg_section *sec)
{
	static struct cfg_key keys[MLT_SETTINGS_NKEYS + 16];
	char err[1024];
	size_t nk;

	memset(s, 0, sizeof(*s));
	nk = mlt_settings_keys(keys, offsetof(struct av_settings, common));
	memcpy(keys + nk, av_keys, av_nkeys * sizeof(av_keys[0]));
	*sec = (struct cfg_section){"av", keys, nk + av_nkeys, s};
	if (cfg_load(a->config_path, sec, 1, !a->config_given, err,
		     sizeof(err)) < 0 ||
	    av_check(s, err, sizeof(err)) < 0 ||
	    av_init(s, err, sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		cfg_free(sec, 1);
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

static const char *
av_cli_action(const struct av_decision *d, enum av_action act)
{
	if (d->verdict == MLT_REJECT)
		return "reject";
	if (d->verdict == MLT_TEMPFAIL)
		return "tempfail";
	return d->quarantine			   ? "quarantine"
	       : act == AV_ACT_TAG || d->status[0] ? "tag"
						   : "accept";
}

static void
av_print(struct av_cli *c, const char *path, const struct av_result *r,
	 const struct av_decision *d)
{
	const char *act = av_cli_action(d, (enum av_action)c->s->action);
	const char *detail = r->kind == AV_K_INFECTED ? r->name : r->why;

	if (c->a->json) {
		fputs("{\"file\":", stdout);
		out_json_string(stdout, path);
		printf(",\"verdict\":\"%s\",\"detail\":", d->what);
		out_json_string(stdout, r->kind == AV_K_CLEAN ? "" : detail);
		printf(",\"action\":\"%s\",\"size\":%llu}\n", act, r->size);
		return;
	}
	switch (r->kind) {
	case AV_K_CLEAN:
		printf("%s: clean\n", path);
		break;
	case AV_K_INFECTED:
		printf("%s: infected (%s): %s\n", path, r->name, act);
		break;
	case AV_K_TOOBIG:
		printf("%s: not scanned (%s): %s\n", path, r->why, act);
		break;
	case AV_K_FAILED:
		printf("%s: error (%s): %s\n", path, r->why, act);
		break;
	}
}

static void
av_check_file(struct av_cli *c, const char *path)
{
	char version[AV_VERSION_MAX + 1];
	unsigned char chunk[AV_CHUNK_MAX];
	struct av_decision d;
	struct av_result r;
	struct av_scan sc;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		admin_errx(c->a, "%s: %s", path, strerror(errno));
		c->bad = 1;
		return;
	}
	av_scan_begin(&sc, c->s);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			admin_errx(c->a, "%s: %s", path, strerror(errno));
			av_scan_abort(&sc);
			close(fd);
			c->bad = 1;
			return;
		}
		av_scan_feed(&sc, c->s, chunk, (size_t)n);
	}
	close(fd);
	av_scan_end(&sc, &r);
	av_version(c->s, version, sizeof(version));
	av_decide(&r, (enum av_action)c->s->action,
		  (enum mlt_on_error)c->s->common.on_error, version,
		  c->authserv, &d);
	av_print(c, path, &r, &d);
	if (r.kind != AV_K_CLEAN)
		c->bad = 1;
}

static int
av_name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void av_walk(struct av_cli *c, const char *path, int depth);

/* The entries of a directory, sorted, dot files skipped. */
static void
av_walk_dir(struct av_cli *c, const char *path, int depth)
{
	char **names = NULL, **more, sub[4096];
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	DIR *d;

	if ((d = opendir(path)) == NULL) {
		admin_errx(c->a, "%s: %s", path, strerror(errno));
		c->bad = 1;
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((more = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				break;
			names = more;
		}
		if ((names[n] = strdup(e->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), av_name_cmp);
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
				     names[i]) < sizeof(sub))
			av_walk(c, sub, depth + 1);
		free(names[i]);
	}
	free(names);
}

static void
av_walk(struct av_cli *c, const char *path, int depth)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		admin_errx(c->a, "%s: %s", path, strerror(errno));
		c->bad = 1;
		return;
	}
	if (S_ISDIR(st.st_mode) && depth < AV_WALK_DEPTH)
		av_walk_dir(c, path, depth);
	else if (S_ISREG(st.st_mode))
		av_check_file(c, path);
}

static int
av_check_main(struct admin *a, int argc, char **argv)
{
	struct av_settings s;
	struct cfg_section sec;
	struct av_cli c = {a, &s, NULL, 0};
	char host[256];
	int i, rc, npos = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(av_usage, stdout);
			return ADMIN_OK;
		}
		if (strcmp(argv[i], "--json") == 0)
			a->json = 1;
		else if (argv[i][0] == '-')
			return admin_usage_error(a, av_usage,
						 "unknown option "
						 "'%s'",
						 argv[i]);
		else
			npos++;
	}
	if (npos == 0)
		return admin_usage_error(a, av_usage, "missing FILE");
	if ((rc = av_load(a, &s, &sec)) != ADMIN_OK)
		return rc;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	c.authserv = s.authserv_id && *s.authserv_id ? s.authserv_id : host;
	for (i = 0; i < argc; i++)
		if (argv[i][0] != '-')
			av_walk(&c, argv[i], 0);
	av_fini(&s);
	cfg_free(&sec, 1);
	return c.bad ? ADMIN_FAIL : ADMIN_OK;
}

int
av_main(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
	    {"check", av_check_main},
	};

	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
			      av_usage, argc, argv);
}
