/* admin/blacklist.c - facteur blacklist sender|recipient: the access(5)
 * style tables facteur-blacklist reads at MAIL FROM / RCPT TO time.
 *
 * The reply text goes on the SMTP wire as is, so it must be one line of
 * printable ASCII (RFC 5321 4.2); the code must be a real 4xx/5xx and the
 * enhanced code's class must agree with it (RFC 3463). */
#include "admin.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "blpolicy.h"
#include "buf.h"
#include "daemon.h"
#include "facteur_build.h"
#include "store.h"

const char blacklist_usage[] =
    "usage: facteur blacklist sender add ADDR|@DOMAIN|DOMAIN|IP[/CIDR]\n"
    "           [--code 554] [--enhanced 5.7.1] [--message TEXT] "
    "[--allow]\n"
    "       facteur blacklist sender del PATTERN\n"
    "       facteur blacklist sender list [--json]\n"
    "       facteur blacklist recipient add ADDR|@DOMAIN|DOMAIN\n"
    "           [--action REJECT|DISCARD|HOLD|OK] [--code 554] "
    "[--enhanced 5.7.1]\n"
    "           [--message TEXT]\n"
    "       facteur blacklist recipient del PATTERN\n"
    "       facteur blacklist recipient list [--json]\n"
    "       facteur blacklist test SENDER [--ip IP] [--rcpt R] [--dns]\n"
    "           [--config FILE]\n"
    "--allow (senders) accepts instead of rejecting (action OK).\n"
    "test shows what facteur-blacklist would do, with its decision code;\n"
    "DNSBL and SPF run only with --dns (settings: [blacklist] of FILE).\n";

struct bl_rule {
	const char *action;
	const char *code_s, *enhanced, *message;
	int code;
};

/* Checks action, code, enhanced code and text together. */
static int
bl_check_reply(struct admin *a, struct bl_rule *r)
{
	char err[512];

	if (strcmp(r->action, "REJECT") != 0 && (r->code_s || r->enhanced)) {
		admin_errx(a, "--code/--enhanced: only for REJECT, not %s",
			   r->action);
		return ADMIN_USAGE;
	}
	if (strcmp(r->action, "OK") == 0 && r->message) {
		admin_errx(a, "--message: an OK (allow) rule sends no reply");
		return ADMIN_USAGE;
	}
	r->code = strcmp(r->action, "REJECT") == 0 ? 554 : 0;
	if (r->code_s &&
	    chk_smtp_code(r->code_s, &r->code, err, sizeof(err)) < 0)
		goto bad;
	if (r->enhanced &&
	    chk_enhanced(r->enhanced, r->code, err, sizeof(err)) < 0)
		goto bad;
	if (r->message &&
	    chk_reply_text("message", r->message, err, sizeof(err)) < 0)
		goto bad;
	return ADMIN_OK;
bad:
	admin_errx(a, "%s", err);
	return ADMIN_USAGE;
}

static int
bl_parse_action(struct admin *a, const char *s, struct bl_rule *r)
{
	static const char *const actions[] = {"REJECT", "DISCARD", "HOLD",
					      "OK"};
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcasecmp(s, actions[i]) == 0) {
			r->action = actions[i];
			return ADMIN_OK;
		}
	admin_errx(a, "--action: '%s' is not REJECT, DISCARD, HOLD or OK", s);
	return ADMIN_USAGE;
}

static int
bl_add(struct admin *a, int argc, char **argv, int recipient_)
{
	struct store_errbuf err = {{0}};
	struct bl_rule r = {"REJECT", NULL, NULL, NULL, 0};
	const char *pos[1], *action = NULL, *kind = NULL;
	char msg[512];
	int allow = 0, rc;
	const struct admin_opt opts[] = {
	    {"code", &r.code_s, NULL},
	    {"enhanced", &r.enhanced, NULL},
	    {"message", &r.message, NULL},
	    {recipient_ ? "action" : "allow", recipient_ ? &action : NULL,
	     recipient_ ? NULL : &allow},
	};
	struct buf pat;

	if (admin_args(a, argc, argv, opts, 4, pos, 1, 1, blacklist_usage,
		       &rc) < 0)
		return rc;
	buf_init(&pat, 1024);
	if (chk_pattern("pattern", pos[0], !recipient_, &pat, &kind, msg,
			sizeof(msg)) < 0) {
		admin_errx(a, "%s", msg);
		rc = ADMIN_USAGE;
		goto out;
	}
	if (allow)
		r.action = "OK";
	if ((action && (rc = bl_parse_action(a, action, &r)) != 0) ||
	    (rc = bl_check_reply(a, &r)) != 0 || (rc = admin_store(a, 1)) != 0)
		goto out;
	rc = store_access_add(a->store, recipient_, pat.data, kind, r.action,
			      r.code, r.enhanced ? r.enhanced : "",
			      r.message ? r.message : "", 1, &err);
	if (rc == STORE_EDUP)
		snprintf(msg, sizeof(msg),
			 "%s blacklist: %s is already "
			 "listed",
			 recipient_ ? "recipient" : "sender", pat.data);
	else
		snprintf(msg, sizeof(msg), "%s blacklist: %s: %s",
			 recipient_ ? "recipient" : "sender", pat.data,
			 err.msg);
	if (rc != 0)
		rc = admin_store_fail(a, rc, msg);
	else if (r.code)
		printf("%s blacklist: %s added (%s %d)\n",
		       recipient_ ? "recipient" : "sender", pat.data, r.action,
		       r.code);
	else
		printf("%s blacklist: %s added (%s)\n",
		       recipient_ ? "recipient" : "sender", pat.data, r.action);
out:
	buf_free(&pat);
	return rc;
}

