#!/usr/bin/python3
"""tests/dkim/test_dkim_leadspc.py - facteur-dkim and SMFIP_HDR_LEADSPC.

Without HDR_LEADSPC the MTA strips the whitespace after "Name:", so a
milter can not tell "Subject:NoSpace" from "Subject: NoSpace", and a
simple/simple signature over the former can not verify. lib/milter now
asks for HDR_LEADSPC when the MTA offers it:

- a message whose header is "Subject:NoSpace", signed simple/simple by
  dkimpy, verifies (dkim=pass) through the milter when the client offers
  HDR_LEADSPC; offered without it, the same message fails (the check is
  real);
- with HDR_LEADSPC, headers the milter adds carry their leading space
  ("Name: value" as without it), and its own signature verifies with
  dkimpy over the exact header.

The key is served by a private Knot (tests/integration/dnsserver.py).
usage: test_dkim_leadspc.py FACTEUR-DKIM FACTEUR BUILDDIR
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "milter"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import milterclient  # noqa: E402
from milterclient import MilterClient  # noqa: E402
from dnsserver import DnsServer  # noqa: E402
import harness  # noqa: E402
from dkimtest import wait_for_socket  # noqa: E402
import dkim  # noqa: E402

MILTER, FACTEUR = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
BUILD = os.path.abspath(sys.argv[3])
LEADSPC = milterclient.SMFIP_HDR_LEADSPC
FAILS = []


# FACTEUR_MILTER_ENGINE=native|libmilter picks the milter protocol engine.
ENGINE = ("engine = %s\n" % os.environ["FACTEUR_MILTER_ENGINE"]
          if os.environ.get("FACTEUR_MILTER_ENGINE") else "")


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def client(sock, leadspc):
    c = MilterClient("unix:" + sock)
    proto = milterclient.OFFER_PROTOCOL | (LEADSPC if leadspc else 0)
    c.negotiate = lambda: MilterClient.negotiate(c, protocol=proto)
    return c


def split_headers(msg):
    """[(name, exact value after ':')] with folds as LF (milter style)."""
    head = msg.split(b"\r\n\r\n", 1)[0].decode()
    fields = re.split(r"\r\n(?![ \t])", head)
    return [(f.split(":", 1)[0], f.split(":", 1)[1].replace("\r\n", "\n"))
            for f in fields]


def inbound(sock, leadspc, signed, body):
    hdrs = split_headers(signed)
    if not leadspc:  # what the MTA sends without HDR_LEADSPC
        hdrs = [(n, v.lstrip(" \t\r\n")) for n, v in hdrs]
    c = client(sock, leadspc)
    r = c.message(connect=("ext.example", "198.51.100.9", 4567),
                  helo="ext.example", mail_from="<alice@example.org>",
                  rcpts=["<bob@example.net>"], headers=hdrs, body=body)
    return c, r, [v for (_, n, v) in r.inserted
                  if n == "Authentication-Results"]


def run_checks(sock, pem, rec):
    body = b"Hello\r\n"
    msg = (b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n"
           b"Subject:NoSpace\r\n\r\n" + body)
    sig = dkim.sign(msg, b"m1", b"example.org", pem,
                    canonicalize=(b"simple", b"simple"),
                    include_headers=[b"from", b"to", b"subject"])
    signed = sig + msg
    check(dkim.verify(signed, dnsfunc=lambda n, timeout=5: rec.encode()),
          "dkimpy verifies its own simple/simple signature")
    c, r, ars = inbound(sock, True, signed, body)
    check(c.protocol & LEADSPC, "the milter asks for HDR_LEADSPC when "
          "offered: got protocol %#x" % c.protocol)
    check(len(ars) == 1 and "dkim=pass" in ars[0],
          "Subject:NoSpace simple/simple passes with HDR_LEADSPC: %r" % ars)
    check(ars and ars[0].startswith(" mx.test;"), "the A-R value carries "
          "its leading space under HDR_LEADSPC: %r" % ars[:1])
    c, r, ars = inbound(sock, False, signed, body)
    check(not c.protocol & LEADSPC, "no HDR_LEADSPC when not offered")
    check(len(ars) == 1 and "dkim=fail" in ars[0] and
          not ars[0].startswith(" "), "without HDR_LEADSPC the stripped "
          "Subject:NoSpace fails simple/simple: %r" % ars)
    # Signing under HDR_LEADSPC: exact headers in, " value" out.
    hdrs = [("From", " Alice <alice@example.org>"),
            ("To", "\tbob@example.net"), ("Subject", "NoSpace")]
    c = client(sock, True)
    r = c.message(macros={"mail": {"{auth_authen}": "alice", "i": "Q2"}},
                  connect=("client.example", "192.0.2.7", 4567),
                  helo="client.example", mail_from="<alice@example.org>",
                  rcpts=["<bob@example.net>"], headers=hdrs, body=body)
    sigs = [v for (_, n, v) in r.inserted if n == "DKIM-Signature"]
    check(len(sigs) == 1 and sigs[0].startswith(" v=1;"),
          "the signature is inserted as ' v=1; ...': %r" % sigs[:1])
    if sigs:
        out = ("DKIM-Signature:" + sigs[0].replace("\n", "\r\n") +
               "\r\n" + "".join("%s:%s\r\n" % h for h in hdrs)).encode()
        out += b"\r\n" + body
        check(dkim.verify(out, dnsfunc=lambda n, timeout=5: rec.encode()),
              "dkimpy verifies the milter's signature over the exact "
              "headers")


def main():
    tmp = tempfile.mkdtemp(dir=BUILD, prefix="dkim-leadspc-")
    db = os.path.join(tmp, "db.sqlite")
    conf = os.path.join(tmp, "facteur.conf")
    sock = os.path.join(tmp, "dkim.sock")
    fac = [FACTEUR, "-c", conf, "--db", db]
    with open(conf, "w") as f:
        f.write("[admin]\ndkim_user = root\n")
    subprocess.run(fac + ["db", "init"], check=True, capture_output=True)
    keys = os.path.join(tmp, "keys")
    out = subprocess.run(fac + ["dkim", "keygen", "example.org",
                                "--selector", "m1", "--keys-dir", keys],
                         capture_output=True, check=True).stdout.decode()
    rec = "".join(re.findall(r'"([^"]*)"', out))
    with open(os.path.join(keys, "example.org", "m1.key"), "rb") as f:
        pem = f.read()
    err = ""
    with DnsServer(os.path.join(tmp, "dns"), zones={"example.org": [
            ("m1._domainkey", "TXT", rec)]}) as dns:
        with open(conf, "w") as f:
            f.write("[database]\npath = %s\n[admin]\ndkim_user = root\n"
                    "[dkim]\nsocket = unix:%s\nauthserv_id = mx.test\n"
                    "internal_hosts = 10.9.9.0/24\nresolver = 127.0.0.1@%d"
                    "\ndns_timeout = 2s\nspf = no\ndmarc = no\n"
                    % (db, sock, dns.port) + ENGINE)
        milter = harness.Daemon([MILTER, "-f", "-c", conf], "facteur-dkim",
                                tmp)
        try:
            listening = wait_for_socket(milter, sock)
            check(listening, "facteur-dkim listens")
            if listening:
                run_checks(sock, pem, rec)
        finally:
            milter.close(10)
            err = milter.log()
    check(not milter.sanitizer_report(), "no sanitizer report")
    if FAILS:
        print(err)
        sys.exit(1)


main()
