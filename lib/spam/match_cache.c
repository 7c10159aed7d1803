/* lib/spam/match_cache.c - the compiled hyperscan databases on disk,
 * one file per group of patterns (match_build.c), so that a restart
 * with the same rules loads in a second what takes a minute and a half
 * to compile (SpamAssassin's rule set), and a rule added compiles its
 * group only; see match.h (sp_match_build_cached) and match_int.h.
 *
 * dir/hg-KEY.db, KEY the 64 hex digits of match_cache_key():
 *   header   "FCTRHGDB", u32 version, u32 nrules, key[32],
 *            sha256[32] of the payload, u64 payload length
 *   payload  u32 type, hmod, lookalike, nhs, npc, 0; u64 dblen,
 *            fdblen[2]; u32 hs_pos[nhs]; u8 confirm[nhs];
 *            u32 pc_pos[npc]; u8 fpc[2 * npc] (match_int.h);
 *            dblen bytes of hs_serialize_database(db),
 *            fdblen[f] of each form's fdb[f] (match_ascii.c)
 * in host byte order (the key covers the platform). A position is one
 * in the group's rules (its patterns, in order, are what the key
 * hashes), never a rule index: loaded, it is mapped to the rule there.
 * Hyperscan runs the bytecode it deserializes, so only a file owned by
 * root or by us and writable by no one else is read. Even then it is
 * not trusted to be ours: the digest, every position (each of the
 * group's rules once) and the counts are checked before hyperscan sees
 * the bytes, and anything wrong means "compile", never an error.
 *
 * Garbage: a directory may be shared by builds of other rule sets (the
 * milter's, the CLI's), so no build removes another's files at once. A
 * load touches the file's mtime once a day; after a compile, group files
 * not touched for CACHE_UNUSED_DAYS, temp files over an hour old and
 * the hs-*.db of cache format 5 and older (one file per rule set) go. */
#include "match_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

/* Bump when the file layout or the way rules are sorted into groups
 * (match_classify, match_compile_group, MATCH_CHUNK) changes. */
#define CACHE_VERSION                                                          \
	7 /* 3: plain-text databases; 4: and Latin ones, the                   \
	       look-alike rules in groups of their own; 5: a form's ':', '.',  \
	       '=' escaped where members went (match_ascii); 6: one file per   \
	       group, groups of MATCH_CHUNK rules (not hyperscan patterns);    \
	       7: the PCRE2-only rules' prefilters in the forms' databases     \
	       (fpc) */
#define CACHE_MAGIC "FCTRHGDB"
#define CACHE_MAX_FILE ((off_t)1 << 30)
#define CACHE_MAX_PRUNE 4096
#define CACHE_TMP_AGE 3600 /* seconds before a stray temp file goes */
#define CACHE_UNUSED_DAYS 30
#define CACHE_TOUCH_AGE 86400 /* a load touches an older file */
#define CACHE_LOCK "hg.lock"
#define CACHE_LOCK_WAIT 900 /* seconds: a cold compile under ASan, loaded */

struct cache_hdr {
	char magic[8];
	uint32_t version;
	uint32_t nrules;
	unsigned char key[MATCH_KEY_LEN];
	unsigned char digest[MATCH_KEY_LEN];
	uint64_t len;
};

struct cache_ghdr {
	uint32_t type, hmod, lookalike, nhs, npc, zero;
	uint64_t dblen, fdblen[MATCH_FORMS];
};

_Static_assert(sizeof(struct cache_hdr) == 88, "cache header layout");
_Static_assert(sizeof(struct cache_ghdr) == 48, "cache group layout");

/* ---- key ---- */

static int
key_add(EVP_MD_CTX *c, const void *p, size_t n)
{
	return EVP_DigestUpdate(c, p, n) == 1 ? 0 : -1;
}

static int
key_u64(EVP_MD_CTX *c, uint64_t v)
{
	return key_add(c, &v, sizeof(v));
}