static int
bl_del(struct admin *a, int argc, char **argv, int recipient_)
{
	struct store_errbuf err = {{0}};
	const char *pos[1], *kind;
	char msg[512];
	struct buf pat;
	int rc;

	if (admin_args(a, argc, argv, NULL, 0, pos, 1, 1, blacklist_usage,
		       &rc) < 0)
		return rc;
	buf_init(&pat, 1024);
	if (chk_pattern("pattern", pos[0], !recipient_, &pat, &kind, msg,
			sizeof(msg)) < 0) {
		admin_errx(a, "%s", msg);
		rc = ADMIN_USAGE;
	} else if ((rc = admin_store(a, 1)) == 0) {
		rc = store_access_del(a->store, recipient_, pat.data, &err);
		if (rc == STORE_ENOENT || rc == STORE_NOTFOUND) {
			admin_errx(a, "%s blacklist: %s is not listed",
				   recipient_ ? "recipient" : "sender",
				   pat.data);
			rc = ADMIN_FAIL;
		} else if (rc != 0) {
			rc = admin_store_fail(a, rc, err.msg);
		} else {
			printf("%s blacklist: %s deleted\n",
			       recipient_ ? "recipient" : "sender", pat.data);
		}
	}
	buf_free(&pat);
	return rc;
}

static int
bl_list(struct admin *a, int argc, char **argv, int recipient_)
{
	const char *pos[1];
	int rc;

	if (admin_args(a, argc, argv, NULL, 0, pos, 0, 0, blacklist_usage,
		       &rc) < 0)
		return rc;
	return admin_list(
	    a, recipient_ ? "recipient_blacklist" : "sender_blacklist", NULL,
	    NULL);
}

/* The [blacklist] section as facteur-blacklist reads it. */
struct bl_test_cfg {
	struct blp_settings pol;
	struct mlt_settings common;
};

static int
bl_test_load(struct admin *a, const char *path, struct bl_test_cfg *c,
	     struct cfg_key *keys, struct cfg_section *sec)
{
	char err[512];
	size_t n;

	memcpy(keys, blp_keys, blp_nkeys * sizeof(*keys));
	n = blp_nkeys + mlt_settings_keys(keys + blp_nkeys,
					  offsetof(struct bl_test_cfg, common));
	sec->name = "blacklist";
	sec->keys = keys;
	sec->nkeys = n;
	sec->base = c;
	if (cfg_load(path ? path : FACTEUR_CONF, sec, 1, path == NULL, err,
		     sizeof(err)) < 0 ||
	    blp_check(&c->pol, err, sizeof(err)) < 0) {
		admin_errx(a, "%s", err);
		return ADMIN_USAGE;
	}
	return ADMIN_OK;
}

static void
bl_test_show(const char *what, const struct blp_outcome *o)
{
	printf("%-10s %s", what, blp_verdict_name(o->verdict));
	if (o->verdict != BLP_PASS)
		printf(": %s", o->match);
	if (o->verdict == BLP_REJECT)
		printf("\n%-10s %s %s %s", "reply:", o->code, o->xcode,
		       o->text);
	else if (o->text[0] != '\0')
		printf(" (%s)", o->text);
	putchar('\n');
	if (o->notes[0] != '\0')
		printf("%-10s %s\n", "warning:", o->notes);
}

