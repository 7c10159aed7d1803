/* lib/spam/bayes_tok.c - the Bayes tokenizer (bayes.h): a message
 * view in, a sorted set of 64-bit token hashes out. Pure: no I/O, no
 * globals; the message is hostile and only read through the view, with
 * every scan bounded (TOK_* below).
 *
 * The tokenizer follows SpamAssassin's Bayes.pm and SpamBayes in spirit:
 * words of the body and the subject (lowercased, 3..20 characters, longer
 * ones become a "skip:" shape, numbers become a digit-count shape), a
 * token per header name present, words of selected headers under a prefix
 * per header, the sender's and Message-ID's domains, the content types and
 * charsets of the parts, and every URI host with its parent domains. Each
 * token string is hashed to 64 bits (FNV-1a with a final avalanche mix):
 * the store never sees the text, and the hash set is sorted and unique so a
 * token counts once per message. */
#include "bayes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msgview.h"

enum {
	TOK_MIN = 3,		   /* characters */
	TOK_MAX = 20,		   /* characters; longer -> skip: shape */
	TOK_HDR_MAX = 40,	   /* bytes kept of a header token */
	TOK_BODY_SCAN = 256 << 10, /* bytes of body text tokenized */
	TOK_HDR_SCAN = 2048,	   /* bytes of one header value tokenized */
	TOK_MAX_HEADERS = 200,
	TOK_MAX_URIS = 300,
	TOK_MAX_TOKENS = 50000,
};

/* The message's tokens, each once: a word repeats about six times in a
 * message, and sorting the repeats was most of the tokenizer's time. */
struct tokbuf {
	uint64_t *h; /* distinct hashes, first seen first */
	size_t n, cap;
	uint64_t *set; /* open addressing over h[]'s non-zero values */
	size_t setcap; /* a power of 2, > 2 n */
	size_t raw;    /* tokens added, repeats included (TOK_MAX_TOKENS) */
	int zero;      /* the hash 0 (not in set) was added */
	int oom;
};

