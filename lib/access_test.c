/* lib/access_test.c - the access decision: the access(5) search order
 * (CIDR parsing and matching: lib/cidr_test.c), access(5) replies (codes,
 * enhanced codes, control bytes) and the sender/recipient decisions over
 * a real SQLite store (case, subdomains, allow rows, longest CIDR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "access.h"
#include "buf.h"
#include "store.h"

#define END NULL

static void
check_walk(const char *key, const char *delims, const char *const *want)
{
	struct buf keys;
	struct access_walk w;
	size_t i, n = 0;

	while (want[n])
		n++;
	buf_init(&keys, 0);
	if (access_walk(key, strlen(key), delims, "<>", &keys, &w) < 0)
		fail_msg("\"%s\": got -1, want %zu keys", key, n);
	for (i = 0; i < n || i < w.n; i++) {
		const char *got =
		    i < w.n ? access_walk_key(&keys, &w, i) : "(end)";
		const char *exp = i < n ? want[i] : "(end)";
		if (strcmp(got, exp) != 0)
			fail_msg("\"%s\" key %zu: got \"%s\", want \"%s\"", key,
				 i, got, exp);
	}
	buf_free(&keys);
}

static void
test_address_with_extension_walks_postfix_order(void **state)
{
	static const char *const want[] = {"user+ext@sub.example.org",
					   "user@sub.example.org",
					   "@sub.example.org",
					   "sub.example.org",
					   "example.org",
					   "org",
					   "user+ext@",
					   "user@",
					   END};

	check_walk("user+ext@sub.example.org", "+", want);
}

static void
test_address_without_extension_has_no_duplicates(void **state)
{
	static const char *const want[] = {"bob@example.org",
					   "@example.org",
					   "example.org",
					   "org",
					   "bob@",
					   END};

	check_walk("bob@example.org", "+", want);
}

static void
test_no_delimiter_configured_keeps_plus_in_local_part(void **state)
{
	static const char *const want[] = {"a+b@x.org", "@x.org", "x.org",
					   "org",	"a+b@",	  END};

	check_walk("a+b@x.org", "", want);
}

static void
test_any_of_several_delimiters_splits_at_the_first(void **state)
{
	static const char *const want[] = {"a-b+c@x", "a@x", "@x", "x",
					   "a-b+c@",  "a@",  END};

	check_walk("a-b+c@x", "+-", want);
}

static void
test_leading_delimiter_is_not_an_extension(void **state)
{
	static const char *const want[] = {"+a@x", "@x", "x", "+a@", END};

	check_walk("+a@x", "+", want);
}

static void
test_null_sender_is_looked_up_alone(void **state)
{
	static const char *const want[] = {"<>", END};

	check_walk("<>", "+", want);
}

static void
test_domain_key_walks_parents(void **state)
{
	static const char *const want[] = {"a.b.example.org", "b.example.org",
					   "example.org", "org", END};

	check_walk("a.b.example.org", "+", want);
}

static void
test_ipv4_key_walks_octets_like_check_client_access(void **state)
{
	static const char *const want[] = {"192.0.2.10", "192.0.2", "192.0",
					   "192", END};
	static const char *const want6[] = {"2001:db8::1", END};

	check_walk("192.0.2.10", "+", want);
	check_walk("2001:db8::1", "+", want6);
}

static void
test_catch_all_and_literal_keys(void **state)
{
	static const char *const at[] = {"@example.org", "example.org", "org",
					 END};
	static const char *const lit[] = {"u@[192.0.2.1]", "@[192.0.2.1]",
					  "[192.0.2.1]", "u@", END};

	check_walk("@example.org", "+", at);
	check_walk("u@[192.0.2.1]", "+", lit);
}

static void
test_too_many_labels_is_an_error_not_a_truncation(void **state)
{
	struct buf keys, key;
	struct access_walk w;
	int i;

	buf_init(&keys, 0);
	buf_init(&key, 0);
	for (i = 0; i < ACCESS_WALK_MAX + 1; i++)
		assert_int_equal(buf_adds(&key, "a."), 0);
	assert_int_equal(buf_adds(&key, "org"), 0);
	if (access_walk(key.data, key.len, "+", "<>", &keys, &w) != -1)
		fail_msg("got %zu keys, want -1", w.n);
	buf_free(&keys);
	buf_free(&key);
}

static void
test_access_rows_become_postfix_results(void **state)
{
	static const struct {
		const char *action;
		int code;
		const char *enh, *msg, *want;
	} t[] = {
	    {"REJECT", 554, "5.7.1", "go away", "554 5.7.1 go away"},
	    {"REJECT", 0, "", "", "554 5.7.1 Access denied"},
	    {"reject", 550, "", "spam", "550 5.7.1 spam"},
	    {"REJECT", 450, "", "later", "450 4.7.1 later"},
	    {"REJECT", 450, "5.7.1", "x", "450 4.7.1 x"}, /* class mismatch */
	    {"REJECT", 553, "5.1.8", "bad sender", "553 5.1.8 bad sender"},
	    {"REJECT", 250, "", "x", "554 5.7.1 x"},	/* not a reject */
	    {"REJECT", 554, "5.7", "x", "554 5.7.1 x"}, /* malformed */
	    {"REJECT", 554, "5.7.1x", "x", "554 5.7.1 x"},
	    {"REJECT", 554, "5.7.1", "a\r\nb\tc", "554 5.7.1 a  b c"},
	    {"OK", 0, "", "ignored", "OK"},
	    {"DISCARD", 0, "", "", "DISCARD"},
	    {"DISCARD", 0, "", "bye", "DISCARD bye"},
	    {"HOLD", 0, "", "look", "HOLD look"},
	};
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&b);
		if (access_reply(t[i].action, t[i].code, t[i].enh, t[i].msg,
				 &b) < 0)
			fail_msg("%s %d: got -1, want \"%s\"", t[i].action,
				 t[i].code, t[i].want);
		if (strcmp(buf_str(&b), t[i].want) != 0)
			fail_msg("%s %d %s: got \"%s\", want \"%s\"",
				 t[i].action, t[i].code, t[i].msg, buf_str(&b),
				 t[i].want);
	}
	buf_reset(&b);
	if (access_reply("PREPEND", 0, "", "x", &b) != -1)
		fail_msg("PREPEND: got \"%s\", want -1", buf_str(&b));
	buf_free(&b);
}

