"""lib/dns against a real Knot server on loopback: answer types, CNAME
chains, negative answers, TC -> TCP fallback for a large TXT record, the
cache shared by concurrent threads, and a timeout on a paused server.

Usage: test_dns.py DNSQUERY
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from dnsserver import DnsServer, KNOTD

DNSQUERY = sys.argv[1] if len(sys.argv) > 1 else None

BIG = 'v=DKIM1; k=rsa; p=' + 'Q' * 3000   # > 1232: truncated over UDP

ZONES = {
    'example.org': [
        ('@', 'TXT', 'v=spf1 -all'),
        ('@', 'MX', '10 mail'),
        ('@', 'MX', '20 backup.example.net.'),
        ('mail', 'A', '192.0.2.25'),
        ('mail', 'AAAA', '2001:db8::25'),
        ('big._domainkey', 'TXT', BIG),
        ('alias', 'CNAME', 'hop.example.net.'),
        ('short', 'TXT', 'short-lived', 1),
    ],
    'example.net': [
        ('hop', 'CNAME', 'end.example.net.'),
        ('end', 'TXT', 'at the end'),
    ],
    '2.0.192.in-addr.arpa': [
        ('25', 'PTR', 'mail.example.org.'),
    ],
}

# (type, name, want status, want rrs)
CASES = [
    ('TXT', 'example.org', 'ok', 'v=spf1 -all'),
    ('TXT', 'EXAMPLE.ORG.', 'ok', 'v=spf1 -all'),
    ('A', 'mail.example.org', 'ok', '192.0.2.25'),
    ('AAAA', 'mail.example.org', 'ok', '2001:db8::25'),
    ('PTR', '25.2.0.192.in-addr.arpa', 'ok', 'mail.example.org'),
    ('TXT', 'big._domainkey.example.org', 'ok', 'len=%d' % len(BIG)),
    ('TXT', 'alias.example.org', 'ok', 'at the end'),
    ('TXT', 'nope.example.org', 'nxdomain', ''),
    ('AAAA', 'example.org', 'nodata', ''),
    ('TXT', 'other.test', 'permfail', ''),   # not served: REFUSED
]


def run(server, threads, rounds, qtype, names, timeout_ms=3000):
    r = subprocess.run([DNSQUERY, server, str(timeout_ms), str(threads),
                        str(rounds), qtype] + names, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0 or r.stderr.strip():
        raise AssertionError('dnsquery exit %d: %s' % (r.returncode,
                                                       r.stderr))
    lines = r.stdout.splitlines()
    return [ln.split('\t') for ln in lines[:-1]], lines[-1]


def main():
    if DNSQUERY is None:
        print('usage: test_dns.py DNSQUERY', file=sys.stderr)
        return 2
    if not os.path.exists(KNOTD):
        print('SKIP: missing peer: knotd (scripts/install-deps)')
        return 77
    failures = []
    tmp = tempfile.mkdtemp(prefix='dns-', dir=os.getcwd())
    with DnsServer(tmp, zones=ZONES) as dns:
        server = '127.0.0.1@%d' % dns.port
        for qtype, name, want, rrs in CASES:
            (got,), _ = run(server, 1, 0, qtype, [name])
            if got[1] != want or got[3] != rrs:
                failures.append('%s %s: got %s %r, want %s %r' % (
                    qtype, name, got[1], got[3], want, rrs))
        (got,), _ = run(server, 1, 0, 'MX', ['example.org'])
        if sorted(got[3].split('|')) != ['10 mail.example.org',
                                         '20 backup.example.net']:
            failures.append('MX: got %r' % got[3])
        if got[2] != '300':
            failures.append('MX ttl: got %s, want 300' % got[2])

        # 8 threads x 20 rounds over 4 names: only the first lookups miss.
        names = ['example.org', 'big._domainkey.example.org',
                 'nope.example.org', 'alias.example.org']
        _, stats = run(server, 8, 20, 'TXT', names)
        want = 'stats queries=%d hits=%d misses=4 timeouts=0' % (
            4 + 8 * 20 * 4, 8 * 20 * 4)
        if stats != want:
            failures.append('cache under threads: got %r, want %r' % (
                stats, want))

        dns.pause()
        t0 = time.monotonic()
        (got,), stats = run(server, 1, 0, 'TXT', ['example.org'],
                            timeout_ms=500)
        dt = time.monotonic() - t0
        dns.resume()
        if got[1] != 'tempfail' or 'timeouts=1' not in stats:
            failures.append('paused: got %s (%s), want tempfail, 1 '
                            'timeout' % (got[1], stats))
        if dt > 3:
            failures.append('paused: took %.1fs for a 500 ms budget' % dt)
    for f in failures:
        print('FAIL', f)
    if not failures:
        shutil.rmtree(tmp, ignore_errors=True)
        print('ok: %d lookups' % (len(CASES) + 3))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
