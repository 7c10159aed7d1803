/* tests/fuzz/fuzz_netstring.c - ns_parse over a stream of netstrings, as
 * the socketmap server reads them, with a small max so the limit path is
 * reached; every payload is re-encoded and must parse back identically. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "netstring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0, off, plen, used, err, off2, plen2, used2;
	struct buf b;

	while (pos < size && ns_parse(data + pos, size - pos, 4096, &off, &plen,
				      &used, &err) == NS_OK) {
		if (used == 0 || used > size - pos || off + plen >= used)
			__builtin_trap();
		buf_init(&b, 0);
		if (ns_format(&b, data + pos + off, plen) != 0 ||
		    ns_parse((unsigned char *)b.data, b.len, 4096, &off2,
			     &plen2, &used2, &err) != NS_OK ||
		    plen2 != plen || used2 != b.len ||
		    memcmp(b.data + off2, data + pos + off, plen) != 0)
			__builtin_trap();
		buf_free(&b);
		pos += used;
	}
	return 0;
}
