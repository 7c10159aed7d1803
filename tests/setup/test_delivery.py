#!/usr/bin/python3
"""Mail flows through a stock Debian 12 configuration after `facteur
setup --apply`: a private Postfix and a private Dovecot started on the
applied tree, with facteur-lookup, facteur-lmtp and facteur-milter,
deliver a message to a virtual user through facteur-lmtp (the milter
signs nothing inbound but answers), and local mail to postmaster still
goes through Debian's /etc/aliases to root (local(8) keeps alias_maps).
Dovecot authenticates that user through the drop-in's SQL passdb.

Usage: test_delivery.py FACTEUR SRCDIR LOOKUP LMTP MILTER

The applied tree is made runnable as a private instance by what a test
must change and setup must not: its paths are under a temporary root
(queue_directory, alias database, mail spool, Dovecot's base_dir in the
local.conf that Debian's dovecot.conf includes), 127.0.0.1 and free
ports instead of 25/587/465/143, no chroot, no TLS (no snakeoil pair
here), no relay; the daemons stay root (the tree's facteur users do not
exist on this machine) and look nothing up in DNS. Everything setup
wrote is used as written."""

import glob
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
import stockroot  # noqa: E402

FACTEUR = SRC = LOOKUP = LMTP = MILTER = None


def set_key(text, section, key, value):
    """facteur.conf text with `key = value` in [section]: replaces the
    key's first line (set or commented out) and drops its others, else
    adds it after the header."""
    out, cur, done = [], None, False
    for line in text.splitlines():
        if line.startswith("["):
            cur = line.strip()
        if (cur == "[%s]" % section and
                re.match(r"#?%s\s*=" % re.escape(key), line)):
            if done:
                continue
            line, done = "%s = %s" % (key, value), True
        out.append(line)
    text = "\n".join(out) + "\n"
    if not done:
        text = text.replace("[%s]\n" % section,
                            "[%s]\n%s = %s\n" % (section, key, value), 1)
    return text


class TreePostfix(harness.Postfix):
    """harness.Postfix on an existing configuration directory."""

    def __init__(self, root, port):
        self.dir = root
        self.port = port
        self.host = "127.0.0.1"
        self.config_dir = os.path.join(root, "etc/postfix")
        self.queue_dir = os.path.join(root, "var/spool/postfix")
        self.data_dir = os.path.join(root, "var/lib/postfix")
        self.mail_dir = os.path.join(root, "var/mail/utilisateurs")
        self.maillog = os.path.join(root, "maillog")
        self.start_timeout = 30.0
        self._started = False


class TreeDovecot(harness.Dovecot):
    """harness.Dovecot on the tree's own dovecot.conf."""

    def __init__(self, root, port):
        self.dir = root
        self.port = port
        self.host = "127.0.0.1"
        self.conf = os.path.join(root, "etc/dovecot/dovecot.conf")
        self.base_dir = os.path.join(root, "run/dovecot")
        self.logpath = os.path.join(root, "dovecot.log")
        self.config = "protocols = imap\n"
        self.start_timeout = 20.0
        self._pid = None


