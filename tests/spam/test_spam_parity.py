"""spam-parity - facteur's engine against SpamAssassin itself, rule by rule.

Debian's SpamAssassin (tests/spam/sa_hits.pl: local tests only, Bayes
off, Debian's .pre plugin set, a private home) and `facteur spam check`
(rules_path = the same directory, Bayes off, network tests off) score the
same fixed sample of ../shared/corpus/spamassassin/{spam,ham,hard-ham};
the rules each side fired are compared message by message.

Reported (and written to BUILD/spam-parity.txt):
  - pairs: share of (message, rule) pairs that agree, over every scored
    rule either side can name (the issue's measure);
  - hits:  share of the fired (message, rule) pairs that both fired
    (|both| / |either|): the strict measure, which ignores the many rules
    that are silent on both sides;
  - the Pearson correlation of the total scores;
  - every rule whose per-message agreement is under 95%, or that fired on
    one side only at least twice, with how often each side fired it.
The measured figures are guarded as regression floors (FLOORS below).

  test_spam_parity.py FACTEUR SA_HITS_PL RULES_DIR CORPUS BUILD_DIR [N]
                     [--cache=DIR]

Skips (exit 77) when spamassassin's Perl modules or the corpus are
missing. N = messages per class (default 50: 150 in all, about 15 s
once the pattern cache is warm). The cache is DIR (make test: the build
root's spam-cache, shared with spam-accuracy-grouped, whose rule set is
this one + rules/: whichever runs first compiles SpamAssassin's groups,
the other loads them), else BUILD_DIR/spam-parity/cache. PARITY_N=all in
the environment runs the whole corpus (for the note, not for make test).
"""

import json
import math
import os
import subprocess
import sys
import threading

import spamtest

# Regression floors: the figures measured at the commit that set them
# (pairs 0.9999, hits 0.9706, corr 0.9956 on this sample at 94ca251),
# rounded down (see docs/spam-parity.md).
FLOORS = {"pairs": 0.999, "hits": 0.96, "corr": 0.99}


def sample(corpus, n):
    files = []
    for cls in ("spam", "ham", "hard-ham"):
        d = os.path.join(corpus, cls)
        names = sorted(x for x in os.listdir(d) if not x.startswith("."))
        if n != "all" and len(names) > n:
            step = len(names) / n
            names = [names[int(i * step)] for i in range(n)]
        files += [(cls, os.path.join(d, x)) for x in names]
    return files


def run_sa(pl, rules, home, files):
    out = {}
    r = subprocess.run(["/usr/bin/perl", pl, rules, home] +
                       [f for _, f in files], capture_output=True,
                       text=True, errors="replace", timeout=1800)
    for line in r.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or parts[1] == "ERR":
            continue
        hits = set(x for x in parts[2].split(",") if x)
        out[parts[0]] = (float(parts[1]), hits)
    return out, r.stderr


def run_facteur(facteur, conf, files, linkdir):
    os.makedirs(linkdir, exist_ok=True)
    for x in os.listdir(linkdir):
        os.unlink(os.path.join(linkdir, x))
    back = {}
    for i, (_, f) in enumerate(files):
        name = "%04d-%s" % (i, os.path.basename(f))
        os.symlink(f, os.path.join(linkdir, name))
        back[os.path.join(linkdir, name)] = f
    r = subprocess.run([facteur, "-c", conf, "spam", "check", "--json",
                        linkdir], capture_output=True, text=True,
                       errors="replace", timeout=1800)
    out = {}
    for line in r.stdout.splitlines():
        try:
            j = json.loads(line)
        except ValueError:
            continue
        f = back.get(j.get("file"))
        if f is None:
            continue
        out[f] = (float(j["score"]),
                  set(x["name"] for x in j.get("rules", [])))
    return out, r.stderr


# hyperscan's compiler makes millions of small allocations; under ASan
# each one records its stack, goes through the quarantine and has its
# first bytes filled, which doubles a cold compile. The call that fills
# the cache runs without those (overflows are still caught); the checks
# that follow run with the caller's ASAN_OPTIONS. grouped_cv.py has the
# same list.
COMPILE_ASAN = ("malloc_context_size=0", "quarantine_size_mb=0",
                "thread_local_quarantine_size_kb=0", "max_malloc_fill_size=0")


