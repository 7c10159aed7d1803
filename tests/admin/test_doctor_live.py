#!/usr/bin/python3
"""tests/admin/test_doctor_live.py - 'facteur doctor' on a running private
stack, reading the live configuration:

  private Postfix (tests/integration/harness.py) with
    virtual_mailbox_domains/maps = socketmap on facteur-lookup,
    smtpd_recipient_restrictions = check_policy_service on its policy
      socket,
    smtpd_milters = facteur-blacklist, facteur-dkim, facteur-spam,
    non_smtpd_milters = facteur-milter (modules = dkim: the one-socket
      deployment, for mail submitted on this host),
    virtual_transport = lmtp:unix: facteur-lmtp;
  private Dovecot with passdb/userdb sql over facteur's database
    (config-templates/dovecot/dovecot-sql.conf.ext);
  a private Knot with example.org's MX, A, SPF, DMARC and DKIM record.

doctor --postfix-dir/--dovecot-config on them says no FAIL and exits 0;
selftest (Postfix with smtpd_authorized_xclient_hosts = 127.0.0.1 and a
submission service with Dovecot SASL) follows an inbound and a submitted
message to IMAP and removes its throw-away mailbox, and fails naming
the fix without XCLIENT;
then each of these, broken in turn (and mended after), gives a FAIL
naming it and exit 1:
  - facteur-lookup stopped (the socketmap lookups);
  - one milter stopped (facteur-spam), told as "not running";
  - the DKIM key owned by a user facteur-dkim and facteur-milter refuse;
  - the DKIM TXT record holding another key;
  - Dovecot's user_query reading the wrong table.

usage: test_doctor_live.py FACTEUR LOOKUP LMTP BLACKLIST DKIM SPAM MILTER
       SRCDIR
(as root; skipped without Postfix, Dovecot or Knot). Runtime: ~40 s.
"""
import json
import os
import re
import shutil
import sys
import unittest

EXE = {}
SRC = None
MILTERS = ("blacklist", "dkim", "spam")
DOMAIN = "example.org"
ALICE = "alice@example.org"


def txt_of(out):
    return "".join(re.findall(r'"([^"]*)"', out))


