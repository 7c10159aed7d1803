/* lib/spam/received.h - Received header fields as SpamAssassin's
 * Message::Metadata::Received reads them: each field parsed into a relay
 * (the IP that connected, its reverse DNS and HELO names, the receiving
 * host, the queue id, the envelope sender, authentication), and the chain
 * split into trusted and untrusted relays.
 *
 * Trust follows SpamAssassin's trusted_networks / internal_networks; when
 * neither is configured, its inference: a relay is trusted while the
 * chain (read from the top, the newest field) stays on private
 * addresses (Constants.pm's IP_PRIVATE: loopback, RFC 1918, link-local,
 * CGN) or says the client authenticated; the first other relay and
 * every one below it are untrusted. "The last external relay" is the
 * first untrusted one.
 *
 * sp_received_parse() does no I/O; its one static state is the table of
 * compiled patterns, built once per process (pthread_once) and read-only
 * after. Its work is bounded by the field's length (PCRE2's default
 * match limits); every string it returns is truncated to its array. */
#ifndef FACTEUR_SPAM_RECEIVED_H
#define FACTEUR_SPAM_RECEIVED_H

#include <stddef.h>

struct sp_view;
struct sp_evconf;

enum sp_rcvd {
	SP_RCVD_OK,
	SP_RCVD_IGNORE, /* names no relay */
	SP_RCVD_UNPARSEABLE,
	SP_RCVD_FETCH, /* a POP3/IMAP fetcher's handover */
	SP_RCVD_QMS,   /* qmail-scanner's: names no relay, but its
			  envelope sender (out->envfrom) is the next
			  field's */
};

struct sp_relay {
	char ip[64];	   /* "192.0.2.1" or "2001:db8::1" */
	char rdns[256];	   /* reverse name the receiver saw, or "" */
	char helo[256];	   /* the HELO/EHLO name, or "" */
	char by[256];	   /* receiving host */
	char id[128];	   /* queue id, or "" */
	char envfrom[256]; /* envelope sender if the field says, or "" */
	char ident[64];
	char auth[128]; /* "ESMTPA", "ESMTPSA", ... or "" */
	int ip_private; /* Constants.pm's IP_PRIVATE: loopback, RFC 1918,
			   link-local, CGN, and those mapped in IPv6 */
	int no_rdns;	/* no_reverse_dns: rdns "" from an MTA that looks
			   names up (Received.pm's $mta_looked_up_dns) */
	int trusted, internal;
};

struct sp_relays {
	struct sp_relay *v; /* trusted first, then untrusted (top down) */
	size_t n;
	size_t ntrusted; /* v[0..ntrusted) */
	size_t nunparseable;
	/* Received.pm's last_trusted_relay_index and
	 * last_internal_relay_index: the index (0 the top one) of the last
	 * Received field inside the trusted / internal part, counting every
	 * field, parsed or not; -1 if none */
	int last_trusted, last_internal;
};

/* Parses one Received value v[0..len) as Received.pm's
 * parse_received_line does (received_line.c). SP_RCVD_IGNORE: a field
 * it returns 0 for (names no relay: local submission, "by ... with
 * local", qmail's "invoked by"...); SP_RCVD_UNPARSEABLE: undef. A relay
 * may have no ip (Received.pm keeps those too). */
enum sp_rcvd sp_received_parse(const char *v, size_t len, struct sp_relay *out);

/* Compiles received_line.c's patterns (once per process; the parse
 * calls it). 0, or -1 if one did not compile. */
int sp_received_init(void);

/* The first address Constants.pm's IP_ADDRESS finds in s, into out.
 * 0 or -1. */
int sp_received_find_ip(const char *s, char *out, size_t outlen);

/* Constants.pm's IS_IPV4_ADDRESS and IP_PRIVATE over s: 1 or 0. */
int sp_received_is_ipv4(const char *s);
int sp_received_is_private(const char *s);

/* Every Received field of the view, top down, then the originating-IP
 * headers (X-Originating-IP...) as SpamAssassin adds them, parsed and
 * classified (conf: trusted_networks / internal_networks; may be NULL).
 * At most 64 relays. *out owned. 0 or -1 (ENOMEM). */
int sp_relays_from_view(const struct sp_view *v, const struct sp_evconf *conf,
			struct sp_relays **out);
void sp_relays_free(struct sp_relays **r);

/* SpamAssassin's X-Spam-Relays-* pseudo-header values into out ("[ ip=
 * rdns= helo= by= ident= envfrom= intl= id= auth= msa=0 ] [ ... ]"):
 * which 0 Trusted, 1 Untrusted, 2 Internal, 3 External. 0 or -1. */
struct buf;
int sp_relays_string(const struct sp_relays *r, int which, struct buf *out);

/* The text of PerMsgStatus's ALL-TRUSTED (which 0), ALL-UNTRUSTED (1),
 * ALL-INTERNAL (2), ALL-EXTERNAL (3) into out: every header field as
 * "Name: value\n" (decoded, one line), from the top to the Received
 * field just below the trusted / internal part (0, 2), or from that
 * field to the end (1, 3); "" if r is NULL. 0 or -1. */
int sp_relays_all_text(const struct sp_view *v, const struct sp_relays *r,
		       int which, struct buf *out);

#endif
