/* lib/spam/mime.c - sp_view_parse(): the MIME walk over GMime.
 *
 * GMime (and so GLib) stays inside this file: nothing of it leaks into the
 * view. Header fields are taken from the raw bytes by mt_headers() so that
 * the view shows them exactly as received; GMime decodes RFC 2047 words,
 * transfer encodings and charsets. Limits (parts, depth, decoded bytes,
 * URIs) stop the walk and set v->truncated; they never fail it. */
#include "msgview.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mimetext.h"

struct mime_walk {
	struct sp_view *v;
	struct sp_limits lim;
	size_t cap_parts, cap_uris, cap_headers;
	size_t decoded;
	struct buf body, rawbody;
	int oom;
	int depth, alt, nalt; /* of the part being walked */
};

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;

static void
mime_init(void)
{
	g_mime_init();
}

static char *
mime_strndup(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static int
mime_grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	if ((nv = reallocarray(*v, nc, size)) == NULL)
		return -1;
	*v = nv;
	*cap = nc;
	return 0;
}

static int
mime_header(void *ctx, const char *name, size_t nlen, const char *value,
	    size_t vlen)
{
	struct mime_walk *w = ctx;
	struct sp_view *v = w->v;
	struct sp_header *h;
	struct buf raw;
	char *dec;

	if (mime_grow((void **)&v->headers, &w->cap_headers, v->nheaders,
		      sizeof(*v->headers)) < 0)
		return -1;
	h = &v->headers[v->nheaders];
	memset(h, 0, sizeof(*h));
	buf_init(&raw, (size_t)1 << 20);
	if ((h->name = mime_strndup(name, nlen)) == NULL ||
	    mt_unfold(value, vlen, &raw) < 0 ||
	    (h->raw = buf_steal(&raw)) == NULL) {
		free(h->name);
		buf_free(&raw);
		return -1;
	}
	v->nheaders++;
	if (strstr(h->raw, "=?") != NULL &&
	    (dec = g_mime_utils_header_decode_text(NULL, h->raw)) != NULL) {
		h->decoded = strdup(dec);
		g_free(dec);
	} else
		h->decoded = strdup(h->raw);
	return h->decoded == NULL ? -1 : 0;
}

/* SpamAssassin's hard-coded redirector (Util.pm uri_list_canonicalize):
 * in what follows the host of a normalised http(s) URI, the first
 * "http:" or "https:", its slashes, then up to '&' or '#', holding a dot,
 * is a URI of its own ("...?clickurl=http://211.167.74.101/mortg/").
 * Sets *off, *len to it in u (scheme included), or returns 0. */
static int
mime_redirect(const char *u, size_t *off, size_t *len)
{
	const char *p = strstr(u, "://"), *q;
	size_t i, e;

	if (p == NULL || (strncasecmp(u, "http", 4) != 0))
		return 0;
	for (p += 3; *p != '\0' && *p != '/' && *p != '?' && *p != '#'; p++)
		;
	for (; *p != '\0'; p++) {
		if (strncasecmp(p, "http:", 5) != 0 &&
		    strncasecmp(p, "https:", 6) != 0)
			continue;
		q = strchr(p, ':') + 1;
		for (i = 0; i < 2 && *q == '/'; i++)
			q++;
		for (e = 0; q[e] != '\0' && q[e] != '&' && q[e] != '#'; e++)
			;
		if (e == 0 || memchr(q, '.', e) == NULL)
			return 0;
		*off = (size_t)(p - u);
		*len = (size_t)(q - p) + e;
		return 1;
	}
	return 0;
}

static int mime_uri_add(struct mime_walk *w, const char *u, size_t n);

