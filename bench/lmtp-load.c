/* bench/lmtp-load.c - LMTP load generator for facteur-lmtp and Dovecot.
 *
 * Loads COUNT messages from MSGDIR (files in name order, cycled when
 * there are fewer), converted to CRLF and dot-stuffed once, in memory.
 * CONNS threads each open one LMTP session on a unix socket, LHLO once,
 * then take the next message from a shared counter and deliver it as
 * Postfix's lmtp client does (MAIL, RCPT, DATA pipelined, then the
 * body), to u<i % USERS>@DOMAIN, until COUNT messages are done or SECS
 * seconds have passed.
 *
 * Server CPU: before and after the run, reads /proc/<pid>/stat of PID
 * and of every process descended from it (Dovecot's master and its
 * lmtp, auth and log children; facteur-lmtp's threads are in its own
 * line) and sums utime+stime, plus PID's cutime+cstime for children that
 * exit during the run.
 *
 * usage: lmtp-load SOCKET MSGDIR COUNT CONNS SECS DOMAIN USERS PID
 * prints: conns= msgs= secs= mps= cpu_ms= cpu_ms_per_msg= p50_ms= p99_ms=
 *         errors= */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

#define LOAD_MAXMSG (1L << 20) /* bytes of one message, after stuffing */

struct load {
	const char *path, *domain;
	char **msg;
	size_t *msglen;
	long count, users;
	double deadline;
	atomic_long next;
};

struct worker {
	struct load *ld;
	long done, errors;
	double *lat; /* milliseconds */
	char rbuf[4096];
	size_t rlen, roff;
	int fd;
};

static int
load_write(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one whole reply (continuation lines skipped); returns its code
 * or -1 on EOF/error. */
static int
load_reply(struct worker *w)
{
	char line[1024];
	size_t n = 0;
	ssize_t r;

	for (;;) {
		if (w->roff == w->rlen) {
			if ((r = read(w->fd, w->rbuf, sizeof(w->rbuf))) <= 0)
				return -1;
			w->rlen = (size_t)r;
			w->roff = 0;
		}
		char c = w->rbuf[w->roff++];
		if (n < sizeof(line) - 1)
			line[n++] = c;
		if (c != '\n')
			continue;
		line[n] = '\0';
		if (n >= 4 && line[3] == '-') {
			n = 0;
			continue;
		}
		return n >= 3 && isdigit((unsigned char)line[0]) ? atoi(line)
								 : -1;
	}
}

static int
load_one(struct worker *w, long i)
{
	struct load *ld = w->ld;
	char env[512];
	long k = i % ld->count;
	int n;

	n = snprintf(
	    env, sizeof(env),
	    "MAIL FROM:<bench@example.net>\r\nRCPT TO:<u%ld@%s>\r\nDATA\r\n",
	    i % ld->users, ld->domain);
	if (n < 0 || (size_t)n >= sizeof(env) ||
	    load_write(w->fd, env, (size_t)n) < 0 || load_reply(w) != 250 ||
	    load_reply(w) != 250 || load_reply(w) != 354)
		return -1;
	if (load_write(w->fd, ld->msg[k], ld->msglen[k]) < 0 ||
	    load_write(w->fd, ".\r\n", 3) < 0 || load_reply(w) != 250)
		return -1;
	return 0;
}

static void *
load_run(void *p)
{
	struct worker *w = p;
	struct load *ld = w->ld;
	long i;

	if ((w->fd = bench_connect_unix(ld->path)) < 0 ||
	    load_reply(w) != 220 ||
	    load_write(w->fd, "LHLO bench\r\n", 12) < 0 ||
	    load_reply(w) != 250) {
		w->errors++;
		goto out;
	}
	while ((i = atomic_fetch_add(&ld->next, 1)) < ld->count &&
	       bench_now() < ld->deadline) {
		double t0 = bench_now();

		if (load_one(w, i) < 0) {
			w->errors++;
			break;
		}
		w->lat[w->done++] = (bench_now() - t0) * 1e3;
	}
	if (load_write(w->fd, "QUIT\r\n", 6) == 0)
		(void)load_reply(w);
out:
	if (w->fd >= 0)
		close(w->fd);
	return NULL;
}

/* CRLF line ends and dot-stuffing, as an LMTP client sends a message. */
static char *
load_stuff(const char *in, size_t len, size_t *outlen)
{
	char *out = malloc(len * 2 + 3);
	size_t i, o = 0;
	int bol = 1;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (bol && in[i] == '.')
			out[o++] = '.';
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = in[i];
		bol = in[i] == '\n';
	}
	if (!bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	*outlen = o;
	return out;
}

static int
load_file(const char *dir, const char *name, char **msg, size_t *len)
{
	char path[4096], *raw;
	FILE *f;
	size_t n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
		(int)sizeof(path) ||
	    (f = fopen(path, "rb")) == NULL)
		return -1;
	raw = malloc(LOAD_MAXMSG / 2);
	n = raw ? fread(raw, 1, LOAD_MAXMSG / 2, f) : 0;
	fclose(f);
	*msg = raw ? load_stuff(raw, n, len) : NULL;
	free(raw);
	return *msg ? 0 : -1;
}