/* Length first, so that no two sequences of strings hash alike. */
static int
key_str(EVP_MD_CTX *c, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return key_u64(c, s != NULL ? n + 1 : 0) < 0 ||
		       key_add(c, s ? s : "", n) < 0
		   ? -1
		   : 0;
}

static int
key_rule(EVP_MD_CTX *c, const struct sp_rule *r)
{
	return key_u64(c, (uint64_t)r->type) < 0 ||
		       key_u64(c, (uint64_t)r->hmod) < 0 ||
		       key_str(c, r->hdr) < 0 || key_u64(c, r->re_flags) < 0 ||
		       key_u64(c, match_hs_flags(r)) < 0 ||
		       key_str(c, r->re) < 0
		   ? -1
		   : 0;
}

int
match_cache_base(unsigned char base[MATCH_KEY_LEN])
{
	hs_platform_info_t pl;
	char pcre_version[64];
	EVP_MD_CTX *c;
	unsigned int klen = 0;
	int rc = -1;

	memset(&pl, 0, sizeof(pl));
	memset(pcre_version, 0, sizeof(pcre_version));
	if (hs_populate_platform(&pl) != HS_SUCCESS ||
	    pcre2_config(PCRE2_CONFIG_VERSION, pcre_version) < 0 ||
	    (c = EVP_MD_CTX_new()) == NULL)
		return -1;
	pcre_version[sizeof(pcre_version) - 1] = '\0';
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    key_str(c, "facteur hyperscan group") == 0 &&
	    key_u64(c, CACHE_VERSION) == 0 && key_u64(c, MATCH_CHUNK) == 0 &&
	    key_u64(c, MATCH_CHUNK_LOOKALIKE) == 0 &&
	    key_str(c, hs_version()) == 0 && key_str(c, pcre_version) == 0 &&
	    key_u64(c, pl.tune) == 0 && key_u64(c, pl.cpu_features) == 0 &&
	    EVP_DigestFinal_ex(c, base, &klen) == 1 && klen == MATCH_KEY_LEN)
		rc = 0;
	EVP_MD_CTX_free(c);
	return rc;
}

int
match_cache_key(const unsigned char base[MATCH_KEY_LEN],
		const struct sp_ruleset *rs, struct mgroup *g)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int klen = 0;
	size_t k;
	int ok;

	ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	     key_add(c, base, MATCH_KEY_LEN) == 0 &&
	     key_u64(c, (uint64_t)g->type) == 0 &&
	     key_u64(c, (uint64_t)g->hmod) == 0 &&
	     key_str(c, g->type == SP_R_HEADER ? g->hdr : NULL) == 0 &&
	     key_u64(c, g->lookalike) == 0 && key_u64(c, g->nrules) == 0;
	for (k = 0; ok && k < g->nrules; k++)
		ok = g->rules[k] < rs->n &&
		     key_rule(c, &rs->v[g->rules[k]]) == 0;
	ok = ok && EVP_DigestFinal_ex(c, g->key, &klen) == 1 &&
	     klen == MATCH_KEY_LEN;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

static int
cache_digest(const void *p, size_t n, unsigned char out[MATCH_KEY_LEN])
{
	unsigned int len = 0;

	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 &&
		       len == MATCH_KEY_LEN
		   ? 0
		   : -1;
}

