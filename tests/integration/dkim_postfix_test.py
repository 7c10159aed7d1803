"""dkim_postfix_test - a real Postfix runs facteur-dkim through
smtpd_milters, with a private Knot (dnsserver.py) serving the _domainkey,
SPF and _dmarc records to facteur-dkim's [dkim] resolver.

- Submission: 127.0.0.1 is in internal_hosts (the default), so the message
  leaves signed, and 'facteur dkim verify --resolver' (the same DNS data)
  says pass on the delivered bytes.
- Inbound: a second facteur-dkim whose internal_hosts and sign_daemons
  exclude this client verifies: a facteur-signed message from example.org
  gets one A-R with dkim=pass, spf=pass and dmarc=pass, and the forged A-R
  carrying our authserv-id is gone (another host's A-R stays); an unsigned
  message from a domain whose SPF excludes the client gets dkim=none,
  spf=fail and dmarc=fail. libspf2 passes any loopback client ("localhost
  is always allowed"), so that message comes through XCLIENT as
  198.51.100.7 (smtpd_authorized_xclient_hosts = 127.0.0.1).

Postfix switches milters with postconf + reload between the two.
Usage: dkim_postfix_test.py FACTEUR_DKIM FACTEUR   (as root)
"""

import os
import re
import smtplib
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixtures  # noqa: E402
import harness  # noqa: E402
from dnsserver import DnsServer  # noqa: E402

EXE = None
AUTHSERV = "mx.dkim.test"


