/* delivery/lmtp_send.c - Sieve actions that send mail: redirect (RFC
 * 5228 4.2) and vacation (RFC 5230 with the RFC 3834 rules), both handed
 * to Postfix through sendmail(1).
 *
 * SECURITY: sendmail is run with a fixed argv, never through a shell,
 * and "--" ends its options; the addresses come from the Sieve parser or
 * the envelope. Every header value we write is stripped of CR and LF so
 * neither a script nor a message can inject headers into a reply. The
 * vacation table is written through a short-lived read-write connection;
 * the rest of facteur-lmtp only reads the database. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "lmtp.h"
#include "lmtp_spool.h"
#include "log.h"
#include "sieve.h"
#include "store.h"

extern char **environ;

#define LMTP_VACATION_KEEP_DAYS 31

/* Runs sendmail with argv, writes a[0..alen) to its stdin, then the
 * first flen bytes of the file fd when fd >= 0, waits. 0 if it exited
 * 0. */
static int
lmtp_sendmail(char *const argv[], const char *a, size_t alen, int fd,
	      size_t flen)
{
	posix_spawn_file_actions_t fa;
	size_t off;
	int pfd[2], st, ok = 1;
	pid_t pid;
	ssize_t w;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[0], 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[0]);
	for (off = 0; off < alen && ok; off += (size_t)w) {
		w = write(pfd[1], a + off, alen - off);
		if (w < 0 && errno == EINTR)
			w = 0;
		else if (w <= 0)
			ok = 0; /* EPIPE: sendmail died; see status */
	}
	if (ok && fd >= 0 && lmtp_spool_copy(fd, flen, pfd[1]) < 0)
		ok = 0;
	close(pfd[1]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return ok && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int
lmtp_sieve_redirect(struct lmtp_server *srv, const struct lmtp_msg *m,
		    const char *address)
{
	char *argv[] = {srv->cfg->sendmail,
			"-i",
			"-f",
			(char *)(*m->sender ? m->sender : "<>"),
			"--",
			(char *)address,
			NULL};

	if (address == NULL || *address == '-' || *address == '\0') {
		log_warn("redirect to \"%s\" refused", address ? address : "");
		return -1;
	}
	if (lmtp_sendmail(argv, m->fd >= 0 ? "" : m->data,
			  m->fd >= 0 ? 0 : m->len, m->fd, m->size) < 0) {
		log_err("redirect to <%s>: %s failed; mail kept", address,
			srv->cfg->sendmail);
		return -1;
	}
	log_info("redirected mail from <%s> to <%s>", m->sender, address);
	return 0;
}

/* ---- vacation ---- */

/* Appends s with CR/LF turned into spaces. */
static int
lmtp_add_clean(struct buf *b, const char *s)
{
	for (; *s; s++)
		if (buf_addc(b, *s == '\r' || *s == '\n' ? ' ' : *s) < 0)
			return -1;
	return 0;
}

struct lmtp_findaddr {
	const char *const *want; /* NULL-terminated */
	int found;
};

static int
lmtp_find_cb(void *ctx, const unsigned char *p, const struct addr_parts *pa)
{
	struct lmtp_findaddr *f = ctx;
	size_t n = pa->domain_off + pa->domain_len - pa->local_off, k;

	for (k = 0; f->want[k]; k++)
		if (strlen(f->want[k]) == n &&
		    strncasecmp((const char *)p + pa->local_off, f->want[k],
				n) == 0) {
			f->found = 1;
			return 1;
		}
	return 0;
}

/* Is one of want[] among the To/Cc/Bcc/Resent-To/Resent-Cc mailboxes? */
static int
lmtp_addressed_to(const struct lmtp_msg *m, const char *const *want)
{
	static const char *const fields[] = {"to", "cc", "bcc", "resent-to",
					     "resent-cc"};
	struct addr_limits lim = {0, 0, 0, 1};
	struct lmtp_findaddr f = {want, 0};
	size_t i, k, off;

	for (i = 0; i < m->nheaders && !f.found; i++)
		for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
			if (strcasecmp(m->headers[i].name, fields[k]) == 0) {
				const char *v = m->headers[i].value;

				if (addr_parse_header((const unsigned char *)v,
						      strlen(v), &lim,
						      lmtp_find_cb, &f,
						      &off) != ADDR_OK) {
					/* a bad tail: what was found counts */
				}
				break;
			}
	return f.found;
}

/* RFC 3834 2 and RFC 5230 4.5: why not to answer, or NULL. */
static const char *
lmtp_vacation_why_not(const struct lmtp_msg *m, const struct lmtp_rcpt *r,
		      const struct sieve_action *a)
{
	static const char *const lists[] = {
	    "list-id",	 "list-help",  "list-unsubscribe", "list-subscribe",
	    "list-post", "list-owner", "list-archive"};
	const char *v, *at, *mine[66];
	size_t i, k = 0, llen;

	if (*m->sender == '\0')
		return "null sender";
	at = strrchr(m->sender, '@');
	llen = at ? (size_t)(at - m->sender) : strlen(m->sender);
	if (strncasecmp(m->sender, "mailer-daemon", 13) == 0 ||
	    strncasecmp(m->sender, "owner-", 6) == 0 ||
	    (llen >= 8 &&
	     strncasecmp(m->sender + llen - 8, "-request", 8) == 0))
		return "sender is a daemon or a list";
	if ((v = lmtp_msg_header(m, "auto-submitted")) != NULL &&
	    strncasecmp(v, "no", 2) != 0)
		return "Auto-Submitted";
	if ((v = lmtp_msg_header(m, "precedence")) != NULL &&
	    (strcasecmp(v, "bulk") == 0 || strcasecmp(v, "list") == 0 ||
	     strcasecmp(v, "junk") == 0))
		return "Precedence bulk/list/junk";
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (lmtp_msg_header(m, lists[i]) != NULL)
			return "mailing list";
	mine[k++] = r->user;
	mine[k++] = r->address;
	for (i = 0; a->addresses && a->addresses[i] && k < 65; i++)
		mine[k++] = a->addresses[i];
	mine[k] = NULL;
	if (!lmtp_addressed_to(m, mine))
		return "recipient not in To/Cc";
	return NULL;
}

/* A handle for a vacation without :handle: FNV-1a of reason + subject,
 * as RFC 5230 4.2 suggests ("same reason, same handle"). */
static void
lmtp_vacation_handle(const struct sieve_action *a, char *out, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	const char *parts[2] = {a->reason ? a->reason : "",
				a->subject ? a->subject : ""};
	const char *s;
	int k;

	if (a->handle) {
		snprintf(out, n, "%s", a->handle);
		return;
	}
	for (k = 0; k < 2; k++)
		for (s = parts[k]; *s; s++) {
			h ^= (unsigned char)*s;
			h *= 1099511628211ULL;
		}
	snprintf(out, n, "auto:%016llx", (unsigned long long)h);
}

static int
lmtp_vacation_text(struct lmtp_server *srv, const struct lmtp_msg *m,
		   const struct lmtp_rcpt *r, const struct sieve_action *a,
		   struct buf *b)
{
	const char *subj = lmtp_msg_header(m, "subject");
	const char *mid = lmtp_msg_header(m, "message-id");
	const char *refs = lmtp_msg_header(m, "references");
	char date[64];
	struct timespec ts;
	struct tm tm;
	time_t now = time(NULL);

	clock_gettime(CLOCK_REALTIME, &ts);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
		 gmtime_r(&now, &tm));
	if (buf_adds(b, "From: ") < 0 ||
	    lmtp_add_clean(b, a->from ? a->from : r->user) < 0 ||
	    buf_adds(b, "\nTo: <") < 0 || lmtp_add_clean(b, m->sender) < 0 ||
	    buf_adds(b, ">\nSubject: ") < 0)
		return -1;
	if (a->subject) {
		if (lmtp_add_clean(b, a->subject) < 0)
			return -1;
	} else if (buf_adds(b, "Auto: ") < 0 ||
		   lmtp_add_clean(b, subj ? subj : "") < 0)
		return -1;
	if (buf_printf(b,
		       "\nDate: %s\nMessage-ID: <%lld.%ld.vacation@%s>\n"
		       "Auto-Submitted: auto-replied (vacation)\n",
		       date, (long long)ts.tv_sec, ts.tv_nsec, srv->host) < 0)
		return -1;
	if (mid) {
		if (buf_adds(b, "In-Reply-To: ") < 0 ||
		    lmtp_add_clean(b, mid) < 0 ||
		    buf_adds(b, "\nReferences: ") < 0 ||
		    (refs &&
		     (lmtp_add_clean(b, refs) < 0 || buf_addc(b, ' ') < 0)) ||
		    lmtp_add_clean(b, mid) < 0 || buf_addc(b, '\n') < 0)
			return -1;
	}
	if (buf_adds(b, "MIME-Version: 1.0\n") < 0)
		return -1;
	if (!a->mime &&
	    buf_adds(b,
		     "Content-Type: text/plain; "
		     "charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n") < 0)
		return -1;
	return buf_adds(b, a->reason ? a->reason : "");
}

