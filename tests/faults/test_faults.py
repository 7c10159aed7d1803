#!/usr/bin/python3
"""tests/faults/test_faults.py - faults under load, nothing lost.

A private Postfix with every facteur daemon (stack.py) takes a bounded SMTP
load (load.py) while one fault at a time hits the stack: each daemon
SIGKILLed and restarted (twice; lmtp four times), the database held in
a write transaction (BEGIN EXCLUSIVE and a write; WAL readers must go
on), the DNS server stopped (SIGSTOP; then again with the DNSBL answer
cached, so that facteur-dkim's lookups are the ones that fail), the
Maildir filesystem full; then facteur-milter in place of the four
milters, SIGKILLed too. One message in three goes to two recipients.
Afterwards Postfix's queue is flushed and, bounded in time, every message
Postfix accepted (250 at the end of DATA) must be in its recipient's
Maildir exactly once (counted by Message-ID, per recipient), and:

  - no message refused with a 5xx but the blacklisted sender's probes
    (on_error = tempfail and milter_default_action = tempfail: a fault is
    a 4xx, never a permanent refusal), and never one of those accepted;
  - every delivered message went through every milter (dkim's
    Authentication-Results, spam's X-Spam-Flag, scrub removed X-Mailer):
    a dead milter means tempfail, not mail let through unfiltered;
  - nothing delivered that Postfix did not accept, nothing bounced;
  - no daemon exited on its own, and no sanitizer report.

Prints the fault table. Environment:
FAULTS_LIMIT (messages per phase, 400), FAULTS_RATE (messages a second,
30), FAULTS_KILLS (SIGKILLs per kill phase, default 2, 4 for lmtp),
FAULTS_ONLY (a regex: run only the phases it matches), FAULTS_MAILFS
(tmpfs, or ext4 on a loop file: real fsyncs). The defaults are
what `meson test --suite faults` runs; the others are for hunting.

usage: test_faults.py BUILD-DIR   (as root)
"""

import itertools
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import load  # noqa: E402
import stack  # noqa: E402
from stack import harness  # noqa: E402

LIMIT = int(os.environ.get("FAULTS_LIMIT", "400"))
RATE = float(os.environ.get("FAULTS_RATE", "30"))
KILLS = int(os.environ.get("FAULTS_KILLS", "0"))   # 0: as PHASES says
LEAD, TAIL = 2.0, 3.0
FAILS = []
AR = {}     # phase -> {"A-R spf=pass dmarc=...": count}


def check(cond, what):
    if not cond:
        if len(FAILS) < 40:
            print("FAIL " + what)
        elif len(FAILS) == 40:
            print("FAIL ... (only the first 40 are shown)")
        FAILS.append(what)
    return cond


def binaries(build):
    exe = {"facteur": "admin/facteur", "lookup": "lookup/facteur-lookup",
           "lmtp": "delivery/facteur-lmtp",
           "milter": "milters/chain/facteur-milter"}
    for m in stack.MILTERS:
        exe[m] = "milters/%s/facteur-%s" % (m, m)
    exe = {k: os.path.join(build, v) for k, v in exe.items()}
    for k, v in exe.items():
        if not os.access(v, os.X_OK):  # meson built it: a harness bug
            print("FAIL: %s not built (%s)" % (k, v))
            sys.exit(1)
    return exe


def peers():
    for p in ("/usr/sbin/postfix", "/usr/sbin/knotd"):
        if not os.access(p, os.X_OK):
            print("SKIP: missing peer: %s (%s)" % (os.path.basename(p), p))
            sys.exit(77)
    if os.geteuid() != 0:
        print("SKIP: missing peer: root (Postfix, tmpfs mount)")
        sys.exit(77)


# ------------------------------------------------------------ the faults
# Each takes about five seconds and leaves the stack whole again.

def kill(name, times=2):
    def fault(st):
        n = KILLS or times
        for _ in range(n):
            st.kill(name)
            time.sleep(3.0 / n)
            st.start(name)
            time.sleep(1.0 / n)
    return fault