static void
bl_test_dns_line(const struct bl_test_cfg *c, int dns)
{
	if (c->pol.nzones == 0)
		printf("%-10s off (dnsbl_zones is empty)\n", "DNSBL:");
	else
		printf("%-10s %zu zone(s), %s\n", "DNSBL:", c->pol.nzones,
		       dns ? "checked" : "skipped (no --dns)");
	if (c->pol.spf_reject == BLP_SPF_NONE)
		printf("%-10s off (spf_reject = none)\n", "SPF:");
	else
		printf("%-10s spf_reject = fail, %s\n",
		       "SPF:", dns ? "checked" : "skipped (no --dns)");
}

static int
bl_test_run(struct admin *a, const struct bl_test_cfg *c, const char *sender,
	    const char *ip, const char *rcpt)
{
	struct store_errbuf err = {{0}};
	struct blp_outcome o;

	printf("sender <%s>, client %s\n", sender, ip ? ip : "(none)");
	if (ip && blp_internal(&c->pol, ip)) {
		printf("%-10s ALLOW: internal_hosts client, no check\n",
		       "MAIL FROM:");
		return ADMIN_OK;
	}
	if (blp_mail(&c->pol, a->store, sender, ip, NULL, &o, &err) < 0)
		return admin_store_fail(a, STORE_EDB, err.msg);
	bl_test_show("MAIL FROM:", &o);
	if (o.verdict != BLP_PASS || rcpt == NULL)
		return ADMIN_OK;
	if (blp_rcpt(&c->pol, a->store, rcpt, &o, &err) < 0)
		return admin_store_fail(a, STORE_EDB, err.msg);
	printf("recipient <%s>\n", rcpt);
	bl_test_show("RCPT TO:", &o);
	return ADMIN_OK;
}

static int
bl_test(struct admin *a, int argc, char **argv)
{
	const char *pos[1], *ip = NULL, *rcpt = NULL, *conf = NULL;
	int dns = 0, rc;
	const struct admin_opt opts[] = {
	    {"ip", &ip, NULL},
	    {"rcpt", &rcpt, NULL},
	    {"dns", NULL, &dns},
	    {"config", &conf, NULL},
	};
	struct cfg_key keys[32];
	struct cfg_section sec;
	struct bl_test_cfg c;
	char err[512];

	if (admin_args(a, argc, argv, opts, 4, pos, 1, 1, blacklist_usage,
		       &rc) < 0)
		return rc;
	memset(&c, 0, sizeof(c));
	if ((rc = bl_test_load(a, conf, &c, keys, &sec)) != 0)
		goto out;
	if ((rc = admin_store(a, 1)) != 0)
		goto out;
	if (blp_init(&c.pol, dns, "localhost", err, sizeof(err)) < 0) {
		admin_errx(a, "DNS: %s", err);
		rc = ADMIN_FAIL;
		goto out;
	}
	bl_test_dns_line(&c, dns);
	rc = bl_test_run(a, &c, strcmp(pos[0], "<>") == 0 ? "" : pos[0], ip,
			 rcpt);
	blp_fini(&c.pol);
out:
	cfg_free(&sec, 1);
	return rc;
}

/* Verbs get argv + 2 of "sender VERB ..."; argv[-2] names the table. */
static int
bl_recipient(char **argv)
{
	return strcmp(argv[-2], "recipient") == 0;
}

static int
bl_add_verb(struct admin *a, int argc, char **argv)
{
	return bl_add(a, argc, argv, bl_recipient(argv));
}

static int
bl_del_verb(struct admin *a, int argc, char **argv)
{
	return bl_del(a, argc, argv, bl_recipient(argv));
}

static int
bl_list_verb(struct admin *a, int argc, char **argv)
{
	return bl_list(a, argc, argv, bl_recipient(argv));
}

int
blacklist_main(struct admin *a, int argc, char **argv)
{
	static const struct admin_verb verbs[] = {
	    {"add", bl_add_verb},
	    {"del", bl_del_verb},
	    {"list", bl_list_verb},
	};
	const char *table = argc > 1 ? argv[1] : NULL;

	if (table == NULL)
		return admin_usage_error(
		    a, blacklist_usage,
		    "blacklist: missing 'sender' or 'recipient'");
	if (strcmp(table, "-h") == 0 || strcmp(table, "--help") == 0 ||
	    strcmp(table, "help") == 0) {
		fputs(blacklist_usage, stdout);
		return ADMIN_OK;
	}
	if (strcmp(table, "test") == 0)
		return bl_test(a, argc - 2, argv + 2);
	if (strcmp(table, "sender") != 0 && strcmp(table, "recipient") != 0)
		return admin_usage_error(
		    a, blacklist_usage,
		    "blacklist: "
		    "unknown table '%s' (sender or recipient)",
		    table);
	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
			      blacklist_usage, argc - 1, argv + 1);
}