/* A URI found in the text: kept, then the URI it redirects to. */
static int
mime_uri(void *ctx, const char *u, size_t n)
{
	struct mime_walk *w = ctx;
	struct buf r;
	size_t before = w->v->nuris, off, len, sl;
	const char *t, *q;
	int rc;

	if (mime_uri_add(w, u, n) < 0)
		return -1;
	if (w->v->nuris == before)
		return 0;
	t = w->v->uris[before];
	if (!mime_redirect(t, &off, &len))
		return 0;
	/* "http:/x" and "http:x" become "http://x", as SpamAssassin's do */
	q = strchr(t + off, ':') + 1;
	sl = (size_t)(q - (t + off));
	while (q < t + off + len && *q == '/')
		q++;
	buf_init(&r, 0);
	if (buf_add(&r, t + off, sl) < 0 || buf_adds(&r, "//") < 0 ||
	    buf_add(&r, q, len - (size_t)(q - (t + off))) < 0) {
		buf_free(&r);
		return -1;
	}
	/* the target is shorter than its carrier: the recursion ends */
	rc = mime_uri(w, buf_str(&r), r.len);
	buf_free(&r);
	return rc;
}

static int
mime_uri_add(struct mime_walk *w, const char *u, size_t n)
{
	struct sp_view *v = w->v;
	struct buf norm, host;
	size_t i;
	int rc;

	if (v->nuris >= w->lim.max_uris) {
		v->truncated = 1;
		return 0;
	}
	buf_init(&norm, 8192);
	buf_init(&host, 1024);
	rc = mt_uri_normalise(u, n, &norm, &host);
	if (rc != 0) {
		buf_free(&norm);
		buf_free(&host);
		return 0; /* not a URI, or too long to keep */
	}
	for (i = 0; i < v->nuris; i++)
		if (strcmp(v->uris[i], buf_str(&norm)) == 0) {
			buf_free(&norm);
			buf_free(&host);
			return 0;
		}
	if (mime_grow((void **)&v->uris, &w->cap_uris, v->nuris,
		      sizeof(char *)) < 0)
		goto oom;
	{
		char **d =
		    reallocarray(v->uri_domains, w->cap_uris, sizeof(char *));

		if (d == NULL)
			goto oom;
		v->uri_domains = d;
	}
	v->uris[v->nuris] = buf_steal(&norm);
	v->uri_domains[v->nuris] = buf_steal(&host);
	if (v->uris[v->nuris] == NULL || v->uri_domains[v->nuris] == NULL) {
		free(v->uris[v->nuris]);
		free(v->uri_domains[v->nuris]);
		goto oom;
	}
	v->nuris++;
	return 0;
oom:
	buf_free(&norm);
	buf_free(&host);
	return -1;
}

/* Decodes a leaf's content (transfer encoding, then charset to UTF-8). */
static int
mime_decode(GMimePart *part, const char *charset, struct buf *out, size_t max)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *mem, *filt;
	GMimeFilter *cf = NULL;
	GByteArray *ba;
	int rc = 0;

	if (dw == NULL)
		return 0;
	mem = g_mime_stream_mem_new();
	filt = g_mime_stream_filter_new(mem);
	if (charset != NULL && strcasecmp(charset, "utf-8") != 0 &&
	    strcasecmp(charset, "us-ascii") != 0 &&
	    (cf = g_mime_filter_charset_new(charset, "UTF-8")) != NULL) {
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(filt), cf);
		g_object_unref(cf);
	}
	if (g_mime_data_wrapper_write_to_stream(dw, filt) < 0)
		rc = 1; /* keep what was decoded */
	g_mime_stream_flush(filt);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (ba != NULL && ba->len > 0 &&
	    buf_add(out, ba->data, ba->len > max ? max : ba->len) < 0)
		rc = -1;
	else if (ba != NULL && ba->len > max)
		rc = 2;
	g_object_unref(filt);
	g_object_unref(mem);
	return rc;
}

static int
mime_add_part(struct mime_walk *w, struct sp_part *sp)
{
	struct sp_view *v = w->v;

	if (mime_grow((void **)&v->parts, &w->cap_parts, v->nparts,
		      sizeof(*v->parts)) < 0)
		return -1;
	v->parts[v->nparts++] = *sp;
	return 0;
}

static void
mime_part_free(struct sp_part *p)
{
	free(p->content_type);
	free(p->text);
	free(p->filename);
	free(p->html);
	free(p->charset);
	free(p->cte);
	free(p->headers);
}

static char *
mime_lower_dup(const char *s)
{
	char *d, *q;

	if (s == NULL || (d = strdup(s)) == NULL)
		return NULL;
	for (q = d; *q; q++)
		*q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
	return d;
}

