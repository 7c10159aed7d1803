#!/usr/bin/python3
"""tests/spam_accuracy/cv.py - cross-validation inside the training split.

The tool for tuning rules/ and the Bayes details without ever touching the
held-out 30% that accuracy.py judges: only the training split (files
sorted by name, index % 10 < 7) is used; its messages are dealt into
FOLDS folds by position, and for each fold Bayes is trained on the other
folds and the fold is scored with `facteur spam check --json`. Prints
recall and false positives of Bayes alone (probability >= --bayes-min),
of the rules alone (score without BAYES_*) and of the full engine, and
with --dump writes one JSON object per scored message (class, score,
bayes, rules) for offline analysis.

usage: cv.py --facteur BIN [--corpus DIR] [--rules DIR] [--folds N]
             [--dump FILE] [--bayes-min P]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

BATCH = 200


def train_split(corpus):
    out = {}
    for cls in ("spam", "ham"):
        d = os.path.join(corpus, cls)
        names = sorted(n for n in os.listdir(d) if not n.startswith("."))
        out[cls] = [os.path.join(d, n) for i, n in enumerate(names)
                    if i % 10 < 7]
    return out


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode not in (0, 1):
        sys.exit(f"cv: {' '.join(cmd[:6])}...: exit {p.returncode}\n"
                 f"{p.stderr[-2000:]}")
    return p.stdout


def one_fold(args, sets, k, top):
    work = os.path.join(top, f"fold{k}")
    os.mkdir(work)
    conf = os.path.join(work, "facteur.conf")
    with open(conf, "w") as f:
        f.write(f"[spam]\nrules_path = {args.rules}\n"
                f"bayes_path = {work}/bayes.sqlite\n"
                f"cache_dir = {top}/cache\n")
    base = [args.facteur, "-c", conf, "--db", os.path.join(work, "db"),
            "spam"]
    test = []
    for cls in ("spam", "ham"):
        d = os.path.join(work, "train-" + cls)
        os.mkdir(d)
        for i, p in enumerate(sets[cls]):
            if i % args.folds == k:
                test.append((cls, p))
            else:
                os.symlink(p, os.path.join(d, os.path.basename(p)))
        run(base + ["learn", "--" + cls, d])
    res = []
    for i in range(0, len(test), BATCH):
        chunk = test[i:i + BATCH]
        cls_of = {p: c for c, p in chunk}
        for line in run(base + ["check", "--json"] +
                        [p for _, p in chunk]).splitlines():
            if line.strip():
                o = json.loads(line)
                o["class"] = cls_of[o["file"]]
                o["fold"] = k
                res.append(o)
    return res


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--facteur", required=True)
    ap.add_argument("--corpus", default=os.path.normpath(os.path.join(
        here, "..", "..", "..", "shared", "corpus", "spamassassin")))
    ap.add_argument("--rules", default=os.path.normpath(os.path.join(
        here, "..", "..", "rules")))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--dump")
    ap.add_argument("--bayes-min", type=float, default=0.99)
    args = ap.parse_args()

    sets = train_split(args.corpus)
    top = tempfile.mkdtemp(prefix="spam-cv.")
    try:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
            res = [o for r in ex.map(lambda k: one_fold(args, sets, k, top),
                                     range(args.folds)) for o in r]
    finally:
        shutil.rmtree(top, ignore_errors=True)
    if args.dump:
        with open(args.dump, "w") as f:
            for o in res:
                f.write(json.dumps(o) + "\n")

    def rate(pred):
        s = [o for o in res if o["class"] == "spam"]
        h = [o for o in res if o["class"] == "ham"]
        hit = sum(1 for o in s if pred(o))
        fp = sum(1 for o in h if pred(o))
        return (f"recall {hit}/{len(s)} = {100.0 * hit / len(s):.2f}%, "
                f"FP {fp}/{len(h)} = {100.0 * fp / len(h):.2f}%")

    def rules_only(o):
        return sum(r["score"] for r in o["rules"]
                   if not r["name"].startswith("BAYES_"))
    print(f"bayes >= {args.bayes_min}: "
          + rate(lambda o: o["bayes"] >= args.bayes_min))
    print("rules alone:  " + rate(lambda o: rules_only(o) >= o["required"]))
    print("full engine:  " + rate(lambda o: o["verdict"] == "spam"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
