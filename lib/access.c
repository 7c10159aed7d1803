/* lib/access.c - access(5) key walk, access replies and the
 * sender/recipient decisions; see access.h. The walk and reply code came
 * from lookup/ (lk_walk, lk_reply) so facteur-lookup and
 * facteur-blacklist run the same code; addresses and CIDR blocks are
 * lib/cidr's. */
#include "access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* ---- key walk ---- */

int
access_split_ext(const char *key, size_t at, const char *delims,
		 size_t *user_len)
{
	size_t i;

	if (delims == NULL || *delims == '\0')
		return 0;
	/* Postfix: a local part that starts with a delimiter has none. */
	for (i = 1; i < at; i++)
		if (strchr(delims, key[i]) != NULL && key[i] != '\0') {
			*user_len = i;
			return 1;
		}
	return 0;
}

static int
access_walk_add(struct buf *keys, struct access_walk *w, const char *a,
		size_t alen, const char *b, size_t blen)
{
	if (w->n >= ACCESS_WALK_MAX)
		return -1;
	w->off[w->n] = keys->len;
	if (buf_add(keys, a, alen) < 0 || buf_add(keys, b, blen) < 0 ||
	    buf_addc(keys, '\0') < 0)
		return -1;
	w->n++;
	return 0;
}

/* d[0..len) and every parent: "a.b.c", "b.c", "c". Literals alone. */
static int
access_walk_domain(struct buf *keys, struct access_walk *w, const char *d,
		   size_t len)
{
	size_t i = 0;

	if (len == 0)
		return 0;
	if (d[0] == '[')
		return access_walk_add(keys, w, d, len, "", 0);
	while (i < len) {
		if (access_walk_add(keys, w, d + i, len - i, "", 0) < 0)
			return -1;
		while (i < len && d[i] != '.')
			i++;
		i++; /* past the dot; an empty last label ends the walk */
	}
	return 0;
}

static int
access_is_ipv4(const char *k, size_t len)
{
	size_t i, dots = 0, digits = 0;

	for (i = 0; i < len; i++) {
		if (k[i] == '.') {
			if (digits == 0)
				return 0;
			dots++;
			digits = 0;
		} else if (k[i] >= '0' && k[i] <= '9') {
			if (++digits > 3)
				return 0;
		} else
			return 0;
	}
	return dots == 3 && digits > 0;
}

/* "1.2.3.4", "1.2.3", "1.2", "1" (smtpd's check_client_access order). */
static int
access_walk_ipv4(struct buf *keys, struct access_walk *w, const char *k,
		 size_t len)
{
	size_t end = len;

	for (;;) {
		if (access_walk_add(keys, w, k, end, "", 0) < 0)
			return -1;
		while (end > 0 && k[end - 1] != '.')
			end--;
		if (end == 0)
			return 0;
		end--;
	}
}

int
access_walk(const char *key, size_t len, const char *delims,
	    const char *null_key, struct buf *keys, struct access_walk *w)
{
	const char *at;
	size_t atoff, ulen = 0;
	int ext;

	buf_reset(keys);
	w->n = 0;
	if (null_key && *null_key && strlen(null_key) == len &&
	    strncasecmp(key, null_key, len) == 0)
		return access_walk_add(keys, w, key, len, "", 0);
	at = NULL;
	for (atoff = len; atoff > 0; atoff--)
		if (key[atoff - 1] == '@') {
			at = key + atoff - 1;
			break;
		}
	if (at == NULL) {
		if (access_is_ipv4(key, len))
			return access_walk_ipv4(keys, w, key, len);
		if (memchr(key, ':', len) != NULL) /* IPv6: CIDR rows match */
			return access_walk_add(keys, w, key, len, "", 0);
		return access_walk_domain(keys, w, key, len);
	}
	atoff = (size_t)(at - key);
	ext = access_split_ext(key, atoff, delims, &ulen);
	if (access_walk_add(keys, w, key, len, "", 0) < 0)
		return -1;
	if (ext && access_walk_add(keys, w, key, ulen, at, len - atoff) < 0)
		return -1;
	if (atoff > 0 && atoff + 1 < len &&
	    access_walk_add(keys, w, at, len - atoff, "", 0) < 0)
		return -1;
	if (access_walk_domain(keys, w, at + 1, len - atoff - 1) < 0)
		return -1;
	if (atoff > 0 && atoff + 1 < len) {
		if (access_walk_add(keys, w, key, atoff + 1, "", 0) < 0)
			return -1;
		if (ext && access_walk_add(keys, w, key, ulen, "@", 1) < 0)
			return -1;
	}
	return 0;
}

