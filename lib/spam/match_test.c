/* lib/spam/match_test.c - the cache of the compiled hyperscan
 * databases (sp_match_build_cached, through the engine), one file per
 * group: written once, loaded the next time with the same verdicts, a
 * group compiled again when a rule lands in it (the others loaded), a
 * damaged file compiled over, the same files whatever the number of
 * compile threads, one build compiling at a time, and never needed to
 * start; a
 * scan whose result does not depend on where the text lies in memory;
 * and the plain-text databases (match_ascii.c) used on plain bodies only.
 * Scratch files live in a directory beside the test binary (the build dir). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "match.h"
#include "msgview.h"
#include "rules.h"

/* Exact hyperscan, a prefilter (back-reference, >= 40 bytes, confirmed by
 * PCRE2), PCRE2 only (lookahead), a bad regex, header targets. */
static const char rules_a[] =
    "body PILLS /cheap\\s+pills/i\nscore PILLS 1.5\n"
    "body BACKREF /(\\w{3,20})\\s+and\\s+again\\s+\\1\\s+for\\s+good"
    "\\s+measure/\nscore BACKREF 1.1\n"
    "body LOOK /pills(?=\\s+today)/\nscore LOOK 0.7\n"
    "body BAD /a(b/\nscore BAD 9\n"
    "rawbody RAW /viagra/i\nscore RAW 0.3\n"
    "full FULL /^Subject: free/m\nscore FULL 0.2\n"
    "uri URI /example\\.com/\nscore URI 0.4\n"
    "header SUBJ Subject =~ /free money/i\nscore SUBJ 2.0\n"
    "header FROMA From:addr =~ /\\@spam\\.example$/\nscore FROMA 0.9\n"
    "header NOTO To !~ /\\@example\\.org/\nscore NOTO 0.1\n"
    "header MAILER exists:X-Mailer\nscore MAILER 0.05\n";

static const char *const msgs[] = {
    "From: Bob <bob@spam.example>\nTo: someone@else.test\n"
    "Subject: free money now\nX-Mailer: junk\n\n"
    "Buy cheap   pills today: http://example.com/x viagra\n"
    "cheap and again cheap for good measure\n",
    "From: Alice <alice@example.org>\nTo: x@example.org\n"
    "Subject: hello\n\nnothing to see here\n",
};
#define NMSGS (sizeof(msgs) / sizeof(msgs[0]))

static char *slurp(const char *path, size_t *len);

struct fx {
	char dir[PATH_MAX];   /* scratch root */
	char cache[PATH_MAX]; /* dir/cache */
	char rules[PATH_MAX]; /* dir/t.cf */
};

static void
fx_path(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	assert_true(n > 0 && n < PATH_MAX);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (fx == NULL || n <= 0)
		return -1;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	if (snprintf(fx->dir, sizeof(fx->dir), "%s/match_test.XXXXXX", exe) >=
		(int)sizeof(fx->dir) ||
	    mkdtemp(fx->dir) == NULL)
		return -1;
	fx_path(fx->cache, fx->dir, "cache");
	fx_path(fx->rules, fx->dir, "t.cf");
	if (mkdir(fx->cache, 0755) < 0)
		return -1;
	write_file(fx->rules, rules_a);
	*state = fx;
	return 0;
}

static void
rm_dir(const char *dir)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int i = 0;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && i++ < 1000) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (unlink(p) < 0)
			rm_dir(p);
	}
	closedir(d);
	rmdir(dir);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	rm_dir(fx->dir);
	free(fx);
	return 0;
}

static struct sp_engine *
build(const struct fx *fx, const char *cache_dir, struct sp_match_stats *ms)
{
	struct sp_engine_opts o;
	struct sp_engine *e;
	char err[256];

	memset(&o, 0, sizeof(o));
	o.rules_path = fx->rules;
	o.required_score = 5.0;
	o.cache_dir = cache_dir;
	if (sp_engine_new(&o, &e, err, sizeof(err)) < 0)
		fail_msg("engine: got error '%s', want none", err);
	sp_engine_match_stats(e, ms);
	return e;
}

/* The hg-*.db (group) files of a cache: how many, and the largest's
 * name (the body group's, with the most patterns). */
