#!/bin/sh
# bench/lmtp.sh - facteur-lmtp against Dovecot's own LMTP, in one run.
#
# Both servers deliver the same COUNT messages (from CORPUS, cycled when
# there are fewer) to USERS users of one domain, into Maildirs on the same
# filesystem (mail_location = maildir:~/), each with its fsync defaults:
# facteur-lmtp fsyncs the file and the directory before its 250, Dovecot
# (mail_fsync = optimized) fsyncs the file before its 250. Both run the
# guide's global Sieve rule (config-templates/sieve/before.sieve), Dovecot
# through Pigeonhole's sieve_before when dovecot-sieve is installed.
#
# Runs alternate (facteur, Dovecot, facteur, Dovecot, ... ROUNDS times)
# at 1 and 8 sessions; every run starts from empty Maildirs. lmtp-load
# reports messages/s and the servers' CPU (utime+stime of the daemon and,
# for Dovecot, of the master and all its children: lmtp, auth, log...).
#
# usage (as root): lmtp.sh FACTEUR_LMTP FACTEUR LMTP_LOAD SOURCE_ROOT
#   COUNT=2000 SECS=60 ROUNDS=2 USERS=4 CONNS="1 8"
#   CORPUS=/work/shared/corpus/spamassassin/ham  TMPDIR=/tmp
#   KEEP=1 leaves the directory (logs, Maildirs of the last runs)
# Measure with a release build without sanitizers:
#   meson setup build-bench --buildtype=release -Db_sanitize=none
#   ninja -C build-bench bench-lmtp
set -eu

LMTP=$1 ADMIN=$2 LOAD=$3 SRC=$4
COUNT=${COUNT:-2000}
SECS=${SECS:-60}
ROUNDS=${ROUNDS:-2}
USERS=${USERS:-4}
CONNS=${CONNS:-1 8}
CORPUS=${CORPUS:-/work/shared/corpus/spamassassin/ham}
MAILUSER=nobody
DOMAIN=bench.test

BENCH=lmtp
. "$(dirname "$0")/benchlib.sh"
[ "$(id -u)" = 0 ] || bench_die "run as root (Dovecot)"
bench_tmpdir
DIR=$T

uid=$(id -u $MAILUSER)
gid=$(id -g $MAILUSER)
mkdir -p "$DIR/db" "$DIR/sieve" "$DIR/dc" "$DIR/mail-facteur" \
    "$DIR/mail-dovecot"
cp "$SRC/config-templates/sieve/before.sieve" "$DIR/sieve/"

# facteur: database, users, config
cat >"$DIR/facteur.conf" <<CONF
[database]
path = $DIR/db/facteur.sqlite
[admin]
mail_root = $DIR/mail-facteur
[lmtp]
mail_root = $DIR/mail-facteur
socket = $DIR/facteur-lmtp.sock
socket_group =
user = $uid
group = $gid
hostname = bench.facteur.test
max_clients = 64
sieve_before = $DIR/sieve/before.sieve
CONF
adm() { "$ADMIN" -c "$DIR/facteur.conf" --db "$DIR/db/facteur.sqlite" "$@"; }
adm db init >/dev/null
adm domain add $DOMAIN >/dev/null
i=0
while [ $i -lt "$USERS" ]; do
	echo "bench-pw-$i" | adm user add "u$i@$DOMAIN" --password-stdin \
	    >/dev/null
	i=$((i + 1))
done

chown -R "$uid:$gid" "$DIR/db" "$DIR/sieve" "$DIR/mail-facteur" \
    "$DIR/mail-dovecot"

# Dovecot: LMTP only, a static userdb on the same layout (benchlib.sh)
bench_dovecot_lmtp "$DIR/dc" "$uid" "$gid" "$DIR/sieve/before.sieve"
sieve_desc=$SIEVE_DESC
bench_start facteur-lmtp "$LMTP" "$DIR/facteur-lmtp.sock"
FPID=$LASTPID

# empty Maildirs (owned by the mail user) before each run
fresh() {
	rm -rf "$DIR/$1/$DOMAIN"
	mkdir "$DIR/$1/$DOMAIN"
	chown "$uid:$gid" "$DIR/$1/$DOMAIN"
	sync
}

# one run: prints "mps cpu_ms_per_msg msgs errors"
run() { # server conns
	if [ "$1" = facteur ]; then
		fresh mail-facteur
		sock=$DIR/facteur-lmtp.sock pid=$FPID
	else
		fresh mail-dovecot
		sock=$DIR/dc/run/lmtp pid=$DPID
	fi
	out=$("$LOAD" "$sock" "$CORPUS" "$COUNT" "$2" "$SECS" $DOMAIN \
	    "$USERS" "$pid") || true
	echo "$out" | sed 's/.* msgs=\([0-9]*\) .* mps=\([0-9.]*\) .*'`
	    `'cpu_ms_per_msg=\([0-9.]*\) .* errors=\([0-9]*\).*/\2 \3 \1 \4/'
}

echo "facteur-lmtp vs Dovecot $(dovecot --version | cut -d' ' -f1) LMTP" \
    "($sieve_desc): $COUNT messages from $CORPUS, $USERS users,"
echo "$ROUNDS interleaved rounds per level, Maildirs under $DIR" \
    "($(df -T "$DIR" | awk 'NR == 2 { print $2 }'))"
printf '%-8s %-14s %5s %8s %10s %10s\n' sessions server round msgs msgs/s \
    "CPU ms/msg"
for c in $CONNS; do
	r=1
	fm=0 fc=0 dm=0 dc=0
	while [ "$r" -le "$ROUNDS" ]; do
		for s in facteur dovecot; do
			set -- $(run $s "$c")
			[ "$4" = 0 ] || echo "  ($s: $4 errors)"
			printf '%-8s %-14s %5s %8s %10s %10s\n' "$c" \
			    "$([ $s = facteur ] && echo facteur-lmtp ||
			    echo dovecot-lmtp)" "$r" "$3" "$1" "$2"
			if [ $s = facteur ]; then
				fm=$(awk -v a="$fm" -v b="$1" 'BEGIN{print a+b}')
				fc=$(awk -v a="$fc" -v b="$2" 'BEGIN{print a+b}')
			else
				dm=$(awk -v a="$dm" -v b="$1" 'BEGIN{print a+b}')
				dc=$(awk -v a="$dc" -v b="$2" 'BEGIN{print a+b}')
			fi
		done
		r=$((r + 1))
	done
	awk -v c="$c" -v fm="$fm" -v fc="$fc" -v dm="$dm" -v dc="$dc" \
	    -v n="$ROUNDS" 'BEGIN {
		printf "%-8s mean: facteur %.0f msgs/s %.3f ms/msg, dovecot " \
		    "%.0f msgs/s %.3f ms/msg -> %.2fx msgs/s, %.2fx less CPU\n",
		    c, fm / n, fc / n, dm / n, dc / n, fm / dm, dc / fc }'
done
if grep -q -i -E 'AddressSanitizer|runtime error' "$DIR/facteur-lmtp.log"; then
	echo "facteur-lmtp: sanitizer report in its log" >&2
	exit 1
fi
