/* lib/spam/meta.h - SpamAssassin "meta" expressions: boolean (&& || !)
 * and arithmetic (+ - * /, comparisons) over rule names and numbers, with
 * parentheses and Perl's precedence. Compiled once to a postfix program,
 * evaluated per message over an array of rule values. Pure; a compiled
 * expression is immutable and may be shared by threads. */
#ifndef FACTEUR_SPAM_META_H
#define FACTEUR_SPAM_META_H

#include <stddef.h>

struct sp_meta;

/* Maps the identifier name[0..n) to an index into the values array, or
 * returns -1 if it is unknown (a compile error). */
typedef long (*sp_meta_resolve_fn)(void *ctx, const char *name, size_t n);

enum sp_meta_status {
	SP_META_OK,
	SP_META_ESYNTAX,  /* *err_off: the offending byte */
	SP_META_EUNKNOWN, /* an identifier the resolver does not know */
	SP_META_ELIMIT,	  /* longer than 4096 terms or nested past 64 */
	SP_META_ENOMEM,
};

/* Compiles expr (NUL-terminated). *out owned: free with sp_meta_free. */
__attribute__((warn_unused_result)) enum sp_meta_status
sp_meta_compile(const char *expr, sp_meta_resolve_fn resolve, void *ctx,
		struct sp_meta **out, size_t *err_off);

/* Evaluates over values[] (indices from the resolver). Booleans are 0/1;
 * division by zero gives 0. */
double sp_meta_eval(const struct sp_meta *m, const double *values);

/* The indices the expression reads (borrowed until sp_meta_free). */
size_t sp_meta_deps(const struct sp_meta *m, const long **idx);

void sp_meta_free(struct sp_meta **m);

/* Many metas as one program: each appended meta's value is stored, as 0
 * or 1, into values[dst] before the next one runs. One flat array read
 * in order, instead of a struct and a program per meta that a message's
 * scan has pushed out of the cache. Immutable once built; may be shared
 * by threads. */
struct sp_meta_batch;

/* Appends m (*b NULL: a new batch). 0 or -1 (ENOMEM, or past 2^31
 * instructions). */
__attribute__((warn_unused_result)) int
sp_meta_batch_add(struct sp_meta_batch **b, const struct sp_meta *m, long dst);

/* Runs the metas in the order they were added (b may be NULL). */
void sp_meta_batch_run(const struct sp_meta_batch *b, double *values);

void sp_meta_batch_free(struct sp_meta_batch **b);

/* A static English text for a status. */
const char *sp_meta_strerror(enum sp_meta_status st);

#endif
