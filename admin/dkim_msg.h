/* admin/dkim_msg.h - the halves of 'facteur dkim' in dkim_msg.c: the DNS
 * records of a domain's keys (dns, check) and the engine over a message
 * file (sign, verify). Private to admin/dkim*.c. */
#ifndef FACTEUR_ADMIN_DKIM_MSG_H
#define FACTEUR_ADMIN_DKIM_MSG_H

#include <openssl/evp.h>

struct admin;

extern const char dkim_usage[];

/* dns DOMAIN (check 0) / check DOMAIN [--resolver] (check 1). */
int dkim_keys_main(struct admin *a, int argc, char **argv, int check);
/* sign [...] FILE (sign 1) / verify [...] FILE (sign 0). */
int dkim_msg_main(struct admin *a, int argc, char **argv, int sign);

/* Prints "SEL._domainkey.DOMAIN. IN TXT ( "..." "..." )" with the key's
 * record in character-strings of at most 255 bytes. 0 or -1. */
int dkim_print_txt(const char *selector, const char *domain,
    EVP_PKEY *k);

#endif