static int
is_file(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Loads count messages, cycling over the directory's files. */
static int
load_messages(struct load *ld, const char *dir)
{
	struct dirent **names;
	int n, i;
	long k;

	if ((n = scandir(dir, &names, is_file, alphasort)) <= 0)
		return -1;
	ld->msg = calloc((size_t)ld->count, sizeof(*ld->msg));
	ld->msglen = calloc((size_t)ld->count, sizeof(*ld->msglen));
	if (ld->msg == NULL || ld->msglen == NULL)
		return -1;
	for (k = 0; k < ld->count && k < n; k++)
		if (load_file(dir, names[k]->d_name, &ld->msg[k],
			      &ld->msglen[k]) < 0)
			return -1;
	for (; k < ld->count; k++) { /* cycle: share the loaded copies */
		ld->msg[k] = ld->msg[k % n];
		ld->msglen[k] = ld->msglen[k % n];
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

struct proc {
	long pid, ppid;
	unsigned long long ticks, cticks;
	int in;
};

static int
proc_read(const char *pid, struct proc *p)
{
	char path[64], buf[1024], *s;
	unsigned long long u, st, cu, cs;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((s = strrchr(buf, ')')) == NULL)
		return -1;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime */
	if (sscanf(s + 2,
		   "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		   "%llu %llu %llu %llu",
		   &p->ppid, &u, &st, &cu, &cs) != 5)
		return -1;
	p->pid = atol(pid);
	p->ticks = u + st;
	p->cticks = cu + cs;
	p->in = 0;
	return 0;
}

/* CPU milliseconds used so far by root and its descendants. */
static double
proc_tree_ms(long root)
{
	struct proc *ps = NULL, *tmp;
	size_t n = 0, cap = 0, i;
	unsigned long long sum = 0;
	struct dirent *d;
	int changed = 1;
	DIR *dp;

	if ((dp = opendir("/proc")) == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((tmp = realloc(ps, cap * sizeof(*ps))) == NULL)
				break;
			ps = tmp;
		}
		if (proc_read(d->d_name, &ps[n]) == 0)
			n++;
	}
	closedir(dp);
	while (changed) {
		changed = 0;
		for (i = 0; i < n; i++) {
			if (ps[i].in)
				continue;
			if (ps[i].pid == root)
				ps[i].in = changed = 1;
			for (size_t j = 0; j < n && !ps[i].in; j++)
				if (ps[j].in && ps[j].pid == ps[i].ppid)
					ps[i].in = changed = 1;
		}
	}
	for (i = 0; i < n; i++)
		if (ps[i].in)
			sum += ps[i].ticks +
			       (ps[i].pid == root ? ps[i].cticks : 0);
	free(ps);
	return (double)sum * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

int
main(int argc, char **argv)
{
	struct load ld;
	struct worker *w;
	pthread_t *t;
	long conns, pid, done = 0, err = 0, j = 0;
	double *all, t0, secs, cpu0, cpu;
	int i;

	if (argc != 9) {
		fprintf(stderr, "usage: lmtp-load SOCKET MSGDIR COUNT CONNS "
				"SECS DOMAIN USERS PID\n");
		return 2;
	}
	memset(&ld, 0, sizeof(ld));
	ld.path = argv[1];
	ld.count = atol(argv[3]);
	conns = atol(argv[4]);
	ld.domain = argv[6];
	ld.users = atol(argv[7]);
	pid = atol(argv[8]);
	if (ld.count < 1 || conns < 1 || conns > 256 || ld.users < 1 || pid < 1)
		return 2;
	if (load_messages(&ld, argv[2]) < 0) {
		fprintf(stderr, "lmtp-load: %s: cannot load messages\n",
			argv[2]);
		return 2;
	}
	atomic_init(&ld.next, 0);
	w = calloc((size_t)conns, sizeof(*w));
	t = calloc((size_t)conns, sizeof(*t));
	if (w == NULL || t == NULL)
		return 2;
	cpu0 = proc_tree_ms(pid);
	t0 = bench_now();
	ld.deadline = t0 + atof(argv[5]);
	for (i = 0; i < conns; i++) {
		w[i].ld = &ld;
		w[i].fd = -1;
		w[i].lat = calloc((size_t)ld.count, sizeof(double));
		if (w[i].lat == NULL ||
		    pthread_create(&t[i], NULL, load_run, &w[i]) != 0)
			return 2;
	}
	for (i = 0; i < conns; i++) {
		pthread_join(t[i], NULL);
		done += w[i].done;
		err += w[i].errors;
	}
	secs = bench_now() - t0;
	usleep(200000); /* let the servers finish their logging */
	cpu = proc_tree_ms(pid) - cpu0;
	all = calloc((size_t)done + 1, sizeof(double));
	for (i = 0; i < conns; i++) {
		memcpy(all + j, w[i].lat, (size_t)w[i].done * sizeof(double));
		j += w[i].done;
		free(w[i].lat);
	}
	qsort(all, (size_t)done, sizeof(double), bench_cmp_double);
	printf("conns=%ld msgs=%ld secs=%.3f mps=%.1f cpu_ms=%.0f "
	       "cpu_ms_per_msg=%.3f p50_ms=%.2f p99_ms=%.2f errors=%ld\n",
	       conns, done, secs, done / secs, cpu, done ? cpu / done : 0.0,
	       done ? all[done / 2] : 0.0,
	       done ? all[(size_t)((double)done * 0.99)] : 0.0, err);
	free(all);
	free(w);
	free(t);
	return err ? 1 : 0;
}
