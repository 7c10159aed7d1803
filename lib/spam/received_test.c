/* lib/spam/received_test.c - the Received parser (received_line.c,
 * received_re.c: Received.pm's parse_received_line) field by field, and
 * the chain (received.c): trust, the fetchmail restart, qmail-scanner's
 * sender, the originating-IP headers, the X-Spam-Relays-* strings. Each
 * expected value is Debian's SpamAssassin 4.0.1's (its relay dump,
 * tests/spam/sa_relays.pl). The evals over the relays are ev_test.c's
 * rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "buf.h"
#include "msgview.h"
#include "received.h"

struct rcvd_case {
	const char *v;
	enum sp_rcvd st;
	const char *ip, *rdns, *helo, *by, *ident, *auth;
	int no_rdns; /* Received.pm's no_reverse_dns */
};

static const struct rcvd_case rcvd_cases[] = {
    {"from mail.example.com (mail.example.com [192.0.2.1]) by "
     "mx.example.net (Postfix) with ESMTP id 4ABC for <a@x>; Mon, 7 "
     "Dec 2026 05:00:00 +0000",
     SP_RCVD_OK, "192.0.2.1", "mail.example.com", "mail.example.com",
     "mx.example.net", "", ""},
    {"from dialpool.sify.net ([210.214.173.49] helo=indiatimes.com) by "
     "byron.heanet.ie with smtp (Exim 4.05) id 17sqea",
     SP_RCVD_OK, "210.214.173.49", "dialpool.sify.net", "indiatimes.com",
     "byron.heanet.ie", "", ""},
    {"from unknown (HELO server01.example.com) (64.65.193.193) by "
     "smtp.example.com with SMTP; 3 Sep 2002 12:41:09 -0000",
     SP_RCVD_OK, "64.65.193.193", "", "server01.example.com",
     "smtp.example.com", "", ""},
    /* qmail: the first word is the rDNS (hard-ham/00164, 00150 scored
     * RDNS_NONE in facteur alone) */
    {"from www6.mailshell.com (HELO mailshell.com) (209.157.66.240)  by "
     "mi-1.rz.ruhr-uni-bochum.de with SMTP; 27 Jul 2002 07:30:37 -0000",
     SP_RCVD_OK, "209.157.66.240", "www6.mailshell.com", "mailshell.com",
     "mi-1.rz.ruhr-uni-bochum.de", "", ""},
    {"from raccoon.nessus.org (66.88.91.100) by mi-1.rz.ruhr-uni-bochum.de "
     "with SMTP; 27 Jul 2002 17:59:47 -0000",
     SP_RCVD_OK, "66.88.91.100", "raccoon.nessus.org", "raccoon.nessus.org",
     "mi-1.rz.ruhr-uni-bochum.de", "", ""},
    {"from 62.180.7.250 (HELO daisy) (62.180.7.250) by smtp.altavista.de "
     "with SMTP; 19 Sep 2002 17:03:17 +0000",
     SP_RCVD_OK, "62.180.7.250", "62.180.7.250", "daisy", "smtp.altavista.de",
     "", ""},
    {"from lugh.tuatha.org (root@lugh.tuatha.org [194.125.145.45]) by "
     "dogma.slashnull.org (8.11.6/8.11.6) with ESMTP id g7N7",
     SP_RCVD_OK, "194.125.145.45", "lugh.tuatha.org", "lugh.tuatha.org",
     "dogma.slashnull.org", "root", ""},
    {"from mua.example (unknown [198.51.100.4]) by smtp.example with "
     "ESMTPSA id 9",
     SP_RCVD_OK, "198.51.100.4", "", "mua.example", "smtp.example", "",
     "ESMTPSA", 1},
    {"from mail.example by relay.example (LSMTP for Windows NT v1.1b) "
     "with SMTP id <1@x>",
     SP_RCVD_IGNORE},
    {"from mail pickup service by mx.example with Microsoft SMTPSVC",
     SP_RCVD_IGNORE},
    {"by mx.example with local id 5", SP_RCVD_IGNORE},
    {"from phobos [127.0.0.1] by localhost with IMAP (fetchmail-5.9.0)",
     SP_RCVD_FETCH},
    /* Received.pm: "^\S+ by \S+ (?:with|via|for|\()", a handover it
     * cannot use */
    {"from () by localhost.localdomain (8.11.6) with ESMTP id g7",
     SP_RCVD_IGNORE},
    /* Received.pm's local handovers: ignored, not unparseable
     * (UNPARSEABLE_RELAY fired on 104 corpus messages in facteur alone) */
    {"from localhost (eugen@localhost) by hydrogen.leitl.org "
     "(8.11.6/8.11.6) with ESMTP id g7M; Thu, 22 Aug 2002 +0200",
     SP_RCVD_IGNORE},
    {"from lin12.triumf.ca (baartman@localhost) by lin12.triumf.ca "
     "(8.11.6/8.11.6) with ESMTP id g7N",
     SP_RCVD_IGNORE},
    {"from localhost (lgonze@localhost.localdomain) by "
     "localhost.localdomain (8.11.6/8.11.6) with ESMTP id g7",
     SP_RCVD_IGNORE},
    {"from localhost (mail@localhost)\n\tby example.org (8.11.6) id 1",
     SP_RCVD_IGNORE},
    {"from localhost (localhost [[UNIX: localhost]]) by example.org "
     "(8.12.11/8.12.11/Submit) id iBAD",
     SP_RCVD_IGNORE},
    /* not a handover: an address that is not localhost's */
    {"from mail.example (eugen@mail.example) by mx.example (8.11.6) id 1",
     SP_RCVD_UNPARSEABLE},
    {"from mail.example (localhostx) by mx.example (8.11.6) id 1",
     SP_RCVD_UNPARSEABLE},
    /* no form of Received.pm's reads it, no "[IP]" in it: undef */
    {"from r-smtp.korea.com - 203.122.2.197 by dd_it7 with Microsoft "
     "SMTPSVC(5.5.1775.675.6)",
     SP_RCVD_UNPARSEABLE},
    /* The forms UNPARSEABLE_RELAY fired on in facteur alone (28 corpus
     * messages), each as Received.pm's parse_received_line reads it
     * (Debian's SpamAssassin 4.0.1, its relay dump): Content
     * Technologies' "(unverified)" and "X (X) by" (Apple's gateways)
     * are handovers it returns 0 for; SquirrelMail's authenticated user,
     * Yahoo's "with login", "IP (HELO x) by" are relays. */
    {"from mail.example (unverified) by gw.example (Content Technologies "
     "SMTPRS 4.2.10) with ESMTP id <T5d@gw.example>",
     SP_RCVD_IGNORE},
    {"from scv1.example.com (scv1.example.com) by gate.example.com "
     "(Content Technologies SMTPRS 4.2.5) with ESMTP id <T5d@gate>",
     SP_RCVD_IGNORE},
    {"from 192.0.2.7 (SquirrelMail authenticated user jo) by "
     "www.example.org with HTTP; Mon, 26 Aug 2002 11:43:28 -0400 (EDT)",
     SP_RCVD_OK, "192.0.2.7", "", "", "www.example.org", "", "HTTP"},
    {"from 192.0.2.8 (proxying for 10.1.2.3) (SquirrelMail authenticated "
     "user jo) by sm.example.org with HTTP",
     SP_RCVD_OK, "192.0.2.8", "", "", "sm.example.org", "", "HTTP"},
    {"from host.example (HELO pc) (user@192.0.2.9 with login) by "
     "smtp.mail.vip.sc5.yahoo.com with SMTP; 22 Aug 2002 22:02:25 -0000",
     SP_RCVD_OK, "192.0.2.9", "host.example", "pc",
     "smtp.mail.vip.sc5.yahoo.com", "user", ""},
    {"from 198.51.100.13 (HELO alumni.example) by smtp.example.com "
     "(209.228.33.241) with SMTP",
     SP_RCVD_OK, "198.51.100.13", "", "alumni.example", "smtp.example.com", "",
     ""},
    {"from ([]) by mail.example.com (Merak 4.4.2) with SMTP id B6E55D55",
     SP_RCVD_IGNORE},
    {"from pm (helo=pm-dt.example.com) by pm-dt.example.com with "
     "local-esmtp (Exim 3.13 #1 (Debian)) id 17v8Mw-0004eS-00",
     SP_RCVD_IGNORE},
    /* white space runs are one space ("by" then a fold) */
    {"from mail.example ([192.0.2.1]) by\n    mx.example (8.9.3/8.9.3) "
     "with ESMTP id NAA29282",
     SP_RCVD_OK, "192.0.2.1", "", "mail.example", "mx.example", "", "", 1},
    {"from lugh (root@localhost [127.0.0.1]) by lugh.example.org "
     "(8.9.3/8.9.3) with ESMTP id NAA29323",
     SP_RCVD_OK, "127.0.0.1", "localhost", "lugh", "lugh.example.org", "root",
     ""},
    /* Sendmail looks names up, Microsoft's SMTPSVC does not */
    {"from mx.hotmail.com ([192.0.2.44]) by mx.example (8.11.6) with ESMTP "
     "id g7N1",
     SP_RCVD_OK, "192.0.2.44", "", "mx.hotmail.com", "mx.example", "", "", 1},
    {"from hotmail.com ([192.0.2.44]) by mx.example with Microsoft "
     "SMTPSVC(5.0.2195.6713)",
     SP_RCVD_OK, "192.0.2.44", "", "hotmail.com", "mx.example", "", "", 0},
};

