/* milters/dkim/dk_ar.c - Authentication-Results (RFC 8601); see dk_ar.h. */
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
	if (r->reason != NULL && *r->reason != '\0' &&
	    buf_printf(out, " (%s)", r->reason) < 0)
		return -1;
	if (r->d[0] != '\0' && (buf_adds(out, " header.d=") < 0 ||
	    dk_ar_value(out, r->d) < 0))
		return -1;
	if (r->s[0] != '\0' && (buf_adds(out, " header.s=") < 0 ||
	    dk_ar_value(out, r->s) < 0))
		return -1;
	if (r->a[0] != '\0' && buf_printf(out, " header.a=%s", r->a) < 0)
		return -1;
	if (r->b[0] != '\0' && (buf_adds(out, " header.b=") < 0 ||
	    dk_ar_value(out, r->b) < 0))
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
		if (x->spf_mailfrom && *x->spf_mailfrom ?
		    buf_adds(out, " smtp.mailfrom=") < 0 ||
		    dk_ar_value(out, x->spf_mailfrom) < 0 :
		    x->spf_helo && *x->spf_helo && (buf_adds(out,
		    " smtp.helo=") < 0 || dk_ar_value(out, x->spf_helo) < 0))
			return -1;
	}
	if (x != NULL && x->dmarc != NULL) {
		if (buf_printf(out, ";\n\tdmarc=%s", x->dmarc) < 0)
			return -1;
		if (x->dmarc_from && *x->dmarc_from && (buf_adds(out,
		    " header.from=") < 0 || dk_ar_value(out,
		    x->dmarc_from) < 0))
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
		else if (depth == 0 && *p != ' ' && *p != '\t' &&
		    *p != '\r' && *p != '\n')
			break;
	}
	return p;
}

int
dk_ar_is_ours(const char *value, const char *authserv_id)
{
	const char *p = dk_ar_cfws(value), *e;
	size_t n = strlen(authserv_id);

	for (e = p; *e != '\0' && *e != ';' && *e != ' ' && *e != '\t' &&
	    *e != '\r' && *e != '\n' && *e != '('; e++)
		;
	return (size_t)(e - p) == n && strncasecmp(p, authserv_id, n) == 0;
}
