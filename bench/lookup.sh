#!/bin/sh
# bench/lookup.sh - facteur-lookup throughput against its in-process ceiling.
#
# Builds a database of 1000 users in 10 domains and 200 aliases (mkdb, the
# store API), starts facteur-lookup on a unix socket, and runs lookup-load
# with 1, 8 and 64 connections (QUERIES queries each level, SECS cap) over
# a fixed key set: 50% existing mailboxes, 25% missing ones, 25% aliases
# (half missing). Prints queries/s, p50/p99 latency, facteur-lookup's CPU
# per query (utime + stime of its threads, from /proc; with PG_PID, the
# PostgreSQL server's too: that pid and its children) and the ratio to
# lookup-ceiling (the same keys through the store API in one thread).
#
# usage: lookup.sh FACTEUR_LOOKUP MKDB LOOKUP_LOAD LOOKUP_CEILING
# With DB_URL=postgresql://... (an empty database) the same run goes to
# PostgreSQL instead of a SQLite file; bench/lookup-backends.py runs both
# side by side on a private PostgreSQL.
# Measure with a release build without sanitizers:
#   meson setup build-bench --buildtype=release -Db_sanitize=none
#   ninja -C build-bench bench-lookup
set -eu

BIN=$1 MKDB=$2 LOAD=$3 CEIL=$4
QUERIES=${QUERIES:-20000}
SECS=${SECS:-30}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/facteur-bench-lookup.XXXXXX")
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

i=0
{
	d=0
	while [ $d -lt 10 ]; do echo "domain|d$d.test"; d=$((d + 1)); done
	while [ $i -lt 1000 ]; do
		echo "user|u$i@d$((i % 10)).test|d$((i % 10)).test/u$i/"
		i=$((i + 1))
	done
	i=0
	while [ $i -lt 200 ]; do
		echo "alias|alias$i|u$i@d$((i % 10)).test"
		i=$((i + 1))
	done
} >"$DIR/db.txt"
DB=${DB_URL:-$DIR/facteur.sqlite}
"$MKDB" "$DB" "$DIR/db.txt"

{
	i=0
	while [ $i -lt 100 ]; do
		n=$((i * 7 % 1000))
		echo "mailboxes u$n@d$((n % 10)).test"
		i=$((i + 1))
	done
	i=0
	while [ $i -lt 50 ]; do echo "mailboxes nobody$i@d$((i % 10)).test"
		i=$((i + 1)); done
	i=0
	while [ $i -lt 25 ]; do echo "aliases alias$((i * 5))"
		i=$((i + 1)); done
	i=0
	while [ $i -lt 25 ]; do echo "aliases noalias$i"; i=$((i + 1)); done
} >"$DIR/keys.txt"

cat >"$DIR/facteur.conf" <<CONF
[database]
$(case $DB in postgres*://*) echo url;; *) echo path;; esac) = $DB
[lookup]
socket = $DIR/lookup.sock
user =
max_clients = 128
CONF
"$BIN" -c "$DIR/facteur.conf" -f serve 2>"$DIR/lookup.log" &
PID=$!
n=0
while [ ! -S "$DIR/lookup.sock" ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
[ -S "$DIR/lookup.sock" ] || { cat "$DIR/lookup.log"; exit 1; }

# CPU ticks of a pid and its children (the server's backends)
ticks() {
	[ -n "${1:-}" ] || { echo 0; return; }
	t=0
	for p in $1 $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		s=$(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null) || continue
		t=$((t + $(echo "$s" | awk '{ print $12 + $13 + $14 + $15 }')))
	done
	echo $t
}
HZ=$(getconf CLK_TCK)

ceil=$("$CEIL" "$DB" "$DIR/keys.txt" 200000)
cqps=$(echo "$ceil" | sed 's/.*qps=\([0-9]*\).*/\1/')
printf '%-22s %10s %10s %10s %8s %10s %10s\n' "run" "queries/s" "p50 us" \
    "p99 us" "ratio" "cpu us/q" "pg us/q"
printf '%-22s %10s %10s %10s %8s %10s %10s\n' "in-process (store)" "$cqps" \
    "-" "-" "1.00" "-" "-"
for c in 1 8 64; do
	t0=$(ticks "$PID") g0=$(ticks "${PG_PID:-}")
	out=$("$LOAD" "$DIR/lookup.sock" "$DIR/keys.txt" $c "$QUERIES" "$SECS")
	t1=$(ticks "$PID") g1=$(ticks "${PG_PID:-}")
	nq=$(echo "$out" | sed 's/.*queries=\([0-9]*\).*/\1/')
	cpu=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$nq" \
	    'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')
	pgc=$(awk -v t=$((g1 - g0)) -v hz="$HZ" -v n="$nq" \
	    'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')
	qps=$(echo "$out" | sed 's/.*qps=\([0-9]*\).*/\1/')
	p50=$(echo "$out" | sed 's/.*p50_us=\([0-9.]*\).*/\1/')
	p99=$(echo "$out" | sed 's/.*p99_us=\([0-9.]*\).*/\1/')
	errs=$(echo "$out" | sed 's/.*errors=\([0-9]*\).*/\1/')
	ratio=$(awk -v a="$qps" -v b="$cqps" 'BEGIN { printf "%.2f", a / b }')
	printf '%-22s %10s %10s %10s %8s %10s %10s%s\n' "socketmap, $c conn" \
	    "$qps" "$p50" "$p99" "$ratio" "$cpu" \
	    "$([ -n "${PG_PID:-}" ] && echo "$pgc" || echo -)" \
	    "$([ "$errs" = 0 ] || echo " ($errs errors)")"
done
