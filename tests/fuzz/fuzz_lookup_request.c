/* tests/fuzz/fuzz_lookup_request.c - facteur-lookup's request parsers
 * (socketmap "NAME KEY", the netstring length peek, policy delegation
 * attribute blocks) over arbitrary bytes, with small limits so the limit
 * paths are reached. Every offset returned must stay inside the input.
 *
 * lk_request.c is compiled into the target (it is pure and depends on
 * nothing else) so that fuzzing builds instrument it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../lookup/lk_request.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_socketmap(const uint8_t *data, size_t size)
{
	struct lk_limits lim = {64};
	struct lk_request r;
	size_t eo, declared, hdr;
	enum lk_req_status st;

	st = lk_request_parse(data, size, &lim, &r, &eo);
	if (eo > size)
		__builtin_trap();
	if (st == LK_REQ_OK &&
	    (r.map == LK_MAP_UNKNOWN || r.key_len == 0 || r.key_len > 64 ||
	     r.key_off + r.key_len != size || data[r.key_off - 1] != ' '))
		__builtin_trap();
	if (lk_ns_peek_len(data, size, &declared, &hdr) == 1 &&
	    (hdr > size || hdr < 2 || data[hdr - 1] != ':'))
		__builtin_trap();
}

static void
fuzz_policy(const uint8_t *data, size_t size)
{
	struct lk_policy_limits lim = {512, 16};
	struct lk_policy_req r;
	size_t used, eo, pos = 0, i;

	while (pos < size) {
		enum lk_pol_status st = lk_policy_parse(data + pos, size - pos,
							&lim, &r, &used, &eo);
		if (st != LK_POL_OK)
			break;
		if (used == 0 || used > size - pos || used > 512 ||
		    r.nattrs > 16)
			__builtin_trap();
		for (i = 0; i < LK_ATTR_COUNT; i++)
			if (r.attr[i].set &&
			    (r.attr[i].off + r.attr[i].len > used ||
			     memchr(data + pos + r.attr[i].off, '\n',
				    r.attr[i].len) != NULL))
				__builtin_trap();
		pos += used;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_socketmap(data, size);
	fuzz_policy(data, size);
	return 0;
}
