/* delivery/deliver.c - one recipient's delivery after DATA: Sieve's
 * decision, then each file written the Maildir way, the recipient's
 * reply, and the quota file updated.
 *
 * All or nothing per recipient: if one of several copies (fileinto +
 * keep) fails, the copies already written are removed again before the
 * 4xx, so Postfix's retry does not duplicate them.
 *
 * SECURITY: runs as the mail user. Folder names come from Sieve scripts
 * and +detail: maildir.c refuses any that could leave the Maildir. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "lmtp.h"
#include "log.h"
#include "maildir.h"
#include "maildir_name.h"
#include "sieve.h"

#define LMTP_MAX_COPIES 16

struct lmtp_copy {
	int dirfd;	 /* the folder's fd, owned */
	struct buf name; /* "new/..." relative to dirfd */
};

struct lmtp_dctx {
	struct lmtp_server *srv;
	const struct lmtp_msg *m;
	const struct lmtp_rcpt *r;
	int home;
	struct maildir_piece pc[2];
	struct buf prefix;
	struct lmtp_copy copies[LMTP_MAX_COPIES];
	size_t ncopies;
	int inbox_done;
	int err; /* errno of the failure */
};

/* Opens the folder for name; a missing folder without create, or a name
 * maildir.c refuses, falls back to INBOX (as Pigeonhole keeps the message
 * when fileinto fails). */
static int
lmtp_folder(struct lmtp_dctx *c, const char *name, int create,
	    const char **used)
{
	char err[300];
	int fd, created = 0, rc;

	rc = maildir_open_folder(c->home, name, create, &fd, &created, err,
				 sizeof(err));
	if (rc == 0) {
		*used = name;
		if (created) {
			pthread_mutex_lock(&c->srv->mu);
			if (maildir_subscribe(c->home, name, err, sizeof(err)) <
			    0)
				log_warn("<%s>: subscribe %s: %s",
					 c->r->address, name, err);
			pthread_mutex_unlock(&c->srv->mu);
		}
		return fd;
	}
	if (rc < 0 && errno != EINVAL)
		return -1;
	log_warn(
	    "<%s>: fileinto \"%s\": %s; kept in INBOX", c->r->address, name,
	    rc > 0 ? "no such mailbox (use :create)" : "mailbox name refused");
	*used = "INBOX";
	return dup(c->home);
}

static int
lmtp_save(struct lmtp_dctx *c, const char *mailbox, int create, unsigned flags)
{
	struct lmtp_copy *cp;
	const char *used = mailbox;
	char err[300];
	int fd;

	if (strcasecmp(mailbox, "INBOX") == 0 && c->inbox_done)
		return 0;
	if (c->ncopies == LMTP_MAX_COPIES)
		return 0; /* sieve limits make this unreachable */
	if ((fd = lmtp_folder(c, mailbox, create, &used)) < 0) {
		c->err = errno;
		log_err("<%s>: open %s: %s", c->r->address, mailbox,
			strerror(errno));
		return -1;
	}
	if (strcasecmp(used, "INBOX") == 0) {
		if (c->inbox_done) {
			close(fd);
			return 0;
		}
		c->inbox_done = 1;
	}
	cp = &c->copies[c->ncopies];
	cp->dirfd = fd;
	buf_init(&cp->name, 0);
	if (maildir_deliver(fd, c->pc, 2, flags, c->srv->host, &cp->name, err,
			    sizeof(err)) < 0) {
		c->err = errno;
		log_err("<%s>: save to %s: %s", c->r->address, used, err);
		buf_free(&cp->name);
		close(fd);
		return -1;
	}
	c->ncopies++;
	log_info("<%s>: saved mail to %s", c->r->address, used);
	return 0;
}

/* The mailbox a keep goes to: the +detail folder when it exists. */
static const char *
lmtp_default_mailbox(struct lmtp_dctx *c)
{
	char err[300];
	int fd, created;

	if (c->r->detail == NULL || *c->r->detail == '\0')
		return "INBOX";
	if (maildir_open_folder(c->home, c->r->detail, 0, &fd, &created, err,
				sizeof(err)) != 0)
		return "INBOX";
	close(fd);
	return c->r->detail;
}

