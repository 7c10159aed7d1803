/* delivery/lmtp_server.c - facteur-lmtp on lib/server: its listeners, its
 * context shared by every connection, and the startup order; see
 * lmtp_server.h. lib/server owns the sockets, the slots (max_clients),
 * the worker threads, the signals and the deadlines; session.c is the
 * protocol, one connection per worker.
 *
 * Deadlines (man facteur-lmtp(8)): a command line has command_timeout
 * from its first byte to its reply; DATA's body has data_timeout from
 * the 354 to the final dot, and each recipient's delivery after it
 * data_timeout again (Postfix's lmtp client waits lmtp_data_done_timeout,
 * 600 s, for each reply); idle_timeout between commands.
 *
 * SECURITY: the unix socket is created as root in Postfix's private/
 * directory with socket_mode and socket_group, before privileges are
 * dropped to [lmtp] user/group (lib/privdrop: names or numeric ids);
 * the TCP listener only ever binds a loopback address (lmtp_conf.c).
 * The mail root and the database are opened as the mail user. */
#include "lmtp_server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lmtp.h"
#include "lmtp_spool.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "store_pool.h"

#define LMTP_DRAIN_MS 30000 /* at SIGTERM, for deliveries under way */

static int
lmtp_listen(struct server *srv, const struct lmtp_settings *cfg, char *err,
	    size_t errlen)
{
	struct group *gr = NULL;

	if (*cfg->socket) {
		if (*cfg->socket_group &&
		    (gr = getgrnam(cfg->socket_group)) == NULL) {
			snprintf(err, errlen, "%s: group %s: no such group",
				 cfg->socket, cfg->socket_group);
			return -1;
		}
		if (srv_listen_unix(srv, cfg->socket, cfg->mode, (uid_t)-1,
				    gr ? gr->gr_gid : (gid_t)-1, 0, err,
				    errlen) < 0)
			return -1;
	}
	if (*cfg->tcp &&
	    srv_listen_inet(srv, (const struct sockaddr *)&cfg->tcp_addr,
			    cfg->tcp_len, cfg->tcp, 0, err, errlen) < 0)
		return -1;
	return 0;
}

static int
lmtp_ctx_init(struct lmtp_server *ls, const struct lmtp_settings *cfg,
	      char *err, size_t errlen)
{
	memset(ls, 0, sizeof(*ls));
	ls->cfg = cfg;
	ls->rootfd = -1;
	ls->spoolfd = -1;
	pthread_mutex_init(&ls->mu, NULL);
	if (*cfg->hostname)
		snprintf(ls->host, sizeof(ls->host), "%s", cfg->hostname);
	else if (gethostname(ls->host, sizeof(ls->host) - 1) < 0)
		snprintf(ls->host, sizeof(ls->host), "localhost");
	if ((ls->sieve = lmtp_sieve_cache_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* As the mail user: where large bodies are spooled (lmtp_spool.h). A
 * directory we can not create files in is only a warning: bodies then
 * stay in memory, as they all did before spooling. */
static int
lmtp_spool_dir(struct lmtp_server *ls, char *err, size_t errlen)
{
	const char *dir =
	    *ls->cfg->spool_dir ? ls->cfg->spool_dir : ls->cfg->mail_root;
	int fd;

	ls->spoolfd = *ls->cfg->spool_dir
			  ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
			  : dup(ls->rootfd);
	if (ls->spoolfd < 0) {
		snprintf(err, errlen, "spool_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((fd = lmtp_spool_probe(ls->spoolfd)) < 0)
		log_warn("spool_dir %s: cannot create a temporary file (%s): "
			 "message bodies past spool_threshold stay in memory",
			 dir, strerror(errno));
	else
		close(fd);
	return 0;
}

/* As the mail user: the mail root, and a database we can read (later
 * failures are per-recipient 451s). */
static int
lmtp_ctx_open(struct lmtp_server *ls, const char *db_path, long long busy_ms,
	      char *err, size_t errlen)
{
	struct store_errbuf e = {""};
	struct store *st = NULL;

	ls->db_path = db_path;
	ls->busy_ms = busy_ms;
	ls->rootfd =
	    open(ls->cfg->mail_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ls->rootfd < 0) {
		snprintf(err, errlen, "mail_root %s: %s", ls->cfg->mail_root,
			 strerror(errno));
		return -1;
	}
	if (lmtp_spool_dir(ls, err, errlen) < 0)
		return -1;
	/* one idle store per client slot, not the pool's default 16: more
	 * sessions than that at once would reopen the database */
	if (store_pool_new(db_path, busy_ms, (size_t)ls->cfg->max_clients,
			   &ls->stores) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((st = store_pool_get(ls->stores, &e)) == NULL) {
		snprintf(err, errlen, "%s: %s", db_path, e.msg);
		return -1;
	}
	store_pool_put(ls->stores, &st); /* the first session's */
	return 0;
}

static void
lmtp_ctx_free(struct lmtp_server *ls)
{
	if (ls->rootfd >= 0)
		close(ls->rootfd);
	if (ls->spoolfd >= 0)
		close(ls->spoolfd);
	lmtp_sieve_cache_free(&ls->sieve);
	store_pool_free(&ls->stores);
	pthread_mutex_destroy(&ls->mu);
}

static void
lmtp_serve_conn(struct srv_conn *c, void *ctx)
{
	lmtp_session_run(ctx, c);
}

int
lmtp_serve(const struct lmtp_settings *cfg, const char *db_path,
	   long long busy_ms)
{
	struct srv_limits lim = {(size_t)cfg->max_clients, cfg->command_timeout,
				 cfg->idle_timeout, LMTP_DRAIN_MS, 0};
	struct srv_ops ops = {lmtp_serve_conn, NULL, 0, *cfg->user == '\0'};
	static struct lmtp_server ls; /* outlives srv when workers hang */
	struct server *srv = NULL;
	char err[512];
	int rc = 1, init;

	init = lmtp_ctx_init(&ls, cfg, err, sizeof(err)) == 0;
	if (!init || srv_new(&lim, &ops, &ls, &srv, err, sizeof(err)) < 0 ||
	    lmtp_listen(srv, cfg, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (srv_drop_privileges(srv, cfg->user, cfg->group, err, sizeof(err)) <
	    0) {
		log_err("cannot drop privileges: %s", err);
		goto out;
	}
	umask(077);
	if (lmtp_ctx_open(&ls, db_path, busy_ms, err, sizeof(err)) < 0 ||
	    srv_run(srv, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	rc = 0;
out:
	/* Workers still busy after the drain keep srv and ls: they go with
	 * the process. */
	if (srv_free(&srv) == 0 && init)
		lmtp_ctx_free(&ls);
	return rc;
}
