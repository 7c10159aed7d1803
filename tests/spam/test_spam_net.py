#!/usr/bin/python3
"""Black-box test of facteur-spam's network tests (DNSBL, URIBL, SPF, DKIM)
against a private Knot DNS on loopback, over the milter protocol.

usage: test_spam_net.py FACTEUR-SPAM FACTEUR MILTERCLIENT_DIR INTEG_DIR TMP
"""

import os
import re
import subprocess
import sys
import tempfile
import time

SPAM, CLI, MCDIR, INTEG, PARENT = [os.path.abspath(a) for a in sys.argv[1:6]]
sys.path.insert(0, MCDIR)
sys.path.insert(0, INTEG)
from milterclient import MilterClient  # noqa: E402
from dnsserver import DnsServer  # noqa: E402
import spamtest  # noqa: E402
from spamtest import FAILS, check  # noqa: E402

LISTED, REFUSED, CLEAN, SPF_OK = ("192.0.2.5", "192.0.2.6", "192.0.2.7",
                                  "192.0.2.10")
LISTED2 = "192.0.2.8"  # listed, asked only while the server is paused
RULES = """
header NET_RBL eval:check_rbl('tst', 'dnsbl.test.')
header NET_RBL_2 eval:check_rbl_sub('tst', '127.0.0.2')
header NET_RBL_3 eval:check_rbl_sub('tst', '127.0.0.3')
urirhssub NET_URIBL uribl.test. A 2
body NET_URIBL eval:check_uridnsbl('NET_URIBL')
header NET_SPF_PASS eval:check_for_spf_pass()
header NET_SPF_FAIL eval:check_for_spf_fail()
header NET_SPF_NONE eval:check_for_spf_none()
header NET_DKIM_SIGNED eval:check_dkim_signed()
header NET_DKIM_VALID eval:check_dkim_valid()
header NET_DKIM_VALID_AU eval:check_dkim_valid_author_sig()
body NET_PLAIN /lunch/
"""
NETRULES = [w.split()[1] for w in RULES.strip().splitlines()
            if w.startswith(("header", "urirhssub"))]
for _n in NETRULES:
    RULES += "score %s 0.1\n" % _n


def conf(d, name, extra):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write("[spam]\nsocket = unix:%s/spam.sock\nrules_path = %s\n"
                "bayes_path =\nrequired_score = 100\ncache_dir = %s/cache\n%s" %
                (d, os.path.join(d, "net.cf"), d, extra))
    return p


def run_milter(d, name, extra, fn):
    spamtest.run_milter(SPAM, d, name, conf(d, name, extra), fn,
                        MilterClient)


def tests_of(r):
    st = dict(r.added).get("X-Spam-Status", "")
    m = re.search(r"tests=([A-Z0-9_,\s]*?)\s+autolearn", st, re.S)
    if m is None:
        return set()
    return set(x for x in re.split(r"[,\s]+", m.group(1)) if x)


def send(mc, ip, body="Hi,\r\nlunch at noon?\r\n", frm="<a@sender.example>",
         headers=None):
    hdrs = headers or [("From", "a@sender.example"), ("To", "b@example.net"),
                       ("Subject", "lunch")]
    t0 = time.monotonic()
    r = mc.message(connect=("mx.example.net", ip, 40000),
                   helo="mx.example.net", mail_from=frm,
                   rcpts=["<b@example.net>"], headers=hdrs,
                   body=body.encode())
    return r, time.monotonic() - t0


def signed(key_pem, body, alter=False):
    import dkim
    hdrs = [("From", "a@sender.example"), ("To", "b@example.net"),
            ("Subject", "signed lunch")]
    msg = "".join("%s: %s\r\n" % h for h in hdrs) + "\r\n" + body
    sig = dkim.sign(msg.encode(), b"sel", b"sender.example", key_pem,
                    include_headers=[b"from", b"to", b"subject"],
                    canonicalize=(b"relaxed", b"relaxed")).decode()
    name, _, value = sig.partition(":")
    value = value.strip().replace("\r\n", "\n")
    if alter:
        body = body.replace("noon", "one")
    return [(name, value)] + hdrs, body


