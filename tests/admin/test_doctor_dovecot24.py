#!/usr/bin/python3
"""tests/admin/test_doctor_dovecot24.py - doctor reads Dovecot 2.4's
configuration: Debian 13's doveconf (from the trixie root suite debian13
builds and caches under /var/cache/facteur-test) prints
config-templates/dovecot/90-facteur-2.4.conf, and doctor runs its passdb
and userdb queries (%{user}, sqlite_path) on a database with one user:
both ok; with the userdb query naming a missing table, one FAIL more and
exit 1. (No DNS is served: the domain's DNS checks fail in both runs.)

The trixie doveconf runs chrooted; in a private mount namespace (unshare
-m) /usr/bin/doveconf is bound to a wrapper that calls it, and the test's
directory to the root's /mnt: nothing in the cached root is written.

usage: test_doctor_dovecot24.py FACTEUR SRCDIR   (as root)
Skipped (77) without the cached trixie root. Runtime: ~1 s.
"""
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

FACTEUR, SRC = [os.path.abspath(a) for a in sys.argv[1:3]]
FAILS = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        print(detail)
        FAILS.append(what)


def refuser():
    """A UDP 'DNS server' on 127.0.0.1 that answers REFUSED at once, so
    doctor's DNS checks end quickly (they are not what this tests)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                q, peer = s.recvfrom(4096)
            except OSError:
                return
            if len(q) >= 12:
                r = q[:2] + bytes([0x80 | (q[2] & 0x79), 0x05]) + q[4:6] + \
                    b"\0\0\0\0\0\0" + q[12:]
                s.sendto(r, peer)
    threading.Thread(target=serve, daemon=True).start()
    return s, "127.0.0.1@%d" % s.getsockname()[1]


def trixie_root():
    for r in sorted(glob.glob("/var/cache/facteur-test/trixie-*"),
                    key=os.path.getmtime, reverse=True):
        if os.access(os.path.join(r, "usr/bin/doveconf"), os.X_OK) and \
                os.path.isdir(os.path.join(r, "mnt")):
            return r
    return None


def doctor(root, tmp, resolver):
    inner = ("mount --bind %s %s/mnt && mount --bind %s/doveconf "
             "/usr/bin/doveconf && mount --bind /bin/false /usr/bin/doveadm"
             " && exec %s -c %s/facteur.conf doctor --postfix-dir none "
             "--dovecot-config /mnt/dovecot.conf --resolver %s" % (
                 tmp, root, tmp, FACTEUR, tmp, resolver))
    p = subprocess.run(["unshare", "-m", "sh", "-c", inner],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def main():
    if os.geteuid() != 0:
        print("SKIP: missing peer: root (unshare, chroot)")
        sys.exit(77)
    root = trixie_root()
    if root is None:
        print("SKIP: missing peer: trixie root with doveconf (suite "
              "debian13 builds it under /var/cache/facteur-test)")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="dc24-", dir=os.getcwd())
    dns, resolver = refuser()
    try:
        db = os.path.join(tmp, "facteur.sqlite")
        conf = os.path.join(tmp, "facteur.conf")
        with open(conf, "w") as f:
            f.write("[database]\npath = %s\n" % db)
        for args, inp in ((["db", "init"], None),
                          (["domain", "add", "example.org"], None),
                          (["user", "add", "alice@example.org",
                            "--password-stdin"], "secret\n")):
            subprocess.run([FACTEUR, "-c", conf] + args, input=inp,
                           text=True, check=True, capture_output=True)
        with open(os.path.join(SRC, "config-templates", "dovecot",
                               "90-facteur-2.4.conf")) as f:
            frag = f.read()
        if "/var/lib/facteur/facteur.sqlite" not in frag:
            check(False, "the 2.4 template names the database path")
            sys.exit(1)
        good = ("dovecot_config_version = 2.4.0\n"
                "dovecot_storage_version = 2.4.0\n" +
                frag.replace("/var/lib/facteur/facteur.sqlite", db))
        with open(os.path.join(tmp, "doveconf"), "w") as f:
            f.write("#!/bin/sh\nexec chroot %s /usr/bin/doveconf "
                    "\"$@\"\n" % root)
        os.chmod(os.path.join(tmp, "doveconf"), 0o755)
        with open(os.path.join(tmp, "dovecot.conf"), "w") as f:
            f.write(good)
        rc, out = doctor(root, tmp, resolver)
        check("ok   dovecot passdb: query of passdb sql finds "
              "alice@example.org in %s" % db in out,
              "2.4 passdb query runs and finds the user", out)
        check("ok   dovecot userdb: query of userdb sql finds "
              "alice@example.org" in out,
              "2.4 userdb query runs and finds the user", out)
        # no DNS here: the domain's checks FAIL in both runs
        good_fails = [l for l in out.splitlines() if l.startswith("FAIL")]
        check(not [l for l in good_fails if "dovecot" in l],
              "no dovecot FAIL with the template's queries", out)
        i = good.index("userdb sql {")
        bad = good[:i] + good[i:].replace("FROM users u", "FROM mailbox u",
                                          1)
        with open(os.path.join(tmp, "dovecot.conf"), "w") as f:
            f.write(bad)
        rc, out = doctor(root, tmp, resolver)
        check("FAIL dovecot userdb: query of userdb sql on %s: SQL error: "
              "no such table: mailbox" % db in out,
              "a wrong 2.4 userdb query FAILs naming the error", out)
        bad_fails = [l for l in out.splitlines() if l.startswith("FAIL")]
        check(rc == 1 and len(bad_fails) == len(good_fails) + 1,
              "exit 1 and exactly one FAIL more than with the template "
              "(got exit %d, %d vs %d)" % (rc, len(bad_fails),
                                          len(good_fails)), out)
    finally:
        dns.close()
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
