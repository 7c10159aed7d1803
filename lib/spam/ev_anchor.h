/* lib/spam/ev_anchor.h - the anchors of an HTML part (ev_html.c's
 * helper): each <a href>'s target and text, for URIEval's
 * check_https_ip_mismatch and HTTPSMismatch's check_https_http_mismatch
 * (SpamAssassin 4.0.1). Pure, bounded: fixed buffers, at most
 * EVA_MAXURIS distinct targets remembered. */
#ifndef FACTEUR_SPAM_EV_ANCHOR_H
#define FACTEUR_SPAM_EV_ANCHOR_H

#include <stddef.h>

#define EVA_MAXURIS 256

struct eva_state {
	char href[1024]; /* the open anchor's target, "" none */
	char text[1024]; /* its text so far (truncated) */
	size_t tlen;
	int open;
	unsigned long uris[EVA_MAXURIS]; /* hashes of the targets seen */
	size_t nuris;
	long anchors;	   /* distinct http(s) targets with a domain */
	int ip_mismatch;   /* an https: text on a numeric-IP target */
	int http_mismatch; /* an https://host text on another domain */
};

void eva_init(struct eva_state *a);
/* <a ...>: its tag text s[0..n) and href value (NULL when none). */
void eva_open(struct eva_state *a, const char *href);
void eva_text(struct eva_state *a, const char *s, size_t n);
/* </a>, or the end of the part. */
void eva_close(struct eva_state *a);

#endif
