/* milters/scrub/scrub_select_test.c - which headers facteur-scrub removes:
 * table-driven cases over whole header lists, the Received hop
 * classification, Message-ID parsing and the CIDR lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scrub_select.h"

#define MAXH 8
#define MYHOST "mx.facteur.test"

struct msg_case {
	const char *what;
	const char *remove; /* remove_headers */
	const char *nets;   /* internal networks */
	int replace_msgid;
	const char *h[MAXH][2]; /* name, value; NULL name ends */
	const char *want;	/* one letter per field: K D M R(msgid) */
};

static const struct msg_case msg_cases[] = {
    {"builtin names are removed in any case",
     NULL,
     NULL,
     0,
     {{"From", "a@example.org"},
      {"X-Mailer", "Thunderbird"},
      {"user-agent", "Mutt/2.2"},
      {"X-ORIGINATING-IP", "[192.0.2.7]"},
      {"Subject", "hi"},
      {"X-Mailer-Version", "1"}},
     "KDDDKK"},
    {"remove_headers adds names, any case",
     "X-Foo, x-bar",
     NULL,
     0,
     {{"X-Foo", "1"}, {"X-BAR", "2"}, {"X-Baz", "3"}, {"X-Fo", "4"}},
     "DDKK"},
    {"client and LAN Received hops are removed",
     NULL,
     NULL,
     0,
     {{"Received",
       "from laptop (laptop.lan [192.168.1.23])\n\tby "
       "relay.lan (Postfix) with ESMTP id 4AB; Mon, 1 Jan 2024 10:00:00 "
       "+0100"},
      {"Received", "by laptop.home (Postfix, from userid 1000) id 3C; "
		   "Mon, 1 Jan 2024 09:59:59 +0100"},
      {"Received", "from localhost (localhost [127.0.0.1]) by laptop"},
      {"Subject", "x"}},
     "DDDK"},
    {"a public hop stops the walk: the relay trace below is kept",
     NULL,
     NULL,
     0,
     {{"Received", "from pc ([10.0.0.5]) by relay.lan; date"},
      {"Received", "from mx.example.net (mx.example.net [198.51.100.9])"
		   " by relay.lan; date"},
      {"Received", "from inner ([10.0.0.9]) by mx.example.net; date"}},
     "DKK"},
    {"our own host's hop stops the walk (a loop must stay visible)",
     NULL,
     NULL,
     0,
     {{"Received", "by MX.facteur.test. (facteur) with ESMTPSA id 1A; "
		   "Mon, 1 Jan 2024 10:00:00 +0000"},
      {"Received", "from pc ([10.0.0.5]) by relay.lan; date"}},
     "KK"},
    {"IPv6: ULA, link-local and v4-mapped private are client hops",
     NULL,
     NULL,
     0,
     {{"Received", "from a ([IPv6:fd00::5]) by b; d"},
      {"Received", "from a ([IPv6:fe80::1%eth0]) by b; d"},
      {"Received", "from a ([IPv6:fe80::1]) by b; d"},
      {"Received", "from a ([IPv6:::ffff:10.1.2.3]) by b; d"},
      {"Received", "from a ([IPv6:2001:db8::1]) by b; d"},
      {"Received", "from a ([10.0.0.1]) by b; d"}},
     "DDDDKK"},
    {"internal_hosts count as the client's LAN",
     NULL,
     "203.0.113.0/24, 2001:db8:1::/48",
     0,
     {{"Received", "from h ([203.0.113.5]) by relay; d"},
      {"Received", "from h ([IPv6:2001:db8:1::7]) by relay; d"},
      {"Received", "from h ([203.0.114.5]) by relay; d"}},
     "DDK"},
    {"addresses after the date separator are ignored",
     NULL,
     NULL,
     0,
     {{"Received", "by laptop id 1; Mon, 1 Jan 2024 10:00:00 +0000 "
		   "198.51.100.1"}},
     "D"},
    {"bare IPs in comments count (Exchange style)",
     NULL,
     NULL,
     0,
     {{"Received", "from EXCH01.corp.local (10.0.0.5) by EXCH02; d"},
      {"Received", "from gw (198.51.100.3) by EXCH01; d"}},
     "DK"},
    {"malformed fields are left alone whatever their name",
     NULL,
     NULL,
     0,
     {{"X-Mail\xc3\xa9r", "x"},
      {"Bad Name", "x"},
      {"X-Mailer", "a\rb"},
      {"X-Mailer", "ok\n\tfolded"},
      {"X-Mailer", "bare\nlf"},
      {"", "empty"}},
     "MMMDMM"},
    {"a malformed Received stops the walk",
     NULL,
     NULL,
     0,
     {{"Received", "from a ([10.0.0.1]) by b; d"},
      {"Received", "from a\r([10.0.0.2]) by b; d"},
      {"Received", "from a ([10.0.0.3]) by b; d"}},
     "DMK"},
    {"Message-ID naming a host is replaced",
     NULL,
     NULL,
     1,
     {{"From", "Alice <alice@example.org>"},
      {"Message-ID", " <abc.123@laptop.lan>"}},
     "KR"},
    {"Message-ID on the From domain or our host is kept",
     NULL,
     NULL,
     1,
     {{"From", "alice@Example.org"},
      {"Message-ID", "<a@EXAMPLE.ORG.>"},
      {"Message-Id", "<b@mx.facteur.test>"}},
     "KKK"},
    {"only the first Message-ID is replaced",
     NULL,
     NULL,
     1,
     {{"Message-ID", "<a@pc.lan>"},
      {"From", "alice@example.org"},
      {"Message-ID", "<b@pc.lan>"}},
     "RKK"},
    {"Message-ID with an address literal is replaced",
     NULL,
     NULL,
     1,
     {{"From", "alice@example.org"}, {"Message-ID", "<x@[10.0.0.1]>"}},
     "KR"},
    {"Message-ID not msg-id shaped is kept",
     NULL,
     NULL,
     1,
     {{"From", "alice@example.org"}, {"Message-ID", "abc@laptop.lan"}},
     "KK"},
    {"Message-ID kept without a From domain",
     NULL,
     NULL,
     1,
     {{"From", "undisclosed"}, {"Message-ID", "<a@laptop.lan>"}},
     "KK"},
    {"Message-ID kept when replace_message_id is off",
     NULL,
     NULL,
     0,
     {{"From", "alice@example.org"}, {"Message-ID", "<a@laptop.lan>"}},
     "KK"},
    {"Message-ID in remove_headers is deleted, not replaced",
     "Message-ID",
     NULL,
     1,
     {{"From", "alice@example.org"}, {"Message-ID", "<a@laptop.lan>"}},
     "KD"},
};

