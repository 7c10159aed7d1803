#!/bin/sh
# bench/stack.sh - the whole inbound stack measured through Postfix:
# smtp-source -> a private Postfix (loopback) -> milters -> LMTP -> Maildir,
# seven configurations in ONE interleaved run (round r sends to 1, 2, 3, 4,
# 11, 5, 6, then round r+1; every run starts from an empty Maildir):
#
#   1 pf-lmtp   Postfix alone -> facteur-lmtp
#   2 fmilter   facteur-milter (blacklist, scrub, dkim, spam) + facteur-lmtp
#   3 four      facteur-blacklist, -scrub, -dkim, -spam + facteur-lmtp
#   4 rspamd    rspamd (milter mode) WITHOUT Bayes + Dovecot LMTP (the row
#               of the earlier runs, kept for continuity)
#  11 rspamd-b  rspamd (milter mode) with Bayes on a private redis-server
#               + Dovecot LMTP: the fair comparison (facteur and spamd run
#               Bayes), the rspamd stack of issue 13's targets
#   5 classic   OpenDKIM + spamass-milter/spamd + Dovecot LMTP
#   6 pf-dove   Postfix alone -> Dovecot LMTP (the LMTP pair of 1)
#
# and, for before/after measurements of facteur's own CPU (not run by
# default; CONFIGS names them, and the run alternates in CONFIGS' order):
#
#   7 pf-lmtp-o   as 1 with OLD's facteur-lmtp
#   8 fmilter-o   as 2 with OLD's facteur-milter and facteur-lmtp
#   9 nospam      facteur-milter (blacklist, scrub, dkim with SPF and
#                 DMARC, no spam) + facteur-lmtp: the milter's cost
#                 outside facteur-spam
#  10 nospam-o    as 9 with OLD's binaries
#  12 dkim-only   facteur-dkim alone (verify, no SPF/DMARC) + facteur-lmtp:
#                 the lightest milter that reads the whole message (it
#                 waits only at OPTNEG and end of message), so Postfix's
#                 own cost of any content milter: 12's postfix column
#                 minus 1's
#
# Each configuration has its own private Postfix (tests/integration/
# harness.py: no chroot, in_flow_delay 0) with virtual_transport = lmtp:
# to its LMTP server's unix socket and smtpd_milters = its milters
# (milter_default_action = tempfail: a milter that fails loses the message,
# and the run fails). smtp-source sends N copies of ONE message (MSG, a
# 4 KB ham message of the corpus, DKIM-signed once up front by
# facteur-dkim for bench.example; From: alice@bench.example), SESSIONS
# SMTP sessions at once, one message per session (as smtp-source does
# without -d; Postfix opens a milter connection per session).
#
# bench/stack-run.py (read its header) counts every message in the
# Maildirs by Postfix queue id (a missing or duplicated one fails the
# run), and prints msg/s (N over the time from the first connection to
# the last delivered file's mtime), CPU ms per message of each daemon
# (its whole process tree in a cpuacct cgroup of its own, exited
# processes included: Postfix's master and all its children, Dovecot's,
# rspamd's, spamd's...; the split by process from /proc/<pid>/stat,
# approximate), the peak Pss of each
# daemon (sum of smaps_rollup over its tree, sampled every second during
# the runs) and the ratios against issue 13's targets.
#
# What runs, all offline, all on loopback:
#  - DNS: a private Knot (tests/integration/dnsserver.py) serving
#    bench.example (the DKIM key, SPF 'v=spf1 ip4:127.0.0.0/8 -all') and
#    a DNSBL zone; it refuses other names at once.
#  - facteur: one facteur.conf; [dkim] verifies only (spf = no, dmarc =
#    no: the same work as OpenDKIM, so the DKIM target compares like with
#    like); [spam] evaluates SPF itself (network_tests = yes), with
#    rules_path = SpamAssassin's rules + facteur's (the default) unless
#    RULES=facteur, Bayes trained on TRAIN+TRAIN corpus messages unless
#    BAYES=0; [blacklist] 10 sender rows and one DNSBL zone. facteur-lmtp
#    runs the guide's sieve_before and fsyncs the file and new/.
#  - rspamd (Debian 12's 3.4, unpacked by scripts/install-bench-deps):
#    bench/spam.sh's private offline instances (self_scan proxy in milter
#    mode; 4 without Bayes, 11 with Bayes on a private redis-server,
#    trained with rspamc on the same TRAIN+TRAIN messages, the run dying
#    unless BAYES_SPAM/BAYES_HAM is in its result for the bench message;
#    redis-server's CPU and Pss are a column of 11) but with their dkim
#    and spf modules ON against the same Knot.
#  - OpenDKIM: Mode v, the key from TestDNSData (it cannot take a resolver
#    port; see bench/dkim.sh). spamd -L with its Bayes trained with
#    sa-learn on the same messages, 8 children; spamass-milter -m.
#  - Dovecot 2.3 LMTP: static userdb, maildir:~/, Pigeonhole sieve_before
#    with the same script, mail_fsync = optimized (its default: fsync of
#    the file, and fdatasync of new/ at commit) - both servers fsync.
#
# usage (as root, release binaries: meson setup build-stack-rel
# --buildtype=release; ninja -C build-stack-rel bench-stack):
#   bench/stack.sh FACTEUR-LMTP FACTEUR-MILTER FACTEUR-BLACKLIST \
#       FACTEUR-SCRUB FACTEUR-DKIM FACTEUR-SPAM FACTEUR MILTER-LOAD SRC
#   env: N (1000 messages per run), N_CLASSIC (300: configuration 5,
#   SpamAssassin is slow), ROUNDS (3), SESSIONS (20), WARM (100 per
#   configuration first), SECS (300: a run that has not delivered
#   everything by then fails), CONFIGS ("1 2 3 4 11 5 6"), MSG (ham/00003...),
#   RULES (sa: SpamAssassin's + facteur's; facteur: facteur's only),
#   BAYES (1), TRAIN (220), SPAM_CACHE (facteur-spam's cache_dir; default
#   in the temp dir, so the rules are compiled once per run, ~1 min),
#   RSPAMD_ROOT (/opt/facteur-bench/rspamd), KEEP=1 keeps the temp dir,
#   OLD (a build directory of another commit, same options, for 7, 8
#   and 10: its delivery/facteur-lmtp and milters/chain/facteur-milter,
#   on sockets of their own, same database, keys, rules and cache).
#   e.g. CONFIGS="9 10 2 8 1 7" RULES=facteur OLD=/var/tmp/old/build ...
#   TRACE=N (0): after the rounds, deterministic counts for each
#   configuration: its milter conversation (two messages, one session at
#   a time, through a recording proxy in front of each milter: the
#   second session's packets both ways, OPTNEG's actions, protocol flags
#   and macro lists decoded, each header edit named), then N messages
#   with strace -f on every Postfix process: syscalls a message by
#   program and by call (ROUNDS=0 runs the traces alone).
#   ROTATE=1 (0): round r starts at the r-th configuration of CONFIGS
#   (2 8, then 8 2, ...), so that no configuration always runs right
#   after the same one: in one run, 8 after 2 cost Postfix 0.2 ms a
#   message more than 2 in five rounds out of five, and 0.02 with the
#   order swapped (bench/README.md).
set -eu
LMTP=$1 CHAIN=$2 BL=$3 SCRUB=$4 DKIM=$5 SPAM=$6 FACTEUR=$7 LOAD=$8 SRC=$9
CORPUS=${CORPUS:-/work/shared/corpus/spamassassin}
MSG=${MSG:-$CORPUS/ham/00003.860e3c3cee1b42ead714c5c874fe25f7.eml}
N=${N:-1000}
N_CLASSIC=${N_CLASSIC:-300}
ROUNDS=${ROUNDS:-3}
SESSIONS=${SESSIONS:-20}
WARM=${WARM:-100}
SECS=${SECS:-300}
CONFIGS=${CONFIGS:-1 2 3 4 11 5 6}
RULES=${RULES:-sa}
BAYES=${BAYES:-1}
TRAIN=${TRAIN:-220}
RSPAMD_ROOT=${RSPAMD_ROOT:-/opt/facteur-bench/rspamd}
OLD=${OLD:-}
TRACE=${TRACE:-0}
ROTATE=${ROTATE:-0}
PY=/usr/bin/python3
NCPU=$(nproc)

