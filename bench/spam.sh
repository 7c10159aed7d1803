#!/bin/sh
# bench/spam.sh - facteur-spam against spamass-milter + spamd (SpamAssassin)
# and rspamd in milter mode, in one run, on the same messages, driven by
# bench/milter-load over unix sockets. Builds nothing: give it release
# binaries (meson setup build-bench --buildtype=release -Db_sanitize=none).
# Run as root.
#
#   bench/spam.sh FACTEUR-SPAM FACTEUR MILTER-LOAD SOURCE_ROOT
#   env: CORPUS (/work/shared/corpus/spamassassin), MSGS (200: the first
#   MSGS/2 ham and MSGS/2 spam, by name), TRAIN (220: ham and spam each,
#   the next files, learned by facteur's and SpamAssassin's Bayes),
#   N_FACTEUR (2000), N_RSPAMD (2000), N_SA (500) messages per run,
#   SECS (90: each run also stops after that), CONCS ("1 8"), ROUNDS (1),
#   RSPAMD_ROOT (/opt/facteur-bench/rspamd: see below), KEEP=1 keeps the
#   temp dir (configs, logs, results).
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
#  - rspamd (Debian 12's 3.4): a private instance (-c, --var CONFDIR...,
#    everything under the temp dir), one rspamd_proxy worker per CPU in
#    milter mode with self_scan (it scans in-process: no normal worker),
#    controller and fuzzy workers off. Disabled because they need the
#    network or Redis: rbl, surbl, emails, spf, dkim, dmarc, arc, asn,
#    dkim_signing, arc signing, phishing, fuzzy_check, mx_check, hfilter's
#    DNS checks (the module is off), rspamd_update, url_redirector,
#    neural, ratelimit, greylist, replies, reputation, history_redis,
#    bayes (its statistics need Redis: rspamd runs WITHOUT Bayes here),
#    dcc, external_services, antivirus, metadata_exporter, clickhouse,
#    elastic. DNS points at 127.0.0.1:1 (nothing) with a 0.1 s timeout.
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
# it forks. Memory is the sum of Pss (proportional set size, so the pages
# spamd's children share count once) over those processes after the
# runs. Runs alternate facteur, spamassassin, rspamd at each concurrency.
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
    "$RSPAMD_ROOT/usr/bin/rspamd"; do
	[ -x "$x" ] || { echo "spam.sh: $x missing (run scripts/install-bench-deps)" >&2; exit 1; }
done

BENCH=spam
. "$(dirname "$0")/benchlib.sh"
bench_tmpdir

# Sum of CPU ticks (utime+stime+cutime+cstime) or of Pss KiB over the
# given pids and all their descendants.
cat > "$T/procsum.py" <<'EOF'
import os, sys
what, roots = sys.argv[1], set(int(p) for p in sys.argv[2:])
kids = {}
for d in os.listdir('/proc'):
    if d.isdigit():
        try:
            st = open('/proc/%s/stat' % d).read()
        except OSError:
            continue
        f = st[st.rindex(')') + 2:].split()
        kids.setdefault(int(f[1]), []).append(int(d))
todo, seen = list(roots), set()
while todo:
    p = todo.pop()
    if p not in seen:
        seen.add(p)
        todo += kids.get(p, [])
total = 0
for p in seen:
    try:
        if what == 'cpu':
            st = open('/proc/%d/stat' % p).read()
            f = st[st.rindex(')') + 2:].split()
            total += sum(int(x) for x in f[11:15])
        else:
            for line in open('/proc/%d/smaps_rollup' % p):
                if line.startswith('Pss:'):
                    total += int(line.split()[1])
    except OSError:
        pass
print(total)
EOF
procsum() { $PY "$T/procsum.py" "$@"; }
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

