/* lib/spam/ev_htmlstyle.c - the text style HTML.pm tracks for its
 * invisible-text tests: a stack of (foreground, background, size) pushed
 * by the style tags and popped by their end tags, colours read as
 * name_to_rgb() reads them, and html_font_invisible()'s low-contrast and
 * invalid-colour results. Pure; bounded stack. */
#include "ev_htmlstyle.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	unsigned rgb;
} evs_colors[] = {
    {"aliceblue", 0xf0f8ff},
    {"antiquewhite", 0xfaebd7},
    {"aqua", 0x00ffff},
    {"aquamarine", 0x7fffd4},
    {"azure", 0xf0ffff},
    {"beige", 0xf5f5dc},
    {"bisque", 0xffe4c4},
    {"black", 0x000000},
    {"blanchedalmond", 0xffebcd},
    {"blue", 0x0000ff},
    {"blueviolet", 0x8a2be2},
    {"brown", 0xa52a2a},
    {"burlywood", 0xdeb887},
    {"cadetblue", 0x5f9ea0},
    {"chartreuse", 0x7fff00},
    {"chocolate", 0xd2691e},
    {"coral", 0xff7f50},
    {"cornflowerblue", 0x6495ed},
    {"cornsilk", 0xfff8dc},
    {"crimson", 0xdc143c},
    {"cyan", 0x00ffff},
    {"darkblue", 0x00008b},
    {"darkcyan", 0x008b8b},
    {"darkgoldenrod", 0xb8860b},
    {"darkgray", 0xa9a9a9},
    {"darkgreen", 0x006400},
    {"darkgrey", 0xa9a9a9},
    {"darkkhaki", 0xbdb76b},
    {"darkmagenta", 0x8b008b},
    {"darkolivegreen", 0x556b2f},
    {"darkorange", 0xff8c00},
    {"darkorchid", 0x9932cc},
    {"darkred", 0x8b0000},
    {"darksalmon", 0xe9967a},
    {"darkseagreen", 0x8fbc8f},
    {"darkslateblue", 0x483d8b},
    {"darkslategray", 0x2f4f4f},
    {"darkslategrey", 0x2f4f4f},
    {"darkturquoise", 0x00ced1},
    {"darkviolet", 0x9400d3},
    {"deeppink", 0xff1493},
    {"deepskyblue", 0x00bfff},
    {"dimgray", 0x696969},
    {"dimgrey", 0x696969},
    {"dodgerblue", 0x1e90ff},
    {"firebrick", 0xb22222},
    {"floralwhite", 0xfffaf0},
    {"forestgreen", 0x228b22},
    {"fuchsia", 0xff00ff},
    {"gainsboro", 0xdcdcdc},
    {"ghostwhite", 0xf8f8ff},
    {"gold", 0xffd700},
    {"goldenrod", 0xdaa520},
    {"gray", 0x808080},
    {"green", 0x008000},
    {"greenyellow", 0xadff2f},
    {"grey", 0x808080},
    {"honeydew", 0xf0fff0},
    {"hotpink", 0xff69b4},
    {"indianred", 0xcd5c5c},
    {"indigo", 0x4b0082},
    {"ivory", 0xfffff0},
    {"khaki", 0xf0e68c},
    {"lavender", 0xe6e6fa},
    {"lavenderblush", 0xfff0f5},
    {"lawngreen", 0x7cfc00},
    {"lemonchiffon", 0xfffacd},
    {"lightblue", 0xadd8e6},
    {"lightcoral", 0xf08080},
    {"lightcyan", 0xe0ffff},
    {"lightgoldenrodyellow", 0xfafad2},
    {"lightgray", 0xd3d3d3},
    {"lightgreen", 0x90ee90},
    {"lightgrey", 0xd3d3d3},
    {"lightpink", 0xffb6c1},
    {"lightsalmon", 0xffa07a},
    {"lightseagreen", 0x20b2aa},
    {"lightskyblue", 0x87cefa},
    {"lightslategray", 0x778899},
    {"lightslategrey", 0x778899},
    {"lightsteelblue", 0xb0c4de},
    {"lightyellow", 0xffffe0},
    {"lime", 0x00ff00},
    {"limegreen", 0x32cd32},
    {"linen", 0xfaf0e6},
    {"magenta", 0xff00ff},
    {"maroon", 0x800000},
    {"mediumaquamarine", 0x66cdaa},
    {"mediumblue", 0x0000cd},
    {"mediumorchid", 0xba55d3},
    {"mediumpurple", 0x9370db},
    {"mediumseagreen", 0x3cb371},
    {"mediumslateblue", 0x7b68ee},
    {"mediumspringgreen", 0x00fa9a},
    {"mediumturquoise", 0x48d1cc},
    {"mediumvioletred", 0xc71585},
    {"midnightblue", 0x191970},
    {"mintcream", 0xf5fffa},
    {"mistyrose", 0xffe4e1},
    {"moccasin", 0xffe4b5},
    {"navajowhite", 0xffdead},
    {"navy", 0x000080},
    {"oldlace", 0xfdf5e6},
    {"olive", 0x808000},
    {"olivedrab", 0x6b8e23},
    {"orange", 0xffa500},
    {"orangered", 0xff4500},
    {"orchid", 0xda70d6},
    {"palegoldenrod", 0xeee8aa},
    {"palegreen", 0x98fb98},
    {"paleturquoise", 0xafeeee},
    {"palevioletred", 0xdb7093},
    {"papayawhip", 0xffefd5},
    {"peachpuff", 0xffdab9},
    {"peru", 0xcd853f},
    {"pink", 0xffc0cb},
    {"plum", 0xdda0dd},
    {"powderblue", 0xb0e0e6},
    {"purple", 0x800080},
    {"red", 0xff0000},
    {"rosybrown", 0xbc8f8f},
    {"royalblue", 0x4169e1},
    {"saddlebrown", 0x8b4513},
    {"salmon", 0xfa8072},
    {"sandybrown", 0xf4a460},
    {"seagreen", 0x2e8b57},
    {"seashell", 0xfff5ee},
    {"sienna", 0xa0522d},
    {"silver", 0xc0c0c0},
    {"skyblue", 0x87ceeb},
    {"slateblue", 0x6a5acd},
    {"slategray", 0x708090},
    {"slategrey", 0x708090},
    {"snow", 0xfffafa},
    {"springgreen", 0x00ff7f},
    {"steelblue", 0x4682b4},
    {"tan", 0xd2b48c},
    {"teal", 0x008080},
    {"thistle", 0xd8bfd8},
    {"tomato", 0xff6347},
    {"turquoise", 0x40e0d0},
    {"violet", 0xee82ee},
    {"wheat", 0xf5deb3},
    {"white", 0xffffff},
    {"whitesmoke", 0xf5f5f5},
    {"yellow", 0xffff00},
    {"yellowgreen", 0x9acd32},
};