def db_lock(st):
    p = st.lock_db(4.0)
    p.wait(20)


def dns_stop(st):
    st.dns.pause()
    try:
        time.sleep(4.0)
    finally:
        st.dns.resume()


def dns_stop_dnsbl_cached(st):
    """The DNSBL answer for 127.0.0.1 gets an hour's TTL (127.0.0.1, "never
    a listing"): facteur-blacklist answers from its cache, and the
    messages reach facteur-dkim, whose SPF and DMARC lookups time out."""
    st.dns.set_records("bl.test", [("1.0.0.127", "A", "127.0.0.1", 3600)])
    time.sleep(2.0)
    dns_stop(st)


def fs_full(st):
    left = st.mailfs.fill()
    check(left == 0, "mail filesystem full: %d blocks left" % left)
    try:
        time.sleep(4.0)
    finally:
        st.mailfs.free()


# (name, milters mode, fault, what must be seen: "4xx" some client got a
# tempfail, "deferred" some delivery was deferred, "no 4xx" no client got
# a tempfail, "temperror" a message delivered with a DNS temperror in
# facteur-dkim's Authentication-Results, None nothing required). The database is in WAL mode: a
# write transaction blocks writers only, and every daemon only reads it
# on the mail path, so holding it must change nothing.
PHASES = [
    ("none", "separate", None, None),
    ("kill lookup", "separate", kill("lookup"), "4xx"),
    ("kill lmtp", "separate", kill("lmtp", 4), "deferred"),
    ("kill blacklist", "separate", kill("blacklist"), "4xx"),
    ("kill scrub", "separate", kill("scrub"), "4xx"),
    ("kill dkim", "separate", kill("dkim"), "4xx"),
    ("kill spam", "separate", kill("spam"), "4xx"),
    ("db write lock", "separate", db_lock, "no 4xx"),
    ("dns stopped", "separate", dns_stop, "4xx"),
    ("dns stopped, bl cached", "separate", dns_stop_dnsbl_cached,
     "temperror"),
    ("mail fs full", "separate", fs_full, "deferred"),
    ("chain: none", "chain", None, None),
    ("chain: kill milter", "chain", kill("milter"), "4xx"),
]


def run_phase(st, name, fault, counter):
    tag = re.sub(r"\W+", "-", name).strip("-")
    ld = load.Load(st.pf.host, st.pf.port, stack.USERS, stack.SENDER,
                   stack.BLOCKED, tag, counter, limit=LIMIT,
                   rate=RATE).start()
    t0 = time.monotonic()
    time.sleep(LEAD)
    if fault is not None:
        fault(st)
    time.sleep(TAIL)
    recs = ld.stop()
    dead = {n: rc for n, rc in st.alive().items() if rc is not None}
    check(not dead, "%s: daemons exited on their own: %r" % (name, dead))
    print("phase %-22s %4d messages in %.1fs" % (name, len(recs),
                                               time.monotonic() - t0))
    return recs


def drain(st, records, timeout=90):
    """Flushes the queue until it is empty and every accepted message is
    in some Maildir, or the time is up; returns the Maildir index."""
    want = {r.msgid for r in records if r.accepted()}
    deadline = time.monotonic() + timeout
    while True:
        idx = load.maildir_index(st.mail_root)
        empty = "Mail queue is empty" in st.pf.queue()
        if (empty and want <= set(idx)) or time.monotonic() > deadline:
            return idx
        st.pf.flush()
        time.sleep(1)


def postfix_log(st):
    """qid -> list of (status, reason) of Postfix's delivery attempts."""
    out = {}
    rx = re.compile(r"postfix/\w+\[\d+\]: ([0-9A-F]+): to=<[^>]*>.*?"
                    r" status=(\w+) \((.*)\)$", re.M)
    for qid, status, reason in rx.findall(st.pf.log()):
        out.setdefault(qid, []).append((status, reason))
    return out


