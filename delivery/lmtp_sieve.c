/* delivery/lmtp_sieve.c - facteur-lmtp's side of Sieve: finding and
 * caching scripts and building the interpreter's view of the message.
 * The actions that leave the Maildir (redirect, vacation) are in
 * lmtp_send.c.
 *
 * Scripts are compiled once and cached by (path, device, inode, mtime,
 * size); a compiled script is immutable and shared by the delivery
 * threads, reference-counted so a replaced one is freed only when its
 * last user is done. A script that does not compile is logged with
 * FILE:LINE:COL once per version and skipped: the message is kept.
 *
 * SECURITY: runs as the mail user. The user's script is
 * ~/.dovecot.sieve, where ManageSieve clients (Roundcube) put a symlink
 * to sieve/NAME.sieve: only a relative target without ".." is followed.
 * A script is only data for the interpreter: it can not run anything. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "lmtp.h"
#include "log.h"
#include "maildir_name.h"
#include "sieve.h"

#define SIEVE_FILE_MAX ((size_t)1 << 20)
#define SIEVE_CACHE_MAX 4096
#define LMTP_HDR_MAX 1000

struct lmtp_cached {
	char *key;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	struct sieve_script *script; /* NULL: did not compile */
	int refs;		     /* users + 1 while in the cache */
	struct lmtp_cached *next;
};

struct lmtp_sieve_cache {
	pthread_mutex_t mu;
	struct lmtp_cached *head;
	size_t n;
};

struct lmtp_sieve_cache *
lmtp_sieve_cache_new(void)
{
	struct lmtp_sieve_cache *c = calloc(1, sizeof(*c));

	if (c)
		pthread_mutex_init(&c->mu, NULL);
	return c;
}

static void
lmtp_cached_unref(struct lmtp_cached *e)
{
	if (--e->refs > 0)
		return;
	sieve_free(&e->script);
	free(e->key);
	free(e);
}

void
lmtp_sieve_cache_free(struct lmtp_sieve_cache **cp)
{
	struct lmtp_sieve_cache *c = *cp;
	struct lmtp_cached *e, *next;

	if (c == NULL)
		return;
	for (e = c->head; e; e = next) {
		next = e->next;
		lmtp_cached_unref(e);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
	*cp = NULL;
}

static int
lmtp_same(const struct lmtp_cached *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino &&
	       e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec &&
	       e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Reads fd (at most SIEVE_FILE_MAX) and compiles it; logs errors. */
static struct lmtp_cached *
lmtp_compile(int fd, const struct stat *st, const char *key, const char *shown)
{
	struct sieve_error se = {0, 0, ""};
	struct lmtp_cached *e;
	enum sieve_status rc;
	struct buf b;
	char chunk[8192];
	ssize_t r;

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->key = strdup(key)) == NULL) {
		free(e);
		return NULL;
	}
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->mtime = st->st_mtim;
	e->size = st->st_size;
	e->refs = 1;
	buf_init(&b, SIEVE_FILE_MAX);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&b, chunk, (size_t)r) < 0)
			break;
	if (r != 0) {
		log_err("%s: %s", shown,
			r < 0 ? strerror(errno)
			      : "script larger than 1 MiB; ignored");
	} else {
		rc =
		    sieve_compile((const unsigned char *)(b.data ? b.data : ""),
				  b.len, NULL, &e->script, &se);
		if (rc != SIEVE_OK)
			log_err("%s:%u:%u: %s: %s; script ignored, mail kept",
				shown, se.line, se.col, sieve_strerror(rc),
				se.msg);
	}
	buf_free(&b);
	return e;
}

/* The compiled script for fd (key names it in the cache); a reference
 * the caller drops with lmtp_cache_put (under the lock). */
