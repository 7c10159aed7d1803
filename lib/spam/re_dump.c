/* lib/spam/re_dump.c - spam_re_dump DIR...: loads the *.cf rule files of
 * each DIR (as the engine does, without compiling) and prints, for every
 * rule that has a pattern, what the pattern scanners make of it:
 * match_relax() (and with one byte less room), match_reverse() of the
 * pattern and of its relaxed form, match_ascii() in each form,
 * match_lookalike(), and match_form() of the pattern's own bytes. Their
 * outputs feed the compiled hyperscan databases, so a change to
 * match_relax.c, match_ascii.c or re_tok.c must leave this dump byte for
 * byte the same: dump before, dump after, cmp. A manual tool. */
#include "match_int.h"
#include "match_relax.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL, *np;
	size_t cap = 0, got;

	*len = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		if (*len + 65536 + 1 > cap) {
			cap = 2 * cap + 65536 + 1;
			if ((np = realloc(p, cap)) == NULL)
				break;
			p = np;
		}
		if ((got = fread(p + *len, 1, 65536, f)) == 0)
			break;
		*len += got;
	}
	fclose(f);
	if (p != NULL)
		p[*len] = '\0';
	return p;
}

static int
is_cf(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 3 && d->d_name[0] != '.' &&
	       strcmp(d->d_name + n - 3, ".cf") == 0;
}

static int
load_dir(struct sp_ruleset *rs, const char *dir)
{
	struct dirent **ents;
	struct sp_rules_error err;
	char path[4096];
	size_t len;
	char *p;
	int i, n, rc = 0;

	memset(&err, 0, sizeof(err));
	if ((n = scandir(dir, &ents, is_cf, alphasort)) < 0) {
		perror(dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (rc == 0 && (p = slurp(path, &len)) != NULL) {
			rc = sp_rules_parse(rs, path, p, len, NULL, &err);
			free(p);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* rc and the output, or only the rc when refused. */
static void
put(const char *what, int rc, const char *out)
{
	if (rc < 0)
		printf("  %s %d\n", what, rc);
	else
		printf("  %s %d %s\n", what, rc, out);
}

static void
dump_rule(const struct sp_rule *r)
{
	size_t len = strlen(r->re), cap = 2 * len + 2;
	char *rx = calloc(1, cap), *b = calloc(1, cap);
	int rc, f;

	if (rx == NULL || b == NULL)
		exit(1);
	printf("%s %s %u %s\n", r->name, sp_rtype_name(r->type), r->re_flags,
	       r->re);
	rc = match_relax(r->re, rx, len + 1);
	put("relax", rc, rx);
	if (len > 0)
		printf("  relax-short %d\n", match_relax(r->re, b, len));
	put("reverse", match_reverse(r->re, b, cap), b);
	if (rc == 0)
		put("reverse-relaxed", match_reverse(rx, b, cap), b);
	for (f = 0; f < MATCH_FORMS; f++) {
		char what[16];

		snprintf(what, sizeof(what), "ascii%d", f);
		put(what, match_ascii(r->re, f, b, cap), b);
	}
	printf("  lookalike %d form %d\n", match_lookalike(r),
	       match_form(r->re, len));
	free(rx);
	free(b);
}

int
main(int argc, char **argv)
{
	struct sp_ruleset rs;
	struct sp_rules_error err;
	size_t i, n = 0;
	int a;

	sp_rules_init(&rs);
	memset(&err, 0, sizeof(err));
	for (a = 1; a < argc; a++)
		if (load_dir(&rs, argv[a]) < 0)
			return 1;
	if (sp_rules_finish(&rs, &err) < 0)
		return 1;
	for (i = 0; i < rs.n; i++)
		if (rs.v[i].re != NULL) {
			dump_rule(&rs.v[i]);
			n++;
		}
	fprintf(stderr, "%zu patterns\n", n);
	sp_rules_free(&rs);
	return 0;
}
