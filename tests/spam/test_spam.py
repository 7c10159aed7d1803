#!/usr/bin/python3
"""Black-box test of facteur-spam and 'facteur spam check|rules'.

usage: test_spam.py FACTEUR-SPAM FACTEUR RULES_DIR MILTERCLIENT_DIR TMPPARENT
"""

import json
import os
import subprocess
import sys
import tempfile

SPAM, CLI, RULES, MCDIR, PARENT = [os.path.abspath(a) for a in sys.argv[1:6]]
sys.path.insert(0, MCDIR)
from milterclient import MilterClient  # noqa: E402
import spamtest  # noqa: E402
from spamtest import FAILS, check, write  # noqa: E402

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
HAM_HDRS = [("From", "Alice <alice@example.org>"), ("To", "bob@example.net"),
            ("Subject", "lunch tomorrow"),
            ("Date", "Mon, 1 Jan 2024 10:00:00 +0000"),
            ("Message-Id", "<1234@example.org>")]
HAM_BODY = b"Hi Bob,\r\nshall we meet at noon at the usual place?\r\nAlice\r\n"


def conf(d, name, extra=""):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        bayes = "" if "bayes_path" in extra else "bayes_path =\n"
        if "cache_dir" not in extra:
            extra += "cache_dir = %s/cache\n" % d
        f.write("[spam]\nsocket = unix:%s/spam.sock\nrules_path = %s\n"
                "%sscore_authenticated = no\n%s" % (d, RULES, bayes,
                                                    extra))
    return p