static int
cache_files_in(const char *dir, char *name, size_t namelen)
{
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	off_t big = -1;
	int n = 0, i = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL && i++ < 1000) {
		size_t l = strlen(de->d_name);

		if (strncmp(de->d_name, "hg-", 3) != 0 || l < 4 ||
		    strcmp(de->d_name + l - 3, ".db") != 0)
			continue;
		n++;
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
		    st.st_size > big && name != NULL) {
			big = st.st_size;
			snprintf(name, namelen, "%s", de->d_name);
		}
	}
	closedir(d);
	return n;
}

static int
cache_files(const struct fx *fx, char *name, size_t namelen)
{
	return cache_files_in(fx->cache, name, namelen);
}

/* "SCORE NAME,NAME" for each message. */
static void
verdicts(const struct sp_engine *e, char out[NMSGS][512])
{
	struct sp_result r;
	char err[256];
	size_t i, k;
	int n;

	for (i = 0; i < NMSGS; i++) {
		if (sp_engine_check(e, msgs[i], strlen(msgs[i]), NULL, &r, err,
				    sizeof(err)) < 0)
			fail_msg("check: got error '%s', want none", err);
		n = snprintf(out[i], 512, "%.2f", r.score);
		for (k = 0; k < r.nhits && n > 0 && n < 512; k++)
			n += snprintf(out[i] + n, 512 - (size_t)n, "%s%s",
				      k ? "," : " ", r.hits[k]->name);
		sp_result_clear(&r);
	}
}

static void
same_stats(const struct sp_match_stats *got, const struct sp_match_stats *want)
{
	if (got->hs_exact != want->hs_exact ||
	    got->hs_prefilter != want->hs_prefilter ||
	    got->pcre_only != want->pcre_only ||
	    got->bad_regex != want->bad_regex ||
	    got->databases != want->databases)
		fail_msg("got %zu/%zu/%zu/%zu/%zu exact/prefilter/pcre/bad/"
			 "dbs, want %zu/%zu/%zu/%zu/%zu",
			 got->hs_exact, got->hs_prefilter, got->pcre_only,
			 got->bad_regex, got->databases, want->hs_exact,
			 want->hs_prefilter, want->pcre_only, want->bad_regex,
			 want->databases);
}

static void
second_build_loads_the_cache_and_scores_alike(void **state)
{
	struct fx *fx = *state;
	struct sp_match_stats m0, m1, m2;
	struct sp_engine *e0, *e1, *e2;
	char v0[NMSGS][512], v1[NMSGS][512], v2[NMSGS][512];
	size_t i;
	int n = 0;

	e0 = build(fx, NULL, &m0);
	assert_int_equal(cache_files(fx, NULL, 0), 0);
	e1 = build(fx, fx->cache, &m1);
	if (m1.from_cache || !m1.cache_written)
		fail_msg("first build: got from_cache %d written %d (%s), want "
			 "0 1",
			 m1.from_cache, m1.cache_written, m1.cache_error);
	if (m1.groups < 5 || (n = cache_files(fx, NULL, 0)) != (int)m1.groups)
		fail_msg("got %d cache files for %zu groups, want one each, "
			 "5 at least",
			 n, m1.groups);
	e2 = build(fx, fx->cache, &m2);
	if (!m2.from_cache || m2.cache_written ||
	    m2.groups_loaded != m1.groups || m2.groups_compiled != 0)
		fail_msg("second build: got from_cache %d written %d, %zu "
			 "loaded %zu compiled, want 1 0, %zu 0",
			 m2.from_cache, m2.cache_written, m2.groups_loaded,
			 m2.groups_compiled, m1.groups);
	/* every kind of pattern went through the cache */
	assert_true(m0.hs_exact > 0 && m0.hs_prefilter > 0 &&
		    m0.pcre_only > 0 && m0.bad_regex == 1);
	same_stats(&m1, &m0);
	same_stats(&m2, &m0);
	verdicts(e0, v0);
	verdicts(e1, v1);
	verdicts(e2, v2);
	if (strstr(v0[0], "BACKREF") == NULL || strstr(v0[0], "LOOK") == NULL ||
	    strstr(v0[0], "PILLS") == NULL)
		fail_msg("spam: got '%s', want BACKREF, LOOK and PILLS", v0[0]);
	for (i = 0; i < NMSGS; i++) {
		if (strcmp(v1[i], v0[i]) != 0)
			fail_msg("message %zu, compiled and saved: got '%s', "
				 "want '%s'",
				 i, v1[i], v0[i]);
		if (strcmp(v2[i], v0[i]) != 0)
			fail_msg("message %zu, from the cache: got '%s', want "
				 "'%s'",
				 i, v2[i], v0[i]);
	}
	sp_engine_free(&e0);
	sp_engine_free(&e1);
	sp_engine_free(&e2);
}

