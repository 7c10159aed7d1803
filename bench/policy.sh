#!/bin/sh
# bench/policy.sh - what facteur-blacklist and facteur-scrub cost per
# message next to facteur-dkim (signing), and each one's share of the
# full-stack CPU per message (issue 4: each must add < 5%). Every milter
# runs on a unix socket, driven by bench/milter-load with the same corpus,
# interleaved (blacklist, scrub, dkim, blacklist, ...). Postfix's own CPU
# per message is measured too, with a private Postfix
# (tests/integration/harness.py) receiving messages over SMTP and
# delivering them to a Maildir with virtual(8): the CPU of master and all
# its children, from /proc (utime+stime of the live ones plus master's
# cutime+cstime for the reaped ones), before and after. Builds nothing:
# give it the build-bench binaries (ninja -C build-bench bench-policy
# does). Run as root (Postfix, the key checks).
#
#   bench/policy.sh FACTEUR-BLACKLIST FACTEUR-SCRUB FACTEUR-DKIM FACTEUR \
#       MILTER-LOAD SOURCE_ROOT
#   env: CORPUS (default /work/shared/corpus/spamassassin/ham), N (2000
#   messages per run), CONCS ("1 8"), ROUNDS (2), ROWS (1000 sender rows),
#   DNSBL (1: one zone on a private Knot; 0: dnsbl_zones empty), PF_N
#   (1000 messages through Postfix; 0 skips Postfix), PF_PER_CONN (10
#   messages per SMTP session), KEEP=1 keeps the temp dir
#
# facteur-blacklist sees the traffic that costs it most: an outside client
# (192.0.2.7), not authenticated, an unlisted sender, so it walks the
# sender rows, the IPv4/IPv6 CIDR rows and the DNSBL zone (NXDOMAIN,
# then its negative cache) for every message, and one recipient row
# lookup. facteur-scrub and facteur-dkim see submission traffic:
# {auth_authen} set, From: rewritten to alice@bench.example, so scrub
# acts (removes X-Mailer/User-Agent/..., replaces Message-ID) and dkim
# signs every message with a 2048-bit RSA key.
set -eu
BL=$1 SCRUB=$2 DKIM=$3 FACTEUR=$4 LOAD=$5 SRC=$6
CORPUS=${CORPUS:-/work/shared/corpus/spamassassin/ham}
N=${N:-2000}
CONCS=${CONCS:-"1 8"}
ROUNDS=${ROUNDS:-2}
ROWS=${ROWS:-1000}
DNSBL=${DNSBL:-1}
PF_N=${PF_N:-1000}
PF_PER_CONN=${PF_PER_CONN:-10}
PY=/usr/bin/python3

T=$(mktemp -d /tmp/facteur-bench-policy.XXXXXX)
chmod 0755 "$T"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT INT TERM

die() { echo "policy.sh: $*" >&2; exit 1; }

wait_sock() { # PATH PID
	i=0
	while [ ! -S "$1" ] && [ $i -lt 200 ]; do
		kill -0 "$2" 2>/dev/null || die "$1: daemon died"
		sleep 0.05; i=$((i + 1))
	done
	[ -S "$1" ] || die "$1 never appeared"
}

# 1. DNS: a private Knot with the DNSBL zone and the DKIM key.
mkdir "$T/dns"
cat > "$T/dns.py" <<'EOF'
import os, signal, sys, time
sys.path.insert(0, sys.argv[1])
from dnsserver import DnsServer
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with DnsServer(sys.argv[2], zones={
        'dnsbl.bench': [('2.0.0.127', 'A', '127.0.0.2')]}) as dns:
    with open(sys.argv[2] + '/port.tmp', 'w') as f:
        f.write('%d\n' % dns.port)
    os.rename(sys.argv[2] + '/port.tmp', sys.argv[2] + '/port')
    end = time.monotonic() + 4 * 3600
    while time.monotonic() < end and os.getppid() != 1:
        time.sleep(0.2)
