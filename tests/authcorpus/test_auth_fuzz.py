#!/usr/bin/python3
"""tests/authcorpus/test_auth_fuzz.py - fuzz property of facteur-dkim's
verifier: a message dkimpy signed and then mutated (byte flips, header
fields inserted, deleted, reordered, case changes, whitespace, body
appended or cut; seeded PRNG, bounded count) is never dkim=pass in
facteur unless the mutation touched only unsigned parts. Checked, for
every mutant facteur passes, by: dkimpy passes it too, and the signed
data (the h= fields and the signature field canonicalized per c=, and
the canonical body hash) is the same as the original's. The converse is
checked as well: a mutant whose signed data is unchanged and which
dkimpy passes must pass in facteur.

The verifier runs in facteur-dkim over the milter protocol, the engine
'facteur dkim verify' also uses (admin/dkim.c calls the same dk_verify).

usage: test_auth_fuzz.py FACTEUR-DKIM FACTEUR BUILDDIR [COUNT [SEED]]
(defaults 300 and 10; FACTEUR_AUTH_FUZZ_SEED overrides the seed).
"""
import hashlib
import os
import random
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authenv  # noqa: E402
import corpus  # noqa: E402
import dkim  # noqa: E402
from dkim.canonicalization import CanonicalizationPolicy  # noqa: E402
from signer import canon_header, dkimpy_sign, select  # noqa: E402

FROM = ["M <m@evil.example>"]
EXTRA = [("Received", "from a.example by b.example; Mon, 1 Jan 2024"),
         ("X-Mailer", "corpus 1.0"), ("Content-Type", "text/plain"),
         ("Reply-To", "r@evil.example")]
BODY = (b"Hello Bob,\r\n\r\n  The numbers are in.\t Total: 42.\r\n\r\n"
        b"--\r\nM\r\n\r\n")


def bases(keys):
    """(name, signed message): dkimpy signatures of the attacker's own
    p=none domain, so facteur's dkim= result always shows."""
    raw = corpus.message(FROM, extra=EXTRA, body=BODY)
    pem, out = keys.evil.pem, []
    h = ("from", "to", "subject", "date", "message-id")
    for canon in ("relaxed/relaxed", "simple/simple", "relaxed/simple",
                  "simple/relaxed"):
        out.append((canon, dkimpy_sign(raw, "evil.example", "s1", pem,
                                       h=h, canon=canon)))
    out.append(("oversigned", dkimpy_sign(
        raw, "evil.example", "s1", pem, h=h + ("from", "subject",
                                               "reply-to", "cc"))))
    out.append(("l=", dkimpy_sign(raw, "evil.example", "s1", pem, h=h,
                                  canon="simple/simple", length=True)))
    return out


def signed_data(msg):
    """What the first signature covers, canonicalized: (h= fields and
    the signature field without b=, body hash); None if unreadable.
    The message is split as the MTA hands it to the milter
    (authenv.split_message: obs-syntax names such as "To :" are fields,
    RFC 5322 §4.5.3, which dkimpy's parser refuses; the first line that
    is no field starts the body, as in Postfix)."""
    try:
        headers, body = authenv.split_message(msg)
        headers = [(n, v.replace(b"\n", b"\r\n")) for n, v in headers]
        sigs = [v for n, v in headers if n.lower() == b"dkim-signature"]
        tags = dkim.util.parse_tag_value(sigs[0])
        hc, _, bc = tags.get(b"c", b"simple").partition(b"/")
        pol = CanonicalizationPolicy.from_c_value(b"simple/" +
                                                  (bc or b"simple"))
        names = [x.strip() for x in tags[b"h"].split(b":")]
        relaxed = hc == b"relaxed"
        hs = b"".join(canon_header(n, v, relaxed)
                      for n, v in select(headers, names))
        cb = pol.canonicalize_body(body)
        if b"l" in tags:
            cb = cb[:int(tags[b"l"])]
        sigfield = re.sub(rb"(;\s*b=)[^;]*", rb"\1", sigs[0])
        return (hs, canon_header(b"DKIM-Signature", sigfield, relaxed),
                hashlib.sha256(cb).digest())
    except Exception:
        return None


def dkimpy_parses(msg):
    try:
        dkim.rfc822_parse(msg)
        return True
    except Exception:
        return False


def dkimpy_pass(msg):
    try:
        return bool(dkim.verify(msg, minkey=1024, timeout=3))
    except Exception:
        return False


