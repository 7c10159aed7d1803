/* milters/chain/chain.c - facteur-milter's modules: the modules list,
 * the module sections and each module's check/init/fini; see chain.h. */
#include "chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#define NO_DB ((size_t)-1)

/* What the chain needs to know of a module: its filter, where its
 * settings live in struct chain_settings, its keys and its startup. */
struct chain_module {
	const char *name;
	const struct mlt_filter *filter;
	size_t off;	   /* its settings in struct chain_settings */
	size_t common_off; /* struct mlt_settings in its settings */
	size_t db_off;	   /* struct cfg_database in its settings, or NO_DB */
	const struct cfg_key *keys;
	const size_t *nkeys;
	int (*check)(void *base, char *err, size_t errlen);
	int (*init)(void *base, char *err, size_t errlen);
	void (*fini)(void *base);
};

#define CS(f) offsetof(struct chain_settings, f)
static const struct chain_module chain_mods[CHAIN_NMOD] = {
    [CHAIN_BLACKLIST] = {"blacklist", &bl_filter, CS(bl),
			 offsetof(struct bl_settings, common),
			 offsetof(struct bl_settings, db), blp_keys, &blp_nkeys,
			 bl_check, bl_init, bl_fini},
    [CHAIN_SCRUB] = {"scrub", &scrub_filter, CS(scrub),
		     offsetof(struct scrub_settings, common), NO_DB, scrub_keys,
		     &scrub_nkeys, scrub_check, NULL, NULL},
    [CHAIN_DKIM] = {"dkim", &dkim_filter, CS(dkim),
		    offsetof(struct dkim_settings, common),
		    offsetof(struct dkim_settings, db), dkim_keys, &dkim_nkeys,
		    dkim_check, dkim_init, dkim_fini},
    [CHAIN_SPAM] = {"spam", &spam_filter, CS(spam),
		    offsetof(struct spam_settings, common),
		    offsetof(struct spam_settings, db), spam_keys, &spam_nkeys,
		    spam_check, NULL, spam_fini},
    [CHAIN_AV] = {"av", &av_filter, CS(av),
		  offsetof(struct av_settings, common), NO_DB, av_keys,
		  &av_nkeys, av_check, av_init, av_fini},
};

const struct cfg_key chain_keys[] = {
    {"modules", CFG_STR, CHAIN_DEFAULT_MODULES, 0, 0, CS(modules), NULL,
     "the filter modules, in chain order: " CHAIN_KNOWN_MODULES},
};
const size_t chain_nkeys = sizeof(chain_keys) / sizeof(chain_keys[0]);
#undef CS

const char *
chain_mod_name(enum chain_mod m)
{
	return (unsigned)m < CHAIN_NMOD ? chain_mods[m].name : "?";
}

int
chain_modules_parse(const char *list, enum chain_mod order[CHAIN_NMOD],
		    size_t *n, char *err, size_t errlen)
{
	const char *p = list ? list : "";
	unsigned seen = 0;
	size_t len, m;

	*n = 0;
	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		len = strcspn(p, ", \t");
		for (m = 0; m < CHAIN_NMOD; m++)
			if (strlen(chain_mods[m].name) == len &&
			    strncasecmp(chain_mods[m].name, p, len) == 0)
				break;
		if (m == CHAIN_NMOD) {
			snprintf(err, errlen,
				 "modules: unknown module \"%.*s\""
				 " (known: " CHAIN_KNOWN_MODULES ")",
				 len > 64 ? 64 : (int)len, p);
			return -1;
		}
		if (seen & (1u << m)) {
			snprintf(err, errlen, "modules: %s is listed twice",
				 chain_mods[m].name);
			return -1;
		}
		seen |= 1u << m;
		order[(*n)++] = (enum chain_mod)m;
		p += len;
	}
	if (*n == 0) {
		snprintf(
		    err, errlen,
		    "modules: empty (give one or more of " CHAIN_KNOWN_MODULES
		    ")");
		return -1;
	}
	return 0;
}

static void *
chain_base(struct chain_settings *s, enum chain_mod m)
{
	return (char *)s + chain_mods[m].off;
}

