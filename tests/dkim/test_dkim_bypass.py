#!/usr/bin/python3
"""tests/dkim/test_dkim_bypass.py - the bypasses of issue 10 through
facteur-dkim over the milter protocol, keys and DMARC records served by a
private Knot (tests/integration/dnsserver.py). example.org publishes
p=reject, evil.example p=none; each check failed on the code before the
fix:

1. two From fields (example.org, then evil.example signed d=evil.example)
   give dmarc=fail for example.org, and a 550 with dmarc_reject: the
   strictest author domain wins (RFC 7489 §6.6.1);
2. a From that no parser accepts but that names example.org (trailing dot,
   missing '>', quoted) is example.org's mail (dmarc=fail); a From with no
   mailbox, none at all, or an 8-bit domain is dmarc=permerror with the
   reason in the A-R; require_valid_from refuses them all (550 5.7.1) and
   still takes a plain message;
3. l= longer than the body fails the signature; l=0 with another body, and
   text appended after l=, give dkim=policy and no DMARC pass; in
   facteur-milter (dkim + spam) such a signature is no DKIM_VALID;
4. 300 forged A-Rs with our authserv-id in every spelling (case, trailing
   dot, quoted, comment before) are all deleted, from the last index down,
   and another host's A-R stays; an authenticated sender's too, whether
   its mail is signed or not (no key for its domain);
7. a key file with mode 0644 is named in the log with the reason, skipped,
   and the milter still starts and signs with the other key;
8. REFUSED on _dmarc gives dmarc=temperror (RFC 7489 §6.6.3).

usage: test_dkim_bypass.py FACTEUR-DKIM FACTEUR-MILTER FACTEUR BUILDDIR
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "milter"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from milterclient import MilterClient  # noqa: E402
from dnsserver import DnsServer, KNOTD  # noqa: E402
import harness  # noqa: E402
from dkimtest import wait_for_socket  # noqa: E402
import dkim  # noqa: E402
import dkim.canonicalization  # noqa: E402

MILTER, CHAIN, FACTEUR, BUILD = [os.path.abspath(a) for a in sys.argv[1:5]]
ENGINE = ("engine = %s\n" % os.environ["FACTEUR_MILTER_ENGINE"]
          if os.environ.get("FACTEUR_MILTER_ENGINE") else "")
INBOUND = ("mx.sender.example", "198.51.100.9", 40000)
FAILS = []
BODY = b"Hello Bob,\r\nsee you at noon.\r\n"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def keygen(fac, domain, sel, keys):
    out = subprocess.run(fac + ["dkim", "keygen", domain, "--selector", sel,
                                "--keys-dir", keys],
                         capture_output=True, check=True).stdout.decode()
    with open(os.path.join(keys, domain, sel + ".key"), "rb") as f:
        return "".join(re.findall(r'"([^"]*)"', out)), f.read()


def raw(headers, body):
    return b"".join(("%s: %s\r\n" % h).encode() for h in headers) + \
        b"\r\n" + body


def sig_field(sig):
    """dkimpy's 'DKIM-Signature: ...\\r\\n' as a milter (name, value)."""
    v = sig.decode().split(":", 1)[1].lstrip(" ").rstrip("\r\n")
    return ("DKIM-Signature", v.replace("\r\n", "\n"))


def sign(headers, body, domain, pem, sel, length=False, long_l=None):
    """dkimpy's signature; long_l makes it claim l=long_l over a shorter
    body (a signer that lies, for the RFC 6376 §3.5 check)."""
    pol = dkim.canonicalization.CanonicalizationPolicy
    orig = pol.canonicalize_body
    if long_l is not None:
        class Long(bytes):
            def __len__(self):
                return long_l
        pol.canonicalize_body = lambda self, b: Long(orig(self, b))
    try:
        return sig_field(dkim.sign(
            raw(headers, body), sel.encode(), domain.encode(), pem,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[b"from", b"to", b"subject"],
            length=length or long_l is not None))
    finally:
        pol.canonicalize_body = orig


def inbound(sock, headers, body=BODY):
    return MilterClient("unix:" + sock).message(
        macros={"mail": {"i": "QB1"}}, connect=INBOUND,
        helo="mx.sender.example", mail_from="<m@sender.example>",
        rcpts=["<bob@example.net>"], headers=headers, body=body)


def ar_of(r):
    ars = [v for (_, n, v) in r.inserted if n == "Authentication-Results"]
    return " ".join(ars[0].split()) if len(ars) == 1 else repr(ars)


TO_SUBJ = [("To", "bob@example.net"), ("Subject", "lunch")]


