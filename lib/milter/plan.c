/* lib/milter/plan.c - the header edit plan; see plan.h. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "seam.h"

#define PLAN_DEFAULT_MAX 256
#define PLAN_MAX_NAME 997
#define PLAN_MAX_VALUE 16384

int
mlt_header_name_ok(const char *name)
{
	size_t i;

	if (name == NULL || *name == '\0')
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];
		if (i >= PLAN_MAX_NAME || c < 33 || c > 126 || c == ':')
			return 0;
	}
	return 1;
}

int
mlt_header_value_ok(const char *value)
{
	size_t i;

	if (value == NULL)
		return 0;
	for (i = 0; value[i] != '\0'; i++) {
		if (i >= PLAN_MAX_VALUE || value[i] == '\r')
			return 0;
		if (value[i] == '\n' && value[i + 1] != ' ' &&
		    value[i + 1] != '\t')
			return 0;
	}
	return 1;
}

static int
plan_grow(struct mlt_plan *p)
{
	size_t max = p->max ? p->max : PLAN_DEFAULT_MAX;
	size_t ncap;
	struct mlt_edit *v;

	if (p->n >= max)
		return -1;
	if (p->n < p->cap)
		return 0;
	ncap = p->cap ? p->cap * 2 : 8;
	if (ncap > max)
		ncap = max;
	if ((v = realloc(p->v, ncap * sizeof(*v))) == NULL)
		return -1;
	p->v = v;
	p->cap = ncap;
	return 0;
}

int
mlt_plan_add(struct mlt_plan *p, enum mlt_edit_kind kind, const char *name,
	     int index, const char *value)
{
	struct mlt_edit e = {kind, NULL, NULL, index};

	if (!mlt_header_name_ok(name))
		return -1;
	if (kind == MLT_EDIT_DELETE ? value != NULL
				    : !mlt_header_value_ok(value))
		return -1;
	if ((kind == MLT_EDIT_CHANGE || kind == MLT_EDIT_DELETE) && index < 1)
		return -1;
	if (kind == MLT_EDIT_INSERT && index < 0)
		return -1;
	if (plan_grow(p) < 0)
		return -1;
	if ((e.name = strdup(name)) == NULL)
		return -1;
	if (value != NULL && (e.value = strdup(value)) == NULL) {
		free(e.name);
		return -1;
	}
	p->v[p->n++] = e;
	return 0;
}

/* Sort key: change/delete before insert/add; among those, by name, then
 * by index from the last down; otherwise queue order. */
static int
plan_before(const struct mlt_plan *p, size_t a, size_t b)
{
	const struct mlt_edit *x = &p->v[a], *y = &p->v[b];
	int xm = x->kind == MLT_EDIT_CHANGE || x->kind == MLT_EDIT_DELETE;
	int ym = y->kind == MLT_EDIT_CHANGE || y->kind == MLT_EDIT_DELETE;
	int c;

	if (xm != ym)
		return xm;
	if (xm) {
		if ((c = strcasecmp(x->name, y->name)) != 0)
			return c < 0;
		if (x->index != y->index)
			return x->index > y->index;
	}
	return a < b;
}

void
mlt_plan_order(const struct mlt_plan *p, size_t *order)
{
	size_t i, j, t;

	/* Insertion sort: plans are small (<= max) and it is stable. */
	for (i = 0; i < p->n; i++)
		order[i] = i;
	for (i = 1; i < p->n; i++) {
		t = order[i];
		for (j = i; j > 0 && plan_before(p, t, order[j - 1]); j--)
			order[j] = order[j - 1];
		order[j] = t;
	}
}

static int
plan_apply_one(const struct mlt_edit *e, const struct mlt_seam *s, void *h)
{
	switch (e->kind) {
	case MLT_EDIT_ADD:
		return s->addheader(h, e->name, e->value);
	case MLT_EDIT_INSERT:
		return s->insheader(h, e->index, e->name, e->value);
	case MLT_EDIT_CHANGE:
		return s->chgheader(h, e->name, e->index, e->value);
	case MLT_EDIT_DELETE:
		return s->chgheader(h, e->name, e->index, NULL);
	case MLT_EDIT_QUARANTINE:
		return s->quarantine ? s->quarantine(h, e->value) : -1;
	}
	return -1;
}

/* With leadspc, a header value goes out as " value" (an empty CHANGE
 * value still means delete). */
static int
plan_apply_spaced(const struct mlt_plan *p, const struct mlt_edit *e,
		  const struct mlt_seam *s, void *h)
{
	struct mlt_edit sp = *e;
	size_t n;
	int r;

	if (!p->leadspc || e->value == NULL || e->value[0] == '\0' ||
	    (e->kind != MLT_EDIT_ADD && e->kind != MLT_EDIT_INSERT &&
	     e->kind != MLT_EDIT_CHANGE))
		return plan_apply_one(e, s, h);
	n = strlen(e->value);
	if ((sp.value = malloc(n + 2)) == NULL)
		return -1;
	sp.value[0] = ' ';
	memcpy(sp.value + 1, e->value, n + 1);
	r = plan_apply_one(&sp, s, h);
	free(sp.value);
	return r;
}

int
mlt_plan_apply(const struct mlt_plan *p, const struct mlt_seam *s, void *handle,
	       const char **what)
{
	size_t *order, i;
	int r = 0;

	if (p->n == 0)
		return 0;
	if ((order = calloc(p->n, sizeof(*order))) == NULL) {
		*what = "out of memory";
		return -1;
	}
	mlt_plan_order(p, order);
	for (i = 0; i < p->n; i++) {
		if (plan_apply_spaced(p, &p->v[order[i]], s, handle) != 0) {
			*what = p->v[order[i]].name;
			r = -1;
			break;
		}
	}
	free(order);
	return r;
}

void
mlt_plan_free(struct mlt_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].value);
	}
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}