/* HTML.pm's name_to_rgb(): "#rrggbb" or "invalid". */
void
evs_rgb(const char *in, char *out, size_t outlen)
{
	char c[64], hex[16];
	size_t n = 0, i, lo = 0,
	       hi = sizeof(evs_colors) / sizeof(evs_colors[0]);
	int r, g, b;

	while (isspace((unsigned char)*in))
		in++;
	for (; in[n] && n < sizeof(c) - 1; n++)
		c[n] = (char)tolower((unsigned char)in[n]);
	while (n > 0 && isspace((unsigned char)c[n - 1]))
		n--;
	c[n] = '\0';
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int k = strcmp(c, evs_colors[mid].name);

		if (k == 0) {
			snprintf(out, outlen, "#%06x", evs_colors[mid].rgb);
			return;
		}
		if (k < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (sscanf(c, "rgb(%d%%,%d%%,%d%%)", &r, &g, &b) == 3)
		snprintf(c, sizeof(c), "#%02x%02x%02x", r * 255 / 100 & 0xff,
			 g * 255 / 100 & 0xff, b * 255 / 100 & 0xff);
	else if (sscanf(c, "rgb(%d,%d,%d)", &r, &g, &b) == 3)
		snprintf(c, sizeof(c), "#%02x%02x%02x", r & 0xff, g & 0xff,
			 b & 0xff);
	if (c[0] != '#' || strspn(c, "#0123456789abcdef") != strlen(c)) {
		snprintf(out, outlen, "invalid");
		return;
	}
	for (i = 1, n = 0; c[i] && n < 6; i++)
		if (isxdigit((unsigned char)c[i]))
			hex[n++] = c[i];
	if (n > 3 && n < 6)
		n = 3;
	while (n % 3 != 0 && n < 6)
		hex[n++] = '0';
	hex[n < sizeof(hex) ? n : sizeof(hex) - 1] = '\0';
	if (n == 3)
		snprintf(out, outlen, "#%c%c%c%c%c%c", hex[0], hex[0], hex[1],
			 hex[1], hex[2], hex[2]);
	else
		snprintf(out, outlen, "#%s", hex);
}

static int
evs_is_style_tag(const char *t)
{
	static const char *const tags[] = {
	    "body",	"font",	   "table", "tr", "td",	 "th", "big", "small",
	    "basefont", "marquee", "span",  "p",  "div", "a",  NULL};
	size_t i;

	for (i = 0; tags[i] != NULL; i++)
		if (strcmp(tags[i], t) == 0)
			return 1;
	return 0;
}

void
evs_init(struct evs_stack *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->v[0].fg, sizeof(s->v[0].fg), "#000000");
	snprintf(s->v[0].bg, sizeof(s->v[0].bg), "#ffffff");
	s->v[0].size = 3;
	s->n = 1;
	s->basefont = 3;
}

