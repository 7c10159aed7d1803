/* tests/fuzz/fuzz_dk_canon.c - RFC 6376 §3.4 canonicalization on
 * arbitrary bytes. Header: simple is the identity, relaxed is idempotent
 * and leaves no WSP after the ':' or at the end and no line breaks in the
 * value. Body: any cut of the input into update() calls gives the same
 * bytes as one call, and l= gives a prefix of the unlimited output.
 * Selection (the input cut at LFs into fields): every h= name gets a
 * distinct field of that name or -1.
 *
 * The first input byte picks the cuts and the l= value. dk_canon.c is
 * compiled into the target (pure, it needs only lib/buf; dk_sig.c and
 * dk_tag.c for h=) so that fuzzing builds instrument it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../lib/dkim/dk_canon.c"
#include "../../lib/dkim/dk_sig.c"
#include "../../lib/dkim/dk_tag.c"
#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_sink(void *ctx, const unsigned char *p, size_t n)
{
	if (buf_add(ctx, p, n) < 0)
		__builtin_trap();
}

static void
fz_header(const uint8_t *p, size_t n)
{
	struct buf s, r, r2;
	const char *colon;
	size_t k;

	buf_init(&s, 1 << 16);
	buf_init(&r, 1 << 16);
	buf_init(&r2, 1 << 16);
	if (dk_field_name_len(p, n) > n)
		__builtin_trap();
	if (dk_canon_header(DK_C_SIMPLE, p, n, 1, &s) < 0 || s.len != n + 2 ||
	    (n > 0 && memcmp(s.data, p, n) != 0) ||
	    memcmp(s.data + n, "\r\n", 2) != 0)
		__builtin_trap();
	if (dk_canon_header(DK_C_RELAXED, p, n, 0, &r) == 0) {
		if (memchr(p, ':', n) == NULL)
			__builtin_trap();
		if (r.len == 0 || (colon = memchr(r.data, ':', r.len)) == NULL)
			__builtin_trap();
		k = (size_t)(colon - r.data) + 1;
		if ((k < r.len && (r.data[k] == ' ' || r.data[k] == '\t')) ||
		    (r.len > k &&
		     (r.data[r.len - 1] == ' ' || r.data[r.len - 1] == '\t')) ||
		    memchr(colon, '\r', r.len - k + 1) != NULL ||
		    memchr(colon, '\n', r.len - k + 1) != NULL)
			__builtin_trap();
		if (dk_canon_header(DK_C_RELAXED, (const unsigned char *)r.data,
				    r.len, 0, &r2) < 0 ||
		    r2.len != r.len || memcmp(r.data, r2.data, r.len) != 0)
			__builtin_trap();
	} else if (memchr(p, ':', n) != NULL) {
		__builtin_trap();
	}
	buf_free(&s);
	buf_free(&r);
	buf_free(&r2);
}

static void
fz_body(enum dk_canon c, uint8_t sel, const uint8_t *p, size_t n)
{
	struct buf one, cut, lim;
	struct dk_body b;
	size_t a = n ? (size_t)(sel & 0x0f) % (n + 1) : 0;
	size_t z = n ? a + (size_t)(sel >> 4) * 7 % (n - a + 1) : 0;
	long long l = (long long)sel * 3;

	buf_init(&one, 1 << 20);
	buf_init(&cut, 1 << 20);
	buf_init(&lim, 1 << 20);
	dk_body_init(&b, c, -1, fz_sink, &one);
	dk_body_update(&b, p, n);
	dk_body_final(&b);
	dk_body_init(&b, c, -1, fz_sink, &cut);
	dk_body_update(&b, p, a);
	dk_body_update(&b, p + a, z - a);
	dk_body_update(&b, p + z, n - z);
	dk_body_final(&b);
	if (one.len != cut.len ||
	    (one.len > 0 && memcmp(one.data, cut.data, one.len) != 0) ||
	    b.total != one.len)
		__builtin_trap();
	if (one.len > 0 &&
	    (one.len < 2 || memcmp(one.data + one.len - 2, "\r\n", 2) != 0))
		__builtin_trap();
	dk_body_init(&b, c, l, fz_sink, &lim);
	dk_body_update(&b, p, n);
	dk_body_final(&b);
	if (lim.len != ((size_t)l < one.len ? (size_t)l : one.len) ||
	    (lim.len > 0 && memcmp(lim.data, one.data, lim.len) != 0) ||
	    b.total != one.len)
		__builtin_trap();
	buf_free(&one);
	buf_free(&cut);
	buf_free(&lim);
}

static void
fz_select(const uint8_t *p, size_t n)
{
	static const unsigned char sigv[] =
	    "v=1; a=rsa-sha256; d=a.test; "
	    "s=s; h=from:to:subject:from:x; bh=AAAA; b=AAAA";
	struct dk_field f[32];
	struct dk_sig sig;
	unsigned char used[32];
	long sel[8];
	const char *why, *name;
	const unsigned char *nl;
	size_t nf = 0, off, k, j, len;

	while (n > 0 && nf < 32) {
		nl = memchr(p, '\n', n);
		len = nl ? (size_t)(nl - p) : n;
		f[nf].p = p;
		f[nf].len = len;
		f[nf].name_len = dk_field_name_len(p, len);
		nf++;
		p += nl ? len + 1 : len;
		n -= nl ? len + 1 : len;
	}
	if (dk_sig_parse(sigv, sizeof(sigv) - 1, &sig, &why, &off) !=
		DK_SIG_OK ||
	    sig.nh != 5)
		__builtin_trap();
	dk_select(f, nf, &sig, sel, used);
	for (k = 0; k < sig.nh; k++) {
		if (sel[k] == -1)
			continue;
		if (sel[k] < 0 || (size_t)sel[k] >= nf ||
		    dk_sig_hname(&sig, k, &name, &len) < 0 ||
		    f[sel[k]].name_len != len ||
		    strncasecmp((const char *)f[sel[k]].p, name, len) != 0)
			__builtin_trap();
		for (j = 0; j < k; j++)
			if (sel[j] == sel[k])
				__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 1 << 16)
		return 0;
	fz_header(data + 1, size - 1);
	fz_select(data + 1, size - 1);
	fz_body(DK_C_SIMPLE, data[0], data + 1, size - 1);
	fz_body(DK_C_RELAXED, data[0], data + 1, size - 1);
	return 0;
}
