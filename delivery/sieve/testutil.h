/* delivery/sieve/testutil.h - shared by the Sieve unit tests: table rows
 * report every failure ("got X, want Y"), then the test fails once. */
#ifndef FACTEUR_DELIVERY_SIEVE_TESTUTIL_H
#define FACTEUR_DELIVERY_SIEVE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sieve.h"

static int nfail;
#define BAD(...)                                                               \
	do {                                                                   \
		print_error(__VA_ARGS__);                                      \
		print_error("\n");                                             \
		nfail++;                                                       \
	} while (0)

static inline void
done(void)
{
	int n = nfail;

	nfail = 0;
	if (n != 0)
		fail_msg("%d case(s) failed", n);
}

static inline const char *
st_name(enum sieve_status st)
{
	static const char *const names[] = {
	    "SIEVE_OK",	    "SIEVE_ESYNTAX",  "SIEVE_EUNSUPPORTED",
	    "SIEVE_ELIMIT", "SIEVE_ERUNTIME", "SIEVE_ENOMEM"};

	return (unsigned)st < 6 ? names[st] : "?";
}

/* Compiles s (NUL-terminated); NULL on error with err filled. */
static inline struct sieve_script *
compile_str(const char *s, const struct sieve_limits *lim,
	    enum sieve_status *st, struct sieve_error *err)
{
	struct sieve_script *sc = NULL;

	*st = sieve_compile((const unsigned char *)s, strlen(s), lim, &sc, err);
	return sc;
}

#endif