/* A rule added to a rule set lands in one group (the body's): that
 * group alone is compiled, the others are loaded; its old file stays
 * (a build of the old rule set, sharing the directory, loads it). */
static void
a_rule_added_recompiles_its_group_only(void **state)
{
	struct fx *fx = *state;
	struct sp_match_stats m0, ms;
	struct sp_engine *e;
	char rules_b[sizeof(rules_a) + 64], v[NMSGS][512];
	int n0, n;

	e = build(fx, fx->cache, &m0);
	sp_engine_free(&e);
	n0 = cache_files(fx, NULL, 0);
	snprintf(rules_b, sizeof(rules_b), "%sbody NEW /brand new/\n", rules_a);
	write_file(fx->rules, rules_b);
	e = build(fx, fx->cache, &ms);
	verdicts(e, v);
	sp_engine_free(&e);
	if (ms.from_cache || !ms.cache_written || ms.groups != m0.groups ||
	    ms.groups_compiled != 1 || ms.groups_loaded != m0.groups - 1)
		fail_msg("one rule added: got from_cache %d written %d, %zu "
			 "groups, %zu loaded %zu compiled, want 0 1, %zu "
			 "groups, %zu loaded 1 compiled",
			 ms.from_cache, ms.cache_written, ms.groups,
			 ms.groups_loaded, ms.groups_compiled, m0.groups,
			 m0.groups - 1);
	if (strstr(v[0], "PILLS") == NULL || strstr(v[0], "BACKREF") == NULL)
		fail_msg("spam: got '%s', want PILLS and BACKREF", v[0]);
	if ((n = cache_files(fx, NULL, 0)) != n0 + 1)
		fail_msg("got %d cache files, want %d (the new group's added)",
			 n, n0 + 1);
	write_file(fx->rules, rules_a);
	e = build(fx, fx->cache, &ms);
	sp_engine_free(&e);
	if (!ms.from_cache || ms.groups_compiled != 0)
		fail_msg("the old rules again: got from_cache %d, %zu "
			 "compiled, want 1, 0",
			 ms.from_cache, ms.groups_compiled);
}

enum damage {
	TRUNCATE,
	FLIP_DB,
	FLIP_HEADER,
	GARBAGE,
	EMPTY,
	WRITABLE,
	FOREIGN
};

static void
damage(const char *path, enum damage how)
{
	struct stat st;
	unsigned char b;
	off_t at;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	switch (how) {
	case TRUNCATE:
		assert_int_equal(ftruncate(fd, st.st_size / 2), 0);
		break;
	case EMPTY:
		assert_int_equal(ftruncate(fd, 0), 0);
		break;
	case WRITABLE: /* sound, but anyone could have changed it */
		assert_int_equal(fchmod(fd, 0666), 0);
		break;
	case FOREIGN: /* sound, but another user's (we run as root) */
		if (fchown(fd, 4321, 4321) < 0)
			skip();
		break;
	case GARBAGE:
		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(pwrite(fd, "not a cache\n", 12, 0), 12);
		break;
	case FLIP_DB:
	case FLIP_HEADER:
		at = how == FLIP_DB ? st.st_size - 100 : 20;
		assert_int_equal(pread(fd, &b, 1, at), 1);
		b ^= 0x5a;
		assert_int_equal(pwrite(fd, &b, 1, at), 1);
		break;
	}
	close(fd);
}

