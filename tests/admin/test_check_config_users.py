#!/usr/bin/python3
"""--check-config checks what each daemon will use as the user it runs as
(issue 12, "Permissions and users"):

  - facteur-lmtp with [lmtp] user = 3000 (no passwd entry, group 3000)
    and a database 0640 root:GROUP: the daemon cannot open it after its
    drop, so --check-config fails naming the database and the user; with
    [lmtp] group = GROUP it passes; a database not made yet is only a
    warning (a configuration checked before `facteur db init`);
  - facteur-dkim and facteur-milter with user = nobody and the DKIM key
    owned by postfix (what the four-milter setup left): the daemon would
    skip the key and sign nothing, so --check-config fails naming the key;
    owned by root (setup's 0600 root) it passes.

usage: test_check_config_users.py FACTEUR LMTP DKIM MILTER (as root;
skipped otherwise). Runtime: about 2 s."""

import os
import shutil
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402

FACTEUR = LMTP = DKIM = MILTER = None
GID = 3001  # group of the database; uid 3000 (group 3000) has no entry


def check_config(exe, conf):
    p = harness.run([exe, "-c", conf, "--check-config"], check=False)
    return p.returncode, p.stdout + p.stderr


class CheckConfigAsUser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("ccu")
        t = cls.tmp.path
        cls.dbdir = os.path.join(t, "db")
        os.mkdir(cls.dbdir)
        os.chmod(cls.dbdir, 0o750)
        os.chown(cls.dbdir, 0, GID)
        cls.db = os.path.join(cls.dbdir, "facteur.sqlite")
        cls.mail = os.path.join(t, "mail")
        os.mkdir(cls.mail)
        os.chown(cls.mail, 3000, 3000)
        cls.conf = os.path.join(t, "admin.conf")
        fixtures.write_conf(cls.conf, {
            "database": {"path": cls.db},
            "admin": {"dkim_keys_dir": os.path.join(t, "dkim"),
                      "dkim_user": "root"}})
        admin = fixtures.Admin(FACTEUR, cls.conf, cls.db)
        admin("db", "init")
        admin("domain", "add", "example.org")
        admin("dkim", "keygen", "example.org", "--selector", "s1")
        cls.key = os.path.join(t, "dkim", "example.org", "s1.key")
        for f in os.listdir(cls.dbdir):
            p = os.path.join(cls.dbdir, f)
            os.chown(p, 0, GID)
            os.chmod(p, 0o640)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def lmtp_conf(self, name, group, db=None):
        return fixtures.write_conf(os.path.join(self.tmp.path, name), {
            "database": {"path": db or self.db},
            "lmtp": {"socket": os.path.join(self.tmp.path, "lmtp.sock"),
                     "mail_root": self.mail, "user": "3000",
                     "group": group, "sieve_before": ""}})

    def milter_conf(self, name, section):
        return fixtures.write_conf(os.path.join(self.tmp.path, name), {
            "database": {"path": self.db},
            section: {"socket": "unix:" + os.path.join(self.tmp.path,
                                                       section + ".sock"),
                      "user": "nobody", "resolver": "127.0.0.1@9"}
            if section == "dkim" else
            {"socket": "unix:" + os.path.join(self.tmp.path, "m.sock"),
             "user": "nobody", "modules": "dkim"},
            "dkim": {"resolver": "127.0.0.1@9"}})

    def test_lmtp_user_that_cannot_open_the_database_fails(self):
        rc, out = check_config(LMTP, self.lmtp_conf("l1.conf", "3000"))
        self.assertNotEqual(rc, 0, "got exit 0, want a failure: " + out)
        self.assertRegex(out, r"as \[lmtp\] user 3000 .*database: %s: " %
                         self.db)

    def test_lmtp_user_whose_group_reads_the_database_passes(self):
        rc, out = check_config(LMTP, self.lmtp_conf("l2.conf", str(GID)))
        self.assertEqual(rc, 0, "got exit %d, want 0: %s" % (rc, out))

    def test_lmtp_database_not_made_yet_is_a_warning(self):
        rc, out = check_config(LMTP, self.lmtp_conf(
            "l3.conf", "3000", db=os.path.join(self.tmp.path, "none.db")))
        self.assertEqual(rc, 0, "got exit %d, want 0: %s" % (rc, out))
        self.assertIn("not checked", out)

    def key_owned_by(self, user):
        uid = harness.user_ids(user)[0]
        os.chown(self.key, uid, 0)
        self.addCleanup(os.chown, self.key, 0, 0)

    def test_dkim_key_owned_by_postfix_fails_for_facteur_dkim(self):
        self.key_owned_by("postfix")
        rc, out = check_config(DKIM, self.milter_conf("d1.conf", "dkim"))
        self.assertEqual(rc, 1, "got exit %d, want 1: %s" % (rc, out))
        self.assertRegex(out, r"key s1 for example\.org: .*owned by uid")

    def test_dkim_key_owned_by_postfix_fails_for_facteur_milter(self):
        self.key_owned_by("postfix")
        rc, out = check_config(MILTER, self.milter_conf("m1.conf",
                                                        "milter"))
        self.assertEqual(rc, 1, "got exit %d, want 1: %s" % (rc, out))
        self.assertRegex(out, r"key s1 for example\.org: .*owned by uid")

    def test_dkim_key_owned_by_root_passes(self):
        for exe, sec in ((DKIM, "dkim"), (MILTER, "milter")):
            rc, out = check_config(exe, self.milter_conf(sec + "2.conf",
                                                         sec))
            self.assertEqual(rc, 0, "%s: got exit %d, want 0: %s" % (
                sec, rc, out))


if __name__ == "__main__":
    if os.geteuid() != 0:
        harness.require_root("--check-config drops to other users")
    FACTEUR, LMTP, DKIM, MILTER = sys.argv[1:5]
    del sys.argv[1:5]
    unittest.main(verbosity=2)
