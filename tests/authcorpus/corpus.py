"""tests/authcorpus/corpus.py - the adversarial authentication corpus.

build(keys) returns a list of cases, each a dict:
  id     stable name "class/variant" (known-disagreement files use it)
  cls    attack class (the table the tests print is by class)
  msg    the raw message (bytes, CRLF)
  dkim   None, or one set of acceptable dkim= results per DKIM-Signature
         field, top down ([] = no signature: dkim=none)
  out    acceptable outcomes: "reject" (550 from dmarc_reject) or the
         dmarc= result of the A-R ("pass", "fail", "none", "permerror",
         "temperror"); a missing dmarc= ("absent") is never acceptable
  why    the rule that decides it (RFC section)
  valid_from  exactly one From with one valid mailbox (True/False/None
         either): with require_valid_from = yes, False must be refused

The verdicts are what the RFCs require, not what any implementation
does today. DNS (authenv.zones): example.org publishes p=reject (the
victim, key s1), evil.example p=none with its own valid key (the
attacker), strict.example adkim=s, quar.example p=quarantine,
pct0.example p=reject pct=0, two.example two DMARC records,
nodmarc.example none; nozone.example is served by no zone (REFUSED),
servfail.example's zone has no data (SERVFAIL).
"""
import re
import time

from signer import dkimpy_sign, sign_tags, std_tags

try:
    import authres  # noqa: F401
    HAVE_AUTHRES = True
except ImportError:
    HAVE_AUTHRES = False

V, A = "example.org", "evil.example"
PASS = {"pass"}
FAIL = {"fail"}
BAD = {"neutral", "permerror"}           # unusable signature (syntax)
NOTPASS = {"fail", "neutral", "permerror", "policy"}
PARTIAL = {"policy", "fail", "neutral", "permerror"}  # l= leaves bytes
NOAUTH = {"permerror", "none"}           # no usable author domain
BODY = b"Please wire the money today.\r\nThanks,\r\nAlice\r\n"


def message(froms=("Alice <alice@example.org>",), extra=(), body=BODY,
            top=(), subject="quarterly report"):
    """A plain message: `top` fields first, then From fields (a value
    may be (name, value) to change the name), To, Subject, Date,
    Message-ID, `extra`, blank line, body. Values may be bytes."""
    def field(n, v):
        n = n.encode() if isinstance(n, str) else n
        v = v.encode() if isinstance(v, str) else v
        sep = b"" if v[:1] in (b" ", b"\t", b"\r") else b" "
        return n + b":" + sep + v + b"\r\n"
    out = b"".join(field(*f) for f in top)
    for f in froms:
        out += field(*f) if isinstance(f, tuple) else field("From", f)
    out += field("To", "Bob <bob@mx.test>")
    out += field("Subject", subject)
    out += field("Date", "Mon, 1 Jan 2024 00:00:00 +0000")
    out += field("Message-ID", "<corpus@mx.test>")
    out += b"".join(field(*f) for f in extra)
    return out + b"\r\n" + body


class Corpus:
    def __init__(self, keys):
        self.k = keys
        self.cases = []
        self.ids = set()

    def add(self, cls, name, msg, out, dkim=None, why=""):
        cid = "%s/%s" % (cls, name)
        assert cid not in self.ids, cid
        self.ids.add(cid)
        self.cases.append({"id": cid, "cls": cls, "msg": msg,
                           "out": set(out), "dkim": dkim, "why": why})

    # signers -----------------------------------------------------------
    def vsign(self, raw, **kw):
        return dkimpy_sign(raw, V, "s1", self.k.victim.pem, **kw)

    def esign(self, raw, **kw):
        return dkimpy_sign(raw, A, "s1", self.k.evil.pem, **kw)

    def tsign(self, raw, d=A, s="s1", pem=None, **kw):
        pem = pem or (self.k.victim.pem if d.endswith(V) or
                      d.endswith("strict.example") else self.k.evil.pem)
        extra = kw.pop("extra", ())
        h = kw.pop("h", "from:to:subject:date")
        return sign_tags(raw, std_tags(d, s, h, extra,
                                       kw.get("canon")), pem, **kw)


