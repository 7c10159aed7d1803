/* tests/fuzz/fuzz_sp_rawmime.c - facteur-spam's raw MIME scanner
 * (lib/spam/ev_rawmime.c: SpamAssassin's Message.pm header and
 * multipart parser, for the parse-flag, QP-line, base64-length and
 * multipart-ratio evals) over an arbitrary message, and the HTML anchor
 * tracker (ev_anchor.c) over the same bytes cut into an href and texts.
 * The scanner must stay inside the input (ASan) and report sane values:
 * flags 0 or 1, the longest base64 line no longer than the input, part
 * byte counts within it.
 *
 * Both files are compiled into the target so that fuzzing builds
 * instrument them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/spam/ev_anchor.c"
#include "../../lib/spam/ev_rawmime.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ev_rawmime.c's evals read their arguments with it (ev.c). */
double
sp_ev_num(const struct sp_evcall *a, int i, double dflt)
{
	(void)a;
	(void)i;
	return dflt;
}

static void
fz_anchor(const char *p, size_t n)
{
	struct eva_state a;
	char href[256];
	size_t k = n < sizeof(href) - 1 ? n : sizeof(href) - 1, i;

	memcpy(href, p, k);
	href[k] = '\0';
	eva_init(&a);
	for (i = 0; i < 3; i++) {
		eva_open(&a, i == 1 ? NULL : href);
		eva_text(&a, p, n);
		eva_text(&a, p + n / 2, n - n / 2);
		eva_close(&a);
	}
	if (a.anchors < 0 || a.anchors > EVA_MAXURIS ||
	    a.tlen >= sizeof(a.text) || (a.ip_mismatch | a.http_mismatch) > 1)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_rawmime *m = evr_parse((const char *)data, size);

	if (m != NULL) {
		if ((m->missing_hb_sep | m->truncated_header |
		     m->missing_mime_headers | m->missing_mime_hb_sep |
		     m->epilogue | m->qp_long_line | m->alternative) > 1 ||
		    m->b64_len > size || m->text_bytes < 0 ||
		    m->html_bytes < 0 || (size_t)m->text_bytes > size ||
		    (size_t)m->html_bytes > size)
			__builtin_trap();
		ev_rawmime_free(&m);
	}
	fz_anchor((const char *)data, size);
	return 0;
}
