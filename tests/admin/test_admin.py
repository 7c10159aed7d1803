#!/usr/bin/python3
"""Black-box tests of facteur, the admin CLI.

Usage: test_admin.py FACTEUR PWCHECK
Each test drives the built binary with --db in its own temp dir (under the
current directory, which meson sets to the build dir) and checks exit
statuses, output, and the database itself.
"""
import json
import os
import pty
import select
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

FACTEUR = None
PWCHECK = None


def dump(db):
    con = sqlite3.connect(db)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="admin-", dir=os.getcwd())
        self.db = os.path.join(self.dir, "facteur.sqlite")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_f(self, *args, stdin=None, db=True):
        cmd = [FACTEUR]
        if db:
            cmd += ["--db", self.db]
        cmd += list(args)
        p = subprocess.run(cmd, input=stdin, capture_output=True,
                           text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args, stdin=None):
        rc, out, err = self.run_f(*args, stdin=stdin)
        self.assertEqual(rc, 0, f"facteur {' '.join(args)}: got exit {rc}, "
                         f"want 0; stderr: {err}")
        return out

    def fails(self, want_rc, *args, stdin=None):
        rc, out, err = self.run_f(*args, stdin=stdin)
        self.assertEqual(rc, want_rc, f"facteur {' '.join(args)}: got exit "
                         f"{rc}, want {want_rc}; stdout: {out} stderr: {err}")
        return err

    def js(self, *args):
        out = self.ok("--json", *args)
        try:
            return json.loads(out)
        except ValueError as e:
            self.fail(f"facteur {' '.join(args)} --json: got invalid JSON "
                      f"({e}): {out!r}")

    def init(self, domains=("example.org",)):
        self.ok("db", "init")
        for d in domains:
            self.ok("domain", "add", d)

    def add_user(self, addr, password="s3cret pass", *extra):
        return self.ok("user", "add", addr, "--password-stdin", *extra,
                       stdin=password + "\n")

    def pwcheck(self, addr, password):
        p = subprocess.run([PWCHECK, self.db, addr, password],
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout.strip() + p.stderr.strip()


class TestUsage(Base):
    def test_help_forms_print_usage_and_exit_0(self):
        for args in (["-h"], ["help"], ["--help"], ["domain", "--help"],
                     ["user", "help"], ["blacklist", "--help"],
                     ["db", "-h"], ["alias", "--help"]):
            rc, out, err = self.run_f(*args)
            self.assertEqual(rc, 0, f"{args}: got {rc}, want 0")
            self.assertIn("usage:", out, f"{args}: got {out!r}")

    def test_unknown_noun_verb_and_option_exit_2_with_hint(self):
        self.init()
        for args in (["frobnicate"], ["domain", "frob"], ["domain"],
                     ["domain", "add"], ["domain", "add", "a.org", "b.org"],
                     ["domain", "list", "--bogus"], ["blacklist", "cats"],
                     []):
            rc, out, err = self.run_f(*args)
            self.assertEqual(rc, 2, f"{args}: got {rc}, want 2")
            self.assertIn("usage:", err, f"{args}: got stderr {err!r}")

    def test_missing_config_given_with_c_is_an_error(self):
        rc, out, err = self.run_f("-c", os.path.join(self.dir, "nope.conf"),
                                  "domain", "list")
        self.assertEqual(rc, 2, f"got {rc}, want 2 ({err})")
        self.assertIn("nope.conf", err)

    def test_config_file_sets_database_path(self):
        conf = os.path.join(self.dir, "f.conf")
        with open(conf, "w") as f:
            f.write(f"[database]\npath = {self.db}\n[admin]\n"
                    "mail_root = /srv/mail\n")
        p = subprocess.run([FACTEUR, "-c", conf, "db", "init"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(self.db), "database not created")

    def test_commands_need_an_initialised_database(self):
        err = self.fails(1, "domain", "list")
        self.assertIn("db init", err)
        self.assertFalse(os.path.exists(self.db), "listing created the db")


class TestDb(Base):
    def test_init_then_migrate_reports_versions(self):
        out = self.ok("db", "init")
        ver = sqlite3.connect(self.db).execute(
            "PRAGMA user_version").fetchone()[0]
        self.assertGreaterEqual(ver, 1)
        self.assertIn(f"created, schema version {ver}", out)
        out = self.ok("db", "migrate")
        self.assertIn("up to date", out)
        out = self.ok("db", "init")
        self.assertIn("up to date", out)
        mode = os.stat(self.db).st_mode & 0o777
        self.assertEqual(mode & 0o007, 0, f"got mode {oct(mode)}, want no "
                         "world access")

    def test_migrate_reports_from_and_to(self):
        sqlite3.connect(self.db).close()
        out = self.ok("db", "migrate")
        ver = sqlite3.connect(self.db).execute(
            "PRAGMA user_version").fetchone()[0]
        self.assertIn(f"from version 0 to {ver}", out)


class TestDomain(Base):
    def test_domain_verbs(self):
        self.init(domains=())
        self.ok("domain", "add", "Example.ORG", "--default")
        self.ok("domain", "add", "example.net")
        rows = self.js("domain", "list")
        self.assertEqual([r["name"] for r in rows],
                         ["example.net", "example.org"])
        byname = {r["name"]: r for r in rows}
        self.assertEqual(byname["example.org"]["is_default"], 1)
        self.assertEqual(byname["example.net"]["active"], 1)
        self.ok("domain", "disable", "example.net")
        rows = {r["name"]: r for r in self.js("domain", "list")}
        self.assertEqual(rows["example.net"]["active"], 0)
        self.ok("domain", "enable", "example.net")
        rows = {r["name"]: r for r in self.js("domain", "list")}
        self.assertEqual(rows["example.net"]["active"], 1)
        self.ok("domain", "del", "example.net")
        self.assertEqual([r["name"] for r in self.js("domain", "list")],
                         ["example.org"])
        self.fails(1, "domain", "del", "example.net")
        self.fails(1, "domain", "enable", "example.net")

    def test_plain_listing_is_an_aligned_table(self):
        self.init(domains=("a.org", "longer-name.example.org"))
        out = self.ok("domain", "list").splitlines()
        self.assertEqual(len(out), 3, f"got {out}")
        col = out[0].index("ACTIVE")
        for line in out[1:]:
            self.assertIn(line[col], "01", f"got {out}, column ACTIVE "
                          f"at {col} not aligned")

    def test_empty_listing_is_empty_json_array(self):
        self.init(domains=())
        self.assertEqual(self.js("domain", "list"), [])

    def test_domain_with_users_cannot_be_deleted(self):
        self.init()
        self.add_user("alice@example.org")
        before = dump(self.db)
        self.fails(2, "domain", "del", "example.org")
        self.assertEqual(dump(self.db), before)


class TestUser(Base):
    def test_user_verbs_and_stored_hash_verifies(self):
        self.init()
        out = self.add_user("Alice@Example.org", "correct horse",
                            "--name", "Alice Dupré", "--quota", "1G")
        self.assertIn("example.org/alice/", out)
        rc, msg = self.pwcheck("alice@example.org", "correct horse")
        self.assertEqual(rc, 0, f"pwcheck good password: got {rc} {msg}, "
                         "want 0")
        rc, msg = self.pwcheck("alice@example.org", "wrong horse")
        self.assertEqual(rc, 1, f"pwcheck bad password: got {rc} {msg}, "
                         "want 1")
        con = sqlite3.connect(self.db)
        (pw,) = con.execute("SELECT password FROM users").fetchone()
        con.close()
        self.assertTrue(pw.startswith("{SHA512-CRYPT}$6$"), f"got {pw!r}")

        rows = self.js("user", "list")
        self.assertEqual(len(rows), 1)
        u = rows[0]
        self.assertEqual(u["address"].lower(), "alice@example.org")
        self.assertEqual(u["full_name"], "Alice Dupré")
        self.assertEqual(u["quota_bytes"], 1 << 30)
        self.assertEqual(u["maildir"], "example.org/alice/")
        self.assertNotIn("password", u, "listing must not show hashes")
        self.assertEqual(len(self.js("user", "list", "example.org")), 1)

        self.ok("user", "passwd", "alice@example.org", "--password-stdin",
                stdin="new one\n")
        self.assertEqual(self.pwcheck("alice@example.org", "new one")[0], 0)
        self.assertEqual(self.pwcheck("alice@example.org",
                                      "correct horse")[0], 1)
        self.ok("user", "quota", "alice@example.org", "500M")
        self.assertEqual(self.js("user", "list")[0]["quota_bytes"],
                         500 << 20)
        self.ok("user", "disable", "alice@example.org")
        self.assertEqual(self.js("user", "list")[0]["active"], 0)
        self.ok("user", "enable", "alice@example.org")
        self.assertEqual(self.js("user", "list")[0]["active"], 1)
        self.ok("user", "del", "alice@example.org")
        self.assertEqual(self.js("user", "list"), [])
        self.fails(1, "user", "del", "alice@example.org")
        self.fails(1, "user", "passwd", "alice@example.org",
                   "--password-stdin", stdin="x\n")

    def test_scheme_option(self):
        self.init()
        self.add_user("bob@example.org", "pw", "--scheme", "BLF-CRYPT")
        con = sqlite3.connect(self.db)
        (pw,) = con.execute("SELECT password FROM users").fetchone()
        con.close()
        self.assertTrue(pw.startswith("{BLF-CRYPT}"), f"got {pw!r}")
        self.assertEqual(self.pwcheck("bob@example.org", "pw")[0], 0)

    def terminal_add(self, first, second):
        """Runs user add with a pty as stdin; returns (rc, stderr)."""
        master, slave = pty.openpty()
        p = subprocess.Popen([FACTEUR, "--db", self.db, "user", "add",
                              "carol@example.org"], stdin=slave,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        os.close(slave)
        try:
            for answer in (first, second):
                # Wait (bounded) until echo is off, then type.
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    attrs = __import__("termios").tcgetattr(master)
                    if not attrs[3] & __import__("termios").ECHO:
                        break
                    time.sleep(0.02)
                else:
                    self.fail("echo never turned off on the terminal")
                os.write(master, (answer + "\n").encode())
                time.sleep(0.1)
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            os.close(master)
        return p.returncode, err

    def test_password_from_terminal_asked_twice_without_echo(self):
        self.init()
        before = dump(self.db)
        rc, err = self.terminal_add("one", "two")
        self.assertEqual(rc, 2, f"mismatch: got {rc}, want 2 ({err})")
        self.assertIn("do not match", err)
        self.assertEqual(dump(self.db), before)
        rc, err = self.terminal_add("same pw", "same pw")
        self.assertEqual(rc, 0, f"match: got {rc}, want 0 ({err})")
        self.assertEqual(self.pwcheck("carol@example.org", "same pw")[0], 0)

    def test_password_never_from_a_pipe_without_flag(self):
        self.init()
        err = self.fails(2, "user", "add", "dan@example.org", stdin="pw\n")
        self.assertIn("--password-stdin", err)


class TestAlias(Base):
    def test_alias_verbs(self):
        self.init()
        self.ok("alias", "add", "postmaster@example.org", "a@example.org")
        self.ok("alias", "add", "postmaster@example.org", "b@example.net")
        self.ok("alias", "add", "root", "a@example.org")
        rows = self.js("alias", "list")
        got = sorted((r["alias"], r["destination"]) for r in rows)
        self.assertEqual(got, [("postmaster@example.org", "a@example.org"),
                               ("postmaster@example.org", "b@example.net"),
                               ("root", "a@example.org")])
        self.fails(2, "alias", "add", "root", "a@example.org")
        self.ok("alias", "del", "postmaster@example.org", "a@example.org")
        self.assertEqual(len(self.js("alias", "list")), 2)
        self.ok("alias", "del", "postmaster@example.org")
        self.assertEqual(len(self.js("alias", "list")), 1)
        self.fails(1, "alias", "del", "postmaster@example.org")

    def test_valias_verbs_with_catch_all(self):
        self.init()
        self.ok("valias", "add", "info@example.org", "a@example.org")
        self.ok("valias", "add", "@Example.ORG", "catch@example.org")
        self.ok("valias", "add", "@example.net", "@example.org")
        got = sorted((r["address"], r["destination"])
                     for r in self.js("valias", "list"))
        self.assertEqual(got, [("@example.net", "@example.org"),
                               ("@example.org", "catch@example.org"),
                               ("info@example.org", "a@example.org")])
        self.ok("valias", "del", "@example.org")
        self.assertEqual(len(self.js("valias", "list")), 2)


class TestBlacklist(Base):
    def test_sender_forms_and_listing(self):
        self.init()
        self.ok("blacklist", "sender", "add", "spam@Evil.COM", "--code",
                "550", "--enhanced", "5.7.1", "--message", "Go away")
        self.ok("blacklist", "sender", "add", "@evil.org")
        self.ok("blacklist", "sender", "add", "evil.net")
        self.ok("blacklist", "sender", "add", "192.0.2.0/24")
        self.ok("blacklist", "sender", "add", "2001:DB8::/32", "--code",
                "450", "--enhanced", "4.7.1")
        self.ok("blacklist", "sender", "add", "friend.example", "--allow")
        rows = {r["pattern"]: r for r in self.js("blacklist", "sender",
                                                  "list")}
        self.assertEqual(sorted(rows), sorted([
            "spam@evil.com", "@evil.org", "evil.net", "192.0.2.0/24",
            "2001:db8::/32", "friend.example"]))
        self.assertEqual(rows["spam@evil.com"]["code"], 550)
        self.assertEqual(rows["spam@evil.com"]["message"], "Go away")
        self.assertEqual(rows["spam@evil.com"]["kind"], "address")
        self.assertEqual(rows["@evil.org"]["kind"], "domain")
        self.assertEqual(rows["192.0.2.0/24"]["kind"], "ip")
        self.assertEqual(rows["2001:db8::/32"]["code"], 450)
        self.assertEqual(rows["friend.example"]["action"], "OK")
        self.ok("blacklist", "sender", "del", "evil.net")
        self.fails(1, "blacklist", "sender", "del", "evil.net")
        self.assertEqual(len(self.js("blacklist", "sender", "list")), 5)

    def test_ip_rows_are_exactly_what_the_blacklist_reads(self):
        # admin/check.c had a CIDR parser of its own: it took rows that
        # lib/cidr (facteur-blacklist, facteur-lookup) skips without a
        # word, e.g. a mapped /95, so the row blocked nothing (issue 10).
        self.init()
        before = dump(self.db)
        for bad, why in (("::ffff:1.2.3.0/95", "prefix length"),
                         ("192.0.2.0/", "empty prefix"),
                         ("10.0.0.0/08", "not a plain decimal")):
            err = self.fails(2, "blacklist", "sender", "add", bad)
            self.assertIn(why, err, f"{bad}: got stderr {err!r}")
        self.assertEqual(dump(self.db), before)
        self.ok("blacklist", "sender", "add", "::ffff:10.0.0.0/104")
        self.ok("blacklist", "sender", "add", "192.0.2.5/24")
        self.ok("blacklist", "sender", "add", "2001:DB8::1")
        got = sorted(r["pattern"] for r in self.js("blacklist", "sender",
                                                   "list"))
        self.assertEqual(got, ["10.0.0.0/8", "192.0.2.5/24", "2001:db8::1"])
        self.ok("blacklist", "sender", "del", "192.0.2.5/24")

    def test_recipient_actions(self):
        self.init()
        self.ok("blacklist", "recipient", "add", "old@example.org",
                "--code", "550", "--enhanced", "5.1.1", "--message", "Gone")
        self.ok("blacklist", "recipient", "add", "sales@example.org",
                "--action", "discard")
        self.ok("blacklist", "recipient", "add", "hold@example.org",
                "--action", "HOLD", "--message", "review")
        rows = {r["pattern"]: r for r in self.js("blacklist", "recipient",
                                                  "list")}
        self.assertEqual(rows["old@example.org"]["action"], "REJECT")
        self.assertEqual(rows["old@example.org"]["enhanced"], "5.1.1")
        self.assertEqual(rows["sales@example.org"]["action"], "DISCARD")
        self.assertEqual(rows["hold@example.org"]["message"], "review")
        self.ok("blacklist", "recipient", "del", "hold@example.org")
        self.assertEqual(len(self.js("blacklist", "recipient", "list")), 2)

    def test_json_escapes_quotes_and_backslashes(self):
        self.init()
        msg = 'say "no" \\ then go'
        self.ok("blacklist", "sender", "add", "q@example.org", "--message",
                msg)
        self.add_user("u@example.org", "pw", "--name", 'Zoé "Z" \\ Ø')
        rows = self.js("blacklist", "sender", "list")
        self.assertEqual(rows[0]["message"], msg)
        self.assertEqual(self.js("user", "list")[0]["full_name"],
                         'Zoé "Z" \\ Ø')


class TestValidation(Base):
    """Each invalid input exits 2, names the problem and changes nothing."""

    CASES = [
        (["domain", "add", "bad_domain.org"], "invalid domain"),
        (["domain", "add", "-x.org"], "domain"),
        (["domain", "add", "example.org"], "already exists"),
        (["user", "add", "no-at-sign", "--password-stdin"], "position"),
        (["user", "add", "a..b@example.org", "--password-stdin"],
         "position 3"),
        (["user", "add", "x@nodomain.org", "--password-stdin"],
         "domain nodomain.org does not exist"),
        (["user", "add", "alice@example.org", "--password-stdin"],
         "already exists"),
        (["user", "add", "new@example.org", "--password-stdin",
          "--quota", "lots"], "--quota"),
        (["user", "add", "new@example.org", "--password-stdin",
          "--scheme", "ROT13"], "ROT13"),
        (["user", "quota", "alice@example.org", "12Q"], "quota"),
        (["alias", "add", "bad alias", "a@example.org"], "alias"),
        (["alias", "add", "root", "not-an-address"], "destination"),
        (["valias", "add", "@bad_domain", "a@example.org"], "domain"),
        (["blacklist", "sender", "add", "a@example.com", "--code", "399"],
         "400..599"),
        (["blacklist", "sender", "add", "a@example.com", "--code", "600"],
         "400..599"),
        (["blacklist", "sender", "add", "a@example.com", "--code", "450",
          "--enhanced", "5.7.1"], "does not match"),
        (["blacklist", "sender", "add", "a@example.com", "--enhanced",
          "5.7"], "enhanced"),
        (["blacklist", "sender", "add", "a@example.com", "--message",
          "Parle à ma main"],
         "message: non-ASCII character U+00E0 'à' at position 7; "
         "use plain ASCII"),
        (["blacklist", "sender", "add", "a@example.com", "--message",
          "two\r\nlines"], "line break (CR) at position 4"),
        (["blacklist", "sender", "add", "a@example.com", "--message",
          "x\ny"], "line break (LF)"),
        (["blacklist", "sender", "add", "10.0.0.0/33"], "/33"),
        (["blacklist", "sender", "add", "2001:db8::/129"], "/129"),
        (["blacklist", "sender", "add", "300.1.2.3"], "IPv4"),
        (["blacklist", "sender", "add", "a.org", "--allow", "--code",
          "554"], "only for REJECT"),
        (["blacklist", "recipient", "add", "a@example.org", "--action",
          "BOUNCE"], "--action"),
        (["blacklist", "recipient", "add", "10.0.0.1"], "senders only"),
        (["blacklist", "sender", "add", "dup@example.org"],
         "already listed"),
    ]

    def test_invalid_input_exits_2_and_changes_nothing(self):
        self.init()
        self.add_user("alice@example.org")
        self.ok("blacklist", "sender", "add", "dup@example.org")
        before = dump(self.db)
        for args, want in self.CASES:
            with self.subTest(args=args):
                rc, out, err = self.run_f(*args, stdin="pw\n")
                self.assertEqual(rc, 2, f"{args}: got exit {rc}, want 2; "
                                 f"stderr {err!r}")
                self.assertIn(want, err, f"{args}: got stderr {err!r}, "
                              f"want it to mention {want!r}")
                self.assertEqual(dump(self.db), before,
                                 f"{args}: database changed")

    def test_empty_password_on_stdin_is_refused(self):
        self.init()
        before = dump(self.db)
        self.fails(2, "user", "add", "e@example.org", "--password-stdin",
                   stdin="\n")
        self.fails(2, "user", "add", "e@example.org", "--password-stdin",
                   stdin="")
        self.assertEqual(dump(self.db), before)

    def test_password_with_a_nul_byte_is_refused(self):
        # crypt(3) stops at the NUL: "pre\0post" used to be stored as the
        # hash of "pre" (issue 10, finding 8).
        self.init()
        before = dump(self.db)
        err = self.fails(2, "user", "add", "n@example.org",
                         "--password-stdin", stdin="pre\0post\n")
        self.assertIn("NUL", err, f"got stderr {err!r}, want it to name "
                      "the NUL byte")
        self.assertEqual(dump(self.db), before, "user add: database changed")
        self.add_user("n@example.org", "old pass")
        err = self.fails(2, "user", "passwd", "n@example.org",
                         "--password-stdin", stdin="pre\0post\n")
        self.assertIn("NUL", err, f"got stderr {err!r}")
        for pw, want in (("old pass", 0), ("pre", 1)):
            rc, msg = self.pwcheck("n@example.org", pw)
            self.assertEqual(rc, want, f"pwcheck {pw!r} after a refused "
                             f"passwd: got {rc} {msg}, want {want}")


LEGACY_SCHEMA = """
CREATE TABLE postfix_domaines(domaine TEXT PRIMARY KEY,
    defaut INTEGER DEFAULT 0, active INTEGER DEFAULT 1);
CREATE TABLE postfix_utilisateurs(utilisateur TEXT PRIMARY KEY,
    mot_de_passe TEXT, nom_complet TEXT, rep_perso TEXT, uid INTEGER,
    gid INTEGER, privilege TEXT, prefixe TEXT, active INTEGER DEFAULT 1);
CREATE TABLE postfix_alias(alias TEXT, destination TEXT,
    active INTEGER DEFAULT 1);
CREATE TABLE postfix_alias_virtuels(courriel TEXT, destination TEXT,
    active INTEGER DEFAULT 1);
CREATE TABLE postfix_liste_noire_expediteurs(courriel TEXT,
    code_retour TEXT, message TEXT, active INTEGER DEFAULT 1);
CREATE TABLE postfix_liste_noire_destinataires(courriel TEXT, action TEXT,
    active INTEGER DEFAULT 1);
"""

HASH_A = "{SHA512-CRYPT}$6$saltsalt$" + "a" * 86
HASH_B = "{SHA512-CRYPT}$6$pepper$" + "b" * 86
GUIDE_MSG = "Parle à ma main, ma tête est malade."


class TestImportLegacy(Base):
    def make_legacy(self):
        path = os.path.join(self.dir, "legacy.sqlite")
        con = sqlite3.connect(path)
        con.executescript(LEGACY_SCHEMA)
        con.executemany("INSERT INTO postfix_domaines VALUES (?,?,?)", [
            ("example.org", 1, 1), ("example.net", 0, 0)])
        con.executemany(
            "INSERT INTO postfix_utilisateurs VALUES (?,?,?,?,?,?,?,?,?)", [
                ("alice@example.org", HASH_A, "Alice Dupré",
                 "/var/mail/utilisateurs/example.org/alice/", 5000, 5000,
                 None, None, 1),
                ("bob@example.net", HASH_B, None,
                 "/var/mail/utilisateurs/example.net/bob", None, None,
                 None, None, 0),
                ("eve@example.org", HASH_B, "Eve", "/home/eve/", None, None,
                 None, None, 1),
            ])
        con.executemany("INSERT INTO postfix_alias VALUES (?,?,?)", [
            ("postmaster@example.org", "alice@example.org, bob@example.net",
             1)])
        con.executemany("INSERT INTO postfix_alias_virtuels VALUES (?,?,?)",
                        [("@example.net", "alice@example.org", 1),
                         ("info@example.org", "alice@example.org", 0)])
        con.executemany(
            "INSERT INTO postfix_liste_noire_expediteurs VALUES (?,?,?,?)", [
                ("spam@example.com", "554", GUIDE_MSG, 1),
                ("10.1.2.0/24", "REJECT", "", 1),
                ("friend.example", "OK", None, 1),
                ("slow@example.com", "450", "4.7.1 Try later", 1),
            ])
        con.executemany(
            "INSERT INTO postfix_liste_noire_destinataires VALUES (?,?,?)", [
                ("sales@example.org", "DISCARD", 1),
                ("old@example.org", "550 5.1.1 Gone", 1),
            ])
        con.commit()
        con.close()
        return path

    def check_rows(self, with_spam):
        doms = {r["name"]: r for r in self.js("domain", "list")}
        self.assertEqual(doms["example.org"]["is_default"], 1)
        self.assertEqual(doms["example.net"]["active"], 0)
        con = sqlite3.connect(self.db)
        users = {r[0]: r[1:] for r in con.execute(
            "SELECT address, password, full_name, maildir, uid, gid, active"
            " FROM users")}
        con.close()
        self.assertEqual(users, {
            "alice@example.org": (HASH_A, "Alice Dupré",
                                  "example.org/alice/", 5000, 5000, 1),
            "bob@example.net": (HASH_B, "", "example.net/bob/", -1, -1, 0),
        })
        aliases = sorted((r["alias"], r["destination"])
                         for r in self.js("alias", "list"))
        self.assertEqual(aliases, [
            ("postmaster@example.org", "alice@example.org"),
            ("postmaster@example.org", "bob@example.net")])
        val = {r["address"]: r for r in self.js("valias", "list")}
        self.assertEqual(val["@example.net"]["destination"],
                         "alice@example.org")
        self.assertEqual(val["info@example.org"]["active"], 0)
        snd = {r["pattern"]: r for r in self.js("blacklist", "sender",
                                                 "list")}
        want = {"10.1.2.0/24", "friend.example", "slow@example.com"}
        if with_spam:
            want.add("spam@example.com")
        self.assertEqual(set(snd), want)
        self.assertEqual(snd["10.1.2.0/24"]["kind"], "ip")
        self.assertEqual(snd["10.1.2.0/24"]["action"], "REJECT")
        self.assertEqual(snd["friend.example"]["action"], "OK")
        self.assertEqual((snd["slow@example.com"]["code"],
                          snd["slow@example.com"]["enhanced"],
                          snd["slow@example.com"]["message"]),
                         (450, "4.7.1", "Try later"))
        if with_spam:
            self.assertEqual(snd["spam@example.com"]["message"],
                             "Parle a ma main, ma tete est malade.")
            self.assertEqual(snd["spam@example.com"]["code"], 554)
        rcp = {r["pattern"]: r for r in self.js("blacklist", "recipient",
                                                 "list")}
        self.assertEqual(rcp["sales@example.org"]["action"], "DISCARD")
        self.assertEqual((rcp["old@example.org"]["code"],
                          rcp["old@example.org"]["enhanced"],
                          rcp["old@example.org"]["message"]),
                         (550, "5.1.1", "Gone"))

    def test_import_reports_invalid_then_transliterates_then_is_idempotent(
            self):
        legacy = self.make_legacy()
        before_legacy = dump(legacy)
        rc, out, err = self.run_f("db", "import-legacy", legacy)
        self.assertEqual(rc, 1, f"got {rc}, want 1 (invalid rows): {err}")
        self.assertIn("postfix_domaines: 2 imported, 0 already present, "
                      "0 invalid", out)
        self.assertIn("postfix_utilisateurs: 2 imported, 0 already "
                      "present, 1 invalid", out)
        self.assertIn("postfix_liste_noire_expediteurs: 3 imported, 0 "
                      "already present, 1 invalid", out)
        self.assertIn("invalid: postfix_utilisateurs eve@example.org: "
                      "rep_perso", err)
        self.assertIn("invalid: postfix_liste_noire_expediteurs "
                      "spam@example.com: message: non-ASCII character "
                      "U+00E0 'à' at position 7", err)
        self.check_rows(with_spam=False)

        rc, out, err = self.run_f("db", "import-legacy", legacy,
                                  "--transliterate")
        self.assertEqual(rc, 1, f"got {rc}, want 1 (eve still invalid)")
        self.assertIn("postfix_liste_noire_expediteurs spam@example.com: "
                      f"message: '{GUIDE_MSG}' -> 'Parle a ma main, ma tete "
                      "est malade.'", out)
        self.assertIn("postfix_liste_noire_expediteurs: 1 imported, 3 "
                      "already present, 0 invalid", out)
        self.check_rows(with_spam=True)

        snapshot = dump(self.db)
        rc, out, err = self.run_f("db", "import-legacy", legacy,
                                  "--transliterate", "--mail-root", "/home")
        self.assertIn("postfix_domaines: 0 imported, 2 already present", out)
        self.assertIn("postfix_liste_noire_expediteurs: 0 imported, 4 "
                      "already present", out)
        self.assertIn("postfix_utilisateurs: 1 imported, 2 already present,"
                      " 0 invalid", out)
        self.assertEqual(rc, 0, f"got {rc}, want 0: {err}")
        self.assertNotIn("->", out, "already present rows re-reported")
        con = sqlite3.connect(self.db)
        (md,) = con.execute("SELECT maildir FROM users WHERE address ="
                            " 'eve@example.org'").fetchone()
        con.close()
        self.assertEqual(md, "eve/")
        self.assertNotEqual(dump(self.db), snapshot)
        snapshot = dump(self.db)
        rc, out, err = self.run_f("db", "import-legacy", legacy,
                                  "--transliterate", "--mail-root", "/home")
        self.assertEqual(rc, 0)
        self.assertNotIn(" 1 imported", out)
        self.assertEqual(dump(self.db), snapshot, "second import changed db")
        self.assertEqual(dump(legacy), before_legacy, "legacy db changed")

    def test_missing_legacy_file_is_an_error_and_changes_nothing(self):
        self.init()
        before = dump(self.db)
        self.fails(1, "db", "import-legacy", os.path.join(self.dir, "no"))
        self.assertEqual(dump(self.db), before)

    def test_bad_code_retour_is_listed(self):
        legacy = self.make_legacy()
        con = sqlite3.connect(legacy)
        con.execute("INSERT INTO postfix_liste_noire_expediteurs VALUES "
                    "('x@example.com', 'DEFER_IF_PERMIT', '', 1)")
        con.execute("INSERT INTO postfix_liste_noire_expediteurs VALUES "
                    "('y@example.com', '250', '', 1)")
        con.commit()
        con.close()
        rc, out, err = self.run_f("db", "import-legacy", legacy,
                                  "--transliterate")
        self.assertEqual(rc, 1)
        self.assertIn("x@example.com: code_retour: 'DEFER_IF_PERMIT'", err)
        self.assertIn("y@example.com: code_retour:", err)


def main():
    global FACTEUR, PWCHECK
    if len(sys.argv) < 3:
        print("usage: test_admin.py FACTEUR PWCHECK", file=sys.stderr)
        return 2
    FACTEUR, PWCHECK = sys.argv[1], sys.argv[2]
    argv = [sys.argv[0]] + sys.argv[3:]
    prog = unittest.main(argv=argv, exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