static void
received_fields_parse_into_relays(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rcvd_cases) / sizeof(rcvd_cases[0]); i++) {
		const struct rcvd_case *k = &rcvd_cases[i];
		struct sp_relay r;
		enum sp_rcvd st = sp_received_parse(k->v, strlen(k->v), &r);

		if (st != k->st)
			fail_msg("case %zu: got status %d, want %d", i, st,
				 k->st);
		if (k->st != SP_RCVD_OK)
			continue;
		if (strcmp(r.ip, k->ip) || strcmp(r.rdns, k->rdns) ||
		    strcmp(r.helo, k->helo) || strcmp(r.by, k->by) ||
		    strcmp(r.ident, k->ident) || strcmp(r.auth, k->auth) ||
		    r.no_rdns != k->no_rdns)
			fail_msg("case %zu: got ip=%s rdns=%s helo=%s by=%s "
				 "ident=%s auth=%s no_rdns=%d, want %s %s %s "
				 "%s %s %s %d",
				 i, r.ip, r.rdns, r.helo, r.by, r.ident, r.auth,
				 r.no_rdns, k->ip, k->rdns, k->helo, k->by,
				 k->ident, k->auth, k->no_rdns);
	}
}

static void
view(struct sp_view *v, const char *raw)
{
	char err[128];

	assert_int_equal(
	    sp_view_parse(raw, strlen(raw), NULL, v, err, sizeof(err)), 0);
}

