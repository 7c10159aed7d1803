/* lib/dkim/dk_canon.c - header and body canonicalization (RFC 6376
 * §3.4) and header selection (§5.4.2). Pure; see dk_canon.h. */
#include "dk_canon.h"

#include <string.h>
#include <strings.h>

#include "buf.h"

static int
dk_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

size_t
dk_field_name_len(const unsigned char *p, size_t len)
{
	const unsigned char *colon = memchr(p, ':', len);
	size_t n;

	if (colon == NULL)
		return 0;
	n = (size_t)(colon - p);
	while (n > 0 && dk_wsp(p[n - 1]))
		n--;
	return n;
}

/* relaxed §3.4.2: lowercase name, unfold, WSP runs to one SP, no WSP at
 * the end of the value or around the colon. */
static int
dk_canon_relaxed(const unsigned char *p, size_t len, struct buf *out)
{
	const unsigned char *colon = memchr(p, ':', len);
	size_t n, k;
	int sp = 0, started = 0;
	unsigned char c;
	char *w;

	/* the result is never longer than the field: written in place, not
	 * a byte at a time through buf_addc (a hot path of verification) */
	if (colon == NULL || buf_reserve(out, len) < 0)
		return -1;
	w = out->data + out->len;
	n = dk_field_name_len(p, len);
	for (k = 0; k < n; k++) {
		c = p[k];
		*w++ = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	*w++ = ':';
	for (k = (size_t)(colon - p) + 1; k < len; k++) {
		if (p[k] == '\r' || p[k] == '\n')
			continue;
		if (dk_wsp(p[k])) {
			sp = started;
			continue;
		}
		if (sp)
			*w++ = ' ';
		sp = 0;
		started = 1;
		*w++ = (char)p[k];
	}
	out->len = (size_t)(w - out->data);
	out->data[out->len] = '\0';
	return 0;
}

int
dk_canon_header(enum dk_canon c, const unsigned char *field, size_t len,
		int crlf, struct buf *out)
{
	if (c == DK_C_RELAXED) {
		if (dk_canon_relaxed(field, len, out) < 0)
			return -1;
	} else if (buf_add(out, field, len) < 0)
		return -1;
	return crlf ? buf_add(out, "\r\n", 2) : 0;
}

void
dk_body_init(struct dk_body *b, enum dk_canon c, long long limit,
	     dk_body_sink sink, void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->c = c;
	b->limit = limit;
	b->sink = sink;
	b->ctx = ctx;
}

static void
dk_emit(struct dk_body *b, const unsigned char *p, size_t n)
{
	unsigned long long room;

	if (b->limit >= 0) {
		room = (unsigned long long)b->limit > b->total
			   ? (unsigned long long)b->limit - b->total
			   : 0;
		if (room > 0)
			b->sink(b->ctx, p, n < room ? n : (size_t)room);
	} else {
		b->sink(b->ctx, p, n);
	}
	b->total += n;
}

/* Content on a line: the empty lines before it were inner ones. */
static void
dk_content(struct dk_body *b, const unsigned char *p, size_t n)
{
	static const unsigned char crlf[2] = {'\r', '\n'};

	while (b->blank > 0) {
		dk_emit(b, crlf, 2);
		b->blank--;
	}
	if (b->wsp) {
		dk_emit(b, (const unsigned char *)" ", 1);
		b->wsp = 0;
	}
	dk_emit(b, p, n);
	b->any = 1;
}

void
dk_body_update(struct dk_body *b, const unsigned char *p, size_t n)
{
	size_t k, run;

	for (k = 0; k < n; k++) {
		if (b->cr) {
			b->cr = 0;
			if (p[k] == '\n') {
				b->wsp = 0;
				b->blank++;
				continue;
			}
			dk_content(b, (const unsigned char *)"\r", 1);
		}
		if (p[k] == '\r') {
			b->cr = 1;
			continue;
		}
		if (b->c == DK_C_RELAXED && dk_wsp(p[k])) {
			b->wsp = 1;
			continue;
		}
		/* A run of plain bytes goes out in one call. */
		for (run = 1; k + run < n && p[k + run] != '\r' &&
			      !(b->c == DK_C_RELAXED && dk_wsp(p[k + run]));
		     run++)
			;
		dk_content(b, p + k, run);
		k += run - 1;
	}
}

void
dk_body_final(struct dk_body *b)
{
	static const unsigned char crlf[2] = {'\r', '\n'};

	if (b->cr) {
		b->cr = 0;
		dk_content(b, (const unsigned char *)"\r", 1);
	}
	b->wsp = 0;
	/* The last line's CRLF (added if the body lacks it); an empty body
	 * is CRLF in simple and nothing in relaxed (§3.4.3, §3.4.4). */
	if (b->any || b->c == DK_C_SIMPLE)
		dk_emit(b, crlf, 2);
	b->blank = 0;
}

static int
dk_name_eq(const struct dk_field *f, const char *name, size_t nl)
{
	return f->name_len == nl &&
	       strncasecmp((const char *)f->p, name, nl) == 0;
}

void
dk_select(const struct dk_field *f, size_t nfields, const struct dk_sig *sig,
	  long *sel, unsigned char *used)
{
	const char *name;
	size_t k, nl;
	long j;

	memset(used, 0, nfields);
	for (k = 0; k < sig->nh; k++) {
		sel[k] = -1;
		if (dk_sig_hname(sig, k, &name, &nl) < 0)
			continue;
		for (j = (long)nfields - 1; j >= 0; j--)
			if (!used[j] && dk_name_eq(&f[j], name, nl)) {
				used[j] = 1;
				sel[k] = j;
				break;
			}
	}
}
