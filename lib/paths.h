/* lib/paths.h - the built-in socket paths of facteur's daemons, in one
 * place: each daemon's default and what 'facteur doctor' connects to when
 * facteur.conf leaves a socket unset. The Postfix-facing ones sit in
 * Postfix's private/ directory (smtpd and lmtp are chrooted there by
 * default); the milters' under /run/facteur. */
#ifndef FACTEUR_LIB_PATHS_H
#define FACTEUR_LIB_PATHS_H

#define FACTEUR_SOCK_LOOKUP "/var/spool/postfix/private/facteur-lookup"
#define FACTEUR_SOCK_LMTP "/var/spool/postfix/private/facteur-lmtp"
/* "unix:/run/facteur/NAME.sock" for the milter NAME (a string literal) */
#define FACTEUR_SOCK_MILTER(name) "unix:/run/facteur/" name ".sock"

#endif
