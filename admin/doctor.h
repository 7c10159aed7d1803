/* admin/doctor.h - the parts of 'facteur doctor': the install checks
 * (doctor.c: database, facteur.conf, the daemons' sockets), what the
 * live Postfix configuration uses (doctor_live.c: milters, socketmaps,
 * policy services, virtual_transport), Dovecot's passdb/userdb queries
 * (doctor_dovecot.c), file ownership against each daemon's user and the
 * Bayes store (doctor_perm.c) and the DNS checks (doctor_dns.c). Private
 * to admin/doctor*.c. */
#ifndef FACTEUR_ADMIN_DOCTOR_H
#define FACTEUR_ADMIN_DOCTOR_H

#include <stddef.h>

struct buf;

struct admin;

enum doc_status { DOC_OK, DOC_WARN, DOC_FAIL };

/* The daemons' sections of facteur.conf doctor reads, in doc_progs order. */
enum doc_sect {
	DOC_S_LOOKUP,
	DOC_S_LMTP,
	DOC_S_BLACKLIST,
	DOC_S_SCRUB,
	DOC_S_DKIM,
	DOC_S_SPAM,
	DOC_S_MILTER,
	DOC_S_EXAMPLE,
	DOC_S_AV,
	DOC_NSECTS
};

enum doc_kind { DOC_LOOKUP, DOC_LMTP, DOC_MILTER };

struct doc_prog {
	const char *section;
	const char *prog;
	enum doc_kind kind;
	const char *defsock; /* the daemon's built-in default (paths.h) */
	const char *unit;    /* what starts it */
};
extern const struct doc_prog doc_progs[DOC_NSECTS];

/* What facteur.conf says for one section (strings owned or NULL). */
struct doc_sec {
	int present;
	char *socket, *tcp, *policy_socket, *policy_tcp;
	char *user, *group;
	char *modules;	  /* [milter] modules */
	char *bayes_path; /* [spam] bayes_path */
};

struct doctor {
	struct admin *a;
	const char *domain;	    /* --domain (lowercased), or NULL: all */
	const char *resolver;	    /* --resolver, [dkim] resolver, or NULL */
	char *conf_resolver;	    /* owned: [dkim] resolver from the file */
	const char *sbindir;	    /* where the daemons' binaries are */
	const char *postfix_dir;    /* postconf -c DIR; NULL: Postfix's own;
				       "none": no Postfix checks */
	const char *dovecot_config; /* doveconf -c FILE; NULL, "none" */
	struct doc_sec secs[DOC_NSECTS];
	/* Filled by doctor_postfix: Postfix's configuration was read, and
	 * which sections' milter sockets it names (1 << enum doc_sect). */
	int postfix_read;
	unsigned milters_used;
	char *queue_dir;    /* owned: Postfix's queue_directory */
	char *probe_domain; /* owned: an enabled domain, or NULL */
	char *probe_user;   /* owned: an active user, or NULL */
	size_t nfail, nwarn, nchecks;
};

/* Prints one check: "ok   CHECK: DETAIL" (warn, FAIL), or one JSON
 * object of the array with --json. */
void doc_report(struct doctor *d, enum doc_status st, const char *check,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Runs argv (argv[0] a path) with stdin /dev/null, its stdout (and
 * stderr when with_err) into out, bounded by out's max, killed after ms.
 * Returns the exit status (0..255), or -1 with out holding why (it could
 * not run, timed out, was killed). */
int doc_capture(char *const argv[], int with_err, int ms, struct buf *out);

/* Does a socket that refuses connections still exist as a file? Gives
 * the detail for a connection error e to spec, prog (or NULL) and unit
 * (or NULL): "not running (stale socket left behind)" when the file
 * exists and nobody listens. Writes into out. */
void doc_conn_error(int e, const char *path, const char *spec, const char *prog,
		    const char *unit, char *out, size_t outlen);

/* Connects to a unix path (host NULL) or host:port, with send and
 * receive timeouts of s seconds. fd, or -errno. */
int doc_dial(const char *path, const char *host, const char *port, int s);

/* Writes all of p, or -1. */
int doc_write(int fd, const void *p, size_t n);
/* Reads into out (reset first) until done(out) says it holds a whole
 * answer: 0; EOF, an error, out's max or the socket's receive timeout:
 * -1. */
int doc_read_until(int fd, struct buf *out, int (*done)(const struct buf *));
/* s[0..n) with control bytes as spaces, trailing ones cut, into out. */
void doc_clean(const char *s, size_t n, char *out, size_t outlen);

#define DOC_PROBE_S 5 /* seconds to answer a probe */

/* The live configuration: Postfix (postconf -n, -P), its milters,
 * socketmaps, policy services and virtual_transport. */
void doctor_postfix(struct doctor *d);
/* Dovecot's sql passdb/userdb queries (doveconf -n) on the database. */
void doctor_dovecot(struct doctor *d);
/* DKIM keys and the database against each daemon's user; Bayes. */
void doctor_perm(struct doctor *d);
/* clamd's PING and signature age when [av] is used (doctor_av.c). */
void doctor_av(struct doctor *d);

/* DNS of each enabled domain of the database (or d->domain): MX, SPF,
 * DMARC, the DKIM keys' records, A/AAAA of the MX hosts. */
void doctor_dns(struct doctor *d);

#endif