def network_on(dns, key_pem):
    def fn(mc):
        r, _ = send(mc, LISTED)
        t = tests_of(r)
        check({"NET_RBL", "NET_RBL_2"} <= t and "NET_RBL_3" not in t,
              "a listed client hits check_rbl and check_rbl_sub 127.0.0.2",
              sorted(t))
        check("NET_PLAIN" in t, "plain rules still run", sorted(t))
        r, _ = send(mc, CLEAN)
        t = tests_of(r)
        check("NET_RBL" not in t and "NET_RBL_2" not in t,
              "an unlisted client does not hit the DNSBL", sorted(t))
        r, _ = send(mc, REFUSED)
        t = tests_of(r)
        check("NET_RBL" not in t, "a 127.255.255.254 answer is no listing",
              sorted(t))
        r, _ = send(mc, CLEAN, body="see http://www.Bad-Domain.example/x "
                    "and http://good.example/\r\n")
        t = tests_of(r)
        check("NET_URIBL" in t, "a body URI on a listed domain hits the "
              "URIBL (via its registrable domain)", sorted(t))
        r, _ = send(mc, CLEAN, body="see http://good.example/\r\n")
        check("NET_URIBL" not in tests_of(r), "an unlisted domain does not "
              "hit the URIBL", sorted(tests_of(r)))
        r, _ = send(mc, SPF_OK)
        t = tests_of(r)
        check("NET_SPF_PASS" in t and "NET_SPF_FAIL" not in t,
              "the SPF-allowed client gets SPF pass", sorted(t))
        r, _ = send(mc, CLEAN)
        t = tests_of(r)
        check("NET_SPF_FAIL" in t and "NET_SPF_PASS" not in t,
              "another client gets SPF fail", sorted(t))
        r, _ = send(mc, CLEAN, frm="<a@nospf.example>")
        check("NET_SPF_NONE" in tests_of(r), "a domain without SPF gets "
              "none", sorted(tests_of(r)))
        hdrs, body = signed(key_pem, "Hi,\r\nlunch at noon?\r\n")
        r, _ = send(mc, SPF_OK, body=body, headers=hdrs)
        t = tests_of(r)
        check({"NET_DKIM_SIGNED", "NET_DKIM_VALID", "NET_DKIM_VALID_AU"}
              <= t, "a good signature is DKIM_VALID (author domain too)",
              sorted(t))
        hdrs, body = signed(key_pem, "Hi,\r\nlunch at noon?\r\n",
                            alter=True)
        r, _ = send(mc, SPF_OK, body=body, headers=hdrs)
        t = tests_of(r)
        check("NET_DKIM_SIGNED" in t and "NET_DKIM_VALID" not in t and
              "NET_DKIM_VALID_AU" not in t,
              "an altered body is signed but not valid", sorted(t))
        r, _ = send(mc, SPF_OK)
        check("NET_DKIM_SIGNED" not in tests_of(r), "an unsigned message "
              "is not DKIM_SIGNED", sorted(tests_of(r)))
        dns.pause()
        try:
            # names not asked before: lib/dns's cache would answer them
            r, dt = send(mc, LISTED2, body="http://www.also-bad.example/"
                         "\r\n")
        finally:
            dns.resume()
        t = tests_of(r)
        check(dict(r.added).get("X-Spam-Flag") == "NO" and "NET_RBL" not in
              t and "NET_URIBL" not in t, "with the DNS server paused the "
              "message is scored, nothing listed", (r.added, sorted(t)))
        check(dt < 4.0, "and within the timeout (1s) plus slack", dt, "< 4")
    return fn


def network_off(mc):
    r, _ = send(mc, LISTED, body="http://www.bad-domain.example/\r\n")
    t = tests_of(r)
    check(dict(r.added).get("X-Spam-Flag") == "NO" and
          not any(n.startswith("NET_") and n != "NET_PLAIN" for n in t),
          "network_tests = no: no network rule hits", sorted(t))