/* SpamAssassin's inference: private and authenticated hops are trusted
 * from the top until the first public one; a fetchmail handover inside
 * the trusted part starts the chain again. */
static void
trust_stops_at_the_first_public_relay(void **state)
{
	struct sp_view v;
	struct sp_relays *rs;
	struct buf b;

	(void)state;
	view(&v, "Received: from localhost (localhost [127.0.0.1]) by mx "
		 "(Postfix) with ESMTP id 1\r\n"
		 "Received: from phobos [127.0.0.1] by localhost with IMAP "
		 "(fetchmail-5.9.0)\r\n"
		 "Received: from gw (gw [10.1.2.3]) by in (Postfix) with ESMTP "
		 "id 2\r\n"
		 "Received: from out.example (out.example [203.0.113.9]) by gw "
		 "(Postfix) with ESMTP id 3\r\n"
		 "Received: from pc (unknown [198.51.100.20]) by out.example "
		 "with ESMTPA id 4\r\n"
		 "Subject: t\r\n\r\nbody\r\n");
	assert_int_equal(sp_relays_from_view(&v, NULL, &rs), 0);
	/* the localhost hop above the fetchmail marker is dropped */
	assert_int_equal(rs->n, 3);
	assert_int_equal(rs->ntrusted, 1);
	assert_string_equal(rs->v[0].ip, "10.1.2.3");
	assert_string_equal(rs->v[1].ip, "203.0.113.9");
	assert_false(rs->v[2].trusted); /* auth after the trust broke */
	buf_init(&b, 4096);
	assert_int_equal(sp_relays_string(rs, 1, &b), 0);
	assert_string_equal(
	    buf_str(&b),
	    "[ ip=203.0.113.9 rdns=out.example "
	    "helo=out.example by=gw ident= envfrom= intl=0 id= auth= msa=0 "
	    "] [ ip=198.51.100.20 rdns= helo=pc by=out.example ident= "
	    "envfrom= intl=0 id= auth=ESMTPA msa=0 ]");
	buf_free(&b);
	sp_relays_free(&rs);
	sp_view_clear(&v);
}

