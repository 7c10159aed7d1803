/* delivery/sieve/sieve.h - a Sieve (RFC 5228) interpreter for facteur-lmtp.
 *
 * Subset: require, if/elsif/else, stop, keep, discard, fileinto (:create,
 * :copy, :flags), redirect (:copy), tests header, address, envelope, exists,
 * size, allof, anyof, not, true, false; match types :is :contains :matches;
 * comparators i;ascii-casemap (default) and i;octet; address parts :all
 * :localpart :domain and subaddress :user :detail; extensions "fileinto",
 * "envelope", "subaddress", "copy", "mailbox" (:create), "imap4flags"
 * (addflag/setflag/removeflag, :flags, hasflag), "vacation" (RFC 5230).
 *
 * Compile once (sieve_compile), run many times (sieve_execute): a compiled
 * script is immutable and may be shared by threads. Compile and execute are
 * pure: no I/O, no logging, no statics. The interpreter only decides; the
 * caller (delivery) performs the actions, applies RFC 3834 rules and the
 * vacation once-per-period tracking, and falls back to keep on any error.
 *
 * Pigeonhole semantics for several scripts (sieve_before + the user's):
 * run in order over one result; an explicit keep/fileinto/discard in any
 * script cancels the implicit keep; "stop" ends the current script only. */
#ifndef FACTEUR_DELIVERY_SIEVE_H
#define FACTEUR_DELIVERY_SIEVE_H

#include <stddef.h>

struct sieve_limits {
	size_t max_script;    /* bytes; 0 = 1 MiB */
	size_t max_depth;     /* nesting of blocks/tests; 0 = 32 */
	size_t max_actions;   /* per result; 0 = 32 */
	size_t max_redirects; /* per result; 0 = 4 */
	size_t max_strings;   /* string-list length; 0 = 1024 */
};

enum sieve_status {
	SIEVE_OK,
	SIEVE_ESYNTAX,	    /* parse error at line:col */
	SIEVE_EUNSUPPORTED, /* require of an extension we lack, or a command
			       / tag used without its require */
	SIEVE_ELIMIT,	    /* a limit above was passed */
	SIEVE_ERUNTIME,	    /* execution error (e.g. conflicting actions) */
	SIEVE_ENOMEM,
};

struct sieve_error {
	unsigned line, col; /* 1-based; 0 when not about a position */
	char msg[256];	    /* plain ASCII, no newline */
};

struct sieve_script;

/* Compiles p[0..len). On error *out is NULL and err says where and what.
 * *out owned; free with sieve_free(). */
__attribute__((warn_unused_result)) enum sieve_status
sieve_compile(const unsigned char *p, size_t len,
	      const struct sieve_limits *lim, struct sieve_script **out,
	      struct sieve_error *err);
void sieve_free(struct sieve_script **s);

struct sieve_header {
	const char *name;  /* field name as in the message */
	const char *value; /* raw value, unfolded (CRLF+WSP removed); the
			      interpreter decodes RFC 2047 words itself */
};

/* The message as the interpreter sees it. All borrowed for the call. */
struct sieve_msg {
	const char *env_from;  /* envelope sender, "" for <> */
	const char *env_to;    /* envelope recipient as received (with any
				  +detail) */
	const char *delimiter; /* recipient_delimiter chars, e.g. "+" */
	size_t size;	       /* message size in octets */
	const struct sieve_header *headers;
	size_t nheaders;
};

enum sieve_action_type {
	SIEVE_ACT_KEEP,	    /* into INBOX (explicit or implicit keep) */
	SIEVE_ACT_FILEINTO, /* into mailbox */
	SIEVE_ACT_REDIRECT, /* to address */
	SIEVE_ACT_DISCARD,
	SIEVE_ACT_VACATION,
};

#define SIEVE_FLAG_SEEN 0x01
#define SIEVE_FLAG_ANSWERED 0x02
#define SIEVE_FLAG_FLAGGED 0x04
#define SIEVE_FLAG_DELETED 0x08
#define SIEVE_FLAG_DRAFT 0x10

struct sieve_action {
	enum sieve_action_type type;
	const char *mailbox; /* FILEINTO: UTF-8 IMAP name, "." hierarchy
				separator as Dovecot Maildir++ shows it */
	int create;	     /* FILEINTO :create (mailbox extension) */
	const char *address; /* REDIRECT target */
	unsigned flags;	     /* KEEP/FILEINTO: SIEVE_FLAG_* to set */
	/* VACATION (RFC 5230) */
	const char *reason;  /* body text */
	const char *subject; /* NULL = "Auto: " + original subject */
	const char *from;    /* NULL = the recipient */
	const char *handle;  /* NULL = derived from reason/subject */
	long days;	     /* already clamped to [1, 30]; default 7 */
	const char *const *addresses; /* :addresses, NULL-terminated */
	int mime;
	/* where in the script, for logs */
	unsigned line;
};

struct sieve_result {
	struct sieve_action *actions; /* owned by the result; strings too */
	size_t nactions;
	int implicit_keep; /* 1 if no action cancelled it: the caller adds
			      a KEEP (already listed in actions if set) */
	void *priv;	   /* the interpreter's storage */
};

/* Runs scripts[0..n) in order over one result (see above). The result's
 * action list is final: duplicates merged (two keeps are one), an implicit
 * keep present as a KEEP action when in force. On error the result holds
 * a single KEEP (never lose mail) and err says what and where. */
__attribute__((warn_unused_result)) enum sieve_status
sieve_execute(const struct sieve_script *const *scripts, size_t n,
	      const struct sieve_msg *msg, const struct sieve_limits *lim,
	      struct sieve_result *out, struct sieve_error *err);
void sieve_result_free(struct sieve_result *r);

const char *sieve_strerror(enum sieve_status st);

#endif
