#!/bin/sh
# bench/spam.sh - facteur-spam against spamass-milter + spamd (SpamAssassin)
# and rspamd in milter mode, with and without its Bayes, in one run, on the
# same messages, driven by bench/milter-load over unix sockets. Builds nothing: give it release
# binaries (meson setup build-bench --buildtype=release -Db_sanitize=none).
# Run as root.
#
#   bench/spam.sh FACTEUR-SPAM FACTEUR MILTER-LOAD SOURCE_ROOT
#   env: CORPUS (/work/shared/corpus/spamassassin), MSGS (200: the first
#   MSGS/2 ham and MSGS/2 spam, by name), TRAIN (220: ham and spam each,
#   the next files, learned by facteur's, SpamAssassin's and rspamd's
#   Bayes), N_FACTEUR (2000), N_RSPAMD (2000: each rspamd), N_SA (500)
#   messages per run,
#   SECS (90: each run also stops after that), CONCS ("1 8"), ROUNDS (1),
#   RSPAMD_ROOT (/opt/facteur-bench/rspamd: see below), RSPAMD_MIN_LEARNS
#   (200), KEEP=1 keeps the temp dir (configs, logs, results).
#
# What each side runs, all offline:
#  - facteur-spam: rules_path = Debian's /usr/share/spamassassin (the
#    SpamAssassin 4 rule set) + facteur's rules/, Bayes trained with
#    'facteur spam learn' on TRAIN+TRAIN messages (both Bayes want 200 of
#    each class before they answer, and sa-learn skips a few messages). Compiling the SA rules
#    into hyperscan databases takes ~30 s: --check-config compiles them
#    into cache_dir, and the daemon loads them from there, as a restart
#    does (under a second).
#  - SpamAssassin: spamd -L (local tests only: no DNSBL/URIBL, Razor,
#    Pyzor, DCC), its own Bayes trained with sa-learn on the same
#    messages, auto-learn off, children preforked and never recycled so
#    none of them is lost from the CPU count; spamass-milter calls spamc
#    per message over spamd's unix socket.
#  - rspamd (Debian 12's 3.4), two private instances (-c, --var
#    CONFDIR..., everything under the temp dir), each with one
#    rspamd_proxy worker per CPU in milter mode with self_scan (it scans
#    in-process: no normal worker), fuzzy worker off:
#    * rspamd+bayes, the comparison the target is judged on: its Bayes
#      classifier (statistic.conf, redis backend) on a private
#      redis-server (Debian 12's 7.0: unix socket only, no persistence),
#      trained with 'rspamc learn_spam/learn_ham' through its controller
#      worker (on a unix socket; it stays up, idle, as in production) on
#      the same TRAIN+TRAIN messages, as a bulk training (all of them,
#      not only those its Bayes does not classify yet), min_learns 200 as
#      the other two (the bench dies below it: benchlib.sh).
#      redis-server's CPU and Pss count as rspamd's,
#      as SQLite's count as facteur's. The run fails unless BAYES_SPAM or
#      BAYES_HAM is in the results of the 20 warm-up messages.
#    * rspamd-nobayes, the row earlier runs reported (for continuity):
#      the same without the classifier and controller.
#    Disabled in both because they need the network or their own Redis
#    data: rbl, surbl, emails, spf, dkim, dmarc, arc, asn,
#    dkim_signing, arc signing, phishing, fuzzy_check, mx_check, hfilter's
#    DNS checks (the module is off), rspamd_update, url_redirector,
#    neural, ratelimit, greylist, replies, reputation, history_redis,
#    dcc, external_services, antivirus, metadata_exporter, clickhouse,
#    elastic. DNS points at 127.0.0.1:1 (nothing) with a 0.1 s timeout.
#    Both add X-Spam-Status and X-Spamd-Result (the symbols, as
#    SpamAssassin's and facteur's X-Spam-Status name their rules).
#    rspamd's Debian package depends on libhyperscan5, which conflicts
#    with libvectorscan5 (facteur builds against vectorscan), so
#    scripts/install-bench-deps unpacks rspamd and libhyperscan5 with dpkg -x
#    under RSPAMD_ROOT and it runs with LD_LIBRARY_PATH. Its language
#    detector looks for stop words in the compiled-in /usr/share/rspamd
#    and runs without them.
#
# CPU per message is the sum over all of a side's processes (the daemon,
# its threads and children, reaped children included: utime + stime +
# cutime + cstime from /proc, before and after the run); for
# SpamAssassin, spamd and its children plus spamass-milter and the spamc
# it forks; for rspamd+bayes, rspamd's processes plus redis-server. Memory is the sum of Pss (proportional set size, so the pages
# spamd's children share count once) over those processes after the
# runs. Runs alternate facteur, spamassassin, rspamd+bayes, rspamd-nobayes
# at each concurrency.
set -eu
SPAM=$1 FACTEUR=$2 LOAD=$3 SRC=$4
CORPUS=${CORPUS:-/work/shared/corpus/spamassassin}
MSGS=${MSGS:-200}
TRAIN=${TRAIN:-220}
N_FACTEUR=${N_FACTEUR:-2000}
N_RSPAMD=${N_RSPAMD:-2000}
N_SA=${N_SA:-500}
SECS=${SECS:-90}
CONCS=${CONCS:-"1 8"}
ROUNDS=${ROUNDS:-1}
RSPAMD_ROOT=${RSPAMD_ROOT:-/opt/facteur-bench/rspamd}
PY=/usr/bin/python3
NCPU=$(nproc)

