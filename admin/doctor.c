/* admin/doctor.c - facteur doctor: checks a running install and prints
 * one line per check (ok, warn, FAIL) with what to do; doctor_dns.c
 * checks the DNS of the mail domains. Exit 0 when nothing FAILed. The
 * report line and the daemons' table every doctor_*.c uses are
 * doctor_report.c: the checks call it, never back into this file.
 *
 * facteur.conf is checked by the same loader the daemons use: main.c
 * loaded [database] and [admin] (and refused unknown sections) before
 * doctor runs, and each daemon found in --sbindir runs its own
 * `--check-config` on the file for its section. The socket keys are then
 * read from the file (built-in defaults as in facteur.conf(5)) and
 * connected to: a daemon that does not answer is a warning, since an
 * install may not run all of them.
 *
 * SECURITY: read-only. Opens the database STORE_RO, connects to the
 * sockets without sending anything, runs the installed daemons with
 * --check-config only (never as a server), and asks DNS through lib/dns
 * (the configured or given resolver). */
#include "doctor.h"
#include "admin.h"

#include <errno.h>
#include <ini.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "daemon.h"
#include "paths.h"
#include "store.h"

#define DOC_CHECK_CONFIG_MS 120000 /* facteur-spam compiles its rules */
#define DOC_CONNECT_S 3

const char doctor_usage[] =
    "usage: facteur doctor [--domain DOMAIN] [--resolver IP[@PORT]]\n"
    "                      [--sbindir DIR] [--postfix-dir DIR|none]\n"
    "                      [--dovecot-config FILE|none] [--json]\n"
    "\n"
    "Checks the database, facteur.conf, what the live Postfix\n"
    "configuration uses (postconf -n: each milter of smtpd_milters and\n"
    "non_smtpd_milters, each socketmap and check_policy_service,\n"
    "virtual_transport), Dovecot's sql passdb/userdb queries (doveconf\n"
    "-n), the DKIM keys and the database against each daemon's user, the\n"
    "Bayes store, and the DNS (MX, SPF, DMARC, DKIM, the MX hosts'\n"
    "addresses) of every enabled domain, or only DOMAIN. One line per\n"
    "check: ok, warn or FAIL; a FAIL says what to do. The resolver is\n"
    "--resolver, else [dkim] resolver, else resolv.conf.\n"
    "Exit 0 when no check FAILed, 1 otherwise.\n";

#define DOC_NPROGS DOC_NSECTS

struct doc_ini {
	struct doc_sec *secs;
	char *resolver; /* [dkim] resolver */
	int failed;
};

/* ---- database ---- */

static int
doc_domain_row(void *ctx, int ncols, const char *const *names,
	       const char *const *values)
{
	size_t *n = ctx;
	int i;

	for (i = 0; i < ncols; i++)
		if (strcmp(names[i], "active") == 0 && values[i] != NULL &&
		    strcmp(values[i], "1") == 0)
			n[1]++;
	n[0]++;
	return 0;
}

static void
doc_database(struct doctor *d)
{
	struct admin *a = d->a;
	struct store_errbuf err = {{0}};
	size_t n[2] = {0, 0};
	int rc;

	if (!store_exists(a->db_path)) {
		doc_report(d, DOC_FAIL, "database",
			   "no database at %s: "
			   "create it with 'facteur db init'",
			   a->db_path);
		return;
	}
	rc = store_open(a->db_path, STORE_RO, a->busy_ms, &a->store, &err);
	if (rc == STORE_EVERSION) {
		doc_report(d, DOC_FAIL, "schema", "%s", err.msg);
		return;
	}
	if (rc != 0) {
		doc_report(d, DOC_FAIL, "database",
			   "cannot open %s: %s (run "
			   "doctor as root or a member of group facteur)",
			   a->db_path, err.msg);
		return;
	}
	doc_report(d, DOC_OK, "database", "%s opens", a->db_path);
	doc_report(d, DOC_OK, "schema", "version %d is current",
		   STORE_SCHEMA_VERSION);
	if (store_list(a->store, "domains", NULL, doc_domain_row, n, &err) != 0)
		doc_report(d, DOC_FAIL, "domains", "cannot list: %s", err.msg);
	else if (n[0] == 0)
		doc_report(d, DOC_FAIL, "domains",
			   "no domain: add one with "
			   "'facteur domain add DOMAIN'");
	else if (n[1] == 0)
		doc_report(d, DOC_FAIL, "domains",
			   "%zu domain(s), none "
			   "enabled: 'facteur domain enable DOMAIN'",
			   n[0]);
	else
		doc_report(d, DOC_OK, "domains", "%zu domain(s), %zu enabled",
			   n[0], n[1]);
}

