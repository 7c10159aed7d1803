/* lib/milter/filter.c - helpers a filter calls from its callbacks; see
 * filter.h. */
#include "filter.h"

#include <stdio.h>
#include <string.h>

#include "reply.h"

int
mlt_reply(struct mlt_ctx *c, const char *code, const char *xcode,
	  const char *text)
{
	struct mlt_reply *r = &c->reply;

	r->set = 0;
	if (mlt_reply_check(code, xcode, text) != NULL)
		return -1;
	snprintf(r->code, sizeof(r->code), "%s", code);
	snprintf(r->xcode, sizeof(r->xcode), "%s", xcode ? xcode : "");
	snprintf(r->text, sizeof(r->text), "%s", text);
	r->set = 1;
	return 0;
}

static int
filter_plan(struct mlt_ctx *c, enum mlt_edit_kind k, const char *name,
	    int index, const char *value)
{
	if (c->msg == NULL)
		return -1;
	return mlt_plan_add(&c->msg->plan, k, name, index, value);
}

int
mlt_msg_body(const struct mlt_msg *m, size_t max, const unsigned char **p,
	     size_t *n)
{
	/* the view (a mapping) is the body's state, not the message's:
	 * const for the filter, which only reads */
	return mlt_body_view((struct mlt_body *)&m->body, max, p, n);
}

int
mlt_add_header(struct mlt_ctx *c, const char *name, const char *value)
{
	return filter_plan(c, MLT_EDIT_ADD, name, 0, value);
}

int
mlt_quarantine(struct mlt_ctx *c, const char *reason)
{
	return filter_plan(c, MLT_EDIT_QUARANTINE, "quarantine", 0, reason);
}

int
mlt_insert_header(struct mlt_ctx *c, int pos, const char *name,
		  const char *value)
{
	return filter_plan(c, MLT_EDIT_INSERT, name, pos, value);
}

int
mlt_change_header(struct mlt_ctx *c, const char *name, int index,
		  const char *value)
{
	return filter_plan(c, MLT_EDIT_CHANGE, name, index, value);
}

int
mlt_delete_header(struct mlt_ctx *c, const char *name, int index)
{
	return filter_plan(c, MLT_EDIT_DELETE, name, index, NULL);
}

enum mlt_verdict
mlt_fail(struct mlt_ctx *c, const char *why)
{
	c->error = why;
	return MLT_ERROR;
}

const char *
mlt_verdict_name(enum mlt_verdict v)
{
	switch (v) {
	case MLT_CONTINUE:
		return "continue";
	case MLT_ACCEPT:
		return "accept";
	case MLT_REJECT:
		return "reject";
	case MLT_TEMPFAIL:
		return "tempfail";
	case MLT_DISCARD:
		return "discard";
	case MLT_ERROR:
		return "error";
	}
	return "?";
}
