#!/usr/bin/python3
"""bench/stack-run.py - the Postfix half of bench/stack.sh (read its
header). One private Postfix per configuration (tests/integration/
harness.py), each with virtual_transport = lmtp:unix:<its LMTP socket>
and smtpd_milters = <its milters>; then rounds of runs, the
configurations alternating inside each round in --only's order (1, 2,
..., 1, 2, ...).

A run: smtp-source -s SESSIONS -m N -F MSG to a recipient of its own
(c<config>r<round>@bench.example, so every run starts from an empty
Maildir); it ends when the Maildir holds N files and Postfix's queue
directories are empty (read on disk: postqueue would start showq and be
counted). Then every file in the Maildir (new/, cur/ and every folder)
is read and counted by the queue id of Postfix's Received: field: fewer
than N distinct ids, or an id twice, fails the run. msg/s is N over the
time from smtp-source's start to the mtime of the last file delivered.

CPU: before and after each run, for each daemon (Postfix = master and
all its descendants; the others = the pids stack.sh gives and all their
descendants), utime+stime of each live process and cutime+cstime of
each (children reaped during the run move from the first to the
second), from /proc/<pid>/stat. Peak Pss: a thread sums smaps_rollup's
Pss over each daemon's tree every second during the runs and keeps the
largest. Standard library only; run as root with /usr/bin/python3."""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

TCK = os.sysconf("SC_CLK_TCK")
SENDER = "someone@bench.example"
DOMAIN = "bench.example"
SMTP_SOURCE = "/usr/sbin/smtp-source"
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")


def stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    return s[s.index("(") + 1:s.rindex(")")], s[s.rindex(")") + 2:].split()


def tree(roots):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                kids.setdefault(int(stat(int(d))[1][1]), []).append(int(d))
            except (OSError, IndexError):
                pass
    todo, seen = [p for p in roots if p > 0], set()
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo += kids.get(p, [])
    return seen


def cpu_ns(pid, f):
    """CPU of one process in ns: utime+stime from stat (whole thread
    group, clock ticks), replaced by the sum of its threads' schedstat
    run time (ns) when that agrees, i.e. when no thread has exited: a
    Postfix or Dovecot process uses a few ms per run, so ticks alone
    would lose most of it to rounding."""
    ticks = (int(f[11]) + int(f[12])) * 1e9 / TCK
    run = 0
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as s:
                run += int(s.read().split()[0])
    except (OSError, ValueError, IndexError):
        return ticks
    return run if ticks <= run < ticks + 1.5e9 / TCK else ticks


def snapshot(roots):
    """{comm: self CPU ns} of every live process of the tree, and the sum
    of cutime+cstime (ns) over the tree (the reaped children)."""
    by, reaped = {}, 0
    for p in tree(roots):
        try:
            comm, f = stat(p)
            v = cpu_ns(p, f)
        except OSError:
            continue
        by[comm] = by.get(comm, 0) + v
        reaped += (int(f[13]) + int(f[14])) * 1e9 / TCK
    return by, reaped


def delta(a, b):
    """ms of CPU by process name (and 'reaped') from two snapshots."""
    out = {}
    for k in set(a[0]) | set(b[0]):
        v = b[0].get(k, 0) - a[0].get(k, 0)
        if v:
            out[k] = v / 1e6
    if b[1] != a[1]:
        out["(reaped)"] = (b[1] - a[1]) / 1e6
    return out


def pss(roots):
    total = 0
    for p in tree(roots):
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


class PeakPss(threading.Thread):
    def __init__(self, groups):
        super().__init__(daemon=True)
        self.cur = (0, groups)  # config id, name -> callable giving pids
        self.peak = {}
        self.on = threading.Event()
        self.stop = False

    def sample(self):
        key, groups = self.cur
        for k, roots in groups.items():
            k = (key, k)
            self.peak[k] = max(self.peak.get(k, 0), pss(roots()))

    def run(self):
        while not self.stop:
            self.on.wait()
            self.sample()
            time.sleep(1.0)