def test_cli(d):
    c = conf(d, "cli.conf")
    gt = write(d, "gtube.eml", "From: a@b.example\nSubject: hi\n\n%s\n" %
               GTUBE)
    ham = write(d, "ham.eml", "".join("%s: %s\n" % h for h in HAM_HDRS) +
                "\n" + HAM_BODY.decode().replace("\r", ""))
    r = subprocess.run([CLI, "-c", c, "spam", "check", "--json", gt, ham],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "spam check exits 0", r.returncode, 0)
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    check(len(lines) == 2, "one JSON object per message", len(lines), 2)
    if len(lines) == 2:
        check(lines[0]["verdict"] == "spam" and lines[0]["score"] >= 1000,
              "GTUBE is spam with score >= 1000", lines[0])
        check(any(x["name"] == "GTUBE" for x in lines[0]["rules"]),
              "GTUBE rule is listed", lines[0]["rules"])
        check(lines[1]["verdict"] == "ham" and lines[1]["required"] == 5.0,
              "a plain ham is ham", lines[1])
        check(set(lines[0]) >= {"file", "score", "required", "verdict",
                                "rules"}, "JSON has the documented keys",
              sorted(lines[0]))
    r = subprocess.run([CLI, "-c", c, "spam", "check", d + "/nope.eml"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 1 and "nope.eml" in r.stderr,
          "a missing file exits 1 naming it", (r.returncode, r.stderr))
    bad = write(d, "bad.cf", "body OK /x/\nheader BROKEN Subject =~ /x\n")
    c2 = write(d, "bad.conf", "[spam]\nrules_path = %s\nbayes_path =\n"
               "cache_dir = %s/cache\n" % (bad, d))
    r = subprocess.run([CLI, "-c", c2, "spam", "rules", "--stats"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and ("%s:2: BROKEN: error" % bad) in r.stdout,
          "rules --stats shows a malformed line as FILE:LINE",
          (r.returncode, r.stdout[-300:]))


def run_milter(d, name, extra, fn):
    spamtest.run_milter(SPAM, d, name, conf(d, name, extra), fn,
                        MilterClient)


def ext(addr="192.0.2.9"):
    return ("mx.example.net", addr, 40000)


def flagged(mc):
    r = mc.message(connect=ext(), mail_from="<x@spam.example>",
                   rcpts=["<bob@example.net>"],
                   headers=[("From", "x@spam.example"), ("Subject", "hello"),
                            ("X-Spam-Flag", "NO"),
                            ("X-Spam-Status", "No, forged")],
                   body=(GTUBE + "\r\n").encode())
    added = dict(r.added)
    check(r.action == "continue", "GTUBE is accepted (no reject_score)",
          r.action)
    check(added.get("X-Spam-Flag") == "YES", "GTUBE gets X-Spam-Flag: YES",
          r.added)
    st = added.get("X-Spam-Status", "")
    check(st.startswith("Yes, score=100") and " required=5.0 tests=" in st
          and "GTUBE" in st and st.endswith(" autolearn=no"),
        "X-Spam-Status in SpamAssassin's format", added.get("X-Spam-Status"))
    check(added.get("X-Spam-Level", "") == "*" * 50,
          "X-Spam-Level is capped stars", added.get("X-Spam-Level"))
    dels = sorted((n, i) for (i, n, v) in r.changed if v == "")
    check(dels == [("X-Spam-Flag", 1), ("X-Spam-Status", 1)],
          "incoming X-Spam-* headers are removed", r.changed)
    subj = [(i, v) for (i, n, v) in r.changed if n == "Subject"]
    check(subj == [(1, "*****SPAM***** hello")],
          "the subject of spam is rewritten", r.changed)
    r = mc.message(connect=ext(), mail_from="<alice@example.org>",
                   rcpts=["<bob@example.net>"], headers=HAM_HDRS,
                   body=HAM_BODY)
    added = dict(r.added)
    check(added.get("X-Spam-Flag") == "NO", "ham gets X-Spam-Flag: NO",
          r.added)
    check(not any(n == "Subject" for (i, n, v) in r.changed),
          "ham's subject is kept", r.changed)
    r = mc.message(connect=("localhost", "127.0.0.1", 40000),
                   mail_from="<x@spam.example>", rcpts=["<b@example.net>"],
                   headers=[("Subject", "local")],
                   body=(GTUBE + "\r\n").encode())
    check(r.added == [], "mail from an internal host is not scored",
          r.added)


def rejected(mc):
    r = mc.message(connect=ext(), mail_from="<x@spam.example>",
                   rcpts=["<bob@example.net>"],
                   headers=[("From", "x@spam.example"), ("Subject", "hi")],
                   body=(GTUBE + "\r\n").encode())
    check(r.action == "reject" and r.reply is not None and
          r.reply[0] == "550" and r.reply[1] == "5.7.1",
          "with reject_score GTUBE is rejected 550 5.7.1",
          (r.action, r.reply))


def corpus(d, name, words, n=210):
    """n messages built from words (enough for Bayes' 200 minimum)."""
    p = os.path.join(d, name)
    os.mkdir(p)
    for i in range(n):
        w = [words[(i * 7 + j * 3) % len(words)] for j in range(12)]
        write(p, "%04d.eml" % i, "From: s%d@example.com\nSubject: %s\n"
              "Message-Id: <%d.%s@example.com>\n\n%s\n" %
              (i, " ".join(w[:3]), i, name, " ".join(w)))
    return p


SPAMMY = ["casino", "winner", "jackpot", "bonus", "prize", "lottery",
          "claim", "million", "credit", "offer", "cheap", "pills"]
HAMMY = ["meeting", "agenda", "project", "review", "lunch", "notes",
         "budget", "schedule", "report", "draft", "minutes", "team"]


def learn(db, spam_dir, ham_dir):
    for flag, src in (("--spam", spam_dir), ("--ham", ham_dir)):
        r = subprocess.run([CLI, "spam", "learn", "--bayes", db, flag, src],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "spam learn %s exits 0" % flag,
              (r.returncode, r.stderr))


def bayes_rule(mc):
    r = mc.message(connect=ext(), mail_from="<s@example.com>",
                   rcpts=["<bob@example.net>"],
                   headers=[("From", "s@example.com"),
                            ("Subject", "casino jackpot winner")],
                   body=b"claim your casino bonus prize lottery million\r\n")
    st = dict(r.added).get("X-Spam-Status", "")
    return [t for t in st.replace("\n\t", "").split("tests=")[-1]
            .split(" ")[0].split(",") if t.startswith("BAYES_")]


def test_bayes(d):
    """The milter answers from a trained token file, and keeps up when the
    file is replaced or removed while it runs (its handles are pooled)."""
    sp, hm = corpus(d, "bspam", SPAMMY), corpus(d, "bham", HAMMY)
    db, db2 = os.path.join(d, "bayes.sqlite"), os.path.join(d, "b2.sqlite")
    learn(db, sp, hm)
    learn(db2, hm, sp)  # the other way round

    def fn(mc):
        got = bayes_rule(mc)
        check("BAYES_99" in got,
              "a spammy message hits BAYES_99/999", got)
        check(bayes_rule(mc) == got, "the pooled handle answers the same",
              bayes_rule(mc), got)
        os.rename(db2, db)
        for ext_ in ("-wal", "-shm"):
            if os.path.exists(db + ext_):
                os.unlink(db + ext_)
        got = bayes_rule(mc)
        check(got == ["BAYES_00"], "a replaced token file is read at once",
              got, ["BAYES_00"])
        os.unlink(db)
        got = bayes_rule(mc)
        check(got == [], "a removed token file means no BAYES_ rule", got,
              [])
    run_milter(d, "bayes.conf", "bayes_path = %s\n" % db, fn)


def cache_files(c):
    return sorted(f for f in os.listdir(c)
                  if f.startswith("hg-") and f.endswith(".db"))


def test_cache(d):
    """The compiled patterns, one file per group: written once, loaded
    (not rewritten) by the next start, a damaged file compiled over, a
    missing dir a warning."""
    c = os.path.join(d, "cache2")
    os.mkdir(c)
    extra = "rewrite_subject = yes\ncache_dir = %s\n" % c
    run_milter(d, "cache.conf", extra, flagged)
    files = cache_files(c)
    check(len(files) >= 1, "the first start writes hg-*.db files", files)
    if len(files) < 1:
        return
    p = os.path.join(c, max(files, key=lambda f: os.path.getsize(
        os.path.join(c, f))))
    st = os.stat(p)
    check(st.st_mode & 0o777 == 0o644, "the cache file is 0644",
          oct(st.st_mode & 0o777), "0o644")
    run_milter(d, "cache.conf", extra, flagged)
    st2 = os.stat(p)
    check((st2.st_ino, st2.st_mtime_ns) == (st.st_ino, st.st_mtime_ns),
          "the second start loads the file instead of rewriting it")
    os.truncate(p, st.st_size // 2)
    run_milter(d, "cache.conf", extra, flagged)
    st3 = os.stat(p)
    check(st3.st_size == st.st_size and cache_files(c) == files,
          "a truncated cache file is compiled over and rewritten",
          st3.st_size, st.st_size)
    missing = os.path.join(d, "no-such-dir")
    run_milter(d, "nocache.conf", "rewrite_subject = yes\ncache_dir = %s\n"
               % missing, flagged)
    with open(os.path.join(d, "nocache.conf.log")) as f:
        log = f.read()
    check("warning" in log and missing in log,
          "a missing cache_dir is a warning naming it", log[-300:])


def main():
    d = tempfile.mkdtemp(prefix="spam-", dir=PARENT)
    os.mkdir(os.path.join(d, "cache"))
    test_cli(d)
    test_cache(d)
    test_bayes(d)
    run_milter(d, "flag.conf", "rewrite_subject = yes\n", flagged)
    run_milter(d, "reject.conf", "reject_score = 20\n", rejected)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)


main()
