/* lib/cfg.c - typed INI configuration over inih; see cfg.h. */
#include "cfg.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "facteur_build.h"

const char *const cfg_known_sections[] = {
    "database",	 "lookup", "lmtp",    "dkim",  "spam", "scrub",
    "blacklist", "milter", "example", "admin", "av",   NULL,
};

const struct cfg_key cfg_database_keys[] = {
    {"path", CFG_STR, FACTEUR_DB, 0, 0, offsetof(struct cfg_database, path),
     NULL, "the SQLite database every program reads"},
    {"busy_timeout", CFG_DURATION, "5s", 0, 600000,
     offsetof(struct cfg_database, busy_timeout), NULL,
     "how long to wait for a lock held by another process"},
    /* Same field as path: store_open() picks the backend by its form. */
    {"url", CFG_STR, NULL, 0, 0, offsetof(struct cfg_database, path), NULL,
     "a PostgreSQL database (postgresql://...) instead of path"},
};
const size_t cfg_database_nkeys =
    sizeof(cfg_database_keys) / sizeof(cfg_database_keys[0]);

static int
cfg_number(const char *v, long long *out, const char **rest)
{
	char *end;

	errno = 0;
	if (*v == '\0' || *v == ' ')
		return -1;
	*out = strtoll(v, &end, 10);
	if (errno || end == v)
		return -1;
	*rest = end;
	return 0;
}

static int
cfg_scale(long long n, long long mul, long long *out)
{
	if (n < 0 || (mul > 1 && n > LLONG_MAX / mul))
		return -1;
	*out = n * mul;
	return 0;
}

static int
cfg_parse_size(const char *v, long long *out)
{
	const char *r;
	long long n, mul = 1;

	if (cfg_number(v, &n, &r) < 0)
		return -1;
	if (*r == '\0')
		mul = 1;
	else if (strcasecmp(r, "k") == 0 || strcasecmp(r, "kb") == 0)
		mul = 1024;
	else if (strcasecmp(r, "m") == 0 || strcasecmp(r, "mb") == 0)
		mul = 1024 * 1024;
	else if (strcasecmp(r, "g") == 0 || strcasecmp(r, "gb") == 0)
		mul = 1024LL * 1024 * 1024;
	else
		return -1;
	return cfg_scale(n, mul, out);
}

static int
cfg_parse_duration(const char *v, long long *out)
{
	const char *r;
	long long n, mul;

	if (cfg_number(v, &n, &r) < 0)
		return -1;
	if (*r == '\0' || strcmp(r, "s") == 0)
		mul = 1000;
	else if (strcmp(r, "ms") == 0)
		mul = 1;
	else if (strcmp(r, "m") == 0)
		mul = 60000;
	else if (strcmp(r, "h") == 0)
		mul = 3600000;
	else if (strcmp(r, "d") == 0)
		mul = 86400000;
	else
		return -1;
	return cfg_scale(n, mul, out);
}

/* A plain decimal number: an optional sign, digits, optionally a point
 * and more digits. strtod alone would also take "5.0x" up to the x, " 5",
 * "1e3", "0x10", "inf" and "nan" (which compares false with every score). */
static int
cfg_parse_double(const char *v, double *out)
{
	const char *p = v;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0' || p - v > 32)
		return -1;
	errno = 0;
	*out = strtod(v, &end);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

static int
cfg_parse_bool(const char *v, int *out)
{
	static const char *yes[] = {"yes", "true", "on", "1"};
	static const char *no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static int
cfg_parse_enum(const char *choices, const char *v, int *out)
{
	const char *p = choices, *bar;
	size_t n = strlen(v);
	int i = 0;

	for (;;) {
		bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncasecmp(p, v, n) == 0)
			return *out = i, 0;
		if (bar == NULL)
			return -1;
		p = bar + 1;
		i++;
	}
}

/* Parses the whole list before it replaces (append: extends) the
 * field's: a bad value leaves the old list untouched. */
static int
cfg_set_cidr(const struct cfg_key *k, struct cidr_list *field, int append,
	     const char *value, char *err, size_t errlen)
{
	struct cidr_list l;
	enum cidr_status st;
	size_t off = 0, len = 0;

	l.n = 0;
	if (append)
		l = *field;
	st = cidr_list_add(value, strlen(value), &l, &off, &len);
	if (st != CIDR_OK) {
		snprintf(err, errlen, "%s: \"%.*s\" %s", k->name,
			 (int)(len > 64 ? 64 : len), value + off,
			 cidr_strerror(st));
		return -1;
	}
	*field = l;
	return 0;
}

int
cfg_list_has(const struct cfg_list *l, const char *word, size_t wl)
{
	size_t i;

	if (l == NULL || wl == 0)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == wl &&
		    strncasecmp(l->v[i], word, wl) == 0)
			return 1;
	return 0;
}