BENCH=stack
. "$(dirname "$0")/benchlib.sh"
[ "$(id -u)" = 0 ] || bench_die "run as root (Postfix, Dovecot, the daemons' users)"
for x in /usr/sbin/smtp-source /usr/sbin/spamd /usr/sbin/spamass-milter \
    /usr/sbin/opendkim /usr/sbin/dovecot /usr/lib/dovecot/lmtp \
    /usr/bin/redis-server /usr/bin/redis-cli "$RSPAMD_ROOT/usr/bin/rspamd"; do
	[ -x "$x" ] || bench_die "$x missing (scripts/install-bench-deps)"
done
bench_tmpdir
has() { case " $CONFIGS " in *" $1 "*) return 0 ;; esac; return 1; }
if has 7 || has 8 || has 10; then
	[ -n "$OLD" ] || bench_die "configurations 7, 8, 10 need OLD=build-dir"
	for x in delivery/facteur-lmtp milters/chain/facteur-milter; do
		[ -x "$OLD/$x" ] || bench_die "$OLD/$x missing"
	done
fi

# 1. Bayes training messages (the next TRAIN of each class after MSGS=0).
bench_split_corpus "$CORPUS" 0 "$TRAIN"

# 2. facteur: database, users, key, config.
PFGID=$(getent group postfix | cut -d: -f3)
MUID=$(id -u nobody) MGID=$(id -g nobody)
mkdir "$T/db" "$T/mail-facteur" "$T/mail-dovecot" "$T/sieve" "$T/dc"
chown "root:$PFGID" "$T/db"
chmod 0770 "$T/db"
cp "$SRC/config-templates/sieve/before.sieve" "$T/sieve/"
SPAM_CACHE=${SPAM_CACHE:-$T/cache}
mkdir -p "$SPAM_CACHE"
RULES_PATH=/usr/share/spamassassin:$SRC/rules
[ "$RULES" = facteur ] && RULES_PATH=$SRC/rules
BAYES_PATH=""
[ "$BAYES" = 1 ] && BAYES_PATH=$T/db/bayes.sqlite
COMMON="user = nobody
group = postfix
socket_mode = 0660"
cat > "$T/facteur.conf" <<EOF
[database]
path = $T/db/facteur.sqlite
[admin]
dkim_user = root
mail_root = $T/mail-facteur
[lmtp]
mail_root = $T/mail-facteur
socket = $T/lmtp.sock
socket_group = postfix
user = $MUID
group = $PFGID
hostname = lmtp.bench
max_clients = 64
sieve_before = $T/sieve/before.sieve
[milter]
socket = unix:$T/milter.sock
$COMMON
modules = blacklist, scrub, dkim, spam
[blacklist]
socket = unix:$T/blacklist.sock
$COMMON
internal_hosts =
dnsbl_zones = dnsbl.bench
resolver = 127.0.0.1@DNSPORT
dnsbl_timeout = 2s
[scrub]
socket = unix:$T/scrub.sock
$COMMON
[dkim]
socket = unix:$T/dkim.sock
$COMMON
authserv_id = mx.bench
internal_hosts = 10.1.2.3/32
sign_daemons =
resolver = 127.0.0.1@DNSPORT
dns_timeout = 2s
spf = no
dmarc = no
[spam]
socket = unix:$T/spam.sock
$COMMON
rules_path = $RULES_PATH
bayes_path = $BAYES_PATH
cache_dir = $SPAM_CACHE
internal_hosts = 10.1.2.3/32
network_tests = yes
dns_server = 127.0.0.1@DNSPORT
dns_timeout = 2s
EOF
FAC="$FACTEUR -c $T/facteur.conf --db $T/db/facteur.sqlite"
bench_facteur_db "$FAC" "$BAYES_PATH"
$FAC domain add bench.example >/dev/null
r=0
while [ $r -le "$ROUNDS" ]; do
	for c in 1 2 3 7 8 9 10 12; do
		echo "pw-$c-$r" | $FAC user add "c${c}r$r@bench.example" \
		    --password-stdin >/dev/null
	done
	r=$((r + 1))
