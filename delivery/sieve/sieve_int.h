/* delivery/sieve/sieve_int.h - internals of the Sieve interpreter shared
 * by its files (lexer, parser, compiler, executor, matcher, RFC 2047
 * decoder). Not part of the contract in sieve.h; the unit tests use it.
 * Everything here is pure: no I/O, no logging, no statics. */
#ifndef FACTEUR_DELIVERY_SIEVE_INT_H
#define FACTEUR_DELIVERY_SIEVE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sieve.h"

struct buf;

/* ---- arena.c: bump allocator, freed as a whole ---- */
struct sv_chunk;
struct sv_arena {
	struct sv_chunk *head;
	size_t used, total; /* bytes handed out / allocated */
};
void sv_arena_init(struct sv_arena *a);
void sv_arena_free(struct sv_arena *a);
/* Zeroed, aligned for any type; NULL on ENOMEM or overflow. */
void *sv_alloc(struct sv_arena *a, size_t n);
/* Copies p[0..n) and adds a NUL. */
char *sv_strndup(struct sv_arena *a, const char *p, size_t n);
/* Sets err (line, col, printf message) and returns st. */
enum sieve_status sv_err(struct sieve_error *err, enum sieve_status st,
			 unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- lexer.c: RFC 5228 section 8.1 ---- */
enum sv_tok {
	SV_T_EOF,
	SV_T_IDENT, /* s = name */
	SV_T_TAG,   /* s = name without ':' */
	SV_T_NUM,   /* num, quantifier applied */
	SV_T_STR,   /* s = decoded value (quoted or text:), NUL-terminated */
	SV_T_LBRACKET,
	SV_T_RBRACKET,
	SV_T_LPAREN,
	SV_T_RPAREN,
	SV_T_LBRACE,
	SV_T_RBRACE,
	SV_T_COMMA,
	SV_T_SEMI,
};

struct sv_token {
	enum sv_tok kind;
	unsigned line, col; /* where the token starts, 1-based */
	const char *s;	    /* from the lexer's arena */
	size_t len;
	uint64_t num;
};

struct sv_lexer {
	const unsigned char *p;
	size_t len, pos;
	unsigned line, col;
	struct sv_arena *a; /* token strings */
};

void sv_lex_init(struct sv_lexer *lx, const unsigned char *p, size_t len,
		 struct sv_arena *a);
/* Next token; on error err has line:col. */
__attribute__((warn_unused_result)) enum sieve_status
sv_lex_next(struct sv_lexer *lx, struct sv_token *t, struct sieve_error *err);
const char *sv_tok_name(enum sv_tok k);

/* ---- parser.c: the generic syntax tree of RFC 5228 section 8.2 ---- */
enum sv_arg_kind { SV_ARG_STRS, SV_ARG_NUM, SV_ARG_TAG };

struct sv_arg {
	enum sv_arg_kind kind;
	unsigned line, col;
	char **strs; /* SV_ARG_STRS */
	size_t nstrs;
	int is_list; /* written as [ ... ] */
	uint64_t num;
	const char *tag; /* without ':' */
	struct sv_arg *next;
};

struct sv_node {
	const char *name;
	unsigned line, col;
	struct sv_arg *args;
	struct sv_node *tests; /* a test or a test-list, linked by next */
	size_t ntests;
	int test_list; /* tests were written "( ... )" */
	int has_block;
	struct sv_node *block; /* commands of the block */
	struct sv_node *next;
};

/* Parses a whole script into *out (from arena a). */
__attribute__((warn_unused_result)) enum sieve_status
sv_parse(const unsigned char *p, size_t len, const struct sieve_limits *lim,
	 struct sv_arena *a, struct sv_node **out, struct sieve_error *err);

/* ---- compile.c: the checked, typed form that sieve_execute runs ---- */
enum sv_match { SV_MATCH_IS, SV_MATCH_CONTAINS, SV_MATCH_MATCHES };
enum sv_cmp { SV_CMP_CASEMAP, SV_CMP_OCTET };
enum sv_part {
	SV_PART_ALL,
	SV_PART_LOCAL,
	SV_PART_DOMAIN,
	SV_PART_USER,
	SV_PART_DETAIL,
};

struct sv_strlist {
	const char *const *v;
	size_t n;
};

enum sv_test_kind {
	SV_TEST_TRUE,
	SV_TEST_FALSE,
	SV_TEST_NOT,
	SV_TEST_ALLOF,
	SV_TEST_ANYOF,
	SV_TEST_HEADER,
	SV_TEST_ADDRESS,
	SV_TEST_ENVELOPE,
	SV_TEST_EXISTS,
	SV_TEST_SIZE,
	SV_TEST_HASFLAG,
};

struct sv_test {
	enum sv_test_kind kind;
	struct sv_test **kids; /* NOT (1), ALLOF, ANYOF */
	size_t nkids;
	enum sv_match match;
	enum sv_cmp cmp;
	enum sv_part part;
	struct sv_strlist names; /* header names / envelope parts / flags */
	struct sv_strlist keys;
	int over;      /* SIZE: 1 = :over, 0 = :under */
	uint64_t size; /* SIZE */
};

enum sv_cmd_kind {
	SV_CMD_IF, /* if, elsif, and else (test NULL) */
	SV_CMD_STOP,
	SV_CMD_KEEP,
	SV_CMD_DISCARD,
	SV_CMD_FILEINTO,
	SV_CMD_REDIRECT,
	SV_CMD_SETFLAG,
	SV_CMD_ADDFLAG,
	SV_CMD_REMOVEFLAG,
	SV_CMD_VACATION,
};

struct sv_cmd {
	enum sv_cmd_kind kind;
	unsigned line;
	struct sv_cmd *next;
	/* IF */
	struct sv_test *test;  /* NULL for else */
	struct sv_cmd *body;   /* the block */
	struct sv_cmd *orelse; /* the elsif/else that follows, or NULL */
	/* actions */
	const char *arg; /* FILEINTO mailbox, REDIRECT address,
			    VACATION reason */
	int copy, create;
	int has_flags;	/* :flags given (KEEP, FILEINTO) */
	unsigned flags; /* :flags or the flag command's list */
	/* VACATION */
	long days;
	const char *subject, *from, *handle;
	struct sv_strlist addresses;
	int mime;
};

struct sieve_script {
	struct sv_arena arena;
	struct sv_cmd *first;
};

/* ---- eval.c ---- */
/* Evaluates test t over msg with the imap4flags variable flags; tmp is
 * scratch space. 1 true, 0 false, -1 with *st (ERUNTIME when a match
 * passed its bound, ENOMEM). */
__attribute__((warn_unused_result)) int sv_eval(const struct sv_test *t,
						const struct sieve_msg *msg,
						unsigned flags, struct buf *tmp,
						enum sieve_status *st);

/* ---- match.c ---- */
/* Matches value v[0..vlen) against key (NUL-terminated) with match type
 * and comparator. 1 match, 0 no match, -1 when :matches passed its step
 * bound (a runtime error: never a silent yes or no). */
__attribute__((warn_unused_result)) int sv_match(enum sv_match m, enum sv_cmp c,
						 const char *v, size_t vlen,
						 const char *key);
/* Flag names ("\\Seen \\Flagged", case-insensitive, space-separated) to
 * SIEVE_FLAG_* bits; unknown names (keywords) are ignored. */
unsigned sv_flags_parse(const char *s);
/* The name of a single SIEVE_FLAG_* bit ("\\Seen"), or NULL. */
const char *sv_flag_name(unsigned bit);

/* ---- rfc2047.c ---- */
/* Appends the decoded form of header value p[0..len) to out: B and Q
 * encoded-words in UTF-8, US-ASCII and ISO-8859-1 become UTF-8, blanks
 * between two encoded-words vanish, anything else (other charsets, bad
 * words) is copied as it is. -1 only when out is full. */
__attribute__((warn_unused_result)) int
sv_rfc2047_decode(const char *p, size_t len, struct buf *out);

#endif
