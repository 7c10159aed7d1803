#!/bin/sh
# bench/spam-backends.sh - facteur-spam with its Bayes in a SQLite file and
# in PostgreSQL, side by side in one interleaved run, on the same messages,
# driven by bench/milter-load over unix sockets (issue 14's target: CPU
# per message on PostgreSQL within 1.3x of SQLite's).
#
#   tests/postgres/run_with_pg.py PORT bench/spam-backends.sh \
#       FACTEUR-SPAM FACTEUR MILTER-LOAD SOURCE_ROOT
#   (ninja -C build-bench bench-spam-backends does this)
#   env: CORPUS (/work/shared/corpus/spamassassin), MSGS (200), TRAIN (220
#   ham and spam each, learned by both), N (2000 messages per run), SECS
#   (60: each run also stops then), CONCS ("1 8"), ROUNDS (3), RULES
#   ("full bayes"), KEEP=1 keeps the temp dir.
#
# The database is FACTEUR_TEST_DB_URL (run_with_pg.py's private
# PostgreSQL 15: unix socket, fsync off); 'facteur db init --url' makes the
# schema. Two rule sets, each with both backends:
#  - full: Debian's /usr/share/spamassassin + facteur's rules/ (what
#    bench/spam.sh runs); Bayes is a small part of a message's cost;
#  - bayes: only the BAYES_* rules (engine.c's built-ins), so the cost of
#    the token lookup shows: SQLite reads each token with one indexed
#    SELECT in one snapshot; PostgreSQL gets the totals and every token in
#    one statement (one round trip).
# The SQLite side has bayes_path; the PostgreSQL side only [database] url
# (bayes_path at its default): the selection the daemons use.
# CPU per message is facteur-spam's (utime + stime of the process and its
# threads, from /proc, before and after each run); the PostgreSQL
# server's (postmaster and its backends) is shown apart. Runs alternate
# SQLite, PostgreSQL at each concurrency and rule set, ROUNDS times;
# figures are the sums over rounds divided by messages.
set -eu
SPAM=$1 FACTEUR=$2 LOAD=$3 SRC=$4
URL=${FACTEUR_TEST_DB_URL:?run through tests/postgres/run_with_pg.py}
CORPUS=${CORPUS:-/work/shared/corpus/spamassassin}
MSGS=${MSGS:-200}
TRAIN=${TRAIN:-220}
N=${N:-2000}
SECS=${SECS:-60}
CONCS=${CONCS:-"1 8"}
ROUNDS=${ROUNDS:-3}
RULES=${RULES:-"full bayes"}
PY=/usr/bin/python3

BENCH=spam-backends
. "$(dirname "$0")/benchlib.sh"
bench_tmpdir

cpu() { procsum cpu "$@"; } # benchlib.sh: the pids and their descendants
HZ=$(getconf CLK_TCK)
PGHOST=$(echo "$URL" | sed -n 's/.*[?&]host=\([^&]*\).*/\1/p')
PGPID=$(head -n 1 "$PGHOST/data/postmaster.pid" 2>/dev/null || echo)

bench_split_corpus "$CORPUS" "$MSGS" "$TRAIN"
"$FACTEUR" -c /dev/null --db "$URL" db init --url "$URL" > /dev/null
printf 'score BAYES_99 3.5\nscore BAYES_999 0.2\nscore BAYES_00 -1.9\n' \
    > "$T/bayes.cf"
mkdir -p "$T/cache"

# conf RULES BACKEND
conf() {
	case $1 in
	full) rp=/usr/share/spamassassin:$SRC/rules ;;
	*) rp=$T/bayes.cf ;;
	esac
	{
		[ "$2" = pg ] && printf '[database]\nurl = %s\n' "$URL"
		echo "[spam]"
		echo "socket = unix:$T/$1-$2.sock"
		echo "rules_path = $rp"
		[ "$2" = sqlite ] && echo "bayes_path = $T/bayes.sqlite"
		echo "internal_hosts ="
		echo "cache_dir = $T/cache"
	} > "$T/$1-$2.conf"
}

# Training, timed: the same messages into each backend, through the
# configuration (facteur spam learn).
for b in sqlite pg; do
	conf bayes $b
	t0=$(date +%s.%N)
	"$FACTEUR" -c "$T/bayes-$b.conf" spam learn --spam "$T/train-spam" \
	    > "$T/learn-$b.out"
	"$FACTEUR" -c "$T/bayes-$b.conf" spam learn --ham "$T/train-ham" \
	    >> "$T/learn-$b.out"
	t1=$(date +%s.%N)
	echo "learn $b: $(tr '\n' ' ' < "$T/learn-$b.out")" \
	    "in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s" \
	    >> "$T/learn.txt"