/* Received.pm's chain, checked with sa_relays.pl (Debian's SpamAssassin):
 * qmail-scanner's field names no relay but gives the next relay its
 * envelope sender; the originating-IP headers (10_default_prefs.cf's,
 * X-AOL-IP among them) read the last field of each name. */
static void
chain_carries_qmail_scanner_sender_and_originating_ips(void **state)
{
	struct sp_view v;
	struct sp_relays *rs;
	struct buf b;

	(void)state;
	view(&v, "Received: from x by y (envelope-from <a@b.example>, uid 1) "
		 "with qmail-scanner-1.24 (clamdscan: 0.80)\r\n"
		 "Received: from z (z.example [192.0.2.1]) by q (8.11.6) with "
		 "ESMTP id AB1\r\n"
		 "X-Originating-IP: [198.51.100.7]\r\n"
		 "X-Originating-IP: [198.51.100.8]\r\n"
		 "X-AOL-IP: 203.0.113.44\r\n"
		 "Subject: t\r\n\r\nbody\r\n");
	assert_int_equal(sp_relays_from_view(&v, NULL, &rs), 0);
	assert_int_equal(rs->nunparseable, 0);
	assert_int_equal(rs->last_trusted, 0);
	buf_init(&b, 4096);
	assert_int_equal(sp_relays_string(rs, 1, &b), 0);
	assert_string_equal(
	    buf_str(&b),
	    "[ ip=192.0.2.1 rdns=z.example helo=z by=q ident= "
	    "envfrom=a@b.example intl=0 id=AB1 auth= msa=0 ] [ ip=198.51.100.8 "
	    "rdns= helo= by= ident= envfrom= intl=0 id= auth= msa=0 ] [ "
	    "ip=203.0.113.44 rdns= helo= by= ident= envfrom= intl=0 id= auth= "
	    "msa=0 ]");
	buf_free(&b);
	sp_relays_free(&rs);
	sp_view_clear(&v);
}

/* A sender writes the Received fields: one made for a pattern with
 * several lazy ".*?" (Received.pm's sendmail "authenticated" form, no
 * " by" after it) ran each time to PCRE2's default limit of 10 million
 * steps, 13-28 ms a field in a release build: a 10 MB message of such
 * fields, seconds of CPU. Under match.c's limit the 100 fields below
 * cost about 0.03 s of CPU; the old code took over 1.3 s. The bound is
 * CPU time, not wall time, so a loaded machine does not fail it. */
static void
hostile_fields_cost_bounded_cpu(void **state)
{
	static const char unit[] = "(authenticated)by";
	size_t n = 9 + 5000 * (sizeof(unit) - 1), i;
	char *v = malloc(n + 1), *o;
	struct sp_relay r;
	clock_t t0;

	(void)state;
	assert_non_null(v);
	memcpy(v, "from x]) ", 9);
	for (o = v + 9, i = 0; i < 5000; i++, o += sizeof(unit) - 1)
		memcpy(o, unit, sizeof(unit) - 1);
	*o = '\0';
	t0 = clock();
	for (i = 0; i < 100; i++)
		(void)sp_received_parse(v, n, &r);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(received_fields_parse_into_relays),
	    cmocka_unit_test(trust_stops_at_the_first_public_relay),
	    cmocka_unit_test(
		chain_carries_qmail_scanner_sender_and_originating_ips),
	    cmocka_unit_test(hostile_fields_cost_bounded_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
