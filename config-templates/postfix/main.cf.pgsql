# main.cf.pgsql - Postfix main.cf lines for the pgsql: route: Postfix
# reads facteur's database itself through the tables in
# /etc/postfix/pgsql/*.cf (config-templates/postfix/pgsql/, needs the
# postfix-pgsql package). Use these lines instead of main.cf.socketmap,
# not with it. Changes made with `facteur` apply on the next lookup: no
# postmap, no reload.
#
# SECURITY: Postfix connects as facteur_lookup, a read-only role created
# by `facteur db init --url` (docs/postgresql.md); it never writes a row.
# Compared with facteur-lookup, a pgsql: query cannot walk the access(5)
# search order fully ("user@" keys) nor match client IP/CIDR rows: keep
# those to facteur-blacklist.
#
# Test: postmap -q alice@example.org \
#         pgsql:/etc/postfix/pgsql/virtual_mailbox_maps.cf

virtual_mailbox_domains = pgsql:/etc/postfix/pgsql/virtual_mailbox_domains.cf
virtual_mailbox_maps = pgsql:/etc/postfix/pgsql/virtual_mailbox_maps.cf
# facteur's aliases after the virtual ones (a bare local part is tried
# there only for local domains); alias_maps stays Debian's
# hash:/etc/aliases, which local(8) reads for root and postmaster.
virtual_alias_maps = pgsql:/etc/postfix/pgsql/virtual_alias_maps.cf,
    pgsql:/etc/postfix/pgsql/alias_maps.cf

recipient_delimiter = +
smtpd_null_access_lookup_key = <>

# Blacklists. The access checks come after reject_unauth_destination, so an
# OK row can never make the server relay.
smtpd_recipient_restrictions =
    permit_mynetworks,
    permit_sasl_authenticated,
    reject_unauth_destination,
    check_sender_access pgsql:/etc/postfix/pgsql/sender_access.cf,
    check_recipient_access pgsql:/etc/postfix/pgsql/recipient_access.cf