# 3. SpamAssassin: spamd -L with its own Bayes on the same messages.
mkdir -p "$T/sa" "$T/sa-bayes"
cat > "$T/sa/local.cf" <<EOF
use_bayes 1
bayes_auto_learn 0
bayes_auto_expire 0
bayes_path $T/sa-bayes/bayes
bayes_file_mode 0666
skip_rbl_checks 1
use_razor2 0
use_pyzor 0
use_dcc 0
dns_available no
EOF
cp /etc/spamassassin/*.pre "$T/sa/"
SA_OPTS="--siteconfigpath=$T/sa -L"
sa-learn $SA_OPTS --spam "$T/train-spam" > "$T/sa-learn.out" 2>&1
sa-learn $SA_OPTS --ham "$T/train-ham" >> "$T/sa-learn.out" 2>&1
chmod -R a+rwX "$T/sa-bayes"
# spamd's children run as nobody and make a temporary directory per
# message: a /tmp of mode 0755 (as here) left SpamAssassin unable to score.
mkdir -p "$T/sa-tmp" && chmod 1777 "$T/sa-tmp"
TMPDIR="$T/sa-tmp" /usr/sbin/spamd $SA_OPTS -x -u nobody --socketpath="$T/spamd.sock" \
    --socketmode=0666 --min-children=8 --max-children=8 --min-spare=8 \
    --max-spare=8 --max-conn-per-child=1000000 -s stderr \
    > "$T/spamd.log" 2>&1 &
SPID=$!; PIDS="$PIDS $SPID"
# -m: no Subject/Content-Type rewrite, as facteur's default; spamass-milter
# adds X-Spam-Flag/-Status/-Level from spamd's answer.
/usr/sbin/spamass-milter -p "$T/spamass.sock" -m -- -U "$T/spamd.sock" \
    > "$T/spamass.log" 2>&1 &
MPID=$!; PIDS="$PIDS $MPID"

# 4. rspamd: private, offline, proxy worker in milter mode (see above).
R=$RSPAMD_ROOT
L=$T/rspamd
mkdir -p "$L/local.d" "$L/override.d" "$L/db" "$L/run"
cat > "$L/override.d/worker-proxy.inc" <<EOF
milter = yes;
timeout = 120s;
bind_socket = "$T/rspamd.sock mode=0666";
upstream "local" { default = yes; self_scan = yes; }
count = $NCPU;
max_retries = 5;
discard_on_reject = false;
quarantine_on_reject = false;
spam_header = "X-Spam";
reject_message = "Spam message rejected";
EOF
for w in worker-normal worker-controller worker-fuzzy; do
	echo "enabled = false;" > "$L/override.d/$w.inc"
done
cat > "$L/local.d/options.inc" <<'EOF'
dns { nameserver = ["127.0.0.1:1"]; timeout = 0.1s; retransmits = 0; }
EOF
echo 'type = "console"; level = "error";' > "$L/override.d/logging.inc"
for m in rbl surbl emails spf dkim dmarc arc asn dkim_signing phishing \
    fuzzy_check mx_check hfilter rspamd_update url_redirector neural \
    ratelimit greylist replies reputation history_redis dcc \
    external_services antivirus metadata_exporter clickhouse elastic \
    p0f bimi aws_s3 metric_exporter; do
	echo "enabled = false;" > "$L/local.d/$m.conf"
done
echo 'backend = "redis"; enabled = false;' > "$L/local.d/classifier-bayes.conf"
echo 'use = ["x-spam-status"]; skip_local = false; skip_authenticated = false;' \
    > "$L/local.d/milter_headers.conf"
RVARS="--var=CONFDIR=$R/etc/rspamd --var=LOCAL_CONFDIR=$L \
    --var=RULESDIR=$R/usr/share/rspamd/rules \
    --var=LUALIBDIR=$R/usr/share/rspamd/lualib \
    --var=PLUGINSDIR=$R/usr/share/rspamd/plugins \
    --var=SHAREDIR=$R/usr/share/rspamd --var=WWWDIR=$R/usr/share/rspamd/www \
    --var=DBDIR=$L/db --var=RUNDIR=$L/run --var=LOGDIR=$L"
# shellcheck disable=SC2086
LD_LIBRARY_PATH=$R/usr/lib/x86_64-linux-gnu:$R/usr/lib/rspamd \
    "$R/usr/bin/rspamd" -f -u root -g root -i -c "$R/etc/rspamd/rspamd.conf" \
    $RVARS > "$T/rspamd.log" 2>&1 &
RPID=$!; PIDS="$PIDS $RPID"

wait_sock "$T/spamd.sock" $SPID 120
wait_sock "$T/spamass.sock" $MPID 30
wait_sock "$T/rspamd.sock" $RPID 120
wait_sock "$T/facteur.sock" $FPID 300

run() { # NAME SOCK COUNT CONNS PIDS...
	name=$1 sock=$2 n=$3 c=$4
	shift 4
	before=$(procsum cpu "$@")
	"$LOAD" -q -c "$c" -n "$n" -t "$SECS" -g "score=" "unix:$sock" \
	    "$T/msgs" > "$T/run.out" 2>&1 || true
	after=$(procsum cpu "$@")
	line=$(sed -n 's/^RESULT //p' "$T/run.out")
	[ -n "$line" ] || { echo "spam.sh: $name: no result:" >&2; cat "$T/run.out" >&2; exit 1; }
	echo "$name $c $line ticks=$((after - before))"
}

# Warm up (first allocations, SA's compiled rules, rspamd's maps), and
# proof that Bayes answers: messages whose headers name a BAYES_ rule.
bayes_hits() { # SOCK
	"$LOAD" -q -c 1 -n 20 -t "$SECS" -g BAYES_ "unix:$1" "$T/msgs" |
	    sed -n 's/.* grep=\([0-9]*\).*/\1/p'
}
BH_F=$(bayes_hits "$T/facteur.sock")
BH_S=$(bayes_hits "$T/spamass.sock")
run rspamd "$T/rspamd.sock" 20 1 $RPID > /dev/null

