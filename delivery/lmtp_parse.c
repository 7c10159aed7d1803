/* delivery/lmtp_parse.c - LMTP command lines; see lmtp_parse.h.
 *
 * One verb table, then a small parser per argument shape (none, domain,
 * path + parameters, chunk size). Every loop advances by at least one byte
 * and is bounded by len, itself bounded by max_line.
 *
 * SECURITY: the input is whatever the LMTP client sends. Postfix is the
 * expected client, but the parser assumes nothing about it. */
#include "lmtp_parse.h"

#include "buf.h"

#include <string.h>
#include <strings.h>

#define LMTP_MAX_LINE_DEFAULT 2048
#define LMTP_MAX_PARAMS 16

struct lmtp_verb {
	const char *name;
	enum lmtp_cmd cmd;
};

static const struct lmtp_verb lmtp_verbs[] = {
    {"LHLO", LMTP_CMD_LHLO}, {"HELO", LMTP_CMD_HELO}, {"EHLO", LMTP_CMD_HELO},
    {"MAIL", LMTP_CMD_MAIL}, {"RCPT", LMTP_CMD_RCPT}, {"DATA", LMTP_CMD_DATA},
    {"BDAT", LMTP_CMD_BDAT}, {"RSET", LMTP_CMD_RSET}, {"NOOP", LMTP_CMD_NOOP},
    {"QUIT", LMTP_CMD_QUIT}, {"VRFY", LMTP_CMD_VRFY},
};

const char *
lmtp_strerror(enum lmtp_status st)
{
	switch (st) {
	case LMTP_OK:
		return "ok";
	case LMTP_EUNKNOWN:
		return "unknown command";
	case LMTP_ELONG:
		return "line too long";
	case LMTP_ESYNTAX:
		return "syntax error in arguments";
	case LMTP_EADDR:
		return "bad address syntax";
	case LMTP_EPARAM:
		return "unrecognised parameter";
	case LMTP_ETOOBIG:
		return "message size exceeds the limit";
	case LMTP_ENUL:
		return "control character in command";
	}
	return "?";
}

static int
lmtp_is_sp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Decimal digits p[0..n) into *v; -1 on empty, non-digit or overflow. */
static int
lmtp_number(const unsigned char *p, size_t n, unsigned long long *v)
{
	unsigned long long x = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		if (x > (~0ULL - 9) / 10)
			return -1;
		x = x * 10 + (unsigned long long)(p[i] - '0');
	}
	*v = x;
	return 0;
}

static int
lmtp_word_is(const unsigned char *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp((const char *)p, w, n) == 0;
}

/* One ESMTP parameter "KEY[=VALUE]" of MAIL FROM. */
static enum lmtp_status
lmtp_mail_param(const unsigned char *p, size_t n, struct lmtp_cmdline *out,
		const struct lmtp_limits *lim)
{
	const unsigned char *eq = memchr(p, '=', n);
	size_t klen = eq ? (size_t)(eq - p) : n;
	const unsigned char *v = eq ? eq + 1 : NULL;
	size_t vlen = eq ? n - klen - 1 : 0;

	if (lmtp_word_is(p, klen, "SIZE")) {
		if (v == NULL || out->has_size ||
		    lmtp_number(v, vlen, &out->size) < 0)
			return LMTP_EPARAM;
		out->has_size = 1;
		if (lim && lim->max_size && out->size > lim->max_size)
			return LMTP_ETOOBIG;
		return LMTP_OK;
	}
	if (lmtp_word_is(p, klen, "BODY")) {
		if (v == NULL || out->body != LMTP_BODY_NONE)
			return LMTP_EPARAM;
		if (lmtp_word_is(v, vlen, "7BIT"))
			out->body = LMTP_BODY_7BIT;
		else if (lmtp_word_is(v, vlen, "8BITMIME"))
			out->body = LMTP_BODY_8BITMIME;
		else
			return LMTP_EPARAM;
		return LMTP_OK;
	}
	if (lmtp_word_is(p, klen, "SMTPUTF8")) {
		if (v != NULL || out->smtputf8)
			return LMTP_EPARAM;
		out->smtputf8 = 1;
		return LMTP_OK;
	}
	return LMTP_EPARAM;
}