def baseline(c):
    cls = "baseline"
    for canon in ("relaxed/relaxed", "relaxed/simple", "simple/relaxed",
                  "simple/simple"):
        c.add(cls, "victim-dkimpy-" + canon.replace("/", "-"),
              c.vsign(message(), canon=canon), PASS, [PASS],
              "RFC 6376 §3.4: every canonicalization")
    c.add(cls, "victim-ed25519", dkimpy_sign(
        message(), V, "e1", c.k.ed.seed, alg=b"ed25519-sha256"), PASS,
        [PASS], "RFC 8463")
    c.add(cls, "victim-minisigner", c.tsign(message(), d=V), PASS, [PASS],
          "the corpus's own signer agrees with dkimpy")
    c.add(cls, "attacker-own-domain", c.esign(message(
        ["M <m@evil.example>"])), PASS, [PASS], "aligned d=")
    c.add(cls, "victim-unsigned", message(), {"reject"}, [],
          "RFC 7489 §6.6.2: no aligned identifier, p=reject")
    c.add(cls, "victim-from-attacker-sig", c.esign(message()), {"reject"},
          [PASS], "RFC 7489 §3.1: d=evil.example is not aligned")
    c.add(cls, "victim-body-changed", c.vsign(message()).replace(
        b"today", b"TODAY"), {"reject"}, [FAIL], "RFC 6376 §6.1.3")
    c.add(cls, "victim-and-attacker-sigs", c.esign(c.vsign(message())),
          PASS, [PASS, PASS], "one aligned pass is enough")
    c.add(cls, "victim-key-mismatch", c.tsign(message(), d=V,
          pem=c.k.evil.pem), {"reject"}, [FAIL], "RFC 6376 §6.1.3")
    c.add(cls, "attacker-unsigned", message(["m@evil.example"]), {"fail"},
          [], "p=none: reported, not refused")


# (name, From value, author domains per RFC 5322, well-formed)
FROM_FORMS = [
    ("plain", "alice@example.org", [V], True),
    ("angle", "<alice@example.org>", [V], True),
    ("name-angle", "Alice <alice@example.org>", [V], True),
    ("quoted-name", '"Alice Smith" <alice@example.org>', [V], True),
    ("quoted-name-evil-at", '"m@evil.example" <alice@example.org>', [V],
     True),
    ("quoted-name-evil-angle", '"Boss <m@evil.example>" '
     '<alice@example.org>', [V], True),
    ("comment-after", "alice@example.org (Alice)", [V], True),
    ("comment-before-evil", "(m@evil.example) alice@example.org", [V],
     True),
    ("comment-in-domain", "alice@(x)example.org", [V], True),
    ("comment-nested", "Alice (a (b) c) <alice@example.org>", [V], True),
    ("comment-evil-angle", "Alice (<m@evil.example>) <alice@example.org>",
     [V], True),
    ("upper-domain", "alice@EXAMPLE.ORG", [V], True),
    ("encoded-name", "=?utf-8?B?QWxpY2U=?= <alice@example.org>", [V],
     True),
    ("encoded-name-evil", "=?utf-8?Q?m=40evil.example?= "
     "<alice@example.org>", [V], True),
    ("folded", "Alice\r\n <alice@example.org>", [V], True),
    ("folded-in-angle", "Alice <alice@\r\n example.org>", [V], True),
    ("tab-leading", "\talice@example.org", [V], True),
    ("group-one", "Team: alice@example.org;", [V], True),
    ("quoted-local", '"alice smith"@example.org', [V], True),
    ("quoted-local-evil-at", '"m@evil.example"@example.org', [V], True),
    ("obs-route", "<@evil.example:alice@example.org>", [V], True),
    ("obs-domain-space", "alice@example .org", [V], True),
    ("obs-route-multi", "<@evil.example,@x.example:alice@example.org>",
     [V], True),
    ("comment-hides-evil", "<alice@example.org>(, m@evil.example)", [V],
     True),
    ("comment-hides-victim", "<m@evil.example>(, alice@example.org)", [A],
     True),
    ("encoded-victim-name", "=?utf-8?B?YWxpY2VAZXhhbXBsZS5vcmc=?= "
     "<m@evil.example>", [A], True),
    ("quoted-pair-comma", "alice@example.org\\,<m@evil.example>", [V, A],
     False),
    ("trailing-dot", "alice@example.org.", [V], False),
    ("missing-gt", "Alice <alice@example.org", [V], False),
    ("quoted-whole", '"alice@example.org"', [V], False),
    ("8bit-after-domain", b"alice@example.org\xc2\xa0", [V], False),
    ("two-at", "alice@example.org@evil.example", [V, A], False),
    ("name-is-address", "alice@example.org <m@evil.example>", [V, A],
     False),
    ("two-angles", "<m@evil.example> <alice@example.org>", [V, A], False),
    ("two-mailboxes", "alice@example.org, m@evil.example", [V, A], True),
    ("two-mailboxes-rev", "m@evil.example, alice@example.org", [V, A],
     True),
    ("group-two", "T: m@evil.example, alice@example.org;", [V, A], True),
    ("comment-victim-only", "m@evil.example (alice@example.org)", [A],
     True),
    ("quoted-name-victim", '"alice@example.org" <m@evil.example>', [A],
     True),
    ("lookalike-subdomain", "alice@example.org.evil.example", [A], True),
    ("encoded-address", "=?utf-8?B?YWxpY2VAZXhhbXBsZS5vcmc=?=", [], False),
    ("domain-literal", "alice@[127.0.0.1]", [], True),
    ("empty", "", [], False),
    ("group-empty", "undisclosed-recipients:;", [], True),
    ("no-at", "alice", [], False),
    ("8bit-domain", b"alice@ex\xc3\xa4mple.org", [], False),
    ("latin1-domain", b"alice@ex\xe4mple.org", [], False),
]


