"""lib/dmarc (record discovery over lib/dns, alignment, pct) against a
real Knot server on loopback.

Usage: test_dmarc.py DMARCCHECK
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from dnsserver import DnsServer, KNOTD

DMARCCHECK = sys.argv[1] if len(sys.argv) > 1 else None

ZONES = {
    'example.org': [
        ('_dmarc', 'TXT', 'v=DMARC1; p=reject; rua=mailto:d@example.org'),
        ('_dmarc.strict', 'TXT', 'v=DMARC1; p=quarantine; adkim=s; aspf=s'),
        ('_dmarc.half', 'TXT', 'v=DMARC1; p=reject; pct=50'),
        ('_dmarc.two', 'TXT', 'v=DMARC1; p=reject'),
        ('_dmarc.two', 'TXT', 'v=DMARC1; p=none'),
        ('_dmarc.bad', 'TXT', 'v=DMARC1; p=bogus'),
        ('_dmarc.mixed', 'TXT', 'some other text'),
        ('_dmarc.mixed', 'TXT', 'v=DMARC1; p=quarantine'),
    ],
    'example.net': [
        ('_dmarc', 'TXT', 'v=DMARC1; p=quarantine; sp=none'),
    ],
    'example.co.uk': [
        ('_dmarc', 'TXT', 'v=DMARC1; p=reject'),
    ],
    'nodmarc.example': [
        ('@', 'TXT', 'v=spf1 -all'),
    ],
}

# (label, roll, from, spf domain or '-', [dkim d=], want result,
#  want policy, want sampled_out, want policy domain)
CASES = [
    ('p=reject fails with nothing aligned', 99, 'example.org', '-', [],
     'fail', 'reject', '0', 'example.org'),
    ('unaligned passes do not count', 99, 'example.org', 'example.com',
     ['example.net'], 'fail', 'reject', '0', 'example.org'),
    ('pass via DKIM alignment', 99, 'example.org', '-', ['example.org'],
     'pass', 'reject', '0', 'example.org'),
    ('pass via relaxed DKIM subdomain', 99, 'example.org', '-',
     ['mail.example.org'], 'pass', 'reject', '0', 'example.org'),
    ('pass via SPF alignment', 99, 'example.org', 'bounces.example.org',
     [], 'pass', 'reject', '0', 'example.org'),
    ('strict alignment rejects a subdomain', 99, 'strict.example.org',
     'example.org', ['mail.example.org'], 'fail', 'quarantine', '0',
     'strict.example.org'),
    ('strict alignment exact match', 99, 'strict.example.org', '-',
     ['strict.example.org'], 'pass', 'quarantine', '0',
     'strict.example.org'),
    ('org-domain fallback uses p', 99, 'news.example.org', '-', [],
     'fail', 'reject', '0', 'example.org'),
    ('org-domain fallback uses sp', 99, 'a.b.example.net', '-', [],
     'fail', 'none', '0', 'example.net'),
    ('org domain under co.uk', 99, 'shop.example.co.uk', '-', [],
     'fail', 'reject', '0', 'example.co.uk'),
    ('no record is none', 99, 'nodmarc.example', '-', [], 'none', 'none',
     '0', ''),
    ('missing domain is none', 99, 'nowhere.nodmarc.example', '-', [],
     'none', 'none', '0', ''),
    # RFC 7489 §6.6.3: a DNS error is temperror, REFUSED included
    ('refused query is temperror', 99, 'not-served.example', '-', [],
     'temperror', 'none', '0', 'not-served.example'),
    ('two records is none', 99, 'two.example.org', '-', [], 'none', 'none',
     '0', 'two.example.org'),
    ('non-DMARC TXT ignored', 99, 'mixed.example.org', '-', [], 'fail',
     'quarantine', '0', 'mixed.example.org'),
    ('bad p= is permerror', 99, 'bad.example.org', '-', [], 'permerror',
     'none', '0', 'bad.example.org'),
    ('pct=50 roll 49 applies', 49, 'half.example.org', '-', [], 'fail',
     'reject', '0', 'half.example.org'),
    ('pct=50 roll 50 samples out', 50, 'half.example.org', '-', [], 'fail',
     'reject', '1', 'half.example.org'),
    ('pct=100 never samples out', 99, 'example.org', '-', [], 'fail',
     'reject', '0', 'example.org'),
]


def run(server, roll, from_dom, spf, dkim, timeout_ms=3000):
    r = subprocess.run([DMARCCHECK, server, str(timeout_ms), str(roll),
                        from_dom, spf] + dkim, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0 or r.stderr.strip():
        raise AssertionError('dmarccheck exit %d: %s' % (r.returncode,
                                                         r.stderr))
    return r.stdout.rstrip('\n').split('\t')


def main():
    if DMARCCHECK is None:
        print('usage: test_dmarc.py DMARCCHECK', file=sys.stderr)
        return 2
    if not os.path.exists(KNOTD):
        print('SKIP: missing peer: knotd (scripts/install-deps)')
        return 77
    failures = []
    tmp = tempfile.mkdtemp(prefix='dmarc-', dir=os.getcwd())
    with DnsServer(tmp, zones=ZONES) as dns:
        server = '127.0.0.1@%d' % dns.port
        for label, roll, frm, spf, dkim, *want in CASES:
            got = run(server, roll, frm, spf, dkim)
            if got[:4] != want:
                failures.append('%s: got %s, want %s (detail: %s)' % (
                    label, got[:4], want, got[4:]))
        dns.pause()
        t0 = time.monotonic()
        got = run(server, 99, 'example.org', '-', [], timeout_ms=500)
        dt = time.monotonic() - t0
        dns.resume()
        if got[0] != 'temperror':
            failures.append('paused server: got %s, want temperror' % got)
        if dt > 5:
            failures.append('paused server: took %.1fs, want < 5s' % dt)
    for f in failures:
        print('FAIL', f)
    if not failures:
        shutil.rmtree(tmp, ignore_errors=True)
        print('ok: %d DMARC cases' % (len(CASES) + 1))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
