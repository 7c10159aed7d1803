# /etc/dovecot/sieve/report-spam.sieve - run by Dovecot's IMAPSieve
# (config-templates/dovecot/91-facteur-imapsieve*.conf) when the user
# moves, copies or uploads a message into Spam or Junk: the message goes
# to facteur's learning spool as spam. Only report-spam can be piped to:
# sieve_pipe_bin_dir holds nothing else, and vnd.dovecot.pipe is a global
# extension, out of reach of the users' own scripts.
# Compile it once after each change, as root:
#   sievec /etc/dovecot/sieve/report-spam.sieve
require ["vnd.dovecot.pipe", "copy"];

pipe :copy "report-spam";
