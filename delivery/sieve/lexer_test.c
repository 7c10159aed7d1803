/* delivery/sieve/lexer_test.c - every token kind, escapes, text: with
 * dot-stuffing, quantifiers, and errors with their line:col. */
#include "testutil.h"

#include "sieve_int.h"

struct lex_case {
	const char *in;
	const char *want; /* tokens as "KIND:value" joined by spaces */
};

/* Renders all tokens of in, or "ERR l:c msg". */
static void
render(const char *in, char *out, size_t outlen)
{
	struct sv_arena a;
	struct sv_lexer lx;
	struct sv_token t;
	struct sieve_error err;
	size_t n = 0;
	static const char *const kinds[] = {"EOF", "ID", "TAG", "NUM", "STR",
					    "[",   "]",	 "(",	")",   "{",
					    "}",   ",",	 ";"};

	sv_arena_init(&a);
	sv_lex_init(&lx, (const unsigned char *)in, strlen(in), &a);
	out[0] = '\0';
	for (;;) {
		if (sv_lex_next(&lx, &t, &err) != SIEVE_OK) {
			snprintf(out + n, outlen - n, "ERR %u:%u %s", err.line,
				 err.col, err.msg);
			break;
		}
		if (t.kind == SV_T_EOF)
			break;
		if (t.kind == SV_T_NUM)
			n += (size_t)snprintf(out + n, outlen - n, "NUM:%llu ",
					      (unsigned long long)t.num);
		else if (t.kind == SV_T_IDENT || t.kind == SV_T_TAG ||
			 t.kind == SV_T_STR)
			n += (size_t)snprintf(out + n, outlen - n, "%s:%s ",
					      kinds[t.kind], t.s);
		else
			n += (size_t)snprintf(out + n, outlen - n, "%s ",
					      kinds[t.kind]);
		if (n >= outlen)
			break;
	}
	sv_arena_free(&a);
}

static const struct lex_case lex_cases[] = {
    {"", ""},
    {"keep;", "ID:keep ; "},
    {"if header :contains \"a\" [\"b\",\"c\"] { stop; }",
     "ID:if ID:header TAG:contains STR:a [ STR:b , STR:c ] { ID:stop ; } "},
    {"anyof(true, false)", "ID:anyof ( ID:true , ID:false ) "},
    {"size :over 100K 2M 3g 0 7", "ID:size TAG:over NUM:102400 "
				  "NUM:2097152 NUM:3221225472 NUM:0 NUM:7 "},
    {"\"a\\\\b\\\"c\\d\"", "STR:a\\b\"cd "},
    {"\"two\nlines\"", "STR:two\nlines "},
    {"# comment\nkeep; # more\n/* block\n comment */ stop;",
     "ID:keep ; ID:stop ; "},
    {"text:\nhello\n..dot\n.\n;", "STR:hello\n.dot\n ; "},
    {"text: # comment\r\nline\r\n.\r\n", "STR:line\r\n "},
    {"TEXT:\n.\n", "STR: "},
    {"_under_score9", "ID:_under_score9 "},
    {"\"\"", "STR: "},
    /* errors, with line:col */
    {"keep;\n  \"open", "ID:keep ; ERR 2:3 unterminated quoted string"},
    {"/* never closed", "ERR 1:1 unterminated /* comment"},
    {"keep;\ntext:\nno end\n", "ID:keep ; ERR 2:1 unterminated text: "
			       "string (no line with a single '.')"},
    {"text: junk\n.\n", "ERR 1:7 text: must be followed by the end of "
			"the line"},
    {"keep @", "ID:keep ERR 1:6 unexpected character '@'"},
    {"a :", "ID:a ERR 1:3 ':' must be followed by a tag name"},
    {"99999999999999999999", "ERR 1:1 number too large"},
    {"17179869184G", "ERR 1:1 number too large"},
    {"10X", "ERR 1:3 bad number: unexpected 'X' after the digits"},
    {"\n\n   \x01", "ERR 3:4 unexpected byte 0x01"},
};

static void
test_lexer_tokens_and_errors(void **state)
{
	char got[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lex_cases) / sizeof(lex_cases[0]); i++) {
		render(lex_cases[i].in, got, sizeof(got));
		if (strcmp(got, lex_cases[i].want) != 0)
			BAD("lex(\"%s\"): got \"%s\", want \"%s\"",
			    lex_cases[i].in, got, lex_cases[i].want);
	}
	done();
}

static void
test_lexer_rejects_nul_in_string(void **state)
{
	static const unsigned char in[] = "\"a\0b\"";
	struct sv_arena a;
	struct sv_lexer lx;
	struct sv_token t;
	struct sieve_error err;
	enum sieve_status st;

	(void)state;
	sv_arena_init(&a);
	sv_lex_init(&lx, in, sizeof(in) - 1, &a);
	st = sv_lex_next(&lx, &t, &err);
	if (st != SIEVE_ESYNTAX || err.col != 3)
		BAD("lex(NUL in string): got %s at col %u, want SIEVE_ESYNTAX "
		    "at col 3",
		    st_name(st), err.col);
	sv_arena_free(&a);
	done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lexer_tokens_and_errors),
	    cmocka_unit_test(test_lexer_rejects_nul_in_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
