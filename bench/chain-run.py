#!/usr/bin/python3
"""bench/chain-run.py - the Postfix half of bench/chain.sh (read its
header): two private Postfix instances, side a with smtpd_milters = the
four separate facteur milters, side b with the one facteur-milter socket,
the same signed messages sent to each over SMTP in alternating runs
(a, b, a, b ...), and per run the CPU of the side's milter processes and
of its Postfix (master + live children + reaped children, from /proc),
the SMTP rate and latency; at the end the milters' Pss/RSS, the
deliveries (every accepted message delivered, none twice) and the
verdicts of both sides compared message by message. Standard library
only; run as root with /usr/bin/python3."""
import argparse
import os
import re
import smtplib
import sys
import threading
import time

TCK = os.sysconf("SC_CLK_TCK")
SENDER = "someone@bench.example"
RCPT = "bob@bench.example"


def stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    return s[s.rindex(")") + 2:].split()  # fields from 3 (state) on


def children():
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                kids.setdefault(int(stat(int(d))[1]), []).append(int(d))
            except OSError:
                pass
    return kids


def tree(roots):
    kids, todo, seen = children(), list(roots), set()
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo += kids.get(p, [])
    return seen


def ticks(pids):
    """utime+stime+cutime+cstime of pids and all their descendants."""
    total = 0
    for p in tree(pids):
        try:
            total += sum(int(x) for x in stat(p)[11:15])
        except OSError:
            pass
    return total


def memory(pids):
    """(Pss, VmRSS, VmHWM) KiB summed over pids and descendants."""
    pss = rss = hwm = 0
    for p in tree(pids):
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        hwm += int(line.split()[1])
        except OSError:
            pass
    return pss, rss, hwm


