#!/usr/bin/python3
"""tests/av/test_av_milter.py - facteur-av over the milter protocol, with a
private clamd (clamdtest.py) and `facteur av check` on the same mail:

  - EICAR as a plain body, a base64 attachment, in a zip, in a nested
    message, and the test attachment: 554 5.7.1 naming the signature
    (action = reject); held with X-Virus-Status (quarantine); tagged
    only (tag);
  - clean corpus mail: X-Virus-Scanned: clamav VERSION on AUTHSERV-ID, and
    a forged X-Virus-Status is deleted;
  - over max_scan_size (with EICAR inside): tagged "not scanned", never
    X-Virus-Scanned;
  - clamd down: 451 4.3.0 (on_error = tempfail) or tagged "not scanned"
    (on_error = accept); a hostile "clamd" (garbage, an endless reply, no
    reply) is never "clean", and costs at most clamd_timeout;
  - skip_authenticated: a SASL client is accepted untouched;
  - facteur av check DIR gives the same verdicts, exit 1.

usage: test_av_milter.py FACTEUR-AV FACTEUR BUILDDIR   (as root)
"""
import os
import re
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "milter"))
import clamdtest  # noqa: E402
import fixtures  # noqa: E402
import harness  # noqa: E402
from milterclient import MilterClient  # noqa: E402

FAILS = []
AUTHSERV = "mx.av.test"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def split(raw):
    """bytes of a message -> ([(name, value)], body) as Postfix sends
    them to a milter (folded lines joined by LF)."""
    head, body = raw.split(b"\r\n\r\n", 1)
    hs = []
    for line in head.split(b"\r\n"):
        line = line.decode("utf-8", "replace")
        if line[:1] in (" ", "\t") and hs:
            hs[-1] = (hs[-1][0], hs[-1][1] + "\n" + line)
        elif ":" in line:
            n, v = line.split(":", 1)
            hs.append((n, v.strip()))
    return hs, body


def send(sock, raw, mail_macros=None, extra_headers=()):
    hs, body = split(raw)
    macros = {"connect": {"j": "mx.example"},
              "mail": dict({"i": "QAV1"}, **(mail_macros or {}))}
    return MilterClient("unix:" + sock, timeout=30).message(
        macros=macros, mail_from="<alice@example.net>",
        rcpts=["<bob@example.org>"], headers=list(extra_headers) + hs,
        body=body)


class FakeClamd:
    """A hostile peer on a unix socket: mode 'garbage' answers bytes that
    are no clamd reply, 'endless' streams bytes with no NUL, 'silent'
    reads and never answers."""

    def __init__(self, path, mode):
        self.path, self.mode = path, mode
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(8)
        self.stop = False
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while not self.stop:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,),
                             daemon=True).start()

    def serve(self, c):
        c.settimeout(20)
        try:
            cmd = c.recv(64)
            if cmd.startswith(b"zVERSION"):  # signatures from 2024
                c.sendall(b"ClamAV 9.9.9/27000/Mon Jan  1 00:00:00 2024\0")
                return
            if cmd.startswith(b"zPING"):
                c.sendall(b"PONG\0")
                return
            if self.mode == "garbage":
                c.sendall(b"stream: \x1b[31mOK FOUND\0")
            elif self.mode == "endless":
                for _ in range(64):
                    c.sendall(b"stream: OK" * 100)
            else:
                while c.recv(65536):
                    pass
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.stop = True
        self.srv.close()


def start_av(tmp, name, clamd_sock, **keys):
    sock = os.path.join(tmp, name + ".sock")
    section = {"socket": "unix:" + sock, "user": "",
               "clamd_socket": clamd_sock, "authserv_id": AUTHSERV,
               "clamd_timeout": "5s"}
    section.update(keys)
    if os.environ.get("FACTEUR_MILTER_ENGINE"):
        section["engine"] = os.environ["FACTEUR_MILTER_ENGINE"]
    conf = fixtures.write_conf(os.path.join(tmp, name + ".conf"),
                               {"av": section})
    d = fixtures.start_milter(EXE["facteur-av"], conf, tmp, sock,
                              "facteur-av-" + name)
    return sock, d, conf