def from_outcomes(authors, ok, signer):
    """What RFC 7489 asks of one From form signed by `signer`."""
    if not authors:
        return NOAUTH, "RFC 7489 §6.6.1: no author domain is an error"
    if V in authors and A in authors:
        if signer == V:
            return ({"fail", "permerror", "reject"},
                    "RFC 7489 §6.6.1: several author domains, strictest")
        return {"reject"}, "RFC 7489 §6.6.1: strictest policy (reject)"
    if authors == [A]:
        return ((PASS if signer == A else {"fail"}),
                "RFC 5322 §3.4: comments and names are not the author")
    if signer == V:
        return ((PASS if ok else {"pass", "permerror", "reject"}),
                "the author domain is example.org")
    return {"reject"}, ("RFC 7489 §6.6.2: example.org%s, no aligned pass"
                        % ("" if ok else " (malformed, still named)"))


def from_syntax(c):
    cls = "from-syntax"
    for name, value, authors, ok in FROM_FORMS:
        raw = message([value])
        for mode, signer in (("unsigned", None), ("attacker-signed", A),
                             ("victim-signed", V)):
            out, why = from_outcomes(authors, ok, signer)
            msg = raw if signer is None else c.tsign(raw, d=signer)
            c.add(cls, "%s-%s" % (name, mode), msg, out,
                  [] if signer is None else [PASS], why)


def from_names(c):
    """Header-name case and whitespace: 'FROM:', 'From :' are From
    fields (RFC 5322 §1.2.2 names are case-insensitive, §4.5.3 obs
    WSP before the colon)."""
    cls = "from-name"
    for label, n in (("upper", "FROM"), ("lower", "from"),
                     ("mixed", "fRoM"), ("space-colon", "From "),
                     ("tab-colon", "From\t")):
        victim = (n, "alice@example.org")
        c.add(cls, label + "-alone-unsigned", message([victim]), {"reject"},
              [], "the only From field names example.org")
        for order, froms in (("victim-first", [victim, "m@evil.example"]),
                             ("victim-last", ["m@evil.example", victim])):
            c.add(cls, "%s-%s-attacker-signed" % (label, order),
                  c.tsign(message(froms)), {"reject"}, [PASS],
                  "RFC 7489 §6.6.1: two From fields, one p=reject")


def multi_from(c):
    cls = "multi-from"
    vf, ef = "alice@example.org", "m@evil.example"
    for order, froms in (("victim-first", [vf, ef]),
                         ("victim-last", [ef, vf])):
        raw = message(froms)
        c.add(cls, order + "-unsigned", raw, {"reject"}, [],
              "RFC 7489 §6.6.1")
        c.add(cls, order + "-attacker-signed", c.esign(raw), {"reject"},
              [PASS], "RFC 7489 §6.6.1 (issue 10 finding 1)")
        c.add(cls, order + "-attacker-oversigned", c.esign(
            raw, h=("from", "from", "from", "to", "subject")), {"reject"},
            [PASS], "RFC 7489 §6.6.1")
        c.add(cls, order + "-victim-signed", c.vsign(
            raw, h=("from", "from", "to", "subject")),
            {"fail", "permerror", "reject"}, [PASS],
            "RFC 7489 §6.6.1: evil.example is an author too, unaligned")
    for label, froms in (("three-a-a-v", [ef, ef, vf]),
                         ("three-a-v-a", [ef, vf, ef])):
        c.add(cls, label, c.esign(message(froms)), {"reject"}, [PASS],
              "RFC 7489 §6.6.1")
    c.add(cls, "victim-twice-victim-signed", c.vsign(message(
        [vf, "bob@example.org"]), h=("from", "from", "to")),
        {"pass", "permerror", "reject"}, [PASS],
        "RFC 7489 §6.6.1: one author domain, aligned")
    c.add(cls, "attacker-twice-attacker-signed", c.esign(message(
        [ef, "x@evil.example"]), h=("from", "from", "to")),
        {"pass", "permerror", "reject"}, [PASS], "one author domain")
    c.add(cls, "sender-is-not-author", c.esign(message(
        [vf], extra=[("Sender", ef)])), {"reject"}, [PASS],
        "RFC 7489 §3.1: the author is From, not Sender")
    c.add(cls, "resent-from-is-not-author", c.esign(message(
        [vf], extra=[("Resent-From", ef)])), {"reject"}, [PASS],
        "RFC 7489 §3.1")
    c.add(cls, "empty-then-victim", message(["", vf]), {"reject"}, [],
          "the From field that names a domain counts")
    c.add(cls, "nul-after-victim", message([b"alice@example.org\x00"
                                            b"x@evil.example"]),
          {"reject", "permerror"}, [], "NUL is not allowed in a header "
          "(RFC 5322 §2.2); the text names example.org")
    c.add(cls, "nul-after-attacker", c.tsign(message(
        [b"m@evil.example\x00alice@example.org"])),
          {"reject", "permerror", "pass", "fail"}, None, "the MTA cuts "
          "the value at the NUL: whatever follows, never a crash")


