/* tests/fuzz/fuzz_sp_mime.c - sp_view_parse (the GMime walk, header
 * unfolding, HTML reduction, URI extraction) over an arbitrary message.
 * The first byte picks small limits (parts, depth, decoded bytes, URIs)
 * so the limit paths are reached. Afterwards the view must hold what the
 * header promises: lengths that match the strings, every part's text
 * (HTML aside) inside max_decoded, at most max_uris URIs, each with its domain,
 * and the raw body offset inside the message.
 *
 * mime.c and mimetext.c are compiled into the target so that fuzzing
 * builds instrument them; GMime itself is the system library. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../lib/spam/mime.c"
#include "../../lib/spam/mimetext.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_check(const struct sp_view *v, const struct sp_limits *lim, size_t len)
{
	size_t i,
	    total = 0,
	    maxdec = lim->max_decoded ? lim->max_decoded : (size_t)4 << 20;

	if (v->body_off > len || v->body_text == NULL ||
	    v->rawbody_text == NULL ||
	    strlen(v->body_text) > v->body_text_len ||
	    strlen(v->rawbody_text) > v->rawbody_text_len)
		__builtin_trap();
	for (i = 0; i < v->nheaders; i++)
		if (v->headers[i].name == NULL || v->headers[i].raw == NULL ||
		    v->headers[i].decoded == NULL)
			__builtin_trap();
	for (i = 0; i < v->nparts; i++) {
		const struct sp_part *p = &v->parts[i];

		if (p->content_type == NULL)
			__builtin_trap();
		if (p->text != NULL && strlen(p->text) > p->text_len)
			__builtin_trap();
		if (p->text != NULL && !p->is_html)
			total += p->text_len;
	}
	if (total > maxdec)
		__builtin_trap();
	if (lim->max_uris && v->nuris > lim->max_uris)
		__builtin_trap();
	for (i = 0; i < v->nuris; i++)
		if (v->uris[i] == NULL || v->uri_domains[i] == NULL)
			__builtin_trap();
	(void)sp_view_header(v, "Subject");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_limits lim;
	struct sp_view v;
	char err[128];

	if (size < 1)
		return 0;
	memset(&lim, 0, sizeof(lim));
	if (data[0] & 1) {
		lim.max_parts = 3;
		lim.max_depth = 2;
		lim.max_decoded = 256;
		lim.max_uris = 4;
	}
	err[0] = '\0';
	if (sp_view_parse((const char *)data + 1, size - 1, &lim, &v, err,
			  sizeof(err)) < 0 &&
	    err[0] == '\0')
		__builtin_trap(); /* a failure always says why */
	if (memchr(err, '\0', sizeof(err)) == NULL)
		__builtin_trap();
	fz_check(&v, &lim, size - 1);
	sp_view_clear(&v);
	return 0;
}
