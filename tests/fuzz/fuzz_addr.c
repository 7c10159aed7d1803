/* tests/fuzz/fuzz_addr.c - addr_parse, addr_parse_path (strict and
 * lenient), addr_parse_header and addr_parse_domain on the same input; the
 * low bit of the first byte turns SMTPUTF8 on. Reported parts must lie in
 * the input, a reported hostname must parse again on its own, and a valid
 * mailbox must parse the same as "<mailbox>" and as a header.
 *
 * Round trips (issue 10): the normal form (addr_norm.h) is a fixed point,
 * normalise(normalise(x)) == normalise(x), from the client's path and
 * from Postfix's internal form alike; a mailbox addr_parse accepts prints
 * (addr_canon) to text that parses again and prints the same, and that
 * is what the path normaliser makes of it: parse(print(parse(x))) ==
 * parse(x). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "addr_norm.h"
#include "buf.h"

struct fz {
	size_t size;
	const struct addr_limits *lim;
	struct addr_parts first;
	int n;
};

static void
check(const struct fz *z, const unsigned char *p, const struct addr_parts *pa)
{
	size_t off;

	if (pa->local_off + pa->local_len > z->size || pa->local_len == 0 ||
	    pa->domain_off + pa->domain_len > z->size || pa->domain_len == 0)
		__builtin_trap();
	if (!pa->literal &&
	    addr_parse_domain(p + pa->domain_off, pa->domain_len, z->lim,
			      &off) != ADDR_OK)
		__builtin_trap();
}

static int
each(void *ctx, const unsigned char *p, const struct addr_parts *pa)
{
	struct fz *z = ctx;

	check(z, p, pa);
	if (z->n++ == 0)
		z->first = *pa;
	return 0;
}

/* A mailbox addr_parse accepted, in angle brackets and as a header. */
static void
agree(const uint8_t *data, size_t size, struct fz *z,
      const struct addr_parts *pa)
{
	unsigned char path[300];
	struct addr_parts pp;
	size_t off, end;
	int is_null;

	memcpy(path + 1, data, size);
	path[0] = '<';
	path[size + 1] = '>';
	if (addr_parse_path(path, size + 2, z->lim, 0, &pp, &is_null, &end,
			    &off) != ADDR_OK ||
	    end != size + 2 || pp.local_off != pa->local_off + 1 ||
	    pp.local_len != pa->local_len || pp.domain_len != pa->domain_len)
		__builtin_trap();
	z->n = 0;
	if (addr_parse_header(data, size, z->lim, each, z, &off) != ADDR_OK ||
	    z->n != 1 || memcmp(&z->first, pa, sizeof(*pa)) != 0)
		__builtin_trap();
}

/* normalise(y) == y for a normal form y (is_null, has_domain too). */
static void
fixed_point(const struct buf *y, const struct addr_norm *ny,
	    const struct addr_limits *lim)
{
	struct addr_norm n2;
	struct buf b;
	size_t off;

	buf_init(&b, 4096);
	if (addr_norm_path((const unsigned char *)buf_str(y), y->len, lim, NULL,
			   &b, &n2, &off) != ADDR_OK ||
	    b.len != y->len || memcmp(buf_str(&b), buf_str(y), y->len) != 0 ||
	    n2.has_domain != ny->has_domain || n2.is_null != ny->is_null ||
	    n2.local_len != ny->local_len)
		__builtin_trap();
	buf_free(&b);
}

static void
round_trips(const uint8_t *data, size_t size, const struct addr_limits *lim)
{
	struct addr_parts pa, pc;
	struct addr_norm n;
	struct buf a, c, d;
	size_t off;

	buf_init(&a, 4096);
	buf_init(&c, 4096);
	buf_init(&d, 4096);
	if (addr_norm_path(data, size, lim, NULL, &a, &n, &off) == ADDR_OK &&
	    !n.is_null)
		fixed_point(&a, &n, lim);
	buf_reset(&a);
	if (addr_norm_internal(data, size, lim, NULL, &a, &n, &off) ==
		ADDR_OK &&
	    !n.is_null)
		fixed_point(&a, &n, lim);
	if (addr_parse(data, size, lim, &pa, &off) == ADDR_OK &&
	    addr_canon(data, &pa, &c) == 0) {
		/* print(parse(x)) parses, prints the same, and is what the
		 * path normaliser makes of x. */
		if (addr_parse((const unsigned char *)buf_str(&c), c.len, lim,
			       &pc, &off) != ADDR_OK ||
		    addr_canon((const unsigned char *)buf_str(&c), &pc, &d) !=
			0 ||
		    strcmp(buf_str(&c), buf_str(&d)) != 0 ||
		    pc.literal != pa.literal)
			__builtin_trap();
		buf_reset(&d);
		if (addr_norm_path(data, size, lim, NULL, &d, &n, &off) !=
			ADDR_OK ||
		    strcmp(buf_str(&c), buf_str(&d)) != 0)
			__builtin_trap();
	}
	buf_free(&a);
	buf_free(&c);
	buf_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_limits lim = {0, 0, 0, size > 0 && (data[0] & 1)};
	struct fz z = {size, &lim, {0}, 0};
	struct addr_parts pa;
	size_t off, end;
	int is_null, lenient;

	if (addr_parse(data, size, &lim, &pa, &off) == ADDR_OK) {
		check(&z, data, &pa);
		if (size <= 254)
			agree(data, size, &z, &pa);
	}
	for (lenient = 0; lenient <= 1; lenient++)
		if (addr_parse_path(data, size, &lim, lenient, &pa, &is_null,
				    &end, &off) == ADDR_OK) {
			if (end > size)
				__builtin_trap();
			if (!is_null)
				check(&z, data, &pa);
		}
	if (addr_parse_header(data, size, &lim, each, &z, &off) != ADDR_OK &&
	    off > size)
		__builtin_trap();
	if (addr_parse_domain(data, size, &lim, &off) != ADDR_OK && off > size)
		__builtin_trap();
	round_trips(data, size, &lim);
	return 0;
}
