#!/usr/bin/python3
"""Black-box tests of facteur-lmtp over its unix socket.

Usage: test_lmtp.py FACTEUR-LMTP FACTEUR SOURCE_ROOT
A database is built with the real admin CLI, the daemon runs as uid/gid
3000 (as in the guide) with a mail root in a temp dir under the current
directory (meson: the build dir). sendmail is a small recording script:
what is under test is what facteur-lmtp hands it, not Postfix.
"""
import glob
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import unittest

LMTP = FACTEUR = SRC = None
MAIL_UID = 3000


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


class Client:
    """A minimal LMTP client: raw lines, multi-line replies."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(20)
        self.s.connect(path)
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln.decode("utf-8", "replace")

    def reply(self):
        lines = []
        while True:
            ln = self.line()
            lines.append(ln[4:])
            if ln[3:4] != "-":
                return int(ln[:3]), "\n".join(lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def close(self):
        self.s.close()


def stuff(body):
    """CRLF lines, dot-stuffed, with the final dot."""
    out = []
    for ln in body.split(b"\n"):
        out.append((b"." + ln) if ln.startswith(b".") else ln)
    if out and out[-1] == b"":
        out.pop()
    return b"\r\n".join(out) + b"\r\n.\r\n"


def db_sql(db, sql):
    """Runs sql on the SQLite file or PostgreSQL URL db; the first column
    of the first row as text (or None)."""
    if "://" in db:
        return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-d", db,
                               "-c", sql], check=True, capture_output=True,
                              text=True).stdout.strip() or None
    con = sqlite3.connect(db)
    try:
        row = con.execute(sql).fetchone()
        con.commit()
        return None if row is None else str(row[0])
    finally:
        con.close()


class LmtpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="lmtp-", dir=os.getcwd())
        os.chmod(cls.dir, 0o755)
        cls.root = os.path.join(cls.dir, "mail")
        os.mkdir(cls.root)
        os.mkdir(os.path.join(cls.dir, "db"))
        # tests/postgres runs this file again on PostgreSQL.
        cls.db = os.environ.get("FACTEUR_TEST_DB_URL") or os.path.join(
            cls.dir, "db", "facteur.sqlite")
        cls.sock = os.path.join(cls.dir, "lmtp.sock")
        cls.sent = os.path.join(cls.dir, "sent")
        os.mkdir(cls.sent)
        cls.admin("db", "init")
        cls.admin("domain", "add", "example.org")
        for u in ("alice", "bob", "carol", "dave", "erin", "frank", "gina"):
            cls.admin("user", "add", u + "@example.org", "--password-stdin",
                      stdin="secret-" + u + "\n")
        cls.admin("user", "quota", "bob@example.org", "1M")
        cls.admin("user", "disable", "carol@example.org")
        db_sql(cls.db, "UPDATE users SET quota_messages = 2 WHERE address = "
               "'frank@example.org'")
        # bob is full: a maildirsize saying so (fresh, so it is believed)
        bob = os.path.join(cls.root, "example.org", "bob")
        for d in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(bob, d))
        with open(os.path.join(bob, "maildirsize"), "w") as f:
            f.write("1048576S\n1048576 1\n")
        # alice has a "news" folder (for +detail) and a user script
        alice = os.path.join(cls.root, "example.org", "alice")
        for d in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(alice, ".news", d))
        os.makedirs(os.path.join(alice, "sieve"))
        with open(os.path.join(alice, "sieve", "roundcube.sieve"), "w") as f:
            f.write('require ["imap4flags", "fileinto", "vacation"];\n'
                    'if header :contains "subject" "flagme" {\n'
                    '  addflag "\\\\Flagged"; addflag "\\\\Seen";\n'
                    '}\n'
                    'if header :contains "subject" "redirectme" {\n'
                    '  redirect "elsewhere@example.net";\n'
                    '}\n'
                    'if header :contains "subject" "away" {\n'
                    '  vacation :days 3 :subject "Out of office"\n'
                    '    "I am away.";\n'
                    '}\n')
        os.symlink("sieve/roundcube.sieve",
                   os.path.join(alice, ".dovecot.sieve"))
        # dave's script is broken: line 2, column 4
        dave = os.path.join(cls.root, "example.org", "dave")
        os.makedirs(dave)
        with open(os.path.join(dave, ".dovecot.sieve"), "w") as f:
            f.write('require "fileinto";\nif if header :is "a" "b" '
                    '{ discard; }\n')
        # erin tries to read a script outside her home
        erin = os.path.join(cls.root, "example.org", "erin")
        os.makedirs(erin)
        os.symlink("../alice/sieve/roundcube.sieve",
                   os.path.join(erin, ".dovecot.sieve"))
        # gina's Maildir is a 64 KiB tmpfs: the disk-full case
        gina = os.path.join(cls.root, "example.org", "gina")
        os.makedirs(gina)
        cls.tmpfs = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs",
             gina], capture_output=True).returncode == 0
        shutil.copy(os.path.join(SRC, "config-templates", "sieve",
                                 "before.sieve"),
                    os.path.join(cls.dir, "before.sieve"))
        cls.sendmail = os.path.join(cls.dir, "sendmail")
        with open(cls.sendmail, "w") as f:
            f.write("#!/bin/sh\n"
                    "n=$(date +%%s%%N)\n"
                    "printf '%%s\\n' \"$@\" > %s/$n.args\n"
                    "cat > %s/$n.msg\n" % (cls.sent, cls.sent))
        os.chmod(cls.sendmail, 0o755)
        for base, dirs, files in os.walk(cls.dir):
            for n in dirs + files:
                os.lchown(os.path.join(base, n), MAIL_UID, MAIL_UID)
        os.chown(cls.dir, MAIL_UID, MAIL_UID)
        cls.conf = os.path.join(cls.dir, "facteur.conf")
        with open(cls.conf, "w") as f:
            f.write("[database]\npath = %s\n\n[lmtp]\nmail_root = %s\n"
                    "socket = %s\nsocket_group =\nhostname = mx.test\n"
                    "max_message_size = 64k\nsieve_before = %s\n"
                    "sendmail = %s\nidle_timeout = 20s\n"
                    % (cls.db, cls.root, cls.sock,
                       os.path.join(cls.dir, "before.sieve"), cls.sendmail))
        cls.log = open(os.path.join(cls.dir, "lmtp.log"), "w+")
        cls.proc = subprocess.Popen([LMTP, "-f", "-c", cls.conf],
                                    stdout=cls.log, stderr=cls.log)
        if not wait_for(lambda: os.path.exists(cls.sock)):
            cls.tearDownClass()
            raise RuntimeError("facteur-lmtp did not start: " +
                               cls.logtext())

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.terminate()
            try:
                cls.proc.wait(10)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait(5)
        cls.log.close()
        if cls.tmpfs:
            subprocess.run(["umount", os.path.join(cls.root, "example.org",
                                                   "gina")])
        if not os.environ.get("FACTEUR_KEEP"):
            shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def admin(cls, *args, stdin=None):
        p = subprocess.run([FACTEUR, "--db", cls.db] + list(args),
                           input=stdin, capture_output=True, text=True,
                           timeout=30)
        if p.returncode != 0:
            raise RuntimeError("facteur %s: %s" % (" ".join(args), p.stderr))

    @classmethod
    def logtext(cls):
        cls.log.flush()
        with open(os.path.join(cls.dir, "lmtp.log")) as f:
            return f.read()

    def setUp(self):
        self.c = Client(self.sock)
        self.assertEqual(self.c.greeting[0], 220)
        code, text = self.c.cmd("LHLO client.test")
        self.assertEqual(code, 250, text)

    def tearDown(self):
        self.c.close()
        self.assertIsNone(self.proc.poll(), "facteur-lmtp died: " +
                          self.logtext())

    def box(self, user, folder="", sub="new"):
        d = os.path.join(self.root, "example.org", user,
                         ("." + folder) if folder else "", sub)
        return sorted(glob.glob(os.path.join(d, "*")))

    def want(self, got, code, enh=None, what=""):
        self.assertEqual(got[0], code, "%s: got %r, want %d" %
                         (what, got, code))
        if enh:
            self.assertTrue(got[1].startswith(enh), "%s: got %r, want %s" %
                            (what, got, enh))

    def deliver(self, rcpts, body, sender="sender@example.net"):
        """One transaction; returns the per-recipient replies after DATA."""
        self.want(self.c.cmd("MAIL FROM:<%s>" % sender), 250)
        for r in rcpts:
            self.want(self.c.cmd("RCPT TO:<%s>" % r), 250, what=r)
        self.want(self.c.cmd("DATA"), 354)
        self.c.send(stuff(body))
        return [self.c.reply() for _ in rcpts]

    def new_files(self, before, user, folder="", sub="new"):
        return [p for p in self.box(user, folder, sub) if p not in before]

    # ---- protocol ----

    def test_disk_full_is_a_tempfail_and_leaves_nothing(self):
        if not self.tmpfs:
            self.skipTest("cannot mount a tmpfs here")
        body = b"Subject: fill\n\n" + (b"y" * 70 + b"\n") * 500
        codes = [self.deliver(["gina@example.org"], body)[0][0]
                 for _ in range(3)]
        self.assertEqual(codes[0], 250)
        self.assertIn(452, codes, "got %r, want a 452 once full" % codes)
        full = codes.index(452)
        self.assertEqual(len(self.box("gina")), full)
        self.assertEqual(self.box("gina", sub="tmp"), [])
        self.assertRegex(self.logtext(), r"gina@example.org>: save to INBOX")

    def test_quota_tempfail_answers_452(self):
        conf2 = self.conf + ".tempfail"
        sock2 = self.sock + "2"
        with open(self.conf) as f:
            text = f.read()
        with open(conf2, "w") as f:
            f.write(text.replace("socket = " + self.sock, "socket = " + sock2)
                    + "quota_tempfail = yes\n")
        p = subprocess.Popen([LMTP, "-f", "-c", conf2], stdout=self.log,
                             stderr=self.log)
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(sock2)))
            c = Client(sock2)
            c.cmd("LHLO t")
            self.want(c.cmd("MAIL FROM:<a@b.example>"), 250)
            self.want(c.cmd("RCPT TO:<bob@example.org>"), 452, "4.2.2")
            c.close()
        finally:
            p.terminate()
            p.wait(10)

    def other_daemon(self, extra, suffix):
        """A second facteur-lmtp on its own socket, extra [lmtp] lines
        appended; returns (process, socket path)."""
        conf2 = self.conf + "." + suffix
        sock2 = self.sock + suffix
        with open(self.conf) as f:
            text = f.read()
        with open(conf2, "w") as f:
            f.write(text.replace("socket = " + self.sock, "socket = " + sock2)
                    + extra)
        p = subprocess.Popen([LMTP, "-f", "-c", conf2], stdout=self.log,
                             stderr=self.log)
        if not wait_for(lambda: os.path.exists(sock2)):
            p.kill()
            p.wait(5)
            self.fail("second facteur-lmtp did not start: " + self.logtext())
        return p, sock2

    def test_body_has_its_own_deadline_not_the_commands(self):
        # command_timeout bounds a command line, not DATA's body (which
        # has data_timeout): with 1 s, a command trickled past it is cut
        # with a 421, a body trickled for 2.5 s is delivered.
        p, sock2 = self.other_daemon("command_timeout = 1s\n", "deadline")
        try:
            c = Client(sock2)
            c.cmd("LHLO t")
            start = time.monotonic()
            c.send("MAIL FROM:<slow@")
            self.want(c.reply(), 421, "4.4.2", "trickled command")
            self.assertLess(time.monotonic() - start, 3)
            c.close()
            before = self.box("alice")
            c = Client(sock2)
            c.cmd("LHLO t")
            self.want(c.cmd("MAIL FROM:<a@b.example>"), 250)
            self.want(c.cmd("RCPT TO:<alice@example.org>"), 250)
            self.want(c.cmd("DATA"), 354)
            body = stuff(b"Subject: slow body\n\n" + b"a line\n" * 50)
            n = len(body) // 5 + 1
            for i in range(5):
                c.send(body[i * n:(i + 1) * n])
                time.sleep(0.5)
            self.want(c.reply(), 250, "2.0.0", "trickled body")
            self.want(c.cmd("NOOP"), 250, what="next command")
            c.close()
            self.assertEqual(len(self.new_files(before, "alice")), 1)
        finally:
            p.terminate()
            p.wait(10)

    # ---- spooling (issue 13 item 5) ----

    @staticmethod
    def vm_hwm(pid):
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1]) * 1024
        raise RuntimeError("no VmHWM")

    def spool_send(self, c, rcpts, body):
        self.want(c.cmd("MAIL FROM:<big@example.net>"), 250)
        for r in rcpts:
            self.want(c.cmd("RCPT TO:<%s>" % r), 250, what=r)
        self.want(c.cmd("DATA"), 354)
        c.send(stuff(body))
        return [c.reply() for _ in rcpts]

    def assert_saved_as(self, path, body, rcpt):
        with open(path, "rb") as f:
            got = f.read()
        prefix = ("Return-Path: <big@example.net>\nDelivered-To: %s\n"
                  % rcpt).encode()
        self.assertTrue(got.startswith(prefix), got[:200])
        self.assertTrue(got[len(prefix):] == body,
                        "%s: %d bytes saved, want the %d sent, byte for "
                        "byte" % (rcpt, len(got) - len(prefix), len(body)))
        name = os.path.basename(path)
        self.assertIn(",S=%d," % len(got), name)
        self.assertIn(",W=%d" % (len(got) + got.count(b"\n")), name)

    def test_large_body_is_spooled_not_held_in_memory(self):
        # 50 MB through a daemon with spool_threshold = 1M: its peak RSS
        # (VmHWM) grows by a few MB, not by the message, and the copy is
        # byte for byte the message. Sieve still sees the header section
        # (alice's script flags "flagme"), redirect reads the spool file,
        # and nothing is left in the mail root.
        p, sock2 = self.other_daemon("max_message_size = 60M\n"
                                     "spool_threshold = 1M\n", "spool")
        try:
            c = Client(sock2)
            c.cmd("LHLO t")
            line = b"%07d " + b"x" * 68 + b"\n"
            small = b"Subject: flagme warm\n\n" + b"".join(
                line % i for i in range(30000))  # 2.3 MB: spooled too
            before = (self.box("alice", sub="cur"), self.box("erin"))
            got = self.spool_send(c, ["alice@example.org",
                                      "erin@example.org"], small)
            for r in got:
                self.want(r, 250, "2.0.0", "2 MB to two recipients")
            a = self.new_files(before[0], "alice", sub="cur")
            e = self.new_files(before[1], "erin")
            self.assertEqual((len(a), len(e)), (1, 1))
            self.assertTrue(a[0].endswith(":2,FS"), a[0])
            self.assert_saved_as(a[0], small, "alice@example.org")
            self.assert_saved_as(e[0], small, "erin@example.org")
            sent = set(os.listdir(self.sent))
            redir = small.replace(b"flagme warm", b"redirectme", 1)
            self.want(self.spool_send(c, ["alice@example.org"], redir)[0],
                      250)
            msgs = [n for n in set(os.listdir(self.sent)) - sent
                    if n.endswith(".msg")]
            self.assertEqual(len(msgs), 1)
            with open(os.path.join(self.sent, msgs[0]), "rb") as f:
                self.assertTrue(f.read() == redir, "redirect: not the "
                                "message byte for byte")
            big = b"Subject: fifty\n\n" + b"".join(
                line % i for i in range(50 * 1024 * 1024 // len(line % 0)))
            hwm0 = self.vm_hwm(p.pid)
            before = self.box("alice")
            start = time.monotonic()
            self.want(self.spool_send(c, ["alice@example.org"], big)[0],
                      250, "2.0.0", "50 MB")
            took = time.monotonic() - start
            growth = self.vm_hwm(p.pid) - hwm0
            print("\n  50 MB message: VmHWM %.1f MB -> +%.2f MB, %.2f s"
                  % (hwm0 / 1e6, growth / 1e6, took), file=sys.stderr)
            self.assertLess(growth, 6 * 1024 * 1024,
                            "peak RSS grew by %d bytes for a %d-byte "
                            "message" % (growth, len(big)))
            new = self.new_files(before, "alice")
            self.assertEqual(len(new), 1)
            self.assert_saved_as(new[0], big, "alice@example.org")
            os.unlink(new[0])
            c.close()
            left = [n for n in os.listdir(self.root) if "spool" in n]
            self.assertEqual(left, [])
        finally:
            p.terminate()
            p.wait(10)

    def test_zz_clean_exit_without_sanitizer_reports(self):
        # an idle session is told and closed at once, not waited for
        start = time.monotonic()
        self.proc.terminate()
        self.want(self.c.reply(), 421, "4.3.2")
        self.assertEqual(self.proc.wait(15), 0)
        self.assertLess(time.monotonic() - start, 5)
        self.c.close()
        log = self.logtext()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error"):
            self.assertNotIn(bad, log)
        self.__class__.proc = subprocess.Popen(
            [LMTP, "-f", "-c", self.conf], stdout=self.log, stderr=self.log)
        self.assertTrue(wait_for(lambda: os.path.exists(self.sock)))
        self.c = Client(self.sock)

    def db_fds(self):
        """How many of the daemon's descriptors are the database file."""
        d, want, n = "/proc/%d/fd" % self.proc.pid, os.path.realpath(
            self.db), 0
        for fd in os.listdir(d):
            try:
                n += os.readlink(os.path.join(d, fd)) == want
            except OSError:
                pass
        return n

    def test_sessions_reuse_a_store_that_sees_new_users(self):
        # Postfix opens an LMTP connection per message when idle: a
        # session's store goes back to a pool for the next one, not
        # closed (opening one cost ~0.3 ms, bench/stack).
        self.want(self.c.cmd("MAIL FROM:<s@example.net>"), 250)
        self.want(self.c.cmd("RCPT TO:<alice@example.org>"), 250)
        self.want(self.c.cmd("QUIT"), 221)
        # EOF: the session is over (its store is handled before the
        # connection is closed)
        self.assertEqual(self.c.s.recv(1), b"")
        self.c.close()
        if "://" not in self.db:
            self.assertGreaterEqual(self.db_fds(), 1, "the database was "
                                    "closed when the session ended")
        # ... and a store given back sees a user added since.
        self.admin("user", "add", "hana@example.org", "--password-stdin",
                   stdin="secret-hana\n")
        self.c = Client(self.sock)
        self.want(self.c.cmd("LHLO client.test"), 250)
        self.want(self.c.cmd("MAIL FROM:<s@example.net>"), 250)
        self.want(self.c.cmd("RCPT TO:<hana@example.org>"), 250,
                  what="a user added after the store was opened")

    def test_lhlo_advertises_extensions(self):
        code, text = self.c.cmd("LHLO again.test")
        self.assertEqual(code, 250)
        for ext in ("PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME",
                    "SIZE 65536", "SMTPUTF8"):
            self.assertIn(ext, text.split("\n"), "got %r, want %s" %
                          (text, ext))

    def test_each_recipient_gets_its_own_code(self):
        self.want(self.c.cmd("MAIL FROM:<s@example.net>"), 250)
        self.want(self.c.cmd("RCPT TO:<alice@example.org>"), 250, "2.1.5")
        self.want(self.c.cmd("RCPT TO:<nobody@example.org>"), 550, "5.1.1")
        self.want(self.c.cmd("RCPT TO:<carol@example.org>"), 550, "5.2.1")
        self.want(self.c.cmd("RCPT TO:<bob@example.org>"), 552, "5.2.2")
        self.want(self.c.cmd("RCPT TO:<x@unknown.example>"), 550, "5.1.1")
        self.want(self.c.cmd("RCPT TO:<erin@example.org>"), 250)
        self.want(self.c.cmd("DATA"), 354)
        self.c.send(stuff(b"Subject: two\n\nhello\n"))
        r1, r2 = self.c.reply(), self.c.reply()
        self.want(r1, 250, "2.0.0", "alice")
        self.assertIn("alice@example.org", r1[1])
        self.want(r2, 250, "2.0.0", "erin")
        self.assertIn("erin@example.org", r2[1])
        self.want(self.c.cmd("NOOP"), 250)

    def test_message_count_quota_refuses_at_rcpt(self):
        for i in range(2):
            self.assertEqual(self.deliver(["frank@example.org"],
                                          b"Subject: q\n\nx\n")[0][0], 250)
        self.want(self.c.cmd("MAIL FROM:<s@example.net>"), 250)
        self.want(self.c.cmd("RCPT TO:<frank@example.org>"), 552, "5.2.2")
        with open(os.path.join(self.root, "example.org", "frank",
                               "maildirsize")) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "2C", "got %r" % lines)
        total = sum(int(l.split()[1]) for l in lines[1:])
        self.assertEqual(total, 2, "got %r, want 2 messages" % lines)

    def test_pipelined_commands_get_replies_in_order(self):
        self.c.send("RSET\r\nMAIL FROM:<p@example.net>\r\n"
                    "RCPT TO:<alice@example.org>\r\n"
                    "RCPT TO:<nobody@example.org>\r\nDATA\r\n")
        codes = [self.c.reply()[0] for _ in range(5)]
        self.assertEqual(codes, [250, 250, 250, 550, 354])
        self.c.send(stuff(b"Subject: piped\n\nx\n") + b"NOOP\r\n")
        self.assertEqual(self.c.reply()[0], 250)
        self.assertEqual(self.c.reply()[0], 250)

    def test_dot_stuffing_is_undone_byte_exact(self):
        body = (b"Subject: dots\nX-Test: 1\n\n.\n..\n.leading\nmiddle.\n"
                b"\xc3\xa9t\xc3\xa9 8bit\n")
        before = self.box("alice")
        self.assertEqual(self.deliver(["alice@example.org"], body)[0][0],
                         250)
        files = self.new_files(before, "alice")
        self.assertEqual(len(files), 1)
        with open(files[0], "rb") as f:
            data = f.read()
        prefix = (b"Return-Path: <sender@example.net>\n"
                  b"Delivered-To: alice@example.org\n")
        self.assertEqual(data, prefix + body)
        name = os.path.basename(files[0])
        want = ",S=%d,W=%d" % (len(data), len(data) + data.count(b"\n"))
        self.assertTrue(name.endswith(want), "got %s, want *%s" %
                        (name, want))
        self.assertIn(".mx.test,", name)
        self.assertEqual(self.box("alice", sub="tmp"), [])

    def test_bare_lf_is_tolerated(self):
        before = self.box("alice")
        self.want(self.c.cmd("MAIL FROM:<>"), 250)
        self.want(self.c.cmd("RCPT TO:<alice@example.org>"), 250)
        self.want(self.c.cmd("DATA"), 354)
        self.c.send(b"Subject: lf\n\nline one\n..two\n.\n")
        self.want(self.c.reply(), 250)
        files = self.new_files(before, "alice")
        with open(files[0], "rb") as f:
            self.assertTrue(f.read().endswith(
                b"<>\nDelivered-To: alice@example.org\n"
                b"Subject: lf\n\nline one\n.two\n"))

    def test_oversize_message_is_refused_for_each_recipient(self):
        self.want(self.c.cmd("MAIL FROM:<s@example.net> SIZE=100000"), 552,
                  "5.3.4")
        before = self.box("alice")
        replies = self.deliver(["alice@example.org", "erin@example.org"],
                               b"Subject: big\n\n" + b"x" * 70 * 1024 + b"\n")
        for r in replies:
            self.want(r, 552, "5.3.4")
        self.assertEqual(self.new_files(before, "alice"), [])

    def test_malformed_commands_get_the_right_code(self):
        cases = [("FOO", 500, "5.5.1"), ("HELO x", 500, "5.5.1"),
                 ("RCPT TO:<alice@example.org>", 503, "5.5.1"),
                 ("DATA", 503, "5.5.1"),
                 ("MAIL FROM:<broken", 501, "5.1.7"),
                 ("MAIL FROM:<a@b.example> RET=FULL", 555, "5.5.4"),
                 ("NOOP " + "x" * 3000, 500, "5.5.2"),
                 ("BDAT 10 LAST", 502, "5.5.1"),
                 ("VRFY alice", 252, None)]
        for line, code, enh in cases:
            self.want(self.c.cmd(line), code, enh, line[:30])
        self.want(self.c.cmd("MAIL FROM:<a@b.example>"), 250)
        self.want(self.c.cmd("MAIL FROM:<a@b.example>"), 503, "5.5.1")
        self.want(self.c.cmd("RCPT TO:<alice@exa mple.org>"), 501, "5.1.3")
        self.want(self.c.cmd("DATA"), 503, "5.5.1")
        self.want(self.c.cmd("RSET"), 250)
        self.want(self.c.cmd("QUIT"), 221)

    def test_path_traversal_recipients_are_refused(self):
        self.want(self.c.cmd("MAIL FROM:<a@b.example>"), 250)
        for rcpt in ("a/b@example.org", '"../../etc"@example.org',
                     '"al\\/ice"@example.org'):
            self.want(self.c.cmd("RCPT TO:<%s>" % rcpt), 550, "5.1.3", rcpt)
        self.want(self.c.cmd("RCPT TO:<..@example.org>"), 501, "5.1.3")
        self.assertIn("unsafe local part", self.logtext())
        self.assertFalse(os.path.exists(os.path.join(self.dir, "etc")))

    def test_disconnect_mid_data_leaves_nothing(self):
        before = (self.box("alice"), self.box("alice", sub="tmp"),
                  self.box("alice", sub="cur"))
        self.want(self.c.cmd("MAIL FROM:<a@b.example>"), 250)
        self.want(self.c.cmd("RCPT TO:<alice@example.org>"), 250)
        self.want(self.c.cmd("DATA"), 354)
        self.c.send(b"Subject: cut\r\n\r\nhalf a mess")
        self.c.close()
        self.assertTrue(wait_for(lambda: "disconnected during DATA" in
                                 self.logtext(), 5), self.logtext())
        after = (self.box("alice"), self.box("alice", sub="tmp"),
                 self.box("alice", sub="cur"))
        self.assertEqual(after, before)
        self.c = Client(self.sock)

    # ---- delivery and Sieve ----

    def test_spam_goes_to_spam_folder_and_is_subscribed(self):
        replies = self.deliver(["erin@example.org"],
                               b"Subject: buy\nX-Spam-Flag: YES\n\nspam\n")
        self.want(replies[0], 250)
        self.assertEqual(len(self.box("erin", "Spam")), 1)
        home = os.path.join(self.root, "example.org", "erin")
        self.assertTrue(os.path.exists(os.path.join(home, ".Spam",
                                                    "maildirfolder")))
        with open(os.path.join(home, "subscriptions")) as f:
            self.assertEqual(f.read(), "V\t2\n\nSpam\n")
        st = os.stat(self.box("erin", "Spam")[0])
        self.assertEqual((st.st_uid, st.st_gid), (MAIL_UID, MAIL_UID))

    def test_detail_goes_to_existing_folder_else_inbox(self):
        news, inbox = self.box("alice", "news"), self.box("alice")
        self.deliver(["alice+news@example.org"], b"Subject: n\n\nx\n")
        self.assertEqual(len(self.new_files(news, "alice", "news")), 1)
        self.deliver(["alice+nosuch@example.org"], b"Subject: n\n\nx\n")
        got = self.new_files(inbox, "alice")
        self.assertEqual(len(got), 1)
        with open(got[0], "rb") as f:
            self.assertIn(b"Delivered-To: alice+nosuch@example.org\n",
                          f.read())

    def test_sieve_flags_are_in_the_file_name(self):
        cur = self.box("alice", sub="cur")
        self.deliver(["alice@example.org"], b"Subject: please flagme\n\nx\n")
        got = self.new_files(cur, "alice", sub="cur")
        self.assertEqual(len(got), 1)
        self.assertTrue(got[0].endswith(":2,FS"), "got %s" % got[0])

    def test_syntax_error_is_logged_and_mail_kept(self):
        before = self.box("dave")
        self.want(self.deliver(["dave@example.org"],
                               b"Subject: x\n\nbody\n")[0], 250)
        self.assertEqual(len(self.new_files(before, "dave")), 1)
        self.assertRegex(self.logtext(), r"dave/\.dovecot\.sieve:2:\d+: ")

    def test_script_link_outside_home_is_ignored(self):
        self.assertIn("not a relative path inside", self.logtext() +
                      self.deliver_and_log("erin"))

    def deliver_and_log(self, user):
        self.deliver([user + "@example.org"], b"Subject: flagme\n\nx\n")
        return self.logtext()

    def sent_now(self):
        return sorted(glob.glob(os.path.join(self.sent, "*.args")))

    def test_redirect_keeps_the_envelope_sender(self):
        before = self.sent_now()
        inbox = self.box("alice")
        self.deliver(["alice@example.org"], b"Subject: redirectme\n\nx\n",
                     sender="orig@example.net")
        new = [p for p in self.sent_now() if p not in before]
        self.assertEqual(len(new), 1)
        with open(new[0]) as f:
            args = f.read().split("\n")
        self.assertEqual(args[:5], ["-i", "-f", "orig@example.net", "--",
                                    "elsewhere@example.net"])
        self.assertEqual(self.new_files(inbox, "alice"), [])

    def test_vacation_once_per_sender_never_to_lists(self):
        msg = (b"From: Bob <v@example.net>\nTo: alice@example.org\n"
               b"Subject: away?\nMessage-ID: <m1@example.net>\n\nhi\n")
        before = self.sent_now()
        self.deliver(["alice@example.org"], msg, sender="v@example.net")
        self.deliver(["alice@example.org"], msg, sender="v@example.net")
        self.deliver(["alice@example.org"], b"To: alice@example.org\n"
                     b"Subject: away\nList-Id: <l.example.net>\n\nx\n",
                     sender="list@example.net")
        self.deliver(["alice@example.org"], b"To: alice@example.org\n"
                     b"Subject: away\n\nbounce\n", sender="")
        self.deliver(["alice@example.org"], b"To: other@example.org\n"
                     b"Subject: away\n\nbcc\n", sender="w@example.net")
        new = [p for p in self.sent_now() if p not in before]
        self.assertEqual(len(new), 1, "got %d replies, want 1" % len(new))
        with open(new[0]) as f:
            self.assertEqual(f.read().split("\n")[:5],
                             ["-i", "-f", "<>", "--", "v@example.net"])
        with open(new[0][:-5] + ".msg", "rb") as f:
            reply = f.read()
        for h in (b"Auto-Submitted: auto-replied", b"To: <v@example.net>",
                  b"Subject: Out of office", b"In-Reply-To: <m1@example.net>",
                  b"From: alice@example.org"):
            self.assertIn(h, reply)
        n = db_sql(self.db, "SELECT count(*) FROM vacation_sent")
        self.assertEqual(int(n), 1)


def main():
    global LMTP, FACTEUR, SRC
    LMTP, FACTEUR, SRC = sys.argv[1:4]
    unittest.main(argv=[sys.argv[0], "-v"] + sys.argv[4:])


if __name__ == "__main__":
    main()
