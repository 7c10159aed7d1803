/* bench/milter-load.c - milter protocol (v6) load generator: the MTA side.
 *
 * Loads a folder of messages once (headers split and unfolded the way
 * Postfix hands them to a milter, body with CRLF line ends), negotiates
 * like Postfix (all actions, all protocol steps offered; the milter's
 * SMFIP_NO* and SMFIP_NR_* answers are honoured) and replays the messages
 * from CONNS threads, one connection each. Each connection sends CONNECT
 * and HELO once, then message after message on the same connection:
 * MAIL, RCPT, DATA, HEADER..., EOH, BODY chunks (<= 64 KiB), BODYEOB, and
 * reads modification replies until the final action. A message the milter
 * ends early (accept/reject at MAIL...) gets SMFIC_ABORT before the next.
 *
 * Prints messages/s, p50/p99 latency (MAIL sent to final reply), the count
 * of each final action and, with -p, the milter's CPU ms per message
 * (utime+stime of all its threads, /proc/PID/stat) and VmHWM. The last
 * line, "RESULT k=v ...", is for scripts.
 *
 * Not a test: a bench tool, built in a release build (bench/README.md). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "milter-load.h"

static const char usage[] =
    "usage: milter-load [-c CONNS] [-n COUNT] [-t SECS] [-m NAME=VALUE]...\n"
    "           [-i CLIENT_IP] [-H HELO] [-f SENDER] [-r RCPT] [-F FROM]\n"
    "           [-g STRING] [-w OUTDIR] [-p PID[,PID...]] [-q]\n"
    "           SOCKET DIR|FILE...\n"
    "  SOCKET  unix:PATH | inet:PORT@HOST | inet6:PORT@HOST\n"
    "  -c      connections (threads), default 1\n"
    "  -n      messages in all (default: each file once); -t caps time\n"
    "  -m      macro: auth_*, mail_* and i go with MAIL, others with\n"
    "          CONNECT (e.g. -m auth_authen=alice -m daemon_name=smtpd)\n"
    "  -i      client IP (default 192.0.2.7); -H HELO name\n"
    "  -f -r   envelope sender and recipient (default: bench addresses)\n"
    "  -F      replace the From: field's value with FROM\n"
    "  -g      count messages whose added/changed fields contain STRING\n"
    "  -w      write each message, with the fields the milter inserted\n"
    "          or added, to OUTDIR/NNNNN.eml (CRLF); use with -c 1\n"
    "  -p      milter pids: CPU ms per message and VmHWM\n";

static void __attribute__((format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("milter-load: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void *
ml_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

void
ml_grow(struct ml_bytes *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;

	if (more > SIZE_MAX / 2 - b->len)
		die("buffer overflow");
	while (cap < b->len + more)
		cap *= 2;
	if (cap != b->cap) {
		if ((b->p = realloc(b->p, cap)) == NULL)
			die("out of memory");
		b->cap = cap;
	}
}

void
ml_put(struct ml_bytes *b, const void *p, size_t n)
{
	ml_grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* One packet: 4-byte length (command + data), command, data pieces. */
void
ml_packet(struct ml_bytes *b, char cmd, const void *d1, size_t n1,
	  const void *d2, size_t n2)
{
	uint32_t len = htonl((uint32_t)(1 + n1 + n2));

	ml_put(b, &len, 4);
	ml_put(b, &cmd, 1);
	if (n1)
		ml_put(b, d1, n1);
	if (n2)
		ml_put(b, d2, n2);
}

static int
ml_connect(const struct ml_opts *o)
{
	struct addrinfo hints, *ai = NULL, *a;
	int fd = -1, one = 1;

	if (o->unix_path != NULL)
		return bench_connect_unix(o->unix_path);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = o->family;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(o->host, o->port, &hints, &ai) != 0)
		return -1;
	for (a = ai; a != NULL; a = a->ai_next) {
		if ((fd = socket(a->ai_family, SOCK_STREAM, 0)) < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	/* Postfix sets no TCP_NODELAY; without it Nagle + delayed ACK
	 * stall small replies 40 ms. We measure the milter, not that. */
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
	return fd;
}

static void
ml_socket_parse(struct ml_opts *o, const char *spec)
{
	const char *at;
	size_t n;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		o->unix_path = strchr(spec, ':') + 1;
		return;
	}
	if (strncmp(spec, "inet:", 5) == 0)
		o->family = AF_INET;
	else if (strncmp(spec, "inet6:", 6) == 0)
		o->family = AF_INET6;
	else
		die("socket: want unix:PATH or inet:PORT@HOST, got %s", spec);
	spec = strchr(spec, ':') + 1;
	at = strchr(spec, '@');
	n = at ? (size_t)(at - spec) : strlen(spec);
	if (n == 0 || n >= sizeof(o->port))
		die("socket: bad port");
	memcpy(o->port, spec, n);
	o->port[n] = '\0';
	o->host = at ? at + 1 : (o->family == AF_INET ? "127.0.0.1" : "::1");
}