static void
test_reply_code_normalises_code_and_enhanced_class(void **state)
{
	static const struct {
		int code;
		const char *enh;
		int want_code;
		const char *want_x;
	} t[] = {
	    {554, "5.7.1", 554, "5.7.1"},    {0, "", 554, "5.7.1"},
	    {0, NULL, 554, "5.7.1"},	     {550, "5.1.8", 550, "5.1.8"},
	    {451, "", 451, "4.7.1"},	     {451, "5.7.1", 451, "4.7.1"},
	    {550, "4.7.1", 550, "5.7.1"},    {600, "5.7.1", 554, "5.7.1"},
	    {399, "", 554, "5.7.1"},	     {550, "5.7.999", 550, "5.7.999"},
	    {550, "5.7.1000", 550, "5.7.1"},
	};
	char x[16];
	size_t i;
	int code;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		access_reply_code(t[i].code, t[i].enh, &code, x);
		if (code != t[i].want_code || strcmp(x, t[i].want_x) != 0)
			fail_msg("%d %s: got %d %s, want %d %s", t[i].code,
				 t[i].enh ? t[i].enh : "(null)", code, x,
				 t[i].want_code, t[i].want_x);
	}
}

/* ---- decisions over a real store ---- */

struct dbfix {
	char dir[512], path[600];
	struct store *s;
};

