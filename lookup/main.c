/* lookup/main.c - facteur-lookup: Postfix socketmap and policy delegation
 * server over the facteur database, and `query MAP KEY` for the shell.
 *
 * SECURITY: started as root to bind in Postfix's private/ directory, it
 * drops to [lookup] user before it opens the database or reads a request.
 * It only ever opens the database read-only. Every request is untrusted:
 * parsers are bounded by max_key_len and the policy request limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "buf.h"
#include "cfg.h"
#include "cli.h"
#include "facteur_build.h"
#include "lk_conf.h"
#include "lk_maps.h"
#include "lk_server.h"
#include "log.h"
#include "server.h"
#include "store.h"

static const char lk_usage[] =
    "usage: facteur-lookup [-c FILE] [--db PATH] [-f] [-d] [serve]\n"
    "       facteur-lookup [-c FILE] [--db PATH] query MAP KEY\n"
    "       facteur-lookup --check-config | -V | -h\n"
    "maps: domains mailboxes aliases virtual_aliases sender_access "
    "recipient_access\n"
    "query exits 0 found, 1 not found, 2 error\n";

struct lk_main {
	struct cli_common cli;
	struct lk_settings set;
	struct cfg_database db;
	int debug;
};

static int
lk_extra(int opt, const char *arg, void *ctx)
{
	struct lk_main *m = ctx;

	if (opt != 'd')
		return -1;
	m->debug = 1;
	return 0;
}

static int
lk_query(struct lk_main *m, const char *map, const char *key)
{
	struct lk_query_cfg qc = {m->set.recipient_delimiter,
				  m->set.null_access_lookup_key};
	struct store_errbuf e = {""};
	struct store *st = NULL;
	enum lk_status rs;
	enum lk_map mp;
	struct buf out;

	mp = lk_map_find(map, strlen(map));
	if (mp == LK_MAP_UNKNOWN) {
		fprintf(stderr, "facteur-lookup: unknown map \"%s\"\n", map);
		return 2;
	}
	if (store_open(m->db.path, STORE_RO, m->db.busy_timeout, &st, &e) < 0) {
		fprintf(stderr, "facteur-lookup: %s: %s\n", m->db.path, e.msg);
		return 2;
	}
	buf_init(&out, LK_REPLY_MAX);
	rs = lk_map_query(st, &qc, mp, key, &out, &e);
	store_free(&st);
	if (rs == LK_OK)
		printf("%s\n", out.data);
	else if (rs != LK_NOTFOUND)
		fprintf(stderr, "facteur-lookup: %s: %s\n", lk_status_word(rs),
			e.msg[0] ? e.msg : "error");
	buf_free(&out);
	return rs == LK_OK ? 0 : rs == LK_NOTFOUND ? 1 : 2;
}

/* The one startup order (lib/server.h): bind as root, drop privileges,
 * open the database, serve. */
static int
lk_serve(struct lk_main *m)
{
	const struct lk_settings *cfg = &m->set;
	struct srv_limits lim = {(size_t)cfg->max_clients, cfg->request_timeout,
				 cfg->idle_timeout, 0, 0};
	struct srv_ops ops = {lk_service_serve, NULL, 0, *cfg->user == '\0'};
	struct lk_service svc;
	struct server *srv = NULL;
	char err[512];
	int rc = 1, opened = 0;

	if (srv_new(&lim, &ops, &svc, &srv, err, sizeof(err)) < 0 ||
	    lk_service_listen(srv, cfg, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (srv_drop_privileges(srv, cfg->user, cfg->group, err, sizeof(err)) <
	    0) {
		log_err("cannot drop privileges: %s", err);
		goto out;
	}
	opened = 1;
	if (lk_service_open(&svc, cfg, m->db.path, m->db.busy_timeout, err,
			    sizeof(err)) < 0 ||
	    srv_run(srv, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	rc = 0;
out:
	/* Workers still busy after the drain keep srv and the pool: they
	 * go with the process. */
	if (srv_free(&srv) == 0 && opened)
		lk_service_close(&svc);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option extra[] = {{"debug", no_argument, NULL, 'd'},
					      {NULL, 0, NULL, 0}};
	struct lk_main m;
	struct cfg_section secs[2];
	const char *cmd;
	char err[512];
	int idx, rc, serve;

	memset(&m, 0, sizeof(m));
	if (cli_parse(argc, argv, &m.cli, extra, "d", lk_extra, &m, &idx) < 0)
		return 2;
	if (m.cli.help) {
		fputs(lk_usage, stdout);
		return 0;
	}
	if (m.cli.version) {
		printf("facteur-lookup %s\n", FACTEUR_VERSION);
		return 0;
	}
	cmd = idx < argc ? argv[idx] : "serve";
	serve = strcmp(cmd, "serve") == 0;
	if (serve ? argc - idx > 1
		  : (strcmp(cmd, "query") != 0 || argc - idx != 3)) {
		fputs(lk_usage, stderr);
		return 2;
	}
	secs[0] = (struct cfg_section){"database", cfg_database_keys,
				       cfg_database_nkeys, &m.db};
	secs[1] =
	    (struct cfg_section){"lookup", lk_conf_keys, lk_conf_nkeys, &m.set};
	log_open("facteur-lookup",
		 m.cli.foreground || !serve || m.cli.check_config);
	if (m.debug)
		log_set_level(LOG_DEBUG);
	rc = 2;
	if (cfg_load(m.cli.config, secs, 2, !m.cli.config_given, err,
		     sizeof(err)) < 0 ||
	    lk_conf_check(&m.set, serve, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (m.cli.db && cfg_set(&cfg_database_keys[0], &m.db, m.cli.db, err,
				sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (m.cli.check_config) {
		printf("facteur-lookup: %s: configuration ok\n", m.cli.config);
		rc = 0;
	} else if (serve)
		rc = lk_serve(&m);
	else
		rc = lk_query(&m, argv[idx + 1], argv[idx + 2]);
out:
	cfg_free(secs, 2);
	return rc;
}
