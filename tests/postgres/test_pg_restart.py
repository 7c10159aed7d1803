#!/usr/bin/python3
"""tests/postgres/test_pg_restart.py - facteur-lookup and
facteur-blacklist over PostgreSQL while the server stops and comes back.

While PostgreSQL is down every socketmap lookup answers TEMP (Postfix
defers), never NOTFOUND (which would bounce mail) and never a dropped
connection; the policy service answers 451 4.3.0; the milter answers
tempfail for a blacklisted sender (its
on_error default), never accept. Once the server is back the same
daemons, not restarted, answer as before (the lookup on the same client
connection). Runs in ~5 s.

usage: test_pg_restart.py FACTEUR_LOOKUP MKDB [FACTEUR_BLACKLIST]
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import PG  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "milter"))
from milterclient import MilterClient  # noqa: E402

BIN, MKDB = sys.argv[1], sys.argv[2]
BLACKLIST = sys.argv[3] if len(sys.argv) > 3 else None
FAILURES = []


def check(what, got, want):
    if got != want:
        FAILURES.append("%s: got %r, want %r" % (what, got, want))
        print("FAIL " + FAILURES[-1], flush=True)


class SM:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(15)
        self.s.connect(path)
        self.buf = b""

    def q(self, name, key):
        data = ("%s %s" % (name, key)).encode()
        self.s.sendall(b"%d:%s," % (len(data), data))
        while True:
            if b":" in self.buf:
                n, rest = self.buf.split(b":", 1)
                if len(rest) >= int(n) + 1:
                    self.buf = rest[int(n) + 1:]
                    return rest[:int(n)].decode()
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk


def policy(path, sender):
    """One policy delegation request on a new connection; the reply."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(15)
    s.connect(path)
    attrs = [("request", "smtpd_access_policy"), ("protocol_state", "RCPT"),
             ("protocol_name", "ESMTP"), ("helo_name", "mx.example.net"),
             ("queue_id", ""), ("client_name", "unknown"),
             ("sender", sender), ("client_address", "198.51.100.7"),
             ("recipient", "alice@example.org")]
    s.sendall(("".join("%s=%s\n" % kv for kv in attrs) + "\n").encode())
    data = b""
    while not data.endswith(b"\n\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode().strip() or "EOF"


def start_lookup(tmp, url):
    conf, sock = os.path.join(tmp, "f.conf"), os.path.join(tmp, "sm.sock")
    with open(conf, "w") as f:
        f.write("[database]\nurl = %s\nbusy_timeout = 1s\n\n[lookup]\n"
                "socket = %s\npolicy_socket = %s\nuser =\n"
                % (url, sock, os.path.join(tmp, "pol.sock")))
    log = open(os.path.join(tmp, "lookup.log"), "w")
    p = subprocess.Popen([BIN, "-c", conf, "-f", "serve"], stdout=log,
                         stderr=subprocess.STDOUT)
    for _ in range(200):
        if os.path.exists(sock):
            return p, sock
        if p.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("facteur-lookup did not start: " +
                       open(os.path.join(tmp, "lookup.log")).read())


def start_milter(tmp, url):
    conf, sock = os.path.join(tmp, "bl.conf"), os.path.join(tmp, "bl.sock")
    with open(conf, "w") as f:
        f.write("[database]\nurl = %s\nbusy_timeout = 1s\n\n[blacklist]\n"
                "socket = unix:%s\n" % (url, sock))
        if os.environ.get("FACTEUR_MILTER_ENGINE"):
            f.write("engine = %s\n" % os.environ["FACTEUR_MILTER_ENGINE"])
    log = open(os.path.join(tmp, "bl.log"), "w")
    p = subprocess.Popen([BLACKLIST, "-f", "-c", conf], stdout=log,
                         stderr=subprocess.STDOUT)
    for _ in range(200):
        if os.path.exists(sock):
            return p, sock
        if p.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("facteur-blacklist did not start: " +
                       open(os.path.join(tmp, "bl.log")).read())


def milter_action(sock, sender):
    r = MilterClient("unix:" + sock).message(
        macros={"mail": {"i": "Q1"}},
        connect=("client.example", "198.51.100.77", 4567),
        helo="client.example", mail_from="<%s>" % sender,
        rcpts=["<alice@example.org>"], headers=[("From", sender)],
        body=b"x\r\n")
    return r.action


def main():
    if PG.missing():
        print("SKIP: missing peer: " + PG.missing())
        return 77
    tmp = tempfile.mkdtemp(prefix="pgrestart-", dir=os.getcwd())
    with PG(int(os.environ.get("PG_PORT", "54333"))) as pg:
        url = pg.createdb("restart")
        subprocess.run([MKDB, url], check=True, timeout=30, input=(
            b"domain|example.org\nuser|alice@example.org|"
            b"example.org/alice/\n"
            b"sender|spam@bad.example|address|REJECT|554|5.7.1|No\n"))
        lk, sock = start_lookup(tmp, url)
        bl, blsock = start_milter(tmp, url) if BLACKLIST else (None, None)
        try:
            c = SM(sock)
            check("before", c.q("mailboxes", "alice@example.org"),
                  "OK example.org/alice/")
            if bl:
                check("milter, before", milter_action(blsock,
                                                      "spam@bad.example"),
                      "reject")
            pg.stop()
            for i in range(3):
                r = c.q("mailboxes", "alice@example.org")
                check("down, same connection #%d" % i,
                      (r or "EOF").split(" ")[0], "TEMP")
                r = SM(sock).q("mailboxes", "alice@example.org")
                check("down, new connection #%d" % i,
                      (r or "EOF").split(" ")[0], "TEMP")
            check("policy, down", policy(os.path.join(tmp, "pol.sock"),
                                         "spam@bad.example"),
                  "action=451 4.3.0 temporary lookup failure")
            if bl:
                check("milter, down", milter_action(blsock,
                                                    "spam@bad.example"),
                      "tempfail")
            pg.start()
            check("back, same connection",
                  c.q("mailboxes", "alice@example.org"),
                  "OK example.org/alice/")
            check("back, unknown user",
                  c.q("mailboxes", "nobody@example.org"), "NOTFOUND ")
            check("policy, back", policy(os.path.join(tmp, "pol.sock"),
                                         "spam@bad.example"),
                  "action=554 5.7.1 No")
            check("facteur-lookup still running", lk.poll(), None)
            if bl:
                check("milter, back", milter_action(blsock,
                                                    "spam@bad.example"),
                      "reject")
                check("milter, back, clean sender",
                      milter_action(blsock, "ok@good.example"), "accept")
                check("facteur-blacklist still running", bl.poll(), None)
        finally:
            lk.terminate()
            lk.wait(10)
            if bl:
                bl.terminate()
                bl.wait(10)
    if FAILURES:
        print(open(os.path.join(tmp, "lookup.log")).read())
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("restart test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
