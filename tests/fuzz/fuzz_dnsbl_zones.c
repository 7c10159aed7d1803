/* tests/fuzz/fuzz_dnsbl_zones.c - dnsbl_zones_parse over arbitrary bytes
 * (the dnsbl_zones setting), with a small zone limit so the limit path is
 * reached; every parsed zone is well formed and classifying its own filter
 * codes must say "listed". */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dnsbl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsbl_limits lim = {4};
	struct dnsbl_zone z[DNSBL_MAX_ZONES];
	size_t n = 0, off = 0, i, k;
	char a[16];

	if (dnsbl_zones_parse((const char *)data, size, &lim, z, &n, &off) !=
	    DNSBL_OK) {
		if (off > size)
			__builtin_trap();
		return 0;
	}
	if (n > 4)
		__builtin_trap();
	for (i = 0; i < n; i++) {
		if (z[i].name[0] == '\0' ||
		    strlen(z[i].name) > DNSBL_ZONE_MAX ||
		    z[i].ncodes > DNSBL_MAX_CODES)
			__builtin_trap();
		for (k = 0; k < z[i].ncodes; k++) {
			snprintf(a, sizeof(a), "%u.%u.%u.%u", z[i].codes[k][0],
				 z[i].codes[k][1], z[i].codes[k][2],
				 z[i].codes[k][3]);
			if (dnsbl_classify(&z[i], a) != DNSBL_LISTED &&
			    dnsbl_classify(&z[i], a) != DNSBL_REFUSED)
				__builtin_trap();
		}
	}
	return 0;
}