class Side:
    def __init__(self, name, harness, tmp, milters, pids):
        self.name = name
        self.pids = [int(p) for p in pids.split(",")]
        self.pf = harness.Postfix(os.path.join(tmp, "pf-" + name),
                                  main_cf_extra={
            "virtual_mailbox_domains": "bench.example",
            "virtual_mailbox_maps": "inline:{%s=bench.example/bob/}" % RCPT,
            "message_size_limit": "0",
            "smtpd_milters": milters.replace(",", ", "),
            "milter_default_action": "tempfail"})
        self.box = os.path.join(self.pf.mail_dir, "bench.example", "bob",
                                "new")
        self.accepted = 0
        self.runs = []

    def delivered(self):
        try:
            return len(os.listdir(self.box))
        except FileNotFoundError:
            return 0

    def settle(self, timeout):
        """Waits until every accepted message is delivered and the queue
        is empty; False on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.delivered() >= self.accepted:
                q = self.pf.queue()
                if "queue is empty" in q:
                    return True
            time.sleep(0.2)
        return False


def send_all(side, msgs, ids, conc, per_conn, secs):
    """Sends msgs[i % len] with header X-Bench-Id: ids[i]; returns
    (seconds, latencies, replies: dict code -> count)."""
    lock = threading.Lock()
    state = {"next": 0}
    lat, replies = [], {}
    deadline = time.monotonic() + secs

    def take():
        with lock:
            i = state["next"]
            if i >= len(ids) or time.monotonic() > deadline:
                return None
            state["next"] += 1
            return i

    def note(code, ms=None):
        with lock:
            replies[code] = replies.get(code, 0) + 1
            if ms is not None:
                lat.append(ms)

    def worker():
        i = take()
        while i is not None:
            try:
                with smtplib.SMTP(side.pf.host, side.pf.port,
                                  timeout=120) as s:
                    s.ehlo("client.bench")
                    for _ in range(per_conn):
                        raw = (b"X-Bench-Id: " + ids[i].encode() + b"\r\n" +
                               msgs[i % len(msgs)])
                        t0 = time.monotonic()
                        try:
                            s.sendmail(SENDER, [RCPT], raw)
                            note(250, (time.monotonic() - t0) * 1000)
                        except smtplib.SMTPResponseException as e:
                            note(e.smtp_code)
                            s.rset()
                        except smtplib.SMTPRecipientsRefused as e:
                            note(list(e.recipients.values())[0][0])
                            s.rset()
                        i = take()
                        if i is None:
                            break
            except (OSError, smtplib.SMTPException) as e:
                note("conn:" + type(e).__name__)
                i = take()

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - t0, lat, replies


def pct(v, p):
    if not v:
        return 0.0
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100.0))]


def run(side, msgs, ids, args):
    e0 = dict((p, ticks([p])) for p in side.pids)
    m0, p0 = sum(e0.values()), ticks([side.pf.master_pid()])
    secs, lat, replies = send_all(side, msgs, ids, args.conc,
                                  args.per_conn, args.secs)
    ok = replies.get(250, 0)
    side.accepted += ok
    if not side.settle(300):
        print("chain-run: %s: %d accepted, %d delivered after 300 s:\n%s" % (
            side.name, side.accepted, side.delivered(), side.pf.queue()),
            file=sys.stderr)
    time.sleep(0.5)
    e1 = dict((p, ticks([p])) for p in side.pids)
    m1, p1 = sum(e1.values()), ticks([side.pf.master_pid()])
    return {"msgs": ok, "sent": len(lat) + sum(
                v for k, v in replies.items() if k != 250),
            "secs": secs, "rate": ok / secs if secs else 0,
            "p50": pct(lat, 50), "p99": pct(lat, 99),
            "mcpu": (m1 - m0) * 1000.0 / TCK, "pcpu": (p1 - p0) * 1000.0 / TCK,
            "replies": replies,
            "each": dict((p, (e1[p] - e0[p]) * 1000.0 / TCK) for p in e0)}


HDR = re.compile(rb"^([!-9;-~]+):[ \t]*(.*(?:\r?\n[ \t].*)*)", re.M)


def verdicts(side):
    """id -> (spam flag, score, rules, dkim=, spf=) of each delivered message;
    and the ids seen more than once."""
    out, twice = {}, []
    for name in os.listdir(side.box):
        with open(os.path.join(side.box, name), "rb") as f:
            head = f.read().replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
        h = {}
        for k, v in HDR.findall(head):
            h.setdefault(k.lower().decode(), []).append(
                v.decode("utf-8", "replace"))
        bid = h.get("x-bench-id", ["?"])[0]
        st = " ".join(h.get("x-spam-status", [""]))
        score = re.search(r"score=(-?[0-9.]+)", st)
        ar = " ".join(a for a in h.get("authentication-results", [])
                      if a.startswith("mx.bench"))
        dk = re.search(r"dkim=(\w+)", ar)
        spf = re.search(r"spf=(\w+)", ar)
        tests = re.search(r"tests=(.*?)\s+autolearn", st, re.S)
        v = (" ".join(h.get("x-spam-flag", ["-"])),
             score.group(1) if score else "-",
             ",".join(sorted(re.split(r"[,\s]+", tests.group(1))))
             if tests else "-",
             dk.group(1) if dk else "-", spf.group(1) if spf else "-")
        if bid in out:
            twice.append(bid)
        out[bid] = v
    return out, twice


def main():
    ap = argparse.ArgumentParser()
    for k in ("harness", "tmp", "msgs", "a", "a-pids", "b", "b-pids",
              "title"):
        ap.add_argument("--" + k, required=True)
    for k in ("n", "rounds", "conc", "per-conn", "warm", "secs"):
        ap.add_argument("--" + k, type=int, required=True)
    args = ap.parse_args()
    sys.path.insert(0, args.harness)
    import harness

    msgs = []
    for name in sorted(os.listdir(args.msgs)):
        with open(os.path.join(args.msgs, name), "rb") as f:
            raw = f.read()
        msgs.append(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    sides = []
    try:
        sides.append(Side("a", harness, args.tmp, args.a, args.a_pids))
        sides.append(Side("b", harness, args.tmp, args.b, args.b_pids))
        for s in sides:
            run(s, msgs, ["w-%d" % i for i in range(args.warm)], args)
        for r in range(1, args.rounds + 1):
            ids = ["r%d-%d" % (r, i) for i in range(args.n)]
            for s in sides:
                res = run(s, msgs, ids, args)
                s.runs.append(res)
                print("round %d %s: %d/%d accepted in %.2f s, milters %.0f ms, "
                      "postfix %.0f ms, replies %s" % (
                          r, s.name, res["msgs"], res["sent"], res["secs"],
                          res["mcpu"], res["pcpu"], res["replies"]),
                      flush=True)
        report(args, sides, msgs)
    finally:
        for s in sides:
            s.pf.close()
    bad = [s for s in sides for r in s.runs if r["msgs"] != args.n]
    sys.exit(1 if bad or LOST else 0)


LOST = []


def report(args, sides, msgs):
    names = {}
    for s in sides:
        for p in s.pids:
            try:
                with open("/proc/%d/comm" % p) as f:
                    names[p] = f.read().strip()
            except OSError:
                pass
    mem = dict((s.name, memory(s.pids)) for s in sides)
    print(args.title)
    print("%d messages per run, %d rounds a,b interleaved, %d SMTP "
          "sessions at once, %d msgs/session, after %d warm-up messages" % (
              args.n, args.rounds, args.conc, args.per_conn, args.warm))
    print("  a = smtpd_milters: %s" % args.a)
    print("  b = smtpd_milters: %s (modules = blacklist, scrub, dkim, spam)"
          % args.b)
    cols = ("msgs", "msgs/s", "p50 ms", "p99 ms", "milter cpu", "pf cpu",
            "total cpu", "Pss MiB", "RSS MiB", "HWM MiB")
    print("%-5s" % "side" + "".join("%11s" % c for c in cols))
    row = {}
    for s in sides:
        n = sum(r["msgs"] for r in s.runs) or 1
        rr = len(s.runs) or 1
        m = sum(r["mcpu"] for r in s.runs) / n
        p = sum(r["pcpu"] for r in s.runs) / n
        pss, rss, hwm = mem[s.name]
        row[s.name] = (n / rr, sum(r["rate"] for r in s.runs) / rr,
                       sum(r["p50"] for r in s.runs) / rr,
                       sum(r["p99"] for r in s.runs) / rr, m, p, m + p,
                       pss / 1024.0, rss / 1024.0, hwm / 1024.0)
        print("%-5s" % s.name + "%11d" % row[s.name][0] +
              "".join("%11.2f" % x for x in row[s.name][1:]))
    a, b = row["a"], row["b"]
    print("%-5s" % "b/a" + "%11s" % "" + "".join(
        "%11.2f" % (y / x if x else 0) for x, y in zip(a[1:], b[1:])))
    print("cpu columns: ms of CPU per message; milter = sum over the side's "
          "milter processes, pf = its Postfix (smtpd, cleanup, qmgr, "
          "virtual, ...); p50/p99: SMTP MAIL..end-of-DATA; memory: sum over "
          "the milter processes after the runs")
    for s in sides:
        n = sum(r["msgs"] for r in s.runs) or 1
        print("  %s milter cpu ms/msg by process: %s" % (s.name, ", ".join(
            "%s %.3f" % (names.get(p, p), sum(r["each"][p] for r in s.runs)
                         / n) for p in s.pids)))
    got = {}
    for s in sides:
        v, twice = verdicts(s)
        got[s.name] = v
        if len(v) != s.accepted or twice:
            LOST.append(s.name)
            print("! side %s: %d accepted, %d delivered distinct, "
                  "duplicates %s" % (s.name, s.accepted, len(v), twice[:5]))
        yes = sum(1 for x in v.values() if x[0] == "YES")
        dk = sum(1 for x in v.values() if x[3] == "pass")
        spf = sum(1 for x in v.values() if x[4] == "pass")
        print("  %s delivered %d: X-Spam-Flag YES %d, dkim=pass %d, "
              "spf=pass %d" % (s.name, len(v), yes, dk, spf))
    common = set(got["a"]) & set(got["b"])
    diff = sorted(k for k in common if got["a"][k] != got["b"][k])
    print("  verdicts (flag, score, rules hit, dkim, spf) differ on %d of %d messages "
          "both delivered%s" % (len(diff), len(common), "".join(
              "\n    %s: a %s b %s" % (k, got["a"][k], got["b"][k])
              for k in diff[:5])))


main()
