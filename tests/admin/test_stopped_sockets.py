#!/usr/bin/python3
"""A daemon stopped cleanly (SIGTERM) removes its unix socket, so a
stopped daemon is a missing socket file, not "connection refused" on a
file left behind (issue 12): facteur-lookup and facteur-lmtp (lib/server)
and facteur-milter's native engine (lib/milter; libmilter removes its
own socket itself).

usage: test_stopped_sockets.py FACTEUR LOOKUP LMTP MILTER (the daemons
stay the user running it). Runtime: about 2 s."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import fixtures  # noqa: E402
import harness  # noqa: E402

FACTEUR = LOOKUP = LMTP = MILTER = None


class StoppedSockets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TmpDir("sock")
        t = cls.tmp.path
        cls.db = os.path.join(t, "facteur.sqlite")
        os.mkdir(os.path.join(t, "mail"))
        cls.sock = {n: os.path.join(t, n + ".sock")
                    for n in ("lookup", "lmtp", "milter")}
        cls.conf = fixtures.write_conf(os.path.join(t, "facteur.conf"), {
            "database": {"path": cls.db},
            "lookup": {"socket": cls.sock["lookup"], "user": ""},
            "lmtp": {"socket": cls.sock["lmtp"], "user": "", "group": "",
                     "socket_group": "", "mail_root": os.path.join(t, "mail"),
                     "sieve_before": ""},
            "milter": {"socket": "unix:" + cls.sock["milter"],
                       "modules": "scrub"}})
        harness.run([FACTEUR, "-c", cls.conf, "db", "init"])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def stop_leaves_no_socket(self, name, argv, env=None):
        path = self.sock[name]
        d = harness.Daemon(argv, name, self.tmp.path, timeout=60, env=env,
                           ready=lambda: harness.unix_socket_open(path))
        rc = d.close()
        self.assertEqual(rc, 0, "%s exit %d: %s" % (name, rc, d.log()))
        self.assertFalse(os.path.lexists(path), "%s: socket %s left after "
                         "a clean stop:\n%s" % (name, path, d.log()))
        self.assertEqual(d.sanitizer_report(), "")

    def test_lookup_removes_its_socket(self):
        self.stop_leaves_no_socket("lookup", [LOOKUP, "-f", "-c", self.conf])

    def test_lmtp_removes_its_socket(self):
        self.stop_leaves_no_socket("lmtp", [LMTP, "-f", "-c", self.conf])

    def test_milter_native_removes_its_socket(self):
        env = dict(os.environ)
        env.pop("FACTEUR_MILTER_ENGINE", None)
        self.stop_leaves_no_socket("milter", [MILTER, "-f", "-c",
                                              self.conf], env=env)


if __name__ == "__main__":
    FACTEUR, LOOKUP, LMTP, MILTER = sys.argv[1:5]
    del sys.argv[1:5]
    unittest.main(verbosity=2)
