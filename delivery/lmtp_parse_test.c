/* delivery/lmtp_parse_test.c - table-driven tests of the LMTP command
 * parser: verbs, paths, ESMTP parameters, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "lmtp_parse.h"

struct pcase {
	const char *line;
	enum lmtp_status want;
	enum lmtp_cmd cmd;
	const char *local;  /* expected local part, or NULL */
	const char *domain; /* expected domain, or NULL */
};

static const struct pcase pcases[] = {
    {"LHLO mx.example.org", LMTP_OK, LMTP_CMD_LHLO, NULL, NULL},
    {"lhlo mx.example.org ", LMTP_OK, LMTP_CMD_LHLO, NULL, NULL},
    {"LHLO", LMTP_ESYNTAX, LMTP_CMD_LHLO, NULL, NULL},
    {"LHLO a b", LMTP_ESYNTAX, LMTP_CMD_LHLO, NULL, NULL},
    {"EHLO mx", LMTP_OK, LMTP_CMD_HELO, NULL, NULL},
    {"MAIL FROM:<bob@example.net>", LMTP_OK, LMTP_CMD_MAIL, "bob",
     "example.net"},
    {"mail from:<>", LMTP_OK, LMTP_CMD_MAIL, NULL, NULL},
    {"MAIL FROM: <bob@example.net>", LMTP_OK, LMTP_CMD_MAIL, "bob",
     "example.net"},
    {"MAIL FROM:<bob@example.net> SIZE=1000 BODY=8BITMIME SMTPUTF8", LMTP_OK,
     LMTP_CMD_MAIL, "bob", "example.net"},
    {"MAIL FROM:<bob@example.net> BODY=BINARYMIME", LMTP_EPARAM, LMTP_CMD_MAIL,
     NULL, NULL},
    {"MAIL FROM:<bob@example.net> SIZE=12x", LMTP_EPARAM, LMTP_CMD_MAIL, NULL,
     NULL},
    {"MAIL FROM:<bob@example.net> SIZE=99999999999999999999999", LMTP_EPARAM,
     LMTP_CMD_MAIL, NULL, NULL},
    {"MAIL FROM:<bob@example.net> SIZE=2000000", LMTP_ETOOBIG, LMTP_CMD_MAIL,
     NULL, NULL},
    {"MAIL FROM:<bob@example.net> RET=FULL", LMTP_EPARAM, LMTP_CMD_MAIL, NULL,
     NULL},
    {"MAIL FROM:<bob@example.net>junk", LMTP_ESYNTAX, LMTP_CMD_MAIL, NULL,
     NULL},
    {"MAIL FROM:bob@example.net", LMTP_EADDR, LMTP_CMD_MAIL, NULL, NULL},
    {"MAIL TO:<bob@example.net>", LMTP_ESYNTAX, LMTP_CMD_MAIL, NULL, NULL},
    {"MAIL", LMTP_ESYNTAX, LMTP_CMD_MAIL, NULL, NULL},
    {"RCPT TO:<alice+news@example.org>", LMTP_OK, LMTP_CMD_RCPT, "alice+news",
     "example.org"},
    {"RCPT TO:<@relay.example:alice@example.org>", LMTP_OK, LMTP_CMD_RCPT,
     "alice", "example.org"},
    {"RCPT TO:<\"a b\"@example.org>", LMTP_OK, LMTP_CMD_RCPT, "\"a b\"",
     "example.org"},
    {"RCPT TO:<j\xc3\xa9r\xc3\xb4me@example.org>", LMTP_OK, LMTP_CMD_RCPT,
     "j\xc3\xa9r\xc3\xb4me", "example.org"},
    {"RCPT TO:<>", LMTP_EADDR, LMTP_CMD_RCPT, NULL, NULL},
    {"RCPT TO:<alice@example.org> NOTIFY=NEVER", LMTP_EPARAM, LMTP_CMD_RCPT,
     NULL, NULL},
    {"RCPT TO:<../../etc@example.org>", LMTP_EADDR, LMTP_CMD_RCPT, NULL, NULL},
    {"RCPT TO:<alice@exa mple.org>", LMTP_EADDR, LMTP_CMD_RCPT, NULL, NULL},
    {"DATA", LMTP_OK, LMTP_CMD_DATA, NULL, NULL},
    {"DATA x", LMTP_ESYNTAX, LMTP_CMD_DATA, NULL, NULL},
    {"RSET", LMTP_OK, LMTP_CMD_RSET, NULL, NULL},
    {"QUIT ", LMTP_OK, LMTP_CMD_QUIT, NULL, NULL},
    {"NOOP anything", LMTP_OK, LMTP_CMD_NOOP, NULL, NULL},
    {"VRFY alice", LMTP_OK, LMTP_CMD_VRFY, NULL, NULL},
    {"BDAT 100 LAST", LMTP_OK, LMTP_CMD_BDAT, NULL, NULL},
    {"BDAT x", LMTP_ESYNTAX, LMTP_CMD_BDAT, NULL, NULL},
    {"BDAT 10 FIRST", LMTP_ESYNTAX, LMTP_CMD_BDAT, NULL, NULL},
    {"STARTTLS", LMTP_EUNKNOWN, LMTP_CMD_NONE, NULL, NULL},
    {"", LMTP_EUNKNOWN, LMTP_CMD_NONE, NULL, NULL},
    {"DATAX", LMTP_EUNKNOWN, LMTP_CMD_NONE, NULL, NULL},
    {"NOOP \x01", LMTP_ENUL, LMTP_CMD_NONE, NULL, NULL},
};

