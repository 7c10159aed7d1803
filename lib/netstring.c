/* lib/netstring.c - netstrings (D. J. Bernstein), as Postfix socketmap
 * speaks them; see netstring.h.
 *
 * SECURITY: the length prefix is attacker-controlled. It is checked against
 * max while its digits are read, so neither the value nor the number of
 * digits examined can grow past max, and no sum below can overflow. */
#include "netstring.h"

#include <stdint.h>

#include "buf.h"

#define NS_DEFAULT_MAX 100000

const char *
ns_strerror(enum ns_status st)
{
	switch (st) {
	case NS_OK:
		return "ok";
	case NS_INCOMPLETE:
		return "incomplete netstring";
	case NS_ESYNTAX:
		return "netstring syntax error";
	case NS_ELIMIT:
		return "netstring too long";
	}
	return "unknown netstring error";
}

enum ns_status
ns_parse(const unsigned char *p, size_t len, size_t max, size_t *off,
	 size_t *plen, size_t *consumed, size_t *err_off)
{
	size_t i, n = 0, d;

	*err_off = 0;
	if (max == 0)
		max = NS_DEFAULT_MAX;
	for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		if (i == 1 && p[0] == '0') {
			*err_off = i; /* leading zero */
			return NS_ESYNTAX;
		}
		d = (size_t)(p[i] - '0');
		if (d > max || n > (max - d) / 10) {
			*err_off = i;
			return NS_ELIMIT;
		}
		n = n * 10 + d;
	}
	if (i == len)
		return NS_INCOMPLETE;
	if (i == 0 || p[i] != ':') {
		*err_off = i;
		return NS_ESYNTAX;
	}
	i++;
	/* i <= len and n <= max, so "len - i" cannot wrap. */
	if (len - i <= n)
		return NS_INCOMPLETE;
	if (p[i + n] != ',') {
		*err_off = i + n;
		return NS_ESYNTAX;
	}
	*off = i;
	*plen = n;
	*consumed = i + n + 1;
	return NS_OK;
}

int
ns_format(struct buf *out, const void *p, size_t n)
{
	char digits[24];
	size_t nd = 0, v = n, k;

	do {
		digits[nd++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (n > SIZE_MAX - nd - 2 || buf_reserve(out, nd + n + 2) != 0)
		return -1;
	/* Room is reserved: the appends below cannot fail. */
	for (k = nd; k > 0; k--)
		if (buf_addc(out, digits[k - 1]) != 0)
			return -1;
	if (buf_addc(out, ':') != 0 || buf_add(out, p, n) != 0 ||
	    buf_addc(out, ',') != 0)
		return -1;
	return 0;
}
