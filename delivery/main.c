/* delivery/main.c - facteur-lmtp: the LMTP delivery agent Postfix hands
 * mail to (virtual_transport = lmtp:unix:private/facteur-lmtp).
 *
 * SECURITY: started as root only to bind in Postfix's private/
 * directory; it then drops to the mail user ([lmtp] user/group, uid/gid
 * 3000 by default as in the guide) before it opens the mail root or the
 * database or reads a byte from a client. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cfg.h"
#include "cli.h"
#include "facteur_build.h"
#include "lmtp_conf.h"
#include "log.h"
#include "privdrop.h"
#include "server.h"

static const char lmtp_usage[] =
    "usage: facteur-lmtp [-c FILE] [--db PATH] [-f] [-d]\n"
    "       facteur-lmtp --check-config | -V | -h\n";

struct lmtp_main {
	struct cli_common cli;
	struct lmtp_settings set;
	struct cfg_database db;
	int debug;
};

static int
lmtp_extra(int opt, const char *arg, void *ctx)
{
	struct lmtp_main *m = ctx;

	if (opt != 'd')
		return -1;
	m->debug = 1;
	return 0;
}

static int
lmtp_numeric(const char *s, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return *end == '\0' && errno == 0 && *v > 0 && *v < 0xffffffffUL;
}

/* Like priv_drop, but "3000" is a uid/gid even without a passwd entry
 * (the guide's mail user is often only numbers in Dovecot's userdb). */
static int
lmtp_drop(const char *user, const char *group, char *err, size_t errlen)
{
	unsigned long u, g;
	struct passwd *pw;
	struct group *gr;
	uid_t uid;
	gid_t gid;

	if (*user == '\0' || (!lmtp_numeric(user, &u) &&
	    (*group == '\0' || !lmtp_numeric(group, &g))))
		return priv_drop(user, group, err, errlen);
	if (lmtp_numeric(user, &u))
		uid = (uid_t)u;
	else if ((pw = getpwnam(user)) != NULL)
		uid = pw->pw_uid;
	else {
		snprintf(err, errlen, "no such user %s", user);
		return -1;
	}
	if (*group == '\0')
		gid = (gid_t)uid;
	else if (lmtp_numeric(group, &g))
		gid = (gid_t)g;
	else if ((gr = getgrnam(group)) != NULL)
		gid = gr->gr_gid;
	else {
		snprintf(err, errlen, "no such group %s", group);
		return -1;
	}
	if (geteuid() != 0)
		return geteuid() == uid ? 0 :
		    (snprintf(err, errlen, "not root and not uid %u",
		    (unsigned)uid), -1);
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		snprintf(err, errlen, "setuid %u/%u: %s", (unsigned)uid,
		    (unsigned)gid, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || setgid(0) == 0) {
		snprintf(err, errlen, "root privileges could be regained");
		return -1;
	}
	return 0;
}

static int
lmtp_serve(struct lmtp_main *m)
{
	struct lmtp_server srv;
	char err[512];
	int rc = 1;

	if (lmtp_server_listen(&srv, &m->set, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (lmtp_drop(m->set.user, m->set.group, err, sizeof(err)) < 0) {
		log_err("cannot drop privileges: %s", err);
		goto out;
	}
	umask(077);
	if (lmtp_server_open(&srv, m->db.path, m->db.busy_timeout, err,
	    sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	rc = lmtp_server_run(&srv) < 0 ? 1 : 0;
out:
	lmtp_server_free(&srv);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option extra[] = {
	    {"debug", no_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
	struct cfg_section secs[2];
	struct lmtp_main m;
	char err[512];
	int idx, rc = 2;

	memset(&m, 0, sizeof(m));
	if (cli_parse(argc, argv, &m.cli, extra, "d", lmtp_extra, &m, &idx) < 0)
		return 2;
	if (m.cli.help) {
		fputs(lmtp_usage, stdout);
		return 0;
	}
	if (m.cli.version) {
		printf("facteur-lmtp %s\n", FACTEUR_VERSION);
		return 0;
	}
	if (idx < argc) {
		fputs(lmtp_usage, stderr);
		return 2;
	}
	secs[0] = (struct cfg_section){"database", cfg_database_keys,
	    cfg_database_nkeys, &m.db};
	secs[1] = (struct cfg_section){"lmtp", lmtp_conf_keys,
	    lmtp_conf_nkeys, &m.set};
	log_open("facteur-lmtp", m.cli.foreground || m.cli.check_config);
	if (m.debug)
		log_set_level(LOG_DEBUG);
	if (cfg_load(m.cli.config, secs, 2, !m.cli.config_given, err,
	    sizeof(err)) < 0 || lmtp_conf_check(&m.set, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (m.cli.db && cfg_set(&cfg_database_keys[0], &m.db, m.cli.db, err,
	    sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (m.cli.check_config) {
		printf("facteur-lmtp: %s: configuration ok\n", m.cli.config);
		rc = 0;
	} else
		rc = lmtp_serve(&m);
out:
	cfg_free(secs, 2);
	return rc;
}
