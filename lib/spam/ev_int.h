/* lib/spam/ev_int.h - what the eval files (ev*.c) share: the table
 * entry of an eval function, each plugin's table, and the per-message
 * data they compute lazily. Internal to the eval code. */
#ifndef FACTEUR_SPAM_EV_INT_H
#define FACTEUR_SPAM_EV_INT_H

#include <stddef.h>
#include <time.h>

#include "ev.h"

struct sp_header;

typedef int (*sp_evfn)(struct sp_evctx *c, const struct sp_evcall *a);

struct sp_evdef {
	const char *name;
	sp_evfn fn;
	int minargs, maxargs;
	/* When set: the first argument values implemented (others are
	 * skipped as not implemented). */
	const char *const *only;
	int re_arg; /* 1 + index of an argument that is a regex (compiled
		       once into sp_evcall.re), 0 none */
	const char *re_fixed; /* or a regex of the function's own, compiled
				 once into sp_evcall.re; NULL none */
};

/* strlen() of each of the view's uri_domains, computed on first use;
 * NULL on ENOMEM. Borrowed until sp_ev_ctx_clear(). */
const size_t *ev_uri_domain_lens(struct sp_evctx *c);

/* The call's compiled regex matches s (one match data per message). */
int ev_re_match(struct sp_evctx *c, const struct sp_evcall *a, const char *s,
		size_t n);

/* Each table ends with a {NULL} entry. */
extern const struct sp_evdef ev_header_defs[];
extern const struct sp_evdef ev_mime_defs[];
extern const struct sp_evdef ev_html_defs[];
extern const struct sp_evdef ev_body_defs[];
extern const struct sp_evdef ev_relay_defs[];
extern const struct sp_evdef ev_list_defs[];
extern const struct sp_evdef ev_image_defs[];
extern const struct sp_evdef ev_forged_defs[];
extern const struct sp_evdef ev_rawmime_defs[];
extern const struct sp_evdef ev_text_defs[];

/* The ruleset's configuration lists. */
const struct sp_evconf *ev_conf(const struct sp_evctx *c);

/* Headers by name: the n-th (0-based) value (decoded unless raw), or
 * NULL. */
const char *ev_header(const struct sp_evctx *c, const char *name, int raw,
		      size_t nth);
/* Util.pm's parse_rfc822_date (ev_date.c): seconds since the epoch into
 * *out. 0, or -1 where the Perl returns undef. */
int ev_parse_date(const char *s, time_t *out);
/* The first "(\s.?\d+ \S\S\S \d+ \d+:\d+:\d+ \S+)" of a Received
 * field into d (HeaderEval's Received date); 0 when none. */
int ev_rcvd_date(const char *r, char *d, size_t dlen);
/* The last value of a header (SpamAssassin's scalar get_header and
 * raw_header give the last), or NULL. */
const char *ev_header_last(const struct sp_evctx *c, const char *name, int raw);
/* $pms->get('MESSAGEID'): X-Message-Id, Resent-Message-Id,
 * X-Original-Message-ID and Message-Id values, non-empty ones, each
 * ending in "\n", joined; malloc'd ("" when none), NULL on ENOMEM. */
char *ev_messageid(const struct sp_evctx *c);
/* HeaderEval's gated_through_received_hdr_remover (ev_forged.c): an
 * ezmlm list that removed the Received fields, no Received field, or
 * MSN groups. */
int ev_gated_rcvd_remover(const struct sp_evctx *c);
/* All values of a header joined by "\n" into a malloc'd string, or NULL
 * when absent (ENOMEM also NULL: the eval is then false). */
char *ev_header_all(const struct sp_evctx *c, const char *name, int raw);
/* The address in a From/To-like value, lowercased, into out. 0 or -1. */
int ev_addr(const char *value, char *out, size_t outlen);
/* The addresses (ev_addr) of a list of mailboxes, split at commas
 * outside quotes and angle brackets; those without an '@' are skipped.
 * At most max; returns how many. */
size_t ev_addrs(const char *v, char out[][256], size_t max);
/* The display name of a From-like value into out ("" when none). */
void ev_display_name(const char *value, char *out, size_t outlen);

/* SpamAssassin's EnvelopeFrom (PerMsgStatus::get_envelope_from): the
 * envelope sender given, else the last hop's envelope-from, else
 * X-Envelope-From, Envelope-Sender or Return-Path when no Received
 * field comes before it. NULL when none. Cached in c. */
const char *ev_envfrom(struct sp_evctx *c);

/* The parsed Received chain (received.h), computed on first use. */
const struct sp_relays *ev_relays(struct sp_evctx *c);
/* The HTML statistics (ev_html.c), computed on first use; NULL if no
 * HTML part (or ENOMEM). */
const struct ev_html *ev_html_get(struct sp_evctx *c);
void ev_html_free(struct ev_html **h);

/* The raw MIME structure as Message.pm parses it (ev_rawmime.c),
 * computed on first use. */
struct ev_rawmime;
void ev_rawmime_free(struct ev_rawmime **m);
/* check_for_mime('mime_qp_long_line'): a quoted-printable leaf has a raw
 * line over 78 characters plus its newline. */
int ev_rawmime_qp_long_line(struct sp_evctx *c);

#endif
