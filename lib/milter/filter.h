/* lib/milter/filter.h - the filter-module interface every milter implements.
 *
 * A filter is a struct of callbacks, one per milter phase, over one context
 * (struct mlt_ctx) that gives it the connection (struct mlt_conn) and the
 * current message (struct mlt_msg). A callback returns a verdict; a terminal
 * verdict may carry a reply set with mlt_reply(). Header edits are never
 * applied by a filter: they are queued on the message's plan (mlt_add_header
 * and friends) and applied once, at end of message, by the runner.
 *
 * The filter knows nothing of libmilter: the same callbacks run in a
 * standalone facteur-NAME milter, in the facteur-milter chain, and in unit
 * tests. Ownership: every pointer in mlt_conn / mlt_msg is from the
 * connection's or the message's pool; it is borrowed until close (conn) or
 * until eom/abort (msg). Thread-safety: one context is used by one thread at
 * a time (libmilter's rule); filters keep no per-message statics. */
#ifndef FACTEUR_LIB_MILTER_FILTER_H
#define FACTEUR_LIB_MILTER_FILTER_H

#include <stddef.h>

#include "body.h"
#include "buf.h"
#include "plan.h"
#include "pool.h"

enum mlt_verdict {
	MLT_CONTINUE, /* go on; at eom: accept with the planned edits */
	MLT_ACCEPT,   /* this filter is done with the message (or connection) */
	MLT_REJECT,   /* 5xx: the message, or only this recipient at envrcpt */
	MLT_TEMPFAIL, /* 4xx: likewise */
	MLT_DISCARD,  /* accept and silently drop: for policy only, never for
			 an internal error */
	MLT_ERROR,    /* internal failure: the runner applies on_error */
};

enum mlt_on_error { MLT_ON_ERROR_ACCEPT, MLT_ON_ERROR_TEMPFAIL };

/* An SMTP reply. code "4xx"/"5xx", xcode "4.7.1" or "" (none). text is
 * plain (not yet %-escaped), printable, without CR or LF. */
struct mlt_reply {
	char code[4];
	char xcode[16];
	char text[512];
	int set;
};

/* Authentication results one filter computes and later filters read. */
enum mlt_auth {
	MLT_AUTH_NONE, /* not evaluated */
	MLT_AUTH_PASS,
	MLT_AUTH_FAIL,
	MLT_AUTH_SOFTFAIL,
	MLT_AUTH_NEUTRAL,
	MLT_AUTH_TEMPERROR,
	MLT_AUTH_PERMERROR,
	MLT_AUTH_POLICY,
	MLT_AUTH_ABSENT, /* evaluated, nothing to evaluate: no SPF/DMARC
			    record, no DKIM signature (A-R "none") */
};

struct mlt_auth_result {
	enum mlt_auth status;
	const char *domain; /* from the message pool, or NULL */
};

struct mlt_results {
	struct mlt_auth_result spf, dkim, dmarc;
	int spam_scored; /* spam_score is meaningful */
	double spam_score;
};

struct mlt_header {
	const char *name;  /* as received */
	const char *value; /* as received (folded lines joined by "\n"),
			      leading whitespace removed */
	int index;	   /* 1-based among headers of the same name (case-
			      insensitive): the index smfi_chgheader wants */
	const char *raw;   /* the exact bytes after the ':' (leading
			      whitespace kept: "Subject:x" gives "x") when
			      the MTA sends them (SMFIP_HDR_LEADSPC); NULL
			      when it strips the leading whitespace */
};

/* Macros libmilter gave us, fetched at the phase Postfix sends them.
 * NULL when absent. */
struct mlt_macros {
	const char *daemon_name; /* {daemon_name} */
	const char *myhostname;	 /* j */
	const char *queue_id;	 /* i */
	const char *auth_authen; /* {auth_authen}: SASL login if any */
	const char *auth_type;	 /* {auth_type} */
};

struct mlt_msg {
	struct mlt_pool pool;
	struct mlt_macros macros; /* message-phase macros (i, auth_*) */
	const char *mail_from;	  /* without <>; "" for the null sender */
	const char **rcpts;	  /* without <>; accepted ones only */
	size_t nrcpts;
	struct mlt_header *headers;
	size_t nheaders;
	size_t headers_cap, rcpts_cap; /* room in headers, rcpts */
	struct mlt_body body;	       /* kept only if a filter wants_body:
					  read it with mlt_msg_body() */
	size_t body_size;	       /* bytes seen, stored or not */
	struct mlt_results results;
	struct mlt_plan plan;
	void **priv;	     /* one slot per filter, freed with the msg */
	unsigned char *done; /* one per filter: accepted this message */
};

struct mlt_conn {
	struct mlt_pool pool;
	const char *client_name; /* PTR name or "[addr]" as the MTA says */
	const char *client_addr; /* "192.0.2.1", "2001:db8::1", or "local" */
	const char *helo;	 /* last HELO/EHLO argument, or NULL */
	const char *daemon_name; /* {daemon_name} at connect */
	const char *myhostname;	 /* j at connect */
	struct mlt_msg *msg;	 /* current message, or NULL */
	void **priv;		 /* one slot per filter, for its close() */
	unsigned char *done;	 /* one per filter: accepted the connection */
	size_t nfilters;
	int leadspc;	    /* SMFIP_HDR_LEADSPC negotiated: header
			       values arrive and leave exact */
	int threads_joined; /* the engine joins this connection's
			       thread before the process exits (struct
			       mlt_seam): per-thread state need not be
			       freed at close */
};

