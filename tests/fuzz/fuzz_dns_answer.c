/* tests/fuzz/fuzz_dns_answer.c - dns_parse_answer on any DNS message.
 * The first byte picks the asked type; the rest is the wire message. An
 * answer is either OK with rrs or a status with none, lengths match the
 * NUL-terminated copies, and the error text is terminated. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum dns_type types[] = {DNS_T_A, DNS_T_AAAA, DNS_T_TXT,
					      DNS_T_MX, DNS_T_PTR};
	struct dns_answer ans;
	enum dns_status st;
	unsigned neg;
	size_t i;

	if (size < 1)
		return 0;
	st = dns_parse_answer(data + 1, size - 1, "example.org",
			      types[data[0] % 5], &ans, &neg);
	if (st != ans.status || (st == DNS_OK) != (ans.nrrs > 0) ||
	    memchr(ans.error, '\0', sizeof(ans.error)) == NULL)
		__builtin_trap();
	for (i = 0; i < ans.nrrs; i++)
		if (ans.rrs[i][ans.lens[i]] != '\0' ||
		    (data[0] % 5 != 2 && strlen(ans.rrs[i]) != ans.lens[i]))
			__builtin_trap();
	dns_answer_clear(&ans);
	return 0;
}