/* ---- replies ---- */

int
access_add_clean(struct buf *out, const char *s, size_t n)
{
	size_t i;

	if (buf_reserve(out, n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (buf_addc(out, c < 0x20 || c == 0x7f ? ' ' : (char)c) < 0)
			return -1;
	}
	return 0;
}

/* "X.Y.Z" with X the class digit, Y 1-3 digits, Z 1-3 digits. */
static int
access_enhanced_ok(const char *e, int cls)
{
	size_t i = 2, n;
	int part;

	if (e == NULL || e[0] != (char)('0' + cls) || e[1] != '.')
		return 0;
	for (part = 0; part < 2; part++) {
		for (n = 0; e[i] >= '0' && e[i] <= '9'; i++)
			n++;
		if (n == 0 || n > 3)
			return 0;
		if (part == 0 && e[i++] != '.')
			return 0;
	}
	return e[i] == '\0';
}

void
access_reply_code(int code, const char *enhanced, int *code_out, char xcode[16])
{
	int cls;

	if (code < 400 || code > 599)
		code = 554;
	cls = code / 100;
	*code_out = code;
	if (access_enhanced_ok(enhanced, cls))
		snprintf(xcode, 16, "%s", enhanced);
	else
		snprintf(xcode, 16, "%d.7.1", cls);
}

static int
access_reply_reject(int code, const char *enhanced, const char *message,
		    struct buf *out)
{
	const char *text = message && *message ? message : "Access denied";
	char xcode[16];

	access_reply_code(code, enhanced, &code, xcode);
	if (buf_printf(out, "%d %s ", code, xcode) < 0)
		return -1;
	return access_add_clean(out, text, strlen(text));
}

int
access_reply(const char *action, int code, const char *enhanced,
	     const char *message, struct buf *out)
{
	const char *word;

	if (action == NULL)
		return -1;
	if (strcasecmp(action, "REJECT") == 0)
		return access_reply_reject(code, enhanced, message, out);
	if (strcasecmp(action, "OK") == 0)
		return buf_adds(out, "OK");
	if (strcasecmp(action, "DISCARD") == 0)
		word = "DISCARD";
	else if (strcasecmp(action, "HOLD") == 0)
		word = "HOLD";
	else
		return -1;
	if (buf_adds(out, word) < 0)
		return -1;
	if (message == NULL || *message == '\0')
		return 0;
	if (buf_addc(out, ' ') < 0)
		return -1;
	return access_add_clean(out, message, strlen(message));
}

/* ---- lookups ---- */

static int
access_dup(struct store_access *dst, const struct store_access *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->code = src->code;
	dst->pattern = strdup(src->pattern ? src->pattern : "");
	dst->action = strdup(src->action ? src->action : "");
	dst->enhanced = strdup(src->enhanced ? src->enhanced : "");
	dst->message = strdup(src->message ? src->message : "");
	if (!dst->pattern || !dst->action || !dst->enhanced || !dst->message) {
		store_access_clear(dst);
		return -1;
	}
	return 0;
}

/* The active IP/CIDR rows of one store, parsed once, in the store's
 * order (ORDER BY pattern), and read again only when the database
 * changed (store_change_stamp), so a message costs a PRAGMA and a scan
 * of an array, not a table read and a parse per row. */
struct access_iptab {
	long long stamp[2];
	int loaded;
	size_t n, cap;
	struct cidr *nets;
	struct store_access *rows;
};

static void
access_iptab_empty(struct access_iptab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		store_access_clear(&t->rows[i]);
	t->n = 0;
	t->loaded = 0;
}

static void
access_iptab_free(void *p)
{
	struct access_iptab *t = p;

	access_iptab_empty(t);
	free(t->nets);
	free(t->rows);
	free(t);
}

struct access_iptab_load {
	struct access_iptab *t;
	int nomem;
};

static int
access_iptab_cb(void *ctx, const struct store_access *a)
{
	struct access_iptab_load *l = ctx;
	struct access_iptab *t = l->t;
	struct cidr net;
	size_t cap;
	void *p;

	if (a->pattern == NULL ||
	    cidr_parse(a->pattern, strlen(a->pattern), &net) != CIDR_OK)
		return 0; /* the admin CLI validates; skip what we cannot use */
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 64;
		if ((p = realloc(t->nets, cap * sizeof(*t->nets))) == NULL)
			goto nomem;
		t->nets = p;
		if ((p = realloc(t->rows, cap * sizeof(*t->rows))) == NULL)
			goto nomem;
		t->rows = p;
		t->cap = cap;
	}
	if (access_dup(&t->rows[t->n], a) < 0)
		goto nomem;
	t->nets[t->n++] = net;
	return 0;
nomem:
	l->nomem = 1;
	return 1;
}

