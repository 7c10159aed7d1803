"""envelope_postfix_test - every envelope address form RFC 5321 allows,
through a real private Postfix into facteur-blacklist (milter) and
facteur-lookup (policy server and socketmap), checked against the address
Postfix itself resolves (issue 10: "Envelope forms through a real
Postfix"; finding 5).

One Postfix, four smtpd services on loopback:
  plain   no checks: the oracle. Each form is sent, queued and delivered
          (a catch-all mailbox per domain); the qmgr from=<...> and the
          delivery agent's to=<...> are what Postfix resolved it to.
  milter  smtpd_milters = facteur-blacklist
  policy  check_policy_service = facteur-lookup's policy socket
  sockmap check_sender_access / check_recipient_access = facteur-lookup's
          socketmap (sender_access, recipient_access)

Then, for each form F that Postfix resolved to R, a blacklist row is made
for R (its domain's case folded, as facteur stores it) with a text of its
own, and F is sent through each of the three checking services: each must
refuse it with that row's text, i.e. facteur decided on R, whatever the
spelling. facteur-blacklist's log must also name R as the address decided
on. A form Postfix itself refuses is checked to be refused, and one
unlisted address must pass everywhere.

Forms marked STRICTER are ones Postfix reads by guessing (a comment in
the path: Postfix drops it); facteur-blacklist refuses them (501 5.1.7)
rather than guess, while the socketmap and policy paths, which get
Postfix's reading, refuse them with the row's text.
The bare recipient <postmaster> is accepted by every path, whatever the
rows (RFC 5321 4.5.1; Postfix's smtpd_check_rcpt() never checks it).
Known difference (docs/addresses.md): a policy request carries no
$myorigin, so a domainless sender (<postmaster>) is decided there as
"postmaster@" (user@ rows only), not as postmaster@$myorigin; the forms
marked DOMAINLESS skip the policy service.

Runs in about 20 s. Usage: envelope_postfix_test.py FACTEUR_BLACKLIST
FACTEUR_LOOKUP FACTEUR   (as root)
"""

import os
import re
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402

EXE = None

# (form, SMTPUTF8, flags). Senders go to <alice@example.org>.
SENDERS = [
    ("<spammer@bad.example>", False, ""),
    ('<"spammer"@bad.example>', False, ""),          # unneeded quoting
    ("<@relay.x:spammer@bad.example>", False, ""),   # source route
    ("<@a.example,@b.example:spammer@bad.example>", False, ""),
    ("<spammer@bad.example.>", False, ""),           # trailing dot
    ('<"spammer"@bad.example.>', False, ""),
    ("<Spammer@BAD.Example.>", False, ""),           # case
    ("<x@evil.example.>", False, ""),
    ('<"a b"@bad.example>', False, ""),              # needed quoting
    ('<"a\\"b"@bad.example>', False, ""),
    ('<"spammer."@bad.example>', False, ""),
    ('<"x@y"@bad.example>', False, ""),
    ("<abc.@bad.example>", False, ""),              # Postfix quotes it
    ("<a@b@bad.example>", False, ""),               # read as "a@b"@...
    ('<""@bad.example>', False, ""),                 # empty local part
    ("<(c)spammer@bad.example>", False, "STRICTER"),  # comment
    ("<postmaster>", False, "DOMAINLESS"),
    ("<Postmaster>", False, "DOMAINLESS"),
    ("<>", False, ""),                               # null sender
    ("<\u00e9lodie@Exemple.Fr.>", True, ""),         # SMTPUTF8
    ("<u@\u00c9COLE.example>", True, ""),
    ("<spammer@bad.example..>", False, ""),          # Postfix refuses
]
# Recipients come from <ok@example.net>.
RECIPIENTS = [
    ("<gone@mx.test>", False, ""),
    ('<"gone"@mx.test>', False, ""),
    ("<gone@mx.test.>", False, ""),
    ("<@r.example:gone@mx.test>", False, ""),
    ("<GONE@MX.Test.>", False, ""),
    ('<"go ne"@mx.test>', False, ""),
    ('<"go.ne."@mx.test>', False, ""),
    ("<postmaster>", False, "POSTMASTER"),
    ("<POSTMASTER>", False, "POSTMASTER"),
    ("<postmaster@MX.test.>", False, ""),
    ("<\u00e9lodie@MX.test.>", True, ""),
    ("<gone@mx.test..>", False, ""),                # Postfix refuses
]
CLEAN_SENDER = "<ok@example.net>"
CLEAN_RCPT = "<alice@example.org>"
MYHOSTNAME = "mx.test"  # the j macro and $myorigin


