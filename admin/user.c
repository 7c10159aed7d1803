/* admin/user.c - facteur user: mailboxes, their passwords and quotas.
 *
 * SECURITY: the maildir is derived from the checked address, never taken
 * from the command line, and a local part that could walk out of the mail
 * root ('/', a quoted string) is refused here; the schema's CHECKs refuse
 * absolute paths and ".." again. */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "store.h"

const char user_usage[] =
    "usage: facteur user add ADDR [--name NAME] [--quota SIZE] "
    "[--scheme SCHEME] [--password-stdin]\n"
    "       facteur user del ADDR\n"
    "       facteur user list [DOMAIN] [--json]\n"
    "       facteur user passwd ADDR [--scheme SCHEME] [--password-stdin]\n"
    "       facteur user enable ADDR\n"
    "       facteur user disable ADDR\n"
    "       facteur user quota ADDR SIZE      (SIZE: 500M, 2G, 0 = none)\n"
    "The password is asked twice on the terminal, or read as one line\n"
    "from standard input with --password-stdin; never from arguments.\n";

static const char *const user_hidden[] = {"password", NULL};

/* Checks ADDR into canon; for a mailbox (mailbox = 1) refuses local parts
 * unsafe as a directory name. */
static int
user_addr(struct admin *a, const char *s, int mailbox, struct buf *canon)
{
	char err[512];
	const char *at;

	if (chk_address("address", s, canon, err, sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		return ADMIN_USAGE;
	}
	at = strrchr(canon->data, '@');
	if (mailbox &&
	    (canon->data[0] == '"' ||
	     memchr(canon->data, '/', (size_t)(at - canon->data)) != NULL)) {
		admin_errx(a,
			   "address: '%s': a mailbox local part may not be "
			   "quoted nor hold '/'",
			   s);
		return ADMIN_USAGE;
	}
	return ADMIN_OK;
}

static int
user_count_row(void *ctx, int ncols, const char *const *names,
	       const char *const *values)
{
	(*(int *)ctx)++;
	return 0;
}

/* ADMIN_OK if the domain exists, else prints why and returns 2 (or 1). */
static int
user_domain_exists(struct admin *a, const char *addr, const char *domain)
{
	struct store_errbuf err = {{0}};
	int n = 0, rc;

	rc = store_list(a->store, "domains", domain, user_count_row, &n, &err);
	if (rc < 0)
		return admin_store_fail(a, rc, err.msg);
	if (n == 0) {
		admin_errx(a,
			   "user %s: domain %s does not exist; add it "
			   "first with 'facteur domain add %s'",
			   addr, domain, domain);
		return ADMIN_USAGE;
	}
	return ADMIN_OK;
}

/* Fills u from ADDR (must exist). */
static int
user_get(struct admin *a, const char *addr, struct store_user *u)
{
	struct store_errbuf err = {{0}};
	int rc;

	rc = store_user_get(a->store, addr, u, &err);
	if (rc == STORE_NOTFOUND) {
		admin_errx(a, "user %s does not exist", addr);
		return ADMIN_FAIL;
	}
	if (rc != STORE_FOUND)
		return admin_store_fail(a, rc, err.msg);
	return ADMIN_OK;
}

static int
user_fail(struct admin *a, int rc, const char *addr,
	  const struct store_errbuf *err)
{
	char msg[512];

	if (rc == STORE_EDUP)
		snprintf(msg, sizeof(msg), "user %s already exists", addr);
	else if (rc == STORE_ENOENT || rc == STORE_NOTFOUND)
		snprintf(msg, sizeof(msg), "user %s does not exist", addr);
	else
		snprintf(msg, sizeof(msg), "user %s: %s", addr, err->msg);
	return admin_store_fail(a, rc == STORE_NOTFOUND ? STORE_ENOENT : rc,
				msg);
}

/* Checks the options of "user add" before anything is asked. */
static int
user_add_check(struct admin *a, const char *name, const char *quota,
	       long long *bytes)
{
	char err[512];

	if (name &&
	    (chk_utf8_text("--name", name, err, sizeof(err)) < 0 ||
	     (strlen(name) > 200 && snprintf(err, sizeof(err),
					     "--name: "
					     "longer than 200 bytes") > 0))) {
		admin_errx(a, "%s", err);
		return ADMIN_USAGE;
	}
	*bytes = 0;
	if (quota && chk_size("--quota", quota, bytes, err, sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		return ADMIN_USAGE;
	}
	return ADMIN_OK;
}

static int
user_add_store(struct admin *a, struct store_user *u, struct buf *addr,
	       int from_stdin, const char *scheme)
{
	struct store_errbuf err = {{0}};
	struct store_user old;
	struct buf hash, maildir;
	char *at = strrchr(addr->data, '@');
	size_t i;
	int rc;

	if ((rc = user_domain_exists(a, addr->data, at + 1)) != 0)
		return rc;
	rc = store_user_get(a->store, addr->data, &old, &err);
	store_user_clear(&old);
	if (rc == STORE_FOUND)
		return user_fail(a, STORE_EDUP, addr->data, &err);
	if (rc != STORE_NOTFOUND)
		return admin_store_fail(a, rc, err.msg);
	buf_init(&hash, 4096);
	buf_init(&maildir, 1024);
	if ((rc = admin_read_password(a, from_stdin, scheme, &hash)) != 0)
		goto out;
	/* "domain/local/", lowercased: one directory per mailbox whatever
	 * case the address is written in. */
	if (buf_printf(&maildir, "%s/%.*s/", at + 1, (int)(at - addr->data),
		       addr->data) < 0) {
		rc = user_fail(a, STORE_EINVAL, addr->data, &err);
		goto out;
	}
	for (i = 0; i < maildir.len; i++)
		if (maildir.data[i] >= 'A' && maildir.data[i] <= 'Z')
			maildir.data[i] = (char)(maildir.data[i] + 'a' - 'A');
	u->address = addr->data;
	u->domain = at + 1;
	u->password = hash.data;
	u->maildir = maildir.data;
	if ((rc = store_user_add(a->store, u, &err)) != 0)
		rc = user_fail(a, rc, addr->data, &err);
	else
		printf("user %s added (maildir %s)\n", addr->data,
		       maildir.data);
out:
	explicit_bzero(hash.data ? hash.data : "", hash.len);
	buf_free(&hash);
	buf_free(&maildir);
	return rc;
}

static int
user_add(struct admin *a, int argc, char **argv)
{
	const char *pos[1], *name = NULL, *quota = NULL, *scheme = NULL;
	int from_stdin = 0, rc;
	const struct admin_opt opts[] = {
	    {"name", &name, NULL},
	    {"quota", &quota, NULL},
	    {"scheme", &scheme, NULL},
	    {"password-stdin", NULL, &from_stdin},
	};
	struct store_user u;
	struct buf addr;

	if (admin_args(a, argc, argv, opts, 4, pos, 1, 1, user_usage, &rc) < 0)
		return rc;
	memset(&u, 0, sizeof(u));
	u.uid = u.gid = -1;
	u.full_name = (char *)(name ? name : "");
	buf_init(&addr, 1024);
	if ((rc = user_addr(a, pos[0], 1, &addr)) == 0 &&
	    (rc = user_add_check(a, name, quota, &u.quota_bytes)) == 0 &&
	    (rc = admin_store(a, 1)) == 0)
		rc = user_add_store(a, &u, &addr, from_stdin, scheme);
	buf_free(&addr);
	return rc;
}

/* Parses "ADDR [extra...]" for the verbs that change one user. */
static int
user_one(struct admin *a, int argc, char **argv, const struct admin_opt *opts,
	 size_t nopts, const char **pos, size_t npos, struct buf *addr)
{
	int rc;

	if (admin_args(a, argc, argv, opts, nopts, pos, npos, npos, user_usage,
		       &rc) < 0)
		return rc;
	if ((rc = user_addr(a, pos[0], 0, addr)) != 0)
		return rc;
	return admin_store(a, 1);
}

static int
user_del(struct admin *a, int argc, char **argv)
{
	struct store_errbuf err = {{0}};
	const char *pos[1];
	struct buf addr;
	int rc;

	buf_init(&addr, 1024);
	if ((rc = user_one(a, argc, argv, NULL, 0, pos, 1, &addr)) == 0) {
		if ((rc = store_user_del(a->store, addr.data, &err)) != 0)
			rc = user_fail(a, rc, addr.data, &err);
		else
			printf("user %s deleted (its maildir is left on "
			       "disk)\n",
			       addr.data);
	}
	buf_free(&addr);
	return rc;
}

static int
user_passwd(struct admin *a, int argc, char **argv)
{
	struct store_errbuf err = {{0}};
	const char *pos[1], *scheme = NULL;
	int from_stdin = 0, rc;
	const struct admin_opt opts[] = {
	    {"scheme", &scheme, NULL},
	    {"password-stdin", NULL, &from_stdin},
	};
	struct store_user u;
	struct buf addr, hash;

	buf_init(&addr, 1024);
	buf_init(&hash, 4096);
	memset(&u, 0, sizeof(u));
	if ((rc = user_one(a, argc, argv, opts, 2, pos, 1, &addr)) == 0 &&
	    (rc = user_get(a, addr.data, &u)) == 0 &&
	    (rc = admin_read_password(a, from_stdin, scheme, &hash)) == 0) {
		rc = store_user_set_password(a->store, addr.data, hash.data,
					     &err);
		if (rc != 0)
			rc = user_fail(a, rc, addr.data, &err);
		else
			printf("user %s: password changed\n", addr.data);
	}
	store_user_clear(&u);
	explicit_bzero(hash.data ? hash.data : "", hash.len);
	buf_free(&hash);
	buf_free(&addr);
	return rc;
}

static int
user_set_active(struct admin *a, int argc, char **argv, int active)
{
	struct store_errbuf err = {{0}};
	const char *pos[1];
	struct buf addr;
	int rc;

	buf_init(&addr, 1024);
	if ((rc = user_one(a, argc, argv, NULL, 0, pos, 1, &addr)) == 0) {
		rc = store_user_set_active(a->store, addr.data, active, &err);
		if (rc != 0)
			rc = user_fail(a, rc, addr.data, &err);
		else
			printf("user %s %s\n", addr.data,
			       active ? "enabled" : "disabled");
	}
	buf_free(&addr);
	return rc;
}

static int
user_enable(struct admin *a, int argc, char **argv)
{
	return user_set_active(a, argc, argv, 1);
}

static int
user_disable(struct admin *a, int argc, char **argv)
{
	return user_set_active(a, argc, argv, 0);
}

static int
user_quota(struct admin *a, int argc, char **argv)
{
	struct store_errbuf err = {{0}};
	const char *pos[2];
	char msg[512];
	long long bytes;
	struct store_user u;
	struct buf addr;
	int rc;

	buf_init(&addr, 1024);
	memset(&u, 0, sizeof(u));
	if ((rc = user_one(a, argc, argv, NULL, 0, pos, 2, &addr)) != 0)
		goto out;
	if (chk_size("quota", pos[1], &bytes, msg, sizeof(msg)) < 0) {
		admin_errx(a, "%s", msg);
		rc = ADMIN_USAGE;
		goto out;
	}
	if ((rc = user_get(a, addr.data, &u)) != 0)
		goto out;
	rc = store_user_set_quota(a->store, addr.data, bytes, u.quota_messages,
				  &err);
	if (rc != 0)
		rc = user_fail(a, rc, addr.data, &err);
	else
		printf("user %s: quota %lld bytes%s\n", addr.data, bytes,
		       bytes == 0 ? " (unlimited)" : "");
out:
	store_user_clear(&u);
	buf_free(&addr);
	return rc;
}

static int
user_list(struct admin *a, int argc, char **argv)
{
	const char *pos[1];
	char err[512];
	struct buf dom;
	int rc;

	if (admin_args(a, argc, argv, NULL, 0, pos, 0, 1, user_usage, &rc) < 0)
		return rc;
	buf_init(&dom, 1024);
	if (pos[0] &&
	    chk_domain("domain", pos[0], &dom, err, sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		rc = ADMIN_USAGE;
	} else {
		rc = admin_list(a, "users", pos[0] ? dom.data : NULL,
				user_hidden);
	}
	buf_free(&dom);
	return rc;
}

int
user_main(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
	    {"add", user_add},	     {"del", user_del},
	    {"list", user_list},     {"passwd", user_passwd},
	    {"enable", user_enable}, {"disable", user_disable},
	    {"quota", user_quota},
	};

	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
			      user_usage, argc, argv);
}