def marks_missing(path):
    head = load.header_block(path)
    miss = []
    if not re.search(r"(?mi)^Authentication-Results: %s;" %
                     re.escape(stack.AUTHSERV), head):
        miss.append("dkim A-R")
    if not re.search(r"(?mi)^X-Spam-Flag: ", head):
        miss.append("spam X-Spam-Flag")
    if re.search(r"(?mi)^X-Mailer: ", head):
        miss.append("scrub X-Mailer")
    return miss


def account(phase, recs, idx, plog, mail_root):
    row = {"fault": phase, "sent": len(recs), "250": 0, "4xx": 0,
           "5xx": 0, "drop": 0, "deferred": 0, "delivered": 0, "dup": 0,
           "lost": 0}
    for r in recs:
        row[r.kind()] += 1
        paths = idx.get(r.msgid, [])
        if r.blocked():
            check(not r.accepted() and r.kind() != "drop",
                  "%s: blacklisted %s got %s %r" % (phase, r.msgid,
                                                   r.kind(), r.text))
            continue
        check(r.kind() not in ("5xx", "drop"), "%s: %s refused at %s: %s %r"
              % (phase, r.msgid, r.stage, r.code, r.text))
        if not r.accepted():
            check(not paths, "%s: %s delivered without a 250 (%s %r)" % (
                phase, r.msgid, r.code, r.text))
            continue
        hist = plog.get(r.qid, [])
        if any(s == "deferred" for s, _ in hist):
            row["deferred"] += 1
        check(not any(s == "bounced" for s, _ in hist),
              "%s: %s (%s) bounced: %r" % (phase, r.msgid, r.qid, hist))
        row[delivery(phase, r, paths, hist, mail_root)] += 1
    return row


def delivery(phase, r, paths, hist, mail_root):
    """'delivered', 'dup' or 'lost': each recipient RCPT TO accepted has
    exactly one copy in its own Maildir, the others none."""
    want = {os.path.join(mail_root, "example.org", a.split("@")[0]) + os.sep
            for a in r.ok_rcpts}
    got = {}
    for p in paths:
        box = [w for w in want if p.startswith(w)]
        check(box, "%s: %s in %s, want one of %s" % (phase, r.msgid, p,
                                                    sorted(want)))
        got[box[0] if box else p] = got.get(box[0] if box else p, 0) + 1
    if any(n > 1 for n in got.values()):
        check(False, "%s: %s delivered more than once: %s" % (
            phase, r.msgid, paths))
        return "dup"
    if set(got) != want:
        check(False, "%s: %s (%s) accepted for %s, delivered to %s: %r" % (
            phase, r.msgid, r.qid, r.ok_rcpts, sorted(got), hist))
        return "lost"
    miss = marks_missing(paths[0])
    check(not miss, "%s: %s delivered unfiltered: %s" % (
        phase, r.msgid, ", ".join(miss)))
    ar = re.search(r"(?mi)^Authentication-Results: %s;((?:.*\n[ \t])*.*)"
                   % re.escape(stack.AUTHSERV), load.header_block(paths[0]))
    if ar:
        k = "A-R " + " ".join(re.findall(r"\b(?:spf|dkim|dmarc)=\w+",
                                         ar.group(1)))
        AR.setdefault(phase, {}).setdefault(k, 0)
        AR[phase][k] += 1
    return "delivered"


COLS = [("fault", "fault", 22), ("sent", "sent", 5), ("250", "250", 5),
        ("4xx", "4xx", 5), ("5xx", "5xx", 4), ("deferred", "defer", 5),
        ("delivered", "deliv", 5), ("dup", "dup", 4), ("lost", "lost", 4)]


def print_table(rows):
    print("\n" + " ".join("%-*s" % (w, h) if k == "fault" else
                          "%*s" % (w, h) for k, h, w in COLS))
    total = {k: 0 for k, _, _ in COLS[1:]}
    for row in rows + [dict(total, fault="total")]:
        if row["fault"] != "total":
            for k in total:
                total[k] += row[k]
        else:
            row = dict(total, fault="total")
        print(" ".join("%-*s" % (w, row[k]) if k == "fault" else
                       "%*d" % (w, row[k]) for k, _, w in COLS))
    print("(5xx: the blacklisted sender's probes, one in 25; defer: "
          "accepted messages Postfix deferred at least once)")


