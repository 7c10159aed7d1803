"""tests/authcorpus/signer.py - how the corpus signs.

Valid baselines are signed by dkimpy (dkim.sign), the reference signer.
Hostile signatures (duplicated or odd tags, l= lies, i= outside d=,
headers dkimpy's parser refuses such as "From :") come from sign_tags(),
a small RFC 6376 signer whose tag list is written verbatim: it computes
bh= over the canonical body (cut to `hash_len` bytes when asked) and b=
over the headers h= names, so a verifier that accepts a bad tag list
would really say pass. Messages are bytes with CRLF line ends.
"""
import base64
import hashlib
import re

import dkim
from dkim import crypto
from dkim.canonicalization import CanonicalizationPolicy


def split(raw):
    """([(name, value)], body): value is everything after the first
    ':' (leading space and CRLF folds kept, final CRLF dropped)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    out = []
    for f in re.split(rb"\r\n(?![ \t])", head):
        if b":" in f:
            n, v = f.split(b":", 1)
            out.append((n, v))
    return out, body


def canon_header(name, value, relaxed):
    if not relaxed:
        return name + b":" + value + b"\r\n"
    v = re.sub(rb"\r\n(?=[ \t])", b"", value)
    v = re.sub(rb"[ \t]+", b" ", v).strip(b" ")
    return name.rstrip(b" \t").lower() + b":" + v + b"\r\n"


def select(headers, names):
    """RFC 6376 §5.4.2: each name in h= takes the next instance from
    the bottom; a name with no instance left contributes nothing."""
    used, out = {}, []
    for n in names:
        n = n.strip().lower()
        n = n.encode() if isinstance(n, str) else n
        i = used.get(n, len(headers))
        while i > 0:
            i -= 1
            if headers[i][0].rstrip(b" \t").lower() == n:
                out.append(headers[i])
                break
        used[n] = i
    return out


def sign_tags(raw, tags, pem, signed=None, canon="relaxed/relaxed",
              hash_len=None, alg="sha256", name=b"DKIM-Signature"):
    """raw with a DKIM-Signature field on top whose tag list is `tags`
    ([(tag, value)] written in that order, '{bh}' and '{b}' filled in).
    `signed`: header names actually hashed (default: the h= value)."""
    hc, _, bc = canon.partition("/")
    bc = bc if bc in ("simple", "relaxed") else "simple"
    headers, body = split(raw)
    cb = CanonicalizationPolicy.from_c_value(
        ("simple/" + bc).encode()).canonicalize_body(body)
    if hash_len is not None:
        cb = cb[:hash_len]
    hf = hashlib.sha1 if alg == "sha1" else hashlib.sha256
    bh = base64.b64encode(hf(cb).digest()).decode()
    if signed is None:
        signed = [v for t, v in tags if t == "h"][0].split(":")
    text = "; ".join("%s=%s" % (t, v.replace("{bh}", bh)) for t, v in tags)
    value = (" " + text).encode("utf-8", "surrogateescape")
    h = hf()
    relaxed = hc != "simple"
    for n, v in select(headers, signed):
        h.update(canon_header(n, v, relaxed))
    h.update(canon_header(name, value.replace(b"{b}", b""),
                          relaxed)[:-2])
    sig = crypto.RSASSA_PKCS1_v1_5_sign(h, crypto.parse_pem_private_key(
        pem))
    value = value.replace(b"{b}", base64.b64encode(sig))
    return name + b":" + value + b"\r\n" + raw


def std_tags(d, s, h="from:to:subject:date", extra=(), canon=None):
    """The usual tag list, tags of `extra` appended (or replacing)."""
    tags = [("v", "1"), ("a", "rsa-sha256"),
            ("c", canon or "relaxed/relaxed"), ("d", d), ("s", s),
            ("t", "1700000000"), ("h", h), ("bh", "{bh}"), ("b", "{b}")]
    for t, v in extra:
        if t.startswith("-"):
            tags = [x for x in tags if x[0] != t[1:]]
        elif any(x[0] == t for x in tags) and not t.endswith("+"):
            tags = [(x[0], v if x[0] == t else x[1]) for x in tags]
        else:
            tags.insert(-1, (t.rstrip("+"), v))
    return tags


def dkimpy_sign(raw, d, s, pem, h=("from", "to", "subject", "date"),
                canon="relaxed/relaxed", length=False, identity=None,
                alg=b"rsa-sha256"):
    """dkimpy's signature field + raw."""
    c = tuple(x.encode() for x in canon.split("/"))
    sig = dkim.sign(raw, s.encode(), d.encode(), pem, canonicalize=c,
                    include_headers=[x.encode() for x in h], length=length,
                    identity=identity.encode() if identity else None,
                    signature_algorithm=alg)
    return sig + raw