/* style="color: x; background-color: y; display: none" */
static void
evs_css(struct evs_style *st, const struct evs_style *parent, const char *css)
{
	char decl[256], val[128];
	const char *p = css;

	while (*p) {
		size_t n = strcspn(p, ";"), k;
		char *colon, *v, *e;

		snprintf(decl, sizeof(decl), "%.*s", (int)(n < 255 ? n : 255),
			 p);
		p += n + (p[n] == ';');
		if ((colon = strchr(decl, ':')) == NULL)
			continue;
		*colon = '\0';
		for (v = colon + 1; isspace((unsigned char)*v); v++)
			;
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]);
		     e--)
			;
		*e = '\0';
		for (k = 0; v[k] && k < sizeof(val) - 1; k++)
			val[k] = (char)tolower((unsigned char)v[k]);
		val[k] = '\0';
		if ((e = strstr(val, "!important")) != NULL) {
			*e = '\0';
			while (e > val && isspace((unsigned char)e[-1]))
				*--e = '\0';
		}
		for (v = decl; isspace((unsigned char)*v); v++)
			;
		if (strcasecmp(v, "color") == 0 ||
		    strcasecmp(v, "background-color") == 0) {
			char *dst =
			    strcasecmp(v, "color") == 0 ? st->fg : st->bg;

			if (strcmp(val, "inherit") == 0)
				continue;
			if (strcmp(val, "transparent") == 0)
				snprintf(dst, sizeof(st->fg), "transparent");
			else
				evs_rgb(val, dst, sizeof(st->fg));
		} else if (strcasecmp(v, "display") == 0)
			st->hidden |= strcmp(val, "none") == 0;
		else if (strcasecmp(v, "visibility") == 0)
			st->hidden |= strcmp(val, "hidden") == 0;
	}
	if (strcmp(st->bg, "transparent") == 0)
		memcpy(st->bg, parent->bg, sizeof(st->bg));
	if (strcmp(st->fg, "transparent") == 0)
		memcpy(st->fg, st->bg, sizeof(st->fg));
}

