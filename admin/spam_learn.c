/* admin/spam_learn.c - "facteur spam learn --spam|--ham PATH...",
 * "facteur spam learn --spool DIR" and "facteur spam forget PATH...":
 * trains the Bayes classifier of facteur-spam (lib/spam/bayes.h) from
 * files, Maildir folders (cur/ and new/), mbox files or the IMAPSieve
 * spool (spam_spool.c), in one transaction per command. The message walk
 * (spam_foreach_message) is also the one "facteur spam check" scores.
 *
 * The Bayes file is the one facteur-spam reads (spam_bayes.c).
 *
 * SECURITY: run by the mail admin, or (--spool) by the Bayes file's
 * owner; reads the named mail with the caller's rights and writes only
 * the Bayes file (and removes learned spool files). Messages are untrusted
 * input and go through the same MIME walk as the milter (msgview.h), with
 * its limits; only the first SPAM_LEARN_MAX bytes of a message are read. */
#include "admin.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bayes.h"
#include "bayesglue.h"
#include "buf.h"
#include "msgview.h"

#define SPAM_LEARN_MAX ((size_t)32 << 20)

static const char spam_learn_usage[] =
    "usage: facteur spam learn --spam|--ham [--bayes PATH] PATH...\n"
    "       facteur spam learn --spool DIR [--bayes PATH]\n"
    "       facteur spam forget [--bayes PATH] PATH...\n"
    "\n"
    "PATH is a message file, a Maildir folder (cur/ and new/), a\n"
    "directory of message files, or an mbox file. Learning a message\n"
    "twice is a no-op; learning it as the other class moves it.\n"
    "--spool learns the messages the IMAPSieve wrappers (report-spam,\n"
    "report-ham) left in DIR, oldest first, then removes them.\n";

/* ---- reading mail ---- */

