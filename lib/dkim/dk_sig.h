/* lib/dkim/dk_sig.h - the DKIM-Signature header (RFC 6376 §3.5) and
 * the key record (§3.6.1, RFC 8463) as validated structs. Pure: no I/O,
 * no logging, no statics; thread-safe. */
#ifndef FACTEUR_DKIM_DK_SIG_H
#define FACTEUR_DKIM_DK_SIG_H

#include <stddef.h>

enum dk_alg { DK_ALG_RSA_SHA256, DK_ALG_ED25519_SHA256, DK_ALG_RSA_SHA1 };
enum dk_canon { DK_C_SIMPLE, DK_C_RELAXED };

#define DK_SIG_MAXB 1024 /* signature bytes: RSA 8192 */
#define DK_SIG_MAXH 2048 /* normalized h= text */
#define DK_KEY_MAXP 2048 /* decoded p= bytes */

struct dk_sig {
	enum dk_alg alg;
	enum dk_canon hc, bc;
	char d[256]; /* lowercased */
	char s[128];
	char i[320];	     /* AUID; "@d" when absent */
	char h[DK_SIG_MAXH]; /* "from:to:subject": lowercased, no FWS */
	size_t nh;
	long long l;	/* -1: absent */
	long long t, x; /* -1: absent */
	unsigned char b[DK_SIG_MAXB];
	size_t blen;
	unsigned char bh[64];
	size_t bhlen;
	char bprefix[16];    /* first 8 base64 chars of b=, for header.b */
	size_t b_off, b_end; /* in the value: [b_off, b_end) deleted (§3.7) */
};

enum dk_sig_status {
	DK_SIG_OK,
	DK_SIG_ESYNTAX,	 /* tag list */
	DK_SIG_EVERSION, /* v= not 1 */
	DK_SIG_EMISSING, /* a required tag */
	DK_SIG_EALG,	 /* unknown a= */
	DK_SIG_ECANON,	 /* bad c= */
	DK_SIG_EVALUE,	 /* bad d/s/l/t/x/b/bh/q value */
	DK_SIG_EDOMAIN,	 /* i= not d= or a subdomain */
	DK_SIG_ENOFROM,	 /* h= without From (§5.4) */
	DK_SIG_ETIME,	 /* x= before t= */
};

/* Parses the value of a DKIM-Signature field (after the ':'), exactly as
 * received. *why is a static reason; *err_off the bad byte for syntax. */
__attribute__((warn_unused_result)) enum dk_sig_status
dk_sig_parse(const unsigned char *p, size_t len, struct dk_sig *out,
	     const char **why, size_t *err_off);

/* "rsa-sha256" ... */
const char *dk_alg_name(enum dk_alg a);
/* Name at position k of sig's h= (0-based): *name into sig->h, *len. */
int dk_sig_hname(const struct dk_sig *sig, size_t k, const char **name,
		 size_t *len);

struct dk_keyrec {
	int ed25519;   /* k=ed25519; else rsa */
	int revoked;   /* p= empty */
	int testing;   /* t=y */
	int strict;    /* t=s: i= domain must equal d= */
	int sha256_ok; /* h= absent or lists sha256 */
	int email_ok;  /* s= absent, "*" or "email" */
	unsigned char p[DK_KEY_MAXP];
	size_t plen;
};

enum dk_key_status {
	DK_KEY_OK,
	DK_KEY_ESYNTAX,
	DK_KEY_EVERSION, /* v= present and not DKIM1, or not first */
	DK_KEY_EKTYPE,	 /* unknown k= */
	DK_KEY_EMISSING, /* no p= */
	DK_KEY_EVALUE,	 /* bad base64 */
};

/* Parses a key record (the TXT strings already joined). Pure. */
__attribute__((warn_unused_result)) enum dk_key_status
dk_keyrec_parse(const unsigned char *p, size_t len, struct dk_keyrec *out,
		const char **why, size_t *err_off);

#endif
