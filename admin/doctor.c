/* admin/doctor.c - facteur doctor: checks a running install and prints
 * one line per check (ok, warn, FAIL) with what to do; doctor_dns.c
 * checks the DNS of the mail domains. Exit 0 when nothing FAILed.
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
#include "admin.h"
#include "doctor.h"

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
    "                      [--sbindir DIR] [--json]\n"
    "\n"
    "Checks the database, facteur.conf, the daemons' sockets and the DNS\n"
    "(MX, SPF, DMARC, DKIM, the MX hosts' addresses) of every enabled\n"
    "domain, or only DOMAIN. One line per check: ok, warn or FAIL. The\n"
    "resolver is --resolver, else [dkim] resolver, else resolv.conf.\n"
    "Exit 0 when no check FAILed, 1 otherwise.\n";

/* A daemon's section and the keys doctor reads from it. */
enum doc_kind { DOC_LOOKUP, DOC_LMTP, DOC_MILTER };

struct doc_prog {
	const char *section;
	const char *prog;
	enum doc_kind kind;
	const char *defsock; /* the daemon's built-in default (paths.h) */
	const char *unit;    /* what starts it */
};

static const struct doc_prog doc_progs[] = {
    {"lookup", "facteur-lookup", DOC_LOOKUP, FACTEUR_SOCK_LOOKUP,
	"facteur-lookup"},
    {"lmtp", "facteur-lmtp", DOC_LMTP, FACTEUR_SOCK_LMTP, NULL},
    {"blacklist", "facteur-blacklist", DOC_MILTER,
	FACTEUR_SOCK_MILTER("blacklist"), "facteur-milter@blacklist"},
    {"scrub", "facteur-scrub", DOC_MILTER, FACTEUR_SOCK_MILTER("scrub"),
	"facteur-milter@scrub"},
    {"dkim", "facteur-dkim", DOC_MILTER, FACTEUR_SOCK_MILTER("dkim"),
	"facteur-milter@dkim"},
    {"spam", "facteur-spam", DOC_MILTER, FACTEUR_SOCK_MILTER("spam"),
	"facteur-milter@spam"},
    {"milter", "facteur-milter", DOC_MILTER, FACTEUR_SOCK_MILTER("milter"),
	"facteur-milter@milter"},
    {"example", "facteur-example", DOC_MILTER,
	FACTEUR_SOCK_MILTER("example"), "facteur-example"},
};
#define DOC_NPROGS (sizeof(doc_progs) / sizeof(doc_progs[0]))

/* What the file says for one section. */
struct doc_sec {
	int present;
	char *socket, *tcp, *policy_socket, *policy_tcp; /* owned or NULL */
};

struct doc_ini {
	struct doc_sec secs[DOC_NPROGS];
	char *resolver; /* [dkim] resolver */
	int failed;
};

