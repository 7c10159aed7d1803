/* milters/dkim/dkim_conf.c - facteur-dkim settings, startup checks and
 * init: the [dkim] keys, internal_hosts, the keyring from the database,
 * and the DNS/SPF/DMARC contexts.
 *
 * SECURITY: runs as root before the privilege drop; key files are opened
 * here and refused unless 0600 and owned by root or the [dkim] user. */
#include "dkim.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon.h"
#include "dk_key.h"
#include "dmarc.h"
#include "dns.h"
#include "log.h"
#include "spf.h"
#include "store.h"

#define E(f) offsetof(struct dkim_settings, f)
const struct cfg_key dkim_keys[] = {
    {"authserv_id", CFG_STR, NULL, 0, 0, E(authserv_id), NULL,
     "authserv-id of our Authentication-Results (default: hostname)"},
    {"internal_hosts", CFG_CIDR_LIST, "127.0.0.0/8, ::1", 0, 0,
     E(internal_hosts), NULL, "clients whose mail is signed (CIDR list)"},
    {"sign_daemons", CFG_LIST, "ORIGINATING", 0, 0, E(sign_daemons), NULL,
     "{daemon_name} values whose mail is signed"},
    {"canonicalization", CFG_ENUM, "relaxed/relaxed", 0, 0, E(canonicalization),
     "relaxed/relaxed|relaxed/simple|simple/relaxed|"
     "simple/simple",
     "c= of our signatures (header/body)"},
    {"expire", CFG_DURATION, "0", 0, 0, E(expire), NULL,
     "signature lifetime for x= (0: no x=)"},
    {"body_length", CFG_BOOL, "no", 0, 0, E(body_length), NULL,
     "add l= to signatures"},
    {"max_signatures", CFG_INT, "5", 1, 50, E(max_signatures), NULL,
     "DKIM-Signature fields verified per message"},
    {"resolver", CFG_STR, NULL, 0, 0, E(resolver), NULL,
     "DNS server IP[@PORT] (default: /etc/resolv.conf)"},
    {"dns_timeout", CFG_DURATION, "5s", 100, 60000, E(dns_timeout), NULL,
     "DNS timeout per query"},
    {"spf", CFG_BOOL, "yes", 0, 0, E(spf), NULL, "check SPF"},
    {"dmarc", CFG_BOOL, "yes", 0, 0, E(dmarc), NULL, "evaluate DMARC"},
    {"dmarc_reject", CFG_BOOL, "no", 0, 0, E(dmarc_reject), NULL,
     "reject DMARC failures of p=reject domains (550 5.7.1)"},
    {"require_valid_from", CFG_BOOL, "no", 0, 0, E(require_valid_from), NULL,
     "reject inbound mail without exactly one valid From mailbox "
     "(550 5.7.1)"},
    {"public_suffix_list", CFG_STR, NULL, 0, 0, E(psl), NULL,
     "Public Suffix List (default: Debian's publicsuffix)"},
};
#undef E
const size_t dkim_nkeys = sizeof(dkim_keys) / sizeof(dkim_keys[0]);

static int dkim_check_keys(struct dkim_settings *s, char *err, size_t errlen);

