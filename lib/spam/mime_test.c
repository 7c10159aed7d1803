/* lib/spam/mime_test.c - what the MIME walk (mime.c) hands the rules:
 * which leaves become "body" and "rawbody" text, as SpamAssassin's
 * Message.pm decides (every text/plain and text/html leaf is rendered,
 * a filename or an attachment disposition notwithstanding), and which
 * URIs the uri rules see (Util.pm's uri_list_canonicalize). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "mimetext.h"
#include "msgview.h"

static void
parse(const char *raw, struct sp_view *v)
{
	struct sp_limits lim;
	char err[256];

	memset(&lim, 0, sizeof(lim));
	memset(v, 0, sizeof(*v));
	if (sp_view_parse(raw, strlen(raw), &lim, v, err, sizeof(err)) != 0)
		fail_msg("parse: got error '%s', want none", err);
}

static void
has(const char *what, const char *text, const char *want)
{
	if (text == NULL || strstr(text, want) == NULL)
		fail_msg("%s: got '%s', want it to hold '%s'", what,
			 text ? text : "(null)", want);
}

/* Spam 00036 of the corpus: one text/html part, inline with a
 * filename. SpamAssassin renders it (HTML_MESSAGE, FILL_THIS_FORM...);
 * facteur skipped every text part with a filename, so no body rule saw
 * a word of it. */
static void
an_html_body_with_a_filename_is_rendered(void **state)
{
	struct sp_view v;

	(void)state;
	parse("From: a@example.com\r\nSubject: hi\r\n"
	      "MIME-Version: 1.0\r\n"
	      "Content-Type: text/html; charset=us-ascii\r\n"
	      "Content-Disposition: inline; filename=\"filename.html\"\r\n"
	      "\r\n"
	      "<html><body><b>Dear Friend</b>, EASY MONEY!!</body></html>\r\n",
	      &v);
	has("body", v.body_text, "Dear Friend");
	has("body", v.body_text, "EASY MONEY!!");
	has("rawbody", v.rawbody_text, "<b>Dear Friend</b>");
	assert_int_equal(v.nparts, 1);
	assert_true(v.parts[0].is_html);
	assert_non_null(v.parts[0].html);
	assert_string_equal(v.parts[0].filename, "filename.html");
	sp_view_clear(&v);
}

static void
a_text_attachment_is_body_text_too(void **state)
{
	struct sp_view v;

	(void)state;
	parse("From: a@example.com\r\nSubject: patch\r\n"
	      "MIME-Version: 1.0\r\n"
	      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	      "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
	      "--b\r\nContent-Type: text/plain; name=\"fix.txt\"\r\n"
	      "Content-Disposition: attachment; filename=\"fix.txt\"\r\n"
	      "Content-Transfer-Encoding: base64\r\n\r\n"
	      "aGVsbG8gYXR0YWNobWVudA==\r\n"
	      "--b--\r\n",
	      &v);
	has("body", v.body_text, "see attached");
	has("body", v.body_text, "hello attachment");
	has("rawbody", v.rawbody_text, "hello attachment");
	sp_view_clear(&v);
}

static int
has_uri(const struct sp_view *v, const char *uri, const char *host)
{
	size_t i;

	for (i = 0; i < v->nuris; i++)
		if (strcmp(v->uris[i], uri) == 0)
			return host == NULL ||
			       strcmp(v->uri_domains[i], host) == 0;
	return 0;
}

/* Spam 00426 of the corpus: the mortgage site is a numeric IP inside a
 * click tracker's query. SpamAssassin's hard-coded redirector makes it a
 * URI of its own (NORMAL_HTTP_TO_IP fires); facteur saw only the
 * tracker. */
static void
a_uri_in_a_redirector_query_is_a_uri_too(void **state)
{
	struct sp_view v;

	(void)state;
	parse("From: a@example.com\r\nSubject: rates\r\n\r\n"
	      "see http://n62.go2net.com/adclick?cid=18&clickurl="
	      "http://211.167.74.101/mortg/ now\r\n"
	      "and http://t.example.net/r?u=https:/shop.example.org/x&id=2\r\n"
	      "not http://t.example.net/r?u=http://localhost&id=3\r\n",
	      &v);
	assert_true(has_uri(&v,
			    "http://n62.go2net.com/adclick?cid=18&"
			    "clickurl=http://211.167.74.101/mortg/",
			    "n62.go2net.com"));
	assert_true(
	    has_uri(&v, "http://211.167.74.101/mortg/", "211.167.74.101"));
	assert_true(
	    has_uri(&v, "https://shop.example.org/x", "shop.example.org"));
	assert_false(has_uri(&v, "http://localhost", NULL));
	assert_int_equal(v.nuris, 5);
	sp_view_clear(&v);
}