def infected_cases(socks):
    msgs = clamdtest.messages("m")
    for name, (raw, sig) in msgs.items():
        r = send(socks["reject"], raw)
        check(r.action == "reject" and r.reply is not None and
              r.reply[:2] == ("554", "5.7.1") and sig in r.reply[2],
              "%s: 554 5.7.1 naming %s: %r %r" % (name, sig, r.action,
                                                  r.reply))
        r = send(socks["quarantine"], raw)
        held = [d for c, d in r.other if c == "q"]
        check(r.action == "continue" and held and sig.encode() in held[0]
              and ("X-Virus-Status", "infected (%s)" % sig) in r.added,
              "%s: quarantined with X-Virus-Status: %r %r %r" % (
                  name, r.action, held, r.added))
        r = send(socks["tag"], raw)
        check(r.action == "continue" and not [c for c, d in r.other
                                              if c == "q"] and
              ("X-Virus-Status", "infected (%s)" % sig) in r.added and
              [v for n, v in r.added if n == "X-Virus-Scanned"],
              "%s: tag only: %r %r" % (name, r.action, r.added))


def clean_cases(socks):
    hams = clamdtest.ham(5) or [clamdtest.clean_message("hello")]
    for i, raw in enumerate(hams):
        r = send(socks["reject"], raw,
                 extra_headers=[("X-Virus-Status", "clean")])
        scanned = [v for n, v in r.added if n == "X-Virus-Scanned"]
        check(r.action == "continue" and len(scanned) == 1 and
              scanned[0].startswith("clamav 1.") and
              scanned[0].endswith(" on " + AUTHSERV) and
              (1, "X-Virus-Status", "") in r.changed,
              "ham %d: X-Virus-Scanned, forged status deleted: %r %r" % (
                  i, r.added, r.changed))
    r = send(socks["reject"], clamdtest.clean_message("sasl"),
             mail_macros={"{auth_authen}": "alice"})
    check(r.action == "continue" and r.added,
          "authenticated mail is scanned by default: %r" % r.added)
    r = send(socks["tag"], clamdtest.messages("s")["eicar-plain"][0],
             mail_macros={"{auth_authen}": "alice"})
    # accepted at MAIL FROM; facteur-av does not reply there (no_reply),
    # so the MTA hears the accept at its next answered phase
    check(r.action == "accept" and not r.added and not r.changed,
          "skip_authenticated: accepted untouched, unscanned: %r" % r)


def limit_cases(socks):
    raw = clamdtest.big_message("big", 100 * 1024)
    r = send(socks["tag"], raw)
    check(r.action == "continue" and
          ("X-Virus-Status", "not scanned (larger than max_scan_size)") in
          r.added and not [v for n, v in r.added if n == "X-Virus-Scanned"],
          "over max_scan_size: tagged not scanned, never clean: %r" %
          r.added)
    raw = clamdtest.big_message("bigger", 2 * 1024 * 1024)
    r = send(socks["reject"], raw)
    check(r.action == "continue" and
          ("X-Virus-Status", "not scanned (larger than clamd's "
           "StreamMaxLength)") in r.added and
          not [v for n, v in r.added if n == "X-Virus-Scanned"],
          "over clamd's StreamMaxLength (1M), under max_scan_size: tagged "
          "not scanned: %r %r" % (r.action, r.added))
    raw = clamdtest.messages("d")["eicar-plain"][0]
    r = send(socks["down"], raw)
    check(r.action == "tempfail" and r.reply and
          r.reply[:2] == ("451", "4.3.0"),
          "clamd down, on_error = tempfail: 451 4.3.0: %r" % (r.reply,))
    r = send(socks["down-accept"], raw)
    check(r.action == "continue" and
          ("X-Virus-Status", "not scanned (virus scanner unavailable)") in
          r.added, "clamd down, on_error = accept: tagged: %r" % r.added)
    for mode in ("garbage", "endless", "silent"):
        t0 = time.monotonic()
        r = send(socks[mode], raw)
        dt = time.monotonic() - t0
        check(r.action == "tempfail" and dt < 8,
              "hostile clamd (%s): tempfail, never clean, in %.1fs: %r" % (
                  mode, dt, r.reply))