static void
damaged_cache_is_compiled_over_and_rewritten(void **state)
{
	static const enum damage how[] = {
	    TRUNCATE, FLIP_DB, FLIP_HEADER, GARBAGE, EMPTY, WRITABLE, FOREIGN};
	static const char *const what[] = {
	    "truncated", "flipped payload", "flipped key",  "garbage",
	    "empty",	 "world-writable",  "foreign-owned"};
	struct fx *fx = *state;
	struct sp_match_stats ms;
	struct sp_engine *e;
	struct stat st;
	char name[128], path[PATH_MAX], v0[NMSGS][512], v1[NMSGS][512];
	size_t i, k;

	e = build(fx, fx->cache, &ms);
	verdicts(e, v0);
	sp_engine_free(&e);
	assert_true(cache_files(fx, name, sizeof(name)) == (int)ms.groups);
	fx_path(path, fx->cache, name);
	for (i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		damage(path, how[i]);
		e = build(fx, fx->cache, &ms);
		if (ms.from_cache || !ms.cache_written ||
		    ms.groups_compiled != 1 ||
		    ms.groups_loaded != ms.groups - 1)
			fail_msg("%s group file: got from_cache %d written %d "
				 "(%s), %zu loaded %zu compiled, want 0 1, "
				 "%zu loaded 1 compiled",
				 what[i], ms.from_cache, ms.cache_written,
				 ms.cache_error, ms.groups_loaded,
				 ms.groups_compiled, ms.groups - 1);
		verdicts(e, v1);
		for (k = 0; k < NMSGS; k++)
			if (strcmp(v1[k], v0[k]) != 0)
				fail_msg("%s cache, message %zu: got '%s', "
					 "want '%s'",
					 what[i], k, v1[k], v0[k]);
		sp_engine_free(&e);
		assert_int_equal(stat(path, &st), 0);
		if ((st.st_mode & 07777) != 0644 || st.st_uid != geteuid())
			fail_msg("%s cache rewritten: got mode %o uid %u, "
				 "want 644, ours",
				 what[i], (unsigned)(st.st_mode & 07777),
				 (unsigned)st.st_uid);
		e = build(fx, fx->cache, &ms);
		sp_engine_free(&e);
		if (!ms.from_cache)
			fail_msg("after the %s cache was rewritten: got "
				 "from_cache 0, want 1",
				 what[i]);
	}
}

/* rules_a with more groups (header targets), for the thread tests. */
static void
parse_many(struct sp_ruleset *rs)
{
	static const char *const hdr[] = {"Reply-To", "Cc",	    "X-Mailer",
					  "Received", "Message-Id", "Date"};
	struct sp_rules_error re;
	char text[sizeof(rules_a) + 1024];
	size_t i;
	int n = snprintf(text, sizeof(text), "%s", rules_a);

	for (i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "header H%zu %s =~ /x%zu(a|b)+y/i\n", i, hdr[i],
			      i);
	sp_rules_init(rs);
	memset(&re, 0, sizeof(re));
	if (sp_rules_parse(rs, "many.cf", text, (size_t)n, NULL, &re) < 0 ||
	    sp_rules_finish(rs, &re) < 0)
		fail_msg("rules: got error '%s', want none", re.msg);
}

/* Whether dirs a and b hold the same hg-*.db files, byte for byte. */
static void
same_files(const char *a, const char *b)
{
	struct dirent *de;
	DIR *d = opendir(a);
	char *x, *y, p[PATH_MAX];
	size_t lx, ly;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "hg-", 3) != 0)
			continue;
		n++;
		fx_path(p, a, de->d_name);
		x = slurp(p, &lx);
		fx_path(p, b, de->d_name);
		y = slurp(p, &ly); /* fails the test if it is missing */
		if (lx != ly || memcmp(x, y, lx) != 0)
			fail_msg("%s: got other bytes (or none) on 4 threads "
				 "than on 1",
				 de->d_name);
		free(x);
		free(y);
	}
	closedir(d);
	assert_int_equal(cache_files_in(b, NULL, 0), n);
}

