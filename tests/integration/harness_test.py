"""harness_test - the harness itself works: a private Postfix receives and
delivers over SMTP, and a private Dovecot authenticates from a passwd-file.

Run: /usr/bin/python3 tests/integration/harness_test.py (as root)."""

import imaplib
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class PostfixHarness(unittest.TestCase):
    def test_known_recipient_is_delivered_and_unknown_is_rejected(self):
        with harness.TmpDir("hpf") as tmp, harness.Postfix(
                tmp.path, main_cf_extra={
                    "virtual_mailbox_domains": "example.org",
                    "virtual_mailbox_maps":
                        "inline:{alice@example.org=example.org/alice/}",
                }) as pf:
            got = pf.postmap_q("alice@example.org", "inline:{"
                               "alice@example.org=example.org/alice/}")
            self.assertEqual(got, "example.org/alice/",
                             "postmap -q: got %r, want %r" %
                             (got, "example.org/alice/"))
            msg = harness.make_message("bob@example.net",
                                       "alice@example.org",
                                       subject="harness self-test")
            res = pf.send("bob@example.net",
                          ["alice@example.org", "nobody@example.org"], msg)
            code = res["rcpt"]["alice@example.org"][0]
            self.assertEqual(code, 250, "known rcpt: got %d, want 250 (%r)"
                             % (code, res))
            code, text = res["rcpt"]["nobody@example.org"]
            self.assertEqual(code, 550, "unknown rcpt: got %d %s, want 550"
                             % (code, text))
            self.assertIn("5.1.1", text, "unknown rcpt: got %r, want 5.1.1"
                          % text)
            self.assertEqual(res["data"][0], 250, "DATA: got %r, want 250"
                             % (res["data"],))
            paths = pf.wait_for_delivery(1, timeout=30,
                                         mailbox="example.org/alice/")
            m = harness.read_message(paths[0])
            self.assertEqual(m["Subject"], "harness self-test",
                             "delivered Subject: got %r, want %r" %
                             (m["Subject"], "harness self-test"))
            pf.wait_for_log(r"status=sent \(delivered to maildir\)", 10)
            master = pf.master_pid()
            self.assertIsNotNone(master, "master pid: got None, want a pid")
        self.assertFalse(harness._alive(master),
                         "after close: master %d still alive" % master)
        left = harness._pids_with_env("MAIL_CONFIG", pf.config_dir)
        left = [p for p in left if harness._alive(p)]
        self.assertEqual(left, [], "after close: got processes %r, want "
                         "none" % left)


class DovecotHarness(unittest.TestCase):
    def test_passwd_file_auth_and_imap_login(self):
        with harness.TmpDir("hdc") as tmp, harness.Dovecot(tmp.path) as dc:
            dc.add_user("alice@example.org", "s3cret")
            dc.add_user("carol@example.org", "crypt-pw",
                        scheme="SHA512-CRYPT")
            ok, out = dc.auth_test("alice@example.org", "s3cret")
            self.assertTrue(ok, "right password: got refused, want "
                            "accepted: %s" % out)
            ok, out = dc.auth_test("alice@example.org", "wrong")
            self.assertFalse(ok, "wrong password: got accepted, want "
                             "refused: %s" % out)
            ok, out = dc.auth_test("carol@example.org", "crypt-pw")
            self.assertTrue(ok, "SHA512-CRYPT: got refused, want "
                            "accepted: %s" % out)
            m = imaplib.IMAP4(dc.host, dc.port, timeout=10)
            try:
                typ, _ = m.login("alice@example.org", "s3cret")
                self.assertEqual(typ, "OK", "IMAP LOGIN: got %s, want OK"
                                 % typ)
                typ, data = m.select("INBOX")
                self.assertEqual(typ, "OK", "SELECT: got %s %r, want OK"
                                 % (typ, data))
            finally:
                m.logout()
            master = dc.master_pid()
        self.assertFalse(harness._alive(master),
                         "after close: dovecot master %d still alive"
                         % master)


class SkipFormat(unittest.TestCase):
    """The one skip .ci/run accepts: exit 77 and the line it reads."""

    def test_missing_peer_exits_77_with_the_line_ci_reads(self):
        here = os.path.dirname(os.path.abspath(__file__))
        p = subprocess.run(
            [sys.executable, "-c", "import sys; sys.path.insert(0, %r); "
             "import harness; harness.require_peers({'nosuchd': "
             "'/nonexistent/nosuchd'})" % here],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 77, p.stdout + p.stderr)
        # the pattern of .ci/run
        m = re.search(r"^SKIP: missing peer: (\S+)", p.stdout, re.M)
        self.assertIsNotNone(m, "got %r" % p.stdout)
        self.assertEqual(m.group(1), "nosuchd")


if __name__ == "__main__":
    unittest.main(verbosity=2)
