/* lib/spam/ev_test.c - SpamAssassin's evals as facteur runs them:
 * the call parser (the Received parser and the chain: received_test.c),
 * ReplaceTags, and a table of eval rules run
 * over small messages (each row: rules, message, the rule that must fire
 * or must not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "engine.h"
#include "ev.h"
#include "ev_htmlstyle.h"
#include "msgview.h"
#include "received.h"
#include "rules.h"

#include "ev_test_rows.h"

static void
eval_calls_parse_with_quoted_and_bare_arguments(void **state)
{
	struct sp_evcall *c;
	const char *why = NULL;

	(void)state;
	assert_int_equal(sp_ev_parse("eval:check_illegal_chars('From',"
				     "'0.20', 2)",
				     &c, &why),
			 1);
	assert_int_equal(c->argc, 3);
	assert_string_equal(c->argv[0], "From");
	assert_string_equal(c->argv[1], "0.20");
	assert_string_equal(c->argv[2], "2");
	sp_ev_free(&c);
	assert_null(c);
	assert_int_equal(sp_ev_parse("eval:check_nothing_like_it()", &c, &why),
			 0);
	assert_non_null(why);
	/* an argument value facteur does not implement is a skip */
	assert_int_equal(
	    sp_ev_parse("eval:html_test('no_such_test')", &c, &why), 0);
	assert_int_equal(sp_ev_parse("eval:check_for_mime('x'", &c, &why), -1);
	assert_int_equal(sp_ev_parse("eval:subject_is_all_caps('too',"
				     "'many')",
				     &c, &why),
			 -1);
}

static void
replace_tags_expand_inside_listed_rules_only(void **state)
{
	static const char cf[] =
	    "replace_start <\nreplace_end >\n"
	    "replace_tag V (?:v|\\/)\nreplace_tag I (?:i|1|l)\n"
	    "replace_tag VI <V><I>\n"
	    "replace_inter W1 \\W?\nreplace_post P2 {1,2}\n"
	    "body R1 /<inter W1><V><I>agra/i\n"
	    "body R2 /<VI><post P2>x/\n"
	    "body R3 /<V>/\n"
	    "replace_rules R1 R2\n";
	struct sp_ruleset rs;
	struct sp_rules_error err;
	long i;

	(void)state;
	memset(&err, 0, sizeof(err));
	sp_rules_init(&rs);
	assert_int_equal(
	    sp_rules_parse(&rs, "t.cf", cf, sizeof(cf) - 1, NULL, &err), 0);
	assert_int_equal(sp_rules_finish(&rs, &err), 0);
	i = sp_rules_find(&rs, "R1", 2);
	assert_string_equal(rs.v[i].re, "\\W?(?:v|\\/)\\W?(?:i|1|l)agra");
	i = sp_rules_find(&rs, "R2", 2);
	/* a tag inside a tag's value is replaced in the next pass */
	assert_string_equal(rs.v[i].re, "(?:v|\\/)(?:i|1|l){1,2}x");
	i = sp_rules_find(&rs, "R3", 2);
	assert_string_equal(rs.v[i].re, "<V>");
	sp_rules_free(&rs);
}

