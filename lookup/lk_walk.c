/* lookup/lk_walk.c - access(5) search keys; see lk_walk.h. */
#include "lk_walk.h"

#include <string.h>
#include <strings.h>

#include "buf.h"

int
lk_walk_split_ext(const char *key, size_t at, const char *delims,
		  size_t *user_len)
{
	size_t i;

	if (delims == NULL || *delims == '\0')
		return 0;
	/* Postfix: a local part that starts with a delimiter has none. */
	for (i = 1; i < at; i++)
		if (strchr(delims, key[i]) != NULL && key[i] != '\0') {
			*user_len = i;
			return 1;
		}
	return 0;
}

static int
lk_walk_add(struct buf *keys, struct lk_walk *w, const char *a, size_t alen,
	    const char *b, size_t blen)
{
	if (w->n >= LK_WALK_MAX)
		return -1;
	w->off[w->n] = keys->len;
	if (buf_add(keys, a, alen) < 0 || buf_add(keys, b, blen) < 0 ||
	    buf_addc(keys, '\0') < 0)
		return -1;
	w->n++;
	return 0;
}

/* d[0..len) and every parent: "a.b.c", "b.c", "c". Literals alone. */
static int
lk_walk_domain(struct buf *keys, struct lk_walk *w, const char *d, size_t len)
{
	size_t i = 0;

	if (len == 0)
		return 0;
	if (d[0] == '[')
		return lk_walk_add(keys, w, d, len, "", 0);
	while (i < len) {
		if (lk_walk_add(keys, w, d + i, len - i, "", 0) < 0)
			return -1;
		while (i < len && d[i] != '.')
			i++;
		i++; /* past the dot; an empty last label ends the walk */
	}
	return 0;
}

static int
lk_is_ipv4(const char *k, size_t len)
{
	size_t i, dots = 0, digits = 0;

	for (i = 0; i < len; i++) {
		if (k[i] == '.') {
			if (digits == 0)
				return 0;
			dots++;
			digits = 0;
		} else if (k[i] >= '0' && k[i] <= '9') {
			if (++digits > 3)
				return 0;
		} else
			return 0;
	}
	return dots == 3 && digits > 0;
}

/* "1.2.3.4", "1.2.3", "1.2", "1" (smtpd's check_client_access order). */
static int
lk_walk_ipv4(struct buf *keys, struct lk_walk *w, const char *k, size_t len)
{
	size_t end = len;

	for (;;) {
		if (lk_walk_add(keys, w, k, end, "", 0) < 0)
			return -1;
		while (end > 0 && k[end - 1] != '.')
			end--;
		if (end == 0)
			return 0;
		end--;
	}
}

int
lk_walk_access(const char *key, size_t len, const char *delims,
	       const char *null_key, struct buf *keys, struct lk_walk *w)
{
	const char *at;
	size_t atoff, ulen = 0;
	int ext;

	buf_reset(keys);
	w->n = 0;
	if (null_key && *null_key && strlen(null_key) == len &&
	    strncasecmp(key, null_key, len) == 0)
		return lk_walk_add(keys, w, key, len, "", 0);
	at = NULL;
	for (atoff = len; atoff > 0; atoff--)
		if (key[atoff - 1] == '@') {
			at = key + atoff - 1;
			break;
		}
	if (at == NULL) {
		if (lk_is_ipv4(key, len))
			return lk_walk_ipv4(keys, w, key, len);
		if (memchr(key, ':', len) != NULL) /* IPv6: CIDR rows match */
			return lk_walk_add(keys, w, key, len, "", 0);
		return lk_walk_domain(keys, w, key, len);
	}
	atoff = (size_t)(at - key);
	ext = lk_walk_split_ext(key, atoff, delims, &ulen);
	if (lk_walk_add(keys, w, key, len, "", 0) < 0)
		return -1;
	if (ext && lk_walk_add(keys, w, key, ulen, at, len - atoff) < 0)
		return -1;
	if (atoff > 0 && atoff + 1 < len &&
	    lk_walk_add(keys, w, at, len - atoff, "", 0) < 0)
		return -1;
	if (lk_walk_domain(keys, w, at + 1, len - atoff - 1) < 0)
		return -1;
	if (atoff > 0 && atoff + 1 < len) {
		if (lk_walk_add(keys, w, key, atoff + 1, "", 0) < 0)
			return -1;
		if (ext && lk_walk_add(keys, w, key, ulen, "@", 1) < 0)
			return -1;
	}
	return 0;
}