/* "FROM:<path> params" or "TO:<path> params" starting at i. */
static enum lmtp_status
lmtp_path(const unsigned char *p, size_t len, size_t i, const char *kw,
	  int mail, const struct lmtp_limits *lim, struct lmtp_cmdline *out,
	  size_t *err_off)
{
	struct addr_limits al = {0, 0, 0, 1};
	size_t kwlen = strlen(kw), end, off, s, np = 0;
	enum addr_status as;
	enum lmtp_status st;

	if (len - i < kwlen || strncasecmp((const char *)p + i, kw, kwlen)) {
		*err_off = i;
		return LMTP_ESYNTAX;
	}
	i += kwlen;
	while (i < len && lmtp_is_sp(p[i])) /* "FROM: <a@b>" is common */
		i++;
	as = addr_parse_path(p + i, len - i, &al, 0, &out->path,
			     &out->null_path, &end, &off);
	if (as != ADDR_OK) {
		*err_off = i + off;
		return as == ADDR_EEMPTY ? LMTP_ESYNTAX : LMTP_EADDR;
	}
	if (out->null_path && !mail) {
		*err_off = i;
		return LMTP_EADDR;
	}
	if (!out->null_path) {
		out->path.local_off += i;
		out->path.domain_off += i;
	}
	i += end;
	while (i < len) {
		if (!lmtp_is_sp(p[i])) {
			*err_off = i;
			return LMTP_ESYNTAX;
		}
		while (i < len && lmtp_is_sp(p[i]))
			i++;
		if (i == len)
			break;
		for (s = i; i < len && !lmtp_is_sp(p[i]); i++)
			;
		if (!mail || ++np > LMTP_MAX_PARAMS) {
			*err_off = s;
			return LMTP_EPARAM;
		}
		if ((st = lmtp_mail_param(p + s, i - s, out, lim)) != LMTP_OK) {
			*err_off = s;
			return st;
		}
	}
	return LMTP_OK;
}

/* "BDAT size [LAST]". */
static enum lmtp_status
lmtp_bdat(const unsigned char *p, size_t len, size_t i,
	  struct lmtp_cmdline *out, size_t *err_off)
{
	size_t s;

	for (s = i; i < len && !lmtp_is_sp(p[i]); i++)
		;
	if (lmtp_number(p + s, i - s, &out->size) < 0) {
		*err_off = s;
		return LMTP_ESYNTAX;
	}
	out->has_size = 1;
	while (i < len && lmtp_is_sp(p[i]))
		i++;
	if (i < len) {
		if (!lmtp_word_is(p + i, len - i, "LAST")) {
			*err_off = i;
			return LMTP_ESYNTAX;
		}
		out->last = 1;
	}
	return LMTP_OK;
}

/* The argument of LHLO (a domain or address literal; we only require one
 * printable word, as Postfix does not check either) or VRFY. */
static enum lmtp_status
lmtp_word_arg(const unsigned char *p, size_t len, size_t i, int one_word,
	      struct lmtp_cmdline *out, size_t *err_off)
{
	size_t e = len;

	while (e > i && lmtp_is_sp(p[e - 1]))
		e--;
	if (i >= e) {
		*err_off = len;
		return LMTP_ESYNTAX;
	}
	if (one_word)
		for (size_t k = i; k < e; k++)
			if (lmtp_is_sp(p[k])) {
				*err_off = k;
				return LMTP_ESYNTAX;
			}
	out->arg_off = i;
	out->arg_len = e - i;
	return LMTP_OK;
}

static enum lmtp_cmd
lmtp_verb(const unsigned char *p, size_t n)
{
	size_t k;

	for (k = 0; k < sizeof(lmtp_verbs) / sizeof(lmtp_verbs[0]); k++)
		if (lmtp_word_is(p, n, lmtp_verbs[k].name))
			return lmtp_verbs[k].cmd;
	return LMTP_CMD_NONE;
}

enum lmtp_status
lmtp_parse_line(const unsigned char *p, size_t len,
		const struct lmtp_limits *lim, struct lmtp_cmdline *out,
		size_t *err_off)
{
	size_t max =
	    lim && lim->max_line ? lim->max_line : LMTP_MAX_LINE_DEFAULT;
	size_t i, vlen;
	int noarg;

	memset(out, 0, sizeof(*out));
	*err_off = 0;
	if (len > max) {
		*err_off = max;
		return LMTP_ELONG;
	}
	for (i = 0; i < len; i++)
		if (p[i] < 0x20 && p[i] != '\t') {
			*err_off = i;
			return LMTP_ENUL;
		}
	for (vlen = 0; vlen < len && !lmtp_is_sp(p[vlen]); vlen++)
		;
	out->cmd = lmtp_verb(p, vlen);
	if (out->cmd == LMTP_CMD_NONE)
		return LMTP_EUNKNOWN;
	i = vlen;
	if (i < len)
		i++; /* one separator; paths allow more below */
	switch (out->cmd) {
	case LMTP_CMD_LHLO:
	case LMTP_CMD_HELO:
		return lmtp_word_arg(p, len, i, 1, out, err_off);
	case LMTP_CMD_VRFY:
		return lmtp_word_arg(p, len, i, 0, out, err_off);
	case LMTP_CMD_MAIL:
		return lmtp_path(p, len, i, "FROM:", 1, lim, out, err_off);
	case LMTP_CMD_RCPT:
		return lmtp_path(p, len, i, "TO:", 0, lim, out, err_off);
	case LMTP_CMD_BDAT:
		return lmtp_bdat(p, len, i, out, err_off);
	case LMTP_CMD_NOOP: /* NOOP may carry a string (RFC 5321 4.1.1.9) */
		return LMTP_OK;
	default:
		break;
	}
	noarg = 1;
	for (; i < len; i++)
		if (!lmtp_is_sp(p[i])) {
			noarg = 0;
			break;
		}
	if (!noarg) {
		*err_off = i;
		return LMTP_ESYNTAX;
	}
	return LMTP_OK;
}

