#!/usr/bin/python3
"""tests/authcorpus/test_auth_corpus.py - every case of the adversarial
authentication corpus (corpus.py) through facteur-dkim over the milter
protocol, against the private Knot; each verdict must be the one the RFC
requires (the case's `out` and `dkim`), and every Authentication-Results
field naming our authserv-id must be deleted. A second pass with
require_valid_from = yes: every case without exactly one From holding
one valid mailbox is refused, the others keep their verdicts. Prints a
table by attack class and the cases that disagree; fails on any
disagreement or sanitizer report.

usage: test_auth_corpus.py FACTEUR-DKIM FACTEUR BUILDDIR [CASE-PREFIX]
"""
import os
import shutil
import subprocess
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
    ars = authenv.ar_values(res, authenv.AUTHSERV)
    if got != "reject" and len(ars) != 1:
        out.append("%d Authentication-Results of ours, want 1" % len(ars))
    if got == "reject" and (res.reply or ("",))[0] != "550":
        out.append("refused with %r, want 550" % (res.reply,))
    if got != "reject":
        deleted = {i for (i, n, v) in res.changed
                   if n.lower() == "authentication-results" and v == ""}
        ours = [i for i, v in ar_fields(case["msg"]) if corpus.ar_ours(v)]
        left = [i for i in ours if i not in deleted]
        if left:
            out.append("%d of %d forged A-R naming us left (first #%d)"
                       % (len(left), len(ours), left[0]))
    return out


REQUIRE = "require_valid_from = yes\n"


def require_problems(case, res):
    """With require_valid_from: a case without exactly one valid From
    is refused; the others keep their verdicts."""
    if case["valid_from"] is None:
        if res.action == "reject":
            return []
    elif case["valid_from"] is False:
        return [] if res.action == "reject" else [
            "require_valid_from: not refused (%s)" % outcome(res)[1]]
    return problems(case, res)


def supports(milter, tmp, extra):
    """Whether facteur-dkim accepts the [dkim] line `extra`."""
    conf = os.path.join(tmp, "probe.conf")
    with open(conf, "w") as f:
        f.write("[dkim]\n" + extra)
    return subprocess.run([milter, "-c", conf, "--check-config"],
                          capture_output=True).returncode == 0


def run_all(milter, fac, tmp, port, cases, extra):
    """Every case through one facteur-dkim; (rows, failures, sanitizer
    report)."""
    os.makedirs(tmp, exist_ok=True)
    check = require_problems if extra else problems
    rows, bad = [], []
    f = authenv.Facteur(milter, fac, tmp, port, extra=extra)
    try:
        for case in cases:
            try:
                res = f.run(case["msg"])
                p = check(case, res)
            except Exception as e:  # a dead milter is a finding too
                p, res = ["milter error: %s" % e], None
            rows.append((case["cls"], not p))
            if p:
                bad.append((case, p, res))
    finally:
        san = f.close()
    if bad:
        print(f.d.log()[-2000:])
    return rows, bad, san


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
    with authenv.start_dns(tmp, authenv.zones(keys)) as dns:
        rows, bad, san = run_all(milter, fac, tmp, dns.port, cases, "")
        if supports(milter, tmp, REQUIRE):
            rows2, bad2, san2 = run_all(milter, fac, os.path.join(
                tmp, "require"), dns.port, cases, REQUIRE)
            bad += bad2
            san += san2
        else:
            print("note: this facteur-dkim has no require_valid_from; "
                  "that pass is skipped")
            rows2 = None
    table(rows, "facteur-dkim against the RFC verdicts")
    if rows2:
        table(rows2, "the same with require_valid_from = yes")
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
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
