/* lib/dkim/dk_verify.h - the verifying engine, shaped like the milter
 * phases: dk_verify_header() per field, dk_verify_eoh(), dk_verify_body()
 * per chunk, dk_verify_eom(), then the results. It knows nothing of
 * libmilter or DNS: keys come through a fetch callback, so the milter
 * (lib/dns), the shell command and the unit tests share it.
 *
 * One engine per message, used by one thread. Never logs. */
#ifndef FACTEUR_DKIM_DK_VERIFY_H
#define FACTEUR_DKIM_DK_VERIFY_H

#include <stddef.h>

struct buf;
struct dk_verify;

enum dk_result {
	DK_R_NONE,
	DK_R_PASS,
	DK_R_FAIL,
	DK_R_NEUTRAL,
	DK_R_POLICY,
	DK_R_TEMPERROR,
	DK_R_PERMERROR,
};

/* "pass", "fail", ... as RFC 8601 spells them. */
const char *dk_result_str(enum dk_result r);

struct dk_sigresult {
	enum dk_result result;
	const char *reason; /* static; "" on pass */
	char d[256], s[128], a[16];
	char b[16]; /* first 8 chars of b=, for header.b */
	char i[320];
	int testing; /* the key record says t=y */
};

enum dk_fetch {
	DK_FETCH_OK,	   /* txt holds the record (strings joined) */
	DK_FETCH_NONE,	   /* NXDOMAIN / no TXT */
	DK_FETCH_TEMPFAIL, /* try later */
	DK_FETCH_PERMFAIL,
};

/* Looks up the key record "selector._domainkey.domain" into txt (reset
 * by the caller). Called from dk_verify_eom(), once per signature. */
typedef enum dk_fetch (*dk_fetch_fn)(void *ctx, const char *selector,
				     const char *domain, struct buf *txt);

struct dk_verify_limits {
	size_t max_signatures; /* verified; later ones are ignored; 0 = 5 */
	size_t max_headers;    /* 0 = 1000 */
};

/* now: unix time for x=. *out owned (dk_verify_free). 0 or -1 ENOMEM. */
__attribute__((warn_unused_result)) int
dk_verify_new(const struct dk_verify_limits *lim, dk_fetch_fn fetch, void *ctx,
	      long long now, struct dk_verify **out);
void dk_verify_free(struct dk_verify **v);

/* One header field, whole (name ':' value with folding CRLFs, no final
 * CRLF). 0, or -1 past max_headers / ENOMEM. */
__attribute__((warn_unused_result)) int
dk_verify_header(struct dk_verify *v, const unsigned char *field, size_t len);
/* Parses the signatures found. 0 or -1 ENOMEM. */
__attribute__((warn_unused_result)) int dk_verify_eoh(struct dk_verify *v);
void dk_verify_body(struct dk_verify *v, const unsigned char *p, size_t n);
/* Checks each signature. 0 or -1 ENOMEM. */
__attribute__((warn_unused_result)) int dk_verify_eom(struct dk_verify *v);

/* Results, one per DKIM-Signature considered, in message order. Borrowed
 * until dk_verify_free. */
size_t dk_verify_results(const struct dk_verify *v,
			 const struct dk_sigresult **r);

/* The From: domain of a header value (first mailbox), lowercased into out:
 * the author domain a caller compares a passing d= with. Used by signing
 * too (which domain signs). 0, or -1 if none. Pure. */
int dk_from_domain(const unsigned char *value, size_t len, char *out,
		   size_t outlen);

#endif
