#!/usr/bin/python3
"""tests/postgres/test_pg_setup.py - facteur setup --database
postgresql://... on a stock Debian 12 tree (tests/setup/stockroot.py) and a
private PostgreSQL (pgserver.py).

  - --apply --dry-run shows the PostgreSQL plan (db init --url, Dovecot's
    driver = pgsql, facteur.conf's url, the pgsql: tables) and changes
    nothing; with --dovecot-version 2.4.1 the 2.4 drop-in's pgsql block;
  - --apply --yes: postconf and doveconf accept the tree, the database has
    the schema, the roles and the domain, and Postfix's own client
    (postmap -q, postfix-pgsql) answers from every pgsql: table setup
    wrote, connecting as facteur_lookup; Dovecot's queries give alice's
    home; a second run changes nothing; --undo restores the files;
  - --out writes the same pgsql: tables and drop-ins.
Runs in ~20 s, as root.

usage: test_pg_setup.py FACTEUR SRCDIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "setup"))
import stockroot  # noqa: E402
from pgserver import PG  # noqa: E402

FACTEUR = SRC = SERVER = None
POSTCONF = "/usr/sbin/postconf"
POSTMAP = "/usr/sbin/postmap"
DOVECONF = "/usr/bin/doveconf"
PGSQL_SO = "/usr/lib/postfix/postfix-pgsql.so"


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL, **kw)
    return p.returncode, p.stdout, p.stderr


def slurp(path):
    with open(path) as f:
        return f.read()


class SetupPg(unittest.TestCase):
    n = 0

    def setUp(self):
        SetupPg.n += 1
        self.url = SERVER.createdb("setup%d" % SetupPg.n)
        self.dir = tempfile.mkdtemp(prefix="pg-setup-", dir=os.getcwd())
        self.root = os.path.join(self.dir, "root")
        os.mkdir(self.root)
        stockroot.build(self.root)
        self.stock = stockroot.tree_state(self.root)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def setup(self, *args):
        return run([FACTEUR, "-c", "/dev/null", "setup", "--templates",
                    os.path.join(SRC, "config-templates"),
                    "--database", self.url] + list(args))

    def apply(self, *args):
        return self.setup("--root", self.root, "--apply", "--domain",
                          stockroot.DOMAIN, "--hostname",
                          stockroot.HOSTNAME, *args)

    def cli(self, *args, input=None):
        p = subprocess.run([FACTEUR, "-c",
                            self.path("etc/facteur/facteur.conf")] +
                           list(args), capture_output=True, text=True,
                           input=input, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def postmap(self, key, table):
        # a bare Postfix config of its own (the tree's main.cf reads
        # /etc/mailname), with this machine's dynamic map list (pgsql:)
        conf = os.path.join(self.dir, "postmap")
        if not os.path.isdir(conf):
            os.mkdir(conf)
            shutil.copy("/etc/postfix/dynamicmaps.cf", conf)
            if os.path.isdir("/etc/postfix/dynamicmaps.cf.d"):
                shutil.copytree("/etc/postfix/dynamicmaps.cf.d",
                                os.path.join(conf, "dynamicmaps.cf.d"))
            with open(os.path.join(conf, "main.cf"), "w") as f:
                f.write("compatibility_level = 3.6\n")
        p = subprocess.run([POSTMAP, "-c", conf, "-q",
                            key, "pgsql:" + self.path(
                                "etc/postfix/pgsql/%s.cf" % table)],
                           capture_output=True, text=True, timeout=30)
        if p.returncode == 1 and not p.stderr.strip():
            return None
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout.strip()

    def test_dry_run_shows_the_postgresql_plan_and_changes_nothing(self):
        rc, out, err = self.apply("--dry-run")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("+ PostgreSQL database %s: facteur db init --url"
                      % self.url, out)
        self.assertIn("+url = %s" % self.url, out)
        self.assertIn("+driver = pgsql", out)
        self.assertIn("+hosts = postgresql:///", out)
        self.assertNotIn("+driver = sqlite", out)
        self.assertEqual(stockroot.tree_state(self.root), self.stock)
        rc, out, err = self.apply("--dry-run", "--dovecot-version", "2.4.1")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("+sql_driver = pgsql", out)
        self.assertRegex(out, r'\+pgsql "[^"]+" \{')
        self.assertIn("+    user = facteur_lookup", out)
        self.assertNotIn("sqlite_path", out)

    def test_apply_then_maps_answer_as_facteur_lookup(self):
        rc, out, err = self.apply("--yes")
        self.assertEqual(rc, 0, out + err)
        for args in (["-n"], ["-M"]):
            rc, _, perr = run([POSTCONF, "-c", self.path("etc/postfix")] +
                              args)
            self.assertEqual((rc, perr), (0, ""), "postconf %s" % args)
        rc, _, derr = run([DOVECONF, "-c",
                           self.path("etc/dovecot/dovecot.conf"), "-n"])
        self.assertEqual((rc, derr), (0, ""), "doveconf -n")
        conf = slurp(self.path("etc/facteur/facteur.conf"))
        self.assertIn("\nurl = %s\n" % self.url, conf)
        self.assertIn('"name": "example.org"',
                      self.cli("--json", "domain", "list"))
        roles = SERVER.psql("SELECT string_agg(rolname, ',' ORDER BY "
                            "rolname) FROM pg_roles WHERE rolname LIKE "
                            "'facteur_%'")
        self.assertEqual(roles, "facteur_admin,facteur_lmtp,facteur_lookup,"
                         "facteur_milter")
        self.cli("user", "add", "alice@example.org", "--password-stdin",
                 input="pw\n")
        self.cli("alias", "add", "postmaster", "alice@example.org")
        self.cli("blacklist", "sender", "add", "spam@bad.example", "--code",
                 "554", "--enhanced", "5.7.1", "--message", "No spam")
        cases = [("virtual_mailbox_domains", "example.org", "example.org"),
                 ("virtual_mailbox_domains", "nope.org", None),
                 ("virtual_mailbox_maps", "alice@example.org",
                  "example.org/alice/"),
                 ("alias_maps", "postmaster", "alice@example.org"),
                 ("virtual_alias_maps", "alice@example.org",
                  "alice@example.org"),
                 ("sender_access", "spam@bad.example", "554 5.7.1 No spam"),
                 ("recipient_access", "alice@example.org", None)]
        for table, key, want in cases:
            self.assertEqual(self.postmap(key, table), want,
                             "pgsql:%s %s" % (table, key))
        # Dovecot 2.3: its connect line reaches the same rows as
        # facteur_lookup (the queries run through psql with that role)
        ext = slurp(self.path("etc/dovecot/facteur-sql.conf.ext"))
        self.assertRegex(ext, r"(?m)^driver = pgsql$")
        kw = dict(x.split("=", 1) for x in re.search(
            r"(?m)^connect = (.*)$", ext).group(1).split())
        self.assertEqual(kw["user"], "facteur_lookup")
        q = re.search(r"(?ms)^user_query = (.*?)\n\n", ext).group(1)
        q = q.replace("\\\n", " ").replace("%u", "alice@example.org")
        got = SERVER.psql(q, db=kw["dbname"], user="facteur_lookup")
        # (under --root the mail root is the tree's)
        self.assertRegex(got, r"^/\S*/var/mail/utilisateurs/example\.org/"
                         r"alice/\|3000\|3000\|")
        once = stockroot.tree_state(self.root)
        rc, out, err = self.apply("--yes")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("nothing to change", out)
        self.assertEqual(stockroot.tree_state(self.root), once)
        rc, out, err = self.setup("--root", self.root, "--undo", "--yes")
        self.assertEqual(rc, 0, out + err)
        after = stockroot.tree_state(self.root)
        self.assertEqual(sorted(k for k in set(after) | set(self.stock)
                                if after.get(k) != self.stock.get(k)), [])

    def test_out_writes_the_pgsql_tables(self):
        out = os.path.join(self.dir, "out")
        rc, o, err = self.setup("--domain", "example.org", "--hostname",
                                "mx.example.org", "--out", out)
        self.assertEqual(rc, 0, o + err)
        for t in ("alias_maps", "recipient_access", "sender_access",
                  "virtual_alias_maps", "virtual_mailbox_domains",
                  "virtual_mailbox_maps"):
            text = slurp(os.path.join(out, "etc/postfix/pgsql/%s.cf" % t))
            self.assertIn("&user=facteur_lookup\n", text)
        self.assertFalse(os.path.exists(os.path.join(out, "etc/postfix/"
                                                     "sqlite")))
        self.assertIn("pgsql:", slurp(os.path.join(
            out, "etc/postfix/facteur/main.cf.pgsql")))
        # --db URL (or [database] url) means the same as --database
        out2 = os.path.join(self.dir, "out2")
        rc, o, err = run([FACTEUR, "-c", "/dev/null", "--db", self.url,
                          "setup", "--templates",
                          os.path.join(SRC, "config-templates"),
                          "--domain", "example.org", "--hostname",
                          "mx.example.org", "--out", out2])
        self.assertEqual(rc, 0, o + err)
        for rel in ("etc/facteur/facteur.conf",
                    "etc/dovecot/facteur-sql.conf.ext",
                    "etc/postfix/pgsql/virtual_mailbox_maps.cf"):
            self.assertEqual(slurp(os.path.join(out2, rel)),
                             slurp(os.path.join(out, rel)), rel)


def main():
    global FACTEUR, SRC, SERVER
    FACTEUR, SRC = (os.path.abspath(p) for p in sys.argv[1:3])
    del sys.argv[1:3]
    miss = PG.missing()
    for p, pkg in ((POSTCONF, "postfix"), (DOVECONF, "dovecot-core"),
                   (PGSQL_SO, "postfix-pgsql")):
        if not miss and not os.path.exists(p):
            miss = "%s (%s)" % (p, pkg)
    if miss or os.geteuid() != 0:
        print("SKIP: missing peer: %s" % (miss or "root (accounts)"))
        return 77
    with PG(int(os.environ.get("PG_PORT", "54343"))) as pg:
        SERVER = pg
        prog = unittest.main(exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
