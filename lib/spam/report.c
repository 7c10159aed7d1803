/* lib/spam/report.c - X-Spam-* header values in SpamAssassin's exact
 * format, so Sieve scripts and MUA filters written for SpamAssassin keep
 * working; see engine.h. Pure. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "engine.h"

/* SpamAssassin prints scores with "%2.1f". */
int
sp_fmt_score(double score, struct buf *out)
{
	if (fabs(score) < 0.05)
		score = 0;
	return buf_printf(out, "%2.1f", score);
}

int
sp_fold(const char *text, size_t used, struct buf *out)
{
	size_t col = used, i = 0, n = strlen(text);

	while (i < n) {
		size_t j = i, w;

		/* a piece ends after a blank or a comma */
		while (j < n && text[j] != ' ' && text[j] != ',')
			j++;
		if (j < n)
			j++;
		w = j - i;
		if (col + w > 79 && col > 8 && col > used) {
			/* drop blanks left at the end of the line */
			while (out->len > 0 && out->data[out->len - 1] == ' ')
				out->data[--out->len] = '\0';
			if (buf_adds(out, "\n\t") < 0)
				return -1;
			col = 8;
		}
		if (buf_add(out, text + i, w) < 0)
			return -1;
		col += w;
		i = j;
	}
	if (out->data == NULL && buf_add(out, "", 0) < 0)
		return -1;
	return 0;
}

int
sp_fmt_status(const struct sp_result *r, struct buf *out)
{
	struct buf line;
	size_t i;
	int rc = -1;

	buf_init(&line, 0);
	if (buf_printf(&line, "%s, score=", r->is_spam ? "Yes" : "No") < 0 ||
	    sp_fmt_score(r->score, &line) < 0 ||
	    buf_adds(&line, " required=") < 0 ||
	    sp_fmt_score(r->required, &line) < 0 ||
	    buf_adds(&line, " tests=") < 0)
		goto out;
	for (i = 0; i < r->nhits; i++)
		if ((i > 0 && buf_addc(&line, ',') < 0) ||
		    buf_adds(&line, r->hits[i]->name) < 0)
			goto out;
	if ((r->nhits == 0 && buf_adds(&line, "none") < 0) ||
	    buf_printf(&line, " autolearn=%s", sp_al_name(r->autolearn)) < 0)
		goto out;
	rc = sp_fold(buf_str(&line), strlen("X-Spam-Status: "), out);
out:
	buf_free(&line);
	return rc;
}

int
sp_fmt_level(const struct sp_result *r, struct buf *out)
{
	int i, n = r->score < 1 ? 0 : (int)r->score;

	if (n > 50)
		n = 50;
	for (i = 0; i < n; i++)
		if (buf_addc(out, '*') < 0)
			return -1;
	return out->data == NULL ? buf_add(out, "", 0) : 0;
}

int
sp_fmt_report(const struct sp_result *r, struct buf *out)
{
	size_t i;

	for (i = 0; i < r->nhits; i++) {
		const struct sp_rule *h = r->hits[i];
		struct buf one;
		int rc;

		buf_init(&one, 0);
		rc = buf_printf(&one, "* %4.1f %s %s",
				sp_rule_score(h, r->score_set), h->name,
				h->describe ? h->describe : "");
		while (rc == 0 && one.len > 0 && one.data[one.len - 1] == ' ')
			one.data[--one.len] = '\0';
		if (rc == 0)
			rc = buf_adds(out, "\n\t");
		if (rc == 0)
			rc = sp_fold(buf_str(&one), 8, out);
		buf_free(&one);
		if (rc < 0)
			return -1;
	}
	return out->data == NULL ? buf_add(out, "", 0) : 0;
}
