#!/usr/bin/python3
"""tests/dkim/test_dkim_interop.py - facteur dkim against dkimpy (python3-dkim).

facteur-signed messages (RSA and Ed25519, relaxed and simple, with and
without l=) must verify with dkimpy; dkimpy-signed messages must verify as
pass with 'facteur dkim verify'; an altered body, an altered signed header,
a wrong key, a revoked key and an expired x= must each give the right
failure. Keys are served without DNS (dkimpy's dnsfunc, facteur's
--key-file). Usage: test_dkim_interop.py FACTEUR BUILDDIR
"""
import os
import re
import subprocess
import sys
import tempfile
import time

import dkim

FACTEUR, BUILD = sys.argv[1], sys.argv[2]
MSG = (b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n"
       b"Subject:   interop  test\r\n\tfolded\r\n"
       b"Received: from x by y\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
       b"\r\nHello  world \r\n\r\nsecond line\r\n\r\n\r\n")
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def run(tmp, *args, stdin=None):
    conf = os.path.join(tmp, "facteur.conf")
    return subprocess.run([FACTEUR, "-c", conf, "--db",
                           os.path.join(tmp, "db.sqlite")] + list(args),
                          capture_output=True, timeout=60, input=stdin)


def records(tmp):
    """{name: txt} from 'facteur dkim dns' (character-strings joined)."""
    out = run(tmp, "dkim", "dns", "example.org").stdout.decode()
    recs = {}
    for line in out.splitlines():
        name = line.split()[0]
        recs[name] = "".join(re.findall(r'"([^"]*)"', line))
    return recs


def verify_facteur(tmp, path, name, txt):
    kf = os.path.join(tmp, "key.txt")
    with open(kf, "w") as f:
        f.write(txt)
    r = run(tmp, "dkim", "verify", "--key-file", name.rstrip(".") + "=" + kf,
            path)
    return r.returncode, r.stdout.decode()


def main():
    tmp = tempfile.mkdtemp(dir=os.path.abspath(BUILD), prefix="dkim-interop-")
    with open(os.path.join(tmp, "facteur.conf"), "w") as f:
        f.write("[admin]\ndkim_user = root\n")
    assert run(tmp, "db", "init").returncode == 0
    keys = os.path.join(tmp, "keys")
    for sel, alg in (("r1", "rsa"), ("e1", "ed25519")):
        r = run(tmp, "dkim", "keygen", "example.org", "--selector", sel,
                "--algorithm", alg, "--keys-dir", keys)
        check(r.returncode == 0 and b"_domainkey" in r.stdout,
              "keygen %s: %s" % (alg, r.stderr.decode().strip()))
        st = os.stat(os.path.join(keys, "example.org", sel + ".key"))
        check(st.st_mode & 0o777 == 0o600, "key file %s is 0600" % sel)
    recs = records(tmp)
    check(len(recs) == 2, "dns prints two records")
    for name, txt in recs.items():
        check(all(len(s) <= 255 for s in re.findall(r'"([^"]*)"',
              run(tmp, "dkim", "dns", "example.org").stdout.decode())),
              "TXT strings are at most 255 bytes")

    def dnsfunc(name, timeout=5):
        return recs.get(name.decode()).encode() if name.decode() in recs \
            else None

    src = os.path.join(tmp, "m.eml")
    with open(src, "wb") as f:
        f.write(MSG)
    # facteur signs, dkimpy verifies (both signatures of each message).
    for canon in ("relaxed/relaxed", "simple/simple", "relaxed/simple",
                  "simple/relaxed"):
        for bl in ([], ["--body-length"]):
            r = run(tmp, "dkim", "sign", "--canon", canon, *bl, src)
            check(r.returncode == 0, "sign %s %s" % (canon, bl))
            signed = r.stdout
            d = dkim.DKIM(signed)
            for idx in range(2):
                ok = d.verify(idx=idx, dnsfunc=dnsfunc)
                check(ok, "dkimpy verifies facteur sig %d (%s %s)"
                      % (idx, canon, bl))
    # dkimpy signs, facteur verifies.
    for sel, alg in (("r1", b"rsa-sha256"), ("e1", b"ed25519-sha256")):
        with open(os.path.join(keys, "example.org", sel + ".key"), "rb") as f:
            pem = f.read()
        if alg == b"ed25519-sha256":
            # dkimpy wants the raw 32-byte seed, base64.
            der = subprocess.run(["openssl", "pkey", "-outform", "DER"],
                                 input=pem, capture_output=True).stdout
            import base64
            pem = base64.b64encode(der[-32:])
        for canon in ((b"relaxed", b"relaxed"), (b"simple", b"simple")):
            for length in (False, True):
                sig = dkim.sign(MSG, sel.encode(), b"example.org", pem,
                                canonicalize=canon, signature_algorithm=alg,
                                length=length,
                                include_headers=[b"from", b"to", b"subject"])
                p = os.path.join(tmp, "py.eml")
                with open(p, "wb") as f:
                    f.write(sig + MSG)
                name = "%s._domainkey.example.org." % sel
                rc, out = verify_facteur(tmp, p, name, recs[name])
                check(rc == 0 and " pass" in out,
                      "facteur verifies dkimpy %s %s l=%s: %s"
                      % (alg.decode(), canon, length, out.strip()))
    # Failures, on a facteur-signed message (RSA key r1 only).
    run(tmp, "dkim", "disable", "example.org", "e1")
    # x= far enough ahead for the checks below on a loaded machine.
    signed_at = time.time()
    signed = run(tmp, "dkim", "sign", "--expire", "15", src).stdout
    name, txt = "r1._domainkey.example.org.", recs["r1._domainkey.example.org."]
    cases = [
        ("altered body", signed.replace(b"second line", b"Second line"),
         txt, "fail (body hash mismatch)"),
        ("altered signed header", signed.replace(b"bob@", b"eve@"), txt,
         "fail (signature did not verify)"),
        ("wrong key", signed, recs["e1._domainkey.example.org."].replace(
            "k=ed25519", "k=rsa"), "permerror"),
        ("revoked key", signed, "v=DKIM1; k=rsa; p=", "fail (key revoked)"),
    ]
    for what, msg, key, want in cases:
        p = os.path.join(tmp, "bad.eml")
        with open(p, "wb") as f:
            f.write(msg)
        rc, out = verify_facteur(tmp, p, name, key)
        check(rc == 1 and want in out, "%s gives %s: got %s"
              % (what, want, out.strip()))
    p = os.path.join(tmp, "ok.eml")
    with open(p, "wb") as f:
        f.write(signed)
    rc, out = verify_facteur(tmp, p, name, txt)
    check(rc == 0, "unaltered passes: %s" % out.strip())
    time.sleep(max(0.0, signed_at + 16.2 - time.time()))
    rc, out = verify_facteur(tmp, p, name, txt)
    check(rc == 1 and "fail (signature expired)" in out,
          "expired x= gives fail (signature expired): got %s" % out.strip())
    # A wrong RSA key (another 2048-bit key) fails the signature.
    r = run(tmp, "dkim", "keygen", "example.org", "--selector", "r2",
            "--keys-dir", keys)
    other = records(tmp)["r2._domainkey.example.org."]
    rc, out = verify_facteur(tmp, p, name, other)
    check(rc == 1 and "signature did not verify" in out or
          "expired" in out, "another RSA key fails: %s" % out.strip())
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)


main()