static void
ml_macro_add(struct ml_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct ml_bytes *b;
	size_t n;
	int mail;

	if (eq == NULL || eq == arg)
		die("-m: want NAME=VALUE, got %s", arg);
	n = (size_t)(eq - arg);
	if (arg[0] == '{' && n > 2) { /* accept {name} too */
		arg++;
		n -= 2;
	}
	mail = (n == 1 && arg[0] == 'i') || strncmp(arg, "auth_", 5) == 0 ||
	       strncmp(arg, "mail_", 5) == 0;
	b = mail ? &o->mail_macros : &o->conn_macros;
	if (n > 1)
		ml_put(b, "{", 1);
	ml_put(b, arg, n);
	if (n > 1)
		ml_put(b, "}", 1);
	ml_put(b, "", 1);
	ml_put(b, eq + 1, strlen(eq + 1) + 1);
}

static void
ml_pids_parse(struct ml_opts *o, const char *arg)
{
	char *end;
	long v;

	while (*arg != '\0' && o->npids < ML_MAX_PIDS) {
		v = strtol(arg, &end, 10);
		if (end == arg || v <= 0 || (*end != ',' && *end != '\0'))
			die("-p: want PID[,PID...], got %s", arg);
		o->pids[o->npids++] = (int)v;
		arg = *end == ',' ? end + 1 : end;
	}
}

static long
ml_num(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < 0)
		die("%s: want a number, got %s", what, s);
	return v;
}

static void
ml_args(struct ml_opts *o, int argc, char **argv, int *first)
{
	int ch;

	o->conns = 1;
	o->client_ip = "192.0.2.7";
	o->helo = "client.bench.example";
	o->sender = "<alice@bench.example>";
	o->rcpt = "<bob@bench.example>";
	while ((ch = getopt(argc, argv, "c:n:t:m:i:H:f:r:F:g:w:p:qh")) != -1) {
		switch (ch) {
		case 'c':
			o->conns = (int)ml_num(optarg, "-c");
			break;
		case 'n':
			o->count = ml_num(optarg, "-n");
			break;
		case 't':
			o->secs = (double)ml_num(optarg, "-t");
			break;
		case 'm':
			ml_macro_add(o, optarg);
			break;
		case 'i':
			o->client_ip = optarg;
			break;
		case 'H':
			o->helo = optarg;
			break;
		case 'f':
			o->sender = optarg;
			break;
		case 'r':
			o->rcpt = optarg;
			break;
		case 'F':
			o->from_field = optarg;
			break;
		case 'g':
			o->grep = optarg;
			break;
		case 'w':
			o->outdir = optarg;
			break;
		case 'p':
			ml_pids_parse(o, optarg);
			break;
		case 'q':
			o->quiet = 1;
			break;
		default:
			fputs(usage, stderr);
			exit(2);
		}
	}
	if (argc - optind < 2 || o->conns < 1 || o->conns > ML_MAX_CONNS) {
		fputs(usage, stderr);
		exit(2);
	}
	ml_socket_parse(o, argv[optind]);
	*first = optind + 1;
}

/* utime+stime in ms of every pid (all threads), and the largest VmHWM. */
static double
ml_cpu_ms(const struct ml_opts *o)
{
	char path[64], line[1024], *p;
	unsigned long long ut, st;
	double ms = 0, tick = (double)sysconf(_SC_CLK_TCK);
	size_t k;
	FILE *f;

	for (k = 0; k < o->npids; k++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", o->pids[k]);
		if ((f = fopen(path, "r")) == NULL)
			die("%s: %s", path, strerror(errno));
		p = fgets(line, sizeof(line), f);
		fclose(f);
		if (p == NULL || (p = strrchr(line, ')')) == NULL ||
		    sscanf(p + 2,
			   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
			   "%*u %llu %llu",
			   &ut, &st) != 2)
			die("%s: cannot parse", path);
		ms += (double)(ut + st) * 1000.0 / tick;
	}
	return ms;
}