/* The Content-* fields of a header list as g_mime_header_list_to_string
 * writes them (CRLF kept where the message has it; mt_lf_lines makes it
 * LF): what a message's top part holds when GMime parses the message
 * as a message, the other fields being the message's. g_free()d. */
static char *
mime_content_fields(GMimeHeaderList *hl)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *ba;
	char *s;
	int i, n = g_mime_header_list_get_count(hl);

	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);

		if (g_ascii_strncasecmp(g_mime_header_get_name(h), "Content-",
					8) == 0)
			(void)g_mime_header_write_to_stream(h, NULL, mem);
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	s = ba != NULL && ba->len > 0
		? g_strndup((const char *)ba->data, ba->len)
		: g_strdup("");
	g_object_unref(mem);
	return s;
}

/* What the evals read of a part: charset, transfer encoding, headers,
 * where it sits. */
static int
mime_part_meta(struct mime_walk *w, GMimeObject *obj, struct sp_part *sp)
{
	const char *cs =
	    g_mime_object_get_content_type_parameter(obj, "charset");
	const char *te =
	    g_mime_object_get_header(obj, "Content-Transfer-Encoding");
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	char *hs;

	sp->depth = w->depth;
	sp->alt_group = w->alt;
	sp->in_alternative = w->alt != 0;
	if ((cs != NULL && (sp->charset = mime_lower_dup(cs)) == NULL) ||
	    (te != NULL && (sp->cte = mime_lower_dup(te)) == NULL))
		return -1;
	if (hl != NULL && (hs = w->depth == 0 ? mime_content_fields(hl)
					      : g_mime_header_list_to_string(
						    hl, NULL)) != NULL) {
		struct buf u;

		buf_init(&u, (size_t)1 << 20);
		/* folds kept, one field per line: the value is cut and
		 * unfolded as SpamAssassin's get_header or raw_header does,
		 * by the eval that reads it (ev_mime.c) */
		if (mt_lf_lines(hs, strlen(hs), &u) == 0)
			sp->headers = buf_steal(&u);
		buf_free(&u);
		g_free(hs);
	}
	return 0;
}

/* ---- image sizes, as SpamAssassin's ImageInfo reads them ---- */

static unsigned
img_be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned
img_be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 |
	       (unsigned)p[2] << 8 | p[3];
}

static int
img_jpeg(const unsigned char *p, size_t n, unsigned *w, unsigned *h)
{
	size_t pos = 2;

	if (n < 2 || p[0] != 0xff || p[1] != 0xd8)
		return -1;
	while (pos + 4 <= n) {
		unsigned mark = p[pos + 1], len = img_be16(p + pos + 2);

		if (p[pos] != 0xff || mark == 0xda || mark == 0xd9 || len < 2)
			return -1;
		pos += 4;
		if ((mark >= 0xc0 && mark <= 0xc3) ||
		    (mark >= 0xc5 && mark <= 0xc7) ||
		    (mark >= 0xc9 && mark <= 0xcb) ||
		    (mark >= 0xcd && mark <= 0xcf)) {
			if (pos + 5 > n)
				return -1;
			*h = img_be16(p + pos + 1);
			*w = img_be16(p + pos + 3);
			return 0;
		}
		pos += len - 2;
	}
	return -1;
}

int
sp_image_dims(const unsigned char *p, size_t n, int type, unsigned *w,
	      unsigned *h)
{
	*w = *h = 0;
	if (type == SP_IMG_GIF) {
		if (n < 10 || memcmp(p, "GIF8", 4) != 0 ||
		    (p[4] != '7' && p[4] != '9') || p[5] != 'a')
			return -1;
		*w = p[6] | (unsigned)p[7] << 8;
		*h = p[8] | (unsigned)p[9] << 8;
	} else if (type == SP_IMG_PNG) {
		if (n < 24 || memcmp(p, "\x89PNG\r\n\x1a\n", 8) != 0 ||
		    memcmp(p + 12, "IHDR", 4) != 0 || img_be32(p + 8) != 13)
			return -1;
		*w = img_be32(p + 16);
		*h = img_be32(p + 20);
	} else if (type == SP_IMG_JPEG) {
		if (img_jpeg(p, n, w, h) < 0)
			return -1;
	} else
		return -1;
	return *w > 0 && *h > 0 ? 0 : -1;
}