static void
compile_threads_write_the_same_files_as_one(void **state)
{
	struct fx *fx = *state;
	struct sp_ruleset rs;
	struct sp_matcher *m[2];
	struct sp_match_stats st[2];
	char dir[2][PATH_MAX], err[256];
	static const char *const name[2] = {"t1", "t4"};
	unsigned threads[2] = {1, 4};
	int i;

	parse_many(&rs);
	for (i = 0; i < 2; i++) {
		fx_path(dir[i], fx->dir, name[i]);
		assert_int_equal(mkdir(dir[i], 0755), 0);
		if (sp_match_build_threads(&rs, dir[i], threads[i], &m[i], err,
					   sizeof(err)) < 0)
			fail_msg("build: got error '%s', want none", err);
		sp_match_stats(m[i], &st[i]);
		sp_match_free(&m[i]);
	}
	if (st[0].groups < 10 || st[1].groups_compiled != st[0].groups)
		fail_msg("got %zu groups, %zu compiled on 4 threads, want "
			 "10 at least, all compiled",
			 st[0].groups, st[1].groups_compiled);
	same_files(dir[0], dir[1]);
	sp_rules_free(&rs);
}

struct racer {
	const char *dir;
	struct sp_match_stats st;
	int rc;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct sp_ruleset rs;
	struct sp_matcher *m = NULL;
	char err[256];

	parse_many(&rs);
	r->rc = sp_match_build_threads(&rs, r->dir, 1, &m, err, sizeof(err));
	if (m != NULL)
		sp_match_stats(m, &r->st);
	sp_match_free(&m);
	sp_rules_free(&rs);
	return NULL;
}

/* Two builds of one rule set into one empty directory at the same time
 * (a milter restart and 'facteur spam check'): each group is compiled
 * once, by whichever took DIR/hg.lock first; the other waits, then
 * loads it. */
static void
two_builds_at_once_compile_each_group_once(void **state)
{
	struct fx *fx = *state;
	struct racer r[2];
	pthread_t t[2];
	size_t compiled;
	int i;

	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].dir = fx->cache;
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_true(r[0].rc == 0 && r[1].rc == 0);
	compiled = r[0].st.groups_compiled + r[1].st.groups_compiled;
	if (compiled != r[0].st.groups ||
	    r[0].st.groups_loaded + r[1].st.groups_loaded != r[0].st.groups)
		fail_msg("got %zu + %zu groups compiled, %zu + %zu loaded, "
			 "want %zu in all, each",
			 r[0].st.groups_compiled, r[1].st.groups_compiled,
			 r[0].st.groups_loaded, r[1].st.groups_loaded,
			 r[0].st.groups);
}

static void
unusable_cache_dir_still_builds_and_says_why(void **state)
{
	struct fx *fx = *state;
	struct sp_match_stats ms;
	struct sp_engine *e;
	char missing[PATH_MAX], file[PATH_MAX], v0[NMSGS][512];
	const char *dirs[2];
	size_t i;

	fx_path(missing, fx->dir, "missing");
	fx_path(file, fx->dir, "a-file");
	write_file(file, "x");
	dirs[0] = missing;
	dirs[1] = file; /* ENOTDIR: what root meets instead of EACCES */
	for (i = 0; i < 2; i++) {
		e = build(fx, dirs[i], &ms);
		if (ms.from_cache || ms.cache_written ||
		    ms.cache_error[0] == '\0')
			fail_msg("%s: got from_cache %d written %d error '%s', "
				 "want 0 0 and a reason",
				 dirs[i], ms.from_cache, ms.cache_written,
				 ms.cache_error);
		if (strstr(ms.cache_error, dirs[i]) == NULL)
			fail_msg("got '%s', want the directory named",
				 ms.cache_error);
		verdicts(e, v0);
		if (strstr(v0[0], "PILLS") == NULL)
			fail_msg("got '%s', want PILLS", v0[0]);
		sp_engine_free(&e);
	}
	e = build(fx, "", &ms);
	sp_engine_free(&e);
	if (ms.cache_written || ms.from_cache || ms.cache_error[0] != '\0')
		fail_msg("cache_dir '': got written %d from_cache %d error "
			 "'%s', want no cache and no error",
			 ms.cache_written, ms.from_cache, ms.cache_error);
	assert_int_equal(cache_files(fx, NULL, 0), 0);
}

/* ---- scanning: the text's place in memory must not matter ---- */

