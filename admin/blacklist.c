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

#include "buf.h"
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
    "--allow (senders) accepts instead of rejecting (action OK).\n";

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
	if (r->code_s && chk_smtp_code(r->code_s, &r->code, err,
	    sizeof(err)) < 0)
		goto bad;
	if (r->enhanced && chk_enhanced(r->enhanced, r->code, err,
	    sizeof(err)) < 0)
		goto bad;
	if (r->message && chk_reply_text("message", r->message, err,
	    sizeof(err)) < 0)
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
	    r.code, r.enhanced ? r.enhanced : "", r.message ? r.message : "",
	    1, &err);
	if (rc == STORE_EDUP)
		snprintf(msg, sizeof(msg), "%s blacklist: %s is already "
		    "listed", recipient_ ? "recipient" : "sender", pat.data);
	else
		snprintf(msg, sizeof(msg), "%s blacklist: %s: %s",
		    recipient_ ? "recipient" : "sender", pat.data, err.msg);
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
			    recipient_ ? "recipient" : "sender", pat.data);
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
	return admin_list(a, recipient_ ? "recipient_blacklist" :
	    "sender_blacklist", NULL, NULL);
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
		return admin_usage_error(a, blacklist_usage,
		    "blacklist: missing 'sender' or 'recipient'");
	if (strcmp(table, "-h") == 0 || strcmp(table, "--help") == 0 ||
	    strcmp(table, "help") == 0) {
		fputs(blacklist_usage, stdout);
		return ADMIN_OK;
	}
	if (strcmp(table, "sender") != 0 && strcmp(table, "recipient") != 0)
		return admin_usage_error(a, blacklist_usage, "blacklist: "
		    "unknown table '%s' (sender or recipient)", table);
	return admin_dispatch(a, verbs, sizeof(verbs) / sizeof(verbs[0]),
	    blacklist_usage, argc - 1, argv + 1);
}