void
cfg_list_free(struct cfg_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* The words of value appended to l (which grows). 0, or -1 with err:
 * then l holds the words before the bad one, for the caller to drop. */
static int
cfg_list_add(const struct cfg_key *k, struct cfg_list *l, const char *value,
	     char *err, size_t errlen)
{
	const char *p = value, *w;
	char **nv;
	size_t len;

	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return 0;
		w = p;
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t') {
			if ((unsigned char)*p < 0x21 ||
			    (unsigned char)*p > 0x7e) {
				snprintf(err, errlen,
					 "%s: byte %#x is not "
					 "printable ASCII",
					 k->name, (unsigned)(unsigned char)*p);
				return -1;
			}
			p++;
		}
		if ((len = (size_t)(p - w)) > CFG_LIST_WORD_MAX) {
			snprintf(err, errlen,
				 "%s: \"%.32s...\" is longer "
				 "than %d bytes",
				 k->name, w, CFG_LIST_WORD_MAX);
			return -1;
		}
		if (l->n == CFG_LIST_MAX) {
			snprintf(err, errlen, "%s: more than %d words", k->name,
				 CFG_LIST_MAX);
			return -1;
		}
		if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL)
			goto oom;
		l->v = nv;
		if ((nv[l->n] = strndup(w, len)) == NULL)
			goto oom;
		l->n++;
	}
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Like cfg_set_cidr: the field changes only when the whole value is
 * good; append (an indented line) adds to the words above. */
static int
cfg_set_list(const struct cfg_key *k, struct cfg_list *field, int append,
	     const char *value, char *err, size_t errlen)
{
	struct cfg_list l = {NULL, 0};
	size_t n0 = field->n;

	if (append) {
		if (cfg_list_add(k, field, value, err, errlen) == 0)
			return 0;
		while (field->n > n0)
			free(field->v[--field->n]);
		return -1;
	}
	if (cfg_list_add(k, &l, value, err, errlen) < 0) {
		cfg_list_free(&l);
		return -1;
	}
	cfg_list_free(field);
	*field = l;
	return 0;
}

static int
cfg_set_double(const struct cfg_key *k, double *field, const char *value,
	       char *err, size_t errlen)
{
	double d;

	if (cfg_parse_double(value, &d) < 0) {
		snprintf(err, errlen,
			 "%s: \"%s\" is not a decimal number "
			 "(e.g. 5, 5.0, -0.5)",
			 k->name, value);
		return -1;
	}
	if ((k->min || k->max) && (d < (double)k->min || d > (double)k->max)) {
		snprintf(err, errlen, "%s: %s is out of range [%lld, %lld]",
			 k->name, value, k->min, k->max);
		return -1;
	}
	*field = d;
	return 0;
}