static void
parses_each_command_as_expected(void **state)
{
	struct lmtp_limits lim = {0, 1000000};
	struct lmtp_cmdline cl;
	enum lmtp_status st;
	size_t i, off;

	(void)state;
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		const unsigned char *p = (const unsigned char *)c->line;

		st = lmtp_parse_line(p, strlen(c->line), &lim, &cl, &off);
		if (st != c->want)
			fail_msg("%s: got status %s, want %s", c->line,
				 lmtp_strerror(st), lmtp_strerror(c->want));
		if (st == LMTP_OK && cl.cmd != c->cmd)
			fail_msg("%s: got cmd %d, want %d", c->line, cl.cmd,
				 c->cmd);
		if (c->local && (cl.path.local_len != strlen(c->local) ||
				 memcmp(p + cl.path.local_off, c->local,
					cl.path.local_len) != 0))
			fail_msg("%s: got local \"%.*s\", want \"%s\"", c->line,
				 (int)cl.path.local_len,
				 c->line + cl.path.local_off, c->local);
		if (c->domain && (cl.path.domain_len != strlen(c->domain) ||
				  memcmp(p + cl.path.domain_off, c->domain,
					 cl.path.domain_len) != 0))
			fail_msg("%s: got domain \"%.*s\", want \"%s\"",
				 c->line, (int)cl.path.domain_len,
				 c->line + cl.path.domain_off, c->domain);
		if (off > strlen(c->line))
			fail_msg("%s: got err_off %zu past the line", c->line,
				 off);
	}
}

static void
mail_reports_size_body_and_smtputf8(void **state)
{
	const char *l = "MAIL FROM:<> SIZE=4096 BODY=8BITMIME SMTPUTF8";
	struct lmtp_cmdline cl;
	size_t off;

	(void)state;
	assert_int_equal(lmtp_parse_line((const unsigned char *)l, strlen(l),
					 NULL, &cl, &off),
			 LMTP_OK);
	if (!cl.null_path || !cl.has_size || cl.size != 4096 ||
	    cl.body != LMTP_BODY_8BITMIME || !cl.smtputf8)
		fail_msg("got null=%d size=%llu body=%d utf8=%d, want 1 4096 "
			 "8BITMIME 1",
			 cl.null_path, cl.size, cl.body, cl.smtputf8);
}

