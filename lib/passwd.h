/* lib/passwd.h - Dovecot-compatible password hashes (libxcrypt crypt_r).
 *
 * Stored form is Dovecot's "{SCHEME}hash": {SHA512-CRYPT}$6$...,
 * {BLF-CRYPT}$2y$..., {ARGON2ID}$argon2id$... (only where libxcrypt can
 * make it). Salt from getentropy(). Thread-safe. */
#ifndef FACTEUR_LIB_PASSWD_H
#define FACTEUR_LIB_PASSWD_H

#include <stddef.h>

struct buf;

/* Case-insensitive scheme name, or NULL for the default SHA512-CRYPT.
 * Returns 0, or -1 with a message in err (unknown or unavailable scheme,
 * empty password, password with NUL/CR/LF, or crypt failure). */
__attribute__((warn_unused_result)) int pw_hash(const char *scheme,
						const char *password,
						struct buf *out, char *err,
						size_t errlen);

/* 1 if password matches stored ("{SCHEME}..." as above, or a bare crypt
 * string), 0 if not, -1 if stored is unusable. Constant-time compare. */
int pw_verify(const char *stored, const char *password);

/* 1 if the scheme can be produced on this system. */
int pw_scheme_available(const char *scheme);

#endif
