/* admin/legacy.h - shared state of db import-legacy (legacy.c and
 * legacy_access.c). Internal to the admin CLI. */
#ifndef FACTEUR_ADMIN_LEGACY_H
#define FACTEUR_ADMIN_LEGACY_H

#include <sqlite3.h>

#include "admin.h"
#include "buf.h"

struct store_errbuf;

enum lg_res { LG_FATAL = -1, LG_NEW = 0, LG_PRESENT = 1, LG_INVALID = 2 };

struct lg {
	struct admin *a;
	sqlite3 *db;	    /* the legacy file, read-only */
	int translit;	    /* --transliterate */
	const char *table;  /* the table being read */
	const char *key;    /* the current row's key (raw, borrowed) */
	struct buf root;    /* mail root without trailing '/' */
	long long count[3]; /* per table: new, present, invalid */
	long long invalid;  /* in all tables */
};

/* Lists the current row as invalid on stderr; returns LG_INVALID. */
enum lg_res lg_invalid(struct lg *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A note on stderr about the current row (a field not imported...). */
void lg_note(struct lg *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Maps a store result to LG_NEW / LG_PRESENT / LG_INVALID / LG_FATAL. */
enum lg_res lg_store(struct lg *g, int rc, const struct store_errbuf *err);
/* active column: NULL or "" = 1, else "0" or "1"; -1 (listed) if not. */
int lg_active(struct lg *g, const char *v, int *out);

static inline int
lg_empty(const char *v)
{
	return v == NULL || v[0] == '\0';
}

/* Row handlers of the two blacklist tables (legacy_access.c). */
enum lg_res lg_sender(struct lg *g, const char *const *v);
enum lg_res lg_recipient(struct lg *g, const char *const *v);

#endif