/* STORE_FOUND when already answered in the period (by this host or
 * another sharing the database), NOTFOUND when this delivery has claimed
 * the reply and must send it, or EDB. One atomic claim, so concurrent
 * deliveries send one reply; a failed send is not retried in the period. */
static int
lmtp_vacation_seen(struct lmtp_server *srv, struct store *st,
		   const struct lmtp_msg *m, const struct lmtp_rcpt *r,
		   const char *handle, long days)
{
	struct store_errbuf e = {""};
	long long now = (long long)time(NULL);
	int rc;

	rc = store_vacation_claim(st, r->user, m->sender, handle, now,
				  now - days * 86400LL,
				  now - LMTP_VACATION_KEEP_DAYS * 86400LL, &e);
	if (rc < 0)
		log_err("<%s>: vacation: %s: %s", r->address, srv->db_path,
			e.msg);
	return rc == STORE_FOUND      ? STORE_NOTFOUND
	       : rc == STORE_NOTFOUND ? STORE_FOUND
				      : rc;
}

void
lmtp_sieve_vacation(struct lmtp_server *srv, const struct lmtp_msg *m,
		    const struct lmtp_rcpt *r, const void *act)
{
	const struct sieve_action *a = act;
	char *argv[] = {srv->cfg->sendmail, "-i", "-f", "<>", "--",
			(char *)m->sender,  NULL};
	struct store_errbuf e = {""};
	struct store *st = NULL;
	const char *why;
	char handle[128];
	struct buf b;

	if ((why = lmtp_vacation_why_not(m, r, a)) != NULL) {
		log_info("<%s>: vacation: no reply to <%s>: %s", r->address,
			 m->sender, why);
		return;
	}
	if (*m->sender == '-')
		return;
	lmtp_vacation_handle(a, handle, sizeof(handle));
	if (store_open(srv->db_path, STORE_RW, srv->busy_ms, &st, &e) < 0) {
		log_err("<%s>: vacation: %s: %s", r->address, srv->db_path,
			e.msg);
		return;
	}
	if (lmtp_vacation_seen(srv, st, m, r, handle, a->days) !=
	    STORE_NOTFOUND)
		goto out; /* answered already, or unknown: do not spam */
	buf_init(&b, 1 << 20);
	if (lmtp_vacation_text(srv, m, r, a, &b) < 0)
		log_err("<%s>: vacation: reply too large", r->address);
	else if (lmtp_sendmail(argv, b.data, b.len, -1, 0) < 0)
		log_err("<%s>: vacation: %s failed", r->address,
			srv->cfg->sendmail);
	else {
		log_info("<%s>: vacation: replied to <%s>", r->address,
			 m->sender);
	}
	buf_free(&b);
out:
	store_free(&st);
}
