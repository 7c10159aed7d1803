/* tests/fuzz/fuzz_received.c - facteur-spam's Received parser
 * (lib/spam/received*.c): sp_received_parse() over the whole input,
 * then the input split at '\n' into up to 16 header fields (lines that
 * start with 'X' become X-Originating-IP, the others Received) for the
 * chain, its trust split and the X-Spam-Relays-* strings. Every field of
 * a parsed relay must stay NUL-terminated inside its array, trusted
 * relays must come first, and the strings must be bounded.
 *
 * received.c, received_line.c and received_re.c are compiled into
 * the target so that fuzzing builds instrument them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/spam/received.c"
#include "../../lib/spam/received_line.c"
#include "../../lib/spam/received_re.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_FIELDS 16

static void
fz_relay_ok(const struct sp_relay *r)
{
	if (memchr(r->ip, '\0', sizeof(r->ip)) == NULL ||
	    memchr(r->rdns, '\0', sizeof(r->rdns)) == NULL ||
	    memchr(r->helo, '\0', sizeof(r->helo)) == NULL ||
	    memchr(r->by, '\0', sizeof(r->by)) == NULL ||
	    memchr(r->id, '\0', sizeof(r->id)) == NULL ||
	    memchr(r->envfrom, '\0', sizeof(r->envfrom)) == NULL ||
	    memchr(r->ident, '\0', sizeof(r->ident)) == NULL ||
	    memchr(r->auth, '\0', sizeof(r->auth)) == NULL)
		__builtin_trap();
}

static void
fz_chain(const char *p, size_t n)
{
	struct sp_header h[FZ_MAX_FIELDS];
	struct sp_view v;
	struct sp_relays *rs = NULL;
	struct buf b;
	size_t i, k;
	int w;

	memset(&v, 0, sizeof(v));
	memset(h, 0, sizeof(h));
	while (n > 0 && v.nheaders < FZ_MAX_FIELDS) {
		const char *nl = memchr(p, '\n', n);
		size_t l = nl ? (size_t)(nl - p) : n;
		char *val = malloc(l + 1);

		if (val == NULL)
			break;
		memcpy(val, p, l);
		val[l] = '\0';
		h[v.nheaders].name =
		    (char *)(l > 0 && p[0] == 'X' ? "X-Originating-IP"
						  : "Received");
		h[v.nheaders].raw = h[v.nheaders].decoded = val;
		v.nheaders++;
		p += l + (nl != NULL);
		n -= l + (nl != NULL);
	}
	v.headers = h;
	if (sp_relays_from_view(&v, NULL, &rs) == 0) {
		for (i = 0; i < rs->n; i++) {
			fz_relay_ok(&rs->v[i]);
			if ((i < rs->ntrusted) != (rs->v[i].trusted != 0))
				__builtin_trap();
		}
		for (w = 0; w < 4; w++) {
			buf_init(&b, (size_t)1 << 20);
			if (sp_relays_string(rs, w, &b) == 0 && b.len > 0 &&
			    memchr(buf_str(&b), '\0', b.len) != NULL)
				__builtin_trap();
			buf_free(&b);
		}
	}
	sp_relays_free(&rs);
	for (k = 0; k < v.nheaders; k++)
		free(h[k].raw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_relay r;
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)sp_received_parse(s, size, &r);
	fz_relay_ok(&r);
	fz_chain(s, strlen(s));
	free(s);
	return 0;
}
