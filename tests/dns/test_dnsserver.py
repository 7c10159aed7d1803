"""Self-test of tests/integration/dnsserver.py: a private Knot serves what
it is given, long TXT records split into 255-byte strings, reloads, new
zones, pause/resume, and leaves no process behind."""

import os
import shutil
import sys
import tempfile

import dnsserver
from dnsserver import DnsServer, KNOTD, query


def txt_strings(rdata):
    out, i = [], 0
    while i < len(rdata):
        n = rdata[i]
        out.append(rdata[i + 1:i + 1 + n])
        i += 1 + n
    return out


def check(cond, what, failures):
    if not cond:
        failures.append(what)


def main():
    if not os.path.exists(KNOTD):
        print('SKIP: missing peer: knotd (scripts/install-deps)')
        return 77
    failures = []
    tmp = tempfile.mkdtemp(prefix='dnssrv-', dir=os.getcwd())
    key = 'v=DKIM1; k=rsa; p=' + 'M' * 700
    with DnsServer(tmp, zones={'example.org': [
            ('@', 'TXT', 'v=spf1 -all'),
            ('sel._domainkey', 'TXT', key),
            ('quote', 'TXT', 'a "quoted" \\ value'),
            ('multi', 'TXT', ['one', 'two']),
            ('www', 'CNAME', 'example.org.'),
            ('@', 'MX', '10 mail'),
            ('mail', 'A', '127.0.0.1', 60)]}, soa_minimum=7) as dns:
        rcode, aa, rrs = query(dns.port, 'sel._domainkey.example.org', 'TXT')
        strings = txt_strings(rrs[0][2]) if rrs else []
        check(rcode == 'NOERROR' and aa, 'dkim key: got %s aa=%s, want '
              'NOERROR aa' % (rcode, aa), failures)
        check(b''.join(strings) == key.encode(), 'dkim key: got %r..., '
              'want the key back' % b''.join(strings)[:40], failures)
        check([len(s) for s in strings] == [255, 255, len(key) - 510],
              'dkim key split: got %s, want [255, 255, %d]' % (
                  [len(s) for s in strings], len(key) - 510), failures)
        _, _, rrs = query(dns.port, 'quote.example.org', 'TXT')
        check(rrs and txt_strings(rrs[0][2]) == [b'a "quoted" \\ value'],
              'escaping: got %r' % (rrs,), failures)
        _, _, rrs = query(dns.port, 'multi.example.org', 'TXT')
        check(rrs and txt_strings(rrs[0][2]) == [b'one', b'two'],
              'explicit strings: got %r' % (rrs,), failures)
        _, _, rrs = query(dns.port, 'mail.example.org', 'A')
        check(rrs == [(1, 60, b'\x7f\x00\x00\x01')],
              'A with ttl: got %r, want 127.0.0.1 ttl 60' % (rrs,), failures)
        rcode, _, _ = query(dns.port, 'nope.example.org', 'A')
        check(rcode == 'NXDOMAIN', 'missing name: got %s, want NXDOMAIN'
              % rcode, failures)
        rcode, _, _ = query(dns.port, 'example.com', 'A')
        check(rcode == 'REFUSED', 'other zone: got %s, want REFUSED'
              % rcode, failures)

        dns.set_records('example.org', [('@', 'TXT', 'v=spf1 +all')])
        _, _, rrs = query(dns.port, 'example.org', 'TXT')
        check(rrs and rrs[0][2] == b'\x0bv=spf1 +all',
              'reload: got %r, want the new record' % (rrs,), failures)
        dns.set_records('example.net', [('@', 'A', '192.0.2.1')])
        _, _, rrs = query(dns.port, 'example.net', 'A')
        check(rrs and rrs[0][2] == bytes([192, 0, 2, 1]),
              'new zone: got %r' % (rrs,), failures)

        dns.pause()
        try:
            query(dns.port, 'example.net', 'A', timeout=0.3)
            failures.append('paused: got an answer, want a timeout')
        except OSError:
            pass
        dns.resume()
        rcode, _, _ = query(dns.port, 'example.net', 'A')
        check(rcode == 'NOERROR', 'resumed: got %s' % rcode, failures)
        pid = dns.proc.pid
    check(dns.proc.poll() is not None, 'close: knotd %d still running'
          % pid, failures)
    check(not dnsserver._live, 'close: instance still registered', failures)
    for f in failures:
        print('FAIL', f)
    if not failures:
        shutil.rmtree(tmp, ignore_errors=True)
        print('ok')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
