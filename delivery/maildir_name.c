/* delivery/maildir_name.c - Dovecot Maildir names; see maildir_name.h.
 *
 * These strings end up as file names that Dovecot parses back (S=, W=,
 * ":2," flags) or shows to IMAP clients (folder names), so they follow
 * Dovecot 2.3's maildir-filename.c and mailbox-list-maildir.c exactly.
 *
 * SECURITY: folder names come from Sieve scripts and +detail, paths from
 * the database: everything that could name another directory ("/", "..",
 * NUL, absolute paths) is refused here, before any file is touched. */
#include "maildir_name.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

#define MAILDIR_NAME_MAX 255

int
maildir_host_escape(const char *host, struct buf *out)
{
	for (; *host; host++) {
		int rc;

		if (*host == '/')
			rc = buf_adds(out, "\\057");
		else if (*host == ':')
			rc = buf_adds(out, "\\072");
		else
			rc = buf_addc(out, *host);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
maildir_basename(const struct maildir_uniq *u, size_t size, size_t vsize,
		 struct buf *out)
{
	if (buf_printf(out, "%lld.M%ldP%ldQ%lu.", u->secs, u->usecs, u->pid,
		       u->q) < 0 ||
	    maildir_host_escape(u->host, out) < 0 ||
	    buf_printf(out, ",S=%zu,W=%zu", size, vsize) < 0)
		return -1;
	return 0;
}

int
maildir_flags_suffix(unsigned flags, struct buf *out)
{
	if (flags == 0)
		return 0;
	if (buf_adds(out, ":2,") < 0 ||
	    ((flags & MAILDIR_FLAG_DRAFT) && buf_addc(out, 'D') < 0) ||
	    ((flags & MAILDIR_FLAG_FLAGGED) && buf_addc(out, 'F') < 0) ||
	    ((flags & MAILDIR_FLAG_ANSWERED) && buf_addc(out, 'R') < 0) ||
	    ((flags & MAILDIR_FLAG_SEEN) && buf_addc(out, 'S') < 0) ||
	    ((flags & MAILDIR_FLAG_DELETED) && buf_addc(out, 'T') < 0))
		return -1;
	return 0;
}

size_t
maildir_vsize(const unsigned char *p, size_t len, int prev_cr)
{
	const unsigned char *s = p, *nl;
	size_t v = len;

	while (s < p + len &&
	       (nl = memchr(s, '\n', len - (size_t)(s - p))) != NULL) {
		if (!(nl == p ? prev_cr : nl[-1] == '\r'))
			v++;
		s = nl + 1;
	}
	return v;
}

/* One UTF-8 character at p[0..n): its code point and length, or -1 for
 * invalid, overlong or surrogate sequences. */
static int
maildir_utf8(const unsigned char *p, size_t n, uint32_t *cp, size_t *clen)
{
	static const uint32_t minv[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t k, need;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		*clen = 1;
		return 0;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		need = 2;
		c = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		need = 3;
		c = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		need = 4;
		c = p[0] & 0x07;
	} else
		return -1;
	if (n < need)
		return -1;
	for (k = 1; k < need; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (p[k] & 0x3f);
	}
	if (c < minv[need] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	*clen = need;
	return 0;
}

static const char maildir_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Appends the modified-base64 form of a run of non-ASCII characters
 * p[0..n) (already validated), as "&...-". */
static int
maildir_utf7_run(const unsigned char *p, size_t n, struct buf *out)
{
	uint32_t bits = 0, cp;
	int nbits = 0;
	size_t i = 0, clen;

	if (buf_addc(out, '&') < 0)
		return -1;
	while (i < n) {
		uint16_t u[2];
		int nu, k;

		if (maildir_utf8(p + i, n - i, &cp, &clen) < 0)
			return -1;
		i += clen;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[0] = (uint16_t)(0xd800 | (cp >> 10));
			u[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
			nu = 2;
		} else {
			u[0] = (uint16_t)cp;
			nu = 1;
		}
		for (k = 0; k < nu; k++) {
			bits = (bits << 16) | u[k];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				if (buf_addc(
					out,
					maildir_b64[(bits >> nbits) & 0x3f]) <
				    0)
					return -1;
			}
		}
	}
	if (nbits > 0 &&
	    buf_addc(out, maildir_b64[(bits << (6 - nbits)) & 0x3f]) < 0)
		return -1;
	return buf_addc(out, '-');
}

/* Validates the level structure of name: no empty level, no "." or "..",
 * no '/', no control bytes, valid UTF-8. */
static int
maildir_folder_ok(const unsigned char *p, size_t n)
{
	size_t i = 0, start = 0, clen;
	uint32_t cp;

	if (n == 0)
		return -1;
	while (i <= n) {
		if (i == n || p[i] == '.') {
			if (i == start)
				return -1; /* empty level */
			start = i + 1;
			i++;
			continue;
		}
		if (p[i] == '/' || p[i] < 0x20 || p[i] == 0x7f)
			return -1;
		if (maildir_utf8(p + i, n - i, &cp, &clen) < 0)
			return -1;
		i += clen;
	}
	return 0;
}

int
maildir_folder_dir(const char *name, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name), i = 0, j, start = out->len;

	if (strcasecmp(name, "INBOX") == 0)
		return 0;
	if (maildir_folder_ok(p, n) < 0 || buf_addc(out, '.') < 0)
		return -1;
	while (i < n) {
		if (p[i] >= 0x80) {
			for (j = i; j < n && p[j] >= 0x80; j++)
				;
			if (maildir_utf7_run(p + i, j - i, out) < 0)
				return -1;
			i = j;
		} else if (p[i] == '&') {
			if (buf_adds(out, "&-") < 0)
				return -1;
			i++;
		} else {
			if (buf_addc(out, (char)p[i]) < 0)
				return -1;
			i++;
		}
	}
	if (out->len - start > MAILDIR_NAME_MAX)
		return -1;
	return 0;
}

int
maildir_path_ok(const char *rel)
{
	const char *p = rel, *slash;
	size_t n;

	if (*rel == '\0' || *rel == '/')
		return -1;
	while (*p) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return -1;
		for (size_t k = 0; k < n; k++)
			if ((unsigned char)p[k] < 0x20 || p[k] == 0x7f)
				return -1;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	return 0;
}
