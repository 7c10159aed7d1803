/* lib/milter/daemon.c - the milter skeleton; see daemon.h.
 * SECURITY: started as root to bind the socket, it drops to the configured
 * user before libmilter serves a single connection. */
#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <libmilter/mfapi.h>

#include "cli.h"
#include "facteur_build.h"
#include "glue.h"
#include "log.h"
#include "native.h"
#include "privdrop.h"
#include "seam.h"

#define S(f) offsetof(struct mlt_settings, f)
static const struct cfg_key mlt_common_keys[MLT_SETTINGS_NKEYS] = {
    {"socket", CFG_STR, NULL, 0, 0, S(socket), NULL,
	"where to listen: unix:PATH, inet:PORT@HOST or inet6:PORT@HOST"},
    {"socket_mode", CFG_STR, "0660", 0, 0, S(socket_mode), NULL,
	"octal mode of a unix socket"},
    {"user", CFG_STR, NULL, 0, 0, S(user), NULL,
	"user to run as after binding the socket"},
    {"group", CFG_STR, NULL, 0, 0, S(group), NULL,
	"group to run as (default: the user's primary group)"},
    {"on_error", CFG_ENUM, "tempfail", 0, 0, S(on_error), "accept|tempfail",
	"answer when the filter cannot do its job"},
    {"max_body_size", CFG_SIZE, "64M", 1, 1LL << 30, S(max_body_size), NULL,
	"largest body kept for inspection; bigger is an error"},
    {"max_headers", CFG_INT, "1000", 1, 100000, S(max_headers), NULL,
	"most header fields per message; more is an error"},
    {"max_rcpts", CFG_INT, "1000", 1, 100000, S(max_rcpts), NULL,
	"most recipients per message"},
    {"timeout", CFG_DURATION, "2m", 1000, 3600000, S(timeout), NULL,
	"how long to wait for the MTA"},
    {"engine", CFG_ENUM, "native", 0, 0, S(engine), "native|libmilter",
	"milter protocol engine: facteur's own, or libmilter"},
};
#undef S

size_t
mlt_settings_keys(struct cfg_key *out, size_t common_off)
{
	size_t i;

	for (i = 0; i < MLT_SETTINGS_NKEYS; i++) {
		out[i] = mlt_common_keys[i];
		out[i].off += common_off;
	}
	return MLT_SETTINGS_NKEYS;
}

static int
mlt_port_ok(const char *p, const char *at)
{
	long n = 0;

	if (p == at || at - p > 5)
		return 0;
	for (; p < at; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		n = n * 10 + (*p - '0');
	}
	return n >= 1 && n <= 65535;
}

int
mlt_socket_parse(const char *spec, enum mlt_sock_kind *kind,
    const char **path)
{
	const char *at;

	*path = NULL;
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		*kind = MLT_SOCK_UNIX;
		*path = strchr(spec, ':') + 1;
		return (**path == '/' &&
		    strlen(*path) < sizeof(((struct sockaddr_un *)0)->sun_path))
		    ? 0 : -1;
	}
	if (strncmp(spec, "inet:", 5) == 0)
		*kind = MLT_SOCK_INET, spec += 5;
	else if (strncmp(spec, "inet6:", 6) == 0)
		*kind = MLT_SOCK_INET6, spec += 6;
	else
		return -1;
	if ((at = strchr(spec, '@')) == NULL || at[1] == '\0')
		return -1;
	return mlt_port_ok(spec, at) ? 0 : -1;
}

static int
mlt_mode(const char *s, mode_t *mode)
{
	char *end;
	long m;

	errno = 0;
	m = strtol(s, &end, 8);
	if (errno || end == s || *end != '\0' || m < 0 || m > 0777)
		return -1;
	*mode = (mode_t)m;
	return 0;
}

const char *
mlt_settings_check(const struct mlt_settings *s)
{
	enum mlt_sock_kind k;
	const char *path;
	mode_t m;

	if (s->socket && mlt_socket_parse(s->socket, &k, &path) != 0)
		return "socket: not unix:/ABSOLUTE/PATH, inet:PORT@HOST or "
		       "inet6:PORT@HOST";
	if (mlt_mode(s->socket_mode, &m) != 0)
		return "socket_mode: not an octal mode like 0660";
	if (m & 0007)
		return "socket_mode: must not give access to others";
	if (s->group && *s->group && !(s->user && *s->user))
		return "group is set without user";
	return NULL;
}

/* A unix socket left by a dead instance is removed; one that answers
 * belongs to a live milter; anything else is not ours to delete. */
