/* bench/benchutil.h - what every load tool in bench/ needs: a monotonic
 * clock, a unix-socket connect, and a comparator to sort latencies. */
#ifndef FACTEUR_BENCH_BENCHUTIL_H
#define FACTEUR_BENCH_BENCHUTIL_H

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* A connected SOCK_STREAM fd to the unix socket at path, or -1. */
int bench_connect_unix(const char *path);

/* qsort comparator for doubles, ascending. */
int bench_cmp_double(const void *a, const void *b);

#endif
