/* delivery/lmtp_check.c - --check-config, as the mail user: what
 * facteur-lmtp opens after its privilege drop (lmtp_server.c's
 * lmtp_ctx_open: mail_root, spool_dir, the database read-only; then the
 * sieve_before script at each delivery), opened by a child that drops to
 * [lmtp] user/group exactly as the daemon does (lib/privdrop), so the
 * kernel's own answer is used: modes, owners, supplementary groups from
 * /etc/group, ACLs, every directory above. Access checks by uid/gid
 * computed here would have to re-implement all of that and could
 * disagree with what the daemon meets.
 *
 * SECURITY: the child runs nothing but open/stat/store_open as the
 * dropped user and reports through a pipe; the parent (root) only reads
 * at most one bounded message from it. */
#include "lmtp_conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"
#include "store.h"

/* What exists (seen as root): a check may run before the install is
 * complete (a package's install test, a configuration written before
 * `facteur db init`), so what is missing is only warned about; what
 * exists must be usable by the mail user. */
struct lmtp_check_have {
	int root, spool, db, sieve;
};

static int
lmtp_check_exists(const char *path, const char *what)
{
	struct stat st;

	if (*path == '\0')
		return 0;
	if (stat(path, &st) == 0)
		return 1;
	log_warn("[lmtp] %s %s: %s (not checked)", what, path, strerror(errno));
	return 0;
}

/* As the mail user: 0, or -1 with the first failure. */
static int
lmtp_check_opens(const struct lmtp_settings *s, const char *db_path,
		 long long busy_ms, const struct lmtp_check_have *h, char *err,
		 size_t errlen)
{
	struct store_errbuf e = {""};
	struct store *st = NULL;
	int fd;

	if (h->root &&
	    ((fd = open(s->mail_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
		 0 ||
	     close(fd) < 0 || access(s->mail_root, W_OK | X_OK) < 0)) {
		snprintf(err, errlen, "mail_root %s: %s", s->mail_root,
			 strerror(errno));
		return -1;
	}
	if (h->spool && access(s->spool_dir, W_OK | X_OK) < 0) {
		snprintf(err, errlen, "spool_dir %s: %s", s->spool_dir,
			 strerror(errno));
		return -1;
	}
	if (h->db && store_open(db_path, STORE_RO, busy_ms, &st, &e) < 0) {
		snprintf(err, errlen, "database: %s", e.msg);
		return -1;
	}
	store_free(&st);
	if (h->sieve &&
	    ((fd = open(s->sieve_before, O_RDONLY | O_CLOEXEC)) < 0 ||
	     close(fd) < 0)) {
		snprintf(err, errlen, "sieve_before %s: %s", s->sieve_before,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static void
lmtp_check_child(const struct lmtp_settings *s, const char *db_path,
		 long long busy_ms, const struct lmtp_check_have *h, int wfd)
{
	char msg[768];
	ssize_t n;
	int rc;

	msg[0] = '\0';
	if (priv_drop(s->user, s->group, msg, sizeof(msg)) < 0)
		rc = 2;
	else
		rc = lmtp_check_opens(s, db_path, busy_ms, h, msg,
				      sizeof(msg)) < 0;
	n = write(wfd, msg, strlen(msg));
	(void)n;
	_exit(rc);
}

int
lmtp_check_as_user(const struct lmtp_settings *s, const char *db_path,
		   long long busy_ms, char *err, size_t errlen)
{
	struct lmtp_check_have h;
	char msg[768];
	ssize_t n;
	size_t len = 0;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int fds[2], status;

	h.root = lmtp_check_exists(s->mail_root, "mail_root");
	h.spool = lmtp_check_exists(s->spool_dir, "spool_dir");
	h.db = lmtp_check_exists(db_path, "database");
	h.sieve = *s->sieve_before && access(s->sieve_before, F_OK) == 0;
	if (geteuid() != 0 || *s->user == '\0')
		return lmtp_check_opens(s, db_path, busy_ms, &h, err, errlen);
	if (priv_lookup(s->user, s->group, &uid, &gid, msg, sizeof(msg)) < 0) {
		log_warn("[lmtp] user %s: %s (not checked as that user)",
			 s->user, msg);
		return 0;
	}
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		snprintf(err, errlen, "check as [lmtp] user %s: %s", s->user,
			 strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		lmtp_check_child(s, db_path, busy_ms, &h, fds[1]);
	}
	close(fds[1]);
	while (len < sizeof(msg) - 1 &&
	       ((n = read(fds[0], msg + len, sizeof(msg) - 1 - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	msg[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(err, errlen,
		 "as [lmtp] user %s (uid %u, gid %u): %s: the "
		 "daemon could not open it after its privilege drop",
		 s->user, (unsigned)uid, (unsigned)gid,
		 len ? msg
		     : "the check did not "
		       "finish");
	return -1;
}
