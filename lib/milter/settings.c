/* lib/milter/settings.c - the keys every milter's section has, and their
 * checks (see daemon.h). Apart from daemon.c, which serves, so that what
 * only reads a configuration ('facteur doctor', 'facteur explain', the
 * spam and blacklist verbs) links neither daemon.c nor libmilter:
 * structure-admin-no-libmilter checks it.
 * SECURITY: pure; no privilege. */
#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int mlt_check_config_only;

#define S(f) offsetof(struct mlt_settings, f)
static const struct cfg_key mlt_common_keys[MLT_SETTINGS_NKEYS] = {
    {"socket", CFG_STR, NULL, 0, 0, S(socket), NULL,
     "where to listen: unix:PATH, inet:PORT@HOST or inet6:PORT@HOST"},
    {"socket_mode", CFG_STR, "0660", 0, 0, S(socket_mode), NULL,
     "octal mode of a unix socket"},
    {"user", CFG_STR, NULL, 0, 0, S(user), NULL,
     "user to run as after binding the socket"},
    {"group", CFG_STR, NULL, 0, 0, S(group), NULL,
     "group to run as (default: the user's primary group)"},
    {"on_error", CFG_ENUM, "tempfail", 0, 0, S(on_error), "accept|tempfail",
     "answer when the filter cannot do its job"},
    {"max_body_size", CFG_SIZE, "64M", 1, 1LL << 30, S(max_body_size), NULL,
     "largest body kept for inspection; bigger is an error"},
    {"max_headers", CFG_INT, "1000", 1, 100000, S(max_headers), NULL,
     "most header fields per message; more is an error"},
    {"max_rcpts", CFG_INT, "1000", 1, 100000, S(max_rcpts), NULL,
     "most recipients per message"},
    {"timeout", CFG_DURATION, "2m", 1000, 3600000, S(timeout), NULL,
     "how long to wait for the MTA"},
    {"engine", CFG_ENUM, "native", 0, 0, S(engine), "native|libmilter",
     "milter protocol engine: facteur's own, or libmilter"},
    {"spool_threshold", CFG_SIZE, "1M", 4096, 1LL << 30, S(spool_threshold),
     NULL, "a kept body larger than this goes to a file in spool_dir"},
    {"spool_dir", CFG_STR, "/var/tmp", 0, 0, S(spool_dir), NULL,
     "directory for message bodies past spool_threshold"},
};
#undef S

size_t
mlt_settings_keys(struct cfg_key *out, size_t common_off)
{
	size_t i;

	for (i = 0; i < MLT_SETTINGS_NKEYS; i++) {
		out[i] = mlt_common_keys[i];
		out[i].off += common_off;
	}
	return MLT_SETTINGS_NKEYS;
}

static int
mlt_port_ok(const char *p, const char *at)
{
	long n = 0;

	if (p == at || at - p > 5)
		return 0;
	for (; p < at; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		n = n * 10 + (*p - '0');
	}
	return n >= 1 && n <= 65535;
}

int
mlt_socket_parse(const char *spec, enum mlt_sock_kind *kind, const char **path)
{
	const char *at;

	*path = NULL;
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		*kind = MLT_SOCK_UNIX;
		*path = strchr(spec, ':') + 1;
		return (**path == '/' &&
			strlen(*path) <
			    sizeof(((struct sockaddr_un *)0)->sun_path))
			   ? 0
			   : -1;
	}
	if (strncmp(spec, "inet:", 5) == 0)
		*kind = MLT_SOCK_INET, spec += 5;
	else if (strncmp(spec, "inet6:", 6) == 0)
		*kind = MLT_SOCK_INET6, spec += 6;
	else
		return -1;
	if ((at = strchr(spec, '@')) == NULL || at[1] == '\0')
		return -1;
	return mlt_port_ok(spec, at) ? 0 : -1;
}

int
mlt_socket_mode(const char *s, mode_t *mode)
{
	char *end;
	long m;

	errno = 0;
	m = strtol(s, &end, 8);
	if (errno || end == s || *end != '\0' || m < 0 || m > 0777)
		return -1;
	*mode = (mode_t)m;
	return 0;
}

const char *
mlt_settings_check(const struct mlt_settings *s)
{
	enum mlt_sock_kind k;
	const char *path;
	mode_t m;

	if (s->socket && mlt_socket_parse(s->socket, &k, &path) != 0)
		return "socket: not unix:/ABSOLUTE/PATH, inet:PORT@HOST or "
		       "inet6:PORT@HOST";
	if (mlt_socket_mode(s->socket_mode, &m) != 0)
		return "socket_mode: not an octal mode like 0660";
	if (m & 0007)
		return "socket_mode: must not give access to others";
	if (s->group && *s->group && !(s->user && *s->user))
		return "group is set without user";
	return NULL;
}
