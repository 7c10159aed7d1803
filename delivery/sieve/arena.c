/* delivery/sieve/arena.c - the interpreter's bump allocator and error
 * helper. A compiled script and a result each own one arena, so freeing
 * is one call and no pointer in them can dangle on its own. */
#include "sieve_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sv_chunk {
	struct sv_chunk *next;
	size_t cap, used;
	max_align_t data[];
};

#define SV_CHUNK_MIN 4096

void
sv_arena_init(struct sv_arena *a)
{
	a->head = NULL;
	a->used = a->total = 0;
}

void
sv_arena_free(struct sv_arena *a)
{
	struct sv_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	sv_arena_init(a);
}

void *
sv_alloc(struct sv_arena *a, size_t n)
{
	const size_t al = sizeof(max_align_t);
	struct sv_chunk *c = a->head;
	size_t cap;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + al - 1) / al * al;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > SV_CHUNK_MIN ? n : SV_CHUNK_MIN;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
		a->total += cap;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *
sv_strndup(struct sv_arena *a, const char *p, size_t n)
{
	char *s;

	if (n == SIZE_MAX || (s = sv_alloc(a, n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

enum sieve_status
sv_err(struct sieve_error *err, enum sieve_status st, unsigned line,
       unsigned col, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (err == NULL)
		return st;
	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* Names from the script end up in the message: keep it ASCII. */
	for (i = 0; err->msg[i] != '\0'; i++)
		if ((unsigned char)err->msg[i] < 0x20 ||
		    (unsigned char)err->msg[i] >= 0x7f)
			err->msg[i] = '?';
	return st;
}

const char *
sieve_strerror(enum sieve_status st)
{
	switch (st) {
	case SIEVE_OK:
		return "ok";
	case SIEVE_ESYNTAX:
		return "syntax error";
	case SIEVE_EUNSUPPORTED:
		return "unsupported";
	case SIEVE_ELIMIT:
		return "limit exceeded";
	case SIEVE_ERUNTIME:
		return "runtime error";
	case SIEVE_ENOMEM:
		return "out of memory";
	}
	return "unknown error";
}