static void
line_over_the_limit_is_refused(void **state)
{
	unsigned char line[3000];
	struct lmtp_limits lim = {100, 0};
	struct lmtp_cmdline cl;
	size_t off;

	(void)state;
	memset(line, 'a', sizeof(line));
	memcpy(line, "NOOP ", 5);
	assert_int_equal(lmtp_parse_line(line, 100, &lim, &cl, &off), LMTP_OK);
	assert_int_equal(lmtp_parse_line(line, 101, &lim, &cl, &off),
			 LMTP_ELONG);
	assert_int_equal(lmtp_parse_line(line, 2048, NULL, &cl, &off), LMTP_OK);
	assert_int_equal(lmtp_parse_line(line, 2049, NULL, &cl, &off),
			 LMTP_ELONG);
}

static void
bdat_reports_chunk_size_and_last(void **state)
{
	const char *l = "BDAT 123 last";
	struct lmtp_cmdline cl;
	size_t off;

	(void)state;
	assert_int_equal(lmtp_parse_line((const unsigned char *)l, strlen(l),
					 NULL, &cl, &off),
			 LMTP_OK);
	if (cl.size != 123 || !cl.last)
		fail_msg("got size=%llu last=%d, want 123 1", cl.size, cl.last);
}

static void
lhlo_argument_is_reported(void **state)
{
	const char *l = "LHLO mail.example.org  ";
	struct lmtp_cmdline cl;
	size_t off;

	(void)state;
	assert_int_equal(lmtp_parse_line((const unsigned char *)l, strlen(l),
					 NULL, &cl, &off),
			 LMTP_OK);
	if (cl.arg_len != 16 ||
	    memcmp(l + cl.arg_off, "mail.example.org", 16) != 0)
		fail_msg("got \"%.*s\", want mail.example.org", (int)cl.arg_len,
			 l + cl.arg_off);
}

struct dcase {
	const char *in;
	const char *want;
	size_t consumed; /* 0 = strlen(in) */
	int done, too_long, too_big;
};

static const struct dcase dcases[] = {
    {"a\r\nb\r\n.\r\n", "a\nb\n", 0, 1, 0, 0},
    {"a\nb\n.\n", "a\nb\n", 0, 1, 0, 0},
    {"..x\r\n...\r\n.\r\n", ".x\n..\n", 0, 1, 0, 0},
    {".x\r\n.\r\n", "x\n", 0, 1, 0, 0},
    {"a\rb\r\n.\r\n", "a\rb\n", 0, 1, 0, 0},
    {"a\r\r\n.\r\n", "a\r\n", 0, 1, 0, 0},
    {".\rx\n.\n", "\rx\n", 0, 1, 0, 0},
    {"a\r\n.\r\nMAIL FROM:<>\r\n", "a\n", 6, 1, 0, 0},
    {"a\r\n. \r\n", "a\n \n", 0, 0, 0, 0},
    {"0123456789\n.\n", "0123456789\n", 0, 1, 1, 0},
    {"012345678\n.\n", "012345678\n", 0, 1, 0, 0},
    {".\r\n", "", 0, 1, 0, 0},
};

static void
data_is_unstuffed_and_normalised(void **state)
{
	struct lmtp_data d;
	struct buf out;
	size_t i, k, n, got;

	(void)state;
	buf_init(&out, 0);
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];
		const unsigned char *p = (const unsigned char *)c->in;

		/* whole, then one byte at a time: same result */
		for (k = 0; k < 2; k++) {
			memset(&d, 0, sizeof(d));
			d.at_bol = 1;
			d.max_line = 9;
			buf_reset(&out);
			if (k == 0)
				got =
				    lmtp_data_feed(&d, p, strlen(c->in), &out);
			else
				for (got = 0; got < strlen(c->in) && !d.done;
				     got += n)
					n = lmtp_data_feed(&d, p + got, 1,
							   &out);
			if (strcmp(buf_str(&out), c->want) != 0)
				fail_msg(
				    "case %zu/%zu: got \"%s\", want \"%s\"", i,
				    k, buf_str(&out), c->want);
			if (got != (c->consumed ? c->consumed : strlen(c->in)))
				fail_msg("case %zu/%zu: got consumed %zu", i, k,
					 got);
			if (d.done != c->done || d.too_long != c->too_long ||
			    d.too_big != c->too_big)
				fail_msg(
				    "case %zu/%zu: got done %d long %d big "
				    "%d, want %d %d %d",
				    i, k, d.done, d.too_long, d.too_big,
				    c->done, c->too_long, c->too_big);
		}
	}
	buf_free(&out);
}

