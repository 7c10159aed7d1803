/* tests/fuzz/fuzz_scrub_select.c - facteur-scrub's pure selection: the
 * input is split into header lines ("Name: value", LF-separated, a line
 * starting with space/tab folds); scrub_select runs over them with
 * replace_message_id on and an internal network, and scrub_received_hop
 * and scrub_msgid_rhs run on the whole input. Checks: every action is
 * known, counts match the actions, a reported Message-ID field is one, and
 * a right-hand side lies inside the input. The pure file is compiled in
 * (it lives in milters/scrub, outside libfacteur). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../milters/scrub/scrub_select.c"

#define FZ_MAXH 64

static void
fz_select(char *text, const struct cidr_list *nets, const struct cfg_list *rm)
{
	struct scrub_policy p = {rm, "mx.example.org", 1, nets};
	struct scrub_hdr h[FZ_MAXH] = {{0}};
	enum scrub_act act[FZ_MAXH];
	struct scrub_result res;
	char *line = text, *next, *colon;
	size_t n = 0, k, nd = 0, nm = 0;

	while (line != NULL && *line != '\0' && n < FZ_MAXH) {
		next = line;
		while ((next = strchr(next, '\n')) != NULL &&
		       (next[1] == ' ' || next[1] == '\t'))
			next++;
		if (next != NULL)
			*next++ = '\0';
		if ((colon = strchr(line, ':')) != NULL) {
			*colon = '\0';
			h[n].name = line;
			h[n].value = colon + 1;
			h[n].index = 1;
			for (k = 0; k < n; k++)
				h[n].index += strcasecmp(h[k].name, line) == 0;
			n++;
		}
		line = next;
	}
	scrub_select(h, n, &p, act, &res);
	for (k = 0; k < n; k++) {
		if (act[k] > SCRUB_MALFORMED)
			__builtin_trap();
		nd += act[k] == SCRUB_DELETE;
		nm += act[k] == SCRUB_MALFORMED;
	}
	if (nd != res.ndelete || nm != res.nmalformed ||
	    (nm > 0 && act[res.first_malformed] != SCRUB_MALFORMED))
		__builtin_trap();
	if (res.msgid >= 0 &&
	    ((size_t)res.msgid >= n || act[res.msgid] != SCRUB_MSGID ||
	     strcasecmp(h[res.msgid].name, "Message-ID") != 0 ||
	     res.from_domain[0] == '\0'))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char list[] = "203.0.113.0/24, 2001:db8::/32";
	static const struct cfg_key rkey = {
	    "remove_headers", CFG_LIST, NULL, 0, 0, 0, NULL, NULL};
	struct cfg_list rm = {NULL, 0};
	struct cidr_list nets;
	char err[128];
	size_t off, rlen;
	char *text;

	if (cidr_list_parse(list, sizeof(list) - 1, &nets, &off, &rlen) !=
	    CIDR_OK)
		__builtin_trap();
	(void)scrub_received_hop((const char *)data, size, "mx.example.org",
				 &nets);
	if (scrub_msgid_rhs((const char *)data, size, &off, &rlen) == 0 &&
	    (off + rlen > size || rlen == 0))
		__builtin_trap();
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cfg_set(&rkey, &rm, "X-Foo Bar", err, sizeof(err)) != 0 ||
	    rm.n != 2)
		__builtin_trap();
	fz_select(text, &nets, &rm);
	cfg_list_free(&rm);
	free(text);
	return 0;
}
