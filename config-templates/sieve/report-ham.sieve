# /etc/dovecot/sieve/report-ham.sieve - run by Dovecot's IMAPSieve
# (config-templates/dovecot/91-facteur-imapsieve*.conf) when the user
# moves or copies a message out of Spam or Junk: the message goes to
# facteur's learning spool as ham, unless it went to the Trash (deleting
# spam says nothing about it) or to the other spam folder.
# Compile it once after each change, as root:
#   sievec /etc/dovecot/sieve/report-ham.sieve
require ["vnd.dovecot.pipe", "copy", "imapsieve", "environment"];

if anyof (environment :is "imap.mailbox" ["Trash", "INBOX.Trash",
               "INBOX/Trash", "Deleted Messages", "Deleted Items",
               "Spam", "Junk", "INBOX.Spam", "INBOX.Junk"],
          environment :matches "imap.mailbox" ["Trash/*", "Trash.*",
               "INBOX.Trash.*", "INBOX/Trash/*"]) {
	stop;
}
pipe :copy "report-ham";
