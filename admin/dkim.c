/* admin/dkim.c - facteur dkim: signing keys (keygen, list, enable,
 * disable, del), the DNS records to publish (dns, check), and the
 * milter's own engine on a message file (sign, verify), like dkimpy's
 * dkimsign/dkimverify.
 *
 * SECURITY: run by root. keygen writes the private key with O_EXCL|
 * O_NOFOLLOW, mode 0600, then gives it to the milter's user ([admin]
 * dkim_user) when that user exists; the database stores only the path.
 * verify and check talk to the configured (or given) DNS resolver only. */
#include "admin.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "buf.h"
#include "dk_crypto.h"
#include "dk_dns.h"
#include "dk_sign.h"
#include "dk_verify.h"
#include "dkim_msg.h"
#include "dns.h"
#include "store.h"

const char dkim_usage[] =
    "usage: facteur dkim keygen DOMAIN [--selector S] [--algorithm "
    "rsa|ed25519]\n"
    "                    [--bits 2048] [--keys-dir DIR]\n"
    "       facteur dkim list [DOMAIN] [--json]\n"
    "       facteur dkim enable|disable|del DOMAIN SELECTOR\n"
    "       facteur dkim dns DOMAIN\n"
    "       facteur dkim check DOMAIN [--resolver IP[@PORT]]\n"
    "       facteur dkim sign [--selector S] [--canon H/B] [--body-length]\n"
    "                    [--expire SECONDS] FILE\n"
    "       facteur dkim verify [--resolver IP[@PORT]]\n"
    "                    [--key-file SEL._domainkey.DOMAIN=FILE] FILE\n"
    "\n"
    "keygen writes DIR/DOMAIN/SELECTOR.key (mode 0600, owned by [admin]\n"
    "dkim_user) and the dkim_keys row, and prints the TXT record. sign\n"
    "prints FILE with its DKIM-Signature fields; verify prints one line\n"
    "per signature (d= s= a= result (reason)) and exits 0 only if all\n"
    "pass. --key-file serves that key record (a file holding the TXT\n"
    "text) instead of DNS.\n";

/* Generates a key pair. */
static EVP_PKEY *
dkim_genkey(int ed25519, long long bits)
{
	if (ed25519)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return EVP_RSA_gen((unsigned int)bits);
}

