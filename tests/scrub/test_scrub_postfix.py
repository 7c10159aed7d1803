#!/usr/bin/python3
"""tests/scrub/test_scrub_postfix.py - facteur-scrub and the submission
cleanup of config-templates/postfix/ in a real Postfix, with SASL through
a real Dovecot auth socket.

An authenticated submission that carries X-Mailer, User-Agent,
X-Originating-IP, a LAN Received line and a Message-ID naming the laptop
is delivered with none of them, with the submission hop masked (present,
"by" our host, our queue id) and with no trace of the client's IP, HELO or
login anywhere in the message. The same message sent inbound on the port
25 smtpd (no AUTH, normal cleanup) keeps every header, and Postfix's own
Received line there is the usual unmasked one.

usage: test_scrub_postfix.py FACTEUR-SCRUB   (as root)
"""
import os
import re
import shutil
import smtplib
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402

EXE = None
LOGIN, PASSWORD = "sasl-login-7q", "submission pw"
HELO = "laptop-helo.lan"
EXTRA = [
    ("Received", "from laptop (laptop.lan [192.168.1.23])\r\n\tby "
     "relay.lan (Postfix) with ESMTP id 4AB9; Mon, 1 Jan 2024 10:00:00 "
     "+0100"),
    ("X-Mailer", "SecretMailer 9.1"),
    ("User-Agent", "Mozilla/5.0 SecretAgent"),
    ("X-Originating-IP", "192.0.2.7"),
]


def message(subject):
    lines = ["%s: %s" % hv for hv in EXTRA] + [
        "From: Alice <alice@example.org>", "To: <bob@example.org>",
        "Subject: %s" % subject, "Date: Mon, 1 Jan 2024 10:00:01 +0100",
        "Message-ID: <20240101.77@laptop.lan>"]
    return ("\r\n".join(lines) + "\r\n\r\nBonjour Bob.\r\n").encode()


def submission_master_cf(tmp, port, port465, auth_sock, checks):
    """config-templates/postfix/master.cf.submission for this instance:
    loopback ports, no chroot, no TLS (plaintext AUTH on loopback only),
    Dovecot's socket by absolute path, the header_checks file here."""
    shutil.copy(os.path.join(fixtures.TEMPLATES, "postfix",
                             "submission_header_checks"), checks)
    dst = os.path.join(tmp, "master.cf.submission")
    fixtures.render("postfix/master.cf.submission", dst, [
        ("submission inet n       -       y",
         "127.0.0.1:%d inet n - n" % port),
        ("smtps     inet  n       -       y",
         "127.0.0.1:%d inet n - n" % port465),
        ("smtpd_tls_wrappermode=yes", "smtpd_tls_wrappermode=no"),
        ("smtpd_tls_security_level=encrypt", "smtpd_tls_security_level=none"),
        ("smtpd_sasl_path=private/auth", "smtpd_sasl_path=" + auth_sock),
        ("subcleanup unix n       -       y", "subcleanup unix n - n"),
        ("/etc/postfix/submission_header_checks", checks),
    ])
    with open(dst) as f:
        return f.read()