def compile_cache(facteur, conf):
    """Fills the pattern cache (a no-op when it is warm), with
    COMPILE_ASAN."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(
        x for x in (env.get("ASAN_OPTIONS", ""),) + COMPILE_ASAN if x)
    subprocess.run([facteur, "-c", conf, "spam", "rules", "--stats"],
                   capture_output=True, text=True, errors="replace",
                   timeout=1800, env=env)


def rule_universe(facteur, conf):
    """Every rule facteur knows that scores in set 0, loaded or skipped
    (names SpamAssassin may fire that facteur skips are added from SA's
    own hits)."""
    r = subprocess.run([facteur, "-c", conf, "spam", "rules", "--stats"],
                       capture_output=True, text=True, errors="replace",
                       timeout=1800)
    names = set()
    skipped = {}
    part = None
    for line in r.stdout.splitlines():
        if line.startswith("skipped rules:"):
            part = "rules"
            continue
        if part == "rules" and line.count(":") >= 3:
            f, ln, name, why = line.split(":", 3)
            skipped[name.strip()] = why.strip()
    r2 = subprocess.run([facteur, "-c", conf, "spam", "rules"],
                        capture_output=True, text=True, errors="replace",
                        timeout=1800)
    for line in r2.stdout.splitlines():
        w = line.split()
        if w and not w[0].startswith("__"):
            names.add(w[0])
    return names, skipped


def pearson(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else 0.0


def compare(files, sa, fc, universe, skipped):
    common = [f for _, f in files if f in sa and f in fc]
    names = set(universe)
    for f in common:
        names |= sa[f][1] | fc[f][1]
    names = set(x for x in names if not x.startswith("__"))
    per = {}
    both = either = 0
    for f in common:
        s, c = sa[f][1], fc[f][1]
        both += len(s & c)
        either += len(s | c)
        for x in s | c:
            p = per.setdefault(x, [0, 0, 0])  # sa only, facteur only, both
            p[0 if x not in c else 1 if x not in s else 2] += 1
    n = len(common)
    diff = sum(p[0] + p[1] for p in per.values())
    pairs = 1 - diff / float(n * len(names)) if n and names else 0
    hits = both / float(either) if either else 1.0
    corr = pearson([sa[f][0] for f in common], [fc[f][0] for f in common])
    low = []
    for x, (so, fo, b) in sorted(per.items()):
        agree = 1 - (so + fo) / float(n)
        if agree < 0.95 or so + fo >= 2:
            low.append((x, agree, so, fo, b, skipped.get(x, "")))
    return {"n": n, "rules": len(names), "pairs": pairs, "hits": hits,
            "both": both, "either": either, "corr": corr, "low": low}


def report(res, files, sa, fc, path):
    lines = ["messages compared: %d (of %d sampled)" % (res["n"],
                                                         len(files)),
             "rules in the comparison: %d" % res["rules"],
             "(message, rule) pairs that agree: %.4f" % res["pairs"],
             "fired pairs fired by both: %d of %d = %.4f" % (
                 res["both"], res["either"], res["hits"]),
             "total score correlation (Pearson): %.4f" % res["corr"],
             "",
             "rules below 95% agreement or fired by one side at least "
             "twice:",
             "%-32s %7s %7s %7s %5s  %s" % ("rule", "agree", "SA only",
                                            "facteur", "both",
                                            "facteur skip reason")]
    for x, agree, so, fo, b, why in sorted(res["low"],
                                           key=lambda t: -(t[2] + t[3])):
        lines.append("%-32s %7.3f %7d %7d %5d  %s" % (x, agree, so, fo, b,
                                                      why))
    text = "\n".join(lines) + "\n"
    with open(path, "w") as f:
        f.write(text)
        f.write("\nper message (file, SA score, facteur score, SA only, "
                "facteur only):\n")
        for _, m in files:
            if m in sa and m in fc:
                f.write("%s\t%.2f\t%.2f\t%s\t%s\n" % (
                    m, sa[m][0], fc[m][0],
                    ",".join(sorted(sa[m][1] - fc[m][1])),
                    ",".join(sorted(fc[m][1] - sa[m][1]))))
    return text


def main():
    cache = [a[len("--cache="):] for a in sys.argv if
             a.startswith("--cache=")]
    argv = [a for a in sys.argv if not a.startswith("--cache=")]
    facteur, pl, rules, corpus, build = argv[1:6]
    n = os.environ.get("PARITY_N") or (argv[6] if len(argv) > 6
                                       else "50")
    n = n if n == "all" else int(n)
    why = spamtest.sa_peer_missing(corpus)
    if why is not None:
        print("SKIP: " + why)
        return 77
    work = os.path.join(build, "spam-parity")
    cache = cache[-1] if cache else os.path.join(work, "cache")
    os.makedirs(work, exist_ok=True)
    os.makedirs(cache, exist_ok=True)
    conf = os.path.join(work, "facteur.conf")
    with open(conf, "w") as f:
        f.write("[spam]\nrules_path = %s\nbayes_path =\ncache_dir = %s\n"
                "required_score = 5.0\n" % (rules, cache))
    files = sample(corpus, n)
    # SpamAssassin scores while facteur compiles its pattern cache (cold:
    # the first run after a rules change), on the other core
    sa_out = {}
    t = threading.Thread(target=lambda: sa_out.update(
        r=run_sa(pl, rules, os.path.join(work, "sahome"), files)))
    t.start()
    compile_cache(facteur, conf)
    t.join()
    sa, saerr = sa_out["r"]
    fc, fcerr = run_facteur(facteur, conf, files, os.path.join(work, "msgs"))
    if len(sa) < len(files) * 0.9 or len(fc) < len(files) * 0.9:
        print("FAIL: SA scored %d, facteur %d of %d" % (len(sa), len(fc),
                                                        len(files)))
        print(saerr[-2000:], fcerr[-2000:])
        return 1
    universe, skipped = rule_universe(facteur, conf)
    res = compare(files, sa, fc, universe, skipped)
    text = report(res, files, sa, fc, os.path.join(build,
                                                   "spam-parity.txt"))
    print(text)
    bad = 0
    for k, floor in FLOORS.items():
        ok = res[k] >= floor
        print("%s %s = %.4f (floor %.4f)" % ("ok  " if ok else "FAIL", k,
                                             res[k], floor))
        bad |= not ok
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
