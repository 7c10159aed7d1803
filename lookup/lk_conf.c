/* lookup/lk_conf.c - [lookup] keys and their validation; see lk_conf.h. */
#include "lk_conf.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "paths.h"

#define LK_OFF(f) offsetof(struct lk_settings, f)

const struct cfg_key lk_conf_keys[] = {
    {"socket", CFG_STR, FACTEUR_SOCK_LOOKUP, 0, 0, LK_OFF(socket), NULL,
     "socketmap unix socket (empty = off)"},
    {"socket_mode", CFG_STR, "0666", 0, 0, LK_OFF(socket_mode), NULL,
     "permissions of the unix sockets (octal)"},
    {"tcp", CFG_STR, "", 0, 0, LK_OFF(tcp), NULL,
     "socketmap TCP address, 127.0.0.1:PORT or [::1]:PORT (empty = off)"},
    {"policy_socket", CFG_STR, "", 0, 0, LK_OFF(policy_socket), NULL,
     "policy delegation unix socket (empty = off)"},
    {"policy_tcp", CFG_STR, "", 0, 0, LK_OFF(policy_tcp), NULL,
     "policy delegation TCP address (empty = off)"},
    {"allow_remote", CFG_BOOL, "no", 0, 0, LK_OFF(allow_remote), NULL,
     "allow a non-loopback TCP address"},
    {"max_clients", CFG_INT, "64", 1, 4096, LK_OFF(max_clients), NULL,
     "connections served at once, on all listeners together (one thread "
     "and one database handle each); when full, the one idle longest is "
     "closed for a newcomer"},
    {"idle_timeout", CFG_DURATION, "300s", 100, 86400000, LK_OFF(idle_timeout),
     NULL, "close a connection idle this long between requests"},
    {"request_timeout", CFG_DURATION, "10s", 100, 600000,
     LK_OFF(request_timeout), NULL,
     "close a connection whose request is not answered this long after its "
     "first byte"},
    {"max_key_len", CFG_INT, "1024", 16, 65536, LK_OFF(max_key_len), NULL,
     "longest lookup key accepted"},
    {"recipient_delimiter", CFG_STR, "+", 0, 0, LK_OFF(recipient_delimiter),
     NULL, "Postfix recipient_delimiter (empty = no extensions)"},
    {"null_access_lookup_key", CFG_STR, "<>", 0, 0,
     LK_OFF(null_access_lookup_key), NULL,
     "Postfix smtpd_null_access_lookup_key"},
    {"user", CFG_STR, "facteur", 0, 0, LK_OFF(user), NULL,
     "user to run as after binding (empty = stay)"},
    {"group", CFG_STR, "", 0, 0, LK_OFF(group), NULL,
     "group to run as (empty = the user's primary group)"},
};
const size_t lk_conf_nkeys = sizeof(lk_conf_keys) / sizeof(lk_conf_keys[0]);

int
lk_tcp_parse(const char *s, struct lk_tcp_addr *out, char *err, size_t errlen)
{
	const char *colon, *host = s;
	size_t hlen;
	struct cidr_ip ip;
	char *end;
	long port;

	memset(out, 0, sizeof(*out));
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			goto bad;
		host = s + 1;
		hlen = (size_t)(rb - host);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)))
			goto bad;
		hlen = (size_t)(colon - s);
	}
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535)
		goto bad;
	if (cidr_ip_parse(host, hlen, &ip) < 0)
		goto bad;
	out->loopback = cidr_ip_is_loopback(&ip);
	if (ip.v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((unsigned short)port);
		memcpy(&a->sin6_addr, ip.b, 16);
		out->len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&out->ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((unsigned short)port);
		memcpy(&a->sin_addr, ip.b, 4);
		out->len = sizeof(*a);
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "\"%s\" is not ADDRESS:PORT (127.0.0.1:10044, [::1]:10044)",
		 s);
	return -1;
}

static int
lk_conf_tcp(const char *key, const char *v, int allow_remote, char *err,
	    size_t errlen)
{
	struct lk_tcp_addr a;
	char why[200];

	if (*v == '\0')
		return 0;
	if (lk_tcp_parse(v, &a, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "[lookup] %s: %s", key, why);
		return -1;
	}
	if (!a.loopback && !allow_remote) {
		snprintf(
		    err, errlen,
		    "[lookup] %s: %s is not a loopback address (set "
		    "allow_remote = yes to listen on it: lookups reveal every "
		    "mailbox)",
		    key, v);
		return -1;
	}
	return 0;
}

int
lk_conf_check(struct lk_settings *s, int for_serve, char *err, size_t errlen)
{
	char *end;
	unsigned long m;

	m = strtoul(s->socket_mode, &end, 8);
	if (*s->socket_mode == '\0' || *end != '\0' || m > 0777) {
		snprintf(err, errlen,
			 "[lookup] socket_mode: \"%s\" is not an octal mode",
			 s->socket_mode);
		return -1;
	}
	s->mode = (unsigned)m;
	if (lk_conf_tcp("tcp", s->tcp, s->allow_remote, err, errlen) < 0 ||
	    lk_conf_tcp("policy_tcp", s->policy_tcp, s->allow_remote, err,
			errlen) < 0)
		return -1;
	if (strchr(s->recipient_delimiter, '@') != NULL) {
		snprintf(err, errlen,
			 "[lookup] recipient_delimiter: '@' is "
			 "not a delimiter");
		return -1;
	}
	if (*s->null_access_lookup_key == '\0') {
		snprintf(err, errlen, "[lookup] null_access_lookup_key: empty");
		return -1;
	}
	if (for_serve && *s->socket == '\0' && *s->tcp == '\0' &&
	    *s->policy_socket == '\0' && *s->policy_tcp == '\0') {
		snprintf(err, errlen,
			 "[lookup] no socket, tcp, policy_socket "
			 "or policy_tcp: nothing to serve");
		return -1;
	}
	return 0;
}
