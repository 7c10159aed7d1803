"""lookup_postfix_test - a real Postfix resolves domains, mailboxes, aliases
and the sender blacklist from facteur's database, through facteur-lookup's
socketmap and through Postfix's native sqlite: tables, and sees changes
made with `facteur` without a reload.

Usage: lookup_postfix_test.py FACTEUR FACTEUR_LOOKUP   (as root)
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402
import harness  # noqa: E402

EXE = None  # filled in main

SPAMMER = "spammer@evil.example"
SPAM_TEXT = "Parle a ma main"


def build_db(tmp):
    """A database with one domain, a user, an alias and a blacklisted
    sender; returns (admin, conf, db)."""
    # Postfix's own sqlite: client runs as the postfix user and, the
    # database being in WAL mode, needs to write the -shm/-wal files:
    # give group postfix the directory and the file (SQLite, as root,
    # creates -wal/-shm with the database's owner and mode).
    dbdir = os.path.join(tmp, "db")
    os.mkdir(dbdir)
    postfix_gid = harness.grp.getgrnam("postfix").gr_gid
    os.chown(dbdir, 0, postfix_gid)
    os.chmod(dbdir, 0o770)
    db = os.path.join(dbdir, "facteur.sqlite")
    sock = os.path.join(tmp, "lookup.sock")
    conf = fixtures.write_conf(os.path.join(tmp, "facteur.conf"), {
        "database": {"path": db},
        "admin": {"mail_root": os.path.join(tmp, "mail")},
        "lookup": {"socket": sock, "user": ""},
    })
    admin = fixtures.Admin(EXE["facteur"], conf, db)
    admin("db", "init")
    os.chown(db, 0, postfix_gid)
    os.chmod(db, 0o660)
    admin("domain", "add", "example.org")
    admin.add_user("alice@example.org", "alice-pw")
    admin("valias", "add", "postmaster@example.org", "alice@example.org")
    admin("blacklist", "sender", "add", SPAMMER, "--code", "554",
          "--message", SPAM_TEXT)
    return admin, conf, db, sock


class LookupCases:
    """The checks, for any way of plugging the database into Postfix.
    Subclasses set up cls.pf, cls.admin and cls.maps (map name -> Postfix
    table)."""

    def q(self, key, m):
        return self.pf.postmap_q(key, self.maps[m])

    def test_postmap_returns_what_the_database_holds(self):
        cases = [
            ("domains", "example.org", lambda v: v is not None),
            ("domains", "example.net", lambda v: v is None),
            ("mailboxes", "alice@example.org",
             lambda v: v == "example.org/alice/"),
            ("mailboxes", "nobody@example.org", lambda v: v is None),
            ("virtual_aliases", "postmaster@example.org",
             lambda v: v == "alice@example.org"),
            ("sender_access", SPAMMER,
             lambda v: v is not None and v.startswith("554")
             and SPAM_TEXT in v),
            ("sender_access", "friend@example.net", lambda v: v is None),
        ]
        for m, key, ok in cases:
            got = self.q(key, m)
            self.assertTrue(ok(got), "postmap -q %s %s: got %r" %
                            (key, self.maps[m], got))

    def test_known_recipient_and_alias_are_delivered(self):
        msg = harness.make_message("friend@example.net",
                                   "alice@example.org",
                                   subject="to alice " + self.kind)
        res = self.pf.send("friend@example.net", ["alice@example.org",
                           "postmaster@example.org"], msg)
        for r in ("alice@example.org", "postmaster@example.org"):
            self.assertEqual(res["rcpt"][r][0], 250,
                             "RCPT %s: got %r, want 250" % (r, res))
        self.assertEqual(res["data"][0], 250, "DATA: got %r, want 250"
                         % (res["data"],))
        qid = res["data"][1].split()[-1]
        # both recipients land in alice's Maildir
        self.pf.wait_for_log(r"%s: to=<alice@example.org>, orig_to="
                             r"<postmaster@example.org>.*status=sent" % qid)
        self.pf.wait_for_log(r"%s: to=<alice@example.org>, relay=virtual"
                             r".*status=sent" % qid)
        got = [p for p in self.pf.deliveries("example.org/alice/")
               if harness.read_message(p)["Subject"] == "to alice " +
               self.kind]
        self.assertEqual(len(got), 2, "deliveries to alice: got %d, "
                         "want 2" % len(got))

    def test_unknown_recipient_is_rejected_550_511(self):
        res = self.pf.send("friend@example.net", ["nobody@example.org"],
                           harness.make_message("friend@example.net",
                                                "nobody@example.org"))
        code, text = res["rcpt"]["nobody@example.org"]
        self.assertEqual(code, 550, "got %d %s, want 550" % (code, text))
        self.assertTrue(text.startswith("5.1.1"), "got %r, want 5.1.1"
                        % text)

    def test_blacklisted_sender_gets_the_stored_code_and_text(self):
        res = self.pf.send(SPAMMER, ["alice@example.org"],
                           harness.make_message(SPAMMER,
                                                "alice@example.org"))
        # check_sender_access applies at RCPT time by default
        # (smtpd_delay_reject = yes)
        code, text = res["rcpt"]["alice@example.org"]
        self.assertEqual(code, 554, "got %d %s, want 554" % (code, text))
        self.assertTrue(text.endswith(SPAM_TEXT), "got %r, want it to end "
                        "with %r" % (text, SPAM_TEXT))
        self.assertTrue(text.startswith("5.7.1"), "got %r, want 5.7.1"
                        % text)

    def test_changes_take_effect_without_reload(self):
        user = "new-%s@example.org" % self.kind
        bad = "late-%s@evil.example" % self.kind
        master = self.pf.master_pid()
        before = self.pf.send("friend@example.net", [user],
                              harness.make_message("friend@example.net",
                                                   user))
        self.assertEqual(before["rcpt"][user][0], 550,
                         "before user add: got %r, want 550" % (before,))
        self.admin.add_user(user, "pw-" + self.kind)
        self.admin("blacklist", "sender", "add", bad, "--code", "550",
                   "--enhanced", "5.7.0", "--message", "Go away now")
        after = self.pf.send("friend@example.net", [user],
                             harness.make_message("friend@example.net",
                                                  user, subject="late"))
        self.assertEqual(after["rcpt"][user][0], 250,
                         "after user add: got %r, want 250" % (after,))
        self.pf.wait_for_delivery(1, mailbox="example.org/new-%s/" %
                                  self.kind)
        res = self.pf.send(bad, ["alice@example.org"],
                           harness.make_message(bad, "alice@example.org"))
        code, text = res["rcpt"]["alice@example.org"]
        self.assertEqual((code, text.startswith("5.7.0"),
                          text.endswith("Go away now")),
                         (550, True, True),
                         "new blacklist row: got %d %r, want 550 5.7.0 "
                         "... Go away now" % (code, text))
        self.assertEqual(self.pf.master_pid(), master,
                         "master pid changed: got %r, want %r" %
                         (self.pf.master_pid(), master))
        self.assertNotIn("reload", self.pf.log(), "maillog shows a reload")


SQLITE_DIR = os.path.join(fixtures.TEMPLATES, "postfix", "sqlite")
SQLITE_FILES = {"domains": "virtual_mailbox_domains.cf",
                "mailboxes": "virtual_mailbox_maps.cf",
                "virtual_aliases": "virtual_alias_maps.cf",
                "sender_access": "sender_access.cf",
                "recipient_access": "recipient_access.cf",
                "aliases": "alias_maps.cf"}


def sqlite_tables(tmp, db):
    """Renders config-templates/postfix/sqlite/*.cf for db into tmp;
    returns {map name: "sqlite:PATH"}."""
    maps = {}
    for m, name in SQLITE_FILES.items():
        dst = os.path.join(tmp, name)
        fixtures.render(os.path.join("postfix", "sqlite", name), dst,
                        [(fixtures.INSTALL_DB, db)])
        maps[m] = "sqlite:" + dst
    return maps


def hand_main_cf(maps):
    return {
        "virtual_mailbox_domains": maps["domains"],
        "virtual_mailbox_maps": maps["mailboxes"],
        "virtual_alias_maps": maps["virtual_aliases"],
        "smtpd_sender_restrictions":
            "check_sender_access " + maps["sender_access"],
    }


class Route:
    """Sets up one way of plugging the database into Postfix: cls.kind,
    cls.lookup_daemon (start facteur-lookup?) and cls.postfix_conf(tmp,
    sock, sqlite_maps) -> (maps, main_cf_extra)."""
    lookup_daemon = False

    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("lk")
        try:
            tmp = cls.tmp.path
            cls.admin, conf, db, sock = build_db(tmp)
            if cls.lookup_daemon:
                cls.lookup = fixtures.start_lookup(EXE["facteur_lookup"],
                                                   conf, tmp, sock, db)
                # what the shell sees, before Postfix is involved
                p = harness.run([EXE["facteur_lookup"], "-c", conf, "--db",
                                 db, "query", "mailboxes",
                                 "alice@example.org"])
                assert p.stdout.strip() == "example.org/alice/", p.stdout
            sq = sqlite_tables(tmp, db)
            cls.maps, main_cf = cls.postfix_conf(tmp, sock, sq)
            cls.pf = harness.Postfix(tmp, main_cf_extra=main_cf,
                                     virtual_options={
                # virtual(8) refuses socketmap: for paths ("not allowed for
                # security-sensitive data"): until facteur-lmtp delivers,
                # it reads the Maildir from the database's sqlite: table.
                "virtual_mailbox_maps": sq["mailboxes"]})
        except Exception:
            cls.tearDownClass(failed=True)
            raise

    @classmethod
    def tearDownClass(cls, failed=False):
        for name in ("pf", "lookup"):
            obj = getattr(cls, name, None)
            if obj is not None:
                obj.close()
        san = cls.lookup.sanitizer_report() if getattr(
            cls, "lookup", None) is not None else ""
        if failed or san:
            if getattr(cls, "lookup", None) is not None:
                print(cls.lookup.log(), file=sys.stderr)
            cls.tmp.keep = True
        cls.tmp.close()
        if san:
            raise AssertionError("facteur-lookup sanitizer report: got\n%s\n"
                                 "want none" % san)


def socketmaps(sock):
    return {m: "socketmap:unix:%s:%s" % (sock, m) for m in SQLITE_FILES}


class SocketmapLookup(Route, LookupCases, unittest.TestCase):
    kind = "socketmap"
    lookup_daemon = True

    @classmethod
    def postfix_conf(cls, tmp, sock, sq):
        return socketmaps(sock), hand_main_cf(socketmaps(sock))


class NativeSqliteLookup(Route, LookupCases, unittest.TestCase):
    kind = "sqlite"

    @classmethod
    def postfix_conf(cls, tmp, sock, sq):
        return sq, hand_main_cf(sq)


def template_main_cf(name, replacements):
    """config-templates/postfix/NAME as main.cf parameters, with the
    install paths replaced, and mynetworks emptied so that the template's
    permit_mynetworks does not let the loopback test client skip the
    checks under test."""
    with open(os.path.join(fixtures.TEMPLATES, "postfix", name)) as f:
        text = f.read()
    for old, new in replacements:
        assert old in text, "%s has no %r" % (name, old)
        text = text.replace(old, new)
    params = harness.parse_main_cf(text)
    params["mynetworks"] = ""
    return params


class SocketmapTemplate(Route, LookupCases, unittest.TestCase):
    """config-templates/postfix/main.cf.socketmap, as shipped."""
    kind = "tsocketmap"
    lookup_daemon = True

    @classmethod
    def postfix_conf(cls, tmp, sock, sq):
        return socketmaps(sock), template_main_cf(
            "main.cf.socketmap", [("private/facteur-lookup", sock)])


class SqliteTemplate(Route, LookupCases, unittest.TestCase):
    """config-templates/postfix/main.cf.sqlite, as shipped."""
    kind = "tsqlite"

    @classmethod
    def postfix_conf(cls, tmp, sock, sq):
        return sq, template_main_cf(
            "main.cf.sqlite", [("/etc/postfix/sqlite/", tmp + "/")])


if __name__ == "__main__":
    EXE = fixtures.exe_args(sys.argv, ["facteur", "facteur_lookup"])
    unittest.main(argv=sys.argv[:1], verbosity=2)