int
chain_sections(struct chain_settings *s, struct cfg_section *secs)
{
	const struct chain_module *cm;
	size_t m, nk;

	for (m = 0; m < CHAIN_NMOD; m++) {
		cm = &chain_mods[m];
		if (s->keys[m] == NULL &&
		    (s->keys[m] = calloc(MLT_SETTINGS_NKEYS + *cm->nkeys,
					 sizeof(struct cfg_key))) == NULL)
			return -1;
		nk = mlt_settings_keys(s->keys[m], cm->common_off);
		memcpy(s->keys[m] + nk, cm->keys,
		       *cm->nkeys * sizeof(struct cfg_key));
		secs[m] =
		    (struct cfg_section){cm->name, s->keys[m], nk + *cm->nkeys,
					 chain_base(s, (enum chain_mod)m)};
	}
	secs[CHAIN_NMOD] = (struct cfg_section){"database", cfg_database_keys,
						cfg_database_nkeys, &s->db};
	return 0;
}

/* The module runs as part of the chain: the chain's socket, user,
 * on_error and limits are its own, and so is [database]. */
static void
chain_adopt(struct chain_settings *s, enum chain_mod m)
{
	const struct chain_module *cm = &chain_mods[m];
	char *base = chain_base(s, m);
	struct mlt_settings *c =
	    (struct mlt_settings *)(void *)(base + cm->common_off);
	int on_error;

	/* the module's own socket, user... are not used: free them, then
	 * share the chain's strings (both live as long as the process) */
	free(c->socket);
	free(c->socket_mode);
	free(c->user);
	free(c->group);
	free(c->spool_dir);
	on_error = c->on_error;
	memcpy(c, &s->common, sizeof(*c));
	if (m == CHAIN_AV) /* [av] on_error: what clamd down means */
		c->on_error = on_error;
	if (cm->db_off != NO_DB)
		memcpy(base + cm->db_off, &s->db, sizeof(s->db));
}

/* Filters of one chain all see the message as received: facteur-dkim
 * would sign the Message-ID scrub is about to replace. 1 if so. */
static int
chain_msgid_breaks(const struct chain_settings *s)
{
	size_t i;
	int scrub = 0;

	for (i = 0; i < s->norder; i++) {
		if (s->order[i] == CHAIN_SCRUB)
			scrub = s->scrub.replace_message_id;
		else if (s->order[i] == CHAIN_DKIM && scrub)
			return 1;
	}
	return 0;
}

int
chain_check(void *base, char *err, size_t errlen)
{
	struct chain_settings *s = base;
	char why[768];
	size_t i;

	if (chain_modules_parse(s->modules, s->order, &s->norder, why,
				sizeof(why)) != 0) {
		snprintf(err, errlen, "[milter] %s", why);
		return -1;
	}
	for (i = 0; i < s->norder; i++) {
		enum chain_mod m = s->order[i];
		const struct chain_module *cm = &chain_mods[m];

		chain_adopt(s, m);
		s->entries[i] = (struct mlt_chain_entry){
		    cm->filter, chain_base(s, m), MLT_ON_ERROR_TEMPFAIL};
		why[0] = '\0';
		if (cm->check(chain_base(s, m), why, sizeof(why)) != 0) {
			snprintf(err, errlen, "[%s] %s", cm->name, why);
			return -1;
		}
	}
	if (chain_msgid_breaks(s)) {
		snprintf(
		    err, errlen,
		    "[scrub] replace_message_id = yes breaks "
		    "the DKIM signature in facteur-milter (dkim signs the "
		    "Message-ID as received): run facteur-scrub as its own "
		    "milter before the chain, or turn it off");
		return -1;
	}
	return 0;
}

int
chain_init(void *base, char *err, size_t errlen)
{
	struct chain_settings *s = base;
	char why[768];
	size_t i;

	for (i = 0; i < s->norder; i++) {
		const struct chain_module *cm = &chain_mods[s->order[i]];

		why[0] = '\0';
		if (cm->init != NULL && cm->init(chain_base(s, s->order[i]),
						 why, sizeof(why)) != 0) {
			snprintf(err, errlen, "[%s] %s", cm->name, why);
			return -1;
		}
	}
	log_info("chain: %s", s->modules);
	return 0;
}

void
chain_fini(void *base)
{
	struct chain_settings *s = base;
	size_t i;

	for (i = s->norder; i-- > 0;)
		if (chain_mods[s->order[i]].fini != NULL)
			chain_mods[s->order[i]].fini(
			    chain_base(s, s->order[i]));
}
