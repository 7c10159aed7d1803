#!/usr/bin/python3
"""tests/dkim/test_dkim_opendkim.py - facteur dkim against OpenDKIM, the
reference facteur-dkim replaces, both ways and offline.

1. facteur signs (RSA, and Ed25519 alone; every canonicalization, with and
   without l=) and 'opendkim -t' verifies, its key records served by
   TestDNSData (a file data set: "NAME TXT" per line), so no DNS at all.
   A tampered body must be reported as failed (the check can fail).
2. OpenDKIM runs as a milter on a unix socket in a temp dir (KeyTable and
   SigningTable with facteur's own RSA key, one instance per
   Canonicalization), signs a message sent by tests/milter/milterclient.py
   from an internal client, and 'facteur dkim verify --key-file' must say
   pass; the same message with a changed Subject must not.

Usage: test_dkim_opendkim.py FACTEUR BUILDDIR
Exits 77 (skipped) when opendkim is not installed.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

FACTEUR, BUILD = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "milter"))
from milterclient import MilterClient  # noqa: E402

OPENDKIM = shutil.which("opendkim") or "/usr/sbin/opendkim"
HEADERS = [("From", "Alice <alice@example.org>"), ("To", "bob@example.net"),
           ("Subject", "interop   with\r\n\tOpenDKIM"),
           ("Date", "Mon, 1 Jan 2024 00:00:00 +0000"),
           ("Message-ID", "<odk-1@example.org>")]
BODY = b"Hello  world \r\n\r\nsecond\tline\r\n\r\n\r\n"
MSG = b"".join(("%s: %s\r\n" % h).encode() for h in HEADERS) + b"\r\n" + BODY
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def run(tmp, *args):
    return subprocess.run([FACTEUR, "-c", os.path.join(tmp, "facteur.conf"),
                           "--db", os.path.join(tmp, "db.sqlite")] +
                          list(args), capture_output=True, timeout=60)


def records(tmp):
    """{NAME: txt}: 'facteur dkim dns' with the strings joined."""
    out = run(tmp, "dkim", "dns", "example.org").stdout.decode()
    return {line.split()[0].rstrip("."):
            "".join(re.findall(r'"([^"]*)"', line))
            for line in out.splitlines() if "_domainkey" in line}


def opendkim_verify(tmp, conf, msg):
    """OpenDKIM's verdict line for msg (opendkim -t exits 0 either way)."""
    p = os.path.join(tmp, "to-verify.eml")
    with open(p, "wb") as f:
        f.write(msg)
    r = subprocess.run([OPENDKIM, "-x", conf, "-t", p], capture_output=True,
                       timeout=60)
    return (r.stdout + r.stderr).decode(errors="replace").strip()


def facteur_signs(tmp, conf, src):
    """Part 1: facteur signs, OpenDKIM verifies."""
    for canon in ("relaxed/relaxed", "simple/simple", "relaxed/simple",
                  "simple/relaxed"):
        for bl in ([], ["--body-length"]):
            r = run(tmp, "dkim", "sign", "--canon", canon, *bl, src)
            check(r.returncode == 0, "facteur signs %s %s" % (canon, bl))
            out = opendkim_verify(tmp, conf, r.stdout)
            check("verification (s=r1, d=example.org, 2048-bit key) "
                  "succeeded" in out, "OpenDKIM verifies facteur rsa %s%s: "
                  "%s" % (canon, " l=" if bl else "", out))
            if bl:
                check(b" l=" in r.stdout, "--body-length writes l=")
    tampered = run(tmp, "dkim", "sign", src).stdout.replace(b"second",
                                                            b"Second")
    out = opendkim_verify(tmp, conf, tampered)
    check("failed" in out and "succeeded" not in out,
          "OpenDKIM fails a tampered body: %s" % out)
    # Ed25519 alone (OpenDKIM reports the first signature only).
    run(tmp, "dkim", "disable", "example.org", "r1")
    for canon in ("relaxed/relaxed", "simple/simple"):
        r = run(tmp, "dkim", "sign", "--canon", canon, src)
        out = opendkim_verify(tmp, conf, r.stdout)
        check(b"a=ed25519-sha256" in r.stdout and
              "verification (s=e1, d=example.org" in out and
              "succeeded" in out,
              "OpenDKIM verifies facteur ed25519 %s: %s" % (canon, out))
    run(tmp, "dkim", "enable", "example.org", "r1")


