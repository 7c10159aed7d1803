/* admin/selftest_net.c - the client side 'facteur selftest' speaks: one
 * TCP connection (plain, or TLS after STARTTLS), SMTP replies (multi-line,
 * "250-..." then "250 ...") and IMAP tagged responses, each read bounded
 * in size and time.
 *
 * SECURITY: talks only to the endpoints it is given (the local install);
 * STARTTLS does not verify the certificate: the peer is this host, and
 * the throw-away password is worthless once the command ends. Replies are
 * untrusted and kept bounded; callers print them through st_show. */
#include "selftest.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "buf.h"

#define ST_REPLY_MAX 65536

int
st_open(struct st_conn *c, const char *hostport, int timeout_s, char *err,
	size_t errlen)
{
	struct timeval tv = {timeout_s, 0};
	struct addrinfo hints, *ai = NULL, *p;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	size_t n;
	int e = ECONNREFUSED;

	memset(c, 0, sizeof(c[0]));
	c->fd = -1;
	buf_init(&c->in, ST_REPLY_MAX * 4);
	if (colon == NULL || (n = (size_t)(colon - hostport)) == 0 ||
	    n >= sizeof(host)) {
		snprintf(err, errlen, "%s: not HOST:PORT", hostport);
		return -1;
	}
	if (hostport[0] == '[' && colon[-1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)n - 2, hostport + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)n, hostport);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
		snprintf(err, errlen, "%s: cannot resolve", hostport);
		return -1;
	}
	for (p = ai; p != NULL; p = p->ai_next) {
		if ((c->fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC,
				    0)) < 0)
			continue;
		(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				 sizeof(tv));
		(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
				 sizeof(tv));
		if (connect(c->fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		e = errno;
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(ai);
	if (c->fd < 0) {
		snprintf(err, errlen, "%s: %s", hostport, strerror(e));
		return -1;
	}
	return 0;
}

void
st_close(struct st_conn *c)
{
	if (c->ssl != NULL) {
		(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->ctx != NULL) {
		SSL_CTX_free(c->ctx);
		c->ctx = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
}

int
st_starttls(struct st_conn *c, char *err, size_t errlen)
{
	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (c->ssl = SSL_new(c->ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 || SSL_connect(c->ssl) != 1) {
		snprintf(err, errlen, "TLS handshake failed: %s",
			 ERR_reason_error_string(ERR_get_error())
			     ? ERR_reason_error_string(ERR_get_error())
			     : "?");
		return -1;
	}
	return 0;
}

int
st_send(struct st_conn *c, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if (c->ssl != NULL) {
			int k =
			    SSL_write(c->ssl, p, n > 65536 ? 65536 : (int)n);

			if (k <= 0)
				return -1;
			w = k;
		} else if ((w = write(c->fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
st_sendf(struct st_conn *c, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	int rc;

	buf_init(&b, 1 << 20);
	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = st_send(c, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* One line (without CRLF) into line; consumes it from c->in. */
static int
st_line(struct st_conn *c, char *line, size_t len)
{
	char chunk[4096], *nl;
	ssize_t n;
	size_t k;

	for (;;) {
		if (c->in.len > 0 &&
		    (nl = memchr(c->in.data, '\n', c->in.len)) != NULL) {
			k = (size_t)(nl - c->in.data);
			snprintf(line, len, "%.*s",
				 (int)(k > 0 && nl[-1] == '\r' ? k - 1 : k),
				 c->in.data);
			memmove(c->in.data, nl + 1, c->in.len - k - 1);
			c->in.len -= k + 1;
			c->in.data[c->in.len] = '\0';
			return 0;
		}
		if (c->ssl != NULL)
			n = SSL_read(c->ssl, chunk, sizeof(chunk));
		else
			n = read(c->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR && c->ssl == NULL)
			continue;
		if (n <= 0 || buf_add(&c->in, chunk, (size_t)n) < 0)
			return -1;
	}
}

int
st_smtp_reply(struct st_conn *c, char *text, size_t len)
{
	char line[1024];
	size_t n = 0;
	int code = -1;

	text[0] = '\0';
	for (;;) {
		if (st_line(c, line, sizeof(line)) < 0) {
			snprintf(text, len, "connection closed or timed out");
			return -1;
		}
		if (strlen(line) < 3)
			continue;
		code = atoi(line);
		if (n + 2 < len)
			n += (size_t)snprintf(text + n, len - n, "%s%s",
					      n ? " | " : "", line);
		if (line[3] != '-')
			return code;
	}
}

int
st_imap(struct st_conn *c, const char *tag, struct buf *out)
{
	char line[8192];
	size_t tl = strlen(tag);

	buf_reset(out);
	for (;;) {
		if (st_line(c, line, sizeof(line)) < 0)
			return -1;
		if (strncmp(line, tag, tl) == 0 && line[tl] == ' ') {
			if (buf_adds(out, line) < 0)
				return -1;
			return strncmp(line + tl + 1, "OK", 2) == 0 ? 0 : -1;
		}
		if (buf_adds(out, line) < 0 || buf_addc(out, '\n') < 0)
			return -1;
	}
}
