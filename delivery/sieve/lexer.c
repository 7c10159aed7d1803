/* delivery/sieve/lexer.c - the Sieve tokenizer (RFC 5228 section 8.1):
 * white space, "#" and bracketed comments, identifiers, tags, numbers with
 * K/M/G quantifiers, quoted strings with \\ and \" escapes, multi-line
 * "text:" strings with dot-stuffing, and punctuation. Every error carries
 * the line:col where the bad token starts. Pure. */
#include "sieve_int.h"

#include <string.h>

#include "buf.h"

void
sv_lex_init(struct sv_lexer *lx, const unsigned char *p, size_t len,
	    struct sv_arena *a)
{
	lx->p = p;
	lx->len = len;
	lx->pos = 0;
	lx->line = 1;
	lx->col = 1;
	lx->a = a;
}

const char *
sv_tok_name(enum sv_tok k)
{
	static const char *const names[] = {
	    "end of script", "identifier", "tag", "number", "string",
	    "'['",	     "']'",	   "'('", "')'",    "'{'",
	    "'}'",	     "','",	   "';'"};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static int
lx_peek(const struct sv_lexer *lx, size_t ahead)
{
	return lx->pos + ahead < lx->len ? lx->p[lx->pos + ahead] : -1;
}

static void
lx_adv(struct sv_lexer *lx)
{
	if (lx->p[lx->pos] == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->pos++;
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Skips blanks and comments; an unterminated bracket comment is an error. */
static enum sieve_status
lx_skip(struct sv_lexer *lx, struct sieve_error *err)
{
	unsigned l, c;
	int ch;

	for (;;) {
		ch = lx_peek(lx, 0);
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			lx_adv(lx);
		} else if (ch == '#') {
			while (lx_peek(lx, 0) != -1 && lx_peek(lx, 0) != '\n')
				lx_adv(lx);
		} else if (ch == '/' && lx_peek(lx, 1) == '*') {
			l = lx->line;
			c = lx->col;
			lx_adv(lx);
			lx_adv(lx);
			while (
			    !(lx_peek(lx, 0) == '*' && lx_peek(lx, 1) == '/')) {
				if (lx_peek(lx, 0) == -1)
					return sv_err(
					    err, SIEVE_ESYNTAX, l, c,
					    "unterminated /* comment");
				lx_adv(lx);
			}
			lx_adv(lx);
			lx_adv(lx);
		} else {
			return SIEVE_OK;
		}
	}
}

static enum sieve_status
lx_string_done(struct sv_lexer *lx, struct sv_token *t, struct buf *b,
	       struct sieve_error *err)
{
	t->kind = SV_T_STR;
	t->len = b->len;
	t->s = sv_strndup(lx->a, buf_str(b), b->len);
	buf_free(b);
	if (t->s == NULL)
		return sv_err(err, SIEVE_ENOMEM, t->line, t->col,
			      "out of memory");
	return SIEVE_OK;
}

/* A quoted string; lx is on the opening quote. */
static enum sieve_status
lx_quoted(struct sv_lexer *lx, struct sv_token *t, struct sieve_error *err)
{
	struct buf b;
	int ch;

	buf_init(&b, 0);
	lx_adv(lx);
	for (;;) {
		ch = lx_peek(lx, 0);
		if (ch == -1) {
			buf_free(&b);
			return sv_err(err, SIEVE_ESYNTAX, t->line, t->col,
				      "unterminated quoted string");
		}
		if (ch == '"')
			break;
		if (ch == '\\') {
			/* \\ and \" are defined; any other \x is x. */
			lx_adv(lx);
			if ((ch = lx_peek(lx, 0)) == -1)
				continue;
		}
		if (ch == 0) {
			buf_free(&b);
			return sv_err(err, SIEVE_ESYNTAX, lx->line, lx->col,
				      "NUL byte in a string");
		}
		if (buf_addc(&b, (char)ch) < 0) {
			buf_free(&b);
			return sv_err(err, SIEVE_ELIMIT, t->line, t->col,
				      "string too long");
		}
		lx_adv(lx);
	}
	lx_adv(lx);
	return lx_string_done(lx, t, &b, err);
}

/* A "text:" string; lx is just after the ':'. */
static enum sieve_status
lx_text(struct sv_lexer *lx, struct sv_token *t, struct sieve_error *err)
{
	struct buf b;
	size_t start, end;
	int ch;

	while ((ch = lx_peek(lx, 0)) == ' ' || ch == '\t')
		lx_adv(lx);
	if (ch == '#') {
		while (lx_peek(lx, 0) != -1 && lx_peek(lx, 0) != '\n')
			lx_adv(lx);
	} else if (ch == '\r' && lx_peek(lx, 1) == '\n') {
		lx_adv(lx);
	} else if (ch != '\n') {
		return sv_err(err, SIEVE_ESYNTAX, lx->line, lx->col,
			      "text: must be followed by the end of the line");
	}
	if (lx_peek(lx, 0) == '\n')
		lx_adv(lx);
	buf_init(&b, 0);
	for (;;) {
		if (lx_peek(lx, 0) == -1) {
			buf_free(&b);
			return sv_err(
			    err, SIEVE_ESYNTAX, t->line, t->col,
			    "unterminated text: string (no line with a "
			    "single '.')");
		}
		start = lx->pos;
		while (lx_peek(lx, 0) != -1 && lx_peek(lx, 0) != '\n')
			lx_adv(lx);
		end = lx->pos;
		if (memchr(lx->p + start, 0, end - start) != NULL) {
			buf_free(&b);
			return sv_err(err, SIEVE_ESYNTAX, lx->line, 1,
				      "NUL byte in a string");
		}
		if (lx_peek(lx, 0) == '\n')
			lx_adv(lx);
		if (lx->p[start] == '.') {
			if (end - start == 1 ||
			    (end - start == 2 && lx->p[start + 1] == '\r'))
				break;
			start++; /* dot-stuffing: ".." is "." */
		}
		if (buf_add(&b, lx->p + start, lx->pos - start) < 0) {
			buf_free(&b);
			return sv_err(err, SIEVE_ELIMIT, t->line, t->col,
				      "string too long");
		}
	}
	return lx_string_done(lx, t, &b, err);
}

static enum sieve_status
lx_number(struct sv_lexer *lx, struct sv_token *t, struct sieve_error *err)
{
	uint64_t n = 0, mul = 1;
	int ch;

	while (is_digit(ch = lx_peek(lx, 0))) {
		if (n > (UINT64_MAX - (uint64_t)(ch - '0')) / 10)
			return sv_err(err, SIEVE_ESYNTAX, t->line, t->col,
				      "number too large");
		n = n * 10 + (uint64_t)(ch - '0');
		lx_adv(lx);
	}
	if (ch == 'K' || ch == 'k')
		mul = (uint64_t)1 << 10;
	else if (ch == 'M' || ch == 'm')
		mul = (uint64_t)1 << 20;
	else if (ch == 'G' || ch == 'g')
		mul = (uint64_t)1 << 30;
	if (mul != 1) {
		lx_adv(lx);
		if (n > UINT64_MAX / mul)
			return sv_err(err, SIEVE_ESYNTAX, t->line, t->col,
				      "number too large");
		n *= mul;
	}
	if (is_alpha(lx_peek(lx, 0)) || is_digit(lx_peek(lx, 0)))
		return sv_err(err, SIEVE_ESYNTAX, lx->line, lx->col,
			      "bad number: unexpected '%c' after the digits",
			      lx_peek(lx, 0));
	t->kind = SV_T_NUM;
	t->num = n;
	return SIEVE_OK;
}

/* An identifier, a tag (after ':'), or the start of "text:". */
static enum sieve_status
lx_word(struct sv_lexer *lx, struct sv_token *t, int tag,
	struct sieve_error *err)
{
	size_t start = lx->pos;

	while (is_alpha(lx_peek(lx, 0)) || is_digit(lx_peek(lx, 0)))
		lx_adv(lx);
	if (!tag && lx->pos - start == 4 &&
	    strncasecmp((const char *)lx->p + start, "text", 4) == 0 &&
	    lx_peek(lx, 0) == ':') {
		lx_adv(lx);
		return lx_text(lx, t, err);
	}
	t->kind = tag ? SV_T_TAG : SV_T_IDENT;
	t->len = lx->pos - start;
	if ((t->s = sv_strndup(lx->a, (const char *)lx->p + start, t->len)) ==
	    NULL)
		return sv_err(err, SIEVE_ENOMEM, t->line, t->col,
			      "out of memory");
	return SIEVE_OK;
}

static const char lx_punct[] = "[]()}{,;";
static const enum sv_tok lx_punct_tok[] = {
    SV_T_LBRACKET, SV_T_RBRACKET, SV_T_LPAREN, SV_T_RPAREN,
    SV_T_RBRACE,   SV_T_LBRACE,	  SV_T_COMMA,  SV_T_SEMI};

enum sieve_status
sv_lex_next(struct sv_lexer *lx, struct sv_token *t, struct sieve_error *err)
{
	enum sieve_status st;
	const char *q;
	int ch;

	memset(t, 0, sizeof(*t));
	if ((st = lx_skip(lx, err)) != SIEVE_OK)
		return st;
	t->line = lx->line;
	t->col = lx->col;
	ch = lx_peek(lx, 0);
	if (ch == -1) {
		t->kind = SV_T_EOF;
		return SIEVE_OK;
	}
	if (ch == '"')
		return lx_quoted(lx, t, err);
	if (is_digit(ch))
		return lx_number(lx, t, err);
	if (is_alpha(ch))
		return lx_word(lx, t, 0, err);
	if (ch == ':') {
		if (!is_alpha(lx_peek(lx, 1)))
			return sv_err(err, SIEVE_ESYNTAX, t->line, t->col,
				      "':' must be followed by a tag name");
		lx_adv(lx);
		return lx_word(lx, t, 1, err);
	}
	if (ch != 0 && (q = strchr(lx_punct, ch)) != NULL) {
		t->kind = lx_punct_tok[q - lx_punct];
		lx_adv(lx);
		return SIEVE_OK;
	}
	if (ch >= 0x21 && ch < 0x7f)
		return sv_err(err, SIEVE_ESYNTAX, t->line, t->col,
			      "unexpected character '%c'", ch);
	return sv_err(err, SIEVE_ESYNTAX, t->line, t->col,
		      "unexpected byte 0x%02x", (unsigned)ch);
}
