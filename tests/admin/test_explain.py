#!/usr/bin/python3
"""tests/admin/test_explain.py - 'facteur explain' gives the milters' own
verdicts: the same messages, with the same facteur.conf, go through a
running facteur-milter (blacklist, scrub, dkim, spam) over the milter
protocol (tests/milter/milterclient.py, offering SMFIP_HDR_LEADSPC as
Postfix does) and through 'facteur explain --json'; for each, these must
be equal:
  - the outcome (continue, or reject with the same reply: the blacklist
    decision);
  - Authentication-Results (dkim, spf, dmarc);
  - X-Spam-Flag, X-Spam-Score and X-Spam-Status (score, flag, rules).

And one submission (--submission USER against the milter given
{auth_authen}): the same DKIM-Signature (d=, s=, h=, bh=) and the same
edits of facteur-scrub.

Messages: the first N ham and N spam of ../shared/corpus/spamassassin
(N = 8 by default, EXPLAIN_N to change), a message signed with 'facteur
dkim sign' (dkim=pass against a private Knot), GTUBE, and a blacklisted
sender. DNS is a private Knot: the corpus's own domains are not in it.

usage: test_explain.py FACTEUR FACTEUR-MILTER SRCDIR   (as root)
Runtime: ~30 s.
"""
import email.utils
import json
import os
import re
import socket
import sys
import unittest

FACTEUR = MILTER = SRC = None
N = int(os.environ.get("EXPLAIN_N", "8"))
IP, HELO, RCPT = "192.0.2.10", "mail.example.net", "bob@example.org"
HEADERS = ("Authentication-Results", "X-Spam-Flag", "X-Spam-Score",
           "X-Spam-Status")
GTUBE = ("XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*"
         "C.34X")


def split_message(raw):
    """Header fields as Postfix sends them with HDR_LEADSPC (the bytes
    after ':', folds joined by LF) and the body with CRLF line ends."""
    text = raw.replace(b"\r\n", b"\n")
    head, _, body = text.partition(b"\n\n")
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += b"\n" + line
        elif b":" in line:
            n, v = line.split(b":", 1)
            fields.append([n, v])
    dec = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in fields]
    return dec, body.replace(b"\n", b"\r\n")


def sig_tags(v):
    """A DKIM-Signature without its time-dependent tags (t=, x=, b=)."""
    tags = [t.strip() for t in re.sub(r"\s+", "", v).split(";") if t]
    return ";".join(t for t in tags if t.split("=", 1)[0] not in
                    ("t", "x", "b"))


def sender_of(fields):
    for n, v in fields:
        if n.lower() == "from":
            return email.utils.parseaddr(v.replace("\n", " "))[1] or ""
    return ""


