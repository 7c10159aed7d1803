/* milters/spam/ev_image.c - ImageInfo's functions (SpamAssassin 4.0
 * Plugin/ImageInfo.pm): the sizes of the GIF, PNG and JPEG parts sent in
 * base64, their count and pixel area per type, their names, and the ratio
 * of text to image area. sp_image_dims() reads a decoded image's header
 * as ImageInfo.pm does; pure and bounded by the buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ev_int.h"
#include "msgview.h"
#include "rules.h"

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
		if ((mark >= 0xc0 && mark <= 0xc3) || (mark >= 0xc5 &&
		    mark <= 0xc7) || (mark >= 0xc9 && mark <= 0xcb) ||
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
		if (n < 10 || memcmp(p, "GIF8", 4) != 0 || (p[4] != '7' &&
		    p[4] != '9') || p[5] != 'a')
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

static int
img_type(const char *name)
{
	return strcmp(name, "gif") == 0 ? SP_IMG_GIF : strcmp(name, "png") ==
	    0 ? SP_IMG_PNG : strcmp(name, "jpeg") == 0 ? SP_IMG_JPEG :
	    strcmp(name, "all") == 0 ? -1 : 0;
}

/* Count and pixel area of the images of type t (-1: all). */
static void
img_sum(const struct sp_evctx *c, int t, double *count, double *area)
{
	size_t i;

	*count = *area = 0;
	for (i = 0; i < c->v->nparts; i++) {
		const struct sp_part *p = &c->v->parts[i];

		if (p->img_type == 0 || (t > 0 && p->img_type != t))
			continue;
		*count += 1;
		*area += (double)p->img_w * (double)p->img_h;
	}
}

/* ImageInfo's result_check(). */
static int
img_check(double v, const struct sp_evcall *a, int imin, int nomaxequal)
{
	double min = sp_ev_num(a, imin, 0);
	int hasmax = a->argc > imin + 1;
	double max = sp_ev_num(a, imin + 1, 0);

	if (v < min || (hasmax && v > max))
		return 0;
	return !(nomaxequal && hasmax && v == max);
}

static int
ev_image_count(struct sp_evctx *c, const struct sp_evcall *a)
{
	double n, area;

	img_sum(c, img_type(a->argv[0]), &n, &area);
	return img_check(n, a, 1, 0);
}

static int
ev_pixel_coverage(struct sp_evctx *c, const struct sp_evcall *a)
{
	double n, area;

	img_sum(c, img_type(a->argv[0]), &n, &area);
	return img_check(area, a, 1, 0);
}

static int
ev_image_size_exact(struct sp_evctx *c, const struct sp_evcall *a)
{
	int t = img_type(a->argv[0]);
	double h = sp_ev_num(a, 1, -1), w = sp_ev_num(a, 2, -1);
	size_t i;

	for (i = 0; i < c->v->nparts; i++) {
		const struct sp_part *p = &c->v->parts[i];

		if (p->img_type != 0 && p->img_w > 0 && (t < 0 ||
		    p->img_type == t) && p->img_h == h && p->img_w == w)
			return 1;
	}
	return 0;
}

static int
ev_image_size_range(struct sp_evctx *c, const struct sp_evcall *a)
{
	int t = img_type(a->argv[0]);
	size_t i;

	for (i = 0; i < c->v->nparts; i++) {
		const struct sp_part *p = &c->v->parts[i];

		if (p->img_type == 0 || p->img_w == 0 || (t > 0 &&
		    p->img_type != t))
			continue;
		if (p->img_h < sp_ev_num(a, 1, 0) || p->img_w <
		    sp_ev_num(a, 2, 0))
			continue;
		if ((a->argc > 3 && p->img_h > sp_ev_num(a, 3, 0)) ||
		    (a->argc > 4 && p->img_w > sp_ev_num(a, 4, 0)))
			continue;
		return 1;
	}
	return 0;
}

static int
ev_image_named(struct sp_evctx *c, const struct sp_evcall *a)
{
	size_t i;

	for (i = 0; i < c->v->nparts; i++) {
		const struct sp_part *p = &c->v->parts[i];

		if (p->img_type != 0 && p->img_w > 0 && p->filename != NULL &&
		    strcmp(p->filename, a->argv[0]) == 0)
			return 1;
	}
	return 0;
}

/* The text the rule's type sees (body or raw body) per pixel. */
static int
ev_image_text_ratio(struct sp_evctx *c, const struct sp_evcall *a)
{
	double n, area, text = (double)(a->rtype == SP_R_RAWBODY ?
	    c->v->rawbody_text_len : c->v->body_text_len);

	img_sum(c, img_type(a->argv[0]), &n, &area);
	if (text <= 0 || area <= 0)
		return 0;
	return img_check(text / area, a, 1, 1);
}

static const char *const img_types[] = {"all", "gif", "png", "jpeg", NULL};

const struct sp_evdef ev_image_defs[] = {
	{"image_count", ev_image_count, 2, 3, img_types, 0},
	{"pixel_coverage", ev_pixel_coverage, 2, 3, img_types, 0},
	{"image_size_exact", ev_image_size_exact, 3, 3, img_types, 0},
	{"image_size_range", ev_image_size_range, 3, 5, img_types, 0},
	{"image_named", ev_image_named, 1, 1, NULL, 0},
	{"image_to_text_ratio", ev_image_text_ratio, 3, 3, img_types, 0},
	{NULL, NULL, 0, 0, NULL, 0},
};
