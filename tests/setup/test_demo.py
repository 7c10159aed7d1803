#!/usr/bin/python3
"""`make demo` (scripts/demo) as make test runs it: on free loopback
ports (DEMO_FREE_PORTS=1), with the build under test. The demo applies
`facteur setup --apply` to a stock Debian 12 tree and starts a private
Postfix + Dovecot with facteur-lookup, facteur-lmtp and facteur-milter on
it; every scene must show: ham delivered DKIM-signed with X-Spam-Status,
GTUBE filed into Spam by the global Sieve rule, +detail into its folder,
IMAP login, the blacklisted sender refused with its stored reply, then
`facteur selftest` and `facteur doctor` passing on that stack, and no
socket of the demo's processes outside loopback.

Usage: test_demo.py SRCDIR BUILDDIR (as root; skipped without postfix,
dovecot-core or knot). Runtime: about 40 s."""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402


def main():
    src, build = sys.argv[1], os.path.abspath(sys.argv[2])
    harness.require_root("Postfix and Dovecot start as root")
    harness.require_peers({"postfix": harness.POSTFIX,
                           "dovecot-core": harness.DOVECOT,
                           "knot": "/usr/sbin/knotd"})
    env = dict(os.environ, BUILD=build, DEMO_FREE_PORTS="1")
    p = subprocess.run([os.path.join(src, "scripts", "demo")], env=env,
                       capture_output=True, text=True, timeout=600)
    out = p.stdout + p.stderr
    print(out)
    want = [
        r"nothing to change",                               # idempotent
        r"configuration ok",                                # lmtp as vmail
        r"DKIM-Signature: v=1; a=rsa-sha256; d=example\.org",
        r"X-Spam-Status: No, score=",                       # ham scored
        r"alice/\.Spam/new/",
        r"X-Spam-Status: Yes, score=1000\.0",               # GTUBE
        r"alice/\.news/new/",                               # +detail
        r"LOGIN alice@example\.org -> OK",
        r"LIST -> INBOX, Spam, news",
        r"LOGIN with a wrong password -> refused",
        r"MAIL FROM  -> 554 5\.7\.1 Parle a ma main",       # blacklist
        r"selftest: ok \(0 FAIL\)",
        r"checks: 0 FAIL",
        r"doctor: exit 0",
        r"all on loopback",
    ]
    missing = [w for w in want if not re.search(w, out)]
    if p.returncode != 0 or missing:
        print("FAIL: demo exit %d, missing: %r" % (p.returncode, missing))
        return 1
    print("ok: every scene of the demo shown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
