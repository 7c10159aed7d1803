/* delivery/lmtp_server.h - facteur-lmtp on lib/server: its listeners, its
 * shared context (struct lmtp_server, lmtp.h) and the startup order of
 * lib/server.h: bind as root, drop to the mail user, open the mail root
 * and the database, serve until SIGTERM. */
#ifndef FACTEUR_DELIVERY_LMTP_SERVER_H
#define FACTEUR_DELIVERY_LMTP_SERVER_H

#include "lmtp_conf.h"

/* Serves with the [lmtp] settings cfg and the database at db_path until
 * SIGTERM / SIGINT. 0, or 1 after logging why it could not start. */
int lmtp_serve(const struct lmtp_settings *cfg, const char *db_path,
	       long long busy_ms);

#endif
