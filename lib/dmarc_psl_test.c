/* lib/dmarc_psl_test.c - unit-dmarc-psl: lib/dmarc's organizational
 * domains through libpsl against the Public Suffix List parser lib/dmarc
 * had before (issue 13 item 3), kept here, and only here, as the
 * reference: a sorted array of the .dat's rules searched with bsearch()
 * (ref_*, verbatim but for the names).
 *
 * Both must give the same organizational domain for the tricky names of
 * tricky[] (wildcard and exception rules, private rules, uppercase,
 * trailing dots, bad names) and for names made from every ASCII rule of
 * Debian's list (the rule, one and two labels under it), with each of
 * the lists libpsl may load (psl_latest(), the .dat, the .dafsa). The
 * one difference is on purpose: the old parser compared A-labels with
 * the list's U-label IDN rules and never matched them (idn[] has the
 * cases, both answers). About 0.1 s. */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dmarc.h"

#define DEBIAN_DAT "/usr/share/publicsuffix/public_suffix_list.dat"
#define DEBIAN_DAFSA "/usr/share/publicsuffix/public_suffix_list.dafsa"
#define PSL_DEFAULT DEBIAN_DAT
#define PSL_MAX_RULES 200000
#define DMARC_MAX_LABELS 128

/* ---- the reference: lib/dmarc.c's parser before libpsl ---- */

struct ref_psl {
	char **rules; /* "n<rule>", "w<rule after *.>", "e<rule after !>" */
	size_t n;
};

static void ref_psl_free(struct ref_psl **pp);

static int
rule_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line of the list into a tagged rule (malloc'ed) or NULL. */
static char *
psl_rule(const char *line)
{
	const char *s = line, *e;
	char kind = 'n', *r;
	size_t n, i;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '\n' || (s[0] == '/' && s[1] == '/'))
		return NULL;
	e = s;
	while (*e != '\0' && !isspace((unsigned char)*e))
		e++;
	if (*s == '!') {
		kind = 'e';
		s++;
	} else if (s[0] == '*' && s[1] == '.') {
		kind = 'w';
		s += 2;
	}
	n = (size_t)(e - s);
	if (n == 0 || n > 253 || memchr(s, '*', n) != NULL)
		return NULL;
	r = malloc(n + 2);
	if (r == NULL)
		return NULL;
	r[0] = kind;
	for (i = 0; i < n; i++)
		r[i + 1] = (char)tolower((unsigned char)s[i]);
	r[n + 1] = '\0';
	return r;
}

static int
psl_push(struct ref_psl *psl, size_t *cap, char *rule)
{
	char **nr;

	if (psl->n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		nr = realloc(psl->rules, *cap * sizeof(*nr));
		if (nr == NULL)
			return -1;
		psl->rules = nr;
	}
	psl->rules[psl->n++] = rule;
	return 0;
}

static int
ref_psl_load(const char *path, struct ref_psl **out, char *err, size_t errlen)
{
	struct ref_psl *psl;
	char line[1024], *rule;
	size_t cap = 0;
	FILE *f;

	*out = NULL;
	if (path == NULL)
		path = PSL_DEFAULT;
	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	psl = calloc(1, sizeof(*psl));
	if (psl == NULL)
		goto nomem;
	while (fgets(line, sizeof(line), f) != NULL) {
		rule = psl_rule(line);
		if (rule == NULL)
			continue;
		if (psl->n >= PSL_MAX_RULES || psl_push(psl, &cap, rule) != 0) {
			free(rule);
			goto nomem;
		}
	}
	fclose(f);
	if (psl->n == 0) {
		snprintf(err, errlen, "%s: no rules", path);
		ref_psl_free(&psl);
		return -1;
	}
	qsort(psl->rules, psl->n, sizeof(*psl->rules), rule_cmp);
	*out = psl;
	return 0;
nomem:
	fclose(f);
	ref_psl_free(&psl);
	snprintf(err, errlen, "%s: out of memory or too many rules", path);
	return -1;
}

