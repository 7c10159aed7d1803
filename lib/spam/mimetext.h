/* lib/spam/mimetext.h - pure text helpers of the MIME walk: the raw
 * header block, HTML reduced to text, URI extraction. No I/O, no GLib, no
 * statics; every output goes to a caller's struct buf or callback. */
#ifndef FACTEUR_SPAM_MIMETEXT_H
#define FACTEUR_SPAM_MIMETEXT_H

#include <stddef.h>

struct buf;

/* Called for each header field of the raw header block: name[0..nlen),
 * value[0..vlen) as received (folded, leading blanks of the first line
 * removed). Returns 0 to go on, -1 to stop with an error. */
typedef int (*mt_header_fn)(void *ctx, const char *name, size_t nlen,
			    const char *value, size_t vlen);

/* Walks the header block of raw[0..len): fields until the first empty
 * line. Lines without a colon are skipped (as MTAs do with junk).
 * *body_off is the offset of the body (len if there is none). 0 or -1
 * (the callback failed). At most max_fields fields (0 = 1000). */
__attribute__((warn_unused_result)) int mt_headers(const char *raw, size_t len,
						   size_t max_fields,
						   mt_header_fn fn, void *ctx,
						   size_t *body_off);

/* Unfolds v[0..n) into out: CRLF/LF followed by blanks becomes the blanks,
 * any other line end one '\n' (a block stays one field per line);
 * trailing CR/LF dropped. 0 or -1 (out full). */
__attribute__((warn_unused_result)) int mt_unfold(const char *v, size_t n,
						  struct buf *out);

/* Copies v[0..n) into out with each CRLF made LF, folds kept: a header
 * block as SpamAssassin keeps a MIME part's (Message.pm squashes CRLF).
 * 0 or -1 (out full). */
__attribute__((warn_unused_result)) int mt_lf_lines(const char *v, size_t n,
						    struct buf *out);

/* Called with each URI found (not normalised). 0 go on, -1 stop. */
typedef int (*mt_uri_fn)(void *ctx, const char *uri, size_t n);

/* Reduces HTML to text into out: tags removed (block tags become line
 * breaks), <script>, <style> and comments dropped, character references
 * decoded to UTF-8. href/src/action attribute values go to uri_fn (may be
 * NULL). 0 or -1 (out full / callback failed). */
__attribute__((warn_unused_result)) int mt_html_text(const char *p, size_t n,
						     struct buf *out,
						     mt_uri_fn uri_fn,
						     void *ctx);

/* Finds URIs in plain text: scheme://..., www.host..., and mailto:. 0 or
 * -1 (callback failed). */
__attribute__((warn_unused_result)) int mt_text_uris(const char *p, size_t n,
						     mt_uri_fn fn, void *ctx);

/* Normalises a URI into out ("http://host/path": scheme lowercased,
 * "www.x" given http://, trailing punctuation dropped, entities and
 * surrounding quotes/blanks removed) and its lowercased host (no userinfo,
 * no port) into host. Returns 0, or 1 if it is not a URI worth keeping
 * (no host, javascript:, cid:, #anchor), or -1 (a buffer full). */
__attribute__((warn_unused_result)) int
mt_uri_normalise(const char *u, size_t n, struct buf *out, struct buf *host);

/* Appends text t[0..n) for the "body" view: lines of a paragraph are
 * joined with a space, paragraphs end with one '\n', runs of blanks
 * collapse to one space, CR is dropped. 0 or -1 (out full). */
__attribute__((warn_unused_result)) int mt_paragraphs(const char *t, size_t n,
						      struct buf *out);

#endif