static char
act_letter(enum scrub_act a)
{
	switch (a) {
	case SCRUB_KEEP:
		return 'K';
	case SCRUB_DELETE:
		return 'D';
	case SCRUB_MSGID:
		return 'R';
	case SCRUB_MALFORMED:
		return 'M';
	}
	return '?';
}

static void
run_msg_case(const struct msg_case *t)
{
	static const struct cfg_key rkey = {
	    "remove_headers", CFG_LIST, NULL, 0, 0, 0, NULL, NULL};
	struct cidr_list nets;
	struct cfg_list rm = {NULL, 0};
	struct scrub_policy p = {&rm, MYHOST, t->replace_msgid, &nets};
	const char *list = t->nets ? t->nets : "";
	struct scrub_hdr h[MAXH];
	enum scrub_act act[MAXH];
	struct scrub_result res;
	char got[MAXH + 1];
	size_t n, k, j, nd = 0, off, len;
	char err[128];

	assert_int_equal(cidr_list_parse(list, strlen(list), &nets, &off, &len),
			 CIDR_OK);
	if (t->remove != NULL &&
	    cfg_set(&rkey, &rm, t->remove, err, sizeof(err)) != 0)
		fail_msg("%s: remove_headers: %s", t->what, err);
	for (n = 0; n < MAXH && t->h[n][0] != NULL; n++) {
		h[n].name = t->h[n][0];
		h[n].value = t->h[n][1];
		h[n].index = 1;
		for (j = 0; j < n; j++)
			if (strcasecmp(h[j].name, h[n].name) == 0)
				h[n].index++;
	}
	scrub_select(h, n, &p, act, &res);
	cfg_list_free(&rm);
	for (k = 0; k < n; k++) {
		got[k] = act_letter(act[k]);
		nd += act[k] == SCRUB_DELETE;
	}
	got[n] = '\0';
	if (strcmp(got, t->want) != 0)
		fail_msg("%s: got %s, want %s", t->what, got, t->want);
	if (res.ndelete != nd)
		fail_msg("%s: ndelete got %zu, want %zu", t->what, res.ndelete,
			 nd);
	if ((res.msgid >= 0) != (strchr(t->want, 'R') != NULL))
		fail_msg("%s: msgid got %d", t->what, res.msgid);
	if (res.nmalformed > 0 && got[res.first_malformed] != 'M')
		fail_msg("%s: first_malformed got %zu, not an M", t->what,
			 res.first_malformed);
}