class Stack:
    """The running install doctor looks at."""

    def __init__(self, tmp):
        import dnsserver
        import fixtures
        import harness
        self.h = harness
        self.tmp = tmp
        self.sbin = os.path.join(tmp, "sbin")
        os.mkdir(self.sbin)
        for name in ("lookup", "lmtp", "blacklist", "dkim", "spam",
                     "milter"):
            os.symlink(EXE[name], os.path.join(
                self.sbin, os.path.basename(EXE[name])))
        self.dns = dnsserver.DnsServer(os.path.join(tmp, "knot"),
                                       {DOMAIN: [("@", "MX", "10 mail")]})
        self.resolver = "127.0.0.1@%d" % self.dns.port
        uid, gid = harness.user_ids(harness.DEFAULT_MAIL_USER)
        self.uid = uid
        dbdir = os.path.join(tmp, "db")
        os.mkdir(dbdir)
        self.db = os.path.join(dbdir, "facteur.sqlite")
        self.sock = {n: os.path.join(tmp, n + ".sock") for n in
                     MILTERS + ("lookup", "policy", "lmtp", "milter")}
        mail_root = os.path.join(tmp, "mail")
        os.mkdir(mail_root)
        os.chown(mail_root, uid, gid)

        def milter(name, extra):
            keys = {"socket": "unix:" + self.sock[name],
                    "socket_mode": "0660",
                    "user": harness.DEFAULT_MAIL_USER, "group": "postfix"}
            keys.update(extra)
            return keys
        self.conf = fixtures.write_conf(os.path.join(tmp, "facteur.conf"), {
            "database": {"path": self.db},
            "admin": {"mail_root": mail_root,
                      "dkim_keys_dir": os.path.join(tmp, "dkim"),
                      "dkim_user": harness.DEFAULT_MAIL_USER},
            "lookup": {"socket": self.sock["lookup"],
                       "policy_socket": self.sock["policy"], "user": ""},
            "lmtp": {"socket": self.sock["lmtp"], "socket_group": "postfix",
                     "mail_root": mail_root, "user": str(uid),
                     "group": str(gid), "hostname": "mx.facteur.test"},
            "blacklist": milter("blacklist", {
                "internal_hosts": "", "dnsbl_zones": "",
                "resolver": self.resolver}),
            "dkim": milter("dkim", {
                "authserv_id": "mx.facteur.test", "resolver": self.resolver,
                "dns_timeout": "1s"}),
            "milter": milter("milter", {"modules": "dkim"}),
            "spam": milter("spam", {
                "internal_hosts": "",
                "rules_path": os.path.join(SRC, "rules"),
                "bayes_path": os.path.join(tmp, "bayes.sqlite"),
                "cache_dir": os.path.join(tmp, "cache")}),
        })
        self.admin = fixtures.Admin(EXE["facteur"], self.conf, self.db)
        self.admin("db", "init")
        self.admin("domain", "add", DOMAIN)
        self.admin.add_user(ALICE, "alice-secret")
        out = self.admin("dkim", "keygen", DOMAIN, "--selector",
                         "s1").stdout
        self.key = os.path.join(tmp, "dkim", DOMAIN, "s1.key")
        self.dkim_txt = self.admin("dkim", "dns", DOMAIN).stdout
        self.dkim_txt = txt_of(self.dkim_txt) or txt_of(out)
        for f in [""] + os.listdir(dbdir):
            os.chown(os.path.join(dbdir, f), uid, gid)
        self.good = [
            ("@", "MX", "10 mail"),
            ("mail", "A", "127.0.0.1"),
            ("@", "TXT", "v=spf1 mx -all"),
            ("_dmarc", "TXT", "v=DMARC1; p=none"),
            ("s1._domainkey", "TXT", self.dkim_txt),
        ]
        self.dns.set_records(DOMAIN, self.good)
        self.procs = {}
        self.start("lookup")
        for name in MILTERS + ("milter",):
            self.start(name)
        self.start("lmtp")
        sm = "socketmap:unix:%s:" % self.sock["lookup"]
        self.sub_port = harness.free_port()
        self.pf = harness.Postfix(os.path.join(tmp, "pf"), main_cf_extra={
            "virtual_mailbox_domains": sm + "domains",
            "virtual_mailbox_maps": sm + "mailboxes",
            "virtual_alias_maps": sm + "virtual_aliases",
            "virtual_transport": "lmtp:unix:" + self.sock["lmtp"],
            "smtpd_recipient_restrictions":
                "check_policy_service unix:%s, permit_mynetworks, "
                "reject_unauth_destination" % self.sock["policy"],
            "smtpd_milters": ", ".join("unix:" + self.sock[n]
                                       for n in MILTERS),
            "non_smtpd_milters": "unix:" + self.sock["milter"],
            "milter_default_action": "tempfail",
            "smtpd_authorized_xclient_hosts": "127.0.0.1",
        }, master_cf_extra=(
            "127.0.0.1:%d inet n - n - - smtpd\n"
            "  -o smtpd_sasl_auth_enable=yes\n"
            "  -o smtpd_sasl_type=dovecot\n"
            "  -o smtpd_sasl_path=%s\n"
            "  -o smtpd_recipient_restrictions=permit_sasl_authenticated,"
            "reject\n"
            "  -o milter_macro_daemon_name=submission\n" % (
                self.sub_port, os.path.join(tmp, "dc", "run",
                                            "auth-postfix"))))
        self.sqlconf = os.path.join(tmp, "dovecot-sql.conf.ext")
        passdb, userdb = fixtures.dovecot_sql_blocks(
            self.sqlconf, self.db, mail_root, uid, gid)
        with open(self.sqlconf) as f:
            self.sqltext = f.read()
        self.dc = harness.Dovecot(
            os.path.join(tmp, "dc"), passdb=passdb, userdb=userdb,
            mail_root=mail_root, conf_extra=(
                "service auth {\n  unix_listener auth-postfix {\n"
                "    mode = 0666\n  }\n}\n"))

    def start(self, name):
        h = self.h
        if name == "lookup":
            p = h.Daemon([EXE["lookup"], "-f", "-c", self.conf, "--db",
                          self.db], "facteur-lookup", self.tmp,
                         ready=lambda: h.unix_socket_open(
                             self.sock["lookup"]))
        elif name == "lmtp":
            p = h.Daemon([EXE["lmtp"], "-f", "-c", self.conf],
                         "facteur-lmtp", self.tmp,
                         ready=lambda: h.unix_socket_open(self.sock["lmtp"]))
        else:
            p = h.Daemon([EXE[name], "-f", "-c", self.conf],
                         "facteur-" + name, self.tmp, timeout=120,
                         ready=lambda: h.unix_socket_open(self.sock[name]))
        self.procs[name] = p

    def stop(self, name):
        self.procs.pop(name).close()

    def doctor(self, *args):
        p = self.h.run([EXE["facteur"], "-c", self.conf, "doctor",
                        "--postfix-dir", self.pf.config_dir,
                        "--dovecot-config", self.dc.conf,
                        "--sbindir", self.sbin, "--resolver",
                        self.resolver] + list(args), check=False,
                       timeout=300)
        return p.returncode, p.stdout, p.stderr

    def selftest(self, *args):
        p = self.h.run([EXE["facteur"], "-c", self.conf, "selftest",
                        "--postfix-dir", self.pf.config_dir, "--imap",
                        "127.0.0.1:%d" % self.dc.port, "--timeout", "30"] +
                       list(args), check=False, timeout=120)
        return p.returncode, p.stdout, p.stderr

    def close(self):
        for obj in [self.dc, self.pf] + list(self.procs.values()) + \
                [self.dns]:
            obj.close()


