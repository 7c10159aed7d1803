/* lib/spam/ev_test_rows.h - the eval-row table type, the message parts
 * the rows share and the runner, for ev_test.c (parser, header, relay
 * and list evals) and ev_msg_test.c (the message's parse, MIME, text,
 * HTML and header values). Included by one test file each. */
#ifndef FACTEUR_SPAM_EV_TEST_ROWS_H
#define FACTEUR_SPAM_EV_TEST_ROWS_H

struct eval_case {
	const char *rules; /* rule lines */
	const char *msg;   /* the message */
	const char *rule;  /* the rule to look at */
	int want;	   /* fires (1) or not (0) */
};

#define HDRS "From: a@example.com\r\nTo: b@example.net\r\n"
#define FM_REPLYTO                                                             \
	"freemail_domains mail.com excite.com\n"                               \
	"header T eval:check_freemail_replyto('replyto')\n"
#define FM_HDRS                                                                \
	"From: a@mail.com\r\nTo: b@example.net\r\nReply-To: a@mail.com\r\n"    \
	"Subject: s\r\n"
/* 2,045 "x": a line just under MAX_BODY_LINE_LENGTH */
#define X20 "xxxxxxxxxxxxxxxxxxxx"
#define X500                                                                   \
	X20 X20 X20 X20 X20 X20 X20 X20 X20 X20 X20 X20 X20 X20 X20 X20 X20    \
	    X20 X20 X20 X20 X20 X20 X20 X20
#define X2045 X500 X500 X500 X500 X20 X20 "xxxxx"
/* ALL-EXTERNAL... rows: a private hop and two public ones */
#define RCVD_GW                                                                \
	"Received: from gw (gw [10.0.0.2]) by mx (Postfix) with ESMTP id "     \
	"A01\r\n"
#define RCVD_A                                                                 \
	"Received: from a.example (a.example [192.0.2.1]) by mx.example "      \
	"(Postfix) with ESMTP id AB1\r\n"
#define RCVD_B                                                                 \
	"Received: from b.example (b.example [198.51.100.2]) by a.example "    \
	"(Postfix) with ESMTP id AB2\r\n"
#define EV_BODY HDRS "Subject: s\r\n\r\nx\r\n"
#define DOS_RELAYED                                                            \
	"/(?:^|\\n)[Rr][eE][cC][eE][iI][vV][eE][dD]:\\s.+\\n"                  \
	"[Rr][eE][cC][eE][iI][vV][eE][dD]:\\s/s"
/* 61 characters of shouting, a line */
#define UPPER                                                                  \
	"THIS IS A LINE OF SHOUTING WORDS IN CAPITALS FOR THE TEST NOW\r\n"
/* 90 characters */
#define LINE90                                                                 \
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"       \
	"0123456789abcdefghijklmnopqr"
#define L1K                                                                    \
	LINE90 LINE90 LINE90 LINE90 LINE90 LINE90 LINE90 LINE90 LINE90 LINE90  \
	    LINE90 LINE90
/* over 8192 characters */
#define LONG8K L1K L1K L1K L1K L1K L1K L1K L1K

/* Runs each row in a fresh engine over its own rule file; every row that
 * does not answer as SpamAssassin does is named, then the test fails. */
static void
ev_rows_run(const struct eval_case *rows, size_t nrows)
{
	char dir[] = "/tmp/ev_test.XXXXXX";
	size_t i, bad = 0;

	assert_non_null(mkdtemp(dir));
	for (i = 0; i < nrows; i++) {
		const struct eval_case *k = &rows[i];
		struct sp_engine_opts o;
		struct sp_engine *e;
		struct sp_result res;
		char path[512], err[512];
		FILE *f;
		size_t h;
		int hit = 0;

		snprintf(path, sizeof(path), "%s/t.cf", dir);
		assert_non_null(f = fopen(path, "w"));
		fprintf(f, "%sscore %s 1.0\n", k->rules, k->rule);
		fclose(f);
		memset(&o, 0, sizeof(o));
		o.rules_path = path;
		o.required_score = 5.0;
		if (sp_engine_new(&o, &e, err, sizeof(err)) < 0)
			fail_msg("case %zu: %s", i, err);
		assert_int_equal(sp_engine_check(e, k->msg, strlen(k->msg),
						 NULL, &res, err, sizeof(err)),
				 0);
		for (h = 0; h < res.nhits; h++)
			hit |= strcmp(res.hits[h]->name, k->rule) == 0;
		/* every failing row is named, not only the first */
		if (hit != k->want) {
			print_error("case %zu (%s): got %d, want %d\n", i,
				    k->rules, hit, k->want);
			bad++;
		}
		sp_result_clear(&res);
		sp_engine_free(&e);
		unlink(path);
	}
	rmdir(dir);
	assert_int_equal(bad, 0);
}

#endif