def canonicalization(c):
    """RFC 6376 §3.4: what each canonicalization tolerates (From is the
    attacker's own p=none domain so the dkim= result shows)."""
    cls = "canon"
    ef = ["M <m@evil.example>"]
    tweaks = [
        ("name-case", lambda m: m.replace(b"Subject:", b"SUBJECT:"), True),
        ("space-before-colon", lambda m: m.replace(b"Subject:",
                                                   b"Subject :"), True),
        ("inner-spaces", lambda m: m.replace(b"quarterly report",
                                             b"quarterly   report"), True),
        ("refolded", lambda m: m.replace(b"quarterly report",
                                         b"quarterly\r\n\treport"), True),
        ("trailing-wsp", lambda m: m.replace(b"report\r\n",
                                             b"report \t\r\n"), True),
        ("body-inner-wsp", lambda m: m.replace(b"wire the", b"wire \t the"),
         True),
        ("body-trailing-wsp", lambda m: m.replace(b"today.\r\n",
                                                  b"today.  \r\n"), True),
        ("body-value-changed", lambda m: m.replace(b"today", b"now!!"),
         False),
        ("subject-case", lambda m: m.replace(b"quarterly", b"Quarterly"),
         False),
        ("signed-header-deleted", lambda m: m.replace(
            b"Subject: quarterly report\r\n", b""), False),
    ]
    for canon in ("relaxed/relaxed", "simple/simple", "relaxed/simple",
                  "simple/relaxed"):
        hc, bc = canon.split("/")
        signed = c.esign(message(ef), canon=canon)
        for name, f, tolerant in tweaks:
            body = name.startswith("body")
            ok = tolerant and (bc if body else hc) == "relaxed"
            c.add(cls, "%s-%s" % (canon.replace("/", "-"), name), f(signed),
                  PASS if ok else {"fail"}, [PASS if ok else FAIL],
                  "RFC 6376 §3.4.%d" % (4 if ok else 1))
        for name, f in (
                ("trailing-blank-lines", lambda m: m + b"\r\n\r\n\r\n"),
                ("no-final-crlf", lambda m: m[:-2]),
                ("unsigned-header-added", lambda m: b"X-Seen: yes\r\n" + m),
                ("distinct-fields-reordered", lambda m: m.replace(
                    b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n", b"")
                    .replace(b"To:", b"Date: Mon, 1 Jan 2024 00:00:00 "
                             b"+0000\r\nTo:"))):
            c.add(cls, "%s-%s" % (canon.replace("/", "-"), name), f(signed),
                  PASS, [PASS], "RFC 6376 §3.4.3/§5.4.2")
    c.add(cls, "dkim-signature-name-lower", c.esign(message(ef)).replace(
        b"DKIM-Signature:", b"dkim-signature:", 1), PASS, [PASS],
        "RFC 5322: field names are case-insensitive")


def tags(c):
    """DKIM-Signature tag lists (RFC 6376 §3.2, §3.5), From and d= the
    attacker's own domain unless said."""
    cls = "dkim-tags"
    raw = message(["M <m@evil.example>"])
    raw_v = message()
    now = int(time.time())
    good = [
        ("unknown-tag", [("zz+", "whatever")]),
        ("trailing-semicolon", [("b", "{b};")]),
        ("v-not-first", [("-v", ""), ("v+", "1")]),
        ("fws-around-equals", [("-d", ""), ("d \r\n\t", " evil.example")]),
        ("h-mixed-case", [("h", "FROM:To:SuBjEcT:date")]),
        ("h-with-fws", [("h", "from : to :\r\n\tsubject")]),
        ("h-oversigned-absent", [("h", "from:to:subject:cc:reply-to")]),
        ("q-dns-txt", [("q+", "dns/txt")]),
        ("c-header-only", [("c", "relaxed")]),
        ("x-future", [("x+", str(now + 86400 * 365))]),
        ("i-equals-d", [("i+", "@evil.example")]),
        ("i-mailbox", [("i+", "m@evil.example")]),
        ("i-subdomain", [("i+", "@sub.evil.example")]),
        ("i-upper-case", [("i+", "@EVIL.EXAMPLE")]),
        ("d-upper-case", [("d", "EVIL.EXAMPLE")]),
        ("z-copied-headers", [("z+", "From:m@evil.example")]),
    ]
    for name, extra in good:
        c.add(cls, name, c.tsign(raw, extra=extra), PASS, [PASS],
              "RFC 6376 §3.5: valid")
    bad = [
        ("dup-d-victim-last", [("d+", V)], "§3.2 duplicate tag"),
        ("dup-s", [("s+", "s1")], "§3.2 duplicate tag"),
        ("dup-h", [("h+", "from")], "§3.2 duplicate tag"),
        ("dup-v", [("v+", "1")], "§3.2 duplicate tag"),
        ("dup-bh", [("bh+", "{bh}")], "§3.2 duplicate tag"),
        ("dup-a", [("a+", "rsa-sha256")], "§3.2 duplicate tag"),
        ("dup-c", [("c+", "relaxed/relaxed")], "§3.2 duplicate tag"),
        ("v-2", [("v", "2")], "§3.5 v= must be 1"),
        ("v-missing", [("-v", "")], "§3.5 v= is required"),
        ("a-unknown", [("a", "rsa-sha512")], "§3.5 unknown a="),
        ("c-unknown", [("c", "bogus/relaxed")], "§3.5 unknown c="),
        ("c-three-parts", [("c", "relaxed/relaxed/simple")], "§3.5 c="),
        ("q-unknown", [("q+", "http/well-known")], "§3.5 unknown q="),
        ("h-no-from", [("h", "to:subject:date")], "§5.4 From must be "
         "signed"),
        ("h-empty", [("h", "")], "§3.5 h= is required"),
        ("d-missing", [("-d", "")], "§3.5 d= is required"),
        ("d-empty", [("d", "")], "§3.5 d="),
        ("d-upper-tag-name", [("-d", ""), ("D+", A)], "§3.2 tag names are "
         "case-sensitive: no d="),
        ("s-missing", [("-s", "")], "§3.5 s= is required"),
        ("empty-tag-name", [("+", "x")], "§3.2 tag-spec"),
        ("i-outside-d", [("i+", "@example.org")], "§3.5 i= must be in d="),
        ("i-suffix-not-subdomain", [("i+", "@notevil.example")], "§3.5"),
        ("i-d-as-prefix", [("i+", "@evil.example.org")], "§3.5"),
        ("i-no-at", [("i+", "evil.example")], "§3.5 i= syntax"),
        ("8bit-in-value", [("zz+", "caf\udcc3\udca9"),
                           ("d", "evil.ex\udcc3\udca9mple")],
         "§3.2 tag values are ASCII"),
    ]
    for name, extra, why in bad:
        c.add(cls, name, c.tsign(raw, extra=extra), {"fail"}, [BAD],
              "RFC 6376 " + why)
    for name, extra in (("x-expired", [("x+", "1700000100")]),
                        ("x-before-t", [("x+", "1600000000")])):
        c.add(cls, name, c.tsign(raw, extra=extra), {"fail"},
              [BAD | FAIL], "RFC 6376 §3.5: expired")
    c.add(cls, "a-rsa-sha1", c.tsign(raw, extra=[("a", "rsa-sha1")],
                                     alg="sha1"), {"fail"}, [NOTPASS],
          "RFC 8301 §3.1: rsa-sha1 must not be valid")
    c.add(cls, "bh-wrong", c.tsign(raw).replace(
        b"bh=", b"bh=AAAA", 1), {"fail"}, [FAIL | BAD], "RFC 6376 §6.1.3")
    c.add(cls, "b-truncated", c.tsign(raw).replace(
        b"; b=", b"; b=AAAA", 1), {"fail"}, [FAIL | BAD], "§6.1.3")
    c.add(cls, "b-empty", sign_tags(raw, std_tags(A, "s1"), c.k.evil.pem)
          .replace(b"; b=", b"; b=;x=", 1), {"fail"}, [BAD | FAIL],
          "§3.5 b= empty")
    c.add(cls, "selector-missing", c.tsign(raw, s="nosuch"), {"fail"},
          [{"permerror"}], "RFC 6376 §6.1.2: no key record")
    c.add(cls, "victim-from-selector-nul-attacker-key", c.tsign(
        raw_v, d=V, pem=c.k.evil.pem, extra=[
            ("-s", ""), ("s+", "s1._domainkey.evil.example.\x00.x")]),
        {"reject"}, None, "Chen et al. 2020: a selector naming the "
        "attacker's key record; the MTA cuts at the NUL, the key found "
        "(if any) is not example.org's")
    for name, extra, why in (
            ("dup-d-victim-last", [("d+", V)], "§3.2 duplicate d="),
            ("i-victim-d-attacker", [("i+", "@example.org")],
             "§3.5 i= outside d="),
            ("d-victim-upper-tag", [("D+", V)], "unknown tag D= is not d=")):
        c.add(cls, "victim-from-" + name, c.tsign(raw_v, extra=extra),
              {"reject"}, None, "RFC 6376 " + why + "; RFC 7489 §3.1")


def keys(c):
    """Key records (RFC 6376 §3.6.1); d=example.org, From
    nodmarc.example so DMARC does not hide the dkim= result."""
    cls = "key-record"
    raw = message(["N <n@nodmarc.example>"])
    cases = [
        ("weak-512", "weak", c.k.weak.pem, (), NOTPASS,
         "RFC 8301 §3.2: RSA keys under 1024 bits"),
        ("revoked", "revoked", None, (), NOTPASS, "§3.6.1 empty p="),
        ("hash-sha1-only", "sha1only", None, (), NOTPASS,
         "§3.6.1 h= of the key excludes sha256"),
        ("type-mismatch", "edtype", None, (), NOTPASS, "§3.6.1 k="),
        ("version-2", "v2", None, (), NOTPASS, "§3.6.1 v=DKIM1"),
        ("t-s-subdomain-i", "strict", None, [("i+", "@mail.example.org")],
         NOTPASS, "§3.6.1 t=s forbids a subdomain i="),
        ("t-s-same-i", "strict", None, [("i+", "@example.org")], PASS,
         "§3.6.1 t=s"),
        ("service-other", "svcother", None, (), NOTPASS, "§3.6.1 s="),
        ("service-email", "svcemail", None, (), PASS, "§3.6.1 s=email"),
        ("unknown-key-tag", "unknowntag", None, (), PASS,
         "§3.6.1 unknown tags are ignored"),
        ("testing", "testing", None, (), {"pass", "neutral"}, "§3.6.1 t=y"),
        ("no-record", "none", None, (), {"permerror"}, "§6.1.2"),
    ]
    for name, sel, pem, extra, res, why in cases:
        c.add(cls, name, c.tsign(raw, d=V, s=sel, pem=pem, extra=extra),
              {"none"}, [res], "RFC 6376 " + why)
    c.add(cls, "dns-refused", c.tsign(raw, d="nozone.example"), {"none"},
          [{"temperror", "permerror"}], "RFC 6376 §6.1.2: no answer")
    c.add(cls, "dns-servfail", c.tsign(raw, d="servfail.example"),
          {"none"}, [{"temperror"}], "RFC 6376 §6.1.2: SERVFAIL is "
          "transient")


def body_length(c):
    """l= (RFC 6376 §3.5, §8.2): a signature that leaves body bytes
    unsigned must not make DMARC pass (issue 10 finding 3)."""
    cls = "l-tag"
    raw = message(["M <m@evil.example>"])
    head, body = raw.split(b"\r\n\r\n", 1)
    n = len(body)
    cases = [
        ("exact", n, n, b"", PASS, PASS),
        ("appended", n, n, b"P.S. new bank account: 1234\r\n", PARTIAL,
         {"fail"}),
        ("zero-body-replaced", 0, 0, None, PARTIAL, {"fail"}),
        ("half-unmodified", n // 2, n // 2, b"", PARTIAL, {"fail"}),
        ("longer-than-body", 10000, None, b"", NOTPASS - {"policy"},
         {"fail"}),
    ]
    for name, l_val, hl, add, res, out in cases:
        msg = c.tsign(raw, extra=[("l+", str(l_val))], hash_len=hl)
        msg = msg + add if add is not None else msg.split(
            b"\r\n\r\n")[0] + b"\r\n\r\nentirely new text\r\n"
        c.add(cls, name, msg, out, [res], "RFC 6376 §3.5/§8.2")
        if name != "exact":
            vmsg = c.tsign(message(), d=V, extra=[("l+", str(l_val))],
                           hash_len=hl)
            vmsg = vmsg + add if add is not None else vmsg.split(
                b"\r\n\r\n")[0] + b"\r\n\r\nentirely new text\r\n"
            c.add(cls, "victim-" + name, vmsg, {"reject"}, None,
                  "RFC 7489: no aligned pass over the whole body")
    for name, val in (("negative", "-1"), ("not-a-number", "abc"),
                      ("empty", ""), ("plus-sign", "+5"),
                      ("overflow", "9" * 40)):
        c.add(cls, name, c.tsign(raw, extra=[("l+", val)]), {"fail"},
              [BAD | {"fail"}], "RFC 6376 §3.5 l= is 1*76DIGIT")
    c.add(cls, "dkimpy-l-exact-simple", c.esign(raw, canon="simple/simple",
                                                length=True), PASS, [PASS],
          "l= equal to the body: nothing unsigned")


def oversign(c):
    """Fields added after signing (RFC 6376 §5.4.2, §8.15)."""
    cls = "oversign"
    raw = message()
    once = c.vsign(raw, h=("from", "to", "subject"))
    over = c.vsign(raw, h=("from", "from", "to", "subject", "subject",
                           "cc"))
    subj = b"Subject: URGENT: new bank details\r\n"
    c.add(cls, "subject-added-top-not-oversigned", subj + once, PASS,
          [PASS], "§5.4.2: the bottom Subject is the signed one; the "
          "signature stays valid (a known DKIM limit)")
    c.add(cls, "subject-added-top-oversigned", subj + over, {"reject"},
          [FAIL], "§5.4.2: oversigned Subject")
    c.add(cls, "subject-added-bottom", once.replace(b"\r\n\r\n",
          b"\r\n" + subj[:-2] + b"\r\n\r\n", 1), {"reject"}, [FAIL],
          "§5.4.2: fields are taken bottom up")
    c.add(cls, "cc-added-oversigned-absent", b"Cc: x@evil.example\r\n" +
          over, {"reject"}, [FAIL], "§5.4: h= naming an absent field")
    c.add(cls, "from-attacker-added-top", b"From: m@evil.example\r\n" +
          once, {"fail", "permerror", "reject"}, [PASS],
          "RFC 7489 §6.6.1: two author domains")
    c.add(cls, "from-victim-added-top", b"From: ceo@example.org\r\n" +
          once, {"pass", "permerror", "reject"}, [PASS],
          "one author domain, still signed")
    c.add(cls, "from-added-top-oversigned", b"From: ceo@example.org\r\n" +
          over, {"reject"}, [FAIL], "§5.4.2: oversigned From")
    c.add(cls, "unsigned-header-added", b"X-Priority: 1\r\n" + once, PASS,
          [PASS], "unsigned fields are free")
    c.add(cls, "content-type-added", b"Content-Type: text/html\r\n" + once,
          PASS, [PASS], "§8.15: not signed, not oversigned")
    c.add(cls, "received-reordered", b"Received: by a\r\nReceived: by b"
          b"\r\n" + once, PASS, [PASS], "unsigned fields")


def ar_ours(value):
    """Reference reading of an A-R authserv-id (RFC 8601 §2.2: a value,
    token or quoted-string, after optional CFWS; a DNS name with or
    without its final dot, in any case): True when it names mx.test."""
    v = value.decode("latin-1") if isinstance(value, bytes) else value
    i, depth = 0, 0
    while i < len(v):                       # CFWS
        ch = v[i]
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch == "\\" and depth:
            i += 1
        elif not depth and ch not in " \t\r\n":
            break
        i += 1
    if v[i:i + 1] == '"':
        ident, i = "", i + 1
        while i < len(v) and v[i] != '"':
            if v[i] == "\\":
                i += 1
            ident += v[i:i + 1]
            i += 1
    else:
        ident = re.match(r'[^\s;()"]*', v[i:]).group(0)
    ident = ident.lower()
    return ident in ("mx.test", "mx.test.")


AR_SPELLINGS = [
    ("plain", "mx.test"), ("upper", "MX.TEST"), ("mixed", "Mx.TeSt"),
    ("trailing-dot", "mx.test."), ("quoted", '"mx.test"'),
    ("quoted-upper-dot", '"MX.TEST."'), ("quoted-pair", '"mx\\.test"'),
    ("leading-spaces", "   mx.test"), ("folded", "\r\n\tmx.test"),
    ("version", "mx.test 1"), ("comment-before", "(forged) mx.test"),
    ("comment-after", "mx.test(forged)"), ("no-result", "mx.test; none"),
    ("quoted-version", '"mx.test" 1'),
]
AR_OTHERS = [("other-suffix", "mx.test.evil"), ("other-prefix",
             "notmx.test"), ("other-short", "mx.tes"),
             ("other-quoted-semicolon", '"mx.test;"')]


def ar_field(spelling, name="Authentication-Results"):
    if spelling.endswith("; none"):
        return (name, spelling)
    return (name, spelling + "; dkim=pass header.d=example.org; "
            "dmarc=pass header.from=example.org")


def forged_ar(c):
    """Authentication-Results forgeries (RFC 8601 §5: remove every
    field that names us; issue 10 finding 4, OpenDKIM CVE-2022-48521).
    From is the attacker's p=none domain: the message is delivered, so
    the deletions show."""
    cls = "forged-ar"
    ef = ["m@evil.example"]
    for label, sp in AR_SPELLINGS + AR_OTHERS:
        c.add(cls, "spelling-" + label, message(ef, top=[ar_field(sp)]),
              {"fail"}, [], "RFC 8601 §5")
    for label, n in (("name-lower", "authentication-results"),
                     ("name-upper", "AUTHENTICATION-RESULTS")):
        c.add(cls, label, message(ef, top=[ar_field("mx.test", n)]),
              {"fail"}, [], "RFC 5322: field names are case-insensitive")
    for count in (1, 2, 63, 64, 65, 100, 300):
        c.add(cls, "count-%d" % count, message(
            ef, top=[ar_field("mx.test")] * count), {"fail"}, [],
            "RFC 8601 §5: all of them, any count")
    mixed = [ar_field(AR_SPELLINGS[i % len(AR_SPELLINGS)][1])
             for i in range(90)]
    c.add(cls, "count-90-mixed-spellings", message(ef, top=mixed),
          {"fail"}, [], "RFC 8601 §5")
    c.add(cls, "count-70-mixed-with-others", message(ef, top=[
        ar_field("mx.test." if i % 2 else "mx.test.evil")
        for i in range(140)]), {"fail"}, [], "RFC 8601 §5")
    c.add(cls, "bottom-of-header", message(ef, extra=[ar_field(
        "MX.TEST")]), {"fail"}, [], "RFC 8601 §5: anywhere")
    c.add(cls, "victim-unsigned-forged-pass", message(top=[ar_field(
        "mx.test")] * 3), {"reject"}, [], "a forged verdict counts for "
        "nothing")
    c.add(cls, "arc-forged-victim", message(top=[
        ("ARC-Seal", "i=1; a=rsa-sha256; cv=none; d=evil.example; s=s1; "
         "t=1700000000; b=AAAA"),
        ("ARC-Message-Signature", "i=1; a=rsa-sha256; c=relaxed/relaxed; "
         "d=evil.example; s=s1; h=from; bh=AAAA; b=AAAA"),
        ("ARC-Authentication-Results", "i=1; mx.test; dkim=pass "
         "header.d=example.org; dmarc=pass header.from=example.org")]),
        {"reject"}, [], "RFC 8617 §7.2: ARC is only an input to local "
        "policy; a forged set must not override DMARC")
    if HAVE_AUTHRES:  # dkimpy's ARC needs python3-authres
        c.add(cls, "arc-valid-attacker-sealed", arc_valid(c), {"reject"},
              [], "RFC 8617 §7.2: a valid chain from an unknown sealer "
              "changes nothing")


def arc_valid(c):
    """A valid ARC set sealed by the attacker (dkimpy arc_sign), its
    ARC-Authentication-Results claiming dmarc=pass for example.org: the
    chain verifies, but it only says evil.example vouches (RFC 8617
    §7.2: ARC is input to local policy); DMARC still refuses."""
    import dkim
    raw = message(top=[("Authentication-Results", "relay.evil.example; "
                        "dkim=pass header.d=example.org; dmarc=pass "
                        "header.from=example.org")])
    arc = dkim.arc_sign(raw, b"s1", A.encode(), c.k.evil.pem,
                        b"relay.evil.example",
                        include_headers=[b"from", b"to", b"subject",
                                         b"date"], timestamp=1700000000)
    return b"".join(arc) + raw


def dmarc(c):
    cls = "dmarc"
    c.add(cls, "subdomain-unsigned", message(["a@sub.example.org"]),
          {"reject"}, [], "RFC 7489 §6.6.3: organizational policy")
    c.add(cls, "deep-subdomain-unsigned", message(["a@x.y.example.org"]),
          {"reject"}, [], "RFC 7489 §6.6.3")
    c.add(cls, "subdomain-org-signed", c.vsign(message(
        ["a@sub.example.org"])), PASS, [PASS], "§3.1.1 relaxed")
    c.add(cls, "org-from-subdomain-signed", c.tsign(message(), d="mail."
          "example.org"), PASS, [PASS], "§3.1.1 relaxed")
    c.add(cls, "attacker-subdomain-sig", c.tsign(message(),
          d="sub.evil.example"), {"reject"}, [PASS], "§3.1.1")
    c.add(cls, "strict-subdomain-sig", c.tsign(message(
        ["a@strict.example"]), d="mail.strict.example"), {"reject"},
        [PASS], "§3.1.1 adkim=s")
    c.add(cls, "strict-exact-sig", c.tsign(message(["a@strict.example"]),
          d="strict.example"), PASS, [PASS], "adkim=s, exact")
    c.add(cls, "quarantine-unsigned", message(["a@quar.example"]),
          {"fail"}, [], "p=quarantine is not refused")
    c.add(cls, "pct0-unsigned", message(["a@pct0.example"]), {"fail"}, [],
          "§6.6.4 pct=0")
    c.add(cls, "no-record", message(["a@nodmarc.example"]), {"none"}, [],
          "§6.6.3 no record")
    c.add(cls, "two-records", message(["a@two.example"]), {"none"}, [],
          "§6.6.3: several records are none")
    c.add(cls, "dns-refused", message(["a@nozone.example"]),
          {"temperror"}, [], "§6.6.3 / issue 10 finding 8: REFUSED is "
          "transient")
    c.add(cls, "dns-servfail", message(["a@servfail.example"]),
          {"temperror"}, [], "§6.6.3 / issue 10 finding 8: SERVFAIL is "
          "transient, not p=reject's failure nor none")
    c.add(cls, "upper-case-from-domain-signed", c.vsign(message(
        ["a@Example.ORG"])), PASS, [PASS], "domains are case-insensitive")


def valid_from(cid):
    """Whether the case has exactly one From field holding exactly one
    valid mailbox with a domain (RFC 5322 §3.6.2), what
    require_valid_from = yes demands: True, False, or None where either
    reading is defensible (RFC 6854 group syntax, obs syntax such as WSP
    before the colon or in the domain, a NUL the MTA cuts)."""
    cls, name = cid.split("/", 1)
    if cls == "from-syntax":
        form = re.sub(r"-(unsigned|attacker-signed|victim-signed)$", "",
                      name)
        _, _, authors, ok = [f for f in FROM_FORMS if f[0] == form][0]
        if form in ("group-one", "obs-domain-space"):
            return None
        return ok and len(authors) == 1 and form != "domain-literal"
    if cls == "from-name":
        if name.endswith("-alone-unsigned"):
            return True if name.split("-")[0] in ("upper", "lower",
                                                  "mixed") else None
        return False
    if cls == "multi-from":
        if name.startswith("nul-"):
            return None
        return name.endswith("-is-not-author")
    return not (cls == "oversign" and name.startswith("from-"))


def build(keys):
    c = Corpus(keys)
    for part in (baseline, from_syntax, from_names, multi_from,
                 canonicalization, tags, keys_part, body_length, oversign,
                 forged_ar, dmarc):
        part(c)
    for case in c.cases:
        case["valid_from"] = valid_from(case["id"])
    return c.cases


keys_part = keys