def lines(out, status):
    return [ln for ln in out.splitlines() if ln.startswith(status + " ")]


class DoctorLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import harness
        cls.tmpdir = harness.TmpDir("doc")
        cls.stack = Stack(cls.tmpdir.path)

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()
        cls.tmpdir.close()

    def fails_with(self, want, why):
        rc, out, err = self.stack.doctor()
        fails = lines(out, "FAIL")
        self.assertEqual(rc, 1, "%s: got exit %d, want 1:\n%s%s" % (
            why, rc, out, err))
        hit = [f for f in fails if re.search(want, f)]
        self.assertTrue(hit, "%s: got FAIL lines %s, want one matching "
                        "%r\n%s" % (why, fails, want, out))
        return hit, fails

    def test_1_running_stack_is_all_ok(self):
        rc, out, err = self.stack.doctor()
        self.assertEqual(lines(out, "FAIL"), [], "got FAIL lines, want "
                         "none:\n" + out + err)
        self.assertEqual(rc, 0, "got exit %d, want 0" % rc)
        s = self.stack.sock
        for want in (
                r"ok   smtpd_milters unix:%s: facteur-spam answers "
                r"\(milter protocol version 6\)" % re.escape(s["spam"]),
                r"ok   smtpd_milters unix:%s: facteur-dkim answers" %
                re.escape(s["dkim"]),
                r"ok   socketmap unix:%s:domains \(virtual_mailbox_domains\)"
                r": 'domains example.org' -> OK" % re.escape(s["lookup"]),
                r"ok   socketmap .*:mailboxes .*'mailboxes %s' -> OK" % ALICE,
                r"ok   check_policy_service unix:%s .*answers action=" %
                re.escape(s["policy"]),
                r"ok   virtual_transport: lmtp:unix:%s answers LHLO" %
                re.escape(s["lmtp"]),
                r"ok   dovecot passdb: password_query of .* finds %s" % ALICE,
                r"ok   dovecot userdb: user_query of .* finds %s" % ALICE,
                r"ok   doveadm user: %s" % ALICE,
                r"ok   \[dkim\] key s1._domainkey.example.org: .*fit for "
                r"nobody",
                r"ok   non_smtpd_milters unix:%s: facteur-milter answers" %
                re.escape(s["milter"]),
                r"ok   \[milter\] key s1._domainkey.example.org: .*fit for "
                r"nobody",
                r"ok   \[lmtp\] database: facteur-lmtp \(as %d\) can read" %
                self.stack.uid,
                r"ok   DKIM s1._domainkey.example.org",
                r"ok   doveadm user: %s: uid=%d" % (ALICE, self.stack.uid),
                r"ok   smtpd_authorized_xclient_hosts: 127\.0\.0\.1: 'facteur "
                r"selftest' can run",
                r"warn bayes: "):
            self.assertRegex(out, want)

    def test_selftest_follows_both_messages_to_imap(self):
        rc, out, err = self.stack.selftest()
        self.assertEqual(rc, 0, "selftest: got exit %d, want 0:\n%s%s" % (
            rc, out, err))
        pf = self.stack.pf
        for want in (
                r"inbound: <> -> Postfix smtpd 127\.0\.0\.1:%d, XCLIENT "
                r"ADDR=192\.0\.2\.25" % pf.port,
                r"\+\d+\.\d{3}s  XCLIENT: 220",
                r"end of DATA \(milters' verdict, queued\): 250 .*queued",
                r"submission: selftest-[0-9a-f]{8}@example\.org -> Postfix "
                r"127\.0\.0\.1:%d, AUTH PLAIN" % self.stack.sub_port,
                r"AUTH PLAIN \(Dovecot SASL\): 235",
                r"inbound message:\n.*Dovecot IMAP: in INBOX",
                r"Authentication-Results: mx\.facteur\.test; dkim=none; spf=\w+ "
                r"smtp\.helo=selftest\.invalid",
                r"X-Spam-Status: No, score=",
                r"submitted message:\n.*Dovecot IMAP: in INBOX",
                r"DKIM-Signature: v=1; .*d=example\.org; s=s1; .*b=\.\.\.",
                r"Received: from selftest\.invalid \(unknown \[192\.0\.2\.25\]\)",
                r"mailbox selftest-[0-9a-f]{8}@example\.org removed",
                r"selftest: ok"):
            self.assertRegex(out, want)
        user = re.search(r"selftest-[0-9a-f]{8}@example\.org", out).group(0)
        users = self.stack.admin("user", "list").stdout
        self.assertNotIn(user, users, "the throw-away mailbox is left")
        self.assertFalse(os.path.exists(os.path.join(
            self.stack.tmp, "mail", "example.org", user.split("@")[0])),
            "its Maildir is left")

    def test_selftest_without_xclient_fails_saying_the_fix(self):
        pf = self.stack.pf
        pf.postconf("smtpd_authorized_xclient_hosts=")
        pf.reload()
        try:
            rc, out, err = self.stack.selftest("--submission", "none")
            self.assertEqual(rc, 1, out + err)
            self.assertIn("smtpd_authorized_xclient_hosts", out)
            self.assertIn("removed", out)
            rc, out, err = self.stack.doctor()
            self.assertRegex(out, r"(?m)^warn smtpd_authorized_xclient_hosts"
                             r": unset: 'facteur selftest' cannot")
        finally:
            pf.postconf("smtpd_authorized_xclient_hosts=127.0.0.1")
            pf.reload()

    def test_json_is_one_object_with_the_live_checks(self):
        rc, out, err = self.stack.doctor("--json")
        self.assertEqual(rc, 0, out + err)
        doc = json.loads(out)
        st = {c["check"]: c["status"] for c in doc["checks"]}
        self.assertEqual(doc["failures"], 0)
        self.assertEqual(st.get("virtual_transport"), "ok", st)
        self.assertEqual(st.get("dovecot userdb"), "ok", st)
        self.assertTrue([k for k in st if k.startswith("smtpd_milters ")],
                        st)

    def test_lookup_down_fails(self):
        self.stack.stop("lookup")
        try:
            hit, _ = self.fails_with(r"^FAIL socketmap unix:.*lookup\.sock"
                                     r":domains", "lookup down")
            self.assertIn("not running", hit[0])
            self.assertIn("451 4.3.0", hit[0])
        finally:
            self.stack.start("lookup")

    def test_one_milter_down_fails_as_not_running(self):
        self.stack.stop("spam")
        try:
            hit, fails = self.fails_with(r"^FAIL smtpd_milters unix:.*"
                                         r"spam\.sock", "spam milter down")
            self.assertIn("facteur-spam is not running", hit[0])
            self.assertFalse([f for f in fails if "dkim.sock" in f],
                             "the running milters FAILed too: %s" % fails)
        finally:
            self.stack.start("spam")

    def test_key_unreadable_by_its_daemon_fails(self):
        st = os.stat(self.stack.key)
        os.chown(self.stack.key, 1, -1)  # daemon: facteur-dkim is nobody
        try:
            hit, fails = self.fails_with(r"^FAIL \[dkim\] key s1\."
                                         r"_domainkey\.example\.org",
                                         "key owner")
            self.assertIn("chown nobody", hit[0])
            self.assertTrue([f for f in fails if f.startswith(
                "FAIL [milter] key s1._domainkey.example.org")], fails)
        finally:
            os.chown(self.stack.key, st.st_uid, st.st_gid)
        os.chmod(self.stack.key, 0o640)
        try:
            hit, _ = self.fails_with(r"^FAIL \[dkim\] key s1\._domainkey\.",
                                     "key mode")
            self.assertIn("chmod 600", hit[0])
        finally:
            os.chmod(self.stack.key, 0o600)

    def test_dkim_txt_not_matching_fails(self):
        other = self.stack.dkim_txt.replace("p=M", "p=N", 1)
        self.assertNotEqual(other, self.stack.dkim_txt)
        self.stack.dns.set_records(DOMAIN, [
            r for r in self.stack.good if r[0] != "s1._domainkey"] + [
            ("s1._domainkey", "TXT", other)])
        try:
            self.fails_with(r"^FAIL DKIM s1\._domainkey\.example\.org",
                            "DKIM TXT")
        finally:
            self.stack.dns.set_records(DOMAIN, self.stack.good)

    def test_dovecot_user_query_wrong_fails(self):
        bad = self.stack.sqltext.replace(
            "FROM users u JOIN domains d ON d.name = u.domain \\\n"
            "  WHERE u.address = '%u' AND u.active = 1 AND d.active = 1\n"
            "\n# For doveadm",
            "FROM mailbox u JOIN domains d ON d.name = u.domain \\\n"
            "  WHERE u.address = '%u' AND u.active = 1 AND d.active = 1\n"
            "\n# For doveadm")
        self.assertNotEqual(bad, self.stack.sqltext, "edit did not apply")
        with open(self.stack.sqlconf, "w") as f:
            f.write(bad)
        try:
            hit, _ = self.fails_with(r"^FAIL dovecot userdb: user_query",
                                     "user_query")
            self.assertIn("no such table: mailbox", hit[0])
        finally:
            with open(self.stack.sqlconf, "w") as f:
                f.write(self.stack.sqltext)


def main():
    global SRC
    names = ["facteur", "lookup", "lmtp", "blacklist", "dkim", "spam",
             "milter"]
    if len(sys.argv) < 9:
        sys.exit(__doc__)
    for n, p in zip(names, sys.argv[1:8]):
        EXE[n] = os.path.abspath(p)
    SRC = os.path.abspath(sys.argv[8])
    sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
    if os.geteuid() != 0:
        print("SKIP: missing peer: root (Postfix and Dovecot start as "
              "root)")
        sys.exit(77)
    for peer in ("/usr/sbin/postfix", "/usr/sbin/dovecot",
                 "/usr/sbin/knotd"):
        if not os.access(peer, os.X_OK):
            print("SKIP: missing peer: %s" % os.path.basename(peer))
            sys.exit(77)
    unittest.main(argv=[sys.argv[0]] + sys.argv[9:], verbosity=2)


if __name__ == "__main__":
    main()
