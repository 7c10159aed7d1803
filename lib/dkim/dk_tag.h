/* lib/dkim/dk_tag.h - RFC 6376 §3.2 tag=value lists and the base64
 * of b=/bh=/p= (with folding whitespace). Pure: no I/O, no logging, no
 * statics; thread-safe. Results are offsets into the input. */
#ifndef FACTEUR_DKIM_DK_TAG_H
#define FACTEUR_DKIM_DK_TAG_H

#include <stddef.h>

struct dk_tag_limits {
	size_t max_tags; /* 0 = 64 (and never more than the caller's array) */
	size_t max_len;	 /* whole list; 0 = 65536 */
};

/* One tag-spec. name/value borrowed from the input. value excludes the
 * FWS around it but keeps FWS inside (h=, b=, z=). spec_end is the offset
 * just before the ';' that ends the spec (or the input's end): deleting
 * [value_off, spec_end) gives the empty b= of RFC 6376 §3.7. */
struct dk_tag {
	const unsigned char *name;
	size_t name_len;
	const unsigned char *value;
	size_t value_len;
	size_t value_off;
	size_t eq_off; /* offset of the '=' */
	size_t spec_end;
};

enum dk_tag_status {
	DK_TAG_OK,
	DK_TAG_ESYNTAX, /* bad byte at *err_off */
	DK_TAG_EDUP,	/* a tag name twice (§3.2: MUST NOT) */
	DK_TAG_ELIMIT,	/* too long or too many tags */
};

/* Parses p[0..len) into tags[0..*ntags). maxtags is the array's size. */
__attribute__((warn_unused_result)) enum dk_tag_status
dk_tag_parse(const unsigned char *p, size_t len,
	     const struct dk_tag_limits *lim, struct dk_tag *tags,
	     size_t maxtags, size_t *ntags, size_t *err_off);

/* The tag named name (case-sensitive, as §3.2 says), or NULL. */
const struct dk_tag *dk_tag_find(const struct dk_tag *tags, size_t n,
				 const char *name);

/* Decodes base64 that may hold FWS (SP, HTAB, CR, LF are skipped) into
 * out[0..*outlen): lib/base64 with B64_FWS. 0, or -1 on a bad character,
 * bad padding or when out (outcap bytes) is too small. */
__attribute__((warn_unused_result)) int
dk_b64_decode(const unsigned char *p, size_t len, unsigned char *out,
	      size_t outcap, size_t *outlen);

const char *dk_tag_strerror(enum dk_tag_status st);

#endif