def two_from(sock, strict, k):
    hdrs = [("From", "alice@example.org"), ("From", "m@evil.example")] + \
        TO_SUBJ
    hdrs = [sign(hdrs, BODY, "evil.example", k["evil"], "e1")] + hdrs
    a = ar_of(inbound(sock, hdrs))
    print("     A-R: " + a)
    check("dkim=pass" in a and "dmarc=fail" in a and
          "header.from=example.org" in a and "dmarc=pass" not in a,
          "1. two From fields, signed by the second: dmarc=fail for "
          "example.org")
    r = inbound(strict, hdrs)
    check(r.action == "reject" and r.reply and r.reply[0] == "550",
          "1. ... and refused (dmarc_reject or require_valid_from): %r" % (
              r.reply,))
    hdrs = [("From", "alice@example.org, m@evil.example")] + TO_SUBJ
    hdrs = [sign(hdrs, BODY, "evil.example", k["evil"], "e1")] + hdrs
    a = ar_of(inbound(sock, hdrs))
    check("dmarc=fail" in a and "header.from=example.org" in a,
          "1. one From, two mailboxes: dmarc=fail for example.org: " + a)


BAD_FROM = [
    ("alice@example.org.", "dmarc=fail", "header.from=example.org"),
    ("Alice <alice@example.org", "dmarc=fail", "header.from=example.org"),
    ('"alice@example.org"', "dmarc=fail", "header.from=example.org"),
    ("undisclosed:;", "dmarc=permerror",
     'reason="From has no mailbox"'),
    (None, "dmarc=permerror", 'reason="no From field"'),
    ("alice@ex\u00e4mple.org", "dmarc=permerror",
     'reason="From cannot be parsed"'),
]


def bad_from(sock, strict):
    for frm, want, want2 in BAD_FROM:
        hdrs = ([("From", frm)] if frm is not None else []) + TO_SUBJ
        a = ar_of(inbound(sock, hdrs))
        print("     A-R: " + a)
        check(want in a and want2 in a, "2. From %r: %s %s" % (
            frm, want, want2))
        r = inbound(strict, hdrs)
        check(r.action == "reject" and r.reply and
              r.reply[:2] == ("550", "5.7.1") and "From" in r.reply[2],
              "2. require_valid_from refuses From %r: %r" % (frm, r.reply))
    r = inbound(strict, [("From", "Mallory <m@evil.example>")] + TO_SUBJ)
    check(r.action == "continue", "2. require_valid_from takes one valid "
          "From: %r %r" % (r.action, r.reply))
    r = MilterClient("unix:" + strict).message(
        connect=("localhost", None), helo=None, mail_from="<root>",
        rcpts=["<bob@example.net>"], headers=TO_SUBJ, body=BODY)
    check(r.action == "continue", "2. ... but not mail submitted on this "
          "host (client 'local'): %r %r" % (r.action, r.reply))


def body_length(sock, k):
    hdrs = [("From", "alice@example.org")] + TO_SUBJ
    body = b"27 bytes of body, no more.\r\n"[:27]
    s = sign(hdrs, body, "example.org", k["org"], "m1", long_l=10000)
    a = ar_of(inbound(sock, [s] + hdrs, body))
    print("     A-R: " + a)
    check("l=10000" in s[1] and "dkim=fail" in a and "dmarc=fail" in a,
          "3. l=10000 over a 27-byte body fails")
    s = sign(hdrs, b"", "example.org", k["org"], "m1", length=True)
    a = ar_of(inbound(sock, [s] + hdrs, b"Pay IBAN XX00 now.\r\n"))
    print("     A-R: " + a)
    check("l=0" in s[1] and "dkim=policy" in a and "reason=" in a and
          "dmarc=fail" in a, "3. l=0 with the body replaced: policy")
    s = sign(hdrs, BODY, "example.org", k["org"], "m1", length=True)
    a = ar_of(inbound(sock, [s] + hdrs, BODY + b"Also: wire money.\r\n"))
    print("     A-R: " + a)
    check("dkim=policy" in a and "dmarc=fail" in a,
          "3. l=N with text appended: policy, no DMARC pass")
    a = ar_of(inbound(sock, [s] + hdrs, BODY))
    check("dkim=pass" in a and "dmarc=pass" in a,
          "3. control: l=N over exactly the body passes: " + a)
    return s, hdrs


