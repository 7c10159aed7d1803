/* lib/spam/ev_msg_test.c - SpamAssassin's evals over the message as a
 * whole, as facteur runs them: Message.pm's parse flags, MIMEEval over the
 * raw parts, BodyEval over the text, HTML.pm's counters, header values as
 * $pms->get() gives them, MIMEHeader, EnvelopeFrom. Each row (rules, a
 * small message, the rule that must fire or must not) was checked with
 * spamassassin -L -t. The header, relay and list evals: ev_test.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"

#include "ev_test_rows.h"

static const struct eval_case msg_cases[] = {
    /* Message.pm's parse flags */
    {"header T eval:check_msg_parse_flags('missing_head_body_separator')\n",
     HDRS "Subject: s\r\n", "T", 1},
    {"header T eval:check_msg_parse_flags('missing_head_body_separator')\n",
     HDRS "Subject: s\r\n\r\nx\r\n", "T", 0},
    {"header T eval:check_msg_parse_flags('truncated_header')\n",
     HDRS "Subject: s\r\nX-Long: " LONG8K "\r\n\r\nx\r\n", "T", 1},
    {"body T eval:check_msg_parse_flags('mime_epilogue_exists')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
	  "mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
	  "\r\nhi\r\n--b--\r\nafter the end\r\n",
     "T", 1},
    {"body T eval:check_msg_parse_flags('mime_epilogue_exists')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
	  "mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
	  "\r\nhi\r\n--b--\r\n.\r\n",
     "T", 0},
    {"body T eval:check_msg_parse_flags('missing_mime_headers')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
	  "mixed; boundary=\"b\"\r\n\r\n--b\r\nno headers here\r\n--b--\r\n",
     "T", 1},
    {"body T eval:check_msg_parse_flags("
     "'missing_mime_head_body_separator')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
	  "mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
	  "no blank line\r\n--b--\r\n",
     "T", 1},
    /* no opening boundary (the delimiters differ from the parameter):
     * Message.pm puts a blank line above a main multipart body that
     * starts with text, so its first line is no header (was a hit) */
    {"body T eval:check_msg_parse_flags("
     "'missing_mime_head_body_separator')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
	  "alternative; boundary=\"=b 1\"\r\n\r\nThis is a multipart "
	  "message.\r\n\r\n--= b 1\r\nContent-Type: text/plain\r\n\r\n"
	  "hello\r\n--= b 1--\r\n",
     "T", 0},
    /* MIMEEval over the raw parts */
    {"rawbody T eval:check_for_mime('mime_qp_long_line')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n" LINE90 "\r\n",
     "T", 1},
    {"rawbody T eval:check_for_mime('mime_qp_long_line')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\nshort=\r\n"
	  "line\r\n",
     "T", 0},
    {"body T eval:check_base64_length('79')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\n" LINE90 "\r\n",
     "T", 1},
    {"body T eval:check_base64_length('79')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8K\r\n",
     "T", 0},
    {"body T eval:check_mime_multipart_ratio('0.00','0.01')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
	  "alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
	  "\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>" LINE90 LINE90
	  "</p>\r\n--b--\r\n",
     "T", 1},
    {"body T eval:multipart_alternative_difference('99', '100')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
	  "alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
	  "\r\nhello there friend\r\n--b\r\nContent-Type: text/html\r\n\r\n"
	  "<p>buy cheap watches now</p>\r\n--b--\r\n",
     "T", 1},
    {"body T eval:multipart_alternative_difference('99', '100')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
	  "alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
	  "\r\nhello there friend\r\n--b\r\nContent-Type: text/html\r\n\r\n"
	  "<p>hello <b>there</b> friend</p>\r\n--b--\r\n",
     "T", 0},
    {"body T eval:multipart_alternative_difference_count('3', '1')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
	  "alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
	  "\r\na b c d e f g h i j\r\n--b\r\nContent-Type: text/html\r\n"
	  "\r\n<p>a b</p>\r\n--b--\r\n",
     "T", 1},
    /* BodyEval over the text */
    {"body T eval:tvd_vertical_words('0','10')\n",
     HDRS "Subject: s\r\n\r\nhelloworldthisisalongword\r\n", "T", 1},
    {"body T eval:tvd_vertical_words('0','10')\n",
     HDRS "Subject: s\r\n\r\nh e l l o w o r l d\r\n", "T", 0},
    /* U+3000 is Perl's \s once normalize_charset has decoded the text:
     * the line is white space (SpamAssassin's value 0, was 20) */
    {"body T eval:tvd_vertical_words('0','10')\n",
     HDRS "Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
	  "helloworldthisisalongword\r\n\r\n\xe3\x80\x80 \xe3\x80\x80 "
	  "\xe3\x80\x80\r\n",
     "T", 1},
    /* a line over 2048 bytes is cut at its last space before 2049
     * (split_into_array_of_short_lines): "y y y y" is a line of its own
     * (SpamAssassin's value 100, was 0) */
    {"body T eval:tvd_vertical_words('0','10')\n",
     HDRS "Subject: s\r\n\r\n" X2045 " y y y y y\r\n", "T", 0},
    /* the Subject line is not collapsed (SpamAssassin's value 80) */
    {"body T eval:tvd_vertical_words('50','101')\n",
     HDRS "Subject: a  \xc2\xa0  b\r\nContent-Type: text/plain; "
	  "charset=utf-8\r\n\r\nhelloworldthisisalongword\r\n",
     "T", 1},
    {"body T eval:check_blank_line_ratio('40','60','1')\n",
     HDRS "Subject: s\r\n\r\na\r\n\r\n\r\nb\r\n", "T", 1},
    {"body T eval:check_stock_info('2')\n",
     HDRS "Subject: s\r\n\r\nSymbol: ABCD\r\nTarget: 5 USD\r\n", "T", 1},
    {"body T eval:check_stock_info('2')\n",
     HDRS "Subject: s\r\n\r\nSymbol: ABCD\r\nhello: there\r\n", "T", 0},
    {"body T eval:check_for_faraway_charset()\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
	  "charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
	  "\xf0\xd2\xc9\xd7\xc5\xd4\r\n",
     "T", 0},
    /* HTML.pm's counters */
    {"body T eval:html_range('obfuscation_ratio','.3','.4')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<p>he<b>llo</b> wo<i>rld</i> x</p>\r\n",
     "T", 1},
    {"body T eval:html_range('obfuscation_ratio','.05','1')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<p>hello <b>world</b></p>\r\n",
     "T", 0},
    {"body T eval:html_test('embeds')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<p>x<embed src=\"a.swf\"></p>\r\n",
     "T", 1},
    {"body T eval:html_test('form_action_mailto')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<form action=\"MAILTO:a@example.com\">x</form>\r\n",
     "T", 1},
    {"body T eval:check_https_ip_mismatch()\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<a href=\"http://192.0.2.7/x\">https://bank.example/</a>\r\n",
     "T", 1},
    {"body T eval:check_https_ip_mismatch()\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<a href=\"http://bank.example/x\">https://bank.example/</a>"
	  "\r\n",
     "T", 0},
    {"body T eval:check_https_http_mismatch('1','10')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<a href=\"http://www.evil.example/\">https://www.bank.example"
	  "/login</a>\r\n",
     "T", 1},
    {"body T eval:check_https_http_mismatch('1','10')\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<a href=\"http://mail.bank.example/\">https://www.bank.example"
	  "/login</a>\r\n",
     "T", 0},
    {"body T eval:check_iframe_src()\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<p>x<iframe src=\"http://example.com/\"></iframe></p>\r\n",
     "T", 1},
    {"body T eval:check_iframe_src()\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<p>x<iframe src=\"\"></iframe></p>\r\n",
     "T", 0},
    {"body T eval:html_title_subject_ratio('3.5')\n",
     HDRS "Subject: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n"
	  "\r\n<title>a much longer title</title><p>x</p>\r\n",
     "T", 1},
    {"body T eval:html_title_subject_ratio('3.5')\n",
     HDRS "Subject: a subject of some length\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: text/html\r\n"
	  "\r\n<title>a title</title><p>x</p>\r\n",
     "T", 0},
    /* $pms->get() in scalar context joins every value (issue 11's
     * parity gaps; each row was checked against SpamAssassin 4.0.1 and
     * failed on facteur before): a second, lower-case Subject spares a
     * shouting first one */
    {"header T eval:subject_is_all_caps()\n",
     "From: a@example.com\r\nTo: b@example.net\r\n"
     "Subject: BUY CHEAP WATCHES NOW\r\nSubject: hello there world\r\n"
     "\r\nx\r\n",
     "T", 0},
    /* a To present but empty reads "\n", not '' */
    {"header T eval:check_for_missing_to_header()\n",
     "From: a@example.com\r\nTo: \r\nSubject: s\r\n\r\nx\r\n", "T", 0},
    /* Resent-Date takes precedence over Date */
    {"header T eval:check_for_shifted_date('24', '48')\n",
     HDRS "Received: from a (a [192.0.2.1]) by b with ESMTP id 1; Mon, 7 "
	  "Dec 2026 05:00:00 +0000\r\n"
	  "Resent-Date: Tue, 8 Dec 2026 12:00:00 +0000\r\n"
	  "Date: Mon, 7 Dec 2026 05:00:00 +0000\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    /* ezmlm removed the Received fields above its own */
    {"header T eval:gated_through_received_hdr_remover()\n",
     "Received: from a (a [192.0.2.1]) by b with ESMTP id 1\r\n" HDRS
     "Mailing-List: contact x-help@example.org; run by ezmlm\r\n"
     "Delivered-To: mailing list x@example.org\r\n"
     "Received: (qmail 1234 invoked from network); 7 Dec 2026 05:00:00 "
     "-0000\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    /* MESSAGEID: Resent-Message-Id comes before Message-Id */
    {"header T eval:check_ratware_name_id()\n",
     "From: \"Joe Bloggs\" <joe@example.com>\r\nTo: b@example.net\r\n"
     "Resent-Message-Id: <ABCDEFGHIJKLMNOPQRSTUVWXYZAB.joe@example.com>\r\n"
     "Message-Id: <other@example.org>\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    /* MIMEHeader: the message's own header is the last of its name */
    {"mimeheader T X-Foo =~ /second/\n",
     HDRS "Subject: s\r\nX-Foo: first\r\nX-Foo: second\r\n"
	  "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
	  "boundary=\"BB\"\r\n\r\n--BB\r\nContent-Type: text/plain\r\n"
	  "\r\nx\r\n--BB--\r\n",
     "T", 1},
    /* MIMEHeader: a part's encoded words are decoded (Q, and B over a
     * fold) */
    {"mimeheader T Content-Type =~ /name=\"hello world\"/\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: "
	  "multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\n"
	  "Content-Type: text/plain; name=\"=?utf-8?q?hello_world?=\"\r\n"
	  "\r\nx\r\n--BB--\r\n",
     "T", 1},
    {"mimeheader T Content-Type =~ /name=\"hello world\"/\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: "
	  "multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\n"
	  "Content-Type: text/plain; name=\"=?iso-8859-1?b?aGVsbG8=?=\r\n"
	  " =?iso-8859-1?b?IHdvcmxk?=\"\r\n\r\nx\r\n--BB--\r\n",
     "T", 1},
    /* ... and the message's own header too, by the same decoder (GMime's
     * loses the second of two B words of one charset) */
    {"mimeheader T X-Foo =~ /hello world/\n",
     HDRS "Subject: s\r\nX-Foo: =?iso-8859-1?b?aGVsbG8=?= "
	  "=?iso-8859-1?b?IHdvcmxk?=\r\nMIME-Version: 1.0\r\nContent-Type: "
	  "multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\nContent-Type: "
	  "text/plain\r\n\r\nx\r\n--BB--\r\n",
     "T", 1},
    /* ... but not where _decode_header leaves them (:raw neither) */
    {"mimeheader T Content-Type:raw =~ /hello world/\n",
     HDRS "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: "
	  "multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\n"
	  "Content-Type: text/plain; name=\"=?utf-8?q?hello_world?=\"\r\n"
	  "\r\nx\r\n--BB--\r\n",
     "T", 0},
    /* EnvelopeFrom: a Return-Path below a Received field makes every
     * Return-Path untrusted (/^Received:.*?^Return-Path:/smi) */
    {"header T eval:check_equal_from_domains()\n",
     "Return-Path: <a@lists.example.org>\r\nReceived: from mx (mx.example"
     ".net [192.0.2.1]) by in.example.net (Postfix) with ESMTP id 1\r\n"
     "Return-Path: <owner@example.org>\r\nFrom: b@example.com\r\n"
     "To: c@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 0},
    /* ... and an X-Sender with no address does not stop it at a
     * fetchmail Received field */
    {"header T eval:check_equal_from_domains()\n",
     "Return-Path: <a@lists.example.org>\r\nReceived: from phobos "
     "[127.0.0.1] by localhost with IMAP (fetchmail-5.9.0) for a@localhost "
     "(single-drop)\r\nX-Sender: @ (Unverified)\r\nFrom: b@example.com\r\n"
     "To: c@example.net\r\nSubject: s\r\n\r\nx\r\n",
     "T", 1},
    /* check_ratware_envelope_from: the To domain trimmed to its
     * registrable part, and /\b\Qdom\E.\Quser\E@/ takes any character
     * for the "." */
    {"header T eval:check_ratware_envelope_from()\n",
     "Return-Path: <1021-1709-spamassassin.taint.org?zzzz@bounce.example"
     ".net>\r\nFrom: b@example.com\r\nTo: zzzz@spamassassin.taint.org\r\n"
     "Subject: s\r\n\r\nx\r\n",
     "T", 1},
    /* the X-Spam-Relays-Untrusted metadata header */
    {"header T X-Spam-Relays-Untrusted =~ /^[^\\]]+ rdns= /\n",
     "Received: from x (unknown [203.0.113.5]) by b with SMTP id 1\r\n" HDRS
     "Subject: s\r\n\r\nx\r\n",
     "T", 1},
};

static void
message_evals_fire_as_in_spamassassin(void **state)
{
	(void)state;
	ev_rows_run(msg_cases, sizeof(msg_cases) / sizeof(msg_cases[0]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(message_evals_fire_as_in_spamassassin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
