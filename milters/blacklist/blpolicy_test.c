/* milters/blacklist/blpolicy_test.c - facteur-blacklist's table
 * decisions (blp_mail, blp_rcpt) over a real SQLite store, opened
 * read-only as the milter opens it:
 *   - what they cost the database: the SQL statements a MAIL FROM and a
 *     RCPT TO start, counted by SQLite's statement trace
 *     (store_count_statements);
 *   - that they decide as the key-by-key walk does: a reference here
 *     looks every access(5) key up alone (store_access_lookup), then the
 *     longest IP/CIDR row, the sender's before the client's, and the
 *     verdict and matched row must agree for every sender, client and
 *     recipient of a table built to overlap (sender and client rows on
 *     one message, exact client keys beside CIDR rows, walks longer than
 *     one statement's keys). No DNS: DNSBL and SPF are off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "access.h"
#include "blpolicy.h"
#include "buf.h"
#include "cidr.h"
#include "store.h"

struct fix {
	char dir[512], path[600];
	struct store *ro;
	struct blp_settings pol;
};

static const struct {
	int rcpt;
	const char *pat, *kind, *action;
	int code;
	const char *enh;
} rows[] = {
    {0, "spammer@example.com", "address", "REJECT", 550, "5.7.1"},
    {0, "@bad.example", "address", "REJECT", 554, ""},
    {0, "evil.example", "domain", "REJECT", 553, "5.1.8"},
    {0, "friend@evil.example", "address", "OK", 0, ""},
    {0, "postmaster@", "address", "REJECT", 554, ""},
    {0, "deepuser@", "address", "REJECT", 554, ""},
    {0, "j.k.l.example", "domain", "OK", 0, ""},
    {0, "<>", "address", "REJECT", 554, ""},
    {0, "192.0.2.0/24", "ip", "REJECT", 554, "5.7.1"},
    {0, "192.0.2.7", "ip", "REJECT", 554, "5.7.1"},
    {0, "192.0.2.8/32", "ip", "OK", 0, ""},
    {0, "10.1", "ip", "OK", 0, ""},
    {0, "10.1.2.0/24", "ip", "REJECT", 554, ""},
    {0, "10.0.0.0/8", "ip", "REJECT", 554, ""},
    {0, "203.0.113.9", "ip", "REJECT", 554, ""},
    {0, "2001:db8::/32", "ip", "REJECT", 554, "5.7.1"},
    {0, "2001:db8::1", "ip", "OK", 0, ""},
    {1, "nobody@example.org", "address", "REJECT", 550, "5.1.1"},
    {1, "@trash.example", "address", "DISCARD", 0, ""},
    {1, "hold.example", "domain", "HOLD", 0, ""},
    {1, "vip@hold.example", "address", "OK", 0, ""},
    {1, "catch@", "address", "REJECT", 550, ""},
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct store_errbuf err = {{0}};
	const char *tmp = getenv("TMPDIR");
	struct store *rw = NULL;
	size_t i;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/blpolicy_test.XXXXXX",
		 tmp && *tmp ? tmp : ".");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/facteur.sqlite", f->dir);
	if (store_open(f->path, STORE_RW, 1000, &rw, &err) < 0 ||
	    store_migrate(rw, NULL, NULL, &err) < 0) {
		fprintf(stderr, "store: %s\n", err.msg);
		return -1;
	}
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (store_access_add(rw, rows[i].rcpt, rows[i].pat,
				     rows[i].kind, rows[i].action, rows[i].code,
				     rows[i].enh, "", 1, &err) < 0) {
			fprintf(stderr, "%s: %s\n", rows[i].pat, err.msg);
			return -1;
		}
	store_free(&rw);
	if (store_open(f->path, STORE_RO, 1000, &f->ro, &err) < 0) {
		fprintf(stderr, "store ro: %s\n", err.msg);
		return -1;
	}
	f->pol.recipient_delimiter = "+";
	f->pol.dnsbl_zones = "";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char p[700];

	store_free(&f->ro);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- the statements a message costs ---- */

static unsigned long long
mail_cost(struct fix *f, const char *sender, const char *ip,
	  enum blp_verdict want)
{
	struct store_errbuf err = {{0}};
	struct blp_outcome o;
	unsigned long long n = 0;

