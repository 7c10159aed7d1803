/* tests/fuzz/fuzz_lmtp_parse.c - lmtp_parse_line on arbitrary bytes; the
 * low bit of the first byte picks a small line limit. Reported offsets
 * must lie in the line, and a parsed path must lie in it too. The same
 * bytes go through lmtp_data_feed whole and in two pieces: the message
 * and the flags must not depend on how the stream was cut. The parser
 * lives in delivery/ and is compiled into this target directly (it is
 * pure and only needs lib/addr). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../delivery/lmtp_parse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
data_agree(const uint8_t *data, size_t size)
{
	struct lmtp_data a = {0}, b = {0};
	struct buf oa, ob;
	size_t cut = size > 1 ? data[1] % size : 0, na, nb;

	a.at_bol = b.at_bol = 1;
	a.max_line = b.max_line = 16;
	a.max_size = b.max_size = 200;
	buf_init(&oa, 0);
	buf_init(&ob, 0);
	na = lmtp_data_feed(&a, data, size, &oa);
	nb = lmtp_data_feed(&b, data, cut, &ob);
	if (nb == cut && !b.done)
		nb += lmtp_data_feed(&b, data + cut, size - cut, &ob);
	if (na != nb || a.done != b.done || a.too_long != b.too_long ||
	    a.too_big != b.too_big || oa.len != ob.len || oa.len > 200 ||
	    (oa.len && memcmp(oa.data, ob.data, oa.len) != 0) || na > size)
		__builtin_trap();
	buf_free(&oa);
	buf_free(&ob);
}

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
	if (st == LMTP_OK &&
	    (cl.cmd == LMTP_CMD_MAIL || cl.cmd == LMTP_CMD_RCPT) &&
	    !cl.null_path &&
	    (cl.path.local_off + cl.path.local_len > size ||
	     cl.path.domain_off + cl.path.domain_len > size ||
	     cl.path.local_len == 0 || cl.path.domain_len == 0))
		__builtin_trap();
	if (st == LMTP_OK && cl.arg_off + cl.arg_len > size)
		__builtin_trap();
	if (lmtp_strerror(st)[0] == '?')
		__builtin_trap();
	data_agree(data, size);
	return 0;
}
