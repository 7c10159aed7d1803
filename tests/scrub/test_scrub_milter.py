#!/usr/bin/python3
"""tests/scrub/test_scrub_milter.py - facteur-scrub over the milter
protocol (milterclient.py): an authenticated client's message loses
X-Mailer, User-Agent, X-Originating-IP, the remove_headers names and its
LAN Received hops (deleted from the last index down), keeps the relay
trace below the first public hop, and gets a fresh Message-ID on its From
domain; an internal_hosts client is scrubbed too; inbound mail is accepted
untouched at MAIL FROM; the log names what was removed, never a value.
usage: test_scrub_milter.py FACTEUR-SCRUB BUILDDIR
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "milter"))
from milterclient import MilterClient  # noqa: E402

MILTER, BUILD = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
FAILS = []

HEADERS = [
    ("Received", "from laptop (laptop.lan [192.168.1.23])\n\tby "
     "relay.lan (Postfix) with ESMTP id 4AB; Mon, 1 Jan 2024 10:00:00 +0100"),
    ("Received", "by laptop.lan (Postfix, from userid 1000) id 3C; "
     "Mon, 1 Jan 2024 09:59:59 +0100"),
    ("Received", "from mx.example.net (mx.example.net [198.51.100.9]) by "
     "laptop.lan; Mon, 1 Jan 2024 09:59:58 +0100"),
    ("From", "Alice <alice@example.org>"),
    ("To", "bob@example.net"),
    ("Subject", "scrub test"),
    ("Message-ID", "<1234.5678@laptop.lan>"),
    ("X-Mailer", "SecretMailer 9.1"),
    ("User-Agent", "Mozilla/5.0 SecretAgent"),
    ("X-Originating-IP", "[192.0.2.7]"),
    ("X-Internal-Ticket", "T-42"),
    ("X-Mail\u00e9r", "malformed name"),
]


# FACTEUR_MILTER_ENGINE=native|libmilter picks the milter protocol engine.
ENGINE = ("engine = %s\n" % os.environ["FACTEUR_MILTER_ENGINE"]
          if os.environ.get("FACTEUR_MILTER_ENGINE") else "")


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def run(sock, macros, addr):
    return MilterClient("unix:" + sock).message(
        macros=macros, connect=("client.example", addr, 4567),
        helo="client.example", mail_from="<alice@example.org>",
        rcpts=["<bob@example.net>"], headers=HEADERS, body=b"Hi.\r\n")


def deletions(r):
    return [(n, i) for (i, n, v) in r.changed if v == ""]


def check_scrubbed(r, who):
    want = [("Received", 2), ("Received", 1), ("X-Mailer", 1),
            ("User-Agent", 1), ("X-Originating-IP", 1),
            ("X-Internal-Ticket", 1)]
    got = deletions(r)
    check(sorted(got) == sorted(want), "%s: deleted %r, want %r" %
          (who, got, want))
    rec = [i for (n, i) in got if n == "Received"]
    check(rec == sorted(rec, reverse=True), "%s: Received deleted last "
          "index first: %r" % (who, rec))
    mid = [(i, v) for (i, n, v) in r.changed if n == "Message-ID" and v]
    check(len(mid) == 1 and re.fullmatch(r" ?<[0-9a-f]{32}@example\.org>",
                                         mid[0][1]) is not None,
          "%s: Message-ID replaced on the From domain: %r" % (who, mid))
    check(r.action in ("continue", "accept") and r.stage == "eom",
          "%s: accepted at eom: %r" % (who, r))


def main():
    tmp = tempfile.mkdtemp(dir=BUILD, prefix="scrub-milter-")
    conf = os.path.join(tmp, "facteur.conf")
    sock = os.path.join(tmp, "scrub.sock")
    logp = os.path.join(tmp, "scrub.log")
    with open(conf, "w") as f:
        f.write("[scrub]\nsocket = unix:%s\ninternal_hosts = 10.9.9.0/24\n"
                "remove_headers = X-Internal-Ticket\n"
                "replace_message_id = yes\n" % sock + ENGINE)
    chk = subprocess.run([MILTER, "-c", conf, "--check-config"],
                         capture_output=True, text=True, timeout=30)
    check(chk.returncode == 0, "--check-config accepts the config: %s" %
          chk.stderr.strip())
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("[scrub]\ninternal_hosts = 10.0.0.0/33\n")
    chk = subprocess.run([MILTER, "-c", bad, "--check-config"],
                         capture_output=True, text=True, timeout=30)
    check(chk.returncode != 0 and "internal_hosts" in chk.stderr,
          "--check-config refuses a bad CIDR: got %d %r" %
          (chk.returncode, chk.stderr.strip()))
    logf = open(logp, "wb")
    proc = subprocess.Popen([MILTER, "-f", "-c", conf], stderr=logf,
                            stdout=logf)
    try:
        end = time.monotonic() + 15
        while not os.path.exists(sock) and time.monotonic() < end:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        check(os.path.exists(sock), "facteur-scrub listens")
        auth = {"mail": {"{auth_authen}": "alice", "i": "QAUTH1"},
                "connect": {"j": "mx.facteur.test"}}
        check_scrubbed(run(sock, auth, "203.0.113.50"), "authenticated")
        internal = {"mail": {"i": "QINT1"}}
        check_scrubbed(run(sock, internal, "10.9.9.4"), "internal_hosts")
        r = run(sock, {"mail": {"i": "QIN1"}}, "198.51.100.77")
        check(r.changed == [] and r.added == [] and r.inserted == [],
              "inbound: no header edit: %r" % r)
        check(r.action == "accept" and r.stage == "mail",
              "inbound: accepted at MAIL FROM: %r" % r)
        # Our own masked hop on top (a loop through us) stops the walk.
        h2 = [("Received", "by mx.facteur.test (facteur) with ESMTPSA id "
               "Q0; Mon, 1 Jan 2024 10:00:00 +0000"),
              ("Received", "from pc ([10.0.0.5]) by relay.lan; d"),
              ("From", "alice@example.org")]
        r = MilterClient("unix:" + sock).message(
            macros=auth, connect=("c", "203.0.113.50", 1), helo="c",
            mail_from="<alice@example.org>", rcpts=["<b@example.net>"],
            headers=h2, body=b"x\r\n")
        check(deletions(r) == [], "own hop on top keeps the trace: %r" %
              r.changed)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        logf.close()
    log = open(logp, errors="replace").read()
    check(re.search(r"QAUTH1: scrub: removed Received,Received,X-Mailer,"
                    r"User-Agent,X-Originating-IP,X-Internal-Ticket; "
                    r"Message-ID replaced; 1 malformed", log) is not None,
          "log names what was removed, with the queue id")
    check(re.search(r"QINT1: scrub: removed", log) is not None,
          "log line for the internal client")
    check("QIN1" not in log, "no log line for inbound mail")
    for secret in ("SecretMailer", "SecretAgent", "192.0.2.7", "T-42",
                   "192.168.1.23", "1234.5678", "malformed name"):
        check(secret not in log, "log never shows the value %r" % secret)
    check("ERROR: AddressSanitizer" not in log and
          "runtime error" not in log, "no sanitizer report")
    check(not ENGINE or "(%s engine)" % ENGINE.split()[-1] in log,
          "listened with the engine of FACTEUR_MILTER_ENGINE")
    if FAILS:
        print(log)
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)


main()