int
spam_read_file(const char *path, size_t max, struct buf *b, int *more)
{
	char chunk[65536];
	size_t n, room;
	FILE *f;
	int rc = 0;

	buf_reset(b);
	*more = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		room = max - b->len;
		if (n > room) {
			*more = 1;
			n = room;
		}
		if (buf_add(b, chunk, n) < 0) {
			errno = ENOMEM;
			rc = -1;
			break;
		}
		if (*more)
			break;
	}
	if (rc == 0 && ferror(f)) {
		errno = EIO;
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* Calls fn on each message of an mbox: "From " lines at the start of a
 * line separate messages and are not part of them; ">From " quoting is
 * left as it is (it does not change the tokens that matter). */
static int
spam_each_mbox(const char *path, const char *p, size_t len,
	       int (*fn)(void *, const char *, const char *, size_t), void *ctx)
{
	size_t off = 0, start, end;
	const char *nl;
	int rc = 0;

	while (off < len) {
		nl = memchr(p + off, '\n', len - off);
		start = nl ? (size_t)(nl - p) + 1 : len;
		end = start;
		for (;;) {
			nl = memchr(p + end, '\n', len - end);
			if (nl == NULL) {
				end = len;
				break;
			}
			end = (size_t)(nl - p) + 1;
			if (len - end >= 5 && memcmp(p + end, "From ", 5) == 0)
				break;
		}
		if (end > start && fn(ctx, path, p + start, end - start) < 0)
			rc = -1;
		off = end;
	}
	return rc;
}

/* A message larger than SPAM_LEARN_MAX is cut there (its first 32 MiB
 * decide its tokens and digest); an mbox that large is refused, since
 * cutting it would lose whole messages. */
static int
spam_each_file(const char *path, struct buf *b,
	       int (*fn)(void *, const char *, const char *, size_t), void *ctx)
{
	int more;

	if (spam_read_file(path, SPAM_LEARN_MAX, b, &more) < 0) {
		fprintf(stderr, "facteur: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (b->len >= 5 && memcmp(b->data, "From ", 5) == 0) {
		if (more) {
			fprintf(stderr,
				"facteur: %s: mbox larger than %zu "
				"bytes\n",
				path, SPAM_LEARN_MAX);
			return -1;
		}
		return spam_each_mbox(path, b->data, b->len, fn, ctx);
	}
	return fn(ctx, path, buf_str(b), b->len);
}

static int
spam_name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The regular files of a directory, in name order (not recursive). */
static int
spam_each_dir(const char *dir, struct buf *b,
	      int (*fn)(void *, const char *, const char *, size_t), void *ctx)
{
	char **names = NULL, **nn, path[4096];
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "facteur: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nn = realloc(names, cap * sizeof(*nn))) == NULL) {
				rc = -1;
				break;
			}
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), spam_name_cmp);
	for (i = 0; i < n; i++) {
		if (rc == 0 &&
		    snprintf(path, sizeof(path), "%s/%s", dir, names[i]) <
			(int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    spam_each_file(path, b, fn, ctx) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
spam_foreach_message(const char *path,
		     int (*fn)(void *ctx, const char *file, const char *msg,
			       size_t len),
		     void *ctx)
{
	char sub[4096];
	struct stat st;
	struct buf b;
	int rc = 0, maildir = 0;
	const char *const subs[] = {"cur", "new"};

	buf_init(&b, SPAM_LEARN_MAX + 1);
	if (stat(path, &st) < 0) {
		fprintf(stderr, "facteur: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = spam_each_file(path, &b, fn, ctx);
		buf_free(&b);
		return rc;
	}
	for (size_t i = 0; i < 2; i++) {
		if (snprintf(sub, sizeof(sub), "%s/%s", path, subs[i]) >=
			(int)sizeof(sub) ||
		    stat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		maildir = 1;
		if (spam_each_dir(sub, &b, fn, ctx) < 0)
			rc = -1;
	}
	if (!maildir)
		rc = spam_each_dir(path, &b, fn, ctx);
	buf_free(&b);
	return rc;
}

/* ---- learn / forget ---- */

struct spam_train {
	struct admin *a;
	struct bayes *b;
	int is_spam; /* 1, 0, or -1 to forget */
	long long done, known, failed;
};

static int
spam_train_one(void *ctx, const char *file, const char *msg, size_t len)
{
	struct spam_train *t = ctx;
	unsigned char digest[32];
	struct bayes_tokens tok;
	struct sp_view v = {0};
	char err[256];
	int r;

	/* the digest auto-learn records too (bayesglue.h): a message the
	 * milter learned is then a no-op here, or a class move */
	if (sp_view_parse(msg, len, NULL, &v, err, sizeof(err)) < 0 ||
	    sp_bayes_digest(&v, digest) < 0 || bayes_tokenize(&v, &tok) < 0) {
		sp_view_clear(&v);
		admin_errx(t->a, "%s: cannot read the message", file);
		t->failed++;
		return 0; /* one bad message does not stop the batch */
	}
	sp_view_clear(&v);
	if (t->is_spam < 0)
		r = bayes_forget(t->b, &tok, digest, err, sizeof(err));
	else
		r = bayes_learn(t->b, &tok, digest, t->is_spam, err,
				sizeof(err));
	bayes_tokens_clear(&tok);
	if (r < 0) {
		admin_errx(t->a, "%s: %s", file, err);
		return -1;
	}
	if (r == 1)
		t->done++;
	else
		t->known++;
	return 0;
}

static int
spam_open(struct admin *a, const char *opt, struct bayes **b)
{
	char err[512];
	struct buf path;
	int rc;

	buf_init(&path, 4096);
	if ((rc = spam_bayes_file(a, opt, &path)) != ADMIN_OK) {
		buf_free(&path);
		return rc;
	}
	rc = bayes_open(buf_str(&path), 1, b, err, sizeof(err));
	buf_free(&path);
	if (rc < 0) {
		admin_errx(a, "%s", err);
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

/* A spooled message (spam_spool.c): its class comes from its name. */
static int
spam_train_spooled(void *ctx, const char *file, const char *msg, size_t len,
		   int is_spam)
{
	struct spam_train *t = ctx;

	t->is_spam = is_spam;
	return spam_train_one(ctx, file, msg, len);
}

static void
spam_train_report(struct admin *a, const struct spam_train *t, int forget)
{
	if (a->json)
		printf("{\"%s\": %lld, \"unchanged\": %lld, \"failed\": %lld}"
		       "\n",
		       forget ? "forgotten" : "learned", t->done, t->known,
		       t->failed);
	else
		printf("%s %lld message(s), %lld unchanged, %lld unreadable\n",
		       forget ? "forgot" : "learned", t->done, t->known,
		       t->failed);
}

/* Learns (or forgets) pos[] or the spool in one transaction. */
static int
spam_train_run(struct admin *a, struct spam_train *t, const char *bayes,
	       const char **pos, const char *spool, int forget)
{
	struct spam_spool sp;
	int rc, i, fail = 0;

	if ((rc = spam_open(a, bayes, &t->b)) != ADMIN_OK) {
		if (spool != NULL)
			admin_errx(a, "nothing learned, the spool is kept");
		return rc;
	}
	spam_spool_init(&sp);
	if (bayes_begin(t->b) < 0) {
		admin_errx(a, "bayes: cannot start a transaction (busy?)%s",
			   spool ? ": the spool is kept" : "");
		rc = ADMIN_FAIL;
		goto out;
	}
	if (spool != NULL) {
		fail =
		    spam_spool_each(a, spool, &sp, spam_train_spooled, t) < 0;
		t->failed += sp.bad;
	}
	for (i = 0; pos != NULL && pos[i] != NULL && !fail; i++)
		if (spam_foreach_message(pos[i], spam_train_one, t) < 0)
			fail = 1;
	if (fail || bayes_commit(t->b) < 0) {
		admin_errx(a, "nothing %s%s", forget ? "forgotten" : "learned",
			   spool ? ", the spool is kept" : "");
		rc = ADMIN_FAIL;
		goto out;
	}
	/* only once the Bayes file has it: a crash before keeps the spool */
	if (spool != NULL)
		spam_spool_remove(a, spool, &sp);
	spam_train_report(a, t, forget);
	rc = t->failed && spool == NULL ? ADMIN_FAIL : ADMIN_OK;
out:
	spam_spool_free(&sp);
	bayes_close(&t->b);
	return rc;
}

static int
spam_train(struct admin *a, int argc, char **argv, int forget)
{
	const char *bayes = NULL, *spool = NULL, **pos;
	int spam = 0, ham = 0, rc;
	struct spam_train t = {a, NULL, -1, 0, 0, 0};
	const struct admin_opt opts[] = {
	    {"bayes", &bayes, NULL},
	    {"spam", NULL, &spam},
	    {"ham", NULL, &ham},
	    {"spool", &spool, NULL},
	};

	if ((pos = calloc((size_t)argc + 1, sizeof(*pos))) == NULL)
		return ADMIN_FAIL;
	if (admin_args(a, argc, argv, opts, forget ? 1 : 4, pos, 0,
		       (size_t)argc, spam_learn_usage, &rc) < 0)
		goto out;
	rc = ADMIN_USAGE;
	if (spool != NULL && (spam || ham || pos[0] != NULL)) {
		admin_usage_error(
		    a, spam_learn_usage,
		    "--spool takes the "
		    "class from each file's name: no --spam, --ham or PATH");
		goto out;
	}
	if (spool == NULL && pos[0] == NULL) {
		admin_usage_error(a, spam_learn_usage, "missing PATH");
		goto out;
	}
	if (!forget && spool == NULL && spam == ham) {
		admin_usage_error(a, spam_learn_usage,
				  "give one of --spam, "
				  "--ham");
		goto out;
	}
	t.is_spam = forget ? -1 : spam;
	rc = spam_train_run(a, &t, bayes, pos, spool, forget);
out:
	free(pos);
	return rc;
}

int
spam_learn_main(struct admin *a, int argc, char **argv)
{
	return spam_train(a, argc, argv, 0);
}

int
spam_forget_main(struct admin *a, int argc, char **argv)
{
	return spam_train(a, argc, argv, 1);
}
