/* lookup/lk_policy.c - policy delegation verdicts; see lk_policy.h.
 *
 * Postfix sends sender= and recipient= in its internal form: unquoted,
 * source route gone, but the trailing dot and the case as the client
 * wrote them ("spammer@bad.example.", "a b@bad.example"), while it
 * resolves and looks up spammer@bad.example, "a b"@bad.example. Both are
 * normalised (lib/addr_norm) before any lookup, as facteur-blacklist
 * does, so no spelling walks past a row. */
#include "lk_policy.h"

#include <string.h>
#include <strings.h>

#include "access.h"
#include "addr_norm.h"
#include "buf.h"

/* Copies attribute i of r (p[off..off+len)) into b as a C string; a NUL
 * inside the value makes it unusable (-1). */
static int
lk_attr_str(const unsigned char *p, const struct lk_policy_req *r,
	    enum lk_attr i, struct buf *b)
{
	buf_reset(b);
	if (!r->attr[i].set)
		return buf_adds(b, "");
	if (memchr(p + r->attr[i].off, '\0', r->attr[i].len) != NULL)
		return -1;
	return buf_add(b, p + r->attr[i].off, r->attr[i].len);
}

/* Attribute i as the address Postfix resolves it to, into b: "" for
 * the null sender, "user@" for a domainless one (a policy request
 * carries no $myorigin: only the user@ rows can match it). -1 if the
 * value cannot be read as Postfix's internal form, or holds a NUL. */
static int
lk_attr_addr(const unsigned char *p, const struct lk_policy_req *r,
	     enum lk_attr i, struct buf *tmp, struct buf *b)
{
	static const struct addr_limits lim = {256, 255, 512, 1};
	struct addr_norm n;
	size_t off;

	buf_reset(b);
	if (lk_attr_str(p, r, i, tmp) < 0 ||
	    addr_norm_internal((const unsigned char *)buf_str(tmp), tmp->len,
			       &lim, NULL, b, &n, &off) != ADDR_OK)
		return -1;
	if (n.is_null)
		return buf_adds(b, "");
	return n.has_domain ? 0 : buf_addc(b, '@');
}

/* One check: 1 = a row acted (text in out), 0 = no row or an OK row
 * (*ok set), -1 = database error. */
static int
lk_policy_check(struct store *st, const struct lk_query_cfg *qc, int recipient_,
		const char *key, struct buf *text, int *ok,
		struct store_errbuf *err)
{
	struct store_access a;
	int rc;

	*ok = 0;
	rc = lk_access_find(st, qc, recipient_, key, &a, err);
	if (rc == STORE_NOTFOUND || rc == STORE_EINVAL)
		return 0;
	if (rc != STORE_FOUND)
		return -1;
	if (a.action && strcasecmp(a.action, "OK") == 0) {
		*ok = 1;
		store_access_clear(&a);
		return 0;
	}
	buf_reset(text);
	rc = access_reply(a.action, a.code, a.enhanced, a.message, text);
	store_access_clear(&a);
	return rc < 0 ? -1 : 1;
}

static int
lk_policy_rcpt(struct store *st, const struct lk_query_cfg *qc,
	       const unsigned char *p, const struct lk_policy_req *r,
	       struct buf *text, struct store_errbuf *err)
{
	struct buf key, tmp;
	int rc = 0, ok = 0;

	buf_init(&key, 4096);
	buf_init(&tmp, 4096);
	if (lk_attr_addr(p, r, LK_ATTR_SENDER, &tmp, &key) < 0) {
		rc = buf_adds(text, "501 5.1.7 Bad sender address syntax") < 0
			 ? -1
			 : 1;
		goto out;
	}
	if (key.len == 0 && buf_adds(&key, qc->null_key) < 0)
		goto out;
	if ((rc = lk_policy_check(st, qc, 0, key.data, text, &ok, err)) != 0)
		goto out;
	if (!ok && r->attr[LK_ATTR_CLIENT_ADDRESS].set &&
	    lk_attr_str(p, r, LK_ATTR_CLIENT_ADDRESS, &key) == 0 &&
	    key.len > 0 &&
	    (rc = lk_policy_check(st, qc, 0, key.data, text, &ok, err)) != 0)
		goto out;
	if (!r->attr[LK_ATTR_RECIPIENT].set ||
	    r->attr[LK_ATTR_RECIPIENT].len == 0)
		goto out;
	if (lk_attr_addr(p, r, LK_ATTR_RECIPIENT, &tmp, &key) < 0)
		rc =
		    buf_adds(text, "501 5.1.3 Bad recipient address syntax") < 0
			? -1
			: 1;
	else
		rc = lk_policy_check(st, qc, 1, key.data, text, &ok, err);
out:
	buf_free(&key);
	buf_free(&tmp);
	return rc;
}

enum lk_status
lk_policy_eval(struct store *st, const struct lk_query_cfg *qc,
	       const unsigned char *p, const struct lk_policy_req *r,
	       struct buf *out, struct store_errbuf *err)
{
	const struct lk_span *ps = &r->attr[LK_ATTR_PROTOCOL_STATE];
	struct buf text;
	enum lk_status st_ = LK_NOTFOUND;
	int rc = 0;

	buf_init(&text, 4096);
	if (ps->set && ps->len == 4 &&
	    strncasecmp((const char *)p + ps->off, "RCPT", 4) == 0)
		rc = lk_policy_rcpt(st, qc, p, r, &text, err);
	if (rc > 0) {
		st_ = LK_OK;
		rc = lk_reply_policy(text.data, out);
	} else if (rc < 0) {
		st_ = LK_TEMP;
		rc = lk_reply_policy("451 4.3.0 temporary lookup failure", out);
	} else
		rc = lk_reply_policy("DUNNO", out);
	buf_free(&text);
	return rc < 0 ? LK_PERM : st_;
}
