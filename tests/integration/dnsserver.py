"""dnsserver - a real authoritative DNS server (Knot DNS) on loopback, for tests.

Standard library only; run with /usr/bin/python3. Knot (`knotd`, Debian
package `knot`) runs as a private instance: configuration, zone files,
database, control socket and log all live in one directory the test owns,
it listens only on 127.0.0.1:<free port> (UDP and TCP), and no system file
is read or written.

    from dnsserver import DnsServer
    with DnsServer(tmpdir, zones={
            'example.org': [
                ('@', 'TXT', 'v=spf1 ip4:127.0.0.1 -all'),
                ('sel._domainkey', 'TXT', 'v=DKIM1; k=rsa; p=' + key),
                ('_dmarc', 'TXT', 'v=DMARC1; p=reject'),
                ('mail', 'A', '127.0.0.1'),
                ('@', 'MX', '10 mail'),
            ]}) as dns:
        resolver = '127.0.0.1@%d' % dns.port     # lib/dns syntax
        dns.set_records('example.org', [...])    # new zone content, reloaded
        dns.pause(); ...; dns.resume()           # an unresponsive server

Records are (name, type, value) or (name, type, value, ttl). Names are
relative to the zone ('@' is the apex) unless they end with a dot. A TXT
value longer than 255 bytes is split into 255-byte character-strings (the
way DKIM keys are published); a list or tuple gives the strings
explicitly. Other values are written to the zone file as they are.

Each zone gets an SOA (negative TTL `soa_minimum`, default 60) and an NS
record. query(name, type) asks the server directly (for self-tests and
readiness). Every wait is bounded; close() (or the with-block, or interpreter
exit) stops knotd by pid, TERM then KILL.
"""

import atexit
import os
import random
import signal
import socket
import struct
import subprocess
import time

KNOTD = '/usr/sbin/knotd'
KNOTC = '/usr/sbin/knotc'

TYPES = {'A': 1, 'NS': 2, 'CNAME': 5, 'SOA': 6, 'PTR': 12, 'MX': 15,
         'TXT': 16, 'AAAA': 28}
RCODES = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN',
          4: 'NOTIMP', 5: 'REFUSED'}

_live = []


def _cleanup():
    for s in list(_live):
        s.close()


atexit.register(_cleanup)


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (racy, as usual)."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(('127.0.0.1', 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(('127.0.0.1', port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError('no free port')


def txt_strings(value):
    """The zone-file form of a TXT value: quoted 255-byte strings."""
    if isinstance(value, (list, tuple)):
        chunks = [v.encode() if isinstance(v, str) else v for v in value]
    else:
        raw = value.encode() if isinstance(value, str) else value
        chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b'']
    out = []
    for c in chunks:
        if len(c) > 255:
            raise ValueError('TXT string over 255 bytes')
        s = ''
        for b in c:
            if b in (0x22, 0x5c):
                s += '\\' + chr(b)
            elif 0x20 <= b < 0x7f:
                s += chr(b)
            else:
                s += '\\%03d' % b
        out.append('"%s"' % s)
    return ' '.join(out)


