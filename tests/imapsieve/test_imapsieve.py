"""test_imapsieve - facteur's Bayes learns from the users' Spam folder
through a real Dovecot 2.3 with IMAPSieve, configured by the shipped
config-templates/dovecot/91-facteur-imapsieve.conf, the Sieve scripts
config-templates/sieve/report-{spam,ham}.sieve and their pipe wrappers
report-spam / report-ham (paths rendered into a temp dir, nothing else
changed):

  - IMAP MOVE INBOX -> Spam learns spam, Spam -> INBOX learns ham (the
    message moves class), Spam -> Trash learns nothing, APPEND into Spam
    learns spam, COPY back into Spam of a message known as spam is a
    no-op; Junk is a spam folder too, Junk -> Spam is no ham, APPEND
    to INBOX learns nothing; `facteur spam stats` counts each and the
    time of the last learn;
  - the MOVE answers within MOVE_BOUND seconds even while another writer
    holds the Bayes file (sqlite3 BEGIN EXCLUSIVE): the wrapper only drops
    the message into the spool; the drain (`facteur spam learn --spool`)
    then fails and keeps the spool, and learns it once the lock is gone;
  - least privilege: the wrapper ignores its arguments (no other class,
    no other Bayes file), the mail user cannot list the spool, and a
    symlink planted in the spool is refused and removed, not read.

Usage: test_imapsieve.py FACTEUR   (as root; skipped without Dovecot's
imap_sieve / sieve_extprograms plugins, i.e. without dovecot-sieve)
"""

import imaplib
import json
import os
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402

EXE = None
MOVE_BOUND = 1.0  # seconds an IMAP MOVE may take, learning included
USER, PASSWORD = "alice@example.org", "alice-pw"
PLUGINS = ["/usr/lib/dovecot/modules/lib95_imap_sieve_plugin.so",
           "/usr/lib/dovecot/modules/sieve/lib90_sieve_imapsieve_plugin.so",
           "/usr/lib/dovecot/modules/sieve/lib90_sieve_extprograms_plugin.so"]
SPOOL = "/var/spool/facteur/learn"


def message(n, subject):
    return ("From: Sender %d <s%d@sender.example>\r\n"
            "To: alice@example.org\r\n"
            "Date: Mon, 07 Dec 2026 10:%02d:00 +0000\r\n"
            "Message-ID: <imapsieve-%d@sender.example>\r\n"
            "Subject: %s\r\n\r\n"
            "Message number %d about %s, with words of its own: "
            "w%da w%db w%dc.\r\n" % (n, n, n % 60, n, subject, n, subject,
                                     n, n, n)).encode()


