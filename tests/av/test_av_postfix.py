#!/usr/bin/python3
"""tests/av/test_av_postfix.py - facteur-milter with [milter] modules =
av, spam in a real Postfix, over a private clamd (clamdtest.py):

  - EICAR as a plain body, a base64 attachment, inside a zip, inside a
    nested message/rfc822, and the test attachment: refused at DATA with
    554 5.7.1 naming the signature;
  - the same through a second smtpd whose facteur-milter has action =
    quarantine: accepted, and in Postfix's hold queue (postqueue -p '!');
  - clean corpus mail is delivered with X-Virus-Scanned: clamav VERSION on
    mx.av.test (and scored by spam, after av);
  - a message over max_scan_size is delivered tagged X-Virus-Status: not
    scanned, never X-Virus-Scanned;
  - clamd SIGKILLed in the middle of a bounded load (40 messages, 4
    senders): Postfix answers 4xx (on_error = tempfail) instead of
    accepting unscanned mail; once clamd is back the senders retry and
    every message is delivered exactly once: nothing lost.

usage: test_av_postfix.py FACTEUR-MILTER FACTEUR BUILDDIR   (as root)
"""
import os
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import clamdtest  # noqa: E402
import fixtures  # noqa: E402
import harness  # noqa: E402

FAILS = []
AUTHSERV = "mx.av.test"
LOAD = 40
SENDERS = 4


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def tagged(raw, tid):
    """raw with an X-Test-Id first, to find it in the Maildir."""
    return b"X-Test-Id: " + tid.encode() + b"\r\n" + raw


def start_milter(tmp, name, clamd_sock, **av):
    sock = os.path.join(tmp, name + ".sock")
    rules = os.path.join(tmp, "av.cf")
    with open(rules, "w") as f:
        f.write("body AV_LUNCH /lunch/\nscore AV_LUNCH 0.1\n")
    milter = {"socket": "unix:" + sock, "socket_mode": "0660",
              "user": "nobody", "group": "postfix",
              "modules": "av, spam"}
    if os.environ.get("FACTEUR_MILTER_ENGINE"):
        milter["engine"] = os.environ["FACTEUR_MILTER_ENGINE"]
    conf = fixtures.write_conf(os.path.join(tmp, name + ".conf"), {
        "milter": milter,
        "av": dict({"clamd_socket": clamd_sock, "authserv_id": AUTHSERV,
                    "clamd_timeout": "5s", "max_scan_size": "256k"}, **av),
        "spam": {"rules_path": rules, "bayes_path": "", "cache_dir": "",
                 "score_authenticated": "yes", "network_tests": "no"},
    })
    return sock, fixtures.start_milter(EXE["facteur-milter"], conf, tmp,
                                       sock, name)


def delivered(pf):
    """{X-Test-Id: [message text]} of what reached bob's Maildir."""
    out = {}
    for p in pf.deliveries("example.org/bob/"):
        with open(p, "rb") as f:
            raw = f.read().decode("utf-8", "replace")
        m = re.search(r"(?mi)^X-Test-Id: (\S+)", raw)
        if m:
            out.setdefault(m.group(1), []).append(raw)
    return out


def header(raw, name):
    head = raw.split("\n\n", 1)[0]
    return re.findall(r"(?mi)^%s:[ \t]*(.*)" % name, head)


def wait_delivered(pf, ids, timeout=30):
    try:
        return harness.wait_for(
            lambda: (lambda d: d if all(i in d for i in ids) else None)(
                delivered(pf)), timeout, what="delivery of %s" % ids)
    except TimeoutError as e:
        check(False, "%s\nqueue:\n%s\nmaillog:\n%s" % (
            e, pf.queue(), pf.log()[-3000:]))
        return delivered(pf)


def infected(pf, port2, hold_milter):
    for name, (raw, sig) in clamdtest.messages("pf").items():
        r = harness.smtp_try(pf.host, pf.port, "alice@example.net",
                             ["bob@example.org"], tagged(raw, name))
        code, text = r["data"] or (0, "")
        check(code == 554 and text.startswith("5.7.1") and sig in text,
              "%s refused at DATA: %d %s" % (name, code, text))
    raw, sig = clamdtest.messages("hold")["eicar-zip"]
    r = harness.smtp_try(pf.host, port2, "alice@example.net",
                         ["bob@example.org"], tagged(raw, "held"))
    code = (r["data"] or (0, ""))[0]
    check(code == 250, "action = quarantine: accepted: %r" % (r["data"],))
    try:
        harness.wait_for(lambda: re.search(r"(?m)^[0-9A-F]+!", pf.queue()),
                         20, what="a held message in postqueue -p")
        check(True, "the infected message is in the hold queue")
    except TimeoutError:
        check(False, "held: postqueue -p:\n%s\nmaillog:\n%s" % (
            pf.queue(), pf.log()[-2000:]))
    # Postfix logs the hold without the milter's reason; the milter
    # logs the signature with the queue id
    m = re.search(r"(\w+): milter-hold: END-OF-MESSAGE", pf.log())
    check(m is not None and re.search(
        r"%s: av: HOLD infected \(%s\)" % (m.group(1), re.escape(sig)),
        hold_milter.log()) is not None,
        "maillog: milter-hold; facteur-milter: HOLD naming the signature")