static void
ref_psl_free(struct ref_psl **pp)
{
	struct ref_psl *psl = *pp;
	size_t i;

	if (psl == NULL)
		return;
	for (i = 0; i < psl->n; i++)
		free(psl->rules[i]);
	free(psl->rules);
	free(psl);
	*pp = NULL;
}

static int
psl_has(const struct ref_psl *psl, char kind, const char *suffix)
{
	char key[256];
	const char *k = key;
	size_t n = strlen(suffix);

	if (n + 2 > sizeof(key))
		return 0;
	key[0] = kind;
	memcpy(key + 1, suffix, n + 1);
	return bsearch(&k, psl->rules, psl->n, sizeof(*psl->rules), rule_cmp) !=
	       NULL;
}

/* Lowercase copy without the trailing dot; -1 if empty, too long, with
 * an empty label or one longer than 63, or with a byte DNS names cannot
 * carry as text (so that a failed query is never the name's fault). */
static int
ref_domain_norm(const char *d, char *out, size_t outlen)
{
	size_t n = strlen(d), i, label = 0;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || n >= outlen)
		return -1;
	for (i = 0; i < n; i++) {
		if (d[i] == '.' && (i == 0 || d[i - 1] == '.'))
			return -1;
		label = d[i] == '.' ? 0 : label + 1;
		if ((unsigned char)d[i] <= ' ' || (unsigned char)d[i] >= 0x7f ||
		    strchr("\\\"();@", d[i]) != NULL || label > 63)
			return -1;
		out[i] = (char)tolower((unsigned char)d[i]);
	}
	if (out[n - 1] == '.')
		return -1;
	out[n] = '\0';
	return 0;
}

static int
ref_org_domain(const struct ref_psl *psl, const char *domain, char *out,
	       size_t outlen)
{
	char d[256];
	size_t off[DMARC_MAX_LABELS], n = 0, i, ps, len;

	if (psl == NULL || ref_domain_norm(domain, d, sizeof(d)) != 0)
		return -1;
	off[n++] = 0;
	for (i = 0; d[i] != '\0' && n < DMARC_MAX_LABELS; i++)
		if (d[i] == '.')
			off[n++] = i + 1;
	ps = n - 1; /* no rule matches: the TLD alone ("*") */
	for (i = 0; i < n; i++) {
		if (psl_has(psl, 'e', d + off[i])) {
			ps = i + 1;
			break;
		}
		if (psl_has(psl, 'n', d + off[i]) ||
		    (i + 1 < n && psl_has(psl, 'w', d + off[i + 1]))) {
			ps = i;
			break;
		}
	}
	/* A public suffix itself has no organizational domain: keep it. */
	i = ps == 0 || ps >= n ? 0 : off[ps - 1];
	len = strlen(d + i);
	if (len >= outlen)
		return -1;
	memcpy(out, d + i, len + 1);
	return 0;
}

/* ---- the comparison ---- */

struct lists {
	struct ref_psl *ref;
	struct dmarc_psl *psl[3]; /* psl_latest(), the .dat, the .dafsa */
};

static const char *const list_name[3] = {"psl_latest()", DEBIAN_DAT,
					 DEBIAN_DAFSA};

/* want NULL: both must refuse the name (-1). */
struct tricky {
	const char *name, *want;
};

