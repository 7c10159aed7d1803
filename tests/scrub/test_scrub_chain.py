#!/usr/bin/python3
"""tests/scrub/test_scrub_chain.py - the whole submission chain of issue 4
in a real Postfix: the submission service of config-templates/postfix/
master.cf.submission with

    smtpd_milters = facteur-blacklist, facteur-scrub, facteur-dkim

and SASL through a real Dovecot auth socket. An authenticated submission
that carries X-Mailer, User-Agent, X-Originating-IP, a LAN Received line
and a laptop Message-ID is delivered:

  - with no trace of the client's IP address, HELO or login anywhere, and
    the submission hop masked by subcleanup (present, not missing);
  - signed by facteur-dkim, and the signature verifies with 'facteur dkim
    verify --key-file' and with dkimpy (both offline, the key record from
    'facteur dkim keygen'): facteur-dkim saw the message as scrub left it;
  - with none of the removed headers, nor Received (Postfix hides its own
    line from milters and subcleanup rewrites it after them), in h=.

facteur-blacklist holds 127.0.0.0/8 (Postfix's client here): the message
still goes through because an authenticated client bypasses every check.

usage: test_scrub_chain.py FACTEUR-SCRUB FACTEUR-BLACKLIST FACTEUR-DKIM
                           FACTEUR   (as root)
"""
import os
import re
import smtplib
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402
import test_scrub_postfix as sp  # noqa: E402

EXE = None
SELECTOR = "ch1"
REMOVED = ("x-mailer", "user-agent", "x-originating-ip", "received")
NAMES = ("blacklist", "scrub", "dkim")


def dkim_tags(value):
    """The tag=value pairs of a DKIM-Signature value (whitespace removed)."""
    out = {}
    for part in re.sub(r"\s+", "", value).split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k] = v
    return out