/* st's table, current with the database; NULL with err on failure. */
static struct access_iptab *
access_iptab_get(struct store *st, struct store_errbuf *err)
{
	struct access_iptab *t = store_cache(st);
	struct access_iptab_load l;
	long long stamp[2];

	if (store_change_stamp(st, stamp, err) < 0)
		return NULL;
	if (t == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL)
			goto nomem;
		store_set_cache(st, t, access_iptab_free);
	}
	if (t->loaded && t->stamp[0] == stamp[0] && t->stamp[1] == stamp[1])
		return t;
	access_iptab_empty(t);
	l.t = t;
	l.nomem = 0;
	if (store_access_ip_each(st, access_iptab_cb, &l, err) < 0) {
		access_iptab_empty(t);
		return NULL;
	}
	if (l.nomem) {
		access_iptab_empty(t);
		goto nomem;
	}
	t->stamp[0] = stamp[0];
	t->stamp[1] = stamp[1];
	t->loaded = 1;
	return t;
nomem:
	if (err)
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	return NULL;
}

/* The longest IP/CIDR row that contains key, if key is an address; of
 * equal prefixes, the first in pattern order. */
static int
access_find_cidr(struct store *st, const char *key, struct store_access *a,
		 struct store_errbuf *err)
{
	struct access_iptab *t;
	struct cidr_ip ip;
	size_t i, best = 0;
	int bestp = -1;

	if (cidr_ip_parse(key, strlen(key), &ip) < 0)
		return STORE_NOTFOUND;
	if ((t = access_iptab_get(st, err)) == NULL)
		return STORE_EDB;
	for (i = 0; i < t->n; i++)
		if ((int)t->nets[i].prefix > bestp &&
		    cidr_match(&t->nets[i], &ip)) {
			bestp = (int)t->nets[i].prefix;
			best = i;
		}
	if (bestp < 0)
		return STORE_NOTFOUND;
	if (access_dup(a, &t->rows[best]) < 0) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		return STORE_EDB;
	}
	return STORE_FOUND;
}

/* The search keys of key (access_walk) appended to k[*n..], at most
 * ACCESS_WALK_MAX. 0, or -1 when key has too many (its walk fails). */
static int
access_keys(const char *key, const struct access_cfg *qc, struct buf *keys,
	    const char **k, size_t *n)
{
	struct access_walk w;
	size_t i;

	if (access_walk(key, strlen(key), qc->delims, qc->null_key, keys, &w) <
	    0)
		return -1;
	for (i = 0; i < w.n; i++)
		k[(*n)++] = access_walk_key(keys, &w, i);
	return 0;
}

int
access_find(struct store *st, const struct access_cfg *qc, int recipient_,
	    const char *key, struct store_access *a, struct store_errbuf *err)
{
	const char *k[ACCESS_WALK_MAX];
	struct buf keys;
	size_t n = 0;
	int rc;

	memset(a, 0, sizeof(*a));
	buf_init(&keys, 0);
	if (access_keys(key, qc, &keys, k, &n) < 0) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "key has too many search keys");
		buf_free(&keys);
		return STORE_EINVAL;
	}
	rc = store_access_first(st, recipient_, k, n, a, NULL, err);
	buf_free(&keys);
	if (rc == STORE_NOTFOUND && !recipient_)
		rc = access_find_cidr(st, key, a, err);
	return rc;
}

/* ---- decisions ---- */

void
access_decision_clear(struct access_decision *d)
{
	store_access_clear(&d->row);
	memset(d, 0, sizeof(*d));
}

const char *
access_action_name(enum access_action a)
{
	switch (a) {
	case ACCESS_NONE:
		return "NONE";
	case ACCESS_ALLOW:
		return "ALLOW";
	case ACCESS_REJECT:
		return "REJECT";
	case ACCESS_DISCARD:
		return "DISCARD";
	case ACCESS_HOLD:
		return "HOLD";
	}
	return "NONE";
}

/* d->row (a matched row) into a decision: 1, or -1 (d->row cleared,
 * err) for an action the table may not hold. */
