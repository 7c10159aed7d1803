/* tests/fuzz/fuzz_dmarc_from.c - the DMARC author domains of From fields
 * (lib/dmarc dmarc_from_add) on any bytes, each line one From field.
 * Every domain kept is a lowercase LDH name without a trailing dot, named
 * once; a field added never drops a domain found before (more fields only
 * make the verdict stricter); "valid" is exactly one field, one mailbox,
 * one domain, and is what dmarc_from_problem() calls no problem.
 * Round trip: each domain kept, printed back as a plain mailbox
 * "u@domain" and as "Name <u@domain>", parses to a valid From naming
 * that domain alone (what we decide on is what we would print). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_domains(const struct dmarc_from *f)
{
	size_t k, j, n, off;

	if (f->ndomains > DMARC_MAX_AUTHORS)
		__builtin_trap();
	for (k = 0; k < f->ndomains; k++) {
		n = strnlen(f->domains[k], sizeof(f->domains[k]));
		if (n == 0 || n == sizeof(f->domains[k]) ||
		    f->domains[k][n - 1] == '.' ||
		    addr_parse_domain((const unsigned char *)f->domains[k], n,
				      NULL, &off) != ADDR_OK)
			__builtin_trap();
		for (j = 0; j < n; j++)
			if (f->domains[k][j] >= 'A' && f->domains[k][j] <= 'Z')
				__builtin_trap();
		for (j = 0; j < k; j++)
			if (strcmp(f->domains[j], f->domains[k]) == 0)
				__builtin_trap();
	}
}

static void
check_reprint(const char *domain)
{
	struct dmarc_from g;
	char line[300];
	size_t k;
	int n;

	/* literal formats: gcc 14 (Debian 13) rejects a table of them
	 * under -Wformat=2 -Werror (-Wformat-nonliteral) */
	for (k = 0; k < 2; k++) {
		n = k == 0
			? snprintf(line, sizeof(line), "u@%s", domain)
			: snprintf(line, sizeof(line), "Name <u@%s>", domain);
		if (n < 0 || (size_t)n >= sizeof(line))
			__builtin_trap();
		dmarc_from_init(&g);
		dmarc_from_add(&g, (const unsigned char *)line, (size_t)n);
		if (!dmarc_from_valid(&g) || g.ndomains != 1 ||
		    strcmp(g.domains[0], domain) != 0)
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_from f, before;
	const uint8_t *p = data, *nl;
	size_t k, j, len;

	dmarc_from_init(&f);
	while (p <= data + size && f.nfields < 16) {
		nl = memchr(p, '\n', (size_t)(data + size - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(data + size - p);
		before = f;
		dmarc_from_add(&f, p, len);
		check_domains(&f);
		for (k = 0; k < f.ndomains; k++)
			check_reprint(f.domains[k]);
		for (k = 0; k < before.ndomains; k++) {
			for (j = 0; j < f.ndomains; j++)
				if (strcmp(before.domains[k], f.domains[j]) ==
				    0)
					break;
			if (j == f.ndomains)
				__builtin_trap();
		}
		if (f.nfields != before.nfields + 1 ||
		    (dmarc_from_problem(&f) == NULL) != dmarc_from_valid(&f) ||
		    (dmarc_from_valid(&f) &&
		     (f.nfields != 1 || f.nmailboxes != 1 || f.ndomains != 1)))
			__builtin_trap();
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}
