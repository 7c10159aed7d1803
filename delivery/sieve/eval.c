/* delivery/sieve/eval.c - the tests: header (RFC 2047 decoded, any of the
 * fields with that name), address and envelope (address parts and the
 * subaddress :user/:detail split by the recipient delimiter), exists,
 * size, hasflag, and the logic tests. Pure. */
#include "sieve_int.h"

#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"

struct ev {
	const struct sv_test *t;
	const struct sieve_msg *msg;
	struct buf *tmp;
	enum sieve_status *st;
	int r; /* 1 match, 0 none yet, -1 error */
};

/* Any key matches v[0..len)? */
static int
ev_keys(const struct sv_test *t, const char *v, size_t len,
	enum sieve_status *st)
{
	size_t i;
	int r;

	for (i = 0; i < t->keys.n; i++) {
		if ((r = sv_match(t->match, t->cmp, v, len, t->keys.v[i])) < 0)
			*st = SIEVE_ERUNTIME;
		if (r != 0)
			return r;
	}
	return 0;
}

/* RFC 5228 section 5.7: leading and trailing white space is not part of
 * the value a header test compares. */
static void
ev_trim(const char **p, size_t *len)
{
	while (*len > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t' ||
			    (*p)[*len - 1] == '\r' || (*p)[*len - 1] == '\n'))
		(*len)--;
}

static int
ev_header(const struct sv_test *t, const struct sieve_msg *msg, struct buf *tmp,
	  enum sieve_status *st)
{
	const char *v;
	size_t i, j, len;
	int r;

	for (i = 0; i < t->names.n; i++)
		for (j = 0; j < msg->nheaders; j++) {
			if (strcasecmp(msg->headers[j].name, t->names.v[i]) !=
			    0)
				continue;
			v = msg->headers[j].value;
			len = strlen(v);
			ev_trim(&v, &len);
			buf_reset(tmp);
			if (sv_rfc2047_decode(v, len, tmp) < 0) {
				*st = SIEVE_ENOMEM;
				return -1;
			}
			if ((r = ev_keys(t, buf_str(tmp), tmp->len, st)) != 0)
				return r;
		}
	return 0;
}

/* The address part asked for; 0 when it has none (no :detail). */
static int
ev_part(const struct ev *e, const char *local, size_t llen, const char *domain,
	size_t dlen, const char **v, size_t *vlen)
{
	size_t ulen, eoff, elen;
	int has_ext;

	switch (e->t->part) {
	case SV_PART_ALL:
		buf_reset(e->tmp);
		if (buf_add(e->tmp, local, llen) < 0 ||
		    (dlen > 0 && (buf_addc(e->tmp, '@') < 0 ||
				  buf_add(e->tmp, domain, dlen) < 0))) {
			*e->st = SIEVE_ENOMEM;
			return -1;
		}
		*v = buf_str(e->tmp);
		*vlen = e->tmp->len;
		return 1;
	case SV_PART_LOCAL:
		*v = local;
		*vlen = llen;
		return 1;
	case SV_PART_DOMAIN:
		*v = domain;
		*vlen = dlen;
		return 1;
	case SV_PART_USER:
	case SV_PART_DETAIL:
		break;
	}
	addr_split_ext((const unsigned char *)local, llen, e->msg->delimiter,
		       &ulen, &has_ext, &eoff, &elen);
	if (e->t->part == SV_PART_USER) {
		*v = local;
		*vlen = ulen;
		return 1;
	}
	if (!has_ext)
		return 0;
	*v = local + eoff;
	*vlen = elen;
	return 1;
}

static int
ev_addr(struct ev *e, const char *local, size_t llen, const char *domain,
	size_t dlen)
{
	const char *v;
	size_t vlen;
	int r;

	if ((r = ev_part(e, local, llen, domain, dlen, &v, &vlen)) <= 0)
		return r;
	return ev_keys(e->t, v, vlen, e->st);
}

static int
ev_each(void *ctx, const unsigned char *p, const struct addr_parts *pa)
{
	struct ev *e = ctx;

	e->r = ev_addr(e, (const char *)p + pa->local_off, pa->local_len,
		       (const char *)p + pa->domain_off, pa->domain_len);
	return e->r != 0;
}