static int
db_setup(void **state)
{
	struct dbfix *f = calloc(1, sizeof(*f));
	struct store_errbuf err = {{0}};
	const char *tmp = getenv("TMPDIR");
	static const struct {
		int rcpt;
		const char *pat, *kind, *action;
		int code;
		const char *enh, *msg;
	} rows[] = {
	    {0, "spammer@Example.COM", "address", "REJECT", 550, "5.7.1",
	     "exact"},
	    {0, "@bad.example", "address", "REJECT", 0, "", "at-domain"},
	    {0, "evil.example", "domain", "REJECT", 553, "5.1.8", "domain"},
	    {0, "friend@evil.example", "address", "OK", 0, "", ""},
	    {0, "postmaster@", "address", "REJECT", 0, "", "user-at"},
	    {0, "192.0.2.0/24", "ip", "REJECT", 554, "5.7.1", "net24"},
	    {0, "192.0.2.7", "ip", "REJECT", 554, "5.7.1", "host32"},
	    {0, "192.0.2.8/32", "ip", "OK", 0, "", ""},
	    {0, "2001:db8::/32", "ip", "REJECT", 554, "5.7.1", "v6net"},
	    {0, "<>", "address", "REJECT", 0, "", "null"},
	    {1, "nobody@example.org", "address", "REJECT", 550, "5.1.1",
	     "gone"},
	    {1, "@trash.example", "address", "DISCARD", 0, "", ""},
	    {1, "hold.example", "domain", "HOLD", 0, "", "look at it"},
	    {1, "vip@hold.example", "address", "OK", 0, "", ""},
	};
	size_t i;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/access_test.XXXXXX",
		 tmp && *tmp ? tmp : ".");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/facteur.sqlite", f->dir);
	if (store_open(f->path, STORE_RW, 1000, &f->s, &err) < 0 ||
	    store_migrate(f->s, NULL, NULL, &err) < 0) {
		fprintf(stderr, "store: %s\n", err.msg);
		return -1;
	}
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (store_access_add(f->s, rows[i].rcpt, rows[i].pat,
				     rows[i].kind, rows[i].action, rows[i].code,
				     rows[i].enh, rows[i].msg, 1, &err) < 0) {
			fprintf(stderr, "%s: %s\n", rows[i].pat, err.msg);
			return -1;
		}
	*state = f;
	return 0;
}

