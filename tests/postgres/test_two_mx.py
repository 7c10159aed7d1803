#!/usr/bin/python3
"""tests/postgres/test_two_mx.py - two MX hosts sharing one PostgreSQL.

Two private Postfix instances (A and B, tests/integration/harness.py),
each with its own facteur-lookup (socketmap for domains, recipients,
aliases and the sender blacklist) and its own facteur.conf, and Postfix's
own pgsql: table (config-templates/postfix/pgsql/) for virtual(8)'s
Maildir paths; one private PostgreSQL (pgserver.py). Checks:
  - a user added with facteur on A receives mail through B, no restart;
  - a blacklist row added with facteur on B refuses a sender on A at the
    next message;
  - PostgreSQL restarted in the middle of a bounded load (30 messages,
    alternating hosts, a client that retries on 4xx as an MTA would):
    while it is down the hosts answer 4xx (defer), never 5xx; afterwards
    every Message-ID is in the Maildirs exactly once;
  - Bayes (the bayes_* tables, chosen by [database] url): both hosts run
    "facteur spam learn" at the same time, on distinct messages and on
    the same ones; the token counts then equal, row for row, those of one
    SQLite file that learned the same messages one after the other; each
    message counts once; learning a message again is a no-op; and
    facteur-spam on B scores with what was learned through A.
Runs in ~35 s, as root; shares nothing with other tests but free ports.

usage: test_two_mx.py FACTEUR FACTEUR_LOOKUP FACTEUR_SPAM
"""
import os
import re
import sqlite3
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "spam"))
sys.path.insert(0, os.path.join(HERE, "..", "milter"))
import fixtures  # noqa: E402
import harness  # noqa: E402
import spamtest  # noqa: E402
from milterclient import MilterClient  # noqa: E402
from pgserver import PG  # noqa: E402

FACTEUR = LOOKUP = SPAM = None
SERVER = None
MAPS = ("domains", "mailboxes", "virtual_aliases", "sender_access")


class Host:
    def __init__(self, name, tmp, url):
        self.dir = os.path.join(tmp, name)
        os.mkdir(self.dir)
        os.chmod(self.dir, 0o755)
        sock = os.path.join(self.dir, "lookup.sock")
        self.conf = fixtures.write_conf(os.path.join(self.dir, "f.conf"), {
            "database": {"url": url},
            "lookup": {"socket": sock, "user": ""},
        })
        self.admin = fixtures.Admin(FACTEUR, self.conf, url)
        self.lookup = None
        self.pf = None
        self.sock = sock
        self.url = url

    def start(self):
        self.lookup = fixtures.start_lookup(LOOKUP, self.conf, self.dir,
                                            self.sock, self.url)
        sm = {m: "socketmap:unix:%s:%s" % (self.sock, m) for m in MAPS}
        # virtual(8) refuses socketmap: for paths; it reads them with
        # Postfix's own PostgreSQL client, from the template.
        pgmap = os.path.join(self.dir, "virtual_mailbox_maps.cf")
        fixtures.render("postfix/pgsql/virtual_mailbox_maps.cf", pgmap,
                        [("hosts = unix:/var/run/postgresql",
                          "hosts = " + self.url)])
        self.pf = harness.Postfix(self.dir, main_cf_extra={
            "virtual_mailbox_domains": sm["domains"],
            "virtual_mailbox_maps": sm["mailboxes"],
            "virtual_alias_maps": sm["virtual_aliases"],
            "smtpd_sender_restrictions":
                "check_sender_access " + sm["sender_access"],
        }, virtual_options={"virtual_mailbox_maps": "pgsql:" + pgmap})

    def close(self):
        for o in (self.pf, self.lookup):
            if o is not None:
                o.close()


# Words only host A's spam has (the message B scores is made of them),
# only B's, and ham's.
SPAMMY_A = ["casino", "winner", "jackpot", "bonus", "prize", "lottery",
            "claim", "million"]
SPAMMY_B = ["pills", "pharmacy", "cheap", "discount", "refill", "dosage",
            "generic", "shipping"]
HAMMY = ["meeting", "agenda", "project", "review", "lunch", "notes",
         "budget", "schedule", "report", "draft", "minutes", "team"]


# Learning takes ~0.3 ms a message: enough of them that the two learners
# overlap in time despite their start-up.
N_BOTH = 1500


def bayes_corpus(d, name, words, n):
    """n distinct messages of words (plus one word of their own)."""
    p = os.path.join(d, name)
    os.mkdir(p)
    for i in range(n):
        w = [words[(i * 7 + j * 3) % len(words)] for j in range(12)]
        with open(os.path.join(p, "%04d.eml" % i), "w") as f:
            f.write("From: s%d@example.com\nSubject: %s\n"
                    "Message-Id: <%d.%s@example.com>\n\n%s %s%d\n" %
                    (i, " ".join(w[:3]), i, name, " ".join(w), name, i))
    return p


def message_ids(hosts):
    ids = []
    for h in hosts:
        for p in h.pf.deliveries():
            m = harness.read_message(p)
            ids.append(m["Message-ID"])
    return ids