EOF
$PY "$T/dns.py" "$SRC/tests/integration" "$T/dns" &
PIDS="$PIDS $!"
i=0
while [ ! -f "$T/dns/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -f "$T/dns/port" ] || die "Knot never started"
DNSPORT=$(cat "$T/dns/port")
ZONES=""
[ "$DNSBL" = 1 ] && ZONES=dnsbl.bench

# 2. One configuration for the three milters and the CLI.
cat > "$T/facteur.conf" <<EOF
[database]
path = $T/db.sqlite
[admin]
dkim_user = root
[blacklist]
socket = unix:$T/blacklist.sock
internal_hosts =
dnsbl_zones = $ZONES
resolver = 127.0.0.1@$DNSPORT
dnsbl_timeout = 2s
[scrub]
socket = unix:$T/scrub.sock
replace_message_id = yes
[dkim]
socket = unix:$T/dkim.sock
authserv_id = mx.bench
internal_hosts = 127.0.0.1/32
sign_daemons =
resolver = 127.0.0.1@$DNSPORT
dns_timeout = 2s
spf = no
dmarc = no
EOF
FAC="$FACTEUR -c $T/facteur.conf --db $T/db.sqlite"
$FAC db init >/dev/null
$FAC dkim keygen bench.example --selector s1 --algorithm rsa --bits 2048 \
    --keys-dir "$T/keys" > "$T/keygen.out"

# 3. ROWS sender rows: addresses, @domains, domains, IPv4 and IPv6 CIDRs
# (none matches the bench's sender or client), and a few recipient rows.
# The first 10 go through the CLI (its validation, its row format); each
# further row copies the CLI row of its kind with a new pattern, in one
# transaction (one CLI call per row takes about 0.5 s on a busy machine).
pattern() { # I
	case $(($1 % 5)) in
	0) echo "spammer$1@bulk$(($1 % 97)).example" ;;
	1) echo "@junk$1.example" ;;
	2) echo "spam$1.example" ;;
	3) echo "10.$(($1 / 256 % 256)).$(($1 % 256)).0/24" ;;
	4) echo "2001:db8:$(printf %x "$1")::/48" ;;
	esac
}
i=0
while [ $i -lt "$ROWS" ] && [ $i -lt 10 ]; do
	$FAC blacklist sender add "$(pattern $i)" --message "bench row $i" >/dev/null
	i=$((i + 1))
done
COLS=$(sqlite3 "$T/db.sqlite" "SELECT group_concat(name) FROM
    pragma_table_info('sender_blacklist') WHERE name <> 'pattern'")
{
	echo "BEGIN;"
	while [ $i -lt "$ROWS" ]; do
		echo "INSERT INTO sender_blacklist (pattern,$COLS) SELECT" \
		    "'$(pattern $i)',$COLS FROM sender_blacklist WHERE" \
		    "pattern = '$(pattern $((i % 5)))';"
		i=$((i + 1))
	done
	echo "COMMIT;"
} | sqlite3 "$T/db.sqlite" || die "cannot add the sender rows"
for r in gone@bench.example @old.example; do
	$FAC blacklist recipient add "$r" --action REJECT >/dev/null
done
[ "$($FAC blacklist sender list | grep -c .)" -ge "$ROWS" ] ||
	die "sender rows missing"

start() { # NAME EXE; sets LASTPID
	"$2" -f -c "$T/facteur.conf" 2> "$T/$1.log" &
	LASTPID=$!
	PIDS="$PIDS $LASTPID"
	wait_sock "$T/$1.sock" $LASTPID
}
start blacklist "$BL"; BPID=$LASTPID
start scrub "$SCRUB"; SPID=$LASTPID
start dkim "$DKIM"; DPID=$LASTPID

INBOUND="-i 192.0.2.7 -H mx.sender.example -f someone@sender.example -r bob@bench.example"
SUBMIT="-i 10.1.2.3 -m auth_authen=alice -m auth_type=PLAIN"
FROM="Alice <alice@bench.example>"

run() { # NAME PID CONNS COUNT
	case $1 in
	blacklist) "$LOAD" -q -c "$3" -n "$4" $INBOUND -p "$2" \
	    "unix:$T/$1.sock" "$CORPUS" ;;
	scrub) "$LOAD" -q -c "$3" -n "$4" $SUBMIT -F "$FROM" -p "$2" \
	    "unix:$T/$1.sock" "$CORPUS" ;;
	dkim) "$LOAD" -q -c "$3" -n "$4" $SUBMIT -F "$FROM" \
	    -g DKIM-Signature -p "$2" "unix:$T/$1.sock" "$CORPUS" ;;
	esac > "$T/out.$1" 2>&1 || die "$1: milter-load failed: $(tail -3 "$T/out.$1")"
	edits=$(sed -n 's/^  changes *\([0-9]*\) field edits/\1/p' "$T/out.$1")
	acts=$(sed -n 's/^  actions *//p' "$T/out.$1" | tr ' ' '_')
	sed -n "s/^RESULT /$1 $3 edits=${edits:-0} acts=$acts /p" "$T/out.$1"
}

# 4. Postfix's own CPU per message (master and every child, from /proc).
cat > "$T/pf.py" <<'EOF'
import os, smtplib, sys, time
sys.path.insert(0, sys.argv[1])
import harness
tmp, corpus, n, per = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
TCK = os.sysconf("SC_CLK_TCK")

def stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    return s[s.rindex(")") + 2:].split()  # fields from 3 (state) on

def cpu_ticks(master):
    """master's own and reaped children's CPU, plus each live child's."""
    f = stat(master)
    total = sum(int(x) for x in f[11:15])  # utime stime cutime cstime
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == master:
            continue
        try:
            f = stat(int(d))
        except OSError:
            continue
        if int(f[1]) == master:
            total += sum(int(x) for x in f[11:15])
    return total

