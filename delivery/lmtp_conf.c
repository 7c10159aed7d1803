/* delivery/lmtp_conf.c - [lmtp] keys and their checks; see lmtp_conf.h. */
#include "lmtp_conf.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

#define LMTP_OFF(f) offsetof(struct lmtp_settings, f)

const struct cfg_key lmtp_conf_keys[] = {
    {"mail_root", CFG_STR, "/var/mail/utilisateurs", 0, 0, LMTP_OFF(mail_root),
     NULL, "directory under which every Maildir lives"},
    {"socket", CFG_STR, FACTEUR_SOCK_LMTP, 0, 0, LMTP_OFF(socket), NULL,
     "LMTP unix socket (empty = off)"},
    {"socket_mode", CFG_STR, "0660", 0, 0, LMTP_OFF(socket_mode), NULL,
     "permissions of the unix socket (octal)"},
    {"socket_group", CFG_STR, "postfix", 0, 0, LMTP_OFF(socket_group), NULL,
     "group of the unix socket (empty = unchanged)"},
    {"tcp", CFG_STR, "", 0, 0, LMTP_OFF(tcp), NULL,
     "loopback TCP address, 127.0.0.1:PORT or [::1]:PORT (empty = off)"},
    {"user", CFG_STR, "3000", 0, 0, LMTP_OFF(user), NULL,
     "mail user (name or uid) to run as after binding (empty = stay)"},
    {"group", CFG_STR, "3000", 0, 0, LMTP_OFF(group), NULL,
     "mail group (name or gid; empty = the user's primary group)"},
    {"recipient_delimiter", CFG_STR, "+", 0, 0, LMTP_OFF(recipient_delimiter),
     NULL, "Postfix recipient_delimiter (empty = no +detail)"},
    {"max_message_size", CFG_SIZE, "50M", 1024, 1LL << 40,
     LMTP_OFF(max_message_size), NULL, "largest message accepted"},
    {"max_line_length", CFG_INT, "2048", 512, 1 << 20,
     LMTP_OFF(max_line_length), NULL, "longest command line"},
    {"max_data_line_length", CFG_SIZE, "1M", 998, 1LL << 30,
     LMTP_OFF(max_data_line_length), NULL,
     "longest message line (a longer one refuses the message)"},
    {"max_recipients", CFG_INT, "1000", 1, 100000, LMTP_OFF(max_recipients),
     NULL, "recipients per transaction"},
    {"max_clients", CFG_INT, "64", 1, 4096, LMTP_OFF(max_clients), NULL,
     "connections served at once (one worker thread each)"},
    {"idle_timeout", CFG_DURATION, "300s", 100, 86400000,
     LMTP_OFF(idle_timeout), NULL,
     "close a connection idle this long between commands"},
    {"command_timeout", CFG_DURATION, "60s", 100, 86400000,
     LMTP_OFF(command_timeout), NULL,
     "a command line, from its first byte to its reply"},
    {"data_timeout", CFG_DURATION, "600s", 1000, 86400000,
     LMTP_OFF(data_timeout), NULL,
     "DATA's body from the 354 to the final dot; each recipient's "
     "delivery after it"},
    {"spool_threshold", CFG_SIZE, "1M", 4096, 1LL << 40,
     LMTP_OFF(spool_threshold), NULL,
     "a message body past this goes to a temporary file, not memory"},
    {"spool_dir", CFG_STR, "", 0, 0, LMTP_OFF(spool_dir), NULL,
     "directory of those files (empty = mail_root, the Maildirs' "
     "filesystem)"},
    {"quota_tempfail", CFG_BOOL, "no", 0, 0, LMTP_OFF(quota_tempfail), NULL,
     "over quota: 452 4.2.2 (retry) instead of 552 5.2.2 (bounce)"},
    {"sieve_before", CFG_STR, "/etc/facteur/sieve/before.sieve", 0, 0,
     LMTP_OFF(sieve_before), NULL,
     "global Sieve script run before the user's (empty or missing = none)"},
    {"sieve_user", CFG_BOOL, "yes", 0, 0, LMTP_OFF(sieve_user), NULL,
     "run the user's ~/.dovecot.sieve"},
    {"sendmail", CFG_STR, "/usr/sbin/sendmail", 0, 0, LMTP_OFF(sendmail), NULL,
     "sendmail(1) for Sieve redirect and vacation"},
    {"hostname", CFG_STR, "", 0, 0, LMTP_OFF(hostname), NULL,
     "name in replies and Maildir file names (empty = the host's)"},
};
const size_t lmtp_conf_nkeys =
    sizeof(lmtp_conf_keys) / sizeof(lmtp_conf_keys[0]);

