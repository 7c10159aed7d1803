/* delivery/server.h - facteur-lmtp's listeners and connection threads.
 * Startup order (STYLE rule 13): lmtp_server_listen as root, drop
 * privileges, lmtp_server_open (mail root and database as the mail
 * user), lmtp_server_run until SIGTERM, lmtp_server_free. */
#ifndef FACTEUR_DELIVERY_SERVER_H
#define FACTEUR_DELIVERY_SERVER_H

#include "lmtp.h"
#include "store.h"

__attribute__((warn_unused_result)) int lmtp_server_listen(
    struct lmtp_server *srv, const struct lmtp_settings *cfg, char *err,
    size_t errlen);
__attribute__((warn_unused_result)) int lmtp_server_open(
    struct lmtp_server *srv, const char *db_path, long long busy_ms,
    char *err, size_t errlen);
/* Serves until SIGTERM/SIGINT, then waits (bounded) for connections. */
int lmtp_server_run(struct lmtp_server *srv);
void lmtp_server_free(struct lmtp_server *srv);

#endif