done
chown "root:$PFGID" "$T"/db/*
chmod 0660 "$T"/db/*
chown -R "$MUID:$PFGID" "$T/mail-facteur" "$T/sieve"
chown -R "$MUID:$MGID" "$T/mail-dovecot"

# 3. DNS: a private Knot (bench/stack-dns.py).
bench_dns "$SRC" "$TXT"
sed -i "s/DNSPORT/$DNSPORT/" "$T/facteur.conf"

# 4. facteur's daemons. facteur-spam compiles the rules into cache_dir
# first, as root; the daemons load them from there.
if has 2 || has 3; then
	"$SPAM" --check-config -c "$T/facteur.conf" > "$T/check.out" 2>&1 ||
		bench_die "facteur-spam --check-config: $(tail -3 "$T/check.out")"
fi
start() { bench_start "$@"; }
start lmtp "$LMTP" "$T/lmtp.sock"; P_LMTP=$LASTPID
start dkim "$DKIM" "$T/dkim.sock"; P_DK=$LASTPID
P_CH=0 P_BL=0 P_SC=0 P_SP=0
if has 2; then start milter "$CHAIN" "$T/milter.sock"; P_CH=$LASTPID; fi
if has 3; then
	start blacklist "$BL" "$T/blacklist.sock"; P_BL=$LASTPID
	start scrub "$SCRUB" "$T/scrub.sock"; P_SC=$LASTPID
	start spam "$SPAM" "$T/spam.sock"; P_SP=$LASTPID
fi
# 7-10: the same configuration on other sockets; 9-10 without spam, dkim
# checking SPF and DMARC.
sed -e "s#$T/lmtp.sock#$T/lmtp-old.sock#" \
    -e "s#$T/milter.sock#$T/milter-old.sock#" \
    "$T/facteur.conf" > "$T/facteur-old.conf"
for v in "" -old; do
	sed -e "s#^modules = .*#modules = blacklist, scrub, dkim#" \
	    -e "s#^spf = no#spf = yes#" -e "s#^dmarc = no#dmarc = yes#" \
	    -e "s#$T/milter$v.sock#$T/nospam$v.sock#" \
	    "$T/facteur$v.conf" > "$T/facteur-nospam$v.conf"
done
P_LMTPO=0 P_CHO=0 P_NS=0 P_NSO=0
if has 7 || has 8 || has 10; then
	start lmtp-old "$OLD/delivery/facteur-lmtp" "$T/lmtp-old.sock" \
	    "$T/facteur-old.conf"
	P_LMTPO=$LASTPID
fi
if has 8; then
	start milter-old "$OLD/milters/chain/facteur-milter" \
	    "$T/milter-old.sock" "$T/facteur-old.conf"
	P_CHO=$LASTPID
fi
if has 9; then
	start nospam "$CHAIN" "$T/nospam.sock" "$T/facteur-nospam.conf"
	P_NS=$LASTPID
fi
if has 10; then
	start nospam-old "$OLD/milters/chain/facteur-milter" \
	    "$T/nospam-old.sock" "$T/facteur-nospam-old.conf"
	P_NSO=$LASTPID
fi

# 5. The message, signed once by facteur-dkim (10.1.2.3 is internal),
# with LF line ends for smtp-source -F (it appends CRLF to each line).
mkdir "$T/one" "$T/signed"
cp "$MSG" "$T/one/msg.eml"
"$LOAD" -q -n 1 -i 10.1.2.3 -m auth_authen=alice -m auth_type=PLAIN \
    -F "Alice <alice@bench.example>" -g DKIM-Signature -w "$T/signed" \
    "unix:$T/dkim.sock" "$T/one" > "$T/presign.out" 2>&1
grep -q "grep=1 " "$T/presign.out" ||
	bench_die "signing failed: $(cat "$T/presign.out")"
tr -d '\r' < "$T/signed/00000.eml" > "$T/msg.txt"

# 6. Dovecot: LMTP only, as bench/lmtp.sh.
DPID=0
if has 4 || has 11 || has 5 || has 6; then
	bench_dovecot_lmtp "$T/dc" "$MUID" "$MGID" "$T/sieve/before.sieve"
	PIDS="$PIDS $DPID"
fi

# 7. rspamd: spam.sh's private instances, with dkim and spf on (Knot);
# 11's Bayes trained and proven on the bench message.
RPID=0 RBPID=0 REDIS_PID=0
if has 4; then
	bench_rspamd "127.0.0.1:$DNSPORT" 2s 1 "dkim spf"
fi
if has 11; then
	bench_rspamd "127.0.0.1:$DNSPORT" 2s 1 "dkim spf" 1
fi
if has 4; then wait_sock "$T/rspamd.sock" $RPID 120; fi
if has 11; then
	wait_sock "$T/rspamd-bayes.sock" $RBPID 120
	bench_rspamd_learn
	"$LOAD" -q -n 1 -g BAYES_ "unix:$T/rspamd-bayes.sock" "$T/one" \
	    > "$T/rspamd-bayes.out" 2>&1
	grep -q "grep=1 " "$T/rspamd-bayes.out" ||
		bench_die "rspamd with Bayes: no BAYES_SPAM/BAYES_HAM for the bench message: $(cat "$T/rspamd-bayes.out")"
fi
if has 4 || has 11; then bench_rspamd_settle; fi

# 8. OpenDKIM (verify) + spamass-milter/spamd (SpamAssassin, Bayes).
OPID=0 SPID=0 MPID=0
if has 5; then
	echo "s1._domainkey.bench.example $TXT" > "$T/testdns"
	cat > "$T/opendkim.conf" <<EOF
Syslog no
Mode v
Canonicalization relaxed/relaxed
AuthservID mx.bench
Socket local:$T/opendkim.sock
UMask 000
TestDNSData file:$T/testdns
EOF
	/usr/sbin/opendkim -f -x "$T/opendkim.conf" 2> "$T/opendkim.log" &
	OPID=$!; PIDS="$PIDS $OPID"
	bench_spamassassin "$BAYES"
	wait_sock "$T/opendkim.sock" $OPID 30
	wait_sock "$T/spamd.sock" $SPID 180
	wait_sock "$T/spamass.sock" $MPID 30
fi

# 9. The configurations, Postfix, the load, the table.
cat > "$T/configs.json" <<EOF
[
 {"id": 1, "key": "pf-lmtp", "label": "Postfix alone -> facteur-lmtp",
  "milters": "", "lmtp": "$T/lmtp.sock",
  "box": "$T/mail-facteur/bench.example/{user}", "n": $N,
  "procs": [["facteur-lmtp", [$P_LMTP]]]},
 {"id": 2, "key": "fmilter", "label": "facteur-milter + facteur-lmtp",
  "milters": "unix:$T/milter.sock", "lmtp": "$T/lmtp.sock",
  "box": "$T/mail-facteur/bench.example/{user}", "n": $N,
  "procs": [["facteur-milter", [$P_CH]], ["facteur-lmtp", [$P_LMTP]]]},
 {"id": 3, "key": "four", "label": "4 facteur milters + facteur-lmtp",
  "milters": "unix:$T/blacklist.sock, unix:$T/scrub.sock, unix:$T/dkim.sock, unix:$T/spam.sock",
  "lmtp": "$T/lmtp.sock",
  "box": "$T/mail-facteur/bench.example/{user}", "n": $N,
  "procs": [["facteur-blacklist", [$P_BL]], ["facteur-scrub", [$P_SC]],
            ["facteur-dkim", [$P_DK]], ["facteur-spam", [$P_SP]],
            ["facteur-lmtp", [$P_LMTP]]]},
 {"id": 4, "key": "rspamd", "label": "rspamd + Dovecot LMTP",
  "milters": "unix:$T/rspamd.sock", "lmtp": "$T/dc/run/lmtp",
  "box": "$T/mail-dovecot/bench.example/{user}", "n": $N,
  "procs": [["rspamd", [$RPID]], ["dovecot", [$DPID]]]},
 {"id": 11, "key": "rspamd-b", "label": "rspamd with Bayes (Redis) + Dovecot LMTP",
  "milters": "unix:$T/rspamd-bayes.sock", "lmtp": "$T/dc/run/lmtp",
  "box": "$T/mail-dovecot/bench.example/{user}", "n": $N,
  "procs": [["rspamd", [$RBPID]], ["redis", [$REDIS_PID]],
            ["dovecot", [$DPID]]]},
 {"id": 5, "key": "classic", "label": "OpenDKIM + spamass-milter/spamd + Dovecot LMTP",
  "milters": "unix:$T/opendkim.sock, unix:$T/spamass.sock",
  "lmtp": "$T/dc/run/lmtp",
  "box": "$T/mail-dovecot/bench.example/{user}", "n": $N_CLASSIC,
  "procs": [["opendkim", [$OPID]], ["spamass-milter", [$MPID]],
            ["spamd", [$SPID]], ["dovecot", [$DPID]]]},
 {"id": 6, "key": "pf-dove", "label": "Postfix alone -> Dovecot LMTP",
  "milters": "", "lmtp": "$T/dc/run/lmtp",
  "box": "$T/mail-dovecot/bench.example/{user}", "n": $N,
  "procs": [["dovecot", [$DPID]]]},
 {"id": 7, "key": "pf-lmtp-o", "label": "Postfix alone -> OLD facteur-lmtp",
  "milters": "", "lmtp": "$T/lmtp-old.sock",
  "box": "$T/mail-facteur/bench.example/{user}", "n": $N,
  "procs": [["facteur-lmtp", [$P_LMTPO]]]},
 {"id": 8, "key": "fmilter-o", "label": "OLD facteur-milter + facteur-lmtp",
  "milters": "unix:$T/milter-old.sock", "lmtp": "$T/lmtp-old.sock",
  "box": "$T/mail-facteur/bench.example/{user}", "n": $N,
  "procs": [["facteur-milter", [$P_CHO]], ["facteur-lmtp", [$P_LMTPO]]]},
 {"id": 9, "key": "nospam", "label": "facteur-milter, no spam + facteur-lmtp",
  "milters": "unix:$T/nospam.sock", "lmtp": "$T/lmtp.sock",
  "box": "$T/mail-facteur/bench.example/{user}", "n": $N,
  "procs": [["facteur-milter", [$P_NS]], ["facteur-lmtp", [$P_LMTP]]]},
 {"id": 10, "key": "nospam-o", "label": "OLD facteur-milter, no spam + f-lmtp",
  "milters": "unix:$T/nospam-old.sock", "lmtp": "$T/lmtp-old.sock",
  "box": "$T/mail-facteur/bench.example/{user}", "n": $N,
  "procs": [["facteur-milter", [$P_NSO]], ["facteur-lmtp", [$P_LMTPO]]]},
 {"id": 12, "key": "dkim-only", "label": "facteur-dkim (verify) + facteur-lmtp",
  "milters": "unix:$T/dkim.sock", "lmtp": "$T/lmtp.sock",
  "box": "$T/mail-facteur/bench.example/{user}", "n": $N,
  "procs": [["facteur-dkim", [$P_DK]], ["facteur-lmtp", [$P_LMTP]]]}
]
EOF
RC=0
$PY "$SRC/bench/stack-run.py" --harness "$SRC/tests/integration" \
    --tmp "$T" --msg "$T/msg.txt" --configs "$T/configs.json" \
    --only "$CONFIGS" --rounds "$ROUNDS" --sessions "$SESSIONS" \
    --warm "$WARM" --secs "$SECS" --trace "$TRACE" --rotate "$ROTATE" \
    --title "$(basename "$MSG") ($(wc -c < "$T/msg.txt") bytes signed), spam rules: $RULES, Bayes: $BAYES${RSPAMD_LEARNED:+, rspamd Bayes (11) learned $RSPAMD_LEARNED}; $NCPU CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)" ||
    RC=$?
bench_alive lmtp:$P_LMTP dkim:$P_DK milter:$P_CH blacklist:$P_BL \
    scrub:$P_SC spam:$P_SP lmtp-old:$P_LMTPO milter-old:$P_CHO \
    nospam:$P_NS nospam-old:$P_NSO || RC=1
exit $RC
