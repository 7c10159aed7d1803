/* bench/milter-load.h - shared between milter-load.c (options, report)
 * and milter-load-run.c (messages, the protocol, the workers). */
#ifndef FACTEUR_BENCH_MILTER_LOAD_H
#define FACTEUR_BENCH_MILTER_LOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#define ML_MAX_PIDS 16
#define ML_MAX_CONNS 1024

/* Final action of a message, as counted in the report. */
enum ml_action {
	ML_CONTINUE,
	ML_ACCEPT,
	ML_REJECT,
	ML_TEMPFAIL,
	ML_DISCARD,
	ML_REPLY4,
	ML_REPLY5,
	ML_ERROR,
	ML_NACTIONS
};

struct ml_bytes {
	unsigned char *p;
	size_t len, cap;
};

struct ml_field {
	char *name;
	char *value; /* as after the colon; folds are "\n" + WSP */
};

struct ml_msg {
	struct ml_field *f;
	size_t nf, fcap;
	unsigned char *body; /* CRLF line ends */
	size_t blen;
	struct ml_bytes hdrs; /* the SMFIC_HEADER packets, back to back */
	size_t *hoff;	      /* nf + 1 offsets into hdrs */
};

struct ml_opts {
	int conns;
	long count;
	double secs, deadline;
	struct ml_bytes conn_macros, mail_macros; /* name\0value\0... */
	const char *client_ip, *helo, *sender, *rcpt, *from_field;
	const char *grep, *outdir;
	int pids[ML_MAX_PIDS];
	size_t npids;
	int quiet;
	const char *unix_path; /* or family/host/port */
	int family;
	char port[16];
	const char *host;
	struct ml_msg *msgs;
	size_t nmsgs, mcap;
	unsigned pflags, aflags; /* the milter's answer to OPTNEG */
	atomic_long next;
};

struct ml_worker {
	pthread_t th;
	struct ml_opts *o;
	int id;
	double *lat; /* ms */
	size_t nlat, cap;
	long actions[ML_NACTIONS];
	long grep, mods;
	/* connection */
	int fd;
	struct ml_bytes out, in;
	size_t inpos;
	struct ml_bytes wr; /* -w: fields inserted by the milter */
};

void *ml_alloc(size_t n);
void ml_grow(struct ml_bytes *b, size_t more);
void ml_put(struct ml_bytes *b, const void *p, size_t n);
void ml_packet(struct ml_bytes *b, char cmd, const void *d1, size_t n1,
	       const void *d2, size_t n2);
int ml_dial(const struct ml_opts *o);

/* milter-load-run.c */
void ml_load(struct ml_opts *o, int n, char **paths);
int ml_probe(struct ml_opts *o);
void ml_encode(struct ml_opts *o);
void *ml_worker_run(void *arg);

#endif