static const struct tricky tricky[] = {
    /* exception and wildcard rules: *.ck, !www.ck */
    {"www.ck", "www.ck"},
    {"mail.www.ck", "www.ck"},
    {"a.b.ck", "a.b.ck"},
    {"b.ck", "b.ck"},
    {"ck", "ck"},
    /* *.kawasaki.jp, !city.kawasaki.jp */
    {"city.kawasaki.jp", "city.kawasaki.jp"},
    {"x.city.kawasaki.jp", "city.kawasaki.jp"},
    {"a.b.kawasaki.jp", "a.b.kawasaki.jp"},
    {"b.kawasaki.jp", "b.kawasaki.jp"},
    {"kawasaki.jp", "kawasaki.jp"},
    /* ordinary and multi-label rules */
    {"example.com", "example.com"},
    {"a.b.c.example.com", "example.com"},
    {"_dmarc.example.com", "example.com"},
    {"foo.bar.co.uk", "bar.co.uk"},
    {"co.uk", "co.uk"},
    {"com", "com"},
    /* private rules */
    {"foo.bar.github.io", "bar.github.io"},
    {"github.io", "github.io"},
    {"a.blogspot.com", "a.blogspot.com"},
    /* no rule: the implicit "*" */
    {"foo.bar.example", "bar.example"},
    {"localhost", "localhost"},
    {"x.invalid-tld-zz", "x.invalid-tld-zz"},
    /* the parent of a wildcard rule that no rule names: not a public
     * suffix (libpsl alone says it is) */
    {"compute.amazonaws.com", "amazonaws.com"},
    {"COMPUTE-1.amazonaws.com.", "amazonaws.com"},
    {"elb.amazonaws.com.cn", "amazonaws.com.cn"},
    {"a.compute.amazonaws.com", "a.compute.amazonaws.com"},
    {"c.b.a.compute.amazonaws.com", "b.a.compute.amazonaws.com"},
    {"nagoya.jp", "nagoya.jp"},
    /* case and trailing dots */
    {"Mail.Example.COM", "example.com"},
    {"EXAMPLE.CO.UK.", "example.co.uk"},
    {"example.com.", "example.com"},
    {"WWW.CK", "www.ck"},
    {"A.B.Kawasaki.JP.", "a.b.kawasaki.jp"},
    /* IDN TLD rules reached as A-labels: xn--fiqs8s is 中国 */
    {"bar.foo.xn--fiqs8s", "foo.xn--fiqs8s"},
    {"xn--fiqs8s", "xn--fiqs8s"},
    /* names DNS cannot carry as text, or empty labels */
    {"", NULL},
    {".", NULL},
    {"..", NULL},
    {"example.com..", NULL},
    {".example.com", NULL},
    {"a..example.com", NULL},
    {"foo.公司.cn", NULL},
    {"ex ample.com", NULL},
    {"exa\\mple.com", NULL},
};

/* IDN rules: the list writes them as U-labels, mail names carry
 * A-labels. libpsl converts; the old parser compared bytes and fell back
 * to the parent rule (a difference kept on purpose: libpsl is right). */
struct idn {
	const char *name, *want, *old;
};

static const struct idn idn[] = {
    /* 公司.cn */
    {"foo.xn--55qx5d.cn", "foo.xn--55qx5d.cn", "xn--55qx5d.cn"},
    {"a.foo.xn--55qx5d.cn", "foo.xn--55qx5d.cn", "xn--55qx5d.cn"},
    /* aéroport.ci */
    {"x.xn--aroport-bya.ci", "x.xn--aroport-bya.ci", "xn--aroport-bya.ci"},
};

static int
org(const struct dmarc_psl *psl, const char *name, char *out, size_t n)
{
	return dmarc_org_domain(psl, name, out, n);
}

/* 0 if every list gives what the reference gives for name; else prints
 * the first difference and returns 1. */
static int
differs(const struct lists *l, const char *name)
{
	char want[256], got[256];
	int rw, rg;
	size_t i;

	rw = ref_org_domain(l->ref, name, want, sizeof(want));
	for (i = 0; i < 3; i++) {
		rg = org(l->psl[i], name, got, sizeof(got));
		if (rg != rw || (rw == 0 && strcmp(got, want) != 0)) {
			fprintf(stderr, "%s with %s: got %s, old parser %s\n",
				name, list_name[i], rg ? "-1" : got,
				rw ? "-1" : want);
			return 1;
		}
	}
	return 0;
}

static void
test_tricky_names_give_the_old_org_domains(void **state)
{
	const struct lists *l = *state;
	char got[256];
	size_t i, bad = 0;
	int rc;

	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		const struct tricky *t = &tricky[i];

		bad += differs(l, t->name);
		rc = org(l->psl[0], t->name, got, sizeof(got));
		if (t->want == NULL ? rc != -1
				    : rc != 0 || strcmp(got, t->want) != 0) {
			fprintf(stderr, "%s: got %s, want %s\n", t->name,
				rc ? "-1" : got, t->want ? t->want : "-1");
			bad++;
		}
	}
	if (bad)
		fail_msg("%zu tricky names differ", bad);
}

