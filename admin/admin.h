/* admin/admin.h - shared pieces of the facteur admin CLI: the run
 * context, argument parsing for verbs, input checks and output.
 *
 * Exit statuses: ADMIN_OK (0), ADMIN_FAIL (1: not found, database or
 * other runtime failure), ADMIN_USAGE (2: bad usage or invalid input,
 * nothing changed). Each noun's entry point returns one of them. */
#ifndef FACTEUR_ADMIN_ADMIN_H
#define FACTEUR_ADMIN_ADMIN_H

#include <stddef.h>
#include <stdio.h>

struct buf;
struct store;

enum { ADMIN_OK = 0, ADMIN_FAIL = 1, ADMIN_USAGE = 2 };

/* The [admin] section of facteur.conf. */
struct admin_cfg {
	char *mail_root;       /* legacy rep_perso prefix, default below */
	char *password_scheme; /* default SHA512-CRYPT */
	char *dkim_keys_dir;   /* facteur dkim keygen: default below */
	char *dkim_user;       /* owner of new DKIM keys, if it exists */
};
#define ADMIN_DKIM_KEYS_DIR "/etc/facteur/dkim"
#define ADMIN_MAIL_ROOT "/var/mail/utilisateurs"

struct admin {
	const char *prog;    /* "facteur" */
	const char *db_path; /* borrowed (argv or config) */
	long long busy_ms;
	int json; /* --json */
	const struct admin_cfg *cfg;
	struct store *store;	 /* owned, opened by admin_store() */
	const char *config_path; /* -c FILE or the default (spam.c) */
	int config_given;	 /* -c was given: a missing file is an error */
};

/* ---- main.c ---- */

/* Opens the database for changes. need_schema: refuse a missing file or a
 * database whose schema is not current (exit 1 with a hint). Returns 0 or
 * ADMIN_FAIL after printing the reason. The store stays owned by a. */
