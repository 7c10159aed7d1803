/* tests/fuzz/fuzz_dk_keyrec.c - the DKIM key record parser (RFC 6376
 * §3.6.1, RFC 8463) on arbitrary bytes, as the TXT strings joined from a
 * hostile DNS answer. The error offset stays inside the input, flags are
 * 0/1, a revoked key has no bytes and a usable one some, within p[]. A
 * valid record not already ending in ";" parses the same with one
 * appended (a trailing ";" is allowed by the §3.2 grammar).
 *
 * The engine files are compiled into the target so that fuzzing builds
 * instrument them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/dkim/dk_sig.c"
#include "../../lib/dkim/dk_tag.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fz_bool(int v)
{
	return v == 0 || v == 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_keyrec r, r2;
	const char *why = NULL;
	unsigned char *copy;
	size_t off = 0, n;
	enum dk_key_status st;

	st = dk_keyrec_parse(data, size, &r, &why, &off);
	if (off > size)
		__builtin_trap();
	if (st != DK_KEY_OK) {
		if (why == NULL)
			__builtin_trap();
		return 0;
	}
	if (!fz_bool(r.ed25519) || !fz_bool(r.revoked) || !fz_bool(r.testing) ||
	    !fz_bool(r.strict) || !fz_bool(r.sha256_ok) ||
	    !fz_bool(r.email_ok) || r.plen > sizeof(r.p) ||
	    (r.revoked != (r.plen == 0)))
		__builtin_trap();
	/* "...;" plus ";" would be an empty tag-spec: only the others. */
	for (n = size; n > 0 && (data[n - 1] == ' ' || data[n - 1] == '\t' ||
				 data[n - 1] == '\r' || data[n - 1] == '\n');
	     n--)
		;
	if (n > 0 && data[n - 1] == ';')
		return 0;
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = ';';
	if (dk_keyrec_parse(copy, size + 1, &r2, &why, &off) != DK_KEY_OK ||
	    memcmp(&r, &r2, sizeof(r)) != 0)
		__builtin_trap();
	free(copy);
	return 0;
}