/* ImageInfo: a GIF/PNG/JPEG part sent in base64 gets its size, read
 * from at most the first 256 KiB decoded (JPEG's frame header comes
 * before the scan data). */
static int
mime_image(GMimePart *part, struct sp_part *sp)
{
	const char *t = sp->content_type;
	struct buf dec;
	int rc;

	if (sp->cte == NULL || strcmp(sp->cte, "base64") != 0 ||
	    strncmp(t, "image/", 6) != 0)
		return 0;
	t += 6;
	sp->img_type = strcmp(t, "gif") == 0   ? SP_IMG_GIF
		       : strcmp(t, "png") == 0 ? SP_IMG_PNG
		       : strcmp(t, "jpeg") == 0 || strcmp(t, "jpg") == 0
			   ? SP_IMG_JPEG
			   : SP_IMG_NONE;
	if (sp->img_type == SP_IMG_NONE)
		return 0;
	buf_init(&dec, 0);
	if ((rc = mime_decode(part, NULL, &dec, (size_t)256 << 10)) < 0) {
		buf_free(&dec);
		return -1;
	}
	(void)sp_image_dims((const unsigned char *)buf_str(&dec), dec.len,
			    sp->img_type, &sp->img_w, &sp->img_h);
	buf_free(&dec);
	return 0;
}

/* A leaf: record it; decode it if it is text. */
static int
mime_leaf(struct mime_walk *w, GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimePart *part = GMIME_PART(obj);
	struct sp_part sp;
	struct buf dec, txt;
	const char *fn, *cs;
	char *mt;
	GMimeDataWrapper *dw;
	size_t left;
	int rc;

	memset(&sp, 0, sizeof(sp));
	mt = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	sp.content_type = mime_strndup(mt ? mt : "text/plain",
				       strlen(mt ? mt : "text/plain"));
	g_free(mt);
	if (sp.content_type == NULL)
		return -1;
	for (mt = sp.content_type; *mt; mt++)
		*mt = (char)(*mt >= 'A' && *mt <= 'Z' ? *mt + 32 : *mt);
	if ((fn = g_mime_part_get_filename(part)) != NULL &&
	    (sp.filename = strdup(fn)) == NULL)
		goto oom;
	dw = g_mime_part_get_content(part);
	if (dw != NULL && g_mime_data_wrapper_get_stream(dw) != NULL) {
		gint64 l =
		    g_mime_stream_length(g_mime_data_wrapper_get_stream(dw));

		sp.raw_size = l > 0 ? (size_t)l : 0;
	}
	sp.is_html = strcmp(sp.content_type, "text/html") == 0;
	if (mime_part_meta(w, obj, &sp) < 0 || mime_image(part, &sp) < 0)
		goto oom;
	/* Text with a filename is text too: SpamAssassin's Message.pm
	 * renders every text/plain and text/html leaf, attachment or not. */
	if (strncmp(sp.content_type, "text/", 5) != 0)
		return mime_add_part(w, &sp) < 0 ? (mime_part_free(&sp), -1)
						 : 0;
	left = w->lim.max_decoded - w->decoded;
	if (left == 0) {
		w->v->truncated = 1;
		return mime_add_part(w, &sp) < 0 ? (mime_part_free(&sp), -1)
						 : 0;
	}
	cs = g_mime_object_get_content_type_parameter(obj, "charset");
	buf_init(&dec, 0);
	buf_init(&txt, 0);
	rc = mime_decode(part, cs, &dec, left);
	if (rc < 0)
		goto oom_bufs;
	if (rc == 2)
		w->v->truncated = 1;
	w->decoded += dec.len;
	if (buf_add(&w->rawbody, buf_str(&dec), dec.len) < 0 ||
	    buf_addc(&w->rawbody, '\n') < 0)
		goto oom_bufs;
	if (sp.is_html) {
		if (mt_html_text(buf_str(&dec), dec.len, &txt, mime_uri, w) <
			0 ||
		    (sp.html = mime_strndup(buf_str(&dec), dec.len)) == NULL)
			goto oom_bufs;
		sp.html_len = dec.len;
	} else if (buf_add(&txt, buf_str(&dec), dec.len) < 0)
		goto oom_bufs;
	if (mt_text_uris(buf_str(&txt), txt.len, mime_uri, w) < 0 ||
	    mt_paragraphs(buf_str(&txt), txt.len, &w->body) < 0)
		goto oom_bufs;
	sp.text_len = txt.len;
	if ((sp.text = buf_steal(&txt)) == NULL)
		goto oom_bufs;
	buf_free(&dec);
	if (mime_add_part(w, &sp) < 0)
		goto oom;
	return 0;
oom_bufs:
	buf_free(&dec);
	buf_free(&txt);
oom:
	mime_part_free(&sp);
	return -1;
}

