"""lib/spf (libspf2 over lib/dns) against a real Knot server on loopback.

Usage: test_spf.py SPFCHECK   (the tests/dns/spfcheck driver)
Each case runs the driver once and compares its result; a failure prints
"got X, want Y" with the driver's detail.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from dnsserver import DnsServer, KNOTD

SPFCHECK = sys.argv[1] if len(sys.argv) > 1 else None

ZONES = {
    'example.org': [
        ('@', 'TXT', 'v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all'),
        ('@', 'MX', '10 mx1'),
        ('mx1', 'A', '198.51.100.25'),
        ('soft', 'TXT', 'v=spf1 ip4:192.0.2.1 ~all'),
        ('neutral', 'TXT', 'v=spf1 ?all'),
        ('nospf', 'TXT', 'just some text'),
        ('two', 'TXT', 'v=spf1 -all'),
        ('two', 'TXT', 'v=spf1 +all'),
        ('bad', 'TXT', 'v=spf1 ip4:not-an-address -all'),
        ('inc', 'TXT', 'v=spf1 include:partner.example.net -all'),
        ('redir', 'TXT', 'v=spf1 redirect=partner.example.net'),
        ('amx', 'TXT', 'v=spf1 a mx -all'),
        ('amx', 'A', '203.0.113.7'),
        ('amx', 'MX', '5 mx1.example.org.'),
        ('macro', 'TXT', 'v=spf1 exists:%{i}.allow.example.org -all'),
        ('192.0.2.1.allow', 'A', '127.0.0.2'),
        ('mail', 'TXT', 'v=spf1 ip4:192.0.2.99 -all'),
        ('exp', 'TXT', 'v=spf1 -all exp=explain.example.org'),
        # libspf2 1.2.10 mangles literal spaces in exp= text (it stops
        # expanding at the first one); %_ is the RFC 7208 escaped space.
        ('explain', 'TXT', 'Not%_allowed:%_%{i}%_for%_%{d}'),
        ('long', 'TXT', 'v=spf1 ' + ' '.join(
            'ip4:10.0.%d.0/24' % i for i in range(40)) + ' ip4:192.0.2.5 -all'),
        ('cname', 'CNAME', 'soft.example.org.'),
    ],
    'example.net': [
        ('partner', 'TXT', 'v=spf1 ip4:198.51.100.0/24 -all'),
    ],
}

# (label, ip, helo, mailfrom, want result, want domain)
CASES = [
    ('pass on ip4 range', '192.0.2.10', 'mx.example.org',
     'alice@example.org', 'pass', 'example.org'),
    ('pass on ip6 range', '2001:db8::5', 'mx.example.org',
     'alice@example.org', 'pass', 'example.org'),
    ('fail on -all', '203.0.113.9', 'mx.example.org', 'alice@example.org',
     'fail', 'example.org'),
    ('softfail on ~all', '203.0.113.9', 'h', 'bob@soft.example.org',
     'softfail', 'soft.example.org'),
    ('neutral on ?all', '203.0.113.9', 'h', 'x@neutral.example.org',
     'neutral', 'neutral.example.org'),
    ('none without a record', '203.0.113.9', 'h', 'x@nospf.example.org',
     'none', 'nospf.example.org'),
    ('none for a missing domain', '203.0.113.9', 'h',
     'x@nowhere.example.org', 'none', 'nowhere.example.org'),
    ('permerror on two records', '192.0.2.1', 'h', 'x@two.example.org',
     'permerror', 'two.example.org'),
    ('permerror on bad syntax', '192.0.2.1', 'h', 'x@bad.example.org',
     'permerror', 'bad.example.org'),
    ('include passes', '198.51.100.3', 'h', 'x@inc.example.org', 'pass',
     'inc.example.org'),
    ('include then -all fails', '192.0.2.1', 'h', 'x@inc.example.org',
     'fail', 'inc.example.org'),
    ('redirect passes', '198.51.100.3', 'h', 'x@redir.example.org', 'pass',
     'redir.example.org'),
    ('redirect fails', '192.0.2.1', 'h', 'x@redir.example.org', 'fail',
     'redir.example.org'),
    ('a mechanism', '203.0.113.7', 'h', 'x@amx.example.org', 'pass',
     'amx.example.org'),
    ('mx mechanism', '198.51.100.25', 'h', 'x@amx.example.org', 'pass',
     'amx.example.org'),
    ('a/mx miss fails', '198.51.100.26', 'h', 'x@amx.example.org', 'fail',
     'amx.example.org'),
    ('macro %{i} matches', '192.0.2.1', 'h', 'x@macro.example.org', 'pass',
     'macro.example.org'),
    ('macro %{i} misses', '192.0.2.2', 'h', 'x@macro.example.org', 'fail',
     'macro.example.org'),
    ('null sender uses helo', '192.0.2.99', 'mail.example.org', '',
     'pass', 'mail.example.org'),
    ('null sender helo fails', '192.0.2.98', 'mail.example.org', '<>',
     'fail', 'mail.example.org'),
    ('helo identity alone', '192.0.2.99', 'mail.example.org', '-', 'pass',
     'mail.example.org'),
    ('record over 255 bytes joined', '192.0.2.5', 'h',
     'x@long.example.org', 'pass', 'long.example.org'),
    ('record through a cname', '192.0.2.1', 'h', 'x@cname.example.org',
     'pass', 'cname.example.org'),
    ('bad client address', 'not-an-ip', 'h', 'x@example.org', 'permerror',
     'example.org'),
]


def run(server, ip, helo, mailfrom, timeout_ms=3000, threads=None):
    r = subprocess.run([SPFCHECK, server, str(timeout_ms), ip, helo,
                        mailfrom] + ([str(threads)] if threads else []),
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError('spfcheck exit %d: %s' % (r.returncode,
                                                       r.stderr))
    if r.stderr.strip():
        raise AssertionError('spfcheck wrote to stderr: ' + r.stderr)
    return r.stdout.rstrip('\n').split('\t')


def main():
    if SPFCHECK is None:
        print('usage: test_spf.py SPFCHECK', file=sys.stderr)
        return 2
    if not os.path.exists(KNOTD):
        print('SKIP: missing peer: knotd (scripts/install-deps)')
        return 77
    failures = []
    tmp = tempfile.mkdtemp(prefix='spf-', dir=os.getcwd())
    with DnsServer(tmp, zones=ZONES) as dns:
        server = '127.0.0.1@%d' % dns.port
        for label, ip, helo, mailfrom, want, want_dom in CASES:
            got = run(server, ip, helo, mailfrom)
            if got[0] != want or got[1] != want_dom:
                failures.append('%s: got %s (%s), want %s (%s); detail: %s'
                                % (label, got[0], got[1], want, want_dom,
                                   got[3:]))
        got = run(server, '203.0.113.9', 'h', 'x@exp.example.org')
        if got[0] != 'fail' or got[2] != \
                'Not allowed: 203.0.113.9 for exp.example.org':
            failures.append('exp= explanation: got %r, want the expanded '
                            'exp= text' % got)
        got = run(server, '203.0.113.9', 'h', 'x@example.org')
        if not got[2]:
            failures.append('fail without exp=: got no explanation')

        # 8 threads x 10 checks share one struct spf and its resolver.
        for ip, want in (('198.51.100.3', 'pass'), ('192.0.2.1', 'fail')):
            got = run(server, ip, 'h', 'x@inc.example.org', threads=8)
            if got[0] != want:
                failures.append('threads: got %s, want %s' % (got[0], want))

        # An unresponsive server: temperror within the timeout.
        dns.pause()
        t0 = time.monotonic()
        got = run(server, '192.0.2.10', 'h', 'alice@example.org',
                  timeout_ms=500)
        dt = time.monotonic() - t0
        dns.resume()
        if got[0] != 'temperror':
            failures.append('paused server: got %s, want temperror (%s)'
                            % (got[0], got[3:]))
        if dt > 5:
            failures.append('paused server: took %.1fs, want < 5s' % dt)
    # The server is gone: nothing listens on the port any more.
    got = run(server, '192.0.2.10', 'h', 'alice@example.org',
              timeout_ms=500)
    if got[0] != 'temperror':
        failures.append('stopped server: got %s, want temperror' % got[0])

    for f in failures:
        print('FAIL', f)
    if not failures:
        shutil.rmtree(tmp, ignore_errors=True)
        print('ok: %d SPF cases' % (len(CASES) + 4))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