int
cfg_set(const struct cfg_key *k, void *base, const char *value, char *err,
	size_t errlen)
{
	char *field = (char *)base + k->off;
	long long n = 0;
	int b;

	switch (k->type) {
	case CFG_STR: {
		char *dup = strdup(value);
		if (dup == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		free(*(char **)(void *)field);
		*(char **)(void *)field = dup;
		return 0;
	}
	case CFG_BOOL:
		if (cfg_parse_bool(value, &b) < 0) {
			snprintf(err, errlen, "%s: \"%s\" is not yes or no",
				 k->name, value);
			return -1;
		}
		*(int *)(void *)field = b;
		return 0;
	case CFG_ENUM:
		if (cfg_parse_enum(k->choices, value, &b) < 0) {
			snprintf(err, errlen, "%s: \"%s\" is not one of %s",
				 k->name, value, k->choices);
			return -1;
		}
		*(int *)(void *)field = b;
		return 0;
	case CFG_CIDR_LIST:
		return cfg_set_cidr(k, (struct cidr_list *)(void *)field, 0,
				    value, err, errlen);
	case CFG_LIST:
		return cfg_set_list(k, (struct cfg_list *)(void *)field, 0,
				    value, err, errlen);
	case CFG_DOUBLE:
		return cfg_set_double(k, (double *)(void *)field, value, err,
				      errlen);
	case CFG_INT:
		if (cfg_number(value, &n, &value) < 0 || *value != '\0') {
			snprintf(err, errlen, "%s: not an integer", k->name);
			return -1;
		}
		break;
	case CFG_SIZE:
		if (cfg_parse_size(value, &n) < 0) {
			snprintf(
			    err, errlen,
			    "%s: \"%s\" is not a size (e.g. 512k, 10M, 1G)",
			    k->name, value);
			return -1;
		}
		break;
	case CFG_DURATION:
		if (cfg_parse_duration(value, &n) < 0) {
			snprintf(
			    err, errlen,
			    "%s: \"%s\" is not a duration (e.g. 500ms, 5s, "
			    "2m, 1h, 7d)",
			    k->name, value);
			return -1;
		}
		break;
	}
	if ((k->min || k->max) && (n < k->min || n > k->max)) {
		snprintf(err, errlen, "%s: %lld is out of range [%lld, %lld]",
			 k->name, n, k->min, k->max);
		return -1;
	}
	*(long long *)(void *)field = n;
	return 0;
}

/* inih reads a line into a fixed buffer (INI_MAX_LINE, 200 bytes in
 * Debian's build) and parses what does not fit as the next line: an
 * indented tail even became a continuation that replaced the value. A
 * line that does not fit is an error here instead, before inih sees it. */
struct cfg_reader {
	FILE *f;
	int line;     /* lines read */
	int too_long; /* the first line that did not fit, or 0 */
	int max;      /* the bytes a line may hold (inih's buffer - 1) */
	int indented; /* the last line read starts with a blank */
};

static char *
cfg_read_line(char *str, int num, void *stream)
{
	struct cfg_reader *r = stream;
	size_t n;
	int ch;

	if (fgets(str, num, r->f) == NULL)
		return NULL;
	r->line++;
	r->indented = str[0] == ' ' || str[0] == '\t';
	n = strlen(str);
	if (n + 1 < (size_t)num || str[n - 1] == '\n')
		return str;
	if ((ch = getc(r->f)) == EOF || ch == '\n')
		return str; /* it just fits */
	r->too_long = r->line;
	r->max = num - 1;
	return NULL;
}

/* An indented line goes on with the value of the key above it: inih
 * hands it over as that key again. A CIDR list then grows by the line's
 * blocks, so a list longer than a line still fits; any other key would
 * be replaced by the tail without a word, so that is an error. */
struct cfg_parse_ctx {
	const struct cfg_section *secs;
	size_t nsecs;
	char err[512];
	int failed;
	const struct cfg_reader *r;
	const struct cfg_key *prev; /* of the last key=value, or NULL */
	const void *prev_base;
};

static int
cfg_set_in_file(struct cfg_parse_ctx *c, const struct cfg_key *k, void *base,
		const char *value)
{
	int cont = c->r->indented && c->prev == k && c->prev_base == base;

	c->prev = k;
	c->prev_base = base;
	if (k->type == CFG_CIDR_LIST)
		return cfg_set_cidr(
		    k, (struct cidr_list *)(void *)((char *)base + k->off),
		    cont, value, c->err, sizeof(c->err));
	if (k->type == CFG_LIST)
		return cfg_set_list(
		    k, (struct cfg_list *)(void *)((char *)base + k->off), cont,
		    value, c->err, sizeof(c->err));
	if (cont) {
		snprintf(c->err, sizeof(c->err),
			 "%s: an indented line goes on "
			 "with the value above, and only a list may go on over "
			 "lines (do not indent keys)",
			 k->name);
		return -1;
	}
	return cfg_set(k, base, value, c->err, sizeof(c->err));
}

static int
cfg_known(const char *section)
{
	size_t i;

	for (i = 0; cfg_known_sections[i]; i++)
		if (strcmp(cfg_known_sections[i], section) == 0)
			return 1;
	return 0;
}

static int
cfg_handler(void *user, const char *section, const char *name,
	    const char *value)
{
	struct cfg_parse_ctx *c = user;
	size_t i, j;

	if (c->failed)
		return 1;
	for (i = 0; i < c->nsecs; i++) {
		const struct cfg_section *s = &c->secs[i];
		if (strcmp(s->name, section) != 0)
			continue;
		for (j = 0; j < s->nkeys; j++) {
			if (strcmp(s->keys[j].name, name) != 0)
				continue;
			if (cfg_set_in_file(c, &s->keys[j], s->base, value) <
			    0) {
				c->failed = 1;
				return 0;
			}
			return 1;
		}
		snprintf(c->err, sizeof(c->err), "[%s] unknown key \"%s\"",
			 section, name);
		c->failed = 1;
		return 0;
	}
	if (*section == '\0') {
		snprintf(c->err, sizeof(c->err),
			 "key \"%s\" outside any [section]", name);
		c->failed = 1;
		return 0;
	}
	if (!cfg_known(section)) {
		snprintf(c->err, sizeof(c->err), "unknown section [%s]",
			 section);
		c->failed = 1;
		return 0;
	}
	c->prev = NULL;
	return 1; /* another program's section */
}

int
cfg_load(const char *path, const struct cfg_section *secs, size_t nsecs,
	 int missing_ok, char *err, size_t errlen)
{
	struct cfg_parse_ctx c;
	struct cfg_reader r;
	size_t i, j;
	FILE *f;
	int line;

	for (i = 0; i < nsecs; i++)
		for (j = 0; j < secs[i].nkeys; j++) {
			const struct cfg_key *k = &secs[i].keys[j];
			if (k->def == NULL)
				continue;
			if (cfg_set(k, secs[i].base, k->def, err, errlen) < 0)
				return -1;
		}

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && missing_ok)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	c.secs = secs;
	c.nsecs = nsecs;
	c.r = &r;
	r.f = f;
	line = ini_parse_stream(cfg_read_line, &r, cfg_handler, &c);
	if (line == 0 && ferror(f))
		line = -1;
	fclose(f);
	if (line < 0) {
		snprintf(err, errlen, "%s: cannot read", path);
		return -1;
	}
	if (line == 0 && r.too_long > 0) {
		snprintf(err, errlen,
			 "%s:%d: line longer than %d bytes (go on "
			 "with a list on indented lines)",
			 path, r.too_long, r.max);
		return -1;
	}
	if (line > 0) {
		snprintf(err, errlen, "%s:%d: %s", path, line,
			 c.failed ? c.err : "syntax error");
		return -1;
	}
	return 0;
}

void
cfg_free(const struct cfg_section *secs, size_t nsecs)
{
	size_t i, j;

	for (i = 0; i < nsecs; i++)
		for (j = 0; j < secs[i].nkeys; j++) {
			const struct cfg_key *k = &secs[i].keys[j];
			char **p;
			if (k->type == CFG_LIST)
				cfg_list_free(
				    (struct cfg_list *)(void *)((char *)secs[i]
								    .base +
								k->off));
			if (k->type != CFG_STR)
				continue;
			p = (char **)(void *)((char *)secs[i].base + k->off);
			free(*p);
			*p = NULL;
		}
}