def av_check(tmp, conf, clamd):
    d = os.path.join(tmp, "check")
    os.mkdir(d)
    for name, (raw, sig) in clamdtest.messages("c").items():
        with open(os.path.join(d, name + ".eml"), "wb") as f:
            f.write(raw)
    with open(os.path.join(d, "clean.eml"), "wb") as f:
        f.write(clamdtest.clean_message("clean"))
    p = harness.run([EXE["facteur"], "-c", conf, "av", "check", d],
                    check=False, timeout=60)
    out = p.stdout
    ok = p.returncode == 1
    for name, (raw, sig) in clamdtest.messages("c").items():
        ok = ok and ("%s.eml: infected (%s): reject" % (name, sig)) in out
    ok = ok and "clean.eml: clean" in out
    check(ok, "facteur av check DIR: same verdicts, exit 1: %d\n%s%s" % (
        p.returncode, out, p.stderr))
    p = harness.run([EXE["facteur"], "-c", conf, "av", "check",
                     os.path.join(d, "clean.eml")], check=False)
    check(p.returncode == 0 and "clean" in p.stdout,
          "facteur av check FILE on clean mail: exit 0: %d %s" % (
              p.returncode, p.stdout + p.stderr))


def doctor(conf, what, want):
    p = harness.run([EXE["facteur"], "-c", conf, "doctor", "--sbindir",
                     "/nonexistent", "--postfix-dir", "none",
                     "--dovecot-config", "none"], check=False, timeout=60)
    lines = [l for l in p.stdout.splitlines() if "[av]" in l]
    check(all(any(re.match(w, l) for l in lines) for w in want),
          "facteur doctor, %s: %r" % (what, lines))


def run(tmp):
    clamd = clamdtest.Clamd(os.path.join(tmp, "clamd"))
    fakes = []
    daemons = []
    socks = {}
    confs = {}
    try:
        for mode in ("garbage", "endless", "silent"):
            path = os.path.join(tmp, "fake-%s.sock" % mode)
            fakes.append(FakeClamd(path, mode))
            socks[mode], d, confs[mode] = start_av(tmp, mode, path,
                                                   clamd_timeout="2s")
            daemons.append(d)
        dead = os.path.join(tmp, "nobody.sock")
        for name, keys in (
                ("reject", {}),
                ("quarantine", {"action": "quarantine"}),
                ("tag", {"action": "tag", "max_scan_size": "64k",
                         "skip_authenticated": "yes"}),
                ("down", {"clamd_socket": dead}),
                ("down-accept", {"clamd_socket": dead,
                                 "on_error": "accept"})):
            keys = dict({"clamd_socket": clamd.sock}, **keys)
            cs = keys.pop("clamd_socket")
            socks[name], d, conf = start_av(tmp, name, cs, **keys)
            confs[name] = conf
            if name == "reject":
                reject_conf = conf
            daemons.append(d)
        infected_cases(socks)
        clean_cases(socks)
        limit_cases(socks)
        av_check(tmp, reject_conf, clamd)
        doctor(reject_conf, "clamd up, private database", [
            r"ok +\[av\] clamd_socket: clamd answers PING",
            r"warn +\[av\] signatures: .*no signature database date"])
        doctor(confs["garbage"], "signatures from 2024", [
            r"ok +\[av\] clamd_socket",
            r"FAIL +\[av\] signatures: .*day\(s\) old.*freshclam"])
        doctor(confs["down"], "clamd down", [
            r"FAIL +\[av\] clamd_socket: .*clamav-daemon running"])
    finally:
        for f in fakes:
            f.close()
        for d in daemons:  # libmilter takes seconds to stop: all at once
            if d.proc.poll() is None:
                d.proc.terminate()
        for d in daemons:
            d.close()
            rep = d.sanitizer_report()
            check(not rep, "%s: no sanitizer report: %s" % (d.name, rep))
            if FAILS:
                print(d.log()[-2000:])
        clamd.close()


def main():
    global EXE
    clamdtest.require_clamd()
    EXE = fixtures.exe_args(sys.argv[:3], ["facteur-av", "facteur"])
    tmp = harness.TmpDir("avm", base=os.path.join(sys.argv[3], "tmp"))
    try:
        run(tmp.path)
    finally:
        if FAILS:
            tmp.keep = True
        tmp.close()
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)


EXE = {}
main()
