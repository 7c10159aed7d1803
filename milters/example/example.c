/* milters/example/example.c - the example filter module; see example.h. */
#include "example.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "plan.h"
#include "reply.h"

#define E(f) offsetof(struct example_settings, f)
const struct cfg_key example_keys[] = {
    {"header", CFG_STR, "X-Facteur-Example", 0, 0, E(header), NULL,
     "name of the header added to every message"},
    {"hostname", CFG_STR, NULL, 0, 0, E(hostname), NULL,
     "name written in the header (default: this host's name)"},
    {"reject_sender", CFG_STR, NULL, 0, 0, E(reject_sender), NULL,
     "envelope sender to reject (case-insensitive)"},
    {"reject_code", CFG_STR, "550", 0, 0, E(reject_code), NULL,
     "SMTP code of that rejection"},
    {"reject_xcode", CFG_STR, "5.7.1", 0, 0, E(reject_xcode), NULL,
     "enhanced status code of that rejection"},
    {"reject_text", CFG_STR, "Sender rejected by policy", 0, 0, E(reject_text),
     NULL, "text of that rejection"},
};
#undef E
const size_t example_nkeys = sizeof(example_keys) / sizeof(example_keys[0]);

int
example_check(void *base, char *err, size_t errlen)
{
	struct example_settings *s = base;
	const char *why;
	char host[256];

	if (!mlt_header_name_ok(s->header)) {
		snprintf(err, errlen, "[example] header: not a header name");
		return -1;
	}
	if ((why = mlt_reply_check(s->reject_code, s->reject_xcode,
				   s->reject_text)) != NULL) {
		snprintf(err, errlen, "[example] reject_*: %s", why);
		return -1;
	}
	if (s->reject_code[0] != '5') {
		snprintf(err, errlen, "[example] reject_code: must be 5xx");
		return -1;
	}
	if (s->hostname == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		if ((s->hostname = strdup(host)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (!mlt_header_value_ok(s->hostname)) {
		snprintf(err, errlen, "[example] hostname: not printable");
		return -1;
	}
	return 0;
}

static enum mlt_verdict
example_envfrom(struct mlt_ctx *c, const char *from)
{
	const struct example_settings *s = c->cfg;

	if (s->reject_sender == NULL || *s->reject_sender == '\0' ||
	    strcasecmp(from, s->reject_sender) != 0)
		return MLT_CONTINUE;
	if (mlt_reply(c, s->reject_code, s->reject_xcode, s->reject_text) != 0)
		return mlt_fail(c, "bad reject reply");
	return MLT_REJECT;
}

static enum mlt_verdict
example_eom(struct mlt_ctx *c)
{
	const struct example_settings *s = c->cfg;
	char value[512];
	int n;

	n = snprintf(value, sizeof(value),
		     "seen by %s; rcpts=%zu; body=%zu "
		     "bytes",
		     s->hostname, c->msg->nrcpts, c->msg->body_size);
	if (n < 0 || (size_t)n >= sizeof(value))
		return mlt_fail(c, "header value too long");
	if (mlt_add_header(c, s->header, value) != 0)
		return mlt_fail(c, "cannot plan the header");
	return MLT_CONTINUE;
}

const struct mlt_filter example_filter = {
    .name = "example",
    .wants_body = 0,
    .envfrom = example_envfrom,
    .eom = example_eom,
};