class Explain(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
        sys.path.insert(0, os.path.join(SRC, "tests", "milter"))
        import dnsserver
        import fixtures
        import harness
        cls.h = harness
        cls.tmp = harness.TmpDir("xpl")
        t = cls.tmp.path
        cls.sock = os.path.join(t, "milter.sock")
        cls.dns = dnsserver.DnsServer(os.path.join(t, "knot"), {
            "example.org": [("@", "MX", "10 mail")]})
        resolver = "127.0.0.1@%d" % cls.dns.port
        cls.conf = fixtures.write_conf(os.path.join(t, "facteur.conf"), {
            "database": {"path": os.path.join(t, "facteur.sqlite")},
            "admin": {"dkim_keys_dir": os.path.join(t, "keys"),
                      "dkim_user": "root"},
            "milter": {"socket": "unix:" + cls.sock, "user": ""},
            "blacklist": {"internal_hosts": "", "dnsbl_zones": "",
                          "resolver": resolver},
            "dkim": {"authserv_id": "mx.facteur.test", "resolver": resolver,
                     "dns_timeout": "2s", "internal_hosts": ""},
            "spam": {"rules_path": os.path.join(SRC, "rules"),
                     "bayes_path": "", "network_tests": "no",
                     "cache_dir": os.path.join(t, "cache")},
        })
        os.mkdir(os.path.join(t, "cache"))
        cls.admin = fixtures.Admin(FACTEUR, cls.conf,
                                   os.path.join(t, "facteur.sqlite"))
        cls.admin("db", "init")
        cls.admin("domain", "add", "example.org")
        cls.admin("blacklist", "sender", "add", "spammer@bad.example",
                  "--code", "554", "--message", "Parle a ma main")
        cls.admin("dkim", "keygen", "example.org", "--selector", "s1")
        rec = "".join(re.findall(r'"([^"]*)"', cls.admin(
            "dkim", "dns", "example.org").stdout))
        cls.dns.set_records("example.org", [
            ("@", "MX", "10 mail"), ("mail", "A", "127.0.0.1"),
            ("@", "TXT", "v=spf1 ip4:%s -all" % IP),
            ("_dmarc", "TXT", "v=DMARC1; p=reject"),
            ("s1._domainkey", "TXT", rec)])
        cls.milter = fixtures.start_milter(MILTER, cls.conf, t, cls.sock,
                                           "facteur-milter")

    @classmethod
    def tearDownClass(cls):
        cls.milter.close()
        cls.dns.close()
        cls.tmp.close()

    def milter_side(self, raw, sender, auth=None):
        from milterclient import MilterClient, OFFER_PROTOCOL, \
            SMFIP_HDR_LEADSPC
        fields, body = split_message(raw)
        mc = MilterClient("unix:" + self.sock, timeout=60)
        neg = mc.negotiate
        mc.negotiate = lambda: neg(protocol=OFFER_PROTOCOL |
                                   SMFIP_HDR_LEADSPC)
        mail = {"i": "EXPLAIN"}
        if auth:
            mail.update({"{auth_authen}": auth, "{auth_type}": "PLAIN"})
        ip = "127.0.0.1" if auth else IP
        r = mc.message(
            macros={"connect": {"j": socket.gethostname(),
                                "{daemon_name}": "submission" if auth
                                else "smtpd"},
                    "mail": mail},
            connect=("[%s]" % ip, ip, 4567), helo=HELO,
            mail_from="<%s>" % sender, rcpts=["<%s>" % RCPT],
            headers=fields, body=body)
        got = {}
        for n, v in list(r.added) + [(n, v) for _, n, v in r.inserted]:
            if n in HEADERS:
                got[n] = v.strip()
            elif n == "DKIM-Signature":
                got[n] = sig_tags(v)
        for i, n, v in r.changed:
            got["%s[%d]" % (n, i)] = v.strip()
        outcome = r.action
        if r.action in ("reject", "tempfail"):
            outcome += " " + " ".join(r.reply)
        return outcome, got

    def explain_side(self, path, sender, auth=None):
        who = ["--submission", auth] if auth else ["--from-ip", IP]
        p = self.h.run([FACTEUR, "-c", self.conf, "explain", path] + who +
                       ["--helo", HELO, "--mail-from", sender, "--rcpt",
                        RCPT, "--json"], check=False, timeout=120)
        self.assertEqual(p.returncode, 0, "explain %s: exit %d: %s" % (
            path, p.returncode, p.stderr[-2000:]))
        doc = json.loads(p.stdout)
        got = {}
        for e in doc["edits"]:
            if e["name"] in HEADERS and e["op"] in ("add", "insert"):
                got[e["name"]] = e["value"].strip()
            elif e["name"] == "DKIM-Signature":
                got[e["name"]] = sig_tags(e["value"])
            elif e["op"] in ("change", "delete"):
                got["%s[%d]" % (e["name"], e["index"])] = \
                    (e["value"] or "").strip()
        outcome = {"continue": "continue", "accept": "accept",
                   "REJECT": "reject", "TEMPFAIL": "tempfail"}[
                       doc["verdict"]]
        if outcome in ("reject", "tempfail"):
            reply = [ph["reply"] for ph in doc["phases"] if ph["reply"]]
            outcome += " " + reply[-1]
        return outcome, got, doc

    def same(self, path, sender=None, want=None, auth=None):
        with open(path, "rb") as f:
            raw = f.read()
        if sender is None:
            sender = sender_of(split_message(raw)[0])
        m_out, m_hdr = self.milter_side(raw, sender, auth)
        e_out, e_hdr, doc = self.explain_side(path, sender, auth)
        name = os.path.basename(path)
        self.assertEqual(e_out, m_out, "%s: outcome: explain %r, milter "
                         "%r" % (name, e_out, m_out))
        self.assertEqual(e_hdr, m_hdr, "%s: headers differ:\nexplain %s\n"
                         "milter  %s" % (name, e_hdr, m_hdr))
        if want:
            blob = json.dumps(doc)
            for w in want:
                self.assertRegex(blob, w, name)
        return m_out, m_hdr

    def test_corpus_sample_verdicts_equal_the_milters(self):
        base = os.path.join(SRC, "..", "shared", "corpus", "spamassassin")
        if not os.path.isdir(base):
            self.skipTest("no shared corpus at %s" % base)
        flags = {}
        for kind in ("ham", "spam"):
            d = os.path.join(base, kind)
            for name in sorted(os.listdir(d))[:N]:
                _, hdr = self.same(os.path.join(d, name))
                self.assertIn("X-Spam-Status", hdr, name)
                flags.setdefault(kind, []).append(hdr.get("X-Spam-Flag"))
        print("flags:", {k: v.count("YES") for k, v in flags.items()},
              "of", N, file=sys.stderr)

    def test_signed_gtube_and_blacklisted(self):
        t = self.tmp.path
        msg = os.path.join(t, "plain.eml")
        with open(msg, "w") as f:
            f.write("From: Alice <alice@example.org>\nTo: <%s>\n"
                    "Subject: lunch\nMessage-ID: <l1@example.org>\n"
                    "Date: Mon, 07 Dec 2026 05:00:00 +0000\n\n"
                    "Lunch at noon?\n" % RCPT)
        signed = os.path.join(t, "signed.eml")
        with open(signed, "w") as f:
            f.write(self.admin("dkim", "sign", msg).stdout)
        _, hdr = self.same(signed, "alice@example.org",
                           want=[r"TXT s1\._domainkey\.example\.org: "
                                 r"v=DKIM1", r"sieve|why"])
        self.assertRegex(hdr["Authentication-Results"],
                         r"(?s)dkim=pass .*spf=pass .*dmarc=pass")
        gtube = os.path.join(t, "gtube.eml")
        with open(gtube, "w") as f:
            f.write("From: <x@spam.example>\nTo: <%s>\nSubject: win\n\n"
                    "%s\n" % (RCPT, GTUBE))
        _, hdr = self.same(gtube, "x@spam.example")
        self.assertEqual(hdr.get("X-Spam-Flag"), "YES")
        out, _ = self.same(msg, "spammer@bad.example",
                           want=[r"log: info: EXPLAIN: blacklist: REJECT "
                                 r"from=<spammer@bad\.example> "
                                 r"client=192\.0\.2\.10: sender_blacklist"])
        self.assertRegex(out, r"^reject 554 .*Parle a ma main$")


    def test_submission_signs_and_scrubs_like_the_milter(self):
        """--submission USER against the milter given {auth_authen}: dkim
        signs (same d=, s=, h=, bh=), scrub's edits are the same."""
        t = self.tmp.path
        msg = os.path.join(t, "sub.eml")
        with open(msg, "w") as f:
            f.write("Received: from laptop (laptop [10.0.0.2])\n\tby "
                    "mx with ESMTPSA\nFrom: Alice <alice@example.org>\n"
                    "To: <%s>\nSubject: report\nUser-Agent: Mutt/2.2\n"
                    "Message-ID: <r1@example.org>\n"
                    "Date: Mon, 07 Dec 2026 05:00:00 +0000\n\n"
                    "The report is attached.\n" % RCPT)
        _, hdr = self.same(msg, "alice@example.org",
                           auth="alice@example.org")
        self.assertRegex(hdr.get("DKIM-Signature", ""),
                         r"d=example\.org;s=s1", hdr)
        for gone in ("Received[1]", "User-Agent[1]"):
            self.assertEqual(hdr.get(gone), "", "%s: want scrub's delete, "
                             "got %s" % (gone, hdr))


def main():
    global FACTEUR, MILTER, SRC
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    FACTEUR, MILTER, SRC = [os.path.abspath(a) for a in sys.argv[1:4]]
    if os.geteuid() != 0:
        print("SKIP: missing peer: root (the DKIM key is root's)")
        sys.exit(77)
    if not os.access("/usr/sbin/knotd", os.X_OK):
        print("SKIP: missing peer: knotd (Debian's knot)")
        sys.exit(77)
    unittest.main(argv=[sys.argv[0]] + sys.argv[4:], verbosity=2)


if __name__ == "__main__":
    main()
