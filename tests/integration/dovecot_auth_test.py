"""dovecot_auth_test - a real Dovecot authenticates users from facteur's
database through config-templates/dovecot/dovecot-sql.conf.ext: the
password set with `facteur user add --password-stdin` works (default
scheme, and BLF-CRYPT when this system's crypt has it), a wrong password
and a disabled user or domain are refused, and userdb gives the Maildir.

Usage: dovecot_auth_test.py FACTEUR   (as root)
"""

import imaplib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402
import harness  # noqa: E402

EXE = None


class DovecotSqlAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("dva")
        try:
            cls._setup(cls.tmp.path)
        except Exception:
            cls.tearDownClass(failed=True)
            raise

    @classmethod
    def _setup(cls, tmp):
        db = os.path.join(tmp, "facteur.sqlite")
        cls.mail_root = os.path.join(tmp, "mail")
        conf = fixtures.write_conf(os.path.join(tmp, "facteur.conf"), {
            "database": {"path": db},
            "admin": {"mail_root": cls.mail_root},
        })
        cls.admin = admin = fixtures.Admin(EXE["facteur"], conf, db)
        admin("db", "init")
        admin("domain", "add", "example.org")
        admin("domain", "add", "closed.example")
        admin.add_user("alice@example.org", "alice pw é")
        admin.add_user("dave@closed.example", "dave-pw")
        admin.add_user("carol@example.org", "carol-pw")
        admin("user", "disable", "carol@example.org")
        admin("domain", "disable", "closed.example")
        p = admin("user", "add", "bob@example.org", "--password-stdin",
                  "--scheme", "BLF-CRYPT", input="bob-pw\n", check=False)
        cls.blf = p.returncode == 0
        cls.blf_why = p.stderr.strip()
        uid, gid = harness.user_ids(harness.DEFAULT_MAIL_USER)
        passdb, userdb = fixtures.dovecot_sql_blocks(
            os.path.join(tmp, "dovecot-sql.conf.ext"), db, cls.mail_root,
            uid, gid)
        cls.dc = harness.Dovecot(tmp, passdb=passdb, userdb=userdb,
                                 mail_root=cls.mail_root,
                                 mail_location="maildir:~/")

    @classmethod
    def tearDownClass(cls, failed=False):
        if getattr(cls, "dc", None) is not None:
            if failed:
                print(cls.dc.log()[-3000:], file=sys.stderr)
            cls.dc.close()
        if failed:
            cls.tmp.keep = True
        cls.tmp.close()

    def assertAuth(self, user, password, want):
        ok, out = self.dc.auth_test(user, password)
        self.assertEqual(ok, want, "auth %s: got %s, want %s\n%s\n%s" % (
            user, "accepted" if ok else "refused",
            "accepted" if want else "refused", out, self.dc.log()[-1500:]))

    def test_default_scheme_password_is_accepted(self):
        self.assertAuth("alice@example.org", "alice pw é", True)

    def test_login_is_case_insensitive_on_the_domain(self):
        self.assertAuth("alice@EXAMPLE.org", "alice pw é", True)

    def test_wrong_password_is_refused(self):
        self.assertAuth("alice@example.org", "alice pw e", False)
        self.assertAuth("alice@example.org", "", False)

    def test_unknown_user_is_refused(self):
        self.assertAuth("nobody@example.org", "alice pw é", False)

    def test_disabled_user_is_refused(self):
        self.assertAuth("carol@example.org", "carol-pw", False)

    def test_user_of_disabled_domain_is_refused(self):
        self.assertAuth("dave@closed.example", "dave-pw", False)

    def test_blf_crypt_password_is_accepted(self):
        # Debian's libxcrypt has bcrypt: a refusal is a bug, not a skip
        self.assertTrue(self.blf, "facteur refused BLF-CRYPT: %s" %
                        self.blf_why)
        self.assertAuth("bob@example.org", "bob-pw", True)
        self.assertAuth("bob@example.org", "bob-pw2", False)

    def test_password_change_takes_effect_without_reload(self):
        self.admin.add_user("erin@example.org", "first")
        self.assertAuth("erin@example.org", "first", True)
        self.admin("user", "passwd", "erin@example.org", "--password-stdin",
                   input="second\n")
        self.assertAuth("erin@example.org", "first", False)
        self.assertAuth("erin@example.org", "second", True)

    def test_userdb_gives_the_maildir_under_the_mail_root(self):
        p = self.dc.doveadm("user", "-f", "home", "alice@example.org")
        want = os.path.join(self.mail_root, "example.org", "alice") + "/"
        got = p.stdout.strip()
        self.assertEqual(got.rstrip("/"), want.rstrip("/"),
                         "home: got %r, want %r" % (got, want))

    def test_imap_login_with_the_database_password(self):
        m = imaplib.IMAP4(self.dc.host, self.dc.port, timeout=10)
        try:
            with self.assertRaises(imaplib.IMAP4.error):
                m.login("alice@example.org", "wrong")
        finally:
            m.logout()
        m = imaplib.IMAP4(self.dc.host, self.dc.port, timeout=10)
        try:
            # imaplib sends str as ASCII: use AUTHENTICATE PLAIN for UTF-8
            typ, _ = m.authenticate("PLAIN", lambda _: (
                "\0alice@example.org\0alice pw é").encode())
            self.assertEqual(typ, "OK", "IMAP AUTHENTICATE: got %s, want "
                             "OK" % typ)
            typ, data = m.select("INBOX")
            self.assertEqual(typ, "OK", "SELECT INBOX: got %s %r" %
                             (typ, data))
        finally:
            m.logout()


if __name__ == "__main__":
    EXE = fixtures.exe_args(sys.argv, ["facteur"])
    unittest.main(argv=sys.argv[:1], verbosity=2)