def _encode_name(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def _skip_name(msg, off):
    for _ in range(128):
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xc0 == 0xc0:
            return off + 2
        off += 1 + n
    raise ValueError('name too long')


def query(port, name, qtype, timeout=2.0, host='127.0.0.1'):
    """Asks host:port once over UDP. Returns (rcode name, aa flag,
    [(type, ttl, rdata bytes)] of the answer section)."""
    qid = random.randrange(65536)
    q = struct.pack('>HHHHHH', qid, 0, 1, 0, 0, 1)
    q += _encode_name(name) + struct.pack('>HH', TYPES[qtype], 1)
    q += b'\0' + struct.pack('>HHIH', 41, 4096, 0, 0)  # EDNS0, 4096 bytes
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(q, (host, port))
        deadline = time.monotonic() + timeout
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            msg, _ = s.recvfrom(65535)
            if len(msg) >= 12 and struct.unpack('>H', msg[:2])[0] == qid:
                break
    _, flags, qd, an, _, _ = struct.unpack('>HHHHHH', msg[:12])
    off = 12
    for _ in range(qd):
        off = _skip_name(msg, off) + 4
    rrs = []
    for _ in range(an):
        off = _skip_name(msg, off)
        t, _, ttl, rdlen = struct.unpack('>HHIH', msg[off:off + 10])
        off += 10
        rrs.append((t, ttl, msg[off:off + rdlen]))
        off += rdlen
    return RCODES.get(flags & 0xf, str(flags & 0xf)), bool(flags & 0x400), rrs


class DnsServer:
    """A private knotd serving `zones` on 127.0.0.1:self.port."""

    def __init__(self, directory, zones, soa_minimum=60, default_ttl=300,
                 start_timeout=15.0):
        self.dir = os.path.abspath(directory)
        self.soa_minimum = soa_minimum
        self.default_ttl = default_ttl
        self.zones = {}
        self.serials = {}
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, 'knot.log')
        self.conf_path = os.path.join(self.dir, 'knot.conf')
        for sub in ('zones', 'db'):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        for zone, records in zones.items():
            self.zones[zone.rstrip('.').lower()] = list(records)
            self.serials[zone.rstrip('.').lower()] = 1
        self._start(start_timeout)

    # -- files -----------------------------------------------------------

    def _write_conf(self):
        d = self.dir
        zones = ''.join('  - domain: %s\n' % z for z in sorted(self.zones))
        conf = f'''# written by tests/integration/dnsserver.py
server:
    rundir: "{d}"
    listen: 127.0.0.1@{self.port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: "{self.log_path}"
    any: info
database:
    storage: "{d}/db"
control:
    listen: "{d}/knot.sock"
template:
  - id: default
    storage: "{d}/zones"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
{zones}'''
        tmp = self.conf_path + '.tmp'
        with open(tmp, 'w') as f:
            f.write(conf)
        os.replace(tmp, self.conf_path)

    def _zone_text(self, zone):
        lines = ['$ORIGIN %s.' % zone, '$TTL %d' % self.default_ttl,
                 '@ SOA ns.%s. hostmaster.%s. %d 3600 900 604800 %d' % (
                     zone, zone, self.serials[zone], self.soa_minimum),
                 '@ NS ns.%s.' % zone]
        has_ns_a = False
        for rec in self.zones[zone]:
            if len(rec) == 3:
                name, rtype, value = rec
                ttl = ''
            else:
                name, rtype, value, ttl = rec
            rtype = rtype.upper()
            if rtype == 'TXT':
                value = txt_strings(value)
            if name == 'ns' and rtype == 'A':
                has_ns_a = True
            lines.append('%s %s %s %s' % (name, ttl, rtype, value))
        if not has_ns_a:
            lines.append('ns A 127.0.0.1')
        return '\n'.join(lines) + '\n'

    def _write_zone(self, zone):
        path = os.path.join(self.dir, 'zones', zone + '.zone')
        with open(path + '.tmp', 'w') as f:
            f.write(self._zone_text(zone))
        os.replace(path + '.tmp', path)

    # -- process ---------------------------------------------------------

    def _start(self, timeout):
        for z in self.zones:
            self._write_zone(z)
        last = ''
        for _ in range(3):
            self.port = free_port()
            self._write_conf()
            log = open(self.log_path, 'a')
            self.proc = subprocess.Popen([KNOTD, '-c', self.conf_path],
                                         stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log,
                                         start_new_session=True)
            log.close()
            _live.append(self)
            if self._wait_serving(timeout):
                return
            last = self._log_tail()
            self.close()
        raise RuntimeError('knotd did not start; log:\n' + last)

    def _serves(self, zone):
        try:
            rcode, aa, rrs = query(self.port, zone, 'SOA', timeout=0.5)
        except (OSError, ValueError):
            return False
        if rcode != 'NOERROR' or not aa or not rrs:
            return False
        rdata = rrs[0][2]
        off = _skip_name(rdata, _skip_name(rdata, 0))
        return struct.unpack('>I', rdata[off:off + 4])[0] == \
            self.serials[zone]

    def _wait_serving(self, timeout, zones=None):
        deadline = time.monotonic() + timeout
        zones = list(zones or self.zones)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            zones = [z for z in zones if not self._serves(z)]
            if not zones:
                return True
            time.sleep(0.05)
        return False

    def _log_tail(self):
        try:
            with open(self.log_path) as f:
                return ''.join(f.readlines()[-30:])
        except OSError:
            return ''

    def _knotc(self, *args):
        r = subprocess.run([KNOTC, '-c', self.conf_path, '-t', '5'] +
                           list(args), capture_output=True, text=True,
                           timeout=20)
        if r.returncode != 0:
            raise RuntimeError('knotc %s: %s%s' % (' '.join(args), r.stdout,
                                                   r.stderr))

    def set_records(self, zone, records, timeout=10.0):
        """Replaces (or adds) a zone's records and waits until served."""
        zone = zone.rstrip('.').lower()
        new = zone not in self.zones
        self.zones[zone] = list(records)
        self.serials[zone] = self.serials.get(zone, 0) + 1
        self._write_zone(zone)
        if new:
            self._write_conf()
            self._knotc('reload')
        else:
            self._knotc('zone-reload', zone)
        if not self._wait_serving(timeout, [zone]):
            raise RuntimeError('zone %s not reloaded; log:\n%s' % (
                zone, self._log_tail()))

    def pause(self):
        """Stops answering (SIGSTOP): queries time out, for temperror.

        The signal is asynchronous: wait (bounded) until every thread of
        knotd is really stopped, or a query sent right after may still be
        answered on a loaded machine."""
        self.proc.send_signal(signal.SIGSTOP)
        pid = self.proc.pid
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                tids = os.listdir('/proc/%d/task' % pid)
                states = []
                for t in tids:
                    with open('/proc/%d/task/%s/stat' % (pid, t)) as f:
                        states.append(f.read().rsplit(')', 1)[1].split()[0])
            except OSError:
                return
            if all(st in ('T', 't') for st in states):
                return
            time.sleep(0.01)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def close(self):
        p = self.proc
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        if self in _live:
            _live.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