def clean(pf):
    hams = clamdtest.ham(4) or [clamdtest.clean_message("lunch")]
    ids = []
    for i, raw in enumerate(hams):
        tid = "ham-%d" % i
        r = harness.smtp_try(pf.host, pf.port, "alice@example.net",
                             ["bob@example.org"], tagged(raw, tid))
        check(r["data"] and r["data"][0] == 250,
              "%s accepted: %r" % (tid, r["data"]))
        ids.append(tid)
    raw = clamdtest.big_message("big", 300 * 1024)
    harness.smtp_try(pf.host, pf.port, "alice@example.net",
                     ["bob@example.org"], tagged(raw, "big"))
    got = wait_delivered(pf, ids + ["big"])
    for tid in ids:
        raw = (got.get(tid) or [""])[0]
        sc = header(raw, "X-Virus-Scanned")
        check(len(sc) == 1 and re.match(r"clamav 1\.\S+ on %s$" %
                                        re.escape(AUTHSERV), sc[0]) and
              header(raw, "X-Spam-Flag"),
              "%s delivered with X-Virus-Scanned (and spam's score): %r" %
              (tid, sc))
    raw = (got.get("big") or [""])[0]
    check(header(raw, "X-Virus-Status") ==
          ["not scanned (larger than max_scan_size)"] and
          not header(raw, "X-Virus-Scanned"),
          "over max_scan_size: tagged not scanned, never clean: %r" %
          header(raw, "X-Virus-Status"))


def sender(pf, ids, results, lock, sent):
    for tid in ids:
        raw = tagged(clamdtest.clean_message("load " + tid), tid)
        try:
            r = harness.smtp_try(pf.host, pf.port, "alice@example.net",
                                 ["bob@example.org"], raw, timeout=30)
            code = (r["data"] or (0, ""))[0]
        except Exception as e:  # a refused connection counts as 4xx
            code = "error %s" % e
        with lock:
            results[tid] = code
            sent[0] += 1


def load(pf, clamd):
    ids = ["load-%02d" % i for i in range(LOAD)]
    results, lock, sent = {}, threading.Lock(), [0]
    threads = [threading.Thread(target=sender, args=(
        pf, ids[k::SENDERS], results, lock, sent)) for k in range(SENDERS)]
    for t in threads:
        t.start()
    harness.wait_for(lambda: sent[0] >= LOAD // 4, 60,
                     what="a quarter of the load sent")
    clamd.kill()
    for t in threads:
        t.join(120)
    ok = [i for i in ids if results.get(i) == 250]
    deferred = [i for i in ids if results.get(i) != 250]
    codes = set(str(results.get(i)) for i in deferred)
    check(deferred and all(str(c).startswith("4") for c in codes),
          "clamd killed mid-load: %d accepted, %d answered 4xx %s" % (
              len(ok), len(deferred), sorted(codes)))
    check(re.search(r"milter-reject: END-OF-MESSAGE.*4\.3\.0 Virus scanner "
                    r"unavailable", pf.log()) is not None,
          "maillog: Postfix tempfails with the milter's 4.3.0 reply")
    clamd.start()
    deadline = time.monotonic() + 30
    while deferred and time.monotonic() < deadline:
        retry, deferred = deferred, []
        sender(pf, retry, results, lock, sent)
        deferred = [i for i in retry if results.get(i) != 250]
    check(not deferred, "clamd back: the retried messages are accepted "
          "(%d left)" % len(deferred))
    got = wait_delivered(pf, ids, 30)
    dup = [i for i in ids if len(got.get(i, [])) > 1]
    miss = [i for i in ids if i not in got]
    check(not miss and not dup, "all %d delivered exactly once (missing "
          "%s, twice %s)" % (LOAD, miss, dup))
    unscanned = [i for i in ids if i in got and
                 not header(got[i][0], "X-Virus-Scanned")]
    check(not unscanned, "none delivered unscanned: %s" % unscanned)


def run(tmp):
    clamd = clamdtest.Clamd(os.path.join(tmp, "clamd"))
    sock, m1 = start_milter(tmp, "facteur-milter", clamd.sock)
    sock2, m2 = start_milter(tmp, "facteur-milter-hold", clamd.sock,
                             action="quarantine")
    port2 = harness.free_port()
    pf = None
    try:
        pf = harness.Postfix(os.path.join(tmp, "postfix"), main_cf_extra={
            "virtual_mailbox_domains": "example.org",
            "virtual_mailbox_maps": "inline:{bob@example.org="
                                    "example.org/bob/}",
            "smtpd_milters": "unix:" + sock,
            "milter_default_action": "tempfail",
            "message_size_limit": "10240000",
        }, master_cf_extra="127.0.0.1:%d inet n - n - - smtpd\n"
                           "  -o smtpd_milters=unix:%s\n" % (port2, sock2))
        infected(pf, port2, m2)
        clean(pf)
        load(pf, clamd)
    finally:
        if pf is not None:
            pf.close()
        for m in (m1, m2):
            m.close()
            rep = m.sanitizer_report()
            check(not rep, "%s: no sanitizer report: %s" % (m.name, rep))
            if FAILS:
                print(m.log()[-3000:])
        clamd.close()


def main():
    global EXE
    clamdtest.require_clamd()
    EXE = fixtures.exe_args(sys.argv[:3], ["facteur-milter", "facteur"])
    tmp = harness.TmpDir("avpf", base=os.path.join(sys.argv[3], "tmp"))
    t0 = time.monotonic()
    try:
        run(tmp.path)
    finally:
        if FAILS:
            tmp.keep = True
        tmp.close()
    print("av-postfix: %.1f s" % (time.monotonic() - t0))
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)


EXE = {}
main()
