/* lib/base64_test.c - the one base64: RFC 4648's vectors both ways,
 * DKIM's folded base64 (B64_FWS: strict length and padding), RFC 2047's
 * (B64_NOPAD: no blanks, padding optional), what each refuses and where,
 * SpamAssassin's lenient reading (B64_LENIENT: vectors from its own
 * Util::base64_decode), a full output, and encode/decode round trips of
 * every length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"
#include "buf.h"

#define FWS B64_FWS
#define NOPAD B64_NOPAD

static void
b64_decode_table(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		enum b64_status want;
		const char *out; /* when B64_OK */
		size_t off;	 /* when not */
	} t[] = {
	    /* RFC 4648 §10 */
	    {"", 0, B64_OK, "", 0},
	    {"Zg==", 0, B64_OK, "f", 0},
	    {"Zm8=", 0, B64_OK, "fo", 0},
	    {"Zm9v", 0, B64_OK, "foo", 0},
	    {"Zm9vYg==", 0, B64_OK, "foob", 0},
	    {"Zm9vYmE=", 0, B64_OK, "fooba", 0},
	    {"Zm9vYmFy", 0, B64_OK, "foobar", 0},
	    {"+/+/", 0, B64_OK, "\xfb\xff\xbf", 0},
	    /* DKIM: folding whitespace anywhere, even in the padding */
	    {" Zm9v\r\n\tYmFy ", FWS, B64_OK, "foobar", 0},
	    {"Zm9vYg=\r\n =", FWS, B64_OK, "foob", 0},
	    {"Zm9v YmFy", 0, B64_EBYTE, NULL, 4},
	    {"Zm9vYg", FWS, B64_EPAD, NULL, 6},	      /* padding required */
	    {"Zm9vY", FWS | NOPAD, B64_OK, "foo", 0}, /* 6 bits: no byte */
	    {"Zg===", FWS, B64_EPAD, NULL, 4},
	    {"Zg=a", FWS, B64_EBYTE, NULL, 3}, /* data after '=' */
	    {"Zm9v=Zm9v", FWS, B64_EBYTE, NULL, 5},
	    {"Zm9-", FWS, B64_EBYTE, NULL, 3}, /* base64url is not */
	    {"Zm9_", FWS, B64_EBYTE, NULL, 3},
	    {"====", FWS, B64_EPAD, NULL, 2},
	    /* RFC 2047 words: padding optional, no blanks */
	    {"w6l0w6k", NOPAD, B64_OK, "\xc3\xa9t\xc3\xa9", 0},
	    {"w6l0w6k=", NOPAD, B64_OK, "\xc3\xa9t\xc3\xa9", 0},
	    {"6Q==", NOPAD, B64_OK, "\xe9", 0},
	    {"QUI", NOPAD, B64_OK, "AB", 0},
	    {"Q", NOPAD, B64_OK, "", 0},
	    {"QU I", NOPAD, B64_EBYTE, NULL, 2},
	    {"QUI\n", NOPAD, B64_EBYTE, NULL, 3},
	    {"QQ===", NOPAD, B64_EPAD, NULL, 4},
	};
	unsigned char out[64];
	size_t i, len, n, off;
	enum b64_status st;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = strlen(t[i].in);
		st = b64_decode((const unsigned char *)t[i].in, len, t[i].flags,
				out, sizeof(out), &n, &off);
		if (st != t[i].want)
			fail_msg("\"%s\" flags %u: got %s, want %s", t[i].in,
				 t[i].flags, b64_strerror(st),
				 b64_strerror(t[i].want));
		if (st == B64_OK &&
		    (n != strlen(t[i].out) || memcmp(out, t[i].out, n) != 0))
			fail_msg("\"%s\": got %zu bytes \"%.*s\", want \"%s\"",
				 t[i].in, n, (int)n, (const char *)out,
				 t[i].out);
		if (st != B64_OK && (off != t[i].off || n != 0))
			fail_msg("\"%s\": got offset %zu (%zu bytes), want %zu "
				 "(0)",
				 t[i].in, off, n, t[i].off);
	}
}

/* A NUL is a bad byte like any other, not the end of the text. */
static void
b64_decode_nul_is_a_bad_byte(void **state)
{
	unsigned char out[8];
	size_t n, off;

	assert_int_equal(b64_decode((const unsigned char *)"Zm\0009v", 5,
				    B64_FWS, out, sizeof(out), &n, &off),
			 B64_EBYTE);
	assert_int_equal(off, 2);
}

/* A 2048-bit signature is 256 bytes: out one byte short must say so,
 * never write past it. */
static void
b64_decode_stops_at_outcap(void **state)
{
	static const char in[] = "Zm9vYmFy";
	unsigned char out[8];
	size_t n, off;

	memset(out, 'x', sizeof(out));
	assert_int_equal(
	    b64_decode((const unsigned char *)in, 8, 0, out, 5, &n, &off),
	    B64_ESPACE);
	if (n != 0 || out[5] != 'x')
		fail_msg("got %zu bytes and out[5] %#x, want 0 and 'x'", n,
			 out[5]);
	assert_int_equal(
	    b64_decode((const unsigned char *)in, 8, 0, out, 6, &n, &off),
	    B64_OK);
	assert_int_equal(n, 6);
	assert_true(b64_decoded_max(8) >= 6 && b64_decoded_max(7) >= 5);
}

