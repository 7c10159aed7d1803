/* lib/cidr.h - IPv4/IPv6 addresses, CIDR blocks and CIDR lists: the one
 * parser and matcher behind every internal_hosts setting (cfg's
 * CFG_CIDR_LIST), the blacklist's IP/CIDR rows (lib/access), the DNSBL
 * client check and facteur-lookup's listen addresses.
 *
 * Addresses: "192.0.2.1", "2001:db8::1", with optional "[...]" or an
 * "IPv6:" prefix (as in address literals). inet_pton's syntax: dotted
 * quads only (never "1.2.3" or 0x..). An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1) is the IPv4 address, so a v4 block matches it.
 *
 * Blocks: ADDRESS or ADDRESS/PREFIX, PREFIX a decimal number without a
 * leading zero, 0..32 (IPv4) or 0..128 (IPv6); "::ffff:10.0.0.0/104" is
 * the IPv4 block 10.0.0.0/8. A plain address is a full-length block.
 * Host bits set in the address are cleared, as a mask would.
 *
 * Lists: blocks separated by commas and/or blanks ("127.0.0.0/8, ::1");
 * "" is an empty list; at most CIDR_LIST_MAX blocks.
 *
 * Pure: no I/O, no logging, no statics; thread-safe. */
#ifndef FACTEUR_LIB_CIDR_H
#define FACTEUR_LIB_CIDR_H

#include <stddef.h>

struct cidr_ip {
	int v6; /* 0: IPv4 in b[0..4), 1: IPv6 in b[0..16) */
	unsigned char b[16];
};

struct cidr {
	struct cidr_ip net; /* host bits cleared */
	unsigned prefix;    /* 0..32 or 0..128 */
};

#define CIDR_LIST_MAX 64 /* cidr_strerror says "at most 64" */

struct cidr_list {
	size_t n;
	struct cidr nets[CIDR_LIST_MAX];
};

enum cidr_status {
	CIDR_OK,
	CIDR_EADDR,	     /* not an IPv4 or IPv6 address */
	CIDR_EPREFIX_EMPTY,  /* "192.0.2.0/": nothing after '/' */
	CIDR_EPREFIX_SYNTAX, /* "/24x", "/08", "/ 24": not a plain number */
	CIDR_EPREFIX_RANGE,  /* over 32 (IPv4) or 128 (IPv6) */
	CIDR_ELIMIT,	     /* a list of more than CIDR_LIST_MAX blocks */
};

/* What st means, for error messages ("empty prefix length after '/'").
 * Static. */
const char *cidr_strerror(enum cidr_status st);

/* s[0..len) as an address. 0, or -1 if it is not one. */
__attribute__((warn_unused_result)) int cidr_ip_parse(const char *s, size_t len,
						      struct cidr_ip *out);

/* s[0..len) as a block. CIDR_OK with *out, or why not. */
__attribute__((warn_unused_result)) enum cidr_status
cidr_parse(const char *s, size_t len, struct cidr *out);

/* s[0..len) as a list into *out (n = 0 first). CIDR_OK, or the first bad
 * block's status with s[*err_off .. *err_off + *err_len) its text (for
 * CIDR_ELIMIT, the first block past the limit). On error *out holds the
 * blocks before the bad one. */
__attribute__((warn_unused_result)) enum cidr_status
cidr_list_parse(const char *s, size_t len, struct cidr_list *out,
		size_t *err_off, size_t *err_len);

/* The same, appending to the blocks already in *out (a list that goes
 * on over several configuration lines). */
__attribute__((warn_unused_result)) enum cidr_status
cidr_list_add(const char *s, size_t len, struct cidr_list *out, size_t *err_off,
	      size_t *err_len);

/* 1 if ip is inside c (same family), else 0. */
int cidr_match(const struct cidr *c, const struct cidr_ip *ip);

/* 1 if ip is inside one of l's blocks, else 0. */
int cidr_list_match_ip(const struct cidr_list *l, const struct cidr_ip *ip);

/* 1 if the text address ip (NUL-terminated; NULL or not an address: 0)
 * is inside one of l's blocks, else 0. */
int cidr_list_match(const struct cidr_list *l, const char *ip);

/* 1 if ip is a loopback address (127.0.0.0/8, ::1). */
int cidr_ip_is_loopback(const struct cidr_ip *ip);

#endif