/* mkdir -p for dir (mode 0750); 0 or -1 with errno. */
static int
dkim_mkdirs(char *dir)
{
	char *p;

	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(dir, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

/* Writes k to path (new file, 0600), owned by user when it exists. */
static int
dkim_write_key(struct admin *a, EVP_PKEY *k, const char *path)
{
	const struct passwd *pw;
	FILE *f;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		admin_errx(a, "%s: %s", path, strerror(errno));
		return -1;
	}
	pw = a->cfg->dkim_user ? getpwnam(a->cfg->dkim_user) : NULL;
	if (pw != NULL && geteuid() == 0 &&
	    fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
		rc = -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		rc = -1;
	} else {
		if (rc == 0 &&
		    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1)
			rc = -1;
		if (fclose(f) != 0)
			rc = -1;
	}
	if (rc < 0) {
		admin_errx(a, "%s: cannot write the key", path);
		unlink(path);
	}
	return rc;
}

static int
dkim_keygen(struct admin *a, int argc, char **argv)
{
	const char *pos[1], *sel = NULL, *alg = "rsa", *bits_s = "2048";
	const char *dir = a->cfg->dkim_keys_dir;
	const struct admin_opt opts[] = {{"selector", &sel, NULL},
					 {"algorithm", &alg, NULL},
					 {"bits", &bits_s, NULL},
					 {"keys-dir", &dir, NULL}};
	struct store_errbuf serr = {{0}};
	char err[512], selbuf[32], path[4096];
	struct buf dom;
	EVP_PKEY *k = NULL;
	long long bits;
	char *end;
	int rc, ed;
	time_t now = time(NULL);

	if (admin_args(a, argc, argv, opts, 4, pos, 1, 1, dkim_usage, &rc) < 0)
		return rc;
	buf_init(&dom, 1024);
	if (chk_domain("domain", pos[0], &dom, err, sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		buf_free(&dom);
		return ADMIN_USAGE;
	}
	ed = strcmp(alg, "ed25519") == 0;
	bits = strtoll(bits_s, &end, 10);
	if ((!ed && strcmp(alg, "rsa") != 0) || *end != '\0' ||
	    (!ed && (bits < 1024 || bits > 8192))) {
		buf_free(&dom);
		return admin_usage_error(a, dkim_usage,
					 "--algorithm rsa|"
					 "ed25519, --bits 1024..8192");
	}
	if (sel == NULL) {
		strftime(selbuf, sizeof(selbuf), ed ? "%Y%me" : "%Y%mr",
			 gmtime(&now));
		sel = selbuf;
	}
	if (chk_local("selector", sel, err, sizeof(err)) < 0 ||
	    strchr(sel, '/') || sel[0] == '.') {
		admin_errx(a, "bad selector '%s'", sel);
		buf_free(&dom);
		return ADMIN_USAGE;
	}
	if ((rc = admin_store(a, 1)) != 0) {
		buf_free(&dom);
		return rc;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, dom.data);
	if (dir[0] != '/' || dkim_mkdirs(path) < 0) {
		admin_errx(a, "%s: %s", path,
			   dir[0] != '/' ? "not absolute" : strerror(errno));
		buf_free(&dom);
		return ADMIN_FAIL;
	}
	snprintf(path, sizeof(path), "%s/%s/%s.key", dir, dom.data, sel);
	rc = ADMIN_FAIL;
	if ((k = dkim_genkey(ed, bits)) == NULL)
		admin_errx(a, "key generation failed");
	else if (dkim_write_key(a, k, path) == 0) {
		rc = store_dkim_add(a->store, dom.data, sel,
				    ed ? "ed25519-sha256" : "rsa-sha256", path,
				    &serr);
		if (rc != 0) {
			unlink(path);
			rc = admin_store_fail(
			    a, rc,
			    rc == STORE_EDUP ? "that selector already exists"
					     : serr.msg);
		} else if (dkim_print_txt(sel, dom.data, k) < 0)
			rc = ADMIN_FAIL;
	}
	EVP_PKEY_free(k);
	buf_free(&dom);
	return rc;
}

static int
dkim_list(struct admin *a, int argc, char **argv)
{
	const char *pos[1] = {NULL};
	int rc;

	if (admin_args(a, argc, argv, NULL, 0, pos, 0, 1, dkim_usage, &rc) < 0)
		return rc;
	return admin_list(a, "dkim_keys", pos[0], NULL);
}

/* enable / disable / del DOMAIN SELECTOR */
static int
dkim_change(struct admin *a, int argc, char **argv, int what)
{
	static const char *const done[] = {"disabled", "enabled", "deleted"};
	struct store_errbuf err = {{0}};
	const char *pos[2];
	int rc;

	if (admin_args(a, argc, argv, NULL, 0, pos, 2, 2, dkim_usage, &rc) < 0)
		return rc;
	if ((rc = admin_store(a, 1)) != 0)
		return rc;
	rc = what == 2
		 ? store_dkim_del(a->store, pos[0], pos[1], &err)
		 : store_dkim_set_active(a->store, pos[0], pos[1], what, &err);
	if (rc != 0)
		return admin_store_fail(a, rc, err.msg);
	printf("dkim key %s of %s %s\n", pos[1], pos[0], done[what]);
	return ADMIN_OK;
}

static int
dkim_disable(struct admin *a, int argc, char **argv)
{
	return dkim_change(a, argc, argv, 0);
}

static int
dkim_enable(struct admin *a, int argc, char **argv)
{
	return dkim_change(a, argc, argv, 1);
}

static int
dkim_del(struct admin *a, int argc, char **argv)
{
	return dkim_change(a, argc, argv, 2);
}

static int
dkim_dns(struct admin *a, int argc, char **argv)
{
	return dkim_keys_main(a, argc, argv, 0);
}

static int
dkim_check(struct admin *a, int argc, char **argv)
{
	return dkim_keys_main(a, argc, argv, 1);
}

static int
dkim_sign(struct admin *a, int argc, char **argv)
{
	return dkim_msg_main(a, argc, argv, 1);
}

static int
dkim_verify(struct admin *a, int argc, char **argv)
{
	return dkim_msg_main(a, argc, argv, 0);
}

int
dkim_main(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
	    {"keygen", dkim_keygen}, {"list", dkim_list},
	    {"enable", dkim_enable}, {"disable", dkim_disable},
	    {"del", dkim_del},	     {"dns", dkim_dns},
	    {"check", dkim_check},   {"sign", dkim_sign},
	    {"verify", dkim_verify},
	};

	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
			      dkim_usage, argc, argv);
}
