/* lib/spam/ev_htmlstyle.h - HTML.pm's text style stack (ev_html.c's
 * helper): colours, font size, display:none. Pure. */
#ifndef FACTEUR_SPAM_EV_HTMLSTYLE_H
#define FACTEUR_SPAM_EV_HTMLSTYLE_H

#include <stddef.h>

#define EVS_MAX_DEPTH 64

struct evs_style {
	char tag[16];
	char fg[16], bg[16]; /* "#rrggbb", "invalid" or "transparent" */
	int size;
	int hidden; /* display:none / visibility:hidden */
};

struct evs_stack {
	struct evs_style v[EVS_MAX_DEPTH];
	size_t n;
	int basefont;
};

void evs_rgb(const char *in, char *out, size_t outlen);
void evs_init(struct evs_stack *s);
/* A start tag: color/size/css are its attribute values or NULL. */
void evs_open(struct evs_stack *s, const char *tag, const char *color,
	      const char *size, const char *css);
void evs_close(struct evs_stack *s, const char *tag);
int evs_invisible(const struct evs_stack *s, int *low, int *invalid);
/* "#rrggbb" into its bytes: 1, or 0 if s is not that form. Pure. */
int evs_hex6(const char *s, unsigned *r, unsigned *g, unsigned *b);

#endif