int
dkim_check(void *base, char *err, size_t errlen)
{
	struct dkim_settings *s = base;
	char host[256];

	if (s->authserv_id == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		if ((s->authserv_id = strdup(host)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (strpbrk(s->authserv_id, " \t;()\"\r\n") != NULL ||
	    *s->authserv_id == '\0') {
		snprintf(err, errlen, "[dkim] authserv_id: not a token");
		return -1;
	}
	/* at a start, a key refused costs that key only (dkim_load_key);
	 * --check-config says so, since the daemon would sign without it */
	if (mlt_check_config_only)
		return dkim_check_keys(s, err, errlen);
	return 0;
}

struct dkim_load {
	struct dkim_settings *s;
	uid_t owner;
	size_t bad;
	char first[640]; /* --check-config: the first key refused */
};

/* One key: a file we refuse (mode, owner, not a key) costs that key
 * only. It is named with the reason, and the others still load: one
 * mistyped chmod must not stop every signature, nor defer inbound mail
 * by keeping the milter down. Mail of that domain leaves unsigned (or
 * signed with its other selectors) until the file is fixed. */
static int
dkim_load_key(void *ctx, const struct store_dkim_key *k)
{
	struct dkim_load *l = ctx;
	char why[512];

	if (dk_keyring_add(&l->s->kr, k->domain, k->selector, k->key_path,
			   l->owner, why, sizeof(why)) < 0) {
		log_err("dkim: key %s for %s skipped: %s", k->selector,
			k->domain, why);
		l->bad++;
		return 0;
	}
	log_info("dkim: key %s for %s (%s)", k->selector, k->domain,
		 k->algorithm);
	return 0;
}

/* --check-config: each active key file as dkim_init_keys will load it
 * (as root, mode 0600, owner root or the milter's user). The first one
 * refused is the error. */
static int
dkim_check_key(void *ctx, const struct store_dkim_key *k)
{
	struct dkim_load *l = ctx;
	EVP_PKEY *key = NULL;
	enum dk_alg alg;
	char why[512];

	if (dk_key_load(k->key_path, l->owner, &key, &alg, why, sizeof(why)) <
	    0) {
		if (l->bad++ == 0)
			snprintf(l->first, sizeof(l->first),
				 "key %s for %s: "
				 "%s",
				 k->selector, k->domain, why);
		return 0;
	}
	EVP_PKEY_free(key);
	return 0;
}

static int
dkim_check_keys(struct dkim_settings *s, char *err, size_t errlen)
{
	struct store_errbuf serr = {{0}};
	struct store *st = NULL;
	const struct passwd *pw =
	    s->common.user ? getpwnam(s->common.user) : NULL;
	struct dkim_load l = {s, pw ? pw->pw_uid : (uid_t)-1, 0, ""};
	int rc;

	/* the database is doctor's to check; a check before the install is
	 * complete (no database yet, the server not reachable) only warns */
	if (!store_exists(s->db.path))
		return 0;
	if (store_open(s->db.path, STORE_RO, s->db.busy_timeout, &st, &serr) <
	    0) {
		log_warn("dkim: keys not checked: database: %s", serr.msg);
		return 0;
	}
	rc = store_dkim_each(st, NULL, 1, dkim_check_key, &l, &serr);
	store_free(&st);
	if (rc != 0) {
		snprintf(err, errlen, "database: %s",
			 serr.msg[0] != '\0' ? serr.msg
					     : "cannot read dkim_keys");
		return -1;
	}
	if (l.bad == 0)
		return 0;
	snprintf(err, errlen,
		 "[dkim] %zu key(s) the daemon (user %s) would "
		 "not load, so it would not sign with them; the first: %s",
		 l.bad, s->common.user ? s->common.user : "root", l.first);
	return -1;
}

static int
dkim_init_keys(struct dkim_settings *s, char *err, size_t errlen)
{
	struct store_errbuf serr = {{0}};
	struct store *st = NULL;
	const struct passwd *pw =
	    s->common.user ? getpwnam(s->common.user) : NULL;
	struct dkim_load l = {s, pw ? pw->pw_uid : (uid_t)-1, 0, ""};
	int rc;

	if (!store_exists(s->db.path)) {
		log_warn("dkim: no database at %s: verify only", s->db.path);
		return 0;
	}
	if (store_open(s->db.path, STORE_RO, s->db.busy_timeout, &st, &serr) <
	    0) {
		snprintf(err, errlen, "database: %s", serr.msg);
		return -1;
	}
	rc = store_dkim_each(st, NULL, 1, dkim_load_key, &l, &serr);
	store_free(&st);
	if (rc != 0) {
		snprintf(err, errlen, "database: %s",
			 serr.msg[0] != '\0' ? serr.msg
					     : "cannot read dkim_keys");
		return -1;
	}
	if (l.bad > 0)
		log_err("dkim: %zu key(s) skipped, %zu loaded: fix the "
			"files named above and restart",
			l.bad, s->kr.n);
	return 0;
}

int
dkim_init(void *base, char *err, size_t errlen)
{
	struct dkim_settings *s = base;
	struct dns_config dc = {0};

	if (dkim_init_keys(s, err, errlen) < 0)
		return -1;
	dc.server = s->resolver;
	dc.timeout_ms = s->dns_timeout;
	if (dns_resolver_new(&dc, &s->dns, err, errlen) < 0)
		return -1;
	if (s->spf &&
	    spf_new(s->dns, s->authserv_id, &s->spfs, err, errlen) < 0)
		return -1;
	if (s->dmarc && dmarc_psl_load(s->psl, &s->pslp, err, errlen) < 0)
		return -1;
	return 0;
}

void
dkim_fini(void *base)
{
	struct dkim_settings *s = base;

	spf_free(&s->spfs);
	dmarc_psl_free(&s->pslp);
	dns_resolver_free(&s->dns);
	dk_keyring_free(&s->kr);
}
