/* lib/dkim/dk_dns.c - key record lookups; see dk_dns.h. */
#include "dk_dns.h"

#include <stdio.h>
#include <strings.h>

#include "buf.h"
#include "dns.h"

enum dk_fetch
dk_dns_fetch(void *ctx, const char *selector, const char *domain,
	     struct buf *txt)
{
	struct dns_answer ans;
	enum dk_fetch rc;
	char name[512];
	int n;

	n = snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	if (n < 0 || (size_t)n >= sizeof(name))
		return DK_FETCH_PERMFAIL;
	switch (dns_query(ctx, name, DNS_T_TXT, &ans)) {
	case DNS_OK:
		if (ans.nrrs != 1)
			rc = DK_FETCH_PERMFAIL;
		else
			rc = buf_add(txt, ans.rrs[0], ans.lens[0]) == 0
				 ? DK_FETCH_OK
				 : DK_FETCH_PERMFAIL;
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		rc = DK_FETCH_NONE;
		break;
	case DNS_TEMPFAIL:
		rc = DK_FETCH_TEMPFAIL;
		break;
	default:
		rc = DK_FETCH_PERMFAIL;
		break;
	}
	dns_answer_clear(&ans);
	return rc;
}

enum dk_fetch
dk_chain_fetch(void *ctx, const char *selector, const char *domain,
	       struct buf *txt)
{
	const struct dk_fetch_chain *c = ctx;
	char name[512];
	size_t k;

	(void)snprintf(name, sizeof(name), "%s._domainkey.%s", selector,
		       domain);
	for (k = 0; k < c->nov; k++)
		if (strcasecmp(c->ov[k].name, name) == 0)
			return buf_adds(txt, c->ov[k].txt) == 0
				   ? DK_FETCH_OK
				   : DK_FETCH_PERMFAIL;
	if (c->dns == NULL)
		return DK_FETCH_NONE;
	return dk_dns_fetch(c->dns, selector, domain, txt);
}