static int
db_teardown(void **state)
{
	struct dbfix *f = *state;
	char p[700];

	store_free(&f->s);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
test_sender_decisions_follow_the_walk(void **state)
{
	struct dbfix *f = *state;
	static const struct access_cfg qc = {"+", "<>"};
	static const struct {
		const char *sender, *ip;
		enum access_action want;
		const char *pattern, *what;
		int code;
		const char *xcode;
	} t[] = {
	    {"spammer@example.com", NULL, ACCESS_REJECT, "spammer@example.com",
	     "sender", 550, "5.7.1"},
	    {"SPAMMER@EXAMPLE.COM", NULL, ACCESS_REJECT, "spammer@example.com",
	     "sender", 550, "5.7.1"},
	    {"spammer+tag@example.com", NULL, ACCESS_REJECT,
	     "spammer@example.com", "sender", 550, "5.7.1"},
	    {"other@example.com", "198.51.100.1", ACCESS_NONE, NULL, NULL, 0,
	     ""},
	    {"a@bad.example", NULL, ACCESS_REJECT, "@bad.example", "sender",
	     554, "5.7.1"},
	    {"a@sub.bad.example", NULL, ACCESS_NONE, NULL, NULL, 0, ""},
	    {"a@evil.example", NULL, ACCESS_REJECT, "evil.example", "sender",
	     553, "5.1.8"},
	    {"a@deep.sub.EVIL.example", NULL, ACCESS_REJECT, "evil.example",
	     "sender", 553, "5.1.8"},
	    {"friend@evil.example", "192.0.2.7", ACCESS_ALLOW,
	     "friend@evil.example", "sender", 554, "5.7.1"},
	    {"postmaster@anywhere.example", NULL, ACCESS_REJECT, "postmaster@",
	     "sender", 554, "5.7.1"},
	    {"x@ok.example", "192.0.2.9", ACCESS_REJECT, "192.0.2.0/24",
	     "client", 554, "5.7.1"},
	    {"x@ok.example", "192.0.2.7", ACCESS_REJECT, "192.0.2.7", "client",
	     554, "5.7.1"},
	    {"x@ok.example", "192.0.2.8", ACCESS_ALLOW, "192.0.2.8/32",
	     "client", 554, "5.7.1"},
	    {"x@ok.example", "192.0.3.1", ACCESS_NONE, NULL, NULL, 0, ""},
	    {"x@ok.example", "2001:DB8:1::5", ACCESS_REJECT, "2001:db8::/32",
	     "client", 554, "5.7.1"},
	    {"x@ok.example", "2001:db9::5", ACCESS_NONE, NULL, NULL, 0, ""},
	    {"x@ok.example", "::ffff:192.0.2.9", ACCESS_REJECT, "192.0.2.0/24",
	     "client", 554, "5.7.1"},
	    {"", NULL, ACCESS_REJECT, "<>", "sender", 554, "5.7.1"},
	};
	struct store_errbuf err = {{0}};
	struct access_decision d;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (access_check_sender(f->s, &qc, t[i].sender, t[i].ip, &d,
					&err) != 0)
			fail_msg("%s: got -1 (%s), want a decision",
				 t[i].sender, err.msg);
		if (d.action != t[i].want)
			fail_msg("<%s> [%s]: got %s, want %s", t[i].sender,
				 t[i].ip ? t[i].ip : "-",
				 access_action_name(d.action),
				 access_action_name(t[i].want));
		if (t[i].pattern &&
		    (strcasecmp(d.row.pattern, t[i].pattern) != 0 ||
		     strcmp(d.what, t[i].what) != 0))
			fail_msg("<%s>: got %s row \"%s\", want %s \"%s\"",
				 t[i].sender, d.what, d.row.pattern, t[i].what,
				 t[i].pattern);
		if (t[i].want == ACCESS_REJECT &&
		    (d.code != t[i].code || strcmp(d.xcode, t[i].xcode) != 0))
			fail_msg("<%s>: got %d %s, want %d %s", t[i].sender,
				 d.code, d.xcode, t[i].code, t[i].xcode);
		access_decision_clear(&d);
	}
}

static void
test_recipient_decisions_carry_their_action(void **state)
{
	struct dbfix *f = *state;
	static const struct access_cfg qc = {"+", "<>"};
	static const struct {
		const char *rcpt;
		enum access_action want;
	} t[] = {
	    {"nobody@example.org", ACCESS_REJECT},
	    {"Nobody+x@Example.org", ACCESS_REJECT},
	    {"a@trash.example", ACCESS_DISCARD},
	    {"a@sub.trash.example", ACCESS_NONE},
	    {"a@hold.example", ACCESS_HOLD},
	    {"a@b.hold.example", ACCESS_HOLD},
	    {"vip@hold.example", ACCESS_ALLOW},
	    {"alice@example.org", ACCESS_NONE},
	    {"192.0.2.9", ACCESS_NONE}, /* no CIDR rows for recipients */
	};
	struct store_errbuf err = {{0}};
	struct access_decision d;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (access_check_rcpt(f->s, &qc, t[i].rcpt, &d, &err) != 0)
			fail_msg("%s: got -1 (%s), want a decision", t[i].rcpt,
				 err.msg);
		if (d.action != t[i].want)
			fail_msg("%s: got %s, want %s", t[i].rcpt,
				 access_action_name(d.action),
				 access_action_name(t[i].want));
		access_decision_clear(&d);
	}
	if (access_check_rcpt(f->s, &qc, "nobody@example.org", &d, &err) != 0 ||
	    d.code != 550 || strcmp(d.xcode, "5.1.1") != 0 ||
	    strcmp(d.row.message, "gone") != 0)
		fail_msg("nobody@: got %d %s \"%s\", want 550 5.1.1 \"gone\"",
			 d.code, d.xcode, d.row.message ? d.row.message : "");
	access_decision_clear(&d);
}