static void
select_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(msg_cases) / sizeof(msg_cases[0]); i++)
		run_msg_case(&msg_cases[i]);
}

static void
select_reports_from_domain_and_counts(void **state)
{
	struct scrub_hdr h[] = {
	    {"From", "\"A, B\" <a@Example.ORG>, c@other.example", 1},
	    {"Bad:Name", "x", 1},
	    {"X-Mailer", "y", 1},
	    {"Received", "from x ([10.1.1.1]) by y; d", 1},
	};
	struct scrub_policy p = {NULL, NULL, 0, NULL};
	enum scrub_act act[4];
	struct scrub_result res;

	(void)state;
	scrub_select(h, 4, &p, act, &res);
	if (strcmp(res.from_domain, "Example.ORG") != 0)
		fail_msg("from_domain: got \"%s\", want \"Example.ORG\"",
			 res.from_domain);
	if (res.ndelete != 2 || res.nmalformed != 1 || res.first_malformed != 1)
		fail_msg("got ndelete %zu nmalformed %zu first %zu, want 2 1 1",
			 res.ndelete, res.nmalformed, res.first_malformed);
}

static void
select_handles_no_headers(void **state)
{
	struct scrub_policy p = {NULL, NULL, 1, NULL};
	struct scrub_result res;
	enum scrub_act act[1];

	(void)state;
	scrub_select(NULL, 0, &p, act, &res);
	if (res.ndelete != 0 || res.msgid != -1 || res.from_domain[0] != '\0')
		fail_msg("empty message: got ndelete %zu msgid %d, want 0 -1",
			 res.ndelete, res.msgid);
}

static const struct {
	const char *v;
	int ok;
	const char *rhs;
} msgid_cases[] = {
    {"<a@b.c>", 1, "b.c"},   {"  <a.b@c.d>\r\n", 1, "c.d"},
    {"<a@b@c.d>", 1, "c.d"}, {"<a@[10.0.0.1]>", 1, "[10.0.0.1]"},
    {"<@b.c>", 0, NULL},     {"<a@>", 0, NULL},
    {"<abc>", 0, NULL},	     {"a@b.c", 0, NULL},
    {"<a@b c>", 0, NULL},    {"<a@b>c>", 0, NULL},
    {"", 0, NULL},	     {"<>", 0, NULL},
};

