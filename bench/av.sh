#!/bin/sh
# bench/av.sh - facteur-milter with the av module against Debian's
# clamav-milter, on the same clamd, in one interleaved run on the same
# messages:
#
#   (a) facteur: facteur-milter, [milter] modules = av (zINSTREAM)
#   (b) clamav:  clamav-milter (ClamdSocket = the same clamd)
#   (c) base:    facteur-example, the milter engine with a filter that
#                adds one header and never calls clamd
#
# milter-load drives each over the milter protocol (CONC connections, N
# messages, the MSGS first ham and spam of the corpus by name, cycled) and
# reads each milter's CPU (utime+stime, /proc/PID/stat) before and after
# the run; clamd's CPU is read the same way around (a) and (b). The runs
# alternate a, b, c (ROUNDS). Both milters see every message whole and
# ask clamd for a verdict (-g checks the X-Virus-Scanned header each one
# adds, so a milter that skipped the scan would show). clamd loads the
# test database of tests/av (an EICAR and a test-attachment signature):
# freshclam's databases cannot be downloaded here, so clamd's own cost is
# far below a production one; what is compared is each milter's.
#
# The av module's own cost, excluding clamd, is (a) - (c): facteur-milter
# with av minus the same engine with a filter that does nothing costly.
# Builds nothing: give it release binaries. Run as root.
#
#   bench/av.sh FACTEUR-MILTER FACTEUR-EXAMPLE MILTER-LOAD SOURCE_ROOT
#   env: CORPUS (/work/shared/corpus/spamassassin), MSGS (400), N (2000
#   messages per run), ROUNDS (3), CONC (4), KEEP=1 keeps the temp dir.
set -eu
CHAIN=$1 EXAMPLE=$2 LOAD=$3 SRC=$4
CORPUS=${CORPUS:-/work/shared/corpus/spamassassin}
MSGS=${MSGS:-400}
N=${N:-2000}
ROUNDS=${ROUNDS:-3}
CONC=${CONC:-4}
BENCH=av
. "$(dirname "$0")/benchlib.sh"

[ "$(id -u)" = 0 ] || bench_die "run as root"
for p in /usr/sbin/clamd /usr/sbin/clamav-milter; do
	[ -x "$p" ] || bench_die "missing $p (scripts/install-deps --all)"
done
bench_tmpdir
bench_split_corpus "$CORPUS" "$MSGS" 0

# clamd with the tests' private database
/usr/bin/python3 -c "import sys; sys.path.insert(0, '$SRC/tests/av');
import clamdtest; clamdtest.write_database('$T/db')"
cat > "$T/clamd.conf" <<EOF
Foreground yes
LocalSocket $T/clamd.sock
LocalSocketMode 666
DatabaseDirectory $T/db
User root
LogFile $T/clamd.log
MaxThreads 8
SelfCheck 0
TemporaryDirectory $T/clamd-tmp
EOF
mkdir "$T/clamd-tmp"
/usr/sbin/clamd -c "$T/clamd.conf" > "$T/clamd.out" 2>&1 &
CLAMD=$!
PIDS="$PIDS $CLAMD"
wait_sock "$T/clamd.sock" $CLAMD 60

cat > "$T/facteur.conf" <<EOF
[milter]
socket = unix:$T/facteur.sock
socket_mode = 0660
modules = av
[av]
clamd_socket = $T/clamd.sock
authserv_id = bench.example
[example]
socket = unix:$T/example.sock
socket_mode = 0660
EOF
"$CHAIN" -f -c "$T/facteur.conf" > "$T/facteur.log" 2>&1 &
FM=$!
PIDS="$PIDS $FM"
"$EXAMPLE" -f -c "$T/facteur.conf" > "$T/example.log" 2>&1 &
EX=$!
PIDS="$PIDS $EX"

cat > "$T/clamav-milter.conf" <<EOF
MilterSocket unix:$T/clamav.sock
MilterSocketMode 666
Foreground yes
ClamdSocket unix:$T/clamd.sock
LogFile $T/clamav-milter.log
OnClean Accept
OnInfected Reject
AddHeader Replace
ReadTimeout 120
MaxFileSize 25M
EOF
/usr/sbin/clamav-milter -c "$T/clamav-milter.conf" > "$T/clamav.out" 2>&1 &
CM=$!
PIDS="$PIDS $CM"
wait_sock "$T/facteur.sock" $FM 30
wait_sock "$T/example.sock" $EX 30
wait_sock "$T/clamav.sock" $CM 30

cpu_ticks() { # PID: utime+stime of the process, in clock ticks
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

run() { # NAME SOCKET PID GREP
	_c0=$(cpu_ticks $CLAMD)
	"$LOAD" -c "$CONC" -n "$N" -p "$3" -g "$4" -q "unix:$2" "$T/msgs" \
	    > "$T/$1.out" 2>&1 || bench_die "$1: $(tail -n 3 "$T/$1.out")"
	_c1=$(cpu_ticks $CLAMD)
	_res=$(grep '^RESULT' "$T/$1.out")
	_cl=$(awk -v a="$_c0" -v b="$_c1" -v n="$N" -v hz="$(getconf CLK_TCK)" \
	    'BEGIN { printf "%.4f", (b - a) * 1000 / hz / n }')
	echo "$1 $_res clamd_ms_msg=$_cl" | tee -a "$T/results"
}

# warm-up: clamd's first scans, each milter's threads
N0=$N; N=200
run warm-facteur "$T/facteur.sock" $FM X-Virus-Scanned > /dev/null
run warm-clamav "$T/clamav.sock" $CM X-Virus-Scanned > /dev/null
N=$N0
: > "$T/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	run facteur "$T/facteur.sock" $FM X-Virus-Scanned
	run clamav "$T/clamav.sock" $CM X-Virus-Scanned
	run base "$T/example.sock" $EX X-Facteur-Example
	r=$((r + 1))
done

awk '
function v(k,   i, a) {
	for (i = 1; i <= NF; i++) {
		split($i, a, "=")
		if (a[1] == k) return a[2]
	}
	return 0
}
$1 == "facteur" || $1 == "clamav" || $1 == "base" {
	cpu[$1] += v("cpu_ms_msg"); rate[$1] += v("msgs_s")
	p99[$1] += v("p99_ms"); cl[$1] += v("clamd_ms_msg")
	g[$1] += v("grep"); n[$1]++
}
END {
	printf "\n%-8s %12s %10s %9s %14s %8s\n", "milter", "cpu ms/msg",
	    "msgs/s", "p99 ms", "clamd ms/msg", "tagged"
	for (k in n) {
		cpu[k] /= n[k]; rate[k] /= n[k]; p99[k] /= n[k]
		cl[k] /= n[k]; g[k] /= n[k]
	}
	split("facteur clamav base", order, " ")
	for (i = 1; i <= 3; i++) {
		k = order[i]
		printf "%-8s %12.4f %10.1f %9.1f %14.4f %8d\n", k, cpu[k],
		    rate[k], p99[k], cl[k], g[k]
	}
	if (cpu["facteur"] > 0)
		printf "\nclamav-milter / facteur-milter CPU per message: " \
		    "%.2fx\n", cpu["clamav"] / cpu["facteur"]
	else
		printf "\nfacteur-milter: under one CPU tick: raise N\n"
	printf "av module own cost (facteur - base): %.4f ms/msg " \
	    "(target < 0.1)\n", cpu["facteur"] - cpu["base"]
}' "$T/results"
