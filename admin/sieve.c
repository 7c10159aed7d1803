/* admin/sieve.c - "facteur sieve check FILE...": compiles each Sieve
 * script with the same interpreter facteur-lmtp uses (delivery/sieve) and
 * prints "FILE: OK" or "FILE:LINE:COL: error: MESSAGE" on stdout. Exit 0
 * when every script compiles, 1 when one has an error, 2 on bad usage or
 * an unreadable file.
 *
 * SECURITY: reads the named files with the caller's rights; a script is
 * only compiled, never run, and error text is plain ASCII (sieve.h). */
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sieve.h"

static const char sieve_usage[] =
    "usage: facteur sieve check FILE...\n"
    "\n"
    "Compiles each Sieve script as facteur-lmtp would and prints\n"
    "'FILE: OK' or 'FILE:LINE:COL: error: MESSAGE'. Exit status: 0 all\n"
    "OK, 1 a script has an error, 2 usage error or unreadable file.\n";

/* Reads at most max + 1 bytes, so that a script past the limit is
 * reported by sieve_compile like any other error. */
static int
sieve_read(const char *path, size_t max, struct buf *b)
{
	char chunk[8192];
	size_t n;
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len + n > max + 1)
			n = max + 1 - b->len;
		if (buf_add(b, chunk, n) < 0) {
			errno = ENOMEM;
			rc = -1;
			break;
		}
		if (b->len > max)
			break;
	}
	if (rc == 0 && ferror(f)) {
		errno = EIO;
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* 0 OK, 1 script error, 2 unreadable. */
static int
sieve_check_file(struct admin *a, const char *path)
{
	const size_t max = (size_t)1 << 20; /* sieve_limits default */
	struct sieve_script *s = NULL;
	struct sieve_error err;
	enum sieve_status st;
	struct buf b;

	buf_init(&b, 0);
	if (sieve_read(path, max, &b) < 0) {
		admin_errx(a, "%s: %s", path, strerror(errno));
		buf_free(&b);
		return 2;
	}
	st = sieve_compile((const unsigned char *)buf_str(&b), b.len, NULL, &s,
			   &err);
	buf_free(&b);
	sieve_free(&s);
	if (st == SIEVE_OK) {
		printf("%s: OK\n", path);
		return 0;
	}
	if (err.line > 0)
		printf("%s:%u:%u: error: %s\n", path, err.line, err.col,
		       err.msg);
	else
		printf("%s: error: %s\n", path, err.msg);
	return 1;
}

static int
sieve_check(struct admin *a, int argc, char **argv)
{
	int i, nfiles = 0, only_files = 0, rc = ADMIN_OK, r;

	for (i = 0; i < argc; i++) {
		if (!only_files && strcmp(argv[i], "--") == 0) {
			only_files = 1;
		} else if (!only_files && (strcmp(argv[i], "-h") == 0 ||
					   strcmp(argv[i], "--help") == 0)) {
			fputs(sieve_usage, stdout);
			return ADMIN_OK;
		} else if (!only_files && argv[i][0] == '-') {
			return admin_usage_error(
			    a, sieve_usage, "unknown option '%s'", argv[i]);
		} else {
			nfiles++;
		}
	}
	if (nfiles == 0)
		return admin_usage_error(a, sieve_usage, "missing FILE");
	only_files = 0;
	for (i = 0; i < argc; i++) {
		if (!only_files && strcmp(argv[i], "--") == 0) {
			only_files = 1;
			continue;
		}
		r = sieve_check_file(a, argv[i]);
		if (r == 2)
			rc = ADMIN_USAGE;
		else if (r == 1 && rc == ADMIN_OK)
			rc = ADMIN_FAIL;
	}
	return rc;
}

int
sieve_main(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
	    {"check", sieve_check},
	};

	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
			      sieve_usage, argc, argv);
}
