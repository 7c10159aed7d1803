/* lib/milter/runner.h - runs an array of filters over one connection.
 *
 * The runner is the whole milter logic without libmilter: it keeps the
 * per-connection and per-message contexts, calls each filter in array order
 * for a phase, maps MLT_ERROR through the filter's on_error, and combines
 * the verdicts:
 *   - a REJECT, TEMPFAIL or DISCARD from any filter ends the phase at once
 *     (later filters are not called) and is the outcome; at envrcpt a
 *     REJECT/TEMPFAIL only refuses that recipient, which is dropped from
 *     msg->rcpts;
 *   - an ACCEPT retires that filter for the rest of the message (or the
 *     connection, at connect/helo); when every filter has retired, the
 *     outcome is ACCEPT - or CONTINUE while header edits are planned, so
 *     they reach eom;
 *   - MLT_ERROR with on_error=tempfail is TEMPFAIL 451 4.3.0; with
 *     on_error=accept the filter retires as if it had accepted.
 * A standalone milter passes one filter; facteur-milter passes several.
 * Thread-safety: a chain is immutable once built and shared by all
 * threads; a connection is used by one thread at a time. */
#ifndef FACTEUR_LIB_MILTER_RUNNER_H
#define FACTEUR_LIB_MILTER_RUNNER_H

#include <stddef.h>

#include "filter.h"

struct mlt_seam;

struct mlt_chain_entry {
	const struct mlt_filter *filter; /* borrowed forever */
	void *cfg;			 /* borrowed forever */
	enum mlt_on_error on_error;
};

struct mlt_limits {
	size_t max_body;	/* bytes kept for wants_body filters; 0 = 64M */
	size_t spool_threshold; /* past it the kept body is in a file in
				   spool_dirfd (body.h); 0 = memory only */
	int spool_dirfd;
	size_t max_headers; /* 0 = 1000 */
	size_t max_rcpts;   /* 0 = 1000 */
	size_t max_pool;    /* per-message pool bytes; 0 = 16M */
};

struct mlt_chain {
	const struct mlt_chain_entry *v;
	size_t n;
	struct mlt_limits lim;
	const struct mlt_seam *seam;
};

enum mlt_phase {
	MLT_PH_CONNECT,
	MLT_PH_HELO,
	MLT_PH_ENVFROM,
	MLT_PH_ENVRCPT,
	MLT_PH_HEADER,
	MLT_PH_EOH,
	MLT_PH_BODY,
	MLT_PH_EOM,
};

/* The phase's argument: str for helo/envfrom/envrcpt, hdr for header, p/len
 * for body (the runner stores it in msg->body if a filter wants_body; past
 * max_body each such filter errs). */
struct mlt_event {
	const char *fail; /* recording the phase's data failed (limit,
			     ENOMEM): every active filter errs with this */
	const char *str;
	const struct mlt_header *hdr;
	const unsigned char *p;
	size_t len;
};

struct mlt_outcome {
	enum mlt_verdict verdict; /* never MLT_ERROR */
	struct mlt_reply reply;	  /* .set = 0: let the MTA pick the text */
	const char *filter;	  /* who decided (static), or NULL */
	const char *error;	  /* the error behind a TEMPFAIL, or NULL */
};

/* A connection with one priv slot per filter. NULL on ENOMEM. Owned: free
 * with mlt_conn_free(), which calls each filter's close(). */
__attribute__((warn_unused_result)) struct mlt_conn *
mlt_conn_new(const struct mlt_chain *ch);
void mlt_conn_free(const struct mlt_chain *ch, struct mlt_conn **cp);

/* Starts a message (ending any previous one as aborted). 0 or -1 ENOMEM. */
__attribute__((warn_unused_result)) int
mlt_msg_begin(const struct mlt_chain *ch, struct mlt_conn *conn);
/* Ends the current message: filters that did not see eom get abort(). */
void mlt_msg_end(const struct mlt_chain *ch, struct mlt_conn *conn);

/* Record envelope/header data in the message (the glue calls these before
 * mlt_run for the phase). 0, or -1 past a limit or on ENOMEM. */
__attribute__((warn_unused_result)) int mlt_msg_set_from(struct mlt_conn *conn,
							 const char *from);
__attribute__((warn_unused_result)) int
mlt_msg_add_rcpt(const struct mlt_chain *ch, struct mlt_conn *conn,
		 const char *rcpt);
/* Computes the per-name index; *hp points at the stored header. */
__attribute__((warn_unused_result)) int
mlt_msg_add_header(const struct mlt_chain *ch, struct mlt_conn *conn,
		   const char *name, const char *value,
		   const struct mlt_header **hp);

/* Runs one phase over every filter still active. Fills *out and returns
 * out->verdict. Ends the message itself when the outcome ends it before
 * eom; after eom the caller applies the plan and calls mlt_msg_end(). */
enum mlt_verdict mlt_run(const struct mlt_chain *ch, struct mlt_conn *conn,
			 enum mlt_phase ph, const struct mlt_event *ev,
			 struct mlt_outcome *out);

/* Strips one pair of <> and returns a pool copy, NULL on ENOMEM. */
__attribute__((warn_unused_result)) char *mlt_strip_angle(struct mlt_pool *p,
							  const char *addr);

#endif
