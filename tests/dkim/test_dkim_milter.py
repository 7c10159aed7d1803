#!/usr/bin/python3
"""tests/dkim/test_dkim_milter.py - facteur-dkim over the milter protocol
(milterclient.py): an authenticated client's message leaves signed and the
signature verifies with dkimpy; an inbound message gets our
Authentication-Results with dkim=pass, and a forged A-R carrying our
authserv-id is deleted. DNS: [dkim] resolver points at a closed port, and
SPF/DMARC are off (their own tests are in tests/dns).
usage: test_dkim_milter.py FACTEUR-DKIM FACTEUR BUILDDIR
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
import dkim  # noqa: E402
import harness  # noqa: E402
from dkimtest import wait_for_socket  # noqa: E402

MILTER, FACTEUR = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
BUILD = os.path.abspath(sys.argv[3])
FAILS = []


# FACTEUR_MILTER_ENGINE=native|libmilter picks the milter protocol engine.
ENGINE = ("engine = %s\n" % os.environ["FACTEUR_MILTER_ENGINE"]
          if os.environ.get("FACTEUR_MILTER_ENGINE") else "")


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def main():
    tmp = tempfile.mkdtemp(dir=BUILD, prefix="dkim-milter-")
    # tests/postgres runs this file again on PostgreSQL (key rows there).
    db = os.environ.get("FACTEUR_TEST_DB_URL") or os.path.join(
        tmp, "db.sqlite")
    conf = os.path.join(tmp, "facteur.conf")
    sock = os.path.join(tmp, "dkim.sock")
    with open(conf, "w") as f:
        f.write("[database]\npath = %s\n[admin]\ndkim_user = root\n"
                "[dkim]\nsocket = unix:%s\nauthserv_id = mx.test\n"
                "internal_hosts = 10.9.9.0/24\nresolver = 127.0.0.1@9\n"
                "dns_timeout = 500ms\nspf = no\ndmarc = no\n" % (db, sock) +
                ENGINE)
    fac = [FACTEUR, "-c", conf, "--db", db]
    subprocess.run(fac + ["db", "init"], check=True, capture_output=True)
    out = subprocess.run(fac + ["dkim", "keygen", "example.org",
                                "--selector", "m1", "--keys-dir",
                                os.path.join(tmp, "keys")],
                         capture_output=True, check=True).stdout.decode()
    rec = "".join(re.findall(r'"([^"]*)"', out))
    milter = harness.Daemon([MILTER, "-f", "-c", conf], "facteur-dkim", tmp)
    try:
        check(wait_for_socket(milter, sock), "facteur-dkim listens")
        headers = [("From", "Alice <alice@example.org>"),
                   ("To", "bob@example.net"), ("Subject", "milter test")]
        body = b"Hello  there\r\n\r\n"
        r = MilterClient("unix:" + sock).message(
            macros={"mail": {"{auth_authen}": "alice", "i": "Q1"}},
            connect=("client.example", "192.0.2.7", 4567),
            helo="client.example", mail_from="<alice@example.org>",
            rcpts=["<bob@example.net>"], headers=headers, body=body)
        sigs = [v for (_, n, v) in r.inserted if n == "DKIM-Signature"]
        check(len(sigs) == 1, "authenticated mail gets one DKIM-Signature")
        if sigs:
            msg = ("DKIM-Signature: " + sigs[0].replace("\n", "\r\n") +
                   "\r\n").encode()
            for n, v in headers:
                msg += ("%s: %s\r\n" % (n, v)).encode()
            msg += b"\r\n" + body
            ok = dkim.verify(msg, dnsfunc=lambda name, timeout=5:
                             rec.encode())
            check(ok, "dkimpy verifies the milter's signature")
            # Inbound: same signed message from outside, with a forged A-R.
            hin = [("Authentication-Results", "mx.test; dkim=pass"),
                   ("DKIM-Signature", sigs[0])] + headers + \
                [("Authentication-Results", "other.example; spf=pass"),
                 ("Authentication-Results", "MX.TEST; dkim=pass")]
            r2 = MilterClient("unix:" + sock).message(
                connect=("ext.example", "198.51.100.9", 4567),
                helo="ext.example", mail_from="<alice@example.org>",
                rcpts=["<bob@example.net>"], headers=hin, body=body)
            ars = [v for (_, n, v) in r2.inserted
                   if n == "Authentication-Results"]
            check(len(ars) == 1 and ars[0].startswith("mx.test;"),
                  "inbound gets our A-R: %r" % ars)
            # Our key is not in DNS: the lookup to port 9 fails.
            check(ars and ("dkim=temperror" in ars[0] or
                           "dkim=permerror" in ars[0]) and
                  "header.d=example.org" in ars[0] and
                  "header.s=m1" in ars[0], "A-R names d= and s=: %r" % ars)
            deleted = sorted(i for (i, n, v) in r2.changed
                             if n == "Authentication-Results" and v == "")
            check(deleted == [1, 3], "forged A-Rs 3 and 1 deleted, "
                  "other.example's kept: %r" % r2.changed)
    finally:
        milter.close(10)
        err = milter.log()
        check(not milter.sanitizer_report(), "no sanitizer report")
    if FAILS:
        print(err)
        sys.exit(1)


main()
