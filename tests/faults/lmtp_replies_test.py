#!/usr/bin/python3
"""tests/faults/lmtp_replies_test.py - facteur-lmtp answers each recipient
as soon as its copy is saved, so a crash (SIGKILL, OOM, power) half way
through a message to several recipients duplicates nothing.

Postfix's LMTP client takes the replies after the final dot one by one: a
250 it has read is final, and only the recipients with no reply are tried
again. facteur-lmtp used to save every recipient's copy first and send the
replies together: killed between the first copy and the flush, every
recipient was retried and the first one got the message twice. And when
the client has gone away, the recipients not yet saved are left alone
(the client tries them again anyway).

The second recipient's delivery is held on purpose: its ~/.dovecot.sieve is
a FIFO, which facteur-lmtp's open() waits on until the test writes a
script into it.

usage: lmtp_replies_test.py FACTEUR-LMTP FACTEUR   (as root)
"""

import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402

FAILS = []
USERS = ["u0", "u1", "u2"]


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


class Lmtp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        self.reply()

    def reply(self):
        while True:
            ln = self.f.readline()
            if not ln:
                raise EOFError("connection closed")
            if ln[3:4] != b"-":
                return ln.decode().rstrip()

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\r\n")
        return self.reply()

    def start(self, rcpts):
        self.cmd("LHLO t")
        self.cmd("MAIL FROM:<s@example.net>")
        for r in rcpts:
            got = self.cmd("RCPT TO:<%s@example.org>" % r)
            check(got.startswith("250"), "RCPT %s: %s" % (r, got))
        self.cmd("DATA")
        self.s.sendall(b"Subject: replies\r\nMessage-ID: <r@t>\r\n\r\n"
                       b"x\r\n.\r\n")

    def close(self):
        self.f.close()
        self.s.close()


def copies(root, user):
    n = 0
    for sub in ("new", "cur"):
        d = os.path.join(root, "example.org", user, sub)
        n += len(os.listdir(d)) if os.path.isdir(d) else 0
    return n


def fifo_script(root, user):
    """u's ~/.dovecot.sieve as a FIFO; returns its path."""
    uid, gid = harness.user_ids(harness.DEFAULT_MAIL_USER)
    home = os.path.join(root, "example.org", user)
    os.makedirs(home, exist_ok=True)
    for p in (os.path.dirname(home), home):
        os.chown(p, uid, gid)
    path = os.path.join(home, ".dovecot.sieve")
    if os.path.exists(path):
        os.unlink(path)
    os.mkfifo(path, 0o644)
    os.chown(path, uid, gid)
    return path