static int
mime_walk(struct mime_walk *w, GMimeObject *obj, size_t depth)
{
	int i, n;

	if (obj == NULL)
		return 0;
	if (depth > w->lim.max_depth || w->v->nparts >= w->lim.max_parts) {
		w->v->truncated = 1;
		return 0;
	}
	w->depth = (int)depth;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		int alt = w->alt;

		if (ct != NULL &&
		    g_mime_content_type_is_type(ct, "multipart", "alternative"))
			w->alt = ++w->nalt;
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n; i++)
			if (mime_walk(w,
				      g_mime_multipart_get_part(
					  GMIME_MULTIPART(obj), i),
				      depth + 1) < 0)
				return -1;
		w->alt = alt;
		return 0;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		return m ? mime_walk(w, g_mime_message_get_mime_part(m),
				     depth + 1)
			 : 0;
	}
	if (GMIME_IS_PART(obj))
		return mime_leaf(w, obj);
	return 0;
}

/* Not MIME at all: the raw body is the one text part. */
static int
mime_fallback(struct mime_walk *w)
{
	struct sp_view *v = w->v;
	struct sp_part sp;
	size_t n = v->raw_len - v->body_off;

	memset(&sp, 0, sizeof(sp));
	if (n > w->lim.max_decoded) {
		n = w->lim.max_decoded;
		v->truncated = 1;
	}
	if ((sp.content_type = strdup("text/plain")) == NULL ||
	    (sp.text = mime_strndup(v->raw + v->body_off, n)) == NULL) {
		free(sp.content_type);
		return -1;
	}
	sp.text_len = n;
	sp.raw_size = n;
	if (mime_add_part(w, &sp) < 0) {
		free(sp.content_type);
		free(sp.text);
		return -1;
	}
	if (buf_add(&w->rawbody, sp.text, n) < 0 ||
	    mt_text_uris(sp.text, n, mime_uri, w) < 0 ||
	    mt_paragraphs(sp.text, n, &w->body) < 0)
		return -1;
	return 0;
}

/* The first line is a header field GMime takes as one: a name of
 * printable ASCII without blanks, then ':'. */
static int
mime_first_field_ok(const char *raw, size_t len)
{
	size_t i;

	for (i = 0; i < len && raw[i] != ':'; i++)
		if ((unsigned char)raw[i] <= 0x20 ||
		    (unsigned char)raw[i] >= 0x7f)
			return 0;
	return i > 0 && i < len;
}

static int
mime_gmime(struct mime_walk *w)
{
	GMimeStream *s;
	GMimeParser *p;
	GMimeMessage *m = NULL;
	GMimeObject *top;
	int rc;

	s = g_mime_stream_mem_new_with_buffer(w->v->raw, w->v->raw_len);
	p = g_mime_parser_new_with_stream(s);
	/* A message that starts with a header field parses to the same
	 * top part as a part as it does as a message, with the message's
	 * own fields in it too (mime_part_meta keeps the Content-* ones):
	 * GMimeMessage's work on From, To, Cc, Date... is skipped, which
	 * facteur reads from the raw header (mt_headers). Anything else
	 * (an mbox From line, no header, garbage) goes through the
	 * message parser as before: it refuses some of it. */
	if (mime_first_field_ok(w->v->raw, w->v->raw_len))
		top = g_mime_parser_construct_part(p, NULL);
	else if ((m = g_mime_parser_construct_message(p, NULL)) != NULL)
		top = g_mime_message_get_mime_part(m);
	else
		top = NULL;
	g_object_unref(p);
	g_object_unref(s);
	if (top == NULL && m == NULL)
		return 1;
	rc = mime_walk(w, top, 0);
	if (m != NULL)
		g_object_unref(m);
	else
		g_object_unref(top);
	return rc;
}

