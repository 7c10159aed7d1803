/* lib/spam/ev_image.c - ImageInfo's functions (SpamAssassin 4.0
 * Plugin/ImageInfo.pm): the sizes of the GIF, PNG and JPEG parts sent in
 * base64, their count and pixel area per type, their names, and the ratio
 * of text to image area (the sizes: mime.c's sp_image_dims()). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ev_int.h"
#include "msgview.h"
#include "rules.h"

static int
img_type(const char *name)
{
	return strcmp(name, "gif") == 0	   ? SP_IMG_GIF
	       : strcmp(name, "png") == 0  ? SP_IMG_PNG
	       : strcmp(name, "jpeg") == 0 ? SP_IMG_JPEG
	       : strcmp(name, "all") == 0  ? -1
					   : 0;
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

		if (p->img_type != 0 && p->img_w > 0 &&
		    (t < 0 || p->img_type == t) && p->img_h == h &&
		    p->img_w == w)
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

		if (p->img_type == 0 || p->img_w == 0 ||
		    (t > 0 && p->img_type != t))
			continue;
		if (p->img_h < sp_ev_num(a, 1, 0) ||
		    p->img_w < sp_ev_num(a, 2, 0))
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
	double n, area,
	    text = (double)(a->rtype == SP_R_RAWBODY ? c->v->rawbody_text_len
						     : c->v->body_text_len);

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
