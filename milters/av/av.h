/* milters/av/av.h - the av engine: [av] settings, one message streamed to
 * clamd (struct av_scan), and the pure decision from clamd's verdict to
 * what the MTA is told (av_decide). One engine serves facteur-av,
 * facteur-milter's av module (module.c) and `facteur av check`, so all
 * three give the same verdicts.
 *
 * Memory: a message is never held whole; each piece is sent to clamd as
 * it arrives, and past max_scan_size the stream is dropped and the
 * message is "not scanned" (tagged, never passed as clean).
 * Thread-safety: settings are read-only once av_init has run, except the
 * clamd version cache, which has its own lock. A struct av_scan belongs
 * to one thread. */
#ifndef FACTEUR_MILTERS_AV_H
#define FACTEUR_MILTERS_AV_H

#include <pthread.h>
#include <stddef.h>

#include "av_clamd.h"
#include "av_reply.h"
#include "cfg.h"
#include "daemon.h"
#include "filter.h"

enum av_action { AV_ACT_REJECT, AV_ACT_QUARANTINE, AV_ACT_TAG };

struct av_settings {
	struct mlt_settings common; /* on_error: clamd down or too slow */
	char *clamd_socket;	    /* unix path, or HOST:PORT on loopback */
	int action;		    /* enum av_action */
	unsigned long long max_scan_size; /* bigger: tagged "not scanned" */
	int skip_authenticated;	 /* SASL-authenticated mail is not scanned */
	long long clamd_timeout; /* ms, each clamd I/O step */
	char *authserv_id;	 /* X-Virus-Scanned's host; "" = MTA's j */
	long long max_signature_age; /* ms, for facteur doctor */
	/* av_check: clamd_socket parsed */
	struct av_addr addr;
	/* av_init: clamd's version, refreshed at most every AV_VERSION_TTL
	 * seconds by the scan that finds it stale */
	pthread_mutex_t lock;
	int lock_ready;
	char version[AV_VERSION_MAX + 1];
	long long version_at; /* monotonic s, 0 = never */
};

#define AV_VERSION_TTL 300
#define AV_DEFAULT_SOCKET "/run/clamav/clamd.ctl"

extern const struct cfg_key av_keys[];
extern const size_t av_nkeys;
extern const struct mlt_filter av_filter;

/* Parses clamd_socket. 0, or -1 with err. */
__attribute__((warn_unused_result)) int av_check(void *base, char *err,
						 size_t errlen);
/* Sets up the version cache and asks clamd's version once (a clamd that
 * is down is logged, not fatal: it may start after us). 0 or -1. */
__attribute__((warn_unused_result)) int av_init(void *base, char *err,
						size_t errlen);
void av_fini(void *base);

/* clamd's version for X-Virus-Scanned ("1.4.6/27112"), from the cache,
 * refreshed when stale; "unknown" if clamd never said. Copies into out. */
void av_version(struct av_settings *s, char *out, size_t outlen);

enum av_kind {
	AV_K_CLEAN,    /* clamd: OK */
	AV_K_INFECTED, /* clamd: NAME FOUND */
	AV_K_TOOBIG,   /* over max_scan_size (or clamd's own limit) */
	AV_K_FAILED,   /* clamd down, timed out, or said ERROR */
};

struct av_result {
	enum av_kind kind;
	char name[AV_NAME_MAX + 1]; /* AV_K_INFECTED */
	char why[200];		    /* AV_K_FAILED / AV_K_TOOBIG */
	unsigned long long size;    /* bytes offered to the scan */
};

struct av_scan {
	struct av_stream st;
	unsigned long long size;
	int state; /* see av_engine.c */
	char err[200];
};

/* Starts a scan: connects to clamd. Never fails: a clamd that cannot be
 * reached makes the result AV_K_FAILED at av_scan_end. */
void av_scan_begin(struct av_scan *sc, const struct av_settings *s);
/* Streams the next bytes of the message (headers as on the wire, then
 * the body). */
void av_scan_feed(struct av_scan *sc, const struct av_settings *s,
		  const void *p, size_t len);
/* Ends the scan and closes the stream. */
void av_scan_end(struct av_scan *sc, struct av_result *r);
/* Drops a scan (aborted message). Idempotent. */
void av_scan_abort(struct av_scan *sc);

/* What the MTA is told. Headers are "" when not added. */
struct av_decision {
	enum mlt_verdict verdict; /* CONTINUE, REJECT or TEMPFAIL */
	int quarantine;		  /* hold the message (action quarantine) */
	const char *code, *xcode; /* REJECT / TEMPFAIL reply, static */
	char text[300];		  /* reply text */
	char scanned[300];	  /* X-Virus-Scanned value */
	char status[300];	  /* X-Virus-Status value */
	const char *what;	  /* one word for the log: clean,
				     infected, not-scanned, error */
};

/* The pure decision: result r under action and on_error, with clamd's
 * version and the authserv-id for the headers. */
void av_decide(const struct av_result *r, enum av_action action,
	       enum mlt_on_error on_error, const char *version,
	       const char *authserv, struct av_decision *d);

/* "reject", "quarantine", "tag". */
const char *av_action_name(enum av_action a);

#endif
