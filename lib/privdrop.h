/* lib/privdrop.h - dropping root after the socket is bound.
 *
 * priv_drop() resolves user (and group, or the user's primary group),
 * calls initgroups(user, gid) (so the user's supplementary groups from
 * /etc/group apply; when group overrides the primary group, the primary
 * group stays a supplementary one), setresgid, setresuid, then checks
 * that neither root uid nor gid can be regained. A no-op returning 0 when
 * user is NULL or "" or when not running as root and already that user.
 *
 * Numeric ids: user "3000" is the passwd entry named "3000", else the one
 * with uid 3000 (then as by name), else uid 3000 with no entry: its group
 * is then group, or gid 3000 when group is empty, and it gets no other
 * supplementary group. group "3000" is the group named so, else gid 3000.
 * (Dovecot's mail user is often only numbers in its userdb.) */
#ifndef FACTEUR_LIB_PRIVDROP_H
#define FACTEUR_LIB_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

/* Looks up user/group; -1 with a message if unknown. */
__attribute__((warn_unused_result)) int priv_lookup(const char *user,
						    const char *group,
						    uid_t *uid, gid_t *gid,
						    char *err, size_t errlen);

__attribute__((warn_unused_result)) int
priv_drop(const char *user, const char *group, char *err, size_t errlen);

#endif