void
doc_report(struct doctor *d, enum doc_status st, const char *check,
    const char *fmt, ...)
{
	static const char *const word[] = {"ok", "warn", "FAIL"};
	struct buf b;
	va_list ap;

	buf_init(&b, 8192);
	va_start(ap, fmt);
	if (buf_vprintf(&b, fmt, ap) < 0) {
		buf_reset(&b);
		if (buf_adds(&b, "(detail too long)") < 0)
			buf_reset(&b);
	}
	va_end(ap);
	if (st == DOC_FAIL)
		d->nfail++;
	else if (st == DOC_WARN)
		d->nwarn++;
	if (d->a->json) {
		printf("%s\n    {\"check\": ", d->nchecks ? "," : "");
		out_json_string(stdout, check);
		printf(", \"status\": \"%s\", \"detail\": ", word[st]);
		out_json_string(stdout, buf_str(&b));
		printf("}");
	} else
		printf("%-4s %s: %s\n", word[st], check, buf_str(&b));
	d->nchecks++;
	buf_free(&b);
}

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

	if (access(a->db_path, F_OK) != 0) {
		doc_report(d, DOC_FAIL, "database", "no database at %s: "
		    "create it with 'facteur db init'", a->db_path);
		return;
	}
	rc = store_open(a->db_path, STORE_RO, a->busy_ms, &a->store, &err);
	if (rc == STORE_EVERSION) {
		doc_report(d, DOC_FAIL, "schema", "%s", err.msg);
		return;
	}
	if (rc != 0) {
		doc_report(d, DOC_FAIL, "database", "cannot open %s: %s (run "
		    "doctor as root or a member of group facteur)",
		    a->db_path, err.msg);
		return;
	}
	doc_report(d, DOC_OK, "database", "%s opens", a->db_path);
	doc_report(d, DOC_OK, "schema", "version %d is current",
	    STORE_SCHEMA_VERSION);
	if (store_list(a->store, "domains", NULL, doc_domain_row, n,
	    &err) != 0)
		doc_report(d, DOC_FAIL, "domains", "cannot list: %s", err.msg);
	else if (n[0] == 0)
		doc_report(d, DOC_FAIL, "domains", "no domain: add one with "
		    "'facteur domain add DOMAIN'");
	else if (n[1] == 0)
		doc_report(d, DOC_FAIL, "domains", "%zu domain(s), none "
		    "enabled: 'facteur domain enable DOMAIN'", n[0]);
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
	struct doc_ini *ini = user;
	struct doc_sec *s = NULL;
	size_t i;

	for (i = 0; i < DOC_NPROGS; i++)
		if (strcmp(section, doc_progs[i].section) == 0)
			s = &ini->secs[i];
	if (s == NULL)
		return 1;
	s->present = 1;
	if (strcmp(name, "socket") == 0 && !doc_ini_set(&s->socket, value))
		ini->failed = 1;
	else if (strcmp(name, "tcp") == 0 && !doc_ini_set(&s->tcp, value))
		ini->failed = 1;
	else if (strcmp(name, "policy_socket") == 0 &&
	    !doc_ini_set(&s->policy_socket, value))
		ini->failed = 1;
	else if (strcmp(name, "policy_tcp") == 0 &&
	    !doc_ini_set(&s->policy_tcp, value))
		ini->failed = 1;
	else if (strcmp(section, "dkim") == 0 &&
	    strcmp(name, "resolver") == 0 && !doc_ini_set(&ini->resolver,
	    value))
		ini->failed = 1;
	return 1;
}

static void
doc_ini_free(struct doc_ini *ini)
{
	size_t i;

	for (i = 0; i < DOC_NPROGS; i++) {
		free(ini->secs[i].socket);
		free(ini->secs[i].tcp);
		free(ini->secs[i].policy_socket);
		free(ini->secs[i].policy_tcp);
	}
	free(ini->resolver);
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
			size_t k = (size_t)n < outlen - got - 1 ? (size_t)n :
			    outlen - got - 1;
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

/* Connects to a unix path or host:port; 0 or an errno value. */
static int
doc_connect(const char *path, const char *host, const char *port)
{
	struct timeval tv = {DOC_CONNECT_S, 0};
	struct addrinfo hints, *ai = NULL, *p;
	struct sockaddr_un sun;
	int fd, e = ECONNREFUSED;

	if (path != NULL) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(sun.sun_path))
			return ENAMETOOLONG;
		memcpy(sun.sun_path, path, strlen(path) + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return errno;
		e = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ?
		    errno : 0;
		close(fd);
		return e;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return EHOSTUNREACH;
	for (p = ai; p != NULL; p = p->ai_next) {
		if ((fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC,
		    0)) < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		e = connect(fd, p->ai_addr, p->ai_addrlen) < 0 ? errno : 0;
		close(fd);
		if (e == 0)
			break;
	}
	freeaddrinfo(ai);
	return e;
}

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
	char check[64], host[256], pbuf[16];
	const char *path = NULL, *port = pbuf;
	enum mlt_sock_kind kind;
	int bad, e;

	snprintf(check, sizeof(check), "[%s] %s", p->section, key);
	if (milter)
		bad = mlt_socket_parse(spec, &kind, &path) < 0 ||
		    (kind != MLT_SOCK_UNIX && doc_port_at_host(spec, host,
		    sizeof(host), pbuf, sizeof(pbuf)) < 0);
	else if (spec[0] == '/')
		bad = 0, path = spec;
	else
		bad = doc_hostport(spec, host, sizeof(host), &port) < 0;
	if (bad) {
		doc_report(d, DOC_FAIL, check, "'%s' is not %s", spec, milter ?
		    "unix:PATH, inet:PORT@HOST or inet6:PORT@HOST" :
		    "a path or HOST:PORT");
		return;
	}
	e = doc_connect(path, host, port);
	if (e == 0)
		doc_report(d, DOC_OK, check, "%s accepts connections", spec);
	else if (p->unit != NULL)
		doc_report(d, DOC_WARN, check, "%s: %s: is %s running? "
		    "(systemctl enable --now %s)", spec, strerror(e), p->prog,
		    p->unit);
	else
		doc_report(d, DOC_WARN, check, "%s: %s: is %s running?", spec,
		    strerror(e), p->prog);
}

