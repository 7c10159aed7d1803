#!/usr/bin/python3
"""bench/stack-dns.py HARNESS_DIR DIR DKIM_TXT - bench/stack.sh's private
Knot (tests/integration/dnsserver.py) on loopback: bench.example with the
DKIM key s1, SPF 'v=spf1 ip4:127.0.0.0/8 -all' and DMARC p=none; the
DNSBL zone dnsbl.bench (127.0.0.2 listed); the rules' DNSBL and URIBL
zones, empty. Writes its port to DIR/port, then runs until SIGTERM or
its parent goes away (at most 4 hours)."""
import os
import signal
import sys
import time

sys.path.insert(0, sys.argv[1])
from dnsserver import DnsServer  # noqa: E402

ZONES = ('zen.spamhaus.org', 'dbl.spamhaus.org', 'multi.uribl.com',
         'multi.surbl.org', 'bl.spamcop.net', 'bl.mailspike.net',
         'wl.mailspike.net', 'list.dnswl.org', 'psbl.surriel.com',
         'bl.score.senderscore.com', 'iadb.isipp.com',
         'dob.sibl.support-intelligence.net', 'sa-accredit.habeas.com',
         'sa-trusted.bondedsender.org', 'nonconfirm.mail-abuse.com',
         'activationcode.r.mail-abuse.com')
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with DnsServer(sys.argv[2], zones={
        'bench.example': [('s1._domainkey', 'TXT', sys.argv[3]),
                          ('@', 'TXT', 'v=spf1 ip4:127.0.0.0/8 -all'),
                          ('_dmarc', 'TXT', 'v=DMARC1; p=none')],
        'dnsbl.bench': [('2.0.0.127', 'A', '127.0.0.2')],
        # the DNSBL/URIBL zones of facteur's and SpamAssassin's rules:
        # empty, so their lookups get NXDOMAIN with an SOA as from a real
        # resolver (cached for its negative TTL), not REFUSED (never
        # cached: every message would ask again)
        **dict((z, []) for z in ZONES)}) as dns:
    with open(sys.argv[2] + '/port.tmp', 'w') as f:
        f.write('%d\n' % dns.port)
    os.rename(sys.argv[2] + '/port.tmp', sys.argv[2] + '/port')
    end = time.monotonic() + 4 * 3600
    while time.monotonic() < end and os.getppid() != 1:
        time.sleep(0.2)