/* The client decision for ip through st: the matched pattern or "-". */
static const char *
client_match(struct store *st, const char *ip, char *out, size_t outlen)
{
	static const struct access_cfg qc = {"+", "<>"};
	struct store_errbuf err = {{0}};
	struct access_decision d;

	if (access_check_sender(st, &qc, "x@ok.example", ip, &d, &err) != 0)
		fail_msg("%s: got -1 (%s), want a decision", ip, err.msg);
	snprintf(out, outlen, "%s",
		 d.action != ACCESS_NONE && d.row.pattern ? d.row.pattern
							  : "-");
	access_decision_clear(&d);
	return out;
}

static void
test_ip_row_changes_apply_on_the_next_lookup(void **state)
{
	struct dbfix *f = *state;
	struct store_errbuf err = {{0}};
	struct store *ro = NULL;
	char got[128];

	if (store_open(f->path, STORE_RO, 1000, &ro, &err) < 0)
		fail_msg("open ro: %s", err.msg);
	/* both readers have the table loaded before the change */
	if (strcmp(client_match(ro, "203.0.113.5", got, sizeof(got)), "-"))
		fail_msg("ro before add: got %s, want -", got);
	if (strcmp(client_match(f->s, "203.0.113.5", got, sizeof(got)), "-"))
		fail_msg("rw before add: got %s, want -", got);
	if (store_access_add(f->s, 0, "203.0.113.0/24", "ip", "REJECT", 554,
			     "5.7.1", "new", 1, &err) < 0)
		fail_msg("add: %s", err.msg);
	/* another connection's write, and this connection's own */
	if (strcmp(client_match(ro, "203.0.113.5", got, sizeof(got)),
		   "203.0.113.0/24"))
		fail_msg("ro after add: got %s, want 203.0.113.0/24", got);
	if (strcmp(client_match(f->s, "203.0.113.5", got, sizeof(got)),
		   "203.0.113.0/24"))
		fail_msg("rw after add: got %s, want 203.0.113.0/24", got);
	if (store_access_del(f->s, 0, "203.0.113.0/24", &err) < 0)
		fail_msg("del: %s", err.msg);
	if (strcmp(client_match(ro, "203.0.113.5", got, sizeof(got)), "-"))
		fail_msg("ro after del: got %s, want -", got);
	if (strcmp(client_match(f->s, "203.0.113.5", got, sizeof(got)), "-"))
		fail_msg("rw after del: got %s, want -", got);
	/* the unchanged rows still match, longest prefix first */
	if (strcmp(client_match(ro, "192.0.2.7", got, sizeof(got)),
		   "192.0.2.7"))
		fail_msg("ro 192.0.2.7: got %s, want 192.0.2.7", got);
	store_free(&ro);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_address_with_extension_walks_postfix_order),
	    cmocka_unit_test(test_address_without_extension_has_no_duplicates),
	    cmocka_unit_test(
		test_no_delimiter_configured_keeps_plus_in_local_part),
	    cmocka_unit_test(
		test_any_of_several_delimiters_splits_at_the_first),
	    cmocka_unit_test(test_leading_delimiter_is_not_an_extension),
	    cmocka_unit_test(test_null_sender_is_looked_up_alone),
	    cmocka_unit_test(test_domain_key_walks_parents),
	    cmocka_unit_test(
		test_ipv4_key_walks_octets_like_check_client_access),
	    cmocka_unit_test(test_catch_all_and_literal_keys),
	    cmocka_unit_test(test_too_many_labels_is_an_error_not_a_truncation),
	    cmocka_unit_test(test_access_rows_become_postfix_results),
	    cmocka_unit_test(
		test_reply_code_normalises_code_and_enhanced_class),
	    cmocka_unit_test_setup_teardown(
		test_sender_decisions_follow_the_walk, db_setup, db_teardown),
	    cmocka_unit_test_setup_teardown(
		test_recipient_decisions_carry_their_action, db_setup,
		db_teardown),
	    cmocka_unit_test_setup_teardown(
		test_ip_row_changes_apply_on_the_next_lookup, db_setup,
		db_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
