#!/usr/bin/python3
"""tests/spam_accuracy/sa_grouped_cv.py - SpamAssassin 4 (Debian's, stock
rules, Bayes, network tests off) on the outer folds of grouped_cv.py.

For each outer fold k: sa-learn (private site config and Bayes dir, as
bench/spam-accuracy.sh sets them up) learns the other folds, a private
spamd on 127.0.0.1 scores fold k with spamc -c. Prints the four figures;
SpamAssassin's "recall at <= 0.3% FP" uses the threshold read off the
pooled test folds themselves (no nested models for SpamAssassin: too slow),
which favours SpamAssassin. Costs about 0.2-0.5 s of CPU per message.

usage: sa_grouped_cv.py [--corpus DIR] [--folds N] [--port P] [--dump F]
"""
import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grouped_cv  # noqa: E402


def site(top, bayes):
    d = os.path.join(top, "site")
    os.mkdir(d)
    for n in os.listdir("/etc/spamassassin"):
        if n.endswith(".pre"):
            shutil.copy(os.path.join("/etc/spamassassin", n), d)
    with open(os.path.join(d, "local.cf"), "w") as f:
        f.write("use_bayes 1\nbayes_auto_learn 0\nbayes_file_mode 0777\n"
                "skip_rbl_checks 1\ndns_available no\nuse_razor2 0\n"
                "use_pyzor 0\n" f"bayes_path {bayes}/bayes\n")
    return d


def spamc(port, path):
    with open(path, "rb") as f:
        p = subprocess.run(["spamc", "-d", "127.0.0.1", "-p", str(port),
                            "-c"], stdin=f, capture_output=True,
                           timeout=300)
    out = p.stdout.decode().strip()
    if out in ("", "0/0"):
        raise RuntimeError(f"spamc: no answer for {path}")
    return float(out.split("/")[0])


def fold(args, items, k, top):
    work = os.path.join(top, f"f{k}")
    bayes = os.path.join(work, "bayes")
    os.makedirs(bayes)
    sitedir = site(work, bayes)
    for lc in ("spam", "ham"):
        d = os.path.join(work, "train-" + lc)
        os.mkdir(d)
        for c, p, j in items:
            if j != k and (c == "spam") == (lc == "spam"):
                os.symlink(p, os.path.join(d, os.path.basename(p) + "." + c))
        subprocess.run(["sa-learn", "--siteconfigpath", sitedir,
                        "--dbpath", bayes, "-L", "--" + lc, d],
                       check=True, capture_output=True)
    subprocess.run(["chmod", "-R", "a+rwX", work], check=True)
    port = args.port + k
    log = open(os.path.join(work, "spamd.log"), "w")
    # spamd runs as nobody, who may not write /tmp (0755 here)
    tmp = os.path.join(work, "tmp")
    os.mkdir(tmp)
    os.chmod(tmp, 0o1777)
    sp = subprocess.Popen(["spamd", "-L", "-x", "--siteconfigpath", sitedir,
                           "-i", "127.0.0.1", "-p", str(port),
                           "-A", "127.0.0.1", "-m", "2", "-u", "nobody",
                           "-s", "stderr"],
                          stderr=log, env=dict(os.environ, TMPDIR=tmp))
    try:
        for _ in range(600):
            if sp.poll() is not None:
                sys.exit(f"sa_grouped_cv: spamd exited, see {log.name}")
            with open(items[0][1], "rb") as probe:
                r = subprocess.run(["spamc", "-d", "127.0.0.1", "-p",
                                    str(port), "-c"], stdin=probe,
                                   capture_output=True)
            if r.stdout.strip() not in (b"", b"0/0"):
                break
            time.sleep(0.5)
        else:
            sys.exit("sa_grouped_cv: spamd did not answer")
        test = [(c, p) for c, p, j in items if j == k]
        with ThreadPoolExecutor(max_workers=args.jobs) as ex:
            scores = list(ex.map(lambda t: spamc(port, t[1]), test))
    finally:
        sp.terminate()
        sp.wait()
    return [(c, p, k, s) for (c, p), s in zip(test, scores)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.normpath(os.path.join(
        here, "..", "..", "..", "shared", "corpus", "spamassassin")))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--port", type=int, default=17840)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--dump")
    args = ap.parse_args()
    items = grouped_cv.make_folds(args.corpus, args.folds)
    top = tempfile.mkdtemp(prefix="sa-gcv.")
    os.chmod(top, 0o755)
    try:
        res = []
        for k in range(args.folds):
            res += fold(args, items, k, top)
            n = {c: [0, 0] for c in grouped_cv.CLASSES}
            for c, _, j, sc in res:
                if j == k:
                    n[c][1] += 1
                    n[c][0] += sc >= 5.0
            print(f"fold {k}: at 5.0 " + ", ".join(
                f"{c} {n[c][0]}/{n[c][1]}" for c in grouped_cv.CLASSES),
                flush=True)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    if args.dump:
        with open(args.dump, "w") as f:
            for c, p, k, s in res:
                f.write(f"{k} {c} {s} {p}\n")
    n = {c: [0, 0] for c in grouped_cv.CLASSES}
    for c, _, _, s in res:
        n[c][1] += 1
        n[c][0] += s >= 5.0
    hams = sorted((s for c, _, _, s in res if c != "spam"), reverse=True)
    allow = int(math.floor(0.003 * len(hams)))
    t = hams[allow] + 1e-6
    at = sum(1 for c, _, _, s in res if c == "spam" and s >= t)

    def pct(a, b):
        return f"{a}/{b} = {100.0 * a / max(b, 1):.2f}%"
    print("SpamAssassin 4 + Bayes (outer folds):")
    print(f"  spam recall {pct(*n['spam'])}")
    print(f"  easy-ham FP {pct(*n['ham'])}")
    print(f"  hard-ham FP {pct(*n['hard-ham'])}")
    print(f"  recall at <= 0.3% FP (threshold {t:.2f} read off the test "
          f"folds) {pct(at, n['spam'][1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