/* "DIR/hg-HEX.db", or with tmp "DIR/.hg-HEX.XXXXXX" for mkstemp. */
static int
cache_path(char *out, size_t outlen, const char *dir,
	   const unsigned char key[MATCH_KEY_LEN], int tmp)
{
	char hex[2 * MATCH_KEY_LEN + 1];
	size_t i;
	int n;

	for (i = 0; i < MATCH_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	n = snprintf(out, outlen, tmp ? "%s/.hg-%s.XXXXXX" : "%s/hg-%s.db", dir,
		     hex);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* ---- load ---- */

struct cur {
	const unsigned char *p;
	size_t left;
};

static const unsigned char *
cur_take(struct cur *c, size_t n)
{
	const unsigned char *p = c->p;

	if (n > c->left)
		return NULL;
	c->p += n;
	c->left -= n;
	return p;
}

/* Reads n positions into a fresh array of the rules there in g, each
 * one not seen before. 0, -1 ENOMEM, 1 bad. */
static int
cache_rules(struct cur *c, const struct mgroup *g, unsigned char *seen,
	    size_t n, size_t **out)
{
	const unsigned char *p = cur_take(c, n * sizeof(uint32_t));
	uint32_t v;
	size_t k;

	if (p == NULL)
		return 1;
	if ((*out = calloc(n ? n : 1, sizeof(size_t))) == NULL)
		return -1;
	for (k = 0; k < n; k++) {
		memcpy(&v, p + k * sizeof(v), sizeof(v));
		if (v >= g->nrules || seen[v])
			return 1;
		seen[v] = 1;
		(*out)[k] = g->rules[v];
	}
	return 0;
}

/* The serialized database: ours (version, block mode), then decoded. */
static int
cache_db(struct cur *c, uint64_t dblen, hs_database_t **db)
{
	const char *ver = hs_version();
	const unsigned char *p;
	char *info = NULL;
	size_t vlen = strcspn(ver, " ");
	int ok;

	if (dblen > c->left || (p = cur_take(c, (size_t)dblen)) == NULL)
		return 1;
	if (hs_serialized_database_info((const char *)p, (size_t)dblen,
					&info) != HS_SUCCESS ||
	    info == NULL)
		return 1;
	ok = strncmp(info, "Version: ", 9) == 0 &&
	     strncmp(info + 9, ver, vlen) == 0 && info[9 + vlen] == ' ' &&
	     strstr(info, "Mode: BLOCK") != NULL;
	free(info);
	if (!ok || hs_deserialize_database((const char *)p, (size_t)dblen,
					   db) != HS_SUCCESS) {
		*db = NULL;
		return 1;
	}
	return 0;
}

/* g->fpc: a prefilter only in a form that has a database; none: NULL.
 * 0, -1 ENOMEM, 1 bad. */
static int
cache_fpc(struct cur *c, struct mgroup *g, const struct cache_ghdr *gh)
{
	size_t n = (size_t)MATCH_FORMS * gh->npc, k, any = 0;
	const unsigned char *p = cur_take(c, n);

	if (p == NULL)
		return 1;
	for (k = 0; k < n; k++) {
		if (p[k] > 1 || (p[k] && gh->fdblen[k / gh->npc] == 0))
			return 1;
		any += p[k];
	}
	if (any == 0)
		return 0;
	if ((g->fpc = malloc(n)) == NULL)
		return -1;
	memcpy(g->fpc, p, n);
	return 0;
}

/* The payload into g. 0, -1 ENOMEM, 1 bad (g half filled: the caller
 * clears it). */
static int
cache_group(struct cur *c, struct mgroup *g, unsigned char *seen)
{
	const unsigned char *p = cur_take(c, sizeof(struct cache_ghdr));
	struct cache_ghdr gh;
	size_t k;
	int rc;

	if (p == NULL)
		return 1;
	memcpy(&gh, p, sizeof(gh));
	if ((uint32_t)g->type != gh.type || (uint32_t)g->hmod != gh.hmod ||
	    g->lookalike != gh.lookalike || gh.nhs > g->nrules ||
	    gh.npc > g->nrules || gh.nhs + gh.npc != g->nrules ||
	    gh.zero != 0 || (gh.nhs == 0) != (gh.dblen == 0) ||
	    (gh.dblen == 0 && (gh.fdblen[0] != 0 || gh.fdblen[1] != 0)))
		return 1;
	if ((rc = cache_rules(c, g, seen, gh.nhs, &g->hs_rule)) != 0)
		return rc;
	g->nhs = gh.nhs;
	if ((p = cur_take(c, gh.nhs)) == NULL)
		return 1;
	if ((g->hs_confirm = malloc(gh.nhs ? gh.nhs : 1)) == NULL)
		return -1;
	for (k = 0; k < gh.nhs; k++)
		if ((g->hs_confirm[k] = p[k]) > 1)
			return 1;
	if ((rc = cache_rules(c, g, seen, gh.npc, &g->pc_rule)) != 0)
		return rc;
	g->npc = gh.npc;
	if ((rc = cache_fpc(c, g, &gh)) != 0)
		return rc;
	if (gh.dblen > 0 && (rc = cache_db(c, gh.dblen, &g->db)) != 0)
		return rc;
	for (k = 0; k < MATCH_FORMS; k++)
		if (gh.fdblen[k] > 0 &&
		    (rc = cache_db(c, gh.fdblen[k], &g->fdb[k])) != 0)
			return rc;
	return c->left == 0 ? 0 : 1;
}

/* 1 sound (g filled), 0 not ours, -1 ENOMEM. */
static int
cache_parse(struct mgroup *g, const unsigned char *data, size_t len)
{
	unsigned char digest[MATCH_KEY_LEN], *seen;
	struct cache_hdr h;
	struct cur c;
	int rc;

	if (len < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	c.p = data + sizeof(h);
	c.left = len - sizeof(h);
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) != 0 ||
	    h.version != CACHE_VERSION || h.len != c.left ||
	    memcmp(h.key, g->key, MATCH_KEY_LEN) != 0 ||
	    h.nrules != g->nrules || cache_digest(c.p, c.left, digest) < 0 ||
	    memcmp(digest, h.digest, MATCH_KEY_LEN) != 0)
		return 0;
	if ((seen = calloc(g->nrules ? g->nrules : 1, 1)) == NULL)
		return -1;
	rc = cache_group(&c, g, seen);
	free(seen);
	return rc == 0 ? 1 : rc < 0 ? -1 : 0;
}

/* The whole file, or NULL (*oom set on ENOMEM). */
static unsigned char *
cache_read(const char *path, size_t *len, int *oom)
{
	unsigned char *data;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	*oom = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return NULL;
	/* hyperscan runs what it deserializes: only a file we or root
	 * wrote, that no one else may change */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 022) != 0 ||
	    st.st_size < (off_t)sizeof(struct cache_hdr) ||
	    st.st_size > CACHE_MAX_FILE) {
		close(fd);
		return NULL;
	}
	if ((data = malloc((size_t)st.st_size)) == NULL) {
		*oom = 1;
		close(fd);
		return NULL;
	}
	match_cache_touch(fd, &st);
	while (got < (size_t)st.st_size) {
		n = read(fd, data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(data);
		return NULL;
	}
	*len = got;
	return data;
}