static struct lmtp_cached *
lmtp_cache_get(struct lmtp_sieve_cache *c, int fd, const char *key,
	       const char *shown)
{
	struct lmtp_cached *e, **pp, *fresh;
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	pthread_mutex_lock(&c->mu);
	for (pp = &c->head; (e = *pp) != NULL; pp = &e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (e && lmtp_same(e, &st)) {
		e->refs++;
		pthread_mutex_unlock(&c->mu);
		return e;
	}
	pthread_mutex_unlock(&c->mu);
	/* Compile outside the lock: other users' mail keeps flowing. */
	if ((fresh = lmtp_compile(fd, &st, key, shown)) == NULL)
		return NULL;
	pthread_mutex_lock(&c->mu);
	for (pp = &c->head; (e = *pp) != NULL; pp = &e->next)
		if (strcmp(e->key, key) == 0) {
			*pp = e->next;
			c->n--;
			lmtp_cached_unref(e);
			break;
		}
	if (c->n >= SIEVE_CACHE_MAX) { /* crude but bounded: start over */
		while ((e = c->head) != NULL) {
			c->head = e->next;
			lmtp_cached_unref(e);
		}
		c->n = 0;
	}
	fresh->next = c->head;
	c->head = fresh;
	c->n++;
	fresh->refs++;
	pthread_mutex_unlock(&c->mu);
	return fresh;
}

static void
lmtp_cache_put(struct lmtp_sieve_cache *c, struct lmtp_cached *e)
{
	if (e == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	lmtp_cached_unref(e);
	pthread_mutex_unlock(&c->mu);
}

/* ~/.dovecot.sieve, a file or a symlink to a safe relative target. */
static int
lmtp_user_script_fd(int homefd, char *target, size_t tlen)
{
	ssize_t n;
	int fd;

	fd =
	    openat(homefd, ".dovecot.sieve", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ELOOP) {
		snprintf(target, tlen, ".dovecot.sieve");
		return fd;
	}
	n = readlinkat(homefd, ".dovecot.sieve", target, tlen - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	if (maildir_path_ok(target) < 0) {
		log_warn(".dovecot.sieve -> %s: not a relative path inside "
			 "the home; ignored",
			 target);
		errno = EPERM;
		return -1;
	}
	return openat(homefd, target, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

int
lmtp_sieve_run(struct lmtp_server *srv, int homefd, const struct lmtp_msg *m,
	       const struct lmtp_rcpt *r, struct sieve_result *res)
{
	const struct lmtp_settings *cfg = srv->cfg;
	const struct sieve_script *scripts[2];
	struct lmtp_cached *ent[2] = {NULL, NULL};
	struct sieve_error se = {0, 0, ""};
	struct sieve_msg sm;
	char target[512], key[1200], shown[1200];
	enum sieve_status rc;
	size_t n = 0;
	int fd;

	if (*cfg->sieve_before &&
	    (fd = open(cfg->sieve_before, O_RDONLY | O_CLOEXEC)) >= 0) {
		ent[0] = lmtp_cache_get(srv->sieve, fd, cfg->sieve_before,
					cfg->sieve_before);
		close(fd);
	}
	if (cfg->sieve_user &&
	    (fd = lmtp_user_script_fd(homefd, target, sizeof(target))) >= 0) {
		snprintf(key, sizeof(key), "%s%s", r->maildir, target);
		snprintf(shown, sizeof(shown), "%s/%s%s", cfg->mail_root,
			 r->maildir, target);
		ent[1] = lmtp_cache_get(srv->sieve, fd, key, shown);
		close(fd);
	}
	if (ent[0] && ent[0]->script)
		scripts[n++] = ent[0]->script;
	if (ent[1] && ent[1]->script)
		scripts[n++] = ent[1]->script;
	if (n > 0) {
		sm.env_from = m->sender;
		sm.env_to = r->address;
		sm.delimiter = cfg->recipient_delimiter;
		sm.size = m->size;
		sm.headers = m->headers;
		sm.nheaders = m->nheaders;
		rc = sieve_execute(scripts, n, &sm, NULL, res, &se);
		if (rc != SIEVE_OK)
			log_err("<%s>: sieve: line %u:%u: %s: %s; mail kept",
				r->address, se.line, se.col, sieve_strerror(rc),
				se.msg);
	}
	lmtp_cache_put(srv->sieve, ent[0]);
	lmtp_cache_put(srv->sieve, ent[1]);
	return n > 0;
}

/* ---- the message's header fields, for the interpreter ---- */

void
lmtp_msg_clear(struct lmtp_msg *m)
{
	free(m->headers);
	free(m->hdr_store);
	m->headers = NULL;
	m->hdr_store = NULL;
	m->nheaders = 0;
}

int
lmtp_msg_headers(struct lmtp_msg *m)
{
	const char *p = m->data, *end = m->data + m->len, *nl;
	size_t hlen, k = 0, cnt = 0;
	char *s;

	/* The header section ends at the first empty line. */
	for (nl = p; nl < end; nl++)
		if (*nl == '\n' && (nl + 1 == end || nl[1] == '\n'))
			break;
	hlen = nl < end ? (size_t)(nl - p) + 1 : m->len;
	if (m->len > 0 && p[0] == '\n')
		hlen = 0; /* no header section at all */
	for (size_t i = 0; i < hlen; i++)
		if (p[i] == '\n' && i + 1 < hlen && p[i + 1] != ' ' &&
		    p[i + 1] != '\t')
			cnt++;
	cnt++;
	if (cnt > LMTP_HDR_MAX)
		cnt = LMTP_HDR_MAX;
	m->hdr_store = malloc(hlen + 1);
	m->headers = calloc(cnt, sizeof(*m->headers));
	if (m->hdr_store == NULL || m->headers == NULL) {
		lmtp_msg_clear(m);
		return -1;
	}
	s = m->hdr_store;
	/* Copy unfolded: "\n" + WSP is a continuation; each field ends in
	 * NUL; name and value split at the first ':'. */
	while (p < m->data + hlen && m->nheaders < cnt) {
		char *name = s + k, *colon = NULL, *v;

		while (p < m->data + hlen) {
			if (*p == '\n') {
				p++;
				if (p < m->data + hlen &&
				    (*p == ' ' || *p == '\t'))
					continue;
				break;
			}
			if (*p == ':' && colon == NULL)
				colon = s + k;
			if (*p != '\r')
				s[k++] = *p;
			p++;
		}
		s[k++] = '\0';
		if (colon == NULL || colon == name)
			continue; /* not a header field: skipped */
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		m->headers[m->nheaders].name = name;
		m->headers[m->nheaders].value = v;
		m->nheaders++;
	}
	return 0;
}

const char *
lmtp_msg_header(const struct lmtp_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	return NULL;
}