class SubmissionChain(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("chain")
        cls.milters = {}
        try:
            cls._setup(cls.tmp.path)
        except Exception:
            cls.tearDownClass(failed=True)
            raise

    @classmethod
    def sock(cls, name):
        return os.path.join(cls.tmp.path, name + ".sock")

    @classmethod
    def _database(cls, tmp):
        # facteur-blacklist reads the database per message as
        # nobody:postfix, and SQLite in WAL mode creates -wal/-shm with
        # the database's owner: group postfix gets the directory and file.
        gid = harness.grp.getgrnam("postfix").gr_gid
        dbdir = os.path.join(tmp, "db")
        os.mkdir(dbdir)
        os.chown(dbdir, 0, gid)
        os.chmod(dbdir, 0o770)
        db = os.path.join(dbdir, "facteur.sqlite")
        cls.admin = fixtures.Admin(EXE["facteur"], cls.conf, db)
        cls.admin("db", "init")
        os.chown(db, 0, gid)
        os.chmod(db, 0o660)
        out = cls.admin("dkim", "keygen", "example.org", "--selector",
                        SELECTOR, "--keys-dir",
                        os.path.join(tmp, "keys")).stdout
        cls.record = "".join(re.findall(r'"([^"]*)"', out))
        cls.keyfile = os.path.join(tmp, "dkim-record.txt")
        with open(cls.keyfile, "w") as f:
            f.write(cls.record)
        cls.admin("blacklist", "sender", "add", "127.0.0.0/8", "--message",
                  "loopback is blacklisted")

    @classmethod
    def _conf(cls, tmp):
        common = {"socket_mode": "0660", "user": "nobody",
                  "group": "postfix"}
        sections = {"database": {"path": os.path.join(tmp, "db",
                                                      "facteur.sqlite")},
                    "admin": {"dkim_user": "root"}}
        extra = {
            # Postfix's client is 127.0.0.1: no internal bypass, only AUTH.
            "blacklist": {"internal_hosts": "", "dnsbl_zones": ""},
            "scrub": {"replace_message_id": "yes"},
            # sign because the client authenticated, not for loopback
            "dkim": {"internal_hosts": "10.9.9.0/24",
                     "authserv_id": "mx.facteur.test"},
        }
        for name in NAMES:
            keys = {"socket": "unix:" + cls.sock(name)}
            keys.update(common)
            keys.update(extra[name])
            sections[name] = keys
        cls.conf = fixtures.write_conf(os.path.join(tmp, "facteur.conf"),
                                       sections)

    @classmethod
    def _setup(cls, tmp):
        cls._conf(tmp)
        cls._database(tmp)
        for name in NAMES:
            cls.milters[name] = fixtures.start_milter(
                EXE["facteur_" + name], cls.conf, tmp, cls.sock(name),
                "facteur-" + name)
        cls.dc = harness.Dovecot(os.path.join(tmp, "dovecot"), conf_extra=(
            "service auth {\n  unix_listener postfix-auth {\n"
            "    mode = 0660\n    user = postfix\n    group = postfix\n"
            "  }\n}\n"))
        cls.dc.add_user(sp.LOGIN, sp.PASSWORD)
        auth_sock = os.path.join(cls.dc.base_dir, "postfix-auth")
        pfdir = os.path.join(tmp, "postfix")
        os.makedirs(pfdir)
        cls.port587, port465 = harness.free_port(), harness.free_port()
        extra = sp.submission_master_cf(tmp, cls.port587, port465, auth_sock,
                                        os.path.join(tmp, "submission_hc"))
        chain = ",".join("unix:" + cls.sock(n) for n in NAMES)
        head = "  -o syslog_name=postfix/submission\n"
        if head not in extra:
            raise ValueError("master.cf.submission: no %r" % head)
        extra = extra.replace(head, head + "  -o smtpd_milters=%s\n" % chain)
        cls.pf = harness.Postfix(pfdir, master_cf_extra=extra,
                                 main_cf_extra={
            "virtual_mailbox_domains": "example.org",
            "virtual_mailbox_maps": "inline:{bob@example.org="
                                    "example.org/bob/}",
            "milter_default_action": "tempfail",
        })

    @classmethod
    def tearDownClass(cls, failed=False):
        for name in ("pf", "dc"):
            obj = getattr(cls, name, None)
            if obj is not None:
                obj.close()
        san = ""
        for name, m in cls.milters.items():
            m.close()
            rep = m.sanitizer_report()
            if rep:
                san += "facteur-%s:\n%s\n" % (name, rep)
        if failed or san:
            for m in cls.milters.values():
                print(m.log(), file=sys.stderr)
            cls.tmp.keep = True
        cls.tmp.close()
        if san:
            raise AssertionError("sanitizer report: got\n%swant none" % san)

    def delivered(self, subject):
        """(path, raw text) of the delivered message with that Subject."""
        want = ("Subject: %s\n" % subject).encode()

        def find():
            for p in self.pf.deliveries("example.org/bob/"):
                with open(p, "rb") as f:
                    raw = f.read()
                if want in raw:
                    return p, raw.decode("utf-8", "replace")
            return None
        try:
            return harness.wait_for(find, 30, what="delivery of %r" %
                                    subject)
        except TimeoutError as e:
            self.fail("%s\nqueue:\n%s\nmaillog:\n%s" % (
                e, self.pf.queue(), self.pf.log()[-3000:]))

    def submit(self, subject):
        with smtplib.SMTP("127.0.0.1", self.port587, timeout=30) as s:
            s.ehlo(sp.HELO)
            s.login(sp.LOGIN, sp.PASSWORD)
            s.sendmail("alice@example.org", ["bob@example.org"],
                       sp.message(subject))
        return self.delivered(subject)

    def dkimpy_verify(self, raw):
        """dkimpy's verdict on raw (LF line ends, as delivered), with the
        key record served by a dnsfunc (no DNS)."""
        import dkim
        want = "%s._domainkey.example.org." % SELECTOR

        def dnsfunc(name, timeout=5):
            if isinstance(name, bytes):
                name = name.decode()
            if name.rstrip(".") + "." != want:
                return None
            return self.record.encode()
        msg = raw.encode().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        return dkim.verify(msg, dnsfunc=dnsfunc)

    def test_submission_through_the_chain_is_scrubbed_and_signed(self):
        subj = "chain " + os.path.basename(self.tmp.path)
        path, raw = self.submit(subj)
        head = raw.split("\n\n", 1)[0]
        for secret in ("192.168.1.23", "laptop", "192.0.2.7", "127.0.0.1",
                       sp.LOGIN, sp.HELO, "SecretMailer", "SecretAgent",
                       "localhost"):
            self.assertNotIn(secret, raw, "got %r in the delivered "
                             "message, want no trace" % secret)
        rec = re.findall(r"(?m)^Received:.*(?:\n[ \t].*)*", head)
        self.assertEqual(len(rec), 1, "Received lines: got %r, want only "
                         "the masked hop" % rec)
        self.assertRegex(rec[0], r"^Received: by mx\.facteur\.test "
                         r"\(facteur\) with ESMTPS?A id [0-9A-Za-z]+; ")

        sigs = re.findall(r"(?m)^DKIM-Signature:(.*(?:\n[ \t].*)*)", head)
        self.assertEqual(len(sigs), 1, "DKIM-Signature: got %r, want one"
                         % sigs)
        tags = dkim_tags(sigs[0])
        self.assertEqual((tags.get("d"), tags.get("s")),
                         ("example.org", SELECTOR), "d=/s=: got %r" % tags)
        signed = tags.get("h", "").lower().split(":")
        for name in REMOVED:
            self.assertNotIn(name, signed, "h=: got %r, want no %s" %
                             (signed, name))
        for name in ("from", "message-id"):
            self.assertIn(name, signed, "h=: got %r, want %s signed" %
                          (signed, name))

        r = self.admin("dkim", "verify", "--key-file",
                       "%s._domainkey.example.org=%s" % (SELECTOR,
                                                         self.keyfile),
                       path, check=False)
        self.assertEqual((r.returncode, r.stdout.strip().endswith("pass")),
                         (0, True), "facteur dkim verify: got %d %r %r, "
                         "want 0 and pass" % (r.returncode, r.stdout,
                                              r.stderr))
        self.assertTrue(self.dkimpy_verify(raw), "dkimpy verify: got "
                        "False, want True on\n%s" % head)

        bl = self.milters["blacklist"].log()
        self.assertRegex(bl, r"blacklist: ALLOW client=127\.0\.0\.1: "
                         r"authenticated", "facteur-blacklist log: got "
                         "%r, want the authenticated bypass" % bl[-2000:])
        self.assertRegex(self.milters["scrub"].log(), r"scrub: removed "
                         r"Received,X-Mailer,User-Agent,X-Originating-IP")

    def test_tampered_copy_fails_verification(self):
        """The checks above can fail: the same delivery with one byte of
        the body changed is refused by both verifiers."""
        subj = "tamper " + os.path.basename(self.tmp.path)
        path, raw = self.submit(subj)
        bad = raw.replace("Bonjour Bob.", "Bonjour Bop.")
        self.assertNotEqual(bad, raw)
        self.assertFalse(self.dkimpy_verify(bad), "dkimpy on a changed "
                         "body: got True, want False")
        badpath = os.path.join(self.tmp.path, "tampered.eml")
        with open(badpath, "w") as f:
            f.write(bad)
        r = self.admin("dkim", "verify", "--key-file",
                       "%s._domainkey.example.org=%s" % (SELECTOR,
                                                         self.keyfile),
                       badpath, check=False)
        self.assertNotEqual(r.returncode, 0, "facteur dkim verify on a "
                            "changed body: got 0 %r, want failure"
                            % r.stdout)


if __name__ == "__main__":
    EXE = fixtures.exe_args(sys.argv, ["facteur_scrub", "facteur_blacklist",
                                       "facteur_dkim", "facteur"])
    unittest.main(argv=sys.argv[:1], verbosity=2)
