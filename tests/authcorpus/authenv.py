"""tests/authcorpus/authenv.py - what the auth suite's tests share: the
keys, the private DNS (Knot) with the corpus's domains, facteur-dkim
started on a private config, and a milter client that sends a raw
message the way Postfix does.

The tests run in a private network and mount namespace (unshare -nm,
root only): there Knot answers on 127.0.0.1:53 and /etc/resolv.conf is a
bind-mounted copy naming it, because OpenDMARC has no resolver setting
and reads resolv.conf (the oracles test needs it; the others use it so
that all three see the same DNS). Nothing leaves the namespace: it has
only a loopback interface.
"""
import base64
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "milter"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "dkim"))
import milterclient  # noqa: E402
from milterclient import MilterClient  # noqa: E402
import dnsserver  # noqa: E402
import harness  # noqa: E402
from dkimtest import wait_for_socket  # noqa: E402

AUTHSERV = "mx.test"
CLIENT = ("ext.example", "198.51.100.9", 4567)
ENVFROM = "<bounce@envelope.example>"
RCPT = "<bob@mx.test>"
NETNS_ENV = "FACTEUR_AUTH_NETNS"


def in_namespace(argv):
    """Re-runs this script under 'unshare -nm' unless already there; in
    the namespace, brings loopback up and points resolv.conf at
    127.0.0.1. Returns only inside the namespace; exits 77 (skip, 'SKIP:
    missing peer: root') when not root, 1 when root cannot make it."""
    if os.environ.get(NETNS_ENV) == "1":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        fd, path = tempfile.mkstemp(prefix="auth-resolv-")
        os.write(fd, b"nameserver 127.0.0.1\noptions timeout:2 attempts:1\n")
        os.close(fd)
        os.chmod(path, 0o644)
        subprocess.run(["mount", "--bind", path, "/etc/resolv.conf"],
                       check=True)
        os.unlink(path)  # the mount keeps the file
        return
    try:
        probe = subprocess.run(["unshare", "--net", "--mount", "ip", "link",
                                "set", "lo", "up"], capture_output=True)
    except FileNotFoundError:
        print("SKIP: missing peer: unshare (util-linux)")
        sys.exit(77)
    if probe.returncode != 0 and os.geteuid() != 0:
        print("SKIP: missing peer: root (unshare -nm and ip need it): %s"
              % probe.stderr.decode().strip())
        sys.exit(77)
    if probe.returncode != 0:  # root, and still no namespace: a failure
        print("FAIL: cannot make a private network namespace: %s"
              % probe.stderr.decode().strip())
        sys.exit(1)
    env = dict(os.environ, **{NETNS_ENV: "1"})
    sys.exit(subprocess.run(["unshare", "--net", "--mount", "--",
                             sys.executable] + argv, env=env).returncode)


def _openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, check=True,
                          capture_output=True).stdout


class RsaKey:
    """An RSA key pair: pem (PKCS#1, what dkimpy reads), der_pub (the
    SubjectPublicKeyInfo a DKIM record's p= carries)."""

    def __init__(self, bits):
        self.pem = _openssl("genrsa", "-traditional", str(bits))
        self.der_pub = _openssl("rsa", "-pubout", "-outform", "DER",
                                data=self.pem)
        self.p = base64.b64encode(self.der_pub).decode()
        self.priv = None

    def record(self, extra=""):
        return "v=DKIM1; k=rsa; %sp=%s" % (extra, self.p)


class EdKey:
    """An Ed25519 key (RFC 8463): seed for dkimpy, p= for the record."""

    def __init__(self):
        import nacl.signing
        sk = nacl.signing.SigningKey.generate()
        self.seed = base64.b64encode(bytes(sk))
        self.p = base64.b64encode(bytes(sk.verify_key)).decode()

    def record(self):
        return "v=DKIM1; k=ed25519; p=%s" % self.p


class Keys:
    def __init__(self):
        self.victim = RsaKey(2048)   # example.org and its subdomains
        self.evil = RsaKey(2048)     # evil.example: the attacker's own
        self.weak = RsaKey(512)      # RFC 8301: under 1024 bits fails
        self.ed = EdKey()


