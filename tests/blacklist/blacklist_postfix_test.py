"""blacklist_postfix_test - a real Postfix on loopback runs facteur-blacklist
through smtpd_milters, with the tables filled by the real `facteur` CLI and
a private Knot DNS server (dnsserver.py) for the DNSBL zones:

  - a blacklisted sender gets exactly its stored code, enhanced code and
    text at MAIL FROM;
  - a blacklisted CIDR (127.0.0.0/8: Postfix's client is 127.0.0.1) is
    refused, and a row deleted with the CLI applies at once;
  - a DNSBL-listed client (1.0.0.127.zen.test A 127.0.0.2) is refused;
  - a 127.255.255.254 answer is logged as a refused query and the mail is
    accepted.
SPF is proven over the milter protocol (test_blacklist_milter.py) with a
192.0.2.x client: libspf2 passes every loopback client, and Postfix's
client here is 127.0.0.1.

Usage: blacklist_postfix_test.py FACTEUR_BLACKLIST FACTEUR   (as root)
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import dnsserver  # noqa: E402
import fixtures  # noqa: E402
import harness  # noqa: E402

EXE = None
SPAMMER = "spammer@evil.example"
TEXT = "Vous ne passerez pas"
FRIEND = "friend@example.net"


class BlacklistPostfix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("blpf")
        cls.milter = cls.pf = cls.dns = None
        try:
            tmp = cls.tmp.path
            cls.dns = dnsserver.DnsServer(os.path.join(tmp, "dns"), {
                "zen.test": [("1.0.0.127", "A", "127.0.0.2")],
                "refused.test": [("1.0.0.127", "A", "127.255.255.254")],
            })
            # The milter runs as nobody:postfix and the database is in WAL
            # mode: group postfix gets the directory and the file (SQLite
            # creates -wal/-shm with the database's owner and mode).
            dbdir = os.path.join(tmp, "db")
            os.mkdir(dbdir)
            gid = harness.grp.getgrnam("postfix").gr_gid
            os.chown(dbdir, 0, gid)
            os.chmod(dbdir, 0o770)
            cls.db = os.path.join(dbdir, "facteur.sqlite")
            cls.sock = os.path.join(tmp, "blacklist.sock")
            cls.conf = os.path.join(tmp, "facteur.conf")
            cls.write_conf("")
            cls.admin = fixtures.Admin(EXE["facteur"], cls.conf, cls.db)
            cls.admin("db", "init")
            os.chown(cls.db, 0, gid)
            os.chmod(cls.db, 0o660)
            cls.admin("blacklist", "sender", "add", SPAMMER, "--code", "550",
                      "--enhanced", "5.7.1", "--message", TEXT)
            cls.start_milter()
            cls.pf = harness.Postfix(tmp, main_cf_extra={
                "virtual_mailbox_domains": "example.org",
                "virtual_mailbox_maps": "inline:{alice@example.org="
                                        "example.org/alice/}",
                "smtpd_milters": "unix:" + cls.sock,
                "milter_default_action": "tempfail",
            })
        except Exception:
            cls.tearDownClass(failed=True)
            raise

    @classmethod
    def write_conf(cls, zones):
        # smtpd (user postfix) connects to the 0660 socket of group postfix.
        fixtures.write_conf(cls.conf, {
            "database": {"path": cls.db},
            "blacklist": {
                "socket": "unix:" + cls.sock,
                "socket_mode": "0660",
                "user": "nobody",
                "group": "postfix",
                "internal_hosts": "",  # Postfix's client is 127.0.0.1
                "dnsbl_zones": zones,
                "resolver": "127.0.0.1@%d" % cls.dns.port,
                "dnsbl_timeout": "3s",
            }})

    @classmethod
    def start_milter(cls):
        cls.milter = fixtures.start_milter(EXE["facteur_blacklist"],
                                           cls.conf, cls.tmp.path, cls.sock,
                                           "facteur-blacklist")

    @classmethod
    def restart_milter(cls, zones):
        cls.milter.close()
        cls.write_conf(zones)
        cls.start_milter()

    @classmethod
    def tearDownClass(cls, failed=False):
        san = ""
        if cls.milter is not None:
            san = cls.milter.sanitizer_report()
        for name in ("pf", "milter", "dns"):
            obj = getattr(cls, name, None)
            if obj is not None:
                obj.close()
        if failed or san:
            if cls.milter is not None:
                print(cls.milter.log(), file=sys.stderr)
            cls.tmp.keep = True
        cls.tmp.close()
        if san:
            raise AssertionError("facteur-blacklist sanitizer report: got\n"
                                 "%s\nwant none" % san)

    def send(self, sender, subject):
        return self.pf.send(sender, ["alice@example.org"],
                            harness.make_message(sender, "alice@example.org",
                                                 subject=subject))

    def test_1_blacklisted_sender_gets_its_stored_reply(self):
        code, text = self.send(SPAMMER, "spam")["mail"]
        self.assertEqual((code, text), (550, "5.7.1 " + TEXT),
                         "MAIL FROM: got %d %r, want 550 %r" %
                         (code, text, "5.7.1 " + TEXT))
        self.pf.wait_for_log(r"milter-reject: MAIL from .*550 5\.7\.1 " +
                             re.escape(TEXT))
        res = self.send(FRIEND, "friend before")
        self.assertEqual(res["data"][0] if res["data"] else None, 250,
                         "unlisted sender: got %r, want 250" % (res,))

    def test_2_blacklisted_cidr_is_refused_and_del_applies_at_once(self):
        self.admin("blacklist", "sender", "add", "127.0.0.0/8", "--message",
                   "Loopback refused")
        try:
            code, text = self.send(FRIEND, "cidr")["mail"]
            self.assertEqual((code, text), (554, "5.7.1 Loopback refused"),
                             "CIDR row: got %d %r, want 554 5.7.1 Loopback "
                             "refused" % (code, text))
        finally:
            self.admin("blacklist", "sender", "del", "127.0.0.0/8")
        res = self.send(FRIEND, "after del")
        self.assertEqual(res["data"][0] if res["data"] else None, 250,
                         "after del: got %r, want 250" % (res,))
        self.assertIn('sender_blacklist "127.0.0.0/8"', self.milter.log())

    def test_3_dnsbl_listed_client_is_refused(self):
        type(self).restart_milter("zen.test=127.0.0.2")
        code, text = self.send(FRIEND, "dnsbl")["mail"]
        self.assertEqual(code, 554, "DNSBL: got %d %r, want 554" %
                         (code, text))
        self.assertEqual(text, "5.7.1 Client address 127.0.0.1 listed by "
                         "zen.test (127.0.0.2)", "DNSBL text: got %r" % text)

    def test_4_refused_query_is_logged_and_not_a_listing(self):
        type(self).restart_milter("refused.test")
        res = self.send(FRIEND, "refused")
        self.assertEqual(res["data"][0] if res["data"] else None, 250,
                         "127.255.255.254: got %r, want 250" % (res,))
        harness.wait_for(lambda: "refused.test refused the query (answer "
                         "127.255.255.254" in self.milter.log(), timeout=10,
                         what="the refused-query warning in the log")


if __name__ == "__main__":
    EXE = fixtures.exe_args(sys.argv, ["facteur_blacklist", "facteur"])
    unittest.main(argv=sys.argv[:1], verbosity=2)
