/* bench/lookup-load.c - socketmap load generator for facteur-lookup.
 *
 * Opens CONNS connections to a unix socket and, from one thread each,
 * sends queries one at a time (as Postfix does: one outstanding request
 * per connection) over a fixed key set, until TOTAL queries are done or
 * SECS seconds have passed. Prints queries/s and p50/p99 latency.
 *
 * usage: lookup-load SOCKET KEYFILE CONNS TOTAL SECS
 *   KEYFILE: one "MAP KEY" per line. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

#define LOAD_MAXKEYS 4096

struct load {
	const char *path;
	char **keys;
	size_t nkeys;
	long per_conn;
	double deadline;
};

struct worker {
	struct load *ld;
	int id;
	long done, found, notfound, errors;
	double *lat; /* microseconds */
};

/* Reads one netstring reply into buf; returns its payload length or -1. */
static long
load_reply(int fd, char *buf, size_t cap)
{
	size_t have = 0, need = 0, hdr = 0;
	ssize_t n;

	for (;;) {
		if (hdr == 0) {
			char *colon = memchr(buf, ':', have);
			if (colon) {
				hdr = (size_t)(colon - buf) + 1;
				need = hdr + strtoul(buf, NULL, 10) + 1;
				if (need > cap)
					return -1;
			}
		}
		if (hdr && have >= need)
			return (long)(need - hdr - 1);
		n = read(fd, buf + have, cap - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
}

static void *
load_run(void *p)
{
	struct worker *w = p;
	struct load *ld = w->ld;
	char req[1200], rep[2048];
	long i;
	int fd;

	if ((fd = bench_connect_unix(ld->path)) < 0) {
		w->errors++;
		return NULL;
	}
	for (i = 0; i < ld->per_conn && bench_now() < ld->deadline; i++) {
		const char *k = ld->keys[(size_t)(i * 7 + w->id) % ld->nkeys];
		int n = snprintf(req, sizeof(req), "%zu:%s,", strlen(k), k);
		double t0 = bench_now();
		long plen;

		if (n < 0 || (size_t)n >= sizeof(req) ||
		    write(fd, req, (size_t)n) != n ||
		    (plen = load_reply(fd, rep, sizeof(rep))) < 0) {
			w->errors++;
			break;
		}
		w->lat[w->done++] = (bench_now() - t0) * 1e6;
		if (memcmp(strchr(rep, ':') + 1, "OK ", 3) == 0)
			w->found++;
		else if (memcmp(strchr(rep, ':') + 1, "NOTFOUND", 8) == 0)
			w->notfound++;
		else
			w->errors++;
	}
	close(fd);
	return NULL;
}

static size_t
load_keys(const char *file, char **keys)
{
	char line[1100];
	size_t n = 0;
	FILE *f = fopen(file, "r");

	if (f == NULL)
		return 0;
	while (n < LOAD_MAXKEYS && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (*line && (keys[n] = strdup(line)) != NULL)
			n++;
	}
	fclose(f);
	return n;
}

int
main(int argc, char **argv)
{
	static char *keys[LOAD_MAXKEYS];
	struct load ld;
	struct worker *w;
	pthread_t *t;
	long conns, total, done = 0, found = 0, nf = 0, err = 0, j = 0;
	double *all, t0, secs;
	int i;

	if (argc != 6) {
		fprintf(stderr, "usage: lookup-load SOCKET KEYFILE CONNS TOTAL "
				"SECS\n");
		return 2;
	}
	ld.path = argv[1];
	ld.keys = keys;
	if ((ld.nkeys = load_keys(argv[2], keys)) == 0) {
		fprintf(stderr, "lookup-load: %s: no keys\n", argv[2]);
		return 2;
	}
	conns = atol(argv[3]);
	total = atol(argv[4]);
	if (conns < 1 || conns > 1024 || total < conns)
		return 2;
	ld.per_conn = total / conns;
	w = calloc((size_t)conns, sizeof(*w));
	t = calloc((size_t)conns, sizeof(*t));
	if (w == NULL || t == NULL)
		return 2;
	t0 = bench_now();
	ld.deadline = t0 + atof(argv[5]);
	for (i = 0; i < conns; i++) {
		w[i].ld = &ld;
		w[i].id = i;
		w[i].lat = calloc((size_t)ld.per_conn, sizeof(double));
		if (w[i].lat == NULL ||
		    pthread_create(&t[i], NULL, load_run, &w[i]) != 0)
			return 2;
	}
	for (i = 0; i < conns; i++) {
		pthread_join(t[i], NULL);
		done += w[i].done;
		found += w[i].found;
		nf += w[i].notfound;
		err += w[i].errors;
	}
	secs = bench_now() - t0;
	all = calloc((size_t)done + 1, sizeof(double));
	for (i = 0; i < conns; i++) {
		memcpy(all + j, w[i].lat, (size_t)w[i].done * sizeof(double));
		j += w[i].done;
		free(w[i].lat);
	}
	qsort(all, (size_t)done, sizeof(double), bench_cmp_double);
	printf("conns=%ld queries=%ld secs=%.3f qps=%.0f p50_us=%.1f "
	       "p99_us=%.1f found=%ld notfound=%ld errors=%ld\n",
	       conns, done, secs, done / secs, done ? all[done / 2] : 0.0,
	       done ? all[(size_t)((double)done * 0.99)] : 0.0, found, nf, err);
	free(all);
	free(w);
	free(t);
	for (j = 0; j < (long)ld.nkeys; j++)
		free(keys[j]);
	return err ? 1 : 0;
}