static void
msgid_rhs_table(void **state)
{
	size_t i, off = 0, len = 0;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(msgid_cases) / sizeof(msgid_cases[0]); i++) {
		rc = scrub_msgid_rhs(msgid_cases[i].v, strlen(msgid_cases[i].v),
				     &off, &len);
		if ((rc == 0) != msgid_cases[i].ok)
			fail_msg("\"%s\": got %d, want ok=%d", msgid_cases[i].v,
				 rc, msgid_cases[i].ok);
		if (rc == 0 &&
		    (len != strlen(msgid_cases[i].rhs) ||
		     memcmp(msgid_cases[i].v + off, msgid_cases[i].rhs, len)))
			fail_msg("\"%s\": got rhs \"%.*s\", want \"%s\"",
				 msgid_cases[i].v, (int)len,
				 msgid_cases[i].v + off, msgid_cases[i].rhs);
	}
}

static void
msgid_build_is_hex_at_domain_and_bounded(void **state)
{
	const unsigned char rnd[] = {0x00, 0xab, 0xff};
	char out[32];

	(void)state;
	assert_int_equal(
	    scrub_msgid_build(rnd, 3, "example.org", out, sizeof(out)), 0);
	if (strcmp(out, "<00abff@example.org>") != 0)
		fail_msg("got \"%s\", want \"<00abff@example.org>\"", out);
	/* 1 + 6 + 1 + 11 + 1 + NUL = 21 bytes */
	assert_int_equal(scrub_msgid_build(rnd, 3, "example.org", out, 21), 0);
	assert_int_equal(scrub_msgid_build(rnd, 3, "example.org", out, 20), -1);
	assert_int_equal(scrub_msgid_build(rnd, 3, "", out, sizeof(out)), -1);
	assert_int_equal(scrub_msgid_build(rnd, 3, "example.org", out, 2), -1);
}

static const struct {
	const char *v;
	enum scrub_hop want;
} hop_cases[] = {
    {"", SCRUB_HOP_CLIENT},
    {";;;", SCRUB_HOP_CLIENT},
    {"by", SCRUB_HOP_CLIENT},
    {"by mx.facteur.test", SCRUB_HOP_RELAY},
    {"from mx.facteur.test ([10.0.0.1]) by pc", SCRUB_HOP_CLIENT},
    {"from x ([100.64.0.1]) by y; d", SCRUB_HOP_CLIENT},
    {"from x ([100.128.0.1]) by y; d", SCRUB_HOP_RELAY},
    {"from x ([169.254.3.3]) by y; d", SCRUB_HOP_CLIENT},
    {"from x (x [8.8.8.8]) by y; d", SCRUB_HOP_RELAY},
    {"from x by y with SMTP id 12:34:56:78; d", SCRUB_HOP_CLIENT},
    {"from x ([IPv6:::1]) by y; d", SCRUB_HOP_CLIENT},
    {"from x ([IPv6:2a00:1450::1]) by y; d", SCRUB_HOP_RELAY},
    {"from x by y for <u@198.51.100.4>; d", SCRUB_HOP_CLIENT},
};

static void
received_hop_table(void **state)
{
	size_t i;
	enum scrub_hop got;

	(void)state;
	for (i = 0; i < sizeof(hop_cases) / sizeof(hop_cases[0]); i++) {
		got = scrub_received_hop(hop_cases[i].v, strlen(hop_cases[i].v),
					 MYHOST, NULL);
		if (got != hop_cases[i].want)
			fail_msg("\"%s\": got %s, want %s", hop_cases[i].v,
				 got == SCRUB_HOP_RELAY ? "relay" : "client",
				 hop_cases[i].want == SCRUB_HOP_RELAY
				     ? "relay"
				     : "client");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(select_table),
	    cmocka_unit_test(select_reports_from_domain_and_counts),
	    cmocka_unit_test(select_handles_no_headers),
	    cmocka_unit_test(msgid_rhs_table),
	    cmocka_unit_test(msgid_build_is_hex_at_domain_and_bounded),
	    cmocka_unit_test(received_hop_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
