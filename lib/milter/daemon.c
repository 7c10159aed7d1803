/* lib/milter/daemon.c - the milter skeleton; see daemon.h.
 * SECURITY: started as root to bind the socket, it drops to the configured
 * user before libmilter serves a single connection. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
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

#include "body.h"
#include "cli.h"
#include "facteur_build.h"
#include "glue.h"
#include "log.h"
#include "native.h"
#include "privdrop.h"
#include "seam.h"
#include "server.h"

/* The drop user's ids, for the owner of a unix socket; -1 to keep. */
static int
mlt_owner(const struct mlt_settings *s, uid_t *uid, gid_t *gid, char *err,
	  size_t errlen)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (s->user && *s->user && geteuid() == 0)
		return priv_lookup(s->user, s->group, uid, gid, err, errlen);
	return 0;
}

/* The native engine's listener, through lib/server: a unix socket (stale
 * one replaced, mode and owner set before listen) or each address of
 * inet:PORT@HOST until one binds. */
static int
mlt_listen(struct server *srv, const struct mlt_settings *s, const char *spec,
	   char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	enum mlt_sock_kind k;
	const char *path, *p, *at;
	char port[8], host[256];
	uid_t uid;
	gid_t gid;
	mode_t m;
	int e;

	if (mlt_socket_parse(spec, &k, &path) != 0 ||
	    mlt_socket_mode(s->socket_mode, &m) != 0) {
		snprintf(err, errlen, "bad socket %s", spec);
		return -1;
	}
	if (k == MLT_SOCK_UNIX)
		return mlt_owner(s, &uid, &gid, err, errlen) != 0
			   ? -1
			   : srv_listen_unix(srv, path, m, uid, gid, 0, err,
					     errlen);
	p = strchr(spec, ':') + 1;
	at = strchr(p, '@'); /* checked by mlt_socket_parse: 1-5 digits */
	snprintf(port, sizeof(port), "%.*s", (int)(at - p), p);
	snprintf(host, sizeof(host), "%s", at + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = k == MLT_SOCK_INET6 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", spec, gai_strerror(e));
		return -1;
	}
	e = -1;
	for (ai = res; ai != NULL && e != 0; ai = ai->ai_next)
		e = srv_listen_inet(srv, ai->ai_addr, ai->ai_addrlen, spec, 0,
				    err, errlen);
	freeaddrinfo(res);
	return e;
}

/* libmilter binds its own socket (smfi_opensocket): of lib/server only
 * the stale-socket rule applies; the mode and owner are set here, under
 * a umask that lets no one connect before. */