/* ---- facteur.conf ---- */

static int
doc_ini_set(char **field, const char *value)
{
	free(*field);
	return (*field = strdup(value)) != NULL;
}

static int
doc_ini_handler(void *user, const char *section, const char *name,
		const char *value)
{
	static const struct {
		const char *name;
		size_t off;
	} keys[] = {
	    {"socket", offsetof(struct doc_sec, socket)},
	    {"tcp", offsetof(struct doc_sec, tcp)},
	    {"policy_socket", offsetof(struct doc_sec, policy_socket)},
	    {"policy_tcp", offsetof(struct doc_sec, policy_tcp)},
	    {"user", offsetof(struct doc_sec, user)},
	    {"group", offsetof(struct doc_sec, group)},
	    {"modules", offsetof(struct doc_sec, modules)},
	    {"bayes_path", offsetof(struct doc_sec, bayes_path)},
	};
	struct doc_ini *ini = user;
	struct doc_sec *s = NULL;
	size_t i;

	for (i = 0; i < DOC_NPROGS; i++)
		if (strcmp(section, doc_progs[i].section) == 0)
			s = &ini->secs[i];
	if (s == NULL)
		return 1;
	s->present = 1;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(name, keys[i].name) == 0 &&
		    !doc_ini_set((char **)(void *)((char *)s + keys[i].off),
				 value))
			ini->failed = 1;
	if (strcmp(section, "dkim") == 0 && strcmp(name, "resolver") == 0 &&
	    !doc_ini_set(&ini->resolver, value))
		ini->failed = 1;
	return 1;
}

static void
doc_secs_free(struct doc_sec *secs)
{
	size_t i;

	for (i = 0; i < DOC_NPROGS; i++) {
		free(secs[i].socket);
		free(secs[i].tcp);
		free(secs[i].policy_socket);
		free(secs[i].policy_tcp);
		free(secs[i].user);
		free(secs[i].group);
		free(secs[i].modules);
		free(secs[i].bayes_path);
	}
	memset(secs, 0, DOC_NPROGS * sizeof(*secs));
}

/* Runs "PROG -c FILE --check-config"; 0 ok, -1 failed (first line of
 * its output in out), 1 not installed. */
