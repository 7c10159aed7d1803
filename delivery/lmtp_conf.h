/* delivery/lmtp_conf.h - the [lmtp] section of facteur.conf. */
#ifndef FACTEUR_DELIVERY_LMTP_CONF_H
#define FACTEUR_DELIVERY_LMTP_CONF_H

#include <stddef.h>
#include <sys/socket.h>

#include "cfg.h"

struct lmtp_settings {
	char *mail_root;    /* absolute; every Maildir lives below it */
	char *socket;	    /* unix socket; "" = off */
	char *socket_mode;  /* octal, e.g. "0660" */
	char *socket_group; /* group of the socket ("postfix"); "" = keep */
	char *tcp;	    /* "127.0.0.1:24" / "[::1]:24"; "" = off */
	char *user;	    /* name or numeric uid; "" = stay */
	char *group;	    /* name or numeric gid; "" = the user's */
	char *recipient_delimiter;
	long long max_message_size;	/* bytes */
	long long max_line_length;	/* command lines, bytes */
	long long max_data_line_length; /* message lines, bytes */
	long long max_recipients;
	long long max_clients;
	long long idle_timeout;	   /* ms, between commands */
	long long command_timeout; /* ms, a command line to its reply */
	long long data_timeout;	   /* ms, DATA's body; each delivery */
	long long spool_threshold; /* bytes of a body kept in memory */
	char *spool_dir;	   /* spool files; "" = mail_root */
	int quota_tempfail;
	char *sieve_before; /* global script run first; "" = none */
	int sieve_user;	    /* run ~/.dovecot.sieve */
	char *sendmail;	    /* for redirect and vacation */
	char *hostname;	    /* for replies and file names; "" = uname */
	/* derived by lmtp_conf_check() */
	unsigned mode;
	struct sockaddr_storage tcp_addr;
	socklen_t tcp_len;
};

extern const struct cfg_key lmtp_conf_keys[];
extern const size_t lmtp_conf_nkeys;

/* Validates what cfg_set can not (octal mode, absolute mail_root, a
 * loopback tcp address, a listener present) and fills the derived
 * fields. 0, or -1 with "[lmtp] key: why" in err. */
__attribute__((warn_unused_result)) int
lmtp_conf_check(struct lmtp_settings *s, char *err, size_t errlen);

/* --check-config (lmtp_check.c): opens what the daemon opens after its
 * privilege drop (mail_root, spool_dir, the database read-only,
 * sieve_before) in a child dropped to [lmtp] user/group. What does not
 * exist yet, or a user unknown here, is only warned about. 0, or -1 with
 * the first path that user cannot use. */
__attribute__((warn_unused_result)) int
lmtp_check_as_user(const struct lmtp_settings *s, const char *db_path,
		   long long busy_ms, char *err, size_t errlen);

#endif