static void
data_over_max_size_is_flagged_and_capped(void **state)
{
	const char *in = "0123456789\n0123456789\n.\n";
	struct lmtp_data d = {0};
	struct buf out;

	(void)state;
	d.at_bol = 1;
	d.max_size = 15;
	buf_init(&out, 0);
	assert_int_equal(
	    lmtp_data_feed(&d, (const unsigned char *)in, strlen(in), &out),
	    strlen(in));
	if (!d.done || !d.too_big || out.len > 15)
		fail_msg("got done %d big %d len %zu, want 1 1 <= 15", d.done,
			 d.too_big, out.len);
	buf_free(&out);
}

/* The spool (lmtp_spool.c) empties out as the message grows: the bytes
 * it took still count for max_size. */
static void
data_spilled_bytes_count_for_max_size(void **state)
{
	const char *a = "0123456789\n", *b = "0123456789\n.\n";
	struct lmtp_data d = {0};
	struct buf out;

	(void)state;
	d.at_bol = 1;
	d.max_size = 15;
	buf_init(&out, 0);
	(void)lmtp_data_feed(&d, (const unsigned char *)a, strlen(a), &out);
	d.spilled += out.len; /* the caller moved them to a file */
	buf_reset(&out);
	(void)lmtp_data_feed(&d, (const unsigned char *)b, strlen(b), &out);
	if (!d.done || !d.too_big || d.spilled + out.len > 15)
		fail_msg("got done %d big %d total %zu, want 1 1 <= 15", d.done,
			 d.too_big, d.spilled + out.len);
	buf_free(&out);
}

/* Lines go in by runs, not byte by byte: cut anywhere, the stream gives
 * the same output, capped at max_size at the same byte. */
static void
data_runs_cut_anywhere_give_the_same_output(void **state)
{
	const char *in = "Subject: x\r\n\r\nabcdefghijklmnopqrstuvwxyz\r\n"
			 "..dot\rcr\r\n.\r\n";
	size_t len = strlen(in), cut, max;
	struct lmtp_data a, b;
	struct buf oa, ob;

	(void)state;
	for (max = 20; max <= 100; max += 80)
		for (cut = 0; cut <= len; cut++) {
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			a.at_bol = b.at_bol = 1;
			a.max_size = b.max_size = max;
			buf_init(&oa, 0);
			buf_init(&ob, 0);
			(void)lmtp_data_feed(&a, (const unsigned char *)in, len,
					     &oa);
			(void)lmtp_data_feed(&b, (const unsigned char *)in, cut,
					     &ob);
			(void)lmtp_data_feed(&b,
					     (const unsigned char *)in + cut,
					     len - cut, &ob);
			if (!a.done || !b.done || a.too_big != b.too_big ||
			    oa.len != ob.len || oa.len > max ||
			    memcmp(buf_str(&oa), buf_str(&ob), oa.len) != 0)
				fail_msg(
				    "max %zu cut at %zu: got \"%s\" (big %d), "
				    "want \"%s\" (big %d)",
				    max, cut, buf_str(&ob), b.too_big,
				    buf_str(&oa), a.too_big);
			buf_free(&oa);
			buf_free(&ob);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_each_command_as_expected),
	    cmocka_unit_test(mail_reports_size_body_and_smtputf8),
	    cmocka_unit_test(line_over_the_limit_is_refused),
	    cmocka_unit_test(bdat_reports_chunk_size_and_last),
	    cmocka_unit_test(lhlo_argument_is_reported),
	    cmocka_unit_test(data_is_unstuffed_and_normalised),
	    cmocka_unit_test(data_over_max_size_is_flagged_and_capped),
	    cmocka_unit_test(data_spilled_bytes_count_for_max_size),
	    cmocka_unit_test(data_runs_cut_anywhere_give_the_same_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
