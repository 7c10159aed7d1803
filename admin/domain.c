/* admin/domain.c - facteur domain: the virtual mailbox domains. */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "store.h"

const char domain_usage[] = "usage: facteur domain add NAME [--default]\n"
			    "       facteur domain del NAME\n"
			    "       facteur domain list [--json]\n"
			    "       facteur domain enable NAME\n"
			    "       facteur domain disable NAME\n";

/* Parses the one NAME argument into name (lowercased). */
static int
domain_arg(struct admin *a, int argc, char **argv, const struct admin_opt *opts,
	   size_t nopts, struct buf *name)
{
	const char *pos[1];
	char err[512];
	int rc;

	if (admin_args(a, argc, argv, opts, nopts, pos, 1, 1, domain_usage,
		       &rc) < 0)
		return rc;
	if (chk_domain("domain", pos[0], name, err, sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		return ADMIN_USAGE;
	}
	return admin_store(a, 1);
}

static int
domain_fail(struct admin *a, int rc, const char *name,
	    const struct store_errbuf *err)
{
	char msg[512];

	if (rc == STORE_EDUP)
		snprintf(msg, sizeof(msg), "domain %s already exists", name);
	else if (rc == STORE_ENOENT || rc == STORE_NOTFOUND)
		snprintf(msg, sizeof(msg), "domain %s does not exist", name);
	else if (rc == STORE_EINUSE)
		snprintf(msg, sizeof(msg), "%s; delete them first", err->msg);
	else
		snprintf(msg, sizeof(msg), "domain %s: %s", name, err->msg);
	return admin_store_fail(a, rc == STORE_NOTFOUND ? STORE_ENOENT : rc,
				msg);
}

static int
domain_add(struct admin *a, int argc, char **argv)
{
	struct store_errbuf err = {{0}};
	int def = 0, rc;
	const struct admin_opt opts[] = {{"default", NULL, &def}};
	struct buf name;

	buf_init(&name, 1024);
	if ((rc = domain_arg(a, argc, argv, opts, 1, &name)) == 0) {
		rc = store_domain_add(a->store, name.data, def, &err);
		if (rc != 0)
			rc = domain_fail(a, rc, name.data, &err);
		else
			printf("domain %s added\n", name.data);
	}
	buf_free(&name);
	return rc;
}

static int
domain_del(struct admin *a, int argc, char **argv)
{
	struct store_errbuf err = {{0}};
	struct buf name;
	int rc;

	buf_init(&name, 1024);
	if ((rc = domain_arg(a, argc, argv, NULL, 0, &name)) == 0) {
		rc = store_domain_del(a->store, name.data, &err);
		if (rc != 0)
			rc = domain_fail(a, rc, name.data, &err);
		else
			printf("domain %s deleted\n", name.data);
	}
	buf_free(&name);
	return rc;
}

static int
domain_set_active(struct admin *a, int argc, char **argv, int active)
{
	struct store_errbuf err = {{0}};
	struct buf name;
	int rc;

	buf_init(&name, 1024);
	if ((rc = domain_arg(a, argc, argv, NULL, 0, &name)) == 0) {
		rc = store_domain_set_active(a->store, name.data, active, &err);
		if (rc != 0)
			rc = domain_fail(a, rc, name.data, &err);
		else
			printf("domain %s %s\n", name.data,
			       active ? "enabled" : "disabled");
	}
	buf_free(&name);
	return rc;
}

static int
domain_enable(struct admin *a, int argc, char **argv)
{
	return domain_set_active(a, argc, argv, 1);
}

static int
domain_disable(struct admin *a, int argc, char **argv)
{
	return domain_set_active(a, argc, argv, 0);
}

/* Prints one table of the store; shared by every noun's list verb. */
int
admin_list(struct admin *a, const char *table, const char *where,
	   const char *const *skip)
{
	struct store_errbuf err = {{0}};
	struct out o;
	int rc;

	if ((rc = admin_store(a, 1)) != 0)
		return rc;
	out_init(&o, a->json, skip, stdout);
	rc = store_list(a->store, table, where, out_row, &o, &err);
	if (rc < 0) {
		out_free(&o);
		return admin_store_fail(a, rc, err.msg);
	}
	rc = out_finish(&o);
	out_free(&o);
	if (rc < 0) {
		admin_errx(a, "%s: out of memory", table);
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

static int
domain_list(struct admin *a, int argc, char **argv)
{
	const char *pos[1];
	int rc;

	if (admin_args(a, argc, argv, NULL, 0, pos, 0, 0, domain_usage, &rc) <
	    0)
		return rc;
	return admin_list(a, "domains", NULL, NULL);
}

int
domain_main(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
	    {"add", domain_add},	 {"del", domain_del},
	    {"list", domain_list},	 {"enable", domain_enable},
	    {"disable", domain_disable},
	};

	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
			      domain_usage, argc, argv);
}

const char *
domain_row_enabled(int ncols, const char *const *names,
		   const char *const *values)
{
	const char *name = NULL;
	int i, active = 0;

	for (i = 0; i < ncols; i++) {
		if (values[i] == NULL)
			continue;
		if (strcmp(names[i], "name") == 0)
			name = values[i];
		else if (strcmp(names[i], "active") == 0)
			active = strcmp(values[i], "1") == 0;
	}
	return active ? name : NULL;
}
