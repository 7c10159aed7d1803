/* tests/admin/pwcheck.c - test helper: does the hash facteur stored for
 * ADDRESS verify PASSWORD with lib/passwd? Exit 0 yes, 1 no, 2 error.
 * Usage: pwcheck DB ADDRESS PASSWORD (test data only: argv is visible). */
#include <stdio.h>

#include "passwd.h"
#include "store.h"

int
main(int argc, char **argv)
{
	struct store_errbuf err = {{0}};
	struct store_user u;
	struct store *s;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: pwcheck DB ADDRESS PASSWORD\n");
		return 2;
	}
	if (store_open(argv[1], STORE_RO, 1000, &s, &err) < 0) {
		fprintf(stderr, "pwcheck: %s\n", err.msg);
		return 2;
	}
	rc = store_user_get(s, argv[2], &u, &err);
	if (rc != STORE_FOUND) {
		fprintf(stderr, "pwcheck: %s: got %d, want found (%s)\n",
			argv[2], rc, err.msg);
		store_free(&s);
		return 2;
	}
	rc = pw_verify(u.password, argv[3]);
	printf("%s\n", rc == 1 ? "match" : rc == 0 ? "mismatch" : "unusable");
	store_user_clear(&u);
	store_free(&s);
	return rc == 1 ? 0 : rc == 0 ? 1 : 2;
}