done

PIDOF=""
for r in $RULES; do
	for b in sqlite pg; do
		conf "$r" "$b"
		"$SPAM" --check-config -c "$T/$r-$b.conf" > /dev/null
		"$SPAM" -f -c "$T/$r-$b.conf" 2> "$T/$r-$b.log" &
		PIDS="$PIDS $!"
		PIDOF="$PIDOF $r-$b=$!"
	done
done
for r in $RULES; do
	for b in sqlite pg; do
		pid=$(echo "$PIDOF" | tr ' ' '\n' | sed -n "s/^$r-$b=//p")
		wait_sock "$T/$r-$b.sock" "$pid" 300
	done
done

run() { # RULES BACKEND CONNS
	pid=$(echo "$PIDOF" | tr ' ' '\n' | sed -n "s/^$1-$2=//p")
	p0=$([ -n "$PGPID" ] && cpu "$PGPID" || echo 0)
	line=$(bench_load_run "$T/$1-$2.sock" "$N" "$3" score= "$pid")
	p1=$([ -n "$PGPID" ] && cpu "$PGPID" || echo 0)
	echo "$1 $2 $3 $line pgticks=$((p1 - p0))"
}

# Warm-up, and proof that both Bayes answer (BAYES_ rules in the headers).
: > "$T/hits"
for r in $RULES; do
	for b in sqlite pg; do
		h=$(bench_bayes_hits "$T/$r-$b.sock")
		echo "$r/$b $h" >> "$T/hits"
	done
done

: > "$T/results"
i=1
while [ $i -le "$ROUNDS" ]; do
	for c in $CONCS; do
		for r in $RULES; do
			run "$r" sqlite "$c" >> "$T/results"
			run "$r" pg "$c" >> "$T/results"
		done
	done
	i=$((i + 1))
done

echo "facteur-spam, Bayes on SQLite vs PostgreSQL $(psql --version |
    awk '{ print $3 }') ($URL), $MSGS messages from $CORPUS, $ROUNDS round(s)" \
    "interleaved; $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$T/learn.txt"
echo "BAYES_ rules in the headers of 20 warm-up messages: $(tr '\n' ' ' < "$T/hits")"
awk -v hz="$HZ" '
{
	k = $1 " " $3 " " $2
	for (i = 4; i <= NF; i++) { split($i, a, "="); v[k, a[1]] += a[2] }
	runs[k]++
	if (!(($1 " " $3) in seen)) { seen[$1 " " $3] = 1; order[++n] = $1 " " $3 }
}
END {
	printf "%-6s %5s %-7s %7s %9s %8s %8s %11s %11s %8s\n", "rules",
	    "conns", "bayes", "msgs", "msgs/s", "p50 ms", "p99 ms",
	    "cpu ms/msg", "pg ms/msg", "cpu x"
	for (j = 1; j <= n; j++) {
		split(order[j], rc, " ")
		for (b = 1; b <= 2; b++) {
			be = b == 1 ? "sqlite" : "pg"
			k = order[j] " " be
			r = runs[k]
			if (!r) continue
			c[b] = v[k, "ticks"] * 1000 / hz / v[k, "msgs"]
			printf "%-6s %5s %-7s %7d %9.1f %8.2f %8.2f %11.3f %11.3f",
			    rc[1], rc[2], be, v[k, "msgs"], v[k, "msgs_s"] / r,
			    v[k, "p50_ms"] / r, v[k, "p99_ms"] / r, c[b],
			    v[k, "pgticks"] * 1000 / hz / v[k, "msgs"]
			if (b == 2 && c[1] > 0) printf " %8.2f", c[2] / c[1]
			printf "\n"
			if (v[k, "grep"] != v[k, "msgs"] || v[k, "errors"])
				printf "      ! %d of %d messages carry score=, %d errors\n",
				    v[k, "grep"], v[k, "msgs"], v[k, "errors"]
		}
	}
	print "cpu x: facteur-spam CPU per message, PostgreSQL over SQLite (target <= 1.3);"
	print "pg ms/msg: the PostgreSQL server (postmaster and backends), not counted in cpu"
}' "$T/results"
cp "$T/results" "${RESULTS:-/dev/null}" 2>/dev/null || true