/* B64_LENIENT reads what SpamAssassin 4.0.1's Util::base64_decode gives
 * (each want was printed by it): junk skipped, padding and anything
 * after the last symbol dropped, a '=' inside read as 'A' when the text
 * is otherwise clean base64 in fours, as '/' when not. */
static void
b64_lenient_reads_as_spamassassin(void **state)
{
	static const struct {
		const char *in;
		const char *want;
		size_t n;
	} t[] = {
	    {"Zm9vYmFy", "foobar", 6},
	    {"Zm9vYg==", "foob", 4},
	    {"Zm9v YmFy", "foobar", 6},
	    {"Zm9v\tYg==\r\n", "foob", 4},
	    {"w6l0w6k", "\xc3\xa9t\xc3\xa9", 5}, /* no padding */
	    {"QUI", "AB", 2},
	    {"Q", "", 0},
	    {"!!", "", 0},
	    {"", "", 0},
	    {"QU!JD", "ABC", 3},  /* junk skipped */
	    {"QQ==!", "A", 1},	  /* junk after the padding */
	    {"QQ=!=", "A", 1},	  /* ... or inside it */
	    {"QQ===", "A", 1},	  /* three '=' */
	    {"QQ=A", "A\0\0", 3}, /* clean, in fours: '=' is 'A' */
	    {"QQ=B", "A\0\1", 3},
	    {"=QQ=", "\1\4", 2},
	    {"QQ==QQ==", "A\0\0A", 4},
	    {"QQ=A!", "A\x0f\xc0", 3}, /* not clean: '=' is '/' */
	    {"QQ=a=", "A\x0f\xda", 3},
	    {"QQ= =A", "A\x0f\xff", 3}, /* five symbols: not in fours */
	};
	unsigned char out[16];
	size_t i, n, off;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (b64_decode((const unsigned char *)t[i].in, strlen(t[i].in),
			       B64_LENIENT, out, sizeof(out), &n,
			       &off) != B64_OK)
			fail_msg("\"%s\": got an error, want OK", t[i].in);
		if (n != t[i].n || memcmp(out, t[i].want, n) != 0)
			fail_msg("\"%s\": got %zu bytes, want %zu (\"%.*s\")",
				 t[i].in, n, t[i].n, (int)t[i].n, t[i].want);
	}
}

/* Lenient refuses nothing but a short out, and writes no further. */
static void
b64_lenient_stops_at_outcap(void **state)
{
	unsigned char out[8];
	size_t n, off;

	memset(out, 'x', sizeof(out));
	assert_int_equal(b64_decode((const unsigned char *)"Zm9v!YmFy", 9,
				    B64_LENIENT, out, 5, &n, &off),
			 B64_ESPACE);
	if (n != 0 || out[5] != 'x')
		fail_msg("got %zu bytes and out[5] %#x, want 0 and 'x'", n,
			 out[5]);
}

static void
b64_encode_vectors(void **state)
{
	static const char *const t[][2] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="},
	    {"fooba", "Zm9vYmE="},
	    {"foobar", "Zm9vYmFy"},
	    {"\xfb\xff\xbf", "+/+/"},
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&b, 0);
		assert_int_equal(buf_adds(&b, "p="), 0);
		assert_int_equal(b64_encode((const unsigned char *)t[i][0],
					    strlen(t[i][0]), &b),
				 0);
		if (strcmp(buf_str(&b) + 2, t[i][1]) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", t[i][0],
				 buf_str(&b) + 2, t[i][1]);
		buf_free(&b);
	}
}

static void
b64_encode_refuses_past_max(void **state)
{
	struct buf b;

	buf_init(&b, 7); /* "Zm9vYmFy" is 8 */
	assert_int_equal(b64_encode((const unsigned char *)"foobar", 6, &b),
			 -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	buf_init(&b, 8);
	assert_int_equal(b64_encode((const unsigned char *)"foobar", 6, &b), 0);
	assert_string_equal(buf_str(&b), "Zm9vYmFy");
	buf_free(&b);
}

/* Every length from 0 to 300 and every byte value: decode(encode(x)) is
 * x under each flag set. */
static void
b64_round_trip(void **state)
{
	static const unsigned flags[] = {0, FWS, NOPAD, FWS | NOPAD,
					 B64_LENIENT};
	unsigned char in[300], out[300];
	size_t len, k, n, off;
	struct buf b;

	for (len = 0; len < sizeof(in); len++)
		in[len] = (unsigned char)(len * 151 + 7);
	for (len = 0; len <= sizeof(in); len++) {
		buf_init(&b, 0);
		assert_int_equal(b64_encode(in, len, &b), 0);
		assert_int_equal(b.len, 4 * ((len + 2) / 3));
		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
			if (b64_decode((const unsigned char *)buf_str(&b),
				       b.len, flags[k], out, sizeof(out), &n,
				       &off) != B64_OK ||
			    n != len || memcmp(in, out, len) != 0)
				fail_msg("length %zu flags %u: got %zu bytes, "
					 "want them back",
					 len, flags[k], n);
		}
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(b64_decode_table),
	    cmocka_unit_test(b64_decode_nul_is_a_bad_byte),
	    cmocka_unit_test(b64_lenient_reads_as_spamassassin),
	    cmocka_unit_test(b64_lenient_stops_at_outcap),
	    cmocka_unit_test(b64_decode_stops_at_outcap),
	    cmocka_unit_test(b64_encode_vectors),
	    cmocka_unit_test(b64_encode_refuses_past_max),
	    cmocka_unit_test(b64_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