def mutate(rng, msg):
    """One random mutation; (kind, mutated message)."""
    head, body = msg.split(b"\r\n\r\n", 1)
    fields = re.split(rb"\r\n(?![ \t])", head)
    kind = rng.choice(["flip", "insert", "delete", "reorder", "case",
                       "wsp", "append", "truncate"])
    if kind == "flip":
        i = rng.randrange(len(msg))
        b = rng.choice(b" \t\r\nAaZz09:;=@.<>\"()\x80\xc3\xff-")
        return kind, msg[:i] + bytes([b]) + msg[i + 1:]
    if kind == "insert":
        name = rng.choice([b"From", b"Subject", b"To", b"Cc", b"X-New",
                           b"Date", b"Reply-To", b"Message-ID"])
        fields.insert(rng.randrange(len(fields) + 1),
                      name + b": inserted@evil.example")
    elif kind == "delete" and len(fields) > 1:
        del fields[rng.randrange(1, len(fields))]  # keep the signature
    elif kind == "reorder":
        i, j = rng.randrange(len(fields)), rng.randrange(len(fields))
        fields[i], fields[j] = fields[j], fields[i]
    elif kind == "case":
        i = rng.randrange(len(fields))
        f = fields[i]
        k = rng.randrange(len(f))
        fields[i] = f[:k] + f[k:k + 6].swapcase() + f[k + 6:]
    elif kind == "wsp":
        where = rng.choice(["head", "body"])
        ws = rng.choice([b" ", b"\t", b"  ", b"\r\n ", b"\r\n\t", b""])
        if where == "head":
            i = rng.randrange(len(fields))
            f = fields[i]
            k = rng.randrange(1, len(f))
            fields[i] = f[:k] + ws + f[k + (1 if not ws else 0):]
        else:
            k = rng.randrange(len(body) + 1)
            body = body[:k] + (ws or b"") + body[k + (0 if ws else 1):]
    elif kind == "append":
        body += rng.choice([b"\r\n", b"extra\r\n", b" ", b"\r\n\r\n",
                            b"P.S. wire it\r\n"])
    elif kind == "truncate":
        body = body[:rng.randrange(len(body) + 1)]
    return kind, b"\r\n".join(fields) + b"\r\n\r\n" + body


def normalise(msg):
    """What an MTA delivers: a bare LF or CR ends a line (Postfix),
    a NUL becomes a space, the message ends with CRLF (SMTP DATA)."""
    msg = re.sub(rb"\r(?!\n)|(?<!\r)\n", b"\r\n",
                 msg.replace(b"\0", b" "))
    return msg if msg.endswith(b"\r\n") else msg + b"\r\n"


def extra_from(msg):
    """True when the message has more From fields than h= signs:
    dkimpy then refuses any signature (it always verifies as if From
    were signed once more; docs/auth-oracles.md, dkimpy-from-count),
    so its verdict says nothing about the mutation."""
    head = msg.split(b"\r\n\r\n", 1)[0]
    froms = len(re.findall(rb"(?im)^from[ \t]*:", head))
    h = re.search(rb"[;\s]h=([^;]*)", head)
    signed = [x.strip().lower() for x in h.group(1).split(b":")] if h \
        else []
    return froms > signed.count(b"from")


def main():
    authenv.in_namespace(sys.argv)
    milter, fac = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    build = os.path.abspath(sys.argv[3])
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 300
    seed = int(os.environ.get("FACTEUR_AUTH_FUZZ_SEED",
                              sys.argv[5] if len(sys.argv) > 5 else 10))
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(dir=build, prefix="auth-fuzz-")
    t0 = time.monotonic()
    keys = authenv.Keys()
    base = bases(keys)
    fails, stats, first = [], {}, None
    with authenv.start_dns(tmp, authenv.zones(keys)) as dns:
        f = authenv.Facteur(milter, fac, tmp, dns.port,
                            extra="dmarc_reject = no\n")
        try:
            for name, msg in base:
                dk = authenv.verdict(f.run(msg))[0]
                if dk != ["pass"]:
                    fails.append("base %s: dkim=%s, want pass" % (name, dk))
            for n in range(count):
                name, orig = base[n % len(base)]
                kind, mut = mutate(rng, orig)
                mut = normalise(mut)
                dk = authenv.verdict(f.run(mut))[0]
                fpass = "pass" in dk[:1]
                ppass = dkimpy_pass(mut)
                same = signed_data(mut) == signed_data(orig) is not None
                s = stats.setdefault(kind, [0, 0, 0])
                s[0] += 1
                s[1] += fpass
                s[2] += same
                what = "#%d %s on %s" % (n, kind, name)
                if fpass and not same or fpass and not ppass and \
                        not extra_from(mut) and dkimpy_parses(mut):
                    fails.append("%s: facteur pass, dkimpy %s, signed data "
                                 "%s" % (what, ppass, "same" if same else
                                         "CHANGED"))
                elif same and ppass and not fpass and not (
                        name == "l=" and dk == ["policy"]):  # by design
                    fails.append("%s: signed data unchanged and dkimpy "
                                 "passes, facteur dkim=%s" % (what, dk))
                if fails and first is None:
                    first = mut
        finally:
            san = f.close()
    print("%-10s %6s %8s %10s" % ("mutation", "count", "pass", "unchanged"))
    for k in sorted(stats):
        print("%-10s %6d %8d %10d" % (k, *stats[k]))
    print("seed %d, %d mutants in %.1f s" % (seed, count,
                                            time.monotonic() - t0))
    for x in fails:
        print("FAIL " + x)
    if first is not None:
        print("first failing mutant:\n%r" % first[:2000])
    if san:
        print("sanitizer report:\n" + san)
    if fails or san:
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
