#!/bin/sh
# bench/chain.sh - facteur-milter (milters/chain: blacklist, scrub, dkim
# and spam as modules of one milter) against the four separate milters,
# each behind a real Postfix, in one interleaved run on the same messages:
#
#   (a) sep:   smtpd_milters = blacklist.sock, scrub.sock, dkim.sock,
#              spam.sock (facteur-blacklist, -scrub, -dkim, -spam)
#   (b) chain: smtpd_milters = milter.sock (facteur-milter,
#              modules = blacklist, scrub, dkim, spam)
#
# One facteur.conf serves both (the modules read the same [blacklist],
# [scrub], [dkim], [spam] sections; [milter] has the chain's socket). Two
# private Postfix instances (tests/integration/harness.py, loopback, no
# chroot, virtual(8) delivery to a Maildir) run side by side, one per
# side, and the runs alternate a, b, a, b (ROUNDS). bench/chain-run.py
# sends the messages over SMTP (CONC sessions at a time, PER_CONN messages
# each) and counts the CPU of each side's milter processes and of its
# Postfix (master, its live children and the reaped ones) from /proc,
# before and after a run that ends when the queue is empty. Builds
# nothing: give it release binaries (ninja -C build-bench bench-chain).
# Run as root.
#
#   bench/chain.sh FACTEUR-BLACKLIST FACTEUR-SCRUB FACTEUR-DKIM \
#       FACTEUR-SPAM FACTEUR-MILTER FACTEUR MILTER-LOAD SOURCE_ROOT
#   env: CORPUS (/work/shared/corpus/spamassassin), MSGS (200: the first
#   MSGS/2 ham and MSGS/2 spam, by name), N (1000 messages per run, the
#   MSGS cycled), ROUNDS (2), CONC (2 SMTP sessions at once), PER_CONN
#   (10 messages per session), WARM (50 messages per side first), SECS
#   (120: a run's sending stops after that), BAYES (1: train Bayes on
#   TRAIN ham + TRAIN spam, the next files; 0: bayes_path empty), TRAIN
#   (220), KEEP=1 keeps the temp dir.
#
# The traffic is inbound and does every check: Postfix's client is
# 127.0.0.1, which no section lists as internal, so blacklist walks its
# (10) sender rows and one DNSBL zone, scrub looks and leaves inbound mail
# alone, dkim verifies and evaluates SPF, spam scores. DNS is real: a
# private Knot on loopback (tests/integration/dnsserver.py) serves
# bench.example (the DKIM key, SPF 'v=spf1 ip4:127.0.0.0/8 -all') and the
# DNSBL zone; it refuses other names (spam's URIBL zones) at once. Every
# message is signed first: the corpus with From: alice@bench.example, run
# once through facteur-dkim's signer (milter-load -w), so dkim=pass and
# spam's DKIM_VALID/DKIM_VALID_AU and SPF_PASS fire. spam: rules_path =
# facteur's rules/ only (not Debian's SpamAssassin set), network_tests =
# yes against the same Knot, Bayes trained with 'facteur spam learn'
# unless BAYES=0, no auto-learn. DMARC is off (dmarc = no). In (a)
# facteur-spam checks SPF and DKIM itself; in (b) it reads the dkim
# module's verdicts. DNS answers are cached (TTL 300) in both, so after
# the warm-up what (a) recomputes is the RSA verification and the SPF
# evaluation, not the DNS round trips.
#
# Every milter runs as nobody:postfix with its socket 0660 in the temp
# dir, as a deployment would. chain-run.py also checks that each side
# delivered every message it accepted and that both gave each message
# the same verdicts (X-Spam-Flag, score, dkim= and spf= results).
set -eu
BL=$1 SCRUB=$2 DKIM=$3 SPAM=$4 CHAIN=$5 FACTEUR=$6 LOAD=$7 SRC=$8
CORPUS=${CORPUS:-/work/shared/corpus/spamassassin}
MSGS=${MSGS:-200}
N=${N:-1000}
ROUNDS=${ROUNDS:-2}
CONC=${CONC:-2}
PER_CONN=${PER_CONN:-10}
WARM=${WARM:-50}
SECS=${SECS:-120}
BAYES=${BAYES:-1}
TRAIN=${TRAIN:-220}
PY=/usr/bin/python3