static long
ml_status_kib(int pid, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static double
ml_pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static const char *const action_names[ML_NACTIONS] = {
    "continue", "accept",   "reject",	"tempfail",
    "discard",	"reply4xx", "reply5xx", "error"};

static void
ml_report(const struct ml_opts *o, struct ml_worker *w, double secs,
	  double cpu_ms)
{
	size_t total = 0, k, n = 0;
	long acts[ML_NACTIONS] = {0}, grep = 0, mods = 0, hwm = 0, rss = 0;
	double *lat, p50, p99, mx, cpu = 0;
	int t, a;

	for (t = 0; t < o->conns; t++)
		total += w[t].nlat;
	lat = ml_alloc(total * sizeof(*lat));
	for (t = 0; t < o->conns; t++) {
		memcpy(lat + n, w[t].lat, w[t].nlat * sizeof(*lat));
		n += w[t].nlat;
		for (a = 0; a < ML_NACTIONS; a++)
			acts[a] += w[t].actions[a];
		grep += w[t].grep;
		mods += w[t].mods;
	}
	qsort(lat, n, sizeof(*lat), bench_cmp_double);
	p50 = ml_pct(lat, n, 0.50);
	p99 = ml_pct(lat, n, 0.99);
	mx = n ? lat[n - 1] : 0;
	printf("milter-load: %zu messages, %d connection(s), %.3f s\n", n,
	       o->conns, secs);
	printf("  msgs/s       %.1f\n", secs > 0 ? (double)n / secs : 0);
	printf("  latency ms   p50 %.3f  p99 %.3f  max %.3f\n", p50, p99, mx);
	printf("  actions     ");
	for (a = 0; a < ML_NACTIONS; a++)
		if (acts[a])
			printf(" %s %ld", action_names[a], acts[a]);
	printf("\n  changes      %ld field edits\n", mods);
	if (o->grep)
		printf("  grep         '%s' in %ld of %zu\n", o->grep, grep, n);
	if (o->npids) {
		cpu = n ? cpu_ms / (double)n : 0;
		for (k = 0; k < o->npids; k++) {
			long h = ml_status_kib(o->pids[k], "VmHWM");
			hwm = h > hwm ? h : hwm;
			rss += ml_status_kib(o->pids[k], "VmRSS");
		}
		printf("  milter cpu   %.3f ms/msg (%.0f ms in all)\n", cpu,
		       cpu_ms);
		printf("  milter rss   VmHWM %ld KiB, VmRSS now %ld KiB\n", hwm,
		       rss);
	}
	printf("RESULT msgs=%zu secs=%.3f msgs_s=%.1f p50_ms=%.3f p99_ms=%.3f"
	       " cpu_ms_msg=%.4f hwm_kib=%ld grep=%ld errors=%ld\n",
	       n, secs, secs > 0 ? (double)n / secs : 0, p50, p99, cpu, hwm,
	       grep, acts[ML_ERROR]);
	free(lat);
}

int
main(int argc, char **argv)
{
	static struct ml_opts o;
	struct ml_worker *w;
	double t0, t1, c0 = 0, c1 = 0;
	int first, t;

	ml_args(&o, argc, argv, &first);
	ml_load(&o, argc - first, argv + first);
	if (o.nmsgs == 0)
		die("no messages");
	if (o.count == 0)
		o.count = (long)o.nmsgs;
	if (ml_probe(&o) < 0)
		die("cannot negotiate with %s", argv[first - 1]);
	ml_encode(&o);
	if (!o.quiet)
		fprintf(stderr,
			"milter-load: %zu messages loaded, milter "
			"protocol flags 0x%x, actions 0x%x\n",
			o.nmsgs, o.pflags, o.aflags);
	w = calloc((size_t)o.conns, sizeof(*w));
	if (w == NULL)
		die("out of memory");
	if (o.npids)
		c0 = ml_cpu_ms(&o);
	t0 = bench_now();
	o.deadline = o.secs > 0 ? t0 + o.secs : 0;
	for (t = 0; t < o.conns; t++) {
		w[t].o = &o;
		w[t].id = t;
		if (pthread_create(&w[t].th, NULL, ml_worker_run, &w[t]) != 0)
			die("pthread_create failed");
	}
	for (t = 0; t < o.conns; t++)
		pthread_join(w[t].th, NULL);
	t1 = bench_now();
	if (o.npids)
		c1 = ml_cpu_ms(&o);
	ml_report(&o, w, t1 - t0, c1 - c0);
	return 0;
}

int
ml_dial(const struct ml_opts *o)
{
	return ml_connect(o);
}
