/* lookup/lk_request.c - socketmap and policy request parsing; see
 * lk_request.h. Pure: every byte comes from the caller, nothing is kept. */
#include "lk_request.h"

#include <string.h>

static const char *const lk_map_names[] = {
    "domains",	       "mailboxes",	"aliases",
    "virtual_aliases", "sender_access", "recipient_access",
};
#define LK_NMAPS (sizeof(lk_map_names) / sizeof(lk_map_names[0]))

const char *
lk_map_name(enum lk_map m)
{
	if (m < 0 || (size_t)m >= LK_NMAPS)
		return NULL;
	return lk_map_names[m];
}

enum lk_map
lk_map_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < LK_NMAPS; i++)
		if (strlen(lk_map_names[i]) == len &&
		    memcmp(lk_map_names[i], name, len) == 0)
			return (enum lk_map)i;
	return LK_MAP_UNKNOWN;
}

enum lk_req_status
lk_request_parse(const unsigned char *p, size_t len,
		 const struct lk_limits *lim, struct lk_request *r,
		 size_t *err_off)
{
	size_t max_key = lim && lim->max_key ? lim->max_key : 1024;
	const unsigned char *sp;
	size_t i;

	*err_off = 0;
	r->map = LK_MAP_UNKNOWN;
	r->key_off = r->key_len = 0;
	sp = len ? memchr(p, ' ', len) : NULL;
	if (sp == NULL) {
		*err_off = len;
		return LK_REQ_ESYNTAX;
	}
	r->map = lk_map_find((const char *)p, (size_t)(sp - p));
	if (r->map == LK_MAP_UNKNOWN)
		return LK_REQ_EMAP;
	r->key_off = (size_t)(sp - p) + 1;
	r->key_len = len - r->key_off;
	if (r->key_len == 0)
		return LK_REQ_EEMPTY;
	if (r->key_len > max_key) {
		*err_off = r->key_off + max_key;
		return LK_REQ_EKEYLEN;
	}
	for (i = r->key_off; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f) {
			*err_off = i;
			return LK_REQ_EKEY;
		}
	return LK_REQ_OK;
}

const char *
lk_req_strerror(enum lk_req_status st)
{
	switch (st) {
	case LK_REQ_OK:
		return "ok";
	case LK_REQ_EEMPTY:
		return "empty key";
	case LK_REQ_ESYNTAX:
		return "malformed request: want \"NAME KEY\"";
	case LK_REQ_EMAP:
		return "unknown map";
	case LK_REQ_EKEYLEN:
		return "key too long";
	case LK_REQ_EKEY:
		return "control byte in key";
	}
	return "unknown error";
}

int
lk_ns_peek_len(const unsigned char *p, size_t len, size_t *declared,
	       size_t *hdr_len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == ':') {
			if (i == 0)
				return -1;
			*declared = n;
			*hdr_len = i + 1;
			return 1;
		}
		if (p[i] < '0' || p[i] > '9' || i >= 9)
			return -1;
		n = n * 10 + (size_t)(p[i] - '0');
	}
	return 0;
}

static const char *const lk_attr_names[LK_ATTR_COUNT] = {
    "request",	      "protocol_state", "sender",    "recipient",
    "client_address", "client_name",	"helo_name", "queue_id",
};

static void
lk_policy_attr(const unsigned char *line, size_t nlen, size_t voff, size_t vlen,
	       struct lk_policy_req *r)
{
	size_t i;

	for (i = 0; i < LK_ATTR_COUNT; i++)
		if (strlen(lk_attr_names[i]) == nlen &&
		    memcmp(lk_attr_names[i], line, nlen) == 0) {
			r->attr[i].off = voff;
			r->attr[i].len = vlen;
			r->attr[i].set = 1;
			return;
		}
}

enum lk_pol_status
lk_policy_parse(const unsigned char *p, size_t len,
		const struct lk_policy_limits *lim, struct lk_policy_req *r,
		size_t *consumed, size_t *err_off)
{
	size_t max_req = lim && lim->max_request ? lim->max_request : 65536;
	size_t max_attrs = lim && lim->max_attrs ? lim->max_attrs : 256;
	const unsigned char *nul = NULL;
	size_t pos = 0;

	memset(r, 0, sizeof(*r));
	*consumed = 0;
	*err_off = 0;
	for (;;) {
		const unsigned char *nl, *eq, *z;
		size_t end, llen;

		if (pos >= max_req) {
			*err_off = max_req;
			return LK_POL_ELIMIT;
		}
		nl = pos < len ? memchr(p + pos, '\n', len - pos) : NULL;
		if (nl == NULL)
			return len >= max_req
				   ? (*err_off = max_req, LK_POL_ELIMIT)
				   : LK_POL_INCOMPLETE;
		end = (size_t)(nl - p);
		if (end + 1 > max_req) {
			*err_off = max_req;
			return LK_POL_ELIMIT;
		}
		llen = end - pos;
		if (llen && p[end - 1] == '\r')
			llen--;
		if (llen == 0) {
			*consumed = end + 1;
			if (nul == NULL)
				return LK_POL_OK;
			*err_off = (size_t)(nul - p);
			return LK_POL_ENUL;
		}
		if (++r->nattrs > max_attrs) {
			*err_off = pos;
			return LK_POL_ELIMIT;
		}
		if ((z = memchr(p + pos, '\0', llen)) != NULL) {
			if (nul == NULL)
				nul = z;
			pos = end + 1; /* the request is refused as a whole */
			continue;
		}
		eq = memchr(p + pos, '=', llen);
		if (eq == NULL || eq == p + pos) {
			*err_off = eq ? pos : pos + llen;
			return LK_POL_ESYNTAX;
		}
		lk_policy_attr(p + pos, (size_t)(eq - (p + pos)),
			       (size_t)(eq - p) + 1,
			       llen - (size_t)(eq - (p + pos)) - 1, r);
		pos = end + 1;
	}
}

const char *
lk_pol_strerror(enum lk_pol_status st)
{
	switch (st) {
	case LK_POL_OK:
		return "ok";
	case LK_POL_INCOMPLETE:
		return "incomplete request";
	case LK_POL_ESYNTAX:
		return "malformed attribute line: want name=value";
	case LK_POL_ELIMIT:
		return "request too long";
	case LK_POL_ENUL:
		return "NUL byte in an attribute";
	}
	return "unknown error";
}
