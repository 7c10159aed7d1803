/* lookup/lk_reply.c - socketmap and policy replies; see lk_reply.h. The
 * access(5) result text of a row is access_reply() in lib/access.c. */
#include "lk_reply.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "buf.h"
#include "netstring.h"

const char *
lk_status_word(enum lk_status st)
{
	switch (st) {
	case LK_OK:
		return "OK";
	case LK_NOTFOUND:
		return "NOTFOUND";
	case LK_TEMP:
		return "TEMP";
	case LK_TIMEOUT:
		return "TIMEOUT";
	case LK_PERM:
		return "PERM";
	}
	return "PERM";
}

int
lk_reply_socketmap(enum lk_status st, const char *data, size_t n,
		   struct buf *out)
{
	struct buf payload;
	int rc = -1;

	buf_init(&payload, LK_REPLY_MAX);
	if (st == LK_NOTFOUND)
		n = 0; /* "NOTFOUND " carries nothing */
	if (buf_adds(&payload, lk_status_word(st)) < 0 ||
	    buf_addc(&payload, ' ') < 0 ||
	    access_add_clean(&payload, data ? data : "", data ? n : 0) < 0)
		goto out;
	rc = ns_format(out, payload.data, payload.len);
out:
	buf_free(&payload);
	return rc;
}

int
lk_reply_policy(const char *text, struct buf *out)
{
	if (buf_adds(out, "action=") < 0 ||
	    access_add_clean(out, text, strlen(text)) < 0)
		return -1;
	return buf_adds(out, "\n\n");
}

int
lk_reply_alias_filter(const char *in, struct buf *out)
{
	const char *p = in, *end;
	size_t n;

	for (; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		while (n && *p == ' ')
			p++, n--;
		if (n == 0 || *p == '|' || *p == '/' ||
		    (n >= 9 && strncasecmp(p, ":include:", 9) == 0))
			continue;
		if ((out->len && buf_addc(out, ',') < 0) ||
		    buf_add(out, p, n) < 0)
			return -1;
	}
	return 0;
}