static int
mlt_clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "%s is in use by a running milter",
		    path);
		return -1;
	}
	if (unlink(path) != 0) {
		snprintf(err, errlen, "cannot remove stale %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Binds the socket; a unix one gets its mode and the drop user's owner. */
static int
mlt_bind(const struct mlt_settings *s, const char *spec, int *lfd,
    char *err, size_t errlen)
{
	enum mlt_sock_kind k;
	const char *path;
	uid_t uid;
	gid_t gid;
	mode_t m, old;

	if (mlt_socket_parse(spec, &k, &path) != 0 ||
	    mlt_mode(s->socket_mode, &m) != 0) {
		snprintf(err, errlen, "bad socket %s", spec);
		return -1;
	}
	if (k == MLT_SOCK_UNIX && mlt_clear_stale(path, err, errlen) != 0)
		return -1;
	if (s->engine == MLT_ENGINE_LIBMILTER &&
	    smfi_setconn((char *)spec) != MI_SUCCESS) {
		snprintf(err, errlen, "smfi_setconn %s failed", spec);
		return -1;
	}
	old = umask(0177);
	if (s->engine == MLT_ENGINE_NATIVE) {
		if (mlt_native_bind(spec, lfd, err, errlen) != 0) {
			umask(old);
			return -1;
		}
	} else if (smfi_opensocket(false) != MI_SUCCESS) {
		umask(old);
		snprintf(err, errlen, "cannot listen on %s", spec);
		return -1;
	}
	umask(old);
	if (k != MLT_SOCK_UNIX)
		return 0;
	if (chmod(path, m) != 0) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		return -1;
	}
	if (s->user && *s->user && geteuid() == 0) {
		if (priv_lookup(s->user, s->group, &uid, &gid, err, errlen) != 0)
			return -1;
		if (chown(path, uid, gid) != 0) {
			snprintf(err, errlen, "chown %s: %s", path,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The unix socket just bound, to know it at the stop. */
static void
mlt_bound(const char *spec, struct stat *st)
{
	enum mlt_sock_kind k;
	const char *path;

	if (mlt_socket_parse(spec, &k, &path) != 0 || k != MLT_SOCK_UNIX ||
	    lstat(path, st) != 0)
		memset(st, 0, sizeof(*st));
}

/* A clean stop removes the unix socket, if it is still the one bound
 * (not a newer instance's), so that a stopped milter is a missing file
 * and not "connection refused" (issue 12). After the privilege drop the
 * directory may not let the user remove it: it then stays, and facteur
 * doctor tells it as "not running". libmilter removes its own. */
static void
mlt_unbind(const char *spec, const struct stat *was)
{
	enum mlt_sock_kind k;
	const char *path;
	struct stat st;

	if (was->st_ino == 0 || mlt_socket_parse(spec, &k, &path) != 0 ||
	    lstat(path, &st) != 0 || st.st_ino != was->st_ino ||
	    st.st_dev != was->st_dev)
		return;
	if (unlink(path) != 0)
		log_info("socket %s left (%s)", path, strerror(errno));
}

static void
mlt_usage(FILE *f, const struct mlt_program *p)
{
	fprintf(f,
	    "usage: %s [-fhV] [-c FILE] [--check-config]\n"
	    "  -c, --config FILE  configuration (default %s), section [%s]\n"
	    "  -f, --foreground   stay in the foreground, log to stderr\n"
	    "  --check-config     load and check the configuration, then exit\n"
	    "  -h, --help         this help\n"
	    "  -V, --version      print the version\n"
	    "%s",
	    p->ident, FACTEUR_CONF, p->section, p->usage ? p->usage : "");
}

/* Loads [section] (common + own keys) and prog->more. */
static int
mlt_load(const struct mlt_program *p, const struct cli_common *cli,
    char *err, size_t errlen)
{
	struct cfg_section *secs;
	struct cfg_key *keys;
	size_t nk;
	int r = -1;

	keys = calloc(MLT_SETTINGS_NKEYS + p->nkeys, sizeof(*keys));
	secs = calloc(1 + p->nmore, sizeof(*secs));
	if (keys != NULL && secs != NULL) {
		nk = mlt_settings_keys(keys, p->common_off);
		if (p->nkeys)
			memcpy(keys + nk, p->keys, p->nkeys * sizeof(*keys));
		secs[0] = (struct cfg_section){p->section, keys,
		    nk + p->nkeys, p->base};
		if (p->nmore)
			memcpy(secs + 1, p->more, p->nmore * sizeof(*secs));
		r = cfg_load(cli->config, secs, 1 + p->nmore,
		    !cli->config_given, err, errlen);
	} else
		snprintf(err, errlen, "out of memory");
	/* CFG_STR fields stay owned by base: the process lives with them. */
	free(keys);
	free(secs);
	return r;
}

static int
mlt_check(const struct mlt_program *p, const struct mlt_settings *s,
    const char *path, char *err, size_t errlen)
{
	const char *why;

	if ((why = mlt_settings_check(s)) != NULL) {
		snprintf(err, errlen, "%s: [%s] %s", path, p->section, why);
		return -1;
	}
	if (p->check && p->check(p->base, err, errlen) != 0)
		return -1;
	return 0;
}

/* The engine's protocol loop, after the privilege drop. Sets *busy when
 * a connection may still call a filter: the filters' state must then
 * outlive mlt_serve (no fini). */
static int
mlt_run_engine(const struct mlt_settings *s, const struct mlt_chain *ch,
    int lfd, int *busy, char *err, size_t errlen)
{
	long long wait = s->timeout < 30000 ? s->timeout : 30000;
	size_t n, msgs = 0, conns = 0;
	int r = 0, calls;

	if (s->engine == MLT_ENGINE_NATIVE) {
		r = mlt_native_serve(ch, lfd, s->timeout, &n, err, errlen);
		*busy = r == 0 && n > 0;
		return r;
	}
	if (smfi_main() != MI_SUCCESS) {
		snprintf(err, errlen, "smfi_main failed");
		r = -1;
	}
	/* smfi_main returns without waiting for its connections: no filter
	 * state may go while a callback can still reach it */
	calls = mlt_glue_drain(wait, &msgs, &conns);
	if (msgs > 0)
		log_warn("stopping with %zu message(s) under way: libmilter "
		    "answers them no more", msgs);
	*busy = calls > 0 || msgs > 0 || conns > 0;
	return r;
}

static int
mlt_serve(const struct mlt_program *p, const struct mlt_settings *s,
    int foreground, int *busy, char *err, size_t errlen)
{
	const char *spec = s->socket ? s->socket : p->default_socket;
	int native = s->engine == MLT_ENGINE_NATIVE, lfd = -1;
	/* static: a connection still open after the drain (*busy) may read
	 * it until the process exits; mlt_main runs once */
	static struct mlt_chain ch;
	struct stat bound = {0};
	struct smfiDesc desc;
	size_t i;

	for (i = 0; i < p->nentries; i++)
		p->entries[i].on_error = s->on_error;
	memset(&ch, 0, sizeof(ch));
	ch.v = p->entries;
	ch.n = p->nentries;
	ch.seam = native ? &mlt_seam_native : &mlt_seam_libmilter;
	ch.lim.max_body = (size_t)s->max_body_size;
	ch.lim.max_headers = (size_t)s->max_headers;
	ch.lim.max_rcpts = (size_t)s->max_rcpts;
	if (!native) {
		mlt_glue_use(&ch, p->ident, &desc);
		if (smfi_register(desc) != MI_SUCCESS) {
			snprintf(err, errlen, "smfi_register failed");
			return -1;
		}
		smfi_settimeout((int)(s->timeout / 1000));
	}
	if (p->init && p->init(p->base, err, errlen) != 0)
		return -1;
	if (mlt_bind(s, spec, &lfd, err, errlen) != 0)
		return -1;
	mlt_bound(spec, &bound);
	/* only now, with its mode and owner set, may anyone connect */
	if (native && mlt_native_listen(lfd, err, errlen) != 0)
		return -1;
	if (priv_drop(s->user, s->group, err, errlen) != 0)
		return -1;
	if (!foreground && daemon(0, 0) != 0) {
		snprintf(err, errlen, "daemon: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	log_info("listening on %s (%s engine)", spec,
	    native ? "native" : "libmilter");
	if (mlt_run_engine(s, &ch, lfd, busy, err, errlen) != 0)
		return -1;
	mlt_unbind(spec, &bound);
	log_info("stopped");
	return 0;
}

int mlt_check_config_only;

int
mlt_main(int argc, char **argv, const struct mlt_program *p)
{
	struct mlt_settings *s =
	    (struct mlt_settings *)(void *)((char *)p->base + p->common_off);
	struct cli_common cli;
	char err[1024];
	int oi, r, busy = 0;

	if (cli_parse(argc, argv, &cli, NULL, NULL, NULL, NULL, &oi) != 0) {
		mlt_usage(stderr, p);
		return 2;
	}
	if (cli.help) {
		mlt_usage(stdout, p);
		return 0;
	}
	if (cli.version) {
		printf("%s %s\n", p->ident, FACTEUR_VERSION);
		return 0;
	}
	if (oi < argc) {
		fprintf(stderr, "%s: unexpected argument: %s\n", p->ident,
		    argv[oi]);
		return 2;
	}
	log_open(p->ident, cli.foreground || cli.check_config);
	mlt_check_config_only = cli.check_config;
	if (mlt_load(p, &cli, err, sizeof(err)) != 0 ||
	    mlt_check(p, s, cli.config, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return 1;
	}
	if (cli.check_config) {
		printf("%s: %s: configuration OK\n", p->ident, cli.config);
		return 0;
	}
	r = mlt_serve(p, s, cli.foreground, &busy, err, sizeof(err));
	if (r != 0)
		log_err("%s", err);
	/* a connection still open may call a filter until the exit */
	if (p->fini && !busy)
		p->fini(p->base);
	return r != 0;
}
