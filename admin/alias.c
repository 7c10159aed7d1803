/* admin/alias.c - facteur alias and facteur valias: the aliases and
 * virtual_aliases tables (one destination per row; Postfix gets them
 * comma-joined). "valias @domain DEST" is a catch-all. */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "store.h"

const char alias_usage[] =
    "usage: facteur alias add ALIAS DEST\n"
    "       facteur alias del ALIAS [DEST]\n"
    "       facteur alias list [DOMAIN] [--json]\n"
    "ALIAS is local@domain or a bare local part; DEST is an address.\n";

const char valias_usage[] =
    "usage: facteur valias add ADDR|@DOMAIN DEST\n"
    "       facteur valias del ADDR|@DOMAIN [DEST]\n"
    "       facteur valias list [DOMAIN] [--json]\n"
    "@DOMAIN is a catch-all; DEST is an address (or @DOMAIN to map a\n"
    "whole domain onto another).\n";

/* Parses KEY [DEST] (mindest 1: DEST required). */
static int
alias_parse(struct admin *a, int argc, char **argv, int virtual_,
	    size_t mindest, struct buf *key, struct buf *dest, int *has_dest)
{
	const char *usage = virtual_ ? valias_usage : alias_usage;
	const char *pos[2];
	char err[512];
	int rc;

	if (admin_args(a, argc, argv, NULL, 0, pos, 1 + mindest, 2, usage,
		       &rc) < 0)
		return rc;
	if (chk_alias(virtual_ ? "address" : "alias", pos[0], virtual_,
		      !virtual_, key, err, sizeof(err)) < 0 ||
	    (pos[1] &&
	     chk_alias("destination", pos[1], virtual_ && key->data[0] == '@',
		       0, dest, err, sizeof(err)) < 0)) {
		admin_errx(a, "%s", err);
		return ADMIN_USAGE;
	}
	*has_dest = pos[1] != NULL;
	return admin_store(a, 1);
}

/* The verbs get the words after the verb (admin_dispatch passes argv + 2),
 * so argv[-2] is the noun: "alias" or "valias". */
static int
alias_change(struct admin *a, int argc, char **argv, int add)
{
	struct store_errbuf err = {{0}};
	int virtual_ = strcmp(argv[-2], "valias") == 0, has_dest = 0, rc;
	const char *what = virtual_ ? "virtual alias" : "alias";
	struct buf key, dest;

	buf_init(&key, 1024);
	buf_init(&dest, 1024);
	rc = alias_parse(a, argc, argv, virtual_, add ? 1 : 0, &key, &dest,
			 &has_dest);
	if (rc != 0)
		goto out;
	if (add)
		rc = store_alias_add(a->store, virtual_, key.data, dest.data, 1,
				     &err);
	else
		rc = store_alias_del(a->store, virtual_, key.data,
				     has_dest ? dest.data : NULL, &err);
	if (rc == STORE_EDUP)
		admin_errx(a, "%s %s -> %s already exists", what, key.data,
			   dest.data);
	else if (rc == STORE_ENOENT || rc == STORE_NOTFOUND)
		admin_errx(a, "%s %s%s%s does not exist", what, key.data,
			   has_dest ? " -> " : "", has_dest ? dest.data : "");
	else if (rc != 0)
		admin_errx(a, "%s %s: %s", what, key.data, err.msg);
	else
		printf("%s %s%s%s %s\n", what, key.data, has_dest ? " -> " : "",
		       has_dest ? dest.data : "", add ? "added" : "deleted");
	if (rc != 0)
		rc = (rc == STORE_EDUP || rc == STORE_EINVAL) ? ADMIN_USAGE
							      : ADMIN_FAIL;
out:
	buf_free(&key);
	buf_free(&dest);
	return rc;
}

static int
alias_add(struct admin *a, int argc, char **argv)
{
	return alias_change(a, argc, argv, 1);
}

static int
alias_del(struct admin *a, int argc, char **argv)
{
	return alias_change(a, argc, argv, 0);
}

static int
alias_list(struct admin *a, int argc, char **argv)
{
	int virtual_ = strcmp(argv[-2], "valias") == 0, rc;
	const char *pos[1];
	char err[512];
	struct buf dom;

	if (admin_args(a, argc, argv, NULL, 0, pos, 0, 1,
		       virtual_ ? valias_usage : alias_usage, &rc) < 0)
		return rc;
	buf_init(&dom, 1024);
	if (pos[0] &&
	    chk_domain("domain", pos[0], &dom, err, sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		rc = ADMIN_USAGE;
	} else {
		rc = admin_list(a, virtual_ ? "virtual_aliases" : "aliases",
				pos[0] ? dom.data : NULL, NULL);
	}
	buf_free(&dom);
	return rc;
}

int
alias_main(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
	    {"add", alias_add},
	    {"del", alias_del},
	    {"list", alias_list},
	};

	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
			      strcmp(argv[0], "valias") == 0 ? valias_usage
							     : alias_usage,
			      argc, argv);
}