def mailfiles(box):
    """Every message file of a Maildir (INBOX and folders)."""
    out = []
    for d, _, files in os.walk(box):
        if os.path.basename(d) in ("new", "cur"):
            out += [os.path.join(d, f) for f in files]
    return out


QID = re.compile(rb"^Received:[^\n]*(?:\n[ \t][^\n]*)*?\(Postfix\) with "
                 rb"E?SMTP id ([0-9A-Za-z]+)", re.M)


def queue_ids(files):
    ids, noid = {}, 0
    for p in files:
        with open(p, "rb") as f:
            head = f.read(16384).replace(b"\r\n", b"\n").split(b"\n\n")[0]
        m = QID.search(head)
        if m is None:
            noid += 1
        else:
            ids[m.group(1)] = ids.get(m.group(1), 0) + 1
    return ids, noid


class Config:
    def __init__(self, c, harness, tmp):
        self.__dict__.update(c)
        self.pf = harness.Postfix(os.path.join(tmp, "pf-%d" % self.id),
                                  main_cf_extra={
            "virtual_mailbox_domains": DOMAIN,
            "virtual_mailbox_maps": "static:ok",
            "virtual_transport": "lmtp:unix:" + self.lmtp,
            "message_size_limit": "0",
            # short ids (inode + microseconds) can repeat within a run
            "enable_long_queue_ids": "yes",
            "smtpd_milters": self.milters,
            "milter_default_action": "tempfail"})
        self.runs = []

    def groups(self):
        g = {"postfix": lambda: [self.pf.master_pid() or 0]}
        for name, pids in self.procs:
            g[name] = (lambda p=pids: p)
        return g

    def queued(self):
        n = 0
        for q in QUEUES:
            for _, _, files in os.walk(os.path.join(self.pf.queue_dir, q)):
                n += len(files)
        return n