void
evs_open(struct evs_stack *s, const char *tag, const char *color,
	 const char *size, const char *css)
{
	struct evs_style *st;
	const struct evs_style *top = &s->v[s->n - 1];

	if (strcmp(tag, "th") == 0)
		tag = "td";
	if (!evs_is_style_tag(tag))
		return;
	if (strcmp(tag, "basefont") == 0) {
		if (size != NULL && isdigit((unsigned char)*size))
			s->basefont = atoi(size);
		return;
	}
	if (s->n >= EVS_MAX_DEPTH)
		return;
	st = &s->v[s->n++];
	*st = *top;
	snprintf(st->tag, sizeof(st->tag), "%s", tag);
	st->hidden = 0;
	if (strcmp(tag, "big") == 0 || strcmp(tag, "small") == 0) {
		st->size += tag[0] == 'b' ? 1 : -1;
		return;
	}
	if (color != NULL)
		evs_rgb(color, st->fg, sizeof(st->fg));
	if (size != NULL) {
		while (isspace((unsigned char)*size))
			size++;
		if ((*size == '+' || *size == '-') &&
		    isdigit((unsigned char)size[1]))
			st->size = s->basefont + atoi(size);
		else if (isdigit((unsigned char)*size))
			st->size = atoi(size);
	}
	if (css != NULL)
		evs_css(st, top, css);
	st->hidden |= top->hidden;
}

void
evs_close(struct evs_stack *s, const char *tag)
{
	size_t i;

	if (strcmp(tag, "th") == 0)
		tag = "td";
	if (strcmp(tag, "body") == 0 || !evs_is_style_tag(tag))
		return;
	for (i = s->n; i-- > 1;)
		if (strcmp(s->v[i].tag, tag) == 0) {
			s->n = i;
			return;
		}
}

/* html_font_invisible(): 1 invisible; sets *low / *invalid. */
static int
evs_hexd(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* "#rrggbb" (the form evs_rgb writes) into its three bytes; 0 if s is
 * not that. What sscanf "#%2x%2x%2x" read, without its cost per text
 * chunk. */
int
evs_hex6(const char *s, unsigned *r, unsigned *g, unsigned *b)
{
	unsigned v[3];
	size_t i;

	if (s[0] != '#')
		return 0;
	for (i = 0; i < 3; i++) {
		int hi = evs_hexd(s[1 + 2 * i]), lo;

		if (hi < 0 || (lo = evs_hexd(s[2 + 2 * i])) < 0)
			return 0;
		v[i] = (unsigned)(hi * 16 + lo);
	}
	*r = v[0];
	*g = v[1];
	*b = v[2];
	return 1;
}

int
evs_invisible(const struct evs_stack *s, int *low, int *invalid)
{
	const struct evs_style *t = &s->v[s->n - 1];
	size_t fl = strlen(t->fg), bl = strlen(t->bg);
	unsigned r1, g1, b1, r2, g2, b2;

	if (strcmp(t->fg + (fl > 6 ? fl - 6 : 0),
		   t->bg + (bl > 6 ? bl - 6 : 0)) == 0) {
		*low = 1;
		return 1;
	}
	if (fl == 7 && bl == 7 && evs_hex6(t->fg, &r1, &g1, &b1) &&
	    evs_hex6(t->bg, &r2, &g2, &b2)) {
		double r = (double)r1 - r2, g = (double)g1 - g2,
		       b = (double)b1 - b2;
		double d = (0.2126 * r) * (0.2126 * r) +
			   (0.7152 * g) * (0.7152 * g) +
			   (0.0722 * b) * (0.0722 * b);

		if (d < 144.0) {
			*low = 1;
			return 1;
		}
	}
	if (strcmp(t->fg, "invalid") == 0 || strcmp(t->bg, "invalid") == 0) {
		*invalid = 1;
		return 1;
	}
	return t->size <= 1 || t->hidden;
}