class TwoMx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("mx2")
        url = SERVER.createdb("twomx")
        cls.a = Host("a", cls.tmp.path, url)
        cls.b = Host("b", cls.tmp.path, url)
        try:
            cls.a.admin("db", "init")
            cls.a.admin("domain", "add", "example.org")
            cls.a.admin.add_user("alice@example.org", "alice-pw")
            cls.a.start()
            cls.b.start()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for h in (cls.a, cls.b):
            h.close()
        cls.tmp.close()

    def send(self, host, sender, rcpt, subject):
        return host.pf.send(sender, [rcpt], harness.make_message(
            sender, rcpt, subject=subject))

    def test_1_user_added_on_a_receives_through_b(self):
        r = self.send(self.b, "friend@example.net", "bob@example.org", "x")
        self.assertEqual(r["rcpt"]["bob@example.org"][0], 550,
                         "before: got %r, want 550" % (r,))
        self.a.admin.add_user("bob@example.org", "bob-pw")
        r = self.send(self.b, "friend@example.net", "bob@example.org",
                      "to bob through b")
        self.assertEqual((r["rcpt"]["bob@example.org"][0], r["data"][0]),
                         (250, 250), "after: got %r, want 250" % (r,))
        self.b.pf.wait_for_delivery(1, mailbox="example.org/bob/")

    def test_2_blacklist_row_added_on_b_refuses_on_a(self):
        bad = "late@evil.example"
        r = self.send(self.a, bad, "alice@example.org", "before")
        self.assertEqual(r["rcpt"]["alice@example.org"][0], 250)
        self.b.admin("blacklist", "sender", "add", bad, "--code", "550",
                     "--enhanced", "5.7.1", "--message", "Not from you")
        r = self.send(self.a, bad, "alice@example.org", "after")
        code, text = r["rcpt"]["alice@example.org"]
        self.assertEqual((code, text.endswith("Not from you")), (550, True),
                         "got %d %r, want 550 ... Not from you" % (code, text))

    def test_3_restart_under_load_loses_and_duplicates_nothing(self):
        before = set(message_ids((self.a, self.b)))
        sent, deferred, refused = [], 0, []
        stopped = False
        for i in range(30):
            host = (self.a, self.b)[i % 2]
            msg = harness.make_message("load@example.net",
                                       "alice@example.org",
                                       subject="load %d" % i)
            mid = re.search(rb"Message-ID: (\S+)", msg).group(1).decode()
            if i == 10:
                SERVER.stop()
                stopped = True
            end = time.monotonic() + 30
            while True:
                if stopped and (deferred >= 4 or time.monotonic() > end):
                    SERVER.start()
                    stopped = False
                r = host.pf.send("load@example.net", ["alice@example.org"],
                                 msg)
                codes = [r["mail"][0]] + [c for c, _ in r["rcpt"].values()]
                if r["data"] is not None:
                    codes.append(r["data"][0])
                if all(c < 400 for c in codes):
                    sent.append(mid)
                    break
                if any(c >= 500 for c in codes):
                    refused.append((i, r))
                    break
                deferred += 1
                time.sleep(0.2)
        self.assertEqual(refused, [], "5xx while PostgreSQL restarted")
        self.assertGreaterEqual(deferred, 4, "no 4xx seen while it was down")
        deadline = time.monotonic() + 60
        # Only this test's Message-IDs count: a message of an earlier test
        # may still land in the Maildirs after 'before' was taken.
        ours = set(sent)
        while time.monotonic() < deadline:
            got = [m for m in message_ids((self.a, self.b))
                   if m not in before and m in ours]
            if set(got) == ours:
                time.sleep(1)  # a duplicate would follow its first copy
                got = [m for m in message_ids((self.a, self.b))
                       if m not in before and m in ours]
                break
            time.sleep(0.5)
        self.assertEqual(sorted(got), sorted(sent),
                         "Message-IDs in the Maildirs: got %d (%d unique),"
                         " want each of %d once" % (len(got), len(set(got)),
                                                    len(sent)))
        for h in (self.a, self.b):
            self.assertIsNone(h.lookup.proc.poll(),
                              "facteur-lookup exited during the restart")
        print("load: %d messages, %d deferred tries while down"
              % (len(sent), deferred), file=sys.stderr)

    def learn(self, host, flag, *dirs):
        r = host.admin("spam", "learn", flag, *dirs)
        m = re.search(r"learned (\d+) message\(s\), (\d+) unchanged",
                      r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        return int(m.group(1)), int(m.group(2))

    def pg_tokens(self):
        rows = SERVER.psql("SELECT h, spam, ham FROM bayes_tokens",
                           db="twomx").split()
        return {int(h): (int(s), int(m)) for h, s, m in
                (r.split("|") for r in rows)}

    def test_4_bayes_concurrent_hosts_count_exactly(self):
        d = self.tmp.path
        sa = bayes_corpus(d, "spam_a", SPAMMY_A, 60)
        sb = bayes_corpus(d, "spam_b", SPAMMY_B, 60)
        both = bayes_corpus(d, "spam_both", SPAMMY_A + SPAMMY_B, N_BOTH)
        # the same files named the other way round: B learns them in the
        # reverse order, so the two learners meet in the middle
        rev = os.path.join(d, "spam_both_rev")
        os.mkdir(rev)
        for i in range(N_BOTH):
            os.link(os.path.join(both, "%04d.eml" % i),
                    os.path.join(rev, "%04d.eml" % (N_BOTH - 1 - i)))
        ham = bayes_corpus(d, "ham", HAMMY, 220)
        got = {}

        def run(name, host, jobs):
            got[name] = [self.learn(host, f, p) for f, p in jobs]
        # both start with the same messages: they race for them
        ts = [threading.Thread(target=run, args=("a", self.a, [
                  ("--spam", both), ("--spam", sa)])),
              threading.Thread(target=run, args=("b", self.b, [
                  ("--spam", rev), ("--spam", sb), ("--ham", ham)]))]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        print("bayes: shared messages learned by a/b: %d/%d"
              % (got["a"][0][0], got["b"][0][0]), file=sys.stderr)
        # the messages both learned count once: one host or the other
        self.assertEqual(got["a"][1], (60, 0))
        self.assertEqual(got["a"][0][0] + got["b"][0][0], N_BOTH,
                         "shared messages learned: %r" % (got,))
        self.assertEqual((got["b"][1], got["b"][2]), ((60, 0), (220, 0)))
        st = self.b.admin("spam", "stats", "--json").stdout
        self.assertIn('"spam": %d, "ham": 220' % (120 + N_BOTH), st)
        # the same messages, one after the other, into one SQLite file
        ref = os.path.join(d, "ref.sqlite")
        for f, p in (("--spam", sa), ("--spam", both), ("--spam", sb),
                     ("--ham", ham)):
            harness.run([FACTEUR, "-c", "/dev/null", "spam", "learn",
                         "--bayes", ref, f, p])
        want = {h: (s, m) for h, s, m in sqlite3.connect(ref).execute(
            "SELECT h, spam, ham FROM tokens")}
        pg = self.pg_tokens()
        self.assertEqual(len(pg), len(want))
        self.assertEqual(pg, want, "token counts differ from one learner's")
        # again, through the other host: nothing changes
        self.assertEqual(self.learn(self.b, "--spam", sa), (0, 60))
        self.assertEqual(self.learn(self.a, "--ham", ham), (0, 220))
        self.assertEqual(self.pg_tokens(), want)

    def test_5_bayes_learned_through_a_scores_through_b(self):
        d = os.path.join(self.tmp.path, "spam-b")
        os.mkdir(d)
        spamtest.write(d, "b.cf", "score BAYES_99 3.5\nscore BAYES_00 -1.9\n"
                       "score BAYES_999 0.2\n")
        conf = spamtest.write(d, "spam.conf", "[database]\nurl = %s\n"
                              "[spam]\nsocket = unix:%s/spam.sock\n"
                              "rules_path = %s/b.cf\ncache_dir = %s\n"
                              % (self.b.url, d, d, d))
        seen = {}

        def score(mc, words):
            r = mc.message(
                connect=("mx.example.net", "192.0.2.9", 40000),
                mail_from="<s@example.com>", rcpts=["<bob@example.org>"],
                headers=[("From", "s@example.com"),
                         ("Subject", " ".join(words[:3]))],
                body=(" ".join(words) + "\r\n").encode())
            return r.action, dict(r.added).get("X-Spam-Status", "")

        def fn(mc):
            seen["spam"] = score(mc, SPAMMY_A)
            seen["ham"] = score(mc, HAMMY)
            # PostgreSQL away: scored without Bayes (as without a Bayes
            # file), not refused; back: the pooled handles reconnect
            SERVER.stop()
            try:
                seen["down"] = score(mc, SPAMMY_A)
            finally:
                SERVER.start()
            seen["back"] = score(mc, SPAMMY_A)
        spamtest.run_milter(SPAM, d, "spam-b", conf, fn, MilterClient)
        self.assertEqual(spamtest.FAILS, [])
        self.assertIn("BAYES_99", seen["spam"][1], seen)
        self.assertIn("BAYES_00", seen["ham"][1], seen)
        self.assertEqual(seen["down"][0], "continue", seen)
        self.assertTrue(seen["down"][1].startswith("No, score=") and
                        "BAYES_" not in seen["down"][1], seen)
        self.assertIn("BAYES_99", seen["back"][1], seen)


def main():
    global FACTEUR, LOOKUP, SPAM, SERVER
    FACTEUR, LOOKUP, SPAM = (os.path.abspath(p) for p in sys.argv[1:4])
    del sys.argv[1:4]
    miss = PG.missing()
    if miss or os.geteuid() != 0:
        print("SKIP: missing peer: %s" % (miss or "root (to run Postfix)"))
        return 77
    with PG(int(os.environ.get("PG_PORT", "54339"))) as pg:
        SERVER = pg
        prog = unittest.main(exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
