#!/usr/bin/python3
"""e2e_test - real Postfix -> facteur-lmtp -> real Dovecot IMAP.

A private Postfix relays mail for example.org over
virtual_transport = lmtp:unix:<socket> to facteur-lmtp; a private Dovecot
(passdb/userdb from config-templates/dovecot/dovecot-sql.conf.ext over the
same database, quota = maildir) serves the same Maildirs over IMAP. The
test reads everything back through IMAP and doveadm: messages byte-exact
with exact sizes, the Spam folder of the global Sieve script, +detail,
flags set by the user's script, the quota Dovecot computes, and Postfix
retrying while facteur-lmtp is down (the message arrives exactly once).

Usage: e2e_test.py FACTEUR-LMTP FACTEUR   (as root)
"""
import imaplib
import os
import re
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402

EXE = None


def msg(subject, body="Bonjour.\r\n", extra=""):
    return ("From: Sender <sender@example.net>\r\n"
            "To: alice@example.org\r\n"
            "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
            "Message-ID: <%s@example.net>\r\n"
            "Subject: %s\r\n%s"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n%s" % (
                re.sub(r"\W", "", subject), subject, extra, body)).encode()


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("lmtp-e2e")
        cls.lmtp = cls.pf = cls.dc = None
        try:
            cls._setup(cls.tmp.path)
        except Exception:
            cls.tearDownClass(failed=True)
            raise

    @classmethod
    def _setup(cls, tmp):
        uid, gid = harness.user_ids(harness.DEFAULT_MAIL_USER)
        dbdir = os.path.join(tmp, "db")
        os.mkdir(dbdir)
        cls.db = db = os.path.join(dbdir, "facteur.sqlite")
        cls.sock = os.path.join(tmp, "facteur-lmtp.sock")
        cls.pf = harness.Postfix(os.path.join(tmp, "pf"), start=False,
                                 main_cf_extra={
            "virtual_mailbox_domains": "example.org",
            "virtual_mailbox_maps": "inline:{alice@example.org=x, "
                                    "bob@example.org=x}",
            "virtual_transport": "lmtp:unix:" + cls.sock,
            "recipient_delimiter": "+",
        })
        cls.root = cls.pf.mail_dir
        conf = fixtures.write_conf(os.path.join(tmp, "facteur.conf"), {
            "database": {"path": db},
            "admin": {"mail_root": cls.root},
            "lmtp": {"mail_root": cls.root, "socket": cls.sock,
                     "socket_group": "postfix", "user": str(uid),
                     "group": str(gid), "hostname": "mx.facteur.test",
                     "sieve_before": os.path.join(
                         fixtures.TEMPLATES, "sieve", "before.sieve")},
        })
        cls.conf = conf
        admin = fixtures.Admin(EXE["facteur"], conf, db)
        admin("db", "init")
        admin("domain", "add", "example.org")
        admin.add_user("alice@example.org", "alice-pw")
        admin.add_user("bob@example.org", "bob-pw")
        admin("user", "quota", "alice@example.org", "10M")
        for p in [dbdir] + [os.path.join(dbdir, f)
                            for f in os.listdir(dbdir)]:
            os.chown(p, uid, gid)
        # alice: a "news" folder and a Roundcube-style script
        home = os.path.join(cls.root, "example.org", "alice")
        os.makedirs(os.path.join(home, "sieve"))
        with open(os.path.join(home, "sieve", "rc.sieve"), "w") as f:
            f.write('require ["imap4flags"];\n'
                    'if header :contains "subject" "urgent" {\n'
                    '  setflag "\\\\Flagged";\n}\n')
        os.symlink("sieve/rc.sieve", os.path.join(home, ".dovecot.sieve"))
        for base, dirs, files in os.walk(os.path.join(cls.root,
                                                      "example.org")):
            for n in dirs + files + [""]:
                os.lchown(os.path.join(base, n), uid, gid)
        passdb, userdb = fixtures.dovecot_sql_blocks(
            os.path.join(tmp, "dovecot-sql.conf.ext"), db, cls.root,
            uid, gid)
        cls.dc = harness.Dovecot(
            os.path.join(tmp, "dc"), passdb=passdb, userdb=userdb,
            mail_root=cls.root, mail_location="maildir:~/",
            conf_extra="mail_plugins = $mail_plugins quota\n"
                       "plugin {\n  quota = maildir:User quota\n}\n")
        cls.dc.doveadm("mailbox", "create", "-u", "alice@example.org",
                       "news")
        cls.start_lmtp()
        cls.pf.start()

    @classmethod
    def start_lmtp(cls):
        cls.lmtp = harness.Daemon(
            [EXE["facteur-lmtp"], "-f", "-c", cls.conf], "facteur-lmtp",
            cls.tmp.path, ready=lambda: harness.unix_socket_open(cls.sock))

    @classmethod
    def tearDownClass(cls, failed=False):
        for d in (cls.pf, cls.lmtp, cls.dc):
            if d is not None:
                if failed:
                    print(d.log()[-3000:], file=sys.stderr)
                d.close()
        if failed:
            cls.tmp.keep = True
        cls.tmp.close()

    def imap(self):
        m = imaplib.IMAP4(self.dc.host, self.dc.port, timeout=20)
        m.login("alice@example.org", "alice-pw")
        return m

    def send(self, data, rcpt="alice@example.org"):
        r = self.pf.send("sender@example.net", [rcpt], data)
        self.assertEqual(r["data"][0], 250, "got %r" % (r,))

    def fetch_all(self, m, box):
        typ, _ = m.select('"%s"' % box)
        self.assertEqual(typ, "OK", "select %s" % box)
        typ, data = m.fetch("1:*", "(FLAGS RFC822.SIZE BODY.PEEK[])")
        out = []
        for item in data:
            if isinstance(item, tuple):
                meta = item[0].decode()
                size = int(re.search(r"RFC822\.SIZE (\d+)", meta).group(1))
                flags = re.search(r"FLAGS \(([^)]*)\)", meta).group(1)
                out.append((item[1], size, flags))
        return out

    def files(self, user="alice"):
        """Messages in new/ and cur/ of every folder of user (harness's
        deliveries() globs, which skips the hidden Maildir++ folders)."""
        out = []
        home = os.path.join(self.root, "example.org", user)
        for base, dirs, names in os.walk(home):
            if os.path.basename(base) in ("new", "cur"):
                out += [os.path.join(base, n) for n in names]
        return out

    def wait_count(self, n):
        harness.wait_for(lambda: len(self.files()) >= n, 30,
                         what="%d deliveries" % n)

    def test_1_mail_arrives_byte_exact_with_folders_and_flags(self):
        plain = msg("plain", "ligne 1\r\n.point\r\n..deux\r\n"
                    "\xe9t\xe9\r\n")
        spam = msg("buy now", extra="X-Spam-Flag: YES\r\n")
        urgent = msg("urgent please")
        news = msg("newsletter")
        self.send(plain)
        self.send(spam)
        self.send(urgent)
        self.send(news, "alice+news@example.org")
        self.wait_count(4)
        m = self.imap()
        try:
            inbox = self.fetch_all(m, "INBOX")
            spamb = self.fetch_all(m, "Spam")
            newsb = self.fetch_all(m, "news")
            typ, lsub = m.lsub()
        finally:
            m.logout()
        self.assertEqual(len(inbox), 2, "INBOX: got %d, want 2" % len(inbox))
        self.assertEqual(len(spamb), 1)
        self.assertEqual(len(newsb), 1)
        for data, size, _ in inbox + spamb + newsb:
            self.assertEqual(len(data), size, "RFC822.SIZE %d, fetched %d" %
                             (size, len(data)))
            self.assertTrue(data.startswith(b"Return-Path: "
                                            b"<sender@example.net>\r\n"
                                            b"Delivered-To: "), data[:80])
        bodies = {d[0].split(b"\r\n\r\n", 1)[1]: d for d in inbox}
        self.assertTrue(any(d[0].endswith(plain) for d in inbox),
                        "plain message not byte-exact: %r" % list(bodies))
        self.assertTrue(spamb[0][0].endswith(spam))
        self.assertTrue(newsb[0][0].endswith(news))
        self.assertIn(b"Delivered-To: alice+news@example.org", newsb[0][0])
        flagged = [d for d in inbox if d[0].endswith(urgent)]
        self.assertEqual(len(flagged), 1)
        self.assertIn("\\Flagged", flagged[0][2])
        self.assertTrue(any(b'"Spam"' in l or b" Spam" in l for l in lsub),
                        "LSUB: got %r, want Spam" % lsub)

    def test_2_doveadm_quota_agrees_with_maildirsize(self):
        self.wait_count(4)
        home = os.path.join(self.root, "example.org", "alice")
        with open(os.path.join(home, "maildirsize")) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "10485760S")
        used = [sum(int(l.split()[i]) for l in lines[1:]) for i in (0, 1)]
        files = self.files()
        self.assertEqual(used[1], len(files))
        self.assertEqual(used[0], sum(os.path.getsize(p) for p in files))
        out = self.dc.doveadm("quota", "get", "-u",
                              "alice@example.org").stdout
        got = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 4 and f[2] in ("STORAGE", "MESSAGE"):
                got[f[2]] = (int(f[3]), f[4])
        # doveadm shows kilobytes, rounded up
        self.assertEqual(got.get("STORAGE"), ((used[0] + 1023) // 1024,
                                              "10240"),
                         "doveadm: %s; maildirsize %r" % (out, used))
        self.assertEqual(got.get("MESSAGE", (0,))[0], used[1],
                         "doveadm: %s" % out)
        # and Dovecot found nothing to correct in the file
        with open(os.path.join(home, "maildirsize")) as f:
            again = f.read().splitlines()
        self.assertEqual([sum(int(l.split()[i]) for l in again[1:])
                          for i in (0, 1)], used)

    def test_3_postfix_retries_while_lmtp_is_down(self):
        self.lmtp.close()
        self.assertEqual(self.lmtp.sanitizer_report(), "")
        before = len(self.files())
        self.send(msg("while down"))
        self.pf.wait_for_log(r"status=deferred")
        self.assertEqual(len(self.files()), before)
        self.__class__.start_lmtp()
        self.pf.flush()
        self.wait_count(before + 1)
        time.sleep(2)
        want = msg("while down").replace(b"\r\n", b"\n")
        found = []
        for p in self.files():
            with open(p, "rb") as f:
                if f.read().endswith(want):
                    found.append(p)
        self.assertEqual(len(found), 1, "got %d copies" % len(found))

    def test_4_sigkill_mid_data_leaves_nothing(self):
        home = os.path.join(self.root, "example.org", "bob")
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(self.sock)
        f = s.makefile("rwb")

        def cmd(line):
            f.write(line + b"\r\n")
            f.flush()
            rep = f.readline()
            while rep[3:4] == b"-":
                rep = f.readline()
            return int(rep[:3])

        self.assertEqual(int(f.readline()[:3]), 220)
        self.assertEqual(cmd(b"LHLO t"), 250)
        self.assertEqual(cmd(b"MAIL FROM:<x@example.net>"), 250)
        self.assertEqual(cmd(b"RCPT TO:<bob@example.org>"), 250)
        self.assertEqual(cmd(b"DATA"), 354)
        f.write(b"Subject: killed\r\n\r\n" + b"x" * 50000)
        f.flush()
        os.kill(self.lmtp.proc.pid, signal.SIGKILL)
        self.lmtp.close()
        s.close()
        for sub in ("new", "cur", "tmp"):
            d = os.path.join(home, sub)
            self.assertEqual(os.listdir(d) if os.path.isdir(d) else [], [],
                             sub)
        self.__class__.start_lmtp()


def main():
    global EXE
    EXE = fixtures.exe_args(sys.argv, ["facteur-lmtp", "facteur"])
    unittest.main(argv=[sys.argv[0], "-v"])


if __name__ == "__main__":
    main()
