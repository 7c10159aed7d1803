/* milters/chain/chain.h - facteur-milter: several filter modules in one
 * milter connection. [milter] has the common milter keys and `modules`,
 * the chain in order; each chosen module reads its own section
 * ([blacklist], [scrub], [dkim], [spam]) with the keys its standalone
 * daemon reads, so one facteur.conf serves both deployments. In those
 * sections the standalone-only keys (socket, user, on_error, ...) are
 * accepted and ignored: the chain's [milter] values replace them.
 * The message crosses the socket once and later modules read what earlier
 * ones left in mlt_results (facteur-spam takes facteur-dkim's SPF and
 * DKIM verdicts). */
#ifndef FACTEUR_MILTERS_CHAIN_H
#define FACTEUR_MILTERS_CHAIN_H

#include <stddef.h>

#include "av.h"
#include "blacklist.h"
#include "cfg.h"
#include "daemon.h"
#include "dkim.h"
#include "runner.h"
#include "scrub.h"
#include "spam.h"

enum chain_mod {
	CHAIN_BLACKLIST,
	CHAIN_SCRUB,
	CHAIN_DKIM,
	CHAIN_SPAM,
	CHAIN_AV,
	CHAIN_NMOD
};

#define CHAIN_DEFAULT_MODULES "blacklist, scrub, dkim, spam"
/* av needs a clamd, so it is not in the default; its place is after
 * blacklist, before spam (an infected message costs no spam scan). */
#define CHAIN_KNOWN_MODULES "blacklist, av, scrub, dkim, spam"
/* The sections facteur-milter reads besides [milter]: one per module and
 * [database]. */
#define CHAIN_NSECTIONS (CHAIN_NMOD + 1)

struct chain_settings {
	struct mlt_settings common;
	char *modules;		/* "blacklist, scrub, dkim, spam" */
	struct cfg_database db; /* [database], copied into the modules */
	struct bl_settings bl;
	struct scrub_settings scrub;
	struct dkim_settings dkim;
	struct spam_settings spam;
	struct av_settings av;
	/* Filled by chain_check; read-only while serving. */
	enum chain_mod order[CHAIN_NMOD];
	size_t norder;
	struct mlt_chain_entry entries[CHAIN_NMOD];
	struct cfg_key *keys[CHAIN_NMOD]; /* the module sections' tables */
};

/* The [milter] keys besides the common ones. */
extern const struct cfg_key chain_keys[];
extern const size_t chain_nkeys;

/* "blacklist" for CHAIN_BLACKLIST... */
const char *chain_mod_name(enum chain_mod m);

/* Parses a modules list (names separated by commas and/or blanks) into
 * order[0..*n). An unknown or repeated name, or an empty list, is -1 with
 * "modules: ..." in err. Pure. */
__attribute__((warn_unused_result)) int
chain_modules_parse(const char *list, enum chain_mod order[CHAIN_NMOD],
		    size_t *n, char *err, size_t errlen);

/* Fills secs[0..CHAIN_NSECTIONS) with the module sections (common keys +
 * the module's own, bound into s) and [database]. 0, or -1 ENOMEM. */
__attribute__((warn_unused_result)) int
chain_sections(struct chain_settings *s, struct cfg_section *secs);

/* Parses modules, builds s->entries, gives each chosen module the chain's
 * common settings and [database], and runs its check. 0 or -1 with err. */
__attribute__((warn_unused_result)) int chain_check(void *base, char *err,
						    size_t errlen);
/* Runs each chosen module's init, in chain order. 0 or -1 with err. */
__attribute__((warn_unused_result)) int chain_init(void *base, char *err,
						   size_t errlen);
/* Each chosen module's fini, last first. */
void chain_fini(void *base);

#endif
