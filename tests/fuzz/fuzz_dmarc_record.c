/* tests/fuzz/fuzz_dmarc_record.c - dmarc_parse_record on any bytes. The
 * error offset stays inside the input, a valid record has fields in
 * range, and a valid record parses the same with a ";" appended (an
 * empty trailing tag changes nothing). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record r, r2;
	unsigned char *copy;
	size_t off;
	enum dmarc_rstatus st;

	st = dmarc_parse_record(data, size, &r, &off);
	if (off > size)
		__builtin_trap();
	if (st != DMARC_REC_OK)
		return 0;
	if (r.p > DMARC_P_REJECT || r.sp > DMARC_P_UNSET || r.pct < 0 ||
	    r.pct > 100 || (r.adkim_strict != 0 && r.adkim_strict != 1) ||
	    (r.aspf_strict != 0 && r.aspf_strict != 1))
		__builtin_trap();
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = ';';
	if (dmarc_parse_record(copy, size + 1, &r2, &off) != DMARC_REC_OK ||
	    memcmp(&r, &r2, sizeof(r)) != 0)
		__builtin_trap();
	free(copy);
	return 0;
}
