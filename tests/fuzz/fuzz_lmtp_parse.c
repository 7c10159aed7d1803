/* tests/fuzz/fuzz_lmtp_parse.c - lmtp_parse_line on arbitrary bytes; the
 * low bit of the first byte picks a small line limit. Reported offsets
 * must lie in the line, and a parsed path must lie in it too. The parser
 * lives in delivery/ and is compiled into this target directly (it is
 * pure and only needs lib/addr). */
#include <stddef.h>
#include <stdint.h>

#include "../../delivery/lmtp_parse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lmtp_limits lim = {size > 0 && (data[0] & 1) ? 64 : 0, 100000};
	struct lmtp_cmdline cl;
	enum lmtp_status st;
	size_t off;

	st = lmtp_parse_line(data, size, &lim, &cl, &off);
	if (off > size)
		__builtin_trap();
	if (st == LMTP_OK && (cl.cmd == LMTP_CMD_MAIL ||
	    cl.cmd == LMTP_CMD_RCPT) && !cl.null_path &&
	    (cl.path.local_off + cl.path.local_len > size ||
	    cl.path.domain_off + cl.path.domain_len > size ||
	    cl.path.local_len == 0 || cl.path.domain_len == 0))
		__builtin_trap();
	if (st == LMTP_OK && cl.arg_off + cl.arg_len > size)
		__builtin_trap();
	if (lmtp_strerror(st)[0] == '?')
		__builtin_trap();
	return 0;
}