int
match_cache_load(struct mgroup *g, const struct sp_ruleset *rs, const char *dir)
{
	char path[PATH_MAX];
	unsigned char *data;
	size_t len = 0;
	int oom, rc;

	(void)rs;
	if (g->db != NULL || g->nhs != 0 || g->npc != 0 ||
	    cache_path(path, sizeof(path), dir, g->key, 0) < 0)
		return 0;
	if ((data = cache_read(path, &len, &oom)) == NULL)
		return oom ? -1 : 0;
	rc = cache_parse(g, data, len);
	free(data);
	if (rc != 1)
		match_group_clear(g);
	return rc;
}

/* ---- save ---- */

struct wr {
	int fd;
	EVP_MD_CTX *md;
	uint64_t len;
	int err; /* errno of the first failure, or -1 */
};

static int
wr_all(struct wr *w, const void *p, size_t n)
{
	const unsigned char *b = p;
	ssize_t k;

	if (w->err != 0)
		return -1;
	if (EVP_DigestUpdate(w->md, p, n) != 1) {
		w->err = -1;
		return -1;
	}
	w->len += n;
	while (n > 0) {
		k = write(w->fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->err = k < 0 ? errno : EIO;
			return -1;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Rule indices as u32 positions in g->rules (ascending: bsearch). */
static int
wr_rules(struct wr *w, const struct mgroup *g, const size_t *v, size_t n)
{
	uint32_t x;
	size_t k, lo, hi, mid;

	for (k = 0; k < n; k++) {
		lo = 0;
		hi = g->nrules;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (g->rules[mid] < v[k])
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= g->nrules || g->rules[lo] != v[k]) {
			w->err = EINVAL; /* cannot happen: the group's rule */
			return -1;
		}
		x = (uint32_t)lo;
		if (wr_all(w, &x, sizeof(x)) < 0)
			return -1;
	}
	return 0;
}

/* g->fpc, zeros where none or its form's database is not written. */
static int
wr_fpc(struct wr *w, const struct mgroup *g, char *const *fbytes)
{
	size_t n = MATCH_FORMS * g->npc, k;
	unsigned char *b = calloc(n ? n : 1, 1);
	int rc;

	if (b == NULL) {
		w->err = ENOMEM;
		return -1;
	}
	for (k = 0; g->fpc != NULL && k < n; k++)
		b[k] = fbytes[k / g->npc] != NULL && g->fpc[k];
	rc = wr_all(w, b, n);
	free(b);
	return rc;
}

static int
wr_group(struct wr *w, const struct mgroup *g)
{
	struct cache_ghdr gh;
	char *bytes = NULL, *fbytes[MATCH_FORMS] = {NULL, NULL};
	size_t len = 0, flen[MATCH_FORMS] = {0, 0};
	int rc = 0, f;

	if (g->db != NULL &&
	    hs_serialize_database(g->db, &bytes, &len) != HS_SUCCESS)
		rc = -1;
	for (f = 0; f < MATCH_FORMS && rc == 0 && g->db != NULL; f++)
		if (g->fdb[f] != NULL &&
		    hs_serialize_database(g->fdb[f], &fbytes[f], &flen[f]) !=
			HS_SUCCESS)
			rc = -1;
	if (rc < 0) {
		w->err = ENOMEM;
		goto out;
	}
	memset(&gh, 0, sizeof(gh));
	gh.type = (uint32_t)g->type;
	gh.hmod = (uint32_t)g->hmod;
	gh.lookalike = g->lookalike;
	gh.nhs = g->db != NULL ? (uint32_t)g->nhs : 0;
	gh.npc = (uint32_t)g->npc;
	gh.dblen = g->db != NULL ? len : 0;
	for (f = 0; f < MATCH_FORMS; f++)
		gh.fdblen[f] = fbytes[f] != NULL ? flen[f] : 0;
	rc = wr_all(w, &gh, sizeof(gh)) < 0 ||
		     wr_rules(w, g, g->hs_rule, gh.nhs) < 0 ||
		     wr_all(w, g->hs_confirm, gh.nhs) < 0 ||
		     wr_rules(w, g, g->pc_rule, g->npc) < 0 ||
		     wr_fpc(w, g, fbytes) < 0 ||
		     wr_all(w, bytes, gh.dblen) < 0 ||
		     wr_all(w, fbytes[0], gh.fdblen[0]) < 0 ||
		     wr_all(w, fbytes[1], gh.fdblen[1]) < 0
		 ? -1
		 : 0;
out:
	free(bytes);
	for (f = 0; f < MATCH_FORMS; f++)
		free(fbytes[f]);
	return rc;
}

/* The payload, then the header (with its digest) at offset 0. */
static int
wr_file(struct wr *w, const struct mgroup *g)
{
	struct cache_hdr h;
	unsigned int dlen = 0;

	memset(&h, 0, sizeof(h));
	if (lseek(w->fd, (off_t)sizeof(h), SEEK_SET) < 0) {
		w->err = errno;
		return -1;
	}
	if (wr_group(w, g) < 0)
		return -1;
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	h.version = CACHE_VERSION;
	h.nrules = (uint32_t)g->nrules;
	memcpy(h.key, g->key, MATCH_KEY_LEN);
	h.len = w->len;
	if (EVP_DigestFinal_ex(w->md, h.digest, &dlen) != 1) {
		w->err = -1;
		return -1;
	}
	if (pwrite(w->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		w->err = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

static int
is_hex_name(const char *name, const char *prefix, size_t tail)
{
	size_t n = strlen(name), p = strlen(prefix);

	return n == p + 2 * MATCH_KEY_LEN + tail &&
	       strncmp(name, prefix, p) == 0 &&
	       strspn(name + p, "0123456789abcdef") == 2 * MATCH_KEY_LEN;
}

/* Whether a file of the cache should go: an older format's, a temp file
 * left by a build that died, or a group no build has used for long. */
static int
cache_stale(const char *name, const struct stat *st, time_t now)
{
	size_t n = strlen(name);
	int db = n > 3 && strcmp(name + n - 3, ".db") == 0;

	if (is_hex_name(name, "hs-", 3) && db)
		return 1; /* format 5 and older: one file per rule set */
	if (is_hex_name(name, ".hs-", 7) || is_hex_name(name, ".hg-", 7))
		return now - st->st_mtime > CACHE_TMP_AGE;
	if (is_hex_name(name, "rv-", 10) && strncmp(name + 67, ".db.", 4) == 0)
		return now - st->st_mtime > CACHE_TMP_AGE; /* match_rev.c's */
	if ((is_hex_name(name, "hg-", 3) || is_hex_name(name, "rv-", 3)) && db)
		return now - st->st_mtime > CACHE_UNUSED_DAYS * 86400L;
	return 0;
}

void
match_cache_touch(int fd, const struct stat *st)
{
	if (time(NULL) - st->st_mtime > CACHE_TOUCH_AGE)
		(void)futimens(fd, NULL);
}

void
match_cache_prune(const char *dir)
{
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && n++ < CACHE_MAX_PRUNE)
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
			0 &&
		    S_ISREG(st.st_mode) && cache_stale(de->d_name, &st, now))
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int
match_cache_lock(const char *dir)
{
	char path[PATH_MAX];
	struct timespec nap = {0, 100 * 1000 * 1000};
	int fd, i, n = snprintf(path, sizeof(path), "%s/" CACHE_LOCK, dir);

	/* 0600: a user who may read the directory cannot hold the lock
	 * (and the milter's start) hostage */
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) <
		0)
		return -1;
	for (i = 0; i < CACHE_LOCK_WAIT * 10; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		(void)nanosleep(&nap, NULL);
	}
	close(fd); /* compile without it rather than never start */
	return -1;
}

void
match_cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int
match_cache_save(const struct mgroup *g, const char *dir, char *why,
		 size_t whylen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct wr w;
	int rc = -1;

	if (cache_path(path, sizeof(path), dir, g->key, 0) < 0 ||
	    cache_path(tmp, sizeof(tmp), dir, g->key, 1) < 0) {
		snprintf(why, whylen, "%s: path too long", dir);
		return -1;
	}
	memset(&w, 0, sizeof(w));
	if ((w.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(w.md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(w.md);
		snprintf(why, whylen, "%s: cannot hash: out of memory", dir);
		return -1;
	}
	if ((w.fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		EVP_MD_CTX_free(w.md);
		return -1;
	}
	if (fchmod(w.fd, 0644) < 0)
		w.err = errno;
	/* no fsync: a file a crash left torn fails its digest, and is
	 * compiled over (one per group: syncing each cost seconds) */
	else if (wr_file(&w, g) == 0 && close(w.fd) == 0) {
		w.fd = -1;
		if (rename(tmp, path) == 0)
			rc = 0;
		else
			w.err = errno;
	}
	if (w.fd >= 0)
		close(w.fd);
	EVP_MD_CTX_free(w.md);
	if (rc < 0) {
		if (w.err == 0)
			w.err = errno ? errno : EIO;
		snprintf(why, whylen, "cannot write %s: %s", tmp,
			 w.err > 0 ? strerror(w.err) : "hashing failed");
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}