static const struct eval_case eval_cases[] = {
    {"header T eval:subject_is_all_caps()\n",
     HDRS "Subject: BUY CHEAP WATCHES NOW\r\n\r\nx\r\n", "T", 1},
    {"header T eval:subject_is_all_caps()\n",
     HDRS "Subject: Re: BUY cheap watches\r\n\r\nx\r\n", "T", 0},
    {"header T eval:check_for_missing_to_header()\n",
     "From: a@example.com\r\nSubject: s\r\n\r\nx\r\n", "T", 1},
    {"header T eval:check_header_count_range('Subject','2','999')\n",
     HDRS "Subject: a\r\nSubject: b\r\n\r\nx\r\n", "T", 1},
    {"header T eval:check_header_count_range('Subject','2','999')\n",
     HDRS "Subject: a\r\nSubject: a\r\n\r\nx\r\n", "T", 0},
    {"header T eval:check_for_shifted_date('24', '48')\n",
     HDRS "Received: from a (a [192.0.2.1]) by b with ESMTP id 1; Mon, 7 "
	  "Dec 2026 05:00:00 +0000\r\n"
	  "Date: Tue, 8 Dec 2026 12:00:00 +0000\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    /* several ranges on one message: the shift is computed once */
    {"header A eval:check_for_shifted_date('-6', '-3')\n"
     "header B eval:check_for_shifted_date('undef', '-6')\n"
     "header T eval:check_for_shifted_date('24', '48')\n",
     HDRS "Received: from a (a [192.0.2.1]) by b with ESMTP id 1; Mon, 7 "
	  "Dec 2026 05:00:00 +0000\r\n"
	  "Date: Tue, 8 Dec 2026 12:00:00 +0000\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header A eval:check_for_shifted_date('24', '48')\n"
     "header T eval:check_for_shifted_date('12', '24')\n",
     HDRS "Received: from a (a [192.0.2.1]) by b with ESMTP id 1; Mon, 7 "
	  "Dec 2026 05:00:00 +0000\r\n"
	  "Date: Tue, 8 Dec 2026 12:00:00 +0000\r\nSubject: s\r\n\r\nx\r\n",
     "T", 0},
    {"header T eval:check_for_shifted_date('-6', '-3')\n",
     HDRS "Received: from a (a [192.0.2.1]) by b with ESMTP id 1; Mon, 7 "
	  "Dec 2026 05:00:00 +0000\r\n"
	  "Date: Mon, 7 Dec 2026 05:10:00 +0000\r\nSubject: s\r\n\r\nx\r\n",
     "T", 0},
    {"header T eval:check_equal_from_domains()\n",
     "Return-Path: <bounce@mailer.example.org>\r\n" HDRS
     "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_equal_from_domains()\n",
     "Return-Path: <bounce@news.example.com>\r\n" HDRS
     "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    {"header T eval:check_no_relays()\n", HDRS "Subject: s\r\n\r\nx\r\n", "T",
     1},
    {"header T eval:check_all_trusted()\n",
     "Received: from a (a [10.0.0.1]) by b with ESMTP id 1\r\n" HDRS
     "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:helo_ip_mismatch()\n",
     "Received: from x (HELO 198.51.100.1) (203.0.113.5) by b.example "
     "with SMTP\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    /* Constants.pm's IS_IPV4_ADDRESS and IP_PRIVATE: 0/8 is public, a
     * leading zero is no address; the same /24 is no mismatch */
    {"header T eval:helo_ip_mismatch()\n",
     "Received: from x (HELO 0.1.2.3) (203.0.113.5) by b.example with "
     "SMTP\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:helo_ip_mismatch()\n",
     "Received: from x (HELO 198.051.100.1) (203.0.113.5) by b.example "
     "with SMTP\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    {"header T eval:helo_ip_mismatch()\n",
     "Received: from x (HELO 203.0.113.77) (203.0.113.5) by b.example "
     "with SMTP\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    /* a bracketed HELO is "!198.51.100.1!" (Received.pm's strip
     * characters), no address */
    {"header T eval:helo_ip_mismatch()\n",
     "Received: from [198.51.100.1] (x [203.0.113.5]) by b with SMTP "
     "id 1\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    /* NO_RDNS_DOTCOM_HELO needs Received.pm's no_reverse_dns: an empty
     * rDNS from an MTA that looks names up (Sendmail), not from one that
     * does not (SMTPSVC); the last public untrusted relay decides */
    {"header T eval:check_for_no_rdns_dotcom_helo()\n",
     "Received: from mx.hotmail.com ([192.0.2.44]) by mx.example (8.11.6) "
     "with ESMTP id g7N1\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_for_no_rdns_dotcom_helo()\n",
     "Received: from hotmail.com ([192.0.2.44]) by mx.example with "
     "Microsoft SMTPSVC(5.0.2195.6713)\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    {"header T eval:check_for_no_rdns_dotcom_helo()\n",
     "Received: from mx.hotmail.com ([192.0.2.44]) by mx.example (8.11.6) "
     "with ESMTP id g7N1\r\n"
     "Received: from pc ([198.51.100.9]) by mx.hotmail.com (8.11.6) with "
     "ESMTP id g7N0\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    /* PerMsgStatus's ALL-EXTERNAL, ALL-TRUSTED, ALL-UNTRUSTED: the
     * header fields below / above the last internal or trusted Received
     * field, that field included (spamassassin -t with these rules);
     * __DOS_RELAYED_EXT's pattern needs two Received fields outside */
    {"header T ALL-EXTERNAL =~ " DOS_RELAYED "\n", RCVD_A RCVD_B EV_BODY, "T",
     1},
    {"header T ALL-EXTERNAL =~ " DOS_RELAYED "\n", RCVD_A EV_BODY, "T", 0},
    {"header T ALL-EXTERNAL =~ " DOS_RELAYED "\n", RCVD_GW RCVD_A EV_BODY, "T",
     0},
    {"header T ALL-TRUSTED =~ /a\\.example/\n", RCVD_GW RCVD_A EV_BODY, "T", 1},
    {"header T ALL-TRUSTED =~ /^From: /m\n", RCVD_GW RCVD_A EV_BODY, "T", 0},
    {"header T ALL-UNTRUSTED =~ /from gw /\n", RCVD_GW RCVD_A EV_BODY, "T", 0},
    {"header T ALL-UNTRUSTED =~ /^From: a/m\n", RCVD_GW RCVD_A EV_BODY, "T", 1},
    {"freemail_domains gmail.com *.yahoo.com\n"
     "header T eval:check_freemail_from()\n",
     "From: someone@mail.yahoo.com\r\nTo: b@example.net\r\n"
     "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    /* exact names are looked up in a sorted index, any case */
    {"freemail_domains zz.example gmail.com aa.example *.yahoo.com\n"
     "header T eval:check_freemail_from()\n",
     "From: someone@GMail.COM\r\nTo: b@example.net\r\n"
     "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    {"freemail_domains zz.example gmail.com aa.example\n"
     "header T eval:check_freemail_from()\n",
     "From: someone@gmail.co\r\nTo: b@example.net\r\n"
     "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    {"freemail_domains gmail.com\nheader T eval:check_freemail_from()\n",
     "From: info@gmail.com\r\nTo: b@example.net\r\n"
     "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    /* check_equal_from_domains reads get('From:addr'): the first
     * mailbox with an address (was the one in angle brackets) */
    {"header T eval:check_equal_from_domains()\n",
     "Return-Path: <x@three.example>\r\nFrom: a@one.example, "
     "b@two.example, \"Inc.\" <c@three.example>\r\n"
     "To: b@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_equal_from_domains()\n",
     "Return-Path: <x@three.example>\r\nFrom: Smith, John "
     "<j@three.example>\r\nTo: b@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 0},
    /* FreeMail's wildcards: "*" is [^.]* (was a hit: any characters) */
    {"freemail_domains gmx.*\nheader T eval:check_freemail_from()\n",
     "From: a@gmx.co.uk\r\nTo: b@example.net\r\nSubject: s\r\n\r\nx\r\n", "T",
     0},
    {"freemail_domains gmx.*\nheader T eval:check_freemail_from()\n",
     "From: a@gmx.net\r\nTo: b@example.net\r\nSubject: s\r\n\r\nx\r\n", "T", 1},
    /* all_from_addrs: Resent-From first (was a hit on From), else the
     * envelope sender too (was not) */
    {"freemail_domains yahoo.com\nheader T eval:check_freemail_from()\n",
     "From: a@yahoo.com\r\nResent-From: b@example.org\r\n"
     "To: b@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 0},
    {"freemail_domains yahoo.com\nheader T eval:check_freemail_from()\n",
     "Return-Path: <x@yahoo.com>\r\nFrom: a@example.org\r\n"
     "To: b@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    /* FreeMail's _parse_body: the body's freemails against Reply-To */
    {FM_REPLYTO, FM_HDRS "\r\nwrite to b@excite.com\r\n", "T", 1},
    /* an <a href="mailto:"> target is a body address, any case (was not) */
    {FM_REPLYTO,
     FM_HDRS "Content-Type: text/html\r\n\r\n<p>click <a "
	     "href=\"mailto:B@Excite.com?subject=remove\">here</a></p>\r\n",
     "T", 1},
    /* 5 distinct addresses: the body is skipped (was a hit) */
    {FM_REPLYTO,
     FM_HDRS "\r\nwrite to b@excite.com or c@example.org, d@example.org, "
	     "e@example.org, f@example.org\r\n",
     "T", 0},
    /* a list's envelope sender: no check (was a hit) */
    {FM_REPLYTO,
     "Return-Path: <list-request@example.org>\r\n" FM_HDRS
     "\r\nwrite to b@excite.com\r\n",
     "T", 0},
    {"enlist_addrlist (BANKS) *@*.bank.example\n"
     "header T eval:check_from_in_list('BANKS')\n",
     "From: Bank <alerts@mail.bank.example>\r\nTo: b@example.net\r\n"
     "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    {"body T eval:check_for_mime('mime_base64_count')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8K\r\n",
     "T", 1},
    {"body T eval:check_for_mime_html_only()\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<p>hi</p>\r\n",
     "T", 1},
    {"body T eval:html_tag_exists('script')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<p>hi<script>x()</script></p>\r\n",
     "T", 1},
    {"body T eval:html_tag_balance('body', '!= 0')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<html><body>hi</html>\r\n",
     "T", 1},
    {"body T eval:html_test('font_low_contrast')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<p>hi <font color=\"#fffffe\">hidden words</font></p>\r\n",
     "T", 1},
    {"body T eval:html_test('font_low_contrast')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<p>hi <font color=\"red\">seen</font></p>\r\n",
     "T", 0},
    {"body T eval:html_test('font_face_bad')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<font face=\"x_!1\">hi</font>\r\n",
     "T", 1},
    /* the face pattern, compiled once per message, sees every tag */
    {"body T eval:html_test('font_face_bad')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<font face=\"Arial\">a</font><font face=\"x_!1\">b</font>"
	  "<font face=\"Times New Roman, serif\">c</font>\r\n",
     "T", 1},
    {"body T eval:html_test('font_face_bad')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<font face=\"Arial\">a</font><font face=\"Verdana\">b</font>"
	  "\r\n",
     "T", 0},
    /* known elements at both ends of the sorted list and past it: 2 of
     * 5 tags (a, /a, x-tab, zz, abc) are not elements */
    {"body T eval:html_range('bad_tag_ratio', '0.39', '0.41')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<a>x</a><x-tab><zz>y<abc>\r\n",
     "T", 1},
    /* script and style text is not text; a title after other tags is */
    {"body T eval:html_text_match('title', 'cheap')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<p>x</p><script>cheap</script><style>cheap</style>\r\n",
     "T", 0},
    {"body T eval:html_text_match('title', 'cheap')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<p>x</p><b>y</b><title>so cheap</title>\r\n",
     "T", 1},
    /* mimeheader: every part's header, ":raw" as received, "!~" */
    {"mimeheader T Content-Type =~ /text\\/html/\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
	  "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
	  "--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n",
     "T", 1},
    {"mimeheader T X-Foo:raw =~ /q\\?caf=C3=A9/\n",
     HDRS "Subject: s\r\nX-Foo: =?utf-8?q?caf=C3=A9?=\r\n\r\nx\r\n", "T", 1},
    {"mimeheader T X-Foo =~ /q\\?caf=C3=A9/\n",
     HDRS "Subject: s\r\nX-Foo: =?utf-8?q?caf=C3=A9?=\r\n\r\nx\r\n", "T", 0},
/* a part's later header is a field of its own (the block was one
 * line: only the first field was found, its value ran on) */
#define MH_PART(h)                                                             \
	HDRS "Subject: s\r\nMIME-Version: 1.0\r\n"                             \
	     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" h      \
	     "\r\nx\r\n--b--\r\n"
    {"mimeheader T Content-Transfer-Encoding =~ /^bas64$/\n",
     MH_PART("Content-Type: text/plain; charset=us-ascii\r\n"
	     "Content-Transfer-Encoding: bas64\r\n"),
     "T", 1},
    {"mimeheader T Content-Type =~ /charset=us-ascii$/\n",
     MH_PART("Content-Type: text/plain; charset=us-ascii\r\n"
	     "Content-Transfer-Encoding: 7bit\r\n"),
     "T", 1},
    /* a fold: one space (get_header), kept as received with :raw */
    {"mimeheader T Content-Type =~ /^image\\/gif; name=\"a\\.gif\"$/\n",
     MH_PART("Content-Type: image/gif;\r\n\tname=\"a.gif\"\r\n"
	     "Content-Transfer-Encoding: base64\r\n"),
     "T", 1},
    {"mimeheader T Content-Type:raw =~ /^image\\/gif;\\n\\tname=\".+?\"$/s\n",
     MH_PART("Content-Type: image/gif;\r\n\tname=\"a.gif\"\r\n"
	     "Content-Transfer-Encoding: base64\r\n"),
     "T", 1},
    /* an attachment whose Content-Disposition is not the first field */
    {"body T eval:check_for_mime('mime_attachment')\n",
     MH_PART("Content-Type: application/octet-stream\r\n"
	     "Content-Disposition: attachment; filename=\"a.bin\"\r\n"),
     "T", 1},
    {"mimeheader T Content-Type !~ /image/\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: text/plain\r\n\r\nx\r\n",
     "T", 1},
    /* a URI host listed, or under a listed host, in any case */
    {"enlist_uri_host (L) bit.ly Example.COM\n"
     "body T eval:check_uri_host_listed('L')\n",
     HDRS "Subject: s\r\n\r\nsee http://www.example.com/x now\r\n", "T", 1},
    {"enlist_uri_host (L) bit.ly example.com\n"
     "body T eval:check_uri_host_listed('L')\n",
     HDRS "Subject: s\r\n\r\nsee http://notexample.com/ and "
	  "http://example.org/ and http://bit.lyx/\r\n",
     "T", 0},
    /* check_for_uppercase's counts, kept from the first range asked */
    {"body A eval:check_for_uppercase('0', '50')\n"
     "body T eval:check_for_uppercase('75', '100')\n",
     HDRS "Subject: s\r\n\r\n" UPPER UPPER UPPER UPPER, "T", 1},
    {"body A eval:check_for_uppercase('75', '100')\n"
     "body T eval:check_for_uppercase('0', '50')\n",
     HDRS "Subject: s\r\n\r\n" UPPER UPPER UPPER UPPER, "T", 0},
    /* check_illegal_chars over ALL: "Name: value\n" for every header */
    {"header T eval:check_illegal_chars('ALL', '0.010', '2')\n",
     HDRS "Subject: s\r\nX-Junk: a\x01\x02\x03"
	  "b\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_illegal_chars('ALL', '0.010', '2')\n",
     HDRS "Subject: s\r\nX-Junk: a\x01"
	  "b\r\n\r\nx\r\n",
     "T", 0},
    {"body T eval:html_range('max_size', '6', 'inf')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<font size=\"+4\">BIG</font>\r\n",
     "T", 1},
    {"body T eval:html_text_match('title', 'cheap')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<title>so cheap</title><p>x</p>\r\n",
     "T", 1},
    {"body T eval:check_body_length('16')\n",
     HDRS "Subject: s\r\n\r\nshort\r\n", "T", 1},
    /* tflags multiple counts for metas */
    {"body __L /^\\s*\\S/\ntflags __L multiple maxhits=3\n"
     "meta T __L < 3\n",
     HDRS "Subject: s\r\n\r\none\r\n\r\ntwo\r\n"
	  "\r\nthree\r\n\r\nfour\r\n",
     "T", 0},
/* gated_through_received_hdr_remover: its patterns compiled once
 * for the process (ev_forged.c, evf_code), each later row on the
 * same codes */
#define EZMLM(by)                                                              \
	"Received: (qmail 123 invoked from network); 1 Jan 2002 00:00:00 "     \
	"-0000\r\nMailing-List: contact list@example.com; run by " by "\r\n"   \
	"Delivered-To: mailing list list@example.com\r\n" HDRS                 \
	"Subject: s\r\n\r\nx\r\n"
    {"header T eval:gated_through_received_hdr_remover()\n", EZMLM("ezmlm"),
     "T", 1},
    {"header T eval:gated_through_received_hdr_remover()\n", EZMLM("mlmmj"),
     "T", 0},
    {"header T eval:gated_through_received_hdr_remover()\n", EZMLM("ezmlm"),
     "T", 1},
    /* HeaderEval's forged Received checks */
    {"header T eval:check_for_forged_hotmail_received_headers()\n",
     "Received: from mx.hotmail.com (spam.example [203.0.113.5]) by "
     "mx.example.net with SMTP id 1\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_for_no_hotmail_received_headers()\n",
     "Received: from spam.example (spam.example [203.0.113.5]) by "
     "mx.example.net with SMTP id 1\r\nFrom: a@hotmail.com\r\n"
     "To: b@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_for_no_hotmail_received_headers()\n",
     "Received: from hotmail.com (f1.law8.hotmail.com [216.33.241.1]) "
     "by mx.example.net with SMTP id 1\r\nX-Originating-IP: "
     "[198.51.100.7]\r\nFrom: a@hotmail.com\r\nTo: b@example.net\r\n"
     "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    {"header T eval:check_for_forged_yahoo_received_headers()\n",
     "Received: from spam.example (spam.example [203.0.113.5]) by "
     "mx.example.net with SMTP id 1\r\nFrom: a@yahoo.com\r\n"
     "To: b@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_for_forged_yahoo_received_headers()\n",
     "Received: from [198.51.100.7] by web12.mail.ukl.yahoo.com via "
     "HTTP; Mon, 7 Dec 2026 05:00:00 +0000\r\nFrom: a@yahoo.com\r\n"
     "To: b@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 0},
    {"header T eval:check_for_forged_gmail_received_headers()\n",
     "Received: from spam.example (spam.example [203.0.113.5]) by "
     "mx.example.net with SMTP id 1\r\nFrom: a@gmail.com\r\n"
     "To: b@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_for_forged_gmail_received_headers()\n",
     "X-Received: by 10.1.2.3 with SMTP id abc\r\n"
     "Received: from mail-x.google.com (mail-x.google.com [209.85.1.1])"
     " by mx.example.net with SMTP id 1\r\nFrom: a@gmail.com\r\n"
     "To: b@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 0},
    {"header T eval:check_for_forged_juno_received_headers()\n",
     "Received: from spam.example (spam.example [203.0.113.5]) by "
     "mx.example.net with SMTP id 1\r\nFrom: a@juno.com\r\n"
     "To: b@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_for_forged_eudoramail_received_headers()\n",
     "Received: from spam.example (spam.example [203.0.113.5]) by "
     "mx.example.net with SMTP id 1\r\nFrom: a@eudoramail.com\r\n"
     "To: b@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_for_fake_aol_relay_in_rcvd()\n",
     "Received: from unknown (HELO mta05.example) (80.71.176.130) by "
     "rly-xw01.mx.aol.com with QMQP; 15 Jun 2002 23:37:16 -0000\r\n" HDRS
     "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_for_fake_aol_relay_in_rcvd()\n",
     "Received: from rly-xj02.mx.aol.com (rly-xj02.mail.aol.com "
     "[172.20.116.39]) by omr-r05.mx.aol.com (v83.35) with ESMTP id "
     "RELAYIN7-0501132011\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    {"header T eval:check_for_forged_received_trail()\n",
     "Received: from a.one.example (a.one.example [203.0.113.1]) by "
     "mx.final.example with SMTP id 1\r\n"
     "Received: from b.two.example (b.two.example [203.0.113.2]) by "
     "c.three.example with SMTP id 2\r\n"
     "Received: from d.four.example (d.four.example [203.0.113.3]) by "
     "e.five.example with SMTP id 3\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_for_forged_received_trail()\n",
     "Received: from a.one.example (a.one.example [203.0.113.1]) by "
     "mx.final.example with SMTP id 1\r\n"
     "Received: from b.two.example (b.two.example [203.0.113.2]) by "
     "c.one.example with SMTP id 2\r\n" HDRS "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    /* the registrable domains of the envelope sender and the relay */
    {"header T eval:check_mailfrom_matches_rcvd()\n",
     "Return-Path: <bounce@news.example.com>\r\n"
     "Received: from mail.news.example.com (mail.news.example.com "
     "[203.0.113.9]) by mx.example.net with ESMTP id 1\r\n" HDRS
     "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:check_mailfrom_matches_rcvd()\n",
     "Return-Path: <bounce@news.example.org>\r\n"
     "Received: from mail.news.example.com (mail.news.example.com "
     "[203.0.113.9]) by mx.example.net with ESMTP id 1\r\n" HDRS
     "Subject: s\r\n\r\nx\r\n",
     "T", 0},
    /* recipient lists */
    {"header T eval:sorted_recipients()\n",
     "From: a@example.com\r\n"
     "To: a@x.example, b@x.example, c@x.example, d@x.example, "
     "e@x.example, f@x.example, g@x.example\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:sorted_recipients()\n",
     "From: a@example.com\r\n"
     "To: g@x.example, b@x.example, c@x.example, d@x.example, "
     "e@x.example, f@x.example, a@x.example\r\nSubject: s\r\n\r\nx\r\n",
     "T", 0},
    {"header T eval:similar_recipients('0.65','undef')\n",
     "From: a@example.com\r\nTo: aa1@xx.a.example, aa2@xx.b.example, "
     "aa3@xx.c.example\r\nCc: \"A\" <aa4@xx.d.example>, "
     "aa5@xx.e.example\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    {"header T eval:similar_recipients('0.65','undef')\n",
     "From: a@example.com\r\nTo: ann@a.example, bob@b.example, "
     "cy@c.example, dee@d.example, eve@e.example\r\nSubject: s\r\n\r\n"
     "x\r\n",
     "T", 0},
};

static void
eval_rules_fire_as_in_spamassassin(void **state)
{
	(void)state;
	ev_rows_run(eval_cases, sizeof(eval_cases) / sizeof(eval_cases[0]));
}

static void
numeric_arguments_are_read_once_as_strtod_reads_them(void **state)
{
	struct sp_evcall *c;
	const char *why = NULL;

	(void)state;
	assert_int_equal(sp_ev_parse("eval:html_range('max_size', ' 6e1x', "
				     "'inf')",
				     &c, &why),
			 1);
	assert_true(sp_ev_num(c, 0, 7) == 7); /* not a number */
	assert_true(sp_ev_num(c, 1, 7) == 60);
	assert_true(sp_ev_num(c, 2, 7) == 1e308);
	assert_true(sp_ev_num(c, 3, 7) == 7); /* past the arguments */
	sp_ev_free(&c);
	assert_int_equal(
	    sp_ev_parse("eval:check_for_uppercase('undef', '-0.5')", &c, &why),
	    1);
	assert_true(sp_ev_num(c, 0, 3) == 3);
	assert_true(sp_ev_num(c, 1, 3) == -0.5);
	sp_ev_free(&c);
	assert_int_equal(
	    sp_ev_mimeheader("Content-Type =~ /a/ [if-unset: 5]", &c, &why), 1);
	assert_true(sp_ev_num(c, 1, 9) == 0); /* "0": not negated */
	assert_true(sp_ev_num(c, 2, 9) == 5);
	sp_ev_free(&c);
}

static void
hex_colours_read_as_sscanf_did(void **state)
{
	unsigned r, g, b;

	(void)state;
	assert_true(evs_hex6("#00ff7f", &r, &g, &b));
	assert_true(r == 0 && g == 255 && b == 127);
	assert_true(evs_hex6("#A0b1C2", &r, &g, &b));
	assert_true(r == 0xa0 && g == 0xb1 && b == 0xc2);
	assert_false(evs_hex6("invalid", &r, &g, &b));
	assert_false(evs_hex6("#12345", &r, &g, &b));
	assert_false(evs_hex6("#12345g", &r, &g, &b));
	assert_false(evs_hex6("000000", &r, &g, &b));
}

static void
globs_fold_ascii_case_only(void **state)
{
	(void)state;
	assert_true(sp_ev_glob("*@*.Bank.example", "alerts@mail.bank.EXAMPLE"));
	assert_true(sp_ev_glob("a?c*", "ABCdef"));
	assert_false(sp_ev_glob("*x", "abc"));
	assert_false(sp_ev_glob("*@*.bank.example", "a@bank.example"));
	/* UTF-8 "\xc3\xa9" and "\xc3\x89" differ: only ASCII folds */
	assert_false(sp_ev_glob("caf\xc3\xa9@x", "CAF\xc3\x89@x"));
	assert_true(sp_ev_glob("caf\xc3\xa9@x", "CAF\xc3\xa9@X"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(eval_calls_parse_with_quoted_and_bare_arguments),
	    cmocka_unit_test(replace_tags_expand_inside_listed_rules_only),
	    cmocka_unit_test(eval_rules_fire_as_in_spamassassin),
	    cmocka_unit_test(globs_fold_ascii_case_only),
	    cmocka_unit_test(hex_colours_read_as_sscanf_did),
	    cmocka_unit_test(
		numeric_arguments_are_read_once_as_strtod_reads_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
