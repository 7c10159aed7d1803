/* lib/spam/match_relax.h - match_reverse(): for hyperscan to find where
 * a prefiltered rule's matches can start (see match_relax.c). Internal. */
#ifndef FACTEUR_SPAM_MATCH_RELAX_H
#define FACTEUR_SPAM_MATCH_RELAX_H

#include <stddef.h>

/* Writes to out a pattern that, over the text read backwards, matches
 * (at least) every span re matches over the text: its match ending at
 * offset n - s (n the text's length) tells that re may match from s on.
 * The items of each alternative are put in reverse order, each with its
 * quantifier (alternatives stay in theirs); assertions (^, $, \b, \z,
 * lookarounds) are dropped, which only widens it, and '{' '}' are
 * escaped. Refused (-1): a backreference, recursion, \K, \R, \X, \Q,
 * \E, inline flags (?i) other than scoped ones (?i:...), a verb or a
 * conditional, a quantified quantifier, a class with no ']', a \p or \P
 * with no property, a group name not of [A-Za-z0-9_], nesting deeper
 * than 64, or an out that is too small (twice re's length always fits). Meant
 * for match_relax()'s output, which has no bounded repeats left. Pure. */
int match_reverse(const char *re, char *out, size_t outlen);

#endif
