/* lookup/lk_policy.h - the policy delegation verdict (SMTPD_POLICY_README).
 *
 * At protocol_state RCPT: the sender (access(5) walk, "<>" for the null
 * sender) in sender_blacklist; if no row, the client address (exact and
 * CIDR rows); then the recipient in recipient_blacklist. The first
 * REJECT / DISCARD / HOLD row is the action; an OK row ends its check
 * (a whitelisted sender skips the client check) and the answer stays
 * DUNNO: this service never answers OK, so it can never open a relay
 * whatever its place in smtpd_recipient_restrictions. Any other state, or
 * no row: DUNNO. A database error: "451 4.3.0 ..." (tempfail, never 5xx
 * for our own fault). */
#ifndef FACTEUR_LOOKUP_LK_POLICY_H
#define FACTEUR_LOOKUP_LK_POLICY_H

#include "lk_maps.h"
#include "lk_request.h"

/* Appends "action=...\n\n" to out for the request r parsed from p.
 * Returns the verdict class: LK_OK (a row acted), LK_NOTFOUND (DUNNO) or
 * LK_TEMP (database error, detail in err). -1-like failures (out full)
 * come back as LK_PERM. */
enum lk_status lk_policy_eval(struct store *st, const struct lk_query_cfg *qc,
			      const unsigned char *p,
			      const struct lk_policy_req *r, struct buf *out,
			      struct store_errbuf *err);

#endif
