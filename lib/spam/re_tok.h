/* lib/spam/re_tok.h - one lexer of the PCRE subset that SpamAssassin's
 * rule patterns use, for the three pattern scanners built on it:
 * match_relax() and match_reverse() (match_relax.c) and match_ascii()
 * (match_ascii.c). Internal to lib/spam.
 *
 * It reads one token at a time and keeps no state: what a token means
 * where it stands (a '*' at the start of an alternative, a group nested
 * too deep) is the scanner's to decide. It never reads past n and never
 * allocates. A token's length is its bytes in the pattern; the scanners
 * copy those bytes when they keep a token, so what they write is made of
 * the pattern's own spelling. */
#ifndef FACTEUR_SPAM_RE_TOK_H
#define FACTEUR_SPAM_RE_TOK_H

#include <stddef.h>

enum rt_kind {
	RT_END,	   /* the end of the pattern (len 0) */
	RT_LIT,	   /* one byte that stands for itself; also a '{' that is
		      not a quantifier, ']', '}' */
	RT_ANY,	   /* '.' */
	RT_ANCHOR, /* '^' or '$' */
	RT_ESC,	   /* a backslash escape, see rt_escape() */
	RT_CLASS,  /* [...] whole; its members: rt_member() */
	RT_OPEN,   /* a group's opener, its kind in group */
	RT_CLOSE,  /* ')' */
	RT_ALT,	   /* '|' */
	RT_QUANT,  /* *, +, ?, {m}, {m,}, {m,n}, and a lazy '?' or
		      possessive '+' after it */
	RT_POSIX,  /* in a class only: [:name:] */
	RT_BAD,	   /* in a class only: a "[:" PCRE2 does not read as a
		      POSIX name (no ":]" before a ']'), len 1 */
};

/* A group opener's kind. Its length is "(" or "(?" up to the first of
 * ':', '=', '!', '>' or ')' (included), or to the end. */
enum rt_group {
	RG_CAP,	   /* ( */
	RG_NONCAP, /* (?: */
	RG_ATOMIC, /* (?> */
	RG_LA,	   /* (?= */
	RG_NLA,	   /* (?! */
	RG_LB,	   /* (?<= */
	RG_NLB,	   /* (?<! */
	RG_NAMED,  /* (?<name> or (?P<name>, name [A-Za-z0-9_]* */
	RG_SCOPED, /* (?i:, (?i-s: ... : one of "ims-" at least */
	RG_FLAGS,  /* (?i), (?-s), (?) : options set for what follows */
	RG_VERB,   /* (* : a backtracking verb */
	RG_COND,   /* (?( : a conditional */
	RG_OTHER,  /* anything else after "(?": (?#..., (?|, (?R), (?P=n) */
};

/* A quantifier's mode: the mark after it. */
enum rt_mode { RQ_GREEDY, RQ_LAZY, RQ_POSSESSIVE };

#define RT_MAX_COUNT 999999UL	   /* larger {m,n} counts read as this */
#define RT_INF ((unsigned long)-1) /* max of *, +, {m,} */

struct rt_tok {
	enum rt_kind kind;
	size_t at, len; /* the token is p[at .. at + len) */
	/* RT_LIT, RT_ANY, RT_ANCHOR: the byte; RT_ESC: the byte the
	 * backslash is followed by (0: the pattern ends there) */
	int ch;
	/* the one byte the token stands for, or -1: RT_LIT, RT_ANY,
	 * RT_ANCHOR: ch; RT_ESC: \xHH's value, or ch if punctuation */
	int value;
	enum rt_group group; /* RT_OPEN */
	int neg;	     /* RT_CLASS: [^...] */
	int closed;	     /* RT_CLASS: its ']' is there (included) */
	/* RT_BAD: a ":]" comes later (the scanners before this lexer read
	 * "[:" up to it, past where PCRE2 ends the class); RT_CLASS: one of
	 * its members is such */
	int bad;
	/* RT_QUANT: the counts ({m,n} read; ? is 0,1; * 0,INF; + 1,INF),
	 * the base's length (without the mode mark), its mode */
	unsigned long min, max;
	size_t base;
	enum rt_mode mode;
};

/* The token at p[i] (p has n bytes, i <= n): out of a class. */
void rt_next(const char *p, size_t n, size_t i, struct rt_tok *t);

/* The class member at p[i] (inside [...], i < n): RT_LIT (one byte, a
 * ']' too: whether it ends the class is the caller's to know), RT_ESC,
 * RT_POSIX ("[:" up to the first ":]", none of ']' and "[:" between), or
 * RT_BAD (len 1: any other "[:", which PCRE2 reads as '[' then ':';
 * match_ascii refuses it; t->bad if a ":]" comes later, which the
 * scanners before this lexer took for the name's end, past the class's:
 * all three refuse that class). A range a-z is three members. */
void rt_member(const char *p, size_t n, size_t i, struct rt_tok *t);

/* The index of the first member of the class at t (RT_CLASS). */
size_t rt_class_first(const struct rt_tok *t);

#endif
