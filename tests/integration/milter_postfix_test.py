"""milter_postfix_test - a real Postfix runs facteur-example through
smtpd_milters: a message arrives with the X-Facteur-Example header the
milter added, the configured reject_sender gets the configured reply, and a
milter that is down makes Postfix tempfail (milter_default_action), never
accept.

Usage: milter_postfix_test.py FACTEUR_EXAMPLE   (as root)
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402
import harness  # noqa: E402

EXE = None
BLOCKED = "blocked@evil.example"
REJECT_TEXT = "Vous ne passerez pas"


class ExampleMilter(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("mlt")
        try:
            tmp = cls.tmp.path
            cls.sock = os.path.join(tmp, "example.sock")
            cls.conf = fixtures.write_conf(os.path.join(tmp, "facteur.conf"),
                                           {"example": {
                                               "socket": "unix:" + cls.sock,
                                               # smtpd (user postfix)
                                               # connects; others may not
                                               "socket_mode": "0660",
                                               "user": "nobody",
                                               "group": "postfix",
                                               "hostname": "milter.test",
                                               "reject_sender": BLOCKED,
                                               "reject_code": "554",
                                               "reject_xcode": "5.7.1",
                                               "reject_text": REJECT_TEXT,
                                           }})
            cls.start_milter()
            cls.pf = harness.Postfix(tmp, main_cf_extra={
                "virtual_mailbox_domains": "example.org",
                "virtual_mailbox_maps": "inline:{alice@example.org="
                                        "example.org/alice/, bob@example.org"
                                        "=example.org/bob/}",
                "smtpd_milters": "unix:" + cls.sock,
                "milter_default_action": "tempfail",
            })
        except Exception:
            cls.tearDownClass(failed=True)
            raise

    @classmethod
    def start_milter(cls):
        cls.milter = fixtures.start_milter(EXE["facteur_example"], cls.conf,
                                           cls.tmp.path, cls.sock,
                                           "facteur-example")

    @classmethod
    def tearDownClass(cls, failed=False):
        for name in ("pf", "milter"):
            obj = getattr(cls, name, None)
            if obj is not None:
                obj.close()
        san = cls.milter.sanitizer_report() if getattr(
            cls, "milter", None) is not None else ""
        if failed or san:
            if getattr(cls, "milter", None) is not None:
                print(cls.milter.log(), file=sys.stderr)
            cls.tmp.keep = True
        cls.tmp.close()
        if san:
            raise AssertionError("facteur-example sanitizer report: got\n%s"
                                 "\nwant none" % san)

    def test_delivered_message_carries_the_milter_header(self):
        msg = harness.make_message("friend@example.net", "alice@example.org",
                                   subject="milter header",
                                   body="line one\nline two\n")
        res = self.pf.send("friend@example.net", ["alice@example.org",
                           "bob@example.org"], msg)
        self.assertEqual(res["data"][0], 250, "DATA: got %r, want 250" %
                         (res,))
        paths = self.pf.wait_for_delivery(1, mailbox="example.org/alice/")
        m = [harness.read_message(p) for p in paths]
        m = [x for x in m if x["Subject"] == "milter header"]
        self.assertEqual(len(m), 1, "alice's copies: got %d, want 1"
                         % len(m))
        got = m[0]["X-Facteur-Example"]
        self.assertIsNotNone(got, "X-Facteur-Example: got none, want one;"
                             " headers: %r" % (m[0].keys(),))
        want = r"^seen by milter\.test; rcpts=2; body=\d+ bytes$"
        self.assertRegex(str(got), want, "X-Facteur-Example: got %r" % got)

    def test_reject_sender_gets_the_configured_reply(self):
        res = self.pf.send(BLOCKED, ["alice@example.org"],
                           harness.make_message(BLOCKED,
                                                "alice@example.org"))
        code, text = res["mail"]
        self.assertEqual(code, 554, "MAIL FROM: got %d %s, want 554" %
                         (code, text))
        self.assertEqual(text, "5.7.1 " + REJECT_TEXT,
                         "MAIL FROM text: got %r, want %r" %
                         (text, "5.7.1 " + REJECT_TEXT))
        self.pf.wait_for_log(r"milter-reject: MAIL from .*554 5\.7\.1 " +
                             re.escape(REJECT_TEXT))

    def test_milter_down_means_tempfail_not_accept(self):
        type(self).milter.close()
        try:
            res = self.pf.send("friend@example.net", ["alice@example.org"],
                               harness.make_message("friend@example.net",
                                                    "alice@example.org",
                                                    subject="milter down"))
            codes = [res["mail"][0]] + [c for c, _ in res["rcpt"].values()]
            if res["data"] is not None:
                codes.append(res["data"][0])
            self.assertTrue(any(400 <= c < 500 for c in codes),
                            "milter down: got %r, want a 4xx" % (res,))
            self.assertFalse(res["data"] is not None and
                             res["data"][0] == 250,
                             "milter down: message accepted: %r" % (res,))
        finally:
            type(self).start_milter()


if __name__ == "__main__":
    EXE = fixtures.exe_args(sys.argv, ["facteur_example"])
    unittest.main(argv=sys.argv[:1], verbosity=2)