	if (store_count_statements(f->ro, &n) != 0)
		fail_msg("store_count_statements: got -1 on SQLite");
	if (blp_mail(&f->pol, f->ro, sender, ip, NULL, &o, &err) != 0)
		fail_msg("<%s>: got -1 (%s)", sender, err.msg);
	(void)store_count_statements(f->ro, NULL);
	if (o.verdict != want)
		fail_msg("<%s> [%s]: got %s, want %s", sender, ip,
			 blp_verdict_name(o.verdict), blp_verdict_name(want));
	return n;
}

static unsigned long long
rcpt_cost(struct fix *f, const char *rcpt, enum blp_verdict want)
{
	struct store_errbuf err = {{0}};
	struct blp_outcome o;
	unsigned long long n = 0;

	if (store_count_statements(f->ro, &n) != 0)
		fail_msg("store_count_statements: got -1 on SQLite");
	if (blp_rcpt(&f->pol, f->ro, rcpt, &o, &err) != 0)
		fail_msg("<%s>: got -1 (%s)", rcpt, err.msg);
	(void)store_count_statements(f->ro, NULL);
	if (o.verdict != want)
		fail_msg("<%s>: got %s, want %s", rcpt,
			 blp_verdict_name(o.verdict), blp_verdict_name(want));
	return n;
}

/* An unlisted sender from an unlisted client, the common message: one
 * SELECT over sender_blacklist for both walks (10 keys), PRAGMA
 * data_version for the IP rows' cache, in one BEGIN ... COMMIT: 4
 * statements where the key-by-key walk started 12. A recipient: its
 * walk in one SELECT, where it started 7. The first message also reads
 * the IP rows once (not counted here: a warm-up). */
static void
test_a_message_costs_one_query_per_table(void **state)
{
	struct fix *f = *state;
	unsigned long long n;

	(void)mail_cost(f, "x@ok.example", "198.51.100.1", BLP_PASS);
	n = mail_cost(f, "x@ok.example", "198.51.100.1", BLP_PASS);
	if (n != 4)
		fail_msg("MAIL FROM: got %llu statements, want 4 (BEGIN, one "
			 "SELECT, PRAGMA data_version, COMMIT)",
			 n);
	n = mail_cost(f, "spammer@example.com", "198.51.100.1", BLP_REJECT);
	if (n != 3)
		fail_msg("listed sender: got %llu statements, want 3 (BEGIN, "
			 "one SELECT, COMMIT)",
			 n);
	n = rcpt_cost(f, "alice@example.org", BLP_PASS);
	if (n != 1)
		fail_msg("RCPT TO: got %llu statements, want 1", n);
	n = rcpt_cost(f, "a@b.hold.example", BLP_HOLD);
	if (n != 1)
		fail_msg("RCPT TO (held): got %llu statements, want 1", n);
}

/* ---- the decisions, against the key-by-key walk ---- */

struct ref {
	char what[16], pattern[256], action[16];
};

struct ref_cidr {
	struct cidr_ip ip;
	int best;
	struct ref *r;
};

static int
ref_cidr_cb(void *ctx, const struct store_access *a)
{
	struct ref_cidr *c = ctx;
	struct cidr net;

	if (cidr_parse(a->pattern, strlen(a->pattern), &net) != CIDR_OK)
		return 0;
	if ((int)net.prefix > c->best && cidr_match(&net, &c->ip)) {
		c->best = (int)net.prefix;
		snprintf(c->r->pattern, sizeof(c->r->pattern), "%s",
			 a->pattern);
		snprintf(c->r->action, sizeof(c->r->action), "%s", a->action);
	}
	return 0;
}

/* key's row the way the old code found it: each walk key alone, then
 * (sender table) the longest CIDR row. 1 found, 0 none. */
static int
ref_find(struct store *st, int rcpt, const char *key, const char *what,
	 struct ref *r)
{
	struct store_errbuf err = {{0}};
	struct store_access a;
	struct access_walk w;
	struct ref_cidr c;
	struct buf keys;
	size_t i;
	int rc;