/* SpamAssassin's text URI list holds bare addresses as mailto: URIs, so
 * its uri rule __UNSUB_LINK sees "list-unsubscribe@..." in a list
 * footer; without them facteur fired KHOP_UNSUB_EMAIL ("unsubscribe by
 * email but not by link") on 129 messages of the corpus where
 * SpamAssassin fired it on none. */
static void
a_bare_address_in_the_text_is_a_mailto_uri(void **state)
{
	struct sp_view v;

	(void)state;
	parse("From: a@example.com\r\nSubject: list\r\n\r\n"
	      "To leave, e-mail list-unsubscribe@lists.example.org.\r\n"
	      "Skype email:bob@example.com or mailto:carol@example.net\r\n"
	      "not user@localhost nor x@host.123 nor @example.com\r\n",
	      &v);
	assert_true(has_uri(&v, "mailto:list-unsubscribe@lists.example.org",
			    "lists.example.org"));
	assert_true(has_uri(&v, "mailto:bob@example.com", "example.com"));
	assert_true(has_uri(&v, "mailto:carol@example.net", "example.net"));
	assert_int_equal(v.nuris, 3);
	sp_view_clear(&v);
}

/* The top part's own header block holds the Content-* fields only (the
 * others are the message's), one a line, folds kept, LF line ends; a
 * message that does not start with a header field still parses. */
static void
the_top_part_holds_its_content_fields_only(void **state)
{
	static const char *const odd[] = {
	    "From a@b.example Mon Jan  1 00:00:00 2001\nSubject: s\n\nbody\n",
	    "not a header line\r\n\r\nbody\r\n",
	    "",
	    "Subject : spaced\r\n\r\nbody\r\n",
	};
	struct sp_view v;
	struct sp_limits lim;
	char err[256];
	size_t i;

	(void)state;
	parse("X-First: 1\r\nContent-Type: text/plain;\r\n"
	      "\tcharset=us-ascii\r\nFrom: a@example.com\r\n"
	      "content-transfer-encoding: 7bit\r\nX-Last: 2\r\n"
	      " folded\r\n\r\nhello\r\n",
	      &v);
	assert_int_equal(v.nparts, 1);
	has("part headers", v.parts[0].headers,
	    "Content-Type: text/plain;\n\tcharset=us-ascii\n"
	    "content-transfer-encoding: 7bit\n");
	if (strstr(v.parts[0].headers, "X-") != NULL ||
	    strstr(v.parts[0].headers, "From") != NULL)
		fail_msg("part headers: got '%s', want Content-* only",
			 v.parts[0].headers);
	assert_string_equal(v.parts[0].cte, "7bit");
	has("body", v.body_text, "hello");
	sp_view_clear(&v);
	memset(&lim, 0, sizeof(lim));
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		memset(&v, 0, sizeof(v));
		if (sp_view_parse(odd[i], strlen(odd[i]), &lim, &v, err,
				  sizeof(err)) != 0 &&
		    v.body_text == NULL)
			fail_msg("case %zu: %s", i, err);
		if (v.body_text == NULL || (i != 2 && v.nparts == 0))
			fail_msg("case %zu: no body text", i);
		sp_view_clear(&v);
	}
}

/* HTML rendering: named and numeric references, block tags in any
 * case, URL attributes in any case. */
/* A part's header block keeps one field a line (unfolding dropped every
 * line end: the block became one line, so the evals found only its first
 * field, whose value ran on into the next) and its folds as received,
 * for SpamAssassin's raw_header; CRLF becomes LF as in Message.pm. */