@unittest.skipUnless(os.geteuid() == 0, "needs root")
@unittest.skipUnless(os.path.exists(harness.POSTFIX), "no postfix")
@unittest.skipUnless(os.path.exists(harness.DOVECOT), "no dovecot-core")
class Delivery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # /tmp: socket paths under the tree must stay within 107 bytes
        cls.tmp = harness.TmpDir("setup-dlv", base="/tmp")
        cls.root = root = os.path.join(cls.tmp.path, "root")
        os.mkdir(root)
        stockroot.build(root)
        cls._snakeoil()
        p = harness.run([FACTEUR, "-c", "/dev/null", "setup", "--apply",
                         "--yes", "--root", root, "--templates",
                         os.path.join(SRC, "config-templates"),
                         "--domain", stockroot.DOMAIN, "--hostname",
                         stockroot.HOSTNAME], check=False)
        if p.returncode != 0:
            raise RuntimeError("setup --apply: %s%s" % (p.stdout, p.stderr))
        cls.conf = cls._facteur_conf()
        cls.port = harness.free_port()
        cls._private_postfix()
        cls._private_dovecot()
        cls.db = os.path.join(root, "var/lib/facteur/facteur.sqlite")
        cls.daemons = []
        try:
            cls._start()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def _snakeoil(cls):
        """Dovecot reads ssl_cert and ssl_key while it parses 10-ssl.conf,
        even with ssl = no: at /etc/dovecot/private, the real one, links
        to ssl-cert's snakeoil pair, which this machine may lack. A pair
        of our own in the tree, and 10-ssl.conf (Debian's; setup never
        touches it) names the tree's copy."""
        ssl = os.path.join(cls.root, "etc/dovecot/conf.d/10-ssl.conf")
        with open(ssl) as f:
            text = f.read()
        with open(ssl, "w") as f:
            f.write(text.replace("</etc/dovecot/private/", "<%s/etc/dovecot/"
                                 "private/" % cls.root))
        priv = os.path.join(cls.root, "etc/dovecot/private")
        for f in ("dovecot.pem", "dovecot.key"):
            os.unlink(os.path.join(priv, f))
        harness.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                     "-nodes", "-days", "2", "-subj",
                     "/CN=" + stockroot.HOSTNAME, "-keyout",
                     os.path.join(priv, "dovecot.key"), "-out",
                     os.path.join(priv, "dovecot.pem")])

    @classmethod
    def _facteur_conf(cls):
        """setup's facteur.conf with the test's changes, beside it."""
        r = cls.root
        with open(os.path.join(r, "etc/facteur/facteur.conf")) as f:
            text = f.read()
        spool = os.path.join(r, "var/spool/postfix")
        for sec, key, val in (
                ("database", "path", r + "/var/lib/facteur/facteur.sqlite"),
                ("lookup", "socket", spool + "/private/facteur-lookup"),
                ("lookup", "user", ""),
                ("lmtp", "socket", spool + "/private/facteur-lmtp"),
                ("lmtp", "mail_root", r + "/var/mail/utilisateurs"),
                ("lmtp", "sieve_before", r + "/etc/facteur/sieve/"
                 "before.sieve"),
                ("lmtp", "user", ""), ("lmtp", "group", ""),
                ("milter", "user", ""), ("milter", "group", ""),
                ("milter", "modules", "blacklist, scrub, dkim"),
                ("blacklist", "dnsbl_zones", ""),
                ("blacklist", "resolver", "127.0.0.1@9"),
                ("dkim", "resolver", "127.0.0.1@9"),
                ("dkim", "dns_timeout", "1s")):
            text = set_key(text, sec, key, val)
        path = os.path.join(r, "test-facteur.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    @classmethod
    def _private_postfix(cls):
        r, pf = cls.root, os.path.join(cls.root, "etc/postfix")

        def postconf(*args):
            harness.run([harness.POSTCONF, "-c", pf] + list(args))
        postconf("-e", "queue_directory=%s/var/spool/postfix" % r,
                 "data_directory=%s/var/lib/postfix" % r,
                 "maillog_file=%s/maillog" % r,
                 "maillog_file_prefixes=%s" % r,
                 "inet_interfaces=127.0.0.1", "inet_protocols=ipv4",
                 "myorigin=" + stockroot.HOSTNAME,
                 "alias_maps=hash:%s/etc/aliases" % r,
                 "alias_database=hash:%s/etc/aliases" % r,
                 "mail_spool_directory=%s/var/mail" % r,
                 "smtpd_tls_security_level=none",
                 "smtp_tls_security_level=none",
                 "default_transport=error:no relay in tests",
                 "relay_transport=error:no relay in tests",
                 "queue_run_delay=1s", "minimal_backoff_time=1s",
                 "maximal_backoff_time=2s", "smtpd_error_sleep_time=0",
                 "in_flow_delay=0")
        postconf("-MX", "smtp/inet", "submission/inet", "smtps/inet")
        postconf("-M", "127.0.0.1:%d/inet=127.0.0.1:%d inet n - n - - "
                 "smtpd" % (cls.port, cls.port))
        postconf("-F", "*/*/chroot=n")

    @classmethod
    def _private_dovecot(cls):
        cls.imap_port = harness.free_port()
        r = cls.root
        # Debian's dovecot.conf ends with !include_try local.conf
        with open(os.path.join(r, "etc/dovecot/local.conf"), "w") as f:
            f.write("""base_dir = {r}/run/dovecot
state_dir = {r}/var/lib/dovecot
log_path = {r}/dovecot.log
instance_name = facteur-setup-{p}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
service imap-login {{
  inet_listener imap {{
    port = {p}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""".format(r=r, p=cls.imap_port))
        os.makedirs(os.path.join(r, "var/lib/dovecot"), exist_ok=True)

    @classmethod
    def _start(cls):
        r, spool = cls.root, os.path.join(cls.root, "var/spool/postfix")
        cls.pf = TreePostfix(r, cls.port)
        cls.pf.start()
        harness.run([FACTEUR, "-c", cls.conf, "user", "add",
                     "alice@example.org", "--password-stdin"],
                    input="s3cret-pass\n")
        cls.daemons.append(harness.Daemon(
            [LOOKUP, "-c", cls.conf, "serve"], "lookup", r,
            ready=lambda: harness.unix_socket_open(
                spool + "/private/facteur-lookup")))
        cls.daemons.append(harness.Daemon(
            [LMTP, "-c", cls.conf, "-f"], "lmtp", r,
            ready=lambda: harness.unix_socket_open(
                spool + "/private/facteur-lmtp")))
        cls.daemons.append(harness.Daemon(
            [MILTER, "-c", cls.conf, "-f"], "milter", r,
            ready=lambda: harness.unix_socket_open(
                spool + "/facteur/milter.sock"), timeout=60))
        # the milter stays root here (a group needs a user), so its
        # socket is root:root: Postfix's group gets it as [milter] group
        # = postfix would give it
        os.chown(spool + "/facteur/milter.sock", 0,
                 harness.user_ids("postfix")[1])
        cls.dc = TreeDovecot(r, cls.imap_port)
        cls.dc.start()

    @classmethod
    def tearDownClass(cls):
        for d in getattr(cls, "daemons", []):
            d.close()
        for x in ("dc", "pf"):
            if hasattr(cls, x):
                getattr(cls, x).close()
        cls.tmp.close()

    def test_virtual_user_gets_mail_through_facteur_lmtp(self):
        """Inbound from a documentation address, as `facteur selftest`
        will send it: XCLIENT, which setup allows from loopback only
        (127.0.0.1 itself is internal: never scored nor verified)."""
        msg = harness.make_message("bob@example.net", "alice@example.org",
                                   subject="setup delivery")
        with self.pf.smtp() as s:
            s.ehlo("client.example.net")
            code, text = s.docmd("XCLIENT", "ADDR=192.0.2.10 "
                                 "NAME=client.example.net")
            self.assertEqual(code, 220, "XCLIENT from loopback: %d %s" % (
                code, text))
            s.ehlo("client.example.net")
            refused = s.sendmail("bob@example.net", ["alice@example.org"],
                                 msg)
        self.assertEqual(refused, {})
        self.pf.wait_for_log(r"to=<alice@example\.org>, relay=[^,]*"
                             r"\[private/facteur-lmtp\].*status=sent",
                             timeout=30)
        got = glob.glob(os.path.join(self.root, "var/mail/utilisateurs",
                                     "**", "new", "*"), recursive=True)
        self.assertEqual(len(got), 1, "Maildir files: %r" % got)
        with open(got[0], errors="replace") as f:
            text = f.read()
        self.assertIn("Subject: setup delivery", text)
        self.assertIn("Authentication-Results: " + stockroot.HOSTNAME, text,
                      "got no A-R: the milter did not see the message")
        self.assertIn("192.0.2.10", text, "got no XCLIENT address")

    def test_postmaster_goes_to_root_through_debian_aliases(self):
        msg = harness.make_message("bob@example.net", "postmaster@localhost",
                                   subject="to root")
        replies = self.pf.send("bob@example.net", "postmaster@localhost",
                               msg)
        self.assertEqual(replies["rcpt"].get("postmaster@localhost",
                                             replies["mail"])[0], 250,
                         "%r\n%s" % (replies, self.pf.log()[-2000:]))
        self.assertEqual(replies["data"][0], 250, replies)
        m = self.pf.wait_for_log(
            r"to=<root@[^>]*>, orig_to=<postmaster@localhost>, "
            r"relay=local.*status=(\w+)", timeout=30)
        self.assertEqual(m.group(1), "sent", self.pf.log()[-2000:])
        self.assertNotIn("alias database unavailable", self.pf.log())

    def test_socketmap_in_alias_maps_would_defer_local_mail(self):
        """Why setup keeps alias_maps = hash:/etc/aliases (issue 12): with
        facteur's aliases there through a socketmap, as the templates
        had it, local(8) refuses the map and mail to postmaster waits."""
        pf = os.path.join(self.root, "etc/postfix")
        keep = harness.run([harness.POSTCONF, "-c", pf, "-h",
                            "alias_maps"]).stdout.strip()
        harness.run([harness.POSTCONF, "-c", pf, "-e", "alias_maps=socketmap:"
                     "unix:private/facteur-lookup:aliases"])
        try:
            self.pf.reload()
            msg = harness.make_message("bob@example.net",
                                       "postmaster@localhost",
                                       subject="alias socketmap")
            self.pf.send("bob@example.net", "postmaster@localhost", msg)
            self.pf.wait_for_log(r"to=<postmaster@localhost>.*"
                                 r"status=deferred \(alias database "
                                 r"unavailable\)", timeout=30)
            self.assertIn("not allowed for security-sensitive data",
                          self.pf.log())
        finally:
            harness.run([harness.POSTCONF, "-c", pf, "-e",
                         "alias_maps=" + keep])
            self.pf.reload()
            self.pf.flush()

    def test_dovecot_authenticates_the_user_through_the_drop_in(self):
        ok, out = self.dc.auth_test("alice@example.org", "s3cret-pass")
        self.assertTrue(ok, out + self.dc.log()[-2000:])
        ok, out = self.dc.auth_test("alice@example.org", "wrong")
        self.assertFalse(ok, out)

    def test_daemons_left_no_sanitizer_report(self):
        for d in self.daemons:
            self.assertEqual(d.sanitizer_report(), "", d.name)


if __name__ == "__main__":
    FACTEUR, SRC, LOOKUP, LMTP, MILTER = sys.argv[1:6]
    del sys.argv[1:6]
    unittest.main(verbosity=2)