/* The shipped rules (the test runs in lib/spam) and a corpus spam
 * whose body ends with a hash-buster line (FCT_HASHBUSTER): vectorscan's
 * AVX-512 tail bug made it miss that line for 13 of the 64 places of the
 * body text relative to a cache line (match.c, scan_aligned). */
#define HB_RULES "../../rules"
#define HB_MSG                                                                 \
	"../../../shared/corpus/spamassassin/spam/"                            \
	"00085.f63a9484ac582233db057dbb45dc0eaf.eml"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;

	if (f == NULL)
		fail_msg("%s: got %s, want a readable file", path,
			 strerror(errno));
	p = malloc(1 << 22);
	assert_non_null(p);
	*len = fread(p, 1, (1 << 22) - 1, f);
	p[*len] = '\0';
	fclose(f);
	return p;
}

static void
rules_dir(struct sp_ruleset *rs)
{
	static const char *const files[] = {
	    "20_facteur_headers.cf", "30_facteur_body.cf", "40_facteur_more.cf",
	    "45_facteur_pitch.cf"};
	struct sp_rules_error re;
	char path[PATH_MAX];
	size_t i, len;
	char *p;

	sp_rules_init(rs);
	memset(&re, 0, sizeof(re));
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", HB_RULES, files[i]);
		p = slurp(path, &len);
		if (sp_rules_parse(rs, path, p, len, NULL, &re) < 0)
			fail_msg("%s: got error '%s', want none", path, re.msg);
		free(p);
	}
	assert_int_equal(sp_rules_finish(rs, &re), 0);
}

static void
a_match_does_not_depend_on_the_text_address(void **state)
{
	struct sp_ruleset rs;
	struct sp_matcher *m = NULL;
	struct sp_view v;
	struct sp_limits lim;
	char err[256], *raw, *text, *area;
	double *values;
	size_t len, off, missed = 0;
	long hb;

	(void)state;
	rules_dir(&rs);
	hb = sp_rules_find(&rs, "FCT_HASHBUSTER", 14);
	assert_true(hb >= 0);
	if (sp_match_build(&rs, &m, err, sizeof(err)) < 0)
		fail_msg("build: got error '%s', want none", err);
	raw = slurp(HB_MSG, &len);
	memset(&lim, 0, sizeof(lim));
	assert_int_equal(sp_view_parse(raw, len, &lim, &v, err, sizeof(err)),
			 0);
	text = v.body_text;
	area = aligned_alloc(64, (v.body_text_len + 128 + 63) / 64 * 64);
	values = calloc(rs.n + 1, sizeof(double));
	assert_true(area != NULL && values != NULL);
	for (off = 0; off < 64; off++) {
		memcpy(area + off, text, v.body_text_len + 1);
		v.body_text = area + off;
		memset(values, 0, (rs.n + 1) * sizeof(double));
		if (sp_match_run(m, &rs, &v, NULL, values, err, sizeof(err)) <
		    0)
			fail_msg("run: got error '%s', want none", err);
		if (values[hb] != 1)
			missed++;
	}
	v.body_text = text;
	if (missed > 0)
		fail_msg("FCT_HASHBUSTER: got %zu misses of 64 places of the "
			 "body, want 0",
			 missed);
	free(values);
	free(area);
	sp_view_clear(&v);
	free(raw);
	sp_match_free(&m);
	sp_rules_free(&rs);
}

/* Look-alike rules as 25_replace.cf writes them: ASCII, UTF-8 and
 * "&#NNN;" spellings of a letter, exact (LOOK_M) and prefiltered (LOOK_F,
 * a lookahead), and PCRE2 alone (LOOK_X: /x, which has no form). */
static const char rules_look[] =
    "body LOOK_M /(?:[mM\\xcc]|rn|[\\xc3][\\xad]|&\\#109;)oney\\b/\n"
    "score LOOK_M 1.0\n"
    "body LOOK_F /(?!free)(?:[fF]|&\\#102;|[\\xc6][\\x92])ree\\b/i\n"
    "score LOOK_F 1.0\n"
    "body LOOK_X /(?:[mM\\xcc] | rn) oney \\b/x\n"
    "score LOOK_X 1.0\n"
    "body LOOK_Y /(?:[mM\\xcc]oney) | &\\#/x\n" /* '#': a comment */
    "score LOOK_Y 1.0\n"
    /* PCRE2 only (hyperscan refuses the '$'), prefiltered in each form
     * without it (match_form.c) */
    "body LOOK_O /(?:$|\\W)(?=[oO0])(?!opt)(?:[oO0]|&\\#111;)pt(?:$|\\W)/i\n"
    "score LOOK_O 1.0\n";

