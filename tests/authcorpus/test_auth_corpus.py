#!/usr/bin/python3
"""tests/authcorpus/test_auth_corpus.py - every case of the adversarial
authentication corpus (corpus.py) through facteur-dkim over the milter
protocol, against the private Knot; each verdict must be the one the RFC
requires (the case's `out` and `dkim`), and every Authentication-Results
field naming our authserv-id must be deleted. Prints a table by attack
class and the cases that disagree; fails on any disagreement or
sanitizer report.

usage: test_auth_corpus.py FACTEUR-DKIM FACTEUR BUILDDIR [CASE-PREFIX]
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authenv  # noqa: E402
import corpus  # noqa: E402


def ar_fields(msg):
    """[(1-based index among A-R fields, value)] as a milter numbers
    them (names compared case-insensitively)."""
    headers, _ = authenv.split_message(msg)
    out = []
    for n, v in headers:
        if n.strip().lower() == b"authentication-results":
            out.append((len(out) + 1, v))
    return out


def outcome(res):
    dk, dm, rejected, _ = authenv.verdict(res)
    return dk, ("reject" if rejected else dm)


def problems(case, res):
    """What is wrong with facteur's Result for case ([] = right)."""
    out = []
    dk, got = outcome(res)
    if got not in case["out"]:
        out.append("outcome %s, want %s" % (got, "|".join(
            sorted(case["out"]))))
    if got != "reject" and case["dkim"] is not None:
        want = case["dkim"]
        if not want:
            if dk not in ([], ["none"]):
                out.append("dkim=%s, want none" % ",".join(dk))
        elif len(dk) != len(want) or any(
                r not in w for r, w in zip(dk, want)):
            out.append("dkim=%s, want %s" % (",".join(dk), ",".join(
                "|".join(sorted(w)) for w in want)))
    if got != "reject":
        deleted = {i for (i, n, v) in res.changed
                   if n.lower() == "authentication-results" and v == ""}
        ours = [i for i, v in ar_fields(case["msg"]) if corpus.ar_ours(v)]
        left = [i for i in ours if i not in deleted]
        if left:
            out.append("%d of %d forged A-R naming us left (first #%d)"
                       % (len(left), len(ours), left[0]))
    return out


def table(rows, title):
    """rows: [(cls, ok)] -> a printed table by class."""
    by = {}
    for cls, ok in rows:
        t = by.setdefault(cls, [0, 0])
        t[0] += 1
        t[1] += 0 if ok else 1
    print("\n%s\n%-14s %6s %6s" % (title, "class", "cases", "wrong"))
    for cls in sorted(by):
        print("%-14s %6d %6d" % (cls, by[cls][0], by[cls][1]))
    print("%-14s %6d %6d" % ("total", sum(v[0] for v in by.values()),
                             sum(v[1] for v in by.values())))


def main():
    authenv.in_namespace(sys.argv)
    milter, fac = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    build = os.path.abspath(sys.argv[3])
    prefix = sys.argv[4] if len(sys.argv) > 4 else ""
    tmp = tempfile.mkdtemp(dir=build, prefix="auth-corpus-")
    t0 = time.monotonic()
    keys = authenv.Keys()
    cases = [c for c in corpus.build(keys) if c["id"].startswith(prefix)]
    rows, bad = [], []
    with authenv.start_dns(tmp, authenv.zones(keys)) as dns:
        f = authenv.Facteur(milter, fac, tmp, dns.port)
        try:
            for case in cases:
                try:
                    res = f.run(case["msg"])
                    p = problems(case, res)
                except Exception as e:  # a dead milter is a finding too
                    p, res = ["milter error: %s" % e], None
                rows.append((case["cls"], not p))
                if p:
                    bad.append((case, p, res))
        finally:
            san = f.close()
    table(rows, "facteur-dkim against the RFC verdicts")
    for case, p, res in bad:
        print("FAIL %s: %s  [%s]" % (case["id"], "; ".join(p), case["why"]))
        if res is not None:
            print("     A-R: %s" % " | ".join(
                v.replace("\n", " ") for v in authenv.ar_values(
                    res, authenv.AUTHSERV))[:300])
    print("%d cases in %.1f s" % (len(cases), time.monotonic() - t0))
    if san:
        print("sanitizer report:\n" + san)
    if bad or san:
        print(f.d.log()[-3000:])
        sys.exit(1)


if __name__ == "__main__":
    main()
