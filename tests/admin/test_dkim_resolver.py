#!/usr/bin/python3
"""`facteur dkim check` and `facteur dkim verify` ask the DNS server of
facteur.conf's [dkim] resolver when no --resolver is given (issue 12;
they used /etc/resolv.conf), as facteur-dkim and doctor do: a private
Knot on loopback serves the key, so check says ok and verify passes a
message `facteur dkim sign` signed; with [dkim] resolver pointing at a
silent loopback port, the lookup fails (nothing goes to resolv.conf's
server); --resolver still wins over the file.

usage: test_dkim_resolver.py FACTEUR (skipped without knot). About 12 s
(the silent resolver waits out its timeouts)."""

import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402

FACTEUR = None
DOMAIN = "example.org"


class DkimResolver(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import dnsserver
        cls.tmp = harness.TmpDir("dkr")
        t = cls.tmp.path
        cls.db = os.path.join(t, "facteur.sqlite")
        cls.dns = dnsserver.DnsServer(os.path.join(t, "knot"),
                                      {DOMAIN: [("@", "MX", "10 mail")]})
        cls.silent = "127.0.0.1@%d" % harness.free_port()
        cls.good = cls.conf("good.conf", "127.0.0.1@%d" % cls.dns.port)
        cls.bad = cls.conf("silent.conf", cls.silent)
        run = fixtures.Admin(FACTEUR, cls.good, cls.db)
        run("db", "init")
        run("domain", "add", DOMAIN)
        run("dkim", "keygen", DOMAIN, "--selector", "s1")
        txt = "".join(re.findall(r'"([^"]*)"',
                                 run("dkim", "dns", DOMAIN).stdout))
        cls.dns.set_records(DOMAIN, [("@", "MX", "10 mail"),
                                     ("s1._domainkey", "TXT", txt)])
        msg = os.path.join(t, "msg.eml")
        with open(msg, "wb") as f:
            f.write(harness.make_message("alice@example.org",
                                         "bob@example.net",
                                         subject="signed"))
        cls.signed = os.path.join(t, "signed.eml")
        with open(cls.signed, "w") as f:
            f.write(run("dkim", "sign", msg).stdout)

    @classmethod
    def conf(cls, name, resolver):
        t = cls.tmp.path
        return fixtures.write_conf(os.path.join(t, name), {
            "database": {"path": cls.db},
            "admin": {"dkim_keys_dir": os.path.join(t, "dkim"),
                      "dkim_user": "root"},
            "dkim": {"resolver": resolver, "dns_timeout": "1s"}})

    @classmethod
    def tearDownClass(cls):
        cls.dns.close()
        cls.tmp.close()

    def facteur(self, conf, *args):
        p = harness.run([FACTEUR, "-c", conf, "--db", self.db] + list(args),
                        check=False, timeout=60)
        return p.returncode, p.stdout + p.stderr

    def test_check_asks_the_configured_resolver(self):
        rc, out = self.facteur(self.good, "dkim", "check", DOMAIN)
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"s1\b.*\bok\b")

    def test_verify_asks_the_configured_resolver(self):
        rc, out = self.facteur(self.good, "dkim", "verify", self.signed)
        self.assertEqual(rc, 0, out)
        self.assertIn("pass", out)

    def test_silent_configured_resolver_fails_the_lookup(self):
        rc, out = self.facteur(self.bad, "dkim", "check", DOMAIN)
        self.assertEqual(rc, 1, out)
        self.assertIn("lookup failed", out)
        rc, out = self.facteur(self.bad, "dkim", "verify", self.signed)
        self.assertEqual(rc, 1, out)
        self.assertIn("temperror", out)

    def test_resolver_option_wins_over_the_file(self):
        rc, out = self.facteur(self.bad, "dkim", "check", DOMAIN,
                               "--resolver", "127.0.0.1@%d" % self.dns.port)
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    FACTEUR = sys.argv[1]
    del sys.argv[1]
    import dnsserver
    harness.require_peers({"knot": dnsserver.KNOTD})
    unittest.main(verbosity=2)