#define LOOK_HDR                                                               \
	"From: a@example.org\nTo: b@example.org\nSubject: x\n"                 \
	"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"         \
	"Content-Transfer-Encoding: 8bit\n\n"

static void
plain_and_other_bodies_hit_the_same_rules_as_pcre2_says(void **state)
{
	static const struct {
		const char *body, *want;
	} c[] = {
	    {"send rnoney now\n", "LOOK_M,LOOK_X"},
	    {"free money\n", "LOOK_M,LOOK_X,LOOK_Y"},
	    {"a & b\n", "LOOK_Y"},
	    {"nothing here\n", ""},
	    /* the look-alikes the plain-text form leaves out */
	    {"caf\xc3\xa9: \xc3\xadoney\n", "LOOK_M"},
	    {"\xc6\x92ree stuff\n", "LOOK_F"},
	    {"the &#102;ree &#109;oney\n", "LOOK_F,LOOK_M,LOOK_Y"},
	    /* plain look-alikes in a text that is not plain */
	    {"caf\xc3\xa9 Free rnoney &#1;\n", "LOOK_M,LOOK_X,LOOK_Y"},
	    {"caf\xc3\xa9 1ree\n", ""},
	    {"0pt out\n0PT\n", "LOOK_O"},
	    {"opt out, 0pts\n", ""},
	    {"caf\xc3\xa9 0pt\n", "LOOK_O"},
	    {"&#1; 0pt\n", "LOOK_O,LOOK_Y"},
	};
	struct fx *fx = *state;
	struct sp_match_stats ms[3];
	struct sp_engine *e[3];
	char err[256], msg[512], got[256];
	size_t i, j, k;
	int n;

	write_file(fx->rules, rules_look);
	e[0] = build(fx, NULL, &ms[0]);
	e[1] = build(fx, fx->cache, &ms[1]);
	e[2] = build(fx, fx->cache, &ms[2]);
	assert_true(ms[1].cache_written && ms[2].from_cache);
	for (j = 0; j < 3; j++)
		if (ms[j].form_databases != 2 || ms[j].form_prefilters != 2)
			fail_msg("build %zu: %zu form databases, %zu "
				 "prefilters there, want 2 and 2",
				 j, ms[j].form_databases,
				 ms[j].form_prefilters);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(msg, sizeof(msg), "%s%s", LOOK_HDR, c[i].body);
		for (j = 0; j < 3; j++) {
			struct sp_result r;

			if (sp_engine_check(e[j], msg, strlen(msg), NULL, &r,
					    err, sizeof(err)) < 0)
				fail_msg("check: got error '%s'", err);
			got[0] = '\0';
			for (k = 0, n = 0; k < r.nhits; k++)
				if (strncmp(r.hits[k]->name, "LOOK_", 5) == 0)
					n += snprintf(got + n,
						      sizeof(got) - (size_t)n,
						      "%s%s", n ? "," : "",
						      r.hits[k]->name);
			sp_result_clear(&r);
			if (strcmp(got, c[i].want) != 0)
				fail_msg(
				    "'%s' (build %zu): got '%s', want '%s'",
				    c[i].body, j, got, c[i].want);
		}
	}
	for (j = 0; j < 3; j++)
		sp_engine_free(&e[j]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		second_build_loads_the_cache_and_scores_alike, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_rule_added_recompiles_its_group_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		damaged_cache_is_compiled_over_and_rewritten, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		compile_threads_write_the_same_files_as_one, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		two_builds_at_once_compile_each_group_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		unusable_cache_dir_still_builds_and_says_why, setup, teardown),
	    cmocka_unit_test(a_match_does_not_depend_on_the_text_address),
	    cmocka_unit_test_setup_teardown(
		plain_and_other_bodies_hit_the_same_rules_as_pcre2_says, setup,
		teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
