#!/usr/bin/python3
"""Black-box tests of 'facteur setup' and 'facteur doctor'.

Usage: test_setup_doctor.py FACTEUR SRCDIR FACTEUR-LOOKUP FACTEUR-DKIM

setup renders SRCDIR/config-templates into a temp dir (under the current
directory, the build dir); the rendered facteur.conf must pass the
programs' --check-config and the Postfix fragments `postconf -c` on a
private config dir. doctor runs against a temp database and a private
Knot DNS on 127.0.0.1 (tests/integration/dnsserver.py); its --sbindir is a
temp dir holding only facteur-lookup and facteur-dkim.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

FACTEUR = SRC = LOOKUP = DKIM = None
POSTCONF = "/usr/sbin/postconf"


def slurp(path):
    with open(path) as f:
        return f.read()


def run(cmd, timeout=120):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class Setup(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="setup-", dir=os.getcwd())
        self.out = os.path.join(self.dir, "root")
        self.db = os.path.join(self.dir, "var", "facteur.sqlite")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def setup(self, *args):
        return run([FACTEUR, "-c", "/dev/null", "--db", self.db, "setup",
                    "--templates", os.path.join(SRC, "config-templates"),
                    "--domain", "Example.COM", "--hostname",
                    "mx1.example.com"] + list(args))

    def read(self, rel):
        with open(os.path.join(self.out, rel)) as f:
            return f.read()

    def test_renders_the_domain_host_and_paths_without_placeholders(self):
        rc, out, err = self.setup("--out", self.out)
        self.assertEqual(rc, 0, "setup: got exit %d, want 0: %s" % (rc, err))
        host = self.read("etc/postfix/facteur/main.cf.host")
        for want in ("myhostname = mx1.example.com",
                     "mydomain = example.com",
                     "/etc/letsencrypt/live/mx1.example.com/fullchain.pem"):
            self.assertIn(want, host, "main.cf.host: got no %r" % want)
        conf = self.read("etc/facteur/facteur.conf")
        self.assertRegex(conf, r"(?m)^authserv_id = mx1\.example\.com$",
                         "facteur.conf: got no authserv_id = the host")
        self.assertRegex(conf, r"(?m)^path = %s$" % re.escape(self.db),
                         "facteur.conf: got no [database] path = --db")
        for rel in ("etc/postfix/sqlite/virtual_mailbox_maps.cf",
                    "etc/dovecot/facteur-sql.conf.ext"):
            self.assertIn(self.db, self.read(rel),
                          "%s: got no database path %s" % (rel, self.db))
        unit = self.read("etc/systemd/system/facteur-lookup.service")
        self.assertRegex(unit, r"(?m)^ExecStart=/\S+/facteur-lookup serve$")
        unit = self.read("etc/systemd/system/facteur-lmtp.service")
        self.assertRegex(unit, r"(?m)^ExecStart=/\S+/facteur-lmtp$",
                         "facteur-lmtp.service: got no ExecStart")
        left = []
        nfiles = 0
        for d, _, files in os.walk(self.out):
            for f in files:
                nfiles += 1
                path = os.path.join(d, f)
                with open(path) as fh:
                    for m in re.finditer(r"@[A-Za-z_]*@", fh.read()):
                        left.append("%s: %s" % (path, m.group(0)))
                self.assertIn(path, out, "stdout: got no line for %s" % path)
        self.assertEqual(left, [], "got placeholders left, want none")
        self.assertGreaterEqual(nfiles, 15, "got %d files" % nfiles)
        self.assertEqual(
            oct(os.stat(os.path.join(
                self.out, "etc/dovecot/facteur-sql.conf.ext")).st_mode
                & 0o777), "0o640")
        self.assertIn("systemctl enable --now facteur-lookup", out)
        self.assertIn("_dmarc.example.com. TXT", out)

    def test_rendered_facteur_conf_passes_check_config(self):
        rc, _, err = self.setup("--out", self.out)
        self.assertEqual(rc, 0, err)
        conf = os.path.join(self.out, "etc/facteur/facteur.conf")
        for prog in (FACTEUR, LOOKUP, DKIM):
            rc, out, err = run([prog, "-c", conf, "--check-config"])
            self.assertEqual(rc, 0, "%s --check-config: got exit %d, want "
                             "0: %s" % (os.path.basename(prog), rc,
                                        err + out))

    def test_rendered_postfix_fragments_parse_with_postconf(self):
        # Postfix is no optional peer (scripts/install-deps): no skip
        self.assertTrue(os.path.exists(POSTCONF), "no %s" % POSTCONF)
        rc, _, err = self.setup("--out", self.out)
        self.assertEqual(rc, 0, err)
        pdir = os.path.join(self.dir, "postfix")
        os.mkdir(pdir)
        frag = os.path.join(self.out, "etc/postfix/facteur")
        with open(os.path.join(pdir, "main.cf"), "w") as f:
            f.write("compatibility_level = 3.6\n")
            for n in ("main.cf.host", "main.cf.socketmap", "main.cf.milters"):
                with open(os.path.join(frag, n)) as g:
                    f.write(g.read())
        with open(os.path.join(pdir, "master.cf"), "w") as f:
            f.write("smtp inet n - y - - smtpd\n")
            f.write("cleanup unix n - y - 0 cleanup\n")
            with open(os.path.join(frag, "master.cf.submission")) as g:
                f.write(g.read())
        rc, out, err = run([POSTCONF, "-c", pdir, "-h", "myhostname",
                            "mydomain", "virtual_mailbox_domains"])
        self.assertEqual(rc, 0, "postconf: got exit %d: %s" % (rc, err))
        self.assertEqual(out.split("\n")[:2], ["mx1.example.com",
                                               "example.com"])
        rc, out, err = run([POSTCONF, "-c", pdir, "-M", "submission/inet"])
        self.assertEqual(rc, 0, "postconf -M: got exit %d: %s" % (rc, err))
        self.assertIn("submission", out)

    def test_second_run_skips_existing_files_unless_force(self):
        rc, _, err = self.setup("--out", self.out)
        self.assertEqual(rc, 0, err)
        conf = os.path.join(self.out, "etc/facteur/facteur.conf")
        with open(conf, "w") as f:
            f.write("# mine\n")
        rc, out, err = self.setup("--out", self.out)
        self.assertEqual(rc, 0, err)
        self.assertIn("skipped %s" % conf, out)
        self.assertRegex(out, r"\d+ file\(s\) skipped")
        self.assertEqual(slurp(conf), "# mine\n",
                         "facteur.conf: got overwritten without --force")
        rc, out, err = self.setup("--out", self.out, "--force", "--dry-run")
        self.assertEqual(rc, 0, err)
        self.assertIn("would replace %s" % conf, out)
        self.assertEqual(slurp(conf), "# mine\n", "--dry-run wrote")
        rc, out, err = self.setup("--out", self.out, "--force")
        self.assertEqual(rc, 0, err)
        self.assertIn("replaced %s" % conf, out)
        self.assertIn("authserv_id = mx1.example.com", slurp(conf))

    def test_without_out_writes_nothing(self):
        rc, out, err = self.setup()
        self.assertEqual(rc, 0, err)
        self.assertIn("would write /etc/facteur/facteur.conf", out)
        self.assertFalse(os.path.exists(self.out), "got files written")

    def test_bad_names_exit_2_naming_them(self):
        for args, want in ((["--domain", "exa_mple.com"], "exa_mple.com"),
                           (["--hostname", "mail"], "'mail'")):
            cmd = [FACTEUR, "-c", "/dev/null", "setup", "--templates",
                   os.path.join(SRC, "config-templates"), "--domain",
                   "example.com", "--hostname", "mail.example.com"] + args
            rc, out, err = run(cmd)
            self.assertEqual(rc, 2, "%s: got exit %d, want 2" % (args, rc))
            self.assertIn(want, err)
        rc, _, err = run([FACTEUR, "setup", "--domain", "example.com"])
        self.assertEqual(rc, 2, "no --hostname: got exit %d, want 2" % rc)


def txt_of(dns_out):
    """The record text of 'facteur dkim dns' output."""
    return "".join(re.findall(r'"([^"]*)"', dns_out))


class Doctor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
        import dnsserver
        cls.tmp = tempfile.mkdtemp(prefix="doctor-", dir=os.getcwd())
        t = cls.tmp
        cls.db = os.path.join(t, "facteur.sqlite")
        cls.conf = os.path.join(t, "facteur.conf")
        cls.lsock = os.path.join(t, "lookup.sock")
        cls.dsock = os.path.join(t, "dkim.sock")
        with open(cls.conf, "w") as f:
            f.write("[database]\npath = %s\n[lookup]\nsocket = %s\n"
                    "[dkim]\nsocket = unix:%s\nuser = postfix\n" % (
                        cls.db, cls.lsock, cls.dsock))
        cls.sbin = os.path.join(t, "sbin")
        os.mkdir(cls.sbin)
        for p in (LOOKUP, DKIM):
            os.symlink(p, os.path.join(cls.sbin, os.path.basename(p)))
        # other.org (disabled: doctor skips it) lends a second key
        for args in (["db", "init"], ["domain", "add", "example.org"],
                     ["dkim", "keygen", "example.org", "--selector", "s1",
                      "--keys-dir", os.path.join(t, "keys")],
                     ["domain", "add", "other.org"],
                     ["dkim", "keygen", "other.org", "--selector", "s1",
                      "--keys-dir", os.path.join(t, "keys")],
                     ["domain", "disable", "other.org"]):
            rc, _, err = run([FACTEUR, "-c", cls.conf] + args)
            if rc != 0:
                raise RuntimeError("facteur %s: %s" % (args, err))
        rc, out, err = run([FACTEUR, "-c", cls.conf, "dkim", "dns",
                            "example.org"])
        cls.dkim_txt = txt_of(out)
        rc, out, err = run([FACTEUR, "-c", cls.conf, "dkim", "dns",
                            "other.org"])
        cls.other_txt = txt_of(out)
        cls.good = [
            ("@", "MX", "10 mail"),
            ("mail", "A", "127.0.0.1"),
            ("@", "TXT", "v=spf1 mx -all"),
            ("_dmarc", "TXT", "v=DMARC1; p=reject"),
            ("s1._domainkey", "TXT", cls.dkim_txt),
        ]
        cls.dns = dnsserver.DnsServer(os.path.join(t, "knot"),
                                      {"example.org": cls.good})
        cls.resolver = "127.0.0.1@%d" % cls.dns.port
        cls.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        cls.listener.bind(cls.lsock)
        cls.listener.listen(8)

    @classmethod
    def tearDownClass(cls):
        cls.listener.close()
        cls.dns.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.dns.set_records("example.org", self.good)

    def doctor(self, *args):
        # no Postfix or Dovecot here: test_doctor_live.py has them
        return run([FACTEUR, "-c", self.conf, "doctor", "--sbindir",
                    self.sbin, "--resolver", self.resolver, "--postfix-dir",
                    "none", "--dovecot-config", "none"] + list(args))

    def lines(self, out, status):
        return [ln for ln in out.splitlines() if ln.startswith(status + " ")]

    def test_all_published_is_ok_and_a_dead_socket_only_warns(self):
        rc, out, err = self.doctor()
        self.assertEqual(self.lines(out, "FAIL"), [],
                         "got FAIL lines, want none:\n" + out + err)
        self.assertEqual(rc, 0, "got exit %d, want 0:\n%s" % (rc, out))
        for want in ("ok   database:", "ok   schema:", "ok   domains:",
                     "ok   MX example.org:", "ok   SPF example.org:",
                     "ok   DMARC _dmarc.example.org:",
                     "ok   DKIM s1._domainkey.example.org:",
                     "ok   A/AAAA mail.example.org: 127.0.0.1",
                     "ok   [lookup] config:", "ok   [dkim] config:",
                     "ok   [lookup] socket: %s" % self.lsock):
            self.assertIn(want, out)
        warns = self.lines(out, "warn")
        self.assertEqual(len(warns), 1, "got warnings %s, want the dkim "
                         "socket's" % warns)
        self.assertIn("[dkim] socket", warns[0])
        self.assertIn(self.dsock, warns[0])

    def test_missing_dmarc_fails_naming_it(self):
        self.dns.set_records("example.org", [r for r in self.good
                                             if r[0] != "_dmarc"])
        rc, out, _ = self.doctor()
        self.assertEqual(rc, 1, "got exit %d, want 1:\n%s" % (rc, out))
        fails = self.lines(out, "FAIL")
        self.assertEqual(len(fails), 1, "got %s, want one FAIL" % fails)
        self.assertIn("_dmarc.example.org", fails[0])

    def test_dkim_record_with_another_key_fails(self):
        other = self.other_txt
        self.assertNotEqual(other, self.dkim_txt)
        self.dns.set_records("example.org", [
            r for r in self.good if r[0] != "s1._domainkey"] + [
            ("s1._domainkey", "TXT", other)])
        rc, out, _ = self.doctor()
        self.assertEqual(rc, 1, "got exit %d, want 1:\n%s" % (rc, out))
        fails = self.lines(out, "FAIL")
        self.assertEqual(len(fails), 1, "got %s, want one FAIL" % fails)
        self.assertIn("DKIM s1._domainkey.example.org", fails[0])

    def test_missing_mx_and_spf_fail(self):
        self.dns.set_records("example.org", [
            r for r in self.good if r[1] != "MX" and r[0] != "@"])
        rc, out, _ = self.doctor("--domain", "EXAMPLE.org")
        self.assertEqual(rc, 1)
        fails = "\n".join(self.lines(out, "FAIL"))
        self.assertIn("MX example.org", fails)
        self.assertIn("SPF example.org", fails)

    def test_json_is_one_object_with_every_check(self):
        rc, out, err = self.doctor("--json")
        self.assertEqual(rc, 0, out + err)
        doc = json.loads(out)
        checks = doc["checks"]
        self.assertTrue(all(set(c) == {"check", "status", "detail"}
                            for c in checks), checks)
        st = {c["check"]: c["status"] for c in checks}
        self.assertEqual(st.get("DMARC _dmarc.example.org"), "ok")
        self.assertEqual(st.get("[dkim] socket"), "warn")
        self.assertEqual(doc["failures"], 0)

    def test_resolver_comes_from_dkim_section(self):
        conf = os.path.join(self.tmp, "resolver.conf")
        with open(self.conf) as f, open(conf, "w") as o:
            o.write(f.read() + "resolver = %s\n" % self.resolver)
        rc, out, err = run([FACTEUR, "-c", conf, "doctor", "--sbindir",
                            self.sbin, "--domain", "example.org"])
        self.assertEqual(rc, 0, "got exit %d, want 0:\n%s%s" % (rc, out,
                                                                err))
        self.assertIn("ok   DMARC _dmarc.example.org", out)

    def test_missing_database_fails(self):
        rc, out, _ = run([FACTEUR, "-c", self.conf, "--db",
                          os.path.join(self.tmp, "none.sqlite"), "doctor",
                          "--sbindir", self.sbin, "--resolver",
                          self.resolver])
        self.assertEqual(rc, 1)
        self.assertRegex(out, r"(?m)^FAIL database: no database at ")
        self.assertFalse(os.path.exists(os.path.join(self.tmp,
                                                     "none.sqlite")),
                         "doctor created the database")

    def test_bad_domain_is_a_usage_error(self):
        rc, _, err = self.doctor("--domain", "bad_domain..org")
        self.assertEqual(rc, 2, "got exit %d, want 2" % rc)
        self.assertIn("bad_domain..org", err)


def main():
    global FACTEUR, SRC, LOOKUP, DKIM
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    FACTEUR, SRC, LOOKUP, DKIM = sys.argv[1:5]
    argv = [sys.argv[0]] + sys.argv[5:]
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
