/* lib/passwd.c - Dovecot-compatible password hashes over libxcrypt.
 *
 * Dovecot stores "{SCHEME}hash" and, for the *-CRYPT schemes, checks a
 * password with crypt(3) on the hash. We make hashes the same way, so a
 * row written by `facteur user add` authenticates in Dovecot unchanged,
 * and a hash written by `doveadm pw` verifies here.
 *
 * SECURITY: the salt comes from libxcrypt's own entropy (getentropy/
 * getrandom) when crypt_gensalt_rn is given no random bytes. The work
 * area of crypt_r holds password-derived state and is wiped after use.
 * Comparison is in constant time. */
#include "passwd.h"

#include <crypt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

struct pw_scheme {
	const char *name;   /* Dovecot's scheme name */
	const char *prefix; /* crypt(3) method prefix */
	unsigned long cost; /* 0 = the method's default */
};

/* SHA512-CRYPT keeps crypt's default 5000 rounds (no "rounds=" in the
 * hash), as doveadm pw does. Bcrypt cost 10 instead of crypt's minimal 5.
 * $2y$ is what Dovecot writes and reads for BLF-CRYPT. */
static const struct pw_scheme pw_schemes[] = {
    {"SHA512-CRYPT", "$6$", 0},
    {"SHA256-CRYPT", "$5$", 0},
    {"BLF-CRYPT", "$2y$", 10},
    {"ARGON2ID", "$argon2id$", 0},
};

/* Schemes pw_verify accepts: Dovecot's crypt(3) family. */
static const char *const pw_crypt_names[] = {
    "CRYPT",	 "MD5-CRYPT", "SHA256-CRYPT", "SHA512-CRYPT",
    "BLF-CRYPT", "ARGON2I",   "ARGON2ID",
};

static void __attribute__((format(printf, 3, 4)))
pw_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const struct pw_scheme *
pw_find(const char *scheme)
{
	size_t i;

	if (scheme == NULL)
		return &pw_schemes[0];
	for (i = 0; i < sizeof(pw_schemes) / sizeof(pw_schemes[0]); i++)
		if (strcasecmp(pw_schemes[i].name, scheme) == 0)
			return &pw_schemes[i];
	return NULL;
}

static int
pw_gensalt(const struct pw_scheme *sc, char *salt, size_t saltlen)
{
	return crypt_gensalt_rn(sc->prefix, sc->cost, NULL, 0, salt,
				(int)saltlen) != NULL &&
		       salt[0] != '*'
		   ? 0
		   : -1;
}

int
pw_scheme_available(const char *scheme)
{
	const struct pw_scheme *sc = pw_find(scheme);
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];

	return sc != NULL && pw_gensalt(sc, salt, sizeof(salt)) == 0;
}

/* 0 if password can be hashed: non-empty, one line, crypt-sized. */
static int
pw_check_input(const char *password, char *err, size_t errlen)
{
	size_t n;

	if (password == NULL || *password == '\0') {
		pw_err(err, errlen, "empty password");
		return -1;
	}
	n = strlen(password);
	if (strpbrk(password, "\r\n") != NULL) {
		pw_err(err, errlen, "password contains CR or LF");
		return -1;
	}
	if (n >= CRYPT_MAX_PASSPHRASE_SIZE) {
		pw_err(err, errlen, "password too long (at most %d bytes)",
		       CRYPT_MAX_PASSPHRASE_SIZE - 1);
		return -1;
	}
	return 0;
}

/* crypt_r into a heap work area (it is ~32 KiB: too big for a milter
 * thread's stack), copied to out[0..outlen). 0, or -1. */
static int
pw_crypt(const char *password, const char *setting, char *out, size_t outlen)
{
	struct crypt_data *cd;
	const char *r;
	size_t n;
	int rc = -1;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	r = crypt_r(password, setting, cd);
	if (r != NULL && r[0] != '*' && (n = strlen(r)) < outlen) {
		memcpy(out, r, n + 1);
		rc = 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

int
pw_hash(const char *scheme, const char *password, struct buf *out, char *err,
	size_t errlen)
{
	const struct pw_scheme *sc;
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], hash[CRYPT_OUTPUT_SIZE];

	if ((sc = pw_find(scheme)) == NULL) {
		pw_err(err, errlen, "unknown password scheme %s", scheme);
		return -1;
	}
	if (pw_gensalt(sc, salt, sizeof(salt)) < 0) {
		pw_err(err, errlen,
		       "password scheme %s is not available on "
		       "this system (libxcrypt cannot make it)",
		       sc->name);
		return -1;
	}
	if (pw_check_input(password, err, errlen) < 0)
		return -1;
	if (pw_crypt(password, salt, hash, sizeof(hash)) < 0) {
		pw_err(err, errlen, "crypt failed for scheme %s", sc->name);
		return -1;
	}
	buf_reset(out);
	if (buf_printf(out, "{%s}%s", sc->name, hash) < 0) {
		explicit_bzero(hash, sizeof(hash));
		pw_err(err, errlen, "out of memory");
		return -1;
	}
	explicit_bzero(hash, sizeof(hash));
	return 0;
}

/* The crypt string of stored, or NULL if its scheme is not crypt(3). */
static const char *
pw_crypt_part(const char *stored)
{
	const char *end;
	size_t i, n;

	if (stored[0] != '{')
		return stored;
	if ((end = strchr(stored, '}')) == NULL)
		return NULL;
	n = (size_t)(end - stored - 1);
	for (i = 0; i < sizeof(pw_crypt_names) / sizeof(pw_crypt_names[0]); i++)
		if (strlen(pw_crypt_names[i]) == n &&
		    strncasecmp(pw_crypt_names[i], stored + 1, n) == 0)
			return end + 1;
	return NULL;
}

static int
pw_ct_equal(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), i;
	unsigned char d = 0;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return d == 0;
}

int
pw_verify(const char *stored, const char *password)
{
	char hash[CRYPT_OUTPUT_SIZE];
	const char *c;
	int ok;

	if (stored == NULL || (c = pw_crypt_part(stored)) == NULL ||
	    *c == '\0' || *c == '*')
		return -1;
	if (pw_check_input(password, NULL, 0) < 0)
		return 0;
	if (pw_crypt(password, c, hash, sizeof(hash)) < 0)
		return -1; /* a setting crypt can not use: unusable */
	/* A real hash re-crypts to its own length whatever the password: a
	 * different length means stored is only a setting, or mangled. */
	if (strlen(hash) != strlen(c))
		ok = -1;
	else
		ok = pw_ct_equal(hash, c);
	explicit_bzero(hash, sizeof(hash));
	return ok;
}
