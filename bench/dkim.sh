#!/bin/sh
# bench/dkim.sh - facteur-dkim against OpenDKIM, signing and verifying, in
# one run, with ONE 2048-bit RSA key, both on unix sockets, driven by
# bench/milter-load. Builds nothing: give it the build-bench binaries
# (ninja -C build-bench bench-dkim does). Run as root (OpenDKIM and the key
# checks want the key file owned by the running user).
#
#   bench/dkim.sh FACTEUR-DKIM FACTEUR MILTER-LOAD SOURCE_ROOT
#   env: CORPUS (default /work/shared/corpus/spamassassin/ham), N (2000
#   messages per run), CONCS ("1 8"), ROUNDS (2), RSS_CONNS (64), KEEP=1
#   keeps the temp dir (logs, configs, results), ENGINE (native or
#   libmilter: facteur-dkim's milter protocol engine; default: its default)
#
# Signing: From: is rewritten to alice@bench.example and {auth_authen},
# {auth_type} are sent, so both sign every message (facteur for the
# authenticated client, OpenDKIM through its SigningTable). Verifying: the
# same messages, signed once up front by facteur-dkim (milter-load -w),
# from an outside client. facteur-dkim gets the key from a private Knot on
# loopback (tests/integration/dnsserver.py) through [dkim] resolver, with
# its TTL cache. OpenDKIM cannot take a resolver port, and libunbound's
# ResolverConfiguration (forward-zone to 127.0.0.1@PORT) crashes it under
# concurrency ("fatal flex scanner internal error": the config parser is
# not thread-safe), so it reads the same record from TestDNSData: no DNS
# at all, which only flatters OpenDKIM. SPF and DMARC are off in
# facteur-dkim (OpenDKIM does neither). Runs alternate facteur, opendkim,
# facteur, opendkim.
set -eu
DKIM=$1 FACTEUR=$2 LOAD=$3 SRC=$4
CORPUS=${CORPUS:-/work/shared/corpus/spamassassin/ham}
N=${N:-2000}
CONCS=${CONCS:-"1 8"}
ROUNDS=${ROUNDS:-2}
RSS_CONNS=${RSS_CONNS:-64}
PY=/usr/bin/python3
OPENDKIM=/usr/sbin/opendkim

