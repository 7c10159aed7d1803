/* delivery/lmtp.h - facteur-lmtp internals shared by lmtp_server.c,
 * session.c, deliver.c and lmtp_sieve.c. Not a library contract. */
#ifndef FACTEUR_DELIVERY_LMTP_H
#define FACTEUR_DELIVERY_LMTP_H

#include <pthread.h>
#include <stddef.h>

#include "lmtp_conf.h"
#include "quota.h"

struct buf;
struct sieve_header;
struct sieve_result;
struct lmtp_sieve_cache;
struct store_pool;

struct srv_conn;

/* What every connection shares; lmtp_server.c sets it up. */
struct lmtp_server {
	const struct lmtp_settings *cfg; /* borrowed */
	const char *db_path;		 /* borrowed */
	long long busy_ms;
	int rootfd;	    /* mail_root, O_DIRECTORY */
	int spoolfd;	    /* spool_dir (or mail_root), for lmtp_spool.h */
	char host[256];	    /* hostname for replies and file names */
	pthread_mutex_t mu; /* subscriptions file updates */
	struct lmtp_sieve_cache *sieve;
	/* Read-only stores a session takes and gives back: Postfix opens
	 * an LMTP connection per message when idle, and opening one costs
	 * ~0.3 ms (60 times a user lookup on an open store). */
	struct store_pool *stores;
};

/* One accepted recipient. All strings owned (lmtp_rcpt_clear). */
struct lmtp_rcpt {
	char *address; /* as received, local@domain (with any +detail) */
	char *user;    /* the user's address, without the detail */
	char *detail;  /* NULL when none */
	char *maildir; /* relative to mail_root, checked */
	struct quota_limits lim;
};
void lmtp_rcpt_clear(struct lmtp_rcpt *r);

/* The message after DATA, shared by every recipient. Borrowed. */
struct lmtp_msg {
	const char *sender; /* envelope sender, "" for <> */
	const char *data;   /* LF line endings, unstuffed: the message, or
			       when spooled (fd >= 0) its header section */
	size_t len;
	struct sieve_header *headers; /* owned by the session */
	size_t nheaders;
	char *hdr_store; /* owned: the unfolded header copy */
	int fd;		 /* the spool file (lmtp_spool.h), or -1 */
	size_t size;	 /* the whole message's bytes */
	size_t vsize;	 /* spooled: its size with CRLF line ends */
};

/* session.c: serves one connection (a lib/server worker) to its end. */
void lmtp_session_run(struct lmtp_server *srv, struct srv_conn *c);

/* Where lmtp_deliver() puts the recipient's reply: the line is appended
 * to buf, then flush(arg), when set, writes it out before the quota file
 * is updated, so that the reply leaves as soon as the copy is durable. */
struct lmtp_out {
	struct buf *buf;
	void (*flush)(void *arg);
	void *arg;
};

/* deliver.c: delivers m to r (Sieve, folders, quota) and appends the
 * recipient's reply line ("250 2.0.0 <a> Saved\r\n" or a 4xx) to
 * out->buf. */
void lmtp_deliver(struct lmtp_server *srv, const struct lmtp_msg *m,
		  const struct lmtp_rcpt *r, const struct lmtp_out *out);

/* lmtp_sieve.c */
struct lmtp_sieve_cache *lmtp_sieve_cache_new(void);
void lmtp_sieve_cache_free(struct lmtp_sieve_cache **c);
/* Splits the header section of m->data into m->headers (unfolded).
 * 0, or -1 on ENOMEM. Headers past the limits are ignored. */
__attribute__((warn_unused_result)) int lmtp_msg_headers(struct lmtp_msg *m);
void lmtp_msg_clear(struct lmtp_msg *m);
/* The first field called name (any case), unfolded; NULL if none. */
const char *lmtp_msg_header(const struct lmtp_msg *m, const char *name);
/* Runs sieve_before and the user's script over m for r. Returns 1 with
 * res filled (an error inside is logged and leaves a single KEEP), or 0
 * when there is no script at all (plain keep). */
int lmtp_sieve_run(struct lmtp_server *srv, int homefd,
		   const struct lmtp_msg *m, const struct lmtp_rcpt *r,
		   struct sieve_result *res);
/* lmtp_send.c: re-injects m to address through sendmail, envelope sender kept.
 */
__attribute__((warn_unused_result)) int
lmtp_sieve_redirect(struct lmtp_server *srv, const struct lmtp_msg *m,
		    const char *address);
/* Sends the vacation reply of action a (a struct sieve_action) if RFC
 * 3834 and the once-per-period rule allow; everything is logged. */
void lmtp_sieve_vacation(struct lmtp_server *srv, const struct lmtp_msg *m,
			 const struct lmtp_rcpt *r, const void *a);

#endif