def replies(phases, plog):
    """What the admin sees, per phase: the distinct 4xx replies clients
    got and the distinct reasons of deferred deliveries (queue ids and
    numbers blanked)."""
    def norm(t):
        t = re.sub(r"<[^>]*>", "<...>", t)
        return re.sub(r"\b[0-9A-F]{8,}\b|\d+\.\d+s|\[\d+\]", "#", t)
    print("")
    for name, recs, _ in phases:
        seen = {}
        for r in recs:
            if r.kind() == "4xx":
                k = "%s %d %s" % (r.stage, r.code, norm(r.text))
                seen[k] = seen.get(k, 0) + 1
            for s, reason in plog.get(r.qid, []) if r.qid else []:
                if s == "deferred":
                    k = "deferred: " + norm(reason)
                    seen[k] = seen.get(k, 0) + 1
        seen.update(AR.get(name, {}))
        for k, n in sorted(seen.items(), key=lambda x: -x[1])[:5]:
            print("%-22s %4d x %s" % (name, n, k[:100]))


def expectations(rows, want):
    for row, w in zip(rows, want):
        if w == "4xx":
            check(row["4xx"] > 0, "%s: no client saw a tempfail" %
                  row["fault"])
        elif w == "temperror":
            check(any("temperror" in k for k in AR.get(row["fault"], {})),
                  "%s: no Authentication-Results with temperror: %r" % (
                      row["fault"], AR.get(row["fault"])))
        elif w == "no 4xx":
            check(row["4xx"] == 0, "%s: %d tempfails, want none" % (
                row["fault"], row["4xx"]))
        elif w == "deferred":
            check(row["deferred"] > 0, "%s: no delivery was deferred" %
                  row["fault"])


def run(st):
    st.start_all("separate")
    counter = itertools.count(1)
    phases = []
    mode = "separate"
    only = re.compile(os.environ.get("FAULTS_ONLY", ""))
    for name, m, fault, want in PHASES:
        if not only.search(name):
            continue
        if m != mode:
            st.set_milters(m)
            mode = m
            time.sleep(1)
        phases.append((name, run_phase(st, name, fault, counter), want))
    t0 = time.monotonic()
    records = [r for _, recs, _ in phases for r in recs]
    idx = drain(st, records)
    print("drained in %.1fs" % (time.monotonic() - t0))
    plog = postfix_log(st)
    rows = [account(n, recs, idx, plog, st.mail_root)
            for n, recs, _ in phases]
    print_table(rows)
    replies(phases, plog)
    expectations(rows, [w for _, _, w in phases])
    known = {r.msgid for r in records}
    stray = [k for k in idx if k not in known]
    check(not stray, "delivered messages nobody sent: %r" % stray[:5])
    fs_full = [reason for n, recs, _ in phases if n == "mail fs full"
               for r in recs for s, reason in plog.get(r.qid, [])
               if s == "deferred"]
    if fs_full:
        check(any("4.3.1" in x for x in fs_full),
              "mail fs full: deferred, but not 452 4.3.1: %r" % fs_full[:3])


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    peers()
    exe = binaries(os.path.abspath(sys.argv[1]))
    tmp = harness.TmpDir("faults")
    st = None
    t0 = time.monotonic()
    try:
        st = stack.Stack(exe, tmp.path)
        run(st)
    except Exception as e:
        check(False, "%s: %s" % (type(e).__name__, e))
        raise
    finally:
        if st is not None:
            st.close()
            rep = st.sanitizer_reports()
            check(not rep, "sanitizer reports: %r" % rep)
        if FAILS:
            tmp.keep = True
        tmp.close()
    print("total %.1fs" % (time.monotonic() - t0))
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)
    print("ok: nothing lost, nothing duplicated, every on_error kept")


main()