def zones(k):
    """The corpus's DNS: example.org (p=reject) is the victim,
    evil.example (p=none) the attacker's own domain with valid keys."""
    v, e = k.victim, k.evil
    return {
        "example.org": [
            ("_dmarc", "TXT", "v=DMARC1; p=reject"),
            ("s1._domainkey", "TXT", v.record()),
            ("e1._domainkey", "TXT", k.ed.record()),
            ("weak._domainkey", "TXT", "v=DKIM1; k=rsa; p=" + k.weak.p),
            ("revoked._domainkey", "TXT", "v=DKIM1; k=rsa; p="),
            ("sha1only._domainkey", "TXT", v.record("h=sha1; ")),
            ("edtype._domainkey", "TXT", "v=DKIM1; k=ed25519; p=" + v.p),
            ("v2._domainkey", "TXT", "v=DKIM2; k=rsa; p=" + v.p),
            ("strict._domainkey", "TXT", v.record("t=s; ")),
            ("svcother._domainkey", "TXT", v.record("s=other; ")),
            ("svcemail._domainkey", "TXT", v.record("s=email; ")),
            ("unknowntag._domainkey", "TXT", v.record("zz=top; ")),
            ("testing._domainkey", "TXT", v.record("t=y; ")),
            ("s1._domainkey.mail", "TXT", v.record()),
            ("mail", "A", "127.0.0.1"),
        ],
        "evil.example": [
            ("_dmarc", "TXT", "v=DMARC1; p=none"),
            ("s1._domainkey", "TXT", e.record()),
            ("s1._domainkey.sub", "TXT", e.record()),
        ],
        "strict.example": [
            ("_dmarc", "TXT", "v=DMARC1; p=reject; adkim=s"),
            ("s1._domainkey", "TXT", v.record()),
            ("s1._domainkey.mail", "TXT", v.record()),
        ],
        "quar.example": [("_dmarc", "TXT", "v=DMARC1; p=quarantine")],
        "pct0.example": [("_dmarc", "TXT", "v=DMARC1; p=reject; pct=0")],
        "nodmarc.example": [("s1._domainkey", "TXT", e.record())],
        "two.example": [("_dmarc", "TXT", "v=DMARC1; p=reject"),
                        ("_dmarc", "TXT", "v=DMARC1; p=none")],
        "envelope.example": [("@", "TXT", "v=spf1 -all")],
        "servfail.example": [("_dmarc", "TXT", "v=DMARC1; p=reject"),
                             ("s1._domainkey", "TXT", e.record())],
    }


def start_dns(tmp, zs):
    """Knot on 127.0.0.1:53 inside the namespace, on a free port
    outside (a run without the namespace, e.g. by hand)."""
    if os.environ.get(NETNS_ENV) == "1":
        dnsserver.free_port = lambda: 53
    dns = dnsserver.DnsServer(os.path.join(tmp, "dns"), zones=zs)
    if "servfail.example" in zs:
        # A configured zone without data: Knot answers SERVFAIL.
        os.unlink(os.path.join(dns.dir, "zones", "servfail.example.zone"))
        dns._knotc("zone-purge", "-f", "servfail.example")
        end = time.monotonic() + 10
        while dnsserver.query(dns.port, "_dmarc.servfail.example",
                              "TXT")[0] != "SERVFAIL":
            if time.monotonic() > end:
                raise RuntimeError("servfail.example still answers")
            time.sleep(0.05)
    return dns


class Facteur:
    """facteur-dkim verifying everything (no internal hosts), DMARC on
    with dmarc_reject, SPF off (the corpus is about DKIM and From)."""

    def __init__(self, milter, facteur, tmp, dns_port, extra=""):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "dkim.sock")
        db = os.path.join(tmp, "db.sqlite")
        conf = os.path.join(tmp, "facteur.conf")
        engine = os.environ.get("FACTEUR_MILTER_ENGINE")
        with open(conf, "w") as f:
            f.write("[database]\npath = %s\n[dkim]\nsocket = unix:%s\n"
                    "authserv_id = %s\ninternal_hosts = 192.0.2.255/32\n"
                    "sign_daemons = NONE\nresolver = 127.0.0.1@%d\n"
                    "dns_timeout = 2s\nspf = no\ndmarc = yes\n"
                    "dmarc_reject = yes\n%s%s"
                    % (db, self.sock, AUTHSERV, dns_port, extra,
                       "engine = %s\n" % engine if engine else ""))
        subprocess.run([facteur, "-c", conf, "--db", db, "db", "init"],
                       check=True, capture_output=True)
        self.d = harness.Daemon([milter, "-f", "-c", conf],
                                "facteur-dkim", tmp)
        if not wait_for_socket(self.d, self.sock):
            raise RuntimeError("facteur-dkim did not start:\n" +
                               self.d.log())

    def run(self, msg):
        return send(self.sock, msg)

    def close(self):
        self.d.close(10)
        return self.d.sanitizer_report()


