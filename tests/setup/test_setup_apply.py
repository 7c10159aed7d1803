#!/usr/bin/python3
"""facteur setup --apply / --undo / --dry-run on a stock Debian 12 tree.

Usage: test_setup_apply.py FACTEUR SRCDIR

Each test builds a stock configuration (stockroot.py: what apt's postfix
"Internet Site" and dovecot-core/imapd/lmtpd/sieve/sqlite write) in a
temporary directory and runs `facteur setup --root DIR` on it; nothing
outside that directory changes (the account tools get --prefix DIR).
Needs root (accounts, ownership), postconf and doveconf; the delivery
test (test_delivery.py) starts the daemons."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stockroot  # noqa: E402

FACTEUR = SRC = None
POSTCONF = "/usr/sbin/postconf"
DOVECONF = "/usr/bin/doveconf"


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL, **kw)
    return p.returncode, p.stdout, p.stderr


def setup(root, *args):
    """facteur setup --root ROOT ARGS (configuration /dev/null: this
    machine's /etc/facteur is not read)."""
    return run([FACTEUR, "-c", "/dev/null", "setup", "--root", root,
                "--templates", os.path.join(SRC, "config-templates")]
               + list(args))


def apply(root, *args):
    return setup(root, "--apply", "--domain", stockroot.DOMAIN,
                 "--hostname", stockroot.HOSTNAME, *args)


def slurp(path):
    with open(path) as f:
        return f.read()


@unittest.skipUnless(os.geteuid() == 0, "needs root (accounts, owners)")
@unittest.skipUnless(os.path.exists(POSTCONF), "no postconf (postfix)")
@unittest.skipUnless(os.path.exists(DOVECONF), "no doveconf (dovecot-core)")
class SetupApply(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="setup-apply-", dir=os.getcwd())
        self.root = os.path.join(self.dir, "root")
        os.mkdir(self.root)
        stockroot.build(self.root)
        self.stock = stockroot.tree_state(self.root)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def test_apply_is_accepted_by_postconf_and_doveconf(self):
        rc, out, err = apply(self.root, "--yes")
        self.assertEqual(rc, 0, "apply: got exit %d: %s%s" % (rc, out, err))
        rc, pout, perr = run([POSTCONF, "-c", self.path("etc/postfix"),
                              "-n"])
        self.assertEqual((rc, perr), (0, ""),
                         "postconf -n: got warnings or failure")
        rc, _, perr = run([POSTCONF, "-c", self.path("etc/postfix"), "-M"])
        self.assertEqual((rc, perr), (0, ""), "postconf -M: got warnings")
        rc, dout, derr = run([DOVECONF, "-c",
                              self.path("etc/dovecot/dovecot.conf"), "-n"])
        self.assertEqual((rc, derr), (0, ""),
                         "doveconf -n: got warnings or failure")
        # local(8) keeps Debian's aliases; facteur's are virtual aliases
        self.assertIn("alias_maps = hash:/etc/aliases\n", pout)
        self.assertRegex(pout, r"(?m)^virtual_alias_maps = .*"
                         r"facteur-lookup:virtual_aliases, .*"
                         r"facteur-lookup:aliases$")
        self.assertIn("virtual_transport = lmtp:unix:private/facteur-lmtp",
                      pout)
        self.assertIn("driver = sql", dout)
        self.assertIn("unix_listener %s/var/spool/postfix/private/auth"
                      % self.root, dout)
        self.assertIn("mail_location = maildir:~/", dout)
        rc, mout, _ = run([POSTCONF, "-c", self.path("etc/postfix"), "-M",
                           "submission/inet", "subcleanup/unix"])
        self.assertIn("cleanup_service_name=subcleanup", mout)
        self.assertIn("subcleanup unix", mout)

    def test_main_cf_keeps_every_line_it_does_not_set(self):
        before = slurp(self.path("etc/postfix/main.cf")).splitlines()
        rc, out, err = apply(self.root, "--yes")
        self.assertEqual(rc, 0, err)
        after = slurp(self.path("etc/postfix/main.cf")).splitlines()
        self.assertEqual(after[:len(before)], before,
                         "main.cf: got Debian's lines changed or moved")
        self.assertEqual(
            slurp(self.path("etc/dovecot/conf.d/10-auth.conf")),
            slurp("/usr/share/dovecot/conf.d/10-auth.conf"),
            "Debian's 10-auth.conf: got edited, want a drop-in")
        self.assertEqual(
            slurp(self.path("etc/dovecot/dovecot-sql.conf.ext")),
            slurp("/usr/share/dovecot/dovecot-sql.conf.ext"),
            "Debian's dovecot-sql.conf.ext: got edited")

    def test_accounts_dirs_database_key(self):
        rc, out, err = apply(self.root, "--yes")
        self.assertEqual(rc, 0, err)
        ids = {}
        for line in slurp(self.path("etc/passwd")).splitlines():
            f = line.split(":")
            ids[f[0]] = (int(f[2]), int(f[3]))
        groups = {l.split(":")[0]: l.split(":")
                  for l in slurp(self.path("etc/group")).splitlines()}
        for u in ("facteur", "facteur-dkim", "vmail"):
            self.assertIn(u, ids, "user %s: not created" % u)
        self.assertEqual(ids["vmail"], (3000, 3000))
        self.assertNotEqual(ids["facteur-dkim"][0], ids["postfix"][0])
        members = groups["facteur"][3].split(",")
        for u in ("facteur-dkim", "vmail", "dovecot"):
            self.assertIn(u, members, "%s: not in group facteur" % u)
        db = self.path("var/lib/facteur/facteur.sqlite")
        st = os.stat(db)
        self.assertEqual((oct(st.st_mode & 0o777), st.st_uid, st.st_gid),
                         ("0o640", 0, int(groups["facteur"][2])))
        st = os.stat(self.path("var/lib/facteur"))
        self.assertEqual(oct(st.st_mode & 0o7777), "0o2770")
        keys = os.listdir(self.path("etc/facteur/dkim/example.org"))
        self.assertEqual(len(keys), 1, keys)
        st = os.stat(self.path("etc/facteur/dkim/example.org/" + keys[0]))
        self.assertEqual((oct(st.st_mode & 0o777), st.st_uid, st.st_gid),
                         ("0o600", 0, 0), "DKIM key: want 0600 root, "
                         "loaded before the milters drop root")
        self.assertIn("_domainkey.example.org. IN TXT", out)
        rc, dout, _ = run([FACTEUR, "-c", "/dev/null", "--db", db,
                           "domain", "list"])
        self.assertIn("example.org", dout)

    def test_second_run_changes_nothing_and_says_so(self):
        rc, _, err = apply(self.root, "--yes")
        self.assertEqual(rc, 0, err)
        once = stockroot.tree_state(self.root)
        rc, out, err = apply(self.root, "--yes")
        self.assertEqual(rc, 0, err)
        self.assertIn("nothing to change", out)
        self.assertNotIn("---", out, "second run: got a diff")
        self.assertEqual(stockroot.tree_state(self.root), once,
                         "second run: got the tree changed")

    def test_undo_restores_the_tree_byte_for_byte(self):
        rc, _, err = apply(self.root, "--yes")
        self.assertEqual(rc, 0, err)
        self.assertNotEqual(stockroot.tree_state(self.root), self.stock)
        rc, out, err = setup(self.root, "--undo", "--yes")
        self.assertEqual(rc, 0, "undo: got exit %d: %s%s" % (rc, out, err))
        after = stockroot.tree_state(self.root)
        diff = sorted(k for k in set(after) | set(self.stock)
                      if after.get(k) != self.stock.get(k))
        self.assertEqual(diff, [], "undo: got these paths different "
                         "from the stock tree")
        rc, out, _ = setup(self.root, "--undo", "--yes")
        self.assertEqual(rc, 0)
        self.assertIn("nothing to undo", out)

    def test_a_run_that_fails_halfway_is_undone_too(self):
        """postconf -e on the real main.cf fails (a wrapper first in
        PATH; the preview on a scratch copy works): accounts, directories
        and files are done by then; the manifest has them, so --undo
        gives back the stock tree."""
        fake = os.path.join(self.dir, "bin")
        os.mkdir(fake)
        with open(os.path.join(fake, "postconf"), "w") as f:
            f.write('#!/bin/sh\ncase "$*" in "-c %s -e "*)\n'
                    '  echo "postconf: fatal: disk full" >&2; exit 1;; esac'
                    '\nexec %s "$@"\n' % (self.path("etc/postfix"),
                                            POSTCONF))
        os.chmod(os.path.join(fake, "postconf"), 0o755)
        env = dict(os.environ, PATH=fake + ":" + os.environ["PATH"])
        rc, out, err = run([FACTEUR, "-c", "/dev/null", "setup", "--root",
                            self.root, "--templates",
                            os.path.join(SRC, "config-templates"),
                            "--apply", "--yes", "--domain",
                            stockroot.DOMAIN, "--hostname",
                            stockroot.HOSTNAME], env=env)
        self.assertEqual(rc, 1, "failed postconf: got exit %d" % rc)
        self.assertIn("setup --undo reverses it", err)
        self.assertTrue(os.path.exists(self.path("etc/facteur/facteur.conf")),
                        "want the steps before postconf done")
        rc, out, err = setup(self.root, "--undo", "--yes")
        self.assertEqual(rc, 0, "undo: %s%s" % (out, err))
        after = stockroot.tree_state(self.root)
        self.assertEqual(sorted(k for k in set(after) | set(self.stock)
                                if after.get(k) != self.stock.get(k)), [])

    def test_dry_run_shows_diffs_and_changes_nothing(self):
        rc, out, err = apply(self.root, "--dry-run")
        self.assertEqual(rc, 0, err)
        self.assertIn("--- %s/etc/postfix/main.cf" % self.root, out)
        self.assertIn("+virtual_transport = lmtp:unix:private/facteur-lmtp",
                      out)
        self.assertIn("+submission inet", out)
        self.assertIn("(new) %s/etc/dovecot/conf.d/90-facteur.conf"
                      % self.root, out)
        self.assertIn("+ user facteur-dkim", out)
        self.assertIn("dry run: nothing was changed", out)
        self.assertEqual(stockroot.tree_state(self.root), self.stock,
                         "--dry-run: got the tree changed")

    def test_without_yes_and_no_terminal_nothing_changes(self):
        rc, out, err = apply(self.root)
        self.assertEqual(rc, 1, "no --yes, no tty: got exit %d" % rc)
        self.assertIn("--yes", err)
        self.assertEqual(stockroot.tree_state(self.root), self.stock)

    def test_edited_facteur_conf_is_merged_not_replaced(self):
        conf = self.path("etc/facteur/facteur.conf")
        os.makedirs(os.path.dirname(conf))
        mine = ("# mine\n[database]\npath = /var/lib/facteur/facteur.sqlite"
                "\n\n[spam]\nrequired_score = 6.5\n")
        with open(conf, "w") as f:
            f.write(mine)
        os.chmod(conf, 0o600)
        stock = stockroot.tree_state(self.root)
        rc, out, err = apply(self.root, "--yes")
        self.assertEqual(rc, 0, err)
        merged = slurp(conf)
        self.assertTrue(merged.startswith("# mine\n[database]\npath = "),
                        "facteur.conf: got its start rewritten")
        self.assertIn("[spam]\nrequired_score = 6.5\n", merged)
        self.assertIn("\n[milter]\n", merged, "got no [milter] added")
        self.assertIn("#busy_timeout = 5s", merged,
                      "got no missing [database] key added")
        self.assertEqual(merged.count("required_score"), 1,
                         "got the set key added again")
        self.assertIn("+[milter]", out, "got no diff of the merge")
        rc, out, _ = apply(self.root, "--yes")
        self.assertIn("nothing to change", out)
        rc, _, err = setup(self.root, "--undo", "--yes")
        self.assertEqual(rc, 0, err)
        self.assertEqual(slurp(conf), mine)
        self.assertEqual(stockroot.tree_state(self.root), stock)

    def test_dovecot_24_gets_the_24_drop_in(self):
        rc, out, err = apply(self.root, "--dry-run", "--dovecot-version",
                             "2.4.1")
        self.assertEqual(rc, 0, err)
        self.assertIn("Dovecot 2.4 (2.4 syntax)", out)
        self.assertIn("+sql_driver = sqlite", out)
        self.assertIn("+passdb sql {", out)
        self.assertNotIn("facteur-sql.conf.ext", out.replace(
            "# ", ""), "2.4: got the 2.3 SQL file")

    def test_out_mode_keeps_what_force_replaces(self):
        out_dir = os.path.join(self.dir, "out")
        args = ["--domain", "example.org", "--hostname", "mail.example.org"]
        rc, out, err = setup("/", "--out", out_dir + "/", *args)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("//", out.replace("https://", ""),
                         "got a // path")
        conf = os.path.join(out_dir, "etc/facteur/facteur.conf")
        with open(conf, "w") as f:
            f.write("# edited\n")
        rc, out, err = setup("/", "--out", out_dir, "--dry-run", *args)
        self.assertIn("would skip %s" % conf, out)
        self.assertNotIn("would write %s" % conf, out)
        rc, out, err = setup("/", "--out", out_dir, "--force", *args)
        self.assertEqual(rc, 0, err)
        bak = [f for f in os.listdir(os.path.dirname(conf))
               if f.startswith("facteur.conf.bak-")]
        self.assertEqual(len(bak), 1, "--force: got no backup copy")
        self.assertEqual(slurp(os.path.join(os.path.dirname(conf), bak[0])),
                         "# edited\n")
        self.assertIn("(the old one is ", out)
        self.assertTrue(os.path.exists(os.path.join(
            out_dir, "etc/dovecot/conf.d/90-facteur.conf")))
        self.assertIn("Dovecot", out, "next steps: got nothing on Dovecot")


if __name__ == "__main__":
    FACTEUR, SRC = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    unittest.main(verbosity=2)