def fold_domain(addr):
    """R with its domain's case folded, as facteur stores and decides."""
    if "@" not in addr:
        return addr
    local, _, domain = addr.rpartition("@")
    return local + "@" + domain.lower()


def log_safe(s):
    """s as facteur's logs show it (lib/log.c log_safe): printable ASCII
    but '\\' as is, every other byte as \\xNN."""
    return "".join(chr(c) if 0x20 <= c < 0x7f and c != 0x5c else
                   "\\x%02x" % c for c in s.encode())


def row_key(r):
    """The row a resolved address R falls on: "<>" for the null sender,
    and one row for all spellings SQLite's NOCASE takes as equal."""
    return (fold_domain(r) if r else "<>").encode().lower()


def smtp_tx(port, mail, rcpt, utf8, data=False):
    """One transaction; returns (stage, code, text, queue_id). stage is
    where it stopped: "mail", "rcpt", "data" or "queued"."""
    with harness.smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
        s.command_encoding = "utf-8"
        s.ehlo("client.facteur.test")
        code, text = s.docmd("MAIL FROM:" + mail +
                             (" SMTPUTF8" if utf8 else ""))
        text = text.decode("utf-8", "replace")
        if code >= 400:
            return ("mail", code, text, None)
        code, text = s.docmd("RCPT TO:" + rcpt)
        text = text.decode("utf-8", "replace")
        if code >= 400:
            s.rset()
            return ("rcpt", code, text, None)
        if not data:
            s.rset()
            return ("rcpt", code, text, None)
        code, text = s.docmd("DATA")
        if code != 354:
            return ("data", code, text.decode("utf-8", "replace"), None)
        s.send(b"Subject: envelope form\r\n\r\nBonjour.\r\n.\r\n")
        code, text = s.getreply()
        text = text.decode("utf-8", "replace")
        m = re.search(r"queued as ([0-9A-F]+)", text)
        return ("queued" if code == 250 else "data", code, text,
                m.group(1) if m else None)


