/* lib/milter/plan.h - header edits, collected during a message and applied
 * once at end of message through the seam.
 *
 * Changes and deletions address "the index-th header named NAME" (1-based,
 * case-insensitive), as smfi_chgheader does. Applying a deletion shifts the
 * indices after it, so mlt_plan_order() puts every change/deletion first,
 * grouped by name, from the LAST index down (OpenDKIM deleted forward:
 * CVE-2022-48521), then inserts and adds in the order they were queued.
 * The plan owns copies of its strings. Not thread-safe per plan. */
#ifndef FACTEUR_LIB_MILTER_PLAN_H
#define FACTEUR_LIB_MILTER_PLAN_H

#include <stddef.h>

struct mlt_seam;

/* MLT_EDIT_QUARANTINE is no header edit: it asks the MTA to hold the
 * message (smfi_quarantine, value = reason), which libmilter allows only
 * at eom, so it travels in the plan. */
enum mlt_edit_kind {
	MLT_EDIT_ADD,
	MLT_EDIT_INSERT,
	MLT_EDIT_CHANGE,
	MLT_EDIT_DELETE,
	MLT_EDIT_QUARANTINE
};

struct mlt_edit {
	enum mlt_edit_kind kind;
	char *name;  /* owned */
	char *value; /* owned; NULL for DELETE */
	int index;   /* CHANGE/DELETE: 1-based; INSERT: 0-based position */
};

struct mlt_plan {
	struct mlt_edit *v; /* owned */
	size_t n, cap;
	size_t max;  /* 0 = 256 edits */
	int leadspc; /* SMFIP_HDR_LEADSPC: the MTA writes "Name:" and
			the value as given, so apply() prefixes the
			values of ADD/INSERT/CHANGE with one space
			("Name: value", as without it) */
};

/* Header name: 1..997 printable ASCII bytes other than ':'. Value: no NUL,
 * no CR; a LF must be followed by a space or tab (folding). Pure. */
int mlt_header_name_ok(const char *name);
int mlt_header_value_ok(const char *value);

/* Queue an edit. 0, or -1 on a bad name/value/index, past max or ENOMEM. */
__attribute__((warn_unused_result)) int
mlt_plan_add(struct mlt_plan *p, enum mlt_edit_kind kind, const char *name,
	     int index, const char *value);

/* Fills order[0..p->n) with edit indices in application order. Pure. */
void mlt_plan_order(const struct mlt_plan *p, size_t *order);

/* Applies the plan in order through the seam. 0, or -1 with the failing
 * edit's name in *what (borrowed from the plan). */
__attribute__((warn_unused_result)) int mlt_plan_apply(const struct mlt_plan *p,
						       const struct mlt_seam *s,
						       void *handle,
						       const char **what);

void mlt_plan_free(struct mlt_plan *p);

#endif