class DkimPostfix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("dkim")
        cls.dns = cls.pf = cls.signer = cls.verifier = None
        try:
            cls.setup_all(cls.tmp.path)
        except Exception:
            cls.tearDownClass(failed=True)
            raise

    @classmethod
    def setup_all(cls, tmp):
        cls.db = os.path.join(tmp, "db.sqlite")
        aconf = fixtures.write_conf(os.path.join(tmp, "admin.conf"),
                                    {"admin": {"dkim_user": "root"}})
        cls.admin = fixtures.Admin(EXE["facteur"], aconf, cls.db)
        cls.admin("db", "init")
        out = cls.admin("dkim", "keygen", "example.org", "--selector", "pf1",
                        "--keys-dir", os.path.join(tmp, "keys")).stdout
        rec = "".join(re.findall(r'"([^"]*)"', out))
        cls.dns = DnsServer(os.path.join(tmp, "dns"), zones={
            "example.org": [("pf1._domainkey", "TXT", rec),
                            ("@", "TXT", "v=spf1 ip4:127.0.0.1 -all"),
                            ("_dmarc", "TXT", "v=DMARC1; p=none")],
            "sender.test": [("@", "TXT", "v=spf1 ip4:192.0.2.1 -all"),
                            ("_dmarc", "TXT", "v=DMARC1; p=quarantine")]})
        cls.resolver = "127.0.0.1@%d" % cls.dns.port
        cls.signer = cls.start("sign", {})
        cls.verifier = cls.start("verify", {"internal_hosts": "10.9.9.0/24",
                                            "sign_daemons": "NOSUCHDAEMON"})
        cls.pf = harness.Postfix(tmp, main_cf_extra={
            "virtual_mailbox_domains": "example.org",
            "virtual_mailbox_maps": "inline:{alice@example.org="
                                    "example.org/alice/, bob@example.org"
                                    "=example.org/bob/}",
            "smtpd_milters": "unix:" + cls.sock("sign"),
            "milter_default_action": "tempfail",
            "smtpd_authorized_xclient_hosts": "127.0.0.1",
        })

    @classmethod
    def sock(cls, name):
        return os.path.join(cls.tmp.path, name + ".sock")

    @classmethod
    def start(cls, name, extra):
        keys = {"socket": "unix:" + cls.sock(name), "socket_mode": "0660",
                "user": "nobody", "group": "postfix",
                "authserv_id": AUTHSERV, "resolver": cls.resolver,
                "dns_timeout": "2s"}
        keys.update(extra)
        conf = fixtures.write_conf(
            os.path.join(cls.tmp.path, name + ".conf"),
            {"database": {"path": cls.db}, "dkim": keys})
        return harness.Daemon([EXE["facteur_dkim"], "-f", "-c", conf],
                              "facteur-dkim-" + name, cls.tmp.path,
                              ready=lambda: harness.unix_socket_open(
                                  cls.sock(name)))

    @classmethod
    def tearDownClass(cls, failed=False):
        san = ""
        for name in ("pf", "signer", "verifier", "dns"):
            obj = getattr(cls, name, None)
            if obj is not None:
                obj.close()
                if name in ("signer", "verifier"):
                    san += obj.sanitizer_report() or ""
        if failed or san:
            for name in ("signer", "verifier"):
                if getattr(cls, name, None) is not None:
                    print(getattr(cls, name).log(), file=sys.stderr)
            cls.tmp.keep = True
        cls.tmp.close()
        if san:
            raise AssertionError("facteur-dkim sanitizer report: got\n%s"
                                 "\nwant none" % san)

    def use(self, name):
        self.pf.postconf("smtpd_milters=unix:" + self.sock(name))
        self.pf.reload()

    def send_as(self, addr, sender, msg):
        """One message with the client address set by XCLIENT."""
        with smtplib.SMTP(self.pf.host, self.pf.port, timeout=30) as s:
            s.ehlo("ext.example")
            code, text = s.docmd("XCLIENT", "ADDR=%s NAME=ext.example" % addr)
            self.assertEqual(code, 220, "XCLIENT: got %d %r" % (code, text))
            s.ehlo("ext.example")
            s.sendmail(sender, ["bob@example.org"], msg)

    def deliver(self, sender, msg, subject, addr=None):
        if addr is not None:
            self.send_as(addr, sender, msg)
        else:
            res = self.pf.send(sender, ["bob@example.org"], msg)
            self.assertEqual(res["data"][0], 250, "DATA: got %r, want 250"
                             % (res,))
        harness.wait_for(lambda: any(
            harness.read_message(p)["Subject"] == subject
            for p in self.pf.deliveries("example.org/bob/")), 30,
            what="delivery of %r" % subject)
        for p in self.pf.deliveries("example.org/bob/"):
            if harness.read_message(p)["Subject"] == subject:
                return p
        return None

    def test_1_submission_leaves_signed_and_verifies(self):
        self.use("sign")
        msg = harness.make_message("alice@example.org", "bob@example.org",
                                   subject="signed by the milter",
                                   body="Bonjour  Bob,\n\nà bientôt\n")
        path = self.deliver("alice@example.org", msg,
                            "signed by the milter")
        m = harness.read_message(path)
        sig = str(m["DKIM-Signature"] or "")
        self.assertIn("d=example.org", sig, "DKIM-Signature: got %r, want "
                      "d=example.org" % sig)
        r = self.admin("dkim", "verify", "--resolver", self.resolver, path,
                       check=False)
        self.assertEqual((r.returncode, r.stdout.strip().endswith("pass")),
                         (0, True), "facteur dkim verify: got %d %r, want "
                         "0 and pass" % (r.returncode, r.stdout))

    def test_2_inbound_gets_one_authentication_results(self):
        self.use("verify")
        src = os.path.join(self.tmp.path, "in.eml")
        with open(src, "wb") as f:
            f.write(harness.make_message(
                "alice@example.org", "bob@example.org",
                subject="inbound signed", body="Hello\n"))
        signed = self.admin("dkim", "sign", src).stdout
        forged = ("Authentication-Results: %s; dkim=pass; spf=pass;"
                  " dmarc=pass\r\nAuthentication-Results: other.test;"
                  " spf=none\r\n" % AUTHSERV)
        msg = forged.encode() + signed.encode().replace(b"\r\n", b"\n") \
            .replace(b"\n", b"\r\n")
        path = self.deliver("alice@example.org", msg, "inbound signed")
        ars = [str(v) for v in harness.read_message(path).get_all(
            "Authentication-Results") or []]
        ours = [a for a in ars if a.lower().startswith(AUTHSERV)]
        self.assertEqual(len(ours), 1, "our A-Rs: got %r, want 1" % ars)
        for want in ("dkim=pass", "header.d=example.org", "spf=pass",
                     "dmarc=pass"):
            self.assertIn(want, ours[0], "A-R: got %r, want %s"
                          % (ours[0], want))
        self.assertTrue(any(a.startswith("other.test") for a in ars),
                        "other.test's A-R: got %r, want kept" % ars)

        msg = harness.make_message("friend@sender.test", "bob@example.org",
                                   subject="inbound spf fail")
        path = self.deliver("friend@sender.test", msg, "inbound spf fail",
                            addr="198.51.100.7")
        ars = [str(v) for v in harness.read_message(path).get_all(
            "Authentication-Results") or []]
        self.assertEqual(len(ars), 1, "A-Rs: got %r, want 1" % ars)
        for want in ("dkim=none", "spf=fail", "dmarc=fail",
                     "header.from=sender.test"):
            self.assertIn(want, ars[0], "A-R: got %r, want %s"
                          % (ars[0], want))


if __name__ == "__main__":
    EXE = fixtures.exe_args(sys.argv, ["facteur_dkim", "facteur"])
    unittest.main(argv=sys.argv[:1], verbosity=2)
