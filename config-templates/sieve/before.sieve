# /etc/facteur/sieve/before.sieve - run by facteur-lmtp before each user's
# own script ([lmtp] sieve_before). The guide's rule: mail that
# facteur-spam (or SpamAssassin) marked as spam goes to the "Spam" folder,
# created on first use. The user's script still runs afterwards and can
# file it elsewhere; "stop" here would only end this script.
require ["fileinto", "mailbox"];

if header :contains "X-Spam-Flag" "YES" {
	fileinto :create "Spam";
}
