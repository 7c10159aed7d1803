/* lib/dkim/dk_ar.c - Authentication-Results (RFC 8601); see dk_ar.h. */
#include "dk_ar.h"

#include <string.h>
#include <strings.h>

#include "buf.h"

/* A value is safe in A-R when it is a token of printable ASCII without
 * specials we would have to quote; otherwise it is quoted. */
static int
dk_ar_value(struct buf *out, const char *v)
{
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 127 || strchr("()<>,;:\\\"[]", *p))
			break;
	if (*p == '\0' && *v != '\0')
		return buf_adds(out, v);
	if (buf_addc(out, '"') < 0)
		return -1;
	for (p = v; *p != '\0'; p++) {
		if (*p < ' ' || *p == 127)
			continue;
		if ((*p == '"' || *p == '\\') && buf_addc(out, '\\') < 0)
			return -1;
		if (buf_addc(out, *p) < 0)
			return -1;
	}
	return buf_addc(out, '"');
}

static int
dk_ar_dkim(struct buf *out, const struct dk_sigresult *r)
{
	if (buf_printf(out, ";\n\tdkim=%s", dk_result_str(r->result)) < 0)
		return -1;
	/* A policy result says why in RFC 8601's reasonspec, so that a
	 * reader need not parse comments to learn what was not accepted;
	 * other results keep the reason as a comment. */
	if (r->reason != NULL && *r->reason != '\0' &&
	    (r->result == DK_R_POLICY
		 ? buf_adds(out, " reason=") < 0 ||
		       dk_ar_value(out, r->reason) < 0
		 : buf_printf(out, " (%s)", r->reason) < 0))
		return -1;
	if (r->d[0] != '\0' &&
	    (buf_adds(out, " header.d=") < 0 || dk_ar_value(out, r->d) < 0))
		return -1;
	if (r->s[0] != '\0' &&
	    (buf_adds(out, " header.s=") < 0 || dk_ar_value(out, r->s) < 0))
		return -1;
	if (r->a[0] != '\0' && buf_printf(out, " header.a=%s", r->a) < 0)
		return -1;
	if (r->b[0] != '\0' &&
	    (buf_adds(out, " header.b=") < 0 || dk_ar_value(out, r->b) < 0))
		return -1;
	return 0;
}

int
dk_ar_build(const char *authserv_id, const struct dk_sigresult *r, size_t n,
	    const struct dk_ar_extra *x, struct buf *out)
{
	size_t k;

	if (buf_adds(out, authserv_id) < 0)
		return -1;
	if (n == 0 && buf_adds(out, ";\n\tdkim=none") < 0)
		return -1;
	for (k = 0; k < n; k++)
		if (dk_ar_dkim(out, &r[k]) < 0)
			return -1;
	if (x != NULL && x->spf != NULL) {
		if (buf_printf(out, ";\n\tspf=%s", x->spf) < 0)
			return -1;
		if (x->spf_mailfrom && *x->spf_mailfrom
			? buf_adds(out, " smtp.mailfrom=") < 0 ||
			      dk_ar_value(out, x->spf_mailfrom) < 0
			: x->spf_helo && *x->spf_helo &&
			      (buf_adds(out, " smtp.helo=") < 0 ||
			       dk_ar_value(out, x->spf_helo) < 0))
			return -1;
	}
	if (x != NULL && x->dmarc != NULL) {
		if (buf_printf(out, ";\n\tdmarc=%s", x->dmarc) < 0)
			return -1;
		if (x->dmarc_reason && *x->dmarc_reason &&
		    (buf_adds(out, " reason=") < 0 ||
		     dk_ar_value(out, x->dmarc_reason) < 0))
			return -1;
		if (x->dmarc_from && *x->dmarc_from &&
		    (buf_adds(out, " header.from=") < 0 ||
		     dk_ar_value(out, x->dmarc_from) < 0))
			return -1;
	}
	return 0;
}

/* Skips CFWS: whitespace and nested comments. */
static const char *
dk_ar_cfws(const char *p)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == '\\' && depth > 0 && p[1] != '\0')
			p++;
		else if (depth == 0 && *p != ' ' && *p != '\t' && *p != '\r' &&
			 *p != '\n')
			break;
	}
	return p;
}

/* id[0..n) equals ours once both lose surrounding whitespace and
 * trailing dots ("mx.test." is the same host), case-insensitively. */
static int
dk_ar_id_eq(const char *id, size_t n, const char *ours)
{
	size_t m = strlen(ours);

	while (n > 0 && strchr(" \t\r\n", id[0]) != NULL) {
		id++;
		n--;
	}
	while (n > 0 && strchr(" \t\r\n.", id[n - 1]) != NULL)
		n--;
	while (m > 0 && ours[m - 1] == '.')
		m--;
	return n == m && m > 0 && strncasecmp(id, ours, m) == 0;
}

int
dk_ar_is_ours(const char *value, const char *authserv_id)
{
	char id[1024];
	const char *p = dk_ar_cfws(value);
	size_t n = 0;

	if (*p == '"') {
		/* a quoted-string names the same id (RFC 8601 §2.2 value) */
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n == sizeof(id))
				return 0;
			id[n++] = *p;
		}
	} else {
		for (; *p != '\0' && strchr(";()\" \t\r\n", *p) == NULL; p++) {
			if (n == sizeof(id))
				return 0;
			id[n++] = *p;
		}
	}
	return dk_ar_id_eq(id, n, authserv_id);
}
