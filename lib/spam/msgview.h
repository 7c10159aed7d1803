/* lib/spam/msgview.h - a message as the spam engine sees it.
 *
 * The MIME walker (mime.c, GMime) fills one struct sp_view from the raw
 * message: headers as received, decoded text of every text part (charset
 * converted to UTF-8, HTML reduced to text, QP/base64 undone), the raw
 * body, and the URIs found in text and HTML. The rule engine (rules.c) and
 * the Bayes tokenizer (bayes.c) only read it. Everything is owned by the
 * view and freed by sp_view_clear(). Not thread-shared: one per message. */
#ifndef FACTEUR_SPAM_MSGVIEW_H
#define FACTEUR_SPAM_MSGVIEW_H

#include <stddef.h>

struct sp_header {
	char *name;    /* as in the message */
	char *raw;     /* value as received, unfolded (CRLF WSP -> WSP) */
	char *decoded; /* RFC 2047 decoded to UTF-8 (== raw if nothing to
			  decode) */
};

struct sp_part {
	char *content_type; /* lowercase "text/plain", "text/html", ... */
	char *text;	    /* decoded UTF-8 text (HTML reduced), or NULL for
			       non-text parts */
	size_t text_len;
	size_t raw_size; /* encoded size in the message */
	char *filename;	 /* attachment name if any, UTF-8, or NULL */
	int is_html;
	/* Added for the evals (ev_*.c): */
	char *html; /* text/html parts: the decoded HTML, or NULL */
	size_t html_len;
	char *charset;	       /* charset parameter, lowercased, or NULL */
	char *cte;	       /* Content-Transfer-Encoding, lowercased, or
				  NULL */
	char *headers;	       /* the part's header block as received
				  (a field a line, folds kept, LF), or NULL */
	int depth;	       /* nesting depth of the part */
	int in_alternative;    /* a child of multipart/alternative */
	int alt_group;	       /* which multipart/alternative (1-based), 0 */
	int img_type;	       /* SP_IMG_*: a GIF/PNG/JPEG part in base64 */
	unsigned img_w, img_h; /* its size (ImageInfo.pm), 0 if unread */
};

enum { SP_IMG_NONE, SP_IMG_GIF, SP_IMG_PNG, SP_IMG_JPEG };

/* The width and height of a decoded image (type SP_IMG_*), read from its
 * header as SpamAssassin's ImageInfo does. 0 or -1. Pure. */
int sp_image_dims(const unsigned char *p, size_t n, int type, unsigned *w,
		  unsigned *h);

struct sp_limits {
	size_t max_parts;   /* 0 = 100 */
	size_t max_depth;   /* 0 = 20 (nested multiparts/message) */
	size_t max_decoded; /* total decoded text bytes; 0 = 4 MiB */
	size_t max_uris;    /* 0 = 1000 */
};

struct sp_view {
	struct sp_header *headers;
	size_t nheaders;
	struct sp_part *parts;
	size_t nparts;
	char *body_text; /* all text parts joined with "\n", the "body"
			    SpamAssassin rules see (subject line first) */
	size_t body_text_len;
	const char *raw; /* borrowed: the whole raw message */
	size_t raw_len;
	size_t body_off; /* offset of the raw body in raw */
	char **uris;	 /* normalised ("http://example.com/path") */
	size_t nuris;
	char **uri_domains; /* lowercased host of each uri, same index */
	int truncated;	    /* a limit cut the walk short */
	/* Added by mime.c's author: text parts decoded (transfer encoding,
	 * charset) but HTML kept as is, joined with "\n": what SpamAssassin's
	 * "rawbody" rules see. */
	char *rawbody_text;
	size_t rawbody_text_len;
	/* SpamAssassin's metadata headers (X-Spam-Relays-Untrusted...):
	 * header rules naming them see them, "ALL" and Bayes do not. Set
	 * by the engine after the parse; owned, freed by sp_view_clear. */
	struct sp_header *pseudo;
	size_t npseudo;
};

/* Parses raw[0..len). Returns 0 or -1 (ENOMEM / not parseable at all:
 * then the view still holds headers and the raw body as one text part). */
__attribute__((warn_unused_result)) int
sp_view_parse(const char *raw, size_t len, const struct sp_limits *lim,
	      struct sp_view *out, char *err, size_t errlen);
void sp_view_clear(struct sp_view *v);

/* First header of that name (case-insensitive), or NULL. */
const struct sp_header *sp_view_header(const struct sp_view *v,
				       const char *name);

#endif