T=$(mktemp -d /tmp/facteur-bench-dkim.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT INT TERM

wait_sock() { # PATH PID
	i=0
	while [ ! -S "$1" ] && [ $i -lt 200 ]; do
		kill -0 "$2" 2>/dev/null || { echo "dkim.sh: $1: daemon died" >&2; exit 1; }
		sleep 0.05; i=$((i + 1))
	done
	[ -S "$1" ] || { echo "dkim.sh: $1 never appeared" >&2; exit 1; }
}

# 1. One key, in facteur's database; OpenDKIM gets the same file.
cat > "$T/facteur.conf" <<EOF
[database]
path = $T/db.sqlite
[admin]
dkim_user = root
[dkim]
socket = unix:$T/facteur.sock
authserv_id = mx.bench
internal_hosts = 127.0.0.1/32
sign_daemons =
resolver = 127.0.0.1@DNSPORT
dns_timeout = 2s
spf = no
dmarc = no
${ENGINE:+engine = $ENGINE}
EOF
FAC="$FACTEUR -c $T/facteur.conf --db $T/db.sqlite"
$FAC db init >/dev/null
$FAC dkim keygen bench.example --selector s1 --algorithm rsa --bits 2048 \
    --keys-dir "$T/keys" > "$T/keygen.out"
KEY=$T/keys/bench.example/s1.key
[ -f "$KEY" ] || { echo "dkim.sh: no key at $KEY" >&2; exit 1; }
TXT=$($PY -c 'import re,sys; print("".join(re.findall(r"\"([^\"]*)\"", sys.stdin.read())))' < "$T/keygen.out")

# 2. DNS: a private Knot with the public key.
cat > "$T/dns.py" <<'EOF'
import os, signal, sys, time
sys.path.insert(0, sys.argv[1])
from dnsserver import DnsServer
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with DnsServer(sys.argv[2], zones={'bench.example': [
        ('s1._domainkey', 'TXT', sys.argv[3])]}) as dns:
    with open(sys.argv[2] + '/port.tmp', 'w') as f:
        f.write('%d\n' % dns.port)
    os.rename(sys.argv[2] + '/port.tmp', sys.argv[2] + '/port')
    end = time.monotonic() + 4 * 3600
    while time.monotonic() < end and os.getppid() != 1:
        time.sleep(0.2)
EOF
mkdir "$T/dns"
$PY "$T/dns.py" "$SRC/tests/integration" "$T/dns" "$TXT" &
PIDS="$PIDS $!"
i=0
while [ ! -f "$T/dns/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
DNSPORT=$(cat "$T/dns/port")
sed -i "s/DNSPORT/$DNSPORT/" "$T/facteur.conf"

# 3. OpenDKIM: same key, relaxed/relaxed, sign+verify, foreground.
# RequireSafeKeys false: it refuses any key below /tmp (world-writable
# parent); the file itself is 0600 root.
echo "s1._domainkey.bench.example $TXT" > "$T/testdns"
echo "s1._domainkey.bench.example bench.example:s1:$KEY" > "$T/keytable"
echo "*@bench.example s1._domainkey.bench.example" > "$T/signingtable"
cat > "$T/opendkim.conf" <<EOF
Syslog no
Mode sv
Canonicalization relaxed/relaxed
KeyTable file:$T/keytable
SigningTable refile:$T/signingtable
InternalHosts 127.0.0.1
AuthservID mx.bench
Socket local:$T/opendkim.sock
TestDNSData file:$T/testdns
RequireSafeKeys false
EOF

"$DKIM" -f -c "$T/facteur.conf" 2> "$T/facteur.log" &
FPID=$!; PIDS="$PIDS $FPID"
"$OPENDKIM" -f -x "$T/opendkim.conf" 2> "$T/opendkim.log" &
OPID=$!; PIDS="$PIDS $OPID"
wait_sock "$T/facteur.sock" $FPID
wait_sock "$T/opendkim.sock" $OPID

SIGN="-i 10.1.2.3 -m auth_authen=alice -m auth_type=PLAIN"
FROM="Alice <alice@bench.example>"
VERIFY="-i 192.0.2.7"

# 4. The verify corpus: N messages signed by facteur-dkim, as sent.
mkdir "$T/signed"
"$LOAD" -q -n "$N" $SIGN -F "$FROM" -g DKIM-Signature -w "$T/signed" \
    "unix:$T/facteur.sock" "$CORPUS" > "$T/presign.out"
grep -q "grep=$N " "$T/presign.out" ||
	{ echo "dkim.sh: pre-signing failed:" >&2; cat "$T/presign.out" >&2; exit 1; }

run() { # NAME SOCK PID MODE CONNS COUNT
	if [ "$4" = sign ]; then
		"$LOAD" -q -c "$5" -n "$6" $SIGN -F "$FROM" -g DKIM-Signature \
		    -p "$3" "unix:$2" "$CORPUS"
	else
		"$LOAD" -q -c "$5" -n "$6" $VERIFY -g dkim=pass -p "$3" \
		    "unix:$2" "$T/signed"
	fi | sed -n "s/^RESULT /$1 $4 $5 /p"
}

# Warm up (key and DNS caches, first allocations).
for m in sign verify; do
	run facteur "$T/facteur.sock" $FPID $m 1 50 > /dev/null
	run opendkim "$T/opendkim.sock" $OPID $m 1 50 > /dev/null
done

: > "$T/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	for c in $CONCS; do
		for m in sign verify; do
			run facteur "$T/facteur.sock" $FPID $m $c $N >> "$T/results"
			run opendkim "$T/opendkim.sock" $OPID $m $c $N >> "$T/results"
		done
	done
	r=$((r + 1))
done
run facteur "$T/facteur.sock" $FPID sign "$RSS_CONNS" "$N" > "$T/rss"
run opendkim "$T/opendkim.sock" $OPID sign "$RSS_CONNS" "$N" >> "$T/rss"

RSA=$(openssl speed -seconds 3 rsa2048 2>/dev/null |
	awk '/^rsa 2048 bits/ { sub("s", "", $4); print $4 * 1000 }')

echo "facteur-dkim vs OpenDKIM $($OPENDKIM -V | head -1 | sed 's/.* v//'):" \
    "$N messages per run from $CORPUS, mean of $ROUNDS rounds, unix sockets"
echo "openssl speed rsa2048: one signature = ${RSA} ms of CPU"
awk -v rsa="$RSA" '
function kv(s, k,   a) { split(s, a, "="); return a[2] }
{
	key = $2 " " $3; impl = $1
	for (i = 4; i <= NF; i++) { split($i, a, "="); v[impl, key, a[1]] += a[2] }
	runs[impl, key]++
	if (!(key in seen)) { seen[key] = 1; order[++n] = key }
}
END {
	printf "%-7s %5s | %-8s %9s %9s %8s %8s %10s | %7s %7s\n", "mode", "conns", "milter",
	    "msgs/s", "cpu ms", "p99 ms", "HWM MiB", "ok/msgs", "cpu f/o", "rate f/o"
	for (j = 1; j <= n; j++) {
		key = order[j]; split(key, kk, " ")
		for (t = 0; t < 2; t++) {
			impl = t ? "opendkim" : "facteur"; r = runs[impl, key]
			rate[t] = v[impl, key, "msgs_s"] / r; cpu[t] = v[impl, key, "cpu_ms_msg"] / r
			printf "%-7s %5s | %-8s %9.1f %9.3f %8.2f %8.1f %5d/%-5d |", kk[1], kk[2], impl,
			    rate[t], cpu[t], v[impl, key, "p99_ms"] / r,
			    v[impl, key, "hwm_kib"] / r / 1024, v[impl, key, "grep"] / r,
			    v[impl, key, "msgs"] / r
			if (t) printf " %7.2f %7.2f", cpu[1] ? cpu[0] / cpu[1] : 0, rate[1] ? rate[0] / rate[1] : 0
			printf "\n"
		}
		if (kk[1] == "sign" && rsa > 0)
			printf "%-7s %5s | facteur signing CPU = %.2fx one RSA-2048 signature\n", "", "", cpu[0] / rsa
	}
}' "$T/results"
echo "RSS at $RSS_CONNS concurrent connections (VmHWM, whole life of the process):"
sed 's/.*hwm_kib=\([0-9]*\).*/\1/' "$T/rss" | paste -d' ' - - |
	awk '{ printf "  facteur-dkim %.1f MiB, opendkim %.1f MiB\n", $1 / 1024, $2 / 1024 }'
if grep -q "ERROR\|runtime error" "$T/facteur.log"; then
	echo "dkim.sh: facteur-dkim logged errors:" >&2; tail -5 "$T/facteur.log" >&2
fi
