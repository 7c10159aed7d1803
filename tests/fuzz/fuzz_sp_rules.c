/* tests/fuzz/fuzz_sp_rules.c - sp_rules_parse + sp_rules_finish over
 * arbitrary bytes (an admin's local.cf, or a rule file from elsewhere).
 * The first byte picks a small max_rules so the limit path is reached,
 * and whether "include" lines reach a callback (which parses a tiny fixed
 * file, or fails). Afterwards every rule must be well formed and every
 * compiled meta must evaluate without reading past the values array.
 *
 * Bit 0x10 turns network tests on, so the eval and urirhssub parsers of
 * net.c run too.
 *
 * The parser (rules.c, rules_dir.c, rules_replace.c, meta.c, net.c, and
 * the eval call parser ev.c with the eval tables it names: pure) is
 * compiled into the target so that fuzzing builds instrument it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/spam/ev.c"
#include "../../lib/spam/ev_date.c"
#include "../../lib/spam/ev_header.c"
#include "../../lib/spam/ev_html.c"
#include "../../lib/spam/ev_htmlstyle.c"
#include "../../lib/spam/ev_image.c"
#include "../../lib/spam/ev_list.c"
#include "../../lib/spam/ev_mime.c"
#include "../../lib/spam/ev_relay.c"
#include "../../lib/spam/ev_forged.c"
#include "../../lib/spam/ev_rawmime.c"
#include "../../lib/spam/ev_text.c"
#include "../../lib/spam/ev_anchor.c"
#include "../../lib/spam/meta.c"
#include "../../lib/spam/net.c"
#include "../../lib/spam/received.c"
#include "../../lib/spam/received_line.c"
#include "../../lib/spam/received_re.c"
#include "../../lib/spam/rules.c"
#include "../../lib/spam/rules_dir.c"
#include "../../lib/spam/rules_replace.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fz_included[] =
    "body FZ_INC /inc/i\nscore FZ_INC 1.5\nmeta FZ_INC2 FZ_INC && !FZ_X\n";

static int
fz_include(void *ctx, struct sp_ruleset *rs, const char *path, int depth,
	   struct sp_rules_error *err)
{
	struct sp_rules_opts o;

	(void)ctx;
	if (depth > 2 || path[0] == '\0' || path[0] == 'x') {
		snprintf(err->msg, sizeof(err->msg), "no include");
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.include = fz_include;
	o.depth = depth;
	return sp_rules_parse(rs, path, fz_included, sizeof(fz_included) - 1,
			      &o, err);
}

static void
fz_check(const struct sp_ruleset *rs)
{
	double *values;
	const long *idx;
	size_t i, k, nd;

	if (rs->nskipped > rs->skipcap || rs->n > rs->cap)
		__builtin_trap();
	if ((values = calloc(rs->n + 1, sizeof(*values))) == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		const struct sp_rule *r = &rs->v[i];

		if (r->name == NULL || r->nscores < 0 || r->nscores > 4)
			__builtin_trap();
		if (sp_rules_find(rs, r->name, strlen(r->name)) < 0)
			__builtin_trap();
		(void)sp_rule_score(r, (int)(i & 3));
		(void)sp_rtype_name(r->type);
		if (r->prog == NULL)
			continue;
		nd = sp_meta_deps(r->prog, &idx);
		for (k = 0; k < nd; k++)
			if (idx[k] < 0 || (size_t)idx[k] >= rs->n)
				__builtin_trap();
		values[i] = sp_meta_eval(r->prog, values);
	}
	free(values);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_ruleset rs;
	struct sp_rules_opts o;
	struct sp_rules_error err;
	int rc;

	if (size < 1)
		return 0;
	memset(&o, 0, sizeof(o));
	memset(&err, 0, sizeof(err));
	o.max_rules = data[0] & 0x80 ? 8 : 0;
	o.max_line = data[0] & 0x40 ? 64 : 0;
	o.include = data[0] & 0x20 ? fz_include : NULL;
	sp_rules_init(&rs);
	rs.network = (data[0] & 0x10) != 0;
	rc = sp_rules_parse(&rs, "fuzz.cf", (const char *)data + 1, size - 1,
			    &o, &err);
	if (err.line < 0 || memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
		__builtin_trap();
	if (rc == 0 && sp_rules_finish(&rs, &err) == 0)
		fz_check(&rs);
	sp_rules_free(&rs);
	return 0;
}
