/* lib/server_int.h - the server skeleton's insides, shared by server.c
 * (slots, workers, deadlines, signals) and server_listen.c (binding).
 * Not for programs: they see server.h only. */
#ifndef FACTEUR_LIB_SERVER_INT_H
#define FACTEUR_LIB_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "server.h"

#define SRV_MAX_LISTENERS 8

enum srv_state { SRV_FREE, SRV_QUEUED, SRV_IDLE, SRV_BUSY, SRV_CLOSING };

struct srv_listener {
	int fd;
	int tag;
	int tcp;
	char *path; /* unix: owned, unlinked by srv_free if still ours */
	dev_t dev;  /* unix: the socket file bound, to know it at the end */
	ino_t ino;
	char name[112];
};

struct srv_conn {
	struct server *srv;
	const struct srv_listener *l;
	int fd;		   /* changes only under srv->mu */
	_Atomic int state; /* enum srv_state; see server.c */
	atomic_int cut;	   /* the server shut it down (deadline, stop) */
	atomic_int served; /* answered a request (see srv_evictable) */
	_Atomic long long since_ms; /* IDLE: idle since; BUSY: request start */
	_Atomic long long deadline_ms;
	struct srv_conn *next; /* work queue */
	char name[160];
};

struct server {
	struct srv_limits lim;
	struct srv_ops ops;
	void *ctx;
	struct srv_listener ls[SRV_MAX_LISTENERS];
	size_t nls, rr; /* rr: the listener accepted from first */
	pthread_mutex_t mu;
	pthread_cond_t work; /* a connection queued, or stop */
	pthread_cond_t gone; /* a worker thread ended */
	struct srv_conn *slots;
	size_t nused;	 /* slots not FREE */
	size_t nthreads; /* live workers; >= nused while serving */
	pthread_t *tids; /* every worker started (max_conns), joined at
			    the stop so their exit destructors are done */
	size_t ntids;
	struct srv_conn *qhead, *qtail;
	atomic_int stopping;
	atomic_int want_wake;	  /* the accept thread waits for an idle one */
	long long evict_retry_ms; /* no eviction found: not before this */
	int wake[2];		  /* workers -> accept thread */
	int sig[2];		  /* signal handler -> accept thread */
};

/* Monotonic milliseconds. */
long long srv_now_ms(void);

#endif
