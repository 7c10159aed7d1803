/* admin/doctor.h - the halves of 'facteur doctor': the install checks
 * (doctor.c: database, facteur.conf, the daemons' sockets) and the DNS
 * checks (doctor_dns.c). Private to admin/doctor*.c. */
#ifndef FACTEUR_ADMIN_DOCTOR_H
#define FACTEUR_ADMIN_DOCTOR_H

#include <stddef.h>

struct admin;

enum doc_status { DOC_OK, DOC_WARN, DOC_FAIL };

struct doctor {
	struct admin *a;
	const char *domain;    /* --domain (lowercased), or NULL: all */
	const char *resolver;  /* --resolver, [dkim] resolver, or NULL */
	char *conf_resolver;   /* owned: [dkim] resolver from the file */
	const char *sbindir;   /* where the daemons' binaries are */
	size_t nfail, nwarn, nchecks;
};

/* Prints one check: "ok   CHECK: DETAIL" (warn, FAIL), or one JSON
 * object of the array with --json. */
void doc_report(struct doctor *d, enum doc_status st, const char *check,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* DNS of each enabled domain of the database (or d->domain): MX, SPF,
 * DMARC, the DKIM keys' records, A/AAAA of the MX hosts. */
void doctor_dns(struct doctor *d);

#endif