def release(path, timeout=1.0):
    """Writes a script that keeps the message into the FIFO once
    facteur-lmtp has it open for reading (its blocked open() returns);
    gives up after timeout if it never opens it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:     # ENXIO: no reader yet
            time.sleep(0.02)
            continue
        os.write(fd, b"keep;\n")
        os.close(fd)
        return True
    return False


def setup(exe, tmp):
    uid, gid = harness.user_ids(harness.DEFAULT_MAIL_USER)
    root = os.path.join(tmp, "mail")
    os.mkdir(root)
    os.chown(root, uid, gid)
    dbdir = os.path.join(tmp, "db")
    os.mkdir(dbdir)
    db = os.path.join(dbdir, "facteur.sqlite")
    sock = os.path.join(tmp, "lmtp.sock")
    conf = fixtures.write_conf(os.path.join(tmp, "facteur.conf"), {
        "database": {"path": db},
        "admin": {"mail_root": root},
        "lmtp": {"socket": sock, "mail_root": root, "user": str(uid),
                 "group": str(gid), "hostname": "mx.faults.test",
                 "sieve_before": ""}})
    admin = fixtures.Admin(exe["facteur"], conf, db)
    admin("db", "init")
    admin("domain", "add", "example.org")
    for u in USERS:
        admin.add_user(u + "@example.org", "pw")
    for p in [dbdir] + [os.path.join(dbdir, f) for f in os.listdir(dbdir)]:
        os.chown(p, uid, gid)
    return root, sock, conf


def start(exe, conf, sock, tmp):
    if os.path.exists(sock):
        os.unlink(sock)
    return harness.Daemon([exe["facteur-lmtp"], "-f", "-c", conf],
                          "facteur-lmtp", tmp,
                          ready=lambda: harness.unix_socket_open(sock))


def killed_half_way(exe, root, sock, conf, tmp):
    """u0 then u1 (held); u0's 250 must come before u1 is done, and after
    a SIGKILL only u1 is left to do."""
    fifo = fifo_script(root, "u1")
    d = start(exe, conf, sock, tmp)
    c = Lmtp(sock)
    c.start(["u0", "u1"])
    try:
        first = c.reply()
    except (socket.timeout, EOFError) as e:
        first = "no reply (%s)" % type(e).__name__
    check(first.startswith("250") and "<u0@example.org>" in first,
          "u0's reply while u1's delivery is still held: %s" % first)
    d.proc.kill()
    d.close()
    c.close()
    os.unlink(fifo)
    check(copies(root, "u0") == 1 and copies(root, "u1") == 0,
          "after the SIGKILL: u0 has %d copy, u1 %d (want 1, 0)" % (
              copies(root, "u0"), copies(root, "u1")))
    # what Postfix does next: try again every recipient it has no reply
    # for (u1, and u0 too when its 250 never came)
    again = ["u1"] if first.startswith("250") else ["u0", "u1"]
    d = start(exe, conf, sock, tmp)
    c = Lmtp(sock)
    c.start(again)
    got = [c.reply() for _ in again]
    c.close()
    d.close()
    check(all(g.startswith("250") for g in got), "%s again: %s" % (
        ", ".join(again), got))
    check(copies(root, "u0") == 1 and copies(root, "u1") == 1,
          "in the end one copy each: u0 %d, u1 %d" % (
              copies(root, "u0"), copies(root, "u1")))
    return d


def client_gone(exe, root, sock, conf, tmp):
    """u0, u1 (held), u2; the client leaves after u0's reply: u2 is not
    saved (the client retries it)."""
    before = {u: copies(root, u) for u in USERS}
    fifo = fifo_script(root, "u1")
    d = start(exe, conf, sock, tmp)
    c = Lmtp(sock)
    c.start(["u0", "u1", "u2"])
    try:
        c.reply()
    except (socket.timeout, EOFError):
        pass
    c.close()
    time.sleep(0.2)
    release(fifo)
    harness.wait_for(lambda: "not delivered" in d.log() or
                     copies(root, "u2") > before["u2"], 10,
                     what="facteur-lmtp to finish the message")
    time.sleep(0.3)
    os.unlink(fifo)
    got = {u: copies(root, u) - before[u] for u in USERS}
    # u1 is saved if its delivery had begun before the client left, and
    # not if facteur-lmtp saw the client gone first: both are right
    check(got["u0"] == 1 and got["u1"] in (0, 1) and got["u2"] == 0,
          "client gone after u0's reply: new copies %r, want u0 1, u1 0 or "
          "1, u2 0" % got)
    d.close()
    return d


def main():
    exe = fixtures.exe_args(sys.argv, ["facteur-lmtp", "facteur"])
    if os.geteuid() != 0:
        print("SKIP: missing peer: root (facteur-lmtp drops to nobody)")
        sys.exit(77)
    tmp = harness.TmpDir("lmtp-replies")
    daemons = []
    try:
        root, sock, conf = setup(exe, tmp.path)
        daemons.append(killed_half_way(exe, root, sock, conf, tmp.path))
        daemons.append(client_gone(exe, root, sock, conf, tmp.path))
        for dmn in daemons:
            rep = dmn.sanitizer_report()
            check(not rep, "no sanitizer report: %s" % rep)
    finally:
        if FAILS:
            tmp.keep = True
            log = os.path.join(tmp.path, "facteur-lmtp.log")
            if os.path.exists(log):
                print(open(log, errors="replace").read()[-3000:])
        tmp.close()
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)


main()
