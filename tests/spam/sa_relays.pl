#!/usr/bin/perl
# tests/spam/sa_relays.pl - the relays Debian's SpamAssassin reads from
# each message's Received fields (Message::Metadata::Received), for
# comparing with lib/spam/received.c (tests/spam/relay_dump): one line
# per message, "FILE<TAB>UNPARSEABLE<TAB>LTI<TAB>LII<TAB>TRUSTED<TAB>UNTRUSTED":
# the last trusted and internal Received indices (what ALL-TRUSTED...
# read), then X-Spam-Relays-Trusted/-Untrusted. No trusted_networks: trust is
# inferred, as in facteur's default. No rules are run.
#   sa_relays.pl HOME_DIR FILE...
use strict;
use warnings;
use Mail::SpamAssassin;

my ($home, @files) = @ARGV;
die "usage: sa_relays.pl HOME_DIR FILE...\n" unless $home;
mkdir $home;
open(my $pf, '>', "$home/user_prefs") or die "$home/user_prefs: $!";
close $pf;
my $sa = Mail::SpamAssassin->new({
	rules_filename => "$home/none",
	site_rules_filename => "$home/none",
	# 10_default_prefs.cf's originating headers, as the stock rules set them
	config_text => "originating_ip_headers X-Yahoo-Post-IP X-Originating-IP "
	    . "X-Apparently-From X-SenderIP X-AOL-IP "
	    . "X-MS-Exchange-CrossTenant-OriginalAttributedTenantConnectingIp\n",
	userprefs_filename => "$home/user_prefs",
	home_dir_for_helpers => $home,
	local_tests_only => 1,
	dont_copy_prefs => 1,
});
mkdir "$home/none";
$sa->init(0);
for my $f (@files) {
	open(my $fh, '<', $f) or do { print "$f\tERR\t\t\t\t\n"; next };
	my $raw = do { local $/; <$fh> };
	close $fh;
	my $msg = $sa->parse($raw);
	my $pms = Mail::SpamAssassin::PerMsgStatus->new($sa, $msg);
	$msg->extract_message_metadata($pms);
	my $md = $msg->{metadata};
	printf "%s\t%d\t%d\t%d\t%s\t%s\n", $f, $md->{num_relays_unparseable},
	    $md->{last_trusted_relay_index}, $md->{last_internal_relay_index},
	    $md->{relays_trusted_str}, $md->{relays_untrusted_str};
	$pms->finish();
	$msg->finish();
}