static void
doc_sockets(struct doctor *d, const struct doc_prog *p,
    const struct doc_sec *s)
{
	const char *sock = s->socket ? s->socket : p->defsock;

	if (p->kind == DOC_MILTER) {
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

static void
doc_config(struct doctor *d)
{
	const char *conf = d->a->config_path;
	struct doc_ini ini;
	char out[512], check[64];
	size_t i;
	FILE *f;

	memset(&ini, 0, sizeof(ini));
	if ((f = fopen(conf, "r")) == NULL) {
		doc_report(d, errno == ENOENT ? DOC_WARN : DOC_FAIL, "config",
		    "%s: %s (built-in defaults apply; 'facteur setup' "
		    "renders one)", conf, strerror(errno));
		return;
	}
	if (ini_parse_file(f, doc_ini_handler, &ini) != 0 || ini.failed) {
		fclose(f);
		doc_report(d, DOC_FAIL, "config", "%s: cannot read it", conf);
		doc_ini_free(&ini);
		return;
	}
	fclose(f);
	doc_report(d, DOC_OK, "config", "%s parses ([database], [admin])",
	    conf);
	for (i = 0; i < DOC_NPROGS; i++) {
		const struct doc_prog *p = &doc_progs[i];
		int rc;

		if (!ini.secs[i].present)
			continue;
		snprintf(check, sizeof(check), "[%s] config", p->section);
		rc = doc_run_check(d, p->prog, out, sizeof(out));
		if (rc == 1)
			doc_report(d, DOC_WARN, check, "%s is not in %s: "
			    "section not checked", p->prog, d->sbindir);
		else if (rc < 0)
			doc_report(d, DOC_FAIL, check, "%s --check-config: %s",
			    p->prog, out[0] ? out : "failed");
		else
			doc_report(d, DOC_OK, check, "%s --check-config "
			    "accepts it", p->prog);
		doc_sockets(d, p, &ini.secs[i]);
	}
	d->conf_resolver = ini.resolver;
	ini.resolver = NULL;
	doc_ini_free(&ini);
}

int
doctor_main(struct admin *a, int argc, char **argv)
{
	const char *domain = NULL;
	struct doctor d;
	const struct admin_opt opts[] = {{"domain", &domain, NULL},
	    {"resolver", &d.resolver, NULL}, {"sbindir", &d.sbindir, NULL}};
	struct buf dom;
	char err[512];
	int rc;

	memset(&d, 0, sizeof(d));
	d.a = a;
	d.sbindir = FACTEUR_SBINDIR;
	if (admin_args(a, argc - 1, argv + 1, opts, 3, NULL, 0, 0,
	    doctor_usage, &rc) < 0)
		return rc;
	buf_init(&dom, 256);
	if (domain != NULL) {
		if (chk_domain("--domain", domain, &dom, err,
		    sizeof(err)) < 0) {
			admin_errx(a, "%s", err);
			buf_free(&dom);
			return ADMIN_USAGE;
		}
		d.domain = buf_str(&dom);
	}
	if (a->json)
		printf("{\"checks\": [");
	doc_database(&d);
	doc_config(&d);
	if (d.resolver == NULL && d.conf_resolver && d.conf_resolver[0])
		d.resolver = d.conf_resolver;
	doctor_dns(&d);
	if (a->json)
		printf("\n  ],\n  \"failures\": %zu, \"warnings\": %zu}\n",
		    d.nfail, d.nwarn);
	else
		printf("%zu checks: %zu FAIL, %zu warn\n", d.nchecks, d.nfail,
		    d.nwarn);
	free(d.conf_resolver);
	buf_free(&dom);
	return d.nfail ? ADMIN_FAIL : ADMIN_OK;
}