for x in /usr/sbin/spamd /usr/sbin/spamass-milter /usr/bin/sa-learn \
    /usr/bin/redis-server /usr/bin/redis-cli "$RSPAMD_ROOT/usr/bin/rspamd"; do
	[ -x "$x" ] || { echo "spam.sh: $x missing (run scripts/install-bench-deps)" >&2; exit 1; }
done

BENCH=spam
. "$(dirname "$0")/benchlib.sh"
bench_tmpdir

HZ=$(getconf CLK_TCK)

# 1. The messages: MSGS/2 ham and MSGS/2 spam for the runs (interleaved by
# name so every prefix of a run is half and half), the next TRAIN of each
# for Bayes.
bench_split_corpus "$CORPUS" "$MSGS" "$TRAIN"

# 2. facteur-spam: SA's rules + ours, Bayes trained.
cat > "$T/facteur.conf" <<EOF
[spam]
socket = unix:$T/facteur.sock
rules_path = /usr/share/spamassassin:$SRC/rules
bayes_path = $T/bayes.sqlite
internal_hosts =
cache_dir = $T/cache
EOF
mkdir -p "$T/cache"
"$SPAM" --check-config -c "$T/facteur.conf" > /dev/null
"$FACTEUR" -c "$T/facteur.conf" spam learn --bayes "$T/bayes.sqlite" --spam "$T/train-spam" > "$T/learn.out"
"$FACTEUR" -c "$T/facteur.conf" spam learn --bayes "$T/bayes.sqlite" --ham "$T/train-ham" >> "$T/learn.out"
"$SPAM" -f -c "$T/facteur.conf" 2> "$T/facteur.log" &
FPID=$!; PIDS="$PIDS $FPID"

# 3. SpamAssassin: spamd -L with its own Bayes on the same messages,
# spamass-milter -m in front (benchlib.sh).
bench_spamassassin 1

# 4. rspamd: private, offline, proxy worker in milter mode (see above;
# benchlib.sh), its DNS pointed at a closed port; with Bayes on a private
# Redis (RBPID, REDIS_PID), and without (RPID).
bench_rspamd 127.0.0.1:1 0.1s 0 "" 1
bench_rspamd 127.0.0.1:1 0.1s 0 ""

wait_sock "$T/spamd.sock" $SPID 120
wait_sock "$T/spamass.sock" $MPID 30
wait_sock "$T/rspamd.sock" $RPID 120
wait_sock "$T/rspamd-bayes.sock" $RBPID 120
bench_rspamd_learn
wait_sock "$T/facteur.sock" $FPID 300
bench_rspamd_settle

run() { # NAME SOCK COUNT CONNS PIDS...
	name=$1 sock=$2 n=$3 c=$4
	shift 4
	line=$(bench_load_run "$sock" "$n" "$c" score= "$@")
	echo "$name $c $line"
}

# Warm up (first allocations, SA's compiled rules, rspamd's maps), and
# proof that Bayes answers: messages whose headers name a BAYES_ rule
# (rspamd+bayes: none is fatal; rspamd-nobayes: none is expected).
bayes_hits() { bench_bayes_hits "$@"; }
BH_F=$(bayes_hits "$T/facteur.sock")
BH_S=$(bayes_hits "$T/spamass.sock")
BH_RB=$(bench_rspamd_bayes_hits "$T/rspamd-bayes.sock")
BH_R=$(bayes_hits "$T/rspamd.sock")

