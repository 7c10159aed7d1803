/* milters/scrub/module.c - facteur-scrub's settings and filter callbacks.
 * At MAIL FROM the message is classified: an authenticated client
 * ({auth_authen}) or an internal_hosts client is scrubbed, anything else
 * (inbound mail) is accepted untouched at once. At end of message the
 * pure selection (scrub_select.c) decides, the deletions go through the
 * plan (which applies them from the last index down), and one log line
 * names what was removed - names only, never values. */
#include "scrub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

#define E(f) offsetof(struct scrub_settings, f)
const struct cfg_key scrub_keys[] = {
    {"internal_hosts", CFG_CIDR_LIST, "", 0, 0, E(internal_hosts), NULL,
     "unauthenticated clients whose mail is scrubbed too (CIDR list)"},
    {"remove_headers", CFG_LIST, "", 0, 0, E(remove_headers), NULL,
     "more header names to remove from outgoing mail"},
    {"replace_message_id", CFG_BOOL, "no", 0, 0, E(replace_message_id), NULL,
     "replace a Message-ID that names a host with a random one"},
};
#undef E
const size_t scrub_nkeys = sizeof(scrub_keys) / sizeof(scrub_keys[0]);

/* Bytes of randomness in a replacement Message-ID's left-hand side. */
#define SCRUB_MSGID_RANDOM 16

int
scrub_check(void *base, char *err, size_t errlen)
{
	struct scrub_settings *s = base;
	size_t i;

	/* cfg took printable ASCII words only; a field name has no ':'. */
	for (i = 0; i < s->remove_headers.n; i++)
		if (strchr(s->remove_headers.v[i], ':') != NULL) {
			snprintf(err, errlen,
				 "[scrub] remove_headers: \"%s\" "
				 "is not a header name",
				 s->remove_headers.v[i]);
			return -1;
		}
	return 0;
}

static enum mlt_verdict
scrub_envfrom(struct mlt_ctx *c, const char *from)
{
	const struct scrub_settings *s = c->cfg;
	const char *auth = c->msg->macros.auth_authen;

	(void)from;
	if (auth != NULL && *auth != '\0')
		return MLT_CONTINUE;
	if (cidr_list_match(&s->internal_hosts, c->conn->client_addr))
		return MLT_CONTINUE;
	return MLT_ACCEPT; /* inbound: never touched */
}

/* Plans the edits; appends the removed names to names. 0 or -1. */
static int
scrub_plan(struct mlt_ctx *c, const struct scrub_hdr *h, size_t n,
	   const enum scrub_act *act, const struct scrub_result *res,
	   struct buf *names)
{
	unsigned char rnd[SCRUB_MSGID_RANDOM];
	char id[512];
	size_t k;

	for (k = 0; k < n; k++) {
		if (act[k] != SCRUB_DELETE)
			continue;
		if (mlt_delete_header(c, h[k].name, h[k].index) != 0 ||
		    buf_printf(names, "%s%s", names->len ? "," : "",
			       h[k].name) < 0)
			return -1;
	}
	if (res->msgid < 0)
		return 0;
	arc4random_buf(rnd, sizeof(rnd));
	if (scrub_msgid_build(rnd, sizeof(rnd), res->from_domain, id,
			      sizeof(id)) != 0)
		return 0; /* From domain too long: keep the old one */
	k = (size_t)res->msgid;
	return mlt_change_header(c, h[k].name, h[k].index, id);
}

static void
scrub_log(struct mlt_ctx *c, const struct scrub_hdr *h,
	  const struct scrub_result *res, const struct buf *names)
{
	const char *qid =
	    c->msg->macros.queue_id ? c->msg->macros.queue_id : "NOQUEUE";
	char safe_qid[64], bad[128];

	log_safe(qid, strlen(qid), safe_qid, sizeof(safe_qid));
	if (res->nmalformed > 0) {
		log_safe(h[res->first_malformed].name,
			 strlen(h[res->first_malformed].name), bad,
			 sizeof(bad));
		log_warn(
		    "%s: scrub: removed %s%s; %zu malformed header(s) left "
		    "alone, first #%zu named \"%s\"",
		    safe_qid, names->len ? buf_str(names) : "nothing",
		    res->msgid >= 0 ? "; Message-ID replaced" : "",
		    res->nmalformed, res->first_malformed + 1, bad);
		return;
	}
	log_info("%s: scrub: removed %s%s", safe_qid,
		 names->len ? buf_str(names) : "nothing",
		 res->msgid >= 0 ? "; Message-ID replaced" : "");
}

static enum mlt_verdict
scrub_eom(struct mlt_ctx *c)
{
	const struct scrub_settings *s = c->cfg;
	struct scrub_policy pol = {&s->remove_headers, NULL,
				   s->replace_message_id, &s->internal_hosts};
	const struct mlt_msg *m = c->msg;
	struct scrub_result res;
	struct scrub_hdr *h;
	enum scrub_act *act;
	struct buf names;
	size_t k, n = m->nheaders;
	int rc;

	pol.myhostname =
	    m->macros.myhostname ? m->macros.myhostname : c->conn->myhostname;
	h = calloc(n ? n : 1, sizeof(*h));
	act = calloc(n ? n : 1, sizeof(*act));
	if (h == NULL || act == NULL) {
		free(h);
		free(act);
		return mlt_fail(c, "out of memory");
	}
	for (k = 0; k < n; k++) {
		h[k].name = m->headers[k].name;
		h[k].value = m->headers[k].value;
		h[k].index = m->headers[k].index;
	}
	scrub_select(h, n, &pol, act, &res);
	buf_init(&names, 64 * 1024);
	rc = scrub_plan(c, h, n, act, &res, &names);
	if (rc == 0)
		scrub_log(c, h, &res, &names);
	buf_free(&names);
	free(act);
	free(h);
	return rc == 0 ? MLT_CONTINUE
		       : mlt_fail(c, "cannot plan the "
				     "header edits");
}

const struct mlt_filter scrub_filter = {
    .name = "scrub",
    .wants_body = 0,
    .envfrom = scrub_envfrom,
    .eom = scrub_eom,
};