static int
access_take(int recipient_, const char *what, struct access_decision *d,
	    struct store_errbuf *err)
{
	static const struct {
		const char *word;
		enum access_action action;
	} map[] = {
	    {"OK", ACCESS_ALLOW},
	    {"REJECT", ACCESS_REJECT},
	    {"DISCARD", ACCESS_DISCARD},
	    {"HOLD", ACCESS_HOLD},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (d->row.action &&
		    strcasecmp(d->row.action, map[i].word) == 0)
			break;
	/* a sender row may only reject or allow (schema CHECK) */
	if (i == sizeof(map) / sizeof(map[0]) ||
	    (!recipient_ && map[i].action > ACCESS_REJECT)) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "row \"%s\": bad action \"%s\"",
				 d->row.pattern ? d->row.pattern : "",
				 d->row.action ? d->row.action : "");
		store_access_clear(&d->row);
		return -1;
	}
	d->action = map[i].action;
	d->what = what;
	access_reply_code(d->row.code, d->row.enhanced, &d->code, d->xcode);
	return 1;
}

/* A CIDR row for key into d: 1, 0 (none), -1 (error). */
static int
access_cidr_decide(struct store *st, const char *key, const char *what,
		   struct access_decision *d, struct store_errbuf *err)
{
	int rc = access_find_cidr(st, key, &d->row, err);

	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != STORE_FOUND)
		return -1;
	return access_take(0, what, d, err);
}

/* MAIL FROM in one statement for the exact rows of both walks, the
 * sender's then the client's (access_check_sender's order: the sender's
 * walk, the sender's CIDR rows, the client's walk, the client's CIDR
 * rows), and the IP rows' cache check only when no sender row decides.
 * A key whose walk fails has no row (and no CIDR look-up), as before. */
static int
access_sender_decide(struct store *st, const struct access_cfg *qc,
		     const char *key, const char *ip, struct access_decision *d,
		     struct store_errbuf *err)
{
	const char *k[2 * ACCESS_WALK_MAX];
	struct buf sk, ck;
	struct store_access client;
	size_t ns = 0, n, which = 0;
	int sok, cok = 0, rc;

	buf_init(&sk, 0);
	buf_init(&ck, 0);
	memset(&client, 0, sizeof(client));
	sok = access_keys(key, qc, &sk, k, &ns) == 0;
	n = ns;
	if (ip != NULL && *ip != '\0')
		cok = access_keys(ip, qc, &ck, k, &n) == 0;
	rc = store_access_first(st, 0, k, n, &d->row, &which, err);
	if (rc == STORE_FOUND && which < ns)
		rc = access_take(0, "sender", d, err);
	else if (rc == STORE_FOUND || rc == STORE_NOTFOUND) {
		client = d->row; /* a client row, or none */
		memset(&d->row, 0, sizeof(d->row));
		rc = sok ? access_cidr_decide(st, key, "sender", d, err) : 0;
		if (rc == 0 && client.pattern != NULL) {
			d->row = client;
			memset(&client, 0, sizeof(client));
			rc = access_take(0, "client", d, err);
		} else if (rc == 0 && cok)
			rc = access_cidr_decide(st, ip, "client", d, err);
	} else
		rc = -1;
	store_access_clear(&client);
	buf_free(&sk);
	buf_free(&ck);
	return rc;
}

int
access_check_sender(struct store *st, const struct access_cfg *qc,
		    const char *sender, const char *client_ip,
		    struct access_decision *d, struct store_errbuf *err)
{
	const char *key = *sender			  ? sender
			  : qc->null_key && *qc->null_key ? qc->null_key
							  : "<>";
	int began, rc;

	memset(d, 0, sizeof(*d));
	/* one snapshot for the exact rows and the IP rows' cache check */
	if ((began = store_read_begin(st, err)) < 0)
		return -1;
	rc = access_sender_decide(st, qc, key, client_ip, d, err);
	store_read_end(st, began);
	return rc < 0 ? -1 : 0;
}

int
access_check_rcpt(struct store *st, const struct access_cfg *qc,
		  const char *rcpt, struct access_decision *d,
		  struct store_errbuf *err)
{
	int rc;

	memset(d, 0, sizeof(*d));
	if (*rcpt == '\0')
		return 0;
	/* one statement for the walk (store_access_first): no transaction */
	rc = access_find(st, qc, 1, rcpt, &d->row, err);
	if (rc == STORE_NOTFOUND || rc == STORE_EINVAL)
		return 0; /* a key we cannot walk has no row */
	if (rc != STORE_FOUND)
		return -1;
	return access_take(1, "recipient", d, err) < 0 ? -1 : 0;
}