static int
ev_address(struct ev *e)
{
	struct addr_limits al = {0, 0, 0, 1};
	const struct sieve_msg *msg = e->msg;
	const struct sv_test *t = e->t;
	enum addr_status as;
	const char *v;
	size_t i, j, len, off;

	for (i = 0; i < t->names.n; i++)
		for (j = 0; j < msg->nheaders; j++) {
			if (strcasecmp(msg->headers[j].name, t->names.v[i]) !=
			    0)
				continue;
			v = msg->headers[j].value;
			len = strlen(v);
			ev_trim(&v, &len);
			e->r = 0;
			/* A field that fails to parse part way still gave
			 * us its good mailboxes; the rest cannot match. */
			as = addr_parse_header((const unsigned char *)v, len,
					       &al, ev_each, e, &off);
			(void)as;
			if (e->r != 0)
				return e->r;
		}
	return 0;
}

static int
ev_envelope(struct ev *e)
{
	const char *v, *at;
	size_t i, len;
	int r;

	for (i = 0; i < e->t->names.n; i++) {
		v = strcasecmp(e->t->names.v[i], "from") == 0 ? e->msg->env_from
							      : e->msg->env_to;
		if (v == NULL)
			continue;
		len = strlen(v);
		if (len >= 2 && v[0] == '<' && v[len - 1] == '>') {
			v++;
			len -= 2;
		}
		/* The null sender matches "" whatever the part. */
		if (len == 0 && e->t->part != SV_PART_DETAIL)
			r = ev_keys(e->t, "", 0, e->st);
		else if ((at = memrchr(v, '@', len)) == NULL)
			r = ev_addr(e, v, len, "", 0);
		else
			r = ev_addr(e, v, (size_t)(at - v), at + 1,
				    len - (size_t)(at - v) - 1);
		if (r != 0)
			return r;
	}
	return 0;
}

static int
ev_exists(const struct sv_test *t, const struct sieve_msg *msg)
{
	size_t i, j;

	for (i = 0; i < t->names.n; i++) {
		for (j = 0; j < msg->nheaders; j++)
			if (strcasecmp(msg->headers[j].name, t->names.v[i]) ==
			    0)
				break;
		if (j == msg->nheaders)
			return 0;
	}
	return 1;
}

static int
ev_hasflag(const struct sv_test *t, unsigned flags, enum sieve_status *st)
{
	const char *name;
	unsigned bit;
	int r;

	for (bit = 1; bit <= SIEVE_FLAG_DRAFT; bit <<= 1) {
		if (!(flags & bit) || (name = sv_flag_name(bit)) == NULL)
			continue;
		if ((r = ev_keys(t, name, strlen(name), st)) != 0)
			return r;
	}
	return 0;
}

int
sv_eval(const struct sv_test *t, const struct sieve_msg *msg, unsigned flags,
	struct buf *tmp, enum sieve_status *st)
{
	struct ev e = {t, msg, tmp, st, 0};
	size_t i;
	int r;

	switch (t->kind) {
	case SV_TEST_TRUE:
		return 1;
	case SV_TEST_FALSE:
		return 0;
	case SV_TEST_NOT:
		r = sv_eval(t->kids[0], msg, flags, tmp, st);
		return r < 0 ? r : !r;
	case SV_TEST_ALLOF:
	case SV_TEST_ANYOF:
		for (i = 0; i < t->nkids; i++) {
			r = sv_eval(t->kids[i], msg, flags, tmp, st);
			if (r < 0 || r == (t->kind == SV_TEST_ANYOF))
				return r;
		}
		return t->kind == SV_TEST_ALLOF;
	case SV_TEST_HEADER:
		return ev_header(t, msg, tmp, st);
	case SV_TEST_ADDRESS:
		return ev_address(&e);
	case SV_TEST_ENVELOPE:
		return ev_envelope(&e);
	case SV_TEST_EXISTS:
		return ev_exists(t, msg);
	case SV_TEST_SIZE:
		return t->over ? msg->size > t->size : msg->size < t->size;
	case SV_TEST_HASFLAG:
		return ev_hasflag(t, flags, st);
	}
	return 0;
}
