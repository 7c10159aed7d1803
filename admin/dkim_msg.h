/* admin/dkim_msg.h - the halves of 'facteur dkim' in dkim_msg.c: the DNS
 * records of a domain's keys (dns, check) and the engine over a message
 * file (sign, verify). Private to admin/dkim*.c. */
#ifndef FACTEUR_ADMIN_DKIM_MSG_H
#define FACTEUR_ADMIN_DKIM_MSG_H

#include <stddef.h>

#include <openssl/evp.h>

struct admin;
struct dk_signkey;
struct dns_resolver;

extern const char dkim_usage[];

/* dns DOMAIN (check 0) / check DOMAIN [--resolver] (check 1). */
int dkim_keys_main(struct admin *a, int argc, char **argv, int check);
/* sign [...] FILE (sign 1) / verify [...] FILE (sign 0). */
int dkim_msg_main(struct admin *a, int argc, char **argv, int sign);

/* Prints "SEL._domainkey.DOMAIN. IN TXT ( "..." "..." )" with the key's
 * record in character-strings of at most 255 bytes. 0 or -1. */
int dkim_print_txt(const char *selector, const char *domain, EVP_PKEY *k);

/* One key's result: name "SEL._domainkey.DOMAIN", bad 0 (published and
 * equal to the key) or 1, detail "ok" or what is wrong. */
typedef void (*dkim_check_fn)(void *ctx, const char *name, int bad,
			      const char *detail);

/* Compares the record published for k with its public key: 0 with "ok",
 * or 1 with the reason ("missing (no TXT record)", "differs from the
 * key", ...) in detail. */
int dkim_check_key(struct dns_resolver *dns, const struct dk_signkey *k,
		   char *detail, size_t len);

/* dkim check for the active keys of domain (NULL: every domain), also
 * used by facteur doctor: fn once per key, a key file that cannot be
 * loaded included (bad 1). *nkeys: keys reported. Returns ADMIN_OK, or
 * an exit status after printing a database error. */
int dkim_check_each(struct admin *a, struct dns_resolver *dns,
		    const char *domain, dkim_check_fn fn, void *ctx,
		    size_t *nkeys);

#endif