def run(cfg, user, n, args, sampler):
    box = cfg.box.format(user=user.split("@")[0])
    before = dict((k, snapshot(f())) for k, f in cfg.groups().items())
    sampler.cur = (cfg.id, cfg.groups())
    sampler.on.set()
    t0 = time.time()
    src = subprocess.Popen(
        [SMTP_SOURCE, "-s", str(args.sessions), "-m", str(n), "-f", SENDER,
         "-t", user, "-F", args.msg, "-M", "client.bench",
         "%s:%d" % (cfg.pf.host, cfg.pf.port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    end, err = t0 + args.secs, ""
    files = []
    while time.time() < end:
        time.sleep(0.25)
        if src.poll() is not None and src.returncode != 0:
            err = "smtp-source exit %d: %s" % (
                src.returncode, src.stdout.read().decode()[-300:])
            break
        files = mailfiles(box)
        if len(files) >= n and src.poll() is not None and \
                cfg.queued() == 0:
            break
    if src.poll() is None:
        src.kill()
        src.wait()
        err = err or "smtp-source still running after %d s" % args.secs
    sampler.on.clear()
    sampler.sample()
    time.sleep(0.3)
    after = dict((k, snapshot(f())) for k, f in cfg.groups().items())
    files = mailfiles(box)
    last = max((os.stat(p).st_mtime for p in files), default=t0)
    ids, noid = queue_ids(files)
    dup = sum(v - 1 for v in ids.values())
    if not err and (len(ids) != n or dup or noid):
        err = "%d sent, %d files, %d distinct queue ids, %d duplicated, " \
              "%d without a Postfix id" % (n, len(files), len(ids), dup,
                                            noid)
    secs = max(last - t0, 1e-3)
    return {"n": n, "secs": secs, "rate": n / secs, "err": err,
            "cpu": dict((k, delta(before[k], after[k])) for k in before)}


def fmt_each(d, n):
    return ", ".join("%s %.3f" % (k, v / n) for k, v in
                     sorted(d.items(), key=lambda kv: -kv[1]) if v / n >= 0.0005)


def main():
    ap = argparse.ArgumentParser()
    for k in ("harness", "tmp", "msg", "configs", "only", "title"):
        ap.add_argument("--" + k, required=True)
    for k in ("rounds", "sessions", "warm", "secs"):
        ap.add_argument("--" + k, type=int, required=True)
    args = ap.parse_args()
    sys.path.insert(0, args.harness)
    import harness

    only = [int(x) for x in args.only.split()]
    with open(args.configs) as f:
        wanted = sorted((c for c in json.load(f) if c["id"] in only),
                        key=lambda c: only.index(c["id"]))
    cfgs, failed = [], []
    sampler = PeakPss({})
    sampler.start()
    try:
        for c in wanted:
            cfgs.append(Config(c, harness, args.tmp))
        for c in cfgs:
            w = run(c, "c%dr0@%s" % (c.id, DOMAIN), args.warm, args, sampler)
            if w["err"]:
                failed.append("warm-up %s: %s" % (c.key, w["err"]))
                print("warm-up %s FAILED: %s" % (c.key, w["err"]), flush=True)
        for r in range(1, args.rounds + 1):
            for c in cfgs:
                res = run(c, "c%dr%d@%s" % (c.id, r, DOMAIN), c.n, args,
                          sampler)
                c.runs.append(res)
                tot = sum(sum(v.values()) for v in res["cpu"].values())
                each = " ".join("%s %.3f" % (short(g), sum(v.values()) /
                                             res["n"])
                                for g, v in res["cpu"].items())
                print("round %d %-9s %5d msgs %6.2f s %7.1f msg/s  cpu "
                      "%.2f ms/msg (%s)%s" % (r, c.key, res["n"],
                                              res["secs"], res["rate"],
                                              tot / res["n"], each,
                                              "  FAILED: " + res["err"]
                                              if res["err"] else ""),
                      flush=True)
                if res["err"]:
                    failed.append("round %d %s: %s" % (r, c.key, res["err"]))
        sampler.stop = True
        report(args, cfgs, sampler.peak)
    finally:
        for c in cfgs:
            c.pf.close()
    for f in failed:
        print("FAILED " + f)
    sys.exit(1 if failed else 0)


def per_msg(c, group):
    """CPU ms per message of one daemon over all rounds, and per round."""
    rounds = [sum(r["cpu"].get(group, {}).values()) / r["n"]
              for r in c.runs]
    n = sum(r["n"] for r in c.runs) or 1
    return sum(sum(r["cpu"].get(group, {}).values()) for r in c.runs) / n, \
        rounds


def short(g):
    """Column name: facteur-lmtp -> f-lmtp, spamass-milter -> spamass-m."""
    return ("f-" + g[8:] if g.startswith("facteur-") else g)[:9]


def report(args, cfgs, peak):
    print()
    print("bench/stack: " + args.title)
    print("%d rounds, configurations interleaved in each; %d SMTP sessions "
          "at once, 1 message per session; CPU in ms per message "
          "(utime+stime, whole process trees); Pss: peak over the runs"
          % (args.rounds, args.sessions))
    groups = []
    for c in cfgs:
        groups += [g for g in ["postfix"] + [p[0] for p in c.procs]
                   if g not in groups]
    print("%-3s %-46s %5s %8s %15s %7s" % ("#", "configuration", "msgs",
                                           "msg/s", "(min-max)", "total")
          + "".join(" %9s" % short(g) for g in groups))
    for c in cfgs:
        rates = [r["rate"] for r in c.runs]
        n = sum(r["n"] for r in c.runs) or 1
        tot = sum(sum(sum(v.values()) for v in r["cpu"].values())
                  for r in c.runs) / n
        cells = []
        for g in groups:
            if g == "postfix" or g in [p[0] for p in c.procs]:
                cells.append(" %9.3f" % per_msg(c, g)[0])
            else:
                cells.append(" %9s" % "")
        print("%-3d %-46s %5d %8.1f %15s %7.3f" % (
            c.id, c.label, n // max(len(c.runs), 1),
            sum(rates) / max(len(rates), 1),
            "(%.0f-%.0f)" % (min(rates or [0]), max(rates or [0])), tot)
              + "".join(cells))
    print("peak Pss MiB:")
    for c in cfgs:
        print("  %-3d %s" % (c.id, ", ".join(
            "%s %.1f" % (g, peak.get((c.id, g), 0) / 1024.0)
            for g in ["postfix"] + [p[0] for p in c.procs])))
    print("CPU ms per message by process (all rounds):")
    for c in cfgs:
        n = sum(r["n"] for r in c.runs) or 1
        for g in ["postfix"] + [p[0] for p in c.procs]:
            d = {}
            for r in c.runs:
                for k, v in r["cpu"].get(g, {}).items():
                    d[k] = d.get(k, 0) + v
            print("  %-3d %-17s %s" % (c.id, g, fmt_each(d, n)))
    ratios(dict((c.id, c) for c in cfgs))


def ratios(by):
    """The targets of issue 13, each as a range over the rounds."""
    def rng(vals):
        vals = [v for v in vals if v is not None]
        if not vals:
            return "n/a"
        return "%.2f-%.2f" % (min(vals), max(vals))

    def rate(i):
        return [r["rate"] for r in by[i].runs] if i in by else []

    def cpu(i, g):
        return per_msg(by[i], g)[1] if i in by else []

    def div(a, b):
        return [x / y if y else None for x, y in zip(a, b)]

    rows = []
    rows.append(("DKIM verify: facteur-dkim (3) / OpenDKIM (5) CPU per msg",
                 rng(div(cpu(3, "facteur-dkim"), cpu(5, "opendkim"))),
                 "<= 0.33"))
    rows.append(("LMTP: facteur-lmtp (1) / Dovecot (6) msg/s via Postfix",
                 rng(div(rate(1), rate(6))), ">= 2"))
    rows.append(("LMTP: Dovecot (6) / facteur-lmtp (1) CPU per msg",
                 rng(div(cpu(6, "dovecot"), cpu(1, "facteur-lmtp"))),
                 ">= 2"))
    rows.append(("stack: facteur-milter (2) / rspamd+Bayes (11) msg/s",
                 rng(div(rate(2), rate(11))), ">= 2"))
    rows.append(("stack: 4 milters (3) / rspamd+Bayes (11) msg/s",
                 rng(div(rate(3), rate(11))), ">= 2"))
    rows.append(("  old row: facteur-milter (2) / rspamd, no Bayes (4)",
                 rng(div(rate(2), rate(4))), ">= 2"))
    rows.append(("  old row: 4 milters (3) / rspamd, no Bayes (4)",
                 rng(div(rate(3), rate(4))), ">= 2"))
    rows.append(("stack: facteur-milter (2) / Postfix alone (1) msg/s",
                 rng(div(rate(2), rate(1))), ">= 0.90"))
    rows.append(("stack: 4 milters (3) / Postfix alone (1) msg/s",
                 rng(div(rate(3), rate(1))), ">= 0.90"))
    if 2 in by:
        own = [a + b for a, b in zip(cpu(2, "facteur-milter"),
                                      cpu(2, "facteur-lmtp"))]
        rows.append(("facteur CPU (milter+lmtp) / Postfix CPU, (2)",
                     rng(div(own, cpu(2, "postfix"))), "<= 0.50"))
    if 3 in by:
        own = [sum(x) for x in zip(*[cpu(3, g) for g, _ in by[3].procs])]
        rows.append(("facteur CPU (4 milters+lmtp) / Postfix CPU, (3)",
                     rng(div(own, cpu(3, "postfix"))), "<= 0.50"))
    print("ratios against the targets (range over the rounds):")
    for name, v, target in rows:
        print("  %-60s %11s   target %s" % (name, v, target))


main()