static int
mlt_libmilter_bind(const struct mlt_settings *s, const char *spec, char *err,
		   size_t errlen)
{
	enum mlt_sock_kind k;
	const char *path;
	uid_t uid;
	gid_t gid;
	mode_t m, old;
	int r;

	if (mlt_socket_parse(spec, &k, &path) != 0 ||
	    mlt_socket_mode(s->socket_mode, &m) != 0) {
		snprintf(err, errlen, "bad socket %s", spec);
		return -1;
	}
	if (k == MLT_SOCK_UNIX && srv_unix_clear_stale(path, err, errlen) != 0)
		return -1;
	if (smfi_setconn((char *)spec) != MI_SUCCESS) {
		snprintf(err, errlen, "smfi_setconn %s failed", spec);
		return -1;
	}
	old = umask(0177);
	r = smfi_opensocket(false);
	umask(old);
	if (r != MI_SUCCESS) {
		snprintf(err, errlen, "cannot listen on %s", spec);
		return -1;
	}
	if (k != MLT_SOCK_UNIX)
		return 0;
	if (chmod(path, m) != 0) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		return -1;
	}
	if (mlt_owner(s, &uid, &gid, err, errlen) != 0)
		return -1;
	if (uid != (uid_t)-1 && chown(path, uid, gid) != 0) {
		snprintf(err, errlen, "chown %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
mlt_usage(FILE *f, const struct mlt_program *p)
{
	fprintf(
	    f,
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
mlt_load(const struct mlt_program *p, const struct cli_common *cli, char *err,
	 size_t errlen)
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
		secs[0] = (struct cfg_section){p->section, keys, nk + p->nkeys,
					       p->base};
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

/* --check-config: spool_dir must be a directory (the daemon would not
 * start), and one the user can create a file in (else bodies stay in
 * memory: said, not an error). As the daemon's user when run so. */
static int
mlt_spool_check(const struct mlt_program *p, const struct mlt_settings *s,
		const char *path, char *err, size_t errlen)
{
	int dfd, fd;

	dfd = open(s->spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(err, errlen, "%s: [%s] spool_dir %s: %s", path,
			 p->section, s->spool_dir, strerror(errno));
		return -1;
	}
	if ((fd = mlt_body_probe(dfd)) >= 0)
		close(fd);
	else
		log_warn("[%s] spool_dir %s: cannot create a temporary file "
			 "(%s): message bodies would stay in memory",
			 p->section, s->spool_dir, strerror(errno));
	close(dfd);
	return 0;
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
	return mlt_check_config_only ? mlt_spool_check(p, s, path, err, errlen)
				     : 0;
}

/* spool_dir, opened before the privilege drop (as the sockets are); a
 * directory that cannot be opened is an error. */
static int
mlt_spool_open(const struct mlt_settings *s, struct mlt_chain *ch, char *err,
	       size_t errlen)
{
	ch->lim.spool_threshold = (size_t)s->spool_threshold;
	ch->lim.spool_dirfd =
	    open(s->spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ch->lim.spool_dirfd < 0) {
		snprintf(err, errlen, "spool_dir %s: %s", s->spool_dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* After the drop: one file as the user. A directory the user cannot
 * write keeps bodies in memory (as before spooling), with one warning. */
static void
mlt_spool_probe(const struct mlt_settings *s, struct mlt_chain *ch)
{
	int fd = mlt_body_probe(ch->lim.spool_dirfd);

	if (fd >= 0) {
		close(fd);
		return;
	}
	log_warn("spool_dir %s: cannot create a temporary file (%s): "
		 "message bodies stay in memory",
		 s->spool_dir, strerror(errno));
	ch->lim.spool_threshold = 0;
}

static int
mlt_detach(int foreground, char *err, size_t errlen)
{
	if (!foreground && daemon(0, 0) != 0) {
		snprintf(err, errlen, "daemon: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The native engine: lib/server binds, drops privileges, keeps the slots
 * (MLT_NATIVE_MAX_CONNS), the deadlines (native.h) and the signals
 * (SIGTERM, SIGINT and SIGHUP stop: a message under way gets the drain).
 * Sets *busy when a worker was still inside a filter after the drain. */
static int
mlt_serve_native(const struct mlt_settings *s, struct mlt_chain *ch,
		 const char *spec, int foreground, int *busy, char *err,
		 size_t errlen)
{
	static struct mlt_native_ctx nx; /* read by workers left busy */
	struct srv_limits lim = {MLT_NATIVE_MAX_CONNS, s->timeout, s->timeout,
				 s->timeout < 30000 ? s->timeout : 30000, 0};
	struct srv_ops ops = {mlt_native_serve, NULL, 1,
			      !(s->user && *s->user)};
	struct server *srv = NULL;
	int r = -1;

	nx = (struct mlt_native_ctx){ch, s->timeout};
	if (srv_new(&lim, &ops, &nx, &srv, err, errlen) != 0)
		return -1;
	if (mlt_listen(srv, s, spec, err, errlen) == 0 &&
	    mlt_spool_open(s, ch, err, errlen) == 0 &&
	    srv_drop_privileges(srv, s->user, s->group, err, errlen) == 0 &&
	    mlt_detach(foreground, err, errlen) == 0) {
		mlt_spool_probe(s, ch);
		log_info("listening on %s (native engine)", spec);
		r = srv_run(srv, err, errlen);
	}
	*busy = srv_free(&srv) != 0;
	return r;
}

/* libmilter keeps its own accept loop, threads and signal thread
 * (SIGTERM/SIGHUP stop, SIGINT aborts); lib/milter binds with the
 * server's stale-socket rule and drops privileges with lib/privdrop.
 * smfi_main returns without waiting for its connections: no filter state
 * may go while a callback can still reach it (*busy). */
static int
mlt_serve_libmilter(const struct mlt_settings *s, struct mlt_chain *ch,
		    const char *spec, int foreground, int *busy, char *err,
		    size_t errlen)
{
	long long wait = s->timeout < 30000 ? s->timeout : 30000;
	size_t msgs = 0, conns = 0;
	int r = 0, calls;

	if (mlt_libmilter_bind(s, spec, err, errlen) != 0 ||
	    mlt_spool_open(s, ch, err, errlen) != 0 ||
	    priv_drop(s->user, s->group, err, errlen) != 0 ||
	    mlt_detach(foreground, err, errlen) != 0)
		return -1;
	mlt_spool_probe(s, ch);
	signal(SIGPIPE, SIG_IGN);
	log_info("listening on %s (libmilter engine)", spec);
	if (smfi_main() != MI_SUCCESS) {
		snprintf(err, errlen, "smfi_main failed");
		r = -1;
	}
	calls = mlt_glue_drain(wait, &msgs, &conns);
	if (msgs > 0)
		log_warn("stopping with %zu message(s) under way: libmilter "
			 "answers them no more",
			 msgs);
	*busy = calls > 0 || msgs > 0 || conns > 0;
	return r;
}

static int
mlt_serve(const struct mlt_program *p, const struct mlt_settings *s,
	  int foreground, int *busy, char *err, size_t errlen)
{
	const char *spec = s->socket ? s->socket : p->default_socket;
	int native = s->engine == MLT_ENGINE_NATIVE;
	/* static: a connection still open after the drain (*busy) may read
	 * it until the process exits; mlt_main runs once */
	static struct mlt_chain ch;
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
	if ((native
		 ? mlt_serve_native(s, &ch, spec, foreground, busy, err, errlen)
		 : mlt_serve_libmilter(s, &ch, spec, foreground, busy, err,
				       errlen)) != 0)
		return -1;
	log_info("stopped");
	return 0;
}

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
