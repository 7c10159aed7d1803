#!/usr/bin/python3
"""Black-box test of facteur-spam's Bayes auto-learn (bayes_auto_learn):
over the milter protocol, X-Spam-Status says autolearn=spam|ham|no|
unavailable|failed and 'facteur spam stats --bayes PATH' counts each
learned message once; 'facteur spam learn' of the delivered copy and
'facteur spam check' add nothing.

With FACTEUR_TEST_DB_URL (tests/postgres/run_with_pg.py) the same tests
run on PostgreSQL: Bayes is then in that database, chosen by the
milter's [database] url (bayes_path left at its default), and a psql
session holding the totals row stands for the SQLite writer's lock.

usage: test_spam_autolearn.py FACTEUR-SPAM FACTEUR MILTERCLIENT_DIR TMPPARENT
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

SPAM, CLI, MCDIR, PARENT = [os.path.abspath(a) for a in sys.argv[1:5]]
URL = os.environ.get("FACTEUR_TEST_DB_URL")
sys.path.insert(0, MCDIR)
from milterclient import MilterClient  # noqa: E402
import spamtest  # noqa: E402
from spamtest import FAILS, check, write  # noqa: E402

# A header rule and a body rule worth 7 each: 14 >= 12, with 7 header and
# 7 body points; a sender rule worth -1 makes a plain ham score < 0.1.
RULES = """header AL_SUBJ Subject =~ /limited offer/i
score AL_SUBJ 7
describe AL_SUBJ Subject sells something
body AL_BODY /wire the fee today/
score AL_BODY 7
describe AL_BODY Body asks for money
header AL_FRIEND From =~ /friend\\@example\\.org/
score AL_FRIEND -1
header AL_HDR_ONLY Subject =~ /header only/
score AL_HDR_ONLY 14
"""


def conf(d, name, bayes, auto):
    # on PostgreSQL, [database] url alone says where Bayes is
    where = ("[database]\nurl = %s\n" % URL if URL and bayes == URL
             else "") + "[spam]\n"
    if bayes != URL:
        where += "bayes_path = %s\n" % bayes
    return write(d, name, where + "socket = unix:%s/spam.sock\n"
                 "rules_path = %s/al.cf\n"
                 "bayes_auto_learn = %s\ncache_dir = %s/cache\n" %
                 (d, d, auto, d))


class Hold:
    """Another writer holding Bayes: SQLite's write lock, or on
    PostgreSQL a transaction holding the totals row every learn updates."""

    def __init__(self, db):
        if URL is None:
            self.db = sqlite3.connect(db, timeout=1, isolation_level=None)
            self.db.execute("BEGIN IMMEDIATE")
            return
        self.db = None
        self.p = subprocess.Popen(["/usr/bin/psql", "-X", "-q", "-d", URL],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.p.stdin.write("BEGIN;\nSELECT 1 FROM bayes_totals FOR UPDATE;"
                           "\n\\echo locked\n")
        self.p.stdin.flush()
        while "locked" not in self.p.stdout.readline():
            pass

    def release(self):
        if self.db is not None:
            self.db.execute("ROLLBACK")
            self.db.close()
            return
        self.p.communicate("ROLLBACK;\n\\q\n", timeout=30)


def run_milter(d, name, bayes, auto, fn):
    spamtest.run_milter(SPAM, d, name, conf(d, name, bayes, auto), fn,
                        MilterClient)


def stats(db):
    r = subprocess.run([CLI, "spam", "stats", "--json", "--bayes", db],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return None
    j = json.loads(r.stdout)
    return (j["spam"], j["ham"])


def msg(subject, body, mid, sender="x@spam.example"):
    hdrs = [("Received", "from mx.example.net (mx.example.net "
             "[192.0.2.9])\n\tby mail.example.org (Postfix) with ESMTP "
             "id 4ABC; Mon, 1 Jan 2024 10:00:00 +0000"),
            ("From", sender), ("To", "bob@example.net"),
            ("Subject", subject),
            ("Date", "Mon, 1 Jan 2024 10:00:00 +0000"),
            ("Message-Id", "<%s@example.net>" % mid)]
    return hdrs, body


SPAM1 = msg("Limited offer for you", "Dear friend,\r\nwire the fee today "
            "and collect your prize.\r\n", "spam1")
SPAM2 = msg("Another limited offer", "Please wire the fee today, "
            "quickly.\r\n", "spam2")
SPAM3 = msg("Limited offer, third", "Again: wire the fee today.\r\n",
            "spam3")
HDR_ONLY = msg("header only", "Nothing special here.\r\n", "hdronly")
HAM1 = msg("lunch tomorrow", "Hi Bob,\r\nshall we meet at noon?\r\n",
           "ham1", sender="Alice <friend@example.org>")


def send(mc, m):
    hdrs, body = m
    r = mc.message(connect=("mx.example.net", "192.0.2.9", 40000),
                   mail_from="<x@spam.example>", rcpts=["<bob@example.net>"],
                   headers=hdrs, body=body.encode())
    st = dict(r.added).get("X-Spam-Status", "")
    return r, st.replace("\n\t", " ")


def delivered(d, name, m, status):
    """The message as a mailbox would hold it: LF line ends, our
    X-Spam-* headers and a Return-Path added."""
    hdrs, body = m
    text = "Return-Path: <x@spam.example>\nDelivered-To: bob@example.net\n"
    text += "".join("%s: %s\n" % h for h in hdrs)
    text += "X-Spam-Flag: YES\nX-Spam-Status: %s\n\n" % status
    return write(d, name, text + body.replace("\r\n", "\n"))


def test_on(d, db):
    def fn(mc):
        r, st = send(mc, SPAM1)
        check(r.action == "continue", "the spam is accepted", r.action)
        check(st.startswith("Yes, score=14.0") and
              st.endswith(" autolearn=spam"),
              "header 7 + body 7 is auto-learned as spam", st)
        check(stats(db) == (1, 0), "stats count one spam", stats(db), (1, 0))
        r, st = send(mc, SPAM1)
        check(st.endswith(" autolearn=no"),
              "the same message again says autolearn=no", st)
        check(stats(db) == (1, 0), "and is not counted twice", stats(db),
              (1, 0))
        r, st = send(mc, HAM1)
        check(st.startswith("No, score=-1.0") and
              st.endswith(" autolearn=ham"),
              "a plain ham (score -1) is auto-learned as ham", st)
        check(stats(db) == (1, 1), "stats count one ham", stats(db), (1, 1))
        r, st = send(mc, HDR_ONLY)
        check(st.startswith("Yes, score=14.0") and
              st.endswith(" autolearn=no"),
              "14 points from headers alone are not learned", st)
        check(stats(db) == (1, 1), "counts unchanged", stats(db), (1, 1))
        # a trainer holding the write lock: the message goes on at once
        # with autolearn=failed, and nothing is counted
        hold = Hold(db)
        t0 = time.monotonic()
        r, st = send(mc, SPAM2)
        took = time.monotonic() - t0
        hold.release()
        check(r.action == "continue" and st.endswith(" autolearn=failed"),
              "a busy Bayes file gives autolearn=failed", (r.action, st))
        check(took < 3.0, "and delays the message briefly", took, "< 3 s")
        check(stats(db) == (1, 1), "a failed learn counts nothing",
              stats(db), (1, 1))
        r, st = send(mc, SPAM2)
        check(st.endswith(" autolearn=spam"),
              "once the file is free the next one is learned", st)
        check(stats(db) == (2, 1), "stats count two spam", stats(db),
              (2, 1))
    run_milter(d, "on.conf", db, "yes", fn)


def test_manual_after_auto(d, db):
    """facteur spam learn of the delivered copy finds it known."""
    p = delivered(d, "spam1.eml", SPAM1, "Yes, score=14.0 required=5.0 "
                  "tests=AL_BODY,AL_SUBJ autolearn=spam")
    r = subprocess.run([CLI, "spam", "learn", "--bayes", db, "--spam", p],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "learned 0 message(s), 1 unchanged" in
          r.stdout, "learning the delivered copy again is a no-op",
          (r.returncode, r.stdout, r.stderr))
    check(stats(db) == (2, 1), "still two spam", stats(db), (2, 1))
    r = subprocess.run([CLI, "spam", "learn", "--bayes", db, "--ham", p],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "learned 1 message(s)" in r.stdout,
          "learning it as ham moves it", (r.returncode, r.stdout))
    check(stats(db) == (1, 2), "a class move, not a double count",
          stats(db), (1, 2))


def test_check_does_not_learn(d, db):
    c = conf(d, "check.conf", db, "yes")
    p = delivered(d, "spam3.eml", SPAM3, "x")
    before = stats(db)
    r = subprocess.run([CLI, "-c", c, "spam", "check", "--json", p],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and '"spam"' in r.stdout,
          "spam check scores the spam", (r.returncode, r.stdout, r.stderr))
    check(stats(db) == before, "spam check does not auto-learn",
          stats(db), before)


def test_off(d, db):
    def fn(mc):
        before = stats(db)
        r, st = send(mc, SPAM3)
        check(st.startswith("Yes, score=14.0") and
              st.endswith(" autolearn=no"),
              "with bayes_auto_learn = no the status says autolearn=no", st)
        r, st = send(mc, msg("hello", "plain\r\n", "ham9",
                             sender="friend@example.org"))
        check(st.endswith(" autolearn=no"), "a ham too", st)
        check(stats(db) == before, "and nothing is learned", stats(db),
              before)
    run_milter(d, "off.conf", db, "no", fn)


def test_unavailable(d):
    def fn(mc):
        r, st = send(mc, SPAM1)
        check(st.endswith(" autolearn=unavailable"),
              "auto-learn without a Bayes file says unavailable", st)
    run_milter(d, "nobayes.conf", "", "yes", fn)


def test_first_open_busy(d):
    """A trainer holds the write lock before the milter ever opened the
    file for writing: that first open (schema check) also gives up within
    the auto-learn bound, not SQLite's default 5 s."""
    db = URL or os.path.join(d, "busy-first.sqlite")
    seed = write(d, "seed.eml", "From: a@b.example\nSubject: seed\n\n"
                 "a message to create the token file\n")
    r = subprocess.run([CLI, "spam", "learn", "--bayes", db, "--ham", seed],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "the token file is created", r.stderr)
    hold = Hold(db)

    def fn(mc):
        t0 = time.monotonic()
        # never learned (on PostgreSQL the database is the one of
        # test_on, where SPAM1 is known and needs no write)
        r, st = send(mc, SPAM3)
        took = time.monotonic() - t0
        check(r.action == "continue" and st.endswith(" autolearn=failed"),
              "a file locked from the start gives autolearn=failed",
              (r.action, st))
        check(took < 2.0, "and the first write open waits briefly", took,
              "< 2 s")
    try:
        run_milter(d, "busy-first.conf", db, "yes", fn)
    finally:
        hold.release()


def main():
    d = tempfile.mkdtemp(prefix="spam-al-", dir=PARENT)
    write(d, "al.cf", RULES)
    db = os.path.join(d, "bayes.sqlite")
    if URL:
        r = subprocess.run([CLI, "-c", "/dev/null", "--db", URL, "db",
                            "init", "--url", URL], capture_output=True,
                           text=True, timeout=60)
        check(r.returncode == 0, "db init --url", r.stderr)
        db = URL
    test_on(d, db)
    test_manual_after_auto(d, db)
    test_check_does_not_learn(d, db)
    test_off(d, db)
    test_first_open_busy(d)
    test_unavailable(d)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)


main()