msgs = []
for name in sorted(os.listdir(corpus)):
    with open(os.path.join(corpus, name), "rb") as fh:
        raw = fh.read()
    if raw.startswith(b"From "):
        raw = raw.split(b"\n", 1)[1]
    msgs.append(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
pf = harness.Postfix(os.path.join(tmp, "pf"), main_cf_extra={
    "virtual_mailbox_domains": "bench.example",
    "virtual_mailbox_maps": "inline:{bob@bench.example=bench.example/bob/}",
    "message_size_limit": "0"})

def send(count, first):
    k = 0
    while k < count:
        with smtplib.SMTP(pf.host, pf.port, timeout=60) as s:
            s.ehlo("client.bench")
            for _ in range(min(per, count - k)):
                s.sendmail("someone@sender.example", ["bob@bench.example"],
                           msgs[(first + k) % len(msgs)])
                k += 1
    pf.wait_for_delivery(first + count, timeout=600)
    harness.wait_for(lambda: pf.queue().strip().endswith("empty") or
                     "Mail queue is empty" in pf.queue(), 60, interval=0.5,
                     what="empty queue")

try:
    warm = 50
    send(warm, 0)
    time.sleep(1)
    master = pf.master_pid()
    c0, t0 = cpu_ticks(master), time.monotonic()
    send(n, warm)
    time.sleep(1)
    c1, t1 = cpu_ticks(master), time.monotonic()
    ms = (c1 - c0) * 1000.0 / TCK
    print("RESULT msgs=%d secs=%.3f cpu_ms_msg=%.4f" % (n, t1 - t0, ms / n))
finally:
    pf.close()
EOF

# Warm-up: key and DNS caches, first allocations.
run blacklist $BPID 1 50 >/dev/null
run scrub $SPID 1 50 >/dev/null
run dkim $DPID 1 50 >/dev/null
: > "$T/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	for c in $CONCS; do
		run blacklist $BPID $c "$N" >> "$T/results"
		run scrub $SPID $c "$N" >> "$T/results"
		run dkim $DPID $c "$N" >> "$T/results"
	done
	r=$((r + 1))
done
PFCPU=""
if [ "$PF_N" -gt 0 ]; then
	$PY "$T/pf.py" "$SRC/tests/integration" "$T" "$CORPUS" "$PF_N" \
	    "$PF_PER_CONN" > "$T/pf.out" 2> "$T/pf.err" ||
		{ cat "$T/pf.err" >&2; die "the Postfix run failed"; }
	PFCPU=$(sed -n 's/^RESULT .*cpu_ms_msg=\([0-9.]*\).*/\1/p' "$T/pf.out")
fi

echo "facteur-blacklist ($ROWS sender rows, DNSBL zones: ${ZONES:-none}), facteur-scrub, facteur-dkim (rsa2048 signing):"
echo "$N messages per run from $CORPUS, mean of $ROUNDS rounds, interleaved, unix sockets"
if [ -n "$PFCPU" ]; then
	echo "Postfix alone (smtpd..virtual, no milters, $PF_PER_CONN msgs/session): $PFCPU ms CPU/msg over $PF_N messages"
else
	echo "Postfix not measured (PF_N=0): shares are of the milters' sum only"
fi
awk -v pf="${PFCPU:-0}" '
{
	key = $1 " " $2
	for (i = 3; i <= NF; i++) {
		split($i, a, "=")
		if (a[1] == "acts") act[key] = a[2]; else v[key, a[1]] += a[2]
	}
	runs[key]++
	if (!($2 in seenc)) { seenc[$2] = 1; conc[++nc] = $2 }
}
END {
	split("blacklist scrub dkim", name, " ")
	for (j = 1; j <= nc; j++) {
		c = conc[j]; sum = pf
		for (k = 1; k <= 3; k++) {
			key = name[k] " " c; r = runs[key]
			cpu[k] = r ? v[key, "cpu_ms_msg"] / r : 0; sum += cpu[k]
		}
		printf "conns %s: full stack = %.3f ms/msg (%s)\n", c, sum,
		    (pf > 0 ? "Postfix + 3 milters" : "3 milters, no Postfix")
		printf "  %-9s %9s %9s %8s %8s %9s  %s\n", "milter", "cpu ms", "share",
		    "msgs/s", "p99 ms", "edits", "actions"
		for (k = 1; k <= 3; k++) {
			key = name[k] " " c; r = runs[key]
			printf "  %-9s %9.3f %8.2f%% %8.1f %8.2f %9d  %s\n", name[k],
			    cpu[k], (sum > 0 ? 100 * cpu[k] / sum : 0),
			    v[key, "msgs_s"] / r, v[key, "p99_ms"] / r,
			    v[key, "edits"] / r, act[key]
		}
		if (pf > 0)
			printf "  %-9s %9.3f %8.2f%%\n", "postfix", pf, 100 * pf / sum
	}
}' "$T/results"
for m in blacklist scrub dkim; do
	if grep -q "ERROR\|runtime error\|database" "$T/$m.log"; then
		echo "policy.sh: facteur-$m logged errors:" >&2
		grep "ERROR\|runtime error\|database" "$T/$m.log" | tail -3 >&2
	fi
done