struct mlt_filter;

/* What a callback sees. */
struct mlt_ctx {
	const struct mlt_filter *filter;
	void *cfg; /* the filter's settings, read-only */
	struct mlt_conn *conn;
	struct mlt_msg *msg;	/* NULL at connect, helo and close */
	void **conn_priv;	/* this filter's per-connection slot */
	void **msg_priv;	/* this filter's per-message slot, or NULL */
	struct mlt_reply reply; /* set with mlt_reply() */
	const char *error;	/* static text set with MLT_ERROR, or NULL */
};

struct mlt_filter {
	const char *name; /* "example", "dkim": log prefix */
	int wants_body;	  /* the message body must be kept in msg->body */
	enum mlt_verdict (*connect)(struct mlt_ctx *c);
	enum mlt_verdict (*helo)(struct mlt_ctx *c, const char *helo);
	enum mlt_verdict (*envfrom)(struct mlt_ctx *c, const char *from);
	enum mlt_verdict (*envrcpt)(struct mlt_ctx *c, const char *rcpt);
	enum mlt_verdict (*header)(struct mlt_ctx *c,
				   const struct mlt_header *h);
	enum mlt_verdict (*eoh)(struct mlt_ctx *c);
	enum mlt_verdict (*body)(struct mlt_ctx *c, const unsigned char *p,
				 size_t len);
	enum mlt_verdict (*eom)(struct mlt_ctx *c);
	/* abort and close cannot change the outcome; they free state. */
	void (*abort)(struct mlt_ctx *c);
	void (*close)(struct mlt_ctx *c);
	/* MLT_NR_* bits: phases at which this filter never REJECTs,
	 * TEMPFAILs or DISCARDs (only CONTINUE, ACCEPT or ERROR). The native
	 * engine then lets the MTA send those events without waiting for an
	 * answer (SMFIP_NR_*); an ACCEPT or an error there is answered at the
	 * next phase that replies, end of message at the latest. 0, the
	 * default, answers everywhere: always correct. A NULL callback needs
	 * no bit. */
	unsigned no_reply;
};

/* Bits of mlt_filter.no_reply, one per phase (1 << enum mlt_phase). */
enum {
	MLT_NR_CONNECT = 1u << 0,
	MLT_NR_HELO = 1u << 1,
	MLT_NR_ENVFROM = 1u << 2,
	MLT_NR_ENVRCPT = 1u << 3,
	MLT_NR_HEADER = 1u << 4,
	MLT_NR_EOH = 1u << 5,
	MLT_NR_BODY = 1u << 6,
};

/* Sets the reply for the verdict the callback is about to return.
 * Returns 0, or -1 if code/xcode/text are not valid (see reply.h); the
 * reply is then left unset and the runner uses its default. */
__attribute__((warn_unused_result)) int mlt_reply(struct mlt_ctx *c,
						  const char *code,
						  const char *xcode,
						  const char *text);

/* Queue header edits on the current message's plan (only when c->msg).
 * 0, or -1 on a bad name/value or ENOMEM: return MLT_ERROR then. */
__attribute__((warn_unused_result)) int
mlt_add_header(struct mlt_ctx *c, const char *name, const char *value);
__attribute__((warn_unused_result)) int mlt_insert_header(struct mlt_ctx *c,
							  int pos,
							  const char *name,
							  const char *value);
__attribute__((warn_unused_result)) int mlt_change_header(struct mlt_ctx *c,
							  const char *name,
							  int index,
							  const char *value);
__attribute__((warn_unused_result)) int
mlt_delete_header(struct mlt_ctx *c, const char *name, int index);

/* Asks the MTA to put the current message on hold (Postfix: the hold
 * queue) with reason, at end of message: queued on the plan, so the
 * message reaches eom. 0, or -1 (bad reason, ENOMEM): MLT_ERROR then. */
__attribute__((warn_unused_result)) int mlt_quarantine(struct mlt_ctx *c,
						       const char *reason);

/* The first min(max, size) bytes of the kept body (wants_body) at eom:
 * *p (never NULL) and *n, borrowed until the message ends or the next
 * call. A large body is a read-only mapping of its spool file: read
 * only what is scanned. 0, or -1 (cannot be mapped): MLT_ERROR then. */
__attribute__((warn_unused_result)) int mlt_msg_body(const struct mlt_msg *m,
						     size_t max,
						     const unsigned char **p,
						     size_t *n);

/* Returns MLT_ERROR after recording why (static text) for the log. */
enum mlt_verdict mlt_fail(struct mlt_ctx *c, const char *why);

/* Name of a verdict, for logs and tests. */
const char *mlt_verdict_name(enum mlt_verdict v);

#endif
