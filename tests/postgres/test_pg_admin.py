#!/usr/bin/python3
"""tests/postgres/test_pg_admin.py - the facteur CLI on PostgreSQL.

Against a private PostgreSQL (pgserver.py), drives the real binary:
  - db init --url creates the schema and the per-program roles; the
    daemons' roles can read but not write (lmtp: vacation_sent only);
  - the nouns (domain, user, alias, blacklist, dkim keygen) work through
    --db postgresql://..., and facteur-lookup's rows are what they wrote;
  - db migrate --to copies a SQLite database and prints equal counts per
    table; a second copy into the same database refuses (duplicates) and
    leaves it as it was; a count that differs is refused and rolled back;
  - a role with a password authenticates from PGPASSFILE or a service
    file (PGSERVICEFILE), never from the command line.
Runs in ~12 s.

usage: test_pg_admin.py FACTEUR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import PG  # noqa: E402

FACTEUR = None
SERVER = None
TABLES = ("domains", "users", "aliases", "virtual_aliases",
          "sender_blacklist", "recipient_blacklist", "dkim_keys",
          "vacation_sent")


def run(*args, stdin=None):
    p = subprocess.run([FACTEUR] + list(args), input=stdin, text=True,
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class PgAdmin(unittest.TestCase):
    n = 0

    def setUp(self):
        PgAdmin.n += 1
        self.dbname = "adm%d" % PgAdmin.n
        self.url = SERVER.createdb(self.dbname)
        self.dir = tempfile.mkdtemp(prefix="pgadmin-", dir=os.getcwd())

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def ok(self, *args, stdin=None, db=None):
        rc, out, err = run("--db", db or self.url, *args, stdin=stdin)
        self.assertEqual(rc, 0, "facteur %s: got exit %d, want 0; %s%s" % (
            " ".join(args), rc, out, err))
        return out

    def sql(self, q, user="postgres"):
        return SERVER.psql(q, self.dbname, user)

    def test_init_creates_schema_and_read_only_roles(self):
        out = self.ok("db", "init", "--url", self.url)
        self.assertIn("created, schema version", out)
        self.assertIn("roles", out)
        roles = self.sql("SELECT string_agg(rolname, ',' ORDER BY rolname)"
                         " FROM pg_roles WHERE rolname LIKE 'facteur%'")
        self.assertEqual(roles, "facteur_admin,facteur_lmtp,"
                         "facteur_lookup,facteur_milter")
        self.ok("domain", "add", "example.org")
        for role in ("facteur_lookup", "facteur_milter", "facteur_lmtp"):
            self.assertEqual(self.sql("SELECT count(*) FROM domains", role),
                             "1", role + " reads domains")
            with self.assertRaises(RuntimeError, msg=role + " writes"):
                self.sql("INSERT INTO domains(name) VALUES ('x.org')", role)
        self.sql("INSERT INTO vacation_sent VALUES ('a@example.org',"
                 " 'b@x.org', 'h', 1)", "facteur_lmtp")
        self.sql("INSERT INTO domains(name) VALUES ('y.org')",
                 "facteur_admin")
        # Bayes (words of the users' mail): the milters read it and, with
        # the session default turned off as auto-learn does, write it;
        # lookup and lmtp can not even read it.
        self.assertEqual(self.sql("SELECT nspam FROM bayes_totals",
                                  "facteur_milter"), "0")
        with self.assertRaises(RuntimeError, msg="milter writes by default"):
            self.sql("UPDATE bayes_totals SET nspam = 1", "facteur_milter")
        self.sql("BEGIN READ WRITE; UPDATE bayes_totals SET nspam = 0;"
                 " COMMIT", "facteur_milter")
        with self.assertRaises(RuntimeError, msg="milter writes domains"):
            self.sql("BEGIN READ WRITE; DELETE FROM domains; COMMIT",
                     "facteur_milter")
        for role in ("facteur_lookup", "facteur_lmtp"):
            with self.assertRaises(RuntimeError, msg=role + " reads bayes"):
                self.sql("SELECT count(*) FROM bayes_tokens", role)
        # Idempotent: a second init changes nothing and fails nothing.
        self.assertIn("up to date", self.ok("db", "init", "--url",
                                            self.url))

    def test_nouns_write_what_they_list(self):
        self.ok("db", "init", "--url", self.url)
        self.ok("domain", "add", "Example.ORG", "--default")
        self.ok("user", "add", "Alice@Example.org", "--password-stdin",
                stdin="s3cret pass\n")
        self.ok("alias", "add", "postmaster@example.org", "alice@example.org")
        self.ok("alias", "add", "postmaster@example.org", "b@example.net")
        self.ok("blacklist", "sender", "add", "spam@bad.example")
        self.ok("blacklist", "sender", "add", "192.0.2.0/24")
        self.ok("blacklist", "recipient", "add", "nobody@example.org")
        keys = os.path.join(self.dir, "keys")
        self.ok("dkim", "keygen", "example.org", "--selector", "s1",
                "--algorithm", "ed25519", "--keys-dir", keys)
        users = json.loads(self.ok("user", "list", "--json"))
        self.assertEqual([u["address"] for u in users],
                         ["Alice@example.org"])
        aliases = json.loads(self.ok("alias", "list", "--json"))
        self.assertEqual([(a.get("alias") or a.get("address"),
                           a["destination"]) for a in aliases],
                         [("postmaster@example.org", "alice@example.org"),
                          ("postmaster@example.org", "b@example.net")])
        self.assertEqual(self.sql("SELECT kind FROM sender_blacklist"
                                  " WHERE pattern = '192.0.2.0/24'"), "ip")
        self.assertEqual(self.sql("SELECT selector FROM dkim_keys"), "s1")
        self.ok("user", "del", "alice@example.org")
        self.ok("domain", "del", "example.org")
        self.assertEqual(self.sql("SELECT count(*) FROM domains"), "0")

    def test_migrate_to_copies_and_counts(self):
        lite = os.path.join(self.dir, "facteur.sqlite")
        self.ok("db", "init", db=lite)
        self.ok("domain", "add", "example.org", db=lite)
        for u in ("alice", "bob"):
            self.ok("user", "add", u + "@example.org", "--password-stdin",
                    stdin="pw of " + u + "\n", db=lite)
        self.ok("alias", "add", "root", "alice@example.org", db=lite)
        self.ok("alias", "add", "info@example.org", "bob@example.org", db=lite)
        self.ok("blacklist", "sender", "add", "@bad.example", db=lite)
        self.ok("dkim", "keygen", "example.org", "--selector", "s1",
                "--algorithm", "ed25519", "--keys-dir",
                os.path.join(self.dir, "keys"), db=lite)
        out = self.ok("db", "migrate", "--to", self.url, db=lite)
        self.assertIn("every table counted equal", out)
        for t in TABLES:
            self.assertEqual(self.sql("SELECT count(*) FROM " + t),
                             self._lite_count(lite, t), t)
        # Password hashes travel as they are.
        self.assertEqual(
            self.sql("SELECT password FROM users WHERE address ="
                     " 'alice@example.org'"),
            self._lite_one(lite, "SELECT password FROM users WHERE"
                           " address = 'alice@example.org'"))
        # The copy reads on PostgreSQL as it did on SQLite.
        self.assertEqual(json.loads(self.ok("user", "list", "--json")),
                         json.loads(self.ok("user", "list", "--json",
                                            db=lite)))
        # A second copy collides: refused, nothing half-copied.
        rc, out, err = run("--db", lite, "db", "migrate", "--to", self.url)
        self.assertNotEqual(rc, 0, "second copy: got exit 0, want refusal")
        self.assertEqual(self.sql("SELECT count(*) FROM users"), "2")
        # A new key after the copy does not collide with copied ids.
        self.ok("dkim", "keygen", "example.org", "--selector", "s2",
                "--algorithm", "ed25519", "--keys-dir",
                os.path.join(self.dir, "keys"))

    def _bayes_setup(self):
        lite = os.path.join(self.dir, "facteur.sqlite")
        self.ok("db", "init", db=lite)
        msgs = []
        for i in range(6):
            p = os.path.join(self.dir, "m%d.eml" % i)
            with open(p, "w") as f:
                f.write("From: a%d@example.net\nSubject: offer %d\n"
                        "Message-ID: <%d@example.net>\n\nwords of message"
                        " %d, cheap offer%d\n" % (i, i, i, i, i))
            msgs.append(p)
        self.ok("spam", "learn", "--spam", *msgs[:4], db=lite)
        self.ok("spam", "learn", "--ham", *msgs[4:], db=lite)
        return lite

    def test_migrate_to_copies_the_bayes_file(self):
        lite = self._bayes_setup()
        out = self.ok("db", "migrate", "--to", self.url, db=lite)
        want = json.loads(self.ok("spam", "stats", "--json", db=lite))
        self.assertEqual((want["spam"], want["ham"]), (4, 2))
        self.assertRegex(out, r"(?m)^bayes_tokens +%d +%d$"
                         % (want["tokens"], want["tokens"]))
        self.assertRegex(out, r"(?m)^bayes_seen +6 +6$")
        got = json.loads(self.ok("spam", "stats", "--json"))
        self.assertEqual((got["spam"], got["ham"], got["tokens"]),
                         (4, 2, want["tokens"]))
        self.assertEqual(self.sql("SELECT sum(spam), sum(ham) FROM"
                                  " bayes_tokens"), self._lite_one(
            os.path.join(self.dir, "bayes.sqlite"),
            "SELECT sum(spam) || '|' || sum(ham) FROM tokens"))

    def test_migrate_to_refuses_a_bayes_copy_that_differs(self):
        lite = self._bayes_setup()
        self.ok("db", "init", "--url", self.url)
        self.sql("CREATE FUNCTION drop_tok() RETURNS trigger LANGUAGE"
                 " plpgsql AS $$BEGIN RETURN NULL; END$$;"
                 " CREATE TRIGGER eat BEFORE INSERT ON bayes_tokens"
                 " FOR EACH ROW EXECUTE FUNCTION drop_tok()")
        rc, out, err = run("--db", lite, "db", "migrate", "--to", self.url)
        self.assertNotEqual(rc, 0, "got exit 0, want a refusal")
        self.assertIn("counts differ", err)
        self.assertEqual(self.sql("SELECT count(*) FROM bayes_seen"), "0",
                         "the Bayes copy was not rolled back")

    def test_migrate_to_refuses_a_count_that_differs(self):
        lite = os.path.join(self.dir, "facteur.sqlite")
        self.ok("db", "init", db=lite)
        self.ok("domain", "add", "example.org", db=lite)
        self.ok("alias", "add", "root", "a@example.org", db=lite)
        self.ok("alias", "add", "abuse", "a@example.org", db=lite)
        # A destination that silently drops alias rows: every INSERT
        # "succeeds", only the counts can tell.
        self.ok("db", "init", "--url", self.url)
        self.sql("CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE"
                 " plpgsql AS $$BEGIN RETURN NULL; END$$;"
                 " CREATE TRIGGER eat BEFORE INSERT ON aliases"
                 " FOR EACH ROW EXECUTE FUNCTION drop_row()")
        rc, out, err = run("--db", lite, "db", "migrate", "--to", self.url)
        self.assertNotEqual(rc, 0, "got exit 0, want a refusal")
        self.assertIn("aliases: 2 rows in the source, 0 in the destination",
                      err)
        self.assertEqual(self.sql("SELECT count(*) FROM domains"), "0",
                         "the copy was not rolled back")

    def test_password_comes_from_pgpassfile_or_service_file(self):
        self.ok("db", "init", "--url", self.url)
        # facteur_admin must give a password on this database only.
        SERVER.hba_first("local %s facteur_admin scram-sha-256"
                         % self.dbname)
        self.sql("ALTER ROLE facteur_admin PASSWORD 'pw-of-admin'")
        url = SERVER.url(self.dbname, "facteur_admin")
        env = dict(os.environ, PGPASSFILE="/nonexistent")
        p = subprocess.run([FACTEUR, "--db", url, "domain", "add",
                            "a.example"], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0, "no password: got exit 0")
        self.assertIn("password", p.stderr)
        passfile = os.path.join(self.dir, "pgpass")
        with open(passfile, "w") as f:
            f.write("*:*:%s:facteur_admin:pw-of-admin\n" % self.dbname)
        os.chmod(passfile, 0o600)
        env["PGPASSFILE"] = passfile
        p = subprocess.run([FACTEUR, "--db", url, "domain", "add",
                            "a.example"], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, "PGPASSFILE: " + p.stderr)
        # A service file names host, port, database and role; the URL
        # only the service.
        svc = os.path.join(self.dir, "pg_service.conf")
        with open(svc, "w") as f:
            f.write("[facteur]\nhost=%s\nport=%d\ndbname=%s\n"
                    "user=facteur_admin\n" % (SERVER.dir, SERVER.port,
                                              self.dbname))
        env["PGSERVICEFILE"] = svc
        p = subprocess.run([FACTEUR, "--db", "postgresql://?service=facteur",
                            "domain", "add", "b.example"], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, "service file: " + p.stderr)
        self.assertEqual(self.sql("SELECT string_agg(name, ',' ORDER BY"
                                  " name) FROM domains"),
                         "a.example,b.example")

    @staticmethod
    def _lite_one(path, q):
        import sqlite3
        con = sqlite3.connect(path)
        try:
            return str(con.execute(q).fetchone()[0])
        finally:
            con.close()

    def _lite_count(self, path, t):
        return self._lite_one(path, "SELECT count(*) FROM " + t)


def main():
    global FACTEUR, SERVER
    FACTEUR = os.path.abspath(sys.argv.pop(1))
    if PG.missing():
        print("SKIP: missing peer: " + PG.missing())
        return 77
    with PG(int(os.environ.get("PG_PORT", "54334"))) as pg:
        SERVER = pg
        prog = unittest.main(exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
