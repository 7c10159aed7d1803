#!/usr/bin/python3
"""tests/spam_accuracy/fit_weights.py - weights for facteur's own rules
(FCT_*) by a regularized fit, and the grouped cross-validation figures
(issue 11, items 2 and 3).

Input: the dump of grouped_cv.py (--dump), made with rules_path =
SpamAssassin's stock rules + rules/. Each record gives the rules a
message hit and their scores. A message's score is split into
  offset = everything but FCT_* (SpamAssassin's rules at their stock
           score set 3, the BAYES_* band at SpamAssassin's score), fixed;
  own    = sum of w_r over the FCT_* rules it hit, w fitted here.
The fit minimizes, over the training messages,
  sum_i c_i * log(1 + exp(-y_i * (offset_i + own_i - required)))
  + LAMBDA * sum_r w_r^2
with y = +1 for spam, -1 for ham and hard ham, c = 1 for spam and
FP_COST for ham (a false positive costs FP_COST missed spam), and each
w_r bounded to [lo_r, hi_r]:
  hi_r = min(CAP, max(0, LLR_r))  for a rule scored > 0 in the files,
  lo_r = max(-CAP, min(0, LLR_r)) for one scored < 0 (lo = hi = 0
         otherwise: no rule changes sign),
where LLR_r = ln(P(hit | spam) / P(hit | ham)) on the training messages
(add-one smoothing): no rule weighs more than its own spam evidence
(in the same logit units as the loss), and none reaches CAP < required
score, so no FCT_* rule flags a message alone. LAMBDA, FP_COST and CAP
are fixed below, not tuned. Projected gradient descent, pure Python.

Bayes inputs are honest: for outer fold k the training messages of fold
j carry the Bayes result of a model learned without k and j (grouped_cv.py
nested models), the test fold that of a model learned without k.

--cv: per outer fold, fit on its training folds, choose the threshold
for <= 0.3% FP of all ham on the training folds, score the test fold;
print the four figures summed over the test folds (and the same for
SpamAssassin's rules + Bayes without FCT_* and for the files' weights).
--fit: fit on every outer-fold record (each scored by a Bayes model
that did not learn it) and print the weights; --write rewrites the
score lines of rules/*.cf with them.

usage: fit_weights.py DUMP (--cv | --fit [--write]) [--rules DIR] [--json OUT]
"""
import argparse
import json
import math
import os
import re
import sys

LAMBDA = 2.0      # L2 penalty per rule weight (points^2)
FP_COST = 10.0    # weight of a ham message in the loss
CAP = 2.5         # no FCT_* rule above half of required_score 5.0
ITERS = 1500
STEP = 0.5
FP_TARGET = 0.003
OWN = re.compile(r"^FCT_")


def load(path):
    with open(path) as f:
        return [json.loads(x) for x in f if x.strip()]


def features(recs, file_w):
    """[(y, cost, offset, required, [rule names])] per record."""
    out = []
    for o in recs:
        own = [r["name"] for r in o["rules"] if OWN.match(r["name"])]
        # from the rules (3 decimals), not the total (rounded to 0.1)
        off = sum(r["score"] for r in o["rules"]
                  if not OWN.match(r["name"]))
        y = 1 if o["class"] == "spam" else -1
        out.append((y, 1.0 if y > 0 else FP_COST, off, o["required"], own,
                    o["class"]))
    return out


def bounds(data, file_w):
    ns = sum(1 for d in data if d[0] > 0)
    nh = len(data) - ns
    hs, hh = {}, {}
    for d in data:
        for r in d[4]:
            (hs if d[0] > 0 else hh)[r] = (hs if d[0] > 0 else hh).get(
                r, 0) + 1
    b = {}
    for r in set(hs) | set(hh):
        llr = math.log(((hs.get(r, 0) + 1) / (ns + 2)) /
                       ((hh.get(r, 0) + 1) / (nh + 2)))
        fw = file_w.get(r, 1.0)
        if fw > 0:
            b[r] = (0.0, min(CAP, max(0.0, llr)))
        elif fw < 0:
            b[r] = (max(-CAP, min(0.0, llr)), 0.0)
        else:
            b[r] = (0.0, 0.0)
    return b, hs, hh, ns, nh


def fit(data, file_w):
    b, hs, hh, ns, nh = bounds(data, file_w)
    w = {r: 0.0 for r in b}
    norm = sum(d[1] for d in data)
    for it in range(ITERS):
        g = {r: 2 * LAMBDA * w[r] / norm for r in w}
        for y, c, off, req, own, _ in data:
            z = y * (off + sum(w[r] for r in own) - req)
            # d/dz log(1+exp(-z)) = -1/(1+exp(z))
            s = -y * c / (1.0 + math.exp(z)) if z < 30 else \
                -y * c * math.exp(-z)
            for r in own:
                g[r] += s / norm
        step = STEP / (1 + it / 500)
        for r in w:
            lo, hi = b[r]
            w[r] = min(hi, max(lo, w[r] - step * 20 * g[r]))
    return w, b, hs, hh, ns, nh


def score(d, w):
    return d[2] + sum(w.get(r, 0.0) for r in d[4])


def threshold(data, w):
    """Lowest score t with at most FP_TARGET of the ham at >= t."""
    hams = sorted((score(d, w) for d in data if d[0] < 0), reverse=True)
    allow = int(math.floor(FP_TARGET * len(hams)))
    # t just above the (allow+1)-th highest ham score
    return hams[allow] + 1e-6 if allow < len(hams) else -1e9


