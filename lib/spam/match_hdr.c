/* lib/spam/match_hdr.c - the texts header rules see, and exists:NAME;
 * see match_int.h.
 *
 * A message has some 30 header fields and a rule set some 60 header
 * groups and 85 exists: rules: a strcasecmp of every field's name for
 * each of them was 2% of a scan. Each field's name is hashed once per
 * message (match_hdrs_init), each group's and rule's once per matcher,
 * and strcasecmp only confirms an equal hash: the same fields are taken,
 * in the same order. Pure: no I/O, no logging. */
#include "match_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "msgview.h"

uint32_t
match_hdr_hash(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	uint32_t h = 2166136261u; /* FNV-1a */

	/* tolower(), as strcasecmp folds: names it finds equal hash equal */
	for (; *p != '\0'; p++)
		h = (h ^ (uint32_t)tolower(*p)) * 16777619u;
	return h;
}

int
match_hdrs_init(struct match_hdrs *h, const struct sp_view *v,
		const char *envfrom)
{
	size_t i, n = v->nheaders + v->npseudo;

	h->v = v;
	h->envfrom = envfrom;
	if ((h->hash = calloc(n ? n : 1, sizeof(*h->hash))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		h->hash[i] = match_hdr_hash(
		    i < v->nheaders ? v->headers[i].name
				    : v->pseudo[i - v->nheaders].name);
	return 0;
}

void
match_hdrs_free(struct match_hdrs *h)
{
	free(h->hash);
	h->hash = NULL;
}

/* Field i (a header, then a pseudo header) of the message. */
static const struct sp_header *
hdr_field(const struct sp_view *v, size_t i)
{
	return i < v->nheaders ? &v->headers[i] : &v->pseudo[i - v->nheaders];
}

/* Whether field i is named `name` (hash: its match_hdr_hash). */
static int
hdr_named(const struct match_hdrs *h, size_t i, const char *name, uint32_t hash)
{
	return h->hash[i] == hash &&
	       strcasecmp(hdr_field(h->v, i)->name, name) == 0;
}

int
match_hdr_exists(const struct match_hdrs *h, const char *name, uint32_t hash)
{
	const struct sp_view *v = h->v;
	size_t i;

	if (strcasecmp(name, "ToCc") == 0)
		return sp_view_header(v, "To") != NULL ||
		       sp_view_header(v, "Cc") != NULL;
	if (strcmp(name, "MESSAGEID") == 0)
		return sp_view_header(v, "Message-Id") != NULL ||
		       sp_view_header(v, "Resent-Message-Id") != NULL ||
		       sp_view_header(v, "X-Message-Id") != NULL;
	for (i = 0; i < v->nheaders + v->npseudo; i++)
		if (hdr_named(h, i, name, hash))
			return 1;
	return 0;
}

/* The address of an address header: inside <>, else the first word with
 * an '@' (comments dropped). */
static int
hdr_addr(const char *v, struct buf *out, int want_name)
{
	const char *lt = strchr(v, '<'), *gt, *p, *e;

	if (want_name) {
		if (lt == NULL) {
			p = strchr(v, '(');
			e = p ? strchr(p, ')') : NULL;
			return p && e ? buf_add(out, p + 1, (size_t)(e - p - 1))
				      : buf_add(out, "", 0);
		}
		for (p = v; p < lt && (isspace((unsigned char)*p) || *p == '"');
		     p++)
			;
		for (e = lt;
		     e > p && (isspace((unsigned char)e[-1]) || e[-1] == '"');
		     e--)
			;
		return buf_add(out, p, (size_t)(e - p));
	}
	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		return buf_add(out, lt + 1, (size_t)(gt - lt - 1));
	for (p = v; *p; p = e) {
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (*p == '(') {
			e = strchr(p, ')');
			e = e ? e + 1 : p + strlen(p);
			continue;
		}
		for (e = p; *e && !isspace((unsigned char)*e) && *e != ',' &&
			    *e != '(';
		     e++)
			;
		if (memchr(p, '@', (size_t)(e - p)) != NULL)
			return buf_add(out, p, (size_t)(e - p));
		if (e == p)
			break;
	}
	return buf_add(out, "", 0);
}

static int
hdr_is(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(name, *list) == 0)
			return 1;
	return 0;
}

/* Whether group g's text takes field i: every header for ALL, a name of
 * the list for ToCc and MESSAGEID, else g's own name. */
static int
hdr_wanted(const struct match_hdrs *h, const struct mgroup *g, size_t i,
	   const char *const *names, int all)
{
	if (all)
		return 1;
	if (names != NULL)
		return hdr_is(hdr_field(h->v, i)->name, names);
	return hdr_named(h, i, g->hdr, g->hhash);
}

int
match_hdr_text(const struct match_hdrs *h, const struct mgroup *g,
	       struct buf *out)
{
	static const char *const tocc[] = {"To", "Cc", NULL};
	static const char *const msgid[] = {"Message-Id", "Resent-Message-Id",
					    "X-Message-Id", NULL};
	const struct sp_view *v = h->v;
	const char *const *names = NULL;
	int all = strcmp(g->hdr, "ALL") == 0, found = 0;
	size_t i;

	if (strcasecmp(g->hdr, "ToCc") == 0)
		names = tocc;
	else if (strcmp(g->hdr, "MESSAGEID") == 0)
		names = msgid;
	else if (strcmp(g->hdr, "EnvelopeFrom") == 0 && h->envfrom != NULL)
		return buf_adds(out, h->envfrom) < 0 ? -1 : 1;
	else if (strcmp(g->hdr, "EnvelopeFrom") == 0)
		return 0; /* the engine found none (ev.h, sp_ev_envfrom) */
	for (i = 0; i < v->nheaders + (all ? 0 : v->npseudo); i++) {
		const struct sp_header *f = hdr_field(v, i);
		const char *val = g->hmod == SP_H_RAW ? f->raw : f->decoded;

		if (!hdr_wanted(h, g, i, names, all))
			continue;
		if (found && buf_addc(out, '\n') < 0)
			return -1;
		if (all &&
		    (buf_adds(out, f->name) < 0 || buf_add(out, ": ", 2) < 0))
			return -1;
		if (g->hmod == SP_H_ADDR || g->hmod == SP_H_NAME) {
			if (hdr_addr(val, out, g->hmod == SP_H_NAME) < 0)
				return -1;
			return 1; /* the first one, as SpamAssassin */
		}
		if (buf_adds(out, val) < 0)
			return -1;
		found = 1;
	}
	return found;
}

/* Whether a name is one match_hdr_text() reads by its exact spelling. */
static int
hdr_special(const char *name)
{
	return strcmp(name, "ALL") == 0 || strcmp(name, "MESSAGEID") == 0 ||
	       strcmp(name, "EnvelopeFrom") == 0 ||
	       strcasecmp(name, "ToCc") == 0;
}

int
match_hdr_same(const struct mgroup *a, const struct mgroup *b)
{
	if (a->type != SP_R_HEADER || b->type != SP_R_HEADER ||
	    a->hmod != b->hmod)
		return 0;
	if (strcmp(a->hdr, b->hdr) == 0)
		return 1;
	return strcasecmp(a->hdr, b->hdr) == 0 && !hdr_special(a->hdr) &&
	       !hdr_special(b->hdr);
}

/* m->order and m->same_prev: the groups in their order, each header
 * group followed by the later ones of the same text. */
static int
hdr_order(struct sp_matcher *m)
{
	unsigned char *placed = calloc(m->ng ? m->ng : 1, 1);
	size_t i, j, n = 0;

	m->order = calloc(m->ng ? m->ng : 1, sizeof(*m->order));
	m->same_prev = calloc(m->ng ? m->ng : 1, 1);
	if (placed == NULL || m->order == NULL || m->same_prev == NULL) {
		free(placed);
		return -1;
	}
	for (i = 0; i < m->ng; i++) {
		if (placed[i])
			continue;
		m->order[n++] = i;
		for (j = i + 1; j < m->ng; j++)
			if (!placed[j] && match_hdr_same(&m->g[i], &m->g[j])) {
				placed[j] = 1;
				m->same_prev[n] = 1;
				m->order[n++] = j;
			}
	}
	free(placed);
	return 0;
}

/* m->absent[i] for rule i of group g: its pattern run on "" or its
 * if-unset text, as a scan would (m->re: a header text has no form). */
static void
hdr_absent(struct sp_matcher *m, const struct sp_ruleset *rs,
	   const struct mgroup *g, pcre2_match_data *md)
{
	size_t k, i;
	const char *t;

	for (k = 0; k < g->nhs + g->npc; k++) {
		i = k < g->nhs ? g->hs_rule[k] : g->pc_rule[k - g->nhs];
		t = rs->v[i].if_unset ? rs->v[i].if_unset : "";
		m->absent[i] = pcre2_match(m->re[i], (PCRE2_SPTR)t, strlen(t),
					   0, 0, md, m->mctx) >= 0;
	}
}

int
match_hdr_plan(struct sp_matcher *m, const struct sp_ruleset *rs)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	size_t i;

	m->absent = calloc(m->nre ? m->nre : 1, 1);
	m->exists_hash =
	    calloc(m->nexists ? m->nexists : 1, sizeof(*m->exists_hash));
	if (md == NULL || m->absent == NULL || m->exists_hash == NULL ||
	    hdr_order(m) < 0) {
		pcre2_match_data_free(md);
		return -1;
	}
	for (i = 0; i < m->nexists; i++)
		m->exists_hash[i] = match_hdr_hash(rs->v[m->exists[i]].hdr);
	for (i = 0; i < m->ng; i++) {
		if (m->g[i].type != SP_R_HEADER)
			continue;
		m->g[i].hhash = match_hdr_hash(m->g[i].hdr);
		hdr_absent(m, rs, &m->g[i], md);
	}
	pcre2_match_data_free(md);
	return 0;
}