: > "$T/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	for c in $CONCS; do
		run facteur "$T/facteur.sock" "$N_FACTEUR" "$c" $FPID >> "$T/results"
		run spamassassin "$T/spamass.sock" "$N_SA" "$c" $SPID $MPID >> "$T/results"
		run rspamd+bayes "$T/rspamd-bayes.sock" "$N_RSPAMD" "$c" \
		    $RBPID $REDIS_PID >> "$T/results"
		run rspamd-nobayes "$T/rspamd.sock" "$N_RSPAMD" "$c" $RPID \
		    >> "$T/results"
	done
	r=$((r + 1))
done
PSS_F=$(procsum pss $FPID)
PSS_S=$(procsum pss $SPID $MPID)
PSS_R=$(procsum pss $RPID)
PSS_RB=$(procsum pss $RBPID $REDIS_PID)
PSS_REDIS=$(procsum pss $REDIS_PID)

echo "facteur-spam vs spamass-milter+spamd $(spamd --version | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)" \
    "vs rspamd $(R=$RSPAMD_ROOT; LD_LIBRARY_PATH=$R/usr/lib/x86_64-linux-gnu:$R/usr/lib/rspamd $R/usr/bin/rspamd --version | sed 's/.*version //')" \
    "(milter), $MSGS messages ($((MSGS / 2)) ham + $((MSGS / 2)) spam) from $CORPUS, cycled;" \
    "$NCPU CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Bayes training ($TRAIN ham + $TRAIN spam): facteur: $(tr '\n' ' ' < "$T/learn.out")"
echo "  spamassassin: $(grep -i learned "$T/sa-learn.out" | tr '\n' ' ')"
echo "  rspamd+bayes (rspamc learn_*, learns in Redis): $RSPAMD_LEARNED"
echo "BAYES_ rules in the headers of 20 warm-up messages: facteur $BH_F, spamassassin $BH_S," \
    "rspamd+bayes $BH_RB, rspamd-nobayes $BH_R"
echo "redis-server Pss after the runs (in rspamd+bayes's): $((PSS_REDIS / 1024)) MiB"
awk -v hz="$HZ" -v pf="$PSS_F" -v ps="$PSS_S" -v pr="$PSS_R" -v prb="$PSS_RB" '
{
	impl = $1; c = $2
	for (i = 3; i <= NF; i++) { split($i, a, "="); v[impl, c, a[1]] += a[2] }
	runs[impl, c]++
	if (!(c in seen)) { seen[c] = 1; order[++n] = c }
}
END {
	pss["facteur"] = pf; pss["spamassassin"] = ps
	pss["rspamd+bayes"] = prb; pss["rspamd-nobayes"] = pr
	printf "%5s | %-14s %7s %9s %9s %8s %9s | %9s %9s\n", "conns", "milter",
	    "msgs", "msgs/s", "cpu ms", "p99 ms", "Pss MiB", "rate f/x", "cpu f/x"
	for (j = 1; j <= n; j++) {
		c = order[j]
		split("facteur spamassassin rspamd+bayes rspamd-nobayes", names, " ")
		for (k = 1; k <= 4; k++) {
			impl = names[k]; r = runs[impl, c]
			if (!r) continue
			rate[k] = v[impl, c, "msgs_s"] / r
			cpu[k] = v[impl, c, "ticks"] * 1000 / hz / v[impl, c, "msgs"]
			printf "%5s | %-14s %7d %9.1f %9.2f %8.1f %9.1f |", c, impl,
			    v[impl, c, "msgs"] / r, rate[k], cpu[k],
			    v[impl, c, "p99_ms"] / r, pss[impl] / 1024
			if (k > 1) printf " %8.1fx %8.2fx", rate[k] ? rate[1] / rate[k] : 0, cpu[k] ? cpu[1] / cpu[k] : 0
			printf "\n"
			if (v[impl, c, "grep"] != v[impl, c, "msgs"] || v[impl, c, "errors"])
				printf "      ! %s: %d of %d messages carry score=, %d errors\n",
				    impl, v[impl, c, "grep"] / r, v[impl, c, "msgs"] / r, v[impl, c, "errors"] / r
		}
	}
	print "rate f/x: facteur msgs/s over the other (target >= 40 vs spamassassin, >= 1 vs rspamd+bayes)"
	print "cpu f/x: facteur CPU per message over the other (target <= 1 vs rspamd+bayes;"
	print "  rspamd-nobayes: the row of earlier runs, rspamd without its Bayes, facteur with)"
}' "$T/results"
cp "$T/results" "${RESULTS:-/dev/null}" 2>/dev/null || true
