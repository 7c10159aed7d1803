#!/usr/bin/perl
# tests/spam/sa_hits.pl - Debian's SpamAssassin over message files, in one
# process: "FILE<TAB>SCORE<TAB>RULE,RULE,..." per message (rules that
# scored, as X-Spam-Status lists them). Local tests only, Bayes off, no
# auto-learn, a private home and no user or site configuration beyond
# the rules directory given: the same rule set facteur loads.
#   sa_hits.pl RULES_DIR HOME_DIR FILE...
use strict;
use warnings;
use Mail::SpamAssassin;

my ($rules, $home, @files) = @ARGV;
die "usage: sa_hits.pl RULES_DIR HOME_DIR FILE...\n" unless $home;
mkdir $home;
open(my $pf, '>', "$home/user_prefs") or die "$home/user_prefs: $!";
print $pf "use_bayes 0\nbayes_auto_learn 0\nuse_auto_whitelist 0\n";
close $pf;
# Debian's plugin set: its .pre files (not its local.cf)
mkdir "$home/site";
for my $pre (glob("/etc/spamassassin/*.pre")) {
	my ($base) = $pre =~ m{([^/]+)$};
	open(my $in, '<', $pre) or die "$pre: $!";
	open(my $out, '>', "$home/site/$base") or die "$home/site/$base: $!";
	print $out $_ while <$in>;
	close $in;
	close $out;
}
my $sa = Mail::SpamAssassin->new({
	rules_filename => $rules,
	site_rules_filename => "$home/site",
	userprefs_filename => "$home/user_prefs",
	home_dir_for_helpers => $home,
	local_tests_only => 1,
	dont_copy_prefs => 1,
	post_config_text => "use_bayes 0\nbayes_auto_learn 0\n",
});
$sa->compile_now(0);
for my $f (@files) {
	open(my $fh, '<', $f) or do { print "$f\tERR\t\n"; next };
	# slurp with $/ undefined only for the read: SpamAssassin's own
	# chomp()s (MIMEEval's Content-Transfer-Encoding, ...) need "\n"
	my $raw = do { local $/; <$fh> };
	close $fh;
	my $msg = $sa->parse($raw);
	my $st = $sa->check($msg);
	my $hits = $st->get_names_of_tests_hit();
	printf "%s\t%.3f\t%s\n", $f, $st->get_score(), $hits;
	$st->finish();
	$msg->finish();
}
