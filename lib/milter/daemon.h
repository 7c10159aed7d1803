/* lib/milter/daemon.h - the milter skeleton: a facteur-NAME main() is a few
 * lines that fill a struct mlt_program and call mlt_main().
 *
 * mlt_main() follows the one startup order: options (lib/cli.h), config
 * (lib/cfg.h: the program's section = the common milter keys below + its
 * own), --check-config, the program's init (open keys, database), bind the
 * socket (a stale unix socket is removed, a live one is an error; mode and
 * owner are set before anyone may connect), drop privileges
 * (lib/privdrop.h), then serve with the section's engine:
 *   - native: lib/server (server.h) binds, drops, runs the bounded worker
 *     pool, the deadlines and the signals, and calls mlt_native_serve()
 *     per connection (native.h: SIGTERM/SIGHUP/SIGINT drain and stop);
 *   - libmilter: smfi_main() keeps its own accept loop, threads and
 *     signal thread (SIGTERM/SIGHUP a clean stop, SIGINT an abort); of
 *     lib/server only the stale-socket rule is used, and lib/privdrop.
 * mlt_main() returns the exit status. */
#ifndef FACTEUR_LIB_MILTER_DAEMON_H
#define FACTEUR_LIB_MILTER_DAEMON_H

#include <stddef.h>
#include <sys/types.h>

#include "cfg.h"
#include "runner.h"

/* The keys every milter's section has. Embed it in the program's settings
 * struct; give its offset as common_off. */
struct mlt_settings {
	char *socket;	   /* unix:PATH | inet:PORT@HOST | inet6:PORT@HOST */
	char *socket_mode; /* octal, default "0660" (unix only) */
	char *user;	   /* drop to this user after bind; NULL: stay */
	char *group;	   /* NULL: the user's primary group */
	int on_error;	   /* enum mlt_on_error, default tempfail */
	long long max_body_size;
	long long max_headers;
	long long max_rcpts;
	long long timeout;	   /* ms, MTA inactivity, default 2m */
	int engine;		   /* enum mlt_engine */
	long long spool_threshold; /* body bytes in RAM; past it on disk */
	char *spool_dir;	   /* where (body.h), default /var/tmp */
};

/* Who speaks the milter protocol: facteur's own engine (native.h) or
 * libmilter. Same filters, glue and runner either way. */
enum mlt_engine { MLT_ENGINE_NATIVE, MLT_ENGINE_LIBMILTER };

#define MLT_SETTINGS_NKEYS 12

/* Copies the common keys, their offsets shifted by common_off, into out
 * (at least MLT_SETTINGS_NKEYS entries). Returns the count. */
size_t mlt_settings_keys(struct cfg_key *out, size_t common_off);

/* Checks values cfg cannot (socket syntax, mode). NULL or a static
 * reason. Pure. */
const char *mlt_settings_check(const struct mlt_settings *s);

enum mlt_sock_kind { MLT_SOCK_UNIX, MLT_SOCK_INET, MLT_SOCK_INET6 };

/* Parses a socket spec; for unix, *path points into spec. 0 or -1. Pure. */
__attribute__((warn_unused_result)) int
mlt_socket_parse(const char *spec, enum mlt_sock_kind *kind, const char **path);

/* socket_mode: an octal mode, 0 to 0777, into *mode. 0 or -1. Pure. */
__attribute__((warn_unused_result)) int mlt_socket_mode(const char *s,
							mode_t *mode);

struct mlt_program {
	const char *ident;	    /* "facteur-example" */
	const char *section;	    /* "example" */
	const char *default_socket; /* used when socket is not set */
	const char *usage;	    /* extra lines for -h, or NULL */
	const struct cfg_key *keys; /* the program's own keys, or NULL */
	size_t nkeys;
	void *base;	   /* settings struct the keys bind into */
	size_t common_off; /* offsetof(base type, struct mlt_settings) */
	const struct cfg_section *more; /* other sections read, or NULL */
	size_t nmore;
	/* The filters, in order; each .on_error is set from the section's
	 * on_error. Borrowed forever. */
	struct mlt_chain_entry *entries;
	size_t nentries;
	/* After the config is loaded: validate. 0, or -1 with err. */
	int (*check)(void *base, char *err, size_t errlen);
	/* Before the privilege drop (open files). 0, or -1 with err. */
	int (*init)(void *base, char *err, size_t errlen);
	/* After smfi_main returns. */
	void (*fini)(void *base);
};

/* Set by mlt_main before the program's check when the run is only
 * --check-config: a check may then also try what init would only log
 * (facteur-dkim's key files). */
extern int mlt_check_config_only;

/* Runs the milter; returns the process exit status (0, 1 error, 2 usage). */
int mlt_main(int argc, char **argv, const struct mlt_program *prog);

#endif
