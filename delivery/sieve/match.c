/* delivery/sieve/match.c - match types (:is, :contains, :matches) over
 * the comparators i;ascii-casemap (RFC 4790: ASCII letters fold, other
 * octets compare as they are) and i;octet, and the imap4flags names.
 *
 * :matches is the iterative wildcard walk that remembers only the last
 * '*': O(len(value) * len(key)) at worst, never exponential, and bounded
 * by SV_MATCH_STEPS; passing the bound is an error, not a guess. '?' is
 * one UTF-8 character under i;ascii-casemap and one octet under i;octet.
 * Pure. */
#include "sieve_int.h"

#include <string.h>
#include <strings.h>

#define SV_MATCH_STEPS ((size_t)1 << 24)

static int
fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
ceq(unsigned char a, unsigned char b, enum sv_cmp c)
{
	return c == SV_CMP_OCTET ? a == b : fold(a) == fold(b);
}

static int
meq(const unsigned char *a, const unsigned char *b, size_t n, enum sv_cmp c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!ceq(a[i], b[i], c))
			return 0;
	return 1;
}

/* Length of the character at v[i]: a UTF-8 sequence under casemap. */
static size_t
charlen(const unsigned char *v, size_t i, size_t len, enum sv_cmp c)
{
	size_t n = 1;

	if (c == SV_CMP_OCTET || v[i] < 0xc0)
		return 1;
	while (i + n < len && n < 4 && (v[i + n] & 0xc0) == 0x80)
		n++;
	return n;
}

static int
glob(const unsigned char *v, size_t vlen, const unsigned char *k, enum sv_cmp c)
{
	size_t klen = strlen((const char *)k), vi = 0, ki = 0, steps = 0;
	size_t star_k = (size_t)-1, star_v = 0, kstep;
	unsigned char kc;

	while (vi < vlen) {
		if (++steps > SV_MATCH_STEPS)
			return -1;
		if (ki < klen && k[ki] == '*') {
			star_k = ++ki;
			star_v = vi;
			continue;
		}
		if (ki < klen && k[ki] == '?') {
			ki++;
			vi += charlen(v, vi, vlen, c);
			continue;
		}
		if (ki < klen) {
			kc = k[ki];
			kstep = 1;
			if (kc == '\\' && ki + 1 < klen) {
				kc = k[ki + 1];
				kstep = 2;
			}
			if (ceq(kc, v[vi], c)) {
				ki += kstep;
				vi++;
				continue;
			}
		}
		if (star_k == (size_t)-1)
			return 0;
		/* Let the last '*' eat one more character and retry. */
		star_v += charlen(v, star_v, vlen, c);
		vi = star_v;
		ki = star_k;
	}
	while (ki < klen && k[ki] == '*')
		ki++;
	return ki == klen;
}

int
sv_match(enum sv_match m, enum sv_cmp c, const char *v, size_t vlen,
	 const char *key)
{
	const unsigned char *uv = (const unsigned char *)v;
	const unsigned char *uk = (const unsigned char *)key;
	size_t klen = strlen(key), i;

	switch (m) {
	case SV_MATCH_IS:
		return vlen == klen && meq(uv, uk, klen, c);
	case SV_MATCH_CONTAINS:
		if (klen > vlen)
			return 0;
		for (i = 0; i + klen <= vlen; i++)
			if (meq(uv + i, uk, klen, c))
				return 1;
		return 0;
	case SV_MATCH_MATCHES:
		return glob(uv, vlen, uk, c);
	}
	return 0;
}

static const char *const sv_flag_names[] = {"\\Seen", "\\Answered", "\\Flagged",
					    "\\Deleted", "\\Draft"};

const char *
sv_flag_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < 5; i++)
		if (bit == 1u << i)
			return sv_flag_names[i];
	return NULL;
}

unsigned
sv_flags_parse(const char *s)
{
	unsigned f = 0;
	size_t n, i;

	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			return f;
		n = strcspn(s, " ");
		for (i = 0; i < 5; i++)
			if (strlen(sv_flag_names[i]) == n &&
			    strncasecmp(s, sv_flag_names[i], n) == 0)
				f |= 1u << i;
		s += n;
	}
}
