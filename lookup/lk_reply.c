/* lookup/lk_reply.c - socketmap, policy and access(5) replies; see
 * lk_reply.h. */
#include "lk_reply.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "netstring.h"

/* Appends s[0..n) with control bytes replaced by spaces. */
static int
lk_add_clean(struct buf *out, const char *s, size_t n)
{
	size_t i;

	if (buf_reserve(out, n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (buf_addc(out, c < 0x20 || c == 0x7f ? ' ' : (char)c) < 0)
			return -1;
	}
	return 0;
}

/* "X.Y.Z" with X the class digit, Y 1-3 digits, Z 1-3 digits. */
static int
lk_enhanced_ok(const char *e, int cls)
{
	size_t i = 2, n;
	int part;

	if (e == NULL || e[0] != (char)('0' + cls) || e[1] != '.')
		return 0;
	for (part = 0; part < 2; part++) {
		for (n = 0; e[i] >= '0' && e[i] <= '9'; i++)
			n++;
		if (n == 0 || n > 3)
			return 0;
		if (part == 0 && e[i++] != '.')
			return 0;
	}
	return e[i] == '\0';
}

static int
lk_reply_reject(int code, const char *enhanced, const char *message,
		struct buf *out)
{
	const char *text = message && *message ? message : "Access denied";
	int cls;

	if (code < 400 || code > 599)
		code = 554;
	cls = code / 100;
	if (buf_printf(out, "%d ", code) < 0)
		return -1;
	if (lk_enhanced_ok(enhanced, cls)) {
		if (buf_adds(out, enhanced) < 0)
			return -1;
	} else if (buf_printf(out, "%d.7.1", cls) < 0)
		return -1;
	if (buf_addc(out, ' ') < 0)
		return -1;
	return lk_add_clean(out, text, strlen(text));
}

int
lk_reply_access(const char *action, int code, const char *enhanced,
		const char *message, struct buf *out)
{
	const char *word;

	if (action == NULL)
		return -1;
	if (strcasecmp(action, "REJECT") == 0)
		return lk_reply_reject(code, enhanced, message, out);
	if (strcasecmp(action, "OK") == 0)
		return buf_adds(out, "OK");
	if (strcasecmp(action, "DISCARD") == 0)
		word = "DISCARD";
	else if (strcasecmp(action, "HOLD") == 0)
		word = "HOLD";
	else
		return -1;
	if (buf_adds(out, word) < 0)
		return -1;
	if (message == NULL || *message == '\0')
		return 0;
	if (buf_addc(out, ' ') < 0)
		return -1;
	return lk_add_clean(out, message, strlen(message));
}

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
	    lk_add_clean(&payload, data ? data : "", data ? n : 0) < 0)
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
	    lk_add_clean(out, text, strlen(text)) < 0)
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
