/* lib/netstring.h - netstrings ("12:hello world!,"), as Postfix socketmap
 * speaks them. Pure; thread-safe. */
#ifndef FACTEUR_LIB_NETSTRING_H
#define FACTEUR_LIB_NETSTRING_H

#include <stddef.h>

struct buf;

enum ns_status {
	NS_OK,
	NS_INCOMPLETE, /* need more bytes: not an error on a stream */
	NS_ESYNTAX,    /* bad byte at *err_off */
	NS_ELIMIT,     /* declared length > max */
};

/* Parses one netstring at the start of p[0..len). max 0 = 100000. On NS_OK
 * the payload is p[*off .. *off + *plen) and the netstring ends at
 * p + *consumed. A length with leading zeros ("01:") is a syntax error. */
__attribute__((warn_unused_result)) enum ns_status
ns_parse(const unsigned char *p, size_t len, size_t max, size_t *off,
	 size_t *plen, size_t *consumed, size_t *err_off);

/* Appends the netstring of p[0..n) to out. 0 or -1 (out full). */
__attribute__((warn_unused_result)) int ns_format(struct buf *out,
						  const void *p, size_t n);

const char *ns_strerror(enum ns_status st);

#endif
