/* admin/explain.h - the halves of 'facteur explain': running one
 * message through the filter modules (explain.c) and what it prints
 * beside their verdicts: the DNS answers behind DKIM, SPF and DMARC,
 * what the modules logged (the blacklist row that decided), each
 * recipient's Sieve (explain_why.c).
 * Private to admin/explain*.c. */
#ifndef FACTEUR_ADMIN_EXPLAIN_H
#define FACTEUR_ADMIN_EXPLAIN_H

#include <stddef.h>

struct admin;
struct chain_settings;

/* What explain ran: the envelope and the message's header fields. */
struct xp_msg {
	const char *client_ip; /* NULL: a local submission ("local") */
	const char *helo;
	const char *mail_from; /* without <> */
	const char **rcpts;    /* without <> */
	size_t nrcpts;
	const char *auth_user;	  /* --submission USER, or NULL */
	char **hnames, **hvalues; /* owned: fields as in the file */
	size_t nheaders;
	const char *body; /* the body (LF), borrowed */
	size_t bodylen;
};

/* The first header field called name (any case), or NULL. */
const char *xp_header(const struct xp_msg *m, const char *name);

/* A header edit the modules planned (kind 'a' add, 'i' insert, 'c'
 * change, 'd' delete). */
struct xp_edit {
	char kind;
	const char *name, *value;
	int index;
};

/* Prints the DNS answers the DKIM, SPF and DMARC verdicts rest on
 * (resolver: [dkim] resolver or NULL), the modules' log lines of the run
 * (log, one per line), and each recipient's Sieve outcome over the
 * message with the edits e[0..ne) applied (e NULL: it was refused, no
 * Sieve). */
void xp_why(struct admin *a, const struct chain_settings *s,
	    const struct xp_msg *m, const char *log, const struct xp_edit *e,
	    size_t ne);

#endif
