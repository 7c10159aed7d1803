/* lookup/lk_conf.h - the [lookup] section of facteur.conf. */
#ifndef FACTEUR_LOOKUP_LK_CONF_H
#define FACTEUR_LOOKUP_LK_CONF_H

#include <stddef.h>
#include <sys/socket.h>

#include "cfg.h"

struct lk_settings {
	char *socket;	     /* socketmap unix socket; "" = off */
	char *socket_mode;   /* octal, e.g. "0666" */
	char *tcp;	     /* socketmap "127.0.0.1:10044" / "[::1]:10044" */
	char *policy_socket; /* policy delegation unix socket; "" = off */
	char *policy_tcp;
	int allow_remote; /* accept a non-loopback tcp address */
	long long max_clients;
	long long idle_timeout;	   /* ms, between requests */
	long long request_timeout; /* ms, first byte to answer */
	long long max_key_len;
	char *recipient_delimiter;
	char *null_access_lookup_key;
	char *user;
	char *group;
	/* derived by lk_conf_check() */
	unsigned mode;
};

extern const struct cfg_key lk_conf_keys[];
extern const size_t lk_conf_nkeys;

/* A parsed "HOST:PORT" with a numeric host. */
struct lk_tcp_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	int loopback;
};

/* "127.0.0.1:10044", "[::1]:10044". Pure. 0, or -1 with err. */
__attribute__((warn_unused_result)) int
lk_tcp_parse(const char *s, struct lk_tcp_addr *out, char *err, size_t errlen);

/* Validates what cfg_set cannot: octal mode, tcp addresses (loopback unless
 * allow_remote), delimiters. for_serve: at least one listener. 0 or -1. */
__attribute__((warn_unused_result)) int
lk_conf_check(struct lk_settings *s, int for_serve, char *err, size_t errlen);

#endif