BENCH=chain
. "$(dirname "$0")/benchlib.sh"
[ "$(id -u)" = 0 ] || bench_die "run as root (Postfix, the milters' user)"
bench_tmpdir

# 1. The messages: MSGS/2 ham and MSGS/2 spam (interleaved by name), the
# next TRAIN of each for Bayes.
bench_split_corpus "$CORPUS" "$MSGS" "$TRAIN"

# 2. The database (read per message by blacklist and spam's Bayes as
# nobody:postfix) and the DKIM key.
PFGID=$(getent group postfix | cut -d: -f3)
[ -n "$PFGID" ] || bench_die "no postfix group"
mkdir "$T/db" "$T/cache"
chown "root:$PFGID" "$T/db"
chmod 0770 "$T/db"
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
spf = yes
dmarc = no
[spam]
socket = unix:$T/spam.sock
$COMMON
rules_path = $SRC/rules
bayes_path = $BAYES_PATH
cache_dir = $T/cache
internal_hosts = 10.1.2.3/32
network_tests = yes
dns_server = 127.0.0.1@DNSPORT
dns_timeout = 2s
EOF
FAC="$FACTEUR -c $T/facteur.conf --db $T/db/facteur.sqlite"
bench_facteur_db "$FAC" "$BAYES_PATH"
chown "root:$PFGID" "$T"/db/*
chmod 0660 "$T"/db/*

# 3. DNS: a private Knot with bench.example and the DNSBL zone
# (bench/stack-dns.py).
bench_dns "$SRC" "$TXT"
sed -i "s/DNSPORT/$DNSPORT/" "$T/facteur.conf"

# 4. The milters. facteur-spam compiles the rules into cache_dir first,
# as root (the daemons then load them from there, both sides alike).
"$SPAM" --check-config -c "$T/facteur.conf" > "$T/check.out" 2>&1 ||
	bench_die "facteur-spam --check-config: $(tail -3 "$T/check.out")"
"$CHAIN" --check-config -c "$T/facteur.conf" > "$T/check.out" 2>&1 ||
	bench_die "facteur-milter --check-config: $(tail -3 "$T/check.out")"
start() { bench_start "$1" "$2" "$T/$3.sock"; }
start blacklist "$BL" blacklist; P_BL=$LASTPID
start scrub "$SCRUB" scrub; P_SC=$LASTPID
start dkim "$DKIM" dkim; P_DK=$LASTPID
start spam "$SPAM" spam; P_SP=$LASTPID
start milter "$CHAIN" milter; P_CH=$LASTPID

# 5. Sign the messages once (facteur-dkim's signer: 10.1.2.3 is internal).
mkdir "$T/signed"
chmod 0755 "$T/signed"
"$LOAD" -q -n "$MSGS" -i 10.1.2.3 -m auth_authen=alice -m auth_type=PLAIN \
    -F "Alice <alice@bench.example>" -g DKIM-Signature -w "$T/signed" \
    "unix:$T/dkim.sock" "$T/msgs" > "$T/presign.out" 2>&1
grep -q "grep=$MSGS " "$T/presign.out" ||
	bench_die "pre-signing failed: $(cat "$T/presign.out")"

# 6. Postfix, the load, the table.
RC=0
$PY "$SRC/bench/chain-run.py" --harness "$SRC/tests/integration" \
    --tmp "$T" --msgs "$T/signed" --n "$N" --rounds "$ROUNDS" \
    --conc "$CONC" --per-conn "$PER_CONN" --warm "$WARM" --secs "$SECS" \
    --a "unix:$T/blacklist.sock,unix:$T/scrub.sock,unix:$T/dkim.sock,unix:$T/spam.sock" \
    --a-pids "$P_BL,$P_SC,$P_DK,$P_SP" \
    --b "unix:$T/milter.sock" --b-pids "$P_CH" \
    --title "facteur-milter vs 4 milters: $MSGS messages ($((MSGS / 2)) ham + $((MSGS / 2)) spam, signed) from $CORPUS; Bayes: $([ "$BAYES" = 1 ] && echo "trained on $TRAIN+$TRAIN" || echo off); $(nproc) CPUs" || RC=$?
bench_alive blacklist:$P_BL scrub:$P_SC dkim:$P_DK spam:$P_SP \
    milter:$P_CH || RC=1
exit $RC
