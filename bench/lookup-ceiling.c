/* bench/lookup-ceiling.c - the in-process ceiling for facteur-lookup: the
 * same keys through store_mailbox_lookup / store_alias_lookup directly, in
 * one thread, no socket. The daemon's queries/s over a socket divided by
 * this is the cost of the protocol, the threads and the kernel.
 *
 * usage: lookup-ceiling DB KEYFILE TOTAL */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"
#include "buf.h"
#include "store.h"

int
main(int argc, char **argv)
{
	static char map[4096][24], key[4096][1024];
	struct store_errbuf e = {""};
	struct store *st = NULL;
	char line[1100];
	size_t n = 0, i;
	long total, found = 0, errors = 0, k;
	struct buf out;
	double t0, secs;
	FILE *f;

	if (argc != 4 || (f = fopen(argv[2], "r")) == NULL) {
		fprintf(stderr, "usage: lookup-ceiling DB KEYFILE TOTAL\n");
		return 2;
	}
	while (n < 4096 && fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');
		line[strcspn(line, "\n")] = '\0';
		if (sp == NULL || (size_t)(sp - line) >= sizeof(map[0]) ||
		    strlen(sp + 1) >= sizeof(key[0]))
			continue;
		*sp = '\0';
		memcpy(map[n], line, strlen(line) + 1);
		memcpy(key[n], sp + 1, strlen(sp + 1) + 1);
		n++;
	}
	fclose(f);
	total = atol(argv[3]);
	if (n == 0 || total < 1 ||
	    store_open(argv[1], STORE_RO, 5000, &st, &e) < 0) {
		fprintf(stderr, "lookup-ceiling: %s\n", e.msg);
		return 2;
	}
	buf_init(&out, 0);
	t0 = bench_now();
	for (k = 0; k < total; k++) {
		int rc;
		i = (size_t)(k * 7) % n;
		if (strcmp(map[i], "mailboxes") == 0)
			rc = store_mailbox_lookup(st, key[i], &out, &e);
		else
			rc = store_alias_lookup(
			    st, strcmp(map[i], "virtual_aliases") == 0, key[i],
			    &out, &e);
		if (rc == STORE_FOUND)
			found++;
		else if (rc != STORE_NOTFOUND)
			errors++;
	}
	secs = bench_now() - t0;
	printf("in-process queries=%ld secs=%.3f qps=%.0f found=%ld "
	       "errors=%ld\n",
	       total, secs, total / secs, found, errors);
	buf_free(&out);
	store_free(&st);
	return errors ? 1 : 0;
}
