/* tests/fuzz/fuzz_dk_taglist.c - the RFC 6376 §3.2 tag-list parser, the
 * base64 decoder and the DKIM-Signature validator on arbitrary bytes.
 * Every tag lies inside the input in order, names are distinct, offsets
 * stay in range, the small limits are honoured, and a parsed signature
 * has NUL-terminated strings and a b= span inside the value.
 *
 * The engine files are compiled into the target (pure, they need only
 * libc) so that fuzzing builds instrument them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../lib/dkim/dk_sig.c"
#include "../../lib/dkim/dk_tag.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_check_tags(const uint8_t *data, size_t size, const struct dk_tag *tags,
	      size_t n)
{
	unsigned char out[64];
	size_t k, j, outlen, prev_end = 0;

	for (k = 0; k < n; k++) {
		const struct dk_tag *t = &tags[k];

		if (t->name_len == 0 || t->name < data ||
		    (size_t)(t->name - data) + t->name_len > t->eq_off ||
		    t->eq_off >= size || data[t->eq_off] != '=' ||
		    t->value_off <= t->eq_off ||
		    t->value != data + t->value_off ||
		    t->value_off + t->value_len > t->spec_end ||
		    t->spec_end > size ||
		    (t->spec_end < size && data[t->spec_end] != ';') ||
		    (k > 0 && (size_t)(t->name - data) <= prev_end))
			__builtin_trap();
		if (memchr(t->value, ';', t->value_len) != NULL)
			__builtin_trap();
		prev_end = t->spec_end;
		for (j = 0; j < k; j++)
			if (tags[j].name_len == t->name_len &&
			    memcmp(tags[j].name, t->name, t->name_len) == 0)
				__builtin_trap();
		if (dk_b64_decode(t->value, t->value_len, out, sizeof(out),
				  &outlen) == 0 &&
		    (outlen > sizeof(out) || outlen > t->value_len))
			__builtin_trap();
	}
}

static void
fz_check_sig(const uint8_t *data, size_t size)
{
	struct dk_sig sig;
	const char *why = NULL, *name;
	size_t off, k, nl;

	if (dk_sig_parse(data, size, &sig, &why, &off) != DK_SIG_OK) {
		if (off > size || why == NULL)
			__builtin_trap();
		return;
	}
	if (memchr(sig.d, '\0', sizeof(sig.d)) == NULL ||
	    memchr(sig.s, '\0', sizeof(sig.s)) == NULL ||
	    memchr(sig.i, '\0', sizeof(sig.i)) == NULL ||
	    memchr(sig.h, '\0', sizeof(sig.h)) == NULL || sig.blen == 0 ||
	    sig.blen > sizeof(sig.b) || sig.bhlen == 0 ||
	    sig.bhlen > sizeof(sig.bh) || sig.b_off > sig.b_end ||
	    sig.b_end > size || sig.nh == 0 ||
	    (sig.t >= 0 && sig.x >= 0 && sig.x < sig.t))
		__builtin_trap();
	for (k = 0; k < sig.nh; k++)
		if (dk_sig_hname(&sig, k, &name, &nl) < 0 || nl == 0 ||
		    name + nl > sig.h + sizeof(sig.h))
			__builtin_trap();
	if (dk_sig_hname(&sig, sig.nh, &name, &nl) == 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_tag tags[8];
	struct dk_tag_limits lim = {6, 512};
	size_t n = 99, off = 0;
	enum dk_tag_status st;

	st = dk_tag_parse(data, size, &lim, tags, 8, &n, &off);
	if (off > size || (st != DK_TAG_OK && n != 0) ||
	    (st == DK_TAG_OK && (n > 6 || size > 512)))
		__builtin_trap();
	if (st == DK_TAG_OK)
		fz_check_tags(data, size, tags, n);
	/* An array smaller than the limit bounds the parse too. */
	st = dk_tag_parse(data, size, NULL, tags, 2, &n, &off);
	if (off > size || (st == DK_TAG_OK && n > 2))
		__builtin_trap();
	fz_check_sig(data, size);
	return 0;
}