/* "127.0.0.1:24" or "[::1]:24", numeric and loopback only: the LMTP
 * server trusts its client (it delivers whatever it is given). */
static int
lmtp_conf_tcp(struct lmtp_settings *s, char *err, size_t errlen)
{
	char host[64], *colon;
	const char *h = s->tcp;
	struct addrinfo hints, *ai = NULL;
	size_t n;
	int loop = 0;

	if (*s->tcp == '\0')
		return 0;
	colon = strrchr(s->tcp, ':');
	if (colon == NULL || colon == s->tcp || colon[1] == '\0')
		goto bad;
	n = (size_t)(colon - s->tcp);
	if (*h == '[') {
		if (n < 3 || h[n - 1] != ']')
			goto bad;
		h++;
		n -= 2;
	}
	if (n >= sizeof(host))
		goto bad;
	memcpy(host, h, n);
	host[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL)
		goto bad;
	if (ai->ai_family == AF_INET)
		loop = (ntohl(((struct sockaddr_in *)ai->ai_addr)
				  ->sin_addr.s_addr) >>
			24) == 127;
	else if (ai->ai_family == AF_INET6)
		loop = IN6_IS_ADDR_LOOPBACK(
		    &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
	memcpy(&s->tcp_addr, ai->ai_addr, ai->ai_addrlen);
	s->tcp_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (!loop) {
		snprintf(
		    err, errlen,
		    "[lmtp] tcp: %s is not a loopback "
		    "address (LMTP clients are trusted to deliver anything)",
		    s->tcp);
		return -1;
	}
	return 0;
bad:
	if (ai)
		freeaddrinfo(ai);
	snprintf(err, errlen,
		 "[lmtp] tcp: \"%s\" is not ADDRESS:PORT "
		 "(127.0.0.1:24, [::1]:24)",
		 s->tcp);
	return -1;
}

int
lmtp_conf_check(struct lmtp_settings *s, char *err, size_t errlen)
{
	unsigned long m;
	char *end;

	m = strtoul(s->socket_mode, &end, 8);
	if (*s->socket_mode == '\0' || *end != '\0' || m > 0777) {
		snprintf(err, errlen,
			 "[lmtp] socket_mode: \"%s\" is not an "
			 "octal mode",
			 s->socket_mode);
		return -1;
	}
	s->mode = (unsigned)m;
	if (s->mail_root[0] != '/') {
		snprintf(err, errlen,
			 "[lmtp] mail_root: \"%s\" is not an "
			 "absolute path",
			 s->mail_root);
		return -1;
	}
	if (strchr(s->recipient_delimiter, '@') ||
	    strchr(s->recipient_delimiter, '.')) {
		snprintf(err, errlen,
			 "[lmtp] recipient_delimiter: \"%s\" may "
			 "not hold '@' or '.'",
			 s->recipient_delimiter);
		return -1;
	}
	if (*s->spool_dir && s->spool_dir[0] != '/') {
		snprintf(err, errlen,
			 "[lmtp] spool_dir: \"%s\" is not an "
			 "absolute path",
			 s->spool_dir);
		return -1;
	}
	if (lmtp_conf_tcp(s, err, errlen) < 0)
		return -1;
	if (*s->socket == '\0' && *s->tcp == '\0') {
		snprintf(err, errlen, "[lmtp] neither socket nor tcp is set");
		return -1;
	}
	if (*s->sendmail != '/') {
		snprintf(err, errlen,
			 "[lmtp] sendmail: \"%s\" is not an "
			 "absolute path",
			 s->sendmail);
		return -1;
	}
	return 0;
}