int
sp_view_parse(const char *raw, size_t len, const struct sp_limits *lim,
	      struct sp_view *out, char *err, size_t errlen)
{
	struct mime_walk w;
	const struct sp_header *subj;
	int rc;

	pthread_once(&mime_once, mime_init);
	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.v = out;
	if (lim != NULL)
		w.lim = *lim;
	w.lim.max_parts = w.lim.max_parts ? w.lim.max_parts : 100;
	w.lim.max_depth = w.lim.max_depth ? w.lim.max_depth : 20;
	w.lim.max_decoded =
	    w.lim.max_decoded ? w.lim.max_decoded : (size_t)4 << 20;
	w.lim.max_uris = w.lim.max_uris ? w.lim.max_uris : 1000;
	buf_init(&w.body, 0);
	buf_init(&w.rawbody, 0);
	out->raw = raw;
	out->raw_len = len;
	if (mt_headers(raw, len, 0, mime_header, &w, &out->body_off) < 0)
		goto oom;
	subj = sp_view_header(out, "Subject");
	if (subj != NULL && (buf_adds(&w.body, subj->decoded) < 0 ||
			     buf_addc(&w.body, '\n') < 0))
		goto oom;
	rc = mime_gmime(&w);
	if (rc < 0)
		goto oom;
	if (rc > 0 || out->nparts == 0) {
		if (rc > 0)
			snprintf(err, errlen, "not parseable as MIME");
		if (mime_fallback(&w) < 0)
			goto oom;
	}
	out->body_text_len = w.body.len;
	out->rawbody_text_len = w.rawbody.len;
	if (buf_add(&w.body, "", 0) < 0 || buf_add(&w.rawbody, "", 0) < 0 ||
	    (out->body_text = buf_steal(&w.body)) == NULL ||
	    (out->rawbody_text = buf_steal(&w.rawbody)) == NULL)
		goto oom;
	return rc > 0 ? -1 : 0;
oom:
	snprintf(err, errlen, "out of memory");
	buf_free(&w.body);
	buf_free(&w.rawbody);
	if (out->body_text == NULL && (out->body_text = strdup("")) != NULL)
		out->body_text_len = 0;
	if (out->rawbody_text == NULL &&
	    (out->rawbody_text = strdup("")) != NULL)
		out->rawbody_text_len = 0;
	return -1;
}

void
sp_view_clear(struct sp_view *v)
{
	size_t i;

	for (i = 0; i < v->nheaders; i++) {
		free(v->headers[i].name);
		free(v->headers[i].raw);
		free(v->headers[i].decoded);
	}
	for (i = 0; i < v->nparts; i++)
		mime_part_free(&v->parts[i]);
	for (i = 0; i < v->nuris; i++) {
		free(v->uris[i]);
		free(v->uri_domains[i]);
	}
	for (i = 0; i < v->npseudo; i++) {
		free(v->pseudo[i].name);
		free(v->pseudo[i].raw);
		free(v->pseudo[i].decoded);
	}
	free(v->pseudo);
	free(v->headers);
	free(v->parts);
	free(v->uris);
	free(v->uri_domains);
	free(v->body_text);
	free(v->rawbody_text);
	memset(v, 0, sizeof(*v));
}

const struct sp_header *
sp_view_header(const struct sp_view *v, const char *name)
{
	size_t i;
	int c0 = name[0] | 0x20;

	/* first bytes equal ignoring case are equal once | 0x20: a cheap
	 * test that never refuses a name strcasecmp would take */
	for (i = 0; i < v->nheaders; i++)
		if ((v->headers[i].name[0] | 0x20) == c0 &&
		    strcasecmp(v->headers[i].name, name) == 0)
			return &v->headers[i];
	return NULL;
}
