/* tests/spam/relay_dump.c - the relays lib/spam/received.c reads from
 * each message file, in tests/spam/sa_relays.pl's format, to compare the
 * two line by line: "FILE<TAB>UNPARSEABLE<TAB>LTI<TAB>LII<TAB>TRUSTED
 * <TAB>UNTRUSTED" (the last trusted and internal Received indices,
 * X-Spam-Relays-Trusted/-Untrusted; trust inferred). A manual tool
 * (docs/spam-parity.md, Received section):
 *   relay_dump FILE... > facteur.out
 *   sa_relays.pl HOME FILE... > sa.out; diff sa.out facteur.out */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msgview.h"
#include "received.h"

static char *
rd_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL &&
	    fread(p, 1, (size_t)n, f) == (size_t)n) {
		p[n] = '\0';
		*len = (size_t)n;
	} else {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

static void
rd_one(const char *path)
{
	struct sp_limits lim;
	struct sp_view v;
	struct sp_relays *rs = NULL;
	struct buf t, u;
	char err[128];
	size_t len;
	char *raw = rd_slurp(path, &len);

	if (raw == NULL) {
		printf("%s\tERR\t\t\t\t\n", path);
		return;
	}
	memset(&lim, 0, sizeof(lim));
	memset(&v, 0, sizeof(v));
	(void)!sp_view_parse(raw, len, &lim, &v, err, sizeof(err));
	buf_init(&t, (size_t)1 << 20);
	buf_init(&u, (size_t)1 << 20);
	if (sp_relays_from_view(&v, NULL, &rs) == 0 &&
	    sp_relays_string(rs, 0, &t) == 0 &&
	    sp_relays_string(rs, 1, &u) == 0 && buf_add(&t, "", 0) == 0 &&
	    buf_add(&u, "", 0) == 0)
		printf("%s\t%zu\t%d\t%d\t%s\t%s\n", path, rs->nunparseable,
		       rs->last_trusted, rs->last_internal, buf_str(&t),
		       buf_str(&u));
	else
		printf("%s\tERR\t\t\t\t\n", path);
	sp_relays_free(&rs);
	buf_free(&t);
	buf_free(&u);
	sp_view_clear(&v);
	free(raw);
}

int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		rd_one(argv[i]);
	return 0;
}