def stats_off(d):
    c = conf(d, "stats.conf", "network_tests = no\n")
    r = subprocess.run([CLI, "-c", c, "spam", "rules", "--stats"],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"^  eval: (\d+)$", r.stdout, re.M)
    n = int(m.group(1)) if m else -1
    check(r.returncode == 0 and n == 10, "network_tests = no: the 10 net "
          "evals are counted as skipped", n, 10)
    check(re.search(r"^\S+: NET_URIBL: (eval: )?network test "
                    r"\(network_tests off\)$",
                    r.stdout, re.M) is not None,
          "and the urirhssub rule is named as a network test that is off",
          r.stdout[-400:])
    c = conf(d, "stats-on.conf", "network_tests = yes\n"
             "dns_server = 127.0.0.1@9\n")
    r = subprocess.run([CLI, "-c", c, "spam", "rules", "--stats"],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"^  net +(\d+)$", r.stdout, re.M)
    n = int(m.group(1)) if m else -1
    check(r.returncode == 0 and n == 10, "network_tests = yes: 10 net rules "
          "loaded", n, 10)


def cli_received(d, dns_port):
    c = conf(d, "cli.conf", "network_tests = yes\ndns_server = "
             "127.0.0.1@%d\ndns_timeout = 1s\n" % dns_port)
    msg = os.path.join(d, "relay.eml")
    with open(msg, "w") as f:
        f.write("Received: from mx.example.net (mx.example.net [%s])\n"
                "\tby us.example with ESMTP; Mon, 1 Jan 2024 10:00:00 +0000\n"
                "Received: from inner (inner [10.1.2.3]) by mx.example.net\n"
                "From: a@sender.example\nSubject: x\n\nhello\n" % LISTED)
    r = subprocess.run([CLI, "-c", c, "spam", "check", "--json", msg],
                       capture_output=True, text=True, timeout=60)
    check("NET_RBL" in r.stdout, "facteur spam check takes the client from "
          "the Received header", r.stdout[-400:])


def main():
    os.makedirs(PARENT, exist_ok=True)
    d = tempfile.mkdtemp(prefix="spamnet-", dir=PARENT)
    with open(os.path.join(d, "net.cf"), "w") as f:
        f.write(RULES)
    key = os.path.join(d, "dkim.key")
    subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True,
                   capture_output=True, timeout=60)
    pub = subprocess.run(["openssl", "rsa", "-in", key, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True, timeout=60).stdout
    import base64
    p = base64.b64encode(pub).decode()
    with open(key, "rb") as f:
        key_pem = f.read()
    zones = {
        "dnsbl.test": [("%s" % ".".join(reversed(LISTED.split("."))), "A",
                        "127.0.0.2"),
                       (".".join(reversed(LISTED2.split("."))), "A",
                        "127.0.0.2"),
                       (".".join(reversed(REFUSED.split("."))), "A",
                        "127.255.255.254")],
        "uribl.test": [("bad-domain.example", "A", "127.0.0.2"),
                       ("also-bad.example", "A", "127.0.0.2")],
        "sender.example": [("@", "TXT", "v=spf1 ip4:%s -all" % SPF_OK),
                           ("sel._domainkey", "TXT",
                            "v=DKIM1; k=rsa; p=" + p)],
        "nospf.example": [("@", "A", "192.0.2.99")],
    }
    stats_off(d)
    with DnsServer(os.path.join(d, "knot"), zones=zones) as dns:
        extra = ("network_tests = yes\ndns_server = 127.0.0.1@%d\n"
                 "dns_timeout = 1s\n" % dns.port)
        run_milter(d, "on.conf", extra, network_on(dns, key_pem))
        run_milter(d, "off.conf", "network_tests = no\ndns_server = "
                   "127.0.0.1@%d\n" % dns.port, network_off)
        cli_received(d, dns.port)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