def forged_ar(sock):
    spellings = ["mx.test", "MX.Test", "mx.test.", '"mx.test"',
                 "(forged) mx.test", '"MX.TEST."']
    hdrs, ours, n = [("From", "m@evil.example")] + TO_SUBJ, [], 0
    for i in range(300):
        n += 1
        hdrs.append(("Authentication-Results", "%s; dkim=pass" %
                     spellings[i % len(spellings)]))
        ours.append(n)
        if i % 100 == 0:
            n += 1
            hdrs.append(("Authentication-Results",
                         "other.example; spf=pass"))
    r = inbound(sock, hdrs)
    dels = [i for (i, nm, v) in r.changed
            if nm.lower() == "authentication-results" and v == ""]
    check(r.action == "continue" and sorted(dels) == ours,
          "4. all 300 forged A-Rs deleted, other.example's 3 kept: %s, "
          "%d deleted, first missing %r" % (r.action, len(dels),
                                            sorted(set(ours) - set(dels))[:3]))
    check(dels == sorted(dels, reverse=True),
          "4. deleted from the last index down")


def forged_ar_outbound(sock):
    """4: an authenticated sender's forged A-R goes too, signed or not."""
    for frm, signed in (("alice@example.org", True),
                        ("bob@nokey.example", False)):
        hdrs = [("From", frm), ("Authentication-Results",
                                 "mx.test.; dkim=pass header.d=bank.example"),
                ("Authentication-Results", "other.example; spf=pass")] + \
            TO_SUBJ
        r = MilterClient("unix:" + sock).message(
            macros={"mail": {"{auth_authen}": "alice", "i": "Q4"}},
            connect=("c.example", "10.9.9.7", 4567), helo="c.example",
            mail_from="<%s>" % frm, rcpts=["<b@example.net>"],
            headers=hdrs, body=BODY)
        dels = [i for (i, nm, v) in r.changed if v == ""]
        sigs = [v for (_, n, v) in r.inserted if n == "DKIM-Signature"]
        check(dels == [1] and bool(sigs) == signed, "4. authenticated, "
              "From %s: forged A-R deleted (%r), signed %s" % (
                  frm, dels, bool(sigs)))


def refused(sock):
    a = ar_of(inbound(sock, [("From", "a@refused.example")] + TO_SUBJ))
    print("     A-R: " + a)
    check("dmarc=temperror" in a, "8. REFUSED on _dmarc: dmarc=temperror")


def conf(path, sock, db, port, extra=""):
    with open(path, "w") as f:
        f.write("[database]\npath = %s\n[admin]\ndkim_user = root\n"
                "[dkim]\nsocket = unix:%s\nauthserv_id = mx.test\n"
                "internal_hosts = 10.9.9.0/24\nresolver = 127.0.0.1@%d\n"
                "dns_timeout = 2s\nspf = no\ndmarc = yes\n%s" % (
                    db, sock, port, extra) + ENGINE)


def start(argv, tmp, sock, name="facteur-dkim"):
    d = harness.Daemon(argv, name, tmp)
    if not wait_for_socket(d, sock, 30):
        check(False, "%s listens" % name)
    return d


def stop(d, name):
    d.close(10)
    rep = d.sanitizer_report()
    check(not rep, "%s: no sanitizer report" % name)
    if rep or FAILS:
        print(d.log()[-4000:])


def bad_key_mode(tmp, fac, db, port):
    """7: one key 0644, one good: the milter starts and signs."""
    bad = os.path.join(tmp, "keys", "evil.example", "e1.key")
    os.chmod(bad, 0o644)
    sock = os.path.join(tmp, "k.sock")
    c = os.path.join(tmp, "k.conf")
    conf(c, sock, db, port)
    d = harness.Daemon([MILTER, "-f", "-c", c], "facteur-dkim-keys", tmp)
    try:
        up = wait_for_socket(d, sock, 30)
        check(up, "7. a 0644 key file does not stop facteur-dkim")
        if up:
            r = MilterClient("unix:" + sock).message(
                macros={"mail": {"{auth_authen}": "alice", "i": "Q7"}},
                connect=("c.example", "10.9.9.7", 4567), helo="c.example",
                mail_from="<alice@example.org>", rcpts=["<b@example.net>"],
                headers=[("From", "alice@example.org")] + TO_SUBJ,
                body=BODY)
            check(any(n == "DKIM-Signature" for (_, n, v) in r.inserted),
                  "7. ... and still signs with the other key")
    finally:
        d.close(10)
        log = d.log()
    check(bad in log and "group or other" in log and "skipped" in log,
          "7. the log names the file and the reason: %r" % [
              ln for ln in log.splitlines() if "key" in ln][:3])
    os.chmod(bad, 0o600)


