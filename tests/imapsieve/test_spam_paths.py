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

    def tearDown(self):
        shutil.rmtree(self.d, ignore_errors=True)

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
        db = os.path.join(self.d, "db", "facteur.sqlite")
        os.makedirs(os.path.dirname(db))
        pre = ("-c", conf, "--db", db)
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

    def test_without_bayes_path_every_verb_uses_the_file_beside_db(self):
        conf = self.conf()
        db = os.path.join(self.d, "db", "facteur.sqlite")
        os.makedirs(os.path.dirname(db))
        pre = ("-c", conf, "--db", db)
        self.learn_all(*pre)
        b = self.check_bayes(*pre)
        self.assertGreater(b, 0.9, "check reads the file beside --db: "
                           "bayes %r" % b)
        want = os.path.join(self.d, "db", "bayes.sqlite")
        st = self.stats(*pre)
        self.assertEqual((st["bayes"], st["spam"]), (want, 200),
                         "stats: %r" % st)

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