static int
doc_run_check(struct doctor *d, const char *prog, char *out, size_t outlen)
{
	char path[4096], chunk[512];
	struct pollfd pfd;
	struct timespec t0, t;
	size_t got = 0;
	ssize_t n;
	long ms;
	int fds[2], status = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", d->sbindir, prog);
	out[0] = '\0';
	if (access(path, X_OK) != 0)
		return 1;
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		snprintf(out, outlen, "cannot run %s: %s", prog,
			 strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execl(path, prog, "-c", d->a->config_path, "--check-config",
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = DOC_CHECK_CONFIG_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
					    (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (ms <= 0 || poll(&pfd, 1, (int)ms) == 0) {
			kill(pid, SIGKILL);
			snprintf(out, outlen, "timed out");
			break;
		}
		if ((n = read(fds[0], chunk, sizeof(chunk))) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		if (got + 1 < outlen) {
			size_t k = (size_t)n < outlen - got - 1
				       ? (size_t)n
				       : outlen - got - 1;
			memcpy(out + got, chunk, k);
			got += k;
			out[got] = '\0';
		}
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out[strcspn(out, "\n")] = '\0';
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- sockets ---- */

/* "127.0.0.1:10044", "[::1]:10044" (lookup, lmtp) into host and port. */
static int
doc_hostport(const char *s, char *host, size_t hlen, const char **port)
{
	const char *colon = strrchr(s, ':');
	size_t n;

	if (colon == NULL)
		return -1;
	*port = colon + 1;
	if (s[0] == '[' && colon > s && colon[-1] == ']')
		s++, n = (size_t)(colon - 1 - s);
	else
		n = (size_t)(colon - s);
	if (n == 0 || n >= hlen)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

/* "inet:PORT@HOST", "inet6:PORT@[::1]" (after mlt_socket_parse said
 * yes) into host and port. */
static int
doc_port_at_host(const char *spec, char *host, size_t hlen, char *port,
		 size_t plen)
{
	const char *p = strchr(spec, ':') + 1, *at = strchr(p, '@');
	size_t n = (size_t)(at - p);

	if (n == 0 || n >= plen)
		return -1;
	memcpy(port, p, n);
	port[n] = '\0';
	p = at + 1;
	if (*p == '[')
		p++;
	n = strcspn(p, "]");
	if (n == 0 || n >= hlen)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	return 0;
}

/* One listener: spec is a milter spec (milter 1) or a path / HOST:PORT. */
static void
doc_socket(struct doctor *d, const struct doc_prog *p, const char *key,
	   const char *spec, int milter)
{
	char check[64], host[256], pbuf[16], why[1024];
	const char *path = NULL, *port = pbuf;
	enum mlt_sock_kind kind;
	int bad, e;

	snprintf(check, sizeof(check), "[%s] %s", p->section, key);
	if (milter)
		bad = mlt_socket_parse(spec, &kind, &path) < 0 ||
		      (kind != MLT_SOCK_UNIX &&
		       doc_port_at_host(spec, host, sizeof(host), pbuf,
					sizeof(pbuf)) < 0);
	else if (spec[0] == '/')
		bad = 0, path = spec;
	else
		bad = doc_hostport(spec, host, sizeof(host), &port) < 0;
	if (bad) {
		doc_report(d, DOC_FAIL, check, "'%s' is not %s", spec,
			   milter
			       ? "unix:PATH, inet:PORT@HOST or inet6:PORT@HOST"
			       : "a path or HOST:PORT");
		return;
	}
	e = doc_dial(path, host, port, DOC_CONNECT_S);
	if (e >= 0) {
		close(e);
		doc_report(d, DOC_OK, check, "%s accepts connections", spec);
		return;
	}
	doc_conn_error(-e, path, spec, p->prog, p->unit, why, sizeof(why));
	/* Postfix names the sockets it uses: those FAIL there (see
	 * doctor_live.c); facteur.conf alone does not say the daemon runs */
	doc_report(d, DOC_WARN, check, "%s", why);
}

static void
doc_sockets(struct doctor *d, enum doc_sect i)
{
	const struct doc_prog *p = &doc_progs[i];
	const struct doc_sec *s = &d->secs[i];
	const char *sock = s->socket ? s->socket : p->defsock;
	char check[64];

	if (p->kind == DOC_MILTER) {
		snprintf(check, sizeof(check), "[%s] socket", p->section);
		if (d->postfix_read && !(d->milters_used & (1u << i)))
			doc_report(d, DOC_OK, check,
				   "%s: Postfix "
				   "does not use it (not in smtpd_milters or "
				   "non_smtpd_milters)",
				   sock);
		else if (!d->postfix_read)
			doc_socket(d, p, "socket", sock, 1);
		return;
	}
	if (sock[0] != '\0')
		doc_socket(d, p, "socket", sock, 0);
	if (s->tcp && s->tcp[0] != '\0')
		doc_socket(d, p, "tcp", s->tcp, 0);
	if (s->policy_socket && s->policy_socket[0] != '\0')
		doc_socket(d, p, "policy_socket", s->policy_socket, 0);
	if (s->policy_tcp && s->policy_tcp[0] != '\0')
		doc_socket(d, p, "policy_tcp", s->policy_tcp, 0);
}

/* Reads facteur.conf's daemon sections into d->secs. */
static void
doc_config_read(struct doctor *d)
{
	const char *conf = d->a->config_path;
	struct doc_ini ini;
	FILE *f;

	memset(&ini, 0, sizeof(ini));
	ini.secs = d->secs;
	if ((f = fopen(conf, "r")) == NULL) {
		doc_report(d, errno == ENOENT ? DOC_WARN : DOC_FAIL, "config",
			   "%s: %s (built-in defaults apply; 'facteur setup' "
			   "renders one)",
			   conf, strerror(errno));
		return;
	}
	if (ini_parse_file(f, doc_ini_handler, &ini) != 0 || ini.failed) {
		fclose(f);
		doc_report(d, DOC_FAIL, "config", "%s: cannot read it", conf);
		doc_secs_free(d->secs);
		free(ini.resolver);
		return;
	}
	fclose(f);
	doc_report(d, DOC_OK, "config", "%s parses ([database], [admin])",
		   conf);
	d->conf_resolver = ini.resolver;
}

/* Each section's daemon: --check-config, then its sockets. */
static void
doc_config_check(struct doctor *d)
{
	char out[512], check[64];
	size_t i;

	for (i = 0; i < DOC_NPROGS; i++) {
		const struct doc_prog *p = &doc_progs[i];
		int rc;

		if (!d->secs[i].present)
			continue;
		snprintf(check, sizeof(check), "[%s] config", p->section);
		rc = doc_run_check(d, p->prog, out, sizeof(out));
		if (rc == 1)
			doc_report(d, DOC_WARN, check,
				   "%s is not in %s: "
				   "section not checked",
				   p->prog, d->sbindir);
		else if (rc < 0)
			doc_report(d, DOC_FAIL, check, "%s --check-config: %s",
				   p->prog, out[0] ? out : "failed");
		else
			doc_report(d, DOC_OK, check,
				   "%s --check-config "
				   "accepts it",
				   p->prog);
		doc_sockets(d, (enum doc_sect)i);
	}
}

/* store_list rows: the first enabled domain, the first active user. */
static int
doc_probe_row(void *ctx, int ncols, const char *const *names,
	      const char *const *values)
{
	char **out = ctx;
	const char *key = NULL;
	int i, active = 0;

	for (i = 0; i < ncols; i++) {
		if (values[i] == NULL)
			continue;
		if (strcmp(names[i], "name") == 0 ||
		    strcmp(names[i], "address") == 0)
			key = values[i];
		else if (strcmp(names[i], "active") == 0)
			active = strcmp(values[i], "1") == 0;
	}
	if (*out == NULL && key != NULL && active)
		*out = strdup(key);
	return 0;
}

static void
doc_probes(struct doctor *d)
{
	struct store_errbuf err = {{0}};

	if (d->a->store == NULL)
		return;
	if (store_list(d->a->store, "domains", NULL, doc_probe_row,
		       &d->probe_domain, &err) != 0 ||
	    store_list(d->a->store, "users", NULL, doc_probe_row,
		       &d->probe_user, &err) != 0)
		doc_report(d, DOC_WARN, "database", "cannot list: %s", err.msg);
}

int
doctor_main(struct admin *a, int argc, char **argv)
{
	const char *domain = NULL;
	struct doctor d;
	const struct admin_opt opts[] = {
	    {"domain", &domain, NULL},
	    {"resolver", &d.resolver, NULL},
	    {"sbindir", &d.sbindir, NULL},
	    {"postfix-dir", &d.postfix_dir, NULL},
	    {"dovecot-config", &d.dovecot_config, NULL}};
	struct buf dom;
	char err[512];
	int rc;

	memset(&d, 0, sizeof(d));
	d.a = a;
	d.sbindir = FACTEUR_SBINDIR;
	if (admin_args(a, argc - 1, argv + 1, opts, 5, NULL, 0, 0, doctor_usage,
		       &rc) < 0)
		return rc;
	buf_init(&dom, 256);
	if (domain != NULL) {
		if (chk_domain("--domain", domain, &dom, err, sizeof(err)) <
		    0) {
			admin_errx(a, "%s", err);
			buf_free(&dom);
			return ADMIN_USAGE;
		}
		d.domain = buf_str(&dom);
	}
	if (a->json)
		printf("{\"checks\": [");
	doc_database(&d);
	doc_probes(&d);
	doc_config_read(&d);
	doctor_postfix(&d);
	doc_config_check(&d);
	doctor_dovecot(&d);
	doctor_perm(&d);
	doctor_av(&d);
	if (d.resolver == NULL && d.conf_resolver && d.conf_resolver[0])
		d.resolver = d.conf_resolver;
	doctor_dns(&d);
	if (a->json)
		printf("\n  ],\n  \"failures\": %zu, \"warnings\": %zu}\n",
		       d.nfail, d.nwarn);
	else
		printf("%zu checks: %zu FAIL, %zu warn\n", d.nchecks, d.nfail,
		       d.nwarn);
	doc_secs_free(d.secs);
	free(d.conf_resolver);
	free(d.queue_dir);
	free(d.probe_domain);
	free(d.probe_user);
	buf_free(&dom);
	return d.nfail ? ADMIN_FAIL : ADMIN_OK;
}