static uint64_t
tok_hash(const char *prefix, const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (; *prefix != '\0'; prefix++) {
		h ^= (unsigned char)*prefix;
		h *= 0x100000001b3ULL;
	}
	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	/* FNV's low bits mix poorly; splitmix64's finaliser spreads them. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

uint64_t
bayes_hash(const char *tok, size_t len)
{
	return tok_hash("", tok, len);
}

/* Slot of h in a set of cap (a power of 2) slots: h itself or 0. The
 * hashes are mixed already (tok_hash), so their low bits index well. */
static size_t
tok_slot(const uint64_t *set, size_t cap, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (set[i] != 0 && set[i] != h)
		i = (i + 1) & (cap - 1);
	return i;
}

/* Room for one more distinct hash in h[] and set. 0 or -1. */
static int
tok_room(struct tokbuf *tb)
{
	uint64_t *nh, *ns;
	size_t ncap, i;

	if (tb->n == tb->cap) {
		ncap = tb->cap ? tb->cap * 2 : 256;
		if ((nh = realloc(tb->h, ncap * sizeof(*nh))) == NULL)
			return -1;
		tb->h = nh;
		tb->cap = ncap;
	}
	if ((tb->n + 1) * 2 <= tb->setcap)
		return 0;
	ncap = tb->setcap ? tb->setcap * 2 : 512;
	if ((ns = calloc(ncap, sizeof(*ns))) == NULL)
		return -1;
	for (i = 0; i < tb->n; i++)
		if (tb->h[i] != 0)
			ns[tok_slot(ns, ncap, tb->h[i])] = tb->h[i];
	free(tb->set);
	tb->set = ns;
	tb->setcap = ncap;
	return 0;
}

static void
tok_add(struct tokbuf *tb, const char *prefix, const char *s, size_t len)
{
	uint64_t h;

	if (tb->oom || tb->raw >= TOK_MAX_TOKENS)
		return;
	tb->raw++;
	h = tok_hash(prefix, s, len);
	if (h == 0 ? tb->zero
		   : tb->setcap > 0 &&
			 tb->set[tok_slot(tb->set, tb->setcap, h)] == h)
		return;
	if (tok_room(tb) < 0) {
		tb->oom = 1;
		return;
	}
	if (h == 0)
		tb->zero = 1;
	else
		tb->set[tok_slot(tb->set, tb->setcap, h)] = h;
	tb->h[tb->n++] = h;
}

/* The characters a word is made of (SpamAssassin keeps the same set and
 * every byte >= 0x80, i.e. every non-ASCII UTF-8 character). */
static int
tok_wordc(unsigned char c)
{
	if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	/* a switch, not strchr(): this runs once a byte of body text */
	switch (c) {
	case '-':
	case ',':
	case '@':
	case '*':
	case '!':
	case '_':
	case '\'':
	case '"':
	case '$':
	case '.':
		return 1;
	default:
		return 0;
	}
}

static int
tok_trimc(unsigned char c)
{
	return c == '-' || c == '\'' || c == '"' || c == '.' || c == ',';
}

static size_t
tok_utf8_chars(const unsigned char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* A number ("1,000", "$25.99", "2002") becomes its shape "n:$4": the
 * amount rarely repeats, the habit of quoting amounts does. */
static int
tok_number(struct tokbuf *tb, const char *prefix, const char *w, size_t len)
{
	char shape[16];
	size_t i, digits = 0, k = 0;
	int dollar = 0;

	for (i = 0; i < len; i++) {
		if (w[i] >= '0' && w[i] <= '9')
			digits++;
		else if (w[i] == '$')
			dollar = 1;
		else if (w[i] != '.' && w[i] != ',')
			return 0;
	}
	if (digits == 0)
		return 0;
	if (digits > 9)
		digits = 9;
	shape[k++] = 'n';
	shape[k++] = ':';
	if (dollar)
		shape[k++] = '$';
	shape[k++] = (char)('0' + digits);
	tok_add(tb, prefix, shape, k);
	return 1;
}

static void
tok_word(struct tokbuf *tb, const char *prefix, const char *w, size_t len,
	 size_t maxchars)
{
	char low[TOK_HDR_MAX + 1];
	char shape[16];
	size_t i, nch, k;

	while (len > 0 && tok_trimc((unsigned char)w[0])) {
		w++;
		len--;
	}
	while (len > 0 && tok_trimc((unsigned char)w[len - 1]))
		len--;
	if (len == 0 || tok_number(tb, prefix, w, len))
		return;
	nch = tok_utf8_chars((const unsigned char *)w, len);
	if (nch < TOK_MIN)
		return;
	if (nch > maxchars || len > TOK_HDR_MAX) {
		/* SpamBayes' "skip:c N": first byte and length in tens. */
		k = 0;
		shape[k++] = 's';
		shape[k++] = 'k';
		shape[k++] = ':';
		shape[k++] =
		    (char)((w[0] >= 'A' && w[0] <= 'Z') ? w[0] - 'A' + 'a'
							: w[0]);
		shape[k++] = ':';
		nch = nch / 10 > 9 ? 9 : nch / 10;
		shape[k++] = (char)('0' + nch);
		tok_add(tb, prefix, shape, k);
		return;
	}
	for (i = 0; i < len; i++)
		low[i] = (w[i] >= 'A' && w[i] <= 'Z') ? w[i] - 'A' + 'a' : w[i];
	tok_add(tb, prefix, low, len);
}

static void
tok_words(struct tokbuf *tb, const char *prefix, const char *s, size_t len,
	  size_t maxchars)
{
	size_t i = 0, start;

	while (i < len) {
		while (i < len && !tok_wordc((unsigned char)s[i]))
			i++;
		start = i;
		while (i < len && tok_wordc((unsigned char)s[i]))
			i++;
		if (i > start)
			tok_word(tb, prefix, s + start, i - start, maxchars);
	}
}

/* Adds "prefix" + host and each parent with at least two labels, so that
 * "a.b.example.com" also counts as "example.com". */
static void
tok_domain(struct tokbuf *tb, const char *prefix, const char *host, size_t len)
{
	char low[256];
	size_t i, dots = 0;

	while (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(low))
		return;
	for (i = 0; i < len; i++) {
		low[i] = (host[i] >= 'A' && host[i] <= 'Z')
			     ? host[i] - 'A' + 'a'
			     : host[i];
		if (low[i] == '.')
			dots++;
	}
	if (strspn(low, "0123456789.") >= len || memchr(low, ':', len)) {
		tok_add(tb, prefix, "ip-literal", 10);
		return;
	}
	tok_add(tb, prefix, low, len);
	for (i = 0; i < len && dots > 1; i++) {
		if (low[i] == '.') {
			dots--;
			tok_add(tb, prefix, low + i + 1, len - i - 1);
		}
	}
}

/* The domain of the first address in a header value. */
static void
tok_addr_domain(struct tokbuf *tb, const char *prefix, const char *v)
{
	const char *at, *end;

	if ((at = strchr(v, '@')) == NULL)
		return;
	at++;
	end = at;
	while (*end != '\0' && *end != '>' && *end != ' ' && *end != ')' &&
	       *end != ',' && *end != ';' && *end != '"')
		end++;
	tok_domain(tb, prefix, at, (size_t)(end - at));
}

/* "text/HTML; charset=ISO-8859-1" -> "ct:text/html", "cs:iso-8859-1". */
static void
tok_ctype(struct tokbuf *tb, const char *v)
{
	char low[64];
	const char *cs;
	size_t n;

	n = strcspn(v, "; \t");
	if (n > 0 && n < sizeof(low)) {
		for (size_t i = 0; i < n; i++)
			low[i] = (v[i] >= 'A' && v[i] <= 'Z') ? v[i] - 'A' + 'a'
							      : v[i];
		tok_add(tb, "ct:", low, n);
	}
	if ((cs = strcasestr(v, "charset=")) == NULL)
		return;
	cs += 8;
	if (*cs == '"')
		cs++;
	n = strcspn(cs, "\"; \t");
	if (n > 0 && n < sizeof(low)) {
		for (size_t i = 0; i < n; i++)
			low[i] = (cs[i] >= 'A' && cs[i] <= 'Z')
				     ? cs[i] - 'A' + 'a'
				     : cs[i];
		tok_add(tb, "cs:", low, n);
	}
}

/* Headers whose words are tokens, each under its own prefix. Received,
 * Date and Message-ID are handled apart; the rest (To, Delivered-To, our
 * own X-Spam-*) say more about the mailbox than about the mail. */
static const char *const tok_word_headers[] = {
    "from",
    "reply-to",
    "sender",
    "return-path",
    "errors-to",
    "x-mailer",
    "user-agent",
    "x-mimeole",
    "x-msmail-priority",
    "x-priority",
    "importance",
    "organization",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    "precedence",
    "list-id",
    "x-originating-ip",
    "x-sender",
    "to",
    "cc",
    "x-accept-language",
    "content-disposition",
};

static int
tok_is_word_header(const char *low)
{
	size_t i;

	for (i = 0; i < sizeof(tok_word_headers) / sizeof(*tok_word_headers);
	     i++)
		if (strcmp(low, tok_word_headers[i]) == 0)
			return 1;
	return 0;
}

/* Received: the words of the "from" and "by" clauses (host names, HELO),
 * never the ids, dates or addresses that change with every message. */
static void
tok_received(struct tokbuf *tb, const char *v)
{
	const char *p, *e;

	for (p = v; *p != '\0'; p++) {
		/* the first letter before the call: this runs once a byte */
		if ((*p | 0x20) != 'f' && (*p | 0x20) != 'b')
			continue;
		if (strncasecmp(p, "from ", 5) != 0 &&
		    strncasecmp(p, "by ", 3) != 0)
			continue;
		p += (*p == 'f' || *p == 'F') ? 5 : 3;
		e = p + strcspn(p, " \t;");
		if (e > p)
			tok_domain(tb, "h:received:", p, (size_t)(e - p));
		p = e;
		if (*p == '\0')
			break;
	}
}

static void
tok_header(struct tokbuf *tb, const struct sp_header *h)
{
	char low[64], prefix[80];
	const char *v = h->decoded != NULL ? h->decoded : h->raw;
	size_t n, vlen;

	if (h->name == NULL || v == NULL)
		return;
	n = strlen(h->name);
	if (n == 0 || n >= sizeof(low))
		return;
	for (size_t i = 0; i < n; i++)
		low[i] = (h->name[i] >= 'A' && h->name[i] <= 'Z')
			     ? h->name[i] - 'A' + 'a'
			     : h->name[i];
	low[n] = '\0';
	if (strncmp(low, "x-spam-", 7) == 0)
		return;
	/* List-Help/-Post/-Subscribe/-Unsubscribe/-Archive repeat one fact
	 * (a list delivered this) a dozen times, and spam sent to a list
	 * carries them too: they outvoted its own words. List-Id alone
	 * names the list. */
	if (strncmp(low, "list-", 5) == 0 && strcmp(low, "list-id") != 0)
		return;
	tok_add(tb, "hn:", low, n);
	vlen = strnlen(v, TOK_HDR_SCAN);
	if (strcmp(low, "subject") == 0) {
		tok_words(tb, "s:", v, vlen, TOK_MAX);
	} else if (strcmp(low, "received") == 0) {
		tok_received(tb, v);
	} else if (strcmp(low, "message-id") == 0) {
		tok_addr_domain(tb, "h:message-id:", v);
	} else if (tok_is_word_header(low)) {
		if (snprintf(prefix, sizeof(prefix), "h:%s:", low) >=
		    (int)sizeof(prefix))
			return;
		tok_words(tb, prefix, v, vlen, TOK_HDR_MAX);
		if (strcmp(low, "from") == 0 || strcmp(low, "reply-to") == 0 ||
		    strcmp(low, "return-path") == 0)
			tok_addr_domain(tb, prefix, v);
		if (strcmp(low, "content-type") == 0)
			tok_ctype(tb, v);
	}
}

static void
tok_parts(struct tokbuf *tb, const struct sp_view *v)
{
	const struct sp_part *p;
	const char *dot;
	size_t i;

	for (i = 0; i < v->nparts && i < 100; i++) {
		p = &v->parts[i];
		if (p->content_type != NULL)
			tok_add(tb, "pt:", p->content_type,
				strnlen(p->content_type, 64));
		if (p->filename != NULL &&
		    (dot = strrchr(p->filename, '.')) != NULL)
			tok_words(tb, "pe:", dot + 1, strnlen(dot + 1, 16),
				  TOK_MAX);
	}
}

static int
tok_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts a[0..n) in place: a radix sort, 8 bits a pass, through a scratch
 * array (qsort with a comparison call was a third of tokenizing); qsort
 * when the scratch array cannot be had. */
static void
tok_radix(uint64_t *a, size_t n)
{
	uint64_t *tmp, *src = a, *dst, *t;
	uint32_t cnt[8][256], sum, c; /* n <= TOK_MAX_TOKENS */
	size_t i;
	unsigned shift;

	if ((tmp = malloc(n * sizeof(*tmp))) == NULL) {
		qsort(a, n, sizeof(*a), tok_cmp);
		return;
	}
	dst = tmp;
	/* the eight digits' counts in one read of the keys, not eight */
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++)
		for (shift = 0; shift < 64; shift += 8)
			cnt[shift / 8][(src[i] >> shift) & 0xff]++;
	for (shift = 0; shift < 64; shift += 8) {
		for (i = sum = 0; i < 256; i++) {
			c = cnt[shift / 8][i];
			cnt[shift / 8][i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[shift / 8][(src[i] >> shift) & 0xff]++] =
			    src[i];
		t = src;
		src = dst;
		dst = t;
	}
	/* eight passes: the sorted keys are back in a */
	free(tmp);
}

/* Sorts a[0..n), n > 1. The hashes are uniform (tok_hash), so one
 * counting pass on their top bits puts each within a few places of its
 * rank and an insertion pass finishes: a tenth of the radix sort's
 * eight passes over the ~200 tokens of a message. Hashes made to share
 * their top bits (a hostile message) stop the insertion pass after 8 n
 * moves, and the radix sort runs instead. */
static void
tok_sort(uint64_t *a, size_t n)
{
	uint64_t *tmp, x;
	size_t *cnt, nb, i, j, moves = 0;
	unsigned k = 1;

	while (((size_t)1 << k) < n)
		k++;
	nb = (size_t)1 << k;
	tmp = malloc(n * sizeof(*tmp));
	cnt = calloc(nb + 1, sizeof(*cnt));
	if (tmp == NULL || cnt == NULL)
		goto radix;
	for (i = 0; i < n; i++)
		cnt[(a[i] >> (64 - k)) + 1]++;
	for (i = 1; i <= nb; i++)
		cnt[i] += cnt[i - 1];
	for (i = 0; i < n; i++)
		tmp[cnt[a[i] >> (64 - k)]++] = a[i];
	for (i = 1; i < n; i++) {
		x = tmp[i];
		for (j = i; j > 0 && tmp[j - 1] > x; j--) {
			if (++moves > 8 * n)
				goto radix;
			tmp[j] = tmp[j - 1];
		}
		tmp[j] = x;
	}
	memcpy(a, tmp, n * sizeof(*a));
	free(tmp);
	free(cnt);
	return;
radix:
	free(tmp);
	free(cnt);
	tok_radix(a, n);
}

int
bayes_tokenize(const struct sp_view *v, struct bayes_tokens *out)
{
	struct tokbuf tb = {0};
	size_t i, j;

	out->h = NULL;
	out->n = 0;
	for (i = 0; i < v->nheaders && i < TOK_MAX_HEADERS; i++)
		tok_header(&tb, &v->headers[i]);
	tok_parts(&tb, v);
	if (v->body_text != NULL)
		tok_words(&tb, "", v->body_text,
			  v->body_text_len < TOK_BODY_SCAN ? v->body_text_len
							   : TOK_BODY_SCAN,
			  TOK_MAX);
	for (i = 0; i < v->nuris && i < TOK_MAX_URIS; i++)
		if (v->uri_domains != NULL && v->uri_domains[i] != NULL)
			tok_domain(&tb, "u:", v->uri_domains[i],
				   strlen(v->uri_domains[i]));
	free(tb.set);
	if (tb.oom) {
		free(tb.h);
		return -1;
	}
	if (tb.n > 1)
		tok_sort(tb.h, tb.n);
	for (i = j = 0; i < tb.n; i++)
		if (j == 0 || tb.h[j - 1] != tb.h[i])
			tb.h[j++] = tb.h[i];
	out->h = tb.h;
	out->n = j;
	return 0;
}

void
bayes_tokens_clear(struct bayes_tokens *t)
{
	free(t->h);
	t->h = NULL;
	t->n = 0;
}