class EnvelopeForms(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("envelope")
        cls.milter = cls.lookup = cls.pf = None
        try:
            cls._setup(cls.tmp.path)
        except Exception:
            cls.tearDownClass(failed=True)
            raise

    @classmethod
    def _setup(cls, tmp):
        dbdir = os.path.join(tmp, "db")
        os.mkdir(dbdir)
        gid = harness.grp.getgrnam("postfix").gr_gid
        os.chown(dbdir, 0, gid)
        os.chmod(dbdir, 0o770)
        cls.db = os.path.join(dbdir, "facteur.sqlite")
        cls.msock = os.path.join(tmp, "blacklist.sock")
        cls.lsock = os.path.join(tmp, "lookup.sock")
        cls.psock = os.path.join(tmp, "policy.sock")
        cls.conf = fixtures.write_conf(os.path.join(tmp, "facteur.conf"), {
            "database": {"path": cls.db},
            "blacklist": {"socket": "unix:" + cls.msock,
                          "socket_mode": "0660", "user": "nobody",
                          "group": "postfix", "internal_hosts": ""},
            "lookup": {"socket": cls.lsock, "policy_socket": cls.psock,
                       "user": ""},
        })
        cls.admin = fixtures.Admin(EXE["facteur"], cls.conf, cls.db)
        cls.admin("db", "init")
        os.chown(cls.db, 0, gid)
        os.chmod(cls.db, 0o660)
        cls.milter = fixtures.start_milter(
            EXE["facteur_blacklist"], cls.conf, tmp, cls.msock,
            "facteur-blacklist")
        cls.lookup = fixtures.start_lookup(EXE["facteur_lookup"], cls.conf,
                                           tmp, cls.lsock, cls.db)
        cls.ports = {k: harness.free_port() for k in
                     ("milter", "policy", "sockmap")}
        sm = "socketmap:unix:%s:" % cls.lsock
        extra = [
            "127.0.0.1:%d inet n - n - - smtpd\n"
            "  -o { smtpd_milters = unix:%s }\n"
            "  -o milter_default_action=tempfail\n"
            % (cls.ports["milter"], cls.msock),
            "127.0.0.1:%d inet n - n - - smtpd\n"
            "  -o { smtpd_recipient_restrictions = check_policy_service "
            "unix:%s, permit }\n" % (cls.ports["policy"], cls.psock),
            "127.0.0.1:%d inet n - n - - smtpd\n"
            "  -o { smtpd_sender_restrictions = check_sender_access "
            "%ssender_access }\n"
            "  -o { smtpd_recipient_restrictions = check_recipient_access "
            "%srecipient_access, permit }\n"
            % (cls.ports["sockmap"], sm, sm),
        ]
        cls.pf = harness.Postfix(tmp, master_cf_extra="".join(extra),
                                 main_cf_extra={
            "myhostname": MYHOSTNAME,
            "virtual_mailbox_domains": "mx.test, example.org",
            "virtual_mailbox_maps":
                "inline:{@mx.test=mx/, @example.org=eo/}",
        })
        for port in cls.ports.values():
            harness.wait_for(lambda p=port: harness.port_open(p), 20,
                             what="smtpd on port %d" % port)

    @classmethod
    def tearDownClass(cls, failed=False):
        san = ""
        for d in (cls.milter, cls.lookup):
            if d is not None:
                san += d.sanitizer_report()
        for name in ("pf", "milter", "lookup"):
            obj = getattr(cls, name, None)
            if obj is not None:
                obj.close()
        if failed or san:
            for d in (cls.milter, cls.lookup):
                if d is not None:
                    print(d.log(), file=sys.stderr)
            cls.tmp.keep = True
        cls.tmp.close()
        if san:
            raise AssertionError("sanitizer report: got\n%s\nwant none" %
                                 san)

    # -- the oracle

    def resolve(self, form, utf8, sender):
        """What Postfix resolves form to, from its own log: the qmgr
        from=<...> (sender) or the delivery's to=<...> (recipient); None
        if Postfix refuses the form."""
        mail, rcpt = (form, CLEAN_RCPT) if sender else (CLEAN_SENDER, form)
        stage, code, text, qid = smtp_tx(self.pf.port, mail, rcpt, utf8,
                                         data=True)
        if stage != "queued":
            self.assertGreaterEqual(code, 500, "plain smtpd, %s: got %s %d "
                                    "%s, want queued or a 5xx syntax "
                                    "refusal" % (form, stage, code, text))
            return None
        what = "from" if sender else "to"
        m = self.pf.wait_for_log(r"%s: %s=<([^>]*)>" % (qid, what))
        return m.group(1)

    # -- the checks

    def refused_by(self, path, mail, rcpt, utf8, text):
        stage, code, reply, _ = smtp_tx(self.ports[path], mail, rcpt, utf8)
        return (stage in ("mail", "rcpt") and 500 <= code < 600 and
                text in reply, "%s %d %s" % (stage, code, reply))

    def run_forms(self, forms, sender):
        table = "sender_blacklist" if sender else "recipient_blacklist"
        resolved = {}
        for form, utf8, flags in forms:
            resolved[form] = self.resolve(form, utf8, sender)
        rows = {}  # row key (ASCII case folded, as SQLite NOCASE) -> text
        con = sqlite3.connect(self.db, timeout=10)
        try:
            for form, r in resolved.items():
                if r is None or row_key(r) in rows:
                    continue
                rows[row_key(r)] = text = "row %d of %s" % (len(rows) + 1,
                                                           table)
                key = fold_domain(r) if r else "<>"
                if sender:
                    con.execute("INSERT INTO sender_blacklist (pattern, "
                                "kind, action, code, enhanced, message) "
                                "VALUES (?, 'address', 'REJECT', 550, "
                                "'5.7.1', ?)", (key, text))
                else:
                    con.execute("INSERT INTO recipient_blacklist (pattern, "
                                "action, code, enhanced, message) VALUES "
                                "(?, 'REJECT', 550, '5.1.1', ?)",
                                (key, text))
            con.commit()
        finally:
            con.close()
        fails = []
        for form, utf8, flags in forms:
            r = resolved[form]
            mail, rcpt = (form, CLEAN_RCPT) if sender else (CLEAN_SENDER,
                                                            form)
            for path in ("milter", "policy", "sockmap"):
                if r is None:
                    stage, code, reply, _ = smtp_tx(self.ports[path], mail,
                                                    rcpt, utf8)
                    if code < 500:
                        fails.append("%s via %s: Postfix refuses it, but "
                                     "got %s %d %s" % (form, path, stage,
                                                       code, reply))
                    continue
                if path == "policy" and flags == "DOMAINLESS":
                    continue
                if path == "milter" and flags == "STRICTER":
                    ok, got = self.refused_by(path, mail, rcpt, utf8,
                                              "5.1.7 Bad sender address")
                    if not ok:
                        fails.append("%s via milter: got %s, want 501 "
                                     "5.1.7" % (form, got))
                    continue
                if flags == "POSTMASTER":
                    stage, code, reply, _ = smtp_tx(self.ports[path], mail,
                                                    rcpt, utf8)
                    if code >= 400:
                        fails.append("%s via %s: RFC 5321 4.5.1 and Postfix "
                                     "accept it always, got %s %d %s" %
                                     (form, path, stage, code, reply))
                    continue
                text = rows[row_key(r)]
                ok, got = self.refused_by(path, mail, rcpt, utf8, text)
                if not ok:
                    fails.append("%s (Postfix: <%s>) via %s: got %s, want "
                                 "refused with %r" % (form, r, path, got,
                                                      text))
            if r and flags not in ("POSTMASTER", "STRICTER"):
                want = "%s=<%s>" % ("from" if sender else "to",
                                    log_safe(fold_domain(r)))
                if want not in self.wait_log(want):
                    fails.append("%s: facteur-blacklist's log has no %s" %
                                 (form, want))
        for f in fails:
            print("FAIL " + f, file=sys.stderr)
        self.assertEqual(fails, [], "%d form(s) not decided as Postfix "
                         "resolves them" % len(fails))
        return resolved

    def wait_log(self, want, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            log = self.milter.log()
            if want in log:
                return log
            time.sleep(0.05)
        return self.milter.log()

    def test_1_sender_forms_are_decided_as_postfix_resolves_them(self):
        resolved = self.run_forms(SENDERS, sender=True)
        print("\nsender forms (what Postfix resolved; facteur decided on the "
              "same, domain folded):",
              file=sys.stderr)
        for form, _, _ in SENDERS:
            print("  %-46s %s" % (form, "<%s>" % resolved[form]
                                  if resolved[form] is not None
                                  else "refused by Postfix"),
                  file=sys.stderr)

    def test_2_recipient_forms_are_decided_as_postfix_resolves_them(self):
        resolved = self.run_forms(RECIPIENTS, sender=False)
        print("\nrecipient forms:", file=sys.stderr)
        for form, _, _ in RECIPIENTS:
            print("  %-46s %s" % (form, "<%s>" % resolved[form]
                                  if resolved[form] is not None
                                  else "refused by Postfix"),
                  file=sys.stderr)

    def test_3_domain_row_catches_every_spelling_of_its_domain(self):
        self.admin("blacklist", "sender", "add", "domain-row.example",
                   "--code", "550", "--enhanced", "5.7.1", "--message",
                   "the domain row")
        for form in ("<x@domain-row.example.>", "<x@Domain-Row.EXAMPLE>",
                     '<"x"@sub.domain-row.example.>',
                     "<@relay.x:x@domain-row.example>"):
            for path in ("milter", "policy", "sockmap"):
                ok, got = self.refused_by(path, form, CLEAN_RCPT, False,
                                          "the domain row")
                self.assertTrue(ok, "%s via %s: got %s, want the domain "
                                "row's 550" % (form, path, got))

    def test_4_an_unlisted_address_passes_everywhere(self):
        for path in ("milter", "policy", "sockmap"):
            stage, code, text, _ = smtp_tx(self.ports[path],
                                           '<"friend"@bad.example.>',
                                           "<Alice@Example.ORG.>", False)
            self.assertEqual((stage, code), ("rcpt", 250),
                             "unlisted via %s: got %s %d %s" %
                             (path, stage, code, text))


if __name__ == "__main__":
    EXE = fixtures.exe_args(sys.argv, ["facteur_blacklist", "facteur_lookup",
                                       "facteur"])
    unittest.main(argv=sys.argv[:1], verbosity=2)