class ScrubThroughPostfix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("scr")
        try:
            cls._setup(cls.tmp.path)
        except Exception:
            cls.tearDownClass(failed=True)
            raise

    @classmethod
    def _setup(cls, tmp):
        cls.sock = os.path.join(tmp, "scrub.sock")
        conf = fixtures.write_conf(os.path.join(tmp, "facteur.conf"), {
            "scrub": {"socket": "unix:" + cls.sock, "socket_mode": "0660",
                      "user": "nobody", "group": "postfix",
                      "replace_message_id": "yes"}})
        cls.milter = fixtures.start_milter(EXE["facteur_scrub"], conf, tmp,
                                           cls.sock, "facteur-scrub")
        dcdir = os.path.join(tmp, "dovecot")
        cls.dc = harness.Dovecot(dcdir, conf_extra=(
            "service auth {\n  unix_listener postfix-auth {\n"
            "    mode = 0660\n    user = postfix\n    group = postfix\n"
            "  }\n}\n"))
        cls.dc.add_user(LOGIN, PASSWORD)
        auth_sock = os.path.join(cls.dc.base_dir, "postfix-auth")
        pfdir = os.path.join(tmp, "postfix")
        os.makedirs(pfdir)
        cls.port587, port465 = harness.free_port(), harness.free_port()
        extra = submission_master_cf(tmp, cls.port587, port465, auth_sock,
                                     os.path.join(tmp, "submission_hc"))
        cls.pf = harness.Postfix(pfdir, master_cf_extra=extra,
                                 main_cf_extra={
            "virtual_mailbox_domains": "example.org",
            "virtual_mailbox_maps": "inline:{bob@example.org="
                                    "example.org/bob/}",
            "smtpd_milters": "unix:" + cls.sock,
            "milter_default_action": "tempfail",
        })

    @classmethod
    def tearDownClass(cls, failed=False):
        for name in ("pf", "dc", "milter"):
            obj = getattr(cls, name, None)
            if obj is not None:
                obj.close()
        m = getattr(cls, "milter", None)
        san = m.sanitizer_report() if m is not None else ""
        if failed or san:
            if m is not None:
                print(m.log(), file=sys.stderr)
            cls.tmp.keep = True
        cls.tmp.close()
        if san:
            raise AssertionError("facteur-scrub sanitizer report: got\n%s\n"
                                 "want none" % san)

    def delivered(self, subject):
        """The raw delivered message with that Subject (waits for it)."""
        want = ("Subject: %s\n" % subject).encode()

        def find():
            for p in self.pf.deliveries("example.org/bob/"):
                with open(p, "rb") as f:
                    raw = f.read()
                if want in raw:
                    return raw.decode("utf-8", "replace")
            return None
        try:
            return harness.wait_for(find, 30, what="delivery of %r" %
                                    subject)
        except TimeoutError as e:
            self.fail("%s\nqueue:\n%s\nmaillog:\n%s" % (
                e, self.pf.queue(), self.pf.log()[-3000:]))

    @staticmethod
    def header_block(raw):
        return raw.split("\n\n", 1)[0]

    def test_authenticated_submission_leaves_scrubbed_and_masked(self):
        subj = "submitted " + os.path.basename(self.tmp.path)
        with smtplib.SMTP("127.0.0.1", self.port587, timeout=30) as s:
            s.ehlo(HELO)
            s.login(LOGIN, PASSWORD)
            s.sendmail("alice@example.org", ["bob@example.org"],
                       message(subj))
        raw = self.delivered(subj)
        head = self.header_block(raw)
        for name in ("X-Mailer", "User-Agent", "X-Originating-IP"):
            self.assertNotRegex(head, r"(?mi)^%s:" % name,
                                "%s: got present, want removed" % name)
        for secret in ("192.168.1.23", "laptop", "192.0.2.7", "127.0.0.1",
                       LOGIN, HELO, "SecretMailer", "SecretAgent",
                       "localhost"):
            self.assertNotIn(secret, raw, "got %r in the delivered "
                             "message, want no trace" % secret)
        rec = re.findall(r"(?m)^Received:.*(?:\n[ \t].*)*", head)
        self.assertEqual(len(rec), 1, "Received lines: got %r, want only "
                         "the masked hop" % rec)
        # ESMTPA here (no TLS on the loopback test port), ESMTPSA in
        # production: the rule keeps Postfix's protocol name.
        m = re.match(r"Received: by mx\.facteur\.test \(facteur\) with "
                     r"ESMTPS?A id ([0-9A-Za-z]+); \w{3}, ", rec[0])
        self.assertIsNotNone(m, "masked hop: got %r, want 'Received: by "
                             "mx.facteur.test (facteur) with ESMTPSA id "
                             "QID; DATE'" % rec[0])
        self.pf.wait_for_log(r"%s: client=.*sasl_username=%s" % (
            m.group(1), re.escape(LOGIN)))
        self.assertRegex(head, r"(?m)^Message-ID: <[0-9a-f]{32}@example"
                         r"\.org>$", "Message-ID: got not replaced")
        self.assertRegex(self.milter.log(), r"%s: scrub: removed Received,"
                         r"X-Mailer,User-Agent,X-Originating-IP; Message-ID "
                         r"replaced" % m.group(1))

    def test_inbound_message_keeps_all_its_headers(self):
        subj = "inbound " + os.path.basename(self.tmp.path)
        res = self.pf.send("alice@example.org", ["bob@example.org"],
                           message(subj))
        self.assertEqual(res["data"][0], 250, "DATA: got %r, want 250" %
                         (res,))
        head = self.header_block(self.delivered(subj))
        for name, value in EXTRA:
            value = value.replace("\r\n", "\n")
            self.assertIn("%s: %s" % (name, value), head,
                          "inbound %s: got removed or changed, want kept"
                          % name)
        self.assertIn("Message-ID: <20240101.77@laptop.lan>", head)
        self.assertRegex(head, r"(?m)^Received: from \S+ \(localhost "
                         r"\[127\.0\.0\.1\]\)\n\tby mx\.facteur\.test "
                         r"\(Postfix\) with ESMTP id ",
                         "inbound: Postfix's own hop must stay unmasked")


if __name__ == "__main__":
    EXE = fixtures.exe_args(sys.argv, ["facteur_scrub"])
    unittest.main(argv=sys.argv[:1], verbosity=2)
