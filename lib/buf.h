/* lib/buf.h - the one bounded, NUL-terminated, growable byte buffer.
 *
 * A buffer tracks data/len/cap and a hard ceiling max (0 = 64 MiB).
 * An append that would pass max fails with -1 and leaves the buffer as it
 * was: nothing is ever truncated silently. Not thread-safe per buffer. */
#ifndef FACTEUR_LIB_BUF_H
#define FACTEUR_LIB_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* owned; always NUL-terminated once anything is added */
	size_t len;
	size_t cap;
	size_t max; /* 0 = BUF_DEFAULT_MAX */
};

#define BUF_DEFAULT_MAX ((size_t)64 << 20)

/* A buffer with no storage yet; max 0 takes the default. */
static inline void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

/* Makes room for n more bytes (+NUL). 0, or -1 on overflow / max / ENOMEM. */
__attribute__((warn_unused_result)) int buf_reserve(struct buf *b, size_t n);
__attribute__((warn_unused_result)) int buf_add(struct buf *b, const void *p,
						size_t n);
__attribute__((warn_unused_result)) int buf_adds(struct buf *b, const char *s);
__attribute__((warn_unused_result)) int buf_addc(struct buf *b, char c);
__attribute__((warn_unused_result, format(printf, 2, 3))) int
buf_printf(struct buf *b, const char *fmt, ...);
__attribute__((warn_unused_result, format(printf, 2, 0))) int
buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* Empties the buffer, keeps storage. */
void buf_reset(struct buf *b);
/* Returns the contents as "" if nothing was ever added. Borrowed. */
const char *buf_str(const struct buf *b);
/* Frees storage; the buffer can be reused after buf_init(). */
void buf_free(struct buf *b);
/* Hands the storage to the caller (owned, NUL-terminated, never NULL on
 * success); the buffer is left empty. NULL on ENOMEM. */
char *buf_steal(struct buf *b);

#endif