CHAIN_RULES = "header T_DKIM_VALID eval:check_dkim_valid()\n" \
    "score T_DKIM_VALID 0.1\nbody T_BODY /noon/\nscore T_BODY 0.1\n"


def chain_policy(tmp, db, port, sig, hdrs):
    """3: in facteur-milter, spam reads dkim's verdicts: no DKIM_VALID."""
    sock = os.path.join(tmp, "chain.sock")
    c = os.path.join(tmp, "chain.conf")
    with open(os.path.join(tmp, "rules.cf"), "w") as f:
        f.write(CHAIN_RULES)
    with open(c, "w") as f:
        f.write("[database]\npath = %s\n[admin]\ndkim_user = root\n"
                "[milter]\nsocket = unix:%s\nmodules = dkim, spam\n%s"
                "[dkim]\nauthserv_id = mx.test\n"
                "internal_hosts = 10.9.9.0/24\nresolver = 127.0.0.1@%d\n"
                "dns_timeout = 2s\nspf = no\ndmarc = yes\n"
                "[spam]\nrules_path = %s/rules.cf\nbayes_path =\n"
                "cache_dir = %s/cache\nnetwork_tests = yes\n"
                "dns_server = 127.0.0.1@9\ndns_timeout = 1s\n" % (
                    db, sock, ENGINE, port, tmp, tmp))
    d = harness.Daemon([CHAIN, "-f", "-c", c], "facteur-milter", tmp,
                       timeout=60, ready=lambda: harness.unix_socket_open(
                           sock))
    try:
        res = {}
        for what, body in (("exact", BODY),
                           ("appended", BODY + b"Also: wire money.\r\n")):
            r = inbound(sock, [sig] + hdrs, body)
            st = dict((n, v) for (n, v) in r.added).get("X-Spam-Status", "")
            res[what] = ("T_DKIM_VALID" in st, "T_BODY" in st)
        check(res["exact"] == (True, True) and
              res["appended"] == (False, True),
              "3. facteur-milter: DKIM_VALID for l= over the body, not "
              "with text appended: %r" % res)
    finally:
        stop(d, "facteur-milter")


def main():
    if not os.access(KNOTD, os.X_OK):
        print("SKIP: missing peer: knotd (%s, Debian's knot): the keys "
              "and DMARC records need a DNS server" % KNOTD)
        sys.exit(77)
    tmp = tempfile.mkdtemp(dir=BUILD, prefix="dkim-bypass-")
    db = os.path.join(tmp, "db.sqlite")
    fac = [FACTEUR, "-c", os.path.join(tmp, "admin.conf"), "--db", db]
    with open(os.path.join(tmp, "admin.conf"), "w") as f:
        f.write("[admin]\ndkim_user = root\n")
    subprocess.run(fac + ["db", "init"], check=True, capture_output=True)
    keys = os.path.join(tmp, "keys")
    org_rec, org_pem = keygen(fac, "example.org", "m1", keys)
    evil_rec, evil_pem = keygen(fac, "evil.example", "e1", keys)
    k = {"org": org_pem, "evil": evil_pem}
    zones = {
        "example.org": [("m1._domainkey", "TXT", org_rec),
                        ("_dmarc", "TXT", "v=DMARC1; p=reject")],
        "evil.example": [("e1._domainkey", "TXT", evil_rec),
                         ("_dmarc", "TXT", "v=DMARC1; p=none")],
    }
    with DnsServer(os.path.join(tmp, "dns"), zones=zones) as dns:
        sock, strict = os.path.join(tmp, "a.sock"), os.path.join(tmp,
                                                                 "b.sock")
        conf(os.path.join(tmp, "a.conf"), sock, db, dns.port)
        conf(os.path.join(tmp, "b.conf"), strict, db, dns.port,
             "dmarc_reject = yes\nrequire_valid_from = yes\n")
        a = start([MILTER, "-f", "-c", os.path.join(tmp, "a.conf")], tmp,
                  sock)
        b = start([MILTER, "-f", "-c", os.path.join(tmp, "b.conf")], tmp,
                  strict, "facteur-dkim-strict")
        sig = None
        try:
            two_from(sock, strict, k)
            bad_from(sock, strict)
            sig, hdrs = body_length(sock, k)
            forged_ar(sock)
            forged_ar_outbound(sock)
            refused(sock)
        finally:
            stop(a, "facteur-dkim")
            stop(b, "facteur-dkim-strict")
        if sig is not None:
            chain_policy(tmp, db, dns.port, sig, hdrs)
        bad_key_mode(tmp, fac, db, dns.port)
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        sys.exit(1)


main()
