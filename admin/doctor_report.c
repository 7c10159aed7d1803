/* admin/doctor_report.c - what every facteur doctor check shares: the
 * daemons' table (doc_progs) and the report line (doc_report), text or
 * JSON. The bottom of doctor: doctor.c and each doctor_*.c call it, it
 * calls none of them (issue 13 item 7: no two files calling each other).
 *
 * SECURITY: prints only; no privilege. */
#include "admin.h"
#include "doctor.h"

#include <stdarg.h>
#include <stdio.h>

#include "buf.h"
#include "paths.h"

const struct doc_prog doc_progs[DOC_NSECTS] = {
    [DOC_S_LOOKUP] = {"lookup", "facteur-lookup", DOC_LOOKUP,
		      FACTEUR_SOCK_LOOKUP, "facteur-lookup"},
    [DOC_S_LMTP] = {"lmtp", "facteur-lmtp", DOC_LMTP, FACTEUR_SOCK_LMTP,
		    "facteur-lmtp"},
    [DOC_S_BLACKLIST] = {"blacklist", "facteur-blacklist", DOC_MILTER,
			 FACTEUR_SOCK_MILTER("blacklist"),
			 "facteur-milter@blacklist"},
    [DOC_S_SCRUB] = {"scrub", "facteur-scrub", DOC_MILTER,
		     FACTEUR_SOCK_MILTER("scrub"), "facteur-milter@scrub"},
    [DOC_S_DKIM] = {"dkim", "facteur-dkim", DOC_MILTER,
		    FACTEUR_SOCK_MILTER("dkim"), "facteur-milter@dkim"},
    [DOC_S_SPAM] = {"spam", "facteur-spam", DOC_MILTER,
		    FACTEUR_SOCK_MILTER("spam"), "facteur-milter@spam"},
    [DOC_S_MILTER] = {"milter", "facteur-milter", DOC_MILTER,
		      FACTEUR_SOCK_MILTER("milter"), "facteur-milter@milter"},
    [DOC_S_EXAMPLE] = {"example", "facteur-example", DOC_MILTER,
		       FACTEUR_SOCK_MILTER("example"), "facteur-example"},
    [DOC_S_AV] = {"av", "facteur-av", DOC_MILTER, FACTEUR_SOCK_MILTER("av"),
		  "facteur-milter@av"},
};

void
doc_report(struct doctor *d, enum doc_status st, const char *check,
	   const char *fmt, ...)
{
	static const char *const word[] = {"ok", "warn", "FAIL"};
	struct buf b;
	va_list ap;

	buf_init(&b, 8192);
	va_start(ap, fmt);
	if (buf_vprintf(&b, fmt, ap) < 0) {
		buf_reset(&b);
		if (buf_adds(&b, "(detail too long)") < 0)
			buf_reset(&b);
	}
	va_end(ap);
	if (st == DOC_FAIL)
		d->nfail++;
	else if (st == DOC_WARN)
		d->nwarn++;
	if (d->a->json) {
		printf("%s\n    {\"check\": ", d->nchecks ? "," : "");
		out_json_string(stdout, check);
		printf(", \"status\": \"%s\", \"detail\": ", word[st]);
		out_json_string(stdout, buf_str(&b));
		printf("}");
	} else
		printf("%-4s %s: %s\n", word[st], check, buf_str(&b));
	d->nchecks++;
	buf_free(&b);
}