	buf_init(&keys, 0);
	if (access_walk(key, strlen(key), "+", "<>", &keys, &w) < 0) {
		buf_free(&keys);
		return 0;
	}
	for (i = 0; i < w.n; i++) {
		rc = store_access_lookup(
		    st, rcpt, access_walk_key(&keys, &w, i), &a, &err);
		if (rc == STORE_FOUND) {
			snprintf(r->what, sizeof(r->what), "%s", what);
			snprintf(r->pattern, sizeof(r->pattern), "%s",
				 a.pattern);
			snprintf(r->action, sizeof(r->action), "%s", a.action);
			store_access_clear(&a);
			buf_free(&keys);
			return 1;
		}
		if (rc != STORE_NOTFOUND)
			fail_msg("%s: lookup: %s", key, err.msg);
	}
	buf_free(&keys);
	c.best = -1;
	c.r = r;
	if (rcpt || cidr_ip_parse(key, strlen(key), &c.ip) < 0)
		return 0;
	if (store_access_ip_each(st, ref_cidr_cb, &c, &err) < 0)
		fail_msg("%s: ip rows: %s", key, err.msg);
	if (c.best < 0)
		return 0;
	snprintf(r->what, sizeof(r->what), "%s", what);
	return 1;
}

static void
check_outcome(const char *who, const struct blp_outcome *o, int found,
	      const struct ref *r, int rcpt)
{
	char want[700];

	if (!found) {
		if (o->verdict != BLP_PASS)
			fail_msg("%s: got %s (%s), want PASS", who,
				 blp_verdict_name(o->verdict), o->match);
		return;
	}
	snprintf(want, sizeof(want), "%s_blacklist \"%s\" (%s, %s)",
		 rcpt ? "recipient" : "sender", r->pattern, r->what, r->action);
	if (strcmp(o->match, want) != 0)
		fail_msg("%s: got %s %s, want %s", who,
			 blp_verdict_name(o->verdict), o->match, want);
}

static void
test_decisions_match_the_key_by_key_walk(void **state)
{
	static const char *const senders[] = {
	    "spammer@example.com",
	    "SPAMMER+tag@Example.COM",
	    "a@bad.example",
	    "a@sub.bad.example",
	    "a@deep.sub.evil.example",
	    "friend@evil.example",
	    "postmaster@x.example",
	    "x@ok.example",
	    "",
	    "u@a.b.c.d.e.f.g.h.i.j.k.l.example",
	    "deepuser+x@a.b.c.d.e.f.g.h.i.j.k.l.m.n.example",
	    "other+x@a.b.c.d.e.f.g.h.i.j.k.l.m.n.example",
	    "192.0.2.7",
	    "10.1.2.3",
	    "203.0.113.9",
	    "2001:db8::5"};
	static const char *const ips[] = {
	    NULL,	    "192.0.2.7",   "192.0.2.9",	      "192.0.2.8",
	    "198.51.100.1", "10.1.2.3",	   "10.9.9.9",	      "203.0.113.9",
	    "2001:db8::1",  "2001:DB8::5", "::ffff:192.0.2.9"};
	static const char *const rcpts[] = {
	    "nobody@example.org",
	    "Nobody+x@Example.org",
	    "a@trash.example",
	    "a@sub.trash.example",
	    "a@hold.example",
	    "a@b.hold.example",
	    "vip@hold.example",
	    "alice@example.org",
	    "catch+x@any.example",
	    "catch@a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.example",
	    "x@a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.hold.example",
	    "192.0.2.9"};
	struct fix *f = *state;
	struct store_errbuf err = {{0}};
	struct blp_outcome o;
	struct ref r;
	char who[300];
	size_t i, j;
	int found;

	for (i = 0; i < sizeof(senders) / sizeof(senders[0]); i++)
		for (j = 0; j < sizeof(ips) / sizeof(ips[0]); j++) {
			snprintf(who, sizeof(who), "<%s> [%s]", senders[i],
				 ips[j] ? ips[j] : "-");
			if (blp_mail(&f->pol, f->ro, senders[i], ips[j], NULL,
				     &o, &err) != 0)
				fail_msg("%s: got -1 (%s)", who, err.msg);
			memset(&r, 0, sizeof(r));
			found =
			    ref_find(f->ro, 0, *senders[i] ? senders[i] : "<>",
				     "sender", &r);
			if (!found && ips[j] != NULL)
				found =
				    ref_find(f->ro, 0, ips[j], "client", &r);
			check_outcome(who, &o, found, &r, 0);
		}
	for (i = 0; i < sizeof(rcpts) / sizeof(rcpts[0]); i++) {
		if (blp_rcpt(&f->pol, f->ro, rcpts[i], &o, &err) != 0)
			fail_msg("<%s>: got -1 (%s)", rcpts[i], err.msg);
		memset(&r, 0, sizeof(r));
		found = ref_find(f->ro, 1, rcpts[i], "recipient", &r);
		check_outcome(rcpts[i], &o, found, &r, 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_a_message_costs_one_query_per_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_decisions_match_the_key_by_key_walk, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
