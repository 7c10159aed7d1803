/* tests/fuzz/fuzz_milter_proto.c - the milter packet codec as the native
 * engine uses it: the input is a stream split with mlt_proto_next (small
 * max so the limit path is reached); each packet is decoded by the decoder
 * of its command, re-encoded with mlt_proto_put and must split back the
 * same; decoded strings must lie inside the packet. The pure file is
 * compiled in (it lives in lib/milter, outside libfacteur). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../lib/milter/proto.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_inside(const struct mlt_packet *pk, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*s && (p < pk->data || p + strlen(s) >= pk->data + pk->len))
		__builtin_trap();
}

static void
fz_decode(const struct mlt_packet *pk)
{
	struct mlt_proto_optneg o;
	struct mlt_proto_connect c;
	const unsigned char *pairs;
	const char *v[16], *name, *value;
	unsigned char cmd;
	size_t n, plen, i;

	switch (pk->cmd) {
	case 'O':
		if (mlt_proto_optneg(pk, &o) == MLT_PROTO_OK && pk->len < 12)
			__builtin_trap();
		break;
	case 'C':
		if (mlt_proto_connect(pk, &c) == MLT_PROTO_OK) {
			fz_inside(pk, c.host);
			fz_inside(pk, c.addr);
		}
		break;
	case 'D':
		if (mlt_proto_macro(pk, &cmd, &pairs, &plen) == MLT_PROTO_OK &&
		    (pairs < pk->data || pairs + plen > pk->data + pk->len))
			__builtin_trap();
		break;
	case 'L':
		if (mlt_proto_header(pk, &name, &value) == MLT_PROTO_OK) {
			fz_inside(pk, name);
			fz_inside(pk, value);
		}
		break;
	default:
		if (mlt_proto_strings(pk->data, pk->len, v, 16, &n) ==
		    MLT_PROTO_OK)
			for (i = 0; i < n; i++)
				fz_inside(pk, v[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlt_proto_limits lim = {.max_packet = 4096};
	struct mlt_packet pk, back;
	size_t pos = 0, used, used2;
	struct buf b;

	while (pos < size && mlt_proto_next(data + pos, size - pos, &lim, &pk,
					    &used) == MLT_PROTO_OK) {
		if (used != pk.len + 5 || used > size - pos)
			__builtin_trap();
		fz_decode(&pk);
		buf_init(&b, 0);
		if (mlt_proto_put(&b, pk.cmd, pk.data, pk.len) != 0 ||
		    mlt_proto_next((unsigned char *)b.data, b.len, &lim, &back,
				   &used2) != MLT_PROTO_OK ||
		    used2 != used || back.cmd != pk.cmd || back.len != pk.len ||
		    memcmp(back.data, pk.data, pk.len) != 0)
			__builtin_trap();
		buf_free(&b);
		pos += used;
	}
	return 0;
}