class ImapSieveLearning(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = [p for p in PLUGINS if not os.path.exists(p)]
        if missing:
            raise unittest.SkipTest("dovecot-sieve (Pigeonhole) is not "
                                    "installed: no %s" % ", ".join(missing))
        cls.tmp = harness.TmpDir("imsv")
        cls.dc = None
        try:
            cls._setup(cls.tmp.path)
        except Exception:
            cls.tearDownClass(failed=True)
            raise

    @classmethod
    def _setup(cls, tmp):
        uid, gid = harness.user_ids(harness.DEFAULT_MAIL_USER)
        cls.uid = uid
        cls.bayes = os.path.join(tmp, "bayes.sqlite")
        cls.conf = fixtures.write_conf(os.path.join(tmp, "facteur.conf"), {
            "spam": {"bayes_path": cls.bayes},
        })
        # the spool as docs/spam-learning.md makes it: the drain's owner,
        # the mail users' group, 1730 (add, not list, read or remove)
        cls.spool = os.path.join(tmp, "spool")
        os.mkdir(cls.spool)
        os.chown(cls.spool, 0, gid)
        os.chmod(cls.spool, 0o1730)
        sieve = os.path.join(tmp, "sieve")
        pipe = os.path.join(tmp, "sieve-pipe")
        os.mkdir(sieve)
        os.mkdir(pipe)
        cls.pipe = pipe
        for name in ("report-spam", "report-ham"):
            fixtures.render(os.path.join("sieve", name),
                            os.path.join(pipe, name),
                            [(SPOOL, cls.spool)])
            os.chmod(os.path.join(pipe, name), 0o755)
            fixtures.render(os.path.join("sieve", name + ".sieve"),
                            os.path.join(sieve, name + ".sieve"), [])
        conf = fixtures.render(
            os.path.join("dovecot", "91-facteur-imapsieve.conf"),
            os.path.join(tmp, "91-facteur-imapsieve.conf"),
            [("/etc/dovecot/sieve-pipe", pipe),
             ("/etc/dovecot/sieve/", sieve + "/")])
        with open(conf) as f:
            extra = f.read()
        cls.dc = harness.Dovecot(os.path.join(tmp, "dc"), conf_extra=extra)
        cls.dc.add_user(USER, PASSWORD)
        # as the install steps say: compile the scripts once, as root
        for name in ("report-spam", "report-ham"):
            harness.run(["sievec", "-c", cls.dc.conf,
                         os.path.join(sieve, name + ".sieve")])
        m = cls.imap()
        for box in ("Spam", "Junk", "Trash", "Archive"):
            m.create(box)
        m.logout()

    @classmethod
    def tearDownClass(cls, failed=False):
        if getattr(cls, "dc", None) is not None:
            if failed:
                print(cls.dc.log()[-4000:], file=sys.stderr)
            cls.dc.close()
        if getattr(cls, "tmp", None) is not None:
            if failed:
                cls.tmp.keep = True
            cls.tmp.close()

    def run(self, result=None):
        # keep the temp dir and show Dovecot's log when a test fails
        n = len(result.failures) + len(result.errors) if result else 0
        r = super().run(result)
        if result and len(result.failures) + len(result.errors) > n:
            self.tmp.keep = True
            print(self.dc.log()[-4000:], file=sys.stderr)
        return r

    # ---- helpers

    @classmethod
    def imap(cls):
        m = imaplib.IMAP4(cls.dc.host, cls.dc.port, timeout=10)
        m.login(USER, PASSWORD)
        return m

    def append(self, box, n, subject):
        m = self.imap()
        typ, data = m.append(box, None, None, message(n, subject))
        m.logout()
        self.assertEqual(typ, "OK", "APPEND to %s: %r" % (box, data))

    def move(self, src, dst, n):
        """MOVEs message n from src to dst; returns the seconds the MOVE
        command took (login and SELECT not counted)."""
        m = self.imap()
        try:
            typ, data = m.select(src)
            self.assertEqual(typ, "OK", "SELECT %s: %r" % (src, data))
            typ, data = m.uid("SEARCH", None, "HEADER", "Message-ID",
                              "<imapsieve-%d@sender.example>" % n)
            uids = data[0].split()
            self.assertEqual(len(uids), 1, "message %d in %s: got uids "
                             "%r, want one" % (n, src, uids))
            t0 = time.monotonic()
            typ, data = m.uid("MOVE", uids[0].decode(), dst)
            took = time.monotonic() - t0
            print("  MOVE %s -> %s: %.3f s" % (src, dst, took),
                  file=sys.stderr)
            self.assertEqual(typ, "OK", "MOVE %s -> %s: %r" % (src, dst,
                                                               data))
        finally:
            m.logout()
        return took

    def copy(self, src, dst, n):
        m = self.imap()
        try:
            m.select(src)
            typ, data = m.uid("SEARCH", None, "HEADER", "Message-ID",
                              "<imapsieve-%d@sender.example>" % n)
            typ, data = m.uid("COPY", data[0].split()[0].decode(), dst)
            self.assertEqual(typ, "OK", "COPY %s -> %s: %r" % (src, dst,
                                                               data))
        finally:
            m.logout()

    def spooled(self):
        return sorted(n for n in os.listdir(self.spool)
                      if not n.startswith("."))

    def wait_spooled(self, want):
        """The spool's classes, once it holds `want` files (the pipe
        program runs before the MOVE answers; this only absorbs a slow
        file system)."""
        harness.wait_for(lambda: len(self.spooled()) >= want, 5,
                         what="%d file(s) in the spool" % want)
        got = [n.rsplit(".", 1)[1] for n in self.spooled()]
        return got

    def facteur(self, *args, check=True, timeout=60):
        return harness.run([EXE["facteur"], "-c", self.conf] + list(args),
                           check=check, timeout=timeout)

    def drain(self, check=True, timeout=60):
        return self.facteur("spam", "learn", "--spool", self.spool,
                            "--json", check=check, timeout=timeout)

    def stats(self):
        if not os.path.exists(self.bayes):
            return (0, 0, 0)
        j = json.loads(self.facteur("spam", "stats", "--json").stdout)
        self.assertEqual(j["bayes"], self.bayes, "stats reads the "
                         "configured [spam] bayes_path")
        return (j["spam"], j["ham"], j["last_learn"])

    def assertCounts(self, want_spam, want_ham):
        got = self.stats()[:2]
        self.assertEqual(got, (want_spam, want_ham), "spam stats (spam, "
                         "ham): got %r, want %r" % (got, (want_spam,
                                                          want_ham)))

    def setUp(self):
        # every test starts with an empty spool (the previous one drained)
        for n in self.spooled():
            os.unlink(os.path.join(self.spool, n))

    # ---- tests (named so that unittest's alphabetical order is theirs)

    def test_1_move_into_spam_learns_spam_then_out_learns_ham(self):
        self.append("INBOX", 1, "cheap watches")
        before = self.stats()
        took = self.move("INBOX", "Spam", 1)
        self.assertLess(took, MOVE_BOUND, "MOVE into Spam took %.3f s" %
                        took)
        self.assertEqual(self.wait_spooled(1), ["spam"],
                         "the move into Spam spools one spam")
        out = json.loads(self.drain().stdout)
        self.assertEqual(out["learned"], 1, "drain: %r" % out)
        self.assertEqual(self.spooled(), [], "the drain empties the spool")
        spam, ham, last = self.stats()
        self.assertEqual((spam, ham), (before[0] + 1, before[1]),
                         "one more spam learned")
        self.assertGreater(last, time.time() - 120, "stats give the time "
                           "of that learn: got %r" % last)
        # and back out: the same message becomes ham
        took = self.move("Spam", "INBOX", 1)
        self.assertLess(took, MOVE_BOUND, "MOVE out of Spam took %.3f s" %
                        took)
        self.assertEqual(self.wait_spooled(1), ["ham"],
                         "the move out of Spam spools one ham")
        self.drain()
        self.assertCounts(before[0], before[1] + 1)

    def test_2_move_from_spam_to_trash_learns_nothing(self):
        self.append("Spam", 2, "replica bags")
        self.assertEqual(self.wait_spooled(1), ["spam"],
                         "APPEND into Spam spools one spam")
        self.drain()
        before = self.stats()[:2]
        self.move("Spam", "Trash", 2)
        time.sleep(0.3)
        self.assertEqual(self.spooled(), [], "a move to Trash spools "
                         "nothing")
        self.assertEqual(self.stats()[:2], before, "nor learns anything")

    def test_3_relearning_the_same_message_is_a_noop(self):
        # message 2 is in Trash, known as spam: copy it back into Spam
        before = self.stats()[:2]
        self.copy("Trash", "Spam", 2)
        self.assertEqual(self.wait_spooled(1), ["spam"])
        out = json.loads(self.drain().stdout)
        self.assertEqual((out["learned"], out["unchanged"]), (0, 1),
                         "learning it again: got %r, want 0 learned, "
                         "1 unchanged" % out)
        self.assertEqual(self.stats()[:2], before, "counts unchanged")

    def test_4_move_does_not_wait_for_a_locked_bayes_file(self):
        self.append("INBOX", 4, "lottery winner")
        before = self.stats()[:2]
        db = sqlite3.connect(self.bayes, timeout=0, isolation_level=None)
        try:
            db.execute("BEGIN EXCLUSIVE")
            took = self.move("INBOX", "Spam", 4)
            self.assertLess(took, MOVE_BOUND, "MOVE into Spam while the "
                            "Bayes file is locked took %.3f s" % took)
            self.assertEqual(self.wait_spooled(1), ["spam"])
            t0 = time.monotonic()
            p = self.drain(check=False)
            self.assertNotEqual(p.returncode, 0, "the drain cannot "
                                "learn while the file is locked: %r" % (
                                    p.stdout,))
            self.assertLess(time.monotonic() - t0, 30,
                            "the drain gives up in bounded time")
            self.assertIn("spool is kept", p.stderr)
            self.assertEqual(len(self.spooled()), 1, "the spool is kept")
        finally:
            db.execute("ROLLBACK")
            db.close()
        self.drain()
        self.assertEqual(self.spooled(), [])
        self.assertCounts(before[0] + 1, before[1])

    def test_5_wrapper_takes_no_orders_from_its_arguments(self):
        # what a script could pass: another class, another Bayes file
        other = os.path.join(self.tmp.path, "other.sqlite")
        p = subprocess.run(
            [os.path.join(self.pipe, "report-spam"), "--ham", "--bayes",
             other, "../../x"], input=message(5, "args"),
            user=self.uid, group=os.stat(self.spool).st_gid,
            capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([n.rsplit(".", 1)[1] for n in self.spooled()],
                         ["spam"], "report-spam spools spam, whatever "
                         "its arguments")
        self.assertFalse(os.path.exists(other))
        # the mail user may add to the spool, not list it
        p = subprocess.run(["ls", self.spool], user=self.uid,
                           group=os.stat(self.spool).st_gid,
                           capture_output=True, timeout=10)
        self.assertNotEqual(p.returncode, 0, "the mail user can list the "
                            "spool: %r" % p.stdout)

    def test_6_symlink_in_the_spool_is_refused(self):
        secret = os.path.join(self.tmp.path, "secret")
        with open(secret, "wb") as f:
            f.write(message(6, "secret words only root may read"))
        os.chmod(secret, 0o600)
        link = os.path.join(self.spool, "1796620000000000000.1.spam")
        os.symlink(secret, link)
        before = self.stats()[:2]
        p = self.drain()
        self.assertIn("symbolic link", p.stderr)
        self.assertFalse(os.path.lexists(link), "the symlink is removed")
        self.assertTrue(os.path.exists(secret), "its target is not")
        self.assertEqual(self.stats()[:2], before, "nothing learned "
                         "through it")

    def test_7_junk_counts_as_spam_and_spam_to_junk_is_no_ham(self):
        self.append("INBOX", 7, "miracle diet")
        self.move("INBOX", "Junk", 7)
        self.assertEqual(self.wait_spooled(1), ["spam"],
                         "a move into Junk spools spam")
        self.move("Junk", "Spam", 7)
        self.assertEqual(self.wait_spooled(2), ["spam", "spam"],
                         "Junk -> Spam spools spam again, no ham")
        self.move("Spam", "Archive", 7)
        self.assertEqual(self.wait_spooled(3), ["spam", "spam", "ham"],
                         "Spam -> any other folder spools ham")
        self.append("INBOX", 8, "plain note")
        time.sleep(0.3)
        self.assertEqual(len(self.spooled()), 3, "APPEND to INBOX spools "
                         "nothing")
        out = json.loads(self.drain().stdout)
        self.assertEqual((out["learned"], out["unchanged"]), (2, 1),
                         "spam, spam again (no-op), then ham (moved): "
                         "got %r" % out)

    def test_8_dovecot_logged_no_sieve_error(self):
        log = self.dc.log()
        bad = [ln for ln in log.splitlines()
               if "sieve" in ln.lower() and ("Error" in ln or
                                             "failed" in ln)]
        self.assertEqual(bad, [], "Sieve errors in dovecot.log")


if __name__ == "__main__":
    EXE = fixtures.exe_args(sys.argv, ["facteur"])
    missing = [p for p in PLUGINS + ["/usr/bin/sievec"]
               if not os.path.exists(p)]
    if missing:
        # meson's "skipped", naming the missing optional peer
        print("SKIP: missing peer: dovecot-sieve (Pigeonhole; no %s)" %
              ", ".join(missing))
        sys.exit(77)
    unittest.main(argv=sys.argv[:1], verbosity=2)
