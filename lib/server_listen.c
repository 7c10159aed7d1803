/* lib/server_listen.c - the server skeleton's listeners and privilege
 * drop; see server.h.
 *
 * SECURITY: runs as root before the drop. A unix socket is created under
 * umask 0177 and only then given its mode and owner, so no one connects
 * in between; a stale socket is replaced only when no one answers on it,
 * and a path that is not a socket is never removed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "privdrop.h"
#include "server_int.h"

static struct srv_listener *
srv_listener_add(struct server *srv, int fd, int tag, int tcp, char *err,
		 size_t errlen)
{
	struct srv_listener *l;

	if (srv->nls == SRV_MAX_LISTENERS) {
		snprintf(err, errlen, "server: more than %d listeners",
			 SRV_MAX_LISTENERS);
		close(fd);
		return NULL;
	}
	if (listen(fd, srv->lim.backlog) != 0) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	l = &srv->ls[srv->nls++];
	l->fd = fd;
	l->tag = tag;
	l->tcp = tcp;
	return l;
}

/* A socket file left by a dead process is removed; one that answers
 * belongs to a live server; anything else is not ours to delete. */
static int
srv_clear_stale(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	const char *path = sun->sun_path;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "%s: in use by a running server", path);
		return -1;
	}
	if (unlink(path) != 0) {
		snprintf(err, errlen, "%s: cannot remove the stale socket: %s",
			 path, strerror(errno));
		return -1;
	}
	return 0;
}

int
srv_unix_clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	size_t n = strlen(path);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path empty or too long",
			 path);
		return -1;
	}
	memcpy(sun.sun_path, path, n + 1);
	return srv_clear_stale(&sun, err, errlen);
}

int
srv_listen_unix(struct server *srv, const char *path, unsigned mode, uid_t uid,
		gid_t gid, int tag, char *err, size_t errlen)
{
	struct srv_listener *l;
	struct sockaddr_un sun;
	struct stat st;
	size_t n = strlen(path);
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path empty or too long",
			 path);
		return -1;
	}
	memcpy(sun.sun_path, path, n + 1);
	if (srv_clear_stale(&sun, err, errlen) != 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177); /* no window where others may connect */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		umask(old);
		snprintf(err, errlen, "%s: bind: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, (mode_t)mode) != 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	     chown(path, uid, gid) != 0) ||
	    lstat(path, &st) != 0) {
		snprintf(err, errlen, "%s: mode or owner: %s", sun.sun_path,
			 strerror(errno));
		close(fd);
		(void)!unlink(path);
		return -1;
	}
	if ((l = srv_listener_add(srv, fd, tag, 0, err, errlen)) == NULL) {
		(void)!unlink(path);
		return -1;
	}
	snprintf(l->name, sizeof(l->name), "%s", path);
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if ((l->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "server: out of memory");
		return -1;
	}
	return 0;
}

int
srv_listen_inet(struct server *srv, const struct sockaddr *sa, socklen_t len,
		const char *name, int tag, char *err, size_t errlen)
{
	struct srv_listener *l;
	int fd, one = 1;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "%s: socket: %s", name, strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, sa, len) != 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	if ((l = srv_listener_add(srv, fd, tag, 1, err, errlen)) == NULL)
		return -1;
	snprintf(l->name, sizeof(l->name), "%s", name);
	return 0;
}

int
srv_drop_privileges(struct server *srv, const char *user, const char *group,
		    char *err, size_t errlen)
{
	(void)srv;
	return priv_drop(user, group, err, errlen);
}
