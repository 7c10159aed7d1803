/* lib/spam/rules_replace.c - SpamAssassin's ReplaceTags plugin: the
 * replace_tag / replace_pre / replace_post / replace_inter directives and
 * the rules named by replace_rules, whose "<TAG>" placeholders become the
 * tags' patterns once every file is read (finish_parsing_end in
 * Plugin/ReplaceTags.pm, step for step: pre, post and inter markers,
 * split on "<...>", at most 6 passes for tags inside tags). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ev.h"
#include "rules.h"

#define RT_MAX_RE (256 * 1024) /* a replaced pattern's cap */

/* The value of "NAME\tvalue" in l, or NULL. */
static const char *
rt_get(const struct sp_strlist *l, const char *name, size_t n)
{
	size_t i;

	for (i = l->n; i-- > 0;)
		if (strncmp(l->v[i], name, n) == 0 && l->v[i][n] == '\t')
			return l->v[i] + n + 1;
	return NULL;
}

/* Removes the first "<kind NAME>" of re; its NAME into name. */
static int
rt_marker(struct buf *re, const char *kind, char *name, size_t namelen)
{
	char *s = (char *)buf_str(re), *p, *e;
	size_t kl = strlen(kind), n;

	for (p = s; (p = strchr(p, '<')) != NULL; p++) {
		if (strncmp(p + 1, kind, kl) != 0 || p[1 + kl] != ' ')
			continue;
		if ((e = strchr(p + 2 + kl, '>')) == NULL || e == p + 2 + kl)
			return 0;
		n = (size_t)(e - (p + 2 + kl));
		if (n >= namelen)
			return 0;
		memcpy(name, p + 2 + kl, n);
		name[n] = '\0';
		memmove(p, e + 1, strlen(e + 1) + 1);
		re->len -= (size_t)(e + 1 - p);
		return 1;
	}
	return 0;
}

/* One pass over re into out; *again when a replacement holds a tag. */
static int
rt_pass(const struct sp_evconf *cf, const char *re, const char *pre,
	const char *post, const char *inter, struct buf *out, int *again)
{
	const char *p = re;

	while (*p) {
		const char *lt = strchr(p, '<'), *gt = NULL;

		/* a separator is "<[^<>]+>" */
		while (lt != NULL) {
			gt = lt + 1;
			while (*gt && *gt != '<' && *gt != '>')
				gt++;
			if (*gt == '>' && gt > lt + 1)
				break;
			lt = strchr(lt + 1, '<');
		}
		if (lt == NULL) {
			if (buf_adds(out, p) < 0)
				return -1;
			break;
		}
		if (lt == p && inter != NULL) {
			/* an empty field before this tag */
			if (buf_adds(out, inter) < 0)
				return -1;
		} else if (buf_add(out, p, (size_t)(lt - p)) < 0)
			return -1;
		{
			const char *v =
			    rt_get(&cf->rtags, lt + 1, (size_t)(gt - lt - 1));

			if (pre != NULL && buf_adds(out, pre) < 0)
				return -1;
			if (v != NULL && *v) {
				if (buf_adds(out, v) < 0)
					return -1;
				if (strchr(v, '<') != NULL &&
				    strchr(strchr(v, '<'), '>') != NULL)
					*again = 1;
			} else if (buf_add(out, lt, (size_t)(gt - lt + 1)) < 0)
				return -1;
			if (post != NULL && buf_adds(out, post) < 0)
				return -1;
		}
		p = gt + 1;
	}
	return 0;
}

static int
rt_rule(const struct sp_evconf *cf, struct sp_rule *r)
{
	struct buf re, out;
	char pn[64], qn[64], in[64];
	const char *pre, *post, *inter;
	int passes = 0, again, rc = 0;

	buf_init(&re, RT_MAX_RE);
	if (buf_adds(&re, r->re) < 0)
		return -1;
	do {
		again = 0;
		pre = rt_marker(&re, "pre", pn, sizeof(pn))
			  ? rt_get(&cf->rpre, pn, strlen(pn))
			  : NULL;
		post = rt_marker(&re, "post", qn, sizeof(qn))
			   ? rt_get(&cf->rpost, qn, strlen(qn))
			   : NULL;
		inter = rt_marker(&re, "inter", in, sizeof(in))
			    ? rt_get(&cf->rinter, in, strlen(in))
			    : NULL;
		buf_init(&out, RT_MAX_RE);
		if (rt_pass(cf, buf_str(&re), pre, post, inter, &out, &again) <
		    0) {
			buf_free(&out);
			rc = -1;
			break;
		}
		buf_free(&re);
		re = out;
		passes++;
	} while (again && passes <= 5);
	if (rc == 0 && strcmp(buf_str(&re), r->re) != 0) {
		char *n = buf_steal(&re);

		if (n == NULL)
			rc = -1;
		else {
			free(r->re);
			r->re = n;
		}
	}
	buf_free(&re);
	return rc;
}

int
sp_rules_replace_tags(struct sp_ruleset *rs)
{
	const struct sp_evconf *cf = rs->conf;
	size_t i;

	if (cf == NULL)
		return 0;
	for (i = 0; i < cf->rrules.n; i++) {
		long k =
		    sp_rules_find(rs, cf->rrules.v[i], strlen(cf->rrules.v[i]));
		struct sp_rule *r;

		if (k < 0)
			continue;
		r = &rs->v[k];
		if (r->re == NULL || r->skip != NULL || r->replaced)
			continue;
		r->replaced = 1;
		if (rt_rule(cf, r) < 0)
			return -1;
	}
	return 0;
}
