#!/usr/bin/python3
"""tests/chain/test_chain_milter.py - facteur-milter over the milter
protocol (milterclient.py), all four modules in one connection:

  - a blacklisted sender is refused at MAIL FROM with its stored reply;
  - a GTUBE message gets X-Spam-Flag: YES;
  - an authenticated submission leaves DKIM-signed (dkimpy verifies it
    against the key Knot publishes), with X-Mailer/User-Agent removed and
    X-Spam-* headers;
  - the same message sent inbound gets one Authentication-Results, and
    facteur-spam's SPF and DKIM evals fire from facteur-dkim's verdicts:
    [spam] dns_server is a closed port, so spam cannot find a pass itself
    (the control: facteur-spam alone, same config, finds none);
  - modules = spam alone works; an unknown module fails --check-config
    naming it.

usage: test_chain_milter.py FACTEUR-MILTER FACTEUR-SPAM FACTEUR BUILDDIR
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "milter"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from milterclient import MilterClient  # noqa: E402
from dnsserver import DnsServer  # noqa: E402
import harness  # noqa: E402

MILTER, SPAM, FACTEUR, BUILD = [os.path.abspath(a) for a in sys.argv[1:5]]
ENGINE = os.environ.get("FACTEUR_MILTER_ENGINE", "")
FAILS = []
GTUBE = ("XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*"
         "C.34X")
RULES = """header CH_SPF_PASS eval:check_for_spf_pass()
header CH_SPF_NONE eval:check_for_spf_none()
header CH_DKIM_SIGNED eval:check_dkim_signed()
header CH_DKIM_VALID eval:check_dkim_valid()
header CH_DKIM_VALID_AU eval:check_dkim_valid_author_sig()
body CH_LUNCH /lunch/
"""
for _n in re.findall(r"^\w+ (\w+)", RULES, re.M):
    RULES += "score %s 0.1\n" % _n
INBOUND = ("mx.sender.example", "192.0.2.7", 40000)


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def write_conf(path, milter_sock, spam_sock, dns_port, tmp, modules=None):
    eng = "engine = %s\n" % ENGINE if ENGINE else ""
    with open(path, "w") as f:
        f.write(
            "[database]\npath = %s/db.sqlite\n[admin]\ndkim_user = root\n"
            "[milter]\nsocket = unix:%s\n%s%s"
            "[blacklist]\nsocket = unix:/nonexistent/bl.sock\n"
            "internal_hosts = 10.9.9.0/24\nresolver = 127.0.0.1@%d\n"
            "[scrub]\nuser = nobody\n"
            "[dkim]\nsocket = unix:/nonexistent/dkim.sock\n"
            "authserv_id = mx.test\ninternal_hosts = 10.9.9.0/24\n"
            "resolver = 127.0.0.1@%d\ndns_timeout = 3s\nspf = yes\n"
            "dmarc = no\n"
            "[spam]\nsocket = unix:%s\n%srules_path = %s/net.cf\n"
            "bayes_path =\nrequired_score = 5\ncache_dir = %s/cache\n"
            "score_authenticated = yes\ninternal_hosts = 10.9.9.0/24\n"
            "network_tests = yes\ndns_server = 127.0.0.1@9\n"
            "dns_timeout = 1s\n" % (
                tmp, milter_sock,
                "modules = %s\n" % modules if modules else "", eng,
                dns_port, dns_port, spam_sock, eng, tmp, tmp))


def spam_tests(r):
    st = dict((n, v) for (n, v) in r.added).get("X-Spam-Status", "")
    m = re.search(r"tests=(.*?)\s+autolearn", st, re.S)
    return set(re.split(r"[,\s]+", m.group(1))) - {""} if m else set()


def added(r, name):
    return [v for (n, v) in r.added if n == name]


def start(argv, name, tmp, sock):
    return harness.Daemon(argv, name, tmp, timeout=60,
                          ready=lambda: harness.unix_socket_open(sock))


def stop(d, name):
    d.close(10)
    rep = d.sanitizer_report()
    check(not rep, "%s: no sanitizer report" % name)
    if rep:
        print(d.log()[-4000:])


def submission(sock, rec):
    """An authenticated submission: signed, scrubbed, scored. Returns the
    message as it leaves (headers after the edits), for the inbound
    test."""
    headers = [("From", "Alice <alice@example.org>"),
               ("To", "bob@example.net"), ("Subject", "lunch today"),
               ("Message-ID", "<1@laptop.lan>"),
               ("X-Mailer", "SecretMailer 9.1"),
               ("User-Agent", "Laptop/1.0")]
    body = b"Hi Bob,\r\nlunch at noon?\r\n"
    r = MilterClient("unix:" + sock).message(
        macros={"mail": {"{auth_authen}": "alice", "i": "QSUB1"}},
        connect=("laptop.lan", "192.0.2.50", 4567), helo="laptop.lan",
        mail_from="<alice@example.org>", rcpts=["<bob@example.net>"],
        headers=headers, body=body)
    check(r.action == "continue", "submission accepted: %r" % r)
    sigs = [v for (_, n, v) in r.inserted if n == "DKIM-Signature"]
    check(len(sigs) == 1, "submission gets one DKIM-Signature")
    gone = sorted(n for (i, n, v) in r.changed if v == "")
    check(gone == ["User-Agent", "X-Mailer"],
          "scrub removed X-Mailer and User-Agent: %r" % r.changed)
    check(added(r, "X-Spam-Flag") == ["NO"] and added(r, "X-Spam-Status"),
          "submission scored: %r" % r.added)
    kept = [(n, v) for (n, v) in headers if n not in gone]
    if not sigs:
        return None, kept, body
    msg = ("DKIM-Signature: " + sigs[0].replace("\n", "\r\n") +
           "\r\n").encode()
    for n, v in kept:
        msg += ("%s: %s\r\n" % (n, v)).encode()
    msg += b"\r\n" + body
    import dkim
    ok = dkim.verify(msg, dnsfunc=lambda name, timeout=5: rec.encode())
    check(ok, "dkimpy verifies the chain's signature")
    return sigs[0], kept, body


def inbound(sock, sig, kept, body):
    hdrs = [("DKIM-Signature", sig)] + kept
    return MilterClient("unix:" + sock).message(
        macros={"mail": {"i": "QIN1"}}, connect=INBOUND,
        helo="mx.sender.example", mail_from="<alice@example.org>",
        rcpts=["<bob@example.net>"], headers=hdrs, body=body)


def all_modules(tmp, conf, sock, rec):
    d = start([MILTER, "-f", "-c", conf], "facteur-milter", tmp, sock)
    try:
        r = MilterClient("unix:" + sock).message(
            connect=INBOUND, helo="mx.sender.example",
            mail_from="<spammer@bad.example>", rcpts=["<bob@example.net>"],
            headers=[("Subject", "x")], body=b"x\r\n")
        check(r.action == "reject" and r.stage == "mail" and
              r.reply == ("550", "5.7.1", "Go away, 100% spam"),
              "blacklisted sender refused with the stored reply: %r" % r)
        r = MilterClient("unix:" + sock).message(
            connect=INBOUND, helo="mx.sender.example",
            mail_from="<x@sender.example>", rcpts=["<bob@example.net>"],
            headers=[("From", "x@sender.example"), ("Subject", "gtube")],
            body=("Hello\r\n%s\r\n" % GTUBE).encode())
        check(added(r, "X-Spam-Flag") == ["YES"],
              "GTUBE gets X-Spam-Flag: YES: %r" % r.added)
        sig, kept, body = submission(sock, rec)
        if sig is None:
            return
        r = inbound(sock, sig, kept, body)
        ars = [v for (_, n, v) in r.inserted
               if n == "Authentication-Results"]
        check(len(ars) == 1 and "spf=pass" in ars[0] and
              "dkim=pass" in ars[0], "one A-R, spf and dkim pass: %r" % ars)
        t = spam_tests(r)
        check({"CH_SPF_PASS", "CH_DKIM_SIGNED", "CH_DKIM_VALID",
               "CH_DKIM_VALID_AU"} <= t and "CH_SPF_NONE" not in t,
              "spam's SPF/DKIM evals from dkim's verdicts: %r" % sorted(t))
        return sig, kept, body
    finally:
        stop(d, "facteur-milter (all modules)")


def spam_alone(tmp, conf, spam_sock, msg):
    d = start([SPAM, "-f", "-c", conf], "facteur-spam", tmp, spam_sock)
    try:
        r = inbound(spam_sock, *msg)
        t = spam_tests(r)
        check(added(r, "X-Spam-Flag") == ["NO"] and "CH_LUNCH" in t and
              "CH_SPF_PASS" not in t and "CH_DKIM_VALID" not in t,
              "control: facteur-spam alone finds no pass: %r" % sorted(t))
    finally:
        stop(d, "facteur-spam")


def only_spam(tmp, dns_port, rec):
    sock = os.path.join(tmp, "only.sock")
    conf = os.path.join(tmp, "only.conf")
    write_conf(conf, sock, os.path.join(tmp, "spam2.sock"), dns_port, tmp,
               modules="spam")
    d = start([MILTER, "-f", "-c", conf], "facteur-milter-spam", tmp, sock)
    try:
        r = MilterClient("unix:" + sock).message(
            connect=INBOUND, helo="mx.sender.example",
            mail_from="<spammer@bad.example>", rcpts=["<bob@example.net>"],
            headers=[("From", "x@bad.example"), ("Subject", "gtube")],
            body=("%s\r\n" % GTUBE).encode())
        check(r.action == "continue" and
              added(r, "X-Spam-Flag") == ["YES"] and not r.inserted,
              "modules = spam: no blacklist, no dkim, GTUBE flagged: %r" % r)
    finally:
        stop(d, "facteur-milter (spam)")


def bad_modules(tmp, dns_port):
    conf = os.path.join(tmp, "bad.conf")
    write_conf(conf, os.path.join(tmp, "bad.sock"), "/nonexistent/s.sock",
               dns_port, tmp, modules="blacklist, scurb, dkim")
    p = subprocess.run([MILTER, "-c", conf, "--check-config"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 1 and "[milter] modules" in p.stderr and
          '"scurb"' in p.stderr,
          "unknown module: --check-config fails naming it: %d %r" % (
              p.returncode, p.stderr))
    write_conf(conf, os.path.join(tmp, "bad.sock"), "/nonexistent/s.sock",
               dns_port, tmp, modules="spam, dkim, spam")
    p = subprocess.run([MILTER, "-c", conf, "--check-config"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 1 and "spam is listed twice" in p.stderr,
          "repeated module: --check-config fails: %r" % p.stderr)


def main():
    tmp = tempfile.mkdtemp(dir=BUILD, prefix="chain-milter-")
    with open(os.path.join(tmp, "net.cf"), "w") as f:
        f.write(RULES)
    sock = os.path.join(tmp, "milter.sock")
    spam_sock = os.path.join(tmp, "spam.sock")
    conf = os.path.join(tmp, "facteur.conf")
    write_conf(conf, sock, spam_sock, 9, tmp)
    fac = [FACTEUR, "-c", conf, "--db", os.path.join(tmp, "db.sqlite")]
    subprocess.run(fac + ["db", "init"], check=True, capture_output=True)
    subprocess.run(fac + ["blacklist", "sender", "add", "spammer@bad.example",
                          "--code", "550", "--enhanced", "5.7.1",
                          "--message", "Go away, 100% spam"],
                   check=True, capture_output=True)
    out = subprocess.run(fac + ["dkim", "keygen", "example.org",
                                "--selector", "m1", "--keys-dir",
                                os.path.join(tmp, "keys")],
                         capture_output=True, check=True).stdout.decode()
    rec = "".join(re.findall(r'"([^"]*)"', out))
    with DnsServer(os.path.join(tmp, "knot"), zones={"example.org": [
            ("@", "TXT", "v=spf1 ip4:192.0.2.7 -all"),
            ("m1._domainkey", "TXT", rec)]}) as dns:
        write_conf(conf, sock, spam_sock, dns.port, tmp)
        p = subprocess.run([MILTER, "-c", conf, "--check-config"],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, "--check-config OK: %r" % p.stderr)
        msg = all_modules(tmp, conf, sock, rec)
        if msg:
            spam_alone(tmp, conf, spam_sock, msg)
        only_spam(tmp, dns.port, rec)
        bad_modules(tmp, dns.port)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)


main()