int admin_store(struct admin *a, int need_schema);
/* Maps a store error to an exit status after printing "what: detail". */
int admin_store_fail(struct admin *a, int rc, const char *detail);
/* Prints "facteur: " + message to stderr. */
void admin_errx(struct admin *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An option of a verb: "--name VALUE" / "--name=VALUE" when val != NULL,
 * a flag "--name" when flag != NULL. */
struct admin_opt {
	const char *name; /* without the leading "--" */
	const char **val;
	int *flag;
};

/* Parses argv[0..argc) (the words after the verb): options anywhere,
 * "--" ends them, --json and -h/--help are always understood. Exactly
 * minpos..maxpos positionals go to pos[]. Returns 0 to go on, or -1 with
 * *rc set (0 after printing usage for --help, ADMIN_USAGE on error). */
int admin_args(struct admin *a, int argc, char **argv,
	       const struct admin_opt *opts, size_t nopts, const char **pos,
	       size_t minpos, size_t maxpos, const char *usage, int *rc);

/* Prints usage to stderr with a hint; returns ADMIN_USAGE. */
int admin_usage_error(struct admin *a, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A verb of a noun; fn gets the words after the verb. */
struct admin_verb {
	const char *name;
	int (*fn)(struct admin *a, int argc, char **argv);
};
/* argv[0] is the noun, argv[1] the verb: runs it, or prints usage
 * (stdout for help, stderr with exit 2 for a missing/unknown verb). */
int admin_dispatch(struct admin *a, const struct admin_verb *verbs,
		   size_t nverbs, const char *usage, int argc, char **argv);

/* ---- nouns ---- */
int db_main(struct admin *a, int argc, char **argv);
int domain_main(struct admin *a, int argc, char **argv);
/* A store_list row of "domains": its name when the domain is enabled,
 * else NULL (borrowed from values). */
const char *domain_row_enabled(int ncols, const char *const *names,
			       const char *const *values);
int user_main(struct admin *a, int argc, char **argv);
int alias_main(struct admin *a, int argc, char **argv);
int blacklist_main(struct admin *a, int argc, char **argv);
int sieve_main(struct admin *a, int argc, char **argv);	   /* sieve.c */
int dkim_main(struct admin *a, int argc, char **argv);	   /* dkim.c */
int spam_main(struct admin *a, int argc, char **argv);	   /* spam.c */
int setup_main(struct admin *a, int argc, char **argv);	   /* setup.c */
int doctor_main(struct admin *a, int argc, char **argv);   /* doctor.c */
int explain_main(struct admin *a, int argc, char **argv);  /* explain.c */
int selftest_main(struct admin *a, int argc, char **argv); /* selftest.c */
int av_main(struct admin *a, int argc, char **argv);	   /* av.c */
/* spam_learn.c: the Bayes verbs; argv holds the words after the verb. */
int spam_learn_main(struct admin *a, int argc, char **argv);
int spam_forget_main(struct admin *a, int argc, char **argv);
int spam_stats_main(struct admin *a, int argc, char **argv); /* spam_bayes.c */
/* Calls fn on every message of path: a file (an mbox when it starts with
 * "From "; a message past 32 MiB is cut there), a Maildir (cur/ then new/,
 * nothing else of it) or a directory of files, in name order. msg is
 * borrowed for the call. Returns 0, or -1 when a path could not be read
 * (after printing it) or fn returned -1. Used by learn and check. */
int spam_foreach_message(const char *path,
			 int (*fn)(void *ctx, const char *file, const char *msg,
				   size_t len),
			 void *ctx);
/* Reads at most max bytes of a file into b (reset first); *more = 1 when
 * the file is longer. 0 or -1 with errno. */
int spam_read_file(const char *path, size_t max, struct buf *b, int *more);

/* spam_bayes.c: the Bayes file every spam verb uses, resolved as
 * facteur-spam does: opt (--bayes) if given, else [spam] bayes_path when
 * facteur.conf sets it, else bayes.sqlite beside --db when --db is not
 * [database] path, else [spam] bayes_path's default. Pure; 0 or -1. */
int spam_bayes_choose(const char *opt, const char *conf_bayes, const char *db,
		      const char *conf_db, const char *def, struct buf *out);
/* Loads [spam] and [database] of facteur.conf into s (and the sections
 * into sec[0..1], for cfg_free(sec, 2)) with s->bayes_path resolved as
 * above ("" = Bayes off). ADMIN_OK, or ADMIN_FAIL after printing. */
struct spam_settings;
struct cfg_section;
int spam_admin_settings(struct admin *a, const char *opt,
			struct spam_settings *s, struct cfg_section *sec);
/* The resolved path into out; ADMIN_FAIL (printed) when Bayes is off. */
int spam_bayes_file(struct admin *a, const char *opt, struct buf *out);
/* What the doctor needs: the Bayes file of the configuration and its
 * counts (all 0 when the file does not exist yet: nothing learned).
 * ADMIN_OK, or ADMIN_FAIL after printing (Bayes off, unreadable). Opens
 * the file read-only. */
struct spam_bayes_info {
	char path[4096];
	long long nspam, nham, ntokens;
	long long last_learn; /* Unix time of the last learn; 0 = never */
};
int spam_bayes_info(struct admin *a, struct spam_bayes_info *info);

/* spam_spool.c: the IMAPSieve learning spool ("learn --spool DIR"). */
struct spam_spool {
	char **names; /* owned: files handed to fn, to remove once learned */
	size_t n, cap;
	long long bad; /* refused files (symlinks, FIFOs...), removed too */
};
/* Pure: 1 for "<digits>.<digits>.spam", 0 for ".ham", -1 otherwise. */
int spam_spool_class(const char *name);
void spam_spool_init(struct spam_spool *sp);
void spam_spool_free(struct spam_spool *sp);
/* Calls fn on each spooled message of dir, oldest first, with its class;
 * records the names in sp. -1 when dir is unreadable or fn returned -1. */
int spam_spool_each(struct admin *a, const char *dir, struct spam_spool *sp,
		    int (*fn)(void *ctx, const char *file, const char *msg,
			      size_t len, int is_spam),
		    void *ctx);
/* Removes the files recorded in sp (after the Bayes commit). */
void spam_spool_remove(struct admin *a, const char *dir,
		       const struct spam_spool *sp);
/* import-legacy, from db_main (legacy.c). */
int legacy_main(struct admin *a, int argc, char **argv);

extern const char db_usage[], domain_usage[], user_usage[], alias_usage[],
    valias_usage[], blacklist_usage[];

/* ---- check.c: pure input checks. Each returns 0, or -1 with a message
 * that names `what` and the position (1-based) in err. ---- */

/* Mailbox local@domain; canonical form (domain lowercased) into canon. */
int chk_address(const char *what, const char *s, struct buf *canon, char *err,
		size_t errlen);
/* LDH domain name; lowercased into canon. */
int chk_domain(const char *what, const char *s, struct buf *canon, char *err,
	       size_t errlen);
/* A local part alone (Dot-string), as in "user@" or a bare alias. */
int chk_local(const char *what, const char *s, char *err, size_t errlen);
/* One-line printable ASCII text for an SMTP reply (max 400 bytes). */
int chk_reply_text(const char *what, const char *s, char *err, size_t errlen);
/* UTF-8 text without control characters (a full name). */
int chk_utf8_text(const char *what, const char *s, char *err, size_t errlen);
/* SMTP code "4xx"/"5xx" as text, into *code. */
int chk_smtp_code(const char *s, int *code, char *err, size_t errlen);
/* Enhanced status code "c.s.d" whose class matches code. */
int chk_enhanced(const char *s, int code, char *err, size_t errlen);
/* IPv4/IPv6 address, optionally /prefix; canonical form into canon. */
int chk_ip(const char *what, const char *s, struct buf *canon, char *err,
	   size_t errlen);
/* Looks like an IP or CIDR (has ':' or is digits and dots or has '/'). */
int chk_looks_ip(const char *s);
/* Size "10M", "512k", "1G", "0" (binary multiples) into *bytes. */
int chk_size(const char *what, const char *s, long long *bytes, char *err,
	     size_t errlen);
/* Access pattern for a blacklist: "user@domain", "@domain", "domain",
 * "user@", or (senders only, allow_ip) an IP/CIDR. Canonical pattern into
 * canon, kind ("address", "domain", "ip") into *kind. */
int chk_pattern(const char *what, const char *s, int allow_ip,
		struct buf *canon, const char **kind, char *err, size_t errlen);
/* An alias key or destination: an address, or "@domain" (canonical,
 * when allow_at_domain), or a bare local part (when allow_local). */
int chk_alias(const char *what, const char *s, int allow_at_domain,
	      int allow_local, struct buf *canon, char *err, size_t errlen);
/* Replaces the non-ASCII characters of s that the table knows (à->a,
 * œ->oe, « -> "...) into out. Returns the number of replacements, or -1
 * if out overflows. Characters it does not know are kept. */
int chk_transliterate(const char *s, struct buf *out);

/* ---- output.c ---- */

/* A listing printer; out_row() is a store_row_fn. Columns named in skip
 * (NULL-terminated, may be NULL) are not shown. */
struct out {
	int json;
	const char *const *skip;
	FILE *f;
	size_t nrows, ncols;
	char **names; /* ncols, owned */
	char **cells; /* nrows * ncols (table mode), owned */
	size_t cap;
	int failed;
};
void out_init(struct out *o, int json, const char *const *skip, FILE *f);
int out_row(void *ctx, int ncols, const char *const *names,
	    const char *const *values);
/* Prints the table (or closes the JSON array); 0 or -1 (out of memory). */
int out_finish(struct out *o);
void out_free(struct out *o);
/* Writes s as a JSON string (with quotes), escaping as RFC 8259 asks;
 * invalid UTF-8 bytes become U+FFFD. */
void out_json_string(FILE *f, const char *s);

/* domain.c: prints a table of the store (listing verbs of every noun). */
int admin_list(struct admin *a, const char *table, const char *where,
	       const char *const *skip);

/* ---- password.c ---- */

/* Reads a new password: one line from stdin (from_stdin), or twice from
 * the terminal with echo off. Hashes it with scheme (NULL = default) into
 * hash. Returns 0, or ADMIN_USAGE/ADMIN_FAIL after printing. */
int admin_read_password(struct admin *a, int from_stdin, const char *scheme,
			struct buf *hash);

#endif
