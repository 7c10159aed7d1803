"""spam_postfix_test - a real Postfix on loopback runs facteur-spam through
smtpd_milters, with the shipped rules (Bayes off):

  - GTUBE is flagged: delivered with X-Spam-Flag: YES, X-Spam-Status
    "Yes, score=1000.0 ... tests=GTUBE", and a forged incoming
    X-Spam-Flag: NO is gone;
  - with rewrite_subject, its Subject starts with the tag;
  - with reject_score (a second smtpd on another port, its own milter),
    GTUBE is refused 550 5.7.1 at end of data and nothing is delivered;
  - a ham message passes with X-Spam-Flag: NO and its Subject unchanged.

Postfix's client is 127.0.0.1, so internal_hosts is emptied (the default
skips loopback).

Usage: spam_postfix_test.py FACTEUR_SPAM RULES_DIR   (as root)
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402

EXE = None
RULES = None
GTUBE = ("XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL"
         "*C.34X")
TAG = "[SPAM]"
FRIEND = "friend@example.net"
ALICE = "alice@example.org"
HAM_BODY = ("Hi Alice,\n\nthe minutes of Tuesday's meeting are below; "
            "we agreed to move the\nrelease to the 14th and to review "
            "the test plan on Monday.\n\nSee you then,\nBob\n")


def spam_section(sock, **extra):
    # smtpd (user postfix) connects to the 0660 socket of group postfix.
    sec = {"socket": "unix:" + sock, "socket_mode": "0660",
           "user": "nobody", "group": "postfix", "rules_path": RULES,
           "bayes_path": "", "internal_hosts": "", "cache_dir": ""}
    sec.update(extra)
    return sec


class SpamPostfix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("sppf")
        cls.milters = []
        cls.pf = None
        try:
            tmp = cls.tmp.path
            flag_sock = os.path.join(tmp, "flag.sock")
            rej_sock = os.path.join(tmp, "reject.sock")
            flag_conf = fixtures.write_conf(
                os.path.join(tmp, "flag.conf"), {"spam": spam_section(
                    flag_sock, rewrite_subject="yes", subject_tag=TAG,
                    add_report="yes")})
            rej_conf = fixtures.write_conf(
                os.path.join(tmp, "reject.conf"), {"spam": spam_section(
                    rej_sock, reject_score="20")})
            for conf, sock, name in ((flag_conf, flag_sock, "spam-flag"),
                                     (rej_conf, rej_sock, "spam-reject")):
                cls.milters.append(fixtures.start_milter(
                    EXE["facteur_spam"], conf, tmp, sock, name))
            cls.rej_port = harness.free_port()
            cls.pf = harness.Postfix(tmp, main_cf_extra={
                "virtual_mailbox_domains": "example.org",
                "virtual_mailbox_maps": "inline:{%s=example.org/alice/}"
                                        % ALICE,
                "smtpd_milters": "unix:" + flag_sock,
                "milter_default_action": "tempfail",
            }, master_cf_extra="127.0.0.1:%d inet n - n - - smtpd\n"
                               "  -o smtpd_milters=unix:%s\n"
                               % (cls.rej_port, rej_sock))
            harness.wait_for(lambda: harness.port_open(cls.rej_port), 30,
                             what="second smtpd on %d" % cls.rej_port)
        except Exception:
            cls.tearDownClass(failed=True)
            raise

    @classmethod
    def tearDownClass(cls, failed=False):
        if cls.pf is not None:
            cls.pf.close()
        san = ""
        for m in cls.milters:
            m.close()
            san += m.sanitizer_report()
        if failed or san:
            for m in cls.milters:
                print(m.log(), file=sys.stderr)
            cls.tmp.keep = True
        cls.tmp.close()
        if san:
            raise AssertionError("facteur-spam sanitizer report: got\n%s\n"
                                 "want none" % san)

    def deliver(self, subject, body, headers=None):
        """Sends through the flagging smtpd; returns the delivered copy."""
        msg = harness.make_message(FRIEND, ALICE, subject=subject, body=body,
                                   headers=headers)
        res = self.pf.send(FRIEND, [ALICE], msg)
        self.assertEqual(res["data"][0], 250, "DATA: got %r, want 250"
                         % (res,))
        got = []

        def find():
            for p in self.pf.deliveries(mailbox="example.org/alice/"):
                m = harness.read_message(p)
                if subject in str(m["Subject"]):
                    got.append(m)
                    return True
            return False
        harness.wait_for(find, 30, what="delivery of %r" % subject)
        return got[0]

    def test_gtube_is_flagged_and_incoming_flag_removed(self):
        m = self.deliver("gtube flagged", "Test:\n%s\n" % GTUBE,
                         headers={"X-Spam-Flag": "NO"})
        flags = m.get_all("X-Spam-Flag") or []
        self.assertEqual(flags, ["YES"], "X-Spam-Flag: got %r, want only "
                         "['YES'] (the forged NO removed)" % (flags,))
        status = re.sub(r"\s+", " ", str(m["X-Spam-Status"]))
        self.assertRegex(status, r"^Yes, score=100\d\.\d required=5\.0 "
                         r"tests=(\S+,)?GTUBE\b", "X-Spam-Status: got %r"
                         % status)
        level = str(m["X-Spam-Level"])
        self.assertEqual(level, "*" * 50, "X-Spam-Level: got %r, want 50 "
                         "stars" % level)
        self.assertIn("GTUBE", str(m["X-Spam-Report"]),
                      "X-Spam-Report: got %r, want GTUBE listed"
                      % m["X-Spam-Report"])

    def test_subject_of_spam_is_rewritten(self):
        m = self.deliver("rewrite me", "%s\n" % GTUBE)
        subj = str(m["Subject"])
        self.assertEqual(subj, TAG + " rewrite me", "Subject: got %r, want "
                         "%r" % (subj, TAG + " rewrite me"))
        self.assertEqual(len(m.get_all("Subject")), 1,
                         "Subject fields: got %r, want one"
                         % m.get_all("Subject"))

    def test_gtube_over_reject_score_is_refused_550_at_data(self):
        subject = "gtube rejected"
        msg = harness.make_message(FRIEND, ALICE, subject=subject,
                                   body="%s\n" % GTUBE)
        res = harness.smtp_try("127.0.0.1", self.rej_port, FRIEND, [ALICE],
                               msg)
        self.assertEqual(res["mail"][0], 250, "MAIL: got %r" % (res,))
        self.assertIsNotNone(res["data"], "DATA: got no reply: %r" % (res,))
        code, text = res["data"]
        self.assertEqual(code, 550, "DATA: got %d %s, want 550" % (code,
                                                                  text))
        self.assertRegex(text, r"^5\.7\.1 Message rejected as spam "
                         r"\(score 100\d\.\d\)$", "DATA text: got %r" % text)
        self.pf.wait_for_log(r"milter-reject: END-OF-MESSAGE .*5\.7\.1 "
                             r"Message rejected as spam")
        for p in self.pf.deliveries(mailbox="example.org/alice/"):
            self.assertNotIn(subject, str(harness.read_message(p)["Subject"]),
                             "rejected message was delivered: %s" % p)

    def test_ham_passes_with_flag_no(self):
        subject = "minutes of tuesday"
        m = self.deliver(subject, HAM_BODY)
        self.assertEqual(m.get_all("X-Spam-Flag"), ["NO"],
                         "X-Spam-Flag: got %r, want ['NO']"
                         % m.get_all("X-Spam-Flag"))
        status = re.sub(r"\s+", " ", str(m["X-Spam-Status"]))
        self.assertRegex(status, r"^No, score=-?\d+\.\d required=5\.0 ",
                         "X-Spam-Status: got %r" % status)
        self.assertEqual(str(m["Subject"]), subject, "Subject: got %r, want "
                         "it unchanged" % str(m["Subject"]))

    def test_ham_through_the_reject_port_is_accepted(self):
        msg = harness.make_message(FRIEND, ALICE, subject="ham reject port",
                                   body=HAM_BODY)
        res = harness.smtp_try("127.0.0.1", self.rej_port, FRIEND, [ALICE],
                               msg)
        self.assertEqual(res["data"][0], 250, "DATA: got %r, want 250"
                         % (res,))


if __name__ == "__main__":
    EXE = fixtures.exe_args(sys.argv, ["facteur_spam"])
    if len(sys.argv) < 3 or not os.path.isdir(sys.argv[2]):
        print("usage: spam_postfix_test.py FACTEUR_SPAM RULES_DIR")
        raise SystemExit(2)
    RULES = os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
