/* lib/milter/proto_test.c - the milter packet codec: splitting a stream,
 * limits, payload decoders, and what the encoders put on the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto.h"

static void
test_next_splits_a_stream_and_waits_for_partial_packets(void **state)
{
	static const unsigned char s[] = "\0\0\0\2Tx"
					 "\0\0\0\1N"
					 "\0\0\0\5L";
	struct mlt_packet pk;
	size_t used;

	(void)state;
	assert_int_equal(mlt_proto_next(s, 3, NULL, &pk, &used),
			 MLT_PROTO_MORE);
	assert_int_equal(mlt_proto_next(s, 5, NULL, &pk, &used),
			 MLT_PROTO_MORE);
	assert_int_equal(used, 6); /* the whole packet's size is known */
	assert_int_equal(mlt_proto_next(s, 6, NULL, &pk, &used), MLT_PROTO_OK);
	assert_int_equal(pk.cmd, 'T');
	assert_int_equal(pk.len, 1);
	assert_int_equal(pk.data[0], 'x');
	assert_int_equal(mlt_proto_next(s + 6, 5, NULL, &pk, &used),
			 MLT_PROTO_OK);
	assert_int_equal(pk.cmd, 'N');
	assert_int_equal(pk.len, 0);
	assert_int_equal(mlt_proto_next(s + 11, 5, NULL, &pk, &used),
			 MLT_PROTO_MORE);
	assert_int_equal(used, 9);
}

static void
test_next_refuses_zero_and_oversized_lengths(void **state)
{
	static const unsigned char zero[] = {0, 0, 0, 0, 'Q'};
	static const unsigned char big[] = {0x7f, 0xff, 0xff, 0xf0, 'O'};
	static const unsigned char ten[] = {0, 0, 0, 10, 'B'};
	struct mlt_proto_limits lim = {.max_packet = 9};
	struct mlt_packet pk;
	size_t used;

	(void)state;
	assert_int_equal(mlt_proto_next(zero, 5, NULL, &pk, &used),
			 MLT_PROTO_ESYNTAX);
	assert_int_equal(mlt_proto_next(big, 5, NULL, &pk, &used),
			 MLT_PROTO_ELIMIT);
	assert_int_equal(mlt_proto_next(ten, 5, &lim, &pk, &used),
			 MLT_PROTO_ELIMIT);
}

struct strs_case {
	const char *in;
	size_t len;
	enum mlt_proto_status want;
	size_t n;
};

static void
test_strings_need_a_final_nul_and_respect_maxv(void **state)
{
	static const struct strs_case t[] = {
	    {"", 0, MLT_PROTO_OK, 0},
	    {"a\0bc\0", 5, MLT_PROTO_OK, 2},
	    {"a\0bc", 4, MLT_PROTO_ESYNTAX, 0},
	    {"\0\0\0", 3, MLT_PROTO_ESYNTAX, 0}, /* 3 strings > maxv 2 */
	    {"\0\0", 2, MLT_PROTO_OK, 2},
	};
	const char *v[2];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum mlt_proto_status got = mlt_proto_strings(
		    (const unsigned char *)t[i].in, t[i].len, v, 2, &n);
		if (got != t[i].want)
			fail_msg("case %zu: got status %d, want %d", i, got,
				 t[i].want);
		if (got == MLT_PROTO_OK && n != t[i].n)
			fail_msg("case %zu: got %zu strings, want %zu", i, n,
				 t[i].n);
	}
}

static void
test_connect_decodes_inet_unix_and_unknown(void **state)
{
	static const unsigned char v4[] = "mx.example\0"
					  "4\x00\x19"
					  "192.0.2.1";
	static const unsigned char unk[] = "host\0U";
	static const unsigned char bad[] = "host\0"
					   "4\x00";
	static const unsigned char fam[] = "host\0Zabc";
	struct mlt_proto_connect c;
	struct mlt_packet pk = {'C', v4, sizeof(v4)};

	(void)state;
	assert_int_equal(mlt_proto_connect(&pk, &c), MLT_PROTO_OK);
	assert_string_equal(c.host, "mx.example");
	assert_int_equal(c.family, '4');
	assert_int_equal(c.port, 25);
	assert_string_equal(c.addr, "192.0.2.1");
	pk = (struct mlt_packet){'C', unk, sizeof(unk) - 1};
	assert_int_equal(mlt_proto_connect(&pk, &c), MLT_PROTO_OK);
	assert_int_equal(c.family, 'U');
	pk = (struct mlt_packet){'C', bad, sizeof(bad) - 1};
	assert_int_equal(mlt_proto_connect(&pk, &c), MLT_PROTO_ESYNTAX);
	pk = (struct mlt_packet){'C', fam, sizeof(fam)};
	assert_int_equal(mlt_proto_connect(&pk, &c), MLT_PROTO_ESYNTAX);
}