class Client(MilterClient):
    """Offers SMFIP_HDR_LEADSPC as Postfix does; when the milter does
    not take it, values lose their leading whitespace, as Postfix sends
    them. A NUL ends a value, as in Postfix's C strings (a milter never
    sees what follows it)."""

    def negotiate(self, actions=milterclient.ALL_ACTIONS,
                  protocol=milterclient.OFFER_PROTOCOL):
        return MilterClient.negotiate(
            self, actions, protocol | milterclient.SMFIP_HDR_LEADSPC)

    def _run_message(self, res, macros, mail_from, rcpts, headers, body):
        headers = [(n.split(b"\0")[0], v.split(b"\0")[0])
                   for n, v in headers]
        if not self.protocol & milterclient.SMFIP_HDR_LEADSPC:
            headers = [(n, v.lstrip(b" \t\r\n")) for n, v in headers]
        MilterClient._run_message(self, res, macros, mail_from, rcpts,
                                  headers, body)


HEADER_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+[ \t]*:")


def split_message(msg):
    """(headers, body) of a raw message as Postfix hands them to a
    milter: headers [(name, value)] bytes, value everything after the
    first ':' with folds as LF. The first line that is not a header
    field (nor its continuation) starts the body, blank line or not."""
    if b"\r\n\r\n" in msg:
        head, body = msg.split(b"\r\n\r\n", 1)
        body = b"\r\n" + body
    else:
        head, body = msg, b""
    out, lines = [], head.split(b"\r\n")
    for i, line in enumerate(lines):
        if line[:1] in (b" ", b"\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + b"\n" + line)
        elif HEADER_NAME.match(line):
            name, value = line.split(b":", 1)
            out.append((name, value))
        else:
            return out, b"\r\n".join(lines[i:]) + b"\r\n" + body
    return out, body[2:] if body.startswith(b"\r\n") else body


def send(sock, msg, client=CLIENT, extra_headers=()):
    """Sends msg through the milter on sock; the milterclient Result."""
    headers, body = split_message(msg)
    return Client("unix:" + sock, timeout=30).message(
        macros={"connect": {"j": "mx.test"}, "mail": {"i": "AUTH1"}},
        connect=client, helo=client[0], mail_from=ENVFROM, rcpts=[RCPT],
        headers=list(extra_headers) + headers, body=body)


def ar_values(res, authserv):
    """The A-R values the milter inserted or added with authserv-id."""
    out = [v for (_, n, v) in res.inserted if n == "Authentication-Results"]
    out += [v for (n, v) in res.added if n == "Authentication-Results"]
    return [v for v in out if v.strip().lower().startswith(authserv)]


RESULT_RX = re.compile(r"\b(dkim|dmarc)=([a-z]+)")


def verdict(res, authserv=AUTHSERV):
    """(dkim results in order, dmarc result or 'absent', rejected,
    {header.b prefix: dkim result}) of one milter Result."""
    rejected = res.action == "reject"
    ars = ar_values(res, authserv)
    text = " ".join(ars)
    dk, dm, byb = [], "absent", {}
    for part in re.split(r";", text):
        m = RESULT_RX.search(part)
        if not m:
            continue
        if m.group(1) == "dkim":
            dk.append(m.group(2))
            b = re.search(r"header\.b=\"?([A-Za-z0-9+/]+)", part)
            if b:
                byb[b.group(1)[:8]] = m.group(2)
        else:
            dm = m.group(2)
    return dk, dm, rejected, byb
