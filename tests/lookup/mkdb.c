/* tests/lookup/mkdb.c - test-only: creates or changes a facteur database
 * through the store API, from a script of '|'-separated lines:
 *
 *   domain|NAME            domain_off|NAME (added inactive)
 *   user|ADDRESS|MAILDIR   user_off|ADDRESS|MAILDIR   del_user|ADDRESS
 *   alias|KEY|DEST  valias|KEY|DEST  valias_off|KEY|DEST  del_valias|KEY
 *   sender|PATTERN|KIND|ACTION|CODE|ENHANCED|MESSAGE   del_sender|PATTERN
 *   recipient|PATTERN|ACTION|CODE|ENHANCED|MESSAGE     del_recipient|PATTERN
 *
 * usage: mkdb DB [SCRIPT]  (stdin without SCRIPT). Exit 0 or 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define MKDB_MAXF 8

static size_t
mkdb_split(char *line, char **f)
{
	size_t n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < MKDB_MAXF) {
		f[n++] = p;
		if ((p = strchr(p, '|')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

static int
mkdb_user(struct store *s, char **f, int active, struct store_errbuf *e)
{
	struct store_user u;
	const char *at = strchr(f[1], '@');

	memset(&u, 0, sizeof(u));
	u.address = f[1];
	u.domain = at ? (char *)at + 1 : "";
	u.password = "{PLAIN}secret";
	u.maildir = f[2];
	u.uid = u.gid = -1;
	u.active = 1;
	if (store_user_add(s, &u, e) < 0)
		return -1;
	return active ? 0 : store_user_set_active(s, f[1], 0, e);
}

static int
mkdb_line(struct store *s, char **f, size_t n, struct store_errbuf *e)
{
	const char *c = f[0];

	if (strcmp(c, "domain") == 0 && n == 2)
		return store_domain_add(s, f[1], 0, e);
	if (strcmp(c, "domain_off") == 0 && n == 2)
		return store_domain_add(s, f[1], 0, e) < 0
			   ? -1
			   : store_domain_set_active(s, f[1], 0, e);
	if (strcmp(c, "user") == 0 && n == 3)
		return mkdb_user(s, f, 1, e);
	if (strcmp(c, "user_off") == 0 && n == 3)
		return mkdb_user(s, f, 0, e);
	if (strcmp(c, "del_user") == 0 && n == 2)
		return store_user_del(s, f[1], e);
	if (strcmp(c, "alias") == 0 && n == 3)
		return store_alias_add(s, 0, f[1], f[2], 1, e);
	if (strcmp(c, "valias") == 0 && n == 3)
		return store_alias_add(s, 1, f[1], f[2], 1, e);
	if (strcmp(c, "valias_off") == 0 && n == 3)
		return store_alias_add(s, 1, f[1], f[2], 0, e);
	if (strcmp(c, "del_valias") == 0 && n == 2)
		return store_alias_del(s, 1, f[1], NULL, e);
	if (strcmp(c, "sender") == 0 && n == 7)
		return store_access_add(s, 0, f[1], f[2], f[3], atoi(f[4]),
					f[5], f[6], 1, e);
	if (strcmp(c, "recipient") == 0 && n == 6)
		return store_access_add(s, 1, f[1], NULL, f[2], atoi(f[3]),
					f[4], f[5], 1, e);
	if (strcmp(c, "del_sender") == 0 && n == 2)
		return store_access_del(s, 0, f[1], e);
	if (strcmp(c, "del_recipient") == 0 && n == 2)
		return store_access_del(s, 1, f[1], e);
	snprintf(e->msg, sizeof(e->msg), "unknown command or field count");
	return -1;
}

int
main(int argc, char **argv)
{
	struct store_errbuf e = {""};
	struct store *s = NULL;
	char line[2048], *f[MKDB_MAXF];
	FILE *in = stdin;
	int lineno = 0, rc = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mkdb DB [SCRIPT]\n");
		return 1;
	}
	if (argc == 3 && (in = fopen(argv[2], "r")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	if (store_open(argv[1], STORE_RW, 5000, &s, &e) < 0 ||
	    store_migrate(s, NULL, NULL, &e) < 0 || store_begin(s, &e) < 0) {
		fprintf(stderr, "mkdb: %s: %s\n", argv[1], e.msg);
		goto out;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		size_t n;
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		n = mkdb_split(line, f);
		if (mkdb_line(s, f, n, &e) < 0) {
			fprintf(stderr, "mkdb: line %d (%s): %s\n", lineno,
				f[0], e.msg);
			store_rollback(s);
			goto out;
		}
	}
	if (store_commit(s, &e) < 0) {
		fprintf(stderr, "mkdb: commit: %s\n", e.msg);
		goto out;
	}
	rc = 0;
out:
	store_free(&s);
	if (in != stdin)
		fclose(in);
	return rc;
}
