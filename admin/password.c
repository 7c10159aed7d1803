/* admin/password.c - reading a new password, never from argv (it would
 * show in ps(1) and the shell history): twice from the terminal with echo
 * off, or one line from stdin with --password-stdin (for scripts).
 *
 * SECURITY: the clear text lives in one stack buffer, wiped with
 * explicit_bzero as soon as it is hashed. A signal while echo is off
 * restores the terminal before the process dies. */
#include "admin.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "passwd.h"

#define PW_MAX 1024

static struct termios pw_saved;
static volatile sig_atomic_t pw_echo_off;

static void
pw_restore(int sig)
{
	if (pw_echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &pw_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* pw_line's results besides 1 (a line) and 0 (EOF, nothing read). */
enum {
	PW_EREAD = -1, /* read error or a line too long */
	PW_ENUL = -2,  /* a NUL byte: the hash would cover only the prefix */
};

/* Reads one line from fd into buf[0..size): 1 on a line, 0 at EOF with
 * nothing read, PW_EREAD or PW_ENUL. Strips "\n" or "\r\n". */
static int
pw_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return PW_EREAD;
		if (r == 0 || c == '\n')
			break;
		if (c == '\0')
			return PW_ENUL;
		if (n + 1 >= size)
			return PW_EREAD;
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (r == 0 && n == 0) ? 0 : 1;
}

static int
pw_prompt(const char *prompt, char *buf, size_t size)
{
	struct termios t;
	int rc;

	if (tcgetattr(STDIN_FILENO, &pw_saved) < 0)
		return -1;
	t = pw_saved;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	t.c_lflag |= ICANON;
	signal(SIGINT, pw_restore);
	signal(SIGTERM, pw_restore);
	signal(SIGHUP, pw_restore);
	signal(SIGQUIT, pw_restore);
	fputs(prompt, stderr);
	fflush(stderr);
	pw_echo_off = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0) {
		pw_echo_off = 0;
		return -1;
	}
	rc = pw_line(STDIN_FILENO, buf, size);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &pw_saved);
	pw_echo_off = 0;
	fputc('\n', stderr);
	return rc;
}

/* Fills pw from the terminal or stdin; ADMIN_OK or an exit status. */
static int
pw_read(struct admin *a, int from_stdin, char *pw, size_t size)
{
	char again[PW_MAX];
	int rc;

	if (from_stdin) {
		rc = pw_line(STDIN_FILENO, pw, size);
		if (rc <= 0) {
			admin_errx(a, "password: %s on standard input",
				   rc == 0 ? "nothing"
				   : rc == PW_ENUL
				       ? "a NUL byte (refused: only the part "
					 "before it "
					 "would count)"
				       : "line too long or unreadable");
			return ADMIN_USAGE;
		}
		return ADMIN_OK;
	}
	if (!isatty(STDIN_FILENO)) {
		admin_errx(a, "password: standard input is not a terminal; "
			      "use --password-stdin to read it from a pipe");
		return ADMIN_USAGE;
	}
	if ((rc = pw_prompt("New password: ", pw, size)) <= 0 ||
	    (rc = pw_prompt("Retype new password: ", again, sizeof(again))) <=
		0) {
		explicit_bzero(again, sizeof(again));
		admin_errx(
		    a, "password: %s",
		    rc == PW_ENUL
			? "a NUL byte "
			  "(refused: only the part before it would count)"
			: "cannot read it from the terminal");
		return ADMIN_USAGE;
	}
	rc = strcmp(pw, again) == 0 ? ADMIN_OK : ADMIN_USAGE;
	explicit_bzero(again, sizeof(again));
	if (rc != ADMIN_OK)
		admin_errx(a, "password: the two entries do not match; "
			      "nothing changed");
	return rc;
}

int
admin_read_password(struct admin *a, int from_stdin, const char *scheme,
		    struct buf *hash)
{
	char pw[PW_MAX], err[256];
	int rc;

	if (scheme == NULL)
		scheme = a->cfg->password_scheme;
	if (!pw_scheme_available(scheme)) {
		admin_errx(a,
			   "--scheme: '%s' is unknown or not available on "
			   "this system (try SHA512-CRYPT)",
			   scheme);
		return ADMIN_USAGE;
	}
	if ((rc = pw_read(a, from_stdin, pw, sizeof(pw))) != ADMIN_OK) {
		explicit_bzero(pw, sizeof(pw));
		return rc;
	}
	if (pw[0] == '\0') {
		admin_errx(a, "password: empty; nothing changed");
		rc = ADMIN_USAGE;
	} else if (pw_hash(scheme, pw, hash, err, sizeof(err)) < 0) {
		admin_errx(a, "password: %s", err);
		rc = ADMIN_USAGE;
	}
	explicit_bzero(pw, sizeof(pw));
	return rc;
}
