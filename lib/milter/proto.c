/* lib/milter/proto.c - milter packets over byte buffers; see proto.h.
 * Every length comes from the peer, so every read is checked against the
 * bytes actually present before it happens. */
#include "proto.h"

#include <string.h>

static uint32_t
proto_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
proto_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

enum mlt_proto_status
mlt_proto_next(const unsigned char *p, size_t len,
	       const struct mlt_proto_limits *lim, struct mlt_packet *pk,
	       size_t *used)
{
	size_t max =
	    lim && lim->max_packet ? lim->max_packet : MLT_PROTO_MAX_PACKET;
	uint32_t n;

	*used = 5;
	if (len < 4)
		return MLT_PROTO_MORE;
	n = proto_u32(p);
	if (n == 0)
		return MLT_PROTO_ESYNTAX;
	if (n > max)
		return MLT_PROTO_ELIMIT;
	*used = 4 + (size_t)n;
	if (len < *used)
		return MLT_PROTO_MORE;
	pk->cmd = p[4];
	pk->data = p + 5;
	pk->len = (size_t)n - 1;
	return MLT_PROTO_OK;
}

enum mlt_proto_status
mlt_proto_strings(const unsigned char *data, size_t len, const char **v,
		  size_t maxv, size_t *n)
{
	const unsigned char *end = data + len, *z;

	*n = 0;
	if (len == 0)
		return MLT_PROTO_OK;
	if (data[len - 1] != '\0')
		return MLT_PROTO_ESYNTAX;
	while (data < end) {
		if (*n >= maxv)
			return MLT_PROTO_ESYNTAX;
		z = memchr(data, '\0', (size_t)(end - data));
		v[(*n)++] = (const char *)data;
		data = z + 1; /* z exists: the last byte is a NUL */
	}
	return MLT_PROTO_OK;
}

enum mlt_proto_status
mlt_proto_optneg(const struct mlt_packet *pk, struct mlt_proto_optneg *o)
{
	if (pk->len < 12)
		return MLT_PROTO_ESYNTAX;
	o->version = proto_u32(pk->data);
	o->actions = proto_u32(pk->data + 4);
	o->protocol = proto_u32(pk->data + 8);
	return MLT_PROTO_OK;
}

enum mlt_proto_status
mlt_proto_connect(const struct mlt_packet *pk, struct mlt_proto_connect *c)
{
	const unsigned char *p = pk->data, *end = pk->data + pk->len, *z;

	if ((z = memchr(p, '\0', pk->len)) == NULL || z + 1 >= end)
		return MLT_PROTO_ESYNTAX;
	c->host = (const char *)p;
	p = z + 1;
	c->family = (char)*p++;
	c->port = 0;
	c->addr = "";
	switch (c->family) {
	case 'U':
		return MLT_PROTO_OK; /* libmilter ignores any rest */
	case '4':
	case '6':
	case 'L':
		break;
	default:
		return MLT_PROTO_ESYNTAX;
	}
	if (end - p < 3 || end[-1] != '\0')
		return MLT_PROTO_ESYNTAX;
	c->port = (uint16_t)(p[0] << 8 | p[1]);
	c->addr = (const char *)p + 2;
	if (memchr(p + 2, '\0', (size_t)(end - p - 2)) != end - 1)
		return MLT_PROTO_ESYNTAX; /* one string, to the end */
	return MLT_PROTO_OK;
}

enum mlt_proto_status
mlt_proto_macro(const struct mlt_packet *pk, unsigned char *for_cmd,
		const unsigned char **pairs, size_t *plen)
{
	if (pk->len < 1)
		return MLT_PROTO_ESYNTAX;
	*for_cmd = pk->data[0];
	*pairs = pk->data + 1;
	*plen = pk->len - 1;
	if (*plen > 0 && (*pairs)[*plen - 1] != '\0')
		return MLT_PROTO_ESYNTAX;
	return MLT_PROTO_OK;
}

enum mlt_proto_status
mlt_proto_header(const struct mlt_packet *pk, const char **name,
		 const char **value)
{
	const char *v[2];
	size_t n;

	if (mlt_proto_strings(pk->data, pk->len, v, 2, &n) != MLT_PROTO_OK ||
	    n != 2)
		return MLT_PROTO_ESYNTAX;
	*name = v[0];
	*value = v[1];
	return MLT_PROTO_OK;
}

int
mlt_proto_put(struct buf *out, unsigned char cmd, const void *data, size_t len)
{
	unsigned char h[5];
	size_t old = out->len;

	if (len >= UINT32_MAX || buf_reserve(out, 5 + len) != 0)
		return -1;
	proto_put_u32(h, (uint32_t)(len + 1));
	h[4] = cmd;
	if (buf_add(out, h, 5) != 0 || buf_add(out, data, len) != 0) {
		out->len = old; /* cannot happen after the reserve */
		return -1;
	}
	return 0;
}

int
mlt_proto_put_strs(struct buf *out, unsigned char cmd, long index,
		   const char *s1, const char *s2)
{
	size_t l1 = strlen(s1) + 1, l2 = s2 ? strlen(s2) + 1 : 0;
	size_t n = (index >= 0 ? 4 : 0) + l1 + l2, old = out->len;
	unsigned char h[9];
	size_t hl = 5;

	if (n >= UINT32_MAX || index > (long)UINT32_MAX ||
	    buf_reserve(out, 5 + n) != 0)
		return -1;
	proto_put_u32(h, (uint32_t)(n + 1));
	h[4] = cmd;
	if (index >= 0) {
		proto_put_u32(h + 5, (uint32_t)index);
		hl = 9;
	}
	if (buf_add(out, h, hl) != 0 || buf_add(out, s1, l1) != 0 ||
	    (s2 && buf_add(out, s2, l2) != 0)) {
		out->len = old;
		return -1;
	}
	return 0;
}

int
mlt_proto_put_optneg(struct buf *out, const struct mlt_proto_optneg *o)
{
	unsigned char d[12];

	proto_put_u32(d, o->version);
	proto_put_u32(d + 4, o->actions);
	proto_put_u32(d + 8, o->protocol);
	return mlt_proto_put(out, MLT_R_OPTNEG, d, sizeof(d));
}
