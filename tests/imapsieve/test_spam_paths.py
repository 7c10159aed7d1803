"""test_spam_paths - the fixes of issue 11 item 5, black-box:

  - `facteur spam check DIR` on a Maildir scores its messages (cur/, new/)
    and nothing else of it: not dovecot-uidlist, dovecot.index*,
    maildirfolder, subscriptions, dovecot-keywords (the walk `learn` uses);
  - every spam verb uses the Bayes file facteur-spam reads: [spam]
    bayes_path when facteur.conf sets it (before, `learn` wrote beside
    --db whatever bayes_path said, so `check` and the milter never saw
    what it learned), else bayes.sqlite beside --db; `stats` names it;
    bayes_path = "" (Bayes off) makes `learn` refuse.

Bayes gives a probability only after 200 spam and 200 ham, so the test
learns 200 + 200 generated messages (under a second).

With FACTEUR_TEST_DB_URL (tests/postgres/run_with_pg.py) --db is that
PostgreSQL database: without bayes_path every verb then uses the
database's Bayes tables (no file anywhere), and a bayes_path set in
facteur.conf still wins.

Usage: test_spam_paths.py FACTEUR RULES_DIR
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

EXE = RULES = None
URL = os.environ.get("FACTEUR_TEST_DB_URL")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def msg(n, cls):
    words = ("viagra casino lottery winner cheap pills" if cls == "spam"
             else "meeting agenda minutes project review")
    return ("From: p%d@%s.example\nTo: bob@example.org\n"
            "Date: Mon, 07 Dec 2026 10:00:00 +0000\n"
            "Message-ID: <%s-%d@%s.example>\nSubject: %s %d\n\n"
            "%s, message %d, %s again.\n" % (n, cls, cls, n, cls, words, n,
                                             words, n, words))


class SpamPaths(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="spam-paths-", dir=os.getcwd())
        for cls in ("spam", "ham"):
            for n in range(200):
                write(os.path.join(self.d, "train-" + cls, "%03d" % n),
                      msg(n, cls))

        if URL:
            self.run_cli("-c", "/dev/null", "--db", URL, "db", "init",
                         "--url", URL)
            subprocess.run(["/usr/bin/psql", "-X", "-q", "-d", URL, "-c",
                            "TRUNCATE bayes_tokens, bayes_seen; UPDATE "
                            "bayes_totals SET nspam = 0, nham = 0"],
                           check=True, capture_output=True, timeout=30)

    def tearDown(self):
        shutil.rmtree(self.d, ignore_errors=True)

    def db(self):
        """The database --db names: a file, or the PostgreSQL URL."""
        if URL:
            return URL
        db = os.path.join(self.d, "db", "facteur.sqlite")
        os.makedirs(os.path.dirname(db))
        return db

    def conf(self, spam_extra=""):
        return write(os.path.join(self.d, "facteur.conf"),
                     "[spam]\nrules_path = %s\ncache_dir =\n%s" % (
                         RULES, spam_extra))

    def run_cli(self, *args, check=True):
        p = subprocess.run([EXE] + list(args), capture_output=True,
                           text=True, timeout=120)
        if check:
            self.assertEqual(p.returncode, 0, "%s: exit %d\n%s%s" % (
                " ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def learn_all(self, *pre):
        for cls in ("spam", "ham"):
            self.run_cli(*pre, "spam", "learn", "--" + cls,
                         os.path.join(self.d, "train-" + cls))

    def check_bayes(self, *pre):
        """The Bayes probability `spam check` gives a new spammy message
        (-1: no usable Bayes file)."""
        p = write(os.path.join(self.d, "new.eml"), msg(999, "spam"))
        out = self.run_cli(*pre, "spam", "check", "--json", p).stdout
        return json.loads(out.splitlines()[0])["bayes"]

    def stats(self, *pre):
        return json.loads(self.run_cli(*pre, "spam", "stats",
                                       "--json").stdout)

    def test_check_of_a_maildir_scores_only_its_messages(self):
        md = os.path.join(self.d, "Maildir")
        want = [write(os.path.join(md, "cur", "1.host:2,S"),
                      msg(1, "ham")),
                write(os.path.join(md, "new", "2.host"), msg(2, "spam"))]
        os.makedirs(os.path.join(md, "tmp"))
        write(os.path.join(md, "tmp", "3.host"), msg(3, "spam"))
        for name in ("dovecot-uidlist", "dovecot-uidvalidity",
                     "dovecot.index", "dovecot.index.log",
                     "dovecot.index.cache", "dovecot.list.index.log",
                     "maildirfolder", "subscriptions", "dovecot-keywords"):
            write(os.path.join(md, name), "3 V1765000000 N2 Gabc\n1 :x\n")
        out = self.run_cli("-c", self.conf("bayes_path =\n"), "spam",
                           "check", "--json", md).stdout
        got = [json.loads(line)["file"] for line in out.splitlines()]
        self.assertEqual(got, want, "check of a Maildir: got %r, want "
                         "its cur/ and new/ messages only" % got)

    def test_learn_writes_the_configured_bayes_path_check_reads_it(self):
        bayes = os.path.join(self.d, "conf-bayes.sqlite")
        conf = self.conf("bayes_path = %s\n" % bayes)
        pre = ("-c", conf, "--db", self.db())
        self.learn_all(*pre)
        self.assertTrue(os.path.exists(bayes), "learn wrote [spam] "
                        "bayes_path")
        self.assertFalse(os.path.exists(os.path.join(
            self.d, "db", "bayes.sqlite")), "not a file beside --db")
        st = self.stats(*pre)
        self.assertEqual((st["bayes"], st["spam"], st["ham"]),
                         (bayes, 200, 200), "stats: %r" % st)
        self.assertGreater(st["last_learn"], 0)
        b = self.check_bayes(*pre)
        self.assertGreater(b, 0.9, "check reads what learn wrote: bayes "
                           "%r" % b)
        if URL:
            st = self.stats("-c", "/dev/null", "--db", URL)
            self.assertEqual((st["bayes"], st["spam"]), (URL, 0),
                             "the database's Bayes was not written")

    def test_without_bayes_path_every_verb_uses_the_file_beside_db(self):
        conf = self.conf()
        db = self.db()
        pre = ("-c", conf, "--db", db)
        self.learn_all(*pre)
        b = self.check_bayes(*pre)
        self.assertGreater(b, 0.9, "check reads the file beside --db "
                           "(on PostgreSQL: the database): bayes %r" % b)
        want = URL or os.path.join(self.d, "db", "bayes.sqlite")
        st = self.stats(*pre)
        self.assertEqual((st["bayes"], st["spam"]), (want, 200),
                         "stats: %r" % st)
        if URL:
            found = [f for _, _, fs in os.walk(self.d) for f in fs
                     if f.startswith("bayes")]
            self.assertEqual(found, [], "a Bayes file was made")

    def test_bayes_off_learn_refuses(self):
        conf = self.conf("bayes_path =\n")
        p = self.run_cli("-c", conf, "spam", "learn", "--spam",
                         os.path.join(self.d, "train-spam"), check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("Bayes is off", p.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print("usage: test_spam_paths.py FACTEUR RULES_DIR")
        sys.exit(2)
    EXE, RULES = os.path.abspath(sys.argv[1]), sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
