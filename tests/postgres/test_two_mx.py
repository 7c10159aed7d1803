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
    every Message-ID is in the Maildirs exactly once.
Runs in ~25 s, as root; shares nothing with other tests but free ports.

usage: test_two_mx.py FACTEUR FACTEUR_LOOKUP
"""
import os
import re
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402
from pgserver import PG  # noqa: E402

FACTEUR = LOOKUP = None
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


def main():
    global FACTEUR, LOOKUP, SERVER
    FACTEUR, LOOKUP = (os.path.abspath(p) for p in sys.argv[1:3])
    del sys.argv[1:3]
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