def figures(test, w, t):
    c = {"spam": [0, 0], "ham": [0, 0], "hard-ham": [0, 0]}
    at = {"spam": 0, "ham": 0, "hard-ham": 0}
    for d in test:
        s = score(d, w)
        c[d[5]][1] += 1
        c[d[5]][0] += s >= d[3]
        at[d[5]] += s >= t
    return c, at


def cv(recs, file_w):
    folds = sorted({o["fold"] for o in recs})
    names = ("fitted FCT_* weights", "files' FCT_* weights",
             "SpamAssassin rules + Bayes, no FCT_*")
    tot = {n: ({"spam": [0, 0], "ham": [0, 0], "hard-ham": [0, 0]},
               {"spam": 0, "ham": 0, "hard-ham": 0}) for n in names}
    per = []
    for k in folds:
        train = features([o for o in recs if o["fold"] != k and
                          sorted(o["excl"]) == sorted({k, o["fold"]})],
                         file_w)
        test = features([o for o in recs if o["excl"] == [k]], file_w)
        wf, _, _, _, _, _ = fit(train, file_w)
        for n, w in zip(names, (wf, dict(file_w), {})):
            if n == names[1]:
                w = {r: file_w.get(r, 0.0) for d in train for r in d[4]}
            t = threshold(train, w)
            c, at = figures(test, w, t)
            for cl in c:
                tot[n][0][cl][0] += c[cl][0]
                tot[n][0][cl][1] += c[cl][1]
                tot[n][1][cl] += at[cl]
            if n == names[0]:
                per.append((k, t, c, at, wf))
    for k, t, c, at, wf in per:
        print(f"fold {k}: threshold {t:.2f}; at 5.0 spam {c['spam'][0]}/"
              f"{c['spam'][1]} ham {c['ham'][0]}/{c['ham'][1]} hard "
              f"{c['hard-ham'][0]}/{c['hard-ham'][1]}; at threshold spam "
              f"{at['spam']} ham {at['ham']} hard {at['hard-ham']}")
    out = {}
    for n in names:
        c, at = tot[n]
        ham_n = c["ham"][1] + c["hard-ham"][1]
        r = {
            "spam_recall": [c["spam"][0], c["spam"][1]],
            "easy_ham_fp": [c["ham"][0], c["ham"][1]],
            "hard_ham_fp": [c["hard-ham"][0], c["hard-ham"][1]],
            "recall_at_0.3pct_fp": [at["spam"], c["spam"][1]],
            "fp_at_that_threshold": [at["ham"] + at["hard-ham"], ham_n],
        }
        out[n] = r

        def pct(a):
            return f"{a[0]}/{a[1]} = {100.0 * a[0] / max(a[1], 1):.2f}%"
        print(f"{n}:\n  spam recall {pct(r['spam_recall'])}\n"
              f"  easy-ham FP {pct(r['easy_ham_fp'])}\n"
              f"  hard-ham FP {pct(r['hard_ham_fp'])}\n"
              f"  recall at <= 0.3% FP (threshold from the training folds)"
              f" {pct(r['recall_at_0.3pct_fp'])}, FP there "
              f"{pct(r['fp_at_that_threshold'])}")
    return out


def file_weights(rulesdir):
    w = {}
    for n in sorted(os.listdir(rulesdir)):
        if n.endswith(".cf"):
            with open(os.path.join(rulesdir, n)) as f:
                for line in f:
                    m = re.match(r"^score\s+(FCT_\w+)\s+(-?[\d.]+)", line)
                    if m:
                        w[m.group(1)] = float(m.group(2))
    return w


def write(rulesdir, w, b, hs, hh, ns, nh):
    for n in sorted(os.listdir(rulesdir)):
        if not n.endswith(".cf"):
            continue
        p = os.path.join(rulesdir, n)
        with open(p) as f:
            lines = f.readlines()
        out = []
        for line in lines:
            if line.startswith("# fit: "):
                continue
            m = re.match(r"^(score\s+)(FCT_\w+)(\s+)(-?[\d.]+)(.*)$",
                         line.rstrip("\n"))
            if m and m.group(2) in w:
                r = m.group(2)
                v = w[r]
                # 0 would disable the rule and the metas built on it
                v = max(v, 0.001) if b[r][1] > 0 else min(v, -0.001) \
                    if b[r][0] < 0 else 0.001
                out.append(f"# fit: spam {hs.get(r, 0)}/{ns}, ham "
                           f"{hh.get(r, 0)}/{nh}, bound [{b[r][0]:.2f}, "
                           f"{b[r][1]:.2f}], fitted {w[r]:.3f}\n")
                out.append(f"{m.group(1)}{r}{m.group(3)}{v:.3f}\n")
            else:
                out.append(line)
        with open(p, "w") as f:
            f.writelines(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--rules", default=os.path.normpath(os.path.join(
        here, "..", "..", "rules")))
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    recs = load(args.dump)
    file_w = file_weights(args.rules)
    out = {}
    if args.cv:
        out["cv"] = cv(recs, file_w)
    if args.fit:
        data = features([o for o in recs if len(o["excl"]) == 1], file_w)
        w, b, hs, hh, ns, nh = fit(data, file_w)
        for r in sorted(w):
            print(f"{r:24s} {w[r]:6.2f}  (file {file_w.get(r, 0):5.2f}, "
                  f"spam {hs.get(r, 0)}/{ns}, ham {hh.get(r, 0)}/{nh}, "
                  f"bound [{b[r][0]:.2f}, {b[r][1]:.2f}])")
        out["weights"] = w
        if args.write:
            write(args.rules, w, b, hs, hh, ns, nh)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