static void
test_optneg_macro_header_decode(void **state)
{
	static const unsigned char o[] = {0, 0,	   0, 6,    0,	  0,
					  1, 0xff, 0, 0x1f, 0xff, 0xff};
	static const unsigned char m[] = "Mi\0ABC123\0{auth_type}\0PLAIN";
	static const unsigned char h[] = "Subject\0 hi";
	struct mlt_proto_optneg on;
	struct mlt_packet pk = {'O', o, 11};
	const unsigned char *pairs;
	const char *name, *value;
	unsigned char cmd;
	size_t plen;

	(void)state;
	assert_int_equal(mlt_proto_optneg(&pk, &on), MLT_PROTO_ESYNTAX);
	pk.len = 12;
	assert_int_equal(mlt_proto_optneg(&pk, &on), MLT_PROTO_OK);
	assert_int_equal(on.version, 6);
	assert_int_equal(on.actions, 0x1ff);
	assert_int_equal(on.protocol, 0x1fffff);
	pk = (struct mlt_packet){'D', m, sizeof(m)};
	assert_int_equal(mlt_proto_macro(&pk, &cmd, &pairs, &plen),
			 MLT_PROTO_OK);
	assert_int_equal(cmd, 'M');
	assert_int_equal(plen, sizeof(m) - 1);
	pk.len--; /* no final NUL */
	assert_int_equal(mlt_proto_macro(&pk, &cmd, &pairs, &plen),
			 MLT_PROTO_ESYNTAX);
	pk = (struct mlt_packet){'L', h, sizeof(h)};
	assert_int_equal(mlt_proto_header(&pk, &name, &value), MLT_PROTO_OK);
	assert_string_equal(name, "Subject");
	assert_string_equal(value, " hi");
	pk.len = 8; /* the name only */
	assert_int_equal(mlt_proto_header(&pk, &name, &value),
			 MLT_PROTO_ESYNTAX);
}

static void
test_encoders_write_length_command_and_strings(void **state)
{
	static const unsigned char want[] = "\0\0\0\1c"
					    "\0\0\0\x0b"
					    "hX-A\0value\0"
					    "\0\0\0\x0e"
					    "m\0\0\0\2Subj\0new\0";
	struct mlt_proto_optneg o = {6, 0x31, 0x100000}, back;
	struct mlt_packet pk;
	struct buf b;
	size_t used;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(mlt_proto_put(&b, 'c', NULL, 0), 0);
	assert_int_equal(mlt_proto_put_strs(&b, 'h', -1, "X-A", "value"), 0);
	assert_int_equal(mlt_proto_put_strs(&b, 'm', 2, "Subj", "new"), 0);
	if (b.len != sizeof(want) - 1 || memcmp(b.data, want, b.len) != 0)
		fail_msg("got %zu bytes, want %zu (or different bytes)", b.len,
			 sizeof(want) - 1);
	buf_reset(&b);
	assert_int_equal(mlt_proto_put_optneg(&b, &o), 0);
	assert_int_equal(
	    mlt_proto_next((unsigned char *)b.data, b.len, NULL, &pk, &used),
	    MLT_PROTO_OK);
	assert_int_equal(pk.cmd, 'O');
	assert_int_equal(mlt_proto_optneg(&pk, &back), MLT_PROTO_OK);
	assert_memory_equal(&o, &back, sizeof(o));
	buf_free(&b);
	buf_init(&b, 8); /* too small: nothing is written */
	assert_int_equal(mlt_proto_put_strs(&b, 'h', -1, "X-A", "value"), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_next_splits_a_stream_and_waits_for_partial_packets),
	    cmocka_unit_test(test_next_refuses_zero_and_oversized_lengths),
	    cmocka_unit_test(test_strings_need_a_final_nul_and_respect_maxv),
	    cmocka_unit_test(test_connect_decodes_inet_unix_and_unknown),
	    cmocka_unit_test(test_optneg_macro_header_decode),
	    cmocka_unit_test(test_encoders_write_length_command_and_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
