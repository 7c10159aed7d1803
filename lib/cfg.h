/* lib/cfg.h - /etc/facteur/facteur.conf: one INI file, typed key tables.
 *
 * Each program describes the sections it reads as tables of struct cfg_key
 * bound to fields of its own settings struct (offsetof). cfg_load() fills
 * every field with its default, then parses the file with inih. In a section
 * the program reads, an unknown key or a bad value is an error naming
 * FILE:LINE and the key. Sections of other programs (cfg_known_sections) are
 * skipped; a section nobody knows is an error (a typo must not be silent).
 * After startup nothing looks a setting up by string. Not thread-safe. */
#ifndef FACTEUR_LIB_CFG_H
#define FACTEUR_LIB_CFG_H

#include <stddef.h>

#include "cidr.h"

enum cfg_type {
	CFG_STR,       /* char * (owned by the struct; cfg_free() frees it) */
	CFG_INT,       /* long long, in [min, max] */
	CFG_BOOL,      /* int: yes/no/true/false/on/off/1/0 */
	CFG_SIZE,      /* unsigned long long bytes: 10M, 512k, 1G, plain */
	CFG_DURATION,  /* long long milliseconds: 500ms, 5s, 2m, 1h, 7d; plain=s
			*/
	CFG_ENUM,      /* int index into choices ("a|b|c") */
	CFG_DOUBLE,    /* double: [-]DIGITS[.DIGITS], in [min, max] */
	CFG_CIDR_LIST, /* struct cidr_list: "127.0.0.0/8, ::1" (lib/cidr.h),
			* parsed and checked here, at load, so a bad block is
			* a FILE:LINE error; "" is an empty list */
	CFG_LIST,      /* struct cfg_list: words separated by commas and/or
			* blanks ("ORIGINATING, SUBMISSION"), split and checked
			* at load; "" is an empty list. Owned by the struct:
			* cfg_free() frees it. Like a CIDR list it may go on
			* over indented lines. */
};

/* A CFG_LIST value: at most CFG_LIST_MAX words of printable ASCII (no
 * blank, no comma), each at most CFG_LIST_WORD_MAX bytes. */
#define CFG_LIST_MAX 256
#define CFG_LIST_WORD_MAX 255
struct cfg_list {
	char **v; /* owned; NUL-terminated words */
	size_t n;
};

/* 1 if word[0..wl) is one of l's words, in any (ASCII) case; 0 if not,
 * or if l is NULL or wl is 0. Thread-safe on a list nobody changes. */
int cfg_list_has(const struct cfg_list *l, const char *word, size_t wl);

/* Frees l's words; l is then the empty list. */
void cfg_list_free(struct cfg_list *l);

struct cfg_key {
	const char *name;
	enum cfg_type type;
	const char *def;    /* default, as text, parsed like the file's; NULL */
	long long min, max; /* for INT/SIZE/DURATION/DOUBLE; both 0 = none */
	size_t off;	    /* offsetof(struct settings, field) */
	const char *choices; /* CFG_ENUM: "accept|tempfail" */
	const char *help;    /* one line, for --help / facteur.conf(5) */
};

struct cfg_section {
	const char *name; /* "database", "lookup", ... */
	const struct cfg_key *keys;
	size_t nkeys;
	void *base; /* the settings struct the offsets apply to */
};

/* Every section any facteur program reads. */
extern const char *const cfg_known_sections[];

/* Fills defaults, then reads path. missing_ok: a missing file is not an
 * error (defaults apply). Returns 0, or -1 with "FILE:LINE: ..." in err. */
__attribute__((warn_unused_result)) int cfg_load(const char *path,
						 const struct cfg_section *secs,
						 size_t nsecs, int missing_ok,
						 char *err, size_t errlen);

/* Parses a string as key k into base (used for defaults and by tests).
 * Returns 0 or -1 with the reason in err. */
__attribute__((warn_unused_result)) int cfg_set(const struct cfg_key *k,
						void *base, const char *value,
						char *err, size_t errlen);

/* Frees the CFG_STR and CFG_LIST fields of the sections. */
void cfg_free(const struct cfg_section *secs, size_t nsecs);

/* The [database] section every program reads. */
struct cfg_database {
	char *path;		/* default FACTEUR_DB; or url = */
	long long busy_timeout; /* ms, default 5000 */
};
extern const struct cfg_key cfg_database_keys[];
extern const size_t cfg_database_nkeys;

#endif
