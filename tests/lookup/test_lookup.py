#!/usr/bin/python3
"""tests/lookup/test_lookup.py - black-box tests of facteur-lookup.

Starts the real binary on a temporary unix socket and a loopback TCP port
over a database built with mkdb (the store API), then speaks socketmap
(netstrings) and policy delegation to it.

usage: test_lookup.py FACTEUR_LOOKUP MKDB
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN, MKDB = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="lookup-", dir=os.getcwd())
# tests/postgres runs this file again on PostgreSQL (run_with_pg.py).
DB = os.environ.get("FACTEUR_TEST_DB_URL") or os.path.join(TMP, "facteur.sqlite")
SOCK = os.path.join(TMP, "sm.sock")
PSOCK = os.path.join(TMP, "pol.sock")
CONF = os.path.join(TMP, "facteur.conf")
LOG = os.path.join(TMP, "lookup.log")
TIMEOUT = 10
FAILURES = []

DATA = """\
domain|example.org
domain_off|dead.org
user|alice@example.org|example.org/alice/
user|bob@example.org|example.org/bob/
user_off|carol@example.org|example.org/carol/
user|dan@dead.org|dead.org/dan/
alias|postmaster|root
alias|list|a@x.org
alias|list|b@x.org
valias|info@example.org|alice@example.org
valias|info@example.org|bob@example.org
valias|@example.org|catchall@example.org
valias_off|old@example.org|bob@example.org
sender|spammer@bad.example|address|REJECT|554|5.7.1|No spam please
sender|bad.example|domain|REJECT|550||Domain blocked
sender|@exact.example|domain|REJECT|554|5.7.1|Exact only
sender|good@bad.example|address|OK|0||
sender|mallory@|address|REJECT|554|5.7.1|Mallory anywhere
sender|<>|address|REJECT|550|5.7.1|No bounces here
sender|192.0.2.0/24|ip|REJECT|554|5.7.1|Bad network
sender|192.0.2.128/25|ip|REJECT|554|5.7.1|Worse network
sender|2001:db8:bad::/48|ip|REJECT|554|5.7.1|Bad v6 network
sender|198.51.100.7|ip|REJECT|450|4.7.1|Slow down
recipient|nobody@example.org|REJECT|550|5.1.1|No such user here
recipient|trash@example.org|DISCARD|0||
recipient|hold.example|HOLD|0||Held for review
"""


def check(what, got, want):
    if got != want:
        FAILURES.append("%s: got %r, want %r" % (what, got, want))
        print("FAIL " + FAILURES[-1], flush=True)


def mkdb(script):
    p = subprocess.run([MKDB, DB], input=script.encode(), timeout=TIMEOUT,
                       capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("mkdb: " + p.stderr.decode())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ns(data):
    return b"%d:%s," % (len(data), data)


class SM:
    """One socketmap connection."""

    def __init__(self, tcp=None, path=SOCK):
        if tcp:
            self.s = socket.create_connection(("127.0.0.1", tcp), TIMEOUT)
        else:
            self.s = socket.socket(socket.AF_UNIX)
            self.s.settimeout(TIMEOUT)
            self.s.connect(path)
        self.buf = b""

    def send(self, raw):
        self.s.sendall(raw)

    def reply(self):
        """Next netstring payload as str, or None on EOF."""
        while True:
            if b":" in self.buf:
                n, rest = self.buf.split(b":", 1)
                n = int(n)
                if len(rest) >= n + 1:
                    assert rest[n:n + 1] == b",", self.buf
                    self.buf = rest[n + 1:]
                    return rest[:n].decode()
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk

    def q(self, name, key):
        self.send(ns(("%s %s" % (name, key)).encode()))
        return self.reply()

    def close(self):
        self.s.close()


def policy(conn, attrs):
    req = "".join("%s=%s\n" % kv for kv in attrs) + "\n"
    conn.sendall(req.encode())
    data = b""
    while not data.endswith(b"\n\n"):
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data.decode()


def start(port, conf=CONF, log_path=LOG, sock=SOCK, psock=PSOCK,
          extra="max_clients = 32\nidle_timeout = 20s\n"):
    with open(conf, "w") as f:
        f.write("[database]\n%s = %s\n\n[lookup]\nsocket = %s\n"
                "tcp = 127.0.0.1:%d\npolicy_socket = %s\nuser =\n"
                "max_key_len = 256\n%s" % ("url" if "://" in DB else "path",
                                           DB, sock, port, psock, extra))
    log = open(log_path, "w")
    p = subprocess.Popen([BIN, "-c", conf, "-f", "serve"], stdout=log,
                         stderr=subprocess.STDOUT)
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        if p.poll() is not None:
            raise RuntimeError("facteur-lookup exited: " +
                               open(log_path).read())
        if os.path.exists(sock) and os.path.exists(psock):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                return p
            except OSError:
                pass
        time.sleep(0.05)
    p.kill()
    raise RuntimeError("facteur-lookup did not start: " +
                       open(log_path).read())


def test_maps(port):
    c = SM()
    cases = [
        ("domains", "example.org", "OK example.org"),
        ("domains", "EXAMPLE.ORG", "OK EXAMPLE.ORG"),
        ("domains", "dead.org", "NOTFOUND "),
        ("domains", "nope.org", "NOTFOUND "),
        ("mailboxes", "alice@example.org", "OK example.org/alice/"),
        ("mailboxes", "Alice@Example.org", "OK example.org/alice/"),
        ("mailboxes", "alice+tag@example.org", "OK example.org/alice/"),
        ("mailboxes", "carol@example.org", "NOTFOUND "),
        ("mailboxes", "dan@dead.org", "NOTFOUND "),
        ("mailboxes", "nobody@example.org", "NOTFOUND "),
        ("aliases", "postmaster", "OK root"),
        ("aliases", "nosuch", "NOTFOUND "),
        ("virtual_aliases", "random@example.org", "OK catchall@example.org"),
        ("virtual_aliases", "old@example.org", "OK catchall@example.org"),
        ("virtual_aliases", "x@other.org", "NOTFOUND "),
        ("virtual_aliases", "@example.org", "OK catchall@example.org"),
    ]
    for m, k, want in cases:
        check("%s %s" % (m, k), c.q(m, k), want)
    got = c.q("aliases", "list")
    check("aliases list", sorted(got[3:].split(",")) if got else got,
          ["a@x.org", "b@x.org"])
    for k in ("info@example.org", "info+sales@example.org"):
        got = c.q("virtual_aliases", k)
        check("virtual_aliases " + k,
              sorted(got[3:].split(",")) if got else got,
              ["alice@example.org", "bob@example.org"])
    c.close()
    t = SM(tcp=port)
    check("tcp mailboxes", t.q("mailboxes", "bob@example.org"),
          "OK example.org/bob/")
    t.close()


def test_access_walk():
    c = SM()
    cases = [
        ("sender_access", "spammer@bad.example",
         "OK 554 5.7.1 No spam please"),
        ("sender_access", "spammer+x@bad.example",
         "OK 554 5.7.1 No spam please"),  # user@domain before domain
        ("sender_access", "other@bad.example", "OK 550 5.7.1 Domain blocked"),
        ("sender_access", "other@a.sub.bad.example",
         "OK 550 5.7.1 Domain blocked"),  # parent domain
        ("sender_access", "good@bad.example", "OK OK"),  # exact first
        ("sender_access", "x@exact.example", "OK 554 5.7.1 Exact only"),
        ("sender_access", "x@sub.exact.example", "NOTFOUND "),
        ("sender_access", "mallory@anywhere.org",
         "OK 554 5.7.1 Mallory anywhere"),  # user@
        ("sender_access", "mallory+z@anywhere.org",
         "OK 554 5.7.1 Mallory anywhere"),
        ("sender_access", "<>", "OK 550 5.7.1 No bounces here"),
        ("sender_access", "192.0.2.55", "OK 554 5.7.1 Bad network"),
        ("sender_access", "192.0.2.200", "OK 554 5.7.1 Worse network"),
        ("sender_access", "198.51.100.7", "OK 450 4.7.1 Slow down"),
        ("sender_access", "2001:db8:bad:1::9", "OK 554 5.7.1 Bad v6 network"),
        ("sender_access", "2001:db8:bae::9", "NOTFOUND "),
        ("sender_access", "203.0.113.1", "NOTFOUND "),
        ("sender_access", "clean@example.org", "NOTFOUND "),
        ("recipient_access", "nobody@example.org",
         "OK 550 5.1.1 No such user here"),
        ("recipient_access", "nobody+x@example.org",
         "OK 550 5.1.1 No such user here"),
        ("recipient_access", "trash@example.org", "OK DISCARD"),
        ("recipient_access", "x@mx.hold.example", "OK HOLD Held for review"),
        ("recipient_access", "spammer@bad.example", "NOTFOUND "),
    ]
    for m, k, want in cases:
        check("%s %s" % (m, k), c.q(m, k), want)
    c.close()


def test_pipelined():
    c = SM()
    keys = ["alice@example.org", "nobody@example.org"] * 50
    c.send(b"".join(ns(("mailboxes " + k).encode()) for k in keys))
    got = [c.reply() for _ in keys]
    want = ["OK example.org/alice/", "NOTFOUND "] * 50
    check("100 pipelined replies in order", got, want)
    c.close()


def test_concurrent():
    errors = []

    def worker(i):
        try:
            c = SM()
            for j in range(50):
                k, want = (("bob@example.org", "OK example.org/bob/")
                           if (i + j) % 2 else ("x%d@example.org" % j,
                                                "NOTFOUND "))
                got = c.q("mailboxes", k)
                if got != want:
                    errors.append("client %d: got %r, want %r" % (i, got,
                                                                  want))
                    break
            c.close()
        except OSError as e:
            errors.append("client %d: %s" % (i, e))

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(TIMEOUT * 3)
    check("16 concurrent clients x 50 queries: errors", errors, [])


def test_malformed():
    c = SM()
    check("unknown map", c.q("nosuchmap", "x")[:5], "PERM ")
    check("no space", (c.send(ns(b"domains")), c.reply())[1][:5], "PERM ")
    check("key over max_key_len", c.q("domains", "a" * 270)[:5], "PERM ")
    check("netstring over max_key_len", c.q("domains", "a" * 300)[:5],
          "PERM ")
    check("control byte", c.q("domains", "a\x01b")[:5], "PERM ")
    check("empty key", c.q("domains", ""), "NOTFOUND ")
    big = b"domains " + b"a" * 5000
    c.send(ns(big))
    check("oversized netstring", (c.reply() or "")[:5], "PERM ")
    check("same connection after skipping it", c.q("domains", "example.org"),
          "OK example.org")
    c.send(b"12:abc")  # incomplete, then a bad terminator
    c.send(b"defghijklX")
    check("bad terminator", (c.reply() or "")[:5], "PERM ")
    check("connection closed after a desync", c.reply(), None)
    c.close()
    c = SM()
    c.send(b"xyz:")
    check("garbage length", (c.reply() or "")[:5], "PERM ")
    check("garbage closes", c.reply(), None)
    c.close()
    c = SM()
    check("server alive after garbage", c.q("domains", "example.org"),
          "OK example.org")
    c.close()


def test_change_visible():
    c = SM()
    check("before add", c.q("mailboxes", "eve@example.org"), "NOTFOUND ")
    check("sender before add", c.q("sender_access", "eve@spam.example"),
          "NOTFOUND ")
    mkdb("user|eve@example.org|example.org/eve/\n"
         "sender|spam.example|domain|REJECT|554|5.7.1|New rule\n")
    check("after add, same connection", c.q("mailboxes", "eve@example.org"),
          "OK example.org/eve/")
    check("sender after add", c.q("sender_access", "eve@spam.example"),
          "OK 554 5.7.1 New rule")
    mkdb("del_user|eve@example.org\n")
    check("after delete", c.q("mailboxes", "eve@example.org"), "NOTFOUND ")
    c.close()


def test_policy():
    p = socket.socket(socket.AF_UNIX)
    p.settimeout(TIMEOUT)
    p.connect(PSOCK)
    base = [("request", "smtpd_access_policy"), ("protocol_state", "RCPT"),
            ("protocol_name", "ESMTP"), ("helo_name", "mx.example.net"),
            ("queue_id", ""), ("client_name", "unknown")]

    def ask(sender, client, rcpt, state="RCPT"):
        attrs = list(base)
        attrs[1] = ("protocol_state", state)
        attrs += [("sender", sender), ("client_address", client),
                  ("recipient", rcpt)]
        return policy(p, attrs)

    cases = [
        (("spammer@bad.example", "203.0.113.1", "alice@example.org"),
         "action=554 5.7.1 No spam please\n\n"),
        (("clean@example.net", "192.0.2.9", "alice@example.org"),
         "action=554 5.7.1 Bad network\n\n"),
        (("clean@example.net", "2001:db8:bad::1", "alice@example.org"),
         "action=554 5.7.1 Bad v6 network\n\n"),
        (("clean@example.net", "203.0.113.1", "nobody@example.org"),
         "action=550 5.1.1 No such user here\n\n"),
        (("clean@example.net", "203.0.113.1", "alice@example.org"),
         "action=DUNNO\n\n"),
        (("", "203.0.113.1", "alice@example.org"),
         "action=550 5.7.1 No bounces here\n\n"),
        (("good@bad.example", "192.0.2.9", "alice@example.org"),
         "action=DUNNO\n\n"),  # a whitelisted sender skips the IP check
    ]
    for args, want in cases:
        check("policy %r" % (args,), ask(*args), want)
    check("policy at DATA", ask("spammer@bad.example", "192.0.2.9",
                                "alice@example.org", "DATA"),
          "action=DUNNO\n\n")
    # Issue 10 finding 8: a NUL cut "spammer\0@x" to "spammer" -> DUNNO.
    p.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\n"
              b"sender=spammer@bad.example\0@good.example\n"
              b"client_address=203.0.113.1\nrecipient=alice@example.org\n\n")
    data = b""
    while not data.endswith(b"\n\n"):
        chunk = p.recv(4096)
        if not chunk:
            break
        data += chunk
    check("policy request with a NUL is deferred", data,
          b"action=DEFER_IF_PERMIT 4.3.0 malformed policy request\n\n")
    check("connection still in step after it",
          ask("spammer@bad.example", "203.0.113.1", "alice@example.org"),
          "action=554 5.7.1 No spam please\n\n")
    p.sendall(b"no equals sign\n\n")
    check("malformed policy request closes", p.recv(100), b"")
    p.close()


def test_query_cli():
    def q(*args):
        r = subprocess.run([BIN, "-c", CONF, "query"] + list(args),
                           capture_output=True, timeout=TIMEOUT)
        return r.returncode, r.stdout.decode()

    check("query found", q("mailboxes", "alice@example.org"),
          (0, "example.org/alice/\n"))
    check("query access", q("sender_access", "x@sub.bad.example"),
          (0, "550 5.7.1 Domain blocked\n"))
    check("query not found", q("domains", "nope.org"), (1, ""))
    check("query unknown map", q("nomap", "x")[0], 2)
    r = subprocess.run([BIN, "--db", os.path.join(TMP, "missing.sqlite"),
                        "-c", CONF, "query", "domains", "x"],
                       capture_output=True, timeout=TIMEOUT)
    check("query on a missing database", r.returncode, 2)


def test_postmap():
    """Real Postfix client: postmap -q speaks socketmap to the daemon."""
    postmap = "/usr/sbin/postmap"
    # Postfix is no optional peer (scripts/install-deps): no skip
    check("postmap is installed (%s)" % postmap, os.path.exists(postmap),
          True)
    if not os.path.exists(postmap):
        return
    pc = os.path.join(TMP, "postfix")
    os.makedirs(pc, exist_ok=True)
    open(os.path.join(pc, "main.cf"), "w").close()

    def pq(key, name, stdin=None):
        r = subprocess.run([postmap, "-c", pc, "-q", key,
                            "socketmap:unix:%s:%s" % (SOCK, name)],
                           input=stdin, capture_output=True, timeout=TIMEOUT)
        return r.returncode, r.stdout.decode()

    check("postmap mailbox with extension",
          pq("alice+x@example.org", "mailboxes"),
          (0, "example.org/alice/\n"))
    check("postmap not found", pq("nope@example.org", "mailboxes"), (1, ""))
    check("postmap access walk", pq("a@sub.bad.example", "sender_access"),
          (0, "550 5.7.1 Domain blocked\n"))
    check("postmap several keys on one connection",
          pq("-", "domains", b"example.org\nnope.org\nexample.org\n"),
          (0, "example.org\texample.org\nexample.org\texample.org\n"))
    check("postmap unknown map is an error", pq("x", "nomap")[0] != 0, True)


def test_check_config():
    bad = os.path.join(TMP, "remote.conf")
    with open(bad, "w") as f:
        f.write("[lookup]\ntcp = 0.0.0.0:10044\n")
    r = subprocess.run([BIN, "-c", bad, "--check-config"],
                       capture_output=True, timeout=TIMEOUT)
    check("non-loopback tcp refused", r.returncode, 2)
    check("refusal names the key", b"tcp" in r.stderr, True)
    with open(bad, "w") as f:
        f.write("[lookup]\ntcp = 0.0.0.0:10044\nallow_remote = yes\n")
    r = subprocess.run([BIN, "-c", bad, "--check-config"],
                       capture_output=True, timeout=TIMEOUT)
    check("allow_remote accepts it", r.returncode, 0)


def test_cap_and_idle():
    """max_clients = 2: a third client gets in at once by closing the
    connection idle longest (Postfix reconnects); an idle connection is
    closed after idle_timeout."""
    sock = os.path.join(TMP, "cap.sock")
    log = os.path.join(TMP, "cap.log")
    proc = start(free_port(), os.path.join(TMP, "cap.conf"), log, sock,
                 os.path.join(TMP, "cap-pol.sock"),
                 "max_clients = 2\nidle_timeout = 1500ms\n")
    try:
        a = SM(path=sock)
        check("cap: first client", a.q("domains", "example.org"),
              "OK example.org")
        time.sleep(0.1)
        b = SM(path=sock)
        check("cap: second client", b.q("domains", "example.org"),
              "OK example.org")
        c = SM(path=sock)
        t0 = time.time()
        check("cap: third client served while two are open",
              c.q("domains", "example.org"), "OK example.org")
        check("cap: at once", time.time() - t0 < 0.5, True)
        check("cap: the connection idle longest was closed", a.reply(),
              None)
        check("cap: the other one still served",
              b.q("domains", "example.org"), "OK example.org")
        t0 = time.time()
        check("idle: connection closed by the server", b.reply(), None)
        check("idle: after about idle_timeout",
              0.5 < time.time() - t0 < 5, True)
        a.close()
        b.close()
        c.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    check("cap daemon exit status", rc, 0)
    text = open(log).read()
    check("cap daemon sanitizer reports",
          "Sanitizer" in text or "runtime error" in text, False)


def main():
    mkdb(DATA)
    port = free_port()
    proc = start(port)
    try:
        for t in (lambda: test_maps(port), test_access_walk, test_pipelined,
                  test_concurrent, test_malformed, test_change_visible,
                  test_policy, test_query_cli, test_postmap,
                  test_check_config, test_cap_and_idle):
            try:
                t()
            except Exception as e:  # a crash of one test is a failure
                FAILURES.append("%s: %r" % (getattr(t, "__name__", t), e))
                print("FAIL " + FAILURES[-1], flush=True)
        check("daemon still running", proc.poll(), None)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    check("exit status after SIGTERM", rc, 0)
    log = open(LOG).read()
    check("sanitizer reports in the log",
          "Sanitizer" in log or "runtime error" in log, False)
    if FAILURES:
        print("---- daemon log ----\n" + log[-4000:])
        print("%d failure(s)" % len(FAILURES))
        return 1
    shutil.rmtree(TMP, ignore_errors=True)
    print("all lookup tests passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