static void
a_part_header_block_keeps_one_field_a_line(void **state)
{
	struct sp_view v;

	(void)state;
	parse("From: a@example.com\r\nMIME-Version: 1.0\r\n"
	      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	      "Content-Type: image/gif;\r\n\tname=\"a.gif\"\r\n"
	      "Content-Transfer-Encoding: base64\r\n\r\nR0lGODlh\r\n--b--\r\n",
	      &v);
	assert_int_equal(v.nparts, 1);
	has("part headers", v.parts[0].headers,
	    "Content-Type: image/gif;\n\tname=\"a.gif\"\n"
	    "Content-Transfer-Encoding: base64\n");
	if (strchr(v.parts[0].headers, '\r') != NULL)
		fail_msg("part headers: got '%s', want LF line ends",
			 v.parts[0].headers);
	sp_view_clear(&v);
}

/* mt_unfold joins a field's folds and keeps each field on a line. */
static void
unfolding_keeps_fields_apart(void **state)
{
	static const char in[] = "A: 1;\r\n\tx=2\r\nB: 3\nC: 4\n\r\n";
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(mt_unfold(in, sizeof(in) - 1, &b), 0);
	assert_string_equal(b.data, "A: 1;\tx=2\nB: 3\nC: 4");
	buf_free(&b);
}

static void
html_references_tags_and_url_attributes(void **state)
{
	struct sp_view v;

	(void)state;
	parse("From: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
	      "Content-Type: text/html\r\n\r\n"
	      "<P>fish &amp; chips&nbsp;caf&eacute; caf&#233; &lt;b&gt;"
	      " &bogus; &Amp;<BR>next<Td>cell</tD>"
	      "<A HREF=\"http://a.example/x\">a</A>"
	      "<img SRC='http://b.example/i.gif'>\r\n",
	      &v);
	has("body", v.body_text, "fish & chips");
	has("body", v.body_text, "caf\xc3\xa9 caf\xc3\xa9 <b>");
	has("body", v.body_text, "&bogus; &Amp;");
	has("body", v.body_text, "next");
	assert_true(has_uri(&v, "http://a.example/x", "a.example"));
	assert_true(has_uri(&v, "http://b.example/i.gif", "b.example"));
	sp_view_clear(&v);
}

static void
paragraphs_join_lines_and_collapse_blanks(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"one two\r\nthree\r\n\r\n\r\nfour", "one two three\nfour\n"},
	    {"  a\t\f\vb  \n", "a b\n"},
	    {"word", "word\n"},
	    {"\r\n \r\n", ""},
	    {"x\ry", "xy\n"},
	    {"a\n\nb\nc d\n\n", "a\nb c d\n"},
	};
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, 0);
		assert_int_equal(
		    mt_paragraphs(cases[i].in, strlen(cases[i].in), &b), 0);
		if (strcmp(b.len ? buf_str(&b) : "", cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i,
				 b.len ? buf_str(&b) : "", cases[i].want);
		buf_free(&b);
	}
}

static int
collect(void *ctx, const char *u, size_t n)
{
	struct buf *b = ctx;

	return buf_add(b, u, n) < 0 || buf_addc(b, '|') < 0 ? -1 : 0;
}

static void
text_uris_start_at_schemes_and_addresses(void **state)
{
	static const char text[] =
	    "see HTTP://a.example/x, www.b.example and Mailto:c@d.example;"
	    " xhttp://no.example ftp://e.example mail f@g.example.";
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(mt_text_uris(text, sizeof(text) - 1, collect, &b), 0);
	assert_string_equal(buf_str(&b),
			    "HTTP://a.example/x,|www.b.example|Mailto:c@d."
			    "example;|ftp://e.example|mailto:f@g.example|");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(an_html_body_with_a_filename_is_rendered),
	    cmocka_unit_test(a_text_attachment_is_body_text_too),
	    cmocka_unit_test(a_uri_in_a_redirector_query_is_a_uri_too),
	    cmocka_unit_test(a_bare_address_in_the_text_is_a_mailto_uri),
	    cmocka_unit_test(paragraphs_join_lines_and_collapse_blanks),
	    cmocka_unit_test(the_top_part_holds_its_content_fields_only),
	    cmocka_unit_test(a_part_header_block_keeps_one_field_a_line),
	    cmocka_unit_test(unfolding_keeps_fields_apart),
	    cmocka_unit_test(html_references_tags_and_url_attributes),
	    cmocka_unit_test(text_uris_start_at_schemes_and_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