/* ---- DATA ---- */

enum { D_MID, D_CR, D_DOT, D_DOT_CR };

static void
lmtp_data_put(struct lmtp_data *d, struct buf *out, char c)
{
	if (d->too_big)
		return;
	if ((d->max_size && d->spilled + out->len >= d->max_size) ||
	    buf_addc(out, c) < 0)
		d->too_big = 1;
}

/* A byte inside a line (not a line end). */
static void
lmtp_data_byte(struct lmtp_data *d, struct buf *out, unsigned char c)
{
	if (++d->line_len > d->max_line && d->max_line)
		d->too_long = 1;
	lmtp_data_put(d, out, (char)c);
}

/* The bytes of p[0..n) before its first CR or LF. */
static size_t
lmtp_data_span(const unsigned char *p, size_t n)
{
	const unsigned char *nl = memchr(p, '\n', n), *cr;
	size_t end = nl ? (size_t)(nl - p) : n;

	cr = memchr(p, '\r', end);
	return cr ? (size_t)(cr - p) : end;
}

/* n bytes inside a line at once, exactly as n calls of lmtp_data_byte
 * would: at the size limit, byte by byte (out then ends where it would
 * have, however the stream was cut into pieces). */
static void
lmtp_data_run(struct lmtp_data *d, struct buf *out, const unsigned char *p,
	      size_t n)
{
	size_t room = n, k;

	d->line_len += n;
	if (d->max_line && d->line_len > d->max_line)
		d->too_long = 1;
	if (d->too_big)
		return;
	if (d->max_size)
		room = d->spilled + out->len >= d->max_size
			   ? 0
			   : d->max_size - d->spilled - out->len;
	if (room >= n && buf_add(out, p, n) == 0)
		return;
	for (k = 0; k < n && !d->too_big; k++)
		lmtp_data_put(d, out, (char)p[k]);
}

size_t
lmtp_data_feed(struct lmtp_data *d, const unsigned char *p, size_t len,
	       struct buf *out)
{
	size_t i, n;

	for (i = 0; i < len && !d->done; i++) {
		unsigned char c = p[i];

		/* The common case, inside a line: up to its CR or LF in one
		 * go (a 2 MB message took 2 million calls per byte). */
		if (!d->at_bol && d->state == D_MID && c != '\r' && c != '\n') {
			n = lmtp_data_span(p + i, len - i);
			lmtp_data_run(d, out, p + i, n);
			i += n - 1;
			continue;
		}
		if (d->at_bol) {
			d->at_bol = 0;
			d->line_len = 0;
			if (c == '.') {
				d->state = D_DOT;
				continue;
			}
			d->state = D_MID;
		}
		switch (d->state) {
		case D_DOT:
			if (c == '\r') {
				d->state = D_DOT_CR;
				continue;
			}
			if (c == '\n') {
				d->done = 1;
				continue;
			}
			d->state = D_MID; /* the stuffed dot is dropped */
			break;
		case D_DOT_CR:
			if (c == '\n') {
				d->done = 1;
				continue;
			}
			lmtp_data_byte(d, out, '\r');
			d->state = D_MID;
			break;
		case D_CR:
			if (c == '\n')
				break; /* CRLF: the LF below ends the line */
			lmtp_data_byte(d, out, '\r');
			d->state = D_MID;
			break;
		default:
			break;
		}
		if (c == '\r') {
			d->state = D_CR;
			continue;
		}
		if (c == '\n') {
			lmtp_data_put(d, out, '\n');
			d->at_bol = 1;
			d->state = D_MID;
			continue;
		}
		lmtp_data_byte(d, out, c);
	}
	return i;
}