def start_opendkim(tmp, canon, key):
    d = tempfile.mkdtemp(dir=tmp, prefix="odk-")
    sock = os.path.join(d, "odk.sock")
    with open(os.path.join(d, "keytable"), "w") as f:
        f.write("r1key example.org:r1:%s\n" % key)
    with open(os.path.join(d, "signingtable"), "w") as f:
        f.write("example.org r1key\n")
    conf = os.path.join(d, "opendkim.conf")
    with open(conf, "w") as f:
        f.write("Syslog no\nBackground no\nMode sv\n"
                "Socket local:%s\nPidFile %s/pid\n"
                "Canonicalization %s\nKeyTable file:%s/keytable\n"
                "SigningTable file:%s/signingtable\n"
                "InternalHosts 127.0.0.1\nOversignHeaders From\n"
                "SignatureAlgorithm rsa-sha256\n"
                # The key sits in the test's temp dir, which may be under
                # /tmp (CI clones anywhere): OpenDKIM refuses a key file
                # with a world-writable ancestor unless told otherwise.
                "RequireSafeKeys false\n" % (sock, d, canon, d, d))
    log = open(os.path.join(d, "opendkim.log"), "wb")
    p = subprocess.Popen([OPENDKIM, "-f", "-x", conf], stdout=log,
                         stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while not os.path.exists(sock) and time.monotonic() < deadline:
        if p.poll() is not None:
            break
        time.sleep(0.05)
    return p, sock, d


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def opendkim_signs(tmp, key, rec):
    """Part 2: OpenDKIM signs as a milter, facteur verifies."""
    kf = os.path.join(tmp, "r1.txt")
    with open(kf, "w") as f:
        f.write(rec)
    for canon in ("relaxed/simple", "simple/simple", "relaxed/relaxed",
                  "simple/relaxed"):
        p, sock, d = start_opendkim(tmp, canon, key)
        try:
            check(os.path.exists(sock), "opendkim (%s) listens on %s"
                  % (canon, sock))
            if not os.path.exists(sock):
                print(open(os.path.join(d, "opendkim.log")).read())
                continue
            res = MilterClient("unix:" + sock).message(
                macros={"connect": {"j": "mx.example.org"},
                        "mail": {"i": "ODK%d" % len(canon)}},
                connect=("localhost", "127.0.0.1", 4567),
                helo="localhost", mail_from="<alice@example.org>",
                rcpts=["<bob@example.net>"], headers=HEADERS, body=BODY)
        finally:
            stop(p)
        sigs = [(n, v) for _, n, v in res.inserted + [
            (0, n, v) for n, v in res.added] if n == "DKIM-Signature"]
        check(len(sigs) == 1, "opendkim (%s) adds one DKIM-Signature: "
              "got %r" % (canon, res.inserted + res.added))
        if not sigs:
            continue
        v = sigs[0][1]
        # Without SMFIP_HDR_LEADSPC the MTA writes "Name: value".
        field = ("DKIM-Signature:" + ("" if v[:1] in (" ", "\t") else " ")
                 + v.replace("\r\n", "\n").replace("\n", "\r\n"))
        signed = field.encode() + b"\r\n" + MSG
        check(("c=" + canon) in v, "opendkim signs with c=%s: got %s"
              % (canon, v.split(";")[2] if v.count(";") > 2 else v))
        p = os.path.join(tmp, "odk-signed.eml")
        with open(p, "wb") as f:
            f.write(signed)
        r = run(tmp, "dkim", "verify", "--key-file",
                "r1._domainkey.example.org=" + kf, p)
        out = r.stdout.decode().strip()
        check(r.returncode == 0 and out.endswith("pass"),
              "facteur verifies OpenDKIM %s: %s" % (canon, out))
        with open(p, "wb") as f:
            f.write(signed.replace(b"Subject: interop", b"Subject: Interop"))
        r = run(tmp, "dkim", "verify", "--key-file",
                "r1._domainkey.example.org=" + kf, p)
        out = r.stdout.decode().strip()
        check(r.returncode == 1 and "fail" in out,
              "facteur fails OpenDKIM %s with a changed Subject: %s"
              % (canon, out))


def main():
    if not os.access(OPENDKIM, os.X_OK):
        print("SKIP: missing peer: opendkim (scripts/install-deps)")
        sys.exit(77)
    tmp = tempfile.mkdtemp(dir=os.path.abspath(BUILD), prefix="dkim-odk-")
    with open(os.path.join(tmp, "facteur.conf"), "w") as f:
        f.write("[admin]\ndkim_user = root\n")
    check(run(tmp, "db", "init").returncode == 0, "db init")
    keys = os.path.join(tmp, "keys")
    for sel, alg in (("r1", "rsa"), ("e1", "ed25519")):
        r = run(tmp, "dkim", "keygen", "example.org", "--selector", sel,
                "--algorithm", alg, "--keys-dir", keys)
        check(r.returncode == 0, "keygen %s: %s" % (alg, r.stderr.decode()))
    recs = records(tmp)
    check(len(recs) == 2, "two key records: got %r" % list(recs))
    dns = os.path.join(tmp, "dns.txt")
    with open(dns, "w") as f:
        for name, txt in recs.items():
            f.write("%s %s\n" % (name, txt))
    conf = os.path.join(tmp, "verify.conf")
    with open(conf, "w") as f:
        f.write("Syslog no\nMode v\nTestDNSData file:%s\n" % dns)
    src = os.path.join(tmp, "m.eml")
    with open(src, "wb") as f:
        f.write(MSG)
    facteur_signs(tmp, conf, src)
    opendkim_signs(tmp, os.path.join(keys, "example.org", "r1.key"),
                   recs.get("r1._domainkey.example.org", ""))
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)


main()
