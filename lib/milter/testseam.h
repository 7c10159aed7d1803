/* lib/milter/testseam.h - a recording struct mlt_seam for unit tests.
 * The handle passed to the seam is a struct rec *. Test-only. */
#ifndef FACTEUR_LIB_MILTER_TESTSEAM_H
#define FACTEUR_LIB_MILTER_TESTSEAM_H

#include <stdio.h>
#include <string.h>

#include "seam.h"

#define REC_MAX 64

struct rec {
	char ops[REC_MAX][256]; /* "add N: V", "ins 0 N: V", "chg N[i]: V",
				   "del N[i]", "reply C X T",
				   "quarantine R" */
	size_t n;
	const char *const *macros; /* name, value, ..., NULL */
	void *priv;
	int fail_at; /* 1-based op number that fails; 0 = none */
};

static inline int
rec_push(struct rec *r, const char *s)
{
	if (r->n >= REC_MAX)
		return -1;
	snprintf(r->ops[r->n++], sizeof(r->ops[0]), "%s", s);
	return r->fail_at && (size_t)r->fail_at == r->n ? -1 : 0;
}

static inline int
rec_add(void *h, const char *name, const char *value)
{
	char s[256];

	snprintf(s, sizeof(s), "add %s: %s", name, value);
	return rec_push(h, s);
}

static inline int
rec_ins(void *h, int pos, const char *name, const char *value)
{
	char s[256];

	snprintf(s, sizeof(s), "ins %d %s: %s", pos, name, value);
	return rec_push(h, s);
}

static inline int
rec_chg(void *h, const char *name, int index, const char *value)
{
	char s[256];

	if (value == NULL)
		snprintf(s, sizeof(s), "del %s[%d]", name, index);
	else
		snprintf(s, sizeof(s), "chg %s[%d]: %s", name, index, value);
	return rec_push(h, s);
}

static inline int
rec_reply(void *h, const char *code, const char *xcode, const char *text)
{
	char s[256];

	snprintf(s, sizeof(s), "reply %s %s %s", code, xcode ? xcode : "-",
		 text);
	return rec_push(h, s);
}

static inline const char *
rec_sym(void *h, const char *name)
{
	struct rec *r = h;
	size_t i;

	for (i = 0; r->macros && r->macros[i]; i += 2)
		if (strcmp(r->macros[i], name) == 0)
			return r->macros[i + 1];
	return NULL;
}

static inline int
rec_setpriv(void *h, void *p)
{
	((struct rec *)h)->priv = p;
	return 0;
}

static inline void *
rec_getpriv(void *h)
{
	return ((struct rec *)h)->priv;
}

static inline int
rec_quarantine(void *h, const char *reason)
{
	char s[256];

	snprintf(s, sizeof(s), "quarantine %s", reason);
	return rec_push(h, s);
}

static const struct mlt_seam rec_seam = {
    rec_add, rec_ins,	  rec_chg,     rec_reply,
    rec_sym, rec_setpriv, rec_getpriv, rec_quarantine,
};

#endif
