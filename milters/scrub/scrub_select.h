/* milters/scrub/scrub_select.h - which headers facteur-scrub removes from
 * an outgoing (authenticated or internal) message. Pure: no I/O, no
 * logging, no statics; thread-safe. Knows nothing of libmilter.
 *
 * Removed, by name (case-insensitive): X-Originating-IP, X-Mailer,
 * User-Agent and every name in the policy's remove_headers list.
 *
 * Received: the hops the client or its LAN added before submission. The
 * fields are walked from the top (the most recent hop) down; each one is
 * removed while it is a "client hop": it names no IP address outside the
 * private ranges (RFC 1918, CGNAT, loopback, link-local, ULA) and the
 * internal networks, and it was not recorded by our own host name. The
 * first other hop stops the walk and it and every Received below it are
 * kept: they are the trace of a real relay path (an internal host that
 * forwards mail it got from the internet, or a message that loops back to
 * us), and Postfix counts Received fields to break mail loops
 * (hopcount_limit), so that trace must survive.
 *
 * Message-ID (replace_message_id): a right-hand side other than the From
 * domain and our host name is a host name leak ("<x@laptop.lan>"); that
 * field is replaced with "<RANDOM@FROM-DOMAIN>" (scrub_msgid_build).
 *
 * A field whose name is not 1..997 printable ASCII bytes without ':' or
 * whose value holds a NUL/CR/bare LF is malformed: left alone and counted
 * for the log, whatever its name. */
#ifndef FACTEUR_MILTERS_SCRUB_SELECT_H
#define FACTEUR_MILTERS_SCRUB_SELECT_H

#include <stddef.h>

#include "cfg.h"
#include "cidr.h"

struct scrub_policy {
	const struct cfg_list *remove_headers; /* extra names, borrowed;
						  NULL: none */
	const char *myhostname;		       /* our host name, or NULL */
	int replace_message_id;
	const struct cidr_list *nets; /* internal networks, borrowed; NULL */
};

struct scrub_hdr {
	const char *name;  /* as received; NUL-terminated */
	const char *value; /* as received (folds joined by "\n") */
	int index;	   /* 1-based among fields of the same name */
};

enum scrub_act {
	SCRUB_KEEP,
	SCRUB_DELETE,
	SCRUB_MSGID,	 /* replace the value with a fresh Message-ID */
	SCRUB_MALFORMED, /* kept; to be reported */
};

struct scrub_result {
	size_t ndelete;
	size_t nmalformed;
	size_t first_malformed; /* header number, valid if nmalformed */
	int msgid;		/* header number to replace, or -1 */
	char from_domain[256];	/* of the first From mailbox, or "" */
};

enum scrub_hop { SCRUB_HOP_CLIENT, SCRUB_HOP_RELAY };

/* Fills act[0..n) for the fields h[0..n) of one message, in message
 * order, and *res. Pure. */
void scrub_select(const struct scrub_hdr *h, size_t n,
		  const struct scrub_policy *p, enum scrub_act *act,
		  struct scrub_result *res);

/* The Received value v[0..len): SCRUB_HOP_RELAY if, before its date (the
 * last ';'), it names an IP address outside the private ranges and nets
 * (a token between delimiters that inet_pton accepts, "IPv6:" prefix
 * allowed), or its "by" host is myhostname; SCRUB_HOP_CLIENT otherwise.
 * Any bytes are accepted. Pure. */
enum scrub_hop scrub_received_hop(const char *v, size_t len,
				  const char *myhostname,
				  const struct cidr_list *nets);

/* The right-hand side of a Message-ID value v[0..len) ("<left@right>",
 * surrounding CFWS spaces allowed): 0 with *off and *rlen, or -1 if it is not
 * msg-id shaped (then the field is left alone). Pure. */
__attribute__((warn_unused_result)) int
scrub_msgid_rhs(const char *v, size_t len, size_t *off, size_t *rlen);

/* Writes "<HEX(rnd)@domain>" into out[0..outlen). 0, or -1 if it does not
 * fit or domain is empty. Pure. */
__attribute__((warn_unused_result)) int
scrub_msgid_build(const unsigned char *rnd, size_t rndlen, const char *domain,
		  char *out, size_t outlen);

#endif