static void
test_idn_rules_match_a_labels_where_the_old_parser_missed(void **state)
{
	const struct lists *l = *state;
	char got[256], old[256];
	size_t i, k;

	for (i = 0; i < sizeof(idn) / sizeof(idn[0]); i++) {
		assert_int_equal(
		    ref_org_domain(l->ref, idn[i].name, old, sizeof(old)), 0);
		assert_string_equal(old, idn[i].old);
		for (k = 0; k < 3; k++) {
			assert_int_equal(
			    org(l->psl[k], idn[i].name, got, sizeof(got)), 0);
			if (strcmp(got, idn[i].want) != 0)
				fail_msg("%s with %s: got %s, want %s",
					 idn[i].name, list_name[k], got,
					 idn[i].want);
		}
	}
}

/* The names a rule line gives: the rule, one and two labels under it
 * (under "*.r": a.r and b.a.r), each also in uppercase. */
static size_t
rule_names(const char *line, char names[][300], size_t max)
{
	char r[256];
	size_t i, n = 0, len;

	while (*line == '!' || *line == '*' || *line == '.')
		line++;
	len = strcspn(line, " \t\r\n");
	if (len == 0 || len >= sizeof(r) - 8)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] >= 0x80)
			return 0; /* IDN: see idn[] */
	memcpy(r, line, len);
	r[len] = '\0';
	snprintf(names[n++], 300, "%s", r);
	snprintf(names[n++], 300, "a.%s", r);
	snprintf(names[n++], 300, "b.a.%s", r);
	for (i = 0; i < 3 && n < max; i++, n++) {
		char *p;

		snprintf(names[n], 300, "%s", names[i]);
		for (p = names[n]; *p; p++)
			*p = (char)toupper((unsigned char)*p);
	}
	return n;
}

static void
test_every_ascii_rule_gives_the_old_org_domain(void **state)
{
	const struct lists *l = *state;
	char line[1024], names[6][300];
	size_t i, n, checked = 0, bad = 0;
	FILE *f;

	f = fopen(DEBIAN_DAT, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '/' || line[0] == '\n')
			continue;
		n = rule_names(line, names, 6);
		for (i = 0; i < n; i++, checked++)
			if (differs(l, names[i]) && ++bad > 20)
				break;
		if (bad > 20)
			break;
	}
	fclose(f);
	if (bad)
		fail_msg("%zu of %zu names differ", bad, checked);
	/* Debian 12's list has ~9,000 ASCII rules */
	if (checked < 30000)
		fail_msg("only %zu names checked", checked);
}

static int
load(void **state)
{
	struct lists *l;
	char err[256];

	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -1;
	*state = l;
	if (ref_psl_load(DEBIAN_DAT, &l->ref, err, sizeof(err)) != 0 ||
	    dmarc_psl_load(NULL, &l->psl[0], err, sizeof(err)) != 0 ||
	    dmarc_psl_load(DEBIAN_DAT, &l->psl[1], err, sizeof(err)) != 0 ||
	    dmarc_psl_load(DEBIAN_DAFSA, &l->psl[2], err, sizeof(err)) != 0) {
		fprintf(stderr, "%s (install publicsuffix and libpsl5)\n", err);
		return -1;
	}
	return 0;
}

static int
unload(void **state)
{
	struct lists *l = *state;
	size_t i;

	if (l == NULL)
		return 0;
	ref_psl_free(&l->ref);
	for (i = 0; i < 3; i++)
		dmarc_psl_free(&l->psl[i]);
	free(l);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tricky_names_give_the_old_org_domains),
	    cmocka_unit_test(
		test_idn_rules_match_a_labels_where_the_old_parser_missed),
	    cmocka_unit_test(test_every_ascii_rule_gives_the_old_org_domain),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
