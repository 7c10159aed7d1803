#!/bin/sh
# bench/blacklist-conn.sh - facteur-blacklist's CPU per milter connection
# when every connection carries one message, as Postfix opens one milter
# connection per SMTP session (bench/policy.sh sends many messages on one
# connection, so it does not see this cost). 1000 sender rows (addresses,
# domains, IPv4 and IPv6 CIDRs, as policy.sh makes them), no DNSBL; an
# unlisted sender from an outside client, driven by tests/milter's
# milterclient over the unix socket; the milter's utime+stime from /proc
# before and after. Give it release binaries. Run as root or as a user
# who can write /tmp.
#
#   bench/blacklist-conn.sh FACTEUR-BLACKLIST FACTEUR [CONNECTIONS (600)]
set -e
BL=$1 FAC=$2 N=${3:-600}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/blconn.XXXXXX)
cat > $T/f.conf <<EOC
[database]
path = $T/db.sqlite
[blacklist]
socket = unix:$T/bl.sock
internal_hosts =
dnsbl_zones =
EOC
$FAC -c $T/f.conf db init >/dev/null
pattern() { case $(($1 % 5)) in 0) echo "spammer$1@bulk$(($1 % 97)).example";; 1) echo "@junk$1.example";; 2) echo "spam$1.example";; 3) echo "10.$(($1 / 256 % 256)).$(($1 % 256)).0/24";; 4) echo "2001:db8:$(printf %x "$1")::/48";; esac; }
i=0; while [ $i -lt 5 ]; do $FAC -c $T/f.conf blacklist sender add "$(pattern $i)" >/dev/null; i=$((i+1)); done
COLS=$(sqlite3 $T/db.sqlite "SELECT group_concat(name) FROM pragma_table_info('sender_blacklist') WHERE name <> 'pattern'")
{ echo "BEGIN;"; while [ $i -lt 1000 ]; do echo "INSERT INTO sender_blacklist (pattern,$COLS) SELECT '$(pattern $i)',$COLS FROM sender_blacklist WHERE pattern = '$(pattern $((i % 5)))';"; i=$((i+1)); done; echo "COMMIT;"; } | sqlite3 $T/db.sqlite
$BL -f -c $T/f.conf 2> $T/bl.log & P=$!
while [ ! -S $T/bl.sock ]; do sleep 0.1; done
/usr/bin/python3 - $T/bl.sock $P $N "$HERE/../tests/milter" <<'EOP'
import sys, os, time
sys.path.insert(0, sys.argv[4])
from milterclient import MilterClient
sock, pid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def cpu_all():
    f = open('/proc/%d/stat' % pid).read(); f = f[f.rindex(')') + 2:].split()
    return int(f[11]) + int(f[12])
mc = MilterClient('unix:' + sock)
for i in range(20):
    mc.message(connect=("mx.example.net", "192.0.2.7", 40000), mail_from="<a@ok.example>", rcpts=["<b@example.org>"], headers=[("Subject", "x")], body=b"hi\r\n")
c0 = cpu_all(); t0 = time.monotonic()
for i in range(n):
    mc.message(connect=("mx.example.net", "192.0.2.7", 40000), mail_from="<a@ok.example>", rcpts=["<b@example.org>"], headers=[("Subject", "x")], body=b"hi\r\n")
c1 = cpu_all(); t1 = time.monotonic()
hz = os.sysconf('SC_CLK_TCK')
print("connections %d: milter CPU %.3f ms per connection, %.0f conn/s" % (n, (c1 - c0) * 1000.0 / hz / n, n / (t1 - t0)))
EOP
kill $P; wait $P 2>/dev/null || true
rm -rf $T