: > "$T/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	for c in $CONCS; do
		run facteur "$T/facteur.sock" "$N_FACTEUR" "$c" $FPID >> "$T/results"
		run spamassassin "$T/spamass.sock" "$N_SA" "$c" $SPID $MPID >> "$T/results"
		run rspamd "$T/rspamd.sock" "$N_RSPAMD" "$c" $RPID >> "$T/results"
	done
	r=$((r + 1))
done
PSS_F=$(procsum pss $FPID)
PSS_S=$(procsum pss $SPID $MPID)
PSS_R=$(procsum pss $RPID)

echo "facteur-spam vs spamass-milter+spamd $(spamd --version | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)" \
    "vs rspamd $(LD_LIBRARY_PATH=$R/usr/lib/x86_64-linux-gnu:$R/usr/lib/rspamd $R/usr/bin/rspamd --version | sed 's/.*version //')" \
    "(milter), $MSGS messages ($((MSGS / 2)) ham + $((MSGS / 2)) spam) from $CORPUS, cycled;" \
    "$NCPU CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Bayes training ($TRAIN ham + $TRAIN spam): facteur: $(tr '\n' ' ' < "$T/learn.out")"
echo "  spamassassin: $(grep -i learned "$T/sa-learn.out" | tr '\n' ' ')"
echo "BAYES_ rules in the headers of 20 warm-up messages: facteur $BH_F, spamassassin $BH_S"
awk -v hz="$HZ" -v pf="$PSS_F" -v ps="$PSS_S" -v pr="$PSS_R" '
{
	impl = $1; c = $2
	for (i = 3; i <= NF; i++) { split($i, a, "="); v[impl, c, a[1]] += a[2] }
	runs[impl, c]++
	if (!(c in seen)) { seen[c] = 1; order[++n] = c }
}
END {
	pss["facteur"] = pf; pss["spamassassin"] = ps; pss["rspamd"] = pr
	printf "%5s | %-12s %7s %9s %9s %8s %9s | %9s %9s\n", "conns", "milter",
	    "msgs", "msgs/s", "cpu ms", "p99 ms", "Pss MiB", "rate f/x", "cpu f/x"
	for (j = 1; j <= n; j++) {
		c = order[j]
		split("facteur spamassassin rspamd", names, " ")
		for (k = 1; k <= 3; k++) {
			impl = names[k]; r = runs[impl, c]
			if (!r) continue
			rate[k] = v[impl, c, "msgs_s"] / r
			cpu[k] = v[impl, c, "ticks"] * 1000 / hz / v[impl, c, "msgs"]
			printf "%5s | %-12s %7d %9.1f %9.2f %8.1f %9.1f |", c, impl,
			    v[impl, c, "msgs"] / r, rate[k], cpu[k],
			    v[impl, c, "p99_ms"] / r, pss[impl] / 1024
			if (k > 1) printf " %8.1fx %8.2fx", rate[k] ? rate[1] / rate[k] : 0, cpu[k] ? cpu[1] / cpu[k] : 0
			printf "\n"
			if (v[impl, c, "grep"] != v[impl, c, "msgs"] || v[impl, c, "errors"])
				printf "      ! %s: %d of %d messages carry score=, %d errors\n",
				    impl, v[impl, c, "grep"] / r, v[impl, c, "msgs"] / r, v[impl, c, "errors"] / r
		}
	}
	print "rate f/x: facteur msgs/s over the other (target >= 40 vs spamassassin, >= 1 vs rspamd)"
	print "cpu f/x: facteur CPU per message over the other (target <= 1 vs rspamd)"
}' "$T/results"
cp "$T/results" "${RESULTS:-/dev/null}" 2>/dev/null || true