static int
lmtp_actions(struct lmtp_dctx *c, const struct sieve_result *res)
{
	const char *def = lmtp_default_mailbox(c);
	size_t i;

	for (i = 0; i < res->nactions; i++) {
		const struct sieve_action *a = &res->actions[i];

		switch (a->type) {
		case SIEVE_ACT_KEEP:
			if (lmtp_save(c, def, 0, a->flags) < 0)
				return -1;
			break;
		case SIEVE_ACT_FILEINTO:
			if (lmtp_save(c, a->mailbox, a->create, a->flags) < 0)
				return -1;
			break;
		case SIEVE_ACT_REDIRECT:
			if (lmtp_sieve_redirect(c->srv, c->m, a->address) < 0 &&
			    lmtp_save(c, "INBOX", 0, 0) < 0)
				return -1;
			break;
		case SIEVE_ACT_VACATION:
			lmtp_sieve_vacation(c->srv, c->m, c->r, a);
			break;
		case SIEVE_ACT_DISCARD:
			log_info("<%s>: discarded by Sieve", c->r->address);
			break;
		}
	}
	return 0;
}

static void
lmtp_undo(struct lmtp_dctx *c, int unlink_them)
{
	size_t i;

	for (i = 0; i < c->ncopies; i++) {
		if (unlink_them)
			(void)unlinkat(c->copies[i].dirfd,
				       c->copies[i].name.data, 0);
		close(c->copies[i].dirfd);
		buf_free(&c->copies[i].name);
	}
	c->ncopies = 0;
}

static void
lmtp_quota_update(struct lmtp_dctx *c, size_t ncopies)
{
	size_t total = c->pc[0].len + c->pc[1].len;
	char err[300];

	if (ncopies == 0)
		return;
	if (quota_add(c->home, (long long)(total * ncopies), (long long)ncopies,
		      err, sizeof(err)) < 0)
		log_warn("<%s>: %s", c->r->address, err);
}

/* The recipient's reply line for rc and c->err, appended to out. */
static void
lmtp_deliver_reply(const struct lmtp_dctx *c, int rc, struct buf *out)
{
	const char *a = c->r->address;
	int e;

	if (rc == 0)
		e = buf_printf(out, "250 2.0.0 <%s> Saved\r\n", a);
	else if (c->err == ENOSPC || c->err == EDQUOT)
		e = buf_printf(out,
			       "452 4.3.1 <%s> Insufficient system "
			       "storage\r\n",
			       a);
	else
		e = buf_printf(out,
			       "451 4.3.0 <%s> Temporary delivery "
			       "failure\r\n",
			       a);
	if (e < 0)
		log_err("<%s>: no room for the reply", a);
}

void
lmtp_deliver(struct lmtp_server *srv, const struct lmtp_msg *m,
	     const struct lmtp_rcpt *r, const struct lmtp_out *out)
{
	struct sieve_result res = {0};
	struct sieve_action keep = {0};
	struct lmtp_dctx c;
	char err[300];
	size_t saved;
	int rc = -1, have;

	memset(&c, 0, sizeof(c));
	c.srv = srv;
	c.m = m;
	c.r = r;
	c.home = -1;
	buf_init(&c.prefix, 4096);
	if (buf_printf(&c.prefix, "Return-Path: <%s>\nDelivered-To: %s\n",
		       m->sender, r->address) < 0) {
		c.err = ENOMEM;
		goto reply;
	}
	c.pc[0] = (struct maildir_piece){c.prefix.data, c.prefix.len};
	if (m->fd >= 0)
		c.pc[1] =
		    (struct maildir_piece){NULL, m->size, m->fd, m->vsize};
	else
		c.pc[1] = (struct maildir_piece){m->data, m->len, -1, 0};
	if (maildir_open_home(srv->rootfd, r->maildir, 1, &c.home, err,
			      sizeof(err)) < 0) {
		c.err = errno;
		c.home = -1;
		log_err("<%s>: %s", r->address, err);
		goto reply;
	}
	have = lmtp_sieve_run(srv, c.home, m, r, &res);
	if (have) {
		rc = lmtp_actions(&c, &res);
		sieve_result_free(&res);
	} else {
		struct sieve_result one = {&keep, 1, 1, NULL};

		keep.type = SIEVE_ACT_KEEP;
		rc = lmtp_actions(&c, &one);
	}
reply:
	saved = rc == 0 ? c.ncopies : 0;
	lmtp_undo(&c, rc < 0);
	lmtp_deliver_reply(&c, rc, out->buf);
	/* The copies are durable: the reply goes out now, and the quota
	 * file after it (a crash in between leaves maildirsize one message
	 * short, which Dovecot recalculates; a crash before the reply would
	 * make the client deliver the message again). */
	if (out->flush != NULL)
		out->flush(out->arg);
	if (c.home >= 0) {
		lmtp_quota_update(&c, saved);
		close(c.home);
	}
	buf_free(&c.prefix);
}
