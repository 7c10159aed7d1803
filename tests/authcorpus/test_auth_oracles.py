#!/usr/bin/python3
"""tests/authcorpus/test_auth_oracles.py - the corpus through facteur-dkim
and through the reference implementations: dkimpy (dkim.verify on every
signature, dkim.arc_verify where ARC fields are present), OpenDKIM and,
after it, OpenDMARC (Debian's milters on private sockets and configs,
the private Knot as resolver).

For every case it compares facteur's DKIM verdict (pass or not, per
signature) with dkimpy's and OpenDKIM's, and facteur's DMARC outcome
(refused, or the dmarc= result) with OpenDMARC's. Each disagreement
must be listed in oracles-known.txt (with the reason docs/auth-oracles.md
explains); a disagreement not listed fails the test, so does one on a
case where facteur itself misses the RFC verdict (a facteur bug, also
failing auth-corpus). Listed disagreements that no longer occur are
printed as stale.

usage: test_auth_oracles.py FACTEUR-DKIM FACTEUR BUILDDIR [--write-known]
Skips (77) when opendkim or opendmarc is not installed.
"""
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import authenv  # noqa: E402
import corpus  # noqa: E402
import oracles  # noqa: E402
from test_auth_corpus import problems  # noqa: E402

KNOWN = os.path.join(HERE, "oracles-known.txt")


def read_known():
    """{(oracle, case, aspect): (facteur, oracle value, reason)}."""
    out = {}
    with open(KNOWN) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            o, cid, aspect, fv, ov, reason = line.split(None, 5)
            out[(o, cid, aspect)] = (fv, ov, reason)
    return out


def fmt(v):
    return v if isinstance(v, str) else ",".join(v) or "-"


def verdicts(f_rej, f_rep, odk, odm, case):
    msg = case["msg"]
    r_rej, r_rep = f_rej.run(msg), f_rep.run(msg)
    dk, _, _, _ = authenv.verdict(r_rep)
    fac = {"dkim": fmt(oracles.summary(dk)), "dmarc": authenv.verdict(
        r_rej)[1] if r_rej.action != "reject" else "reject"}
    odk_dk, odm_dm, raw = oracles.debian(odk, odm, msg)
    arc = oracles.dkimpy_arc(msg)
    got = [("dkimpy", "dkim", fmt(oracles.dkimpy(msg))),
           ("opendkim", "dkim", fmt(odk_dk)),
           ("opendmarc", "dmarc", odm_dm)]
    if arc is not None:
        got.append(("dkimpy-arc", "arc", arc))
        fac["arc"] = "none"  # facteur does not evaluate ARC
    return fac, got, problems(case, r_rej), raw


def agrees(aspect, fv, ov):
    if aspect == "arc":
        return ov != "pass"   # facteur ignores ARC: only a valid chain
    return fv == ov           # would be a difference


def main():
    authenv.in_namespace(sys.argv)
    missing = oracles.available()
    if missing:
        print("SKIP: missing peer: %s (oracles not installed: %s; "
              "scripts/install-deps)" % (missing[0], " ".join(missing)))
        sys.exit(77)
    milter, fac = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    build = os.path.abspath(sys.argv[3])
    write = "--write-known" in sys.argv
    tmp = tempfile.mkdtemp(dir=build, prefix="auth-oracles-")
    t0 = time.monotonic()
    keys = authenv.Keys()
    cases = corpus.build(keys)
    known = read_known()
    seen, new, bugs, by, listed = set(), [], [], {}, []
    with authenv.start_dns(tmp, authenv.zones(keys)) as dns:
        os.makedirs(os.path.join(tmp, "rej"))
        os.makedirs(os.path.join(tmp, "rep"))
        f_rej = authenv.Facteur(milter, fac, os.path.join(tmp, "rej"),
                                dns.port)
        f_rep = authenv.Facteur(milter, fac, os.path.join(tmp, "rep"),
                                dns.port, extra="dmarc_reject = no\n")
        odk = oracles.start_opendkim(tmp)
        odm = oracles.start_opendmarc(tmp)
        try:
            for case in cases:
                fv, got, prob, raw = verdicts(f_rej, f_rep, odk, odm, case)
                for o, aspect, ov in got:
                    key = (o, case["id"], aspect)
                    t = by.setdefault((o, case["cls"]), [0, 0, 0])
                    t[0] += 1
                    if agrees(aspect, fv[aspect], ov):
                        continue
                    seen.add(key)
                    k = known.get(key)
                    if k and k[:2] == (fv[aspect], ov) and not prob:
                        t[1] += 1
                        listed.append((key, fv[aspect], ov, k[2]))
                        continue
                    t[2] += 1
                    (bugs if prob else new).append(
                        (key, fv[aspect], ov, prob, raw))
        finally:
            sans = [f_rej.close(), f_rep.close()]
            odk.close()
            odm.close()
    print("\n%-11s %-14s %6s %6s %6s" % ("oracle", "class", "cases",
                                         "known", "new"))
    for (o, cls), (n, k, w) in sorted(by.items()):
        print("%-11s %-14s %6d %6d %6d" % (o, cls, n, k, w))
    for title, rows in (("NEW DISAGREEMENT", new),
                        ("FACTEUR BUG (auth-corpus fails too)", bugs)):
        for (o, cid, aspect), fv, ov, prob, raw in rows:
            print("%s %s %s %s: facteur=%s %s=%s%s" % (
                title, o, cid, aspect, fv, o, ov,
                " (" + "; ".join(prob) + ")" if prob else ""))
            if write:
                print("  %s" % " | ".join(raw)[:300])
    for key in sorted(set(known) - seen):
        print("stale (no longer disagrees): %s %s %s" % key)
    if write:  # the known file as it would be now, new ones to explain
        print("\n# candidates for %s" % KNOWN)
        rows = listed + [(k, fv, ov, "REASON") for k, fv, ov, _, _ in new]
        for (o, cid, aspect), fv, ov, reason in rows:
            print("%s %s %s %s %s %s" % (o, cid, aspect, fv, ov, reason))
    print("%d cases, %d oracle verdicts compared in %.1f s" % (
        len(cases), sum(v[0] for v in by.values()), time.monotonic() - t0))
    for s in sans:
        if s:
            print("sanitizer report:\n" + s)
    if new or bugs or any(sans):
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
