/* admin/output.c - listings as an aligned table or a JSON array.
 *
 * One printer serves every listing: it is a store_row_fn, so it learns the
 * columns from the first row. JSON is streamed; the table is buffered to
 * align its columns. Database text is untrusted for the terminal: control
 * bytes print as '?' in tables and are escaped in JSON. */
#include "admin.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"

/* Columns whose values are integers: JSON numbers, not strings. */
static const char *const out_int_cols[] = {
    "is_default",     "active", "uid",	   "gid", "quota_bytes",
    "quota_messages", "code",	"created", "id",  NULL,
};

static int
out_in(const char *const *list, const char *name)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

static int
out_is_int(const char *v)
{
	size_t i = (v[0] == '-');

	if (v[i] == '\0' || strlen(v) > 19)
		return 0;
	for (; v[i]; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

void
out_init(struct out *o, int json, const char *const *skip, FILE *f)
{
	memset(o, 0, sizeof(*o));
	o->json = json;
	o->skip = skip;
	o->f = f;
}

/* Length of a valid UTF-8 sequence at p, or 0. */
static size_t
out_utf8_len(const unsigned char *p)
{
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlongs and surrogates. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

void
out_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t l;

	fputc('"', f);
	while (*p) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(f, "\\u%04x", *p);
				break;
			}
			if ((l = out_utf8_len(p)) == 0) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(p, 1, l, f);
			p += l;
			continue;
		}
		p++;
	}
	fputc('"', f);
}

static void
out_json_row(struct out *o, int ncols, const char *const *names,
	     const char *const *values)
{
	int i, first = 1;

	fputs(o->nrows == 0 ? "[\n  {" : ",\n  {", o->f);
	for (i = 0; i < ncols; i++) {
		if (out_in(o->skip, names[i]))
			continue;
		fputs(first ? "" : ", ", o->f);
		first = 0;
		out_json_string(o->f, names[i]);
		fputs(": ", o->f);
		if (values[i] == NULL)
			fputs("null", o->f);
		else if (out_in(out_int_cols, names[i]) &&
			 out_is_int(values[i]))
			fputs(values[i], o->f);
		else
			out_json_string(o->f, values[i]);
	}
	fputc('}', o->f);
}

/* The cell as shown in a table: '-' for NULL, a date for "created",
 * control bytes as '?'. Owned. */
static char *
out_cell(const char *name, const char *v)
{
	char date[32], *c;
	struct tm tm;
	time_t t;
	size_t i;

	if (v == NULL)
		return strdup("-");
	if (strcmp(name, "created") == 0 && out_is_int(v)) {
		t = (time_t)strtoll(v, NULL, 10);
		if (gmtime_r(&t, &tm) != NULL &&
		    strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm) > 0)
			return strdup(date);
	}
	if ((c = strdup(v[0] ? v : "\"\"")) == NULL)
		return NULL;
	for (i = 0; c[i]; i++)
		if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f)
			c[i] = '?';
	return c;
}

int
out_row(void *ctx, int ncols, const char *const *names,
	const char *const *values)
{
	struct out *o = ctx;
	size_t i, k;

	if (o->json) {
		out_json_row(o, ncols, names, values);
		o->nrows++;
		return 0;
	}
	if (o->names == NULL) {
		if ((o->names = calloc((size_t)ncols, sizeof(char *))) == NULL)
			goto oom;
		o->ncols = (size_t)ncols;
		for (i = 0; i < o->ncols; i++)
			if ((o->names[i] = strdup(names[i])) == NULL)
				goto oom;
	}
	if ((size_t)ncols != o->ncols)
		goto oom;
	if ((o->nrows + 1) * o->ncols > o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : o->ncols * 16;
		char **n;

		if (ncap > SIZE_MAX / sizeof(char *) ||
		    (n = realloc(o->cells, ncap * sizeof(char *))) == NULL)
			goto oom;
		o->cells = n;
		o->cap = ncap;
	}
	k = o->nrows * o->ncols;
	for (i = 0; i < o->ncols; i++)
		o->cells[k + i] = NULL;
	o->nrows++;
	for (i = 0; i < o->ncols; i++)
		if ((o->cells[k + i] = out_cell(names[i], values[i])) == NULL)
			goto oom;
	return 0;
oom:
	o->failed = 1;
	return 1; /* stop the listing */
}

/* Display width: code points, good enough for Latin text. */
static size_t
out_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void
out_pad(FILE *f, const char *s, size_t width, int last)
{
	size_t w = out_width(s);

	fputs(s, f);
	if (last)
		return;
	for (; w < width + 2; w++)
		fputc(' ', f);
}

static void
out_table(struct out *o)
{
	size_t *width, r, c, lastc = 0;

	if (o->nrows == 0)
		return;
	if ((width = calloc(o->ncols, sizeof(*width))) == NULL) {
		o->failed = 1;
		return;
	}
	for (c = 0; c < o->ncols; c++) {
		if (out_in(o->skip, o->names[c]))
			continue;
		lastc = c;
		width[c] = out_width(o->names[c]);
		for (r = 0; r < o->nrows; r++)
			if (out_width(o->cells[r * o->ncols + c]) > width[c])
				width[c] =
				    out_width(o->cells[r * o->ncols + c]);
	}
	for (c = 0; c < o->ncols; c++) {
		char up[64];
		size_t i;

		if (out_in(o->skip, o->names[c]))
			continue;
		for (i = 0; o->names[c][i] && i < sizeof(up) - 1; i++)
			up[i] = (char)(o->names[c][i] >= 'a' &&
					       o->names[c][i] <= 'z'
					   ? o->names[c][i] - 32
					   : o->names[c][i]);
		up[i] = '\0';
		out_pad(o->f, up, width[c], c == lastc);
	}
	fputc('\n', o->f);
	for (r = 0; r < o->nrows; r++) {
		for (c = 0; c < o->ncols; c++)
			if (!out_in(o->skip, o->names[c]))
				out_pad(o->f, o->cells[r * o->ncols + c],
					width[c], c == lastc);
		fputc('\n', o->f);
	}
	free(width);
}

int
out_finish(struct out *o)
{
	if (o->failed)
		return -1;
	if (o->json)
		fputs(o->nrows == 0 ? "[]\n" : "\n]\n", o->f);
	else
		out_table(o);
	return o->failed ? -1 : 0;
}

void
out_free(struct out *o)
{
	size_t i;

	for (i = 0; o->names && i < o->ncols; i++)
		free(o->names[i]);
	for (i = 0; o->cells && i < o->nrows * o->ncols; i++)
		free(o->cells[i]);
	free(o->names);
	free(o->cells);
	o->names = o->cells = NULL;
	o->nrows = 0;
}
