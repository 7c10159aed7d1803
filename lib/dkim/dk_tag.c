/* lib/dkim/dk_tag.c - tag=value lists (RFC 6376 §3.2) and base64.
 * Pure; see dk_tag.h. */
#include "dk_tag.h"

#include <string.h>

#include "base64.h"

static int
dk_tag_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Skips FWS ([*WSP CRLF] 1*WSP, leniently also bare LF folds) from i. */
static size_t
dk_skip_fws(const unsigned char *p, size_t len, size_t i)
{
	for (;;) {
		while (i < len && dk_tag_wsp(p[i]))
			i++;
		if (i + 2 < len && p[i] == '\r' && p[i + 1] == '\n' &&
		    dk_tag_wsp(p[i + 2]))
			i += 2;
		else if (i + 1 < len && p[i] == '\n' && dk_tag_wsp(p[i + 1]))
			i += 1;
		else
			return i;
	}
}

static int
dk_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
dk_namechar(unsigned char c)
{
	return dk_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

static int
dk_valchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

/* Parses one tag-spec at *ip; sets t. */
static enum dk_tag_status
dk_tag_one(const unsigned char *p, size_t len, size_t *ip, struct dk_tag *t,
	   size_t *err_off)
{
	size_t i = *ip, vend;

	i = dk_skip_fws(p, len, i);
	if (i >= len || !dk_alpha(p[i])) {
		*err_off = i;
		return DK_TAG_ESYNTAX;
	}
	t->name = p + i;
	while (i < len && dk_namechar(p[i]))
		i++;
	t->name_len = (size_t)(p + i - t->name);
	i = dk_skip_fws(p, len, i);
	if (i >= len || p[i] != '=') {
		*err_off = i;
		return DK_TAG_ESYNTAX;
	}
	t->eq_off = i++;
	i = dk_skip_fws(p, len, i);
	t->value = p + i;
	t->value_off = i;
	vend = i;
	while (i < len && p[i] != ';') {
		if (dk_valchar(p[i])) {
			vend = ++i;
			continue;
		}
		if (dk_skip_fws(p, len, i) == i) {
			*err_off = i;
			return DK_TAG_ESYNTAX;
		}
		i = dk_skip_fws(p, len, i);
	}
	t->value_len = vend - t->value_off;
	t->spec_end = i;
	*ip = i;
	return DK_TAG_OK;
}

enum dk_tag_status
dk_tag_parse(const unsigned char *p, size_t len,
	     const struct dk_tag_limits *lim, struct dk_tag *tags,
	     size_t maxtags, size_t *ntags, size_t *err_off)
{
	size_t max_tags = lim && lim->max_tags ? lim->max_tags : 64;
	size_t max_len = lim && lim->max_len ? lim->max_len : 65536;
	size_t i = 0, n = 0, k;
	enum dk_tag_status st;

	*ntags = 0;
	*err_off = 0;
	if (max_tags > maxtags)
		max_tags = maxtags;
	if (len > max_len) {
		*err_off = max_len;
		return DK_TAG_ELIMIT;
	}
	for (;;) {
		/* A trailing ';' may be followed by FWS only. */
		if (n > 0 && dk_skip_fws(p, len, i) == len)
			break;
		if (n == max_tags) {
			*err_off = i;
			return DK_TAG_ELIMIT;
		}
		if ((st = dk_tag_one(p, len, &i, &tags[n], err_off)) !=
		    DK_TAG_OK)
			return st;
		for (k = 0; k < n; k++)
			if (tags[k].name_len == tags[n].name_len &&
			    memcmp(tags[k].name, tags[n].name,
				   tags[n].name_len) == 0) {
				*err_off = (size_t)(tags[n].name - p);
				return DK_TAG_EDUP;
			}
		n++;
		if (i >= len)
			break;
		i++; /* the ';' */
	}
	*ntags = n;
	return DK_TAG_OK;
}

const struct dk_tag *
dk_tag_find(const struct dk_tag *tags, size_t n, const char *name)
{
	size_t k, l = strlen(name);

	for (k = 0; k < n; k++)
		if (tags[k].name_len == l && memcmp(tags[k].name, name, l) == 0)
			return &tags[k];
	return NULL;
}

/* RFC 6376 §3.2: base64 in a tag may be folded; its length and padding
 * are strict. */
int
dk_b64_decode(const unsigned char *p, size_t len, unsigned char *out,
	      size_t outcap, size_t *outlen)
{
	size_t off;

	return b64_decode(p, len, B64_FWS, out, outcap, outlen, &off) == B64_OK
		   ? 0
		   : -1;
}

const char *
dk_tag_strerror(enum dk_tag_status st)
{
	switch (st) {
	case DK_TAG_OK:
		return "ok";
	case DK_TAG_ESYNTAX:
		return "tag list syntax error";
	case DK_TAG_EDUP:
		return "duplicate tag";
	case DK_TAG_ELIMIT:
		return "tag list too long";
	}
	return "?";
}
